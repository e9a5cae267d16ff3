//! The real home in the headset: Home Assistant devices, safety alerts and device control over MQTT.
//!
//! This crate is engine-free (no Bevy): the runtime drives it from its frame loop.
//!
//! # Design
//! - **A worker thread** ([`link::HomeLink`]) owns the MQTT connection and the home model, so
//!   the frame loop never blocks on the network: it polls [`link::HomeLink::try_recv`] once per
//!   frame and sends commands without waiting. Alerts are classified on that thread, so a
//!   [`HomeUpdate::Alert`] is ready to present.
//! - **MQTT 5** (through rumqttc's v5 client) because the headset needs what 3.1.1 lacks:
//!   a session expiry interval, so QoS 1 alerts published while the headset was off are kept
//!   and delivered on reconnect (§3.1.2.11.2); message expiry, so stale alerts are dropped by
//!   the broker (§3.3.2.3.3); PUBACK reason codes, so a command the broker's ACL refuses is
//!   reported as refused instead of vanishing (§3.4.2.1); and a maximum packet size, so the
//!   broker never sends a packet too big to accept (§3.1.2.11.4).
//! - **Alerts on state edges**: Home Assistant reports states, not events; a smoke sensor that
//!   is `ON` stays `ON` and its retained state is re-read on every reconnect. Alerting on the
//!   change to `ON` (including the first `ON` seen) gives one alert per alarm, however often
//!   the state is repeated. [`alert::AlertGate`] then handles duplicates, floods and repeats
//!   on the caller's clock, so the simulator is deterministic.
//! - **Home Assistant's MQTT conventions** (discovery, availability, `notify`), so the crate
//!   works with the hubs people already run: Home Assistant, Zigbee2MQTT, Matter through HA.
//!
//! The `broker` feature adds [`broker::TestBroker`], a real Mosquitto for tests and the
//! simulator.

pub mod alert;
#[cfg(feature = "broker")]
pub mod broker;
pub mod command;
pub mod discovery;
pub mod intent;
pub mod link;
pub mod model;
pub mod publish;
pub mod settings;
mod update;

pub use alert::{AlertGate, AlertKind, AlertPriority, GateDecision, HomeAlert};
pub use command::{CommandFailure, CommandId, DeviceCommand};
pub use discovery::{Component, EntityConfig, EntityKey};
pub use link::{HomeLink, LinkError};
pub use model::{Entity, EntityState, HomeModel};
pub use settings::{HomeSettings, Secret};
pub use update::HomeUpdate;
