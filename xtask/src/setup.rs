//! `cargo xtask setup`: system packages and assets, installed only when missing.

use anyhow::{Result, bail};
use std::process::Command;

/// Debian packages the app and its tests need at run time, and why.
const DEBIAN_PACKAGES: &[(&str, &str)] = &[
    ("libvulkan1", "Vulkan loader, for rendering"),
    ("mesa-vulkan-drivers", "lavapipe, a CPU Vulkan driver for the headless simulator's offscreen view"),
    ("libopenxr-loader1", "OpenXR loader, so the headset backend can look for a runtime"),
    ("libopenxr-dev", "the unversioned libopenxr_loader.so name the OpenXR bindings load"),
    ("cmake", "to build whisper.cpp, the speech recogniser behind live captions"),
    ("g++", "to build whisper.cpp"),
    ("pkg-config", "to find ALSA when building the audio backend"),
    ("libasound2-dev", "ALSA headers, for microphone capture and audio output"),
    ("libespeak-ng-dev", "espeak-ng, the speech synthesizer behind spoken chat, alerts and menus (GPL-3.0)"),
    (
        "libmysofa1",
        "for its MIT KEMAR head-related transfer functions (a SOFA file), used to place sound around you",
    ),
    ("libudev-dev", "to build gamepad support (gilrs), for adaptive controllers and gamepads"),
    ("libgstreamer1.0-dev", "GStreamer, which carries sign-language interpreter video in and out"),
    (
        "libgstreamer-plugins-base1.0-dev",
        "GStreamer's app and video libraries, to hand decoded frames to the panels",
    ),
    ("gstreamer1.0-plugins-good", "RTP, RTSP and UDP for interpreter feeds"),
    (
        "gstreamer1.0-plugins-bad",
        "SRT (srtsrc, srtsink) and MPEG-TS for interpreter feeds; webrtcbin for live sessions",
    ),
    ("libgstreamer-plugins-bad1.0-dev", "the WebRTC and SDP libraries the live-session crate links against"),
    ("gstreamer1.0-nice", "ICE (libnice) for webrtcbin in live sessions"),
    ("iproute2", "`ip`, to set up the private network the live-session media tests run in"),
    ("gstreamer1.0-plugins-ugly", "x264, to encode an interpreter's camera"),
    ("gstreamer1.0-plugins-base", "Opus, for an interpreter's voice, and the video converters"),
    ("gstreamer1.0-libav", "the H.264 decoder"),
    ("libspeechd-dev", "speech-dispatcher's client library, to check the `system-voice` fallback builds"),
    ("libclang-dev", "for bindgen, which the speech-dispatcher bindings run when `system-voice` is built"),
    (
        "fonts-noto-core",
        "Noto fonts for text panels in Arabic, Hebrew, Cyrillic, Greek, Indic and other scripts",
    ),
    ("fonts-noto-cjk", "Noto fonts for text panels in Chinese, Japanese and Korean"),
    ("fonts-noto-color-emoji", "Noto Color Emoji, for emoji on text panels"),
    ("mosquitto", "an MQTT broker, which the home tests and simulator start to stand in for a real home"),
    ("mosquitto-clients", "mosquitto_pub and mosquitto_sub, to check a home broker by hand"),
    ("janus", "the Janus WebRTC server, which the live-session tests and `cargo xtask janus` start"),
    ("libjs-janus-gateway", "janus.js, which the web page for joining from a browser uses"),
    ("libjs-webrtc-adapter", "adapter.js, the browser shim janus.js needs"),
    (
        "chromium",
        "a headless browser, which the tests join a live session with as a browser participant would",
    ),
];

/// Files the demo and tests read, committed in the repository.
const ASSETS: &[&str] = &[
    "assets/fonts/AtkinsonHyperlegible-Regular.ttf",
    "assets/fonts/AtkinsonHyperlegible-Bold.ttf",
    "assets/scenarios/default.toml",
    "assets/audio/librivox/README.md",
];

pub fn run() -> Result<()> {
    install_debian_packages("setup", DEBIAN_PACKAGES)?;
    check_assets()?;
    println!("[setup] ready");
    Ok(())
}

fn is_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

/// Installs the (name, why) Debian packages that are missing, with apt,
/// saying why each is needed; lines start with `[step]`.
pub fn install_debian_packages(step: &str, packages: &[(&str, &str)]) -> Result<()> {
    if Command::new("dpkg-query").arg("--version").output().is_err() {
        println!(
            "[{step}] not a Debian-based system: install these yourself: {}",
            packages.iter().map(|p| p.0).collect::<Vec<_>>().join(", ")
        );
        return Ok(());
    }
    let missing: Vec<&str> =
        packages.iter().map(|(name, _)| *name).filter(|name| !is_installed(name)).collect();
    if missing.is_empty() {
        println!(
            "[{step}] Debian packages present: {}",
            packages.iter().map(|p| p.0).collect::<Vec<_>>().join(", ")
        );
        return Ok(());
    }
    for (name, why) in packages.iter().filter(|(name, _)| missing.contains(name)) {
        println!("[{step}] needs {name}: {why}");
    }
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let sudo: &[&str] = if is_root { &[] } else { &["sudo", "-n"] };
    let prefix = if is_root { "" } else { "sudo " };
    let command_line = format!(
        "{prefix}apt-get update && {prefix}apt-get install -y --no-install-recommends {}",
        missing.join(" ")
    );
    println!("[{step}] installing with apt: {command_line}");
    // Any failure, including no sudo at all, ends in the message below.
    let apt = |args: &[&str]| -> bool {
        let (program, rest) = match sudo.split_first() {
            Some((first, rest)) => (*first, [rest, &["apt-get"], args].concat()),
            None => ("apt-get", args.to_vec()),
        };
        Command::new(program)
            .args(rest)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|status| status.success())
    };
    let installed = apt(&["update", "-q"])
        && apt(&[&["install", "-y", "-q", "--no-install-recommends"], &missing[..]].concat());
    if !installed {
        bail!(
            "[{step}] could not install {}; run this as an administrator, then try again:\n    {command_line}",
            missing.join(" ")
        );
    }
    Ok(())
}

fn check_assets() -> Result<()> {
    let root = crate::workspace_root();
    let missing: Vec<&&str> = ASSETS.iter().filter(|a| !root.join(a).is_file()).collect();
    if !missing.is_empty() {
        bail!("[setup] bundled assets are missing: {missing:?}; is this a complete clone?");
    }
    println!("[setup] assets present ({} checked)", ASSETS.len());
    Ok(())
}
