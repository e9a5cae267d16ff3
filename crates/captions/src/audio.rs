//! Audio in: WAV files and arbitrary-rate PCM, brought to 16 kHz mono.
//!
//! Whisper and the voice detector both want 16 kHz mono f32. Devices and
//! files come at 44.1 or 48 kHz, often stereo, so everything passes through
//! the pipeline's [`ToMono`] resampler.

use allverse_pipeline::audio::resample::ToMono;
use std::path::{Path, PathBuf};

pub const SAMPLE_RATE_HZ: u32 = 16_000;

#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("cannot read {path}: {reason}. Give the path of a WAV file (PCM or float).")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{path} has no audio in it")]
    Empty { path: PathBuf },
    #[error("cannot resample {rate_hz} Hz audio: {reason}")]
    Resampler { rate_hz: u32, reason: String },
}

/// Reads a WAV file as 16 kHz mono, whatever its rate, width and channels.
pub fn read_wav_16k_mono(path: &Path) -> Result<Vec<f32>, AudioError> {
    let unreadable = |reason: String| AudioError::Unreadable { path: path.to_owned(), reason };
    let mut reader = hound::WavReader::open(path).map_err(|e| unreadable(e.to_string()))?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err(unreadable("the header declares no channels or a zero sample rate".into()));
    }
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader.samples::<i32>().map(|s| s.map(|s| s as f32 * scale)).collect()
        }
    }
    .map_err(|e| unreadable(e.to_string()))?;
    if interleaved.is_empty() {
        return Err(AudioError::Empty { path: path.to_owned() });
    }
    let mut converter = to_16k_mono(spec.sample_rate, usize::from(spec.channels))?;
    let mut out = Vec::with_capacity(interleaved.len() * 16_000 / spec.sample_rate as usize + 1024);
    converter.push(&interleaved, &mut out);
    converter.finish(&mut out);
    Ok(out)
}

/// A streaming converter from interleaved PCM at `input_rate_hz` to 16 kHz mono.
pub fn to_16k_mono(input_rate_hz: u32, channels: usize) -> Result<ToMono, AudioError> {
    ToMono::new(input_rate_hz, channels, SAMPLE_RATE_HZ, 1024)
        .map_err(|e| AudioError::Resampler { rate_hz: input_rate_hz, reason: e.reason })
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
        assert!(error.contains("broken.wav") && error.contains("WAV file"), "{error}");
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
        assert!(matches!(read_wav_16k_mono(&path), Err(AudioError::Empty { .. })));
    }
}
