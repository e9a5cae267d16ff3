//! Brings quiet speech up to the level Whisper was trained on.
//!
//! Whisper's log-mel input is not level-invariant: OpenAI's `audio.py` takes
//! `log10` of the mel power, clamps it to 8 (decades) below its maximum, then
//! maps it with the fixed `(x + 4) / 4`. A voice 20–40 dB below a normal
//! recording therefore reaches the model as values it rarely saw in
//! training, and it mishears or invents words (measured: CMU ARCTIC a0007 at
//! −40 dB came out as an unrelated sentence). A quiet speaker after a loud
//! one, a soft voice and a far microphone all hit this, so every buffer is
//! raised to a speech level before it is decoded. Loud buffers are left
//! alone: they are what the model knows.

/// Frames the level is measured over: 16 ms at 16 kHz.
const FRAME_SAMPLES: usize = 256;
/// The level speech is raised to: −20 dBFS RMS, typical of close-miked
/// speech peaking near full scale.
const TARGET_RMS: f32 = 0.1;
/// At most +40 dB, so that a buffer of near-digital silence is not raised
/// into hiss the model would read as words.
const MAX_GAIN: f32 = 100.0;
/// The share of frames taken as the speech level: the loudest tenth, since
/// pauses between words would otherwise pull the level down.
const SPEECH_PERCENTILE: f32 = 0.9;

/// The gain (1 to [`MAX_GAIN`], linear) that brings the speech in `audio`,
/// 16 kHz mono, up to [`TARGET_RMS`]. The speech level is the RMS of the
/// frame at the 90th percentile of frame RMS.
pub fn speech_gain(audio: &[f32]) -> f32 {
    let mut frame_rms: Vec<f32> = audio.chunks_exact(FRAME_SAMPLES).map(crate::audio_in::rms).collect();
    if frame_rms.is_empty() {
        return 1.0;
    }
    let index = ((frame_rms.len() - 1) as f32 * SPEECH_PERCENTILE) as usize;
    let (_, level, _) = frame_rms.select_nth_unstable_by(index, f32::total_cmp);
    if !level.is_finite() || *level <= 0.0 {
        return 1.0;
    }
    (TARGET_RMS / *level).clamp(1.0, MAX_GAIN)
}

/// Frames quieter than −80 dBFS RMS are silence, not speech to raise.
const SILENCE_RMS: f32 = 1e-4;

pub fn frame_gain(frame: &[f32]) -> f32 {
    let level = crate::audio_in::rms(frame);
    if !level.is_finite() || level < SILENCE_RMS {
        return 1.0;
    }
    (TARGET_RMS / level).clamp(1.0, MAX_GAIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_speech_is_raised_and_loud_speech_kept() {
        let clip = crate::test_audio::librivox_clip(0);
        let quiet: Vec<f32> = clip.iter().map(|s| s * 0.01).collect();
        let raised = speech_gain(&quiet);
        let original = speech_gain(&clip);
        // 40 dB down is brought back to where the original stands (or to the target).
        assert!((raised / original - 100.0).abs() < 1.0 || raised == MAX_GAIN, "{raised} {original}");
        let loud: Vec<f32> = clip.iter().map(|s| (s * 8.0).clamp(-1.0, 1.0)).collect();
        assert_eq!(speech_gain(&loud), 1.0);
    }

    #[test]
    fn silence_and_nonsense_get_no_gain() {
        assert_eq!(speech_gain(&[]), 1.0);
        assert_eq!(speech_gain(&vec![0.0; 16_000]), 1.0);
        assert_eq!(speech_gain(&vec![f32::NAN; 16_000]), 1.0);
    }
}
