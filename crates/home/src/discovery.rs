//! Home Assistant MQTT discovery: turning retained `…/config` messages into entity descriptions.
//!
//! Follows <https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery>: the topic is
//! `<prefix>/<component>/[<node_id>/]<object_id>/config`, the payload a JSON object whose keys
//! may be abbreviated (`stat_t` for `state_topic`) and whose topics may start or end with `~`,
//! which stands for the base topic in the `~` key. An empty payload removes the entity.

use allverse_core::text::{MAX_NAME_CHARS, clean};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;

/// Largest discovery payload accepted, in bytes (64 KiB); real configurations are under 4 KiB.
pub const MAX_DISCOVERY_BYTES: usize = 64 * 1024;

/// Longest topic kept from a discovery payload, in bytes; MQTT allows 65535 (§1.5.4).
const MAX_TOPIC_BYTES: usize = 1024;

/// Most event types or availability topics kept for one entity.
const MAX_LIST_ITEMS: usize = 32;

/// Identifies an entity: `<component>.<node_id>_<object_id>`, or `<component>.<object_id>`
/// when the discovery topic has no node id, e.g. `binary_sensor.kitchen_smoke`.
///
/// The key is derived from the discovery topic, not from `unique_id`, because a removal (an
/// empty payload) carries nothing but the topic, and the key must name the same entity.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize)]
pub struct EntityKey(pub String);

impl fmt::Display for EntityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for EntityKey {
    fn from(key: &str) -> Self {
        Self(key.to_owned())
    }
}

/// Home Assistant entity platforms (`component` in the topic) the headset understands.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Component {
    /// Stateless events such as a doorbell ring (`event`).
    Event,
    /// On/off sensors: smoke, CO, gas, moisture, door, sound… (`binary_sensor`).
    BinarySensor,
    /// Measured values (`sensor`).
    Sensor,
    /// Lamps (`light`).
    Light,
    /// Plugs and relays (`switch`).
    Switch,
    /// Door locks (`lock`).
    Lock,
    /// Thermostats and air conditioners (`climate`).
    Climate,
    /// Blinds, garage doors (`cover`).
    Cover,
    /// A text target (`notify`).
    Notify,
    /// Any other platform, shown generically.
    Other(String),
}

impl Component {
    /// Parses the component segment of a discovery topic.
    pub fn parse(name: &str) -> Self {
        match name {
            "event" => Self::Event,
            "binary_sensor" => Self::BinarySensor,
            "sensor" => Self::Sensor,
            "light" => Self::Light,
            "switch" => Self::Switch,
            "lock" => Self::Lock,
            "climate" => Self::Climate,
            "cover" => Self::Cover,
            "notify" => Self::Notify,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The name Home Assistant uses in topics and entity ids.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Event => "event",
            Self::BinarySensor => "binary_sensor",
            Self::Sensor => "sensor",
            Self::Light => "light",
            Self::Switch => "switch",
            Self::Lock => "lock",
            Self::Climate => "climate",
            Self::Cover => "cover",
            Self::Notify => "notify",
            Self::Other(name) => name,
        }
    }
}

/// One availability topic and the payloads that mean online and offline (HA `availability`).
#[derive(Clone, Debug, PartialEq)]
pub struct Availability {
    /// Topic carrying the availability payload, usually a device's MQTT last will.
    pub topic: String,
    /// Payload meaning online; HA default `online`.
    pub payload_available: String,
    /// Payload meaning offline; HA default `offline`.
    pub payload_not_available: String,
}

/// An entity as described by its discovery message, with HA's defaults filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct EntityConfig {
    /// Identity derived from the discovery topic (see [`EntityKey`]).
    pub key: EntityKey,
    /// The discovery topic this came from.
    pub discovery_topic: String,
    /// The entity platform.
    pub component: Component,
    /// HA device class (`smoke`, `doorbell`, `temperature`…), lower case; unknown ones are kept.
    pub device_class: Option<String>,
    /// Display name, cleaned: the entity name, else the device name, else the object id.
    pub name: String,
    /// Room, from the device's `suggested_area`, cleaned.
    pub area: Option<String>,
    /// HA `unique_id`, when given.
    pub unique_id: Option<String>,
    /// Topic the entity reports its state on.
    pub state_topic: Option<String>,
    /// Topic the entity accepts commands on.
    pub command_topic: Option<String>,
    /// Climate: topic accepting the target temperature.
    pub temperature_command_topic: Option<String>,
    /// Climate: topic reporting the target temperature.
    pub temperature_state_topic: Option<String>,
    /// Climate: topic reporting the measured temperature.
    pub current_temperature_topic: Option<String>,
    /// Climate and temperature sensors: `true` when values are in °F (HA `temperature_unit`
    /// or `unit_of_measurement`); the model converts to °C.
    pub fahrenheit: bool,
    /// Availability topics; an entity with none is always available.
    pub availability: Vec<Availability>,
    /// Payload commanding or reporting on; HA default `ON`.
    pub payload_on: String,
    /// Payload commanding or reporting off; HA default `OFF`.
    pub payload_off: String,
    /// State payload meaning on, when it differs from `payload_on` (HA `state_on`).
    pub state_on: Option<String>,
    /// State payload meaning off, when it differs from `payload_off` (HA `state_off`).
    pub state_off: Option<String>,
    /// Lock command payloads (HA defaults `LOCK`, `UNLOCK`).
    pub payload_lock: String,
    /// See `payload_lock`.
    pub payload_unlock: String,
    /// Lock state payloads (HA defaults `LOCKED`, `UNLOCKED`).
    pub state_locked: String,
    /// See `state_locked`.
    pub state_unlocked: String,
    /// Cover command payloads (HA defaults `OPEN`, `CLOSE`).
    pub payload_open: String,
    /// See `payload_open`.
    pub payload_close: String,
    /// Cover state payloads (HA defaults `open`, `closed`).
    pub state_open: String,
    /// See `state_open`.
    pub state_closed: String,
    /// Event entity: the event types it may send (a doorbell must offer `ring` from HA 2027.4).
    pub event_types: Vec<String>,
    /// A `{{ value_json.a.b }}` value template reduced to its path (`["a", "b"]`); other
    /// templates cannot be evaluated without Jinja and leave this empty.
    pub value_json_path: Vec<String>,
    /// `schema: json` lights (Zigbee2MQTT) exchange `{"state": "ON"}` instead of plain payloads.
    pub json_schema: bool,
}

/// Why a discovery message was refused; the message names the topic and the reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("discovery message on `{topic}` skipped: {reason}")]
pub struct DiscoveryError {
    /// The topic, shortened if absurdly long.
    pub topic: String,
    /// The reason in plain words.
    pub reason: String,
}

/// Parses one discovery message.
///
/// Returns `Ok(None)` for an empty payload, which removes the entity.
///
/// # Errors
/// [`DiscoveryError`] when the topic is not `<prefix>/<component>/[<node_id>/]<object_id>/config`
/// with ids of letters, digits, `_` and `-`, when the payload is over [`MAX_DISCOVERY_BYTES`], is
/// not UTF-8 JSON, is not an object, or has a field of the wrong type.
pub fn parse_discovery(
    topic: &str,
    payload: &[u8],
    prefix: &str,
) -> Result<Option<EntityConfig>, DiscoveryError> {
    let fail = |reason: String| DiscoveryError { topic: clean(topic, 200), reason };
    let (component, key) = parse_topic(topic, prefix).map_err(|r| fail(r.to_owned()))?;
    if payload.len() > MAX_DISCOVERY_BYTES {
        return Err(fail(format!("too large ({} bytes, limit {MAX_DISCOVERY_BYTES})", payload.len())));
    }
    if payload.is_empty() {
        return Ok(None);
    }
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| fail(format!("payload is not JSON: {e}")))?;
    let Value::Object(mut map) = value else {
        return Err(fail("payload is JSON but not an object".to_owned()));
    };
    expand_abbreviations(&mut map);
    expand_base_topic(&mut map);
    let raw: Raw = serde_json::from_value(Value::Object(map))
        .map_err(|e| fail(format!("a field has the wrong type: {e}")))?;
    let object_id = key.0.split_once('.').map_or("", |(_, id)| id).to_owned();
    raw.into_config(key, topic, component, &object_id).map(Some).map_err(fail)
}

/// Splits a discovery topic into its component and the derived key.
pub(crate) fn parse_topic(topic: &str, prefix: &str) -> Result<(Component, EntityKey), &'static str> {
    let rest = topic
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('/'))
        .and_then(|r| r.strip_suffix("/config"))
        .ok_or("topic is not `<prefix>/<component>/[<node_id>/]<object_id>/config`")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let valid = |s: &&str| {
        !s.is_empty()
            && s.len() <= 128
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !parts.iter().all(valid) {
        return Err("topic ids may only hold letters, digits, `_` and `-`");
    }
    let (component, id) = match parts.as_slice() {
        [component, object] => (*component, (*object).to_owned()),
        [component, node, object] => (*component, format!("{node}_{object}")),
        _ => return Err("topic is not `<prefix>/<component>/[<node_id>/]<object_id>/config`"),
    };
    Ok((Component::parse(component), EntityKey(format!("{component}.{id}"))))
}

/// HA's abbreviations for the keys this crate reads, from
/// <https://www.home-assistant.io/integrations/mqtt/#supported-abbreviations-in-mqtt-discovery-messages>.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("avty", "availability"),
    ("avty_t", "availability_topic"),
    ("cmd_t", "command_topic"),
    ("curr_temp_t", "current_temperature_topic"),
    ("dev", "device"),
    ("dev_cla", "device_class"),
    ("evt_typ", "event_types"),
    ("pl_avail", "payload_available"),
    ("pl_not_avail", "payload_not_available"),
    ("pl_cls", "payload_close"),
    ("pl_lock", "payload_lock"),
    ("pl_off", "payload_off"),
    ("pl_on", "payload_on"),
    ("pl_open", "payload_open"),
    ("pl_unlk", "payload_unlock"),
    ("stat_clsd", "state_closed"),
    ("stat_locked", "state_locked"),
    ("stat_off", "state_off"),
    ("stat_on", "state_on"),
    ("stat_open", "state_open"),
    ("stat_t", "state_topic"),
    ("stat_unlocked", "state_unlocked"),
    ("temp_cmd_t", "temperature_command_topic"),
    ("temp_stat_t", "temperature_state_topic"),
    ("temp_unit", "temperature_unit"),
    ("uniq_id", "unique_id"),
    ("unit_of_meas", "unit_of_measurement"),
    ("val_tpl", "value_template"),
    ("stat_val_tpl", "state_value_template"),
    ("t", "topic"),
];

/// Device-block abbreviations (`dev`), from the same HA page.
const DEVICE_ABBREVIATIONS: &[(&str, &str)] =
    &[("sa", "suggested_area"), ("ids", "identifiers"), ("mf", "manufacturer"), ("mdl", "model")];

fn rename(map: &mut Map<String, Value>, table: &[(&str, &str)]) {
    for (short, long) in table {
        if let Some(v) = map.remove(*short) {
            // The full key wins when a payload carries both spellings.
            map.entry(long.to_string()).or_insert(v);
        }
    }
}

fn expand_abbreviations(map: &mut Map<String, Value>) {
    rename(map, ABBREVIATIONS);
    if let Some(Value::Object(dev)) = map.get_mut("device") {
        rename(dev, DEVICE_ABBREVIATIONS);
    }
    if let Some(Value::Array(list)) = map.get_mut("availability") {
        for item in list.iter_mut() {
            if let Value::Object(entry) = item {
                rename(entry, ABBREVIATIONS);
            }
        }
    }
}

/// Replaces a leading or trailing `~` in topic values with the `~` base topic.
fn expand_base_topic(map: &mut Map<String, Value>) {
    let Some(Value::String(base)) = map.remove("~") else { return };
    let expand = |key: &str, value: &mut Value| {
        if let (true, Value::String(s)) = (key == "topic" || key.ends_with("_topic"), value) {
            if let Some(rest) = s.strip_prefix('~') {
                *s = format!("{base}{rest}");
            } else if let Some(rest) = s.strip_suffix('~') {
                *s = format!("{rest}{base}");
            }
        }
    };
    for (key, value) in map.iter_mut() {
        expand(key, value);
    }
    if let Some(Value::Array(list)) = map.get_mut("availability") {
        for entry in list.iter_mut().filter_map(Value::as_object_mut) {
            for (key, value) in entry.iter_mut() {
                expand(key, value);
            }
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawDevice {
    name: Option<String>,
    suggested_area: Option<String>,
}

#[derive(Deserialize)]
struct RawAvailability {
    topic: String,
    payload_available: Option<String>,
    payload_not_available: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Raw {
    name: Option<String>,
    unique_id: Option<String>,
    device_class: Option<String>,
    device: RawDevice,
    state_topic: Option<String>,
    command_topic: Option<String>,
    temperature_command_topic: Option<String>,
    temperature_state_topic: Option<String>,
    current_temperature_topic: Option<String>,
    temperature_unit: Option<String>,
    unit_of_measurement: Option<String>,
    availability_topic: Option<String>,
    availability: Vec<RawAvailability>,
    payload_available: Option<String>,
    payload_not_available: Option<String>,
    payload_on: Option<String>,
    payload_off: Option<String>,
    state_on: Option<String>,
    state_off: Option<String>,
    payload_lock: Option<String>,
    payload_unlock: Option<String>,
    state_locked: Option<String>,
    state_unlocked: Option<String>,
    payload_open: Option<String>,
    payload_close: Option<String>,
    state_open: Option<String>,
    state_closed: Option<String>,
    event_types: Vec<String>,
    value_template: Option<String>,
    state_value_template: Option<String>,
    schema: Option<String>,
}

impl Raw {
    /// Fills in HA's defaults; the error is the reason in plain words.
    fn into_config(
        self,
        key: EntityKey,
        topic: &str,
        component: Component,
        object_id: &str,
    ) -> Result<EntityConfig, String> {
        let bad = [
            &self.state_topic,
            &self.command_topic,
            &self.temperature_command_topic,
            &self.temperature_state_topic,
            &self.current_temperature_topic,
            &self.availability_topic,
        ]
        .into_iter()
        .flatten()
        .chain(self.availability.iter().map(|a| &a.topic))
        .find(|t| !valid_topic(t));
        if let Some(bad) = bad {
            return Err(format!("`{}` is not a topic a device can publish to", clean(bad, 80)));
        }
        let on = self.payload_available.clone().unwrap_or_else(|| "online".to_owned());
        let off = self.payload_not_available.clone().unwrap_or_else(|| "offline".to_owned());
        let mut availability: Vec<Availability> = self
            .availability_topic
            .iter()
            .map(|t| Availability {
                topic: t.clone(),
                payload_available: on.clone(),
                payload_not_available: off.clone(),
            })
            .collect();
        availability.extend(self.availability.into_iter().take(MAX_LIST_ITEMS).map(|a| Availability {
            topic: a.topic,
            payload_available: a.payload_available.unwrap_or_else(|| on.clone()),
            payload_not_available: a.payload_not_available.unwrap_or_else(|| off.clone()),
        }));
        let name = [&self.name, &self.device.name]
            .into_iter()
            .flatten()
            .map(|n| clean(n, MAX_NAME_CHARS))
            .find(|n| !n.is_empty())
            .unwrap_or_else(|| clean(&object_id.replace('_', " "), MAX_NAME_CHARS));
        let unit = self.temperature_unit.as_deref().or(self.unit_of_measurement.as_deref());
        let template = self.value_template.as_deref().or(self.state_value_template.as_deref());
        let or = |v: Option<String>, d: &str| v.unwrap_or_else(|| d.to_owned());
        Ok(EntityConfig {
            key,
            discovery_topic: topic.to_owned(),
            component,
            device_class: self.device_class.map(|c| clean(&c, 32).to_lowercase()),
            name,
            area: self.device.suggested_area.map(|a| clean(&a, MAX_NAME_CHARS)).filter(|a| !a.is_empty()),
            unique_id: self.unique_id.map(|u| clean(&u, 128)),
            state_topic: self.state_topic,
            command_topic: self.command_topic,
            temperature_command_topic: self.temperature_command_topic,
            temperature_state_topic: self.temperature_state_topic,
            current_temperature_topic: self.current_temperature_topic,
            fahrenheit: matches!(unit, Some("F" | "°F")),
            availability,
            payload_on: or(self.payload_on, "ON"),
            payload_off: or(self.payload_off, "OFF"),
            state_on: self.state_on,
            state_off: self.state_off,
            payload_lock: or(self.payload_lock, "LOCK"),
            payload_unlock: or(self.payload_unlock, "UNLOCK"),
            state_locked: or(self.state_locked, "LOCKED"),
            state_unlocked: or(self.state_unlocked, "UNLOCKED"),
            payload_open: or(self.payload_open, "OPEN"),
            payload_close: or(self.payload_close, "CLOSE"),
            state_open: or(self.state_open, "open"),
            state_closed: or(self.state_closed, "closed"),
            event_types: self.event_types.iter().take(MAX_LIST_ITEMS).map(|e| clean(e, 64)).collect(),
            value_json_path: template.map(value_json_path).unwrap_or_default(),
            json_schema: self.schema.as_deref() == Some("json"),
        })
    }
}

/// A topic a device may publish to: not empty, no wildcards or NUL (MQTT 5 §4.7.3), bounded.
fn valid_topic(topic: &str) -> bool {
    !topic.is_empty() && topic.len() <= MAX_TOPIC_BYTES && !topic.contains(['+', '#', '\0'])
}

/// Reduces `{{ value_json.a.b }}` to `["a", "b"]`; anything else needs Jinja and gives `[]`.
fn value_json_path(template: &str) -> Vec<String> {
    let inner = template.trim().strip_prefix("{{").and_then(|t| t.strip_suffix("}}"));
    let Some(path) = inner.map(str::trim).and_then(|t| t.strip_prefix("value_json.")) else {
        return Vec::new();
    };
    let parts: Vec<String> = path.split('.').map(str::to_owned).collect();
    let plain = |p: &String| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if parts.iter().all(plain) { parts } else { Vec::new() }
}

#[cfg(test)]
mod tests;
