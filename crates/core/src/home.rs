//! The home in the headset (FGMV-15): which hub to reach, how alerts reach the user, and where devices are.
//!
//! This is the profile's `[home]` section. It holds what the user decides:
//! the broker their hub uses, the devices the headset may operate, how an
//! alert reaches each sense they have, and the home map that puts each
//! device in the room so its alert is heard from where it really is. The
//! connection itself is `allverse-home`; presenting alerts is the runtime's.
//!
//! Sources for the rules here: W3C XR Accessibility User Requirements
//! (XAUR, 2021) REQ 8a (critical alerts reach assistive technology without
//! moving focus) and REQ 16b (nothing flashes more than three times a
//! second, as in WCAG 2.2 success criterion 2.3.1).

use glam::Vec3;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The most flashes per second any alert may show (W3C XAUR REQ 16b; WCAG 2.2 SC 2.3.1).
pub const MAX_FLASHES_PER_S: f32 = 3.0;

/// The flash rate alerts use: below the limit with margin.
pub const FLASH_HZ: f32 = 2.0;
const _: () = assert!(FLASH_HZ < MAX_FLASHES_PER_S);

/// Whether the view's edge is lit `elapsed_s` seconds into an alert shown
/// with `visual`: on for the first half of each flash period, or always
/// for a steady glow.
pub fn edge_lit(visual: AlertVisual, elapsed_s: f32) -> bool {
    match visual {
        AlertVisual::Flash => (elapsed_s.max(0.0) * FLASH_HZ).fract() < 0.5,
        AlertVisual::Glow => true,
        AlertVisual::Off => false,
    }
}

/// How an alert shows itself besides its banner.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertVisual {
    /// The view's edge flashes in the alert's colour, at most three times a second.
    #[default]
    Flash,
    /// The view's edge glows steadily: for photosensitive users.
    Glow,
    /// The banner alone.
    Off,
}

/// One device placed on the home map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacedDevice {
    /// Where the device is, in the room the user sets up around them (metres, +Y up).
    pub position_m: Vec3,
}

/// The profile's `[home]` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HomeSettings {
    /// The hub's MQTT broker, `mqtts://host:8883` (TLS) or `mqtt://host:1883`;
    /// unset leaves the home out of the headset.
    pub broker: Option<String>,
    /// The certificate authority that signed the broker's certificate (PEM), for `mqtts://`.
    pub ca_file: Option<PathBuf>,
    /// A file holding `username:password` for the broker, readable by the owner alone (mode 0600).
    pub credentials_file: Option<PathBuf>,
    /// The MQTT client id; the broker keeps alerts for it while the headset is off.
    pub client_id: String,
    /// Home Assistant's discovery prefix.
    pub discovery_prefix: String,
    /// The topic Home Assistant's MQTT `notify` platform sends the headset's notifications to.
    pub notify_topic: String,
    /// Entities the headset may operate, e.g. `light.kitchen`; any other is refused before it is sent.
    pub allowed: Vec<String>,
    /// How an alert shows itself besides its banner.
    pub visual: AlertVisual,
    /// A distinct vibration per priority on controllers and gamepads.
    pub haptics: bool,
    /// Alerts are spoken from the device's direction.
    pub speak_alerts: bool,
    /// Say when a device changes state (a light goes on), not only when it alerts.
    pub announce_state_changes: bool,
    /// The home map: entity id → where the device is.
    pub devices: BTreeMap<String, PlacedDevice>,
}

impl Default for HomeSettings {
    fn default() -> Self {
        Self {
            broker: None,
            ca_file: None,
            credentials_file: None,
            client_id: "allverse-headset".into(),
            discovery_prefix: "homeassistant".into(),
            notify_topic: "allverse/headset/notify".into(),
            allowed: Vec::new(),
            visual: AlertVisual::Flash,
            haptics: true,
            speak_alerts: true,
            announce_state_changes: false,
            devices: BTreeMap::new(),
        }
    }
}

impl HomeSettings {
    /// Where the home map puts `entity`, if the user placed it.
    pub fn position_of(&self, entity: &str) -> Option<Vec3> {
        self.devices.get(entity).map(|d| d.position_m)
    }

    /// Whether the user allowed the headset to operate `entity`.
    pub fn allows(&self, entity: &str) -> bool {
        self.allowed.iter().any(|e| e == entity)
    }

    /// The first problem with these settings, as `(key, value, reason)`.
    pub(crate) fn problem(&self) -> Option<(String, String, String)> {
        if let Some(broker) = &self.broker {
            if !(broker.starts_with("mqtts://") || broker.starts_with("mqtt://")) {
                return Some((
                    "home.broker".into(),
                    broker.clone(),
                    "must start with mqtts:// (TLS) or mqtt://".into(),
                ));
            }
            if broker.contains('@') {
                // Said without the value: it holds a password.
                return Some((
                    "home.broker".into(),
                    "(not shown)".into(),
                    "must not hold a user name or password: put them in home.credentials_file".into(),
                ));
            }
        }
        for (key, value) in
            [("home.client_id", &self.client_id), ("home.discovery_prefix", &self.discovery_prefix)]
        {
            if value.is_empty() || value.len() > 64 || value.contains(['+', '#', '/']) {
                return Some((key.into(), value.clone(), "must be 1–64 characters without + # or /".into()));
            }
        }
        if self.notify_topic.is_empty() || self.notify_topic.contains(['+', '#']) {
            return Some((
                "home.notify_topic".into(),
                self.notify_topic.clone(),
                "must be a topic without wildcards".into(),
            ));
        }
        self.devices.iter().find_map(|(entity, device)| {
            let p = device.position_m;
            (!p.is_finite() || p.abs().max_element() > crate::placement::WORLD_EXTENT_M).then(|| {
                (
                    format!("home.devices.{entity}.position_m"),
                    format!("{:?}", p.to_array()),
                    format!(
                        "each coordinate must be between -{0} and {0} metres",
                        crate::placement::WORLD_EXTENT_M
                    ),
                )
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::profile::Profile;

    #[test]
    fn a_home_section_parses_with_its_map() {
        let profile = Profile::from_toml(
            "[home]\nbroker = \"mqtts://hub.local:8883\"\nallowed = [\"light.kitchen\"]\nvisual = \"glow\"\n\
             [home.devices.\"event.front_door\"]\nposition_m = [-2.0, 1.0, 0.0]\n",
        )
        .unwrap();
        assert!(profile.home.allows("light.kitchen") && !profile.home.allows("lock.front"));
        assert_eq!(profile.home.position_of("event.front_door"), Some(glam::Vec3::new(-2.0, 1.0, 0.0)));
        assert_eq!(profile.home.visual, super::AlertVisual::Glow);
    }

    #[test]
    fn the_edge_flashes_below_three_times_a_second_or_glows() {
        let frames_90hz = (0..900).map(|i| i as f32 / 90.0);
        let lit: Vec<bool> = frames_90hz.map(|t| super::edge_lit(super::AlertVisual::Flash, t)).collect();
        let onsets = lit.windows(2).filter(|w| !w[0] && w[1]).count() + usize::from(lit[0]);
        assert_eq!(onsets, 20, "2 flashes a second for 10 s");
        assert!((0..90).all(|i| super::edge_lit(super::AlertVisual::Glow, i as f32 / 90.0)));
        assert!(!super::edge_lit(super::AlertVisual::Off, 0.0));
    }

    #[test]
    fn unusable_home_settings_name_their_key() {
        let err = Profile::from_toml("[home]\nbroker = \"http://hub\"\n").unwrap_err();
        assert!(
            err.to_string().starts_with("home.broker = http://hub is not allowed: must start with mqtts://")
        );
        let err = Profile::from_toml("[home]\nbroker = \"mqtt://me:hunter2@hub\"\n").unwrap_err();
        assert!(
            err.to_string().contains("home.credentials_file") && !err.to_string().contains("hunter2"),
            "{err}"
        );
        let err = Profile::from_toml("[home]\nclient_id = \"a/#\"\n").unwrap_err();
        assert!(err.to_string().contains("home.client_id"), "{err}");
        let err = Profile::from_toml("[home.devices.door]\nposition_m = [0.0, 1.0, 1e9]\n").unwrap_err();
        assert!(err.to_string().contains("home.devices.door.position_m"), "{err}");
    }
}
