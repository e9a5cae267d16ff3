//! The headset backend run for real: `allverse run --backend openxr` against Monado, headless.
//!
//! Monado is an open-source OpenXR runtime; `cargo xtask monado` builds it
//! and `cargo xtask test` passes its runtime manifest in
//! `ALLVERSE_XR_RUNTIME_JSON`. Each test runs the app as its own process on
//! Monado's simulated headset and controllers, with the null compositor (no
//! display, no GPU: Vulkan on lavapipe), and its own scratch configuration
//! and cache folders, then checks the session report the app wrote.
//! Without the variable the tests say so and check nothing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Where `cargo xtask test` puts the runtime manifest's path.
const MANIFEST_ENV: &str = "ALLVERSE_XR_RUNTIME_JSON";
/// Longer than any run needs even with both cores busy; a run past it fails the test.
const RUN_LIMIT: Duration = Duration::from_secs(300);
const SIMPLE_CONTROLLER: &str = "/interaction_profiles/khr/simple_controller";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Monado's runtime manifest, or `None` (said on stderr) when the tests cannot run here.
fn monado() -> Option<PathBuf> {
    let manifest = std::env::var_os(MANIFEST_ENV).map(PathBuf::from);
    if manifest.is_none() {
        eprintln!("skipped: {MANIFEST_ENV} is not set; `cargo xtask test` builds Monado and sets it");
    }
    manifest
}

/// One app process in the headset, with its scratch folders and the lines it printed so far.
struct Headset {
    child: Child,
    dir: tempfile::TempDir,
    stderr: mpsc::Receiver<String>,
    stderr_seen: Vec<String>,
}

impl Headset {
    /// Starts `allverse run --backend openxr --scenario SCENARIO ARGS` on Monado's simulated
    /// headset, with the profile `profile_toml`.
    fn start(manifest: &Path, scenario: &str, args: &[&str], profile_toml: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for folder in ["config", "cache", "out"] {
            std::fs::create_dir(dir.path().join(folder)).unwrap();
        }
        let profile = dir.path().join("profile.toml");
        std::fs::write(&profile, profile_toml).unwrap();
        let models = allverse_core::paths::models_dir().expect("a cache folder for models");
        let mut child = Command::new(env!("CARGO_BIN_EXE_allverse"))
            .args(["run", "--backend", "openxr", "--scenario", scenario, "--out"])
            .arg(dir.path().join("out"))
            .args(args)
            .current_dir(repo_root())
            .env("ALLVERSE_PROFILE", &profile)
            .env("ALLVERSE_MODELS", models)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("XR_RUNTIME_JSON", manifest)
            .env("XRT_COMPOSITOR_NULL", "1")
            .env("SIMULATED_ENABLE", "1")
            .env("SIMULATED_LEFT", "simple")
            .env("SIMULATED_RIGHT", "simple")
            // Monado keeps its configuration and caches here; each run gets its own.
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the app starts");
        let (send, stderr) = mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, dir, stderr, stderr_seen: Vec::new() }
    }

    /// Waits for a stderr line containing `needle`; fails the test if the app ends or takes too long.
    fn wait_for_stderr(&mut self, needle: &str) {
        loop {
            match self.stderr.recv_timeout(RUN_LIMIT) {
                Ok(line) => {
                    let found = line.contains(needle);
                    self.stderr_seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("never printed {needle:?}:\n{}", self.stderr_seen.join("\n"));
                }
            }
        }
    }

    /// Sends Ctrl+C, as a user in the terminal would.
    fn interrupt(&self) {
        let sent = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status().unwrap();
        assert!(sent.success());
    }

    /// Waits for the app to end by itself; returns its status, stdout, stderr and report.
    fn finish(mut self) -> Finished {
        let mut stdout = String::new();
        let out_pipe = self.child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut BufReader::new(out_pipe), &mut text);
            text
        });
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > RUN_LIMIT {
                let _ = self.child.kill();
                let _ = self.child.wait();
                self.stderr_seen.extend(self.stderr.try_iter());
                panic!("the app did not end within {RUN_LIMIT:?}:\n{}", self.stderr_seen.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        stdout.push_str(&reader.join().unwrap());
        // The pipe closes when the process ends; the reader thread forwards what is left.
        self.stderr_seen.extend(self.stderr.iter());
        let stderr = self.stderr_seen.join("\n");
        let report_path = self.dir.path().join("out/report.json");
        let report = std::fs::read_to_string(&report_path)
            .map(|json| serde_json::from_str(&json).expect("report.json is JSON"))
            .unwrap_or_else(|_| panic!("no report was written ({status}):\n{stdout}\n{stderr}"));
        Finished { status, stdout, stderr, report, _dir: self.dir }
    }
}

struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    report: serde_json::Value,
    _dir: tempfile::TempDir,
}

impl Finished {
    fn xr(&self) -> &serde_json::Value {
        &self.report["xr"]
    }

    /// Monado's simulated controllers were bound as Khronos simple controllers.
    fn assert_simple_controllers(&self) {
        assert_eq!(self.xr()["left_hand_profile"], SIMPLE_CONTROLLER, "{}", self.xr());
        assert_eq!(self.xr()["right_hand_profile"], SIMPLE_CONTROLLER, "{}", self.xr());
    }

    fn states(&self) -> Vec<&str> {
        self.xr()["states"].as_array().unwrap().iter().map(|s| s["state"].as_str().unwrap()).collect()
    }

    fn count(&self, key: &str) -> u64 {
        self.xr()[key].as_u64().unwrap_or_else(|| panic!("xr.{key} is a count: {}", self.xr()))
    }

    /// The session ran: no fallback, focused, frames asked for and submitted, the
    /// runtime's exit reached, bindings accepted, no OpenXR errors, no panic.
    fn assert_ran_in_the_headset(&self) {
        let all = format!("{}\n{}", self.stdout, self.stderr);
        assert!(self.status.success(), "{}:\n{all}", self.status);
        assert_eq!(self.report["backend"], "openxr", "no fallback:\n{all}");
        assert!(!all.contains("panicked"), "{all}");
        assert!(self.xr()["runtime"].as_str().unwrap().starts_with("Monado"), "{}", self.xr());
        assert_eq!(self.xr()["system"], "Monado: Simulated HMD");
        let view = self.xr()["view_px"].as_array().unwrap();
        assert!(view.iter().all(|px| px.as_u64().unwrap() > 0), "{view:?}");

        // The runtime's states, in order: up to FOCUSED, and back down through STOPPING to EXITING.
        let states = self.states();
        assert_eq!(states[..5], ["IDLE", "READY", "SYNCHRONIZED", "VISIBLE", "FOCUSED"], "{states:?}");
        let stopping = states.iter().position(|s| *s == "STOPPING").expect("the runtime stopped the session");
        assert_eq!(states[stopping..], ["STOPPING", "IDLE", "EXITING"], "{states:?}");

        let (asked, to_render, submitted) =
            (self.count("frames_asked"), self.count("frames_to_render"), self.count("frames_submitted"));
        assert!(to_render <= asked && submitted <= to_render, "{}", self.xr());
        assert!(submitted >= 1, "frames reached the runtime: {}", self.xr());
        // Pipelined rendering may leave the last frame or two unsubmitted when the session ends.
        assert!(to_render - submitted <= 2, "frames the runtime asked for were submitted: {}", self.xr());
        assert!(self.xr()["display_period_ms"].as_f64().unwrap() > 0.0);
        let interval = &self.xr()["frame_interval_ms"];
        let ms = |key: &str| interval[key].as_f64().unwrap();
        assert!(ms("p50") > 0.0 && ms("p50") <= ms("p99") && ms("p99") <= ms("max"), "{interval}");

        // Monado lists XR_EXT_hand_tracking but its simulated system has no hand tracking:
        // that refusal is expected. Any other OpenXR error is not.
        for line in
            all.lines().filter(|l| !l.contains("xrCreateHandTrackerEXT") && !l.contains("Handtracker"))
        {
            for error in ["Suggested Path Unsupported", "XR_ERROR", "Failed to", "ERROR"] {
                assert!(!line.contains(error), "{error}: {line}\n{all}");
            }
        }
    }
}

#[test]
fn a_headset_session_on_monado_runs_to_the_scenario_end_and_exits_in_order() {
    let Some(manifest) = monado() else { return };
    let run = Headset::start(&manifest, "tests/scenarios/short.toml", &["--stop-at-end"], "").finish();
    run.assert_ran_in_the_headset();
    run.assert_simple_controllers();
    assert!(
        run.stdout.contains("allverse: the scenario's time is up; the headset session ended"),
        "{}",
        run.stdout
    );
    assert_eq!(run.xr()["ended"], "the scenario's time is up; the headset session ended");
    assert_eq!(run.xr()["reference_space"], "stage", "standing users get the stage space");
    // The scenario's timeline played: its sign and name tag were shown.
    let shown: Vec<&str> = run.report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "panel_shown")
        .map(|e| e["panel"].as_str().unwrap())
        .collect();
    assert!(shown.contains(&"sign"), "{shown:?}");
}

#[test]
fn quitting_with_ctrl_c_ends_the_headset_session_in_order() {
    let Some(manifest) = monado() else { return };
    let mut headset = Headset::start(&manifest, "tests/scenarios/short.toml", &[], "");
    headset.wait_for_stderr("entered XR state FOCUSED");
    headset.interrupt();
    let run = headset.finish();
    run.assert_ran_in_the_headset();
    assert!(run.stdout.contains("allverse: you quit; the headset session ended"), "{}", run.stdout);
}

#[test]
fn a_seated_user_gets_the_local_reference_space() {
    let Some(manifest) = monado() else { return };
    let run = Headset::start(
        &manifest,
        "tests/scenarios/short.toml",
        &["--stop-at-end"],
        "[comfort]\nseated = true\n",
    )
    .finish();
    run.assert_ran_in_the_headset();
    run.assert_simple_controllers();
    assert_eq!(run.xr()["reference_space"], "local");
}
