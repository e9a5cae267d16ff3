//! Interpreting in events (ITU FGMV-17): interpreter video and voice in, out, and handed over.
//!
//! A deaf signer follows a live event through a sign-language interpreter
//! who joins remotely; a listener through a spoken-language interpreter.
//! This crate carries those feeds: [`feed`] receives one (SRT, RTP, RTSP or
//! a file) and decodes it to RGBA for the panel; [`supervisor`] notices a
//! stall within a second and reconnects with backoff; [`team`] hands over
//! between interpreters without a gap; [`publish`] is the interpreter's
//! side, camera and microphone out. The event's channels and teams are
//! described in `allverse-core::event`.
//!
//! # Design choices
//!
//! * **GStreamer pipelines, not hand-written codecs.** The same library
//!   decodes on the interpreter's laptop, the headset and the media server,
//!   with hardware decoders where the platform has them; Debian 12's
//!   GStreamer 1.22 is the floor, so no newer API is used.
//! * **Latest frame wins.** Sign language needs fluent motion more than
//!   every frame: decoded frames go to a one-frame mailbox
//!   (`allverse_pipeline::panel::FrameSlot`), never a queue, so a slow reader shows fresh
//!   video and latency cannot build up.
//! * **Nothing here blocks the caller.** Opening a feed starts a pipeline
//!   and returns; supervision is a poll. A dead connection therefore never
//!   stalls the app: the panel says "reconnecting" and everything else goes on.

pub mod feed;
mod gst;
pub mod publish;
pub mod stamp;
pub mod supervisor;
pub mod team;

pub use gst::{MediaError, init};
