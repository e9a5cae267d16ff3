//! The low-vision tools' render cost: each tool alone and all together, against the plain frame.
//!
//! The bundled scenario's room and people (their recordings left out, so
//! no recognition competes for the CPU) are drawn by the simulator's eye
//! at 1832×1920, one headset eye of a Quest 2, every frame. Each
//! configuration gets a fresh session in this one process; after warm-up
//! frames (pipelines compile), the median of the timed frames is its cost,
//! from the start of the update until the driver has finished drawing.
//! The difference to the plain frame is what the tool adds.
//!
//! Target: all tools together add at most 1.5 ms per eye on a headset-class
//! GPU. On the CPU Vulkan driver (llvmpipe) every figure is a CPU-renderer
//! figure: the absolute time is reported against the GPU target for
//! reference, and the ratio to the plain frame is the design's measure.
//! `xtask/bench-vision-gpu.sh` runs the same on a machine with a GPU.

use crate::measurement::{Goal, Measurement, percentile};
use crate::process::cpu_time;
use allverse_core::profile::{Profile, set_key};
use allverse_core::scenario::Scenario;
use allverse_runtime::{SessionSetup, Simulator};
use anyhow::{Context, Result};
use std::time::Instant;

const EYE_WIDTH_PX: u32 = 1832;
const EYE_HEIGHT_PX: u32 = 1920;
const WARM_UP_FRAMES: u32 = 2;
const TIMED_FRAMES: u32 = 6;
/// The target for all tools together, per eye, on a headset-class GPU.
const ALL_TOOLS_TARGET_MS: f64 = 1.5;
/// A whole frame at 90 Hz, the budget the plain frame is shown against.
const FRAME_AT_90_HZ_MS: f64 = 1000.0 / 90.0;
/// What this design aims at on the CPU driver: a tool is one more
/// full-screen read and write (the scene pass or the view pass), under a
/// tenth of a plain frame; all tools together are both passes.
const TOOL_RATIO_TARGET: f64 = 0.10;
const ALL_TOOLS_RATIO_TARGET: f64 = 0.15;

/// Each tool as the profile settings that switch it on.
const TOOLS: &[(&str, &[(&str, &str)])] = &[
    ("lens magnifier", &[("vision.magnifier", "lens"), ("vision.magnification", "3")]),
    ("full-view zoom", &[("vision.magnifier", "full_view")]),
    ("bifocal strip", &[("vision.magnifier", "bifocal")]),
    ("contrast and brightness", &[("vision.contrast", "1.5"), ("vision.brightness", "1.3")]),
    ("edges", &[("vision.edges", "true")]),
    ("colour correction", &[("vision.filter", "deuteranopia")]),
    ("highlight", &[("vision.highlight", "glow"), ("vision.pointer", "head")]),
    ("brightness cap", &[("vision.brightness_cap", "0.6")]),
];

fn scenario() -> Result<Scenario> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/scenarios/default.toml");
    let mut scenario = Scenario::load(std::path::Path::new(path))?;
    for person in &mut scenario.people {
        person.speech.clear();
    }
    scenario.view.width_px = EYE_WIDTH_PX;
    scenario.view.height_px = EYE_HEIGHT_PX;
    scenario.view.vertical_fov_deg = 95.0;
    scenario.checkpoints.clear();
    Ok(scenario)
}

/// Median frame cost in ms with `settings`, and the adapter that drew it.
fn frame_ms(settings: &[(&str, &str)]) -> Result<(f64, String)> {
    let profile = settings.iter().try_fold(Profile::default(), |p, (key, value)| set_key(&p, key, value))?;
    let setup = SessionSetup::prepare(scenario()?, profile, "headless")?;
    let out = tempfile::tempdir()?;
    let simulator = Simulator::new(setup, out.path())?;
    let adapter = simulator.adapter_name();
    let frames = WARM_UP_FRAMES + TIMED_FRAMES;
    let mut times = if is_cpu_driver(&adapter) {
        simulator.time_frames(frames, || cpu_time().as_secs_f64() * 1e3)
    } else {
        let start = Instant::now();
        simulator.time_frames(frames, || start.elapsed().as_secs_f64() * 1e3)
    };
    let mut timed = times.split_off(WARM_UP_FRAMES as usize);
    Ok((percentile(&mut timed, 50.0), adapter))
}

fn is_cpu_driver(adapter: &str) -> bool {
    adapter.to_lowercase().contains("llvmpipe")
}

pub fn run() -> Result<Vec<Measurement>> {
    let (base_ms, adapter) = frame_ms(&[]).context("the plain frame")?;
    let renderer = if is_cpu_driver(&adapter) { "CPU renderer, llvmpipe" } else { "GPU" };
    println!(
        "[bench] adapter: {adapter}; plain frame {base_ms:.1} ms ({renderer}) at {EYE_WIDTH_PX}×{EYE_HEIGHT_PX}"
    );
    let mut measurements = vec![Measurement::new(
        &format!("vision plain frame per eye ({renderer})"),
        base_ms,
        "ms",
        Goal::AtMost,
        FRAME_AT_90_HZ_MS,
    )];
    let ratio = |ms: f64| ((ms - base_ms) / base_ms).max(0.0);
    for (tool, settings) in TOOLS {
        let (ms, _) = frame_ms(settings).with_context(|| format!("the {tool}"))?;
        println!("[bench] {tool}: {ms:.1} ms");
        measurements.push(Measurement::new(
            &format!("vision {tool}: added / plain frame"),
            ratio(ms),
            "ratio",
            Goal::AtMost,
            TOOL_RATIO_TARGET,
        ));
    }
    let all: Vec<(&str, &str)> = TOOLS
        .iter()
        .flat_map(|(_, settings)| settings.iter().copied())
        // One magnifier at a time: the lens, the costliest to place.
        .filter(|(key, value)| *key != "vision.magnifier" || *value == "lens")
        .collect();
    let (all_ms, _) = frame_ms(&all).context("all tools")?;
    measurements.push(Measurement::new(
        "vision all tools: added / plain frame",
        ratio(all_ms),
        "ratio",
        Goal::AtMost,
        ALL_TOOLS_RATIO_TARGET,
    ));
    measurements.push(Measurement::new(
        &format!("vision all tools added per eye ({renderer})"),
        (all_ms - base_ms).max(0.0),
        "ms",
        Goal::AtMost,
        ALL_TOOLS_TARGET_MS,
    ));
    Ok(measurements)
}
