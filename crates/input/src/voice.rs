//! Spoken commands: a caption the recognizer committed becomes an action when it is a known phrase.

use Action::*;
use allverse_core::input::Action;

/// Phrases for every action; the first of each is the one help text shows.
/// The first phrases are those the recognizer heard reliably from
/// synthesized speech (see the e2e test); "captions" and "scroll down" on
/// their own were often misheard, so "subtitles" and "next page" lead.
const PHRASES: &[(&str, Action)] = &[
    ("select", Select),
    ("choose", Select),
    ("go back", Back),
    ("back", Back),
    ("open menu", OpenMenu),
    ("menu", OpenMenu),
    ("main menu", OpenMenu),
    ("next", NextFocus),
    ("next item", NextFocus),
    ("previous", PreviousFocus),
    ("previous item", PreviousFocus),
    ("previous page", ScrollUp),
    ("scroll up", ScrollUp),
    ("page up", ScrollUp),
    ("next page", ScrollDown),
    ("scroll down", ScrollDown),
    ("page down", ScrollDown),
    ("move forward", Teleport),
    ("teleport", Teleport),
    ("teleport forward", Teleport),
    ("turn left", TurnLeft),
    ("turn right", TurnRight),
    ("recenter", RecenterView),
    ("re center", RecenterView),
    ("recenter view", RecenterView),
    ("subtitles", ToggleCaptions),
    ("captions", ToggleCaptions),
    ("captions on", ToggleCaptions),
    ("captions off", ToggleCaptions),
    ("subtitles on", ToggleCaptions),
    ("subtitles off", ToggleCaptions),
    ("repeat", RepeatLastCaption),
    ("repeat caption", RepeatLastCaption),
    ("history", CaptionHistory),
    ("caption history", CaptionHistory),
    ("read", ReadFocused),
    ("read that", ReadFocused),
    ("read aloud", ReadFocused),
    ("next channel", SwitchInterpreterChannel),
    ("switch channel", SwitchInterpreterChannel),
    ("next interpreter", SwitchInterpreterChannel),
    ("safe place", GoToSafePlace),
    ("go to safe place", GoToSafePlace),
    ("stop", StopSpeech),
    ("quiet", StopSpeech),
    ("stop talking", StopSpeech),
    ("what is that", Describe),
    ("describe", Describe),
    ("how far", Describe),
    // One phrase for both ways: "mute" said while muted would open the microphone.
    ("microphone", ToggleMicrophone),
];

/// What to say for an action, as help text shows it.
pub fn phrase(action: Action) -> &'static str {
    PHRASES.iter().find(|(_, a)| *a == action).map_or("", |(phrase, _)| phrase)
}

/// The action a short utterance asks for. Only whole utterances match
/// (after case and punctuation are dropped, and an optional "please"), so
/// a sentence that merely contains "next" or "stop" is never a command.
pub fn command(utterance: &str) -> Option<Action> {
    let words: Vec<String> = utterance
        .split_whitespace()
        .map(|w| w.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase())
        .filter(|w| !w.is_empty() && w != "please")
        .collect();
    let phrase = words.join(" ");
    PHRASES.iter().find(|(p, _)| *p == phrase).map(|(_, action)| *action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_phrase() {
        for action in Action::ALL {
            assert_eq!(command(phrase(action)), Some(action), "{action:?} cannot be spoken");
        }
    }

    #[test]
    fn whole_utterances_match_whatever_the_case_and_punctuation() {
        assert_eq!(command("Select."), Some(Select));
        assert_eq!(command("  Captions off!"), Some(ToggleCaptions));
        assert_eq!(command("Next, please."), Some(NextFocus));
        assert_eq!(command("What's next on the programme?"), None);
        assert_eq!(command("Please don't stop the music"), None);
        assert_eq!(command(""), None);
    }
}
