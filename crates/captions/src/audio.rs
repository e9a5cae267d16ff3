//! Audio in: WAV files and arbitrary-rate PCM, brought to 16 kHz mono.
//!
//! Whisper and the voice detector both want 16 kHz mono f32. Devices and
//! files come at 44.1 or 48 kHz, often stereo, so everything passes through
//! [`To16kMono`]: a channel average, then rubato's FFT resampler, which keeps
//! speech bands intact where naive decimation would alias.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};
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
    let mut converter = To16kMono::new(spec.sample_rate, usize::from(spec.channels))?;
    let mut out = Vec::with_capacity(interleaved.len() * 16_000 / spec.sample_rate as usize + 1024);
    converter.push(&interleaved, &mut out);
    converter.finish(&mut out);
    Ok(out)
}

/// Streaming conversion of interleaved PCM to 16 kHz mono.
pub struct To16kMono {
    channels: usize,
    resampler: Option<Fft<f32>>,
    /// Mono input waiting for a full resampler chunk.
    pending: Vec<f32>,
    chunk_out: Vec<f32>,
    /// Output frames still to drop: the resampler's start-up delay.
    delay_left: usize,
    input_rate_hz: u32,
    frames_in: u64,
    frames_out: u64,
}

impl To16kMono {
    pub fn new(input_rate_hz: u32, channels: usize) -> Result<Self, AudioError> {
        let resampler = if input_rate_hz == SAMPLE_RATE_HZ {
            None
        } else {
            let fft =
                Fft::<f32>::new(input_rate_hz as usize, SAMPLE_RATE_HZ as usize, 1024, 1, FixedSync::Input)
                    .map_err(|e| AudioError::Resampler { rate_hz: input_rate_hz, reason: e.to_string() })?;
            Some(fft)
        };
        let delay_left = resampler.as_ref().map_or(0, |r| r.output_delay());
        let chunk_out = vec![0.0; resampler.as_ref().map_or(0, |r| r.output_frames_max())];
        Ok(Self {
            channels: channels.max(1),
            resampler,
            pending: Vec::new(),
            chunk_out,
            delay_left,
            input_rate_hz,
            frames_in: 0,
            frames_out: 0,
        })
    }

    /// Converts `interleaved` and appends whatever 16 kHz output is ready.
    pub fn push(&mut self, interleaved: &[f32], out: &mut Vec<f32>) {
        let scale = 1.0 / self.channels as f32;
        let mono = interleaved.chunks_exact(self.channels).map(|frame| frame.iter().sum::<f32>() * scale);
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
        let expected = self.frames_in * u64::from(SAMPLE_RATE_HZ) / u64::from(self.input_rate_hz);
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

    fn sine(rate_hz: u32, freq_hz: f32, seconds: f32) -> Vec<f32> {
        let n = (rate_hz as f32 * seconds) as usize;
        (0..n).map(|i| (std::f32::consts::TAU * freq_hz * i as f32 / rate_hz as f32).sin() * 0.5).collect()
    }

    #[test]
    fn resampling_48k_keeps_length_and_tone() {
        let mut converter = To16kMono::new(48_000, 1).unwrap();
        let input = sine(48_000, 440.0, 2.0);
        let mut out = Vec::new();
        // Push in uneven pieces, as a device callback would.
        for piece in input.chunks(333) {
            converter.push(piece, &mut out);
        }
        converter.finish(&mut out);
        assert_eq!(out.len(), 32_000);
        let middle = &out[8000..24000];
        assert!((rms(middle) - 0.5 / 2f32.sqrt()).abs() < 0.02, "rms {}", rms(middle));
        // A 440 Hz tone crosses zero 880 times a second.
        let crossings = middle.windows(2).filter(|w| w[0].signum() != w[1].signum()).count();
        assert!((crossings as i32 - 880).abs() <= 4, "{crossings} crossings in 1 s");
    }

    #[test]
    fn stereo_is_averaged_to_mono() {
        let mut converter = To16kMono::new(16_000, 2).unwrap();
        let mut out = Vec::new();
        converter.push(&[1.0, 0.0, 0.5, 0.5, -1.0, 1.0], &mut out);
        assert_eq!(out, [0.5, 0.5, 0.0]);
    }

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
