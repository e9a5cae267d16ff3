//! Uniformly partitioned overlap-save convolution, the arithmetic under the HRTF spatializer.
//!
//! A filter is cut into partitions of one block, each zero-padded to two
//! blocks and transformed once, at load time. Each voice keeps the spectra
//! of its last few input windows (a frequency-domain delay line); one block
//! of output is the inverse transform of the sum of those spectra times the
//! filter's partitions. Because that sum is linear, many voices that keep
//! their filter can share a single inverse transform per ear.

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Frames in one engine block: 2.67 ms at 48 kHz.
pub const BLOCK_FRAMES: usize = 128;
const FFT_LEN: usize = 2 * BLOCK_FRAMES;
/// Bins in the spectrum of one transform window.
pub const BINS: usize = FFT_LEN / 2 + 1;

pub type Bin = Complex<f32>;
pub type Spectrum = [Bin; BINS];
pub const SILENT_SPECTRUM: Spectrum = [Complex { re: 0.0, im: 0.0 }; BINS];

/// FFT plans with their scratch space, so transforms in the callback never allocate.
pub struct SpectrumPlan {
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    time: Box<[f32]>,
    freq: Box<[Bin]>,
    scratch: Box<[Bin]>,
}

impl SpectrumPlan {
    pub fn new() -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(FFT_LEN);
        let inverse = planner.plan_fft_inverse(FFT_LEN);
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        Self {
            forward,
            inverse,
            time: vec![0.0; FFT_LEN].into_boxed_slice(),
            freq: vec![Complex::default(); BINS].into_boxed_slice(),
            scratch: vec![Complex::default(); scratch_len].into_boxed_slice(),
        }
    }

    /// Transforms a two-block window into `spectrum`.
    fn forward(&mut self, window: &[f32; FFT_LEN], spectrum: &mut [Bin]) {
        self.time.copy_from_slice(window);
        // Lengths are fixed at construction, so the transform cannot fail.
        let _ = self.forward.process_with_scratch(&mut self.time, spectrum, &mut self.scratch);
    }

    /// Inverse-transforms `spectrum` and adds the last block, scaled by `gain`, to `out`.
    pub fn add_inverse(&mut self, spectrum: &[Bin], out: &mut [f32; BLOCK_FRAMES], gain: f32) {
        self.inverse_tail(spectrum);
        let scale = gain / FFT_LEN as f32;
        for (o, t) in out.iter_mut().zip(&self.time[BLOCK_FRAMES..]) {
            *o += t * scale;
        }
    }

    /// Inverse-transforms `spectrum`; the block of output is then `self.time[BLOCK_FRAMES..]`, unscaled.
    fn inverse_tail(&mut self, spectrum: &[Bin]) {
        self.freq.copy_from_slice(spectrum);
        // A real signal's DC and Nyquist bins are real; rounding can leave a
        // trace of imaginary part, which realfft would reject.
        self.freq[0].im = 0.0;
        self.freq[BINS - 1].im = 0.0;
        let _ = self.inverse.process_with_scratch(&mut self.freq, &mut self.time, &mut self.scratch);
    }

    /// Inverse-transforms two spectra and adds their crossfade (from `old` to `new`) to `out`.
    pub fn add_crossfade(
        &mut self,
        old: &[Bin],
        new: &[Bin],
        fade_in: &[f32; BLOCK_FRAMES],
        out: &mut [f32; BLOCK_FRAMES],
    ) {
        let scale = 1.0 / FFT_LEN as f32;
        self.inverse_tail(old);
        for ((o, t), f) in out.iter_mut().zip(&self.time[BLOCK_FRAMES..]).zip(fade_in) {
            *o += t * scale * (1.0 - f);
        }
        self.inverse_tail(new);
        for ((o, t), f) in out.iter_mut().zip(&self.time[BLOCK_FRAMES..]).zip(fade_in) {
            *o += t * scale * f;
        }
    }
}

impl Default for SpectrumPlan {
    fn default() -> Self {
        Self::new()
    }
}

/// One ear's filter, as the spectra of its block-long partitions.
pub struct Partitioned {
    spectra: Box<[Bin]>,
}

impl Partitioned {
    pub fn from_impulse_response(ir: &[f32], partitions: usize, plan: &mut SpectrumPlan) -> Self {
        let mut spectra = vec![Complex::default(); partitions * BINS].into_boxed_slice();
        let mut window = [0.0; FFT_LEN];
        for (p, spectrum) in spectra.chunks_exact_mut(BINS).enumerate() {
            window.fill(0.0);
            let start = (p * BLOCK_FRAMES).min(ir.len());
            let end = ((p + 1) * BLOCK_FRAMES).min(ir.len());
            window[..end - start].copy_from_slice(&ir[start..end]);
            plan.forward(&window, spectrum);
        }
        Self { spectra }
    }

    /// The impulse response these spectra hold, partition by partition.
    pub fn to_impulse_response(&self, plan: &mut SpectrumPlan) -> Vec<f32> {
        let mut ir = Vec::with_capacity(self.spectra.len() / BINS * BLOCK_FRAMES);
        for spectrum in self.spectra.chunks_exact(BINS) {
            plan.inverse_tail(spectrum);
            // Each partition was transformed as [h, 0], so h is the first half.
            ir.extend(plan.time[..BLOCK_FRAMES].iter().map(|s| s / FFT_LEN as f32));
        }
        ir
    }

    fn partition(&self, p: usize) -> &[Bin] {
        &self.spectra[p * BINS..(p + 1) * BINS]
    }
}

/// One voice's input history: its last two blocks and the spectra of its last windows.
pub struct DelayLine {
    window: [f32; FFT_LEN],
    spectra: Box<[Bin]>,
    newest: usize,
    partitions: usize,
}

impl DelayLine {
    pub fn new(partitions: usize) -> Self {
        Self {
            window: [0.0; FFT_LEN],
            spectra: vec![Complex::default(); partitions.max(1) * BINS].into_boxed_slice(),
            newest: 0,
            partitions: partitions.max(1),
        }
    }

    pub fn partitions(&self) -> usize {
        self.partitions
    }

    pub fn clear(&mut self) {
        self.window.fill(0.0);
        self.spectra.fill(Complex::default());
    }

    /// Slides one block of input in and transforms the new window.
    pub fn push(&mut self, block: &[f32; BLOCK_FRAMES], plan: &mut SpectrumPlan) {
        self.window.copy_within(BLOCK_FRAMES.., 0);
        self.window[BLOCK_FRAMES..].copy_from_slice(block);
        self.newest = (self.newest + 1) % self.partitions;
        let slot = &mut self.spectra[self.newest * BINS..(self.newest + 1) * BINS];
        plan.forward(&self.window, slot);
    }

    /// Adds this voice's filtered spectrum (Σₚ Xₖ₋ₚ·Hₚ) to `acc`.
    pub fn accumulate(&self, filter: &Partitioned, acc: &mut [Bin]) {
        let partitions = self.partitions.min(filter.spectra.len() / BINS);
        for p in 0..partitions {
            let age = (self.newest + self.partitions - p) % self.partitions;
            let input = &self.spectra[age * BINS..(age + 1) * BINS];
            for ((a, x), h) in acc.iter_mut().zip(input).zip(filter.partition(p)) {
                a.re += x.re * h.re - x.im * h.im;
                a.im += x.re * h.im + x.im * h.re;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct_convolution(x: &[f32], h: &[f32]) -> Vec<f32> {
        (0..x.len()).map(|n| (0..h.len().min(n + 1)).map(|m| h[m] * x[n - m]).sum()).collect()
    }

    #[test]
    fn partitioned_convolution_equals_direct_convolution() {
        let h: Vec<f32> =
            (0..300).map(|i| ((i * 37 % 101) as f32 / 50.0 - 1.0) * (-(i as f32) / 80.0).exp()).collect();
        let x: Vec<f32> = (0..BLOCK_FRAMES * 12).map(|i| ((i * 7919 % 2003) as f32 / 1001.5) - 1.0).collect();
        let partitions = h.len().div_ceil(BLOCK_FRAMES);
        let mut plan = SpectrumPlan::new();
        let filter = Partitioned::from_impulse_response(&h, partitions, &mut plan);
        let mut line = DelayLine::new(partitions);
        let mut out = Vec::new();
        for block in x.chunks_exact(BLOCK_FRAMES) {
            line.push(block.try_into().unwrap(), &mut plan);
            let mut acc = SILENT_SPECTRUM;
            line.accumulate(&filter, &mut acc);
            let mut y = [0.0; BLOCK_FRAMES];
            plan.add_inverse(&acc, &mut y, 1.0);
            out.extend_from_slice(&y);
        }
        let expected = direct_convolution(&x, &h);
        let max_error = out.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(max_error < 1e-4, "max error {max_error}");
    }

    #[test]
    fn spectra_give_back_the_impulse_response() {
        let h: Vec<f32> = (0..200).map(|i| (i as f32 * 0.3).sin() / (1.0 + i as f32)).collect();
        let mut plan = SpectrumPlan::new();
        let back = Partitioned::from_impulse_response(&h, 2, &mut plan).to_impulse_response(&mut plan);
        assert_eq!(back.len(), 2 * BLOCK_FRAMES);
        for (i, s) in back.iter().enumerate() {
            let expected = h.get(i).copied().unwrap_or(0.0);
            assert!((s - expected).abs() < 1e-5, "sample {i}: {s} vs {expected}");
        }
    }
}
