//! The event model: who takes part, where they are, and which language channels exist.
//!
//! An event is what a person joins: a floor with speakers at places in the
//! room, and language channels (the floor language, spoken interpretations,
//! sign-language interpretations) that a user can pick from.

use crate::stream_address::{Direction, StreamAddress};
use glam::Vec3;
use serde::{Deserialize, Serialize};

/// Someone whose speech or signing the user may need to follow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Speaker {
    /// Stable identifier used to attribute captions, e.g. `narrator`.
    pub id: String,
    /// Name shown to the user next to what they say.
    pub name: String,
    /// Where their head is, in world space.
    pub head_position_m: Vec3,
}

/// Whether a channel carries spoken language or sign language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Spoken,
    Signed,
}

/// One language a user can follow the event in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LanguageChannel {
    /// Short code, e.g. `floor`, `en`, `fr`, `bsl`.
    pub id: String,
    /// Name shown in menus, e.g. "British Sign Language".
    pub name: String,
    pub kind: ChannelKind,
}

impl LanguageChannel {
    /// The original language of the floor, always present.
    pub fn floor() -> Self {
        Self { id: "floor".into(), name: "Floor (original)".into(), kind: ChannelKind::Spoken }
    }
}

/// Everything about an event that placement and attribution need.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub name: String,
    pub speakers: Vec<Speaker>,
    pub channels: Vec<LanguageChannel>,
}

impl Event {
    pub fn speaker(&self, id: &str) -> Option<&Speaker> {
        self.speakers.iter().find(|s| s.id == id)
    }
}

/// An event description file: the floor, its language channels, and who interprets each.
///
/// Read from TOML (or JSON, by the file's extension) and checked as a
/// whole before anything connects: unknown keys, duplicate ids, relays
/// from channels that do not exist or that loop, signed channels with no
/// interpreter, feed addresses that break the rules of
/// [`crate::stream_address`] (no host or port, a listener nobody asked for)
/// and SRT passphrases of the wrong length are all errors that say where and what.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventDescription {
    pub name: String,
    pub floor: Floor,
    #[serde(default)]
    pub channels: Vec<ChannelDescription>,
    /// The live session's room where the event's people meet, joined at the start.
    #[serde(default)]
    pub room: Option<RoomDescription>,
}

/// The live session room an event takes place in, on a Janus VideoRoom server.
///
/// Its PIN and invitation token are never part of the file, which is shared with
/// everyone invited: each person gives theirs in `ALLVERSE_ROOM_PIN` and `ALLVERSE_ROOM_TOKEN`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomDescription {
    /// The session server: `wss://host:port`, or `ws://host:port` on a trusted network.
    pub server: String,
    /// The VideoRoom room number.
    pub id: u64,
    /// For `wss://`: the CA certificate (PEM) that signed the server's, when it is
    /// not one the system trusts; relative to the event file.
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Floor {
    /// The language spoken on the floor, e.g. `en`.
    pub language: String,
    /// Where the stage is, so interpreter panels go beside it.
    pub stage_position_m: Vec3,
    #[serde(default)]
    pub speakers: Vec<SpeakerDescription>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeakerDescription {
    pub id: String,
    pub name: String,
    pub position_m: Vec3,
}

/// A language channel and its interpreting team.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelDescription {
    /// Short code, e.g. `bsl`, `fr`.
    pub id: String,
    pub name: String,
    pub kind: ChannelKind,
    /// The channel this one is interpreted from (`floor` unless relayed, e.g. IS from BSL).
    #[serde(default = "floor_id")]
    pub relay_from: String,
    pub interpreters: Vec<Interpreter>,
    /// The interpreter on duty at the start; the first one if not given.
    #[serde(default)]
    pub active: Option<String>,
}

fn floor_id() -> String {
    "floor".into()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interpreter {
    pub id: String,
    pub name: String,
    /// Where their video (and voice) comes from: `srt://host:port?streamid=…`, `rtp://…`, `rtsp://…`, `file://…`.
    pub feed: String,
    /// SRT passphrase, when the feed is encrypted.
    #[serde(default)]
    pub passphrase: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{file}: {message}")]
pub struct EventError {
    pub file: String,
    pub message: String,
}

impl EventDescription {
    pub fn load(path: &std::path::Path) -> Result<Self, EventError> {
        let file = path.display().to_string();
        let text = crate::source::read_text_file(path)
            .map_err(|e| EventError { file: file.clone(), message: format!("cannot read it: {e}") })?;
        let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let mut event = Self::parse(&text, &file, json)?;
        if let Some(ca_file) = event.room.as_mut().and_then(|room| room.ca_file.as_mut()) {
            *ca_file = path.parent().unwrap_or(std::path::Path::new("")).join(&*ca_file);
        }
        Ok(event)
    }

    pub fn parse(text: &str, file: &str, json: bool) -> Result<Self, EventError> {
        let error = |message: String| EventError { file: file.into(), message };
        let event: Self = if json {
            serde_json::from_str(text)
                .map_err(|e| error(format!("line {}, column {}: {e}", e.line(), e.column())))?
        } else {
            toml::from_str(text).map_err(|e| {
                let (line, column) = e.span().map_or((0, 0), |s| crate::source::line_column(text, s.start));
                error(format!("line {line}, column {column}: {}", e.message().trim_end()))
            })?
        };
        event.check().map_err(error)?;
        Ok(event)
    }

    fn check(&self) -> Result<(), String> {
        let place = |what: String, point: Vec3| {
            if crate::placement::in_world(point) {
                return Ok(());
            }
            Err(format!(
                "{what} = {point} must be three numbers within {} metres of the origin",
                crate::placement::WORLD_EXTENT_M / 2.0
            ))
        };
        place("floor.stage_position_m".into(), self.floor.stage_position_m)?;
        if let Some(room) = &self.room
            && !(room.server.starts_with("wss://") || room.server.starts_with("ws://"))
        {
            return Err(format!("room.server = `{}` must start with wss:// (or ws://)", room.server));
        }
        for (i, speaker) in self.floor.speakers.iter().enumerate() {
            place(format!("floor.speakers[{i}] (`{}`): position_m", speaker.id), speaker.position_m)?;
        }
        let mut ids = std::collections::HashSet::from(["floor"]);
        for (i, channel) in self.channels.iter().enumerate() {
            let at = format!("channels[{i}] (`{}`)", channel.id);
            if !ids.insert(channel.id.as_str()) {
                return Err(format!("{at}: the id is used twice"));
            }
            if channel.interpreters.is_empty() {
                return Err(format!("{at}: a channel needs at least one interpreter"));
            }
            let mut team = std::collections::HashSet::new();
            for interpreter in &channel.interpreters {
                if !team.insert(interpreter.id.as_str()) {
                    return Err(format!("{at}: interpreter `{}` is listed twice", interpreter.id));
                }
                let in_feed = |message: String| format!("{at}: interpreter `{}`: {message}", interpreter.id);
                let feed = StreamAddress::parse(&interpreter.feed, Direction::Receive).map_err(in_feed)?;
                if let Some(passphrase) = &interpreter.passphrase {
                    feed.check_passphrase(passphrase).map_err(in_feed)?;
                }
            }
            if let Some(active) = &channel.active
                && !team.contains(active.as_str())
            {
                return Err(format!("{at}: active = `{active}` is not in its team"));
            }
        }
        for (i, channel) in self.channels.iter().enumerate() {
            if !ids.contains(channel.relay_from.as_str()) {
                return Err(format!(
                    "channels[{i}] (`{}`): relay_from = `{}`: there is no such channel",
                    channel.id, channel.relay_from
                ));
            }
            // Follow the relay chain back to the floor; a loop never gets there.
            let mut from = channel.relay_from.as_str();
            for _ in 0..=self.channels.len() {
                if from == "floor" {
                    break;
                }
                from = self.channel(from).map_or("floor", |c| c.relay_from.as_str());
            }
            if from != "floor" {
                return Err(format!("channels[{i}] (`{}`): its relays go round in a loop", channel.id));
            }
        }
        Ok(())
    }

    pub fn channel(&self, id: &str) -> Option<&ChannelDescription> {
        self.channels.iter().find(|c| c.id == id)
    }

    /// The event as placement and attribution see it: speakers and channels, the floor first.
    pub fn event(&self) -> Event {
        Event {
            name: self.name.clone(),
            speakers: self
                .floor
                .speakers
                .iter()
                .map(|s| Speaker { id: s.id.clone(), name: s.name.clone(), head_position_m: s.position_m })
                .collect(),
            channels: std::iter::once(LanguageChannel::floor())
                .chain(self.channels.iter().map(|c| LanguageChannel {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    kind: c.kind,
                }))
                .collect(),
        }
    }
}

impl ChannelDescription {
    /// The interpreter on duty at the start.
    pub fn first_active(&self) -> &Interpreter {
        self.active
            .as_deref()
            .and_then(|id| self.interpreters.iter().find(|i| i.id == id))
            .unwrap_or(&self.interpreters[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "Keynote"

[floor]
language = "en"
stage_position_m = [0.0, 1.6, -4.0]
speakers = [{ id = "host", name = "Host", position_m = [0.0, 1.7, -4.0] }]

[[channels]]
id = "bsl"
name = "British Sign Language"
kind = "signed"
active = "alex"
interpreters = [
    { id = "alex", name = "Alex", feed = "srt://127.0.0.1:7001?streamid=bsl-alex", passphrase = "correct horse battery" },
    { id = "sam", name = "Sam", feed = "srt://127.0.0.1:7002?streamid=bsl-sam" },
]

[[channels]]
id = "is"
name = "International Sign"
kind = "signed"
relay_from = "bsl"
interpreters = [{ id = "kim", name = "Kim", feed = "rtp://127.0.0.1:5004" }]
"#;

    #[test]
    fn a_good_description_gives_the_event_and_its_teams() {
        let event = EventDescription::parse(GOOD, "keynote.toml", false).unwrap();
        let channels: Vec<_> = event.event().channels.into_iter().map(|c| c.id).collect();
        assert_eq!(channels, ["floor", "bsl", "is"]);
        assert_eq!(event.channel("bsl").unwrap().first_active().name, "Alex");
        assert_eq!(event.channel("is").unwrap().relay_from, "bsl");
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(EventDescription::parse(&json, "keynote.json", true).unwrap(), event, "JSON works too");
    }

    #[test]
    fn the_room_of_a_live_session_is_read_with_its_ca_file_beside_the_event() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keynote.toml");
        let room = "\n[room]\nserver = \"wss://events.example.org:8989\"\nid = 1234\nca_file = \"ca.pem\"\n";
        std::fs::write(&path, format!("{GOOD}{room}")).unwrap();
        let room = EventDescription::load(&path).unwrap().room.unwrap();
        assert_eq!((room.server.as_str(), room.id), ("wss://events.example.org:8989", 1234));
        assert_eq!(room.ca_file.unwrap(), dir.path().join("ca.pem"));
        let in_the_file =
            |room: &str| EventDescription::parse(&format!("{GOOD}\n[room]\n{room}"), "e.toml", false);
        let error = in_the_file("server = \"https://example.org\"\nid = 1").unwrap_err().message;
        assert!(error.contains("room.server = `https://example.org` must start with wss://"), "{error}");
        let error =
            in_the_file("server = \"wss://example.org:8989\"\nid = 1\npin = \"1234\"").unwrap_err().message;
        assert!(error.contains("unknown field `pin`"), "a PIN is never kept in the shared file: {error}");
    }

    #[test]
    fn malformed_descriptions_say_where_and_what() {
        let cases = [
            (GOOD.replace("kind = \"signed\"\nactive", "kind = \"waved\"\nactive"), "waved"),
            (
                GOOD.replace("relay_from = \"bsl\"", "relay_from = \"asl\""),
                "relay_from = `asl`: there is no such channel",
            ),
            (
                GOOD.replace("rtp://127.0.0.1:5004", "http://example.org/kim"),
                "a feed is an address starting with srt://",
            ),
            (
                GOOD.replace("srt://127.0.0.1:7002?streamid=bsl-sam", "srt://:7002?mode=listener"),
                "interpreter `sam`: `srt://:7002?mode=listener` does not say where to listen",
            ),
            (GOOD.replace("127.0.0.1:7002", "127.0.0.1:99999"), "port 99999 does not exist"),
            (
                GOOD.replace("correct horse battery", &"手話通訳".repeat(8)),
                "interpreter `alex`: an SRT passphrase must be 10 to 79 bytes (your passphrase is 96 bytes in UTF-8)",
            ),
            (
                GOOD.replace(
                    "feed = \"rtp://127.0.0.1:5004\"",
                    "feed = \"rtp://127.0.0.1:5004\", passphrase = \"a long secret\"",
                ),
                "a passphrase encrypts srt:// streams only",
            ),
            (GOOD.replace("active = \"alex\"", "active = \"jo\""), "active = `jo` is not in its team"),
            (GOOD.replace("id = \"is\"", "id = \"bsl\""), "the id is used twice"),
            (GOOD.replace("stage_position_m", "stage"), "line 6, column 1: unknown field `stage`"),
            (
                GOOD.replace("id = \"bsl\"\nname", "id = \"bsl\"\nrelay_from = \"is\"\nname"),
                "its relays go round in a loop",
            ),
            (
                GOOD.replace("stage_position_m = [0.0, 1.6, -4.0]", "stage_position_m = [nan, 1.6, -4.0]"),
                "floor.stage_position_m = [NaN, 1.6, -4] must be three numbers within 500 metres of the origin",
            ),
            (
                GOOD.replace("stage_position_m = [0.0, 1.6, -4.0]", "stage_position_m = [0.0, 1e40, -4.0]"),
                "floor.stage_position_m = [0, inf, -4] must be three numbers within 500 metres",
            ),
            (
                GOOD.replace("position_m = [0.0, 1.7, -4.0]", "position_m = [0.0, 1.7, -inf]"),
                "floor.speakers[0] (`host`): position_m = [0, 1.7, -inf] must be three numbers",
            ),
            (
                GOOD.replace("position_m = [0.0, 1.7, -4.0]", "position_m = [0.0, 1.7, 600.0]"),
                "floor.speakers[0] (`host`): position_m = [0, 1.7, 600] must be three numbers",
            ),
        ];
        for (text, expected) in cases {
            let error = EventDescription::parse(&text, "keynote.toml", false).unwrap_err().to_string();
            assert!(
                error.starts_with("keynote.toml: ") && error.contains(expected),
                "{expected:?} not in {error}"
            );
        }
    }
}
