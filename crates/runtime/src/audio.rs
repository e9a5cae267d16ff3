//! Sound in the session: people's voices, chat, alerts and captions read aloud, each heard from where it is.
//!
//! [`AudioPlugin`] owns one audio engine for the listener. People's
//! recordings play from their heads; with the `espeak` feature, text chat
//! is spoken from the sender's avatar, alerts from their source, and
//! captions on request (the `T` key) or as they are committed
//! (`speech.read_captions`). The listener's head pose follows the rig every
//! frame, so sounds stay put in the room as the head turns.
//!
//! Interactive backends play through the audio device; without one, the
//! engine is still driven by the clock (so speech queues keep moving) and a
//! notice says sound is off. The simulator renders the session offline in
//! step with its clock and writes it as `audio.wav` beside the report.

use crate::report::SessionReport;
use crate::rig::Rig;
use crate::session::{SessionClock, SessionConfig, SessionSystems};
use allverse_pipeline::audio::{
    self, AudioControl, Bus, EngineConfig, MixSettings, Placement, Pose, Renderer, SAMPLE_RATE_HZ, VoiceFeed,
};
use bevy::prelude::*;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Reads a recording for the engine: mono at 48 kHz.
pub fn read_wav_48k_mono(path: &Path) -> Result<Vec<f32>, audio::wav::WavError> {
    audio::wav::read_wav_mono(path, SAMPLE_RATE_HZ)
}

pub struct AudioPlugin {
    pub stepped: bool,
}

/// Where rendered audio goes.
enum Output {
    /// Playing until dropped.
    Device { _stream: audio::device::DeviceOutput },
    /// Rendered on the main thread by session time; kept when `recording`.
    Offline { renderer: Box<Renderer>, recording: Option<Vec<f32>> },
}

/// A recording being handed to its voice a little ahead of playback.
struct Clip {
    feed: VoiceFeed,
    samples: Arc<Vec<f32>>,
    written: usize,
}

/// Non-send: the device stream is not `Send` on every platform.
pub(crate) struct SessionAudio {
    pub(crate) control: AudioControl,
    output: Output,
    clips: Vec<Clip>,
    /// Session frames owed to the offline renderer (fractions carry over).
    frames_owed: f64,
    #[cfg(feature = "speech")]
    speech: Option<speech::SessionSpeech>,
}

impl Plugin for AudioPlugin {
    fn build(&self, app: &mut App) {
        let config = app.world().resource::<SessionConfig>().clone();
        let (control, renderer) = audio::engine(EngineConfig::default(), config.spatializer.clone());
        let output = if self.stepped {
            Output::Offline { renderer: Box::new(renderer), recording: Some(Vec::new()) }
        } else {
            match audio::device::open_default(renderer) {
                Ok(device) => Output::Device { _stream: device },
                Err(error) => {
                    let notice = format!("Sound is off: {error}.");
                    app.world_mut().resource_mut::<SessionConfig>().notices.push(notice.clone());
                    app.world_mut().resource_mut::<SessionReport>().notices.push(notice);
                    // A fresh engine, rendered silently on the clock, so that
                    // speech still moves through its queue.
                    let (control, renderer) =
                        audio::engine(EngineConfig::default(), config.spatializer.clone());
                    return self.finish(
                        app,
                        &config,
                        control,
                        Output::Offline { renderer: Box::new(renderer), recording: None },
                    );
                }
            }
        };
        self.finish(app, &config, control, output);
    }
}

impl AudioPlugin {
    fn finish(&self, app: &mut App, config: &SessionConfig, mut control: AudioControl, output: Output) {
        let settings = &config.profile.audio;
        control.set_mix(MixSettings {
            speech_volume: settings.speech_volume * settings.master_volume,
            scene_volume: settings.scene_volume * settings.master_volume,
            balance: settings.balance,
            mono: settings.mono,
        });
        app.insert_non_send(SessionAudio {
            control,
            output,
            clips: Vec::new(),
            frames_owed: 0.0,
            #[cfg(feature = "speech")]
            speech: speech::SessionSpeech::new(config),
        })
        .add_systems(Update, (start_recordings, render).chain().after(SessionSystems));
        #[cfg(feature = "speech")]
        app.add_systems(
            Update,
            (speech::speak_timeline, speech::announce_focused_panels)
                .after(crate::input::InputSystems::Dispatch)
                .before(render),
        );
    }
}

/// Starts each person's recording from their head when it is due.
fn start_recordings(
    config: Res<SessionConfig>,
    clock: Res<SessionClock>,
    mut audio: NonSendMut<SessionAudio>,
) {
    for (person, utterances) in config.scenario.people.iter().zip(&config.speech) {
        for utterance in utterances.iter().filter(|u| clock.is_due(u.at_s)) {
            match audio.control.play(Bus::Scene, Placement::World(person.position_m), 1.0) {
                Ok(feed) => {
                    audio.clips.push(Clip { feed, samples: utterance.samples_48k.clone(), written: 0 })
                }
                Err(error) => warn!("{} is not heard: {error}", utterance.audio.display()),
            }
        }
    }
}

/// Feeds recordings, follows the head, moves speech along and renders this step's audio.
fn render(
    clock: Res<SessionClock>,
    rig: Res<Rig>,
    mut audio: NonSendMut<SessionAudio>,
    mut report: ResMut<SessionReport>,
) {
    let audio = &mut *audio;
    audio.control.set_head_pose(Pose { position: rig.head.translation, orientation: rig.head.rotation });
    audio.clips.retain_mut(|clip| {
        clip.written += clip.feed.write(&clip.samples[clip.written..]);
        clip.written < clip.samples.len() // dropping the feed ends the voice
    });
    #[cfg(feature = "speech")]
    if let Some(speech) = &mut audio.speech {
        speech.update(&mut audio.control, &clock, &rig, &mut report);
    }
    #[cfg(not(feature = "speech"))]
    let _ = &mut report;
    if let Output::Offline { renderer, recording } = &mut audio.output {
        audio.frames_owed += f64::from(clock.step_s()) * f64::from(SAMPLE_RATE_HZ);
        let frames = audio.frames_owed.floor() as usize;
        audio.frames_owed -= frames as f64;
        if recording.is_some() {
            // The simulator outruns real time; let speech synthesis keep up so
            // the recording has no gaps (and is the same on every run).
            // A step can start a new engine block, which reads a block ahead.
            audio.control.wait_for_producers(frames + audio::BLOCK_FRAMES, Duration::from_secs(2));
        }
        let mut scratch = Vec::new();
        let out = recording.as_mut().unwrap_or(&mut scratch);
        audio::offline::render_into(renderer, frames, out);
    }
}

/// Writes the session's binaural audio (simulator only); returns its length in seconds.
pub fn write_recording(world: &World, path: &Path) -> anyhow::Result<Option<f32>> {
    let Some(audio) = world.get_non_send::<SessionAudio>() else { return Ok(None) };
    let Output::Offline { recording: Some(samples), .. } = &audio.output else { return Ok(None) };
    audio::wav::write_stereo_wav(path, samples)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(Some(samples.len() as f32 / 2.0 / SAMPLE_RATE_HZ as f32))
}

#[cfg(feature = "speech")]
pub use speech::SpeechSetup;

#[cfg(feature = "speech")]
mod speech {
    //! Spoken output in the session: chat, alerts and captions through the speaker.

    use super::*;
    use crate::input::{ActionRequested, Announce};
    use crate::report::{PanelKind, PresentedEvent};
    use crate::session::CaptionCommitted;
    use allverse_core::input::Action;
    use allverse_pipeline::audio::azimuth_elevation_deg;
    #[cfg(feature = "espeak")]
    use allverse_voice::{Espeak, VoiceParams};
    use allverse_voice::{Speaker, SpeechKind, Synthesizer, Utterance};

    /// A panel is focused when the gaze passes this close to its centre…
    const FOCUS_CONE_DEG: f32 = 3.0;
    /// …and stays this long, so sweeping the eyes across a room does not chatter.
    const FOCUS_DWELL_S: f32 = 0.5;

    /// The synthesizer a session speaks with, checked before it starts.
    #[derive(Clone, Debug)]
    pub enum SpeechSetup {
        /// espeak-ng with the profile's voice, placed in space.
        #[cfg(feature = "espeak")]
        Espeak { espeak: Espeak, params: VoiceParams },
        /// The system voice, heard from straight ahead.
        #[cfg(feature = "system-voice")]
        System,
    }

    impl SpeechSetup {
        /// espeak-ng with the profile's voice, else the system voice; what
        /// the user should know (a fallback, no speech at all) becomes a notice.
        #[cfg_attr(not(feature = "espeak"), allow(unused_variables))]
        pub fn from_profile(
            profile: &allverse_core::profile::Profile,
            notices: &mut Vec<String>,
        ) -> Option<Self> {
            let mut problems: Vec<String> = Vec::new();
            #[cfg(feature = "espeak")]
            match Espeak::shared() {
                Ok(espeak) => {
                    let mut params = VoiceParams::from(&profile.speech);
                    if !espeak.voices().iter().any(|v| v.eq_ignore_ascii_case(&params.voice)) {
                        notices.push(format!(
                            "There is no speech voice called `{}`; speaking with `en` instead.",
                            params.voice
                        ));
                        params.voice = "en".into();
                    }
                    return Some(Self::Espeak { espeak, params });
                }
                Err(error) => problems.push(error.to_string()),
            }
            #[cfg(feature = "system-voice")]
            match allverse_voice::system::SystemVoice::open() {
                Ok(_) => {
                    notices.push(
                        "Speech comes from the system voice, which cannot be placed in space: everything is heard from straight ahead."
                            .into(),
                    );
                    return Some(Self::System);
                }
                Err(error) => problems.push(error.to_string()),
            }
            notices.push(format!("Spoken output is off: {}.", problems.join("; ")));
            None
        }

        fn synthesizer(self) -> Option<Synthesizer> {
            match self {
                #[cfg(feature = "espeak")]
                Self::Espeak { espeak, params } => Some(Synthesizer::Espeak { espeak, params }),
                #[cfg(feature = "system-voice")]
                Self::System => allverse_voice::system::SystemVoice::open().ok().map(Synthesizer::System),
            }
        }
    }

    pub(super) struct SessionSpeech {
        speaker: Speaker,
        reported: usize,
        /// The latest caption turn, (person index, text), for reading aloud on request.
        last_caption: Option<(usize, String)>,
    }

    impl SessionSpeech {
        pub(super) fn new(config: &SessionConfig) -> Option<Self> {
            let speaker = Speaker::new(config.voice.clone()?.synthesizer()?).ok()?;
            Some(Self { speaker, reported: 0, last_caption: None })
        }

        /// Moves the queue along and records newly started speech in the report.
        pub(super) fn update(
            &mut self,
            control: &mut AudioControl,
            clock: &SessionClock,
            rig: &Rig,
            report: &mut SessionReport,
        ) {
            self.speaker.update(control, f64::from(clock.elapsed_s()));
            let head = Pose { position: rig.head.translation, orientation: rig.head.rotation };
            for spoken in &self.speaker.spoken()[self.reported..] {
                let position = match spoken.placement {
                    Placement::World(point) => point,
                    Placement::Head(point) => head.position + head.orientation * point,
                };
                let (azimuth_deg, _) = azimuth_elevation_deg(head.head_from(spoken.placement));
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
            self.reported = self.speaker.spoken().len();
        }

        fn say(
            &mut self,
            control: &mut AudioControl,
            now_s: f32,
            kind: SpeechKind,
            text: &str,
            source: &str,
            from: Vec3,
        ) {
            let utterance = Utterance {
                text: text.into(),
                kind,
                placement: Placement::World(from),
                source: source.into(),
            };
            if let Err(error) = self.speaker.say(utterance, control, f64::from(now_s)) {
                warn!("cannot say {text:?}: {error}");
            }
        }
    }

    /// Which panel the gaze rests on, since when, and whether it was announced.
    #[derive(Default)]
    pub(super) struct PanelFocus {
        panel: Option<Entity>,
        since_s: f32,
        announced: bool,
    }

    /// The screen reader for panels: a sign, name tag or notice the user's
    /// gaze rests on is read aloud from where it is. Input methods that move
    /// focus without the eyes (switches, gamepads) will use the same path.
    pub(super) fn announce_focused_panels(
        clock: Res<SessionClock>,
        rig: Res<Rig>,
        panels: Query<(Entity, &crate::panels::TextPanel, &GlobalTransform)>,
        mut focus: Local<PanelFocus>,
        mut audio: NonSendMut<SessionAudio>,
    ) {
        let audio = &mut *audio;
        let Some(speech) = &mut audio.speech else { return };
        let t_s = clock.elapsed_s();
        let (eye, gaze) = (rig.head.translation, rig.gaze_direction());
        let focused = panels
            .iter()
            // Captions are heard already; menus announce their own focus.
            .filter(|(_, panel, _)| !matches!(panel.kind, PanelKind::Caption | PanelKind::Menu))
            .map(|(entity, _, transform)| {
                (entity, gaze.angle_between(transform.translation() - eye).to_degrees())
            })
            .filter(|(_, angle_deg)| *angle_deg <= FOCUS_CONE_DEG)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(entity, _)| entity);
        if focused != focus.panel {
            *focus = PanelFocus { panel: focused, since_s: t_s, announced: false };
        }
        if focus.announced || t_s - focus.since_s < FOCUS_DWELL_S {
            return;
        }
        let Some((_, panel, transform)) = focus.panel.and_then(|entity| panels.get(entity).ok()) else {
            return;
        };
        focus.announced = true;
        let text = panel.text().replace('\n', ". ");
        speech.say(
            &mut audio.control,
            t_s,
            SpeechKind::Announcement,
            &text,
            &panel.id,
            transform.translation(),
        );
    }

    fn kind_name(kind: SpeechKind) -> &'static str {
        match kind {
            SpeechKind::Alert => "alert",
            SpeechKind::Announcement => "announcement",
            SpeechKind::Chat => "chat",
            SpeechKind::Caption => "caption",
        }
    }

    /// Speaks the scenario's chat and alerts, captions and menus when asked,
    /// and stops when asked.
    pub(super) fn speak_timeline(
        config: Res<SessionConfig>,
        clock: Res<SessionClock>,
        mut committed: MessageReader<CaptionCommitted>,
        mut actions: MessageReader<ActionRequested>,
        mut announcements: MessageReader<Announce>,
        mut audio: NonSendMut<SessionAudio>,
    ) {
        let audio = &mut *audio;
        let Some(speech) = &mut audio.speech else { return };
        let scenario = &config.scenario;
        let t_s = clock.elapsed_s();
        let person_position = |id: &str| scenario.people.iter().find(|p| p.id == id).map(|p| p.position_m);
        for alert in scenario.alerts.iter().filter(|a| clock.is_due(a.at_s)) {
            speech.say(
                &mut audio.control,
                t_s,
                SpeechKind::Alert,
                &alert.text,
                &alert.source,
                alert.position_m,
            );
        }
        if config.profile.speech.read_chat {
            for message in scenario.chat.iter().filter(|m| clock.is_due(m.at_s)) {
                let from = person_position(&message.from).unwrap_or(Vec3::ZERO);
                speech.say(&mut audio.control, t_s, SpeechKind::Chat, &message.text, &message.from, from);
            }
        }
        for caption in committed.read() {
            match &mut speech.last_caption {
                Some((person, turn)) if *person == caption.person => {
                    turn.push(' ');
                    turn.push_str(&caption.text);
                }
                _ => speech.last_caption = Some((caption.person, caption.text.clone())),
            }
            if config.profile.speech.read_captions {
                let person = &scenario.people[caption.person];
                speech.say(
                    &mut audio.control,
                    t_s,
                    SpeechKind::Caption,
                    &caption.text,
                    &person.id,
                    person.position_m,
                );
            }
        }
        for action in actions.read() {
            match action.action {
                Action::StopSpeech => speech.speaker.stop_all(&mut audio.control),
                Action::RepeatLastCaption => {
                    if let Some((person, turn)) = speech.last_caption.clone() {
                        let person = &scenario.people[person];
                        speech.say(
                            &mut audio.control,
                            t_s,
                            SpeechKind::Caption,
                            &turn,
                            &person.id,
                            person.position_m,
                        );
                    }
                }
                _ => {}
            }
        }
        for announcement in announcements.read() {
            speech.say(
                &mut audio.control,
                t_s,
                SpeechKind::Announcement,
                &announcement.text,
                &announcement.source,
                announcement.position_m,
            );
        }
    }
}
