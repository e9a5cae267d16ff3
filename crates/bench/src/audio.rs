//! `bench audio`: the spatial audio engine's cost and latencies, with the MIT KEMAR HRTF set.

use crate::measurement::{Goal, Measurement, percentile};
use allverse_core::placement::direction_from_yaw_pitch_deg;
use allverse_pipeline::audio::{
    self, AudioControl, BLOCK_FRAMES, Bus, EngineConfig, HrtfSet, Placement, Pose, Renderer, SAMPLE_RATE_HZ,
    Spatializer, VoiceFeed, offline,
};
use allverse_speech::{Espeak, Speaker, SpeechKind, Synthesizer, Utterance, VoiceParams};
use anyhow::Result;
use glam::Quat;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BLOCK_PERIOD_S: f64 = BLOCK_FRAMES as f64 / SAMPLE_RATE_HZ as f64;

pub fn run() -> Result<Vec<Measurement>> {
    let set = Arc::new(HrtfSet::load_default(SAMPLE_RATE_HZ)?);
    println!(
        "[bench] HRTF {}: {} taps at 48 kHz, {} partitions",
        set.source().display(),
        set.filter_len(),
        set.partitions()
    );
    let mut out = Vec::new();
    let moving = voices_per_core(&set, true);
    let still = voices_per_core(&set, false);
    out.push(Measurement::new(
        "moving spatial voices per core (128-frame blocks)",
        moving,
        "voices",
        Goal::AtLeast,
        250.0,
    ));
    out.push(Measurement::new(
        "static spatial voices per core (128-frame blocks)",
        still,
        "voices",
        Goal::AtLeast,
        500.0,
    ));
    let p999_us = callback_p999_us(&set, 32);
    out.push(Measurement::new(
        "callback time, 32 moving voices, p99.9",
        p999_us / (BLOCK_PERIOD_S * 1e6) * 100.0,
        "% block",
        Goal::AtMost,
        10.0,
    ));
    out.push(Measurement::new(
        "head turn -> new filter fully heard (worst)",
        head_turn_latency_ms(&set),
        "ms",
        Goal::AtMost,
        2.0 * BLOCK_PERIOD_S * 1e3,
    ));
    out.push(Measurement::new(
        "text submitted -> first spatialized sample, p95",
        speech_latency_p95_ms(&set)?,
        "ms",
        Goal::AtMost,
        20.0,
    ));
    let (underruns, allocations) = ten_minute_session(&set);
    out.push(Measurement::new(
        "10-minute session at 128 frames: underruns",
        underruns as f64,
        "blocks",
        Goal::AtMost,
        0.0,
    ));
    out.push(Measurement::new(
        "10-minute session at 128 frames: allocations",
        allocations as f64,
        "in callback",
        Goal::AtMost,
        0.0,
    ));
    Ok(out)
}

/// Voices that keep streaming a noise-like signal for as long as the benchmark runs.
struct Load {
    feeds: Vec<VoiceFeed>,
    chunk: Vec<f32>,
}

impl Load {
    fn start(control: &mut AudioControl, voices: usize) -> Self {
        let feeds = (0..voices)
            .map(|i| {
                control
                    .play(
                        Bus::Scene,
                        Placement::Head(direction_from_yaw_pitch_deg(i as f32 * 7.0, 0.0) * 2.0),
                        0.05,
                    )
                    .expect("engine sized for the load")
            })
            .collect();
        let chunk = (0..BLOCK_FRAMES).map(|i| ((i * 7919) % 255) as f32 / 255.0 - 0.5).collect();
        Self { feeds, chunk }
    }

    /// Tops every voice up by a block; when `moving`, each turns 1° so every block switches filters.
    fn step(&mut self, control: &mut AudioControl, block: usize, moving: bool) {
        for (i, feed) in self.feeds.iter_mut().enumerate() {
            feed.write(&self.chunk);
            if moving {
                // 5° per block: every voice lands on a new grid direction every block.
                let azimuth = (i * 7 + block * 5) as f32;
                control
                    .move_voice(feed.id(), Placement::Head(direction_from_yaw_pitch_deg(azimuth, 0.0) * 2.0));
            }
        }
    }
}

pub fn engine_for(set: &Arc<HrtfSet>, voices: usize) -> (AudioControl, Renderer) {
    audio::engine(EngineConfig { voices, ..Default::default() }, Spatializer::Hrtf(set.clone()))
}

/// Render time per block for `count` voices, in seconds (median of timed blocks).
fn block_times_s(set: &Arc<HrtfSet>, count: usize, moving: bool, blocks: usize) -> Vec<f64> {
    let (mut control, mut renderer) = engine_for(set, count);
    let mut load = Load::start(&mut control, count);
    let mut buffer = vec![0.0; 2 * BLOCK_FRAMES];
    let mut times = Vec::with_capacity(blocks);
    for block in 0..blocks + 20 {
        load.step(&mut control, block, moving);
        let start = Instant::now();
        renderer.process(&mut buffer);
        if block >= 20 {
            times.push(start.elapsed().as_secs_f64());
        }
    }
    times
}

fn voices_per_core(set: &Arc<HrtfSet>, moving: bool) -> f64 {
    let count = 128;
    let mut times = block_times_s(set, count, moving, 2000);
    let median = percentile(&mut times, 50.0);
    count as f64 * BLOCK_PERIOD_S / median
}

fn callback_p999_us(set: &Arc<HrtfSet>, voices: usize) -> f64 {
    let mut times = block_times_s(set, voices, true, 20_000);
    percentile(&mut times, 99.9) * 1e6
}

/// Worst time from a head pose arriving to the output being exactly what the
/// new direction gives, with poses arriving at every phase of a block.
fn head_turn_latency_ms(set: &Arc<HrtfSet>) -> f64 {
    const DEVICE_FRAMES: usize = 32; // poses land between 32-frame device callbacks
    let input: Vec<f32> =
        (0..SAMPLE_RATE_HZ as usize / 2).map(|i| ((i * 7919) % 1013) as f32 / 1013.0 - 0.5).collect();
    let render = |turn_at: Option<usize>| -> Vec<f32> {
        let (mut control, mut renderer) = engine_for(set, 1);
        let mut feed = control
            .play(Bus::Speech, Placement::World(direction_from_yaw_pitch_deg(90.0, 0.0)), 0.5)
            .unwrap();
        feed.write(&input);
        let mut out = Vec::new();
        let turned = Pose { orientation: Quat::from_rotation_y(90f32.to_radians()), ..Default::default() };
        if turn_at == Some(0) {
            control.set_head_pose(turned);
        }
        while out.len() < input.len() {
            if turn_at == Some(out.len() / 2) {
                control.set_head_pose(turned);
            }
            offline::render_into(&mut renderer, DEVICE_FRAMES, &mut out);
        }
        out
    };
    let reference = render(Some(0)); // facing the source from the start
    let mut worst_frames = 0;
    for phase in 0..BLOCK_FRAMES / DEVICE_FRAMES {
        let turn_frame = 40 * BLOCK_FRAMES + phase * DEVICE_FRAMES;
        let turned = render(Some(turn_frame));
        let last_different = (turn_frame..input.len() / 2)
            .rev()
            .find(|f| (0..2).any(|ear| (turned[2 * f + ear] - reference[2 * f + ear]).abs() > 1e-6))
            .map_or(turn_frame, |f| f + 1);
        worst_frames = worst_frames.max(last_different - turn_frame);
    }
    worst_frames as f64 * 1e3 / SAMPLE_RATE_HZ as f64
}

/// Text handed to the speaker → the first sample of that voice out of the
/// mixer, with the renderer paced like a device on its own thread.
fn speech_latency_p95_ms(set: &Arc<HrtfSet>) -> Result<f64> {
    let (mut control, renderer) = engine_for(set, 8);
    let device = PacedDevice::start(renderer);
    let heard = &device.onsets;
    let params = VoiceParams::from(&allverse_core::profile::SpeechSettings::default());
    let mut speaker = Speaker::new(Synthesizer::Espeak { espeak: Espeak::shared()?, params });
    let messages = [
        "Ana says hello.",
        "The talk begins now.",
        "Door opening on your left.",
        "Menu, button, one of five.",
    ];
    let mut latencies_ms = Vec::new();
    for round in 0..40 {
        let text = messages[round % messages.len()];
        // Onsets heard during the previous message (speech pauses between words) are stale.
        heard.try_iter().for_each(drop);
        let submitted = Instant::now();
        let utterance = Utterance {
            text: text.into(),
            kind: SpeechKind::Chat,
            placement: Placement::Head(direction_from_yaw_pitch_deg(30.0, 0.0)),
            source: "bench".into(),
        };
        speaker.say(utterance, &mut control, 0.0)?;
        let first = heard.recv_timeout(Duration::from_secs(5))?;
        latencies_ms.push((first - submitted).as_secs_f64() * 1e3);
        while !speaker.is_idle() {
            speaker.update(&mut control, 0.0);
            std::thread::sleep(Duration::from_millis(5));
        }
        // Let the filter tail die away so the next onset is seen from silence.
        std::thread::sleep(Duration::from_millis(30));
    }
    Ok(percentile(&mut latencies_ms, 95.0))
}

/// A renderer played on its own thread at a sound device's pace, telling
/// when sound starts after silence (the instant its first block was rendered).
pub struct PacedDevice {
    /// One instant for each onset of sound.
    pub onsets: mpsc::Receiver<Instant>,
    running: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PacedDevice {
    pub fn start(mut renderer: Renderer) -> Self {
        let (first_sound, onsets) = mpsc::channel::<Instant>();
        let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let keep_running = running.clone();
        let thread = std::thread::spawn(move || {
            let mut buffer = vec![0.0f32; 2 * BLOCK_FRAMES];
            let mut next = Instant::now();
            let mut was_silent = true;
            while keep_running.load(std::sync::atomic::Ordering::Relaxed) {
                renderer.process(&mut buffer);
                let silent = buffer.iter().all(|s| *s == 0.0);
                if was_silent && !silent {
                    let _ = first_sound.send(Instant::now());
                }
                was_silent = silent;
                next += Duration::from_secs_f64(BLOCK_PERIOD_S);
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
        });
        Self { onsets, running, thread: Some(thread) }
    }
}

impl Drop for PacedDevice {
    fn drop(&mut self) {
        self.running.store(false, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Ten minutes of a busy session rendered block by block: 16 voices moving,
/// voices starting and ending, the head turning. Counts blocks whose
/// rendering needed more CPU time than their period (each would underrun a
/// device) and allocations inside the callback.
fn ten_minute_session(set: &Arc<HrtfSet>) -> (u64, u64) {
    let (mut control, mut renderer) = engine_for(set, 64);
    let mut load = Load::start(&mut control, 16);
    let mut buffer = vec![0.0; 2 * BLOCK_FRAMES];
    let blocks = (600.0 / BLOCK_PERIOD_S) as usize;
    let before = assert_no_alloc::violation_count();
    let (mut late, mut delayed) = (0u64, 0u64);
    let (mut slowest_cpu_s, mut slowest_wall_s) = (0.0f64, 0.0f64);
    for block in 0..blocks {
        load.step(&mut control, block, true);
        if block % 375 == 0 {
            // Every second one voice ends and another starts.
            let ended = load.feeds.remove(0);
            drop(ended);
            load.feeds.push(
                control
                    .play(Bus::Speech, Placement::Head(direction_from_yaw_pitch_deg(block as f32, 0.0)), 0.05)
                    .unwrap(),
            );
        }
        control.set_head_pose(Pose {
            orientation: Quat::from_rotation_y(block as f32 * 0.002),
            ..Default::default()
        });
        let (start, start_cpu_s) = (Instant::now(), thread_cpu_s());
        assert_no_alloc::assert_no_alloc(|| renderer.process(&mut buffer));
        let (cpu_s, wall_s) = (thread_cpu_s() - start_cpu_s, start.elapsed().as_secs_f64());
        (slowest_cpu_s, slowest_wall_s) = (slowest_cpu_s.max(cpu_s), slowest_wall_s.max(wall_s));
        late += u64::from(cpu_s > BLOCK_PERIOD_S);
        delayed += u64::from(wall_s > BLOCK_PERIOD_S && cpu_s <= BLOCK_PERIOD_S);
    }
    println!(
        "[bench] {blocks} blocks: slowest {:.3} ms of CPU, {:.3} ms wall-clock (period {:.3} ms); {delayed} blocks were late only because the machine paused the thread",
        slowest_cpu_s * 1e3,
        slowest_wall_s * 1e3,
        BLOCK_PERIOD_S * 1e3
    );
    (late + control.stats().underruns, u64::from(assert_no_alloc::violation_count() - before))
}

/// CPU time this thread has used, in seconds. Unlike wall-clock time it
/// does not count time the thread was preempted, which on a shared virtual
/// machine includes stalls of tens of milliseconds no audio code can avoid.
fn thread_cpu_s() -> f64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: writes only `now`.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    now.tv_sec as f64 + now.tv_nsec as f64 * 1e-9
}
