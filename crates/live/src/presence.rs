//! Who is in the room: participants with their identity, and the roster that follows joins and leaves.

use allverse_core::text::{MAX_NAME_CHARS, clean};
use std::collections::BTreeMap;

/// A participant's id in the room, as the server assigns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ParticipantId(pub u64);

/// One person in the room.
#[derive(Clone, Debug, PartialEq)]
pub struct Participant {
    pub id: ParticipantId,
    /// Their display name, cleaned: no control or invisible characters, at most 64 characters.
    pub display: String,
    /// Whether the server says they publish (voice, data or both).
    pub publishing: bool,
    /// The language channel they interpret into, when their name carries one
    /// in brackets at its end, as the interpreters' page writes it: "Alex (BSL)" is `BSL`.
    pub channel: Option<String>,
}

/// Longest channel code taken from a name: language tags (BCP 47) and sign language codes are shorter.
const MAX_CHANNEL_CHARS: usize = 16;

/// The channel code at the end of a display name: "Name (CODE)", where the code is letters,
/// digits and hyphens, as in `BSL`, `fr` or `en-GB`.
fn channel_of(display: &str) -> Option<String> {
    let inside = display.strip_suffix(')')?.rsplit_once(" (")?.1;
    let valid = (1..=MAX_CHANNEL_CHARS).contains(&inside.chars().count())
        && inside.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    valid.then(|| inside.to_string())
}

impl Participant {
    /// A participant with `raw_display` cleaned; an empty name becomes "a participant".
    pub fn new(id: ParticipantId, raw_display: &str) -> Self {
        let display = clean(raw_display, MAX_NAME_CHARS);
        let display = if display.is_empty() { "a participant".to_string() } else { display };
        let channel = channel_of(&display);
        Self { id, display, publishing: false, channel }
    }
}

/// A change in who is present.
#[derive(Clone, Debug, PartialEq)]
pub enum PresenceChange {
    Arrived(Participant),
    Left(Participant),
}

/// The participants present besides us, by id.
#[derive(Clone, Debug, Default)]
pub struct Roster {
    present: BTreeMap<ParticipantId, Participant>,
}

impl Roster {
    /// Replaces everyone (after joining or rejoining) and says who came and went since.
    pub fn replace(&mut self, me: ParticipantId, present: Vec<Participant>) -> Vec<PresenceChange> {
        let now: BTreeMap<_, _> = present.into_iter().filter(|p| p.id != me).map(|p| (p.id, p)).collect();
        let mut changes: Vec<PresenceChange> = self
            .present
            .values()
            .filter(|p| !now.contains_key(&p.id))
            .cloned()
            .map(PresenceChange::Left)
            .collect();
        changes.extend(
            now.values().filter(|p| !self.present.contains_key(&p.id)).cloned().map(PresenceChange::Arrived),
        );
        self.present = now;
        changes
    }

    /// Adds people who arrived; someone already present is not announced again.
    pub fn arrive(&mut self, me: ParticipantId, arrived: Vec<Participant>) -> Vec<PresenceChange> {
        let mut changes = Vec::new();
        for person in arrived {
            if person.id != me && !self.present.contains_key(&person.id) {
                self.present.insert(person.id, person.clone());
                changes.push(PresenceChange::Arrived(person));
            }
        }
        changes
    }

    /// Removes someone who left; an unknown id changes nothing.
    pub fn leave(&mut self, id: ParticipantId) -> Option<PresenceChange> {
        self.present.remove(&id).map(PresenceChange::Left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: u64, name: &str) -> Participant {
        Participant::new(ParticipantId(id), name)
    }

    #[test]
    fn rejoining_says_only_who_changed() {
        let mut roster = Roster::default();
        let me = ParticipantId(1);
        assert_eq!(roster.replace(me, vec![person(1, "me"), person(2, "Ana")]).len(), 1, "not myself");
        let changes = roster.replace(me, vec![person(2, "Ana"), person(3, "Ben")]);
        assert_eq!(changes, [PresenceChange::Arrived(person(3, "Ben"))]);
        assert_eq!(roster.arrive(me, vec![person(3, "Ben")]), [], "Ben is not announced twice");
        assert_eq!(roster.leave(ParticipantId(9)), None, "an unknown participant leaving changes nothing");
        assert_eq!(roster.leave(ParticipantId(2)), Some(PresenceChange::Left(person(2, "Ana"))));
    }

    #[test]
    fn names_are_cleaned_and_bounded() {
        let long = "x".repeat(10_000);
        assert_eq!(person(1, &long).display.chars().count(), MAX_NAME_CHARS);
        assert_eq!(person(1, "Ana\u{202E}txt.exe\n").display, "Anatxt.exe");
        assert_eq!(person(1, "\u{200B}").display, "a participant");
    }

    #[test]
    fn an_interpreters_name_carries_their_channel() {
        assert_eq!(person(1, "Alex (BSL)").channel.as_deref(), Some("BSL"));
        assert_eq!(person(1, "Léa Martin (fr-CA)").channel.as_deref(), Some("fr-CA"));
        for plain in
            ["Ana", "Ana (she/her)", "(BSL)", "Ana ()", "Ana (BSL) here", "Ana (a very long code here)"]
        {
            assert_eq!(person(1, plain).channel, None, "{plain}");
        }
    }
}
