//! Audio in: audio files and arbitrary-rate PCM, brought to 16 kHz mono.
//!
//! Whisper and the voice detector both want 16 kHz mono f32. Devices and
//! files come at 44.1 or 48 kHz, often stereo, so everything passes through
//! the pipeline's [`ToMono`] resampler; files are decoded by the pipeline's
//! [`file`](allverse_pipeline::audio::file) module (WAV, MP3, FLAC, Ogg Vorbis).

use allverse_pipeline::audio::file::{self, Decoded};
use allverse_pipeline::audio::resample::{ResampleError, ToMono};
use std::path::Path;

pub const SAMPLE_RATE_HZ: u32 = 16_000;

pub use allverse_pipeline::audio::file::FileError as AudioError;

/// Input frames a live converter resamples at a time (about 20 ms at 48 kHz).
const CHUNK_FRAMES: usize = 1024;

/// Decodes an audio file as 16 kHz mono, with notices about any damage worked around.
pub fn decode_16k_mono(path: &Path) -> Result<Decoded, AudioError> {
    file::decode_mono(path, SAMPLE_RATE_HZ)
}

/// Reads an audio file as 16 kHz mono, dropping the notices of [`decode_16k_mono`].
pub fn read_wav_16k_mono(path: &Path) -> Result<Vec<f32>, AudioError> {
    decode_16k_mono(path).map(|decoded| decoded.samples)
}

/// A streaming converter from interleaved PCM at `input_rate_hz` to 16 kHz mono.
pub fn to_16k_mono(input_rate_hz: u32, channels: usize) -> Result<ToMono, ResampleError> {
    ToMono::new(input_rate_hz, channels, SAMPLE_RATE_HZ, CHUNK_FRAMES)
}

/// Root mean square level of a block of samples.
pub fn rms(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_wav_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.wav");
        std::fs::write(&path, b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk").unwrap();
        let error = read_wav_16k_mono(&path).unwrap_err().to_string();
        assert!(error.contains("broken.wav") && error.contains("a WAV file"), "{error}");
        let error = read_wav_16k_mono(&dir.path().join("missing.wav")).unwrap_err().to_string();
        assert!(error.contains("missing.wav"), "{error}");
    }

    #[test]
    fn empty_wav_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        hound::WavWriter::create(&path, spec).unwrap().finalize().unwrap();
        assert!(matches!(read_wav_16k_mono(&path), Err(AudioError::NoAudio { .. })));
    }
}
