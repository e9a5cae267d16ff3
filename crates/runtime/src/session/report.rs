//! The session report: a timeline of everything the session presented.
//!
//! Tests read it instead of pixels wherever they can: "was the caption shown,
//! attributed to whom, where, and when" is a question about the timeline.

use bevy::prelude::*;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Resource, Clone, Debug, Default, Serialize)]
pub struct SessionReport {
    pub scenario: String,
    pub backend: String,
    pub duration_s: f32,
    pub frame_rate_hz: f32,
    pub frames: u64,
    pub people: Vec<PersonEntry>,
    pub timeline: Vec<TimelineEntry>,
    pub captures: Vec<CaptureEntry>,
    /// Things the user was told about (fallbacks, profile problems).
    pub notices: Vec<String>,
    /// The session as the user heard it, binaural (simulator only).
    pub audio: Option<PathBuf>,
    /// What the OpenXR runtime was and did (headset backend only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xr: Option<XrReport>,
}

/// A headset session as the OpenXR runtime ran it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct XrReport {
    /// The runtime's name and version, e.g. `Monado(XRT) by Collabora et al 'ebc3f6530' 25.1.0`.
    pub runtime: String,
    /// The headset as the runtime names it, e.g. `Monado: Simulated HMD`.
    pub system: String,
    /// `stage` (standing, floor level) or `local` (seated, centred on the head at start).
    pub reference_space: String,
    /// Each eye's image, as the runtime recommended it.
    pub view_px: [u32; 2],
    /// The interaction profile the runtime bound to each hand, last reported.
    pub left_hand_profile: Option<String>,
    pub right_hand_profile: Option<String>,
    /// Every session state the runtime entered, in order (`IDLE`, `READY`, …, `EXITING`).
    pub states: Vec<XrStateEntry>,
    /// Frames the runtime asked for (`xrWaitFrame` returned).
    pub frames_asked: u64,
    /// Of those, frames the runtime said to render (`shouldRender`).
    pub frames_to_render: u64,
    /// Frames ended with the rendered views as a layer (`xrEndFrame`).
    pub frames_submitted: u64,
    /// The runtime's display period, in milliseconds (11.1 at 90 Hz).
    pub display_period_ms: f32,
    /// Time between the runtime's frames as the app saw them.
    pub frame_interval_ms: FrameTimes,
    /// CPU time of the `Update` schedule per frame (summed over threads) while the session ran, where every Allverse feature runs.
    pub update_cpu_ms: FrameTimes,
    /// CPU time of `Update` and `PostUpdate` per frame (panel layout and drawing, and Bevy's transforms
    /// too): all of Allverse's systems, without the wait for the runtime, render extraction or GPU work.
    /// Summed over the threads that run systems; time spent preempted does not count.
    pub systems_cpu_ms: FrameTimes,
    /// The same schedules in wall time: how long the frame waited for them, preemption included.
    pub systems_wall_ms: FrameTimes,
    /// Why the session ended, in the words printed to the user.
    pub ended: String,
}

/// A session state the runtime entered, and when on the session clock.
#[derive(Clone, Debug, Serialize)]
pub struct XrStateEntry {
    pub t_s: f32,
    pub state: String,
}

/// Frame-to-frame times, in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FrameTimes {
    pub p50: f32,
    pub p99: f32,
    pub max: f32,
}

impl FrameTimes {
    /// The median, 99th percentile and maximum of `times_ms` (all zero when empty).
    pub fn of(times_ms: &[f32]) -> Self {
        let mut sorted = times_ms.to_vec();
        sorted.sort_by(f32::total_cmp);
        let at = |q: f32| match sorted.len() {
            0 => 0.0,
            n => sorted[((n - 1) as f32 * q).round() as usize],
        };
        Self { p50: at(0.5), p99: at(0.99), max: sorted.last().copied().unwrap_or(0.0) }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PersonEntry {
    pub id: String,
    pub name: String,
    pub position_m: [f32; 3],
}

#[derive(Clone, Debug, Serialize)]
pub struct TimelineEntry {
    pub t_s: f32,
    #[serde(flatten)]
    pub event: PresentedEvent,
}

/// What kind of panel something is, so a reader of the report can tell a
/// caption from a sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Component)]
#[serde(rename_all = "snake_case")]
pub enum PanelKind {
    Sign,
    NameTag,
    Caption,
    /// Something the user must know, e.g. that their profile was reset.
    Notice,
    /// A menu's title, one of its rows, or the button that opens it.
    Menu,
    /// The interpreter's name and channel, and their connection's state.
    Interpreter,
    /// A home alert: the banner at the top of view, or its line beside the device.
    Alert,
    /// A live session's chat, under the room's state.
    Chat,
    /// A state the user must always see, e.g. that the microphone is live.
    Indicator,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PresentedEvent {
    PanelShown {
        panel: String,
        kind: PanelKind,
        text: String,
        position_m: [f32; 3],
        size_m: [f32; 2],
    },
    PanelText {
        panel: String,
        kind: PanelKind,
        text: String,
        size_m: [f32; 2],
    },
    /// Same text, re-rendered to keep its angular size after the user moved.
    PanelResized {
        panel: String,
        kind: PanelKind,
        size_m: [f32; 2],
    },
    PanelHidden {
        panel: String,
    },
    /// A panel was drawn with a change the user is told of: characters no
    /// installed font has, smaller text to fit, or text cut.
    PanelNotice {
        panel: String,
        notice: String,
    },
    SpeechStarted {
        person: String,
        audio: PathBuf,
        duration_s: f32,
        position_m: [f32; 3],
    },
    SpeechEnded {
        person: String,
        audio: PathBuf,
    },
    /// A live caption change: `kind` is `partial` (replaces the words that may
    /// still change), `commit` (appends words that never change) or `sound`
    /// (appends a captioned sound such as `[applause]`).
    Caption {
        person: String,
        kind: String,
        text: String,
    },
    Input {
        device: String,
        input: String,
    },
    /// Synthesized speech started: what was said, why, and from where.
    Spoken {
        /// `chat`, `alert`, `caption` or `announcement`.
        kind: String,
        text: String,
        /// The person id or named thing it comes from.
        source: String,
        position_m: [f32; 3],
        /// Direction from the listener's head when it started: positive to the left.
        azimuth_deg: f32,
    },
    Capture {
        name: String,
    },
    /// Someone arrived in or left a live session's room: `change` is `joined` or `left`.
    Presence {
        person: String,
        name: String,
        change: String,
    },
    /// A chat message from a live participant, as cleaned by the session.
    Chat {
        person: String,
        text: String,
    },
    /// The live session's connection changed, in the words the user is shown.
    RoomStatus {
        status: String,
    },
    /// The user said `text` to a live session's room from the phrase board: in their
    /// synthesized voice where `voiced`, always as chat.
    Said {
        text: String,
        voiced: bool,
    },
    /// The user opened (`live`) or muted their microphone in a live session's room, with
    /// the audio RTP packets their connection had made by then: none before it first opened.
    Microphone {
        live: bool,
        audio_packets_sent: u64,
    },
    /// An action was carried out: from which device and input, and whether through a menu item.
    Action {
        action: allverse_core::input::Action,
        device: allverse_core::input::InputDevice,
        input: String,
        via_menu: bool,
    },
    /// Focus moved to a menu item (or a menu opened on one).
    Focus {
        menu: String,
        item: usize,
        label: String,
    },
    MenuClosed,
    /// A profile setting was changed through the menus.
    SettingChanged {
        key: String,
        value: String,
    },
    /// The user moved (teleport, turn, recenter, safe place).
    Moved {
        position_m: [f32; 3],
        yaw_deg: f32,
    },
    CaptionsShown {
        shown: bool,
    },
    /// The language channel the user follows.
    Channel {
        channel: String,
    },
    /// The interpreter panel changed: who is on it, whether their video is live, and its size and place.
    InterpreterPanel {
        channel: String,
        interpreter: String,
        /// `connecting`, `live`, `reconnecting`, or `failed` when retrying cannot help.
        state: String,
        /// Why the video is not live, in the user's words.
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        size_m: [f32; 2],
        position_m: [f32; 3],
    },
    /// The incoming interpreter's video is on the panel.
    Handover {
        channel: String,
        to: String,
    },
    /// The link to the home's broker came up or went down.
    HomeConnection {
        connected: bool,
        /// The broker, or why it went down and when the link tries again.
        detail: String,
    },
    /// A home device appeared, changed state, went offline or was removed.
    HomeDevice {
        /// The entity id, e.g. `light.kitchen`.
        entity: String,
        state: String,
    },
    /// A home alert was presented in one modality: `banner`, `flash`,
    /// `glow`, `haptic:<pattern>`, `speech` or `scene_line`.
    HomeAlert {
        alert: u64,
        kind: String,
        /// `life_safety`, `attention` or `information`.
        priority: String,
        /// The entity it comes from, or its kind for notifications.
        source: String,
        text: String,
        modality: String,
        /// A life-safety alert's reminder, until it is acknowledged.
        repeat: bool,
    },
    /// More alerts of a kind arrived while one was showing; they are counted, not shown again.
    HomeAlertCollapsed {
        alert: u64,
        count: u32,
    },
    /// An alert the gate held back (expired, or a duplicate).
    HomeAlertSuppressed {
        reason: String,
    },
    /// A life-safety alert was acknowledged, by this action from this device.
    HomeAlertAcknowledged {
        alert: u64,
        action: allverse_core::input::Action,
        device: allverse_core::input::InputDevice,
    },
    /// A command to a device: sent, confirmed by the device's state, or why not.
    HomeCommand {
        entity: String,
        outcome: String,
    },
    /// A home message that was not used, and why (malformed discovery, not delivered).
    HomeSkipped {
        topic: String,
        reason: String,
    },
}

#[derive(Clone, Debug, Serialize)]
pub struct CaptureEntry {
    pub t_s: f32,
    pub name: String,
    pub path: PathBuf,
    pub width_px: u32,
    pub height_px: u32,
    pub head_position_m: [f32; 3],
    pub head_forward: [f32; 3],
    /// Where the eyes look, in world space (the gaze ray's direction).
    pub gaze_direction: [f32; 3],
    /// Ids of the people and panels whose centres were inside the captured view.
    pub in_view: Vec<String>,
    /// Every text panel at least partly in front of the eye, with the
    /// rectangle it covers in the image.
    pub panels: Vec<PanelOnScreen>,
}

/// Where a text panel appears in a capture.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PanelOnScreen {
    pub id: String,
    pub kind: PanelKind,
    /// Left, top, right, bottom, in pixels from the image's top left.
    pub rect_px: [f32; 4],
}

impl SessionReport {
    /// Something the user must be told: kept here and shown in the scene by the notices plugin.
    pub fn notice(&mut self, text: impl Into<String>) {
        self.notices.push(text.into());
    }

    pub fn record(&mut self, t_s: f32, event: PresentedEvent) {
        self.timeline.push(TimelineEntry { t_s, event });
    }

    /// Writes the report as pretty-printed JSON.
    pub fn write_json(&self, path: &std::path::Path) -> std::io::Result<()> {
        let json = serde_json::to_string_pretty(self).expect("a report always serializes");
        std::fs::write(path, json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_times_are_the_median_99th_percentile_and_longest() {
        let times: Vec<f32> = (1..=100).map(|i| i as f32).rev().collect();
        let t = FrameTimes::of(&times);
        assert_eq!((t.p50, t.p99, t.max), (51.0, 99.0, 100.0));
        let none = FrameTimes::of(&[]);
        assert_eq!((none.p50, none.p99, none.max), (0.0, 0.0, 0.0));
    }
}
