//! Which utterance plays next: alerts interrupt, chat waits its turn, UI announcements collapse.

use allverse_pipeline::audio::Placement;

/// What kind of speech an utterance is; this decides its priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpeechKind {
    /// Something needs attention now (a door alarm, a safety notice).
    Alert,
    /// A screen-reader announcement of the focused element; only the latest matters.
    Announcement,
    /// A text-chat message, read in arrival order.
    Chat,
    /// A caption line read aloud on request.
    Caption,
}

/// One thing to say, from somewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct Utterance {
    pub text: String,
    pub kind: SpeechKind,
    pub placement: Placement,
    /// Who or what it comes from (a person's id, a panel's name), for the record.
    pub source: String,
}

/// What the queue decided for a new utterance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Waits behind what is playing and queued before it.
    Queued,
    /// Stop what is playing now; this (or a more urgent queued item) plays next.
    Interrupt,
    /// Said already or about to be: dropped.
    Collapsed,
}

/// Pending utterances, kept in the order they will play.
#[derive(Debug, Default)]
pub struct SpeechQueue {
    pending: Vec<Utterance>,
}

impl SpeechQueue {
    /// Adds an utterance, given the kind and text of what is playing now.
    pub fn admit(&mut self, utterance: Utterance, playing: Option<(&SpeechKind, &str)>) -> Admission {
        if utterance.kind == SpeechKind::Announcement {
            let repeats_playing = playing
                .is_some_and(|(kind, text)| *kind == SpeechKind::Announcement && text == utterance.text);
            if repeats_playing {
                return Admission::Collapsed;
            }
            // Focus moved on: earlier announcements are stale.
            self.pending.retain(|u| u.kind != SpeechKind::Announcement);
        }
        let interrupts = match (utterance.kind, playing.map(|(kind, _)| *kind)) {
            (SpeechKind::Alert, Some(kind)) => kind != SpeechKind::Alert,
            (SpeechKind::Announcement, Some(SpeechKind::Announcement)) => true,
            _ => false,
        };
        let rank = priority(utterance.kind);
        let position =
            self.pending.iter().position(|u| priority(u.kind) > rank).unwrap_or(self.pending.len());
        self.pending.insert(position, utterance);
        if interrupts { Admission::Interrupt } else { Admission::Queued }
    }

    /// The next utterance to play.
    pub fn pop_next(&mut self) -> Option<Utterance> {
        (!self.pending.is_empty()).then(|| self.pending.remove(0))
    }

    pub fn clear(&mut self) {
        self.pending.clear();
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

/// Lower plays first.
fn priority(kind: SpeechKind) -> u8 {
    match kind {
        SpeechKind::Alert => 0,
        SpeechKind::Announcement => 1,
        SpeechKind::Chat | SpeechKind::Caption => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::Vec3;

    fn said(text: &str, kind: SpeechKind) -> Utterance {
        Utterance { text: text.into(), kind, placement: Placement::Head(Vec3::NEG_Z), source: "test".into() }
    }

    fn order(queue: &mut SpeechQueue) -> Vec<String> {
        std::iter::from_fn(|| queue.pop_next()).map(|u| u.text).collect()
    }

    #[test]
    fn an_alert_interrupts_speech_and_jumps_the_queue() {
        let mut queue = SpeechQueue::default();
        assert_eq!(
            queue.admit(said("chat 2", SpeechKind::Chat), Some((&SpeechKind::Chat, "chat 1"))),
            Admission::Queued
        );
        assert_eq!(
            queue.admit(said("fire door open", SpeechKind::Alert), Some((&SpeechKind::Chat, "chat 1"))),
            Admission::Interrupt
        );
        assert_eq!(
            queue
                .admit(said("second alert", SpeechKind::Alert), Some((&SpeechKind::Alert, "fire door open"))),
            Admission::Queued
        );
        assert_eq!(order(&mut queue), ["fire door open", "second alert", "chat 2"]);
    }

    #[test]
    fn chat_and_captions_keep_their_order() {
        let mut queue = SpeechQueue::default();
        for text in ["a", "b", "c"] {
            queue.admit(said(text, SpeechKind::Chat), None);
        }
        queue.admit(said("caption", SpeechKind::Caption), None);
        assert_eq!(order(&mut queue), ["a", "b", "c", "caption"]);
    }

    #[test]
    fn repeated_and_stale_announcements_collapse() {
        let mut queue = SpeechQueue::default();
        let playing = Some((&SpeechKind::Announcement, "Settings, button"));
        assert_eq!(
            queue.admit(said("Settings, button", SpeechKind::Announcement), playing),
            Admission::Collapsed
        );
        assert!(queue.is_empty());
        queue.admit(said("chat", SpeechKind::Chat), None);
        queue.admit(said("Captions, on", SpeechKind::Announcement), None);
        queue.admit(said("Speech, on", SpeechKind::Announcement), None);
        assert_eq!(
            order(&mut queue),
            ["Speech, on", "chat"],
            "only the latest focus is announced, before chat"
        );
        assert_eq!(
            queue.admit(said("Back, button", SpeechKind::Announcement), playing),
            Admission::Interrupt,
            "focus moved while speaking"
        );
    }
}
