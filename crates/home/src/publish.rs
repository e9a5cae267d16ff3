//! Publishing as a hub or a device would: the simulator's hub, `allverse home test-alert`, tests and benchmarks.
//!
//! The headset itself only publishes commands, through [`crate::link::HomeLink`].
//! A [`Publisher`] is one connection that sends messages and waits for the
//! broker to take each (PUBACK for QoS 1, MQTT 5 §3.4), so a caller knows the
//! message is in the broker before it goes on.

use crate::link::options::mqtt_options;
use crate::settings::HomeSettings;
use rumqttc::Outgoing;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{ConnectReturnCode, Packet, PubAckReason, PublishProperties};
use rumqttc::v5::{Client, Connection, Event};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long the broker has to accept the connection or a message.
const ANSWER_WAIT: Duration = Duration::from_secs(10);

/// One MQTT message to publish.
#[derive(Clone, Debug)]
pub struct Message<'a> {
    pub topic: &'a str,
    pub payload: &'a [u8],
    /// Kept by the broker for later subscribers (discovery and states are).
    pub retain: bool,
    /// QoS 1 (at least once) waits for the broker's PUBACK; QoS 0 only for the send.
    pub at_least_once: bool,
    /// MQTT 5 message expiry (§3.3.2.3.3), in seconds: the broker drops the
    /// message for any client that has not received it by then.
    pub expiry_s: Option<u32>,
}

impl<'a> Message<'a> {
    /// A QoS 1 message, not retained, that never expires.
    pub fn new(topic: &'a str, payload: &'a [u8]) -> Self {
        Self { topic, payload, retain: false, at_least_once: true, expiry_s: None }
    }
}

/// Why a message could not be published.
#[derive(Debug, thiserror::Error)]
#[error("cannot publish to the home broker: {0}")]
pub struct PublishError(String);

/// A connection that publishes messages one at a time, each acknowledged before the next.
pub struct Publisher {
    client: Client,
    connection: Connection,
}

impl Publisher {
    /// Connects with `settings` (broker, CA, user and password) under a client id of its own.
    ///
    /// # Errors
    /// The broker cannot be reached, refuses the user, or does not answer within 10 s.
    pub fn connect(settings: &HomeSettings) -> Result<Self, PublishError> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let mut settings = settings.clone();
        settings.client_id =
            format!("allverse-pub-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let mut options = mqtt_options(&settings).map_err(|e| PublishError(e.to_string()))?;
        // A publisher keeps no session.
        options.set_clean_start(true).set_session_expiry_interval(None);
        let (client, connection) = Client::new(options, 10);
        let mut publisher = Self { client, connection };
        publisher.wait(|packet| match packet {
            Packet::ConnAck(ack) if ack.code == ConnectReturnCode::Success => Some(Ok(())),
            Packet::ConnAck(ack) => Some(Err(format!("the broker refused the connection: {:?}", ack.code))),
            _ => None,
        })?;
        Ok(publisher)
    }

    /// Publishes `message` and waits until the broker has it.
    ///
    /// # Errors
    /// The connection fails, the broker refuses the message (its ACL, say), or no answer comes within 10 s.
    pub fn publish(&mut self, message: &Message) -> Result<(), PublishError> {
        let qos = if message.at_least_once { QoS::AtLeastOnce } else { QoS::AtMostOnce };
        let properties =
            PublishProperties { message_expiry_interval: message.expiry_s, ..Default::default() };
        self.client
            .publish_with_properties(message.topic, qos, message.retain, message.payload.to_vec(), properties)
            .map_err(|e| PublishError(e.to_string()))?;
        if !message.at_least_once {
            return self.wait_outgoing();
        }
        self.wait(|packet| match packet {
            Packet::PubAck(ack) => Some(match ack.reason {
                PubAckReason::Success | PubAckReason::NoMatchingSubscribers => Ok(()),
                reason => Err(format!("the broker refused it: {reason:?}")),
            }),
            _ => None,
        })
    }

    /// Waits for the incoming packet `answer` recognises.
    fn wait(&mut self, answer: impl Fn(&Packet) -> Option<Result<(), String>>) -> Result<(), PublishError> {
        let deadline = Instant::now() + ANSWER_WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.connection.recv_timeout(left) {
                Ok(Ok(Event::Incoming(packet))) => {
                    if let Some(result) = answer(&packet) {
                        return result.map_err(PublishError);
                    }
                }
                Ok(Ok(Event::Outgoing(_))) => {}
                Ok(Err(e)) => return Err(PublishError(e.to_string())),
                Err(_) => return Err(PublishError(format!("no answer within {} s", ANSWER_WAIT.as_secs()))),
            }
        }
    }

    /// Waits until a QoS 0 message has left.
    fn wait_outgoing(&mut self) -> Result<(), PublishError> {
        let deadline = Instant::now() + ANSWER_WAIT;
        loop {
            match self.connection.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Ok(Event::Outgoing(Outgoing::Publish(_)))) => return Ok(()),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(PublishError(e.to_string())),
                Err(_) => return Err(PublishError("the message was not sent".into())),
            }
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        let _ = self.client.disconnect();
        while let Ok(Ok(event)) = self.connection.recv_timeout(Duration::from_secs(1)) {
            if matches!(event, Event::Outgoing(Outgoing::Disconnect)) {
                break;
            }
        }
    }
}

/// Connects, publishes `message`, and disconnects.
///
/// # Errors
/// As [`Publisher::connect`] and [`Publisher::publish`].
pub fn publish_once(settings: &HomeSettings, message: &Message) -> Result<(), PublishError> {
    Publisher::connect(settings)?.publish(message)
}
