//! What a home event means for the user: its kind, its priority and the words that describe it.
//!
//! Priorities follow the three tiers: life-safety (smoke, CO, gas, heat, water leak),
//! attention (doorbell, phone, sound, door opened) and information (notifications sent to the
//! headset as a Home Assistant MQTT `notify` target).

mod gate;

pub use gate::{AlertGate, GateConfig, GateDecision, SuppressReason};

use crate::discovery::{Component, EntityConfig, EntityKey};
use crate::model::EntityState;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// How urgent an alert is; ordered so that `LifeSafety > Attention > Information`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertPriority {
    /// Something the user should know when convenient.
    Information,
    /// Someone or something wants the user now: doorbell, phone, a sound, a door.
    Attention,
    /// Danger to life: breaks through everything and repeats until acknowledged.
    LifeSafety,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AlertKind {
    /// A smoke detector went off (HA `binary_sensor` class `smoke`).
    Smoke,
    /// Carbon monoxide detected (class `co`).
    CarbonMonoxide,
    /// Gas detected (class `gas`).
    Gas,
    /// Heat detected (class `heat`).
    Heat,
    /// Water leak (class `moisture`).
    WaterLeak,
    /// The doorbell rang (HA `event` class `doorbell`).
    Doorbell,
    /// The phone is ringing (sent as a notify message of kind `phone`).
    Phone,
    /// A sound sensor, such as a baby monitor, heard something (class `sound`).
    Sound,
    /// A door or window opened (classes `door`, `garage_door`, `opening`, `window`).
    DoorOpened,
    /// Text sent to the headset by Home Assistant.
    Notification,
    /// Anything else, named; treated as attention.
    Other(String),
}

impl AlertKind {
    /// The tier this kind belongs to.
    pub fn priority(&self) -> AlertPriority {
        match self {
            Self::Smoke | Self::CarbonMonoxide | Self::Gas | Self::Heat | Self::WaterLeak => {
                AlertPriority::LifeSafety
            }
            Self::Notification => AlertPriority::Information,
            _ => AlertPriority::Attention,
        }
    }

    /// Short words for banners, captions and speech.
    pub fn describe(&self) -> &str {
        match self {
            Self::Smoke => "Smoke alarm",
            Self::CarbonMonoxide => "Carbon monoxide alarm",
            Self::Gas => "Gas alarm",
            Self::Heat => "Heat alarm",
            Self::WaterLeak => "Water leak",
            Self::Doorbell => "Doorbell",
            Self::Phone => "Phone ringing",
            Self::Sound => "Sound detected",
            Self::DoorOpened => "Door opened",
            Self::Notification => "Notification",
            Self::Other(name) => name,
        }
    }

    /// The kind's name in reports and on the command line; [`AlertKind::from_name`] reads it back.
    pub fn name(&self) -> &str {
        match self {
            Self::Smoke => "smoke",
            Self::CarbonMonoxide => "co",
            Self::Gas => "gas",
            Self::Heat => "heat",
            Self::WaterLeak => "water_leak",
            Self::Doorbell => "doorbell",
            Self::Phone => "phone",
            Self::Sound => "sound",
            Self::DoorOpened => "door_opened",
            Self::Notification => "notification",
            Self::Other(name) => name,
        }
    }

    /// Parses a kind's command-line and notify-message name (`smoke`, `co`, `doorbell`, …).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "smoke" => Self::Smoke,
            "co" | "carbon_monoxide" => Self::CarbonMonoxide,
            "gas" => Self::Gas,
            "heat" => Self::Heat,
            "water_leak" | "moisture" => Self::WaterLeak,
            "doorbell" => Self::Doorbell,
            "phone" => Self::Phone,
            "sound" => Self::Sound,
            "door" | "door_opened" => Self::DoorOpened,
            "notification" => Self::Notification,
            _ => return None,
        })
    }
}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// A classified home alert, ready for [`AlertGate`].
#[derive(Clone, Debug, PartialEq)]
pub struct HomeAlert {
    /// Unique within the process, also across link restarts.
    pub id: u64,
    /// What happened.
    pub kind: AlertKind,
    /// `kind.priority()`, stored for convenience.
    pub priority: AlertPriority,
    /// The entity that raised it; `None` for notify messages.
    pub entity: Option<EntityKey>,
    /// The entity's (or the notification's title's) display name.
    pub name: String,
    /// The room, from the device's suggested area.
    pub area: Option<String>,
    /// The full sentence to show and speak.
    pub text: String,
    /// MQTT topic the triggering message arrived on.
    pub topic: String,
    /// When the message says it was sent, in Unix seconds, if it carries a timestamp.
    pub sent_unix_s: Option<f64>,
}

/// A fresh alert id; a process-wide counter so ids stay unique when the link restarts.
pub(crate) fn next_alert_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The alert an entity's state change raises, if any.
///
/// Binary sensors alert on a change to `On` from anything else, including `Unknown`, so a
/// retained `ON` read after a (re)start alerts too; an `event` entity of class `doorbell`
/// alerts on every event, whatever its type (HA makes `ring` mandatory but older
/// integrations send `press`).
pub fn classify(config: &EntityConfig, before: &EntityState, after: &EntityState) -> Option<AlertKind> {
    let class = config.device_class.as_deref().unwrap_or("");
    match (&config.component, after) {
        (Component::Event, EntityState::Event { .. }) if class == "doorbell" => Some(AlertKind::Doorbell),
        (Component::BinarySensor, EntityState::On) if *before != EntityState::On => match class {
            "smoke" => Some(AlertKind::Smoke),
            "co" | "carbon_monoxide" => Some(AlertKind::CarbonMonoxide),
            "gas" => Some(AlertKind::Gas),
            "heat" => Some(AlertKind::Heat),
            "moisture" => Some(AlertKind::WaterLeak),
            "sound" => Some(AlertKind::Sound),
            "door" | "garage_door" | "opening" | "window" => Some(AlertKind::DoorOpened),
            _ => None,
        },
        _ => None,
    }
}

/// Oldest age, in seconds, at which a timestamped message still alerts, per priority.
///
/// A doorbell from ten minutes ago is no longer someone at the door; a notification may still
/// matter after an hour; a life-safety message is always shown. Messages without a timestamp
/// are never too old here (the broker drops those whose MQTT 5 message expiry passed, §3.3.2.3.3).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AgeLimits {
    /// Seconds for life-safety alerts; `f64::INFINITY` by default.
    pub life_safety_s: f64,
    /// Seconds for attention alerts; 120 by default.
    pub attention_s: f64,
    /// Seconds for information alerts; 3600 by default.
    pub information_s: f64,
}

impl Default for AgeLimits {
    fn default() -> Self {
        Self { life_safety_s: f64::INFINITY, attention_s: 120.0, information_s: 3600.0 }
    }
}

impl AgeLimits {
    /// Why the alert is too old at `now_unix_s` (wall clock, Unix seconds), or `None`.
    pub fn too_old(&self, alert: &HomeAlert, now_unix_s: f64) -> Option<String> {
        let age = now_unix_s - alert.sent_unix_s?;
        let limit = match alert.priority {
            AlertPriority::LifeSafety => self.life_safety_s,
            AlertPriority::Attention => self.attention_s,
            AlertPriority::Information => self.information_s,
        };
        (age > limit).then(|| {
            format!("{} is {age:.0} s old, older than the {limit:.0} s limit for its priority", alert.kind)
        })
    }
}

#[cfg(test)]
mod tests;
