//! Real recordings and the real model for tests.

use std::path::PathBuf;

pub const CLIPS: [&str; 5] = ["0870", "0880", "0890", "0920", "0930"];

pub fn librivox_path(index: usize, extension: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/audio/librivox")
        .join(format!("sense_and_sensibility_01_austen_64kb-{}.{extension}", CLIPS[index]))
}

pub fn librivox_clip(index: usize) -> Vec<f32> {
    crate::audio_in::read_wav_16k_mono(&librivox_path(index, "wav")).expect("bundled clip")
}

pub fn librivox_text(index: usize) -> String {
    std::fs::read_to_string(librivox_path(index, "txt")).expect("bundled transcript")
}

/// Spoken warnings with a phrase said three times (`tests/data/README.md`).
pub const WARNINGS: [&str; 3] = ["no-no-no-door", "help-help-help", "fire-fire-fire"];

/// A warning's recording with a second of silence before and after, as a
/// microphone would hear someone call out, and what it says.
pub fn warning(name: &str) -> (Vec<f32>, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    let speech = crate::audio_in::read_wav_16k_mono(&path.with_extension("wav")).expect("bundled warning");
    let silence = vec![0.0; crate::audio_in::SAMPLE_RATE_HZ as usize];
    let audio = [&silence[..], &speech, &silence].concat();
    (audio, std::fs::read_to_string(path.with_extension("txt")).expect("its text"))
}

/// A recording of the development set and its reference; `cargo xtask
/// test` runs `cargo xtask devset` first.
pub fn devset(id: &str) -> (Vec<f32>, String) {
    let recording = crate::devset::recording(id).expect("the manifest lists it");
    (recording.audio().expect("the development set is fetched"), recording.reference)
}

/// `audio` made quieter by `db` decibels (a negative number).
pub fn attenuated(audio: &[f32], db: f32) -> Vec<f32> {
    let gain = 10f32.powf(db / 20.0);
    audio.iter().map(|s| s * gain).collect()
}

/// The provisioned model; `cargo xtask test` runs `cargo xtask model` first.
pub fn model_path() -> PathBuf {
    let path = allverse_core::paths::default_caption_model().expect("a cache directory");
    assert!(path.is_file(), "no caption model at {}: run `cargo xtask model`", path.display());
    path
}
