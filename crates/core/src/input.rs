//! The vocabulary of input: what a person can do, and how they set up the ways they do it.
//!
//! Actions are semantic ("select", "back"), never physical ("press A"):
//! every action must be reachable from any single input method, so the
//! runtime and the menus speak only in actions, and each method's adapter
//! (gamepad, switch scanning, gaze dwell, voice, keyboard, one controller)
//! turns its own events into them. This module holds the names and the
//! user's settings; `allverse-input` holds the behaviour.

use serde::{Deserialize, Serialize};

/// Something a person can do in Allverse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Select,
    Back,
    OpenMenu,
    NextFocus,
    PreviousFocus,
    ScrollUp,
    ScrollDown,
    Teleport,
    TurnLeft,
    TurnRight,
    RecenterView,
    ToggleCaptions,
    RepeatLastCaption,
    CaptionHistory,
    ReadFocused,
    SwitchInterpreterChannel,
    GoToSafePlace,
    StopSpeech,
    /// Says the name and distance of what the pointer points at, from where it is.
    Describe,
    /// Opens or mutes the microphone in a live session: nothing from it leaves the device while muted.
    ToggleMicrophone,
}

impl Action {
    pub const ALL: [Action; 20] = [
        Action::Select,
        Action::Back,
        Action::OpenMenu,
        Action::NextFocus,
        Action::PreviousFocus,
        Action::ScrollUp,
        Action::ScrollDown,
        Action::Teleport,
        Action::TurnLeft,
        Action::TurnRight,
        Action::RecenterView,
        Action::ToggleCaptions,
        Action::RepeatLastCaption,
        Action::CaptionHistory,
        Action::ReadFocused,
        Action::SwitchInterpreterChannel,
        Action::GoToSafePlace,
        Action::StopSpeech,
        Action::Describe,
        Action::ToggleMicrophone,
    ];

    /// What menus and announcements call it.
    pub fn label(self) -> &'static str {
        match self {
            Action::Select => "Select",
            Action::Back => "Back",
            Action::OpenMenu => "Main menu",
            Action::NextFocus => "Next item",
            Action::PreviousFocus => "Previous item",
            Action::ScrollUp => "Scroll up",
            Action::ScrollDown => "Scroll down",
            Action::Teleport => "Teleport ahead",
            Action::TurnLeft => "Turn left",
            Action::TurnRight => "Turn right",
            Action::RecenterView => "Recenter view",
            Action::ToggleCaptions => "Captions on or off",
            Action::RepeatLastCaption => "Repeat last caption",
            Action::CaptionHistory => "Caption history",
            Action::ReadFocused => "Read aloud",
            Action::SwitchInterpreterChannel => "Next language channel",
            Action::GoToSafePlace => "Go to a safe place",
            Action::StopSpeech => "Stop speech",
            Action::Describe => "What is that?",
            Action::ToggleMicrophone => "Microphone on or off",
        }
    }

    /// The name used in profiles, scenarios and voice commands, e.g. `open_menu`.
    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

/// A kind of input device, as bindings and scenarios name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputDevice {
    Keyboard,
    Gamepad,
    /// One or two accessibility switches (each seen as a button).
    Switch,
    ControllerLeft,
    ControllerRight,
    Voice,
    Gaze,
}

impl InputDevice {
    pub const NAMES: [&str; 7] =
        ["keyboard", "gamepad", "switch", "controller_left", "controller_right", "voice", "gaze"];

    /// The device a profile or scenario names, e.g. `controller_left`.
    pub fn from_name(name: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(name.into())).ok()
    }
}

/// One physical input doing one action; the user's bindings replace the defaults for that input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    pub device: InputDevice,
    /// The key, button or phrase: `Space`, `South`, `trigger`, `captions off`.
    pub input: String,
    pub action: Action,
}

/// How switch access steps through the choices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanMode {
    #[default]
    Off,
    /// Highlight moves by itself; the one switch selects.
    OneSwitch,
    /// One switch steps, the other selects.
    TwoSwitch,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanSettings {
    pub mode: ScanMode,
    /// Time on each choice while auto-scanning.
    pub step_s: f32,
    /// Passes over the choices before auto-scanning pauses.
    pub loops: u32,
    /// A press counts only once held this long (filters tremor and bumps).
    pub acceptance_ms: u32,
    /// After a release, presses this soon are ignored (filters bounces and repeats).
    pub release_ms: u32,
}

impl Default for ScanSettings {
    fn default() -> Self {
        Self { mode: ScanMode::Off, step_s: 1.0, loops: 3, acceptance_ms: 0, release_ms: 0 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DwellSettings {
    pub enabled: bool,
    /// Looking at something this long selects it.
    pub dwell_s: f32,
    /// After a selection, dwelling does nothing for this long.
    pub cooldown_s: f32,
}

impl Default for DwellSettings {
    fn default() -> Self {
        Self { enabled: false, dwell_s: 0.8, cooldown_s: 1.0 }
    }
}

/// The profile's `[input]` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InputSettings {
    /// Bindings that replace or add to the defaults.
    pub bindings: Vec<Binding>,
    /// Presses closer together than this count once.
    pub debounce_ms: u32,
    /// A press toggles an action on and off instead of needing a hold.
    pub hold_to_toggle: bool,
    /// Holding repeats an action (scrolling, turning) after this delay…
    pub repeat_delay_ms: u32,
    /// …every this often; 0 never repeats.
    pub repeat_interval_ms: u32,
    /// Thumbstick travel ignored around the centre, 0–0.9.
    pub stick_dead_zone: f32,
    pub stick_sensitivity: f32,
    pub scan: ScanSettings,
    pub dwell: DwellSettings,
    /// Spoken commands ("select", "back", "captions off") through the captions recognizer.
    pub voice_commands: bool,
}

impl Default for InputSettings {
    fn default() -> Self {
        Self {
            bindings: Vec::new(),
            debounce_ms: 0,
            hold_to_toggle: false,
            repeat_delay_ms: 600,
            repeat_interval_ms: 0,
            stick_dead_zone: 0.2,
            stick_sensitivity: 1.0,
            scan: ScanSettings::default(),
            dwell: DwellSettings::default(),
            voice_commands: true,
        }
    }
}

impl InputSettings {
    /// The first input bound to two different actions: the input, and why that is refused.
    pub fn conflict(&self) -> Option<(String, String)> {
        self.bindings.iter().enumerate().find_map(|(i, a)| {
            let other = self.bindings[i + 1..].iter().find(|b| {
                b.device == a.device && b.input.eq_ignore_ascii_case(&a.input) && b.action != a.action
            })?;
            let reason = format!(
                "it is bound to both {} and {}; an input can do only one thing",
                a.action.name(),
                other.action.name()
            );
            Some((a.input.clone(), reason))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    #[test]
    fn device_names_round_trip() {
        for name in InputDevice::NAMES {
            let device = InputDevice::from_name(name).unwrap();
            assert_eq!(serde_json::to_value(device).unwrap(), name);
        }
        assert_eq!(InputDevice::from_name("joystick"), None);
    }

    #[test]
    fn actions_have_profile_names() {
        assert_eq!(Action::OpenMenu.name(), "open_menu");
        assert_eq!(
            Action::ALL.len(),
            Action::ALL.iter().map(|a| a.name()).collect::<std::collections::HashSet<_>>().len()
        );
    }

    #[test]
    fn input_settings_are_validated_with_the_key_and_range() {
        let profile = Profile::from_toml("[input.dwell]\nenabled = true\ndwell_s = 1.5\n").unwrap();
        assert_eq!(profile.input.dwell.dwell_s, 1.5);
        let error = Profile::from_toml("[input.dwell]\ndwell_s = 0.1\n").unwrap_err().to_string();
        assert!(error.contains("input.dwell.dwell_s") && error.contains("between 0.25 and 3"), "{error}");
        let error = Profile::from_toml("[input.scan]\nmode = \"three_switch\"\n").unwrap_err().to_string();
        assert!(error.contains("three_switch"), "{error}");
    }

    #[test]
    fn an_input_bound_to_two_actions_is_a_conflict() {
        let text = "[[input.bindings]]\ndevice = \"keyboard\"\ninput = \"Space\"\naction = \"select\"\n\n[[input.bindings]]\ndevice = \"keyboard\"\ninput = \"space\"\naction = \"teleport\"\n";
        let error = Profile::from_toml(text).unwrap_err().to_string();
        assert!(
            error.contains("input.bindings = Space") && error.contains("both select and teleport"),
            "{error}"
        );
        let same_input_other_device = text.replacen("keyboard", "gamepad", 1);
        assert!(Profile::from_toml(&same_input_other_device).is_ok());
    }

    #[test]
    fn a_malformed_input_section_keeps_the_defaults_and_the_users_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.toml");
        let text = "[input]\ndebounce_ms = 50\n\n[[input.bindings]]\ndevice = \"switch\"\ninput = \"switch1\"\naction = \"fly\"\n";
        std::fs::write(&path, text).unwrap();
        let loaded = crate::profile::ProfileStore::at(&path).load().unwrap();
        assert_eq!(loaded.profile.input, InputSettings::default(), "defaults apply for the session");
        let Some(crate::profile::ProfileNotice::KeptAside { backup, problem }) = loaded.notice else {
            panic!("the user is told")
        };
        assert!(problem.contains("fly"), "the message names the bad value: {problem}");
        assert_eq!(std::fs::read_to_string(backup).unwrap(), text, "the user's file is kept as it was");
    }
}
