//! Speech for Allverse: text turned into audio that plays from where it belongs.
//!
//! A blind or low-vision person hears the scene through this crate: chat
//! from the avatar who typed it, alerts from their source, the focused
//! menu item from its panel. [`Speaker`] orders utterances ([`queue`]:
//! alerts interrupt, chat waits its turn, repeated UI announcements
//! collapse), synthesizes each with espeak-ng ([`espeak`]) into a voice of
//! the audio engine, which renders it binaurally.
//!
//! # Design choices
//!
//! * **Synthesis to samples, not to a speaker.** Only samples can be
//!   spatialized, recorded by the simulator and checked by tests, so the
//!   primary voice is espeak-ng in retrieval mode. The operating system's
//!   voice (`system-voice` feature) plays by itself and is only the
//!   non-spatial fallback.
//! * **One thread owns espeak-ng**, which is not thread-safe; callers send
//!   it jobs. Audio streams out in 10 ms pieces as it is made, so a long
//!   message starts playing at once.
//! * **Licences.** espeak-ng is GPL-3.0-or-later. It is linked only with
//!   the `espeak` feature, which the app enables by default; a binary built
//!   with it is distributed under the GPL, one built without it stays
//!   MIT OR Apache-2.0.

#[cfg(feature = "espeak")]
pub mod espeak;
pub mod queue;
#[cfg(any(feature = "espeak", feature = "system-voice"))]
pub mod setup;
mod sink;
#[cfg(any(feature = "espeak", feature = "system-voice"))]
mod speaker;
#[cfg(feature = "system-voice")]
pub mod system;
mod text;

#[cfg(feature = "espeak")]
pub use espeak::{Espeak, SpeechEvent, VoiceParams};
pub use queue::{SpeechKind, Utterance};
#[cfg(any(feature = "espeak", feature = "system-voice"))]
pub use setup::SpeechSetup;
pub use sink::{Flow, PcmSink};
#[cfg(any(feature = "espeak", feature = "system-voice"))]
pub use speaker::{Speaker, Spoken, Synthesizer};
pub use text::{MAX_TEXT_CHARS, SpeechError, prepare_text};
