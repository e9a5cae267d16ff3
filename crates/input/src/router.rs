//! From raw input events to semantic actions: bindings, timing filters and switch scanning in one place.
//!
//! Adapters (keyboard, gamepad, controllers, switches, voice) report
//! presses, releases and utterances with their time; [`Router::update`]
//! returns what they mean. Gaze dwell and pointing work on things in the
//! scene, so the runtime handles them with [`crate::dwell`].

use crate::bindings::BindingMap;
use crate::scanning::{ScanEvent, Scanner};
use crate::stick::StickAxis;
use crate::timing::{Debounce, HoldToToggle, Repeat};
use allverse_core::input::{Action, InputDevice, InputSettings, ScanMode};
use std::collections::HashMap;

/// What an input meant.
#[derive(Debug, Clone, PartialEq)]
pub enum Routed {
    Action {
        action: Action,
        device: InputDevice,
        input: String,
    },
    /// Switch scanning highlighted this menu item.
    FocusAt {
        index: usize,
        device: InputDevice,
    },
    /// A recognised utterance that is no action phrase, for features that understand more.
    Said {
        utterance: String,
    },
}

/// Actions that repeat while their input is held (or toggled on).
fn repeats(action: Action) -> bool {
    matches!(
        action,
        Action::NextFocus
            | Action::PreviousFocus
            | Action::ScrollUp
            | Action::ScrollDown
            | Action::TurnLeft
            | Action::TurnRight
    )
}

/// An input that is down, or toggled on, and repeats its action.
#[derive(Debug)]
struct Held {
    key: (InputDevice, String),
    action: Action,
    repeat: Repeat,
    toggle: HoldToToggle,
}

#[derive(Debug)]
pub struct Router {
    bindings: BindingMap,
    settings: InputSettings,
    scanner: Scanner,
    /// The menu as scanning last saw it: (items, focus).
    menu: Option<(usize, usize)>,
    debounce: HashMap<(InputDevice, String), Debounce>,
    held: Vec<Held>,
    out: Vec<Routed>,
}

impl Router {
    pub fn new(settings: &InputSettings) -> Self {
        Self {
            bindings: BindingMap::new(&settings.bindings),
            settings: settings.clone(),
            scanner: Scanner::new(&settings.scan, 1),
            menu: None,
            debounce: HashMap::new(),
            held: Vec::new(),
            out: Vec::with_capacity(16),
        }
    }

    pub fn settings(&self) -> &InputSettings {
        &self.settings
    }

    pub fn press(&mut self, device: InputDevice, input: &str, t_s: f32) {
        if let Some(index) = self.switch_index(device, input) {
            return self.scanner.switch(index, true, t_s);
        }
        let key = (device, input.to_ascii_lowercase());
        let debounce =
            self.debounce.entry(key.clone()).or_insert_with(|| Debounce::new(self.settings.debounce_ms));
        if !debounce.accept(t_s) {
            return;
        }
        let Some(action) = self.bindings.action(device, input) else { return };
        if let Some(index) = self.held.iter().position(|h| h.key == key) {
            // A toggled repeat: this press turns it off.
            if !self.held[index].toggle.input(true, true) {
                self.held.swap_remove(index);
            }
            return;
        }
        self.out.push(Routed::Action { action, device, input: input.to_string() });
        if repeats(action) {
            let mut repeat = Repeat::new(self.settings.repeat_delay_ms, self.settings.repeat_interval_ms);
            repeat.press(t_s);
            let mut toggle = HoldToToggle::default();
            toggle.input(true, self.settings.hold_to_toggle);
            self.held.push(Held { key, action, repeat, toggle });
        }
    }

    pub fn release(&mut self, device: InputDevice, input: &str, t_s: f32) {
        if let Some(index) = self.switch_index(device, input) {
            return self.scanner.switch(index, false, t_s);
        }
        let key = (device, input.to_ascii_lowercase());
        let hold_to_toggle = self.settings.hold_to_toggle;
        self.held.retain_mut(|h| h.key != key || h.toggle.input(false, hold_to_toggle));
    }

    /// A press or a release of a button or a switch.
    pub fn button(&mut self, device: InputDevice, input: &str, pressed: bool, t_s: f32) {
        if pressed { self.press(device, input, t_s) } else { self.release(device, input, t_s) }
    }

    /// A stick axis at `value` (−1…1): pushing it past the dead zone presses
    /// the direction's input, `names` = (negative, positive), e.g. ("LeftStickDown", "LeftStickUp").
    pub fn stick(
        &mut self,
        device: InputDevice,
        axis: &mut StickAxis,
        value: f32,
        names: (&str, &str),
        t_s: f32,
    ) {
        let (dead_zone, sensitivity) = (self.settings.stick_dead_zone, self.settings.stick_sensitivity);
        for change in axis.update(value, dead_zone, sensitivity).into_iter().flatten() {
            let name = if change.direction < 0 { names.0 } else { names.1 };
            self.button(device, name, change.pressed, t_s);
        }
    }

    /// A recognised utterance; only a whole known phrase is a command.
    pub fn say(&mut self, utterance: &str) {
        if !self.settings.voice_commands {
            return;
        }
        let routed = match crate::voice::command(utterance) {
            Some(action) => {
                Routed::Action { action, device: InputDevice::Voice, input: utterance.trim().into() }
            }
            None => Routed::Said { utterance: utterance.trim().into() },
        };
        self.out.push(routed);
    }

    /// Queues what pointing and dwell decided; they work on things in the
    /// scene, so the runtime resolves them, but they reach the menus in
    /// order with everything else.
    pub fn push(&mut self, routed: Routed) {
        self.out.push(routed);
    }

    /// Tells scanning what the menu shows: `Some((items, focus))`, or `None` when closed.
    pub fn sync_menu(&mut self, menu: Option<(usize, usize)>, t_s: f32) {
        if menu == self.menu {
            return;
        }
        self.menu = menu;
        match menu {
            // Scanning follows focus moved by anything else, and a newly opened menu.
            Some((items, focus))
                if self.scanner.highlight() != Some(focus) || items != self.scanner.choices() =>
            {
                self.scanner.restart_at(focus, items, t_s)
            }
            Some(_) => {}
            None => self.scanner.stop(),
        }
    }

    /// Everything the inputs meant since the last update, at `t_s`.
    pub fn update(&mut self, t_s: f32) -> std::vec::Drain<'_, Routed> {
        let device = InputDevice::Switch;
        match self.scanner.update(t_s) {
            Some(ScanEvent::Highlight(index)) if self.menu.is_none() => {
                self.out.push(Routed::Action { action: Action::OpenMenu, device, input: "switch1".into() });
                self.menu = Some((self.scanner.choices(), index));
            }
            Some(ScanEvent::Highlight(index)) => self.out.push(Routed::FocusAt { index, device }),
            Some(ScanEvent::Select(index)) => {
                // Forget the menu, so that scanning resumes on it if it stays open (a setting changed).
                self.menu = None;
                let input =
                    if self.settings.scan.mode == ScanMode::TwoSwitch { "switch2" } else { "switch1" };
                self.out.push(Routed::FocusAt { index, device });
                self.out.push(Routed::Action { action: Action::Select, device, input: input.into() });
            }
            Some(ScanEvent::Paused) | None => {}
        }
        for held in &mut self.held {
            for _ in 0..held.repeat.due(t_s) {
                self.out.push(Routed::Action {
                    action: held.action,
                    device: held.key.0,
                    input: held.key.1.clone(),
                });
            }
        }
        self.out.drain(..)
    }

    /// With scanning on, the scanner reads the switches: in two-switch
    /// scanning `switch1` steps and `switch2` selects; one switch does both.
    fn switch_index(&self, device: InputDevice, input: &str) -> Option<usize> {
        if device != InputDevice::Switch || self.settings.scan.mode == ScanMode::Off {
            return None;
        }
        match input.to_ascii_lowercase().as_str() {
            "switch1" => Some(0),
            "switch2" => Some(1),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InputDevice::*;
    use allverse_core::input::ScanSettings;

    fn actions(router: &mut Router, t_s: f32) -> Vec<Routed> {
        router.update(t_s).collect()
    }

    fn act(action: Action, device: InputDevice, input: &str) -> Routed {
        Routed::Action { action, device, input: input.into() }
    }

    #[test]
    fn a_press_is_one_action_and_chatter_is_debounced() {
        let mut router = Router::new(&InputSettings { debounce_ms: 150, ..Default::default() });
        router.press(Keyboard, "Enter", 0.0);
        router.release(Keyboard, "Enter", 0.02);
        router.press(Keyboard, "Enter", 0.05);
        assert_eq!(actions(&mut router, 0.1), [act(Action::Select, Keyboard, "Enter")]);
        router.press(Gamepad, "South", 0.5);
        assert_eq!(actions(&mut router, 0.5), [act(Action::Select, Gamepad, "South")]);
        router.press(Keyboard, "F13", 0.6);
        assert!(actions(&mut router, 0.6).is_empty(), "unbound inputs do nothing");
    }

    #[test]
    fn hold_to_toggle_repeats_without_holding_until_pressed_again() {
        let settings = InputSettings {
            hold_to_toggle: true,
            repeat_delay_ms: 500,
            repeat_interval_ms: 250,
            ..Default::default()
        };
        let mut router = Router::new(&settings);
        router.press(Keyboard, "Q", 0.0);
        router.release(Keyboard, "Q", 0.1);
        assert_eq!(actions(&mut router, 0.1), [act(Action::TurnLeft, Keyboard, "Q")]);
        assert_eq!(actions(&mut router, 0.6).len(), 1, "repeats after the delay though released");
        assert_eq!(actions(&mut router, 1.1).len(), 2, "every 250 ms");
        router.press(Keyboard, "Q", 1.2);
        assert!(actions(&mut router, 1.2).is_empty(), "the second press only stops it");
        assert!(actions(&mut router, 3.0).is_empty());
        // Without toggling, releasing stops the repeat.
        let mut held = Router::new(&InputSettings { repeat_interval_ms: 250, ..Default::default() });
        held.press(Keyboard, "Q", 0.0);
        held.release(Keyboard, "Q", 0.3);
        assert_eq!(actions(&mut held, 2.0).len(), 1);
    }

    fn scanning(mode: ScanMode) -> InputSettings {
        InputSettings { scan: ScanSettings { mode, step_s: 1.0, ..Default::default() }, ..Default::default() }
    }

    #[test]
    fn one_switch_opens_the_menu_scans_it_and_selects() {
        let mut router = Router::new(&scanning(ScanMode::OneSwitch));
        router.press(Switch, "switch1", 0.0);
        router.release(Switch, "switch1", 0.1);
        assert_eq!(actions(&mut router, 0.0), [act(Action::OpenMenu, Switch, "switch1")]);
        router.sync_menu(Some((5, 0)), 0.0);
        let focus: Vec<_> = (1..=25).flat_map(|i| actions(&mut router, i as f32 / 10.0)).collect();
        assert_eq!(
            focus,
            [Routed::FocusAt { index: 1, device: Switch }, Routed::FocusAt { index: 2, device: Switch }]
        );
        router.sync_menu(Some((5, 2)), 2.5);
        router.press(Switch, "switch1", 2.6);
        assert_eq!(
            actions(&mut router, 2.6),
            [Routed::FocusAt { index: 2, device: Switch }, act(Action::Select, Switch, "switch1")]
        );
        // A submenu opens: scanning starts on its first item straight away.
        router.sync_menu(Some((9, 0)), 2.7);
        assert_eq!(actions(&mut router, 3.75), [Routed::FocusAt { index: 1, device: Switch }]);
    }

    #[test]
    fn two_switches_step_and_select() {
        let mut router = Router::new(&scanning(ScanMode::TwoSwitch));
        let press = |router: &mut Router, switch: &str, t: f32| {
            router.press(Switch, switch, t);
            router.release(Switch, switch, t + 0.1);
            actions(router, t)
        };
        assert!(press(&mut router, "switch2", 0.0).is_empty(), "nothing to select yet");
        assert_eq!(press(&mut router, "switch1", 1.0), [act(Action::OpenMenu, Switch, "switch1")]);
        router.sync_menu(Some((4, 0)), 1.0);
        assert_eq!(press(&mut router, "switch1", 2.0), [Routed::FocusAt { index: 1, device: Switch }]);
        assert_eq!(
            press(&mut router, "switch2", 9.0),
            [Routed::FocusAt { index: 1, device: Switch }, act(Action::Select, Switch, "switch2")]
        );
        // With scanning off, the switches are plain buttons.
        let mut plain = Router::new(&InputSettings::default());
        plain.press(Switch, "switch2", 0.0);
        assert_eq!(actions(&mut plain, 0.0), [act(Action::Select, Switch, "switch2")]);
    }

    #[test]
    fn voice_commands_are_whole_phrases_and_can_be_turned_off() {
        let mut router = Router::new(&InputSettings::default());
        router.say("Captions off.");
        router.say("I think we should stop here");
        let said = Routed::Said { utterance: "I think we should stop here".into() };
        assert_eq!(
            actions(&mut router, 0.0),
            [act(Action::ToggleCaptions, Voice, "Captions off."), said],
            "a sentence that is no command is passed on for features that understand more, never as an action"
        );
        let mut off = Router::new(&InputSettings { voice_commands: false, ..Default::default() });
        off.say("select");
        assert!(actions(&mut off, 0.0).is_empty());
    }
}
