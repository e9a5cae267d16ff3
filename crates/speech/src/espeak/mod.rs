//! espeak-ng synthesis on one owner thread, streamed as 48 kHz PCM with word events.
//!
//! espeak-ng keeps global state and is not thread-safe, so one thread owns
//! it for the life of the process and takes jobs from a channel. It runs in
//! synchronous mode: `espeak_Synth` calls back with each ~10 ms of audio,
//! which is resampled from espeak's 22.05 kHz and written to the job's sink
//! straight away, so the first words play while the rest is synthesized.

mod ffi;

use crate::sink::{Flow, PcmSink};
use crate::text::{SpeechError, prepare_text};
use allverse_pipeline::audio::SAMPLE_RATE_HZ;
use allverse_pipeline::audio::resample::ToMono;
use std::cell::RefCell;
use std::ffi::{CStr, CString, c_int, c_short};
use std::sync::{OnceLock, mpsc};

/// Audio handed to the callback per call, in milliseconds: small, for a quick first sample.
const CALLBACK_BUFFER_MS: c_int = 10;
/// Input frames per resampler step: 5.8 ms at 22.05 kHz, so little audio waits in it.
const RESAMPLER_CHUNK_FRAMES: usize = 128;

/// How a job should sound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceParams {
    pub voice: String,
    pub rate_wpm: u32,
    pub pitch: u32,
}

impl From<&allverse_core::profile::SpeechSettings> for VoiceParams {
    fn from(s: &allverse_core::profile::SpeechSettings) -> Self {
        Self { voice: s.voice.clone(), rate_wpm: s.rate_wpm, pitch: s.pitch }
    }
}

/// What a job reports while it is synthesized.
#[derive(Debug, Clone, PartialEq)]
pub enum SpeechEvent {
    /// A word starts: its characters in the text, and when it is heard.
    Word { char_start: usize, char_len: usize, audio_s: f32 },
    /// Synthesis ended: all samples are written, or the sink asked to stop.
    Finished { stopped: bool, samples: u64 },
}

struct Job {
    text: CString,
    params: VoiceParams,
    sink: Box<dyn PcmSink>,
    events: mpsc::Sender<SpeechEvent>,
}

/// A handle to the espeak-ng thread; clones share it.
#[derive(Clone)]
pub struct Espeak {
    jobs: mpsc::Sender<Job>,
    voices: Vec<String>,
}

impl std::fmt::Debug for Espeak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "espeak-ng ({} voices)", self.voices.len())
    }
}

impl Espeak {
    /// The process's espeak-ng, started on first use. espeak-ng's state is
    /// global, so there is exactly one owner thread per process.
    pub fn shared() -> Result<Self, SpeechError> {
        static SHARED: OnceLock<Result<Espeak, SpeechError>> = OnceLock::new();
        SHARED.get_or_init(Self::start).clone()
    }

    fn start() -> Result<Self, SpeechError> {
        let (jobs, job_queue) = mpsc::channel::<Job>();
        let (ready, started) = mpsc::channel();
        std::thread::Builder::new()
            .name("espeak-ng".into())
            .spawn(move || match initialize() {
                Ok((rate_hz, voices)) => {
                    let _ = ready.send(Ok(voices));
                    for job in job_queue {
                        run(job, rate_hz);
                    }
                }
                Err(error) => {
                    let _ = ready.send(Err(error));
                }
            })
            .map_err(|e| SpeechError::Unavailable(e.to_string()))?;
        let voices = started.recv().map_err(|_| SpeechError::Unavailable("its thread ended".into()))??;
        Ok(Self { jobs, voices })
    }

    /// Voice and language names espeak-ng accepts (`en`, `en-gb`, `English_(Great_Britain)`, …).
    pub fn voices(&self) -> &[String] {
        &self.voices
    }

    /// Whether espeak-ng has a voice or language called `name` (case-insensitive);
    /// the one place that rule is checked.
    pub fn check_voice(&self, name: &str) -> Result<(), SpeechError> {
        if self.voices.iter().any(|v| v.eq_ignore_ascii_case(name)) {
            Ok(())
        } else {
            Err(SpeechError::UnknownVoice { name: name.to_string(), examples: self.voice_examples() })
        }
    }

    /// Queues `text` for synthesis into `sink`; events arrive on the returned receiver.
    pub fn speak(
        &self,
        text: &str,
        params: &VoiceParams,
        sink: Box<dyn PcmSink>,
    ) -> Result<mpsc::Receiver<SpeechEvent>, SpeechError> {
        let text = prepare_text(text)?;
        self.check_voice(&params.voice)?;
        if !allverse_core::profile::SPEECH_RATE_WPM.contains(&params.rate_wpm) {
            return Err(SpeechError::BadRate(params.rate_wpm));
        }
        let (events, receiver) = mpsc::channel();
        let text = CString::new(text).expect("prepare_text removes NUL characters");
        self.jobs
            .send(Job { text, params: params.clone(), sink, events })
            .map_err(|_| SpeechError::Unavailable("its thread ended".into()))?;
        Ok(receiver)
    }

    /// Synthesizes `text` completely and returns 48 kHz mono samples.
    pub fn synthesize(
        &self,
        text: &str,
        params: &VoiceParams,
    ) -> Result<(Vec<f32>, Vec<SpeechEvent>), SpeechError> {
        let (samples, events) = self.collect(text, params)?;
        let events: Vec<SpeechEvent> = events.iter().collect();
        let samples =
            samples.recv().map_err(|_| SpeechError::Unavailable("synthesis was abandoned".into()))?;
        Ok((samples, events))
    }

    /// Queues `text` for synthesis on espeak-ng's thread; its 48 kHz mono samples arrive,
    /// whole, on the returned receiver, so the caller never waits (a frame loop polls it).
    pub fn render(&self, text: &str, params: &VoiceParams) -> Result<mpsc::Receiver<Vec<f32>>, SpeechError> {
        self.collect(text, params).map(|(samples, _)| samples)
    }

    fn collect(
        &self,
        text: &str,
        params: &VoiceParams,
    ) -> Result<(mpsc::Receiver<Vec<f32>>, mpsc::Receiver<SpeechEvent>), SpeechError> {
        let (samples_in, samples_out) = mpsc::channel();
        let sink = Box::new(CollectingSink { samples: Vec::new(), done: Some(samples_in) });
        Ok((samples_out, self.speak(text, params, sink)?))
    }

    fn voice_examples(&self) -> String {
        let mut short: Vec<&str> = self.voices.iter().map(String::as_str).filter(|v| v.len() <= 6).collect();
        short.sort_unstable();
        short.dedup();
        short.into_iter().take(12).collect::<Vec<_>>().join(", ")
    }
}

/// Gathers a whole utterance, then hands it over.
struct CollectingSink {
    samples: Vec<f32>,
    done: Option<mpsc::Sender<Vec<f32>>>,
}

impl PcmSink for CollectingSink {
    fn write(&mut self, samples: &[f32]) -> Flow {
        self.samples.extend_from_slice(samples);
        Flow::Continue
    }

    fn finish(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(std::mem::take(&mut self.samples));
        }
    }
}

/// Runs on the owner thread: starts espeak-ng and lists its voices.
fn initialize() -> Result<(u32, Vec<String>), SpeechError> {
    // SAFETY: called once, on the only thread that ever touches espeak-ng.
    let rate = unsafe {
        ffi::espeak_Initialize(
            ffi::AUDIO_OUTPUT_SYNCHRONOUS,
            CALLBACK_BUFFER_MS,
            std::ptr::null(),
            ffi::INITIALIZE_DONT_EXIT,
        )
    };
    if rate <= 0 {
        return Err(SpeechError::Unavailable(
            "espeak-ng could not start (is its data installed? `cargo xtask setup` installs espeak-ng-data)"
                .into(),
        ));
    }
    // SAFETY: the callback has the signature espeak-ng expects and only
    // touches this thread's state.
    unsafe { ffi::espeak_SetSynthCallback(on_audio) };
    Ok((rate as u32, list_voices()))
}

fn list_voices() -> Vec<String> {
    let mut names = Vec::new();
    // SAFETY: espeak-ng returns a NULL-terminated array of voices it owns;
    // each `languages` is a list of (priority byte, NUL-terminated name)
    // pairs ending with a zero priority.
    unsafe {
        let list = ffi::espeak_ListVoices(std::ptr::null_mut());
        let mut entry = list;
        while !entry.is_null() && !(*entry).is_null() {
            let voice = &**entry;
            if !voice.name.is_null() {
                names.push(CStr::from_ptr(voice.name).to_string_lossy().replace(' ', "_"));
            }
            let mut language = voice.languages;
            while !language.is_null() && *language != 0 {
                let name = CStr::from_ptr(language.add(1));
                names.push(name.to_string_lossy().into_owned());
                language = language.add(2 + name.to_bytes().len());
            }
            entry = entry.add(1);
        }
    }
    names
}

/// What the audio callback needs while a job runs on this thread.
struct Active {
    sink: Box<dyn PcmSink>,
    resampler: ToMono,
    input: Vec<f32>,
    output: Vec<f32>,
    events: mpsc::Sender<SpeechEvent>,
    stopped: bool,
    samples: u64,
}

thread_local! {
    static ACTIVE: RefCell<Option<Active>> = const { RefCell::new(None) };
}

fn run(job: Job, espeak_rate_hz: u32) {
    let Job { text, params, sink, events } = job;
    let Ok(resampler) = ToMono::new(espeak_rate_hz, 1, SAMPLE_RATE_HZ, RESAMPLER_CHUNK_FRAMES) else {
        let _ = events.send(SpeechEvent::Finished { stopped: true, samples: 0 });
        return;
    };
    let voice = CString::new(params.voice).unwrap_or_default();
    // SAFETY: espeak-ng is only used from this thread; the strings outlive the calls.
    unsafe {
        ffi::espeak_SetVoiceByName(voice.as_ptr());
        ffi::espeak_SetParameter(ffi::PARAMETER_RATE, params.rate_wpm as c_int, 0);
        ffi::espeak_SetParameter(ffi::PARAMETER_PITCH, params.pitch as c_int, 0);
        ffi::espeak_SetParameter(ffi::PARAMETER_VOLUME, 100, 0);
    }
    ACTIVE.with_borrow_mut(|active| {
        *active = Some(Active {
            sink,
            resampler,
            input: Vec::new(),
            output: Vec::new(),
            events,
            stopped: false,
            samples: 0,
        })
    });
    // SAFETY: synchronous mode: espeak_Synth returns after the last callback.
    let status = unsafe {
        ffi::espeak_Synth(
            text.as_ptr().cast(),
            text.as_bytes_with_nul().len(),
            0,
            ffi::POS_CHARACTER,
            0,
            ffi::CHARS_UTF8,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    let Some(mut active) = ACTIVE.with_borrow_mut(Option::take) else { return };
    if !active.stopped {
        active.output.clear();
        active.resampler.finish(&mut active.output);
        let tail = std::mem::take(&mut active.output);
        active.write(&tail);
    }
    active.sink.finish();
    let stopped = active.stopped || status != ffi::EE_OK;
    let _ = active.events.send(SpeechEvent::Finished { stopped, samples: active.samples });
}

impl Active {
    fn write(&mut self, samples: &[f32]) {
        if self.stopped || samples.is_empty() {
            return;
        }
        self.samples += samples.len() as u64;
        self.stopped = self.sink.write(samples) == Flow::Stop;
    }
}

/// espeak-ng's synthesis callback: samples at its own rate (22.05 kHz) and the events they carry.
unsafe extern "C" fn on_audio(wav: *mut c_short, count: c_int, events: *mut ffi::Event) -> c_int {
    ACTIVE.with_borrow_mut(|active| {
        let Some(active) = active.as_mut() else { return 1 };
        // SAFETY: espeak-ng passes an event array terminated by LIST_TERMINATED.
        unsafe {
            let mut event = events;
            while !event.is_null() && (*event).kind != ffi::EVENT_LIST_TERMINATED {
                if (*event).kind == ffi::EVENT_WORD {
                    let _ = active.events.send(SpeechEvent::Word {
                        char_start: ((*event).text_position.max(1) - 1) as usize,
                        char_len: (*event).length.max(0) as usize,
                        audio_s: (*event).audio_position as f32 / 1000.0,
                    });
                }
                event = event.add(1);
            }
        }
        if !wav.is_null() && count > 0 {
            // SAFETY: `wav` holds `count` samples for the duration of this call.
            let pcm = unsafe { std::slice::from_raw_parts(wav, count as usize) };
            active.input.clear();
            active.input.extend(pcm.iter().map(|s| *s as f32 / 32768.0));
            let mut output = std::mem::take(&mut active.output);
            output.clear();
            active.resampler.push(&active.input, &mut output);
            active.write(&output);
            active.output = output;
        }
        c_int::from(active.stopped)
    })
}
