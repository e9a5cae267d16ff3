//! Device control: which MQTT message carries a command, and which state confirms it.
//!
//! Payloads follow Home Assistant's MQTT platform defaults (light and switch `payload_on` /
//! `payload_off`, lock `LOCK`/`UNLOCK`, cover `OPEN`/`CLOSE`, climate's
//! `temperature_command_topic`), overridden by the entity's discovery.

use crate::discovery::{Component, EntityKey};
use crate::model::{Entity, EntityState};
use std::fmt;

/// What the user asks a device to do.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DeviceCommand {
    /// Light or switch on.
    TurnOn,
    /// Light or switch off.
    TurnOff,
    /// Light or switch to the opposite of its known state (on when unknown).
    Toggle,
    /// Climate target temperature, in °C (sent in °F to a Fahrenheit entity).
    SetTemperature {
        /// Degrees Celsius, finite.
        celsius: f32,
    },
    /// Lock a lock.
    Lock,
    /// Unlock a lock.
    Unlock,
    /// Open a cover.
    Open,
    /// Close a cover.
    Close,
}

/// Identifies a command sent through [`crate::link::HomeLink::send`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandId(pub u64);

/// Why a command did not take effect.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CommandFailure {
    /// The entity is not on the user's allow-list; nothing was published.
    #[error("the user has not allowed the headset to control this device")]
    NotAllowed,
    /// The broker refused the publish (MQTT 5 PUBACK reason code, §3.4.2.1), usually its ACL.
    #[error("the home broker refused the command: {reason}")]
    RefusedByBroker {
        /// The reason code in words.
        reason: String,
    },
    /// The state topic did not report the asked-for state within the timeout.
    #[error("the device did not confirm within {seconds} s")]
    TimedOut {
        /// The timeout that passed.
        seconds: f32,
    },
    /// The link is not connected to the broker; nothing was published.
    #[error("not connected to the home broker")]
    NotConnected,
    /// The command cannot be expressed for this entity.
    #[error("{0}")]
    Invalid(CommandError),
}

/// Why no message can carry a command to an entity.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CommandError {
    /// No entity has this key.
    #[error("no device `{0}` is known")]
    UnknownEntity(EntityKey),
    /// The platform does not take this command (e.g. `Lock` to a light).
    #[error("{command} does not apply to a {component}")]
    NotApplicable {
        /// The command, in words.
        command: String,
        /// The platform.
        component: String,
    },
    /// The entity has no topic for this command.
    #[error("this device has no command topic")]
    NoCommandTopic,
    /// The temperature is not a finite number between 5 and 35 °C.
    #[error("{0} °C is not a temperature between 5 and 35 °C")]
    BadTemperature(f32),
}

impl fmt::Display for DeviceCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TurnOn => f.write_str("turn on"),
            Self::TurnOff => f.write_str("turn off"),
            Self::Toggle => f.write_str("toggle"),
            Self::SetTemperature { celsius } => write!(f, "set to {celsius} °C"),
            Self::Lock => f.write_str("lock"),
            Self::Unlock => f.write_str("unlock"),
            Self::Open => f.write_str("open"),
            Self::Close => f.write_str("close"),
        }
    }
}

/// Thermostat targets accepted, in °C; HA climate's default `min_temp`/`max_temp` are 7–35.
const TARGET_CELSIUS: std::ops::RangeInclusive<f32> = 5.0..=35.0;

/// The topic and payload that carry `command` to `entity`, and the state that will confirm it.
///
/// # Errors
/// [`CommandError`] when the platform does not take the command, the entity lacks the topic,
/// or a temperature is not finite and within 5–35 °C.
pub fn payload_for(
    entity: &Entity,
    command: DeviceCommand,
) -> Result<(String, String, EntityState), CommandError> {
    let c = &entity.config;
    let not_applicable = || CommandError::NotApplicable {
        command: command.to_string(),
        component: c.component.as_str().to_owned(),
    };
    let topic = |t: &Option<String>| t.clone().ok_or(CommandError::NoCommandTopic);
    let on_off = |on: bool| {
        let payload = if on { &c.payload_on } else { &c.payload_off };
        let payload =
            if c.json_schema { serde_json::json!({ "state": payload }).to_string() } else { payload.clone() };
        Ok((topic(&c.command_topic)?, payload, if on { EntityState::On } else { EntityState::Off }))
    };
    match (&c.component, command) {
        (Component::Light | Component::Switch, DeviceCommand::TurnOn) => on_off(true),
        (Component::Light | Component::Switch, DeviceCommand::TurnOff) => on_off(false),
        (Component::Light | Component::Switch, DeviceCommand::Toggle) => {
            on_off(entity.state != EntityState::On)
        }
        (Component::Lock, DeviceCommand::Lock) => {
            Ok((topic(&c.command_topic)?, c.payload_lock.clone(), EntityState::Locked))
        }
        (Component::Lock, DeviceCommand::Unlock) => {
            Ok((topic(&c.command_topic)?, c.payload_unlock.clone(), EntityState::Unlocked))
        }
        (Component::Cover, DeviceCommand::Open) => {
            Ok((topic(&c.command_topic)?, c.payload_open.clone(), EntityState::Open))
        }
        (Component::Cover, DeviceCommand::Close) => {
            Ok((topic(&c.command_topic)?, c.payload_close.clone(), EntityState::Closed))
        }
        (Component::Climate, DeviceCommand::SetTemperature { celsius }) => {
            if !celsius.is_finite() || !TARGET_CELSIUS.contains(&celsius) {
                return Err(CommandError::BadTemperature(celsius));
            }
            let sent = if c.fahrenheit { celsius * 9.0 / 5.0 + 32.0 } else { celsius };
            // One decimal is what thermostats accept (HA's default precision for °C is 0.1).
            let payload = format!("{:.1}", sent);
            Ok((topic(&c.temperature_command_topic)?, payload, EntityState::Temperature { celsius }))
        }
        _ => Err(not_applicable()),
    }
}

/// Whether a reported state confirms the wanted one; temperatures within 0.1 °C agree.
pub fn confirms(reported: &EntityState, wanted: &EntityState) -> bool {
    match (reported, wanted) {
        (EntityState::Temperature { celsius: a }, EntityState::Temperature { celsius: b }) => {
            (a - b).abs() <= 0.1
        }
        _ => reported == wanted,
    }
}
