//! Spoken output in the session: chat, alerts, captions and announcements, each from where it belongs.
//!
//! [`SpeechPlugin`] owns the listener's [`Speaker`]: alerts interrupt,
//! chat waits its turn, announcements collapse (see `allverse-speech`).
//! Chat is spoken from the sender's avatar and alerts from their source
//! (a home device from its place on the home map),
//! captions on request (the repeat-caption action) or as they are committed
//! (`speech.read_captions`), and whatever input or the screen reader
//! announces from where it is. Each utterance goes into the report as it
//! starts.

use crate::audio_engine::{AudioEngine, AudioSystems};
use crate::captions::{CaptionCommitted, CaptionSystems};
use crate::home::{AlertSpoken, HomeSystems};
use crate::input::{ActionRequested, Announce, InputSystems};
use crate::live::{ChatReceived, LiveSystems};
use crate::rig::Rig;
use crate::scene::People;
use crate::session::{PresentedEvent, SessionClock, SessionConfig, SessionReport, UserProfile};
use allverse_core::input::Action;
use allverse_core::placement::yaw_pitch_deg_from_direction;
use allverse_pipeline::audio::{AudioControl, Placement, Pose};
use allverse_speech::{Speaker, SpeechKind, SpeechSetup, Utterance};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;

/// Speech through the synthesizer chosen before the session started; none without one.
pub struct SpeechPlugin {
    pub setup: Option<SpeechSetup>,
}

impl Plugin for SpeechPlugin {
    fn build(&self, app: &mut App) {
        let Some(synthesizer) = self.setup.clone().and_then(SpeechSetup::synthesizer) else { return };
        app.insert_non_send(Speech { speaker: Speaker::new(synthesizer), reported: 0, last_caption: None })
            .add_systems(
                Update,
                (speak_timeline, report_spoken)
                    .chain()
                    .after(InputSystems::Act)
                    .after(CaptionSystems)
                    .after(HomeSystems)
                    .after(LiveSystems)
                    .before(AudioSystems::Render),
            );
    }
}

/// The listener's speaker and what the report has heard of it. Non-send, with the engine.
struct Speech {
    speaker: Speaker,
    reported: usize,
    /// The latest caption turn, (person index, text), for reading aloud on request.
    last_caption: Option<(usize, String)>,
}

impl Speech {
    fn say(
        &mut self,
        control: &mut AudioControl,
        now_s: f32,
        kind: SpeechKind,
        text: &str,
        source: &str,
        from: Vec3,
    ) {
        let utterance =
            Utterance { text: text.into(), kind, placement: Placement::World(from), source: source.into() };
        if let Err(error) = self.speaker.say(utterance, control, f64::from(now_s)) {
            warn!("cannot say {text:?}: {error}");
        }
    }
}

/// What asks for speech this frame.
#[derive(SystemParam)]
struct SpeechRequests<'w, 's> {
    committed: MessageReader<'w, 's, CaptionCommitted>,
    actions: MessageReader<'w, 's, ActionRequested>,
    announcements: MessageReader<'w, 's, Announce>,
    home_alerts: MessageReader<'w, 's, AlertSpoken>,
    live_chat: MessageReader<'w, 's, ChatReceived>,
}

/// Speaks the scenario's chat and alerts, captions and announcements when
/// asked, and stops when asked.
fn speak_timeline(
    config: Res<SessionConfig>,
    people: Res<People>,
    user: Res<UserProfile>,
    clock: Res<SessionClock>,
    mut requests: SpeechRequests,
    mut speech: NonSendMut<Speech>,
    mut engine: NonSendMut<AudioEngine>,
) {
    let (speech, control) = (&mut *speech, &mut engine.control);
    let scenario = &config.scenario;
    let settings = &user.profile.speech;
    let t_s = clock.elapsed_s();

    for alert in scenario.alerts.iter().filter(|a| clock.is_due(a.at_s)) {
        speech.say(control, t_s, SpeechKind::Alert, &alert.text, &alert.source, alert.position_m);
    }
    for alert in requests.home_alerts.read() {
        speech.say(control, t_s, SpeechKind::Alert, &alert.text, &alert.source, alert.position_m);
    }
    if settings.read_chat {
        for message in scenario.chat.iter().filter(|m| clock.is_due(m.at_s)) {
            let from = people.find(&message.from).map_or(Vec3::ZERO, |p| p.head_m);
            speech.say(control, t_s, SpeechKind::Chat, &message.text, &message.from, from);
        }
        for message in requests.live_chat.read() {
            let person = &people.0[message.person];
            speech.say(control, t_s, SpeechKind::Chat, &message.text, &person.id, person.head_m);
        }
    }
    for caption in requests.committed.read() {
        match &mut speech.last_caption {
            Some((person, turn)) if *person == caption.person => {
                turn.push(' ');
                turn.push_str(&caption.text);
            }
            _ => speech.last_caption = Some((caption.person, caption.text.clone())),
        }
        if settings.read_captions {
            let person = &people.0[caption.person];
            speech.say(control, t_s, SpeechKind::Caption, &caption.text, &person.id, person.head_m);
        }
    }
    for action in requests.actions.read() {
        match action.action {
            Action::StopSpeech => speech.speaker.stop_all(control),
            Action::RepeatLastCaption => {
                if let Some((person, turn)) = speech.last_caption.clone() {
                    let person = &people.0[person];
                    speech.say(control, t_s, SpeechKind::Caption, &turn, &person.id, person.head_m);
                }
            }
            _ => {}
        }
    }
    for announcement in requests.announcements.read() {
        let (text, source) = (&announcement.text, &announcement.source);
        speech.say(control, t_s, SpeechKind::Announcement, text, source, announcement.position_m);
    }
}

/// Moves the queue along and records newly started speech in the report.
fn report_spoken(
    clock: Res<SessionClock>,
    rig: Res<Rig>,
    mut report: ResMut<SessionReport>,
    mut speech: NonSendMut<Speech>,
    mut engine: NonSendMut<AudioEngine>,
) {
    let speech = &mut *speech;
    speech.speaker.update(&mut engine.control, f64::from(clock.elapsed_s()));
    let head = Pose { position: rig.head.translation, orientation: rig.head.rotation };
    for spoken in &speech.speaker.spoken()[speech.reported..] {
        let position = match spoken.placement {
            Placement::World(point) => point,
            Placement::Head(point) => head.position + head.orientation * point,
        };
        let (azimuth_deg, _) = yaw_pitch_deg_from_direction(head.head_from(spoken.placement));
        report.record(
            spoken.at_s as f32,
            PresentedEvent::Spoken {
                kind: kind_name(spoken.kind).into(),
                text: spoken.text.clone(),
                source: spoken.source.clone(),
                position_m: position.to_array(),
                azimuth_deg,
            },
        );
    }
    speech.reported = speech.speaker.spoken().len();
}

fn kind_name(kind: SpeechKind) -> &'static str {
    match kind {
        SpeechKind::Alert => "alert",
        SpeechKind::Announcement => "announcement",
        SpeechKind::Chat => "chat",
        SpeechKind::Caption => "caption",
    }
}
