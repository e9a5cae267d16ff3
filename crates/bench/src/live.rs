//! `bench live`: live sessions through a real Janus, inside a private network namespace on this machine.
//!
//! Targets (issue #17): a late joiner heard within 1 s of joining, in 20 of
//! 20 tries; mouth-to-ear latency p95 ≤ 150 ms; pose sent → voice heard from
//! the new direction ≤ 50 ms.
//!
//! A late joiner is "heard" when the listener has the first decoded block of
//! their voice: from the moment their client starts joining (signalling,
//! ICE, DTLS, the listener's own subscription) to that block. Mouth to ear is
//! measured from the moment a participant's client is handed a click to the
//! first decoded block at a listener that holds it (the server, Opus and
//! WebRTC on both sides), plus what the runtime adds on top by design: its
//! jitter buffer before a live voice plays and one block of the audio engine.
//! A pose is measured from `send_pose` to its arrival at the listener, plus
//! what the runtime adds by design: the voice moves in the next frame (at
//! most one 90 Hz frame), and the engine's next block renders it there.
//! Word end → caption and CPU with 20 participants are not measured yet.

use crate::measurement::{Goal, Measurement, percentile};
use allverse_live::server::{JanusServer, in_private_network_process, private_network};
use allverse_live::{LiveEvent, LiveSession, MediaSettings, Outgoing, PresenceChange, VOICE_RATE_HZ};
use allverse_pipeline::audio::{BLOCK_FRAMES, SAMPLE_RATE_HZ};
use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const JOINERS: usize = 20;
/// One frame at 90 Hz: the longest a pose that has arrived waits to move its voice.
const FRAME_90HZ_MS: f64 = 1000.0 / 90.0;
const CLICKS: usize = 20;
const WAIT: Duration = Duration::from_secs(30);
/// Where the child process run inside the private network writes its figures.
const FIGURES_ENV: &str = "ALLVERSE_BENCH_LIVE_FIGURES";

pub fn run() -> Result<Vec<Measurement>> {
    if !in_private_network_process() {
        return run_in_private_network();
    }
    let server = JanusServer::start()?;
    let listener = join(&server, "Listener", MediaSettings { send: None, receive: true })?;
    wait_for(&listener, |e| matches!(e, LiveEvent::MediaUp { from: None }))?;
    let joined_ms = late_joiners(&server, &listener)?;
    let (decoded_ms, pose_ms) = mouth_to_decoded_and_pose(&server, &listener)?;
    let heard_within_1_s = joined_ms.iter().filter(|&&ms| ms <= 1000.0).count();
    let block_ms = BLOCK_FRAMES as f64 * 1000.0 / f64::from(SAMPLE_RATE_HZ);
    let playout_ms = allverse_runtime::live::JITTER_BUFFER_S * 1000.0 + block_ms;
    let figures = vec![
        Measurement::new(
            "late joiners heard within 1 s of joining (of 20)",
            heard_within_1_s as f64,
            "joiners",
            Goal::AtLeast,
            JOINERS as f64,
        ),
        Measurement::new(
            "late joiner: join -> first voice decoded, p95",
            percentile(&mut joined_ms.clone(), 95.0),
            "ms",
            Goal::AtMost,
            1000.0,
        ),
        Measurement::new(
            "mouth -> ear, p95 (to decoded + jitter buffer + one engine block)",
            percentile(&mut decoded_ms.clone(), 95.0) + playout_ms,
            "ms",
            Goal::AtMost,
            150.0,
        ),
        Measurement::new(
            "pose sent -> voice from the new direction, p95 (arrival + one 90 Hz frame + one engine block)",
            percentile(&mut pose_ms.clone(), 95.0) + FRAME_90HZ_MS + block_ms,
            "ms",
            Goal::AtMost,
            50.0,
        ),
    ];
    if let Some(path) = std::env::var_os(FIGURES_ENV) {
        let rows: Vec<_> = figures
            .iter()
            .map(|m| serde_json::json!([m.name, m.value, m.unit, matches!(m.goal, Goal::AtMost), m.target]))
            .collect();
        std::fs::write(path, serde_json::to_string(&rows)?)?;
    }
    Ok(figures)
}

/// Runs this benchmark again inside a private network namespace and takes its figures.
fn run_in_private_network() -> Result<Vec<Measurement>> {
    let figures = tempfile::NamedTempFile::new()?;
    let status = private_network(&std::env::current_exe()?, &["live"])
        .env(FIGURES_ENV, figures.path())
        // The figures are printed here, once, with the other benchmarks' layout.
        .stdout(std::process::Stdio::null())
        .status()
        .context("unshare (util-linux) runs")?;
    if !status.success() {
        bail!("the live benchmark failed inside its private network ({status})");
    }
    let rows: Vec<(String, f64, String, bool, f64)> =
        serde_json::from_str(&std::fs::read_to_string(figures.path())?)?;
    Ok(rows
        .into_iter()
        .map(|(name, value, unit, at_most, target)| {
            let goal = if at_most { Goal::AtMost } else { Goal::AtLeast };
            Measurement::new(&name, value, &unit, goal, target)
        })
        .collect())
}

fn join(server: &JanusServer, name: &str, media: MediaSettings) -> Result<LiveSession> {
    Ok(LiveSession::join(server.open_room(name, media))?)
}

fn wait_for(session: &LiveSession, done: impl Fn(&LiveEvent) -> bool) -> Result<LiveEvent> {
    loop {
        match session.next_event(WAIT) {
            Some(LiveEvent::MediaProblem(problem)) => bail!("{problem}"),
            Some(event) if done(&event) => return Ok(event),
            Some(_) => {}
            None => bail!("nothing arrived for {} s", WAIT.as_secs()),
        }
    }
}

/// Milliseconds from each joiner starting to join to the first block of their voice at the listener.
fn late_joiners(server: &JanusServer, listener: &LiveSession) -> Result<Vec<f64>> {
    let clip = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/audio/librivox/sense_and_sensibility_01_austen_64kb-0870.wav");
    let mut joined_ms = Vec::new();
    for joiner in 0..JOINERS {
        let name = format!("Joiner {}", joiner + 1);
        let started = Instant::now();
        let speaker = join(
            server,
            &name,
            MediaSettings { send: Some(Outgoing::Recording(clip.clone())), receive: false },
        )?;
        let id = match wait_for(
            listener,
            |e| matches!(e, LiveEvent::Presence(PresenceChange::Arrived(p)) if p.display == name),
        )? {
            LiveEvent::Presence(PresenceChange::Arrived(p)) => p.id,
            _ => unreachable!("only an arrival is waited for"),
        };
        wait_for(listener, |e| matches!(e, LiveEvent::Voice { from, .. } if *from == id))?;
        joined_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        drop(speaker);
    }
    Ok(joined_ms)
}

/// Milliseconds from handing a click to a participant's client to the first decoded block
/// holding it, and from sending a pose to its arrival, each [`CLICKS`] times.
fn mouth_to_decoded_and_pose(server: &JanusServer, listener: &LiveSession) -> Result<(Vec<f64>, Vec<f64>)> {
    let speaker = join(server, "Clicker", MediaSettings { send: Some(Outgoing::Voice), receive: false })?;
    let id = match wait_for(
        listener,
        |e| matches!(e, LiveEvent::Presence(PresenceChange::Arrived(p)) if p.display == "Clicker"),
    )? {
        LiveEvent::Presence(PresenceChange::Arrived(p)) => p.id,
        _ => unreachable!("only an arrival is waited for"),
    };
    wait_for(listener, |e| matches!(e, LiveEvent::MediaUp { from: Some(from) } if *from == id))?;
    // 20 ms of a 1 kHz tone at half scale, after silence: unmistakable once decoded.
    let click: Vec<f32> = (0..VOICE_RATE_HZ as usize / 50)
        .map(|n| 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * n as f32 / VOICE_RATE_HZ as f32).sin())
        .collect();
    let mut decoded_ms = Vec::new();
    for _ in 0..CLICKS * 3 {
        if decoded_ms.len() == CLICKS {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
        let sent = Instant::now();
        speaker.say("", click.clone());
        let deadline = sent + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Some(LiveEvent::Voice { from, samples }) = listener.next_event(Duration::from_millis(50))
                && from == id
                && samples.iter().any(|s| s.abs() > 0.1)
            {
                decoded_ms.push(sent.elapsed().as_secs_f64() * 1000.0);
                break;
            }
        }
    }
    if decoded_ms.len() < CLICKS {
        bail!("only {} of {} clicks were heard", decoded_ms.len(), CLICKS * 3);
    }
    let mut pose_ms = Vec::new();
    for round in 0..CLICKS {
        // A new place each time, so that the one that arrives is the one just sent.
        let x_m = round as f32 * 0.1 - 1.0;
        let sent = Instant::now();
        speaker.send_pose(allverse_live::Pose {
            position_m: [x_m, 1.6, -2.0],
            orientation: [0.0, 0.0, 0.0, 1.0],
        });
        wait_for(
            listener,
            |e| matches!(e, LiveEvent::Pose { from, pose } if *from == id && pose.position_m[0] == x_m),
        )?;
        pose_ms.push(sent.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((decoded_ms, pose_ms))
}
