//! Live captions: speech in, speaker-attributed words out, all on the device.
//!
//! Audio from a microphone, a session stream or a file is brought to 16 kHz
//! mono ([`audio_in`]), cut into utterances by a voice detector ([`vad`]),
//! re-decoded by Whisper every 0.3 s while it grows ([`recognizer`],
//! [`streaming`]), and turned into *partial* words that appear fast and
//! *committed* words that never change ([`agreement`]).
//!
//! # Design choices
//!
//! * **Re-decoding plus agreement, not a streaming model.** Whisper is not a
//!   streaming recogniser, but re-decoding a short, growing buffer and
//!   committing what two passes agree on (LocalAgreement-2, holding back
//!   words Whisper was unsure of) gives words on screen within about a
//!   second and text that does not flicker once committed. Streaming passes encode a 10 s window (more only for longer
//!   utterances) instead of Whisper's full 30 s, and the default model is
//!   quantised to q8_0: together a pass costs about a fifth of a full one,
//!   which is what lets it keep up on two cores. The price is a little
//!   accuracy (see `cargo xtask bench captions`), won back where it counts
//!   most: the pass that closes an utterance, and commits whatever is still
//!   partial, runs the full window exactly as offline transcription does.
//! * **Each speaker's earlier sentences are the prompt.** Whisper guesses
//!   most at the start of a buffer; the same speaker's last couple of
//!   sentences as its prompt steady those first words ([`context`]). One
//!   recogniser per speaker keeps the context from crossing speakers.
//! * **Words are compared in parts.** Agreement compares hyphenated
//!   compounds part by part ([`words`]), so a word that grows between passes
//!   ("cold" then "cold-hearted") extends the caption instead of repeating.
//! * **One recogniser per speaker stream.** Attribution comes from the
//!   stream, not from guessing voices, so it is never wrong when the voice
//!   chat layer knows who is talking. The model's weights are shared.
//! * **Synchronous core, threads at the edge.** [`StreamingRecognizer::push`]
//!   decodes on the caller's thread, so the simulator can run it on its own
//!   clock and get the same captions every time; [`live`] wraps it in a
//!   worker thread fed through a lock-free ring for real devices, and
//!   [`speakers`] runs one per person either way, each person's recordings
//!   read as one continuous stream.
//! * **Nothing leaves the device.** There is no network code in this crate.

pub mod agreement;
pub mod audio_in;
pub mod context;
pub mod devset;
mod guard;
pub mod live;
pub mod loudness;
pub mod model;
pub mod recognizer;
pub mod speakers;
pub mod streaming;
pub mod vad;
pub mod wer;
pub mod words;

#[cfg(test)]
mod test_audio;
#[cfg(test)]
mod tests;

pub use model::{Model, ModelError, resolve_model_path};
pub use streaming::{CaptionEvent, StreamConfig, StreamingRecognizer, transcribe_offline};

/// whisper.cpp prints every load and pass to stderr; route it to nothing.
fn quiet_whisper_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(whisper_rs::install_logging_hooks);
}
