//! Spoken requests to devices: "turn on the kitchen light", "set the living room to 21 degrees".
//!
//! The recogniser hands over a whole utterance; this finds the verb, the
//! device and, for a thermostat, the temperature. A device is named by its
//! name, its room, or both ("the kitchen light", "the living room"); a
//! request that could mean two devices is refused rather than guessed, so
//! the wrong door is never unlocked. Numbers may come as digits ("21") or
//! words ("twenty one"), as Whisper writes either.

use crate::command::DeviceCommand;

/// What a device can be asked to do by voice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// Lights and switches.
    OnOff,
    /// Thermostats and air conditioners: a target temperature.
    Climate,
    Lock,
    /// Blinds, garage doors.
    Cover,
}

/// A device a request may name.
#[derive(Clone, Copy, Debug)]
pub struct IntentTarget<'a> {
    /// The entity id the request resolves to.
    pub key: &'a str,
    pub name: &'a str,
    pub area: Option<&'a str>,
    pub kind: TargetKind,
}

/// A request understood: which device and what to do.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Request<'a> {
    pub key: &'a str,
    pub command: DeviceCommand,
}

/// The lowest and highest temperature a spoken request may set, in °C.
const SPOKEN_CELSIUS: std::ops::RangeInclusive<f32> = 5.0..=35.0;

/// Words that carry no meaning for matching a device.
const FILLER: &[&str] = &["the", "a", "my", "please", "in", "of", "to", "degrees", "degree", "celsius", "c"];

/// Understands `utterance` as a request to one of `targets`; `None` when it
/// is not a request, names no device, or could mean more than one.
pub fn parse_request<'a>(utterance: &str, targets: &[IntentTarget<'a>]) -> Option<Request<'a>> {
    let words = normalise(utterance);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let (verb, rest) = verb(&words)?;
    let (celsius, rest) = match verb {
        Verb::Set => {
            let (celsius, rest) = temperature(&rest)?;
            (Some(celsius), rest)
        }
        _ => (None, rest),
    };
    let named: Vec<&str> = rest.into_iter().filter(|w| !FILLER.contains(w)).collect();
    if named.is_empty() {
        return None;
    }
    let wanted = verb.kind();
    let mut best: Option<(usize, &IntentTarget<'a>)> = None;
    let mut tied = false;
    for target in targets.iter().filter(|t| t.kind == wanted) {
        let Some(extra) = match_cost(&named, target) else { continue };
        match best {
            Some((cost, _)) if cost < extra => {}
            Some((cost, _)) if cost == extra => tied = true,
            _ => {
                best = Some((extra, target));
                tied = false;
            }
        }
    }
    let (_, target) = best.filter(|_| !tied)?;
    let command = match verb {
        Verb::On => DeviceCommand::TurnOn,
        Verb::Off => DeviceCommand::TurnOff,
        Verb::Set => DeviceCommand::SetTemperature { celsius: celsius? },
        Verb::Lock => DeviceCommand::Lock,
        Verb::Unlock => DeviceCommand::Unlock,
        Verb::Open => DeviceCommand::Open,
        Verb::Close => DeviceCommand::Close,
    };
    Some(Request { key: target.key, command })
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Verb {
    On,
    Off,
    Set,
    Lock,
    Unlock,
    Open,
    Close,
}

impl Verb {
    fn kind(self) -> TargetKind {
        match self {
            Verb::On | Verb::Off => TargetKind::OnOff,
            Verb::Set => TargetKind::Climate,
            Verb::Lock | Verb::Unlock => TargetKind::Lock,
            Verb::Open | Verb::Close => TargetKind::Cover,
        }
    }
}

/// The verb, and the words that remain once it is taken out ("turn the light on" works too).
fn verb<'w>(words: &[&'w str]) -> Option<(Verb, Vec<&'w str>)> {
    let rest = |skip: &[usize]| -> Vec<&'w str> {
        words.iter().enumerate().filter(|(i, _)| !skip.contains(i)).map(|(_, w)| *w).collect()
    };
    match words.first()? {
        &("turn" | "switch") => {
            let position = words.iter().position(|w| *w == "on" || *w == "off")?;
            let verb = if words[position] == "on" { Verb::On } else { Verb::Off };
            Some((verb, rest(&[0, position])))
        }
        &"set" => Some((Verb::Set, rest(&[0]))),
        &"lock" => Some((Verb::Lock, rest(&[0]))),
        &"unlock" => Some((Verb::Unlock, rest(&[0]))),
        &"open" | &"raise" => Some((Verb::Open, rest(&[0]))),
        &"close" | &"lower" | &"shut" => Some((Verb::Close, rest(&[0]))),
        _ => None,
    }
}

/// The temperature in a "set" request, and the words without it.
fn temperature<'w>(words: &[&'w str]) -> Option<(f32, Vec<&'w str>)> {
    let start = words.iter().position(|w| number_word(w).is_some() || w.parse::<f32>().is_ok())?;
    let mut value = 0.0;
    let mut end = start;
    if let Ok(digits) = words[start].parse::<f32>() {
        value = digits;
        end += 1;
    } else {
        while let Some(n) = words.get(end).and_then(|w| number_word(w)) {
            value += n;
            end += 1;
        }
    }
    if !value.is_finite() || !SPOKEN_CELSIUS.contains(&value) {
        return None;
    }
    let rest = words[..start].iter().chain(&words[end..]).copied().collect();
    Some((value, rest))
}

fn number_word(word: &str) -> Option<f32> {
    const UNITS: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [(&str, f32); 2] = [("twenty", 20.0), ("thirty", 30.0)];
    UNITS
        .iter()
        .position(|u| *u == word)
        .map(|n| n as f32)
        .or_else(|| TENS.iter().find(|(w, _)| *w == word).map(|(_, n)| *n))
}

/// How many of the target's words the request left unsaid, if every word
/// it said belongs to the target's name or room.
fn match_cost(said: &[&str], target: &IntentTarget) -> Option<usize> {
    let mut known = normalise(target.name);
    known.extend(target.area.map(normalise).unwrap_or_default());
    known.dedup();
    if !said.iter().all(|w| known.iter().any(|k| k == w)) {
        return None;
    }
    Some(known.iter().filter(|k| !said.contains(&k.as_str())).count())
}

/// Lower-case words, punctuation dropped, hyphens split ("twenty-one").
fn normalise(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '-')
        .map(|w| w.chars().filter(|c| c.is_alphanumeric() || *c == '.').collect::<String>().to_lowercase())
        .map(|w| w.trim_end_matches('.').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARGETS: &[IntentTarget] = &[
        IntentTarget {
            key: "light.kitchen",
            name: "Kitchen light",
            area: Some("Kitchen"),
            kind: TargetKind::OnOff,
        },
        IntentTarget { key: "light.hall", name: "Hall light", area: Some("Hall"), kind: TargetKind::OnOff },
        IntentTarget {
            key: "climate.living",
            name: "Thermostat",
            area: Some("Living room"),
            kind: TargetKind::Climate,
        },
        IntentTarget { key: "lock.front", name: "Front door", area: Some("Hall"), kind: TargetKind::Lock },
    ];

    fn parse(said: &str) -> Option<(&'static str, DeviceCommand)> {
        parse_request(said, TARGETS).map(|r| (r.key, r.command))
    }

    #[test]
    fn the_issue_s_two_requests_are_understood() {
        assert_eq!(parse("Turn on the kitchen light."), Some(("light.kitchen", DeviceCommand::TurnOn)));
        assert_eq!(
            parse("Set the living room to 21 degrees."),
            Some(("climate.living", DeviceCommand::SetTemperature { celsius: 21.0 }))
        );
    }

    #[test]
    fn word_order_numbers_in_words_and_rooms_alone_work() {
        assert_eq!(parse("turn the hall light off"), Some(("light.hall", DeviceCommand::TurnOff)));
        assert_eq!(
            parse("set the thermostat to twenty-one"),
            Some(("climate.living", DeviceCommand::SetTemperature { celsius: 21.0 }))
        );
        assert_eq!(parse("switch on the kitchen"), Some(("light.kitchen", DeviceCommand::TurnOn)));
        assert_eq!(parse("lock the front door"), Some(("lock.front", DeviceCommand::Lock)));
    }

    #[test]
    fn unclear_or_unsafe_requests_are_refused() {
        assert_eq!(parse("turn on the light"), None, "two lights: never guess");
        assert_eq!(parse("turn on the garage"), None, "no such device");
        assert_eq!(parse("set the living room to 90 degrees"), None, "out of the spoken range");
        assert_eq!(parse("set the living room"), None, "no temperature");
        assert_eq!(parse("unlock the kitchen light"), None, "a light is not a lock");
        assert_eq!(parse("what a lovely kitchen light"), None, "not a request");
        assert_eq!(parse(""), None);
    }
}
