//! The OpenXR headset backend, through `bevy_mod_openxr`.
//!
//! Before building the XR app we ask the OpenXR loader ourselves whether a
//! runtime and a head-mounted display are there. `bevy_mod_openxr` would
//! log and limp on without one; asking first lets the app fall back to the
//! desktop window or the simulator with one line that says why.

mod actions;
mod capture;
mod life;
mod runtime_loss;
mod timing;

pub use life::Ending;

use crate::input::InputSystems;
use crate::plugins::AllversePlugins;
use crate::rig::Rig;
use crate::session::{Pacing, SessionReport, SessionSetup, UserProfile};
use anyhow::{Context, Result};
use bevy::app::PluginsState;
use bevy::prelude::*;
use bevy::render::pipelined_rendering::PipelinedRenderingPlugin;
use bevy::render::render_resource::PollType;
use bevy::render::renderer::RenderDevice;
use bevy::window::ExitCondition;
use bevy::winit::WinitPlugin;
use bevy_mod_openxr::add_xr_plugins;
use bevy_mod_openxr::exts::OxrExtensions;
use bevy_mod_openxr::init::OxrInitPlugin;
use bevy_mod_openxr::openxr_session_running;
use bevy_mod_openxr::reference_space::OxrReferenceSpacePlugin;
use bevy_mod_openxr::types::AppInfo;
use bevy_mod_xr::camera::XrCamera;
use bevy_mod_xr::session::XrTrackingRoot;
use capture::XrCapturePlugin;
use life::{XrLife, XrLifePlugin};
use std::path::Path;
use std::time::{Duration, Instant};
use timing::{SystemsTimingPlugin, task_pool_plugin};

/// Typical of current headsets (Quest 3 about 25, Quest 2 about 20, Index about 14).
const HEADSET_PIXELS_PER_DEGREE: f32 = 20.0;

/// Checks for an OpenXR loader, a runtime and a connected headset.
/// Returns a sentence naming what is missing and what to do.
pub fn probe_openxr() -> Result<(), String> {
    // The OpenXR loader reports its own failures on stderr, several lines at
    // a time; the user gets our one line instead.
    with_stderr_silenced(|| {
        // SAFETY: loading the system's OpenXR loader library runs its
        // initialisers; that is the documented way to reach OpenXR and is
        // what the backend does too.
        let entry = unsafe { openxr::Entry::load() }.map_err(|e| {
            format!(
                "no OpenXR loader could be loaded ({e}); on Debian install libopenxr-dev \
                 (it provides libopenxr_loader.so), elsewhere your headset's OpenXR runtime"
            )
        })?;
        let app_info = openxr::ApplicationInfo {
            application_name: "Allverse probe",
            engine_name: "Allverse",
            ..Default::default()
        };
        let instance =
            entry.create_instance(&app_info, &openxr::ExtensionSet::default(), &[]).map_err(|e| {
                format!(
                    "no OpenXR runtime is active ({e}); start your headset's runtime \
                     (SteamVR, Monado, Quest Link, WMR) and make it the active one"
                )
            })?;
        instance
            .system(openxr::FormFactor::HEAD_MOUNTED_DISPLAY)
            .map_err(|e| format!("the OpenXR runtime sees no headset ({e}); connect and wake the headset"))?;
        Ok(())
    })
}

/// Runs `f` with file descriptor 2 pointed at /dev/null, then restores it.
#[cfg(unix)]
fn with_stderr_silenced<T>(f: impl FnOnce() -> T) -> T {
    use std::os::fd::AsRawFd;
    let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") else {
        return f();
    };
    // SAFETY: plain descriptor duplication; the saved descriptor is restored
    // and closed before returning, and `null` outlives the redirection.
    unsafe {
        let saved = libc::dup(2);
        if saved < 0 {
            return f();
        }
        libc::dup2(null.as_raw_fd(), 2);
        let result = f();
        libc::dup2(saved, 2);
        libc::close(saved);
        result
    }
}

#[cfg(not(unix))]
fn with_stderr_silenced<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// How long one update may take at least while the runtime is not pacing
/// frames yet (before the session begins): the loop must not spin a core.
const IDLE_UPDATE: Duration = Duration::from_millis(4);

/// A finished headset session: why it ended, and its report.
pub struct XrSessionEnd {
    pub ending: Ending,
    pub report: SessionReport,
}

/// Runs the app in the headset until the user quits, the runtime ends the
/// session or, with `stop_at_end`, the scenario's time is up; then writes
/// `report.json` to `out_dir`.
///
/// No desktop window is opened: the runtime paces the frames, and the app
/// runs the same with or without a display.
pub fn run(setup: SessionSetup, out_dir: &Path, stop_at_end: bool) -> Result<XrSessionEnd> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let mut app = build_app(setup, out_dir, stop_at_end);
    while app.plugins_state() == PluginsState::Adding {
        bevy::tasks::tick_global_task_pools_on_main_thread();
    }
    app.finish();
    app.cleanup();
    let quiet = runtime_loss::QuietRuntimeLoss::install();
    let ending = loop {
        let started = Instant::now();
        if let Err(code) = runtime_loss::update(&mut app) {
            break Ending::RuntimeFailed(runtime_loss::describe(code));
        }
        if let Some(ending) = app.world().resource::<XrLife>().ended.clone() {
            break ending;
        }
        // Once the session runs, xrWaitFrame paces each update and this never sleeps.
        std::thread::sleep(IDLE_UPDATE.saturating_sub(started.elapsed()));
    };
    // The last frames may still be drawing into the runtime's swapchain images
    // (on lavapipe, in its own threads): let them finish before the session
    // and its swapchain are destroyed with the app.
    let device = app.world().resource::<RenderDevice>();
    let _ = device.wgpu_device().poll(PollType::Wait { submission_index: None, timeout: None });
    let report = life::fill_report(app.world_mut(), &ending);
    let path = out_dir.join("report.json");
    report.write_json(&path).with_context(|| format!("cannot write {}", path.display()))?;
    // A lost runtime's session and instance fail to close too; that is expected now.
    drop(app);
    drop(quiet);
    Ok(XrSessionEnd { ending, report })
}

fn build_app(setup: SessionSetup, out_dir: &Path, stop_at_end: bool) -> App {
    let comfort = setup.profile.comfort.clone();
    // Seated users get a reference space centred on their head at start, so
    // content comes to them; standing users get the floor-level stage.
    let (reference_space, space_name) = if comfort.seated {
        (openxr::ReferenceSpaceType::LOCAL, "local")
    } else {
        (openxr::ReferenceSpaceType::STAGE, "stage")
    };
    let mut app = App::new();
    app.add_plugins(
        add_xr_plugins(DefaultPlugins)
            // The headset is the display: no desktop window, so no display server is needed.
            .set(WindowPlugin { primary_window: None, exit_condition: ExitCondition::DontExit, ..default() })
            .disable::<WinitPlugin>()
            .set(task_pool_plugin())
            // Rendering in step with the update, so that when the session ends no frame is
            // still being drawn into the swapchain on another thread (bevy_mod_openxr 0.6
            // destroys the swapchain without waiting for the frame in flight).
            .disable::<PipelinedRenderingPlugin>()
            .set(OxrInitPlugin {
                app_info: AppInfo { name: "Allverse".into(), ..AppInfo::BEVY },
                // Requested, and used only where the runtime has it.
                exts: {
                    let mut exts = OxrExtensions::default();
                    exts.enable_hand_tracking();
                    exts.ext_eye_gaze_interaction = true;
                    exts.ext_hand_interaction = true;
                    exts
                },
                ..default()
            })
            .set(OxrReferenceSpacePlugin { default_primary_ref_space: reference_space }),
    )
    .add_plugins(AllversePlugins {
        setup,
        pacing: Pacing::Realtime,
        display_pixels_per_degree: HEADSET_PIXELS_PER_DEGREE,
    })
    .add_plugins(XrLifePlugin { stop_at_end, reference_space: space_name })
    .add_plugins(XrCapturePlugin { out_dir: out_dir.to_path_buf() })
    .add_plugins(SystemsTimingPlugin)
    .add_systems(
        Update,
        (
            move |rig: Res<Rig>, mut roots: Query<&mut Transform, With<XrTrackingRoot>>| {
                // Turning and teleporting move the tracked space; raising it
                // raises the user's eyes: a wheelchair user can see over a standing crowd.
                for mut root in &mut roots {
                    *root = rig.world_from_tracking;
                    root.translation.y += comfort.height_offset_m;
                }
            },
            untonemapped_xr_views,
            head_from_xr_views,
            // Actions are attached when the session is created, before it runs.
            actions::read_controllers.in_set(InputSystems::Read).run_if(openxr_session_running),
            actions::eyes_from_xr.after(head_from_xr_views).before(InputSystems::Read),
        ),
    )
    .add_systems(Last, log_input_events)
    .add_systems(bevy_mod_openxr::action_binding::OxrSendActionBindings, actions::create_actions);
    app
}

/// Logs each input event the report gains (actions, focus, menus closing,
/// moves) and each checkpoint, one JSON line each: in the headset there is
/// no window to watch, and a test driving the runtime's controllers waits
/// for each step's line before the next.
fn log_input_events(report: Res<SessionReport>, mut logged: Local<usize>) {
    use crate::session::PresentedEvent::{Action, Capture, Focus, MenuClosed, Moved};
    for entry in report.timeline.get(*logged..).unwrap_or_default() {
        if matches!(entry.event, Action { .. } | Focus { .. } | MenuClosed | Moved { .. } | Capture { .. }) {
            info!("timeline: {}", serde_json::to_string(entry).unwrap_or_default());
        }
    }
    *logged = report.timeline.len();
}

/// Panels must keep the colours the contrast rule chose, so XR views get no
/// tonemapping; the left eye is where shadow detail is measured from.
fn untonemapped_xr_views(mut commands: Commands, views: Query<(Entity, &XrCamera), Added<XrCamera>>) {
    for (view, eye) in &views {
        let mut view = commands.entity(view);
        view.insert(bevy::core_pipeline::tonemapping::Tonemapping::None);
        if eye.0 == 0 {
            view.insert(bevy::camera::ShadowLodOrigin);
        }
    }
}

/// The head pose is the midpoint of the eye views.
///
/// The views' own transforms are poses in the tracking space (they are
/// children of the tracking root). Their world transforms are only
/// propagated after `Update`, so reading those would pair this frame's
/// tracking root (just turned, say) with last frame's views.
fn head_from_xr_views(
    views: Query<&Transform, With<XrCamera>>,
    user: Res<UserProfile>,
    mut rig: ResMut<Rig>,
) {
    let count = views.iter().len();
    if count == 0 {
        return;
    }
    let position = views.iter().map(|v| v.translation).sum::<Vec3>() / count as f32;
    let rotation = views.iter().next().map(|v| v.rotation).unwrap_or_default();
    let raised = Vec3::Y * user.profile.comfort.height_offset_m;
    rig.tracked_head = Transform { translation: position + raised, rotation, ..default() };
    rig.head = rig.world_from_tracking * rig.tracked_head;
}
