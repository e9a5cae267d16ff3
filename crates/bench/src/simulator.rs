//! How much faster than real time the headless simulator plays the bundled scenario.
//!
//! Target: ≥ 1× real time (issue #2: "faster than real time where
//! possible"), captures and spatial audio included, on the CPU Vulkan
//! driver; measured with live captions on (the default) and off.

use crate::measurement::{Goal, Measurement};
use allverse_core::profile::Profile;
use allverse_core::scenario::Scenario;
use allverse_runtime::SessionSetup;
use allverse_runtime::Simulator;
use anyhow::Result;
use std::time::Instant;

pub fn run() -> Result<Vec<Measurement>> {
    let mut measurements = Vec::new();
    // Live captions decode Whisper on the simulator's own thread, in step
    // with its clock; without them the rest of the session is measured.
    for captions in [true, false] {
        let mut profile = Profile::default();
        profile.captions.enabled = captions;
        let with = if captions { "with live captions" } else { "captions off" };
        let (speed, frame_ms) = play_default_scenario(profile)?;
        measurements.push(Measurement::new(
            &format!("simulator speed, {with} (scenario s per wall s)"),
            speed,
            "x",
            Goal::AtLeast,
            1.0,
        ));
        measurements.push(Measurement::new(
            &format!("simulator wall time per frame, {with}"),
            frame_ms,
            "ms",
            Goal::AtMost,
            33.3,
        ));
    }
    Ok(measurements)
}

/// Plays the bundled scenario; returns its speed against real time and the wall time per frame.
fn play_default_scenario(profile: Profile) -> Result<(f64, f64)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/scenarios/default.toml");
    let scenario = Scenario::load(path.as_ref())?;
    let duration_s = scenario.duration_s as f64;
    let out = tempfile::tempdir()?;
    let started = Instant::now();
    let setup = SessionSetup::prepare(scenario, profile, "headless")?;
    let report = Simulator::new(setup, out.path())?.run()?;
    let wall_s = started.elapsed().as_secs_f64();
    Ok((duration_s / wall_s, wall_s * 1e3 / report.frames as f64))
}
