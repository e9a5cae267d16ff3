//! WAV files out (48 kHz stereo float), and the older name for reading any audio file as mono.

use super::engine::SAMPLE_RATE_HZ;
use super::file::{FileError, decode_mono};
use std::path::Path;

/// The error of [`read_wav_mono`]: see [`FileError`].
pub type WavError = FileError;

/// Reads an audio file (any format [`decode_mono`] reads) as mono at `output_rate_hz`.
///
/// Its notices about damage are dropped; call [`decode_mono`] to show them.
pub fn read_wav_mono(path: &Path, output_rate_hz: u32) -> Result<Vec<f32>, WavError> {
    decode_mono(path, output_rate_hz).map(|decoded| decoded.samples)
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
