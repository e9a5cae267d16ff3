//! The bundled scenario in a headset: Allverse's CPU time per frame and the runtime's frames.
//!
//! The headset is Monado (`cargo xtask monado` builds it; `cargo xtask bench
//! xr` passes its runtime manifest in `ALLVERSE_XR_RUNTIME_JSON`), run
//! headless: the simulated headset and controllers, the null compositor
//! (frames paced at 20 Hz), Vulkan on the CPU, scratch configuration and
//! cache folders. The session runs in a child process of this benchmark,
//! so that it gets the runtime's environment, with the default profile:
//! live captions, spatial speech and controller input on. The app times its
//! own systems per frame and writes the figures into the report's `xr`
//! section; this reads them from there.
//!
//! Targets: Allverse's systems take at most 2 ms of CPU per frame at the
//! 99th percentile (a 90 Hz headset has 11.1 ms for the whole frame, render
//! and compositor included); every frame the runtime asked for is
//! submitted; no frame takes longer than one and a half display periods
//! (one missed frame shows as two).

use crate::measurement::{Goal, Measurement};
use allverse_core::profile::Profile;
use allverse_core::scenario::Scenario;
use allverse_runtime::SessionSetup;
use anyhow::{Context, Result, bail, ensure};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The argument that makes this executable run the headset session itself.
pub const SESSION_HELPER: &str = "--xr-session-helper";
/// Where `cargo xtask bench xr` puts Monado's runtime manifest.
const MANIFEST_ENV: &str = "ALLVERSE_XR_RUNTIME_JSON";
/// Allverse's share of a 90 Hz frame (11.1 ms).
const SYSTEMS_TARGET_MS: f64 = 2.0;

fn default_scenario() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/scenarios/default.toml"))
}

/// Runs the bundled scenario on Monado in a child process and reads its report.
pub fn run() -> Result<Vec<Measurement>> {
    let Some(manifest) = std::env::var_os(MANIFEST_ENV) else {
        bail!("{MANIFEST_ENV} is not set; run `cargo xtask bench xr`, which builds Monado and sets it");
    };
    let scratch = tempfile::tempdir()?;
    for folder in ["config", "cache", "out"] {
        std::fs::create_dir_all(scratch.path().join(folder))?;
    }
    let models = allverse_core::paths::models_dir().context("no cache folder for the caption model")?;
    let status = Command::new(std::env::current_exe()?)
        .arg(SESSION_HELPER)
        .arg(scratch.path().join("out"))
        .env("XR_RUNTIME_JSON", manifest)
        .env("XRT_COMPOSITOR_NULL", "1")
        .env("SIMULATED_ENABLE", "1")
        .env("SIMULATED_LEFT", "simple")
        .env("SIMULATED_RIGHT", "simple")
        // Monado keeps its configuration and caches here; the caption model stays where it is.
        .env("XDG_CONFIG_HOME", scratch.path().join("config"))
        .env("XDG_CACHE_HOME", scratch.path().join("cache"))
        .env("ALLVERSE_MODELS", models)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .status()?;
    ensure!(status.success(), "the headset session failed ({status})");
    let json = std::fs::read_to_string(scratch.path().join("out/report.json"))?;
    let report: serde_json::Value = serde_json::from_str(&json)?;
    measurements(&report)
}

/// The headset session of the child process: the bundled scenario to its end, the report in `out`.
pub fn session_helper(out: &Path) -> Result<()> {
    let scenario = Scenario::load(&default_scenario())?;
    let setup = SessionSetup::prepare(scenario, Profile::default(), "openxr")?;
    for notice in &setup.notices {
        println!("[bench] notice: {notice}");
    }
    let end = allverse_runtime::xr::run(setup, out, true)?;
    ensure!(end.ending.is_orderly(), "{}", end.ending.describe());
    Ok(())
}

fn measurements(report: &serde_json::Value) -> Result<Vec<Measurement>> {
    let xr = &report["xr"];
    let number = |section: &serde_json::Value, key: &str| {
        section[key].as_f64().with_context(|| format!("the report's xr section has no {key}: {xr}"))
    };
    println!("[bench] runtime: {}; headset: {}", xr["runtime"], xr["system"]);
    println!(
        "[bench] profiles: left {}, right {}; reference space {}; {}",
        xr["left_hand_profile"], xr["right_hand_profile"], xr["reference_space"], xr["ended"]
    );
    let (asked, to_render, submitted) =
        (number(xr, "frames_asked")?, number(xr, "frames_to_render")?, number(xr, "frames_submitted")?);
    let period_ms = number(xr, "display_period_ms")?;
    println!(
        "[bench] {asked} frames asked for, {to_render} to render, {submitted} submitted; display period {period_ms:.1} ms"
    );
    let systems = &xr["systems_cpu_ms"];
    let update = &xr["update_cpu_ms"];
    let wall = &xr["systems_wall_ms"];
    let intervals = &xr["frame_interval_ms"];
    Ok(vec![
        Measurement::new(
            "Allverse systems CPU per frame, p50",
            number(systems, "p50")?,
            "ms",
            Goal::AtMost,
            SYSTEMS_TARGET_MS,
        ),
        Measurement::new(
            "Allverse systems CPU per frame, p99",
            number(systems, "p99")?,
            "ms",
            Goal::AtMost,
            SYSTEMS_TARGET_MS,
        ),
        Measurement::new(
            "Allverse systems CPU per frame, max",
            number(systems, "max")?,
            "ms",
            Goal::AtMost,
            period_ms,
        ),
        Measurement::new(
            "Allverse systems wall time per frame (preemption included), p99",
            number(wall, "p99")?,
            "ms",
            Goal::AtMost,
            period_ms,
        ),
        Measurement::new(
            "  of which Update (panels' PostUpdate aside), p99",
            number(update, "p99")?,
            "ms",
            Goal::AtMost,
            SYSTEMS_TARGET_MS,
        ),
        // A frame the runtime says not to render (`shouldRender` false, around state changes) must not be drawn.
        Measurement::new(
            "frames submitted per frame the runtime asked to render",
            submitted / to_render.max(1.0),
            "ratio",
            Goal::AtLeast,
            1.0,
        ),
        Measurement::new(
            "frame interval, p99",
            number(intervals, "p99")?,
            "ms",
            Goal::AtMost,
            1.5 * period_ms,
        ),
        Measurement::new("longest frame", number(intervals, "max")?, "ms", Goal::AtMost, 1.5 * period_ms),
    ])
}
