//! How much faster than real time the headless simulator plays the bundled scenario.
//!
//! Target: ≥ 1× real time (issue #2: "faster than real time where
//! possible"), captures included, on the CPU Vulkan driver.

use crate::measurement::{Goal, Measurement};
use allverse_core::profile::Profile;
use allverse_core::scenario::Scenario;
use allverse_runtime::Simulator;
use allverse_runtime::session::SessionConfig;
use anyhow::Result;
use std::time::Instant;

pub fn run() -> Result<Vec<Measurement>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/scenarios/default.toml");
    let scenario = Scenario::load(path.as_ref())?;
    let duration_s = scenario.duration_s as f64;
    let out = tempfile::tempdir()?;
    let started = Instant::now();
    let config = SessionConfig::new(scenario, Profile::default(), "headless")?;
    let report = Simulator::new(config, out.path())?.run()?;
    let wall_s = started.elapsed().as_secs_f64();
    Ok(vec![
        Measurement::new(
            "simulator speed (scenario s per wall s)",
            duration_s / wall_s,
            "x",
            Goal::AtLeast,
            1.0,
        ),
        Measurement::new(
            "simulator wall time per frame",
            wall_s * 1e3 / report.frames as f64,
            "ms",
            Goal::AtMost,
            33.3,
        ),
    ])
}
