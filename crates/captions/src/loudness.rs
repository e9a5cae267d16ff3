//! Brings quiet voices up to the level the voice detector was trained on,
//! and tells sound from a stream's background.
//!
//! The voice detector is not level-invariant: a voice 40 dB below a normal
//! recording opens it only on its loudest syllables, so whole words never
//! reach recognition (measured: John F. Kennedy at −40 dB after a louder
//! speaker came out as "And so am I. Ask. Don't freak…", and CMU ARCTIC
//! a0007 at −40 dB as an unrelated sentence). A quiet speaker after a loud
//! one, a soft voice and a far microphone all hit this, so the detector
//! hears the stream through an automatic gain control. Whisper hears the
//! audio as it was: its own input is normalised to the loudest part of
//! each buffer.
//!
//! The gain follows the recent speech level, not each frame: raising every
//! frame to the same level would erase the contrast between a word and the
//! pause after it, which is what the detector ends utterances by.

/// The level speech is raised to: −20 dBFS RMS, typical of close-miked
/// speech peaking near full scale.
const TARGET_RMS: f32 = 0.1;
/// At most +40 dB, so that near-digital silence is not raised into hiss.
const MAX_GAIN: f32 = 100.0;
/// Frames quieter than −80 dBFS RMS are silence, not speech to follow.
const SILENCE_RMS: f32 = 1e-4;
/// The level estimate jumps up to a louder frame at once and falls by
/// 20 dB a second (per 16 ms frame: 10^(−20 / 20 / 62.5)), so a speaker
/// 20 dB quieter than the one before is raised within a second, while a
/// pause of a few hundred milliseconds inside a sentence keeps its gain.
const RELEASE_PER_FRAME: f32 = 0.963_829;

/// The recent speech level of one stream, followed frame by frame.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpeechLevel {
    /// RMS of the loudest recent frames, decaying; 0 before any sound.
    peak_rms: f32,
}

impl SpeechLevel {
    /// Takes the next frame's RMS and returns the gain (1 to 100, linear)
    /// for that frame: set by the frames before it, so that the first
    /// syllable after silence reaches the detector as it was said.
    pub fn gain(&mut self, frame_rms: f32) -> f32 {
        let gain =
            if self.peak_rms < SILENCE_RMS { 1.0 } else { (TARGET_RMS / self.peak_rms).clamp(1.0, MAX_GAIN) };
        self.peak_rms *= RELEASE_PER_FRAME;
        if frame_rms.is_finite() && frame_rms >= SILENCE_RMS {
            self.peak_rms = self.peak_rms.max(frame_rms);
        }
        gain
    }
}

/// A frame counts as sound when it is this many times (12 dB) louder, in
/// RMS, than the background...
const SOUND_OVER_BACKGROUND: f32 = 4.0;
/// ...and louder than −75 dBFS, below which 16-bit recordings hold only
/// dither and hiss.
const SOUND_MIN_RMS: f32 = 1.8e-4;
/// The background estimate follows the quietest frames down at once and
/// rises by at most 6 dB a second (per frame: 10^(6 / 20 / 62.5)), so a
/// steady fan or hum becomes background within seconds.
const BACKGROUND_RISE_PER_FRAME: f32 = 1.011_115;

/// The level of a stream's background: its quietest recent frames.
#[derive(Clone, Copy, Debug, Default)]
pub struct Background {
    /// RMS; `None` before the first frame, which sets it.
    rms: Option<f32>,
}

impl Background {
    /// Takes the next frame's RMS; says whether the frame stands out from
    /// the background as sound.
    pub fn stands_out(&mut self, frame_rms: f32) -> bool {
        if !frame_rms.is_finite() {
            return false;
        }
        let background = match self.rms {
            Some(background) => (background.max(SOUND_MIN_RMS / SOUND_OVER_BACKGROUND)
                * BACKGROUND_RISE_PER_FRAME)
                .min(frame_rms),
            None => frame_rms,
        };
        self.rms = Some(background);
        frame_rms > SOUND_MIN_RMS && frame_rms > background * SOUND_OVER_BACKGROUND
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_voice_is_raised_and_a_loud_one_kept() {
        let mut level = SpeechLevel::default();
        assert_eq!(level.gain(0.3), 1.0);
        assert_eq!(level.gain(0.3), 1.0);
        // A voice 40 dB quieter is raised to the target within 3 s (the
        // level falls 20 dB a second from the loud voice's).
        let gains: Vec<f32> = (0..188).map(|_| level.gain(0.001)).collect();
        assert!((gains[187] - 100.0).abs() < 1e-3, "{gains:?}");
        // Gain only grows while the level falls: no pumping.
        assert!(gains.windows(2).all(|w| w[1] >= w[0]));
    }

    #[test]
    fn silence_and_nonsense_get_no_gain() {
        let mut level = SpeechLevel::default();
        assert_eq!(level.gain(0.0), 1.0);
        assert_eq!(level.gain(f32::NAN), 1.0);
        assert_eq!(level.gain(f32::INFINITY), 1.0);
        assert_eq!(level.gain(0.05), 1.0);
        assert_eq!(level.gain(0.05), 2.0);
    }
}
