//! The offline backend: renders faster than real time and deterministically, for tests, benchmarks and the simulator.

use super::engine::Renderer;

/// Renders `frames` stereo frames and appends them, interleaved, to `out`.
pub fn render_into(renderer: &mut Renderer, frames: usize, out: &mut Vec<f32>) {
    let start = out.len();
    out.resize(start + 2 * frames, 0.0);
    renderer.process(&mut out[start..]);
}
