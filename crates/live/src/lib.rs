//! Live sessions with real people, on an existing session server (Janus and its VideoRoom plugin).
//!
//! This crate is the engine-free half of joining other people: the
//! signalling that gets the user into a room and keeps track of who else
//! is there, by name, as they join and leave; each participant's voice,
//! decoded; interpreters' video, decoded for their panel; and the poses,
//! chat and heartbeats everyone sends on data channels.
//!
//! # Design choices
//!
//! * **An existing, scalable server.** Janus's VideoRoom relays each
//!   participant's media and data separately with their identity, does
//!   DTLS-SRTP always, takes room PINs and invitation tokens, and can be
//!   cascaded across servers. We write a client, not a server.
//! * **One worker thread owns the connection.** The frame loop reads
//!   [`LiveEvent`]s from a channel and never waits on the network; the
//!   worker keeps the session alive, reconnects with backoff when the server
//!   goes away, and says so.
//! * **Everything from the network is bounded and cleaned.** Messages over
//!   256 KiB or not JSON are skipped with a reason; display names lose
//!   control and invisible characters and are cut to 64 characters.
//! * **Secrets stay secret.** A room's PIN and token are [`Secret`]s: their
//!   `Debug` says "(not shown)", and no error message includes them.
//!
//! * **One WebRTC connection per participant** (GStreamer's webrtcbin), not
//!   one renegotiated on every late join, which lost new voices in about
//!   half the runs. [`MediaSettings`] says what a session sends and receives.
//! * **Our own heartbeat**, because Janus lists a frozen client for a minute:
//!   one second apart, and a participant silent for [`QUIET_AFTER`] is gone.
//!
//! * **Video only from interpreters.** A participant whose name carries a
//!   channel ("Alex (BSL)", as the interpreters' page names them) has their
//!   video decoded, bounded in size, into a one-frame slot; everyone else's
//!   video is dropped undecoded, so twenty cameras cost nothing to decode.
//! * **The microphone starts muted.** Its samples stop at a valve right after
//!   the device until the user opens it, so nothing is encoded or sent.

mod data;
mod media;
mod presence;
mod protocol;
mod room_media;
#[cfg(feature = "server")]
pub mod server;
mod signalling;

pub use data::{DataError, DataMessage, MAX_CHAT_CHARS, MAX_DATA_BYTES, MAX_POSITION_M, Pose};
pub use media::microphone::Microphone;
pub use media::outbound::HEARTBEAT_EVERY;
pub use media::voice_input::MAX_SPOKEN_S;
pub use media::{
    MAX_VIDEO_HEIGHT_PX, MAX_VIDEO_WIDTH_PX, MediaError, MediaSettings, Outgoing, VOICE_RATE_HZ,
};
pub use presence::{Participant, ParticipantId, PresenceChange, Roster};
pub use protocol::{MAX_MESSAGE_BYTES, ProtocolError};
pub use room_media::QUIET_AFTER;
pub use signalling::{JoinSettings, LiveEvent, LiveSession, Secret, SettingsError, shown_address};
