//! Samples that are not numbers (NaN, ±∞) replaced by silence before they reach a resampler, recogniser or mixer.
//!
//! A float WAV, a network voice or a device can carry NaN or infinite
//! samples. One of them poisons everything after it: a resampler's filter
//! state, Whisper's spectrogram, a voice's convolution tail. Every place
//! audio enters passes through [`zero_non_finite`], which is cheap and
//! allocation-free, so it is safe in real-time paths.

/// Replaces every NaN and ±∞ in `samples` with 0.0 in place; returns how many were replaced.
///
/// Zero rather than clamping: an infinite sample carries no level worth
/// keeping, and silence is what a listener would hear from a dropout.
pub fn zero_non_finite(samples: &mut [f32]) -> usize {
    let mut replaced = 0;
    for sample in samples.iter_mut().filter(|s| !s.is_finite()) {
        *sample = 0.0;
        replaced += 1;
    }
    replaced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_non_finite_samples_are_zeroed() {
        let mut samples = [0.5, f32::NAN, -1.0, f32::INFINITY, f32::NEG_INFINITY, f32::MAX, -0.0];
        assert_eq!(zero_non_finite(&mut samples), 3);
        assert_eq!(samples, [0.5, 0.0, -1.0, 0.0, 0.0, f32::MAX, -0.0]);
        assert_eq!(zero_non_finite(&mut samples), 0);
    }
}
