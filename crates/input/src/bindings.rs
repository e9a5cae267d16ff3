//! Which physical input does which action: the defaults for each device, and the user's remapping.
//!
//! Keyboard, gamepad and voice reach every action directly. A single
//! controller has fewer buttons than there are actions, so it binds the
//! frequent ones and reaches the rest through the action menu (open menu,
//! next focus, select); switches and gaze always work through menus, by
//! scanning and dwell. No default is a chord or a hold.

use allverse_core::input::{Action, Binding, InputDevice};
use std::collections::{BTreeSet, HashMap};

use Action::*;

const KEYBOARD: &[(&str, Action)] = &[
    ("Enter", Select),
    ("Space", Select),
    ("Escape", Back),
    ("M", OpenMenu),
    ("Tab", NextFocus),
    ("ArrowDown", NextFocus),
    ("ArrowUp", PreviousFocus),
    ("PageUp", ScrollUp),
    ("PageDown", ScrollDown),
    ("G", Teleport),
    ("Q", TurnLeft),
    ("E", TurnRight),
    ("Home", RecenterView),
    ("C", ToggleCaptions),
    ("T", RepeatLastCaption),
    ("H", CaptionHistory),
    ("Insert", ReadFocused),
    ("N", SwitchInterpreterChannel),
    ("P", GoToSafePlace),
    ("X", StopSpeech),
    // The "?" key; W is walking in the desktop window.
    ("Slash", Describe),
    ("V", ToggleMicrophone),
    // The mouse counts as part of the keyboard: a click selects, the wheel scrolls.
    ("MouseLeft", Select),
    ("MouseMiddle", OpenMenu),
    ("WheelUp", ScrollUp),
    ("WheelDown", ScrollDown),
];

/// Button names as gilrs reports them, so adaptive controllers mapped by SDL work as they are.
const GAMEPAD: &[(&str, Action)] = &[
    ("South", Select),
    ("East", Back),
    ("Start", OpenMenu),
    ("DPadDown", NextFocus),
    ("DPadUp", PreviousFocus),
    ("LeftTrigger2", CaptionHistory),
    ("RightTrigger2", ScrollDown),
    ("North", Teleport),
    ("LeftTrigger", TurnLeft),
    ("RightTrigger", TurnRight),
    ("RightThumb", RecenterView),
    ("West", ToggleCaptions),
    ("DPadLeft", RepeatLastCaption),
    ("DPadRight", ReadFocused),
    ("Select", SwitchInterpreterChannel),
    ("LeftThumb", GoToSafePlace),
    ("Mode", StopSpeech),
    // Sticks, as directions pushed past the dead zone (see `stick`).
    ("LeftStickUp", PreviousFocus),
    ("LeftStickDown", NextFocus),
    ("LeftStickRight", Describe),
    ("LeftStickLeft", ToggleMicrophone),
    ("RightStickLeft", TurnLeft),
    ("RightStickRight", TurnRight),
    ("RightStickUp", ScrollUp),
    ("RightStickDown", ScrollDown),
];

/// The same for either hand, so one-handed use needs no remapping.
const CONTROLLER: &[(&str, Action)] = &[
    ("trigger", Select),
    ("secondary", Back),
    ("menu", OpenMenu),
    ("thumbstick_down", NextFocus),
    ("thumbstick_up", PreviousFocus),
    ("primary", Teleport),
    ("thumbstick_left", TurnLeft),
    ("thumbstick_right", TurnRight),
    ("squeeze", ReadFocused),
    ("thumbstick_click", RecenterView),
];

/// Without scanning, the first switch steps and the second selects, as in
/// two-switch scanning; with scanning on, the scanner reads the switches.
const SWITCH: &[(&str, Action)] = &[("switch1", NextFocus), ("switch2", Select)];

fn defaults(device: InputDevice) -> &'static [(&'static str, Action)] {
    match device {
        InputDevice::Keyboard => KEYBOARD,
        InputDevice::Gamepad => GAMEPAD,
        InputDevice::ControllerLeft | InputDevice::ControllerRight => CONTROLLER,
        InputDevice::Switch => SWITCH,
        // Voice phrases are matched by `voice`; gaze selects by dwell.
        InputDevice::Voice | InputDevice::Gaze => &[],
    }
}

/// The bindings in force: the defaults, with the user's bindings replacing those for the same input.
#[derive(Debug, Clone)]
pub struct BindingMap {
    map: HashMap<(InputDevice, String), Action>,
}

impl BindingMap {
    pub fn new(user: &[Binding]) -> Self {
        let devices = [
            InputDevice::Keyboard,
            InputDevice::Gamepad,
            InputDevice::ControllerLeft,
            InputDevice::ControllerRight,
            InputDevice::Switch,
        ];
        let mut map: HashMap<_, _> = devices
            .into_iter()
            .flat_map(|device| {
                defaults(device)
                    .iter()
                    .map(move |(input, action)| ((device, input.to_ascii_lowercase()), *action))
            })
            .collect();
        for binding in user {
            map.insert((binding.device, binding.input.to_ascii_lowercase()), binding.action);
        }
        Self { map }
    }

    /// The action a single input triggers, if any (names are case-insensitive).
    pub fn action(&self, device: InputDevice, input: &str) -> Option<Action> {
        self.map.get(&(device, input.to_ascii_lowercase())).copied()
    }

    /// An input of `device` that triggers `action` directly (the first by name), if any.
    pub fn input_for(&self, device: InputDevice, action: Action) -> Option<&str> {
        self.map
            .iter()
            .filter(|((d, _), a)| *d == device && **a == action)
            .map(|((_, input), _)| input.as_str())
            .min()
    }

    /// Every action one device triggers directly.
    pub fn direct_actions(&self, device: InputDevice) -> BTreeSet<Action> {
        self.map.iter().filter(|((d, _), _)| *d == device).map(|(_, action)| *action).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyboard_and_gamepad_reach_every_action_with_single_presses() {
        let map = BindingMap::new(&[]);
        for device in [InputDevice::Keyboard, InputDevice::Gamepad] {
            let reached = map.direct_actions(device);
            let missing: Vec<_> = Action::ALL.iter().filter(|a| !reached.contains(a)).collect();
            assert!(missing.is_empty(), "{device:?} cannot reach {missing:?}");
        }
        // Single inputs only: no default names a chord ("Shift+Tab") or a hold.
        for (input, _) in KEYBOARD.iter().chain(GAMEPAD).chain(CONTROLLER).chain(SWITCH) {
            assert!(!input.contains('+') && !input.contains("hold"), "{input}");
        }
    }

    #[test]
    fn either_controller_alone_reaches_the_menu_and_can_drive_it() {
        let map = BindingMap::new(&[]);
        for device in [InputDevice::ControllerLeft, InputDevice::ControllerRight] {
            let reached = map.direct_actions(device);
            for needed in [OpenMenu, NextFocus, PreviousFocus, Select, Back] {
                assert!(reached.contains(&needed), "{device:?} lacks {needed:?}");
            }
        }
    }

    #[test]
    fn user_bindings_replace_the_default_for_that_input() {
        let user = [Binding { device: InputDevice::Gamepad, input: "south".into(), action: Teleport }];
        let map = BindingMap::new(&user);
        assert_eq!(map.action(InputDevice::Gamepad, "South"), Some(Teleport));
        assert_eq!(map.action(InputDevice::Gamepad, "North"), Some(Teleport), "other defaults stay");
        assert_eq!(map.action(InputDevice::Keyboard, "Enter"), Some(Select));
        assert_eq!(map.action(InputDevice::Keyboard, "F13"), None);
    }
}
