//! Interpreters in the live room: participants whose name carries a channel, their video and voice relayed to the interpreter panel.
//!
//! The live session decodes an interpreter's video into a frame slot and
//! their voice into blocks; both are handed here, and a channel that the
//! event does not already serve with its own feeds is served by the room's
//! interpreters for it: the first to arrive is on the panel, and when they
//! leave the next one present takes over, as a team hands over.

use allverse_core::event::{ChannelDescription, ChannelKind, Interpreter, LanguageChannel};
use allverse_interpret::feed::{AUDIO_RATE_HZ, Feed};
use allverse_pipeline::panel::FrameSlot;
use std::sync::Arc;

/// Voice held for the panel between frames; beyond this the newest is dropped (as an SRT feed's is).
const VOICE_RING_SAMPLES: usize = AUDIO_RATE_HZ as usize * 2;

/// The interpreters present in the live room, in the order they arrived. Non-send, like the voices it relays.
#[derive(Default)]
pub struct RoomInterpreters {
    /// In order of arrival (a server's participant ids are random).
    present: Vec<RoomInterpreter>,
}

struct RoomInterpreter {
    participant: u64,
    /// Their name without the channel, for the panel's label.
    name: String,
    /// The channel code as their name writes it (`BSL`).
    channel: String,
    frames: Option<Arc<FrameSlot>>,
    /// Where their voice goes while a feed shows them.
    voice: Option<rtrb::Producer<f32>>,
}

/// The interpreter's id in a team: unique per participant.
fn interpreter_id(participant: u64) -> String {
    format!("live-{participant}")
}

impl RoomInterpreters {
    /// `display` arrived interpreting into `channel` (the code their name carries).
    pub fn arrived(&mut self, participant: u64, display: &str, channel: &str) {
        let name = display.strip_suffix(&format!(" ({channel})")).unwrap_or(display).to_string();
        self.left(participant);
        let channel = channel.into();
        self.present.push(RoomInterpreter { participant, name, channel, frames: None, voice: None });
    }

    fn get_mut(&mut self, participant: u64) -> Option<&mut RoomInterpreter> {
        self.present.iter_mut().find(|i| i.participant == participant)
    }

    /// Their video started arriving in `frames`.
    pub fn video(&mut self, participant: u64, frames: Arc<FrameSlot>) {
        if let Some(interpreter) = self.get_mut(participant) {
            interpreter.frames = Some(frames);
        }
    }

    /// Passes on a block of `participant`'s voice; `false` if they are not an interpreter.
    pub fn voice(&mut self, participant: u64, samples: &[f32]) -> bool {
        let Some(interpreter) = self.get_mut(participant) else { return false };
        if let Some(ring) = &mut interpreter.voice
            && let Ok(chunk) = ring.write_chunk_uninit(samples.len().min(ring.slots()))
        {
            chunk.fill_from_iter(samples.iter().copied());
        }
        true
    }

    pub fn left(&mut self, participant: u64) {
        self.present.retain(|i| i.participant != participant);
    }

    /// The channels the room's interpreters serve, each once, in order of arrival.
    pub fn channels(&self) -> Vec<LanguageChannel> {
        let mut channels: Vec<LanguageChannel> = Vec::new();
        for interpreter in &self.present {
            if !channels.iter().any(|c| c.id == channel_id(&interpreter.channel)) {
                channels.push(LanguageChannel {
                    id: channel_id(&interpreter.channel),
                    name: interpreter.channel.clone(),
                    kind: ChannelKind::Signed,
                });
            }
        }
        channels
    }

    /// The team the room has for channel `id` (case does not matter), if anyone interprets into it and
    /// their video has started.
    pub(super) fn team(&self, id: &str) -> Option<ChannelDescription> {
        let mut members = self.members(id).peekable();
        let first = members.peek()?;
        Some(ChannelDescription {
            id: id.to_string(),
            name: first.channel.clone(),
            kind: ChannelKind::Signed,
            relay_from: "floor".into(),
            interpreters: members.map(as_team_member).collect(),
            active: None,
        })
    }

    /// Whether anyone in the room interprets into channel `id` with their video started; allocates nothing.
    pub(super) fn serves(&self, id: &str) -> bool {
        self.members(id).next().is_some()
    }

    /// Whether `interpreter` (an id from [`Self::team`]) is still in the room.
    pub(super) fn is_present(&self, interpreter: &Interpreter) -> bool {
        self.present.iter().any(|i| interpreter_id(i.participant) == interpreter.id)
    }

    /// A feed showing `interpreter` (from [`Self::team`]); their voice goes to it from now on.
    pub(super) fn feed(&mut self, interpreter: &Interpreter) -> Option<Feed> {
        let present = self.present.iter_mut().find(|i| interpreter_id(i.participant) == interpreter.id)?;
        let (producer, consumer) = rtrb::RingBuffer::new(VOICE_RING_SAMPLES);
        present.voice = Some(producer);
        Some(Feed::relayed(present.frames.clone()?, consumer))
    }

    fn members<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a RoomInterpreter> + 'a {
        self.present.iter().filter(move |i| channel_id(&i.channel) == id && i.frames.is_some())
    }
}

/// A channel's id from the code in a name: lower case, as event descriptions write them (`bsl`).
fn channel_id(code: &str) -> String {
    code.to_ascii_lowercase()
}

fn as_team_member(present: &RoomInterpreter) -> Interpreter {
    Interpreter {
        id: interpreter_id(present.participant),
        name: present.name.clone(),
        feed: format!("the live room (participant {})", present.participant),
        passphrase: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_interpreter_to_arrive_leads_and_the_next_takes_over_when_they_leave() {
        let mut room = RoomInterpreters::default();
        room.arrived(9, "Alex (BSL)", "BSL");
        room.arrived(7, "Sam (BSL)", "BSL");
        room.arrived(8, "Léa (fr)", "fr");
        assert_eq!(room.team("bsl"), None, "nobody is shown before their video arrives");
        for participant in [7, 8, 9] {
            room.video(participant, Arc::default());
        }
        let team = room.team("bsl").unwrap();
        assert_eq!(team.name, "BSL");
        let names: Vec<&str> = team.interpreters.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["Alex", "Sam"]);
        assert_eq!(room.channels().iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["bsl", "fr"]);
        let alex = team.first_active().clone();
        assert!(room.feed(&alex).is_some());
        assert!(room.voice(9, &[0.5; 480]), "Alex's voice goes to the panel");
        assert!(!room.voice(3, &[0.5; 480]), "someone who is not interpreting is not taken");
        room.left(9);
        assert!(!room.is_present(&alex));
        assert_eq!(room.team("bsl").unwrap().first_active().name, "Sam");
        room.left(7);
        assert_eq!(room.team("bsl"), None);
    }
}
