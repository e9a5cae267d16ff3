//! The headset session's life: the states the runtime moves it through, the frames it asks for and gets, and how it ends.
//!
//! A session ends in one of four ways, and each gives one line to the user
//! and the same orderly shutdown (`xrRequestExitSession`, the runtime's
//! STOPPING and EXITING, the session destroyed): the scenario's time is up
//! (with `--stop-at-end`), the user quits (Ctrl+C), the runtime ends it
//! (its own quit, e.g. from a dashboard), or the runtime loses it. What
//! happened is kept in the report's `xr` section.

use crate::session::{
    ClockHold, FrameTimes, SessionClock, SessionConfig, SessionReport, XrReport, XrStateEntry,
};
use crate::xr::timing::SystemsTiming;
use allverse_input::openxr::hand_path;
use bevy::prelude::*;
use bevy::render::{Render, RenderApp};
use bevy_mod_openxr::init::should_run_frame_loop;
use bevy_mod_openxr::poll_events::{OxrEventHandlerExt, OxrEventIn};
use bevy_mod_openxr::render::end_frame;
use bevy_mod_openxr::resources::{OxrCurrentSessionConfig, OxrFrameState, OxrInstance, OxrSystemId};
use bevy_mod_openxr::session::OxrSession;
use bevy_mod_xr::session::{XrRenderSystems, XrRequestExitMessage, XrState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long the runtime gets to end the session after we ask, before the app leaves anyway.
const EXIT_GRACE: Duration = Duration::from_secs(10);
/// With `--stop-at-end`, how long the runtime may take to focus the session.
const FOCUS_LIMIT: Duration = Duration::from_secs(120);

/// Why a headset session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The scenario's duration passed in the headset (`--stop-at-end`).
    ScenarioEnded,
    /// The user quit (Ctrl+C in the terminal).
    UserQuit,
    /// The runtime ended the session (EXITING without our asking).
    RuntimeExited,
    /// The runtime lost the session or its instance (LOSS_PENDING, instance loss), or never started one.
    RuntimeFailed(String),
}

impl Ending {
    /// One line for the user.
    pub fn describe(&self) -> String {
        match self {
            Self::ScenarioEnded => "the scenario's time is up; the headset session ended".into(),
            Self::UserQuit => "you quit; the headset session ended".into(),
            Self::RuntimeExited => "the OpenXR runtime ended the headset session".into(),
            Self::RuntimeFailed(why) => format!("the headset session failed: {why}"),
        }
    }

    /// Whether the session ended as someone asked (the user, the scenario or the runtime).
    pub fn is_orderly(&self) -> bool {
        !matches!(self, Self::RuntimeFailed(_))
    }
}

/// The session's progress towards its end, and what the runtime did meanwhile.
#[derive(Resource)]
pub struct XrLife {
    stop_at_end: bool,
    /// When the app started, to give up on a runtime that never focuses the session.
    started: Instant,
    /// Whether the session has begun running (SYNCHRONIZED): from then on it is ended in order.
    began: bool,
    /// Why the session is ending, once it is, and since when.
    ending: Option<(Ending, Instant)>,
    /// Set when the app may leave: the session is gone (or never came).
    pub ended: Option<Ending>,
    report: XrReport,
    last_display_time: Option<openxr::Time>,
    last_frame_at: Option<Instant>,
    intervals_ms: Vec<f32>,
    submitted: SubmittedFrames,
}

impl XrLife {
    /// The report's `xr` section as it stands.
    pub fn report(&self) -> XrReport {
        let mut report = self.report.clone();
        report.frames_submitted = self.submitted.0.load(Ordering::Relaxed);
        report.frame_interval_ms = FrameTimes::of(&self.intervals_ms);
        report
    }

    fn end_now(&mut self, ending: Ending) {
        if self.ended.is_none() {
            self.ended = Some(ending);
        }
    }

    fn begin_ending(&mut self, ending: Ending) {
        if self.ending.is_none() {
            self.ending = Some((ending, Instant::now()));
        }
    }
}

/// Frames ended with layers, counted in the render world.
#[derive(Resource, Clone, Default)]
struct SubmittedFrames(Arc<AtomicU64>);

/// Tracks the session and ends the app when the session is over.
pub struct XrLifePlugin {
    pub stop_at_end: bool,
    /// `stage` or `local`, for the report.
    pub reference_space: &'static str,
}

impl Plugin for XrLifePlugin {
    fn build(&self, app: &mut App) {
        let submitted = SubmittedFrames::default();
        app.insert_resource(XrLife {
            stop_at_end: self.stop_at_end,
            started: Instant::now(),
            began: false,
            ending: None,
            ended: None,
            report: XrReport { reference_space: self.reference_space.into(), ..default() },
            last_display_time: None,
            last_frame_at: None,
            intervals_ms: Vec::new(),
            submitted: submitted.clone(),
        })
        .insert_resource(ClockHold(true))
        .add_oxr_event_handler(on_runtime_event)
        .add_systems(Startup, describe_runtime)
        .add_systems(First, count_frames)
        .add_systems(Last, (start_ending, finish_ending).chain());
        if let Some(render_app) = app.get_sub_app_mut(RenderApp) {
            render_app.insert_resource(submitted).add_systems(
                Render,
                count_submitted
                    .after(end_frame)
                    .in_set(XrRenderSystems::PostRender)
                    .run_if(should_run_frame_loop),
            );
        }
    }
}

/// Names the runtime and headset, or ends at once when OpenXR could not start.
fn describe_runtime(
    instance: Option<Res<OxrInstance>>,
    system: Option<Res<OxrSystemId>>,
    state: Option<Res<XrState>>,
    mut life: ResMut<XrLife>,
) {
    let (Some(instance), Some(system)) = (instance, system) else {
        let state = state.map(|s| format!("{:?}", *s)).unwrap_or_else(|| "absent".into());
        life.end_now(Ending::RuntimeFailed(format!(
            "OpenXR could not be started (XR state {state}); the log above says why"
        )));
        return;
    };
    if let Ok(properties) = instance.properties() {
        life.report.runtime = format!("{} {}", properties.runtime_name, properties.runtime_version);
    }
    if let Ok(properties) = instance.system_properties(**system) {
        life.report.system = properties.system_name;
    }
}

fn on_runtime_event(
    event: OxrEventIn,
    clock: Res<SessionClock>,
    instance: Res<OxrInstance>,
    session: Option<Res<OxrSession>>,
    mut hold: ResMut<ClockHold>,
    mut life: ResMut<XrLife>,
) {
    use openxr::Event;
    match *event {
        Event::SessionStateChanged(change) => {
            let state = change.state();
            life.report.states.push(XrStateEntry { t_s: clock.elapsed_s(), state: format!("{state:?}") });
            match state {
                openxr::SessionState::SYNCHRONIZED => life.began = true,
                // The scenario plays from when the user first sees the session and has input.
                openxr::SessionState::FOCUSED => hold.0 = false,
                openxr::SessionState::EXITING => life.begin_ending(Ending::RuntimeExited),
                openxr::SessionState::LOSS_PENDING => {
                    // A session that is lost ends even if we were ending it already.
                    life.ending = None;
                    life.begin_ending(Ending::RuntimeFailed("the OpenXR runtime lost the session".into()));
                }
                _ => {}
            }
        }
        Event::InteractionProfileChanged(_) => {
            let Some(session) = session else { return };
            let profile = |left: bool| {
                let hand = instance.string_to_path(hand_path(left)).ok()?;
                let profile = session.current_interaction_profile(hand).ok()?;
                (profile != openxr::Path::NULL).then(|| instance.path_to_string(profile).ok()).flatten()
            };
            life.report.left_hand_profile = profile(true);
            life.report.right_hand_profile = profile(false);
        }
        Event::InstanceLossPending(_) => {
            life.end_now(Ending::RuntimeFailed("the OpenXR runtime is going away (instance loss)".into()))
        }
        _ => {}
    }
}

/// Counts the frames the runtime asks for (each `xrWaitFrame` gives a new display time).
fn count_frames(
    frame: Option<Res<OxrFrameState>>,
    config: Option<Res<OxrCurrentSessionConfig>>,
    mut life: ResMut<XrLife>,
) {
    if let Some(config) = config {
        life.report.view_px = config.resolution.to_array();
    }
    let Some(frame) = frame else { return };
    if life.last_display_time == Some(frame.predicted_display_time) {
        return;
    }
    let now = Instant::now();
    if let Some(last) = life.last_frame_at {
        life.intervals_ms.push((now - last).as_secs_f32() * 1000.0);
    }
    life.last_frame_at = Some(now);
    life.last_display_time = Some(frame.predicted_display_time);
    life.report.frames_asked += 1;
    life.report.frames_to_render += u64::from(frame.should_render);
    life.report.display_period_ms = frame.predicted_display_period.as_nanos() as f32 / 1e6;
}

fn count_submitted(frame: Res<OxrFrameState>, submitted: Res<SubmittedFrames>) {
    if frame.should_render {
        submitted.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Starts ending the session when the scenario's time is up or the user quits.
fn start_ending(
    mut exits: ResMut<Messages<AppExit>>,
    clock: Res<SessionClock>,
    config: Res<SessionConfig>,
    hold: Res<ClockHold>,
    mut life: ResMut<XrLife>,
) {
    // Ctrl+C arrives as AppExit; it is held back so the session ends in order first.
    if exits.drain().next().is_some() {
        life.begin_ending(Ending::UserQuit);
    }
    if !life.stop_at_end {
        return;
    }
    // The session clock stands still until the session is focused (see ClockHold).
    if clock.elapsed_s() >= config.scenario.duration_s {
        life.begin_ending(Ending::ScenarioEnded);
    } else if hold.0 && life.started.elapsed() > FOCUS_LIMIT {
        life.begin_ending(Ending::RuntimeFailed(format!(
            "the OpenXR runtime did not focus the session within {} s",
            FOCUS_LIMIT.as_secs()
        )));
    }
}

/// Asks the runtime to end a running session, and lets the app leave once the
/// runtime says EXITING. The app then ends with the session: destroying it in
/// the frame loop could free swapchain images a frame is still drawing into.
fn finish_ending(
    state: Option<Res<XrState>>,
    mut request_exit: MessageWriter<XrRequestExitMessage>,
    mut asked: Local<bool>,
    mut life: ResMut<XrLife>,
) {
    let Some((ending, since)) = life.ending.clone() else { return };
    let state = state.map(|s| *s);
    // From STOPPING the runtime passes through IDLE (and may pass READY) to EXITING.
    let in_order =
        matches!(state, Some(XrState::Running | XrState::Stopping | XrState::Idle | XrState::Ready));
    if !(life.began && in_order) {
        // Exiting, or never begun: nothing is left to end in order.
        life.end_now(ending);
        return;
    }
    if state == Some(XrState::Running) && ending != Ending::RuntimeExited && !*asked {
        *asked = true;
        request_exit.write_default();
    }
    if since.elapsed() > EXIT_GRACE {
        warn!("the OpenXR runtime did not end the session within {} s; leaving anyway", EXIT_GRACE.as_secs());
        life.end_now(ending);
    }
}

/// Copies the `xr` section into the session report.
pub fn fill_report(world: &mut World, ending: &Ending) -> SessionReport {
    let mut xr = world.resource::<XrLife>().report();
    xr.ended = ending.describe();
    if let Some(timing) = world.get_resource::<SystemsTiming>() {
        xr.update_cpu_ms = FrameTimes::of(&timing.update_cpu_ms);
        xr.systems_cpu_ms = FrameTimes::of(&timing.systems_cpu_ms);
        xr.systems_wall_ms = FrameTimes::of(&timing.systems_wall_ms);
    }
    let mut report = world.resource::<SessionReport>().clone();
    if let Some(mut files) = world.get_resource_mut::<crate::capture_files::CaptureFiles>() {
        files.finish_into(&mut report);
    }
    report.frames = xr.frames_asked;
    report.xr = Some(xr);
    report
}
