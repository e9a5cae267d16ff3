//! The listener's audio engine: people's recordings from where they stand, head-tracked, to the device or to a file.
//!
//! [`AudioEnginePlugin`] owns one engine for the listener. People's
//! recordings play from their heads, and the listener's head pose follows
//! the rig every frame, so sounds stay put in the room as the head turns.
//! Other features play through the same engine ([`AudioEngine::control`]):
//! speech, and the interpreter's voice.
//!
//! Interactive backends play through the audio device; without one, the
//! engine is still driven by the clock (so speech queues keep moving) and a
//! notice says sound is off. The simulator renders the session offline in
//! step with its clock and writes it as `audio.wav` beside the report.

use crate::rig::Rig;
use crate::session::{Pacing, SessionClock, SessionConfig, SessionReport, SessionSystems, UserProfile};
use allverse_pipeline::audio::{
    self, AudioControl, Bus, EngineConfig, MixSettings, Placement, Pose, Renderer, SAMPLE_RATE_HZ,
    Spatializer, VoiceFeed,
};
use bevy::prelude::*;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The listener's engine, heard through `spatializer`.
pub struct AudioEnginePlugin {
    pub spatializer: Spatializer,
}

/// The engine's per-frame work; whatever plays into it this frame runs before [`AudioSystems::Render`].
#[derive(SystemSet, Clone, Debug, PartialEq, Eq, Hash)]
pub enum AudioSystems {
    Render,
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

/// The engine and what plays in it. Non-send: the device stream is not `Send` on every platform.
pub struct AudioEngine {
    /// Starts, moves and stops voices; mixes.
    pub control: AudioControl,
    output: Output,
    /// Each person's recordings at the engine's rate, in scenario order.
    recordings: Vec<Vec<Arc<Vec<f32>>>>,
    clips: Vec<Clip>,
    /// Session frames owed to the offline renderer (fractions carry over).
    frames_owed: f64,
    /// The mix the profile asks for, before any ducking.
    mix: MixSettings,
}

impl Plugin for AudioEnginePlugin {
    fn build(&self, app: &mut App) {
        let (control, renderer) = audio::engine(EngineConfig::default(), self.spatializer.clone());
        let (control, output) = if *app.world().resource::<Pacing>() == Pacing::Stepped {
            (control, Output::Offline { renderer: Box::new(renderer), recording: Some(Vec::new()) })
        } else {
            match audio::device::open_default(renderer) {
                Ok(device) => (control, Output::Device { _stream: device }),
                Err(error) => {
                    app.world_mut().resource_mut::<SessionReport>().notice(format!("Sound is off: {error}."));
                    // A fresh engine, rendered silently on the clock, so that
                    // speech still moves through its queue.
                    let (control, renderer) =
                        audio::engine(EngineConfig::default(), self.spatializer.clone());
                    (control, Output::Offline { renderer: Box::new(renderer), recording: None })
                }
            }
        };
        let engine = AudioEngine::new(app, control, output);
        app.insert_non_send(engine)
            .configure_sets(Update, AudioSystems::Render.after(SessionSystems))
            .add_systems(Update, (start_recordings, render).chain().in_set(AudioSystems::Render));
    }
}

impl AudioEngine {
    fn new(app: &mut App, mut control: AudioControl, output: Output) -> Self {
        let settings = &app.world().resource::<UserProfile>().profile.audio;
        let mix = MixSettings {
            speech_volume: settings.speech_volume * settings.master_volume,
            scene_volume: settings.scene_volume * settings.master_volume,
            balance: settings.balance,
            mono: settings.mono,
        };
        control.set_mix(mix);
        let config = app.world().resource::<SessionConfig>().clone();
        let mut unheard = Vec::new();
        let recordings = config
            .recordings
            .iter()
            .map(|recordings| {
                recordings
                    .iter()
                    .map(|r| {
                        r.at_rate(SAMPLE_RATE_HZ).unwrap_or_else(|error| {
                            unheard.push(format!("{} is not heard: {error}.", r.audio.display()));
                            Arc::default()
                        })
                    })
                    .collect()
            })
            .collect();
        let mut report = app.world_mut().resource_mut::<SessionReport>();
        unheard.into_iter().for_each(|notice| report.notice(notice));
        Self { control, output, recordings, clips: Vec::new(), frames_owed: 0.0, mix }
    }

    /// Lowers everything but speech to `gain` of the profile's level (1 restores it), so an alarm is heard over the session.
    pub fn duck_scene(&mut self, gain: f32) {
        self.control.set_mix(MixSettings { scene_volume: self.mix.scene_volume * gain, ..self.mix });
    }
}

/// Starts each person's recording from their head when it is due.
fn start_recordings(
    config: Res<SessionConfig>,
    clock: Res<SessionClock>,
    mut engine: NonSendMut<AudioEngine>,
) {
    let engine = &mut *engine;
    let people = config.scenario.people.iter().zip(&config.recordings).zip(&engine.recordings);
    for ((person, recordings), samples) in people {
        for (recording, samples) in recordings.iter().zip(samples).filter(|(r, _)| clock.is_due(r.at_s)) {
            match engine.control.play(Bus::Scene, Placement::World(person.position_m), 1.0) {
                Ok(feed) => engine.clips.push(Clip { feed, samples: samples.clone(), written: 0 }),
                Err(error) => warn!("{} is not heard: {error}", recording.audio.display()),
            }
        }
    }
}

/// Feeds recordings, follows the head and renders this step's audio.
fn render(clock: Res<SessionClock>, rig: Res<Rig>, mut engine: NonSendMut<AudioEngine>) {
    let engine = &mut *engine;
    engine.control.set_head_pose(Pose { position: rig.head.translation, orientation: rig.head.rotation });
    engine.clips.retain_mut(|clip| {
        clip.written += clip.feed.write(&clip.samples[clip.written..]);
        clip.written < clip.samples.len() // dropping the feed ends the voice
    });
    if let Output::Offline { renderer, recording } = &mut engine.output {
        engine.frames_owed += f64::from(clock.step_s()) * f64::from(SAMPLE_RATE_HZ);
        let frames = engine.frames_owed.floor() as usize;
        engine.frames_owed -= frames as f64;
        if recording.is_some() {
            // The simulator outruns real time; let speech synthesis keep up so
            // the recording has no gaps (and is the same on every run).
            // A step can start a new engine block, which reads a block ahead.
            engine.control.wait_for_producers(frames + audio::BLOCK_FRAMES, Duration::from_secs(2));
        }
        let mut scratch = Vec::new();
        let out = recording.as_mut().unwrap_or(&mut scratch);
        audio::offline::render_into(renderer, frames, out);
    }
}

/// Writes the session's binaural audio (simulator only); returns its length in seconds.
pub fn write_recording(world: &World, path: &Path) -> anyhow::Result<Option<f32>> {
    let Some(engine) = world.get_non_send::<AudioEngine>() else { return Ok(None) };
    let Output::Offline { recording: Some(samples), .. } = &engine.output else { return Ok(None) };
    audio::wav::write_stereo_wav(path, samples)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(Some(samples.len() as f32 / 2.0 / SAMPLE_RATE_HZ as f32))
}
