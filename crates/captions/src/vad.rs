//! Voice activity detection: cuts a continuous stream into utterances.
//!
//! earshot's detector is a small neural network whose weights are compiled
//! into the crate, so nothing is downloaded at run time. It scores 16 ms
//! frames; around it sit the rules that make captions feel right: a pre-roll
//! so the first syllable is not clipped, a hangover so a breath does not end
//! the sentence, and a length cap so one endless talker still gets captions
//! committed (and Whisper's cost stays bounded).

use std::collections::VecDeque;

/// earshot scores exactly this many 16 kHz samples at a time.
pub const FRAME_SAMPLES: usize = 256;
const FRAME_S: f32 = FRAME_SAMPLES as f32 / crate::audio_in::SAMPLE_RATE_HZ as f32;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VadConfig {
    /// Frame score (0–1) above which a frame counts as voice.
    pub threshold: f32,
    /// Consecutive voiced time needed to open an utterance (rejects clicks).
    pub onset_s: f32,
    /// Audio kept from before the onset.
    pub pre_roll_s: f32,
    /// Unvoiced time that closes an utterance.
    pub hangover_s: f32,
    /// Longest utterance before it is closed regardless.
    pub max_utterance_s: f32,
}

impl Default for VadConfig {
    fn default() -> Self {
        Self { threshold: 0.6, onset_s: 0.128, pre_roll_s: 0.3, hangover_s: 0.45, max_utterance_s: 12.0 }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Boundary {
    /// An utterance opened; its buffer holds the pre-roll and onset.
    Started,
    /// The utterance closed after the hangover.
    Ended,
    /// The utterance reached the length cap and was closed; speech goes on
    /// in a new utterance.
    Capped,
    /// Sound well above the background went on for [`UNCLEAR_AFTER_S`]
    /// without the detector hearing a voice in it: whispering, or speech
    /// too faint or distorted to recognise. Said once per stretch of sound.
    UnrecognisedSound,
}

impl Boundary {
    /// Whether the utterance buffer holds a finished utterance, to be decoded one last time.
    pub fn closes_utterance(self) -> bool {
        matches!(self, Self::Ended | Self::Capped)
    }
}

/// Sound without voice for this long is reported (see [`Boundary::UnrecognisedSound`]).
pub const UNCLEAR_AFTER_S: f32 = 1.0;

pub struct Segmenter {
    config: VadConfig,
    detector: Box<earshot::Detector>,
    partial_frame: Vec<f32>,
    /// Recent unvoiced frames, kept for pre-roll.
    recent: VecDeque<f32>,
    utterance: Vec<f32>,
    /// Frames of the utterance the detector scored as voice.
    utterance_voiced_frames: usize,
    speaking: bool,
    voiced_run_frames: usize,
    silent_run_frames: usize,
    /// Raises quiet voices before the detector hears them.
    level: crate::loudness::SpeechLevel,
    /// Tells sound from the room's background.
    background: crate::loudness::Background,
    /// Consecutive frames of sound outside an utterance.
    sound_run_frames: usize,
}

impl Segmenter {
    pub fn new(config: VadConfig) -> Self {
        Self {
            config,
            detector: Box::new(earshot::Detector::default()),
            partial_frame: Vec::with_capacity(FRAME_SAMPLES),
            recent: VecDeque::new(),
            utterance: Vec::new(),
            utterance_voiced_frames: 0,
            speaking: false,
            voiced_run_frames: 0,
            silent_run_frames: 0,
            level: crate::loudness::SpeechLevel::default(),
            background: crate::loudness::Background::default(),
            sound_run_frames: 0,
        }
    }

    /// The audio of the current (or just closed) utterance.
    pub fn utterance(&self) -> &[f32] {
        &self.utterance
    }

    /// How much of [`Self::utterance`] the detector heard as voice, in
    /// seconds: the speech time its words had to be said in (the pre-roll,
    /// the pauses and the hangover hold none).
    pub fn utterance_voiced_s(&self) -> f32 {
        self.utterance_voiced_frames as f32 * FRAME_S
    }

    pub fn is_speaking(&self) -> bool {
        self.speaking
    }

    /// Feeds 16 kHz mono samples; calls `on_boundary` at each utterance
    /// boundary, with the segmenter in the state right after it.
    pub fn push(&mut self, samples: &[f32], mut on_boundary: impl FnMut(&Self, Boundary)) {
        for &sample in samples {
            self.partial_frame.push(sample);
            if self.partial_frame.len() == FRAME_SAMPLES {
                let frame = std::mem::take(&mut self.partial_frame);
                if let Some(boundary) = self.frame(&frame) {
                    on_boundary(self, boundary);
                    if boundary.closes_utterance() {
                        self.utterance.clear();
                        self.utterance_voiced_frames = 0;
                    }
                }
                self.partial_frame = frame;
                self.partial_frame.clear();
            }
        }
    }

    fn frames(&self, seconds: f32) -> usize {
        (seconds / FRAME_S).ceil() as usize
    }

    fn frame(&mut self, frame: &[f32]) -> Option<Boundary> {
        let level = crate::audio_in::rms(frame);
        let is_sound = self.background.stands_out(level);
        let gain = self.level.gain(level);
        let clamped: [f32; FRAME_SAMPLES] = std::array::from_fn(|i| (frame[i] * gain).clamp(-1.0, 1.0));
        let voiced = self.detector.predict_f32(&clamped) >= self.config.threshold;
        if self.speaking {
            self.utterance.extend_from_slice(frame);
            self.utterance_voiced_frames += usize::from(voiced);
            self.silent_run_frames = if voiced { 0 } else { self.silent_run_frames + 1 };
            if self.silent_run_frames >= self.frames(self.config.hangover_s) {
                self.speaking = false;
                self.voiced_run_frames = 0;
                return Some(Boundary::Ended);
            }
            if self.utterance.len()
                >= (self.config.max_utterance_s * crate::audio_in::SAMPLE_RATE_HZ as f32) as usize
            {
                // Stay in speech: the next frames open the next utterance
                // (`push` clears the buffer after the callback).
                return Some(Boundary::Capped);
            }
            return None;
        }
        self.recent.extend(frame);
        let keep = (self.frames(self.config.pre_roll_s + self.config.onset_s)) * FRAME_SAMPLES;
        while self.recent.len() > keep {
            self.recent.pop_front();
        }
        self.voiced_run_frames = if voiced { self.voiced_run_frames + 1 } else { 0 };
        self.sound_run_frames = if is_sound { self.sound_run_frames + 1 } else { 0 };
        if self.voiced_run_frames >= self.frames(self.config.onset_s) {
            self.sound_run_frames = 0;
            self.speaking = true;
            self.silent_run_frames = 0;
            self.utterance.clear();
            self.utterance.extend(self.recent.drain(..));
            self.utterance_voiced_frames = self.voiced_run_frames;
            return Some(Boundary::Started);
        }
        if self.sound_run_frames == self.frames(UNCLEAR_AFTER_S) {
            return Some(Boundary::UnrecognisedSound);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boundaries(samples: &[f32]) -> Vec<(Boundary, usize)> {
        let mut segmenter = Segmenter::new(VadConfig::default());
        let mut seen = Vec::new();
        segmenter.push(samples, |s, b| seen.push((b, s.utterance().len())));
        seen
    }

    fn noise(seconds: f32, amplitude: f32, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..(seconds * 16_000.0) as usize)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((state >> 8) as f32 / (1 << 24) as f32 * 2.0 - 1.0) * amplitude
            })
            .collect()
    }

    #[test]
    fn silence_opens_no_utterance() {
        assert!(boundaries(&vec![0.0; 16_000 * 5]).is_empty());
    }

    #[test]
    fn steady_noise_opens_no_utterance() {
        for amplitude in [0.01, 0.1, 0.3] {
            assert!(boundaries(&noise(5.0, amplitude, 7)).is_empty(), "white noise at {amplitude}");
        }
    }

    #[test]
    fn sound_without_voice_is_reported_once_and_steady_sound_becomes_background() {
        // Hiss that starts out of silence is sound nobody recognised...
        let mut burst = vec![0.0; 16_000];
        burst.extend(noise(3.0, 0.05, 3));
        let seen = boundaries(&burst);
        assert_eq!(seen.iter().map(|b| b.0).collect::<Vec<_>>(), [Boundary::UnrecognisedSound]);
        // ...but the same hiss heard from the start is the room's background.
        assert!(boundaries(&noise(3.0, 0.05, 3)).is_empty());
    }

    #[test]
    fn speech_opens_and_closes_with_pre_roll() {
        let speech = crate::test_audio::librivox_clip(0);
        let mut samples = vec![0.0; 16_000];
        samples.extend_from_slice(&speech);
        samples.extend(vec![0.0; 16_000]);
        let seen = boundaries(&samples);
        assert_eq!(seen.first().map(|b| b.0), Some(Boundary::Started), "{seen:?}");
        assert_eq!(seen.last().map(|b| b.0), Some(Boundary::Ended), "{seen:?}");
        // The opening buffer carries the pre-roll, not just the onset.
        assert!(seen[0].1 >= (0.3 * 16_000.0) as usize);
    }

    #[test]
    fn long_speech_is_capped() {
        let config = VadConfig { max_utterance_s: 2.0, ..VadConfig::default() };
        let mut segmenter = Segmenter::new(config);
        let mut capped = Vec::new();
        segmenter.push(&crate::test_audio::librivox_clip(0), |s, b| {
            if b == Boundary::Capped {
                capped.push(s.utterance().len());
            }
        });
        assert!(!capped.is_empty());
        assert!(capped.iter().all(|&len| len <= 2 * 16_000 + FRAME_SAMPLES));
    }
}
