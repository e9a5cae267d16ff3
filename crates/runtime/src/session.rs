//! A session: the scenario's people, signs and speech played out on a clock.
//!
//! [`SessionPlugin`] is the same for every backend. It builds the room,
//! fires the scenario's timed events (signs appear, people speak, inputs
//! arrive, checkpoints ask for captures), shows speaker-attributed captions
//! from each recording's caption track, and records all of it in the
//! [`SessionReport`].

use crate::notices::NoticePlugin;
use crate::panels::{PanelAppearance, PanelPlugin, TextPanel};
use crate::report::{PanelKind, PersonEntry, PresentedEvent, SessionReport};
use crate::rig::{Rig, follow_rig, spawn_rig_parts, transform_from_yaw_pitch};
use crate::scene;

use allverse_core::profile::Profile;
use allverse_core::scenario::{Hand, Scenario};
use anyhow::{Context, Result};
use bevy::prelude::*;
use std::path::PathBuf;

/// The session's per-frame systems; captions and backends order themselves after them.
#[derive(SystemSet, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionSystems;

/// Everything a session needs, checked before any window or device opens.
#[derive(Resource, Clone, Debug)]
pub struct SessionConfig {
    pub scenario: Scenario,
    pub profile: Profile,
    /// One entry per person, one per utterance, in scenario order.
    pub speech: Vec<Vec<LoadedUtterance>>,
    /// Messages the user must see (fallbacks, profile problems); copied into the report.
    pub notices: Vec<String>,
    pub backend_name: String,
    /// The speech recogniser's model; `None` (with a notice) when captions
    /// are off because it is missing or unusable.
    pub caption_model: Option<allverse_captions::Model>,
    /// How sound is placed: the profile's HRTF set, or panning (with a notice).
    pub spatializer: allverse_pipeline::audio::Spatializer,
    /// The speech synthesizer; `None` (with a notice) when spoken output is unavailable.
    #[cfg(feature = "speech")]
    pub voice: Option<crate::audio::SpeechSetup>,
    /// Where settings changed in the menus are saved; `None` keeps them to this session.
    pub profile_store: Option<PathBuf>,
    /// The event's channels and interpreters, when the scenario stages one.
    pub event: Option<allverse_core::event::EventDescription>,
}

/// An utterance with its recording's length and caption track read in.
#[derive(Clone, Debug)]
pub struct LoadedUtterance {
    pub audio: PathBuf,
    pub at_s: f32,
    pub duration_s: f32,
    /// The recording as 16 kHz mono, for the speech recogniser; read only
    /// when captions are on.
    pub samples_16k: Option<std::sync::Arc<Vec<f32>>>,
    /// The recording as 48 kHz mono, for the audio engine.
    pub samples_48k: std::sync::Arc<Vec<f32>>,
}

impl SessionConfig {
    /// Reads every recording's header and caption track; a malformed file is
    /// an error that names it, before anything starts.
    pub fn new(scenario: Scenario, profile: Profile, backend_name: &str) -> Result<Self> {
        let mut notices = Vec::new();
        let caption_model = if profile.captions.enabled {
            let model = allverse_captions::resolve_model_path(None, profile.captions.model.as_deref())
                .and_then(|path| allverse_captions::Model::load(&path));
            model.map_err(|error| notices.push(format!("Captions are off. {error}"))).ok()
        } else {
            None
        };
        let speech = scenario
            .people
            .iter()
            .map(|person| {
                person
                    .speech
                    .iter()
                    .map(|u| load_utterance(u, caption_model.is_some()))
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        let (spatializer, problem) =
            allverse_pipeline::audio::Spatializer::load_or_panning(profile.audio.hrtf.as_deref());
        if let Some(problem) = problem {
            notices.push(format!(
                "3D sound is off: {problem}. Sounds are placed by plain stereo panning instead."
            ));
        }
        let event = scenario.event_file.as_deref().map(|path| load_event(path, &scenario)).transpose()?;
        Ok(Self {
            event,
            #[cfg(feature = "speech")]
            voice: crate::audio::SpeechSetup::from_profile(&profile, &mut notices),
            scenario,
            profile,
            speech,
            notices,
            backend_name: backend_name.into(),
            caption_model,
            spatializer,
            profile_store: None,
        })
    }
}

/// Reads the event description; a problem in it, or a feed for someone not in it, stops the session before it starts.
fn load_event(path: &std::path::Path, scenario: &Scenario) -> Result<allverse_core::event::EventDescription> {
    let event = allverse_core::event::EventDescription::load(path)?;
    let interpreter = |id: &str| event.channels.iter().any(|c| c.interpreters.iter().any(|i| i.id == id));
    for id in
        scenario.feeds.iter().map(|f| &f.interpreter).chain(scenario.cuts.iter().map(|c| &c.interpreter))
    {
        anyhow::ensure!(
            interpreter(id),
            "{}: the scenario names interpreter `{id}`, who is not in the event",
            path.display()
        );
    }
    for handover in &scenario.handovers {
        let known = event
            .channel(&handover.channel)
            .is_some_and(|c| c.interpreters.iter().any(|i| i.id == handover.to));
        anyhow::ensure!(
            known,
            "{}: a handover to `{}` on channel `{}`, who is not in that team",
            path.display(),
            handover.to,
            handover.channel
        );
    }
    Ok(event)
}

fn load_utterance(u: &allverse_core::scenario::Utterance, for_captions: bool) -> Result<LoadedUtterance> {
    let reader = hound::WavReader::open(&u.audio)
        .with_context(|| format!("{} is not a readable WAV file", u.audio.display()))?;
    let spec = reader.spec();
    let duration_s = reader.duration() as f32 / spec.sample_rate as f32;
    let samples_16k = if for_captions {
        Some(std::sync::Arc::new(allverse_captions::audio::read_wav_16k_mono(&u.audio)?))
    } else {
        None
    };
    let samples_48k = std::sync::Arc::new(crate::audio::read_wav_48k_mono(&u.audio)?);
    Ok(LoadedUtterance { audio: u.audio.clone(), at_s: u.at_s, duration_s, samples_16k, samples_48k })
}

/// Session time. The simulator steps it one frame at a time; interactive
/// backends advance it by wall-clock time.
#[derive(Resource, Clone, Copy, Debug)]
pub struct SessionClock {
    elapsed_s: f64,
    /// Where the last step started; −∞ until the first step, so that
    /// events at exactly 0 fire on it.
    previous_s: f64,
    started: bool,
}

impl Default for SessionClock {
    /// Before the first step; [`SessionClock::step_to`] starts it.
    fn default() -> Self {
        Self { elapsed_s: 0.0, previous_s: f64::NEG_INFINITY, started: false }
    }
}

impl SessionClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn elapsed_s(&self) -> f32 {
        self.elapsed_s as f32
    }

    /// Length of the last step; zero before the second.
    pub fn step_s(&self) -> f32 {
        if self.previous_s.is_finite() { (self.elapsed_s - self.previous_s) as f32 } else { 0.0 }
    }

    /// Moves the clock to `t_s`; events in (previous, t_s] fire on the next update.
    pub fn step_to(&mut self, t_s: f64) {
        if self.started {
            self.previous_s = self.elapsed_s;
        }
        self.started = true;
        self.elapsed_s = t_s;
    }

    /// True for an event at `at_s` that became due in the last step.
    pub(crate) fn is_due(&self, at_s: f32) -> bool {
        // Compare at the precision event times are written in, so that an
        // event at 0.1 s fires on the frame whose time rounds to 0.1 s.
        at_s > self.previous_s as f32 && at_s <= self.elapsed_s as f32
    }
}

/// Words the captions committed for a person; speech reads them aloud on request.
#[derive(Message, Clone, Debug)]
pub struct CaptionCommitted {
    /// Index of the person in the scenario.
    pub person: usize,
    pub text: String,
}

/// Asks the backend to capture the user's view now.
#[derive(Message, Clone, Debug)]
pub struct CaptureRequested {
    pub name: String,
}

pub struct SessionPlugin {
    config: SessionConfig,
    stepped: bool,
    display_pixels_per_degree: f32,
}

impl SessionPlugin {
    /// For the simulator: the caller steps [`SessionClock`] and the scenario drives the rig.
    pub fn stepped(config: SessionConfig, display_pixels_per_degree: f32) -> Self {
        Self { config, stepped: true, display_pixels_per_degree }
    }

    /// For interactive backends: wall-clock time, live rig.
    pub fn realtime(config: SessionConfig, display_pixels_per_degree: f32) -> Self {
        Self { config, stepped: false, display_pixels_per_degree }
    }
}

impl Plugin for SessionPlugin {
    fn build(&self, app: &mut App) {
        let config = self.config.clone();
        let scenario = &config.scenario;
        let report = SessionReport {
            scenario: scenario.name.clone(),
            backend: config.backend_name.clone(),
            duration_s: scenario.duration_s,
            frame_rate_hz: scenario.frame_rate_hz,
            people: scenario
                .event()
                .speakers
                .into_iter()
                .map(|p| PersonEntry { id: p.id, name: p.name, position_m: p.head_position_m.to_array() })
                .collect(),
            notices: config.notices.clone(),
            ..default()
        };
        app.insert_resource(PanelAppearance::from_profile(&config.profile, self.display_pixels_per_degree))
            .insert_resource(SessionClock::new())
            .insert_resource(Rig { reach_extension_m: config.profile.comfort.reach_extension_m, ..default() })
            .insert_resource(report)
            .insert_resource(GlobalAmbientLight { brightness: 250.0, ..default() })
            .insert_resource(config)
            .add_message::<CaptureRequested>()
            .add_message::<CaptionCommitted>()
            .add_plugins((PanelPlugin, NoticePlugin))
            .add_systems(Startup, (spawn_scene, spawn_rig_parts))
            .add_systems(Update, (run_timeline, follow_rig).chain().in_set(SessionSystems))
            .add_plugins(crate::input::InputPlugin { listen: !self.stepped })
            .add_plugins(crate::interpret::InterpretPlugin { stepped: self.stepped })
            .add_plugins(crate::captions::CaptionPlugin { stepped: self.stepped })
            .add_plugins(crate::audio::AudioPlugin { stepped: self.stepped });
        if self.stepped {
            // The simulator's rig follows the scenario's head, hand and gaze keys.
            app.add_systems(Update, drive_rig_from_scenario.before(run_timeline));
        } else {
            // Interactive backends move the rig from live input or tracking.
            app.add_systems(First, advance_realtime_clock);
        }
    }
}

fn spawn_scene(
    config: Res<SessionConfig>,
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    scene::spawn_room(&config.scenario, &mut commands, &mut meshes, &mut materials);
    scene::spawn_people(&config.scenario, &mut commands, &mut meshes, &mut materials);
}

/// Wall-clock time, not Bevy's virtual time: virtual time clamps slow frames
/// to 250 ms, and captions must stay in step with live speech even when
/// frames are dropped.
fn advance_realtime_clock(time: Res<Time<Real>>, mut clock: ResMut<SessionClock>) {
    let next = clock.elapsed_s + time.delta_secs_f64();
    clock.step_to(next);
}

fn drive_rig_from_scenario(
    config: Res<SessionConfig>,
    clock: Res<SessionClock>,
    mut rig: ResMut<Rig>,
    panels: Query<(&TextPanel, &GlobalTransform)>,
) {
    let scenario = &config.scenario;
    let t = clock.elapsed_s();
    let head = scenario.head_at(t);
    let height_offset = Vec3::Y * config.profile.comfort.height_offset_m;
    rig.set_tracked_head(transform_from_yaw_pitch(
        head.position_m + height_offset,
        head.yaw_deg,
        head.pitch_deg,
    ));
    let hand = |h: Hand| {
        let pose = scenario.controller_at(h, t);
        transform_from_yaw_pitch(pose.position_m, pose.yaw_deg, pose.pitch_deg)
    };
    rig.left_hand_from_head = hand(Hand::Left);
    rig.right_hand_from_head = hand(Hand::Right);
    let gaze = scenario.gaze_at(t);
    rig.gaze_yaw_deg = gaze.yaw_deg;
    rig.gaze_pitch_deg = gaze.pitch_deg;
    // A scripted `gaze` input rests the eyes on a panel until the next one.
    let looking = scenario
        .inputs
        .iter()
        .filter(|i| i.device == "gaze" && i.at_s <= t)
        .max_by(|a, b| a.at_s.total_cmp(&b.at_s));
    if let Some((_, at)) = looking.and_then(|look| panels.iter().find(|(panel, _)| panel.id == look.input)) {
        rig.look_at(at.translation());
    }
}

fn run_timeline(
    mut commands: Commands,
    config: Res<SessionConfig>,
    clock: Res<SessionClock>,
    mut report: ResMut<SessionReport>,
    mut captures: MessageWriter<CaptureRequested>,
) {
    let scenario = &config.scenario;
    let t_s = clock.elapsed_s();
    for panel in scenario.panels.iter().filter(|p| clock.is_due(p.at_s)) {
        commands.spawn((
            TextPanel::single(panel.id.clone(), PanelKind::Sign, panel.text.clone(), false),
            Transform::from_translation(panel.position_m),
        ));
    }
    for (person_index, utterances) in config.speech.iter().enumerate() {
        let person = &scenario.people[person_index];
        for utterance in utterances.iter().filter(|u| clock.is_due(u.at_s)) {
            report.record(
                t_s,
                PresentedEvent::SpeechStarted {
                    person: person.id.clone(),
                    audio: utterance.audio.clone(),
                    duration_s: utterance.duration_s,
                    position_m: person.position_m.to_array(),
                },
            );
        }
        for utterance in utterances.iter().filter(|u| clock.is_due(u.at_s + u.duration_s)) {
            report.record(
                t_s,
                PresentedEvent::SpeechEnded { person: person.id.clone(), audio: utterance.audio.clone() },
            );
        }
    }
    for input in scenario.inputs.iter().filter(|i| clock.is_due(i.at_s)) {
        report
            .record(t_s, PresentedEvent::Input { device: input.device.clone(), input: input.input.clone() });
    }
    for checkpoint in scenario.checkpoints.iter().filter(|c| clock.is_due(c.at_s)) {
        report.record(t_s, PresentedEvent::Capture { name: checkpoint.capture.clone() });
        captures.write(CaptureRequested { name: checkpoint.capture.clone() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_fire_once_in_the_step_that_reaches_them() {
        let mut clock = SessionClock::new();
        clock.step_to(0.0);
        assert!(clock.is_due(0.0), "events at 0 fire on the first step");
        assert!(!clock.is_due(0.02));
        clock.step_to(1.0 / 30.0);
        assert!(!clock.is_due(0.0), "and never again");
        assert!(clock.is_due(0.02) && clock.is_due(1.0 / 30.0));
        clock.step_to(2.0 / 30.0);
        assert!(!clock.is_due(1.0 / 30.0));
    }

    #[test]
    fn a_realtime_first_step_covers_time_zero() {
        let mut clock = SessionClock::new();
        clock.step_to(0.016);
        assert!(clock.is_due(0.0) && clock.is_due(0.01));
    }
}
