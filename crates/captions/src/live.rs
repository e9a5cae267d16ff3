//! Live captioning on a worker thread, fed by the microphone or by session
//! streams through lock-free rings.
//!
//! Audio callbacks only copy samples into an `rtrb` ring (no allocation, no
//! lock); the worker replaces NaN and infinite samples with silence (a
//! device or stream can deliver them, and one would poison the resampler
//! and Whisper), converts to 16 kHz, runs each speaker's
//! [`StreamingRecognizer`] and sends [`CaptionEvent`]s over a channel. While
//! a pass runs, audio keeps collecting in the ring, and the next pass covers
//! all of it.

use crate::audio_in::to_16k_mono;
use crate::model::Model;
use crate::streaming::{CaptionEvent, StreamConfig, StreamingRecognizer};
use allverse_pipeline::audio::zero_non_finite;
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Seconds of raw audio a ring holds before samples are dropped.
const RING_S: usize = 10;

/// A speaker's audio as the source delivers it.
#[derive(Clone, Debug)]
pub struct StreamFormat {
    pub speaker: String,
    pub sample_rate_hz: u32,
    pub channels: usize,
}

/// The producing end of one speaker's ring. Safe to use in a real-time
/// callback: `write` neither allocates nor locks.
pub struct SpeakerInput {
    producer: rtrb::Producer<f32>,
    dropped_samples: Arc<AtomicU64>,
}

impl SpeakerInput {
    /// Copies as many samples as fit; the rest are counted as dropped.
    pub fn write(&mut self, interleaved: &[f32]) {
        let fit = interleaved.len().min(self.producer.slots());
        if let Ok(chunk) = self.producer.write_chunk_uninit(fit) {
            chunk.fill_from_iter(interleaved[..fit].iter().copied());
        }
        if fit < interleaved.len() {
            self.dropped_samples.fetch_add((interleaved.len() - fit) as u64, Ordering::Relaxed);
        }
    }
}

/// A captioning worker for a set of speakers.
pub struct LiveCaptions {
    pub events: mpsc::Receiver<(String, CaptionEvent)>,
    stop: Arc<AtomicBool>,
    dropped_samples: Arc<AtomicU64>,
    non_finite_samples: Arc<AtomicU64>,
    worker: Option<std::thread::JoinHandle<()>>,
}

/// The recognition worker's nice value: a little below the frame loop's 0.
/// Measured on Monado on 2 cores: at 0 the frame loop's systems took p50
/// 2.6 ms and p99 10.3 ms per frame; at 10, 0.9 and 2.2 ms, but another busy
/// process at 0 then left recognition a tenth of a core and live captions
/// fell minutes behind. 5 keeps a quarter of a core against such a process.
#[cfg(target_os = "linux")]
const WORKER_NICE: libc::c_int = 5;

/// Lowers this thread's scheduling priority below the frame loop's, so that
/// on a machine with few cores the frame thread preempts recognition instead
/// of waiting behind it: captions tolerate tens of milliseconds of delay,
/// frames do not. whisper.cpp's compute threads, started from this thread,
/// inherit the value (Linux keeps it per thread).
fn yield_to_the_frame_loop() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on this thread's own id touches no memory. Raising
    // one's own nice value needs no privilege, so it can only fail if the
    // thread were gone; either way recognition runs on.
    unsafe {
        let _ = libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, WORKER_NICE);
    }
}

impl LiveCaptions {
    /// Starts the worker; returns it and one input per speaker, in order.
    /// Event times are seconds since `epoch`.
    pub fn spawn(
        model: &Model,
        config: StreamConfig,
        formats: &[StreamFormat],
        epoch: Instant,
    ) -> Result<(Self, Vec<SpeakerInput>), crate::recognizer::RecognitionError> {
        let dropped_samples = Arc::new(AtomicU64::new(0));
        let mut inputs = Vec::new();
        let mut speakers = Vec::new();
        for format in formats {
            let (producer, consumer) =
                rtrb::RingBuffer::new(format.sample_rate_hz as usize * format.channels * RING_S);
            inputs.push(SpeakerInput { producer, dropped_samples: dropped_samples.clone() });
            let converter = to_16k_mono(format.sample_rate_hz, format.channels)
                .map_err(crate::recognizer::RecognitionError::from_display)?;
            speakers.push((
                format.speaker.clone(),
                consumer,
                converter,
                StreamingRecognizer::new(model, config)?,
            ));
        }
        let (sender, events) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_worker = stop.clone();
        let non_finite_samples = Arc::new(AtomicU64::new(0));
        let non_finite_worker = non_finite_samples.clone();
        let worker = std::thread::Builder::new()
            .name("captions".into())
            .spawn(move || {
                yield_to_the_frame_loop();
                let now = || epoch.elapsed().as_secs_f64();
                let (mut raw, mut samples) = (Vec::new(), Vec::new());
                while !stop_worker.load(Ordering::Relaxed) {
                    let mut idle = true;
                    for (speaker, consumer, converter, recognizer) in &mut speakers {
                        let available = consumer.slots();
                        if available == 0 {
                            continue;
                        }
                        idle = false;
                        raw.clear();
                        if let Ok(chunk) = consumer.read_chunk(available) {
                            raw.extend(chunk);
                        }
                        let replaced = zero_non_finite(&mut raw);
                        if replaced > 0 {
                            non_finite_worker.fetch_add(replaced as u64, Ordering::Relaxed);
                        }
                        samples.clear();
                        converter.push(&raw, &mut samples);
                        match recognizer.push(&samples, &now) {
                            Ok(new_events) => {
                                for event in new_events {
                                    if sender.send((speaker.clone(), event)).is_err() {
                                        return;
                                    }
                                }
                            }
                            Err(error) => eprintln!("captions: {error}; this pass is skipped"),
                        }
                    }
                    if idle {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
                for (speaker, _, _, recognizer) in &mut speakers {
                    for event in recognizer.finish(&now).unwrap_or_default() {
                        let _ = sender.send((speaker.clone(), event));
                    }
                }
            })
            .expect("spawning the captions thread");
        Ok((Self { events, stop, dropped_samples, non_finite_samples, worker: Some(worker) }, inputs))
    }

    /// Samples lost because the worker fell more than the ring behind.
    pub fn dropped_samples(&self) -> u64 {
        self.dropped_samples.load(Ordering::Relaxed)
    }

    /// NaN or infinite samples the inputs delivered, heard as silence.
    pub fn non_finite_samples(&self) -> u64 {
        self.non_finite_samples.load(Ordering::Relaxed)
    }

    /// Stops the worker after committing what it has heard.
    pub fn stop(mut self) -> Vec<(String, CaptionEvent)> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
        self.events.try_iter().collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MicrophoneError {
    #[error("no microphone found. Plug one in (or check the system's sound settings) and try again.")]
    NoDevice,
    #[error("the microphone could not be opened: {0}")]
    Open(String),
}

/// An open microphone; captions flow while this is alive.
pub struct Microphone {
    _stream: cpal::Stream,
    pub format: StreamFormat,
}

impl Microphone {
    /// Finds the default input device and its native format.
    pub fn default_format(speaker: &str) -> Result<(cpal::Device, StreamFormat), MicrophoneError> {
        let device = cpal::default_host().default_input_device().ok_or(MicrophoneError::NoDevice)?;
        let config = device.default_input_config().map_err(|e| MicrophoneError::Open(e.to_string()))?;
        let format = StreamFormat {
            speaker: speaker.to_owned(),
            sample_rate_hz: config.sample_rate(),
            channels: usize::from(config.channels()),
        };
        Ok((device, format))
    }

    /// Starts capture into `input`. The callback only copies into the ring.
    pub fn open(
        device: &cpal::Device,
        format: StreamFormat,
        mut input: SpeakerInput,
    ) -> Result<Self, MicrophoneError> {
        let config = cpal::StreamConfig {
            channels: format.channels as u16,
            sample_rate: format.sample_rate_hz,
            buffer_size: cpal::BufferSize::Default,
        };
        let stream = device
            .build_input_stream::<f32, _, _>(
                config,
                move |data: &[f32], _: &cpal::InputCallbackInfo| input.write(data),
                |error| eprintln!("microphone: {error}"),
                None,
            )
            .map_err(|e| MicrophoneError::Open(e.to_string()))?;
        stream.play().map_err(|e| MicrophoneError::Open(e.to_string()))?;
        Ok(Self { _stream: stream, format })
    }
}
