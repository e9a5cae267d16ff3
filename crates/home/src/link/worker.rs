//! The link's thread: drives the MQTT event loop, keeps the model, tracks commands.
//!
//! rumqttc's sync `Connection::recv_timeout` drops the event loop's future when its timeout
//! fires, which cancels a connection attempt in progress; a slow TLS handshake would then
//! never finish. So the thread runs a single-threaded tokio runtime and keeps the poll future
//! alive while it also serves commands and a 100 ms timer for command timeouts.

use super::Request;
use crate::alert::AgeLimits;
use crate::command::{CommandFailure, CommandId, confirms, payload_for};
use crate::discovery::EntityKey;
use crate::model::{EntityState, HomeModel};
use crate::settings::HomeSettings;
use crate::update::HomeUpdate;
use rumqttc::Outgoing;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{ConnectReturnCode, Filter, Packet, PubAckReason};
use rumqttc::v5::{AsyncClient, ConnectionError, Event, EventLoop, MqttOptions, StateError};
use std::collections::{HashSet, VecDeque};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc::UnboundedReceiver;

const MIN_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Requests rumqttc buffers between this thread and its event loop.
const CLIENT_QUEUE: usize = 1024;
/// Filters per SUBSCRIBE packet, to keep packets well under the broker's limits.
const FILTERS_PER_SUBSCRIBE: usize = 64;

/// A command published and waiting for its state topic.
struct Pending {
    id: CommandId,
    key: EntityKey,
    wanted: EntityState,
    deadline: Instant,
    pkid: Option<u16>,
}

struct Worker {
    settings: HomeSettings,
    broker: String,
    model: HomeModel,
    client: AsyncClient,
    updates: SyncSender<HomeUpdate>,
    connected: bool,
    /// SUBACKs still to come for subscriptions sent.
    subacks_due: usize,
    /// Updates said once those have come.
    after_subacks: Vec<HomeUpdate>,
    /// Messages for entities not discovered yet.
    unclaimed: Unclaimed,
    subscribed: HashSet<String>,
    pending: Vec<Pending>,
    /// Commands published but not yet given a packet id by the event loop, in order.
    awaiting_pkid: VecDeque<CommandId>,
    age_limits: AgeLimits,
    /// Set when the frame loop dropped its receiver: time to stop.
    closed: bool,
}

pub(super) fn run(
    settings: HomeSettings,
    options: MqttOptions,
    mut requests: UnboundedReceiver<Request>,
    updates: SyncSender<HomeUpdate>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = updates.send(HomeUpdate::Disconnected {
                reason: format!("cannot start the network runtime: {e}"),
                retry_in_s: f32::INFINITY,
            });
            return;
        }
    };
    let (client, mut eventloop) = AsyncClient::new(options, CLIENT_QUEUE);
    let mut w = Worker {
        broker: settings.broker.clone(),
        model: HomeModel::new(&settings.discovery_prefix),
        settings,
        client,
        updates,
        connected: false,
        subacks_due: 0,
        after_subacks: Vec::new(),
        unclaimed: Unclaimed::default(),
        subscribed: HashSet::new(),
        pending: Vec::new(),
        awaiting_pkid: VecDeque::new(),
        age_limits: AgeLimits::default(),
        closed: false,
    };
    runtime.block_on(async move {
        let mut backoff = MIN_BACKOFF;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        while !w.closed {
            let step = {
                let mut poll = std::pin::pin!(eventloop.poll());
                loop {
                    tokio::select! {
                        event = &mut poll => break Some(event),
                        request = requests.recv() => if !w.request(request) { break None },
                        _ = tick.tick() => w.expire(),
                    }
                }
            };
            let Some(event) = step else { return w.disconnect(&mut eventloop).await };
            match event {
                Ok(event) => {
                    if matches!(event, Event::Incoming(Packet::ConnAck(_))) {
                        backoff = MIN_BACKOFF;
                    }
                    w.event(event);
                }
                Err(e) => {
                    w.lost(&e, backoff);
                    let wait = tokio::time::sleep(backoff);
                    tokio::pin!(wait);
                    loop {
                        tokio::select! {
                            _ = &mut wait => break,
                            request = requests.recv() => if !w.request(request) { return },
                            _ = tick.tick() => w.expire(),
                        }
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    });
}

impl Worker {
    /// Sends `update` to the frame loop, or, while subscriptions are on their
    /// way to the broker, once they are acknowledged: `Connected` (and a
    /// message's `Processed`) then means that anything published afterwards
    /// reaches the headset, and updates keep their order.
    fn emit(&mut self, update: HomeUpdate) {
        if self.subacks_due > 0 {
            self.after_subacks.push(update);
        } else {
            self.send(update);
        }
    }

    fn send(&mut self, update: HomeUpdate) {
        if let HomeUpdate::Skipped { topic, reason } = &update {
            tracing::warn!(target: "allverse_home", topic = %topic, "home message skipped: {reason}");
        }
        if self.updates.send(update).is_err() {
            self.closed = true;
        }
    }

    /// Handles one request; `false` means stop.
    fn request(&mut self, request: Option<Request>) -> bool {
        match request {
            None | Some(Request::Shutdown) => false,
            Some(Request::Command { id, key, command }) => {
                if let Err(reason) = self.command(id, &key, command) {
                    self.emit(HomeUpdate::CommandFailed { id, key, reason });
                }
                !self.closed
            }
        }
    }

    fn command(
        &mut self,
        id: CommandId,
        key: &EntityKey,
        command: crate::command::DeviceCommand,
    ) -> Result<(), CommandFailure> {
        // The allow-list comes first: a refused device is never even looked up.
        if !self.settings.allowed.contains(key) {
            return Err(CommandFailure::NotAllowed);
        }
        let entity = self.model.entity(key).ok_or_else(|| {
            CommandFailure::Invalid(crate::command::CommandError::UnknownEntity(key.clone()))
        })?;
        let (topic, payload, wanted) = payload_for(entity, command).map_err(CommandFailure::Invalid)?;
        if !self.connected {
            return Err(CommandFailure::NotConnected);
        }
        self.client
            .try_publish(topic, QoS::AtLeastOnce, false, payload)
            .map_err(|_| CommandFailure::NotConnected)?;
        let timeout = Duration::from_secs_f32(self.settings.command_timeout_s);
        self.pending.push(Pending {
            id,
            key: key.clone(),
            wanted,
            deadline: Instant::now() + timeout,
            pkid: None,
        });
        self.awaiting_pkid.push_back(id);
        Ok(())
    }

    fn expire(&mut self) {
        let now = Instant::now();
        let seconds = self.settings.command_timeout_s;
        let (late, waiting): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.pending).into_iter().partition(|p| p.deadline <= now);
        self.pending = waiting;
        for p in late {
            self.awaiting_pkid.retain(|id| *id != p.id);
            self.emit(HomeUpdate::CommandFailed {
                id: p.id,
                key: p.key,
                reason: CommandFailure::TimedOut { seconds },
            });
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Incoming(Packet::ConnAck(_)) => {
                self.connected = true;
                self.subscribed.clear();
                self.subscribe_all();
                self.emit(HomeUpdate::Connected { broker: self.broker.clone() });
            }
            Event::Incoming(Packet::Publish(p)) => {
                let topic = String::from_utf8_lossy(&p.topic).into_owned();
                self.message(&topic, &p.payload);
                self.emit(HomeUpdate::Processed { topic });
            }
            Event::Incoming(Packet::PubAck(ack)) => self.puback(ack.pkid, &ack.reason),
            Event::Incoming(Packet::SubAck(ack)) => {
                self.subacks_due = self.subacks_due.saturating_sub(1);
                if self.subacks_due == 0 {
                    for update in std::mem::take(&mut self.after_subacks) {
                        self.send(update);
                    }
                }
                let refused = ack
                    .return_codes
                    .iter()
                    .filter(|c| !matches!(c, rumqttc::v5::mqttbytes::v5::SubscribeReasonCode::Success(_)))
                    .count();
                if refused > 0 {
                    tracing::warn!(target: "allverse_home", "the broker refused {refused} subscriptions: {:?}", ack.return_codes);
                }
            }
            // Retransmissions after a reconnect reuse their packet id; only new ids are new commands.
            Event::Outgoing(Outgoing::Publish(pkid))
                if !self.pending.iter().any(|p| p.pkid == Some(pkid)) =>
            {
                let id = self.awaiting_pkid.pop_front();
                if let Some(p) = self.pending.iter_mut().find(|p| Some(p.id) == id) {
                    p.pkid = Some(pkid);
                }
            }
            _ => {}
        }
    }

    /// A broker refusal (MQTT 5 §3.4.2.1, e.g. 0x87 Not authorized from an ACL) fails the command.
    fn puback(&mut self, pkid: u16, reason: &PubAckReason) {
        let Some(i) = self.pending.iter().position(|p| p.pkid == Some(pkid)) else { return };
        if matches!(reason, PubAckReason::Success | PubAckReason::NoMatchingSubscribers) {
            // Acknowledged: forget the id so its reuse is not mistaken for this command.
            self.pending[i].pkid = None;
            return;
        }
        let p = self.pending.remove(i);
        let reason = match reason {
            PubAckReason::NotAuthorized => {
                "not authorised to publish to this device's topic (broker ACL)".to_owned()
            }
            other => format!("{other:?}"),
        };
        self.emit(HomeUpdate::CommandFailed {
            id: p.id,
            key: p.key,
            reason: CommandFailure::RefusedByBroker { reason },
        });
    }

    fn message(&mut self, topic: &str, payload: &[u8]) {
        let prefix = &self.settings.discovery_prefix;
        if topic == format!("{prefix}/status") {
            if payload == b"online" {
                // Home Assistant restarted: subscribing again re-reads every retained config and state.
                self.subscribed.clear();
                self.subscribe_all();
            }
            return;
        }
        if topic.starts_with(&format!("{prefix}/")) && topic.ends_with("/config") {
            let update = self.model.apply_discovery(topic, payload);
            let added = matches!(update, HomeUpdate::EntityAdded(_));
            self.emit(update);
            if added {
                self.subscribe_all();
                for (topic, payload) in self.unclaimed.claim(|t| self.model.listens(t)) {
                    self.state(&topic, &payload);
                }
            }
            return;
        }
        if topic == self.settings.notify_topic {
            let update = self.model.apply_notify(topic, payload);
            self.emit_checked(update);
            return;
        }
        if self.model.listens(topic) {
            self.state(topic, payload);
        } else {
            // After a reconnect the broker hands over what it kept for this
            // session before the retained discovery that says whose it is.
            self.unclaimed.keep(topic, payload);
        }
    }

    /// A message on an entity's state or availability topic.
    fn state(&mut self, topic: &str, payload: &[u8]) {
        for update in self.model.apply_state(topic, payload) {
            self.emit_checked(update);
        }
        self.confirm(topic);
    }

    /// Emits an update, turning an alert older than its age limit into `Skipped`.
    fn emit_checked(&mut self, update: HomeUpdate) {
        if let HomeUpdate::Alert(alert) = &update {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
            if let Some(reason) = self.age_limits.too_old(alert, now) {
                let topic = alert.topic.clone();
                return self.emit(HomeUpdate::Skipped { topic, reason });
            }
        }
        self.emit(update);
    }

    /// Confirms pending commands whose entity now reports the wanted state on `topic`.
    fn confirm(&mut self, topic: &str) {
        let mut confirmed = Vec::new();
        self.pending.retain(|p| {
            let Some(e) = self.model.entity(&p.key) else { return true };
            let on_topic = [&e.config.state_topic, &e.config.temperature_state_topic]
                .into_iter()
                .flatten()
                .any(|t| t == topic);
            let done = on_topic && confirms(&e.state, &p.wanted);
            if done {
                confirmed.push((p.id, p.key.clone(), e.state.clone()));
            }
            !done
        });
        for (id, key, state) in confirmed {
            self.awaiting_pkid.retain(|a| *a != id);
            self.emit(HomeUpdate::CommandConfirmed { id, key, state });
        }
    }

    /// Subscribes, QoS 1, to every topic not yet subscribed on this connection.
    /// Subscribes to every topic not yet subscribed.
    fn subscribe_all(&mut self) {
        if !self.connected {
            return;
        }
        let prefix = &self.settings.discovery_prefix;
        let mut topics = vec![
            format!("{prefix}/+/+/config"),
            format!("{prefix}/+/+/+/config"),
            format!("{prefix}/status"),
            self.settings.notify_topic.clone(),
        ];
        topics.extend(self.model.topics());
        let new: Vec<String> = topics.into_iter().filter(|t| self.subscribed.insert(t.clone())).collect();
        for chunk in new.chunks(FILTERS_PER_SUBSCRIBE) {
            let filters = chunk.iter().map(|t| Filter::new(t.clone(), QoS::AtLeastOnce));
            match self.client.try_subscribe_many(filters) {
                Ok(()) => self.subacks_due += 1,
                Err(e) => tracing::warn!(target: "allverse_home", "cannot subscribe: {e}"),
            }
        }
    }

    fn lost(&mut self, error: &ConnectionError, backoff: Duration) {
        self.connected = false;
        // Their subscriptions died with the connection; the updates waiting on them are due.
        self.subacks_due = 0;
        for update in std::mem::take(&mut self.after_subacks) {
            self.send(update);
        }
        let reason = describe(error, &self.broker);
        tracing::info!(target: "allverse_home", "home broker: {reason}; retrying in {:.1} s", backoff.as_secs_f32());
        self.emit(HomeUpdate::Disconnected { reason, retry_in_s: backoff.as_secs_f32() });
    }

    /// Sends DISCONNECT (normal, so the broker keeps the session and publishes no will) and
    /// drives the event loop until it has gone out, for at most a second.
    async fn disconnect(&mut self, eventloop: &mut EventLoop) {
        if !self.connected || self.client.try_disconnect().is_err() {
            return;
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            while let Ok(event) = eventloop.poll().await {
                if matches!(event, Event::Outgoing(Outgoing::Disconnect)) {
                    break;
                }
            }
        })
        .await;
    }
}

/// A connection error in plain words; never includes credentials.
fn describe(error: &ConnectionError, broker: &str) -> String {
    match error {
        // Mosquitto 2.0.11 answers a wrong password with 0x87 Not authorized, not 0x86.
        ConnectionError::ConnectionRefused(
            ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized,
        ) => "the broker refused the user name or password".to_owned(),
        ConnectionError::ConnectionRefused(code) => format!("the broker refused the connection: {code:?}"),
        ConnectionError::Io(e) => format!("cannot reach the broker at {broker}: {e}"),
        ConnectionError::Tls(e) => format!("TLS with the broker at {broker} failed: {e}"),
        ConnectionError::Timeout(_) => format!("the broker at {broker} did not answer in time"),
        ConnectionError::MqttState(StateError::ServerDisconnect { reason_code, .. }) => {
            format!("the broker closed the connection: {reason_code:?}")
        }
        ConnectionError::MqttState(StateError::Io(e)) => format!("the connection to {broker} was lost: {e}"),
        other => format!("the connection to {broker} failed: {other}"),
    }
}

/// Messages on topics no known entity uses yet, kept a while for an entity whose discovery comes later.
#[derive(Default)]
struct Unclaimed {
    messages: VecDeque<(Instant, String, Vec<u8>)>,
    bytes: usize,
}

/// At most this many bytes of unclaimed messages are kept; the oldest go first.
const UNCLAIMED_MAX_BYTES: usize = 1024 * 1024;
/// An unclaimed message older than this is dropped: its entity was never announced.
const UNCLAIMED_MAX_AGE: Duration = Duration::from_secs(30);

impl Unclaimed {
    fn keep(&mut self, topic: &str, payload: &[u8]) {
        self.messages.push_back((Instant::now(), topic.to_owned(), payload.to_vec()));
        self.bytes += topic.len() + payload.len();
        while self.bytes > UNCLAIMED_MAX_BYTES
            || self.messages.front().is_some_and(|(at, ..)| at.elapsed() > UNCLAIMED_MAX_AGE)
        {
            let Some((_, topic, payload)) = self.messages.pop_front() else { break };
            self.bytes -= topic.len() + payload.len();
        }
    }

    /// Takes out, in arrival order, the messages whose topic `claims` accepts.
    fn claim(&mut self, claims: impl Fn(&str) -> bool) -> Vec<(String, Vec<u8>)> {
        let (claimed, kept): (VecDeque<_>, VecDeque<_>) =
            std::mem::take(&mut self.messages).into_iter().partition(|(_, topic, _)| claims(topic));
        self.messages = kept;
        self.bytes = self.messages.iter().map(|(_, t, p)| t.len() + p.len()).sum();
        claimed.into_iter().map(|(_, topic, payload)| (topic, payload)).collect()
    }
}
