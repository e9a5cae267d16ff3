//! What the live session tells the rest of the session, and when: its messages and its system set.

use bevy::prelude::*;

/// A chat message from a live participant, for whoever presents chat (speech reads it aloud).
#[derive(Message, Clone, Debug)]
pub struct ChatReceived {
    /// Index of the sender in [`People`](crate::scene::People).
    pub person: usize,
    pub text: String,
}

/// Live-session systems: after input and before captions, speech and the audio engine use what they delivered.
#[derive(SystemSet, Clone, Debug, PartialEq, Eq, Hash)]
pub struct LiveSystems;
