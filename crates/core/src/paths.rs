//! Where Allverse keeps files that are not the user's settings.

use std::path::PathBuf;

/// Overrides the folder speech-recognition models live in.
pub const MODELS_ENV: &str = "ALLVERSE_MODELS";

/// The caption model `cargo xtask model` provisions and the app uses:
/// Whisper tiny, English, weights quantised to 8 bits (q8_0).
pub const DEFAULT_CAPTION_MODEL_FILE: &str = "ggml-tiny.en-q8_0.bin";
/// The same model in half precision, as converted, for comparison.
pub const FULL_PRECISION_CAPTION_MODEL_FILE: &str = "ggml-tiny.en.bin";

/// `$ALLVERSE_MODELS`, else `models/` in the platform's cache directory
/// (`~/.cache/allverse/models` on Linux). Models are large, reproducible
/// downloads, so they belong in the cache rather than beside the profile.
pub fn models_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(MODELS_ENV) {
        return Some(PathBuf::from(dir));
    }
    cache_dir().map(|dir| dir.join("models"))
}

/// The platform's cache directory for Allverse (`~/.cache/allverse` on
/// Linux): models and the test OpenXR runtime are built or fetched into it.
pub fn cache_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "Allverse", "allverse").map(|dirs| dirs.cache_dir().to_path_buf())
}

/// The default caption model's path, whether or not it exists yet.
pub fn default_caption_model() -> Option<PathBuf> {
    models_dir().map(|dir| dir.join(DEFAULT_CAPTION_MODEL_FILE))
}
