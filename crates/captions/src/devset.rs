//! The captions development set: real speech that nobody tuned on.
//!
//! `assets/devset/manifest.toml` lists each recording, where it came from,
//! its licence and its reference transcript; `cargo xtask devset` fetches
//! the recordings into `~/.cache/allverse/devset/`. Tests and the captions
//! bench read them through this module.

use crate::audio_in::{self, AudioError};
use serde::Deserialize;
use std::path::PathBuf;

/// The manifest, in the workspace this crate was built from.
pub const MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/devset/manifest.toml");

/// One recording of the set.
#[derive(Clone, Debug, Deserialize)]
pub struct Recording {
    pub id: String,
    /// Who speaks: recordings with the same voice share a speaker.
    pub voice: String,
    /// What makes it hard, in the manifest's words (`telephone-8khz`, …).
    pub conditions: Vec<String>,
    /// What was said, as the source transcribed it.
    pub reference: String,
}

#[derive(Deserialize)]
struct Manifest {
    recording: Vec<Recording>,
}

#[derive(Debug, thiserror::Error)]
pub enum DevsetError {
    #[error("could not read the development set's manifest {MANIFEST}: {0}")]
    Manifest(String),
    #[error("no cache directory on this system for the development set")]
    NoCache,
    #[error("{0}; run `cargo xtask devset` to fetch the development set")]
    Audio(#[from] AudioError),
}

/// Every recording the manifest lists, in its order.
pub fn recordings() -> Result<Vec<Recording>, DevsetError> {
    let text = std::fs::read_to_string(MANIFEST).map_err(|e| DevsetError::Manifest(e.to_string()))?;
    let manifest: Manifest = toml::from_str(&text).map_err(|e| DevsetError::Manifest(e.to_string()))?;
    Ok(manifest.recording)
}

/// The recording with this id.
pub fn recording(id: &str) -> Result<Recording, DevsetError> {
    recordings()?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| DevsetError::Manifest(format!("no recording `{id}`")))
}

impl Recording {
    /// Where `cargo xtask devset` put it.
    pub fn path(&self) -> Result<PathBuf, DevsetError> {
        let dir = allverse_core::paths::cache_dir().ok_or(DevsetError::NoCache)?;
        Ok(dir.join("devset").join(format!("{}.wav", self.id)))
    }

    /// The recording as 16 kHz mono.
    pub fn audio(&self) -> Result<Vec<f32>, DevsetError> {
        Ok(audio_in::read_wav_16k_mono(&self.path()?)?)
    }
}
