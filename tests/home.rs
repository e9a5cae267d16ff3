//! The home in the headset (FGMV-15), end to end: the simulator against a real Mosquitto broker.
//!
//! Each test starts its own broker (TLS, passwords, an ACL) and plays the
//! hub from the scenario's `[home_hub]`; the headset connects with the
//! profile's `[home]` settings, as a user's would.

use allverse_core::home::PlacedDevice;
use allverse_core::profile::Profile;
use allverse_core::scenario::Scenario;
use allverse_e2e::{ear_levels, repo_root};
use allverse_home::broker::{
    BrokerConfig, HEADSET_PASSWORD, HEADSET_USER, HUB_PASSWORD, HUB_USER, TestBroker,
};
use allverse_home::publish::{Message, publish_once};
use allverse_runtime::{SessionSetup, Simulator};
use serde_json::Value;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

const DOORBELL_CONFIG: &str = r#"{"name":"Front door","device_class":"doorbell","event_types":["ring"],"state_topic":"home/front_door/event","unique_id":"front_door","device":{"identifiers":["front_door"],"name":"Front door","suggested_area":"Hall"}}"#;
const SMOKE_CONFIG: &str = r#"{"name":"Kitchen smoke alarm","device_class":"smoke","state_topic":"home/kitchen/smoke","unique_id":"kitchen_smoke","device":{"identifiers":["kitchen_smoke"],"name":"Kitchen smoke alarm","suggested_area":"Kitchen"}}"#;
const LIGHT_CONFIG: &str = r#"{"name":"Kitchen light","command_topic":"home/kitchen/light/set","state_topic":"home/kitchen/light/state","unique_id":"kitchen_light","device":{"identifiers":["kitchen_light"],"name":"Kitchen light","suggested_area":"Kitchen"}}"#;
const LOCK_CONFIG: &str = r#"{"name":"Front door lock","command_topic":"home/front_door/lock/set","state_topic":"home/front_door/lock/state","unique_id":"front_lock","device":{"identifiers":["front_lock"],"name":"Front door lock","suggested_area":"Hall"}}"#;

/// A broker whose ACL lets the headset command the kitchen light and nothing else.
fn start_broker() -> TestBroker {
    TestBroker::start(BrokerConfig::home(&["home/kitchen/light/set"]))
        .expect("mosquitto starts (cargo xtask setup installs it)")
}

/// `user:password` in a file only its owner can read, as the profile and the hub expect.
fn credentials(dir: &Path, name: &str, user: &str, password: &str) -> PathBuf {
    let path = dir.join(name);
    let mut file =
        std::fs::OpenOptions::new().create(true).write(true).truncate(true).mode(0o600).open(&path).unwrap();
    writeln!(file, "{user}:{password}").unwrap();
    path
}

/// The headset's profile: the broker over TLS, the light allowed, the door on the left of the home map.
fn headset_profile(broker: &TestBroker, dir: &Path, client_id: &str) -> Profile {
    let mut profile = Profile::default();
    let home = &mut profile.home;
    home.broker = Some(broker.tls_url());
    home.ca_file = Some(broker.ca_file());
    home.credentials_file = Some(credentials(dir, "headset.credentials", HEADSET_USER, HEADSET_PASSWORD));
    home.client_id = client_id.into();
    home.allowed = vec!["light.kitchen_light".into(), "lock.front_lock".into()];
    home.devices.insert("event.front_door".into(), PlacedDevice { position_m: [-3.0, 1.6, 0.0].into() });
    profile
}

/// A scenario around `body`, with the hub on `broker`.
fn scenario(broker: &TestBroker, dir: &Path, duration_s: f32, body: &str) -> Scenario {
    let hub = credentials(dir, "hub.credentials", HUB_USER, HUB_PASSWORD);
    let text = format!(
        "name = \"Home\"\nduration_s = {duration_s}\nframe_rate_hz = 20.0\n[room]\nsize_m = [8.0, 3.0, 8.0]\n\
         [home_hub]\nbroker = \"{}\"\ncredentials_file = \"{}\"\nca_file = \"{}\"\n{body}",
        broker.tls_url(),
        hub.display(),
        broker.ca_file().display()
    );
    let path = dir.join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    Scenario::load(&path).expect("the scenario is valid")
}

/// A home event in scenario TOML.
fn event(at_s: f32, topic: &str, payload: &str, retain: bool) -> String {
    format!("[[home_events]]\nat_s = {at_s}\ntopic = \"{topic}\"\npayload = '{payload}'\nretain = {retain}\n")
}

fn simulate(scenario: Scenario, profile: Profile, out: &Path) -> Value {
    let setup = SessionSetup::prepare(scenario, profile, "headless").expect("the session sets up");
    Simulator::new(setup, out).expect("the simulator starts").run().expect("the scenario runs");
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn events<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["timeline"].as_array().unwrap().iter().filter(|e| e["event"] == kind).collect()
}

/// The modalities alert `id` was presented in, first time round.
fn modalities(report: &Value, id: u64) -> Vec<String> {
    events(report, "home_alert")
        .iter()
        .filter(|e| e["alert"] == id && e["repeat"] == false)
        .map(|e| e["modality"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_doorbell_during_a_caption_reaches_every_sense_from_the_door_and_takes_no_focus() {
    let broker = start_broker();
    let dir = tempfile::tempdir().unwrap();
    let librivox = repo_root().join("assets/audio/librivox/sense_and_sensibility_01_austen_64kb-0870.wav");
    let body = format!(
        "[[people]]\nid = \"host\"\nname = \"Host\"\nposition_m = [0.0, 1.6, -2.0]\n\
         speech = [{{ audio = \"{}\", at_s = 0.0 }}]\n\
         [[inputs]]\nat_s = 1.0\ndevice = \"keyboard\"\ninput = \"M\"\n{}{}\
         [[checkpoints]]\nat_s = 4.1\ncapture = \"doorbell\"\n",
        librivox.display(),
        event(0.3, "homeassistant/event/front_door/config", DOORBELL_CONFIG, true),
        event(4.0, "home/front_door/event", r#"{"event_type":"ring"}"#, false),
    );
    let out = dir.path().join("out");
    let report = simulate(
        scenario(&broker, dir.path(), 7.0, &body),
        headset_profile(&broker, dir.path(), "doorbell"),
        &out,
    );

    let alert = events(&report, "home_alert")[0];
    assert_eq!(
        (alert["kind"].as_str(), alert["priority"].as_str()),
        (Some("doorbell"), Some("attention")),
        "{alert}"
    );
    assert_eq!(alert["t_s"].as_f64(), Some(4.0), "presented in the frame the hub rang");
    let id = alert["alert"].as_u64().unwrap();
    assert_eq!(modalities(&report, id), ["banner", "flash", "scene_line", "haptic:double", "speech"]);

    // A caption was showing, and the menu had focus: the alert moved neither.
    assert!(
        events(&report, "caption").iter().any(|c| c["t_s"].as_f64().unwrap() < 4.0),
        "a caption was live"
    );
    let focus_after: Vec<_> =
        events(&report, "focus").into_iter().filter(|f| f["t_s"].as_f64().unwrap() >= 4.0).collect();
    assert!(focus_after.is_empty(), "focus stayed on the menu: {focus_after:?}");
    assert!(events(&report, "menu_closed").is_empty(), "the menu stayed open");
    let banner =
        events(&report, "panel_shown").into_iter().find(|p| p["panel"] == "home-banner").expect("a banner");
    assert!(banner["text"].as_str().unwrap().contains("Front door"), "{banner}");

    // Spoken from the door, on the left: the left ear is louder.
    let spoken =
        events(&report, "spoken").into_iter().find(|s| s["kind"] == "alert").expect("the alert is spoken");
    assert!(spoken["azimuth_deg"].as_f64().unwrap() > 60.0, "from the left: {spoken}");
    let t = spoken["t_s"].as_f64().unwrap() as f32;
    let (left, right) = ear_levels(&out.join("audio.wav"), t + 0.2, t + 1.2);
    // The host keeps talking from straight ahead, into both ears alike; the door adds to the left.
    assert!(left > 1.2 * right, "the door is on the left ({left} vs {right})");
    assert!(out.join("doorbell.png").is_file());
}

#[test]
fn a_smoke_alarm_repeats_until_a_single_switch_acknowledges_it() {
    let broker = start_broker();
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{}{}[[inputs]]\nat_s = 12.5\ndevice = \"switch\"\ninput = \"switch1\"\n",
        event(0.3, "homeassistant/binary_sensor/kitchen_smoke/config", SMOKE_CONFIG, true),
        event(1.0, "home/kitchen/smoke", "ON", true),
    );
    let mut profile = headset_profile(&broker, dir.path(), "smoke");
    profile.home.visual = allverse_core::home::AlertVisual::Glow;
    let report = simulate(scenario(&broker, dir.path(), 24.0, &body), profile, &dir.path().join("out"));

    let presented = events(&report, "home_alert");
    let first = presented[0];
    assert_eq!(first["priority"], "life_safety", "{first}");
    let id = first["alert"].as_u64().unwrap();
    assert_eq!(modalities(&report, id), ["banner", "glow", "haptic:long-3", "speech"]);
    let repeats: Vec<f64> = presented
        .iter()
        .filter(|e| e["repeat"] == true && e["modality"] == "speech")
        .map(|e| e["t_s"].as_f64().unwrap())
        .collect();
    assert!(!repeats.is_empty(), "it repeats while unanswered");
    assert_eq!(repeats, [11.0], "every 10 s while unanswered, and not once acknowledged");
    let ack = events(&report, "home_alert_acknowledged");
    assert_eq!(ack.len(), 1, "{ack:?}");
    assert_eq!(ack[0]["device"].as_str(), Some("switch"));
    assert!((12.5..12.7).contains(&ack[0]["t_s"].as_f64().unwrap()), "{}", ack[0]);
    // The switch press answered the alarm; it did not also open the menu.
    assert!(events(&report, "focus").is_empty(), "{:?}", events(&report, "focus"));
}

/// Plays a light that does what it is told: each command on its topic comes back as its state.
fn run_light(broker: &TestBroker) -> std::thread::JoinHandle<()> {
    allverse_home::broker::echo_device(broker, "home/kitchen/light/set", "home/kitchen/light/state", 2)
        .expect("the light connects")
}

#[test]
fn a_light_is_switched_by_voice_and_by_one_switch_scanning_and_confirmed_by_its_state() {
    let broker = start_broker();
    let _light = run_light(&broker);
    let dir = tempfile::tempdir().unwrap();
    // One-switch scanning at 1 s a step: the press at 1.0 opens the menu and
    // scanning starts on its first item; "Home…" is the fourth; the Home page
    // lists the hall's lock, then the kitchen's light. Each press falls mid-step.
    let body = format!(
        "{}{}{}[[inputs]]\nat_s = 1.0\ndevice = \"switch\"\ninput = \"switch1\"\n\
         [[inputs]]\nat_s = 4.65\ndevice = \"switch\"\ninput = \"switch1\"\n\
         [[inputs]]\nat_s = 6.3\ndevice = \"switch\"\ninput = \"switch1\"\n\
         [[inputs]]\nat_s = 8.0\ndevice = \"voice\"\ninput = \"Turn off the kitchen light.\"\n\
         [[inputs]]\nat_s = 9.0\ndevice = \"voice\"\ninput = \"Unlock the front door lock.\"\n",
        event(0.2, "homeassistant/light/kitchen_light/config", LIGHT_CONFIG, true),
        event(0.3, "homeassistant/lock/front_lock/config", LOCK_CONFIG, true),
        event(0.4, "home/kitchen/light/state", "OFF", true),
    );
    let mut profile = headset_profile(&broker, dir.path(), "light");
    profile.input.scan.mode = allverse_core::input::ScanMode::OneSwitch;
    let report = simulate(scenario(&broker, dir.path(), 11.0, &body), profile, &dir.path().join("out"));

    let commands: Vec<(String, String)> = events(&report, "home_command")
        .iter()
        .map(|c| (c["entity"].as_str().unwrap().into(), c["outcome"].as_str().unwrap().into()))
        .collect();
    let light = |outcome: &str| ("light.kitchen_light".to_string(), outcome.to_string());
    assert_eq!(
        commands[..4],
        [
            light("sent turn on by menu"),
            light("confirmed"),
            light("sent turn off by voice"),
            light("confirmed")
        ],
        "{commands:?}"
    );
    // The lock is allowed in the profile but not in the broker's ACL: refused, and said so.
    assert_eq!(commands[4], ("lock.front_lock".to_string(), "sent unlock by voice".to_string()));
    assert!(commands[5].1.contains("refused"), "{commands:?}");
    let states: Vec<&str> = events(&report, "home_device")
        .iter()
        .filter(|d| d["entity"] == "light.kitchen_light")
        .map(|d| d["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["unknown", "off", "on", "off"],
        "added, its retained state, then each confirmed state"
    );
}

#[test]
fn an_alert_sent_while_the_headset_was_away_is_presented_when_it_reconnects() {
    let broker = start_broker();
    let dir = tempfile::tempdir().unwrap();
    let setup = event(0.2, "homeassistant/event/front_door/config", DOORBELL_CONFIG, true);
    let profile = headset_profile(&broker, dir.path(), "away");
    let first =
        simulate(scenario(&broker, dir.path(), 1.0, &setup), profile.clone(), &dir.path().join("first"));
    assert!(events(&first, "home_alert").is_empty());

    // The headset is off; the doorbell rings; a stale alert expires before it is back.
    let publish = |topic: &str, payload: &str, expiry_s: Option<u32>| {
        let message = Message { expiry_s, ..Message::new(topic, payload.as_bytes()) };
        publish_once(&broker.hub_settings(), &message).unwrap();
    };
    publish("home/front_door/event", r#"{"event_type":"ring"}"#, None);
    publish("allverse/headset/notify", "Parcel delivered an hour ago", Some(1));
    std::thread::sleep(std::time::Duration::from_millis(2500));

    // Back on: a later notification is published in the scenario; it arrives after the queued ring.
    let later = event(0.5, "allverse/headset/notify", "Welcome back", false);
    let second = simulate(scenario(&broker, dir.path(), 1.5, &later), profile, &dir.path().join("second"));
    let texts: Vec<(&str, &str)> = events(&second, "home_alert")
        .iter()
        .filter(|a| a["modality"] == "banner")
        .map(|a| (a["kind"].as_str().unwrap(), a["text"].as_str().unwrap()))
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert_eq!(texts[0].0, "doorbell", "the ring kept for the headset comes first: {texts:?}");
    assert!(texts[1].1.contains("Welcome back"), "{texts:?}");
    assert!(!texts.iter().any(|(_, t)| t.contains("Parcel")), "the expired alert is not shown: {texts:?}");
}

#[test]
fn a_broker_restart_mid_session_loses_nothing() {
    let mut broker = start_broker();
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{}{}",
        event(0.3, "homeassistant/event/front_door/config", DOORBELL_CONFIG, true),
        event(3.0, "home/front_door/event", r#"{"event_type":"ring"}"#, false),
    );
    let setup = SessionSetup::prepare(
        scenario(&broker, dir.path(), 4.0, &body),
        headset_profile(&broker, dir.path(), "restart"),
        "headless",
    )
    .unwrap();
    let out = dir.path().join("out");
    Simulator::new(setup, &out)
        .unwrap()
        .run_with_interlude(1.0, || broker.restart().expect("mosquitto restarts"))
        .unwrap();
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();

    let connection: Vec<bool> =
        events(&report, "home_connection").iter().map(|c| c["connected"].as_bool().unwrap()).collect();
    assert_eq!(connection, [true, false, true], "connected, lost in the restart, back");
    let ring = events(&report, "home_alert");
    assert_eq!(ring[0]["kind"], "doorbell", "the ring after the restart is presented");
    assert!(events(&report, "home_skipped").is_empty(), "{:?}", events(&report, "home_skipped"));
}

#[test]
fn malformed_discovery_is_skipped_with_its_reason_and_the_rest_still_works() {
    let broker = start_broker();
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{}{}{}",
        event(0.2, "homeassistant/light/broken/config", "{not json", true),
        event(
            0.3,
            "homeassistant/sensor/huge/config",
            &format!(r#"{{"name":"{}","state_topic":"home/x"}}"#, "x".repeat(60_000)),
            true
        ),
        event(0.4, "homeassistant/event/front_door/config", DOORBELL_CONFIG, true),
    );
    let report = simulate(
        scenario(&broker, dir.path(), 1.0, &body),
        headset_profile(&broker, dir.path(), "malformed"),
        &dir.path().join("out"),
    );
    let skipped = events(&report, "home_skipped");
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["topic"], "homeassistant/light/broken/config");
    assert!(skipped[0]["reason"].as_str().unwrap().contains("JSON"), "{}", skipped[0]);
    let devices: Vec<&str> =
        events(&report, "home_device").iter().map(|d| d["entity"].as_str().unwrap()).collect();
    assert_eq!(devices, ["sensor.huge", "event.front_door"], "an enormous name is cut, not fatal");
}

#[test]
fn a_wrong_password_is_said_in_the_scene_and_never_written_down() {
    let broker = start_broker();
    let dir = tempfile::tempdir().unwrap();
    let mut profile = headset_profile(&broker, dir.path(), "wrong");
    profile.home.credentials_file =
        Some(credentials(dir.path(), "wrong.credentials", HEADSET_USER, "hunter2-not-it"));
    let body = event(0.5, "homeassistant/event/front_door/config", DOORBELL_CONFIG, true);
    let out = dir.path().join("out");
    let report = simulate(scenario(&broker, dir.path(), 1.0, &body), profile, &out);
    let down = events(&report, "home_connection");
    assert!(
        down.iter()
            .any(|c| c["connected"] == false
                && c["detail"].as_str().unwrap().contains("user name or password")),
        "{down:?}"
    );
    let written = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(!written.contains("hunter2"), "the password is never in the report");
}

#[test]
fn a_device_placed_on_the_home_map_is_heard_from_where_it_was_placed() {
    let broker = start_broker();
    let dir = tempfile::tempdir().unwrap();
    // Look left (to where the door is), and with the keyboard alone: menu,
    // down to "Home…", into "Home map…", place the front door; then look ahead again.
    let keys: String =
        ["M", "ArrowDown", "ArrowDown", "ArrowDown", "Enter", "Enter", "Enter", "Escape", "Escape"]
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let at_s = 1.2 + 0.25 * i as f32;
                format!("[[inputs]]\nat_s = {at_s}\ndevice = \"keyboard\"\ninput = \"{key}\"\n")
            })
            .collect();
    let body = format!(
        "[[head]]\nat_s = 0.0\nposition_m = [0.0, 1.6, 0.0]\nyaw_deg = 0.0\n\
         [[head]]\nat_s = 1.0\nposition_m = [0.0, 1.6, 0.0]\nyaw_deg = 90.0\n\
         [[head]]\nat_s = 3.6\nposition_m = [0.0, 1.6, 0.0]\nyaw_deg = 90.0\n\
         [[head]]\nat_s = 3.8\nposition_m = [0.0, 1.6, 0.0]\nyaw_deg = 0.0\n{keys}{}{}",
        event(0.3, "homeassistant/event/front_door/config", DOORBELL_CONFIG, true),
        event(4.0, "home/front_door/event", r#"{"event_type":"ring"}"#, false),
    );
    let mut profile = headset_profile(&broker, dir.path(), "placing");
    profile.home.devices.clear();
    let report = simulate(scenario(&broker, dir.path(), 6.0, &body), profile, &dir.path().join("out"));

    let placed = events(&report, "setting_changed");
    assert_eq!(placed.len(), 1, "{placed:?}");
    assert_eq!(placed[0]["key"], "home.devices.\"event.front_door\".position_m");
    let spoken =
        events(&report, "spoken").into_iter().find(|s| s["kind"] == "alert").expect("the ring is spoken");
    assert!(
        spoken["azimuth_deg"].as_f64().unwrap() > 60.0,
        "from the left, where the door was placed: {spoken}"
    );
    let modalities = modalities(&report, events(&report, "home_alert")[0]["alert"].as_u64().unwrap());
    assert!(modalities.contains(&"scene_line".to_string()), "a line beside the placed door: {modalities:?}");
}
