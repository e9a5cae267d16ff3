//! The engine's two halves: [`AudioControl`] for the app's threads and [`Renderer`] for the audio callback.
//!
//! They share nothing but lock-free queues: commands and new voices go to
//! the renderer through one ring, finished voices come back through another
//! (so their buffers are freed on the control side, never in the callback),
//! and the head pose travels through a triple buffer, of which the callback
//! always reads the newest.

use super::convolver::{BLOCK_FRAMES, DelayLine, SILENT_SPECTRUM, Spectrum, SpectrumPlan};
use super::hrtf::{GridDirection, HrtfError, HrtfSet};
use super::mix::{Limiter, MixSettings};
use super::voice::{Bus, Placement, Pose, StreamState, VoiceFeed, VoiceId};
use glam::Vec3;
use rtrb::{Consumer, Producer, RingBuffer};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The engine's fixed sample rate.
pub const SAMPLE_RATE_HZ: u32 = 48_000;

/// How the engine is sized; everything is allocated once, up front.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Voices that can play at once.
    pub voices: usize,
    /// Each voice's sample ring, in frames (1 s by default).
    pub ring_frames: usize,
    /// Closer than this a voice gets no louder.
    pub min_distance_m: f32,
    /// Crossfade between old and new filters when a voice or the head moves.
    /// Only A/B measurements of clicks turn this off.
    pub crossfade_filters: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            voices: 64,
            ring_frames: SAMPLE_RATE_HZ as usize,
            min_distance_m: 1.0,
            crossfade_filters: true,
        }
    }
}

/// How voices are placed in the two ears.
#[derive(Clone)]
pub enum Spatializer {
    /// Binaural rendering through measured head-related transfer functions.
    Hrtf(Arc<HrtfSet>),
    /// Constant-power stereo panning: the fallback when no usable HRTF set exists.
    Panning,
}

impl Spatializer {
    /// The HRTF set in `sofa_file` (or the MIT KEMAR default); when it cannot
    /// be used, stereo panning and the reason, for the caller to announce.
    pub fn load_or_panning(sofa_file: Option<&std::path::Path>) -> (Self, Option<HrtfError>) {
        let loaded = match sofa_file {
            Some(path) => HrtfSet::load(path, SAMPLE_RATE_HZ),
            None => HrtfSet::load_default(SAMPLE_RATE_HZ),
        };
        match loaded {
            Ok(set) => (Self::Hrtf(Arc::new(set)), None),
            Err(error) => (Self::Panning, Some(error)),
        }
    }

    /// A short description for logs and reports.
    pub fn describe(&self) -> String {
        match self {
            Self::Hrtf(set) => match set.notice() {
                Some(notice) => format!("HRTF from {} ({notice})", set.source().display()),
                None => format!("HRTF from {}", set.source().display()),
            },
            Self::Panning => "stereo panning (no HRTF)".into(),
        }
    }
}

impl std::fmt::Debug for Spatializer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Why a voice could not start.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AudioError {
    #[error("all {0} voices are playing; stop one or raise the voice count")]
    NoFreeVoice(usize),
    #[error("the audio renderer is not taking commands (is the audio callback running?)")]
    CommandQueueFull,
}

/// Counters the renderer keeps; read them from any thread.
#[derive(Debug, Default)]
pub struct EngineStats {
    pub(crate) blocks: AtomicU64,
    pub(crate) starved_frames: AtomicU64,
    pub(crate) underruns: AtomicU64,
    pub(crate) limited_blocks: AtomicU64,
    pub(crate) non_finite_samples: AtomicU64,
}

/// A snapshot of [`EngineStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatsSnapshot {
    pub blocks: u64,
    /// Frames a playing voice needed but its producer had not delivered yet.
    pub starved_frames: u64,
    /// Blocks the device played late (an xrun) or the renderer finished after its deadline.
    pub underruns: u64,
    pub limited_blocks: u64,
    /// NaN or infinite samples that producers wrote into voices, played as silence.
    pub non_finite_samples: u64,
}

impl EngineStats {
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            blocks: self.blocks.load(Ordering::Relaxed),
            starved_frames: self.starved_frames.load(Ordering::Relaxed),
            underruns: self.underruns.load(Ordering::Relaxed),
            limited_blocks: self.limited_blocks.load(Ordering::Relaxed),
            non_finite_samples: self.non_finite_samples.load(Ordering::Relaxed),
        }
    }

    /// Called by backends when the device reports an xrun or a block is late.
    pub fn count_underrun(&self) {
        self.underruns.fetch_add(1, Ordering::Relaxed);
    }
}

/// A voice's samples on their way into the callback, and back out when it ends.
struct VoiceStream {
    id: VoiceId,
    consumer: Consumer<f32>,
    state: Arc<StreamState>,
}

enum Command {
    Start { stream: VoiceStream, bus: Bus, placement: Placement, gain: f32 },
    Move { id: VoiceId, placement: Placement },
    Stop { id: VoiceId },
    Mix(MixSettings),
}

/// Builds both halves of an engine.
pub fn engine(config: EngineConfig, spatializer: Spatializer) -> (AudioControl, Renderer) {
    let (commands_in, commands_out) = RingBuffer::new(config.voices * 4 + 64);
    let (retired_in, retired_out) = RingBuffer::new(config.voices + 1);
    let (pose_in, pose_out) = triple_buffer::triple_buffer(&Pose::default());
    let stats = Arc::new(EngineStats::default());
    let partitions = match &spatializer {
        Spatializer::Hrtf(set) => set.partitions(),
        Spatializer::Panning => 1,
    };
    let renderer = Renderer {
        voices: (0..config.voices).map(|_| VoiceState::new(partitions)).collect(),
        commands: commands_out,
        retired: retired_in,
        pose: pose_out,
        spatializer,
        plan: SpectrumPlan::new(),
        bus_spectra: [[SILENT_SPECTRUM; 2]; 2],
        bus_static: [false; 2],
        bus_time: [[[0.0; BLOCK_FRAMES]; 2]; 2],
        voice_input: [0.0; BLOCK_FRAMES],
        voice_spectra: [SILENT_SPECTRUM; 2],
        // A raised-cosine fade: smooth at both ends, so the switch itself adds no edge.
        fade_in: std::array::from_fn(|i| {
            0.5 - 0.5 * (std::f32::consts::PI * (i + 1) as f32 / BLOCK_FRAMES as f32).cos()
        }),
        mix: MixSettings::default(),
        limiter: Limiter::default(),
        block_out: [0.0; 2 * BLOCK_FRAMES],
        block_cursor: 2 * BLOCK_FRAMES,
        min_distance_m: config.min_distance_m,
        crossfade_filters: config.crossfade_filters,
        stats: stats.clone(),
    };
    let control = AudioControl {
        commands: commands_in,
        retired: retired_out,
        pose: pose_in,
        busy: vec![None; config.voices],
        next_generation: 0,
        ring_frames: config.ring_frames,
        stats,
    };
    (control, renderer)
}

/// The app's side of the engine: starts, moves and stops voices, and sets the head pose.
pub struct AudioControl {
    commands: Producer<Command>,
    retired: Consumer<VoiceStream>,
    pose: triple_buffer::Input<Pose>,
    /// The voice playing in each slot, until the renderer hands the slot back.
    busy: Vec<Option<(VoiceId, Arc<StreamState>)>>,
    next_generation: u32,
    ring_frames: usize,
    stats: Arc<EngineStats>,
}

impl AudioControl {
    /// Starts a voice; write its samples into the returned feed.
    pub fn play(&mut self, bus: Bus, placement: Placement, gain: f32) -> Result<VoiceFeed, AudioError> {
        self.collect_retired();
        let slot =
            self.busy.iter().position(Option::is_none).ok_or(AudioError::NoFreeVoice(self.busy.len()))?;
        if self.commands.is_full() {
            return Err(AudioError::CommandQueueFull);
        }
        self.next_generation = self.next_generation.wrapping_add(1);
        let id = VoiceId { slot: slot as u16, generation: self.next_generation };
        let (producer, consumer) = RingBuffer::new(self.ring_frames);
        let state = Arc::new(StreamState::default());
        let stream = VoiceStream { id, consumer, state: state.clone() };
        if self.commands.push(Command::Start { stream, bus, placement, gain }).is_err() {
            return Err(AudioError::CommandQueueFull);
        }
        self.busy[slot] = Some((id, state.clone()));
        Ok(VoiceFeed { id, producer, state, stats: self.stats.clone() })
    }

    /// Moves a playing voice; the renderer crossfades to the new direction.
    pub fn move_voice(&mut self, id: VoiceId, placement: Placement) {
        let _ = self.commands.push(Command::Move { id, placement });
    }

    /// Stops a voice with a short fade; its feed reports [`VoiceFeed::is_stopped`] at once.
    pub fn stop(&mut self, id: VoiceId) {
        if let Some(Some((playing, state))) = self.busy.get(id.slot as usize)
            && *playing == id
        {
            state.stopped.store(true, Ordering::Release);
        }
        let _ = self.commands.push(Command::Stop { id });
    }

    pub fn set_mix(&mut self, mix: MixSettings) {
        let _ = self.commands.push(Command::Mix(mix));
    }

    /// The listener's head, `world_from_head`; the callback picks up the newest.
    pub fn set_head_pose(&mut self, world_from_head: Pose) {
        self.pose.write(world_from_head);
    }

    /// Whether a voice is still playing (or waiting for its first samples).
    pub fn is_playing(&mut self, id: VoiceId) -> bool {
        self.collect_retired();
        self.busy[id.slot as usize].as_ref().is_some_and(|(playing, _)| *playing == id)
    }

    /// For offline rendering that must not outrun its producers (the
    /// simulator renders faster than speech is synthesized): waits until
    /// every playing voice that is not live has `frames` frames ready or has ended. Returns
    /// false if `timeout` passed first.
    pub fn wait_for_producers(&mut self, frames: usize, timeout: std::time::Duration) -> bool {
        self.collect_retired();
        let deadline = std::time::Instant::now() + timeout;
        for (_, state) in self.busy.iter().flatten() {
            loop {
                let ended = state.ended.load(Ordering::Acquire)
                    || state.stopped.load(Ordering::Acquire)
                    || state.live.load(Ordering::Acquire);
                let buffered = state
                    .written_frames
                    .load(Ordering::Acquire)
                    .saturating_sub(state.played_frames.load(Ordering::Acquire));
                if ended || buffered >= frames as u64 {
                    break;
                }
                if std::time::Instant::now() > deadline {
                    return false;
                }
                std::thread::sleep(std::time::Duration::from_micros(500));
            }
        }
        true
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// Frees the slots of voices the renderer has finished; their rings are dropped here.
    fn collect_retired(&mut self) {
        while let Ok(stream) = self.retired.pop() {
            let slot = &mut self.busy[stream.id.slot as usize];
            if slot.as_ref().is_some_and(|(playing, _)| *playing == stream.id) {
                *slot = None;
            }
        }
    }
}

/// One slot of the renderer's preallocated voice pool.
struct VoiceState {
    stream: Option<VoiceStream>,
    bus: Bus,
    placement: Placement,
    gain: f32,
    applied_gain: f32,
    heard_first_sample: bool,
    /// The filter direction of the last block; `None` before the first.
    direction: Option<GridDirection>,
    /// The panning gains of the last block; `None` before the first.
    pan: Option<[f32; 2]>,
    line: DelayLine,
    /// Blocks of filter tail still to play after the input ended.
    tail_blocks: usize,
    /// Stop was asked for: this block fades the voice out.
    stopping: bool,
    /// The fade-out is done; further input is silenced.
    faded_out: bool,
}

impl VoiceState {
    fn new(partitions: usize) -> Self {
        Self {
            stream: None,
            bus: Bus::Speech,
            placement: Placement::Head(Vec3::NEG_Z),
            gain: 1.0,
            applied_gain: 0.0,
            heard_first_sample: false,
            direction: None,
            pan: None,
            line: DelayLine::new(partitions),
            tail_blocks: partitions,
            stopping: false,
            faded_out: false,
        }
    }

    /// Reuses the slot for a new voice, keeping its buffers.
    fn restart(&mut self, bus: Bus, placement: Placement, gain: f32) {
        (self.bus, self.placement, self.gain) = (bus, placement, gain);
        self.heard_first_sample = false;
        self.direction = None;
        self.pan = None;
        self.line.clear();
        self.tail_blocks = self.line.partitions();
        self.stopping = false;
        self.faded_out = false;
    }

    fn is_first_block(&self) -> bool {
        self.direction.is_none() && self.pan.is_none()
    }
}

/// The audio callback's side: renders the mix, one block at a time, without allocating or locking.
pub struct Renderer {
    voices: Vec<VoiceState>,
    commands: Consumer<Command>,
    retired: Producer<VoiceStream>,
    pose: triple_buffer::Output<Pose>,
    spatializer: Spatializer,
    plan: SpectrumPlan,
    /// Per bus and ear: the summed spectra of voices whose filter did not change this block.
    bus_spectra: [[Spectrum; 2]; 2],
    bus_static: [bool; 2],
    bus_time: [[[f32; BLOCK_FRAMES]; 2]; 2],
    voice_input: [f32; BLOCK_FRAMES],
    voice_spectra: [Spectrum; 2],
    fade_in: [f32; BLOCK_FRAMES],
    mix: MixSettings,
    limiter: Limiter,
    /// The last rendered block, interleaved, and how much of it was handed out.
    block_out: [f32; 2 * BLOCK_FRAMES],
    block_cursor: usize,
    min_distance_m: f32,
    crossfade_filters: bool,
    stats: Arc<EngineStats>,
}

impl Renderer {
    /// Fills an interleaved stereo buffer of any length; this is the whole audio callback.
    pub fn process(&mut self, out: &mut [f32]) {
        let mut written = 0;
        while written < out.len() {
            if self.block_cursor == self.block_out.len() {
                self.render_block();
                self.block_cursor = 0;
            }
            let n = (out.len() - written).min(self.block_out.len() - self.block_cursor);
            out[written..written + n]
                .copy_from_slice(&self.block_out[self.block_cursor..self.block_cursor + n]);
            written += n;
            self.block_cursor += n;
        }
    }

    pub fn stats(&self) -> Arc<EngineStats> {
        self.stats.clone()
    }

    /// Renders exactly one block into `block_out`.
    fn render_block(&mut self) {
        self.apply_commands();
        let pose = *self.pose.read();
        for bus in 0..2 {
            self.bus_time[bus] = [[0.0; BLOCK_FRAMES]; 2];
            self.bus_spectra[bus] = [SILENT_SPECTRUM; 2];
            self.bus_static[bus] = false;
        }
        for index in 0..self.voices.len() {
            if self.voices[index].stream.is_some() {
                self.render_voice(index, &pose);
            }
        }
        for bus in 0..2 {
            if self.bus_static[bus] {
                for ear in 0..2 {
                    self.plan.add_inverse(&self.bus_spectra[bus][ear], &mut self.bus_time[bus][ear], 1.0);
                }
            }
        }
        self.mix_down();
        self.stats.blocks.fetch_add(1, Ordering::Relaxed);
    }

    fn apply_commands(&mut self) {
        while let Ok(command) = self.commands.pop() {
            match command {
                Command::Start { stream, bus, placement, gain } => {
                    let voice = &mut self.voices[stream.id.slot as usize];
                    if let Some(previous) = voice.stream.replace(stream) {
                        let _ = self.retired.push(previous);
                    }
                    voice.restart(bus, placement, gain);
                }
                Command::Move { id, placement } => {
                    if let Some(voice) = self.voice_mut(id) {
                        voice.placement = placement;
                    }
                }
                Command::Stop { id } => {
                    if let Some(voice) = self.voice_mut(id) {
                        voice.stopping = true;
                    }
                }
                Command::Mix(mix) => self.mix = mix,
            }
        }
    }

    fn voice_mut(&mut self, id: VoiceId) -> Option<&mut VoiceState> {
        let voice = self.voices.get_mut(id.slot as usize)?;
        (voice.stream.as_ref().map(|s| s.id) == Some(id)).then_some(voice)
    }

    fn render_voice(&mut self, index: usize, pose: &Pose) {
        let voice = &mut self.voices[index];
        let Some(stream) = voice.stream.as_mut() else { return };
        let ended = stream.state.ended.load(Ordering::Acquire);
        // Once the input is over (or faded out), only the filter's tail still plays.
        let input_done = voice.faded_out || (ended && stream.consumer.is_empty());
        let available = stream.consumer.slots().min(BLOCK_FRAMES);
        self.voice_input.fill(0.0);
        if let Ok(chunk) = stream.consumer.read_chunk(available) {
            let (first, second) = chunk.as_slices();
            self.voice_input[..first.len()].copy_from_slice(first);
            self.voice_input[first.len()..available].copy_from_slice(second);
            chunk.commit_all();
        }
        stream.state.played_frames.fetch_add(available as u64, Ordering::Release);
        voice.heard_first_sample |= available > 0;
        if available < BLOCK_FRAMES && !ended && voice.heard_first_sample {
            self.stats.starved_frames.fetch_add((BLOCK_FRAMES - available) as u64, Ordering::Relaxed);
        }

        let head_point = pose.head_from(voice.placement);
        let distance_m = head_point.length();
        let target_gain = if voice.stopping {
            0.0
        } else {
            voice.gain * self.min_distance_m / distance_m.max(self.min_distance_m)
        };
        if voice.is_first_block() {
            voice.applied_gain = target_gain;
        }
        let step = (target_gain - voice.applied_gain) / BLOCK_FRAMES as f32;
        for (i, s) in self.voice_input.iter_mut().enumerate() {
            *s *= voice.applied_gain + step * (i + 1) as f32;
        }
        voice.applied_gain = target_gain;
        voice.faded_out = voice.stopping;
        let head_dir = if distance_m > 1e-4 { head_point } else { Vec3::NEG_Z };
        let bus = match voice.bus {
            Bus::Speech => 0,
            Bus::Scene => 1,
        };

        match &self.spatializer {
            Spatializer::Hrtf(set) => {
                let target = set.nearest(head_dir);
                voice.line.push(&self.voice_input, &mut self.plan);
                let current = voice.direction.unwrap_or(target);
                if current == target || !self.crossfade_filters {
                    for ear in 0..2 {
                        voice.line.accumulate(&set.filters(target)[ear], &mut self.bus_spectra[bus][ear]);
                    }
                    self.bus_static[bus] = true;
                } else {
                    for ear in 0..2 {
                        let [old, new] = &mut self.voice_spectra;
                        *old = SILENT_SPECTRUM;
                        *new = SILENT_SPECTRUM;
                        voice.line.accumulate(&set.filters(current)[ear], old);
                        voice.line.accumulate(&set.filters(target)[ear], new);
                        self.plan.add_crossfade(old, new, &self.fade_in, &mut self.bus_time[bus][ear]);
                    }
                }
                voice.direction = Some(target);
            }
            Spatializer::Panning => {
                let target = panning_gains(head_dir);
                let start = voice.pan.unwrap_or(target);
                for ear in 0..2 {
                    for ((o, s), f) in
                        self.bus_time[bus][ear].iter_mut().zip(&self.voice_input).zip(&self.fade_in)
                    {
                        *o += s * (start[ear] + (target[ear] - start[ear]) * f);
                    }
                }
                voice.pan = Some(target);
            }
        }

        if input_done {
            // Let the filter's tail ring out before the slot is freed.
            voice.tail_blocks = voice.tail_blocks.saturating_sub(1);
        }
        if input_done
            && voice.tail_blocks == 0
            && let Some(stream) = voice.stream.take()
        {
            // The ring has room for every voice, so this cannot fail; if it
            // somehow did, dropping here would only cost an allocator call.
            let _ = self.retired.push(stream);
        }
    }

    fn mix_down(&mut self) {
        let [speech, scene] = &self.bus_time;
        let mut left = [0.0; BLOCK_FRAMES];
        let mut right = [0.0; BLOCK_FRAMES];
        for i in 0..BLOCK_FRAMES {
            left[i] = speech[0][i] * self.mix.speech_volume + scene[0][i] * self.mix.scene_volume;
            right[i] = speech[1][i] * self.mix.speech_volume + scene[1][i] * self.mix.scene_volume;
        }
        if self.mix.mono {
            for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                let m = 0.5 * (*l + *r);
                (*l, *r) = (m, m);
            }
        }
        let [gain_l, gain_r] = self.mix.ear_gains();
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            *l *= gain_l;
            *r *= gain_r;
        }
        let limited_before = self.limiter.engaged_blocks();
        self.limiter.process(&mut left, &mut right);
        if self.limiter.engaged_blocks() > limited_before {
            self.stats.limited_blocks.fetch_add(1, Ordering::Relaxed);
        }
        for (i, frame) in self.block_out.chunks_exact_mut(2).enumerate() {
            frame[0] = left[i];
            frame[1] = right[i];
        }
    }
}

/// Constant-power stereo gains (left, right) for a head-relative direction.
fn panning_gains(head_dir: Vec3) -> [f32; 2] {
    let lateral = (-head_dir.x / head_dir.length().max(1e-6)).clamp(-1.0, 1.0); // +1 = left
    let angle = (lateral + 1.0) * std::f32::consts::FRAC_PI_4; // 0 = right, π/2 = left
    [angle.sin(), angle.cos()]
}
