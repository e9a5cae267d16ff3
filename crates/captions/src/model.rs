//! Finding and loading the Whisper model, with errors a person can act on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use whisper_rs::{WhisperContext, WhisperContextParameters};

const GGML_MAGIC: u32 = 0x6767_6d6c;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("no caption model at {path}. Run `cargo xtask model` to provision one, or pass --model FILE.")]
    Missing { path: PathBuf },
    #[error(
        "{path} is not a usable Whisper ggml model ({reason}). \
         Run `cargo xtask model --force` to rebuild it, or pass --model FILE."
    )]
    Corrupt { path: PathBuf, reason: String },
    #[error("no cache directory on this system; set ALLVERSE_MODELS or pass --model FILE")]
    NoCacheDir,
}

/// Where to load the model from: the command line, then the profile, then
/// the cache directory `cargo xtask model` writes to.
pub fn resolve_model_path(cli: Option<&Path>, profile: Option<&Path>) -> Result<PathBuf, ModelError> {
    match cli.or(profile) {
        Some(path) => Ok(path.to_owned()),
        None => allverse_core::paths::default_caption_model().ok_or(ModelError::NoCacheDir),
    }
}

/// A loaded model, shared by every speaker's recognizer.
#[derive(Clone)]
pub struct Model {
    pub(crate) context: Arc<WhisperContext>,
    path: PathBuf,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Model {
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        check_header(path)?;
        crate::quiet_whisper_logs();
        let mut params = WhisperContextParameters::default();
        params.use_gpu(false);
        let context = WhisperContext::new_with_params(path, params).map_err(|e| ModelError::Corrupt {
            path: path.to_owned(),
            reason: format!("whisper.cpp refused it: {e}"),
        })?;
        Ok(Self { context: Arc::new(context), path: path.to_owned() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Checks the magic and hyper-parameters before whisper.cpp sees the file,
/// since a garbage header makes it try enormous allocations.
fn check_header(path: &Path) -> Result<(), ModelError> {
    let corrupt = |reason: String| ModelError::Corrupt { path: path.to_owned(), reason };
    let mut header = [0u8; 48];
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ModelError::Missing { path: path.to_owned() });
        }
        Err(e) => return Err(corrupt(e.to_string())),
    };
    std::io::Read::read_exact(&mut file, &mut header).map_err(|_| corrupt("the file is too short".into()))?;
    let word = |i: usize| u32::from_le_bytes(header[i * 4..i * 4 + 4].try_into().expect("4 bytes"));
    if word(0) != GGML_MAGIC {
        return Err(corrupt("it does not start with the ggml magic".into()));
    }
    let (n_vocab, n_audio_layer, n_text_layer, n_mels) = (word(1), word(5), word(9), word(10));
    let plausible = (51_000..=52_000).contains(&n_vocab)
        && (1..=64).contains(&n_audio_layer)
        && (1..=64).contains(&n_text_layer);
    if !plausible || !matches!(n_mels, 80 | 128) {
        return Err(corrupt(format!(
            "implausible hyper-parameters: vocabulary {n_vocab}, layers {n_audio_layer}/{n_text_layer}, mel bands {n_mels}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_model_names_the_fix() {
        let error = Model::load(Path::new("/nonexistent/ggml-tiny.en.bin")).err().unwrap().to_string();
        assert!(
            error.contains("cargo xtask model") && error.contains("/nonexistent/ggml-tiny.en.bin"),
            "{error}"
        );
    }

    #[test]
    fn corrupt_models_are_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let real = std::fs::read(crate::test_audio::model_path()).unwrap();
        let cases: [(&str, Vec<u8>); 4] = [
            ("empty", Vec::new()),
            ("text", b"this is not a model at all, just some text that is long enough".to_vec()),
            ("bad-vocab", [&real[..4], &u32::MAX.to_le_bytes(), &real[8..4096]].concat()),
            ("truncated", real[..real.len() / 2].to_vec()),
        ];
        for (name, bytes) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let error = Model::load(&path).err().unwrap_or_else(|| panic!("{name} loaded")).to_string();
            assert!(error.contains("cargo xtask model --force"), "{name}: {error}");
        }
    }

    #[test]
    fn path_precedence_is_cli_then_profile_then_cache() {
        let (cli, profile) = (Path::new("/a.bin"), Path::new("/b.bin"));
        assert_eq!(resolve_model_path(Some(cli), Some(profile)).unwrap(), cli);
        assert_eq!(resolve_model_path(None, Some(profile)).unwrap(), profile);
        assert!(
            resolve_model_path(None, None)
                .unwrap()
                .ends_with(allverse_core::paths::DEFAULT_CAPTION_MODEL_FILE)
        );
    }
}
