//! What a session is made of: the scenario and its recordings, the user's profile as it stands, and how time passes.

use allverse_core::profile::Profile;
use allverse_core::scenario::{Scenario, Utterance};
use allverse_pipeline::audio::file::{self, FileError};
use allverse_pipeline::audio::resample::ToMono;
use anyhow::Result;
use bevy::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;

/// The scenario and its recordings, read and checked before the session starts; never changed after.
#[derive(Resource, Clone, Debug)]
pub struct SessionConfig {
    pub scenario: Scenario,
    /// One entry per person, one per utterance, in scenario order.
    pub recordings: Vec<Vec<Recording>>,
    pub backend_name: String,
}

impl SessionConfig {
    /// Reads every person's recordings; a file with no usable audio is an
    /// error that names it, and what was wrong with a file that could still
    /// be read (a cut-off end, samples that were not numbers) is added to `notices`.
    pub fn new(scenario: Scenario, backend_name: &str, notices: &mut Vec<String>) -> Result<Self> {
        let recordings = scenario
            .people
            .iter()
            .map(|person| person.speech.iter().map(|u| Recording::load(u, notices)).collect())
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { scenario, recordings, backend_name: backend_name.into() })
    }
}

/// Frames converted at a time when a recording is resampled, as the file decoder does.
const RESAMPLER_CHUNK_FRAMES: usize = 1024;

/// One utterance's recording, decoded once at its own rate.
#[derive(Clone, Debug)]
pub struct Recording {
    pub audio: PathBuf,
    pub at_s: f32,
    pub duration_s: f32,
    /// Mono, at `rate_hz`.
    samples: Arc<Vec<f32>>,
    rate_hz: u32,
}

impl Recording {
    fn load(utterance: &Utterance, notices: &mut Vec<String>) -> Result<Self> {
        let path = &utterance.audio;
        let decoded = file::decode_mono_as_recorded(path)?;
        notices.extend(decoded.notices);
        let rate_hz = decoded.rate_hz;
        let duration_s = decoded.samples.len() as f32 / rate_hz as f32;
        Ok(Self {
            audio: path.clone(),
            at_s: utterance.at_s,
            duration_s,
            samples: Arc::new(decoded.samples),
            rate_hz,
        })
    }

    /// The recording as mono at `rate_hz`: shared when that is its own rate,
    /// resampled otherwise (the engine wants 48 kHz, speech recognition 16 kHz).
    pub fn at_rate(&self, rate_hz: u32) -> Result<Arc<Vec<f32>>, FileError> {
        if rate_hz == self.rate_hz {
            return Ok(self.samples.clone());
        }
        let mut converter = ToMono::new(self.rate_hz, 1, rate_hz, RESAMPLER_CHUNK_FRAMES)?;
        let mut out =
            Vec::with_capacity(self.samples.len() * rate_hz as usize / self.rate_hz as usize + 1024);
        converter.push(&self.samples, &mut out);
        converter.finish(&mut out);
        Ok(Arc::new(out))
    }
}

/// The user's profile as it stands: settings changed in the menus apply
/// here at once, and are saved to `store` when there is one.
#[derive(Resource, Clone, Debug)]
pub struct UserProfile {
    pub profile: Profile,
    /// Where changed settings are saved; `None` keeps them to this session.
    pub store: Option<PathBuf>,
}

/// How session time passes, which decides how features run: the simulator
/// steps time and plays the scenario's scripted side; interactive backends
/// follow the wall clock and live devices.
#[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pacing {
    Stepped,
    Realtime,
}

/// Run condition: the session is stepped by the simulator.
pub fn stepped(pacing: Res<Pacing>) -> bool {
    *pacing == Pacing::Stepped
}

/// Run condition: the session follows the wall clock.
pub fn realtime(pacing: Res<Pacing>) -> bool {
    *pacing == Pacing::Realtime
}
