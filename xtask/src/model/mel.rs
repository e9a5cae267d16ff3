//! The mel filter bank Whisper's front end multiplies each spectrum by.
//!
//! Whisper was trained with `librosa.filters.mel(sr=16000, n_fft=400,
//! n_mels=80)`: Slaney's mel scale (linear below 1 kHz, logarithmic above) and
//! Slaney area normalisation. whisper.cpp reads the bank from the model file,
//! so the converter computes it here with librosa's formulas, in f64 like
//! librosa, stored as f32.

pub const SAMPLE_RATE_HZ: f64 = 16_000.0;
pub const FFT_SIZE: usize = 400;
pub const MEL_BANDS: usize = 80;
pub const FFT_BINS: usize = FFT_SIZE / 2 + 1;

const LINEAR_MEL_PER_HZ: f64 = 3.0 / 200.0;
const LOG_START_HZ: f64 = 1000.0;

fn hz_to_mel(hz: f64) -> f64 {
    let log_start_mel = LOG_START_HZ * LINEAR_MEL_PER_HZ;
    if hz < LOG_START_HZ {
        hz * LINEAR_MEL_PER_HZ
    } else {
        log_start_mel + (hz / LOG_START_HZ).ln() / log_step()
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    let log_start_mel = LOG_START_HZ * LINEAR_MEL_PER_HZ;
    if mel < log_start_mel {
        mel / LINEAR_MEL_PER_HZ
    } else {
        LOG_START_HZ * (log_step() * (mel - log_start_mel)).exp()
    }
}

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

/// Row-major `[MEL_BANDS][FFT_BINS]` triangular filters.
pub fn filter_bank() -> Vec<f32> {
    let nyquist_hz = SAMPLE_RATE_HZ / 2.0;
    let bin_hz: Vec<f64> = (0..FFT_BINS).map(|k| k as f64 * SAMPLE_RATE_HZ / FFT_SIZE as f64).collect();
    let (mel_min, mel_max) = (hz_to_mel(0.0), hz_to_mel(nyquist_hz));
    let edges_hz: Vec<f64> = (0..MEL_BANDS + 2)
        .map(|i| mel_to_hz(mel_min + (mel_max - mel_min) * i as f64 / (MEL_BANDS + 1) as f64))
        .collect();
    let mut bank = Vec::with_capacity(MEL_BANDS * FFT_BINS);
    for band in 0..MEL_BANDS {
        let (low, centre, high) = (edges_hz[band], edges_hz[band + 1], edges_hz[band + 2]);
        let area_norm = 2.0 / (high - low);
        for &hz in &bin_hz {
            let rising = (hz - low) / (centre - low);
            let falling = (high - hz) / (high - centre);
            bank.push((rising.min(falling).max(0.0) * area_norm) as f32);
        }
    }
    bank
}

#[cfg(test)]
mod tests {
    use super::*;

    // (band, bin, weight) as librosa computes them.
    include!("mel_librosa_values.rs");

    #[test]
    fn matches_librosa() {
        let bank = filter_bank();
        assert_eq!(bank.len(), MEL_BANDS * FFT_BINS);
        for &(band, bin, expected) in LIBROSA_VALUES {
            let got = bank[band * FFT_BINS + bin];
            assert!(
                (got - expected).abs() <= 1e-6 * expected.abs().max(1e-3),
                "band {band} bin {bin}: {got} vs {expected}"
            );
        }
    }

    #[test]
    fn every_band_has_weight_and_none_is_negative() {
        let bank = filter_bank();
        for band in bank.chunks(FFT_BINS) {
            assert!(band.iter().all(|&w| w >= 0.0));
            assert!(band.iter().any(|&w| w > 0.0));
        }
    }

    #[test]
    fn scale_is_linear_below_1_khz_and_invertible() {
        assert!((hz_to_mel(500.0) - 7.5).abs() < 1e-12);
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
        for hz in [0.0, 123.0, 999.0, 1000.0, 4321.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9);
        }
    }
}
