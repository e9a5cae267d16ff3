//! `allverse-bench NAME [--json FILE]`, usually run as `cargo xtask bench NAME`.
//!
//! Each benchmark measures on the machine it runs on and prints every figure
//! beside its target. Timings are never asserted in tests, only reported.

mod alignment;
mod audio;
mod captions;
mod home;
mod input;
mod interpret;
mod live;
mod measurement;
mod panel;
mod process;
mod simulator;
mod vision;
mod xr;

use anyhow::{Result, bail};
use measurement::Measurement;

struct Benchmark {
    name: &'static str,
    about: &'static str,
    run: fn() -> Result<Vec<Measurement>>,
}

/// Counts allocations inside `assert_no_alloc` (the audio callback); elsewhere it is the system allocator.
#[global_allocator]
static ALLOCATOR: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;

const BENCHMARKS: &[Benchmark] = &[
    Benchmark {
        name: "audio",
        about: "spatial audio engine: voices per core, callback time, latencies",
        run: audio::run,
    },
    Benchmark {
        name: "captions",
        about: "live captions at real-time pace (LibriVox, 3 runs; the development set): latency, WER, lost words, cost",
        run: captions::run,
    },
    Benchmark {
        name: "home",
        about: "home alerts through a real Mosquitto: publish to signal and speech, discovery, floods",
        run: home::run,
    },
    Benchmark {
        name: "input",
        about: "input event to semantic action: frames, latency, adapter CPU per frame",
        run: input::run,
    },
    Benchmark {
        name: "interpret",
        about: "interpreter video over SRT on loopback: latency, frame rate, handover, CPU",
        run: interpret::run,
    },
    Benchmark {
        name: "live",
        about: "live sessions through a real Janus in a private network: late joiners, mouth to ear",
        run: live::run,
    },
    Benchmark { name: "panel", about: "caption text to panel image (pipeline)", run: panel::run },
    Benchmark {
        name: "simulator",
        about: "headless simulator speed on the bundled scenario",
        run: simulator::run,
    },
    Benchmark {
        name: "vision",
        about: "low-vision tools: added render cost per tool and all together, per eye at 1832×1920",
        run: vision::run,
    },
    Benchmark {
        name: "xr",
        about: "the bundled scenario in a headset on Monado: Allverse's CPU per frame, frames submitted",
        run: xr::run,
    },
];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, to] = &args[..]
        && flag == interpret::PUBLISH_HELPER
    {
        return interpret::publish_helper(to);
    }
    if let [flag, out] = &args[..]
        && flag == xr::SESSION_HELPER
    {
        return xr::session_helper(out.as_ref());
    }
    let json = args.iter().position(|a| a == "--json").map(|i| args.get(i + 1).cloned());
    let name = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--json"))
        .map(|(_, a)| a.clone());
    let Some(name) = name else {
        println!("benchmarks:");
        for b in BENCHMARKS {
            println!("  {:<12} {}", b.name, b.about);
        }
        return Ok(());
    };
    let Some(bench) = BENCHMARKS.iter().find(|b| b.name == name) else {
        bail!("no benchmark named `{name}`; run without a name to list them");
    };
    println!("[bench] {name}: {}", bench.about);
    let measurements = (bench.run)()?;
    measurement::print(&measurements);
    match json {
        Some(Some(path)) => std::fs::write(&path, serde_json::to_string_pretty(&measurements)?)?,
        Some(None) => bail!("--json needs a file path"),
        None => {}
    }
    Ok(())
}
