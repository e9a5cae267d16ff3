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
/// Where `cargo xtask test` puts the folder of Monado built as `monado-service` and its client.
const SERVICE_BUILD_ENV: &str = "ALLVERSE_MONADO_SERVICE_BUILD";
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

/// The folder of Monado's service build, or `None` (said on stderr) when the test cannot run here.
fn monado_service_build() -> Option<PathBuf> {
    let build = std::env::var_os(SERVICE_BUILD_ENV).map(PathBuf::from);
    if build.is_none() {
        eprintln!("skipped: {SERVICE_BUILD_ENV} is not set; `cargo xtask test` builds Monado and sets it");
    }
    build
}

/// Monado as its own process, `monado-service`, with the simulated headset
/// and the null compositor: a runtime a test can kill while an app's session
/// runs in it. Apps reach it through the socket in [`MonadoService::runtime_dir`].
struct MonadoService {
    child: Child,
    /// Held open: the service watches its stdin (for a key that stops it) and
    /// cannot start with /dev/null there.
    _stdin: std::process::ChildStdin,
    dir: tempfile::TempDir,
}

impl MonadoService {
    fn start(build: &Path) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for folder in ["config", "cache", "run"] {
            std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        }
        let log = dir.path().join("service.log");
        let mut child = Command::new(build.join("src/xrt/targets/service/monado-service"))
            .env("XRT_COMPOSITOR_NULL", "1")
            .env("SIMULATED_ENABLE", "1")
            .env("SIMULATED_LEFT", "simple")
            .env("SIMULATED_RIGHT", "simple")
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .env("XDG_RUNTIME_DIR", dir.path().join("run"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("monado-service starts");
        let stdin = child.stdin.take().unwrap();
        let socket = dir.path().join("run/monado_comp_ipc");
        let started = std::time::Instant::now();
        while !socket.exists() {
            let exited = child.try_wait().unwrap();
            if exited.is_some() || started.elapsed() > RUN_LIMIT {
                let _ = child.kill();
                panic!("monado-service did not open its socket:\n{}", std::fs::read_to_string(&log).unwrap());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, _stdin: stdin, dir }
    }

    fn runtime_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    /// Kills the service at once (SIGKILL), as a crash would: it says nothing to its apps first.
    fn crash(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for MonadoService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What stands in for the headset and controllers.
enum Devices {
    /// Monado's simulated headset with two controllers of this kind: `simple`
    /// (Khronos simple controller) or `wmr` (Microsoft motion controller).
    Simulated { controllers: &'static str },
    /// Monado's remote driver: a headset and two Valve Index controllers whose
    /// poses and buttons a [`RemoteDriver`] sends on this TCP port.
    Remote { port: u16 },
    /// Whatever a [`MonadoService`] offers, reached through its socket in this folder.
    Service { runtime_dir: PathBuf },
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
        Self::start_with(manifest, Devices::Simulated { controllers: "simple" }, scenario, args, profile_toml)
    }

    /// As [`Headset::start`], with the devices Monado offers chosen.
    fn start_with(
        manifest: &Path,
        devices: Devices,
        scenario: &str,
        args: &[&str],
        profile_toml: &str,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for folder in ["config/monado", "cache", "out"] {
            std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        }
        let mut command = Command::new(env!("CARGO_BIN_EXE_allverse"));
        match devices {
            Devices::Simulated { controllers } => {
                command
                    .env("SIMULATED_ENABLE", "1")
                    .env("SIMULATED_LEFT", controllers)
                    .env("SIMULATED_RIGHT", controllers);
            }
            Devices::Remote { port } => {
                let config =
                    format!(r#"{{"active":"remote","remote":{{"version":0,"port":{port},"view_count":2}}}}"#);
                std::fs::write(dir.path().join("config/monado/config_v0.json"), config).unwrap();
            }
            Devices::Service { runtime_dir } => {
                command.env("XDG_RUNTIME_DIR", runtime_dir);
            }
        }
        let profile = dir.path().join("profile.toml");
        std::fs::write(&profile, profile_toml).unwrap();
        let models = allverse_core::paths::models_dir().expect("a cache folder for models");
        let mut child = command
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

    /// Waits for the timeline line the app logs for an input event (see the
    /// headset backend's `log_input_events`) that `wanted` accepts, and returns it.
    fn wait_for_event(&mut self, wanted: &dyn Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        loop {
            self.wait_for_stderr("timeline: ");
            let line = self.stderr_seen.last().unwrap();
            let json = &line[line.find("timeline: ").unwrap() + "timeline: ".len()..];
            let event: serde_json::Value = serde_json::from_str(json).expect("a timeline line is JSON");
            if wanted(&event) {
                return event;
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

    /// The simulated headset ran, its controllers bound as Khronos simple controllers.
    fn assert_simulated_devices(&self) {
        assert_eq!(self.xr()["system"], "Monado: Simulated HMD");
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
        assert!(self.xr()["system"].as_str().unwrap().starts_with("Monado"), "{}", self.xr());
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
        // that refusal is expected, and so is the remote driver's complaint when the runtime
        // shuts down while it waits for a connection. Any other OpenXR error is not.
        let expected = ["xrCreateHandTrackerEXT", "Handtracker", "[do_accept] Failed to wait for id"];
        for line in all.lines().filter(|l| !expected.iter().any(|e| l.contains(e))) {
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
    run.assert_simulated_devices();
    assert!(
        run.stdout.contains("allverse: the scenario's time is up; the headset session ended"),
        "{}",
        run.stdout
    );
    assert_eq!(run.xr()["ended"], "the scenario's time is up; the headset session ended");
    assert_eq!(run.xr()["reference_space"], "stage", "standing users get the stage space");

    // The checkpoint's capture is the left eye as the runtime got it: the lit room, the
    // host (a blue figure) and the dark notice panel in front of them.
    let captures = run.report["captures"].as_array().unwrap();
    assert_eq!(captures.len(), 1, "{captures:?}");
    assert_eq!(captures[0]["name"], "glance");
    assert_eq!(
        [&captures[0]["width_px"], &captures[0]["height_px"]],
        [&run.xr()["view_px"][0], &run.xr()["view_px"][1]]
    );
    let (width, height, rgb) = read_png(Path::new(captures[0]["path"].as_str().unwrap()));
    assert_eq!((width, height), (320, 240), "Monado's simulated headset recommends 320×240 per eye");
    let share = |keep: &dyn Fn(&[u8]) -> bool| {
        rgb.chunks_exact(3).filter(|p| keep(p)).count() as f32 / (width * height) as f32
    };
    let (walls, person, panel) = (
        share(&|p| p.iter().all(|&c| c > 180)),
        share(&|p| p[2] > 150 && p[0] < 100),
        share(&|p| p.iter().all(|&c| c < 110)),
    );
    eprintln!("left eye: walls {walls:.3}, person {person:.3}, dark {panel:.3}");
    // Monado's simulated headset wobbles a few degrees, so the shares move a little between runs.
    assert!(walls > 0.2 && person > 0.01 && panel > 0.01, "walls {walls}, person {person}, dark {panel}");
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
    run.assert_simulated_devices();
    assert_eq!(run.xr()["reference_space"], "local");
}

#[test]
fn a_runtime_that_crashes_mid_session_ends_it_with_one_line_and_no_panic() {
    let Some(build) = monado_service_build() else { return };
    let mut service = MonadoService::start(&build);
    let mut headset = Headset::start_with(
        &build.join("openxr_monado-dev.json"),
        Devices::Service { runtime_dir: service.runtime_dir() },
        "tests/scenarios/short.toml",
        &[],
        "",
    );
    headset.wait_for_stderr("entered XR state FOCUSED");
    service.crash();
    let run = headset.finish();
    let all = format!("{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.status.code(), Some(1), "a failure, not a crash of the app:\n{all}");
    assert!(!all.contains("panicked"), "{all}");
    let said: Vec<&str> = all.lines().filter(|line| line.starts_with("allverse:")).collect();
    assert_eq!(said.len(), 1, "one line for the user:\n{all}");
    assert!(
        said[0].starts_with(
            "allverse: the headset session failed: the OpenXR runtime stopped answering (XR_ERROR_"
        ),
        "{all}"
    );
    // The report is written, with what happened before the loss.
    assert!(
        run.xr()["ended"].as_str().unwrap().contains("the OpenXR runtime stopped answering"),
        "{}",
        run.xr()
    );
    assert!(run.states().contains(&"FOCUSED"), "{:?}", run.states());
    assert_eq!(run.report["backend"], "openxr");
}

/// Width, height and RGB bytes of a PNG the app wrote.
fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(BufReader::new(std::fs::File::open(path).expect("the capture exists")));
    let mut reader = decoder.read_info().expect("the capture is a PNG");
    let mut rgb = vec![0; reader.output_buffer_size().expect("sized")];
    let info = reader.next_frame(&mut rgb).expect("the capture decodes");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    rgb.truncate(info.buffer_size());
    (info.width, info.height, rgb)
}

/// A client of Monado's remote driver: sends whole `struct r_remote_data`
/// packets (376 bytes, little-endian, no framing), as in Monado's
/// `src/xrt/drivers/remote/r_interface.h`: a u64 header, the head (128
/// bytes), then the left and right controllers (120 bytes each). The driver
/// keeps the last packet as the devices' state.
struct RemoteDriver {
    stream: std::net::TcpStream,
    state: [u8; REMOTE_PACKET],
}

const REMOTE_PACKET: usize = 376;
/// The head's `center` pose (the OpenXR view space): orientation x, y, z, w, then position.
const REMOTE_HEAD_CENTER: usize = 8 + 96;
const REMOTE_RIGHT_CONTROLLER: usize = 256;
/// In a controller: the trigger's value (f32).
const REMOTE_TRIGGER: usize = 72;
/// In a controller: the thumbstick's x and y (f32 each).
const REMOTE_THUMBSTICK: usize = 84;
/// In a controller: where its 16 one-byte flags start (`hand_tracking_active`, `active`, …).
const REMOTE_FLAGS: usize = 104;
const REMOTE_ACTIVE: usize = 1;
const REMOTE_TRIGGER_CLICK: usize = 8;
const REMOTE_THUMBSTICK_CLICK: usize = 10;

impl RemoteDriver {
    /// Connects once the runtime listens, and takes the state it sends on accept as the start.
    fn connect(port: u16) -> Self {
        use std::io::Read;
        let started = std::time::Instant::now();
        let mut stream = loop {
            match std::net::TcpStream::connect(("127.0.0.1", port)) {
                Ok(stream) => break stream,
                Err(e) if started.elapsed() > RUN_LIMIT => panic!("Monado never listened on {port}: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        // On accept the driver sends its reset state, then its latest state.
        let mut state = [0; REMOTE_PACKET];
        for _ in 0..2 {
            stream.read_exact(&mut state).expect("the remote driver sends its state");
        }
        let flags = REMOTE_RIGHT_CONTROLLER + REMOTE_FLAGS;
        state[flags + REMOTE_ACTIVE] = 1;
        Self { stream, state }
    }

    /// Sends the state as it now stands; the driver keeps it until the next packet.
    fn send(&mut self) {
        use std::io::Write;
        self.stream.write_all(&self.state).expect("the remote driver takes the packet");
    }

    fn put_f32(&mut self, at: usize, value: f32) {
        self.state[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }

    /// Turns the head to `yaw_deg` about the vertical axis (positive turns left), level, where it stands.
    fn head_yaw(&mut self, yaw_deg: f32) {
        let half = yaw_deg.to_radians() / 2.0;
        for (i, value) in [0.0, half.sin(), 0.0, half.cos()].into_iter().enumerate() {
            self.put_f32(REMOTE_HEAD_CENTER + 4 * i, value);
        }
        self.send();
    }

    /// Presses or releases the right controller's thumbstick (Allverse's menu button on an Index controller).
    fn right_thumbstick_click(&mut self, pressed: bool) {
        self.state[REMOTE_RIGHT_CONTROLLER + REMOTE_FLAGS + REMOTE_THUMBSTICK_CLICK] = u8::from(pressed);
        self.send();
    }

    /// Pushes the right thumbstick to (`x`, `y`), each from -1 to 1 (right and up positive).
    fn right_thumbstick(&mut self, x: f32, y: f32) {
        self.put_f32(REMOTE_RIGHT_CONTROLLER + REMOTE_THUMBSTICK, x);
        self.put_f32(REMOTE_RIGHT_CONTROLLER + REMOTE_THUMBSTICK + 4, y);
        self.send();
    }

    /// Pulls the right trigger fully, or lets it go.
    fn right_trigger(&mut self, pulled: bool) {
        self.put_f32(REMOTE_RIGHT_CONTROLLER + REMOTE_TRIGGER, if pulled { 1.0 } else { 0.0 });
        self.state[REMOTE_RIGHT_CONTROLLER + REMOTE_FLAGS + REMOTE_TRIGGER_CLICK] = u8::from(pulled);
        self.send();
    }
}

/// A TCP port nothing listens on now, for one test's remote driver.
fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port()
}

#[test]
fn an_index_controller_button_through_the_runtime_opens_the_menu() {
    let Some(manifest) = monado() else { return };
    let port = free_port();
    let mut headset = Headset::start_with(
        &manifest,
        Devices::Remote { port },
        "tests/scenarios/headset.toml",
        &["--stop-at-end"],
        "",
    );
    // The app's probe for a runtime starts (and stops) a remote driver of its own on the
    // same port: connect once the session runs, to the driver that serves it.
    headset.wait_for_stderr("entered XR state FOCUSED");
    let mut driver = RemoteDriver::connect(port);
    // Held until the session ends: the press reaches the app on its next frame, whenever that is.
    driver.right_thumbstick_click(true);
    let run = headset.finish();
    run.assert_ran_in_the_headset();
    let index = "/interaction_profiles/valve/index_controller";
    assert_eq!(run.xr()["right_hand_profile"], index, "{}", run.xr());
    assert_eq!(run.xr()["left_hand_profile"], index, "{}", run.xr());
    assert!(run.xr()["system"].as_str().unwrap().contains("Remote"), "{}", run.xr());
    let timeline = run.report["timeline"].as_array().unwrap();
    let position = |predicate: &dyn Fn(&serde_json::Value) -> bool| timeline.iter().position(predicate);
    let opened = position(&|e| {
        e["event"] == "action" && e["action"] == "open_menu" && e["device"] == "controller_right"
    })
    .unwrap_or_else(|| panic!("the menu button opened the menu: {timeline:#?}"));
    let focus = position(&|e| e["event"] == "focus").expect("the menu took focus");
    assert!(opened <= focus, "the menu opened, then its first item took focus");
}

/// The head's yaw in degrees from the forward direction the report gives (positive to the left).
fn yaw_deg(forward: &serde_json::Value) -> f32 {
    let axis = |i: usize| forward[i].as_f64().unwrap() as f32;
    (-axis(0)).atan2(-axis(2)).to_degrees()
}

/// The angle between the head's forward direction and the direction from the head to `target`.
fn degrees_off(capture: &serde_json::Value, target: [f32; 3]) -> f32 {
    let vector = |v: &serde_json::Value| {
        let a: Vec<f32> = v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
        [a[0], a[1], a[2]]
    };
    let (head, forward) = (vector(&capture["head_position_m"]), vector(&capture["head_forward"]));
    let to: Vec<f32> = (0..3).map(|i| target[i] - head[i]).collect();
    let dot: f32 = (0..3).map(|i| to[i] * forward[i]).sum();
    let length = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    (dot / (length(&to) * length(&forward))).clamp(-1.0, 1.0).acos().to_degrees()
}

#[test]
fn a_head_turned_through_the_runtime_turns_the_rig_and_the_scene_leaves_the_view() {
    let Some(manifest) = monado() else { return };
    let port = free_port();
    let mut headset = Headset::start_with(
        &manifest,
        Devices::Remote { port },
        "tests/scenarios/headset_look.toml",
        &["--stop-at-end"],
        "",
    );
    // The session's own driver listens once the app has its system (after the probe's has
    // gone); the turn is sent before the session is focused, and the scenario's clock only
    // starts then, so the checkpoint sees the turned head.
    headset.wait_for_stderr("Using system");
    let mut driver = RemoteDriver::connect(port);
    driver.head_yaw(90.0);
    let run = headset.finish();
    run.assert_ran_in_the_headset();
    let captures = run.report["captures"].as_array().unwrap();
    assert_eq!(captures.len(), 1, "{captures:?}");
    let look = &captures[0];
    assert_eq!(look["name"], "look");
    let yaw = yaw_deg(&look["head_forward"]);
    assert!((yaw - 90.0).abs() < 1.0, "the rig's head followed the runtime's pose: yaw {yaw}°, {look}");
    // The host and the sign stand ahead, far outside the eye's field of view once the head turned.
    let (host, sign) = (degrees_off(look, [0.0, 1.6, -2.0]), degrees_off(look, [0.8, 2.0, -2.5]));
    assert!(host > 70.0 && sign > 70.0, "host {host}° and sign {sign}° off the view's axis");
    let (width, height, rgb) = read_png(Path::new(look["path"].as_str().unwrap()));
    let person =
        rgb.chunks_exact(3).filter(|p| p[2] > 150 && p[0] < 100).count() as f32 / (width * height) as f32;
    assert!(person < 0.001, "the host (blue) is out of the left eye's image: {person}");
}

#[test]
fn index_controller_buttons_through_the_runtime_turn_open_the_menu_move_focus_and_select() {
    let Some(manifest) = monado() else { return };
    let port = free_port();
    // No --stop-at-end: the session runs until the test has done every step and quits.
    let mut headset =
        Headset::start_with(&manifest, Devices::Remote { port }, "tests/scenarios/headset.toml", &[], "");
    headset.wait_for_stderr("entered XR state FOCUSED");
    let mut driver = RemoteDriver::connect(port);
    let action =
        |name: &'static str| move |e: &serde_json::Value| e["event"] == "action" && e["action"] == name;
    // Each step waits for the app's answer to the one before, whatever the machine's pace.
    // Turns and focus moves repeat while the stick is held, so a slow step may take more than one.
    driver.right_thumbstick(-1.0, 0.0);
    headset.wait_for_event(&action("turn_left"));
    driver.right_thumbstick(1.0, 0.0);
    headset.wait_for_event(&action("turn_right"));
    driver.right_thumbstick(0.0, 0.0);
    driver.right_thumbstick_click(true);
    let opened = headset.wait_for_event(&|e| e["event"] == "focus");
    driver.right_thumbstick_click(false);
    driver.right_thumbstick(0.0, -1.0);
    let next = headset.wait_for_event(&|e| e["event"] == "focus");
    driver.right_thumbstick(0.0, 0.0);
    driver.right_trigger(true);
    let chosen = headset.wait_for_event(&|e| e["event"] == "action" && e["via_menu"] == true);
    // The driver keeps the last state after the test leaves: everything released.
    driver.right_trigger(false);
    headset.interrupt();
    let run = headset.finish();
    run.assert_ran_in_the_headset();
    assert_eq!(opened["item"], 0, "the menu opened on its first item: {opened}");
    assert_eq!(next["menu"], opened["menu"], "{opened} then {next}");
    assert_eq!(next["item"], 1, "thumbstick down moved focus to the second item: {next}");

    // The report has the same steps, in order, each from the right controller.
    let timeline = run.report["timeline"].as_array().unwrap();
    let mut actions: Vec<(&str, bool)> = timeline
        .iter()
        .filter(|e| e["event"] == "action")
        .map(|e| {
            assert_eq!(e["device"], "controller_right", "{e}");
            (e["action"].as_str().unwrap(), e["via_menu"].as_bool().unwrap())
        })
        .collect();
    let turns: Vec<&str> = actions.iter().map(|(a, _)| *a).filter(|a| a.starts_with("turn_")).collect();
    actions.dedup();
    let steps =
        ["turn_left", "turn_right", "open_menu", "next_focus", "select"].map(|action| (action, false));
    assert_eq!(actions[..5], steps, "{actions:?}");
    // Selecting carries out the focused item's action, as chosen through the menu.
    assert_eq!(actions[5], (chosen["action"].as_str().unwrap(), true), "{actions:?}");

    // Each snap turn moved the user by exactly one step, left (positive yaw) or right,
    // from where the previous one left them: the remote headset itself stays still.
    let yaws: Vec<f64> =
        timeline.iter().filter(|e| e["event"] == "moved").map(|e| e["yaw_deg"].as_f64().unwrap()).collect();
    assert_eq!(yaws.len(), turns.len(), "one move per turn: {yaws:?} {turns:?}");
    let mut expected_deg = 0.0;
    for (turn, yaw) in turns.iter().zip(&yaws) {
        expected_deg += if *turn == "turn_left" { 30.0 } else { -30.0 };
        assert!((yaw - expected_deg).abs() < 1.0, "{turns:?} gave {yaws:?}");
    }
}

#[test]
fn the_height_offset_raises_the_tracking_root_by_exactly_that_much() {
    let Some(manifest) = monado() else { return };
    // The remote driver's headset stands still, so the two runs' heads differ only by the offset.
    let head_height = |profile: &'static str| {
        let manifest = manifest.clone();
        std::thread::spawn(move || {
            let run = Headset::start_with(
                &manifest,
                Devices::Remote { port: free_port() },
                "tests/scenarios/short.toml",
                &["--stop-at-end"],
                profile,
            )
            .finish();
            run.assert_ran_in_the_headset();
            assert_eq!(run.xr()["reference_space"], "local", "seated users get the local space");
            let captures = run.report["captures"].as_array().unwrap().clone();
            assert_eq!(captures.len(), 1, "{captures:?}");
            captures[0]["head_position_m"][1].as_f64().unwrap()
        })
    };
    let level = head_height("[comfort]\nseated = true\n");
    let raised = head_height("[comfort]\nseated = true\nheight_offset_m = 0.45\n");
    let (level, raised) = (level.join().unwrap(), raised.join().unwrap());
    assert!((raised - level - 0.45).abs() < 1e-4, "head at {level} m, raised to {raised} m");
}

#[test]
fn microsoft_motion_controllers_are_bound_on_both_hands() {
    let Some(manifest) = monado() else { return };
    let run = Headset::start_with(
        &manifest,
        Devices::Simulated { controllers: "wmr" },
        "tests/scenarios/short.toml",
        &["--stop-at-end"],
        "",
    )
    .finish();
    run.assert_ran_in_the_headset();
    let wmr = "/interaction_profiles/microsoft/motion_controller";
    assert_eq!(run.xr()["left_hand_profile"], wmr, "{}", run.xr());
    assert_eq!(run.xr()["right_hand_profile"], wmr, "{}", run.xr());
}

#[test]
fn the_low_vision_passes_run_in_the_headset_eye() {
    let Some(manifest) = monado() else { return };
    let profile = "[vision]\nfilter = \"greyscale\"\nedges = true\nedge_colour = \"#ff00ff\"\n";
    let run = Headset::start(&manifest, "tests/scenarios/short.toml", &["--stop-at-end"], profile).finish();
    run.assert_ran_in_the_headset();
    let captures = run.report["captures"].as_array().unwrap();
    let (width, height, rgb) = read_png(Path::new(captures[0]["path"].as_str().unwrap()));
    let share = |keep: &dyn Fn(&[u8]) -> bool| {
        rgb.chunks_exact(3).filter(|p| keep(p)).count() as f32 / (width * height) as f32
    };
    // The host's blue clothes are grey in the eye's image, and the room's
    // edges are outlined in magenta (drawn after the filter).
    let blue = share(&|p| p[2] > 150 && p[0] < 100 && p[1] < 150);
    let magenta = share(&|p| p[0] > 200 && p[1] < 80 && p[2] > 200);
    eprintln!("left eye with greyscale and edges: blue {blue:.4}, magenta {magenta:.4}");
    assert!(blue < 0.0005, "no blue is left: {blue}");
    assert!(magenta > 0.002, "edges are drawn: {magenta}");
}
