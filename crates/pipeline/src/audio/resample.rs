//! Sample-rate conversion to mono: rubato's FFT resampler behind a push/finish interface.
//!
//! Captions want 16 kHz from 44.1 or 48 kHz devices; speech synthesis makes
//! 22.05 kHz for a 48 kHz engine. Both go through [`ToMono`]: a downmix
//! that loses no voice (`downmix`), then a band-limited resampler (naive decimation would alias
//! into the speech band), whose start-up delay is dropped and whose tail is
//! flushed, so n seconds in give exactly n seconds out.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

/// The resampler cannot convert between these rates.
#[derive(Debug, thiserror::Error)]
#[error("cannot resample {input_rate_hz} Hz audio to {output_rate_hz} Hz: {reason}")]
pub struct ResampleError {
    pub input_rate_hz: u32,
    pub output_rate_hz: u32,
    pub reason: String,
}

/// Streaming conversion of interleaved PCM at any rate to mono at another rate.
pub struct ToMono {
    channels: usize,
    downmix: super::downmix::Downmix,
    resampler: Option<Fft<f32>>,
    /// Mono input waiting for a full resampler chunk.
    pending: Vec<f32>,
    chunk_out: Vec<f32>,
    /// Output frames still to drop: the resampler's start-up delay.
    delay_left: usize,
    input_rate_hz: u32,
    output_rate_hz: u32,
    frames_in: u64,
    frames_out: u64,
}

impl ToMono {
    /// `chunk_frames` input frames are resampled at a time: larger chunks
    /// cost less per sample, smaller ones hold audio back for less time.
    pub fn new(
        input_rate_hz: u32,
        channels: usize,
        output_rate_hz: u32,
        chunk_frames: usize,
    ) -> Result<Self, ResampleError> {
        let resampler = if input_rate_hz == output_rate_hz {
            None
        } else {
            let fft = Fft::<f32>::new(
                input_rate_hz as usize,
                output_rate_hz as usize,
                chunk_frames,
                1,
                FixedSync::Input,
            )
            .map_err(|e| ResampleError {
                input_rate_hz,
                output_rate_hz,
                reason: e.to_string(),
            })?;
            Some(fft)
        };
        let delay_left = resampler.as_ref().map_or(0, |r| r.output_delay());
        let chunk_out = vec![0.0; resampler.as_ref().map_or(0, |r| r.output_frames_max())];
        Ok(Self {
            channels: channels.max(1),
            downmix: super::downmix::Downmix::new(channels, input_rate_hz),
            resampler,
            pending: Vec::new(),
            chunk_out,
            delay_left,
            input_rate_hz,
            output_rate_hz,
            frames_in: 0,
            frames_out: 0,
        })
    }

    /// Converts `interleaved` and appends whatever output is ready.
    pub fn push(&mut self, interleaved: &[f32], out: &mut Vec<f32>) {
        let downmix = &mut self.downmix;
        let mono = interleaved.chunks_exact(self.channels).map(|frame| downmix.frame(frame));
        self.frames_in += (interleaved.len() / self.channels) as u64;
        if self.resampler.is_none() {
            out.extend(mono);
            return;
        }
        self.pending.extend(mono);
        self.drain(out, false);
    }

    /// Flushes the tail at the end of a stream: the resampler holds back its
    /// delay's worth of audio, so silence pushes it out, then the output is
    /// cut to the length the input implies.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        let Some(resampler) = self.resampler.as_ref() else { return };
        let expected = self.frames_in * u64::from(self.output_rate_hz) / u64::from(self.input_rate_hz);
        let chunk = resampler.input_frames_next();
        let still_owed = expected.saturating_sub(self.frames_out) as usize;
        let before = out.len();
        while self.frames_out < expected {
            self.pending.resize(self.pending.len() + chunk, 0.0);
            self.drain(out, true);
        }
        out.truncate(before + still_owed);
        self.frames_out = expected;
    }

    fn drain(&mut self, out: &mut Vec<f32>, flush: bool) {
        let Some(resampler) = self.resampler.as_mut() else { return };
        let mut consumed = 0;
        loop {
            let needed = resampler.input_frames_next();
            let available = self.pending.len() - consumed;
            if available == 0 || (available < needed && !flush) {
                break;
            }
            let take = available.min(needed);
            let input = InterleavedSlice::new(&self.pending[consumed..consumed + take], 1, take)
                .expect("slice holds `take` mono frames");
            let capacity = self.chunk_out.len();
            let mut output = InterleavedSlice::new_mut(&mut self.chunk_out, 1, capacity)
                .expect("sized to output_frames_max");
            let indexing = rubato::Indexing::new().partial_len(take);
            let (_, written) = resampler
                .process_into_buffer(&input, &mut output, Some(&indexing))
                .expect("buffers are sized from the resampler's own limits");
            let skip = self.delay_left.min(written);
            self.delay_left -= skip;
            out.extend_from_slice(&self.chunk_out[skip..written]);
            self.frames_out += (written - skip) as u64;
            consumed += take;
        }
        self.pending.drain(..consumed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate_hz: u32, freq_hz: f32, seconds: f32) -> Vec<f32> {
        let n = (rate_hz as f32 * seconds) as usize;
        (0..n).map(|i| (std::f32::consts::TAU * freq_hz * i as f32 / rate_hz as f32).sin() * 0.5).collect()
    }

    fn rms(samples: &[f32]) -> f32 {
        (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
    }

    #[test]
    fn resampling_keeps_length_and_tone_both_ways() {
        for (from_hz, to_hz, chunk) in [(48_000, 16_000, 1024), (22_050, 48_000, 128)] {
            let mut converter = ToMono::new(from_hz, 1, to_hz, chunk).unwrap();
            let input = sine(from_hz, 440.0, 2.0);
            let mut out = Vec::new();
            // Push in uneven pieces, as a device callback would.
            for piece in input.chunks(333) {
                converter.push(piece, &mut out);
            }
            converter.finish(&mut out);
            assert_eq!(out.len(), 2 * to_hz as usize);
            let middle = &out[to_hz as usize / 2..3 * to_hz as usize / 2];
            assert!((rms(middle) - 0.5 / 2f32.sqrt()).abs() < 0.02, "rms {}", rms(middle));
            // A 440 Hz tone crosses zero 880 times a second.
            let crossings = middle.windows(2).filter(|w| w[0].signum() != w[1].signum()).count();
            assert!((crossings as i32 - 880).abs() <= 4, "{crossings} crossings in 1 s");
        }
    }

    #[test]
    fn stereo_with_speech_on_one_channel_keeps_its_level() {
        let mut converter = ToMono::new(16_000, 2, 16_000, 1024).unwrap();
        let tone = sine(16_000, 440.0, 1.0);
        let left_only: Vec<f32> = tone.iter().flat_map(|s| [*s, 0.0]).collect();
        let mut out = Vec::new();
        converter.push(&left_only, &mut out);
        let settled = &out[8_000..];
        assert!((rms(settled) - rms(&tone[8_000..])).abs() < 0.02, "rms {} (see `downmix`)", rms(settled));
    }
}
