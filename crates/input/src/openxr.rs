//! Suggested OpenXR bindings: which component of each common controller does each control.
//!
//! OpenXR apps declare actions and *suggest* bindings per interaction
//! profile; the runtime maps whatever controller is in the user's hands
//! to one of them (and lets the user remap). The control names here are
//! those of [`crate::bindings`]' controller defaults, the same for either
//! hand, so one-handed use needs no set-up. Every profile binds "trigger"
//! (select) and "menu" (open the menu) on each hand on its own; with the
//! aim pose as a pointer that reaches every action through the menu.
//! Component lists are those of the OpenXR 1.0 specification, §6.4.

/// A controller component (or the thumbstick as a 2D vector, control `thumbstick`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control {
    pub control: &'static str,
    pub left: Option<&'static str>,
    pub right: Option<&'static str>,
}

#[derive(Debug)]
pub struct InteractionProfile {
    pub path: &'static str,
    pub name: &'static str,
    /// The OpenXR extension that defines this profile, if it is not core:
    /// bindings may be suggested for it only where that extension is enabled.
    pub extension: Option<&'static str>,
    pub controls: &'static [Control],
    /// Components the specification lists for this profile, for either hand
    /// (`left:`/`right:` prefixes mark one-handed ones); the bindings are checked against it.
    pub components: &'static [&'static str],
}

const fn both(control: &'static str, component: &'static str) -> Control {
    Control { control, left: Some(component), right: Some(component) }
}

const fn sides(control: &'static str, left: Option<&'static str>, right: Option<&'static str>) -> Control {
    Control { control, left, right }
}

/// The pointer every profile has: where the hand points, for menus.
pub const AIM_POSE: &str = "input/aim/pose";
/// The eye-gaze pose (XR_EXT_eye_gaze_interaction), when the runtime offers it.
pub const EYE_GAZE_PROFILE: &str = "/interaction_profiles/ext/eye_gaze_interaction";
pub const EYE_GAZE_POSE: &str = "/user/eyes_ext/input/gaze_ext/pose";

pub const PROFILES: &[InteractionProfile] = &[
    InteractionProfile {
        path: "/interaction_profiles/khr/simple_controller",
        name: "Khronos simple controller",
        extension: None,
        controls: &[both("trigger", "input/select/click"), both("menu", "input/menu/click")],
        components: &[
            "input/select/click",
            "input/menu/click",
            "input/grip/pose",
            "input/aim/pose",
            "output/haptic",
        ],
    },
    InteractionProfile {
        path: "/interaction_profiles/oculus/touch_controller",
        name: "Oculus Touch",
        extension: None,
        controls: &[
            both("trigger", "input/trigger/value"),
            both("squeeze", "input/squeeze/value"),
            sides("primary", Some("input/x/click"), Some("input/a/click")),
            sides("secondary", Some("input/y/click"), Some("input/b/click")),
            // The right controller's menu button belongs to the system.
            sides("menu", Some("input/menu/click"), Some("input/thumbstick/click")),
            sides("thumbstick_click", Some("input/thumbstick/click"), None),
            both("thumbstick", "input/thumbstick"),
        ],
        components: &[
            "left:input/x/click",
            "left:input/x/touch",
            "left:input/y/click",
            "left:input/y/touch",
            "left:input/menu/click",
            "right:input/a/click",
            "right:input/a/touch",
            "right:input/b/click",
            "right:input/b/touch",
            "right:input/system/click",
            "input/squeeze/value",
            "input/trigger/value",
            "input/trigger/touch",
            "input/thumbstick",
            "input/thumbstick/x",
            "input/thumbstick/y",
            "input/thumbstick/click",
            "input/thumbstick/touch",
            "input/thumbrest/touch",
            "input/grip/pose",
            "input/aim/pose",
            "output/haptic",
        ],
    },
    InteractionProfile {
        path: "/interaction_profiles/valve/index_controller",
        name: "Valve Index",
        extension: None,
        controls: &[
            both("trigger", "input/trigger/value"),
            both("squeeze", "input/squeeze/value"),
            both("primary", "input/a/click"),
            both("secondary", "input/b/click"),
            // The system button belongs to SteamVR.
            both("menu", "input/thumbstick/click"),
            both("thumbstick", "input/thumbstick"),
        ],
        components: &[
            "input/system/click",
            "input/system/touch",
            "input/a/click",
            "input/a/touch",
            "input/b/click",
            "input/b/touch",
            "input/squeeze/value",
            "input/squeeze/force",
            "input/trigger/click",
            "input/trigger/value",
            "input/trigger/touch",
            "input/thumbstick",
            "input/thumbstick/x",
            "input/thumbstick/y",
            "input/thumbstick/click",
            "input/thumbstick/touch",
            "input/trackpad",
            "input/trackpad/x",
            "input/trackpad/y",
            "input/trackpad/force",
            "input/trackpad/touch",
            "input/grip/pose",
            "input/aim/pose",
            "output/haptic",
        ],
    },
    InteractionProfile {
        path: "/interaction_profiles/htc/vive_controller",
        name: "HTC Vive",
        extension: None,
        controls: &[
            both("trigger", "input/trigger/click"),
            both("squeeze", "input/squeeze/click"),
            both("menu", "input/menu/click"),
            both("thumbstick_click", "input/trackpad/click"),
            both("thumbstick", "input/trackpad"),
        ],
        components: &[
            "input/system/click",
            "input/squeeze/click",
            "input/menu/click",
            "input/trigger/click",
            "input/trigger/value",
            "input/trackpad",
            "input/trackpad/x",
            "input/trackpad/y",
            "input/trackpad/click",
            "input/trackpad/touch",
            "input/grip/pose",
            "input/aim/pose",
            "output/haptic",
        ],
    },
    InteractionProfile {
        path: "/interaction_profiles/microsoft/motion_controller",
        name: "Microsoft motion controller",
        extension: None,
        controls: &[
            both("trigger", "input/trigger/value"),
            both("squeeze", "input/squeeze/click"),
            both("menu", "input/menu/click"),
            both("secondary", "input/trackpad/click"),
            both("thumbstick_click", "input/thumbstick/click"),
            both("thumbstick", "input/thumbstick"),
        ],
        components: &[
            "input/menu/click",
            "input/squeeze/click",
            "input/trigger/value",
            "input/thumbstick",
            "input/thumbstick/x",
            "input/thumbstick/y",
            "input/thumbstick/click",
            "input/trackpad",
            "input/trackpad/x",
            "input/trackpad/y",
            "input/trackpad/click",
            "input/trackpad/touch",
            "input/grip/pose",
            "input/aim/pose",
            "output/haptic",
        ],
    },
    InteractionProfile {
        // XR_EXT_hand_interaction: tracked hands, no controller.
        path: "/interaction_profiles/ext/hand_interaction_ext",
        name: "hand interaction",
        extension: Some("XR_EXT_hand_interaction"),
        controls: &[both("trigger", "input/pinch_ext/value"), both("menu", "input/grasp_ext/value")],
        components: &[
            "input/aim/pose",
            "input/grip/pose",
            "input/pinch_ext/pose",
            "input/poke_ext/pose",
            "input/pinch_ext/value",
            "input/pinch_ext/ready_ext",
            "input/aim_activate_ext/value",
            "input/aim_activate_ext/ready_ext",
            "input/grasp_ext/value",
            "input/grasp_ext/ready_ext",
        ],
    },
];

/// The user path of a hand.
pub fn hand_path(left: bool) -> &'static str {
    if left { "/user/hand/left" } else { "/user/hand/right" }
}

impl InteractionProfile {
    /// Full binding paths of `control` on each hand that has it.
    pub fn paths(&self, control: &str) -> Vec<String> {
        self.controls
            .iter()
            .filter(|c| c.control == control)
            .flat_map(|c| [(true, c.left), (false, c.right)])
            .filter_map(|(left, component)| Some(format!("{}/{}", hand_path(left), component?)))
            .collect()
    }

    /// Whether the specification lists `component` for this profile on that hand.
    pub fn has_component(&self, left: bool, component: &str) -> bool {
        let side = if left { "left:" } else { "right:" };
        self.components.iter().any(|c| *c == component || c.strip_prefix(side) == Some(component))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::BindingMap;
    use allverse_core::input::{Action, InputDevice};

    #[test]
    fn profiles_from_extensions_name_them_and_core_profiles_need_none() {
        for profile in PROFILES {
            let from_extension = profile.path.starts_with("/interaction_profiles/ext/");
            assert_eq!(profile.extension.is_some(), from_extension, "{}", profile.path);
        }
        let hands = PROFILES.iter().find(|p| p.path.ends_with("hand_interaction_ext")).unwrap();
        assert_eq!(hands.extension, Some("XR_EXT_hand_interaction"));
    }

    #[test]
    fn every_suggested_path_is_one_the_specification_lists() {
        for profile in PROFILES {
            assert!(profile.path.starts_with("/interaction_profiles/"), "{}", profile.path);
            for control in profile.controls {
                for (left, component) in [(true, control.left), (false, control.right)] {
                    let Some(component) = component else { continue };
                    assert!(
                        profile.has_component(left, component),
                        "{}: {} has no {component}",
                        profile.name,
                        hand_path(left)
                    );
                }
            }
            assert!(profile.has_component(true, AIM_POSE) && profile.has_component(false, AIM_POSE));
            for path in profile.paths("trigger") {
                let valid =
                    path.starts_with("/user/hand/left/input/") || path.starts_with("/user/hand/right/input/");
                assert!(valid && !path.contains("//") && !path.ends_with('/'), "{path}");
            }
        }
    }

    #[test]
    fn either_hand_alone_can_open_the_menu_and_select_on_every_profile() {
        let map = BindingMap::new(&[]);
        for profile in PROFILES {
            for (left, device) in [(true, InputDevice::ControllerLeft), (false, InputDevice::ControllerRight)]
            {
                let actions: Vec<Action> = profile
                    .controls
                    .iter()
                    .filter(|c| if left { c.left.is_some() } else { c.right.is_some() })
                    .filter_map(|c| map.action(device, c.control))
                    .collect();
                for needed in [Action::Select, Action::OpenMenu] {
                    assert!(actions.contains(&needed), "{} {}: no {needed:?}", profile.name, hand_path(left));
                }
            }
        }
    }

    #[test]
    fn controls_are_those_the_controller_bindings_name() {
        let map = BindingMap::new(&[]);
        for profile in PROFILES {
            for control in profile.controls.iter().filter(|c| c.control != "thumbstick") {
                assert!(
                    map.action(InputDevice::ControllerLeft, control.control).is_some(),
                    "{}: `{}` does nothing",
                    profile.name,
                    control.control
                );
            }
        }
    }
}
