//! How much CPU time Allverse's own systems take in each headset frame.
//!
//! Every Allverse feature runs its per-frame systems in Bevy's `Update`
//! schedule, and the panels and interpreter panel lay themselves out in
//! `PostUpdate`. Stopwatch schedules just before and after each of the two
//! time them, for the frames the runtime paces (while the session runs).
//! Waiting for the runtime (`xrWaitFrame`), Bevy's render extraction and the
//! GPU work fall outside both.
//!
//! Two figures are kept per frame. *CPU time* is what the systems cost: the
//! sum of the per-thread CPU clocks (`pthread_getcpuclockid`) of every thread
//! that runs systems (the frame thread and Bevy's compute pool, whose
//! threads register as they start), so time spent preempted by recognition
//! workers does not count. *Wall time* is how long the frame waited for them,
//! preemption included. The figures go into the report's `xr` section;
//! `cargo xtask bench xr` reads them from there.

use bevy::app::MainScheduleOrder;
use bevy::ecs::schedule::ScheduleLabel;
use bevy::prelude::*;
use bevy_mod_xr::session::XrState;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::time::Instant;

/// The most compute-pool threads whose clocks are kept (Bevy makes one per core left over).
const MAX_COMPUTE_THREADS: usize = 64;
/// A slot no thread has filled yet (clock ids are small non-negative numbers or negative thread clocks).
const NO_CLOCK: i32 = i32::MIN;

/// The CPU clocks of Bevy's compute-pool threads, registered by each as it starts.
/// Atomics, so that the frame thread reads them without taking a lock.
static COMPUTE_THREAD_CLOCKS: [AtomicI32; MAX_COMPUTE_THREADS] =
    [const { AtomicI32::new(NO_CLOCK) }; MAX_COMPUTE_THREADS];
static COMPUTE_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Where the stopwatch starts and stops in each frame.
#[derive(ScheduleLabel, Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Stopwatch {
    UpdateBegins,
    UpdateDone,
    PostUpdateBegins,
    PostUpdateDone,
}

/// A reading of both clocks at the start of a schedule.
#[derive(Clone, Copy)]
struct Reading {
    wall: Instant,
    cpu_ms: f64,
}

/// The times measured so far, one sample per frame of the running session, in milliseconds.
#[derive(Resource, Default)]
pub struct SystemsTiming {
    /// The clock of the thread that runs the schedules' executor.
    frame_thread_clock: Option<libc::clockid_t>,
    started: Option<Reading>,
    this_update_cpu_ms: f32,
    this_update_wall_ms: f32,
    /// CPU time of the `Update` schedule alone.
    pub update_cpu_ms: Vec<f32>,
    /// CPU time of `Update` and `PostUpdate` together: every Allverse system in the frame.
    pub systems_cpu_ms: Vec<f32>,
    /// Wall time of `Update` and `PostUpdate` together, time spent preempted included.
    pub systems_wall_ms: Vec<f32>,
}

/// Times Allverse's systems in each frame of a running headset session.
///
/// Add it after [`task_pool_plugin`] replaced Bevy's default task pools, or
/// the compute pool's threads are not counted.
pub struct SystemsTimingPlugin;

impl Plugin for SystemsTimingPlugin {
    fn build(&self, app: &mut App) {
        {
            let mut order = app.world_mut().resource_mut::<MainScheduleOrder>();
            order.insert_before(Update, Stopwatch::UpdateBegins);
            order.insert_after(Update, Stopwatch::UpdateDone);
            order.insert_before(PostUpdate, Stopwatch::PostUpdateBegins);
            order.insert_after(PostUpdate, Stopwatch::PostUpdateDone);
        }
        // `build` runs on the thread that runs the schedules' executor.
        app.insert_resource(SystemsTiming { frame_thread_clock: this_thread_clock(), ..default() })
            .add_systems(Stopwatch::UpdateBegins, start)
            .add_systems(Stopwatch::UpdateDone, stop_update)
            .add_systems(Stopwatch::PostUpdateBegins, start)
            .add_systems(Stopwatch::PostUpdateDone, stop_frame);
    }
}

/// Bevy's task pools as by default, with every compute thread registering its CPU clock.
pub fn task_pool_plugin() -> TaskPoolPlugin {
    let mut options = TaskPoolOptions::default();
    options.compute.on_thread_spawn = Some(Arc::new(|| {
        let slot = COMPUTE_THREADS.fetch_add(1, Ordering::AcqRel);
        if let (Some(clock), Some(stored)) = (this_thread_clock(), COMPUTE_THREAD_CLOCKS.get(slot)) {
            stored.store(clock, Ordering::Release);
        }
    }));
    TaskPoolPlugin { task_pool_options: options }
}

/// The calling thread's CPU-time clock, where the system gives one.
fn this_thread_clock() -> Option<libc::clockid_t> {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: `pthread_self` is always valid for the calling thread and `clock` is a valid out-pointer.
    let status = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) };
    (status == 0).then_some(clock)
}

/// CPU time consumed so far by the frame thread and the compute pool's threads, in milliseconds.
fn cpu_ms(frame_thread_clock: Option<libc::clockid_t>) -> f64 {
    let registered = COMPUTE_THREADS.load(Ordering::Acquire).min(MAX_COMPUTE_THREADS);
    let compute_clocks =
        COMPUTE_THREAD_CLOCKS[..registered].iter().map(|clock| clock.load(Ordering::Acquire));
    frame_thread_clock
        .into_iter()
        .chain(compute_clocks.filter(|&clock| clock != NO_CLOCK))
        .map(|clock| {
            let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
            // SAFETY: `now` is a valid out-pointer; a clock of a thread that ended reads as an error and counts 0.
            if unsafe { libc::clock_gettime(clock, &mut now) } == 0 {
                now.tv_sec as f64 * 1000.0 + now.tv_nsec as f64 / 1.0e6
            } else {
                0.0
            }
        })
        .sum()
}

fn start(mut timing: ResMut<SystemsTiming>) {
    let cpu_ms = cpu_ms(timing.frame_thread_clock);
    timing.started = Some(Reading { wall: Instant::now(), cpu_ms });
}

/// CPU and wall time since the last `start`, in milliseconds.
fn elapsed_ms(timing: &mut SystemsTiming) -> (f32, f32) {
    let now_cpu_ms = cpu_ms(timing.frame_thread_clock);
    timing.started.take().map_or((0.0, 0.0), |at| {
        ((now_cpu_ms - at.cpu_ms).max(0.0) as f32, at.wall.elapsed().as_secs_f32() * 1000.0)
    })
}

fn stop_update(mut timing: ResMut<SystemsTiming>) {
    (timing.this_update_cpu_ms, timing.this_update_wall_ms) = elapsed_ms(&mut timing);
}

fn stop_frame(state: Option<Res<XrState>>, mut timing: ResMut<SystemsTiming>) {
    let (post_update_cpu_ms, post_update_wall_ms) = elapsed_ms(&mut timing);
    // Before the session runs, the loop idles and nothing is drawn: those frames are not the headset's.
    if state.is_some_and(|s| *s == XrState::Running) {
        let (update_cpu_ms, update_wall_ms) = (timing.this_update_cpu_ms, timing.this_update_wall_ms);
        timing.update_cpu_ms.push(update_cpu_ms);
        timing.systems_cpu_ms.push(update_cpu_ms + post_update_cpu_ms);
        timing.systems_wall_ms.push(update_wall_ms + post_update_wall_ms);
    }
}
