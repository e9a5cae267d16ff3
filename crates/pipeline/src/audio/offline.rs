//! The offline backend: renders faster than real time, deterministically, and writes WAV files.

use super::engine::{Renderer, SAMPLE_RATE_HZ};
use std::path::Path;

/// Renders `frames` stereo frames and appends them, interleaved, to `out`.
pub fn render_into(renderer: &mut Renderer, frames: usize, out: &mut Vec<f32>) {
    let start = out.len();
    out.resize(start + 2 * frames, 0.0);
    renderer.process(&mut out[start..]);
}

/// Writes interleaved stereo samples as a 32-bit float WAV at the engine's rate.
pub fn write_wav(path: &Path, interleaved: &[f32]) -> Result<(), hound::Error> {
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
