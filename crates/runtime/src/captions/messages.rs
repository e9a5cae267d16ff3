//! What captions tell the rest of the session, and whether caption panels are shown.

use bevy::prelude::*;

/// Words the captions committed for a person; speech reads them aloud on request.
#[derive(Message, Clone, Debug)]
pub struct CaptionCommitted {
    /// Index of the person in [`People`](crate::scene::People).
    pub person: usize,
    pub text: String,
}

/// Whether caption panels are shown; recognition goes on either way, so the history stays complete.
#[derive(Resource, Clone, Copy, Debug)]
pub struct CaptionsShown(pub bool);

/// Caption systems; what reacts to committed captions (speech) runs after them.
#[derive(SystemSet, Clone, Debug, PartialEq, Eq, Hash)]
pub struct CaptionSystems;

/// A block of a live person's voice for their captions: mono at
/// [`LIVE_VOICE_RATE_HZ`], in arrival order. Whoever delivers live voices
/// (the live session) writes these; captions read them.
#[derive(Message, Clone, Debug)]
pub struct VoiceHeard {
    /// Index of the person in [`People`](crate::scene::People).
    pub person: usize,
    pub samples: Vec<f32>,
}

/// The rate of [`VoiceHeard`] samples, hertz (WebRTC's Opus rate).
pub const LIVE_VOICE_RATE_HZ: u32 = 48_000;
