//! Every input method alone reaches every action and changes a setting through the menus.
//!
//! For each method (one switch, two switches, gaze with dwell, a gamepad,
//! one controller, the keyboard, voice) the test writes the script a
//! person using only that method would follow, from the same menu model
//! the runtime uses, runs it in the simulator with a profile set up for
//! that method, and reads the report: every action must have been carried
//! out from that device, and the setting must have changed and been saved.

use allverse_core::input::{Action, InputDevice, ScanMode};
use allverse_core::profile::{Profile, ProfileStore, set_key};
use allverse_core::scenario::Scenario;
use allverse_input::bindings::BindingMap;
use allverse_input::menu::{MenuId, MenuItem, MenuOutcome, Menus, PAGE_ITEMS, SETTINGS, VISION_SETTINGS};
use allverse_runtime::SessionSetup;
use allverse_runtime::Simulator;
use std::collections::BTreeSet;

const FRAME_RATE_HZ: f32 = 20.0;
const FRAME_S: f32 = 1.0 / FRAME_RATE_HZ;
/// Time between presses: brisk, but several frames apart.
const PRESS_GAP_S: f32 = 0.25;
const SCAN_STEP_S: f32 = 0.5;
const DWELL_S: f32 = 0.5;
const COOLDOWN_S: f32 = 0.5;

#[derive(Clone, Copy, Debug)]
enum Method {
    /// Buttons or phrases: direct bindings, then "open", "next" and "select" in the menus.
    Buttons {
        device: InputDevice,
        open: &'static str,
        next: &'static str,
        select: &'static str,
    },
    OneSwitch,
    TwoSwitches,
    GazeDwell,
}

/// The scripted inputs, and the menus as the runtime will have them.
struct Script {
    method: Method,
    device: InputDevice,
    inputs: String,
    t_s: f32,
    menus: Menus,
    profile: Profile,
    /// One-switch scanning restarts on the item in focus when the menu changes; this is when.
    scan_restart_s: f32,
    last_input_s: f32,
    /// When the menu first stands open, for a capture of it.
    first_open_s: Option<f32>,
}

impl Script {
    fn new(method: Method, device: InputDevice, profile: Profile) -> Self {
        Self {
            method,
            device,
            inputs: String::new(),
            t_s: 0.5,
            menus: Menus::default(),
            profile,
            scan_restart_s: 0.0,
            last_input_s: 0.0,
            first_open_s: None,
        }
    }

    fn device_name(&self) -> String {
        serde_json::to_value(self.device).unwrap().as_str().unwrap().to_string()
    }

    fn input(&mut self, input: &str) {
        let device = self.device_name();
        self.last_input_s = self.t_s;
        self.inputs +=
            &format!("[[inputs]]\nat_s = {:.3}\ndevice = \"{device}\"\ninput = \"{input}\"\n\n", self.t_s);
    }

    fn press(&mut self, input: &str) {
        self.input(input);
        self.t_s += PRESS_GAP_S;
    }

    /// Rests the eyes on a panel for one dwell (after the cool-down of the last one).
    fn look(&mut self, panel: &str) {
        self.input(panel);
        self.t_s += COOLDOWN_S + DWELL_S + 3.0 * FRAME_S;
    }

    /// Keeps the model in step with what the runtime will do.
    fn model(&mut self, action: Action) -> MenuOutcome {
        let outcome = self.menus.apply(action, &self.profile);
        if let MenuOutcome::Set { key, value } = outcome {
            self.profile = set_key(&self.profile, key, value).unwrap();
        }
        // Scanning starts again from the focused item when the menu changes
        // (on the same frame as the press, or the one after).
        self.scan_restart_s = self.last_input_s;
        outcome
    }

    fn open_menu(&mut self) {
        match self.method {
            Method::Buttons { open, .. } => self.press(open),
            Method::OneSwitch | Method::TwoSwitches => self.press("switch1"),
            Method::GazeDwell => self.look("menu-button"),
        }
        self.model(Action::OpenMenu);
        // A press opens it at once; a dwell only once the look has lasted.
        let open_s =
            if let Method::GazeDwell = self.method { self.t_s } else { self.last_input_s + 2.0 * FRAME_S };
        self.first_open_s.get_or_insert(open_s);
    }

    /// Opens the menu if needed, moves focus to `item` the way the method does, and selects it.
    fn choose(&mut self, item: MenuItem) {
        if !self.menus.is_open() {
            self.open_menu();
        }
        let (menu, focus) = self.menus.current().unwrap();
        let items = self.menus.items(menu);
        let index = items.iter().position(|i| *i == item).expect("the item is in this menu");
        let steps = (index + items.len() - focus) % items.len();
        match self.method {
            Method::Buttons { next, select, .. } => {
                for _ in 0..steps {
                    self.press(next);
                    self.model(Action::NextFocus);
                }
                self.press(select);
            }
            Method::TwoSwitches => {
                for _ in 0..steps {
                    self.press("switch1");
                }
                self.press("switch2");
            }
            Method::OneSwitch => {
                // Press in the middle of the item's turn in the scan, which a
                // frame's uncertainty in the restart cannot move it out of.
                self.t_s = self.scan_restart_s + (steps as f32 + 0.5) * SCAN_STEP_S;
                self.press("switch1");
            }
            Method::GazeDwell => {
                let pages = items.len().div_ceil(PAGE_ITEMS);
                let turns = (index / PAGE_ITEMS + pages - focus / PAGE_ITEMS) % pages;
                for _ in 0..turns {
                    self.look("menu-more");
                }
                self.look(&format!("menu-row-{}", 1 + index % PAGE_ITEMS));
            }
        }
        self.menus.focus_at(index);
        self.model(Action::Select);
    }
}

fn script_for(method: Method, device: InputDevice, profile: &Profile) -> Script {
    let mut script = Script::new(method, device, profile.clone());
    // Direct bindings first (none for switches and gaze, which work through menus).
    if let Method::Buttons { .. } = method {
        let map = BindingMap::new(&profile.input.bindings);
        for action in Action::ALL {
            let input = match device {
                InputDevice::Voice => Some(allverse_input::voice::phrase(action).to_string()),
                _ => map.input_for(device, action).map(str::to_string),
            };
            if let Some(input) = input {
                script.press(&input);
                script.model(action);
            }
        }
        while script.menus.is_open() {
            script.choose(MenuItem::Do(Action::Back));
        }
    }
    // Everything the method has no direct input for, through the action menu.
    let reached_directly: BTreeSet<Action> = match method {
        Method::Buttons { device: InputDevice::Voice, .. } => Action::ALL.into(),
        Method::Buttons { .. } => BindingMap::new(&profile.input.bindings).direct_actions(device),
        _ => BTreeSet::from([Action::Select, Action::OpenMenu]),
    };
    for item in Menus::default().items(MenuId::Actions) {
        if let MenuItem::Do(action) = item
            && !reached_directly.contains(&action)
        {
            script.choose(item);
        }
    }
    // A setting changed through the menus: text size, one step larger.
    script.choose(MenuItem::Open(MenuId::Settings));
    script.choose(MenuItem::Change(&SETTINGS[0]));
    script.choose(MenuItem::Do(Action::Back));
    script.choose(MenuItem::Do(Action::Back));
    assert!(!script.menus.is_open());
    script
}

/// What a scripted run left behind: its report (and JSON) and where its profile was saved.
struct Run {
    report: allverse_runtime::SessionReport,
    json: serde_json::Value,
    profile_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// Plays `script` in the simulator, saving settings to a profile file as the app does.
fn run_script(script: &Script, profile: &Profile) -> Run {
    let duration_s = script.t_s + 1.0;
    let text = format!(
        "name = \"Input conformance: {:?}\"\nduration_s = {duration_s:.2}\nframe_rate_hz = {FRAME_RATE_HZ}\n\n\
         [view]\nwidth_px = 640\nheight_px = 360\nvertical_fov_deg = 50.0\n\n\
         [room]\nsize_m = [12.0, 3.0, 12.0]\n\n{}[[checkpoints]]\nat_s = {:.2}\ncapture = \"menu\"\n",
        script.device,
        script.inputs,
        script.first_open_s.expect("the menu was opened")
    );
    let dir = tempfile::tempdir().unwrap();
    let scenario =
        Scenario::parse(&text, "conformance.toml", dir.path()).expect("the script is a valid scenario");
    let profile_path = dir.path().join("profile.toml");
    ProfileStore::at(&profile_path).save(profile).unwrap();
    let mut setup = SessionSetup::prepare(scenario, profile.clone(), "headless").unwrap();
    setup.profile_store = Some(profile_path.clone());
    let report = Simulator::new(setup, dir.path()).unwrap().run().unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap()).unwrap();
    Run { report, json, profile_path, _dir: dir }
}

fn run_method(method: Method, device: InputDevice, profile: Profile) {
    let script = script_for(method, device, &profile);
    let Run { report, json, profile_path, _dir } = run_script(&script, &profile);

    let device_name = script.device_name();
    let events = json["timeline"].as_array().unwrap();
    let reached: BTreeSet<&str> = events
        .iter()
        .filter(|e| e["event"] == "action" && e["device"] == device_name.as_str())
        .filter_map(|e| e["action"].as_str())
        .collect();
    let missing: Vec<String> =
        Action::ALL.iter().map(|a| a.name()).filter(|name| !reached.contains(name.as_str())).collect();
    assert!(
        missing.is_empty(),
        "{device_name} alone did not reach {missing:?} ({} events)",
        report.timeline.len()
    );
    assert!(
        events.iter().all(|e| e["event"] != "action" || e["device"] == device_name.as_str()),
        "only {device_name} was used"
    );
    let changed = events.iter().any(|e| {
        e["event"] == "setting_changed"
            && e["key"] == "display.caption_cap_height_deg"
            && e["value"] == "large"
    });
    assert!(changed, "{device_name}: the text size was not changed through the menus");
    let saved = ProfileStore::at(&profile_path).load().unwrap().profile;
    assert_eq!(saved.display.caption_cap_height_deg, 1.0, "{device_name}: the new text size is saved");
    assert!(events.iter().any(|e| e["event"] == "menu_closed"), "the menus were closed again");
    let capture = report.captures.iter().find(|c| c.name == "menu").expect("the menu was captured");
    if let Ok(dir) = std::env::var("ALLVERSE_KEEP_CAPTURES") {
        std::fs::copy(&capture.path, std::path::Path::new(&dir).join(format!("menu-{device_name}.png")))
            .unwrap();
    }
    assert!(
        capture.in_view.iter().any(|id| id == "menu-row-1"),
        "the open menu is in view: {:?}",
        capture.in_view
    );
    let text = allverse_e2e::Capture::read(&capture.path).panel_text_fraction();
    assert!(text > 0.0003, "its text is drawn: {text}");
}

fn buttons(device: InputDevice, open: &'static str, next: &'static str, select: &'static str) -> Method {
    Method::Buttons { device, open, next, select }
}

#[test]
fn keyboard_alone() {
    run_method(
        buttons(InputDevice::Keyboard, "M", "Tab", "Enter"),
        InputDevice::Keyboard,
        Profile::default(),
    );
}

#[test]
fn gamepad_alone() {
    run_method(
        buttons(InputDevice::Gamepad, "Start", "DPadDown", "South"),
        InputDevice::Gamepad,
        Profile::default(),
    );
}

#[test]
fn one_controller_alone() {
    let method = buttons(InputDevice::ControllerRight, "menu", "thumbstick_down", "trigger");
    run_method(method, InputDevice::ControllerRight, Profile::default());
}

#[test]
fn voice_alone() {
    run_method(buttons(InputDevice::Voice, "menu", "next", "select"), InputDevice::Voice, Profile::default());
}

fn scanning(mode: ScanMode) -> Profile {
    let mut profile = Profile::default();
    profile.input.scan.mode = mode;
    profile.input.scan.step_s = SCAN_STEP_S;
    profile
}

#[test]
fn one_switch_alone() {
    run_method(Method::OneSwitch, InputDevice::Switch, scanning(ScanMode::OneSwitch));
}

#[test]
fn two_switches_alone() {
    run_method(Method::TwoSwitches, InputDevice::Switch, scanning(ScanMode::TwoSwitch));
}

#[test]
fn gaze_and_dwell_alone() {
    let mut profile = Profile::default();
    profile.input.dwell.enabled = true;
    profile.input.dwell.dwell_s = DWELL_S;
    profile.input.dwell.cooldown_s = COOLDOWN_S;
    run_method(Method::GazeDwell, InputDevice::Gaze, profile);
}

#[test]
fn every_vision_tool_is_switched_on_and_tuned_with_one_switch() {
    let profile = scanning(ScanMode::OneSwitch);
    let mut script = Script::new(Method::OneSwitch, InputDevice::Switch, profile.clone());
    script.choose(MenuItem::Open(MenuId::Vision));
    for choice in VISION_SETTINGS {
        script.choose(MenuItem::Change(choice));
    }
    script.choose(MenuItem::Do(Action::Back));
    script.choose(MenuItem::Do(Action::Back));
    assert!(!script.menus.is_open());
    let run = run_script(&script, &profile);

    let events = run.json["timeline"].as_array().unwrap();
    let changed: Vec<&str> =
        events.iter().filter(|e| e["event"] == "setting_changed").filter_map(|e| e["key"].as_str()).collect();
    let keys: Vec<&str> = VISION_SETTINGS.iter().map(|c| c.key).collect();
    assert_eq!(changed, keys, "each tool was changed once, in menu order, by the switch");
    assert!(
        events.iter().all(|e| e["event"] != "action" || e["device"] == "switch"),
        "only the switch was used"
    );
    let saved = ProfileStore::at(&run.profile_path).load().unwrap().profile;
    assert_eq!(saved.vision, script.profile.vision, "the saved profile holds what the menus chose");
    let menus = Menus::default();
    for choice in VISION_SETTINGS {
        let item = MenuItem::Change(choice);
        assert_ne!(
            menus.label(item, &saved),
            menus.label(item, &Profile::default()),
            "{} was changed",
            choice.key
        );
    }
    assert!(!run.report.captures.is_empty());
}
