//! One Whisper decoding state: audio buffer in, words out.

use crate::guard;
use crate::model::Model;
use whisper_rs::{FullParams, SamplingStrategy, WhisperState};

/// whisper.cpp refuses input shorter than one second.
const MIN_SAMPLES: usize = crate::audio_in::SAMPLE_RATE_HZ as usize;
/// Encoder frames per second of audio (1500 frames span 30 s).
const ENCODER_FRAMES_PER_S: f32 = 50.0;
const MAX_ENCODER_FRAMES: i32 = 1500;
/// A fitted window runs this far past the audio (1.3 s)...
const FITTED_MARGIN_FRAMES: i32 = 64;
/// ...and never below 10 s: narrower windows make Whisper loop or mishear
/// short buffers far more often (measured on the LibriVox clips).
const FITTED_MIN_FRAMES: i32 = 500;

#[derive(Debug, thiserror::Error)]
#[error("speech recognition failed: {0}")]
pub struct RecognitionError(String);

impl RecognitionError {
    pub(crate) fn from_display(error: impl std::fmt::Display) -> Self {
        Self(error.to_string())
    }
}

/// What Whisper heard in a buffer, after the hallucination guard.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hypothesis {
    pub words: Vec<String>,
    /// How sure Whisper was of each word, 0–1: the lowest probability among
    /// its tokens that hold letters or digits (a hyphen or a full stop is
    /// often unsure when the word is not).
    pub confidence: Vec<f32>,
}

/// How much of Whisper's 30 s window the encoder runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncoderWindow {
    /// All 1500 frames, as the model was trained: the most accurate.
    Full,
    /// The frames the audio fills plus a margin, at least 10 s. Streaming re-decodes
    /// a growing buffer every 0.3 s, and on a 2-core machine a full
    /// window costs several times more than that; the price is some
    /// accuracy (and more decoder loops, which the guard removes).
    Fitted,
}

pub struct Recognizer {
    model: Model,
    state: WhisperState,
    threads: i32,
    padded: Vec<f32>,
}

impl Recognizer {
    pub fn new(model: &Model) -> Result<Self, RecognitionError> {
        let state = model.context.create_state().map_err(|e| RecognitionError(e.to_string()))?;
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4) as i32;
        Ok(Self { model: model.clone(), state, threads, padded: Vec::new() })
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Decodes a whole utterance buffer of 16 kHz mono audio, of which the
    /// voice detector heard `voiced_s` seconds as voice (see
    /// [`Segmenter::utterance_voiced_s`](crate::vad::Segmenter::utterance_voiced_s)).
    /// `context` is what the same speaker said just before, possibly
    /// nothing; Whisper reads it as a prompt (see [`crate::context`]).
    pub fn transcribe(
        &mut self,
        audio: &[f32],
        voiced_s: f32,
        window: EncoderWindow,
        context: &str,
    ) -> Result<Hypothesis, RecognitionError> {
        // Taken out of `self` while passes borrow it; kept for the next call.
        let mut padded = std::mem::take(&mut self.padded);
        let samples = if audio.len() < MIN_SAMPLES {
            padded.clear();
            padded.extend_from_slice(audio);
            padded.resize(MIN_SAMPLES, 0.0);
            &padded[..]
        } else {
            audio
        };
        let mut raw = self.decode(samples, window, context, Decoding::Greedy)?;
        // A closing or offline pass commits what it hears, so a decoder loop
        // there would hide the rest of the utterance for good: decode it
        // once more with beam search, which keeps the alternatives a greedy
        // decoder dropped and so can leave the loop. (Sampling at a raised
        // temperature, whisper.cpp's fallback, stayed in the loop on the
        // recordings tried.) Streaming passes are not retried: the next
        // pass hears the audio again anyway.
        if window == EncoderWindow::Full && guard::runs_away(raw.decoded()) {
            let retry = self.decode(samples, window, context, Decoding::Beam)?;
            if !guard::runs_away(retry.decoded()) {
                raw = retry;
            }
        }
        let audio_s = audio.len() as f32 / crate::audio_in::SAMPLE_RATE_HZ as f32;
        let heard = guard::Heard { audio_s, voiced_s: voiced_s.min(audio_s) };
        // The same for a closing pass that stopped after its first sentence:
        // decoding with timestamps lets Whisper go on segment by segment,
        // as it was trained to on long audio.
        if window == EncoderWindow::Full && guard::stopped_early(raw.decoded(), heard) {
            let retry = self.decode(samples, window, context, Decoding::Segmented)?;
            if retry.text.split_whitespace().count() > raw.text.split_whitespace().count() {
                raw = retry;
            }
        }
        self.padded = padded;
        let cleaned = guard::clean(raw.decoded(), heard);
        // The guard only ever keeps a leading run of words. Should tokens and
        // words ever not line up, every word counts as sure.
        let mut confidence = raw.confidence;
        if confidence.len() != raw.text.split_whitespace().count() {
            confidence = vec![1.0; cleaned.len()];
        }
        let (mut words, mut word_confidence) = (Vec::new(), Vec::new());
        for (word, sure) in cleaned.iter().zip(confidence) {
            let parts = crate::words::split(word);
            word_confidence.extend(std::iter::repeat_n(sure, parts.len()));
            words.extend(parts);
        }
        Ok(Hypothesis { words, confidence: word_confidence })
    }

    /// One whisper.cpp pass over `samples` (at least a second long).
    fn decode(
        &mut self,
        samples: &[f32],
        window: EncoderWindow,
        context: &str,
        decoding: Decoding,
    ) -> Result<RawPass, RecognitionError> {
        let seconds = samples.len() as f32 / crate::audio_in::SAMPLE_RATE_HZ as f32;
        let mut params = FullParams::new(match decoding {
            Decoding::Greedy | Decoding::Segmented => SamplingStrategy::Greedy { best_of: 1 },
            Decoding::Beam => SamplingStrategy::BeamSearch { beam_size: BEAM_SIZE, patience: -1.0 },
        });
        params.set_n_threads(self.threads);
        params.set_language(Some("en"));
        params.set_translate(false);
        params.set_no_context(true);
        let segmented = decoding == Decoding::Segmented;
        params.set_single_segment(!segmented);
        params.set_no_timestamps(!segmented);
        params.set_print_special(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_timestamps(false);
        params.set_suppress_blank(true);
        params.set_suppress_nst(true);
        // No temperature fallback: its retries make the cost of a pass
        // unpredictable, and the agreement policy absorbs a bad pass anyway.
        params.set_temperature(0.0);
        params.set_temperature_inc(0.0);
        params.set_max_tokens(guard::max_tokens_for(seconds));
        if !context.is_empty() {
            params.set_initial_prompt(context);
        }
        if window == EncoderWindow::Fitted {
            let encoder_frames = ((seconds * ENCODER_FRAMES_PER_S) as i32 + FITTED_MARGIN_FRAMES)
                .clamp(FITTED_MIN_FRAMES, MAX_ENCODER_FRAMES);
            params.set_audio_ctx(encoder_frames);
        }
        self.state.full(params, samples).map_err(|e| RecognitionError(e.to_string()))?;

        let mut text = String::new();
        let mut no_speech = 0.0f32;
        let mut confidence: Vec<f32> = Vec::new();
        let mut ended = false;
        let end_of_text = self.model.context.token_eot();
        for segment in self.state.as_iter() {
            no_speech = no_speech.max(segment.no_speech_probability());
            text.push_str(&segment.to_str_lossy().map_err(|e| RecognitionError(e.to_string()))?);
            for token in (0..segment.n_tokens()).filter_map(|i| segment.get_token(i)) {
                // Special tokens (end of text, task, timestamps) are numbered
                // from end-of-text up and carry no text. The segment keeps
                // the end-of-text token when the decoder wrote one, and not
                // when the token budget stopped it.
                if token.token_id() >= end_of_text {
                    ended |= token.token_id() == end_of_text;
                    continue;
                }
                let Ok(bytes) = token.to_bytes() else { continue };
                if bytes.first().is_some_and(u8::is_ascii_whitespace) || confidence.is_empty() {
                    confidence.push(1.0f32);
                }
                if let Some(word) = confidence.last_mut()
                    && bytes.iter().any(|b| b.is_ascii_alphanumeric() || *b >= 0x80)
                {
                    *word = word.min(token.token_probability());
                }
            }
        }
        Ok(RawPass { text, ended, no_speech, confidence })
    }
}

/// How a pass picks each token; both are deterministic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decoding {
    /// The most probable token: what every pass does first.
    Greedy,
    /// Beam search over [`BEAM_SIZE`] candidate texts: several times the
    /// decoding work, so only for a pass that ran away.
    Beam,
    /// Greedy, with timestamps and as many segments as the audio holds:
    /// only for a pass that ended its text too early (see
    /// [`guard::stopped_early`]).
    Segmented,
}

/// Beams for a retried pass: OpenAI's Whisper transcribes with 5.
const BEAM_SIZE: i32 = 5;

/// A pass's text before the guard, with what the guard judges it by.
struct RawPass {
    text: String,
    ended: bool,
    no_speech: f32,
    /// One entry per whitespace-separated word of `text`, when tokens and words line up.
    confidence: Vec<f32>,
}

impl RawPass {
    fn decoded(&self) -> guard::Decoded<'_> {
        guard::Decoded { text: &self.text, ended: self.ended, no_speech_probability: self.no_speech }
    }
}
