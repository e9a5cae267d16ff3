//! The OpenXR headset backend, through `bevy_mod_openxr`.
//!
//! Before building the XR app we ask the OpenXR loader ourselves whether a
//! runtime and a head-mounted display are there. `bevy_mod_openxr` would
//! log and limp on without one; asking first lets the app fall back to the
//! desktop window or the simulator with one line that says why.

mod actions;

use crate::input::InputSystems;
use crate::plugins::AllversePlugins;
use crate::rig::Rig;
use crate::session::{Pacing, SessionSetup};
use bevy::prelude::*;
use bevy_mod_openxr::add_xr_plugins;
use bevy_mod_openxr::exts::OxrExtensions;
use bevy_mod_openxr::init::OxrInitPlugin;
use bevy_mod_openxr::reference_space::OxrReferenceSpacePlugin;
use bevy_mod_openxr::types::AppInfo;
use bevy_mod_xr::camera::XrCamera;
use bevy_mod_xr::session::XrTrackingRoot;

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

/// Runs the app in the headset until the user quits.
pub fn run(setup: SessionSetup) -> AppExit {
    let comfort = setup.profile.comfort.clone();
    // Seated users get a reference space centred on their head at start, so
    // content comes to them; standing users get the floor-level stage.
    let reference_space =
        if comfort.seated { openxr::ReferenceSpaceType::LOCAL } else { openxr::ReferenceSpaceType::STAGE };
    let mut app = App::new();
    app.add_plugins(
        add_xr_plugins(DefaultPlugins)
            .set(OxrInitPlugin {
                app_info: AppInfo { name: "Allverse".into(), ..AppInfo::BEVY },
                // Requested, and used only where the runtime has it.
                exts: {
                    let mut exts = OxrExtensions::default();
                    exts.enable_hand_tracking();
                    exts.ext_eye_gaze_interaction = true;
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
            actions::read_controllers.in_set(InputSystems::Read),
            actions::eyes_from_xr.after(head_from_xr_views).before(InputSystems::Read),
        ),
    )
    .add_systems(bevy_mod_openxr::action_binding::OxrSendActionBindings, actions::create_actions);
    app.run()
}

/// Panels must keep the colours the contrast rule chose, so XR views get no tonemapping.
fn untonemapped_xr_views(mut commands: Commands, views: Query<Entity, Added<XrCamera>>) {
    for view in &views {
        commands.entity(view).insert(bevy::core_pipeline::tonemapping::Tonemapping::None);
    }
}

/// The head pose is the midpoint of the eye views.
fn head_from_xr_views(views: Query<&GlobalTransform, With<XrCamera>>, mut rig: ResMut<Rig>) {
    let count = views.iter().len();
    if count == 0 {
        return;
    }
    let position = views.iter().map(|v| v.translation()).sum::<Vec3>() / count as f32;
    let rotation = views.iter().next().map(|v| v.rotation()).unwrap_or_default();
    // The views are in the world already (the tracking root is applied).
    rig.head = Transform { translation: position, rotation, ..default() };
    rig.tracked_head = Transform::from_matrix(rig.world_from_tracking.to_matrix().inverse()) * rig.head;
}
