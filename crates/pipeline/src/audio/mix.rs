//! The last stage before the device: bus volumes, mono, balance and a peak limiter.

use super::convolver::BLOCK_FRAMES;

/// How the user wants to hear the mix; kept in the profile's `[audio]` table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixSettings {
    /// Gain of spoken output (screen reader, chat, alerts), 0–2.
    pub speech_volume: f32,
    /// Gain of everything else in the scene, 0–2.
    pub scene_volume: f32,
    /// −1 is all left, +1 all right.
    pub balance: f32,
    /// Both ears get the same signal, for people who hear with one ear.
    pub mono: bool,
}

impl Default for MixSettings {
    fn default() -> Self {
        Self { speech_volume: 1.0, scene_volume: 1.0, balance: 0.0, mono: false }
    }
}

impl MixSettings {
    /// Gains for the left and right ear: the far side fades, the near side never boosts.
    pub fn ear_gains(&self) -> [f32; 2] {
        let balance = self.balance.clamp(-1.0, 1.0);
        [(1.0 - balance).min(1.0), (1.0 + balance).min(1.0)]
    }
}

/// Output never exceeds this, so a pile-up of voices cannot clip the device.
pub const LIMITER_CEILING: f32 = 0.98;
/// Time for the limiter's gain to recover by 1 − 1/e, in samples at 48 kHz (50 ms).
const LIMITER_RELEASE_SAMPLES: f32 = 2400.0;

/// A peak limiter with instant attack and smooth release. It has no
/// look-ahead, so it adds no latency; the instant attack can distort the
/// first cycle of a sudden overload, which is better than clipping it.
#[derive(Debug, Clone)]
pub struct Limiter {
    gain: f32,
    engaged_blocks: u64,
}

impl Default for Limiter {
    fn default() -> Self {
        Self { gain: 1.0, engaged_blocks: 0 }
    }
}

impl Limiter {
    /// Limits one block of left/right samples in place.
    pub fn process(&mut self, left: &mut [f32; BLOCK_FRAMES], right: &mut [f32; BLOCK_FRAMES]) {
        let release = 1.0 / LIMITER_RELEASE_SAMPLES;
        let mut engaged = false;
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let peak = l.abs().max(r.abs());
            if self.gain < 1.0 {
                self.gain = (self.gain + (1.0 - self.gain) * release).min(1.0);
            }
            if peak * self.gain > LIMITER_CEILING {
                self.gain = LIMITER_CEILING / peak;
            }
            if self.gain < 1.0 {
                engaged = true;
                *l *= self.gain;
                *r *= self.gain;
            }
        }
        self.engaged_blocks += engaged as u64;
    }

    /// Blocks in which the limiter reduced the gain.
    pub fn engaged_blocks(&self) -> u64 {
        self.engaged_blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balance_fades_the_far_ear_and_never_boosts() {
        let gains = |balance| MixSettings { balance, ..Default::default() }.ear_gains();
        assert_eq!(gains(0.0), [1.0, 1.0]);
        assert_eq!(gains(1.0), [0.0, 1.0]);
        assert_eq!(gains(-1.0), [1.0, 0.0]);
        assert_eq!(gains(0.5), [0.5, 1.0]);
        assert_eq!(gains(7.0), [0.0, 1.0], "out-of-range balance is clamped");
    }

    #[test]
    fn the_limiter_keeps_peaks_under_the_ceiling_and_leaves_quiet_audio_alone() {
        let mut limiter = Limiter::default();
        let mut quiet_l = [0.5; BLOCK_FRAMES];
        let mut quiet_r = [-0.5; BLOCK_FRAMES];
        limiter.process(&mut quiet_l, &mut quiet_r);
        assert!(quiet_l.iter().all(|s| *s == 0.5) && quiet_r.iter().all(|s| *s == -0.5));
        assert_eq!(limiter.engaged_blocks(), 0);

        let mut loud_l: [f32; BLOCK_FRAMES] = std::array::from_fn(|i| 4.0 * (i as f32 * 0.2).sin());
        let mut loud_r = loud_l;
        limiter.process(&mut loud_l, &mut loud_r);
        assert!(loud_l.iter().chain(&loud_r).all(|s| s.abs() <= LIMITER_CEILING + 1e-6));
        assert_eq!(limiter.engaged_blocks(), 1);
    }
}
