//! Scenario files: a scripted session for the headless simulator, in TOML.
//!
//! A scenario describes the room, the people in it (where they stand, what
//! recordings they speak and their caption tracks), signs on the walls, how
//! the user's head, hands and eyes move over time, the inputs they make, and
//! checkpoints at which the simulator captures the user's view. See
//! `assets/scenarios/README.md` for the full reference and an example.
//!
//! Every error names the line and column it concerns: a scenario is written
//! by hand, and "invalid scenario" alone sends its author hunting.

use crate::event::{Event, LanguageChannel, Speaker};
use crate::source::line_column;
use crate::stream_address::{Direction, StreamAddress};
use glam::Vec3;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A validated scenario with every file path resolved against its directory.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    pub name: String,
    pub duration_s: f32,
    pub frame_rate_hz: f32,
    pub view: ViewSettings,
    pub room: Room,
    pub people: Vec<Person>,
    pub panels: Vec<SignPanel>,
    pub objects: Vec<SceneObject>,
    pub head: Vec<HeadKey>,
    pub controllers: Vec<ControllerKey>,
    pub gaze: Vec<GazeKey>,
    pub inputs: Vec<InputEvent>,
    pub sounds: Vec<SoundEvent>,
    pub chat: Vec<ChatMessage>,
    pub alerts: Vec<Alert>,
    /// The event description (channels, interpreters), if the scenario stages one.
    pub event_file: Option<PathBuf>,
    pub feeds: Vec<FeedStart>,
    pub cuts: Vec<FeedCut>,
    pub handovers: Vec<Handover>,
    /// The home hub the simulator plays, if the scenario has home events.
    pub home_hub: Option<HomeHub>,
    pub home_events: Vec<HomeEvent>,
    pub checkpoints: Vec<Checkpoint>,
}

/// The simulated eye's image: what captures are made of.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ViewSettings {
    pub width_px: u32,
    pub height_px: u32,
    pub vertical_fov_deg: f32,
}

impl Default for ViewSettings {
    fn default() -> Self {
        Self { width_px: 960, height_px: 540, vertical_fov_deg: 70.0 }
    }
}

/// A box-shaped room centred on the origin in x and z, floor at y = 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Room {
    /// Width (x), height (y) and depth (z).
    pub size_m: Vec3,
}

impl Room {
    pub fn contains(&self, point: Vec3) -> bool {
        let half = self.size_m / 2.0;
        point.x.abs() <= half.x && point.z.abs() <= half.z && (0.0..=self.size_m.y).contains(&point.y)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub id: String,
    pub name: String,
    /// Where their head is.
    pub position_m: Vec3,
    #[serde(default)]
    pub speech: Vec<Utterance>,
}

/// A recording a person plays into the session, optionally with its caption track.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Utterance {
    /// WAV file, relative to the scenario file.
    pub audio: PathBuf,
    pub at_s: f32,
    /// Word timings (CMU Sphinx alignment JSON), relative to the scenario file.
    #[serde(default)]
    pub words: Option<PathBuf>,
}

/// Fixed text in the room, such as a welcome sign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignPanel {
    pub id: String,
    pub text: String,
    pub position_m: Vec3,
    #[serde(default)]
    pub at_s: f32,
}

/// A named solid in the room (a table, a door, a test card): seen, outlined,
/// described on demand and highlighted like a person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneObject {
    pub id: String,
    /// What "describe" calls it, e.g. "the stage".
    pub name: String,
    #[serde(default)]
    pub shape: ObjectShape,
    /// Centre of the object.
    pub position_m: Vec3,
    /// Width, height and depth; a sphere's diameter is the first.
    pub size_m: Vec3,
    /// `#rrggbb`.
    pub colour: crate::vision::HexColour,
    /// Drawn in its own colour whatever the lighting: for reference colours in tests.
    #[serde(default)]
    pub unlit: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectShape {
    #[default]
    Box,
    Sphere,
}

/// The head pose at a time; the simulator interpolates linearly between keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadKey {
    pub at_s: f32,
    pub position_m: Vec3,
    /// Turn to the left (positive) or right, degrees.
    #[serde(default)]
    pub yaw_deg: f32,
    /// Look up (positive) or down, degrees.
    #[serde(default)]
    pub pitch_deg: f32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hand {
    Left,
    Right,
}

/// A controller pose in head space at a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControllerKey {
    pub at_s: f32,
    pub hand: Hand,
    /// Offset from the head, in the head's frame.
    pub head_offset_m: Vec3,
    #[serde(default)]
    pub yaw_deg: f32,
    #[serde(default)]
    pub pitch_deg: f32,
}

/// Eye-gaze direction relative to the head at a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GazeKey {
    pub at_s: f32,
    #[serde(default)]
    pub yaw_deg: f32,
    #[serde(default)]
    pub pitch_deg: f32,
}

/// A physical input the user makes, e.g. a key press or a switch press.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputEvent {
    pub at_s: f32,
    /// `keyboard`, `gamepad`, `switch`, `controller_left`, `controller_right`, `voice`.
    pub device: String,
    /// The button, key or phrase, e.g. `Space`, `South`, `select`; for
    /// `gaze`, the id of the panel looked at (`nothing` looks away).
    pub input: String,
    /// How long a button or switch is held down.
    #[serde(default = "default_hold_s")]
    pub hold_s: f32,
}

/// A brisk press: held for three frames at 30 Hz.
fn default_hold_s() -> f32 {
    0.1
}

/// A non-speech sound worth captioning, e.g. applause or laughter, made by
/// (or near) a person; it appears in that person's caption as `[label]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoundEvent {
    pub at_s: f32,
    /// What is heard, in a few words: `applause`, `laughter`, `door knocks`.
    pub label: String,
    /// The `id` of the person it comes from.
    pub source: String,
}

/// A text-chat message typed by a person; it is spoken from their avatar.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatMessage {
    pub at_s: f32,
    /// The `id` of the person who sent it.
    pub from: String,
    pub text: String,
}

/// Something the user must notice now, spoken from where it happens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    pub at_s: f32,
    pub text: String,
    /// What raises it, e.g. `fire-door`, for the record.
    pub source: String,
    /// Where it comes from, in the room.
    pub position_m: Vec3,
}

/// The simulator plays an interpreter joining: it publishes a GStreamer test source to `to`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedStart {
    pub at_s: f32,
    /// The interpreter's id in the event description.
    pub interpreter: String,
    /// Where the interpreter's side sends, e.g. `srt://127.0.0.1:17401`.
    pub to: String,
}

/// The interpreter's connection is cut (their publisher stops).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedCut {
    pub at_s: f32,
    pub interpreter: String,
}

/// A control message: `to` takes over the channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Handover {
    pub at_s: f32,
    pub channel: String,
    pub to: String,
}

/// The home hub the simulator plays (as Home Assistant would): it publishes
/// the scenario's home events to this broker, under its own account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeHub {
    /// `mqtt://host:port` or `mqtts://host:port`.
    pub broker: String,
    /// `username:password` for the hub's account, readable by the owner alone.
    pub credentials_file: Option<PathBuf>,
    /// The certificate authority for `mqtts://`.
    pub ca_file: Option<PathBuf>,
}

/// A message the hub publishes: a device's discovery, state or event, in Home Assistant's conventions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeEvent {
    pub at_s: f32,
    /// The MQTT topic, e.g. `homeassistant/binary_sensor/kitchen_smoke/state`.
    pub topic: String,
    /// The payload as sent, e.g. `ON` or `{"event_type":"ring"}`.
    pub payload: String,
    /// Kept by the broker for later subscribers (discovery and states are).
    #[serde(default)]
    pub retain: bool,
}

/// The longest MQTT topic a scenario may name (MQTT allows 65,535 bytes; real topics are short).
const MAX_TOPIC_BYTES: usize = 1024;
/// The largest payload a scenario may publish.
const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// A moment at which the simulator captures the user's view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub at_s: f32,
    /// Capture file stem, e.g. `speaker-in-view` → `speaker-in-view.png`.
    pub capture: String,
}

/// The longest side a room may have; every position in a scenario lies in its room.
const MAX_ROOM_SIDE_M: f32 = crate::placement::WORLD_EXTENT_M;
/// Head yaw may wind up to two turns either way, so that keys interpolated
/// linearly can script a full turn (0° then 360°).
const HEAD_YAW_DEG: std::ops::RangeInclusive<f32> = -720.0..=720.0;
/// Controller and eye yaw are relative to the head: at most half a turn.
const RELATIVE_YAW_DEG: std::ops::RangeInclusive<f32> = -180.0..=180.0;
/// Straight down to straight up.
const PITCH_DEG: std::ops::RangeInclusive<f32> = -90.0..=90.0;
/// The simulated eye's vertical field of view: a perspective projection
/// needs a value strictly between 0° and 180°; headsets have about 90–110°.
const VERTICAL_FOV_DEG: std::ops::RangeInclusive<f32> = 10.0..=170.0;
/// An arm's length plus the largest seated reach extension (1.5 m), generously.
const MAX_CONTROLLER_OFFSET_M: f32 = 3.0;

/// The document as written, with source spans for error messages.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    name: String,
    duration_s: Spanned<f32>,
    #[serde(default = "default_frame_rate_hz")]
    frame_rate_hz: Spanned<f32>,
    #[serde(default = "default_view")]
    view: Spanned<ViewSettings>,
    room: Spanned<Room>,
    #[serde(default)]
    people: Vec<Spanned<Person>>,
    #[serde(default)]
    panels: Vec<Spanned<SignPanel>>,
    #[serde(default)]
    objects: Vec<Spanned<SceneObject>>,
    #[serde(default)]
    head: Vec<Spanned<HeadKey>>,
    #[serde(default)]
    controllers: Vec<Spanned<ControllerKey>>,
    #[serde(default)]
    gaze: Vec<Spanned<GazeKey>>,
    #[serde(default)]
    inputs: Vec<Spanned<InputEvent>>,
    #[serde(default)]
    sounds: Vec<Spanned<SoundEvent>>,
    #[serde(default)]
    chat: Vec<Spanned<ChatMessage>>,
    #[serde(default)]
    alerts: Vec<Spanned<Alert>>,
    #[serde(default)]
    event: Option<PathBuf>,
    #[serde(default)]
    feeds: Vec<Spanned<FeedStart>>,
    #[serde(default)]
    cuts: Vec<Spanned<FeedCut>>,
    #[serde(default)]
    handovers: Vec<Spanned<Handover>>,
    #[serde(default)]
    home_hub: Option<Spanned<HomeHub>>,
    #[serde(default)]
    home_events: Vec<Spanned<HomeEvent>>,
    #[serde(default)]
    checkpoints: Vec<Spanned<Checkpoint>>,
}

fn default_frame_rate_hz() -> Spanned<f32> {
    Spanned::new(0..0, 30.0)
}

fn default_view() -> Spanned<ViewSettings> {
    Spanned::new(0..0, ViewSettings::default())
}

/// A problem in a scenario file, located by line and column (1-based).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Scenario {
    /// Reads, parses and validates a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let text = crate::source::read_text_file(path).map_err(|e| ScenarioError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            message: format!("cannot read the scenario: {e}"),
        })?;
        let base_dir = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, &path.display().to_string(), base_dir)
    }

    /// Parses and validates scenario text; `file` names it in errors and
    /// relative paths inside it are resolved against `base_dir`.
    pub fn parse(text: &str, file: &str, base_dir: &Path) -> Result<Self, ScenarioError> {
        let at = |span: std::ops::Range<usize>, message: String| {
            let (line, column) = line_column(text, span.start);
            ScenarioError { file: file.to_string(), line, column, message }
        };
        let raw: ScenarioFile = toml::from_str(text)
            .map_err(|e| at(e.span().unwrap_or(0..0), e.message().trim_end().to_string()))?;
        Validator { at: &at, raw: &raw, base_dir }.check()?;

        // Validation has checked these files exist, so they canonicalize;
        // reports then show clean absolute paths rather than `a/../b`.
        let resolve = |p: &Path| {
            let joined = base_dir.join(p);
            std::fs::canonicalize(&joined).unwrap_or(joined)
        };
        let people = raw
            .people
            .into_iter()
            .map(|p| {
                let mut p = p.into_inner();
                for u in &mut p.speech {
                    u.audio = resolve(&u.audio);
                    u.words = u.words.as_deref().map(resolve);
                }
                p
            })
            .collect();
        Ok(Scenario {
            name: raw.name,
            duration_s: raw.duration_s.into_inner(),
            frame_rate_hz: raw.frame_rate_hz.into_inner(),
            view: raw.view.into_inner(),
            room: raw.room.into_inner(),
            people,
            panels: raw.panels.into_iter().map(Spanned::into_inner).collect(),
            objects: raw.objects.into_iter().map(Spanned::into_inner).collect(),
            head: raw.head.into_iter().map(Spanned::into_inner).collect(),
            controllers: raw.controllers.into_iter().map(Spanned::into_inner).collect(),
            gaze: raw.gaze.into_iter().map(Spanned::into_inner).collect(),
            inputs: raw.inputs.into_iter().map(Spanned::into_inner).collect(),
            sounds: raw.sounds.into_iter().map(Spanned::into_inner).collect(),
            chat: raw.chat.into_iter().map(Spanned::into_inner).collect(),
            alerts: raw.alerts.into_iter().map(Spanned::into_inner).collect(),
            event_file: raw.event.as_deref().map(resolve),
            feeds: raw.feeds.into_iter().map(Spanned::into_inner).collect(),
            cuts: raw.cuts.into_iter().map(Spanned::into_inner).collect(),
            handovers: raw.handovers.into_iter().map(Spanned::into_inner).collect(),
            home_hub: raw.home_hub.map(|hub| {
                let mut hub = hub.into_inner();
                hub.credentials_file = hub.credentials_file.as_deref().map(resolve);
                hub.ca_file = hub.ca_file.as_deref().map(resolve);
                hub
            }),
            home_events: raw.home_events.into_iter().map(Spanned::into_inner).collect(),
            checkpoints: raw.checkpoints.into_iter().map(Spanned::into_inner).collect(),
        })
    }

    /// Number of frames the simulator steps for the whole scenario.
    pub fn frame_count(&self) -> u64 {
        (self.duration_s * self.frame_rate_hz).ceil() as u64
    }

    /// The event this scenario stages: its people as speakers, on the floor channel.
    pub fn event(&self) -> Event {
        Event {
            name: self.name.clone(),
            speakers: self
                .people
                .iter()
                .map(|p| Speaker { id: p.id.clone(), name: p.name.clone(), head_position_m: p.position_m })
                .collect(),
            channels: vec![LanguageChannel::floor()],
        }
    }
}

/// A pose sampled from keyframes: position plus yaw and pitch in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampledPose {
    pub position_m: Vec3,
    pub yaw_deg: f32,
    pub pitch_deg: f32,
}

impl Scenario {
    /// The head pose at `t_s`: linear between keys, held before the first and
    /// after the last; standing at the room centre when there are no keys.
    pub fn head_at(&self, t_s: f32) -> SampledPose {
        sample(
            &self.head,
            t_s,
            |k| k.at_s,
            |k| SampledPose { position_m: k.position_m, yaw_deg: k.yaw_deg, pitch_deg: k.pitch_deg },
        )
        .unwrap_or(SampledPose {
            position_m: Vec3::new(0.0, 1.6, 0.0),
            yaw_deg: 0.0,
            pitch_deg: 0.0,
        })
    }

    /// The controller pose for `hand` at `t_s`, as an offset in head space;
    /// resting at waist height in front of the user when there are no keys.
    pub fn controller_at(&self, hand: Hand, t_s: f32) -> SampledPose {
        let keys: Vec<&ControllerKey> = self.controllers.iter().filter(|k| k.hand == hand).collect();
        let side = if hand == Hand::Left { -0.2 } else { 0.2 };
        sample(
            &keys,
            t_s,
            |k| k.at_s,
            |k| SampledPose { position_m: k.head_offset_m, yaw_deg: k.yaw_deg, pitch_deg: k.pitch_deg },
        )
        .unwrap_or(SampledPose {
            position_m: Vec3::new(side, -0.45, -0.35),
            yaw_deg: 0.0,
            pitch_deg: 0.0,
        })
    }

    /// Eye-gaze direction relative to the head at `t_s` (straight ahead by default).
    pub fn gaze_at(&self, t_s: f32) -> SampledPose {
        sample(
            &self.gaze,
            t_s,
            |k| k.at_s,
            |k| SampledPose { position_m: Vec3::ZERO, yaw_deg: k.yaw_deg, pitch_deg: k.pitch_deg },
        )
        .unwrap_or(SampledPose { position_m: Vec3::ZERO, yaw_deg: 0.0, pitch_deg: 0.0 })
    }
}

/// Linear interpolation between time-ordered keys.
fn sample<K>(
    keys: &[K],
    t_s: f32,
    at_s: impl Fn(&K) -> f32,
    pose: impl Fn(&K) -> SampledPose,
) -> Option<SampledPose> {
    let after = keys.iter().position(|k| at_s(k) > t_s);
    let (a, b) = match after {
        None => return keys.last().map(&pose),
        Some(0) => return keys.first().map(&pose),
        Some(i) => (&keys[i - 1], &keys[i]),
    };
    let t = (t_s - at_s(a)) / (at_s(b) - at_s(a));
    let (pa, pb) = (pose(a), pose(b));
    Some(SampledPose {
        position_m: pa.position_m.lerp(pb.position_m, t),
        yaw_deg: pa.yaw_deg + (pb.yaw_deg - pa.yaw_deg) * t,
        pitch_deg: pa.pitch_deg + (pb.pitch_deg - pa.pitch_deg) * t,
    })
}

/// The semantic checks, each reporting where the offending entry starts.
struct Validator<'a, F> {
    at: &'a F,
    raw: &'a ScenarioFile,
    base_dir: &'a Path,
}

impl<F: Fn(std::ops::Range<usize>, String) -> ScenarioError> Validator<'_, F> {
    fn check(&self) -> Result<(), ScenarioError> {
        let raw = self.raw;
        let at = self.at;
        let duration_s = *raw.duration_s.get_ref();
        if !(duration_s > 0.0 && duration_s <= 3600.0) {
            return Err(at(
                raw.duration_s.span(),
                format!("duration_s must be above 0 and at most 3600, not {duration_s}"),
            ));
        }
        let rate = *raw.frame_rate_hz.get_ref();
        if !(1.0..=240.0).contains(&rate) {
            return Err(at(
                raw.frame_rate_hz.span(),
                format!("frame_rate_hz must be between 1 and 240, not {rate}"),
            ));
        }
        let room = raw.room.get_ref();
        if !room.size_m.to_array().iter().all(|&side| side > 0.0 && side <= MAX_ROOM_SIDE_M) {
            return Err(at(
                raw.room.span(),
                format!(
                    "room.size_m must be above 0 and at most {MAX_ROOM_SIDE_M} metres in every axis, not {}",
                    room.size_m
                ),
            ));
        }
        let view = raw.view.get_ref();
        if !(16..=4096).contains(&view.width_px) || !(16..=4096).contains(&view.height_px) {
            return Err(at(
                raw.view.span(),
                "view.width_px and view.height_px must be between 16 and 4096".into(),
            ));
        }
        self.number(
            raw.view.span(),
            "view.vertical_fov_deg",
            view.vertical_fov_deg,
            VERTICAL_FOV_DEG,
            " degrees",
        )?;

        let mut ids = std::collections::HashSet::new();
        for person in &raw.people {
            let p = person.get_ref();
            if !ids.insert(p.id.as_str()) {
                return Err(at(person.span(), format!("the id `{}` is used twice", p.id)));
            }
            self.inside_room(person.span(), "person", &p.id, p.position_m)?;
            for u in &p.speech {
                self.in_time(person.span(), u.at_s)?;
                self.file_exists(person.span(), &u.audio)?;
                if let Some(words) = &u.words {
                    self.file_exists(person.span(), words)?;
                }
            }
        }
        for panel in &raw.panels {
            let p = panel.get_ref();
            if !ids.insert(p.id.as_str()) {
                return Err(at(panel.span(), format!("the id `{}` is used twice", p.id)));
            }
            if p.text.trim().is_empty() {
                return Err(at(panel.span(), format!("panel `{}` has no text", p.id)));
            }
            self.inside_room(panel.span(), "panel", &p.id, p.position_m)?;
            self.in_time(panel.span(), p.at_s)?;
        }
        for object in &raw.objects {
            let o = object.get_ref();
            if !ids.insert(o.id.as_str()) {
                return Err(at(object.span(), format!("the id `{}` is used twice", o.id)));
            }
            if o.name.trim().is_empty() || o.name.chars().count() > 80 {
                return Err(at(
                    object.span(),
                    format!("object `{}` needs a name of 1 to 80 characters", o.id),
                ));
            }
            self.inside_room(object.span(), "object", &o.id, o.position_m)?;
            if !o.size_m.to_array().iter().all(|&side| side > 0.0 && side <= MAX_ROOM_SIDE_M) {
                return Err(at(
                    object.span(),
                    format!("object `{}`: size_m must be above 0 and at most {MAX_ROOM_SIDE_M} metres", o.id),
                ));
            }
        }
        self.keys_in_order(&raw.head, |k| k.at_s, "head")?;
        self.keys_in_order(&raw.gaze, |k| k.at_s, "gaze")?;
        for hand in [Hand::Left, Hand::Right] {
            let keys: Vec<_> = raw.controllers.iter().filter(|k| k.get_ref().hand == hand).cloned().collect();
            self.keys_in_order(&keys, |k| k.at_s, "controllers")?;
        }
        for key in &raw.head {
            let k = key.get_ref();
            self.inside_room(key.span(), "head key", "", k.position_m)?;
            self.number(key.span(), "yaw_deg", k.yaw_deg, HEAD_YAW_DEG, " degrees")?;
            self.number(key.span(), "pitch_deg", k.pitch_deg, PITCH_DEG, " degrees")?;
        }
        for key in &raw.controllers {
            let k = key.get_ref();
            if !(0.0..=MAX_CONTROLLER_OFFSET_M).contains(&k.head_offset_m.length()) {
                return Err(at(
                    key.span(),
                    format!(
                        "head_offset_m = {} must be within {MAX_CONTROLLER_OFFSET_M} metres of the head",
                        k.head_offset_m
                    ),
                ));
            }
            self.number(key.span(), "yaw_deg", k.yaw_deg, RELATIVE_YAW_DEG, " degrees")?;
            self.number(key.span(), "pitch_deg", k.pitch_deg, PITCH_DEG, " degrees")?;
        }
        for key in &raw.gaze {
            let k = key.get_ref();
            self.number(key.span(), "yaw_deg", k.yaw_deg, RELATIVE_YAW_DEG, " degrees")?;
            self.number(key.span(), "pitch_deg", k.pitch_deg, PITCH_DEG, " degrees")?;
        }
        for input in &raw.inputs {
            let i = input.get_ref();
            self.in_time(input.span(), i.at_s)?;
            if crate::input::InputDevice::from_name(&i.device).is_none() {
                return Err(at(
                    input.span(),
                    format!(
                        "there is no input device `{}`; use one of {}",
                        i.device,
                        crate::input::InputDevice::NAMES.join(", ")
                    ),
                ));
            }
            self.number(input.span(), "hold_s", i.hold_s, 0.0..=60.0, " seconds")?;
        }
        for sound in &raw.sounds {
            let s = sound.get_ref();
            self.timed_words(sound.span(), s.at_s, &s.label, "a sound needs a label, e.g. `applause`")?;
            self.is_person(sound.span(), &s.source, "sound source")?;
        }
        for message in &raw.chat {
            let m = message.get_ref();
            self.timed_words(message.span(), m.at_s, &m.text, "a chat message needs text")?;
            self.is_person(message.span(), &m.from, "chat sender")?;
        }
        for alert in &raw.alerts {
            let a = alert.get_ref();
            self.timed_words(alert.span(), a.at_s, &a.text, "an alert needs text")?;
            self.inside_room(alert.span(), "alert", &a.source, a.position_m)?;
        }
        for span in raw
            .feeds
            .iter()
            .map(|f| (f.span(), f.get_ref().at_s))
            .chain(raw.cuts.iter().map(|c| (c.span(), c.get_ref().at_s)))
            .chain(raw.handovers.iter().map(|h| (h.span(), h.get_ref().at_s)))
        {
            self.in_time(span.0, span.1)?;
        }
        for feed in &raw.feeds {
            StreamAddress::parse(&feed.get_ref().to, Direction::Send).map_err(|e| at(feed.span(), e))?;
        }
        self.home()?;
        if raw.event.is_none() && !(raw.feeds.is_empty() && raw.cuts.is_empty() && raw.handovers.is_empty()) {
            return Err(at(
                0..0,
                "feeds, cuts and handovers need an `event` file naming the interpreters".into(),
            ));
        }
        if let Some(event) = &raw.event
            && !self.base_dir.join(event).is_file()
        {
            return Err(at(0..0, format!("event = {}: there is no such file", event.display())));
        }
        let mut captures = std::collections::HashSet::new();
        for checkpoint in &raw.checkpoints {
            let c = checkpoint.get_ref();
            self.in_time(checkpoint.span(), c.at_s)?;
            let safe = !c.capture.is_empty()
                && c.capture.chars().all(|ch| ch.is_ascii_alphanumeric() || "-_".contains(ch));
            if !safe {
                return Err(at(
                    checkpoint.span(),
                    format!("capture name `{}` must be letters, digits, - and _", c.capture),
                ));
            }
            if !captures.insert(c.capture.as_str()) {
                return Err(at(checkpoint.span(), format!("capture name `{}` is used twice", c.capture)));
            }
        }
        Ok(())
    }

    /// `Ok` when `value` lies in `range`, which also refuses NaN and the
    /// infinities (TOML writes them `nan` and `inf`; a number too large for
    /// an `f32`, such as `1e40`, arrives as infinity).
    fn number(
        &self,
        span: std::ops::Range<usize>,
        name: &str,
        value: f32,
        range: std::ops::RangeInclusive<f32>,
        unit: &str,
    ) -> Result<(), ScenarioError> {
        if range.contains(&value) {
            return Ok(());
        }
        let (low, high) = range.into_inner();
        Err((self.at)(span, format!("{name} = {value} must be between {low} and {high}{unit}")))
    }

    /// An event with words (a label, a message) at a time within the scenario.
    fn timed_words(
        &self,
        span: std::ops::Range<usize>,
        at_s: f32,
        words: &str,
        missing: &str,
    ) -> Result<(), ScenarioError> {
        self.in_time(span.clone(), at_s)?;
        if words.trim().is_empty() {
            return Err((self.at)(span, missing.into()));
        }
        Ok(())
    }

    /// The hub's broker address, and each home event: in time, to a plain topic, within size.
    fn home(&self) -> Result<(), ScenarioError> {
        let raw = self.raw;
        if let Some(hub) = &raw.home_hub {
            let broker = &hub.get_ref().broker;
            if !(broker.starts_with("mqtt://") || broker.starts_with("mqtts://")) {
                return Err((self.at)(
                    hub.span(),
                    format!("home_hub broker = {broker}: must start with mqtt:// or mqtts://"),
                ));
            }
        } else if let Some(first) = raw.home_events.first() {
            return Err((self.at)(first.span(), "home events need a `[home_hub]` to publish them".into()));
        }
        for event in &raw.home_events {
            let e = event.get_ref();
            self.in_time(event.span(), e.at_s)?;
            if e.topic.is_empty() || e.topic.len() > MAX_TOPIC_BYTES || e.topic.contains(['+', '#', '\0']) {
                return Err((self.at)(
                    event.span(),
                    format!(
                        "topic = {:?}: a topic is 1 to {MAX_TOPIC_BYTES} bytes without + # or NUL",
                        e.topic
                    ),
                ));
            }
            if e.payload.len() > MAX_PAYLOAD_BYTES {
                return Err((self.at)(
                    event.span(),
                    format!(
                        "the payload is {} bytes; at most {MAX_PAYLOAD_BYTES} are allowed",
                        e.payload.len()
                    ),
                ));
            }
        }
        Ok(())
    }

    fn is_person(&self, span: std::ops::Range<usize>, id: &str, role: &str) -> Result<(), ScenarioError> {
        if self.raw.people.iter().any(|p| p.get_ref().id == id) {
            Ok(())
        } else {
            Err((self.at)(span, format!("{role} `{id}` is not a person in this scenario")))
        }
    }

    fn in_time(&self, span: std::ops::Range<usize>, at_s: f32) -> Result<(), ScenarioError> {
        let duration_s = *self.raw.duration_s.get_ref();
        if (0.0..=duration_s).contains(&at_s) {
            Ok(())
        } else {
            Err((self.at)(span, format!("at_s = {at_s} is outside the scenario (0 to {duration_s} s)")))
        }
    }

    fn inside_room(
        &self,
        span: std::ops::Range<usize>,
        what: &str,
        id: &str,
        point: Vec3,
    ) -> Result<(), ScenarioError> {
        if self.raw.room.get_ref().contains(point) {
            Ok(())
        } else {
            let name = if id.is_empty() { String::new() } else { format!(" `{id}`") };
            Err((self.at)(span, format!("{what}{name} at {point} is outside the room")))
        }
    }

    fn file_exists(&self, span: std::ops::Range<usize>, relative: &Path) -> Result<(), ScenarioError> {
        let path = self.base_dir.join(relative);
        if path.is_file() {
            Ok(())
        } else {
            Err((self.at)(
                span,
                format!("file {} does not exist (paths are relative to the scenario file)", path.display()),
            ))
        }
    }

    fn keys_in_order<T>(
        &self,
        keys: &[Spanned<T>],
        at_s: impl Fn(&T) -> f32,
        what: &str,
    ) -> Result<(), ScenarioError> {
        for pair in keys.windows(2) {
            if at_s(pair[1].get_ref()) < at_s(pair[0].get_ref()) {
                return Err((self.at)(pair[1].span(), format!("{what} keys must be in time order")));
            }
        }
        for key in keys {
            self.in_time(key.span(), at_s(key.get_ref()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "Test"
duration_s = 5.0

[room]
size_m = [10.0, 3.0, 10.0]

[[people]]
id = "ana"
name = "Ana"
position_m = [0.0, 1.6, -2.0]

[[panels]]
id = "welcome"
text = "Welcome"
position_m = [1.0, 2.0, -4.0]

[[head]]
at_s = 0.0
position_m = [0.0, 1.6, 0.0]

[[head]]
at_s = 4.0
position_m = [0.0, 1.6, 0.0]
yaw_deg = 45.0

[[checkpoints]]
at_s = 2.0
capture = "start"
"#;

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(text, "test.toml", Path::new("."))
    }

    #[test]
    fn home_events_need_a_hub_a_plain_topic_and_a_bounded_payload() {
        let hub = "[home_hub]\nbroker = \"mqtt://127.0.0.1:1883\"\n";
        let event = |topic: &str, payload: &str| {
            format!("[[home_events]]\nat_s = 0.5\ntopic = \"{topic}\"\npayload = '{payload}'\n")
        };
        let parse = |text: String| Scenario::parse(&format!("{MINIMAL}\n{text}"), "s.toml", Path::new("."));
        let ok = parse(format!("{hub}{}", event("home/door/event", r#"{"event_type":"ring"}"#))).unwrap();
        assert_eq!(ok.home_events[0].payload, r#"{"event_type":"ring"}"#);
        let err = parse(event("home/door/event", "ON")).unwrap_err();
        assert!(err.message.contains("need a `[home_hub]`"), "{err}");
        let err = parse(format!("{hub}{}", event("home/+/event", "ON"))).unwrap_err();
        assert!(err.message.contains("without + #"), "{err}");
        let err = parse(format!("{hub}{}", event("home/door", &"x".repeat(70_000)))).unwrap_err();
        assert!(err.message.contains("70000 bytes"), "{err}");
        let err = parse("[home_hub]\nbroker = \"http://hub\"\n".into()).unwrap_err();
        assert!(err.message.contains("mqtt://"), "{err}");
    }

    #[test]
    fn parses_a_minimal_scenario() {
        let s = parse(MINIMAL).unwrap();
        assert_eq!(s.people[0].name, "Ana");
        assert_eq!(s.head[1].yaw_deg, 45.0);
        assert_eq!(s.frame_rate_hz, 30.0);
        assert_eq!(s.frame_count(), 150);
        assert_eq!(s.view, ViewSettings::default());
        let event = s.event();
        assert_eq!(event.speaker("ana").unwrap().head_position_m, Vec3::new(0.0, 1.6, -2.0));
        assert_eq!(event.channels, vec![LanguageChannel::floor()]);
    }

    #[test]
    fn poses_interpolate_between_keys_and_hold_at_the_ends() {
        let s = parse(MINIMAL).unwrap();
        assert_eq!(s.head_at(-1.0).yaw_deg, 0.0);
        assert!((s.head_at(2.0).yaw_deg - 22.5).abs() < 1e-4);
        assert_eq!(s.head_at(4.5).yaw_deg, 45.0);
        assert_eq!(s.gaze_at(1.0).yaw_deg, 0.0);
        assert!(s.controller_at(Hand::Left, 1.0).position_m.x < 0.0);
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let broken = MINIMAL.replace("duration_s = 5.0", "duration_s = 5.0.0");
        let err = parse(&broken).unwrap_err();
        assert_eq!((err.line, err.column), (3, 17), "{err}");
        assert!(err.to_string().starts_with("test.toml:3:17: invalid float"), "{err}");
    }

    #[test]
    fn unknown_fields_are_located() {
        let broken = MINIMAL.replace("name = \"Ana\"", "name = \"Ana\"\nheight = 3");
        let err = parse(&broken).unwrap_err();
        assert_eq!(err.line, 11, "{err}");
        assert!(err.message.contains("height"), "{err}");
    }

    #[test]
    fn semantic_errors_point_at_their_entry() {
        let cases = [
            (MINIMAL.replace("at_s = 2.0", "at_s = 9.0"), 27, "outside the scenario"),
            (MINIMAL.replace("[1.0, 2.0, -4.0]", "[1.0, 2.0, -40.0]"), 13, "outside the room"),
            (MINIMAL.replace("id = \"welcome\"", "id = \"ana\""), 13, "used twice"),
            (MINIMAL.replace("at_s = 4.0", "at_s = -1.0"), 22, "time order"),
            (MINIMAL.replace("capture = \"start\"", "capture = \"../etc\""), 27, "letters, digits"),
            (MINIMAL.replace("duration_s = 5.0", "duration_s = 0.0"), 3, "duration_s"),
            (
                format!("{MINIMAL}\n[[sounds]]\nat_s = 1.0\nlabel = \"applause\"\nsource = \"bob\"\n"),
                31,
                "not a person",
            ),
            (
                format!("{MINIMAL}\n[[sounds]]\nat_s = 1.0\nlabel = \" \"\nsource = \"ana\"\n"),
                31,
                "needs a label",
            ),
            (format!("{MINIMAL}\n[[chat]]\nat_s = 1.0\nfrom = \"bob\"\ntext = \"hi\"\n"), 31, "not a person"),
            (format!("{MINIMAL}\n[[chat]]\nat_s = 1.0\nfrom = \"ana\"\ntext = \"\"\n"), 31, "needs text"),
            (
                format!(
                    "{MINIMAL}\n[[alerts]]\nat_s = 1.0\ntext = \"Fire\"\nsource = \"door\"\nposition_m = [0, 1, -90]\n"
                ),
                31,
                "outside the room",
            ),
            (
                format!("{MINIMAL}\n[[feeds]]\nat_s = 1.0\ninterpreter = \"alex\"\nto = \"srt://:17401\"\n"),
                31,
                "`srt://:17401` has no host",
            ),
        ];
        for (text, line, needle) in cases {
            let err = parse(&text).unwrap_err();
            assert_eq!(err.line, line, "{err}");
            assert!(err.message.contains(needle), "{err}");
        }
    }

    #[test]
    fn non_finite_and_out_of_range_numbers_point_at_their_entry() {
        let alert = |position: &str| {
            format!(
                "{MINIMAL}\n[[alerts]]\nat_s = 1.0\ntext = \"Fire\"\nsource = \"door\"\nposition_m = {position}\n"
            )
        };
        let cases = [
            (
                MINIMAL.replace("yaw_deg = 45.0", "yaw_deg = nan"),
                22,
                "yaw_deg = NaN must be between -720 and 720 degrees",
            ),
            (MINIMAL.replace("yaw_deg = 45.0", "yaw_deg = inf"), 22, "yaw_deg = inf must be between"),
            // Too large for an f32: it arrives as infinity, and is refused as one.
            (MINIMAL.replace("yaw_deg = 45.0", "yaw_deg = 1e40"), 22, "yaw_deg = inf must be between"),
            (
                MINIMAL.replace("yaw_deg = 45.0", "pitch_deg = -inf"),
                22,
                "pitch_deg = -inf must be between -90 and 90",
            ),
            (
                MINIMAL.replace("yaw_deg = 45.0", "pitch_deg = 91.0"),
                22,
                "pitch_deg = 91 must be between -90 and 90",
            ),
            (MINIMAL.replace("at_s = 4.0", "at_s = nan"), 22, "at_s = NaN is outside the scenario"),
            (MINIMAL.replace("duration_s = 5.0", "duration_s = inf"), 3, "duration_s must be above 0"),
            (MINIMAL.replace("[10.0, 3.0, 10.0]", "[nan, 3.0, 10.0]"), 5, "room.size_m must be above 0"),
            (MINIMAL.replace("[10.0, 3.0, 10.0]", "[inf, 3.0, inf]"), 5, "at most 1000 metres"),
            (
                MINIMAL.replace("[0.0, 1.6, -2.0]", "[nan, 1.6, -2.0]"),
                8,
                "person `ana` at [NaN, 1.6, -2] is outside the room",
            ),
            (alert("[0.0, inf, -1.0]"), 31, "outside the room"),
            (
                format!("{MINIMAL}\n[view]\nvertical_fov_deg = nan\n"),
                31,
                "view.vertical_fov_deg = NaN must be between 10 and 170 degrees",
            ),
            (
                format!("{MINIMAL}\n[[gaze]]\nat_s = 1.0\npitch_deg = nan\n"),
                31,
                "pitch_deg = NaN must be between -90 and 90 degrees",
            ),
            (
                format!(
                    "{MINIMAL}\n[[controllers]]\nat_s = 1.0\nhand = \"left\"\nhead_offset_m = [0.0, -inf, 0.0]\n"
                ),
                31,
                "head_offset_m = [0, -inf, 0] must be within 3 metres of the head",
            ),
            (
                format!(
                    "{MINIMAL}\n[[controllers]]\nat_s = 1.0\nhand = \"left\"\nhead_offset_m = [0.0, 0.0, 0.0]\nyaw_deg = nan\n"
                ),
                31,
                "yaw_deg = NaN must be between -180 and 180 degrees",
            ),
            (
                format!(
                    "{MINIMAL}\n[[inputs]]\nat_s = 1.0\ndevice = \"keyboard\"\ninput = \"M\"\nhold_s = nan\n"
                ),
                31,
                "hold_s = NaN must be between 0 and 60 seconds",
            ),
        ];
        for (text, line, needle) in cases {
            let err = parse(&text).unwrap_err();
            assert_eq!(err.line, line, "{err}");
            assert!(err.message.contains(needle), "{needle:?} not in {err}");
        }
    }

    #[test]
    fn missing_audio_is_reported() {
        let with_audio = MINIMAL.replace(
            "position_m = [0.0, 1.6, -2.0]",
            "position_m = [0.0, 1.6, -2.0]\nspeech = [{ audio = \"nope.wav\", at_s = 0.0 }]",
        );
        let err = parse(&with_audio).unwrap_err();
        assert!(err.message.contains("nope.wav") && err.message.contains("does not exist"), "{err}");
    }

    #[test]
    fn paths_resolve_against_the_scenario_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.wav"), b"").unwrap();
        let text = MINIMAL.replace(
            "position_m = [0.0, 1.6, -2.0]",
            "position_m = [0.0, 1.6, -2.0]\nspeech = [{ audio = \"a.wav\", at_s = 1.0 }]",
        );
        let file = dir.path().join("s.toml");
        std::fs::write(&file, text).unwrap();
        let s = Scenario::load(&file).unwrap();
        assert_eq!(s.people[0].speech[0].audio, dir.path().join("a.wav").canonicalize().unwrap());
    }
}
