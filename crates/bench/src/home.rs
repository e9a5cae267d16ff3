//! `bench home`: home alerts through a real Mosquitto on loopback, from the hub's publish to what the user sees, feels and hears.
//!
//! Targets (issue #18): publish → first visual and haptic signal p95 ≤ 50 ms;
//! publish → first spatial speech sample p95 ≤ 150 ms; 1,000 discovered
//! entities (time and memory); a flood of 100 alerts a second (CPU, and the
//! rates flashed and spoken, both within their limits).
//!
//! The visual and haptic signals start in the first frame after the link
//! delivers an alert, so that latency is the delivery measured here plus
//! one whole frame at 90 Hz (the worst case). Speech is measured to its
//! first sample out of the engine's mixer, with espeak-ng synthesising on
//! its worker and the renderer paced like a sound device.

use crate::audio::{PacedDevice, engine_for};
use crate::measurement::{Goal, Measurement, percentile};
use crate::process::{cpu_time, rss_mb};
use allverse_core::home::{AlertVisual, MAX_FLASHES_PER_S, edge_lit};
use allverse_home::alert::GateConfig;
use allverse_home::broker::{BrokerConfig, TestBroker};
use allverse_home::publish::{Message, Publisher};
use allverse_home::{AlertGate, GateDecision, HomeAlert, HomeLink, HomeUpdate};
use allverse_pipeline::audio::{HrtfSet, Placement, SAMPLE_RATE_HZ};
use allverse_speech::{Espeak, Speaker, SpeechKind, Synthesizer, Utterance, VoiceParams};
use anyhow::{Context, Result, bail};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One frame at 90 Hz, the longest an alert waits to be drawn once delivered.
const FRAME_90HZ_MS: f64 = 1000.0 / 90.0;
const ROUNDS: usize = 100;
const SPOKEN_ROUNDS: usize = 20;
const ENTITIES: usize = 1000;
const FLOOD_PER_S: usize = 100;
const FLOOD_S: usize = 5;
const WAIT: Duration = Duration::from_secs(20);
const DOORBELL: &str = r#"{"name":"Front door","device_class":"doorbell","event_types":["ring"],"state_topic":"home/front_door/event","device":{"name":"Front door","suggested_area":"Hall"}}"#;

pub fn run() -> Result<Vec<Measurement>> {
    let broker = TestBroker::start(BrokerConfig::home(&[]))?;
    let mut hub = Publisher::connect(&broker.hub_settings())?;
    let link = connected_link(&broker, "bench-alerts")?;
    hub.publish(&Message {
        retain: true,
        ..Message::new("homeassistant/event/front_door/config", DOORBELL.as_bytes())
    })?;
    wait(&link, |u| matches!(u, HomeUpdate::EntityAdded(_)))?;

    let (delivery_ms, speech_ms) = latencies(&link, &mut hub)?;
    let (discovery_s, discovery_mb) = discovery(&broker, &mut hub)?;
    let flood = flood(&link, &mut hub)?;
    Ok(vec![
        Measurement::new(
            "publish -> first visual and haptic signal, p95 (delivery + one 90 Hz frame)",
            delivery_ms + FRAME_90HZ_MS,
            "ms",
            Goal::AtMost,
            50.0,
        ),
        Measurement::new("publish -> first spatial speech sample, p95", speech_ms, "ms", Goal::AtMost, 150.0),
        Measurement::new("1000 entities discovered (fresh link)", discovery_s, "s", Goal::AtMost, 5.0),
        Measurement::new("memory for 1000 entities", discovery_mb, "MB", Goal::AtMost, 50.0),
        Measurement::new(
            "alert flood 100/s: CPU (link, gate and hub)",
            flood.cpu_percent,
            "% core",
            Goal::AtMost,
            50.0,
        ),
        Measurement::new(
            "alert flood: most flashes in any second",
            flood.flashes_per_s,
            "/s",
            Goal::AtMost,
            f64::from(MAX_FLASHES_PER_S),
        ),
        Measurement::new(
            "alert flood: most alerts spoken in any 5 s",
            flood.spoken_per_5s,
            "",
            Goal::AtMost,
            1.0,
        ),
        Measurement::new("alert flood: alerts not delivered", flood.lost, "", Goal::AtMost, 0.0),
    ])
}

fn connected_link(broker: &TestBroker, client_id: &str) -> Result<HomeLink> {
    let mut settings = broker.headset_settings();
    settings.client_id = client_id.into();
    let link = HomeLink::start(settings)?;
    wait(&link, |u| matches!(u, HomeUpdate::Connected { .. }))?;
    Ok(link)
}

/// Waits for the first update `wanted` accepts.
fn wait(link: &HomeLink, wanted: impl Fn(&HomeUpdate) -> bool) -> Result<HomeUpdate> {
    let deadline = Instant::now() + WAIT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match link.recv_timeout(left) {
            Some(update) if wanted(&update) => return Ok(update),
            Some(_) => {}
            None => break,
        }
    }
    bail!("the link did not deliver in {} s", WAIT.as_secs())
}

fn next_alert(link: &HomeLink) -> Result<HomeAlert> {
    match wait(link, |u| matches!(u, HomeUpdate::Alert(_)))? {
        HomeUpdate::Alert(alert) => Ok(alert),
        _ => unreachable!("only alerts are accepted"),
    }
}

/// p95 of publish → alert delivered through the gate, and of publish → first speech sample.
fn latencies(link: &HomeLink, hub: &mut Publisher) -> Result<(f64, f64)> {
    let set = Arc::new(HrtfSet::load_default(SAMPLE_RATE_HZ)?);
    let (mut control, renderer) = engine_for(&set, 8);
    let device = PacedDevice::start(renderer);
    let params = VoiceParams::from(&allverse_core::profile::SpeechSettings::default());
    let mut speaker = Speaker::new(Synthesizer::Espeak { espeak: Espeak::shared()?, params });
    let mut delivered_ms = Vec::new();
    let mut spoken_ms = Vec::new();
    for round in 0..ROUNDS {
        let payload = format!(r#"{{"event_type":"ring","round":{round}}}"#);
        device.onsets.try_iter().for_each(drop);
        let published = Instant::now();
        hub.publish(&Message::new("home/front_door/event", payload.as_bytes()))?;
        let alert = next_alert(link)?;
        // Each ring is its own visitor: a fresh gate presents it.
        let GateDecision::Present(alert) = AlertGate::default().offer(alert, 0.0) else {
            bail!("the gate did not present a new alert");
        };
        delivered_ms.push(published.elapsed().as_secs_f64() * 1e3);
        if round < SPOKEN_ROUNDS {
            let utterance = Utterance {
                text: alert.text,
                kind: SpeechKind::Alert,
                placement: Placement::World(glam::Vec3::new(-3.0, 1.6, 0.0)),
                source: "event.front_door".into(),
            };
            speaker.say(utterance, &mut control, 0.0)?;
            let first =
                device.onsets.recv_timeout(Duration::from_secs(5)).context("the alert was never heard")?;
            spoken_ms.push((first - published).as_secs_f64() * 1e3);
            speaker.stop_all(&mut control);
            // Let the filter tail die away so the next onset is seen from silence.
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok((percentile(&mut delivered_ms, 95.0), percentile(&mut spoken_ms, 95.0)))
}

/// Seconds for a fresh link to learn 1,000 retained entities, and the memory they take.
fn discovery(broker: &TestBroker, hub: &mut Publisher) -> Result<(f64, f64)> {
    for n in 0..ENTITIES {
        let config = format!(
            r#"{{"name":"Lamp {n}","unique_id":"lamp_{n}","command_topic":"home/lamp/{n}/set","state_topic":"home/lamp/{n}/state","device":{{"name":"Lamp {n}","suggested_area":"Room {}"}}}}"#,
            n % 20
        );
        let topic = format!("homeassistant/light/lamp_{n}/config");
        hub.publish(&Message { retain: true, ..Message::new(&topic, config.as_bytes()) })?;
    }
    let before_mb = rss_mb()?;
    let started = Instant::now();
    let link = connected_link(broker, "bench-discovery")?;
    let mut seen = 0;
    while seen < ENTITIES + 1 {
        wait(&link, |u| matches!(u, HomeUpdate::EntityAdded(_)))?;
        seen += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok((seconds, (rss_mb()? - before_mb).max(0.0)))
}

struct Flood {
    cpu_percent: f64,
    flashes_per_s: f64,
    spoken_per_5s: f64,
    lost: f64,
}

/// 100 doorbell rings a second for five seconds, through the gate on the
/// arrival clock; flashes follow the runtime's rule for the alert shown.
fn flood(link: &HomeLink, hub: &mut Publisher) -> Result<Flood> {
    let total = FLOOD_PER_S * FLOOD_S;
    let started = Instant::now();
    let cpu_started = cpu_time();
    let mut tally = Tally { gate: AlertGate::new(GateConfig::default()), ..Tally::default() };
    let take = |tally: &mut Tally, alert: HomeAlert| tally.take(alert, started.elapsed().as_secs_f64());
    for n in 0..total {
        let due = started + Duration::from_secs_f64(n as f64 / FLOOD_PER_S as f64);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        let payload = format!(r#"{{"event_type":"ring","n":{n}}}"#);
        hub.publish(&Message::new("home/front_door/event", payload.as_bytes()))?;
        while let Some(update) = link.try_recv() {
            if let HomeUpdate::Alert(alert) = update {
                take(&mut tally, alert);
            }
        }
    }
    let deadline = Instant::now() + WAIT;
    while tally.arrived < total && Instant::now() < deadline {
        if let Some(HomeUpdate::Alert(alert)) = link.recv_timeout(Duration::from_millis(100)) {
            take(&mut tally, alert);
        }
    }
    let wall_s = started.elapsed().as_secs_f64();
    let cpu_percent = (cpu_time() - cpu_started).as_secs_f64() / wall_s * 100.0;
    let Tally { presented, spoken, arrived, .. } = tally;
    println!(
        "[bench] flood: {arrived} of {total} alerts delivered, {} presented, the rest counted into them",
        presented.len()
    );
    Ok(Flood {
        cpu_percent,
        flashes_per_s: most_flashes_in_a_second(&presented, wall_s),
        spoken_per_5s: most_within(&spoken, 5.0) as f64,
        lost: (total - arrived) as f64,
    })
}

/// What the gate made of a flood: when alerts were presented and spoken.
#[derive(Default)]
struct Tally {
    gate: AlertGate,
    presented: Vec<f64>,
    spoken: Vec<f64>,
    arrived: usize,
}

impl Tally {
    fn take(&mut self, alert: HomeAlert, now_s: f64) {
        self.arrived += 1;
        if self.gate.may_speak(&alert.kind, now_s) {
            self.spoken.push(now_s);
        }
        if let GateDecision::Present(_) = self.gate.offer(alert, now_s) {
            self.presented.push(now_s);
        }
    }
}

/// Flash onsets of the alerts presented at `presented_s`, sampled at 90 Hz
/// as the runtime draws them (each flashes for 3 s), counted in the busiest second.
fn most_flashes_in_a_second(presented_s: &[f64], until_s: f64) -> f64 {
    let frames: Vec<f64> = (0..(until_s * 90.0) as usize).map(|i| i as f64 / 90.0).collect();
    let lit: Vec<bool> = frames
        .iter()
        .map(|t| {
            presented_s
                .iter()
                .filter(|p| *p <= t && t - *p < 3.0)
                .any(|p| edge_lit(AlertVisual::Flash, (t - p) as f32))
        })
        .collect();
    let onsets: Vec<f64> =
        lit.windows(2).zip(&frames[1..]).filter(|(w, _)| !w[0] && w[1]).map(|(_, t)| *t).collect();
    most_within(&onsets, 1.0) as f64 + f64::from(u8::from(lit.first() == Some(&true)))
}

/// The most of `times_s` inside any window of `window_s`.
fn most_within(times_s: &[f64], window_s: f64) -> usize {
    times_s
        .iter()
        .map(|start| times_s.iter().filter(|t| **t >= *start && **t - start < window_s).count())
        .max()
        .unwrap_or(0)
}
