//! The simulator's home hub: the scenario's device messages, published to the real broker on time.
//!
//! The scenario's `[home_hub]` plays Home Assistant: at each event's time
//! it publishes the message (QoS 1) under the hub's own account, then
//! waits for the headset's link to deliver what it made of it. Stepped
//! time outruns the network, so waiting is what keeps a run repeatable:
//! an alert is presented in the frame its message was published, on every
//! run.

use super::connection::HomeConnection;
use crate::session::{PresentedEvent, SessionClock, SessionConfig, SessionReport};
use allverse_core::scenario::HomeHub;
use allverse_home::HomeUpdate;
use allverse_home::publish::{Message, Publisher};
use allverse_home::settings::{HomeSettings, read_credentials_file};
use bevy::prelude::*;
use std::time::{Duration, Instant};

/// How long the hub waits for the link to deliver one message: generous, for busy machines.
const DELIVERY_WAIT: Duration = Duration::from_secs(30);

/// Publishes the scenario's home events that are due, each delivered before the next.
pub(super) fn publish_due_events(
    config: Res<SessionConfig>,
    clock: Res<SessionClock>,
    mut home: NonSendMut<HomeConnection>,
    mut report: ResMut<SessionReport>,
    mut subscribed: Local<bool>,
) {
    let scenario = &config.scenario;
    let Some(hub) = &scenario.home_hub else { return };
    let due: Vec<_> = scenario.home_events.iter().filter(|e| clock.is_due(e.at_s)).collect();
    if due.is_empty() {
        return;
    }
    let t_s = clock.elapsed_s();
    // Messages published before the link has subscribed would never reach it.
    if !*subscribed {
        if home.connected.is_none() {
            wait_for(&mut home, |u| {
                matches!(u, HomeUpdate::Connected { .. } | HomeUpdate::Disconnected { .. })
            });
        }
        *subscribed = home.connected == Some(true);
    }
    if !*subscribed {
        for event in due {
            let reason = "the headset is not connected to the broker".to_string();
            report.record(t_s, PresentedEvent::HomeSkipped { topic: event.topic.clone(), reason });
        }
        return;
    }
    for event in due {
        let message =
            Message { retain: event.retain, ..Message::new(&event.topic, event.payload.as_bytes()) };
        // A broker that restarted has dropped the hub's connection: one fresh try.
        let published =
            publish(&mut home.hub, hub, &message).or_else(|_| publish(&mut home.hub, hub, &message));
        let outcome = published.and_then(|()| {
            wait_for(&mut home, |u| matches!(u, HomeUpdate::Processed { topic } if *topic == event.topic))
                .then_some(())
                .ok_or_else(|| "the headset did not receive it".to_string())
        });
        if let Err(reason) = outcome {
            report.record(t_s, PresentedEvent::HomeSkipped { topic: event.topic.clone(), reason });
        }
    }
}

/// Publishes through the hub's connection, connecting it first if need be; a failed connection is dropped.
fn publish(connection: &mut Option<Publisher>, hub: &HomeHub, message: &Message) -> Result<(), String> {
    if connection.is_none() {
        *connection = Some(connect_hub(hub)?);
    }
    let publisher = connection.as_mut().expect("connected above");
    publisher.publish(message).map_err(|error| {
        *connection = None;
        error.to_string()
    })
}

/// The hub's own connection, with its credentials file.
fn connect_hub(hub: &HomeHub) -> Result<Publisher, String> {
    let mut settings = HomeSettings::new(hub.broker.clone());
    settings.ca_file = hub.ca_file.clone();
    if let Some(path) = &hub.credentials_file {
        let (user, password) = read_credentials_file(path).map_err(|e| e.to_string())?;
        settings.username = Some(user);
        settings.password = Some(password);
    }
    Publisher::connect(&settings).map_err(|e| e.to_string())
}

/// Takes updates from the link into the inbox until one matches, or the wait runs out.
pub(super) fn wait_for(home: &mut HomeConnection, matches: impl Fn(&HomeUpdate) -> bool) -> bool {
    let deadline = Instant::now() + DELIVERY_WAIT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Some(update) = home.next(Some(left)) else { break };
        let found = matches(&update);
        home.inbox.push(update);
        if found {
            return true;
        }
    }
    false
}
