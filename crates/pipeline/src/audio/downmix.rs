//! Many channels to one without losing a voice: polarity aligned, at the level of the loudest channel.
//!
//! Averaging the channels of a recording or a microphone loses speech in
//! two common cases: speech on one channel only arrives 6 dB down (and a
//! quiet talker then falls under a voice-activity threshold), and a channel
//! wired with inverted polarity cancels the other to silence. This mixer
//! turns each channel to the polarity of the first (from their running
//! cross-correlation, with hysteresis), sums them, and scales the sum to
//! the level of the loudest channel. Identical channels come out as they
//! went in, as averaging gave; one live channel comes out at its own level;
//! two people on two channels both come through. Levels are running means
//! over about 0.3 s, so the gain glides rather than steps, and nothing is
//! allocated per sample (the mixer can run in an audio callback).

/// Time constant of the running levels, in seconds: a few syllables.
const LEVEL_TIME_S: f32 = 0.3;
/// A channel is flipped once its normalised correlation with the first is
/// below −this, and flipped back above +this; in between it stays.
const POLARITY_HYSTERESIS: f32 = 0.3;
/// Below this mean square the mix is treated as silence.
const SILENCE_POWER: f32 = 1e-12;

/// A running downmix of interleaved frames to mono.
pub struct Downmix {
    /// Running mean square of each channel.
    power: Vec<f32>,
    /// Running mean of each channel times the first channel.
    cross: Vec<f32>,
    /// +1 or −1: the polarity each channel is summed with.
    sign: Vec<f32>,
    mix_power: f32,
    /// Weight of the newest sample in the running means.
    alpha: f32,
}

impl Downmix {
    /// A mixer for `channels` channels at `rate_hz` frames per second.
    pub fn new(channels: usize, rate_hz: u32) -> Self {
        let channels = channels.max(1);
        Self {
            power: vec![0.0; channels],
            cross: vec![0.0; channels],
            sign: vec![1.0; channels],
            mix_power: 0.0,
            alpha: 1.0 - (-1.0 / (LEVEL_TIME_S * rate_hz.max(1) as f32)).exp(),
        }
    }

    /// The mono sample for one interleaved frame (as many samples as channels).
    pub fn frame(&mut self, frame: &[f32]) -> f32 {
        let channels = self.power.len();
        if channels == 1 {
            return frame[0];
        }
        let alpha = self.alpha;
        let first = frame[0];
        let mut loudest = 0.0f32;
        let mut mix = 0.0;
        for (c, &x) in frame.iter().enumerate().take(channels) {
            self.power[c] += alpha * (x * x - self.power[c]);
            self.cross[c] += alpha * (first * x - self.cross[c]);
            let scale = (self.power[0] * self.power[c]).sqrt();
            if scale > SILENCE_POWER {
                let correlation = self.cross[c] / scale;
                if correlation < -POLARITY_HYSTERESIS {
                    self.sign[c] = -1.0;
                } else if correlation > POLARITY_HYSTERESIS {
                    self.sign[c] = 1.0;
                }
            }
            loudest = loudest.max(self.power[c]);
            mix += self.sign[c] * x;
        }
        self.mix_power += alpha * (mix * mix - self.mix_power);
        let gain = if self.mix_power > SILENCE_POWER { (loudest / self.mix_power).sqrt() } else { 1.0 };
        mix * gain.clamp(1.0 / channels as f32, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE_HZ: u32 = 16_000;

    /// A second of a voice-like signal: two tones with a slow swell.
    fn voice() -> Vec<f32> {
        (0..RATE_HZ)
            .map(|i| {
                let t = i as f32 / RATE_HZ as f32;
                let swell = 0.5 + 0.5 * (std::f32::consts::TAU * 3.0 * t).sin();
                0.3 * swell
                    * ((std::f32::consts::TAU * 220.0 * t).sin()
                        + 0.5 * (std::f32::consts::TAU * 660.0 * t).sin())
            })
            .collect()
    }

    fn rms(samples: &[f32]) -> f32 {
        (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
    }

    /// Mixes `left`/`right`; the level of the last half second (after the running levels settle).
    fn mixed_level(left: &[f32], right: &[f32]) -> f32 {
        let mut mixer = Downmix::new(2, RATE_HZ);
        let out: Vec<f32> = left.iter().zip(right).map(|(l, r)| mixer.frame(&[*l, *r])).collect();
        rms(&out[out.len() / 2..])
    }

    #[test]
    fn speech_on_one_channel_keeps_its_level() {
        let voice = voice();
        let silence = vec![0.0; voice.len()];
        let level = rms(&voice[voice.len() / 2..]);
        for (left, right) in [(&voice, &silence), (&silence, &voice)] {
            let mixed = mixed_level(left, right);
            assert!((mixed / level - 1.0).abs() < 0.05, "{mixed} against {level}: averaging would halve it");
        }
    }

    #[test]
    fn inverted_polarity_does_not_cancel() {
        let voice = voice();
        let inverted: Vec<f32> = voice.iter().map(|s| -s).collect();
        let level = rms(&voice[voice.len() / 2..]);
        let mixed = mixed_level(&voice, &inverted);
        assert!((mixed / level - 1.0).abs() < 0.05, "{mixed} against {level}: averaging gives silence");
    }

    #[test]
    fn identical_channels_mix_to_themselves_and_mono_passes_through() {
        let voice = voice();
        let mut mixer = Downmix::new(2, RATE_HZ);
        let out: Vec<f32> = voice.iter().map(|s| mixer.frame(&[*s, *s])).collect();
        let settled = voice.len() / 2;
        assert!(out[settled..].iter().zip(&voice[settled..]).all(|(o, v)| (o - v).abs() < 1e-3));
        let mut mono = Downmix::new(1, RATE_HZ);
        assert_eq!(mono.frame(&[0.25]), 0.25);
    }

    #[test]
    fn two_talkers_on_two_channels_are_both_kept() {
        let voice = voice();
        // A second, quieter talker 6 dB down with a different pitch.
        let other: Vec<f32> = (0..voice.len())
            .map(|i| 0.15 * (std::f32::consts::TAU * 310.0 * i as f32 / RATE_HZ as f32).sin())
            .collect();
        let mut mixer = Downmix::new(2, RATE_HZ);
        let out: Vec<f32> = voice.iter().zip(&other).map(|(l, r)| mixer.frame(&[*l, *r])).collect();
        // The quieter talker's share of the mix: its correlation with the output, per unit of its level.
        let settled = voice.len() / 2;
        let share = out[settled..].iter().zip(&other[settled..]).map(|(o, q)| o * q).sum::<f32>()
            / other[settled..].iter().map(|q| q * q).sum::<f32>();
        assert!(share > 0.7, "the quieter talker keeps {share} of its level (averaging keeps 0.5)");
    }
}
