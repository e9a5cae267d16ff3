//! Controllers in the headset: OpenXR actions with suggested bindings for the common controllers.
//!
//! One boolean action per control and one 2D action for the thumbstick (or
//! trackpad), each on both hands, so either hand alone does everything.
//! The bindings come from `allverse_input::openxr`, where they are checked
//! against the specification; presses go to the same router as every other
//! device, as `controller_left` or `controller_right`. Where the runtime
//! offers eye tracking, the eye-gaze pose moves the rig's gaze, for dwell.

use crate::input::InputRouter;
use crate::rig::Rig;
use crate::session::SessionClock;
use allverse_core::input::InputDevice;
use allverse_input::openxr::{EYE_GAZE_POSE, EYE_GAZE_PROFILE, PROFILES, hand_path};
use allverse_input::stick::StickAxis;
use bevy::prelude::*;
use bevy_mod_openxr::action_binding::OxrSuggestActionBinding;
use bevy_mod_openxr::action_set_attaching::OxrAttachActionSet;
use bevy_mod_openxr::action_set_syncing::OxrSyncActionSet;
use bevy_mod_openxr::exts::OxrEnabledExtensions;
use bevy_mod_openxr::resources::OxrInstance;
use bevy_mod_openxr::session::OxrSession;
use bevy_mod_xr::spaces::XrSpaceLocationFlags;
use std::borrow::Cow;

/// Controls read as buttons; `thumbstick` is read as a 2D vector.
const BUTTONS: [&str; 6] = ["trigger", "squeeze", "primary", "secondary", "menu", "thumbstick_click"];
const HANDS: [(bool, InputDevice); 2] =
    [(true, InputDevice::ControllerLeft), (false, InputDevice::ControllerRight)];
/// The stick's directions as button names: (negative, positive) for x, then y.
const STICK_DIRECTIONS: [(&str, &str); 2] =
    [("thumbstick_left", "thumbstick_right"), ("thumbstick_down", "thumbstick_up")];

#[derive(Resource)]
pub struct XrControls {
    set: openxr::ActionSet,
    hands: [openxr::Path; 2],
    buttons: Vec<(&'static str, openxr::Action<bool>)>,
    stick: openxr::Action<openxr::Vector2f>,
    sticks: [[StickAxis; 2]; 2],
    /// Where the eyes look, when the runtime offers eye tracking (XR_EXT_eye_gaze_interaction).
    eye_gaze: Option<openxr::Action<openxr::Posef>>,
    eye_space: Option<Entity>,
}

/// The eye-gaze pose as a tracked space.
#[derive(Component)]
pub struct EyeGaze;

/// Runs when the session is created, before action sets are attached.
pub fn create_actions(
    instance: Res<OxrInstance>,
    extensions: Option<Res<OxrEnabledExtensions>>,
    mut commands: Commands,
    mut suggestions: MessageWriter<OxrSuggestActionBinding>,
    mut attach: MessageWriter<OxrAttachActionSet>,
) {
    let enabled: Vec<&[u8]> = extensions.as_ref().map(|e| e.names()).unwrap_or_default();
    // Extension names come NUL-terminated.
    let is_enabled =
        |name: &str| enabled.iter().any(|n| n.strip_suffix(b"\0").unwrap_or(n) == name.as_bytes());
    let eye_tracking = is_enabled("XR_EXT_eye_gaze_interaction");
    match build(&instance, eye_tracking, is_enabled) {
        Ok((controls, bindings)) => {
            suggestions.write_batch(bindings);
            attach.write(OxrAttachActionSet(controls.set.clone()));
            commands.insert_resource(controls);
        }
        // Head tracking still works; the user is told, and gaze and voice still reach everything.
        Err(error) => {
            error!("controllers are unavailable: the OpenXR actions could not be created ({error})")
        }
    }
}

/// Creates the actions and the bindings to suggest, for the profiles whose
/// extension (if any) `is_enabled` says is on: a runtime refuses the whole
/// suggestion for a profile it does not know.
fn build(
    instance: &openxr::Instance,
    eye_tracking: bool,
    is_enabled: impl Fn(&str) -> bool,
) -> openxr::Result<(XrControls, Vec<OxrSuggestActionBinding>)> {
    let set = instance.create_action_set("allverse", "Allverse", 0)?;
    let hands = [instance.string_to_path(hand_path(true))?, instance.string_to_path(hand_path(false))?];
    let buttons = BUTTONS
        .iter()
        .map(|name| Ok((*name, set.create_action::<bool>(name, &name.replace('_', " "), &hands)?)))
        .collect::<openxr::Result<Vec<_>>>()?;
    let stick = set.create_action::<openxr::Vector2f>("thumbstick", "thumbstick", &hands)?;
    let mut bindings = Vec::new();
    for profile in PROFILES.iter().filter(|p| p.extension.is_none_or(&is_enabled)) {
        for control in profile.controls {
            let action = match control.control {
                "thumbstick" => stick.as_raw(),
                name => match buttons.iter().find(|(n, _)| *n == name) {
                    Some((_, action)) => action.as_raw(),
                    None => continue,
                },
            };
            bindings.push(OxrSuggestActionBinding {
                action,
                interaction_profile: Cow::Borrowed(profile.path),
                bindings: profile.paths(control.control).into_iter().map(Cow::Owned).collect(),
            });
        }
    }
    let eye_gaze = if eye_tracking {
        let action = set.create_action::<openxr::Posef>("eye_gaze", "eye gaze", &[])?;
        bindings.push(OxrSuggestActionBinding {
            action: action.as_raw(),
            interaction_profile: Cow::Borrowed(EYE_GAZE_PROFILE),
            bindings: vec![Cow::Borrowed(EYE_GAZE_POSE)],
        });
        Some(action)
    } else {
        None
    };
    Ok((
        XrControls { set, hands, buttons, stick, sticks: Default::default(), eye_gaze, eye_space: None },
        bindings,
    ))
}

/// Reads both hands' controls and reports changes to the router.
pub fn read_controllers(
    mut commands: Commands,
    session: Option<Res<OxrSession>>,
    controls: Option<ResMut<XrControls>>,
    clock: Res<SessionClock>,
    mut router: ResMut<InputRouter>,
    mut sync: MessageWriter<OxrSyncActionSet>,
) {
    let (Some(session), Some(mut controls)) = (session, controls) else { return };
    // Synchronised before the next frame's update; the states below are this frame's.
    sync.write(OxrSyncActionSet(controls.set.clone()));
    let t_s = clock.elapsed_s();
    let controls = &mut *controls;
    if let (Some(action), None) = (&controls.eye_gaze, controls.eye_space) {
        match session.create_action_space(action, openxr::Path::NULL, Isometry3d::IDENTITY) {
            Ok(space) => controls.eye_space = Some(commands.spawn((space, EyeGaze)).id()),
            Err(error) => {
                warn!("eye tracking is unavailable ({error}); the head points instead");
                controls.eye_gaze = None;
            }
        }
    }
    for (hand_index, (_, device)) in HANDS.iter().enumerate() {
        let path = controls.hands[hand_index];
        for (name, action) in &controls.buttons {
            let Ok(state) = action.state(&session, path) else { continue };
            if state.changed_since_last_sync {
                router.0.button(*device, name, state.current_state, t_s);
            }
        }
        let Ok(stick) = controls.stick.state(&session, path) else { continue };
        let values = [stick.current_state.x, stick.current_state.y];
        for ((axis, value), names) in controls.sticks[hand_index].iter_mut().zip(values).zip(STICK_DIRECTIONS)
        {
            router.0.stick(*device, axis, value, names, t_s);
        }
    }
}

/// Turns the rig's eyes to where eye tracking says they look; without it,
/// the gaze is the head's forward direction, a head pointer for dwell.
pub fn eyes_from_xr(
    eyes: Query<(&GlobalTransform, &XrSpaceLocationFlags), With<EyeGaze>>,
    mut rig: ResMut<Rig>,
) {
    let Ok((pose, flags)) = eyes.single() else { return };
    if flags.rotation_tracked {
        let target = rig.head.translation + *pose.forward();
        rig.look_at(target);
    } else {
        (rig.gaze_yaw_deg, rig.gaze_pitch_deg) = (0.0, 0.0);
    }
}
