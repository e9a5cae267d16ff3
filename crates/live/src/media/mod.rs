//! Media in a live session: the user's voice sent into the room, each participant's voice decoded, and interpreters' video.
//!
//! GStreamer's webrtcbin does the WebRTC: ICE, DTLS-SRTP, RTP, jitter
//! buffering. Each peer connection here is one webrtcbin in its own
//! pipeline: one that publishes the user's audio as Opus, and one per
//! other participant that subscribes to their audio and decodes it to
//! 48 kHz mono. One connection per participant, rather than one for all
//! with renegotiation on every late join, because that renegotiation lost
//! new participants' audio in about half of the runs with Rust webrtcbin
//! (see `../shared/notes/live-sessions-janus.md`); a late joiner here just
//! gets a fresh connection of their own.
//!
//! SDP is exchanged without trickle: each side's description is sent once
//! its ICE candidates are gathered, which on a LAN or loopback takes
//! milliseconds and keeps the signalling simple.

mod decode;
pub(crate) mod microphone;
pub(crate) mod outbound;
mod peer;
pub(crate) mod voice_input;

pub(crate) use decode::{Decoders, decode};
pub use decode::{MAX_VIDEO_HEIGHT_PX, MAX_VIDEO_WIDTH_PX};
pub(crate) use peer::Peer;
use std::path::PathBuf;

/// The sample rate every decoded voice is delivered at, in hertz.
pub const VOICE_RATE_HZ: u32 = 48_000;

/// What the user sends into the room.
#[derive(Clone, Debug, PartialEq)]
pub enum Outgoing {
    /// A recording (WAV, any rate and channel count), played in real time once:
    /// scripted participants in the simulator and tests.
    Recording(PathBuf),
    /// Samples the app hands over with [`crate::LiveSession::say`]: synthesized speech for a
    /// person who does not speak. Nothing is sent until then.
    Voice,
    /// The user's microphone, muted when the session starts: nothing from it
    /// leaves the device until [`crate::LiveSession::set_microphone`] opens it.
    Microphone(microphone::Microphone),
}

/// Which media a session carries besides signalling.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MediaSettings {
    /// What to publish as the user's voice; `None` sends no audio (the microphone stays
    /// closed). Poses, chat and the heartbeat are sent either way.
    pub send: Option<Outgoing>,
    /// Whether to subscribe to every other participant: their voice decoded, their pose and chat.
    pub receive: bool,
}

/// Why a peer connection could not be set up or negotiated, in the user's terms.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MediaError {
    #[error("GStreamer is missing a part for live audio ({0}); `cargo xtask setup` installs it")]
    Missing(String),
    #[error("the connection could not be negotiated: {0}")]
    Negotiation(String),
    #[error("the recording {0} cannot be sent: {1}")]
    Recording(String, String),
}
