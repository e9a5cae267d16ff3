//! How much CPU time Allverse's own systems take in each headset frame.
//!
//! Every Allverse feature runs its per-frame systems in Bevy's `Update`
//! schedule, and the panels and interpreter panel lay themselves out in
//! `PostUpdate`. Stopwatch schedules just before and after each of the two
//! time them on the frame thread, for the frames the runtime paces (while
//! the session runs). Waiting for the runtime (`xrWaitFrame`), Bevy's render
//! extraction and the GPU work fall outside both. The figures go into the
//! report's `xr` section; `cargo xtask bench xr` reads them from there.

use bevy::app::MainScheduleOrder;
use bevy::ecs::schedule::ScheduleLabel;
use bevy::prelude::*;
use bevy_mod_xr::session::XrState;
use std::time::Instant;

/// Where the stopwatch starts and stops in each frame.
#[derive(ScheduleLabel, Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Stopwatch {
    UpdateBegins,
    UpdateDone,
    PostUpdateBegins,
    PostUpdateDone,
}

/// The times measured so far, one sample per frame of the running session, in milliseconds.
#[derive(Resource, Default)]
pub struct SystemsTiming {
    started: Option<Instant>,
    this_update_ms: f32,
    /// The `Update` schedule alone.
    pub update_ms: Vec<f32>,
    /// `Update` and `PostUpdate` together: every Allverse system in the frame.
    pub systems_ms: Vec<f32>,
}

/// Times Allverse's systems in each frame of a running headset session.
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
        app.init_resource::<SystemsTiming>()
            .add_systems(Stopwatch::UpdateBegins, start)
            .add_systems(Stopwatch::UpdateDone, stop_update)
            .add_systems(Stopwatch::PostUpdateBegins, start)
            .add_systems(Stopwatch::PostUpdateDone, stop_frame);
    }
}

fn start(mut timing: ResMut<SystemsTiming>) {
    timing.started = Some(Instant::now());
}

fn elapsed_ms(timing: &mut SystemsTiming) -> f32 {
    timing.started.take().map_or(0.0, |at| at.elapsed().as_secs_f32() * 1000.0)
}

fn stop_update(mut timing: ResMut<SystemsTiming>) {
    timing.this_update_ms = elapsed_ms(&mut timing);
}

fn stop_frame(state: Option<Res<XrState>>, mut timing: ResMut<SystemsTiming>) {
    let post_update_ms = elapsed_ms(&mut timing);
    // Before the session runs, the loop idles and nothing is drawn: those frames are not the headset's.
    if state.is_some_and(|s| *s == XrState::Running) {
        let update_ms = timing.this_update_ms;
        timing.update_ms.push(update_ms);
        timing.systems_ms.push(update_ms + post_update_ms);
    }
}
