//! What the live session tells the rest of the session.

use bevy::prelude::*;

/// A chat message from a live participant, for whoever presents chat (speech reads it aloud).
#[derive(Message, Clone, Debug)]
pub struct ChatReceived {
    /// Index of the sender in [`People`](crate::scene::People).
    pub person: usize,
    pub text: String,
}
