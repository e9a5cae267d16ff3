//! WAV files in and out: any rate, width and channel count in; 48 kHz stereo float out.

use super::engine::SAMPLE_RATE_HZ;
use super::resample::ToMono;
use std::path::{Path, PathBuf};

/// Why a WAV file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("cannot read {path}: {reason}. Give the path of a WAV file (PCM or float).")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{path} has no audio in it")]
    Empty { path: PathBuf },
    #[error("cannot resample {rate_hz} Hz audio: {reason}")]
    Resampler { rate_hz: u32, reason: String },
}

/// Reads a WAV file as mono at `output_rate_hz`, whatever its rate, width and channels.
pub fn read_wav_mono(path: &Path, output_rate_hz: u32) -> Result<Vec<f32>, WavError> {
    let unreadable = |reason: String| WavError::Unreadable { path: path.to_owned(), reason };
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
        return Err(WavError::Empty { path: path.to_owned() });
    }
    let mut converter = mono_converter(spec.sample_rate, usize::from(spec.channels), output_rate_hz)?;
    let mut out =
        Vec::with_capacity(interleaved.len() * output_rate_hz as usize / spec.sample_rate as usize + 1024);
    converter.push(&interleaved, &mut out);
    converter.finish(&mut out);
    Ok(out)
}

/// A streaming converter to mono at `output_rate_hz`, in 1024-frame chunks (efficient, ~20 ms held back).
pub fn mono_converter(input_rate_hz: u32, channels: usize, output_rate_hz: u32) -> Result<ToMono, WavError> {
    ToMono::new(input_rate_hz, channels, output_rate_hz, 1024)
        .map_err(|e| WavError::Resampler { rate_hz: input_rate_hz, reason: e.reason })
}

/// Writes interleaved stereo samples as a 32-bit float WAV at the engine's rate.
pub fn write_stereo_wav(path: &Path, interleaved: &[f32]) -> Result<(), hound::Error> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: SAMPLE_RATE_HZ,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(path, spec)?;
    for sample in interleaved {
        writer.write_sample(*sample)?;
    }
    writer.finalize()
}
