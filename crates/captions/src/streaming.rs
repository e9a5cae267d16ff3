//! Streaming captions for one speaker: voice detection, re-decoding, agreement.

use crate::agreement::{Agreement, AgreementUpdate, CommittedWord};
use crate::context::SpeakerContext;
use crate::model::Model;
use crate::recognizer::{EncoderWindow, Hypothesis, RecognitionError, Recognizer};
use crate::vad::{Boundary, Segmenter, VadConfig};
use crate::words;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamConfig {
    /// Audio between re-decodes of the open utterance.
    pub step_s: f32,
    pub vad: VadConfig,
    /// Passes over less audio than this only preview words; see
    /// [`Agreement::preview`](crate::agreement::Agreement::preview).
    pub min_commit_audio_s: f32,
}

impl Default for StreamConfig {
    fn default() -> Self {
        // Tuned with `cargo xtask bench captions` on a 2-core machine: a pass
        // over a q8_0 tiny.en model takes 0.3–0.5 s there, so a 0.3 s step
        // keeps one pass running while someone speaks.
        Self { step_s: 0.3, vad: VadConfig::default(), min_commit_audio_s: 1.5 }
    }
}

/// What the caption panel should change.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaptionEvent {
    /// Replace the partial (still changing) words after the committed ones.
    Partial { time_s: f64, text: String },
    /// Append these words; they never change again.
    Commit {
        time_s: f64,
        text: String,
        #[serde(skip)]
        words: Vec<CommittedWord>,
    },
    /// Someone seems to be speaking, but too quietly or unclearly to
    /// caption (whispering, a far or muffled voice): shown as
    /// [`CaptionEvent::UNCLEAR_TEXT`] so that speech never passes in silence.
    Unclear { time_s: f64 },
}

impl CaptionEvent {
    /// What a caption shows for [`CaptionEvent::Unclear`], in the bracketed
    /// style captioners use for sounds ("[inaudible]").
    pub const UNCLEAR_TEXT: &str = "[speech too quiet or unclear to caption]";

    pub fn time_s(&self) -> f64 {
        match self {
            Self::Partial { time_s, .. } | Self::Commit { time_s, .. } | Self::Unclear { time_s } => *time_s,
        }
    }
}

/// An utterance with at least this much voice that yields no words was
/// speech the model could not make out, not a cough.
const UNCLEAR_MIN_VOICED_S: f32 = 1.0;

/// Turns one speaker's 16 kHz audio into caption events.
///
/// Cost stays bounded however the audio arrives: a pass decodes the current
/// utterance only (never more than the VAD's length cap), and audio that
/// arrived during a slow pass is covered by the next single pass instead of
/// queuing one pass per step, so stale passes are never run.
pub struct StreamingRecognizer {
    config: StreamConfig,
    recognizer: Recognizer,
    segmenter: Segmenter,
    agreement: Agreement,
    context: SpeakerContext,
    samples_since_pass: usize,
    shown_partial: String,
    decoding: std::time::Duration,
}

impl StreamingRecognizer {
    pub fn new(model: &Model, config: StreamConfig) -> Result<Self, RecognitionError> {
        Ok(Self {
            config,
            recognizer: Recognizer::new(model)?,
            segmenter: Segmenter::new(config.vad),
            agreement: Agreement::default(),
            context: SpeakerContext::default(),
            samples_since_pass: 0,
            shown_partial: String::new(),
            decoding: std::time::Duration::ZERO,
        })
    }

    /// Wall time spent in recognition passes so far.
    pub fn decoding_s(&self) -> f64 {
        self.decoding.as_secs_f64()
    }

    /// Decodes `closed` (an utterance that has just ended, with its voiced
    /// seconds) or else the open one. The last pass over an utterance commits all its remaining
    /// words, so it runs the full window, as offline transcription does:
    /// a fitted window hears the end of an utterance worse.
    fn pass(
        &mut self,
        closed: Option<(Vec<f32>, f32)>,
        window: EncoderWindow,
    ) -> Result<Hypothesis, RecognitionError> {
        let started = std::time::Instant::now();
        let prompt = self.context.prompt();
        let hypothesis = match closed {
            Some((audio, voiced_s)) => self.recognizer.transcribe(&audio, voiced_s, window, prompt),
            None => self.recognizer.transcribe(
                self.segmenter.utterance(),
                self.segmenter.utterance_voiced_s(),
                window,
                prompt,
            ),
        };
        self.decoding += started.elapsed();
        hypothesis
    }

    /// Feeds audio; `now_s` tells the time events become visible (the
    /// session clock, or wall time in live use, read after each pass).
    pub fn push(
        &mut self,
        samples: &[f32],
        now_s: &dyn Fn() -> f64,
    ) -> Result<Vec<CaptionEvent>, RecognitionError> {
        let mut events = Vec::new();
        let mut closed = Vec::new();
        let mut unrecognised_sound = false;
        self.segmenter.push(samples, |segmenter, boundary| {
            if boundary.closes_utterance() {
                // The utterance buffer is cleared after this callback, so
                // keep a copy for its final pass.
                closed.push((segmenter.utterance().to_vec(), segmenter.utterance_voiced_s()));
            }
            unrecognised_sound |= boundary == Boundary::UnrecognisedSound;
        });
        if unrecognised_sound {
            events.push(CaptionEvent::Unclear { time_s: now_s() });
        }
        for utterance in closed {
            let voiced_s = utterance.1;
            let heard = self.pass(Some(utterance), EncoderWindow::Full)?;
            let update = self.agreement.finish(&heard.words, now_s());
            if heard.words.is_empty() && update.newly_committed.is_empty() && voiced_s >= UNCLEAR_MIN_VOICED_S
            {
                events.push(CaptionEvent::Unclear { time_s: now_s() });
            }
            self.emit(update, now_s(), &mut events);
            self.context.utterance_ended();
            self.samples_since_pass = 0;
        }
        if self.segmenter.is_speaking() {
            self.samples_since_pass += samples.len();
            let step = (self.config.step_s * crate::audio_in::SAMPLE_RATE_HZ as f32) as usize;
            if self.samples_since_pass >= step {
                self.samples_since_pass = 0;
                let heard = self.pass(None, EncoderWindow::Fitted)?;
                let heard_s =
                    self.segmenter.utterance().len() as f32 / crate::audio_in::SAMPLE_RATE_HZ as f32;
                let update = if heard_s < self.config.min_commit_audio_s {
                    self.agreement.preview(&heard.words, now_s())
                } else {
                    self.agreement.observe(&heard.words, &heard.confidence, now_s())
                };
                self.emit(update, now_s(), &mut events);
            }
        }
        Ok(events)
    }

    /// Ends the stream: whatever is still open is decoded and committed.
    pub fn finish(&mut self, now_s: &dyn Fn() -> f64) -> Result<Vec<CaptionEvent>, RecognitionError> {
        let mut events = Vec::new();
        if self.segmenter.is_speaking() {
            let heard = self.pass(None, EncoderWindow::Full)?;
            let update = self.agreement.finish(&heard.words, now_s());
            self.emit(update, now_s(), &mut events);
            self.context.utterance_ended();
        }
        self.segmenter = Segmenter::new(self.config.vad);
        Ok(events)
    }

    fn emit(&mut self, update: AgreementUpdate, time_s: f64, events: &mut Vec<CaptionEvent>) {
        if !update.newly_committed.is_empty() {
            let text =
                words::join(&update.newly_committed.iter().map(|w| w.text.as_str()).collect::<Vec<_>>());
            self.context.committed(&text);
            events.push(CaptionEvent::Commit { time_s, text, words: update.newly_committed });
        }
        let partial = words::join(&update.partial);
        if partial != self.shown_partial {
            self.shown_partial.clone_from(&partial);
            events.push(CaptionEvent::Partial { time_s, text: partial });
        }
    }
}

/// Transcribes a whole recording in one pass per utterance, as a
/// reference for streaming (same model, same voice detection, the same
/// earlier utterances as context).
pub fn transcribe_offline(model: &Model, audio: &[f32]) -> Result<String, RecognitionError> {
    let mut recognizer = Recognizer::new(model)?;
    let mut segmenter = Segmenter::new(VadConfig { max_utterance_s: 28.0, ..VadConfig::default() });
    let mut utterances = Vec::new();
    segmenter.push(audio, |s, boundary| {
        if boundary.closes_utterance() {
            utterances.push((s.utterance().to_vec(), s.utterance_voiced_s()));
        }
    });
    if segmenter.is_speaking() {
        utterances.push((segmenter.utterance().to_vec(), segmenter.utterance_voiced_s()));
    }
    let mut heard = Vec::new();
    let mut context = SpeakerContext::default();
    for (utterance, voiced_s) in utterances {
        let utterance_words =
            recognizer.transcribe(&utterance, voiced_s, EncoderWindow::Full, context.prompt())?.words;
        context.committed(&words::join(&utterance_words));
        context.utterance_ended();
        heard.extend(utterance_words);
    }
    Ok(words::join(&heard))
}

/// Plays `audio` into a recognizer at real-time pace, as a microphone
/// would deliver it, and hands each event to `on_event` stamped with the
/// wall time since playback began. Audio that arrives while a pass runs is
/// delivered together afterwards, exactly as a capture ring would hold it.
pub fn replay_at_real_time(
    model: &Model,
    config: StreamConfig,
    audio: &[f32],
    mut on_event: impl FnMut(&CaptionEvent),
) -> Result<ReplayStats, RecognitionError> {
    const CHUNK_S: f64 = 0.02;
    let chunk = (CHUNK_S * f64::from(crate::audio_in::SAMPLE_RATE_HZ)) as usize;
    let mut recognizer = StreamingRecognizer::new(model, config)?;
    let start = std::time::Instant::now();
    let now = || start.elapsed().as_secs_f64();
    let mut delivered = 0;
    while delivered < audio.len() {
        let due_s = (delivered + chunk) as f64 / f64::from(crate::audio_in::SAMPLE_RATE_HZ);
        if let Some(wait) = std::time::Duration::from_secs_f64(due_s).checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        // Everything that has "arrived" by now, in one go.
        let arrived =
            ((now() * f64::from(crate::audio_in::SAMPLE_RATE_HZ)) as usize).clamp(delivered + 1, audio.len());
        for event in recognizer.push(&audio[delivered..arrived], &now)? {
            on_event(&event);
        }
        delivered = arrived;
    }
    for event in recognizer.finish(&now)? {
        on_event(&event);
    }
    Ok(ReplayStats { decoding_s: recognizer.decoding_s(), audio_s: audio.len() as f64 / 16_000.0 })
}

#[derive(Clone, Copy, Debug)]
pub struct ReplayStats {
    pub decoding_s: f64,
    pub audio_s: f64,
}
