//! Voices through a real Janus: each participant's recording arrives decoded, attributed to them.
//!
//! WebRTC cannot run on loopback alone (ICE gathers no candidates there), so
//! each test re-runs itself inside a private network namespace with a veth
//! interface on 127.0.0.2 (see `allverse_live::server::in_private_network`).

use allverse_live::server::{JanusServer, OPEN_ROOM, in_private_network};
use allverse_live::{
    JoinSettings, LiveEvent, LiveSession, MediaSettings, Outgoing, ParticipantId, PresenceChange,
    VOICE_RATE_HZ,
};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Generous: a loaded 2-core machine; tests check order and content, not time.
const WAIT: Duration = Duration::from_secs(30);
/// Envelope frames of 20 ms.
const FRAME_S: f32 = 0.02;

fn recording(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/audio/librivox")
        .join(format!("sense_and_sensibility_01_austen_64kb-{name}.wav"))
}

fn join(server: &JanusServer, name: &str, media: MediaSettings) -> LiveSession {
    LiveSession::join(JoinSettings {
        server: server.ws_url(),
        ca_file: None,
        room: OPEN_ROOM,
        display_name: name.into(),
        pin: None,
        token: None,
        media,
    })
    .unwrap()
}

fn speaking(path: PathBuf) -> MediaSettings {
    MediaSettings { send: Some(Outgoing::Recording(path)), receive_voices: false }
}

/// Mono samples of a WAV file and its rate.
fn read_wav(path: &PathBuf) -> (Vec<f32>, u32) {
    let mut reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    let channels = usize::from(spec.channels);
    let samples: Vec<f32> = reader.samples::<i16>().map(|s| f32::from(s.unwrap()) / 32768.0).collect();
    (
        samples.chunks(channels).map(|frame| frame.iter().sum::<f32>() / channels as f32).collect(),
        spec.sample_rate,
    )
}

/// Loudness per 20 ms frame, in dB.
fn envelope_db(samples: &[f32], rate_hz: u32) -> Vec<f32> {
    let frame = (rate_hz as f32 * FRAME_S) as usize;
    samples
        .chunks_exact(frame)
        .map(|chunk| 10.0 * (chunk.iter().map(|s| s * s).sum::<f32>() / frame as f32 + 1e-10).log10())
        .collect()
}

fn pearson(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len() as f32;
    let (mean_a, mean_b) = (a.iter().sum::<f32>() / n, b.iter().sum::<f32>() / n);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += (x - mean_a) * (y - mean_b);
        aa += (x - mean_a) * (x - mean_a);
        bb += (y - mean_b) * (y - mean_b);
    }
    ab / (aa * bb).sqrt().max(1e-9)
}

/// How well what was heard follows the recording's loudness, at the best alignment: the
/// listener may have started hearing a little after the speaker started sending.
fn likeness(heard: &[f32], source: &[f32]) -> f32 {
    let overlap = heard.len().min(source.len()) * 3 / 4;
    (0..=source.len().saturating_sub(overlap))
        .flat_map(|source_at| {
            (0..=heard.len().saturating_sub(overlap)).map(move |heard_at| (source_at, heard_at))
        })
        .map(|(s, h)| pearson(&heard[h..h + overlap], &source[s..s + overlap]))
        .fold(f32::MIN, f32::max)
}

#[test]
fn each_participant_is_heard_by_name_saying_what_they_said() {
    if !in_private_network() {
        return;
    }
    let server = JanusServer::start().unwrap();
    let listener = join(&server, "Listener", MediaSettings { send: None, receive_voices: true });
    let names: [(&str, &str); 2] = [("Ana", "0870"), ("Ben", "0920")];
    let sources: BTreeMap<&str, Vec<f32>> = names
        .iter()
        .map(|(name, clip)| {
            let (samples, rate) = read_wav(&recording(clip));
            (*name, envelope_db(&samples, rate))
        })
        .collect();
    let speakers: Vec<LiveSession> =
        names.iter().map(|(name, clip)| join(&server, name, speaking(recording(clip)))).collect();

    let mut who: BTreeMap<ParticipantId, String> = BTreeMap::new();
    let mut heard: BTreeMap<ParticipantId, Vec<f32>> = BTreeMap::new();
    let mut seen = Vec::new();
    while let Some(event) = listener.next_event(WAIT) {
        match event {
            LiveEvent::Presence(PresenceChange::Arrived(p)) => {
                who.insert(p.id, p.display);
            }
            LiveEvent::Voice { from, samples } => heard.entry(from).or_default().extend(samples),
            LiveEvent::MediaProblem(problem) => panic!("{problem}\n{}", server.log()),
            other => seen.push(other),
        }
        // Most of both recordings (7.1 s and 6.05 s) heard.
        let enough = |name: &str, seconds: f32| {
            who.iter().any(|(id, n)| {
                n == name && heard.get(id).is_some_and(|s| s.len() as f32 > seconds * VOICE_RATE_HZ as f32)
            })
        };
        if enough("Ana", 5.0) && enough("Ben", 4.0) {
            break;
        }
    }
    let speakers_said: Vec<Vec<LiveEvent>> =
        speakers.iter().map(|s| std::iter::from_fn(|| s.try_event()).collect()).collect();
    drop(speakers);
    let by_name: BTreeMap<&str, Vec<f32>> = heard
        .iter()
        .map(|(id, samples)| {
            (who.get(id).map_or("someone unknown", String::as_str), envelope_db(samples, VOICE_RATE_HZ))
        })
        .collect();
    assert_eq!(
        by_name.keys().copied().collect::<Vec<_>>(),
        ["Ana", "Ben"],
        "voices by name; present: {who:?}; other events: {seen:?}; the speakers': {speakers_said:?}\n{}",
        server.log()
    );
    for (name, envelope) in &by_name {
        let own = likeness(envelope, &sources[name]);
        let other = sources
            .iter()
            .filter(|(n, _)| *n != name)
            .map(|(_, s)| likeness(envelope, s))
            .fold(f32::MIN, f32::max);
        assert!(
            own > 0.8 && own > other + 0.1,
            "{name}'s voice as heard follows their recording ({own:.2}), not the other's ({other:.2})"
        );
    }
}
