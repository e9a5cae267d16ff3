//! The media side of a joined room: publishing the user's voice and one subscription per participant who sends theirs.
//!
//! It lives on the signalling worker, which hands it every message that
//! concerns media and lends it the connection to answer on. Each
//! subscription is a VideoRoom subscriber on a handle of its own: attached
//! when a participant starts sending, answered when the server's offer
//! comes, given up when they stop or leave.

use crate::data::DataMessage;
use crate::media::outbound::Outbound;
use crate::media::{Decoders, MediaSettings, Peer, decode};
use crate::presence::{Participant, ParticipantId};
use crate::protocol::{self, Jsep, RoomEvent};
use crate::signalling::{Connection, LiveEvent, Secret};
use allverse_pipeline::panel::FrameSlot;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A participant whose client sent heartbeats and then none for this long has gone
/// (crashed or cut off), long before the server's own 60 s session timeout says so.
pub const QUIET_AFTER: Duration = Duration::from_secs(5);

/// Where the session's events go (to the caller of [`crate::LiveSession`]).
type Events = mpsc::Sender<LiveEvent>;

/// One participant's subscription, by handle.
struct Subscription {
    feed: ParticipantId,
    display: String,
    /// Whether their video is decoded: they interpret into a channel.
    interpreter: bool,
    /// Set once the server's offer is answered.
    peer: Option<Peer>,
    /// An interpreter's video until its first frame is decoded on this subscription.
    awaited_video: Option<AwaitedVideo>,
    /// When their last data-channel message came, in milliseconds after [`RoomMedia::epoch`]; 0 before the first.
    last_heard_ms: Arc<AtomicU64>,
}

/// How often, and how many times, a subscription with no decoded video yet asks for a keyframe.
const KEYFRAME_ASK_EVERY: Duration = Duration::from_secs(1);
const KEYFRAME_ASKS: u32 = 30;

/// An interpreter's video that has not shown on a subscription yet.
///
/// A subscription can start between keyframes (the one the server asks for when it
/// starts can arrive before our side of DTLS is ready), and a browser sends the next
/// only when asked: until a frame is decoded, the subscription asks every
/// [`KEYFRAME_ASK_EVERY`], at most [`KEYFRAME_ASKS`] times.
struct AwaitedVideo {
    frames: Arc<FrameSlot>,
    /// What `frames` had delivered when this subscription began (it is kept across subscriptions).
    delivered_before: u64,
    asked: u32,
    last_asked: Instant,
}

/// Publishing and subscriptions for one connection to the room.
pub(crate) struct RoomMedia {
    settings: MediaSettings,
    room: u64,
    pin: Option<Secret>,
    events: Events,
    outbound: mpsc::Sender<Outbound>,
    /// Where `last_heard_ms` counts from.
    epoch: Instant,
    publisher: Option<Peer>,
    /// Subscriber handles being attached, by the attach request's transaction.
    attaching: HashMap<String, Participant>,
    subscriptions: HashMap<u64, Subscription>,
    /// Each interpreter's video, kept across their subscriptions so that whoever shows it
    /// sees it resume in the same place after the subscription is taken again.
    video: HashMap<ParticipantId, Arc<FrameSlot>>,
}

impl RoomMedia {
    pub(crate) fn new(
        settings: MediaSettings,
        room: u64,
        pin: Option<Secret>,
        events: Events,
        outbound: mpsc::Sender<Outbound>,
    ) -> Self {
        Self {
            settings,
            room,
            pin,
            events,
            outbound,
            epoch: Instant::now(),
            publisher: None,
            attaching: HashMap::new(),
            subscriptions: HashMap::new(),
            video: HashMap::new(),
        }
    }

    /// Publishes the user's outgoing audio, if there is any, and our data channel.
    pub(crate) fn publish(&mut self, connection: &mut Connection) -> Result<(), crate::signalling::Ended> {
        let offer =
            |outgoing| Peer::publisher(outgoing).and_then(|mut peer| peer.offer().map(|sdp| (peer, sdp)));
        let mut offered = offer(self.settings.send.as_ref());
        if let (Err(e), Some(_)) = (&offered, &self.settings.send) {
            // Without a voice (no microphone, say) the user can still be seen, chat and be followed.
            self.problem(format!("your voice cannot be sent: {e}"));
            offered = offer(None);
        }
        match offered {
            Ok((peer, sdp)) => {
                let transaction = connection.transaction();
                let message = protocol::publish(&transaction, connection.session, connection.handle, &sdp);
                let _ = self.outbound.send(Outbound::Channel(peer.data_channel()));
                let _ = self.outbound.send(Outbound::Sending(Some(peer.sending_parts())));
                self.publisher = Some(peer);
                connection.send(message)
            }
            Err(e) => {
                self.problem(format!("you cannot be seen or send chat in the room: {e}"));
                Ok(())
            }
        }
    }

    /// Subscribes to everyone among `people` who sends a voice and is not subscribed to yet.
    pub(crate) fn follow(
        &mut self,
        connection: &mut Connection,
        people: &[Participant],
    ) -> Result<(), crate::signalling::Ended> {
        if !self.settings.receive {
            return Ok(());
        }
        for person in people.iter().filter(|p| p.publishing) {
            let known = self.attaching.values().any(|p| p.id == person.id)
                || self.subscriptions.values().any(|s| s.feed == person.id);
            if !known {
                let transaction = connection.transaction();
                connection.send(protocol::attach(&transaction, connection.session))?;
                self.attaching.insert(transaction, person.clone());
            }
        }
        Ok(())
    }

    /// A new handle from `attach`: if it is one of ours, joins it to the room as that participant's subscriber.
    pub(crate) fn attached(
        &mut self,
        connection: &mut Connection,
        transaction: &str,
        handle: u64,
    ) -> Result<(), crate::signalling::Ended> {
        let Some(person) = self.attaching.remove(transaction) else { return Ok(()) };
        let next = connection.transaction();
        let pin = self.pin.as_ref().map(Secret::expose);
        connection.send(protocol::subscribe(
            &next,
            connection.session,
            handle,
            self.room,
            person.id.0,
            pin,
        ))?;
        let subscription = Subscription {
            feed: person.id,
            display: person.display,
            interpreter: person.channel.is_some(),
            peer: None,
            awaited_video: None,
            last_heard_ms: Arc::new(AtomicU64::new(0)),
        };
        self.subscriptions.insert(handle, subscription);
        Ok(())
    }

    /// A VideoRoom event on one of the media handles, with its description.
    pub(crate) fn on_event(
        &mut self,
        connection: &mut Connection,
        sender: u64,
        event: &RoomEvent,
        jsep: Option<&Jsep>,
    ) -> Result<(), crate::signalling::Ended> {
        match (event, jsep) {
            (RoomEvent::Unpublished(feed) | RoomEvent::Left(feed), _) => {
                self.stop_following(connection, *feed)
            }
            (_, Some(answer)) if sender == connection.handle && answer.kind == "answer" => {
                if let Some(Err(e)) = self.publisher.as_ref().map(|peer| peer.accept_answer(&answer.sdp)) {
                    self.publisher = None;
                    self.problem(format!("your voice cannot be sent: {e}"));
                }
                Ok(())
            }
            (_, Some(offer)) if offer.kind == "offer" => self.answer(connection, sender, &offer.sdp),
            _ => Ok(()),
        }
    }

    /// A candidate the server trickled for one of our peer connections.
    pub(crate) fn trickled(&self, connection: &Connection, sender: u64, m_line: u32, candidate: &str) {
        let peer = if sender == connection.handle {
            self.publisher.as_ref()
        } else {
            self.subscriptions.get(&sender).and_then(|s| s.peer.as_ref())
        };
        if let Some(peer) = peer {
            peer.add_candidate(m_line, candidate);
        }
    }

    /// The server took a subscription handle away (its publisher left): nothing to detach any more.
    pub(crate) fn detached(&mut self, handle: u64) {
        self.subscriptions.remove(&handle);
    }

    /// Which participant a subscription handle hears, if it is one.
    pub(crate) fn feed_of(&self, handle: u64) -> Option<ParticipantId> {
        self.subscriptions.get(&handle).map(|s| s.feed)
    }

    /// The server closed a peer connection: a subscription is given up (and taken again if they still send).
    pub(crate) fn hung_up(&mut self, connection: &mut Connection, sender: u64, reason: &str) {
        if sender == connection.handle && self.publisher.take().is_some() {
            self.problem(format!("the server stopped taking your voice ({reason})"));
        } else if let Some(subscription) = self.subscriptions.remove(&sender) {
            self.problem(format!("{}'s voice stopped arriving ({reason})", subscription.display));
            let transaction = connection.transaction();
            let _ = connection.send(protocol::detach(&transaction, connection.session, sender));
        }
    }

    fn answer(
        &mut self,
        connection: &mut Connection,
        handle: u64,
        offer_sdp: &str,
    ) -> Result<(), crate::signalling::Ended> {
        let Some(subscription) = self.subscriptions.get_mut(&handle) else { return Ok(()) };
        let (feed, events) = (subscription.feed, self.events.clone());
        let video = subscription.interpreter.then(|| {
            let slot = self.video.entry(feed).or_insert_with(|| {
                let slot = Arc::new(FrameSlot::default());
                let _ = self.events.send(LiveEvent::Video { from: feed, frames: slot.clone() });
                slot
            });
            slot.clone()
        });
        let video_frames = video.clone();
        let decoders = Arc::new(Decoders {
            voice: Box::new(move |samples| {
                let _ = events.send(LiveEvent::Voice { from: feed, samples });
            }),
            video,
        });
        let problems = self.events.clone();
        let display = subscription.display.clone();
        let on_pad = move |pipeline: &gstreamer::Pipeline, pad: &gstreamer::Pad| {
            if let Err(e) = decode(pipeline, pad, &decoders) {
                let _ = problems
                    .send(LiveEvent::MediaProblem(format!("{display}'s media cannot be played: {e}")));
            }
        };
        let on_message = data_receiver(subscription, self.events.clone(), self.epoch);
        let answered = Peer::subscriber(on_pad, on_message)
            .and_then(|mut peer| peer.answer(offer_sdp).map(|sdp| (peer, sdp)));
        match answered {
            Ok((peer, sdp)) => {
                subscription.peer = Some(peer);
                subscription.awaited_video = video_frames.map(|frames| AwaitedVideo {
                    delivered_before: frames.delivered(),
                    frames,
                    asked: 0,
                    last_asked: Instant::now(),
                });
                let transaction = connection.transaction();
                connection.send(protocol::start(&transaction, connection.session, handle, &sdp))
            }
            Err(e) => {
                let display = subscription.display.clone();
                self.subscriptions.remove(&handle);
                self.problem(format!("{display}'s voice cannot be received: {e}"));
                Ok(())
            }
        }
    }

    /// Asks for a keyframe on each subscription whose interpreter's video has not shown yet (see [`AwaitedVideo`]).
    pub(crate) fn ask_for_keyframes(
        &mut self,
        connection: &mut Connection,
    ) -> Result<(), crate::signalling::Ended> {
        for (&handle, subscription) in &mut self.subscriptions {
            let Some(awaited) = &mut subscription.awaited_video else { continue };
            if awaited.frames.delivered() > awaited.delivered_before || awaited.asked >= KEYFRAME_ASKS {
                subscription.awaited_video = None;
            } else if awaited.last_asked.elapsed() >= KEYFRAME_ASK_EVERY {
                awaited.asked += 1;
                awaited.last_asked = Instant::now();
                let transaction = connection.transaction();
                connection.send(protocol::ask_for_keyframe(&transaction, connection.session, handle))?;
            }
        }
        Ok(())
    }

    /// Participants whose heartbeat stopped: their subscriptions are given up, and they are returned as gone.
    pub(crate) fn gone_quiet(
        &mut self,
        connection: &mut Connection,
    ) -> Result<Vec<ParticipantId>, crate::signalling::Ended> {
        let now_ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        let quiet_ms = QUIET_AFTER.as_millis() as u64;
        let quiet: Vec<ParticipantId> = self
            .subscriptions
            .values()
            .filter(|s| {
                let last = s.last_heard_ms.load(Ordering::Relaxed);
                last > 0 && now_ms.saturating_sub(last) > quiet_ms
            })
            .map(|s| s.feed)
            .collect();
        for feed in &quiet {
            self.stop_following(connection, *feed)?;
        }
        Ok(quiet)
    }

    fn stop_following(
        &mut self,
        connection: &mut Connection,
        feed: ParticipantId,
    ) -> Result<(), crate::signalling::Ended> {
        let handles: Vec<u64> =
            self.subscriptions.iter().filter(|(_, s)| s.feed == feed).map(|(&handle, _)| handle).collect();
        for handle in handles {
            self.subscriptions.remove(&handle);
            let transaction = connection.transaction();
            connection.send(protocol::detach(&transaction, connection.session, handle))?;
        }
        self.attaching.retain(|_, attaching| attaching.id != feed);
        Ok(())
    }

    fn problem(&self, text: String) {
        tracing::warn!("live session: {text}");
        let _ = self.events.send(LiveEvent::MediaProblem(text));
    }
}

impl Drop for RoomMedia {
    fn drop(&mut self) {
        // The connection is gone: nothing can be sent until the next join publishes again.
        let _ = self.outbound.send(Outbound::Channel(None));
        let _ = self.outbound.send(Outbound::Sending(None));
    }
}

/// What to do with each message on a participant's data channel: poses and chat
/// become events; any message counts as a sign of life.
fn data_receiver(
    subscription: &Subscription,
    events: Events,
    epoch: Instant,
) -> impl Fn(&str) + Send + Sync + 'static {
    let (feed, display) = (subscription.feed, subscription.display.clone());
    let last_heard_ms = subscription.last_heard_ms.clone();
    move |text: &str| {
        let now_ms = u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX).max(1);
        last_heard_ms.store(now_ms, Ordering::Relaxed);
        let event = match DataMessage::parse(text) {
            Ok(DataMessage::Pose(pose)) => LiveEvent::Pose { from: feed, pose },
            Ok(DataMessage::Chat(text)) => LiveEvent::Chat { from: feed, text },
            Ok(DataMessage::Heartbeat) => return,
            Err(e) => LiveEvent::Skipped(format!("from {display}: {e}")),
        };
        let _ = events.send(event);
    }
}
