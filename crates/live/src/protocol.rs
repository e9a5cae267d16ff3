//! The Janus API and its VideoRoom plugin: requests we send and what we make of replies.
//!
//! Janus speaks JSON over a WebSocket (subprotocol `janus-protocol`).
//! Every message from the server is parsed here, within bounds, into a
//! [`Reply`]; anything else (not JSON, too large, an unknown shape) is a
//! [`ProtocolError`] that the session reports and survives.
//! Reference: <https://janus.conf.meetecho.com/docs/rest.html> and
//! <https://janus.conf.meetecho.com/docs/videoroom.html>.

use crate::presence::{Participant, ParticipantId};
use serde_json::{Value, json};

/// The largest signalling message accepted. Janus's replies for a full room
/// (a few hundred participants with their streams) stay well under it.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// The VideoRoom plugin's package name, as `attach` takes it.
pub const VIDEOROOM: &str = "janus.plugin.videoroom";

/// A signalling message that could not be used.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ProtocolError {
    #[error("a signalling message of {0} bytes is larger than the {MAX_MESSAGE_BYTES} allowed")]
    TooLarge(usize),
    #[error("a signalling message is not JSON: {0}")]
    NotJson(String),
    #[error("a signalling message has no `janus` kind")]
    NoKind,
}

/// What one message from the server says.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// `success` for `create` / `attach`: the new session or handle id.
    Created { transaction: String, id: u64 },
    /// `ack`: a request was received (for a plugin message, its answer follows as an event).
    Ack { transaction: String },
    /// `error` from Janus itself.
    Failed { transaction: String, code: i64, reason: String },
    /// An event from the VideoRoom plugin on handle `sender`, with the session description it carries.
    Room { sender: u64, event: RoomEvent, jsep: Option<Jsep> },
    /// An ICE candidate the server trickled for handle `sender`: `sdpMLineIndex` and the
    /// `candidate:` line; `None` when it has no more.
    Trickle { sender: u64, candidate: Option<(u32, String)> },
    /// Media on handle `sender` flows: ICE and DTLS are done (`webrtcup`).
    MediaUp { sender: u64 },
    /// The server closed the peer connection on handle `sender` (`hangup`).
    HungUp { sender: u64, reason: String },
    /// The server took handle `sender` away (`detached`): ours, or a subscription whose publisher left.
    Detached { sender: u64 },
    /// The server ended the session (`timeout`).
    Ended { reason: String },
    /// Other WebRTC state messages (`media`, `slowlink`, …), not used here.
    Other,
}

/// A session description (SDP) in a message, as JSEP names it.
#[derive(Clone, Debug, PartialEq)]
pub struct Jsep {
    /// `offer` or `answer`.
    pub kind: String,
    pub sdp: String,
}

/// A VideoRoom event, as far as presence is concerned.
#[derive(Clone, Debug, PartialEq)]
pub enum RoomEvent {
    /// We are in: our id, and everyone already present (publishers and attendees).
    Joined { me: ParticipantId, present: Vec<Participant> },
    /// A subscription was set up for this publisher's streams (its offer comes with it).
    Attached { feed: ParticipantId },
    /// This publisher stopped sending.
    Unpublished(ParticipantId),
    /// Someone came in (an attendee joining, or a publisher appearing).
    Arrived(Vec<Participant>),
    /// Someone left the room.
    Left(ParticipantId),
    /// The plugin refused a request.
    Refused { code: i64, reason: String },
    /// Anything else the plugin says.
    Other,
}

/// Parses one text message from the server.
pub fn parse(text: &str) -> Result<Reply, ProtocolError> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(ProtocolError::TooLarge(text.len()));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| ProtocolError::NotJson(e.to_string()))?;
    let kind = value.get("janus").and_then(Value::as_str).ok_or(ProtocolError::NoKind)?;
    let transaction = value.get("transaction").and_then(Value::as_str).unwrap_or_default().to_string();
    let sender = value.get("sender").and_then(Value::as_u64).unwrap_or_default();
    Ok(match kind {
        "success" => match value.pointer("/data/id").and_then(Value::as_u64) {
            Some(id) => Reply::Created { transaction, id },
            None => Reply::Other,
        },
        "ack" => Reply::Ack { transaction },
        "error" => Reply::Failed {
            transaction,
            code: value.pointer("/error/code").and_then(Value::as_i64).unwrap_or(0),
            reason: value.pointer("/error/reason").and_then(Value::as_str).unwrap_or_default().to_string(),
        },
        "event" => match value.pointer("/plugindata/data") {
            Some(data) => Reply::Room { sender, event: room_event(data), jsep: jsep(&value) },
            None => Reply::Other,
        },
        "trickle" => Reply::Trickle { sender, candidate: trickled(&value) },
        "webrtcup" => Reply::MediaUp { sender },
        "hangup" => Reply::HungUp {
            sender,
            reason: value.get("reason").and_then(Value::as_str).unwrap_or("no reason given").to_string(),
        },
        "timeout" => Reply::Ended { reason: "the server ended the session after a silence".into() },
        "detached" => Reply::Detached { sender },
        _ => Reply::Other,
    })
}

/// The `jsep` of a message: an offer or answer with its SDP.
fn jsep(value: &Value) -> Option<Jsep> {
    let jsep = value.get("jsep")?;
    Some(Jsep {
        kind: jsep.get("type").and_then(Value::as_str)?.to_string(),
        sdp: jsep.get("sdp").and_then(Value::as_str)?.to_string(),
    })
}

/// A trickled candidate; `None` for `"completed": true` or a candidate that cannot be used.
fn trickled(value: &Value) -> Option<(u32, String)> {
    let candidate = value.get("candidate")?;
    let m_line = candidate.get("sdpMLineIndex").and_then(Value::as_u64)?;
    let line = candidate.get("candidate").and_then(Value::as_str)?;
    Some((u32::try_from(m_line).ok()?, line.to_string()))
}

fn room_event(data: &Value) -> RoomEvent {
    if let Some(code) = data.get("error_code").and_then(Value::as_i64) {
        let reason = data.get("error").and_then(Value::as_str).unwrap_or_default().to_string();
        return RoomEvent::Refused { code, reason };
    }
    let people = |key: &str| data.get(key).and_then(Value::as_array).map(|list| participants(list));
    match data.get("videoroom").and_then(Value::as_str) {
        Some("joined") => match data.get("id").and_then(Value::as_u64) {
            Some(me) => {
                let mut present = people("publishers").unwrap_or_default();
                present.extend(people("attendees").unwrap_or_default());
                RoomEvent::Joined { me: ParticipantId(me), present }
            }
            None => RoomEvent::Other,
        },
        Some("attached") => match data.pointer("/streams/0/feed_id").and_then(Value::as_u64) {
            Some(feed) => RoomEvent::Attached { feed: ParticipantId(feed) },
            None => RoomEvent::Other,
        },
        Some("event") => {
            if let Some(id) = data.get("leaving").and_then(Value::as_u64) {
                return RoomEvent::Left(ParticipantId(id));
            }
            if let Some(id) = data.get("unpublished").and_then(Value::as_u64) {
                return RoomEvent::Unpublished(ParticipantId(id));
            }
            if let Some(joining) = data.get("joining") {
                return RoomEvent::Arrived(participants(std::slice::from_ref(joining)));
            }
            match people("publishers") {
                Some(arrived) if !arrived.is_empty() => RoomEvent::Arrived(arrived),
                _ => RoomEvent::Other,
            }
        }
        _ => RoomEvent::Other,
    }
}

/// The entries of a `publishers` or `attendees` list that have an id; a
/// missing display name becomes "a participant", and every name is cleaned.
/// An entry that lists streams (audio, video or data) that are not disabled is publishing.
fn participants(list: &[Value]) -> Vec<Participant> {
    list.iter()
        .filter_map(|entry| {
            let id = entry.get("id").and_then(Value::as_u64)?;
            let display = entry.get("display").and_then(Value::as_str).unwrap_or_default();
            let mut participant = Participant::new(ParticipantId(id), display);
            participant.publishing = entry
                .get("streams")
                .and_then(Value::as_array)
                .is_some_and(|streams| streams.iter().any(|s| s.get("disabled").is_none()));
            Some(participant)
        })
        .collect()
}

/// `create`: a new Janus session.
pub fn create(transaction: &str) -> Value {
    json!({ "janus": "create", "transaction": transaction })
}

/// `attach`: a handle on the VideoRoom plugin.
pub fn attach(transaction: &str, session: u64) -> Value {
    json!({ "janus": "attach", "session_id": session, "plugin": VIDEOROOM, "transaction": transaction })
}

/// `keepalive`: without one within the server's `session_timeout` (60 s by default) the session ends.
pub fn keepalive(transaction: &str, session: u64) -> Value {
    json!({ "janus": "keepalive", "session_id": session, "transaction": transaction })
}

/// What `join` needs besides ids.
pub struct JoinBody<'a> {
    pub room: u64,
    pub display: &'a str,
    pub pin: Option<&'a str>,
    pub token: Option<&'a str>,
}

/// A VideoRoom `join` as a publisher (the role that can later send media and data).
pub fn join(transaction: &str, session: u64, handle: u64, body: &JoinBody) -> Value {
    let request =
        json!({ "request": "join", "ptype": "publisher", "room": body.room, "display": body.display });
    message(transaction, session, handle, with_secrets(request, body.pin, body.token))
}

/// `request` with the room's PIN and invitation token, where given.
fn with_secrets(mut request: Value, pin: Option<&str>, token: Option<&str>) -> Value {
    for (key, secret) in [("pin", pin), ("token", token)] {
        if let Some(secret) = secret {
            request[key] = json!(secret);
        }
    }
    request
}

/// `message` carrying our session description (sent whole, not trickled).
fn with_jsep(mut message: Value, kind: &str, sdp: &str) -> Value {
    message["jsep"] = json!({ "type": kind, "sdp": sdp, "trickle": false });
    message
}

/// `publish` with our offer: the server answers with its own description.
pub fn publish(transaction: &str, session: u64, handle: u64, offer_sdp: &str) -> Value {
    with_jsep(message(transaction, session, handle, json!({ "request": "publish" })), "offer", offer_sdp)
}

/// A subscriber `join` for one publisher's streams, on a handle of its own.
pub fn subscribe(
    transaction: &str,
    session: u64,
    handle: u64,
    room: u64,
    feed: u64,
    pin: Option<&str>,
) -> Value {
    let request =
        json!({ "request": "join", "ptype": "subscriber", "room": room, "streams": [{ "feed": feed }] });
    message(transaction, session, handle, with_secrets(request, pin, None))
}

/// `start` with our answer to a subscription's offer.
pub fn start(transaction: &str, session: u64, handle: u64, answer_sdp: &str) -> Value {
    with_jsep(message(transaction, session, handle, json!({ "request": "start" })), "answer", answer_sdp)
}

/// A subscriber `configure` that asks the publisher for a keyframe for this subscription.
///
/// Janus 1.1 answers a subscriber's `configure` that sends it video by asking the
/// publisher for a keyframe (a PLI: "Restoring video for subscriber" in
/// `janus_videoroom.c`). A keyframe request in our own RTCP is not enough: Janus 1.1.2
/// looks for the stream an RTCP packet from a receive-only peer is about in its
/// first receiver report block or transport feedback, never in the PLI itself, so a
/// PLI from webrtcbin, which bundles audio and video, reached the sender only when the
/// video's report block happened to come first.
pub fn ask_for_keyframe(transaction: &str, session: u64, handle: u64) -> Value {
    message(transaction, session, handle, json!({ "request": "configure", "video": true }))
}

/// `detach`: gives up a handle (a subscription no longer wanted).
pub fn detach(transaction: &str, session: u64, handle: u64) -> Value {
    json!({ "janus": "detach", "session_id": session, "handle_id": handle, "transaction": transaction })
}

/// A VideoRoom `leave`.
pub fn leave(transaction: &str, session: u64, handle: u64) -> Value {
    message(transaction, session, handle, json!({ "request": "leave" }))
}

fn message(transaction: &str, session: u64, handle: u64, body: Value) -> Value {
    json!({ "janus": "message", "session_id": session, "handle_id": handle, "transaction": transaction, "body": body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyframe_is_asked_for_with_a_subscriber_configure_that_sends_video() {
        let message = ask_for_keyframe("t9", 3, 4);
        assert_eq!((message["session_id"].as_u64(), message["handle_id"].as_u64()), (Some(3), Some(4)));
        assert_eq!(message["body"], json!({ "request": "configure", "video": true }));
    }

    #[test]
    fn a_join_answer_lists_publishers_and_attendees() {
        let text = r#"{"janus":"event","sender":7,"transaction":"t3","plugindata":{"plugin":"janus.plugin.videoroom",
            "data":{"videoroom":"joined","room":1,"id":42,"publishers":[{"id":5,"display":"Ana"}],
            "attendees":[{"id":6,"display":"Ben\u001b[31m"},{"display":"no id"}]}}}"#;
        let Reply::Room { event: RoomEvent::Joined { me, present }, .. } = parse(text).unwrap() else {
            panic!()
        };
        assert_eq!(me, ParticipantId(42));
        let names: Vec<&str> = present.iter().map(|p| p.display.as_str()).collect();
        assert_eq!(names, ["Ana", "Ben"], "entries without an id are skipped; escapes removed");
    }

    #[test]
    fn refusals_leaving_and_joining_are_told_apart() {
        let event =
            |data: &str| match parse(&format!(r#"{{"janus":"event","plugindata":{{"data":{data}}}}}"#)) {
                Ok(Reply::Room { event, .. }) => event,
                other => panic!("{other:?}"),
            };
        assert_eq!(
            event(r#"{"videoroom":"event","error_code":433,"error":"Unauthorized"}"#),
            RoomEvent::Refused { code: 433, reason: "Unauthorized".into() }
        );
        assert_eq!(event(r#"{"videoroom":"event","leaving":9}"#), RoomEvent::Left(ParticipantId(9)));
        assert_eq!(
            event(r#"{"videoroom":"event","unpublished":9}"#),
            RoomEvent::Unpublished(ParticipantId(9))
        );
        let RoomEvent::Arrived(people) = event(r#"{"videoroom":"event","joining":{"id":3}}"#) else {
            panic!()
        };
        assert_eq!(people[0].display, "a participant", "a nameless participant still has a name to say");
    }

    #[test]
    fn malformed_messages_are_errors_not_panics() {
        assert!(matches!(parse("not json"), Err(ProtocolError::NotJson(_))));
        assert_eq!(parse(r#"{"transaction":"x"}"#), Err(ProtocolError::NoKind));
        assert_eq!(
            parse(&" ".repeat(MAX_MESSAGE_BYTES + 1)),
            Err(ProtocolError::TooLarge(MAX_MESSAGE_BYTES + 1))
        );
        assert_eq!(
            parse(r#"{"janus":"event","sender":3,"plugindata":{"data":{"videoroom":"joined"}}}"#).unwrap(),
            Reply::Room { sender: 3, event: RoomEvent::Other, jsep: None }
        );
        assert_eq!(
            parse(r#"{"janus":"trickle","sender":3,"candidate":{"sdpMLineIndex":-1,"candidate":"x"}}"#)
                .unwrap(),
            Reply::Trickle { sender: 3, candidate: None },
            "a negative m-line index is not used"
        );
        assert_eq!(parse(r#"{"janus":"success","data":{"id":"seven"}}"#).unwrap(), Reply::Other);
    }

    #[test]
    fn join_carries_pin_and_token_only_when_given() {
        let body = JoinBody { room: 1, display: "Ana", pin: None, token: None };
        let plain = join("t", 1, 2, &body);
        assert!(plain["body"].get("pin").is_none() && plain["body"].get("token").is_none());
        let body = JoinBody { pin: Some("2468"), token: Some("tok"), ..body };
        let guarded = join("t", 1, 2, &body);
        assert_eq!(
            (guarded["body"]["pin"].as_str(), guarded["body"]["token"].as_str()),
            (Some("2468"), Some("tok"))
        );
    }

    #[test]
    fn publishers_and_offers_are_recognised() {
        let text = r#"{"janus":"event","sender":9,"plugindata":{"data":{"videoroom":"attached","room":1,
            "streams":[{"feed_id":5,"type":"audio"}]}},"jsep":{"type":"offer","sdp":"v=0"}}"#;
        assert_eq!(
            parse(text).unwrap(),
            Reply::Room {
                sender: 9,
                event: RoomEvent::Attached { feed: ParticipantId(5) },
                jsep: Some(Jsep { kind: "offer".into(), sdp: "v=0".into() })
            }
        );
        let text = r#"{"janus":"event","plugindata":{"data":{"videoroom":"event","publishers":[
            {"id":5,"display":"Ana","streams":[{"type":"audio","mid":"0"}]},
            {"id":6,"display":"Ben","streams":[{"type":"audio","mid":"0","disabled":true}]}]}}}"#;
        let Reply::Room { event: RoomEvent::Arrived(people), .. } = parse(text).unwrap() else { panic!() };
        assert_eq!(people.iter().map(|p| p.publishing).collect::<Vec<_>>(), [true, false]);
    }
}
