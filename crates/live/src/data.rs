//! What participants send each other on their data channels: head poses, chat and a heartbeat.
//!
//! Janus relays each publisher's data channel to every subscriber without
//! reading it, so the format is ours: one JSON object per message, with
//! exactly one of `pose`, `chat` or `heartbeat`. Everything that arrives is
//! bounded and checked here: a message over [`MAX_DATA_BYTES`], not JSON,
//! with a non-finite number or of an unknown kind is an error the session
//! reports and survives; positions far outside any room are clamped.

use allverse_core::text::clean;
use serde_json::{Value, json};

/// The largest data-channel message accepted; ours stay under 300 bytes.
pub const MAX_DATA_BYTES: usize = 4 * 1024;
/// Longest chat message kept, in characters (longer ones are cut, marked with `…`).
pub const MAX_CHAT_CHARS: usize = 500;
/// How far from the room's origin a position may be, in metres on each axis;
/// beyond it is clamped. Larger than any room an event is held in.
pub const MAX_POSITION_M: f32 = 100.0;

/// A participant's head pose in the shared room frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pose {
    /// Metres from the room's origin: x right, y up, z towards the audience (right-handed, y up).
    pub position_m: [f32; 3],
    /// Unit quaternion `[x, y, z, w]`, room from head.
    pub orientation: [f32; 4],
}

/// One data-channel message.
#[derive(Clone, Debug, PartialEq)]
pub enum DataMessage {
    Pose(Pose),
    /// Chat text, cleaned: no control or invisible characters, at most [`MAX_CHAT_CHARS`].
    Chat(String),
    /// "Still here", sent every second: a client that stops sending it has gone.
    Heartbeat,
}

/// A data-channel message that could not be used.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DataError {
    #[error("a message of {0} bytes is larger than the {MAX_DATA_BYTES} allowed")]
    TooLarge(usize),
    #[error("a message is not JSON: {0}")]
    NotJson(String),
    #[error("a pose has a missing or non-finite number")]
    BadPose,
    #[error("a message is neither a pose, chat nor a heartbeat")]
    Unknown,
}

impl DataMessage {
    /// Reads one message as it arrived.
    pub fn parse(text: &str) -> Result<Self, DataError> {
        if text.len() > MAX_DATA_BYTES {
            return Err(DataError::TooLarge(text.len()));
        }
        let value: Value = serde_json::from_str(text).map_err(|e| DataError::NotJson(e.to_string()))?;
        if let Some(pose) = value.get("pose") {
            return pose_from(pose).map(Self::Pose);
        }
        if let Some(chat) = value.get("chat").and_then(Value::as_str) {
            return Ok(Self::Chat(clean(chat, MAX_CHAT_CHARS)));
        }
        if value.get("heartbeat").is_some() {
            return Ok(Self::Heartbeat);
        }
        Err(DataError::Unknown)
    }

    /// The message as sent.
    pub fn to_json(&self) -> String {
        match self {
            Self::Pose(pose) => {
                json!({ "pose": { "position_m": pose.position_m, "orientation": pose.orientation } })
            }
            Self::Chat(text) => json!({ "chat": clean(text, MAX_CHAT_CHARS) }),
            Self::Heartbeat => json!({ "heartbeat": true }),
        }
        .to_string()
    }
}

/// `n` finite numbers from a JSON array of exactly that many.
fn numbers<const N: usize>(value: Option<&Value>) -> Option<[f32; N]> {
    let list = value?.as_array()?;
    if list.len() != N {
        return None;
    }
    let mut out = [0.0; N];
    for (slot, item) in out.iter_mut().zip(list) {
        *slot = item.as_f64().filter(|x| x.is_finite())? as f32;
        if !slot.is_finite() {
            return None;
        }
    }
    Some(out)
}

fn pose_from(pose: &Value) -> Result<Pose, DataError> {
    let position = numbers::<3>(pose.get("position_m")).ok_or(DataError::BadPose)?;
    let orientation = numbers::<4>(pose.get("orientation")).ok_or(DataError::BadPose)?;
    let length = orientation.iter().map(|q| q * q).sum::<f32>().sqrt();
    Ok(Pose {
        position_m: position.map(|x| x.clamp(-MAX_POSITION_M, MAX_POSITION_M)),
        // A zero quaternion has no rotation in it: facing forward is the least surprising reading.
        orientation: if length > 1e-6 { orientation.map(|q| q / length) } else { [0.0, 0.0, 0.0, 1.0] },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_goes_there_and_back() {
        let pose = Pose { position_m: [1.0, 1.6, -2.0], orientation: [0.0, 0.0, 0.0, 1.0] };
        for message in
            [DataMessage::Pose(pose), DataMessage::Chat("Hello, Ana".into()), DataMessage::Heartbeat]
        {
            assert_eq!(DataMessage::parse(&message.to_json()), Ok(message));
        }
    }

    #[test]
    fn hostile_messages_are_errors_or_made_safe() {
        assert_eq!(DataMessage::parse("nope").map_err(|e| matches!(e, DataError::NotJson(_))), Err(true));
        let huge = format!(r#"{{"chat":"{}"}}"#, "a".repeat(MAX_DATA_BYTES));
        assert!(matches!(DataMessage::parse(&huge), Err(DataError::TooLarge(_))));
        assert_eq!(DataMessage::parse(r#"{"other":1}"#), Err(DataError::Unknown));
        for bad in [
            r#"{"pose":{"position_m":[1,2],"orientation":[0,0,0,1]}}"#,
            r#"{"pose":{"position_m":[1,2,"x"],"orientation":[0,0,0,1]}}"#,
            r#"{"pose":{"position_m":[1,2,3],"orientation":[0,0,0,1e39]}}"#,
        ] {
            assert_eq!(DataMessage::parse(bad), Err(DataError::BadPose), "{bad}");
        }
        let far = DataMessage::parse(r#"{"pose":{"position_m":[1e9,-1e30,3],"orientation":[0,0,0,0]}}"#);
        assert_eq!(
            far,
            Ok(DataMessage::Pose(Pose {
                position_m: [100.0, -100.0, 3.0],
                orientation: [0.0, 0.0, 0.0, 1.0]
            }))
        );
        let chat = DataMessage::parse(&format!(r#"{{"chat":"hi\u001b[2J\u202e{}"}}"#, "x".repeat(900)));
        let Ok(DataMessage::Chat(text)) = chat else { panic!("{chat:?}") };
        assert!(!text.contains(['\u{1b}', '\u{202e}']) && text.starts_with("hi"), "{text}");
        assert_eq!(text.chars().count(), MAX_CHAT_CHARS, "cut, marked with …");
    }
}
