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

/// The clip a speaker sends, its length in seconds and its loudness envelope.
fn clip(name: &str) -> (PathBuf, f32, Vec<f32>) {
    let path = recording(name);
    let (samples, rate) = read_wav(&path);
    let envelope = envelope_db(&samples, rate);
    (path, samples.len() as f32 / rate as f32, envelope)
}

/// A participant who only listens, and what they heard from whom.
struct Listener<'a> {
    session: LiveSession,
    server: &'a JanusServer,
    names: BTreeMap<ParticipantId, String>,
    heard: BTreeMap<ParticipantId, Vec<f32>>,
    /// Every other event, for failure messages.
    seen: Vec<LiveEvent>,
}

impl<'a> Listener<'a> {
    fn join(server: &'a JanusServer) -> Self {
        let session = join(server, "Listener", MediaSettings { send: None, receive_voices: true });
        Self { session, server, names: BTreeMap::new(), heard: BTreeMap::new(), seen: Vec::new() }
    }

    /// Takes events until `done` holds; fails on a media problem or when events stop coming.
    fn until(&mut self, what: &str, done: impl Fn(&Self) -> bool) {
        while !done(self) {
            match self.session.next_event(WAIT) {
                Some(LiveEvent::Presence(PresenceChange::Arrived(p))) => {
                    self.names.insert(p.id, p.display);
                }
                Some(LiveEvent::Voice { from, samples }) => {
                    self.heard.entry(from).or_default().extend(samples)
                }
                Some(LiveEvent::MediaProblem(problem)) => panic!("{problem}\n{}", self.server.log()),
                Some(other) => self.seen.push(other),
                None => panic!(
                    "no {what}; present: {:?}; heard (s): {:?}; other events: {:?}\n{}",
                    self.names,
                    self.heard
                        .iter()
                        .map(|(id, s)| (id, s.len() / VOICE_RATE_HZ as usize))
                        .collect::<Vec<_>>(),
                    self.seen,
                    self.server.log()
                ),
            }
        }
    }

    /// What was heard from the participant called `name`.
    fn voice_of(&self, name: &str) -> &[f32] {
        self.names
            .iter()
            .find(|(_, n)| *n == name)
            .and_then(|(id, _)| self.heard.get(id))
            .map_or(&[], Vec::as_slice)
    }

    fn seconds_of(&self, name: &str) -> f32 {
        self.voice_of(name).len() as f32 / VOICE_RATE_HZ as f32
    }
}

#[test]
fn each_participant_is_heard_by_name_saying_what_they_said() {
    if !in_private_network() {
        return;
    }
    let server = JanusServer::start().unwrap();
    let mut listener = Listener::join(&server);
    let (ana, ben) = (clip("0870"), clip("0920"));
    let _speakers =
        [join(&server, "Ana", speaking(ana.0.clone())), join(&server, "Ben", speaking(ben.0.clone()))];
    // Most of both recordings (7.1 s and 6.05 s).
    listener.until("voices from Ana and Ben", |l| l.seconds_of("Ana") > 5.0 && l.seconds_of("Ben") > 4.0);
    assert_eq!(
        listener.heard.len(),
        2,
        "two voices, each attributed to someone present: {:?}",
        listener.names
    );
    for (name, own, other) in [("Ana", &ana.2, &ben.2), ("Ben", &ben.2, &ana.2)] {
        let heard = envelope_db(listener.voice_of(name), VOICE_RATE_HZ);
        let (own, other) = (likeness(&heard, own), likeness(&heard, other));
        assert!(
            own > 0.8 && own > other + 0.1,
            "{name}'s voice as heard follows their recording ({own:.2}), not the other's ({other:.2})"
        );
    }
}

#[test]
fn ten_people_joining_one_after_another_are_each_heard() {
    if !in_private_network() {
        return;
    }
    let server = JanusServer::start().unwrap();
    let mut listener = Listener::join(&server);
    let clips: Vec<_> = ["0870", "0890", "0920", "0930", "0880"].into_iter().map(clip).collect();
    let mut speakers = Vec::new();
    for guest in 0..10 {
        let name = format!("Guest {}", guest + 1);
        speakers.push(join(&server, &name, speaking(clips[guest % clips.len()].0.clone())));
        // The next one joins while this one is talking: every join is late for someone.
        listener.until(&format!("voice from {name}"), |l| l.seconds_of(&name) > 0.2);
    }
    // Each voice from when the listener first heard it to its end: at least half of every clip.
    listener.until("the rest of every voice", |l| {
        (0..10)
            .all(|guest| l.seconds_of(&format!("Guest {}", guest + 1)) >= clips[guest % clips.len()].1 * 0.5)
    });
    for guest in 0..10 {
        let name = format!("Guest {}", guest + 1);
        let heard = envelope_db(listener.voice_of(&name), VOICE_RATE_HZ);
        let own = likeness(&heard, &clips[guest % clips.len()].2);
        assert!(own > 0.8, "{name}'s voice as heard follows their recording ({own:.2})");
    }
}
