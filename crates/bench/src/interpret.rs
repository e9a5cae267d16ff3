//! Interpreter video on loopback: glass-to-glass latency, frame rate, handover gap, receive CPU.
//!
//! Targets (issue #5), for a 1280×720 feed at 30 fps published by the
//! publish path (in a second process, as an interpreter's laptop would) and
//! received over SRT on 127.0.0.1: latency from the publisher's input to an
//! RGBA frame ready for the panel p95 ≤ 150 ms (each frame carries its
//! send time, see `allverse_interpret::stamp`); ≥ 29 fps sustained over
//! 60 s; no black frame and no frame held over 100 ms across a handover;
//! receive and decode ≤ 30 % of one core; the voice that comes with the
//! video (Opus) at most 100 ms out of step with it.

use crate::measurement::{Goal, Measurement, percentile};
use crate::process::cpu_time;
use allverse_core::event::{ChannelDescription, ChannelKind, Interpreter};
use allverse_interpret::publish::{PublishOptions, VideoSource};
use allverse_interpret::stamp;
use allverse_interpret::team::{Team, TeamEvent};
use anyhow::{Context, Result, bail};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

const MEASURE: Duration = Duration::from_secs(60);
const HANDOVER_AT: Duration = Duration::from_secs(30);
const PORTS: [u16; 2] = [17201, 17202];
const LOOPBACK_SRT_LATENCY_MS: u32 = 20;
const SAM_JOINS_BEFORE: Duration = Duration::from_secs(3);
/// The argument that makes the bench binary a publisher (see `main`).
pub const PUBLISH_HELPER: &str = "--publish-helper";

/// Runs as the interpreter's side: publishes stamped 720p30 to `to` until killed.
pub fn publish_helper(to: &str) -> Result<()> {
    let mut options = PublishOptions::new("bsl", VideoSource::Stamped, to);
    // A voice too, as a spoken interpreter sends, for the audio/video skew.
    options.test_tone = true;
    // Before the handover nobody listens on the second port; it keeps trying, quietly.
    match allverse_interpret::publish::publish_until_stopped(&options, |_| {})? {}
}

struct Helper(Child);

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_publisher(port: u16) -> Result<Helper> {
    let exe = std::env::current_exe()?;
    let child = Command::new(exe)
        .args([PUBLISH_HELPER, &format!("srt://127.0.0.1:{port}?latency={LOOPBACK_SRT_LATENCY_MS}")])
        .spawn()
        .context("cannot start the publisher process")?;
    Ok(Helper(child))
}

pub fn run() -> Result<Vec<Measurement>> {
    allverse_interpret::init()?;
    let interpreters = PORTS
        .iter()
        .zip(["alex", "sam"])
        .map(|(port, id)| Interpreter {
            id: id.into(),
            name: id.into(),
            // SRT's latency is sized to the round trip, next to nothing on loopback.
            feed: format!("srt://127.0.0.1:{port}?mode=listener&latency={LOOPBACK_SRT_LATENCY_MS}"),
            passphrase: None,
        })
        .collect();
    let channel = ChannelDescription {
        id: "bsl".into(),
        name: "British Sign Language".into(),
        kind: ChannelKind::Signed,
        relay_from: "floor".into(),
        interpreters,
        active: None,
    };
    let mut team = Team::open(channel, Instant::now());
    let _alex = spawn_publisher(PORTS[0])?;
    // The incoming interpreter joins shortly before taking over, as in a real team.
    let mut sam = None;

    // Wait for video, then measure for a minute.
    let deadline = Instant::now() + Duration::from_secs(20);
    while team.frame().is_none() {
        if Instant::now() > deadline {
            bail!("no video from the publisher within 20 s: {:?}", team.state());
        }
        team.poll(Instant::now());
        std::thread::sleep(Duration::from_millis(2));
    }
    let (start, cpu_start) = (Instant::now(), cpu_time());
    let mut latency_ms = Vec::new();
    let mut frames = 0u32;
    let mut shown = team.frame().cloned();
    let mut shown_since = Instant::now();
    let mut handover_started = None;
    let mut handed_over_at = None;
    let (mut held_over_100ms, mut black_frames) = (0u32, 0u32);
    while start.elapsed() < MEASURE {
        let now = Instant::now();
        if sam.is_none() && start.elapsed() + SAM_JOINS_BEFORE >= HANDOVER_AT {
            sam = Some(spawn_publisher(PORTS[1])?);
        }
        if handover_started.is_none() && start.elapsed() >= HANDOVER_AT {
            team.hand_over("sam", now).map_err(anyhow::Error::msg)?;
            handover_started = Some(now);
        }
        if let Some(TeamEvent::HandedOver { .. }) = team.poll(now) {
            handed_over_at = Some(now);
        }
        let frame = team.frame().cloned();
        if let Some(frame) = frame.filter(|f| !shown.as_ref().is_some_and(|s| Arc::ptr_eq(s, f))) {
            frames += 1;
            if let Some(sent_ms) = stamp::read(&frame) {
                latency_ms
                    .push(stamp::age_ms(sent_ms) as f64 - frame.decoded_at.elapsed().as_millis() as f64);
            }
            // Around the handover, nothing may freeze or go black.
            let near_handover = handover_started.is_some_and(|h| now >= h)
                && handed_over_at.is_none_or(|h| now < h + Duration::from_secs(2));
            if near_handover {
                held_over_100ms += u32::from(shown_since.elapsed() > Duration::from_millis(100));
                black_frames +=
                    u32::from(frame.rgba.chunks_exact(4).all(|p| p[0] < 16 && p[1] < 16 && p[2] < 16));
            }
            (shown, shown_since) = (Some(frame), now);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let wall_s = start.elapsed().as_secs_f64();
    let cpu_percent = (cpu_time() - cpu_start).as_secs_f64() / wall_s * 100.0;
    if handed_over_at.is_none() {
        bail!("the handover to the second interpreter never completed: {:?}", team.state());
    }
    anyhow::ensure!(!latency_ms.is_empty(), "no frame carried a readable time stamp");
    let skew_ms = team
        .arrivals()
        .and_then(|a| a.lock().ok()?.audio_behind_video_ms())
        .context("the feed carried no sound to measure the skew with")?;
    let p50_ms = percentile(&mut latency_ms, 50.0);
    println!("[bench] glass-to-glass latency: min {} ms, p50 {p50_ms} ms", latency_ms[0]);
    Ok(vec![
        Measurement::new(
            "glass-to-glass latency, publish input to RGBA ready, p95",
            percentile(&mut latency_ms, 95.0),
            "ms",
            Goal::AtMost,
            150.0,
        ),
        Measurement::new(
            "delivered frame rate over 60 s (720p30)",
            frames as f64 / wall_s,
            "fps",
            Goal::AtLeast,
            29.0,
        ),
        Measurement::new(
            "handover: frames held over 100 ms or black",
            f64::from(held_over_100ms + black_frames),
            "frames",
            Goal::AtMost,
            0.0,
        ),
        Measurement::new(
            "audio/video skew of a spoken interpreter feed (|audio behind video|)",
            skew_ms.abs(),
            "ms",
            Goal::AtMost,
            100.0,
        ),
        Measurement::new(
            "receive + decode CPU, one 720p30 feed (two during the handover)",
            cpu_percent,
            "% of a core",
            Goal::AtMost,
            30.0,
        ),
    ])
}
