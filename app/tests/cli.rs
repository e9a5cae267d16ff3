//! The `allverse` command line, run as a user would run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `allverse ARGS` with its profile in `profile` and no display or headset runtime in reach.
fn allverse(profile: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_allverse"))
        .args(args)
        .env("ALLVERSE_PROFILE", profile)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("XR_RUNTIME_JSON")
        .current_dir(repo_root())
        .output()
        .expect("the binary runs")
}

/// `allverse run --backend BACKEND --scenario SCENARIO --out OUT`.
fn session(profile: &Path, backend: &str, scenario: &str, out: &Path) -> Output {
    allverse(profile, &["run", "--backend", backend, "--scenario", scenario, "--out", out.to_str().unwrap()])
}

fn read_report(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_documents_backends_scenario_and_profile() {
    let dir = tempfile::tempdir().unwrap();
    let top = text(&allverse(&dir.path().join("p.toml"), &["--help"]).stdout);
    for needle in ["run", "profile", "--profile", "openxr", "desktop", "headless", "--scenario"] {
        assert!(top.contains(needle), "`--help` mentions {needle}:\n{top}");
    }
    let run = text(&allverse(&dir.path().join("p.toml"), &["run", "--help"]).stdout);
    for needle in ["--backend", "openxr", "desktop", "headless", "--scenario", "--out"] {
        assert!(run.contains(needle), "`run --help` mentions {needle}:\n{run}");
    }
    let profile = text(&allverse(&dir.path().join("p.toml"), &["profile", "--help"]).stdout);
    for needle in ["show", "path", "set", "validate", "reset"] {
        assert!(profile.contains(needle), "{profile}");
    }
}

#[test]
fn profile_set_show_validate_reset() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("config/profile.toml");

    let path = allverse(&profile, &["profile", "path"]);
    assert_eq!(text(&path.stdout).trim(), profile.display().to_string());

    let set = allverse(&profile, &["profile", "set", "display.caption_cap_height_deg", "1.2"]);
    assert!(set.status.success(), "{}", text(&set.stderr));
    let show = text(&allverse(&profile, &["profile", "show"]).stdout);
    assert!(show.contains("caption_cap_height_deg = 1.2"), "{show}");

    // A bad value is refused with the allowed range, and the file is unchanged.
    let before = std::fs::read_to_string(&profile).unwrap();
    let bad = allverse(&profile, &["profile", "set", "audio.balance", "5"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("audio.balance = 5 is not allowed: must be between -1 and 1"),
        "{}",
        text(&bad.stderr)
    );
    assert_eq!(std::fs::read_to_string(&profile).unwrap(), before);

    // Negative values are values, not options: full left, eyes lowered.
    for (key, value) in [("audio.balance", "-1"), ("comfort.height_offset_m", "-0.5")] {
        let set = allverse(&profile, &["profile", "set", key, value]);
        assert!(set.status.success(), "{key} {value}: {}", text(&set.stderr));
    }
    let show = text(&allverse(&profile, &["profile", "show"]).stdout);
    assert!(show.contains("balance = -1") && show.contains("height_offset_m = -0.5"), "{show}");

    let valid = allverse(&profile, &["profile", "validate", profile.to_str().unwrap()]);
    assert!(valid.status.success() && text(&valid.stdout).contains("is a valid profile"));
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[comfort]\nseated = 3\n").unwrap();
    let invalid = allverse(&profile, &["profile", "validate", broken.to_str().unwrap()]);
    assert!(!invalid.status.success());
    assert!(text(&invalid.stderr).contains("line 2"), "{}", text(&invalid.stderr));

    let reset = allverse(&profile, &["profile", "reset"]);
    assert!(text(&reset.stdout).contains(".bak"), "{}", text(&reset.stdout));
    assert!(text(&allverse(&profile, &["profile", "show"]).stdout).contains("caption_cap_height_deg = 0.7"));
}

#[test]
fn a_corrupt_profile_is_kept_aside_and_the_user_told() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile.toml");
    std::fs::write(&profile, "this is = = not toml").unwrap();
    let show = allverse(&profile, &["profile", "show"]);
    assert!(show.status.success());
    let message = text(&show.stderr);
    assert!(message.contains("could not be used") && message.contains("profile.toml.bak"), "{message}");
    assert_eq!(std::fs::read_to_string(dir.path().join("profile.toml.bak")).unwrap(), "this is = = not toml");
}

#[test]
fn openxr_without_a_runtime_falls_back_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("session");
    let run = session(&dir.path().join("profile.toml"), "openxr", "tests/scenarios/short.toml", &out);
    let stderr = text(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let fallback: Vec<&str> = stderr.lines().filter(|l| l.contains("OpenXR")).collect();
    assert_eq!(fallback.len(), 1, "one clear line:\n{stderr}");
    assert!(fallback[0].contains("headless simulator"), "{}", fallback[0]);
    let report = read_report(&out);
    assert_eq!(report["backend"], "headless");
    assert!(report["notices"][0].as_str().unwrap().contains("OpenXR"));
}

#[test]
fn a_malformed_scenario_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let run =
        session(&dir.path().join("profile.toml"), "headless", "tests/scenarios/malformed.toml", dir.path());
    assert!(!run.status.success());
    let stderr = text(&run.stderr);
    assert!(stderr.contains("malformed.toml:7:1") && stderr.contains("outside the room"), "{stderr}");
}

#[test]
fn a_corrupt_profile_does_not_stop_a_session_and_is_shown_in_the_scene() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile.toml");
    std::fs::write(&profile, "[display]\ncaption_cap_height_deg = \"huge\"\n").unwrap();
    let out = dir.path().join("session");
    let run = session(&profile, "headless", "tests/scenarios/short.toml", &out);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let report = read_report(&out);
    let notice = report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "panel_shown" && e["kind"] == "notice")
        .expect("a notice panel is shown in the scene");
    assert!(notice["text"].as_str().unwrap().contains("profile.toml.bak"), "{notice}");
    assert!(dir.path().join("profile.toml.bak").exists());
}

#[test]
fn a_broken_recording_is_named_before_the_session_starts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("noise.wav"), b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk").unwrap();
    let scenario = std::fs::read_to_string(repo_root().join("tests/scenarios/short.toml")).unwrap().replace(
        "position_m = [0.0, 1.6, -2.0]",
        "position_m = [0.0, 1.6, -2.0]\nspeech = [{ audio = \"noise.wav\", at_s = 0.1 }]",
    );
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, scenario).unwrap();
    let run = session(&dir.path().join("profile.toml"), "headless", path.to_str().unwrap(), dir.path());
    let stderr = text(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("noise.wav looks like")
            && stderr.contains("header is damaged")
            && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn no_vulkan_driver_gives_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let missing_driver = dir.path().join("no-such-driver.json");
    let run = Command::new(env!("CARGO_BIN_EXE_allverse"))
        .args(["run", "--backend", "headless", "--scenario", "tests/scenarios/short.toml", "--out"])
        .arg(dir.path().join("session"))
        .env("ALLVERSE_PROFILE", dir.path().join("profile.toml"))
        .env("VK_ICD_FILENAMES", &missing_driver)
        .env("VK_DRIVER_FILES", &missing_driver)
        .current_dir(repo_root())
        .output()
        .unwrap();
    let stderr = text(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("no Vulkan device or driver was found") && stderr.contains("cargo xtask setup"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn captions_transcribe_prints_what_was_said_on_this_device() {
    let dir = tempfile::tempdir().unwrap();
    let clip = "assets/audio/librivox/sense_and_sensibility_01_austen_64kb-0870.wav";
    let out = allverse(&dir.path().join("p.toml"), &["captions", "transcribe", clip, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["text"].as_str().unwrap().contains("Dashwood"), "{json}");
}

#[test]
fn captions_errors_say_what_is_wrong_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    let broken = dir.path().join("broken.wav");
    std::fs::write(&broken, b"RIFF....WAVEnot really").unwrap();
    let out = allverse(&profile, &["captions", "transcribe", broken.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("broken.wav") && text(&out.stderr).contains("WAV"),
        "{}",
        text(&out.stderr)
    );

    let clip = "assets/audio/librivox/sense_and_sensibility_01_austen_64kb-0870.wav";
    let missing = dir.path().join("no-model.bin");
    let out = allverse(&profile, &["captions", "transcribe", clip, "--model", missing.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("cargo xtask model"), "{}", text(&out.stderr));
}

/// Clip 0870 as a person's 48 kHz float recording (each sample held for three), with `nan` NaN samples in it.
fn float_wav_with_nan(path: &Path, nan: usize) {
    let clip = repo_root().join("assets/audio/librivox/sense_and_sensibility_01_austen_64kb-0870.wav");
    let mut reader = hound::WavReader::open(clip).unwrap();
    let mut samples: Vec<f32> = reader
        .samples::<i16>()
        .flat_map(|s| std::iter::repeat_n(f32::from(s.unwrap()) / 32768.0, 3))
        .collect();
    let step = samples.len() / (nan + 1);
    for i in 1..=nan {
        samples[i * step] = f32::NAN;
    }
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for sample in samples {
        writer.write_sample(sample).unwrap();
    }
    writer.finalize().unwrap();
}

#[test]
fn captions_transcribe_hears_through_nan_samples_and_says_how_many() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("with-nan.wav");
    float_wav_with_nan(&recording, 50);
    let out = allverse(&dir.path().join("p.toml"), &["captions", "transcribe", recording.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(text(&out.stdout).contains("Dashwood"), "{}", text(&out.stdout));
    assert!(
        stderr.contains(
            "with-nan.wav: 50 sample(s) were not numbers (NaN or infinite) and were replaced by silence"
        ),
        "{stderr}"
    );
}

#[test]
fn captions_transcribe_reads_compressed_recordings() {
    let dir = tempfile::tempdir().unwrap();
    let mp3 = "crates/pipeline/tests/data/speech-44k-stereo.mp3";
    let out = allverse(&dir.path().join("p.toml"), &["captions", "transcribe", mp3]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let heard = text(&out.stdout).to_lowercase();
    assert!(heard.contains("selfish") && heard.contains("disposed"), "{heard}");
}

#[test]
fn captions_transcribe_refuses_an_impossible_sample_rate_within_bounded_memory() {
    // Clip 0870 (227 KB) with a header claiming 1 sample a second: read at
    // face value that is 31 hours to resample to 16 kHz, 7 GB.
    let dir = tempfile::tempdir().unwrap();
    let clip = repo_root().join("assets/audio/librivox/sense_and_sensibility_01_austen_64kb-0870.wav");
    let mut bytes = std::fs::read(clip).unwrap();
    bytes[24..28].copy_from_slice(&1u32.to_le_bytes());
    let recording = dir.path().join("one-hertz.wav");
    std::fs::write(&recording, bytes).unwrap();
    // At most 1.5 GB of address space: an allocation sized from the header would abort.
    let out = Command::new("prlimit")
        .arg("--as=1500000000")
        .arg(env!("CARGO_BIN_EXE_allverse"))
        .args(["captions", "transcribe"])
        .arg(&recording)
        .env("ALLVERSE_PROFILE", dir.path().join("p.toml"))
        .current_dir(repo_root())
        .output()
        .expect("prlimit (util-linux) runs");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "a clear refusal, not an abort: {stderr}");
    assert!(
        stderr.contains("one-hertz.wav says its sample rate is 1 Hz") && stderr.contains("header is damaged"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked") && !stderr.contains("memory allocation"), "{stderr}");
}

#[test]
fn a_session_without_a_caption_model_runs_with_captions_off_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    let missing = dir.path().join("no-model.bin");
    let set = allverse(&profile, &["profile", "set", "captions.model", missing.to_str().unwrap()]);
    assert!(set.status.success(), "{}", text(&set.stderr));
    let out_dir = dir.path().join("out");
    let out = session(&profile, "headless", "assets/scenarios/default.toml", &out_dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = read_report(&out_dir);
    let notices = report["notices"].to_string();
    assert!(notices.contains("Captions are off") && notices.contains("cargo xtask model"), "{notices}");
    let timeline = report["timeline"].as_array().unwrap();
    assert!(!timeline.iter().any(|e| e["event"] == "caption" && e["kind"] == "commit"));
    assert!(timeline.iter().any(|e| e["event"] == "speech_started"), "the session itself went on");
}

/// RMS of the left and right channels of a stereo float WAV.
fn ear_levels(path: &Path) -> (f32, f32) {
    let mut reader = hound::WavReader::open(path).unwrap();
    assert_eq!((reader.spec().channels, reader.spec().sample_rate), (2, 48_000));
    let samples: Vec<f32> = reader.samples::<f32>().map(Result::unwrap).collect();
    let rms = |ear: usize| {
        (samples.iter().skip(ear).step_by(2).map(|s| s * s).sum::<f32>() / (samples.len() / 2) as f32).sqrt()
    };
    (rms(0), rms(1))
}

#[test]
fn say_renders_speech_from_where_it_is_asked_to_come_from() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    let left = dir.path().join("left.wav");
    let said = allverse(
        &profile,
        &["say", "The door is on your left.", "--from", "90,0,2", "--out", left.to_str().unwrap()],
    );
    assert!(said.status.success(), "{}", text(&said.stderr));
    assert!(text(&said.stdout).contains("HRTF"), "{}", text(&said.stdout));
    let (l, r) = ear_levels(&left);
    assert!(l > 2.0 * r, "from the left: {l} vs {r}");

    let right = dir.path().join("right.wav");
    let said = allverse(
        &profile,
        &["say", "And now on your right.", "--from", "-90,0,2", "--out", right.to_str().unwrap()],
    );
    assert!(said.status.success(), "{}", text(&said.stderr));
    let (l, r) = ear_levels(&right);
    assert!(r > 2.0 * l, "from the right: {l} vs {r}");
}

#[test]
fn say_explains_bad_requests() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    let out = dir.path().join("x.wav");
    let cases: [(&[&str], &str); 5] = [
        (&["say", "hello", "--from", "ninety", "--out", out.to_str().unwrap()], "AZIMUTH,ELEVATION,DISTANCE"),
        (&["say", "hello", "--from", "0,0,-1", "--out", out.to_str().unwrap()], "distance above 0"),
        (&["say", "   ", "--out", out.to_str().unwrap()], "nothing to say"),
        (&["say", "hello"], "--out FILE.wav, --play"),
        (&["say", "hello", "--voice", "klingon-x", "--out", out.to_str().unwrap()], "no voice called"),
    ];
    for (args, needle) in cases {
        let result = allverse(&profile, args);
        assert!(!result.status.success(), "{args:?} should fail");
        assert!(text(&result.stderr).contains(needle), "{args:?}: {}", text(&result.stderr));
    }
    assert!(!out.exists(), "nothing is written for a bad request");
    let voices = allverse(&profile, &["say", "--list-voices"]);
    assert!(text(&voices.stdout).lines().any(|v| v == "en"), "{}", text(&voices.stdout));
}

#[test]
fn say_refuses_numbers_that_are_not_finite_or_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    let out = dir.path().join("x.wav");
    let out_arg = out.to_str().unwrap();
    let cases: [(&[&str], &str); 8] = [
        (&["--from", "nan,0,1"], "--from needs an azimuth between -360 and 360 degrees, not nan"),
        (&["--from", "inf,0,1"], "--from needs an azimuth between -360 and 360 degrees, not inf"),
        (&["--from", "0,-inf,1"], "--from needs an elevation between -90 and 90 degrees, not -inf"),
        (&["--from", "0,0,NaN"], "--from needs a distance above 0 and at most 100 metres, not NaN"),
        (&["--from", "0,0,1e40"], "--from needs a distance above 0 and at most 100 metres, not 1e40"),
        (&["--from", "0,95,1"], "--from needs an elevation between -90 and 90 degrees, not 95"),
        (&["--rate", "nan"], "--rate needs a whole number between 80 and 450 words per minute, not nan"),
        (
            &["--rate", "100000"],
            "--rate needs a whole number between 80 and 450 words per minute, not 100000",
        ),
    ];
    for (numbers, message) in cases {
        let args = [&["say", "Over here"][..], numbers, &["--out", out_arg]].concat();
        let result = allverse(&profile, &args);
        assert!(!result.status.success(), "{args:?} should fail");
        let stderr = text(&result.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    assert!(!out.exists(), "nothing is said from nowhere");
    // The edges of each range are accepted.
    let edges =
        allverse(&profile, &["say", "Over here", "--from", "-360,90,100", "--rate", "450", "--out", out_arg]);
    assert!(edges.status.success(), "{}", text(&edges.stderr));
}

#[test]
fn a_broken_hrtf_file_falls_back_to_panning_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let sofa = dir.path().join("mine.sofa");
    std::fs::write(&sofa, b"not a sofa file").unwrap();
    let profile = dir.path().join("p.toml");
    std::fs::write(&profile, format!("[audio]\nhrtf = {:?}\n", sofa.to_str().unwrap())).unwrap();
    let out = dir.path().join("x.wav");
    let said =
        allverse(&profile, &["say", "Still audible.", "--from", "90,0,1", "--out", out.to_str().unwrap()]);
    assert!(said.status.success(), "{}", text(&said.stderr));
    assert!(
        text(&said.stderr).contains("not a usable SOFA") && text(&said.stderr).contains("panning"),
        "{}",
        text(&said.stderr)
    );
    let (l, r) = ear_levels(&out);
    assert!(l > 2.0 * r, "panned to the left: {l} vs {r}");
}

/// The local addresses (hex, as `/proc/net/udp{,6}` writes them) of the UDP sockets process `pid` holds.
fn udp_sockets_of(pid: u32) -> Vec<String> {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|link| Some(link.to_str()?.strip_prefix("socket:[")?.strip_suffix(']')?.to_string()))
        .collect();
    ["/proc/net/udp", "/proc/net/udp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .filter_map(|line| {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    inodes.contains(&fields.get(9)?.to_string()).then(|| fields[1].to_string())
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `allverse interpret publish --channel BSL ARGS`, which is expected to refuse and end by itself;
/// while it runs, the UDP sockets it holds are collected. A run that goes on past a generous limit
/// is stopped and fails the test: a refusal must not wait for anything.
fn refused_publish(args: &[&str]) -> (Output, Vec<String>) {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_allverse"))
        .args([&["interpret", "publish", "--channel", "BSL"], args].concat())
        .env("ALLVERSE_PROFILE", dir.path().join("p.toml"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (mut sockets, start) = (Vec::new(), Instant::now());
    while child.try_wait().unwrap().is_none() {
        sockets.extend(udp_sockets_of(child.id()));
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!("{args:?} was not refused; it ran until stopped: {}", text(&output.stderr));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (child.wait_with_output().unwrap(), sockets)
}

#[test]
fn interpret_publish_refuses_what_cannot_work_and_says_why() {
    let japanese = "手話通訳".repeat(8);
    // Each case, and whether it is refused before anything starts (an address or a passphrase).
    let cases: [(&[&str], &str, bool); 8] = [
        (&["--test-pattern", "--to", "http://example.org/live"], "use srt:// or rtp://", true),
        (
            &["--test-pattern", "--to", "srt://127.0.0.1:17990", "--passphrase", "short"],
            "10 to 79 bytes (your passphrase is 5 bytes in UTF-8)",
            true,
        ),
        // 32 characters, which SRT counts as the 96 bytes they are.
        (
            &["--test-pattern", "--to", "srt://127.0.0.1:17990", "--passphrase", &japanese],
            "an SRT passphrase must be 10 to 79 bytes (your passphrase is 96 bytes in UTF-8)",
            true,
        ),
        (
            &["--camera", "/dev/video99", "--to", "srt://127.0.0.1:17990"],
            "Cannot identify device '/dev/video99'",
            false,
        ),
        (&["--to", "srt://127.0.0.1:17990"], "--camera", true),
        // No host: GStreamer would listen on every interface, port 7001.
        (&["--test-pattern", "--to", "srt://"], "`srt://` has no host", true),
        (&["--test-pattern", "--to", "srt://:7001"], "srt://127.0.0.1:7001?mode=listener", true),
        (
            &["--test-pattern", "--to", "srt://127.0.0.1:99999"],
            "port 99999 does not exist; ports go from 1 to 65535",
            true,
        ),
    ];
    for (args, expected, before_start) in cases {
        let (output, sockets) = refused_publish(args);
        let stderr = text(&output.stderr);
        assert!(!output.status.success() && stderr.contains(expected), "{args:?}: {stderr}");
        if before_start {
            assert!(!stderr.contains("publishing the"), "{args:?} is refused before it starts: {stderr}");
            assert_eq!(sockets, Vec::<String>::new(), "{args:?} opened no socket");
        }
    }
}

#[test]
fn interpret_publish_to_a_receiver_that_is_not_there_keeps_trying_and_says_so() {
    use std::io::BufRead;
    let mut publisher = Command::new(env!("CARGO_BIN_EXE_allverse"))
        .args(["interpret", "publish", "--channel", "BSL", "--test-pattern"])
        .args(["--to", "srt://127.0.0.1:17992"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(publisher.stderr.take().unwrap());
    let (send, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || stderr.lines().map_while(Result::ok).try_for_each(|line| send.send(line)));
    // Nobody listens on 17992: each failed attempt is a line; the second shows it went on trying.
    // A publisher that goes quiet is stopped after a generous limit, and fails below.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let mut said = Vec::new();
    while let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
        let second = line.contains("attempt 2 failed");
        said.push(line);
        if second {
            break;
        }
    }
    publisher.kill().unwrap();
    publisher.wait().unwrap();
    let said = said.join("\n");
    assert!(said.contains("publishing the BSL channel to srt://127.0.0.1:17992"), "{said}");
    assert!(said.contains("attempt 1 failed") && said.contains("attempt 2 failed"), "{said}");
    assert!(said.contains("still trying, again in"), "{said}");
}

#[test]
fn interpret_publish_sends_video_that_an_event_receives() {
    use allverse_interpret::feed::FeedAddress;
    use allverse_interpret::supervisor::SupervisedFeed;
    use std::time::{Duration, Instant};
    let mut feed = SupervisedFeed::open(
        FeedAddress::new("srt://127.0.0.1:17991?mode=listener")
            .with_passphrase(Some("interpreters only".into())),
        Instant::now(),
    );
    let mut publisher = Command::new(env!("CARGO_BIN_EXE_allverse"))
        .args(["interpret", "publish", "--channel", "BSL", "--test-pattern", "--chroma-key"])
        .args(["--to", "srt://127.0.0.1:17991", "--passphrase", "interpreters only"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !feed.has_video() && Instant::now() < deadline {
        feed.poll(Instant::now());
        std::thread::sleep(Duration::from_millis(10));
    }
    publisher.kill().unwrap();
    publisher.wait().unwrap();
    let frame = feed.latest().expect("the interpreter's video arrives, encrypted").clone();
    assert_eq!((frame.width, frame.height), (1280, 720));
}

/// A profile for a real broker over TLS, with `user:password` in a private credentials file.
fn home_profile(dir: &Path, broker: &allverse_home::broker::TestBroker, password: &str) -> PathBuf {
    use std::os::unix::fs::OpenOptionsExt;
    let credentials = dir.join("mqtt-credentials");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(&credentials)
        .unwrap();
    std::io::Write::write_all(&mut file, format!("headset:{password}\n").as_bytes()).unwrap();
    let profile = dir.join("p.toml");
    let toml = format!(
        "[home]\nbroker = \"{}\"\nca_file = \"{}\"\ncredentials_file = \"{}\"\nclient_id = \"cli\"\n",
        broker.tls_url(),
        broker.ca_file().display(),
        credentials.display()
    );
    std::fs::write(&profile, toml).unwrap();
    profile
}

#[test]
fn home_commands_check_the_broker_list_devices_and_round_trip_a_test_alert() {
    use allverse_home::broker::{BrokerConfig, HEADSET_PASSWORD, TestBroker};
    use allverse_home::publish::{Message, publish_once};
    let broker = TestBroker::start(BrokerConfig::home(&["allverse/headset/notify"])).unwrap();
    let config = r#"{"name":"Kitchen light","command_topic":"home/k/set","state_topic":"home/k/state","device":{"name":"Kitchen light","suggested_area":"Kitchen"}}"#;
    let message =
        Message { retain: true, ..Message::new("homeassistant/light/kitchen/config", config.as_bytes()) };
    publish_once(&broker.hub_settings(), &message).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = home_profile(dir.path(), &broker, HEADSET_PASSWORD);

    let status = allverse(&profile, &["home", "status"]);
    assert!(status.status.success(), "{}", text(&status.stderr));
    assert!(text(&status.stdout).contains("Connected. 1 device(s)"), "{}", text(&status.stdout));
    let devices = text(&allverse(&profile, &["home", "devices"]).stdout);
    assert!(
        devices.contains("Kitchen:\n  Kitchen light (light.kitchen): unknown, not allowed, not placed"),
        "{devices}"
    );
    let alert = allverse(&profile, &["home", "test-alert", "doorbell"]);
    assert!(alert.status.success(), "{}", text(&alert.stderr));
    assert!(
        text(&alert.stdout).contains("as an attention alert: Test alert: Doorbell"),
        "{}",
        text(&alert.stdout)
    );
    let smoke = text(&allverse(&profile, &["home", "test-alert", "smoke"]).stdout);
    assert!(smoke.contains("as a life-safety alert"), "{smoke}");
    let unknown = allverse(&profile, &["home", "test-alert", "nuke"]);
    assert!(!unknown.status.success() && text(&unknown.stderr).contains("not an alert kind"));

    let wrong = home_profile(dir.path(), &broker, "not-the-password");
    let refused = allverse(&wrong, &["home", "status"]);
    assert!(!refused.status.success());
    let said = format!("{}{}", text(&refused.stdout), text(&refused.stderr));
    assert!(said.contains("user name or password"), "{said}");
    assert!(!said.contains("not-the-password"), "the password is never printed: {said}");
}

#[test]
fn live_join_refused_by_the_room_says_why_and_never_shows_the_pin() {
    use allverse_live::server::{GUARDED_ROOM, GUARDED_TOKENS, JanusServer};
    let server = JanusServer::start().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_allverse"))
        .args([
            "live",
            "join",
            "--server",
            &server.ws_url(),
            "--room",
            &GUARDED_ROOM.to_string(),
            "--name",
            "Ana",
        ])
        .env("ALLVERSE_ROOM_PIN", "97531")
        .env("ALLVERSE_ROOM_TOKEN", GUARDED_TOKENS[0])
        .output()
        .unwrap();
    let said =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success(), "{said}");
    assert!(said.contains("the room did not accept this PIN"), "{said}");
    assert!(!said.contains("97531") && !said.contains(GUARDED_TOKENS[0]), "no secret is shown: {said}");
}

#[test]
fn a_join_address_that_can_never_work_is_refused_without_showing_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile.toml");
    let args = ["run", "--backend", "headless", "--join", "ws://admin:secret123@127.0.0.1:9", "--room", "1"];
    let output = allverse(&profile, &[&args[..], &["--name", "Lee"]].concat());
    let printed = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(!output.status.success(), "{printed}");
    assert!(printed.contains("cannot join the live session"), "{printed}");
    assert!(!printed.contains("secret123"), "the password is never shown: {printed}");
}
