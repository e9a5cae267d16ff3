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

/// A captioning worker for a set of speakers that may grow and shrink while it runs.
pub struct LiveCaptions {
    pub events: mpsc::Receiver<(String, CaptionEvent)>,
    changes: mpsc::Sender<SpeakerChange>,
    stop: Arc<AtomicBool>,
    dropped_samples: Arc<AtomicU64>,
    non_finite_samples: Arc<AtomicU64>,
    worker: Option<std::thread::JoinHandle<()>>,
}

/// A speaker joining or leaving a running worker.
enum SpeakerChange {
    Add {
        format: StreamFormat,
        consumer: rtrb::Consumer<f32>,
    },
    /// Commit what they said and forget them.
    Finish {
        speaker: String,
    },
}

/// One speaker on the worker: their ring, converter and recogniser.
struct WorkerSpeaker {
    speaker: String,
    consumer: rtrb::Consumer<f32>,
    converter: allverse_pipeline::audio::resample::ToMono,
    recognizer: StreamingRecognizer,
}

/// What the worker thread owns.
struct Worker {
    model: Model,
    config: StreamConfig,
    speakers: Vec<WorkerSpeaker>,
    changes: mpsc::Receiver<SpeakerChange>,
    events: mpsc::Sender<(String, CaptionEvent)>,
    epoch: Instant,
    non_finite_samples: Arc<AtomicU64>,
    /// Raw and 16 kHz samples of the speaker being read, reused.
    raw: Vec<f32>,
    samples: Vec<f32>,
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
        let (change_sender, changes) = mpsc::channel();
        let mut worker = Worker {
            model: model.clone(),
            config,
            speakers: Vec::new(),
            changes,
            events: mpsc::channel().0,
            epoch,
            non_finite_samples: Arc::new(AtomicU64::new(0)),
            raw: Vec::new(),
            samples: Vec::new(),
        };
        let mut inputs = Vec::new();
        for format in formats {
            let (input, consumer) = ring(format, &dropped_samples);
            // Built here, so that a model that cannot serve a speaker is an error now.
            worker.add(format.clone(), consumer)?;
            inputs.push(input);
        }
        let (sender, events) = mpsc::channel();
        worker.events = sender;
        let non_finite_samples = worker.non_finite_samples.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_worker = stop.clone();
        let handle = std::thread::Builder::new()
            .name("captions".into())
            .spawn(move || worker.run(&stop_worker))
            .expect("spawning the captions thread");
        let captions = Self {
            events,
            changes: change_sender,
            stop,
            dropped_samples,
            non_finite_samples,
            worker: Some(handle),
        };
        Ok((captions, inputs))
    }

    /// Adds a speaker to the running worker; write their audio into the returned input.
    /// Their recogniser is made on the worker, so this never waits for it; a speaker
    /// whose format cannot be converted is reported on standard error and not captioned.
    pub fn add_speaker(&self, format: StreamFormat) -> SpeakerInput {
        let (input, consumer) = ring(&format, &self.dropped_samples);
        let _ = self.changes.send(SpeakerChange::Add { format, consumer });
        input
    }

    /// Commits what `speaker` has said (their events follow on [`LiveCaptions::events`]) and
    /// forgets them; audio still in their ring is heard first. Never waits.
    pub fn finish_speaker(&self, speaker: &str) {
        let _ = self.changes.send(SpeakerChange::Finish { speaker: speaker.to_owned() });
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
        self.stop_in_place()
    }

    /// Stops the worker after it has heard what is in the rings and committed it, waiting
    /// for that; returns the events not yet taken. Audio written afterwards is not heard.
    pub fn stop_in_place(&mut self) -> Vec<(String, CaptionEvent)> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
        self.events.try_iter().collect()
    }
}

/// A ring holding [`RING_S`] seconds of `format`'s audio, and its producing end.
fn ring(format: &StreamFormat, dropped_samples: &Arc<AtomicU64>) -> (SpeakerInput, rtrb::Consumer<f32>) {
    let (producer, consumer) =
        rtrb::RingBuffer::new(format.sample_rate_hz as usize * format.channels.max(1) * RING_S);
    (SpeakerInput { producer, dropped_samples: dropped_samples.clone() }, consumer)
}

impl Worker {
    fn add(
        &mut self,
        format: StreamFormat,
        consumer: rtrb::Consumer<f32>,
    ) -> Result<(), crate::recognizer::RecognitionError> {
        let converter = to_16k_mono(format.sample_rate_hz, format.channels)
            .map_err(crate::recognizer::RecognitionError::from_display)?;
        let recognizer = StreamingRecognizer::new(&self.model, self.config)?;
        self.speakers.push(WorkerSpeaker { speaker: format.speaker, consumer, converter, recognizer });
        Ok(())
    }

    fn run(mut self, stop: &AtomicBool) {
        yield_to_the_frame_loop();
        while !stop.load(Ordering::Relaxed) {
            if !self.apply_changes() {
                // The captions were dropped without being stopped: nobody is listening.
                return;
            }
            if !self.hear_everyone() {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        // Stopped: speakers added or finished just before, and audio still in the rings,
        // are heard before everything is committed.
        self.apply_changes();
        self.hear_everyone();
        for mut speaker in std::mem::take(&mut self.speakers) {
            self.finish(&mut speaker);
        }
    }

    /// Adds and finishes the speakers asked for so far; false once nobody can ask any more.
    fn apply_changes(&mut self) -> bool {
        loop {
            let change = match self.changes.try_recv() {
                Ok(change) => change,
                Err(mpsc::TryRecvError::Empty) => return true,
                Err(mpsc::TryRecvError::Disconnected) => return false,
            };
            match change {
                SpeakerChange::Add { format, consumer } => {
                    let speaker = format.speaker.clone();
                    if let Err(error) = self.add(format, consumer) {
                        eprintln!("captions: {speaker} cannot be captioned: {error}");
                    }
                }
                SpeakerChange::Finish { speaker } => {
                    if let Some(index) = self.speakers.iter().position(|s| s.speaker == speaker) {
                        self.hear(index);
                        let mut gone = self.speakers.swap_remove(index);
                        self.finish(&mut gone);
                    }
                }
            }
        }
    }

    /// Recognises what every speaker has sent since the last call; false if nothing had come.
    fn hear_everyone(&mut self) -> bool {
        let mut heard = false;
        for index in 0..self.speakers.len() {
            heard |= self.hear(index);
        }
        heard
    }

    /// Recognises what speaker `index` has sent since the last call; false if nothing had come.
    fn hear(&mut self, index: usize) -> bool {
        let speaker = &mut self.speakers[index];
        let available = speaker.consumer.slots();
        if available == 0 {
            return false;
        }
        self.raw.clear();
        if let Ok(chunk) = speaker.consumer.read_chunk(available) {
            self.raw.extend(chunk);
        }
        let replaced = zero_non_finite(&mut self.raw);
        if replaced > 0 {
            self.non_finite_samples.fetch_add(replaced as u64, Ordering::Relaxed);
        }
        self.samples.clear();
        speaker.converter.push(&self.raw, &mut self.samples);
        let epoch = self.epoch;
        let clock = move || epoch.elapsed().as_secs_f64();
        match speaker.recognizer.push(&self.samples, &clock) {
            Ok(new_events) => {
                for event in new_events {
                    let _ = self.events.send((speaker.speaker.clone(), event));
                }
            }
            Err(error) => eprintln!("captions: {error}; this pass is skipped"),
        }
        true
    }

    fn finish(&self, speaker: &mut WorkerSpeaker) {
        let epoch = self.epoch;
        let clock = move || epoch.elapsed().as_secs_f64();
        for event in speaker.recognizer.finish(&clock).unwrap_or_default() {
            let _ = self.events.send((speaker.speaker.clone(), event));
        }
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
