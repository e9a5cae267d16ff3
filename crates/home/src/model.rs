//! The home as the headset knows it: discovered entities, their availability and their state.

use crate::alert::{self, AlertKind, HomeAlert};
use crate::discovery::{Component, EntityConfig, EntityKey, parse_discovery, parse_topic};
use crate::update::HomeUpdate;
use allverse_core::text::{MAX_NAME_CHARS, MAX_TEXT_CHARS, clean};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Largest state, availability or notify payload accepted, in bytes (64 KiB).
pub const MAX_STATE_BYTES: usize = 64 * 1024;

/// Most entities kept; a home with more is refused entity by entity, with a reason.
pub const MAX_ENTITIES: usize = 10_000;

/// Temperatures outside this range, in °C, are refused as sensor faults.
const CELSIUS_RANGE: std::ops::RangeInclusive<f32> = -100.0..=200.0;

/// An entity's current state.
#[derive(Clone, Debug, PartialEq)]
pub enum EntityState {
    /// Nothing reported yet.
    Unknown,
    /// Home Assistant reported `unavailable` as the state.
    Unavailable,
    /// On (light, switch, detecting binary sensor).
    On,
    /// Off.
    Off,
    /// Lock locked.
    Locked,
    /// Lock unlocked.
    Unlocked,
    /// Cover open.
    Open,
    /// Cover closed.
    Closed,
    /// A temperature (a climate target, or a temperature sensor), always in °C, finite.
    Temperature {
        /// Degrees Celsius.
        celsius: f32,
    },
    /// Any other reported value, cleaned.
    Text(String),
    /// The last event of an `event` entity.
    Event {
        /// Its type, e.g. `ring`.
        event_type: String,
    },
}

/// The state in a word or two, as menus and speech say it: `on`, `locked`, `21 °C`.
impl std::fmt::Display for EntityState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown => f.write_str("unknown"),
            Self::Unavailable => f.write_str("unavailable"),
            Self::On => f.write_str("on"),
            Self::Off => f.write_str("off"),
            Self::Locked => f.write_str("locked"),
            Self::Unlocked => f.write_str("unlocked"),
            Self::Open => f.write_str("open"),
            Self::Closed => f.write_str("closed"),
            Self::Temperature { celsius } => write!(f, "{celsius:.0} °C"),
            Self::Text(text) => f.write_str(text),
            Self::Event { event_type } => f.write_str(event_type),
        }
    }
}

/// A discovered entity with what is known of it now.
#[derive(Clone, Debug, PartialEq)]
pub struct Entity {
    /// Its discovery description.
    pub config: EntityConfig,
    /// `false` after its availability topic said offline; entities without one stay `true`.
    pub online: bool,
    /// Its state (for climate: the target temperature).
    pub state: EntityState,
    /// Climate: the measured temperature in °C, when reported.
    pub current_celsius: Option<f32>,
}

impl Entity {
    /// Whether the headset can command it (it has a command topic of a controllable platform).
    pub fn controllable(&self) -> bool {
        let c = &self.config;
        match c.component {
            Component::Light | Component::Switch | Component::Lock | Component::Cover => {
                c.command_topic.is_some()
            }
            Component::Climate => c.temperature_command_topic.is_some(),
            _ => false,
        }
    }
}

/// Entities by key, with an index from topic to the entities listening on it.
#[derive(Debug)]
pub struct HomeModel {
    prefix: String,
    entities: BTreeMap<EntityKey, Entity>,
    by_topic: HashMap<String, Vec<EntityKey>>,
}

impl HomeModel {
    /// An empty model for discovery under `prefix` (`homeassistant`).
    pub fn new(prefix: &str) -> Self {
        Self { prefix: prefix.to_owned(), entities: BTreeMap::new(), by_topic: HashMap::new() }
    }

    /// Applies one discovery message: [`HomeUpdate::EntityAdded`], `EntityRemoved` or `Skipped`.
    pub fn apply_discovery(&mut self, topic: &str, payload: &[u8]) -> HomeUpdate {
        let config = match parse_discovery(topic, payload, &self.prefix) {
            Ok(config) => config,
            Err(e) => return HomeUpdate::Skipped { topic: e.topic, reason: e.reason },
        };
        let Some(config) = config else {
            let key = parse_topic(topic, &self.prefix).ok().map(|(_, key)| key);
            return match key.and_then(|k| self.remove(&k)) {
                Some(key) => HomeUpdate::EntityRemoved(key),
                None => HomeUpdate::Skipped {
                    topic: topic.to_owned(),
                    reason: "removal of an unknown entity".into(),
                },
            };
        };
        let key = config.key.clone();
        if !self.entities.contains_key(&key) && self.entities.len() >= MAX_ENTITIES {
            let reason = format!("the home already has {MAX_ENTITIES} entities, the most kept");
            return HomeUpdate::Skipped { topic: topic.to_owned(), reason };
        }
        // A changed discovery keeps the known state: devices do not resend it.
        let known = self.entities.get(&key).map(|e| (e.state.clone(), e.online, e.current_celsius));
        self.remove(&key);
        let (state, online, current_celsius) =
            known.unwrap_or((EntityState::Unknown, config.availability.is_empty(), None));
        let entity = Entity { online, state, current_celsius, config };
        for t in listened_topics(&entity.config) {
            self.by_topic.entry(t.to_owned()).or_default().push(key.clone());
        }
        self.entities.insert(key, entity.clone());
        HomeUpdate::EntityAdded(Box::new(entity))
    }

    fn remove(&mut self, key: &EntityKey) -> Option<EntityKey> {
        let entity = self.entities.remove(key)?;
        for t in listened_topics(&entity.config) {
            if let Some(keys) = self.by_topic.get_mut(t) {
                keys.retain(|k| k != key);
                if keys.is_empty() {
                    self.by_topic.remove(t);
                }
            }
        }
        Some(key.clone())
    }

    /// Applies a message on a state, availability or temperature topic of known entities:
    /// `StateChanged` for each change, `Availability`, an `Alert` when a change raises one
    /// (see [`alert::classify`]), `Skipped` for payloads that mean nothing. Unknown topics
    /// give nothing.
    pub fn apply_state(&mut self, topic: &str, payload: &[u8]) -> Vec<HomeUpdate> {
        let Some(keys) = self.by_topic.get(topic).cloned() else { return Vec::new() };
        let skip = |reason: String| HomeUpdate::Skipped { topic: topic.to_owned(), reason };
        if payload.len() > MAX_STATE_BYTES {
            return vec![skip(format!("too large ({} bytes, limit {MAX_STATE_BYTES})", payload.len()))];
        }
        let Ok(text) = std::str::from_utf8(payload) else {
            return vec![skip("payload is not UTF-8 text".to_owned())];
        };
        let mut out = Vec::new();
        for key in keys {
            let Some(entity) = self.entities.get_mut(&key) else { continue };
            if let Err(reason) = apply_one(entity, topic, text, &mut out) {
                out.push(skip(format!("{key}: {reason}")));
            }
        }
        out
    }

    /// Turns a message on the notify topic into an information alert (or the kind it names).
    ///
    /// The payload is the text Home Assistant's MQTT `notify` sends, or a JSON object
    /// `{"message": …, "title": …, "kind": "phone", "timestamp": …}` (`kind` names an
    /// [`AlertKind`]; automations use it to forward, say, a ringing phone).
    pub fn apply_notify(&self, topic: &str, payload: &[u8]) -> HomeUpdate {
        let skip = |reason: String| HomeUpdate::Skipped { topic: topic.to_owned(), reason };
        if payload.len() > MAX_STATE_BYTES {
            return skip(format!("too large ({} bytes, limit {MAX_STATE_BYTES})", payload.len()));
        }
        let Ok(raw) = std::str::from_utf8(payload) else { return skip("payload is not UTF-8 text".into()) };
        let json = serde_json::from_str::<Value>(raw).ok().filter(Value::is_object);
        let field = |name| json.as_ref().and_then(|j| j.get(name)).and_then(Value::as_str);
        let message = clean(field("message").unwrap_or(raw), MAX_TEXT_CHARS);
        if message.is_empty() {
            return skip("empty notification".into());
        }
        let kind = field("kind").and_then(AlertKind::from_name).unwrap_or(AlertKind::Notification);
        let title = field("title").map(|t| clean(t, MAX_NAME_CHARS)).filter(|t| !t.is_empty());
        let text = match &title {
            Some(t) => format!("{t}: {message}"),
            None => message,
        };
        HomeUpdate::Alert(HomeAlert {
            id: alert::next_alert_id(),
            priority: kind.priority(),
            name: title.unwrap_or_else(|| kind.describe().to_owned()),
            kind,
            entity: None,
            area: None,
            text,
            topic: topic.to_owned(),
            sent_unix_s: json.as_ref().and_then(timestamp),
        })
    }

    /// All entities, by key.
    pub fn entities(&self) -> impl Iterator<Item = &Entity> {
        self.entities.values()
    }

    /// One entity.
    pub fn entity(&self, key: &EntityKey) -> Option<&Entity> {
        self.entities.get(key)
    }

    /// Entities grouped by room (`None` first: no suggested area), by key within a room.
    pub fn by_area(&self) -> BTreeMap<Option<String>, Vec<&Entity>> {
        let mut rooms: BTreeMap<Option<String>, Vec<&Entity>> = BTreeMap::new();
        for e in self.entities.values() {
            rooms.entry(e.config.area.clone()).or_default().push(e);
        }
        rooms
    }

    /// Entities the headset could command, by key (the allow-list is applied separately).
    pub fn controllable(&self) -> impl Iterator<Item = &Entity> {
        self.entities.values().filter(|e| e.controllable())
    }

    /// Every state, availability and temperature topic of a known entity, sorted.
    pub fn topics(&self) -> Vec<String> {
        let mut topics: Vec<String> = self.by_topic.keys().cloned().collect();
        topics.sort();
        topics
    }

    /// Whether some entity listens on `topic`.
    pub fn listens(&self, topic: &str) -> bool {
        self.by_topic.contains_key(topic)
    }
}

/// Topics an entity's state arrives on.
pub(crate) fn listened_topics(c: &EntityConfig) -> impl Iterator<Item = &str> {
    [&c.state_topic, &c.temperature_state_topic, &c.current_temperature_topic]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .chain(c.availability.iter().map(|a| a.topic.as_str()))
}

/// Applies `text` on `topic` to one entity, pushing the updates it causes.
fn apply_one(entity: &mut Entity, topic: &str, text: &str, out: &mut Vec<HomeUpdate>) -> Result<(), String> {
    let c = &entity.config;
    if let Some(a) = c.availability.iter().find(|a| a.topic == topic) {
        let online = if text == a.payload_available {
            true
        } else if text == a.payload_not_available {
            false
        } else {
            return Err(format!(
                "availability `{}` is neither `{}` nor `{}`",
                clean(text, 40),
                a.payload_available,
                a.payload_not_available
            ));
        };
        if online != entity.online {
            entity.online = online;
            out.push(HomeUpdate::Availability { key: c.key.clone(), online, topic: topic.to_owned() });
        }
        if c.state_topic.as_deref() != Some(topic) {
            return Ok(());
        }
    }
    let json = serde_json::from_str::<Value>(text).ok();
    if c.current_temperature_topic.as_deref() == Some(topic) {
        entity.current_celsius = Some(celsius(text, c.fahrenheit)?);
        return Ok(());
    }
    let value = if c.value_json_path.is_empty() {
        text.to_owned()
    } else {
        let mut v = json.as_ref().ok_or("payload is not the JSON its value template reads")?;
        for part in &c.value_json_path {
            v = v.get(part).ok_or_else(|| format!("JSON has no `{part}` for its value template"))?;
        }
        match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    };
    let state = parse_state(c, topic, &value, json.as_ref())?;
    let sent = json.as_ref().and_then(timestamp);
    let before = std::mem::replace(&mut entity.state, state.clone());
    if before == state && c.component != Component::Event {
        return Ok(());
    }
    out.push(HomeUpdate::StateChanged { key: c.key.clone(), state: state.clone(), topic: topic.to_owned() });
    if let Some(kind) = alert::classify(c, &before, &state) {
        let mut text = format!("{}: {}", kind.describe(), c.name);
        if let Some(area) = &c.area {
            text.push_str(&format!(", {area}"));
        }
        out.push(HomeUpdate::Alert(HomeAlert {
            id: alert::next_alert_id(),
            priority: kind.priority(),
            kind,
            entity: Some(c.key.clone()),
            name: c.name.clone(),
            area: c.area.clone(),
            text,
            topic: topic.to_owned(),
            sent_unix_s: sent,
        }));
    }
    Ok(())
}

/// Interprets a state value by the entity's platform and HA's payload settings.
fn parse_state(
    c: &EntityConfig,
    topic: &str,
    value: &str,
    json: Option<&Value>,
) -> Result<EntityState, String> {
    if value == "unavailable" {
        return Ok(EntityState::Unavailable);
    }
    if c.temperature_state_topic.as_deref() == Some(topic) {
        return Ok(EntityState::Temperature { celsius: celsius(value, c.fahrenheit)? });
    }
    let same = |a: &str, b: &str| {
        a == b || (a.eq_ignore_ascii_case(b) && matches!(b.to_ascii_lowercase().as_str(), "true" | "false"))
    };
    Ok(match &c.component {
        Component::BinarySensor | Component::Light | Component::Switch => {
            let on = c.state_on.as_deref().unwrap_or(&c.payload_on);
            let off = c.state_off.as_deref().unwrap_or(&c.payload_off);
            let value = if c.json_schema {
                json.and_then(|j| j.get("state")).and_then(Value::as_str).unwrap_or(value)
            } else {
                value
            };
            if same(value, on) {
                EntityState::On
            } else if same(value, off) {
                EntityState::Off
            } else if value == "unknown" || value == "None" {
                EntityState::Unknown
            } else {
                return Err(format!("state `{}` is neither `{on}` nor `{off}`", clean(value, 40)));
            }
        }
        Component::Lock if value == c.state_locked => EntityState::Locked,
        Component::Lock if value == c.state_unlocked => EntityState::Unlocked,
        Component::Cover if value == c.state_open => EntityState::Open,
        Component::Cover if value == c.state_closed => EntityState::Closed,
        Component::Sensor if c.device_class.as_deref() == Some("temperature") => {
            EntityState::Temperature { celsius: celsius(value, c.fahrenheit)? }
        }
        Component::Event => {
            let event_type = json
                .and_then(|j| j.get("event_type"))
                .and_then(Value::as_str)
                .ok_or("event payload has no `event_type`")?;
            let event_type = clean(event_type, 64);
            if !c.event_types.is_empty() && !c.event_types.contains(&event_type) {
                return Err(format!("event type `{event_type}` is not one of {:?}", c.event_types));
            }
            EntityState::Event { event_type }
        }
        _ => EntityState::Text(clean(value, MAX_TEXT_CHARS)),
    })
}

/// Parses a temperature into finite °C within a plausible range.
fn celsius(text: &str, fahrenheit: bool) -> Result<f32, String> {
    let raw: f32 = text.trim().parse().map_err(|_| format!("`{}` is not a temperature", clean(text, 40)))?;
    let c = if fahrenheit { (raw - 32.0) * 5.0 / 9.0 } else { raw };
    if !c.is_finite() || !CELSIUS_RANGE.contains(&c) {
        return Err(format!(
            "temperature `{}` is not a finite number between -100 and 200 °C",
            clean(text, 40)
        ));
    }
    Ok(c)
}

/// The `timestamp` of a JSON payload in Unix seconds: a number, or RFC 3339 text (HA writes
/// ISO 8601 with an offset, e.g. `2025-01-01T12:00:00.123+00:00`).
fn timestamp(json: &Value) -> Option<f64> {
    match json.get("timestamp")? {
        Value::Number(n) => n.as_f64().filter(|s| s.is_finite()),
        Value::String(s) => {
            let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
            Some(t.unix_timestamp_nanos() as f64 / 1e9)
        }
        _ => None,
    }
}
