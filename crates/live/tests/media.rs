//! Voices through a real Janus: each participant's recording arrives decoded, attributed to them.
//!
//! WebRTC cannot run on loopback alone (ICE gathers no candidates there), so
//! each test re-runs itself inside a private network namespace with a veth
//! interface on 127.0.0.2 (see `allverse_live::server::in_private_network`).

use allverse_live::server::{JanusServer, in_private_network, open_room_at};
use allverse_live::{
    LiveEvent, LiveSession, MediaSettings, Outgoing, ParticipantId, Pose, PresenceChange, VOICE_RATE_HZ,
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
    LiveSession::join(server.open_room(name, media)).unwrap()
}

fn speaking(path: PathBuf) -> MediaSettings {
    MediaSettings { send: Some(Outgoing::Recording(path)), receive: false }
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
    /// Joins, and returns once connected: speakers who join after that are heard from their first subscription.
    fn join(server: &'a JanusServer) -> Self {
        let session = join(server, "Listener", MediaSettings { send: None, receive: true });
        let mut listener =
            Self { session, server, names: BTreeMap::new(), heard: BTreeMap::new(), seen: Vec::new() };
        listener.until("the listener's connection", |l| {
            l.seen.iter().any(|e| matches!(e, LiveEvent::MediaUp { from: None }))
        });
        listener
    }

    /// Takes events until `done` holds; fails on a media problem or when events stop coming.
    fn until(&mut self, what: &str, done: impl Fn(&Self) -> bool) {
        while !done(self) {
            match self.session.next_event(WAIT) {
                Some(event) => self.take(event),
                None => self.fail(what),
            }
        }
    }

    /// Sends `text` from `sender` until it arrives: the server relays data only to those
    /// subscribed at that moment and keeps none.
    fn chat_until_it_arrives(&mut self, sender: &LiveSession, text: &str) {
        let arrived =
            |l: &Self| l.seen.iter().any(|e| matches!(e, LiveEvent::Chat { text: t, .. } if t == text));
        for _ in 0..600 {
            if arrived(self) {
                return;
            }
            sender.send_chat(text);
            if let Some(event) = self.session.next_event(Duration::from_millis(100)) {
                self.take(event);
            }
        }
        self.fail(&format!("chat \"{text}\""));
    }

    fn take(&mut self, event: LiveEvent) {
        match event {
            LiveEvent::Presence(PresenceChange::Arrived(p)) => {
                self.names.insert(p.id, p.display);
            }
            LiveEvent::Voice { from, samples } => self.heard.entry(from).or_default().extend(samples),
            LiveEvent::MediaProblem(problem) => panic!("{problem}\n{}", self.server.log()),
            other => self.seen.push(other),
        }
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "no {what}; present: {:?}; heard (s): {:?}; other events: {:?}\n{}",
            self.names,
            self.heard.iter().map(|(id, s)| (id, s.len() / VOICE_RATE_HZ as usize)).collect::<Vec<_>>(),
            self.seen,
            self.server.log()
        )
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

    /// How well `name`'s voice as heard follows the loudness envelope `source` (see [`likeness`]).
    fn likeness_of(&self, name: &str, source: &[f32]) -> f32 {
        likeness(&envelope_db(self.voice_of(name), VOICE_RATE_HZ), source)
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
    // Half of both recordings (7.1 s and 6.05 s): subscribing takes a moment after someone starts
    // sending, and longer on a busy machine; what comes after that must all arrive.
    listener.until("voices from Ana and Ben", |l| l.seconds_of("Ana") > 3.5 && l.seconds_of("Ben") > 3.0);
    assert_eq!(
        listener.heard.len(),
        2,
        "two voices, each attributed to someone present: {:?}",
        listener.names
    );
    for (name, own, other) in [("Ana", &ana.2, &ben.2), ("Ben", &ben.2, &ana.2)] {
        let (own, other) = (listener.likeness_of(name, own), listener.likeness_of(name, other));
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
    // Each voice from when the listener first heard it to its end: at least a third of every
    // clip (3–7 s long), even on a busy machine.
    listener.until("the rest of every voice", |l| {
        (0..10)
            .all(|guest| l.seconds_of(&format!("Guest {}", guest + 1)) >= clips[guest % clips.len()].1 / 3.0)
    });
    for guest in 0..10 {
        let name = format!("Guest {}", guest + 1);
        let own = listener.likeness_of(&name, &clips[guest % clips.len()].2);
        assert!(own > 0.8, "{name}'s voice as heard follows their recording ({own:.2})");
    }
}

/// Set for the participant process [`participant_process`] runs as: the server's address and a name.
const PARTICIPANT_ENV: &str = "ALLVERSE_TEST_PARTICIPANT";

/// Not a test: the separate participant process the heartbeat test starts and kills.
#[test]
#[ignore = "a helper process that other tests start"]
fn participant_process() {
    let Ok(setting) = std::env::var(PARTICIPANT_ENV) else { return };
    let (server, name) = setting.split_once(' ').expect("an address and a name");
    let session = LiveSession::join(open_room_at(server.into(), name, MediaSettings::default())).unwrap();
    // Until killed: the heartbeat goes out on its own thread.
    loop {
        let _ = session.next_event(WAIT);
    }
}

#[test]
fn poses_and_chat_come_from_their_sender_and_a_frozen_client_is_soon_gone() {
    if !in_private_network() {
        return;
    }
    let server = JanusServer::start().unwrap();
    let mut listener = Listener::join(&server);
    let ana = join(&server, "Ana", MediaSettings::default());
    let mut poses = Vec::new();
    let mut chats = Vec::new();
    let mut skipped = Vec::new();
    for _ in 0..600 {
        if !chats.is_empty() {
            break;
        }
        // The server relays data to those subscribed at that moment and keeps none: poses go
        // out until one arrives (a newer one always follows), then chat, which is sent once.
        if poses.is_empty() {
            ana.send_pose(Pose { position_m: [1.0, 1.6, f32::NAN], orientation: [0.0, 0.0, 0.0, 1.0] });
            ana.send_pose(Pose { position_m: [1.0, 1.6, -250.0], orientation: [0.0, 0.0, 0.0, 2.0] });
        }
        // Short waits, so that poses keep going out while nothing arrives.
        match listener.session.next_event(Duration::from_millis(100)) {
            Some(LiveEvent::Presence(PresenceChange::Arrived(p))) => {
                listener.names.insert(p.id, p.display);
            }
            Some(LiveEvent::Pose { from, pose }) => {
                if poses.is_empty() {
                    ana.send_chat("Hello, everyone.\u{1b}[2J");
                }
                poses.push((from, pose));
            }
            Some(LiveEvent::Chat { from, text }) => chats.push((from, text)),
            Some(LiveEvent::Skipped(reason)) => skipped.push(reason),
            Some(other) => listener.seen.push(other),
            None => {}
        }
    }
    assert!(
        !chats.is_empty(),
        "no chat from Ana; poses {poses:?}; other events: {:?}\n{}",
        listener.seen,
        server.log()
    );
    let ana_id = listener.names.iter().find(|(_, n)| *n == "Ana").map(|(id, _)| *id).expect("Ana is present");
    assert_eq!(
        chats,
        [(ana_id, "Hello, everyone.".to_string())],
        "chat arrives once, its escape sequence removed, from Ana"
    );
    // The NaN pose is skipped with a reason; the far one is clamped and normalised.
    assert!(poses.iter().all(|(from, _)| *from == ana_id));
    let far = Pose { position_m: [1.0, 1.6, -100.0], orientation: [0.0, 0.0, 0.0, 1.0] };
    assert!(poses.iter().all(|(_, pose)| *pose == far), "{poses:?}");
    assert!(
        skipped.iter().any(|r| r == "from Ana: a pose has a missing or non-finite number"),
        "{skipped:?}"
    );

    // A client that hangs (frozen, its connection still open): the server would list it for a
    // minute (its session timeout); its heartbeat stops at once.
    let mut guest = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["participant_process", "--exact", "--ignored", "--nocapture"])
        .env(PARTICIPANT_ENV, format!("{} Guest", server.ws_url()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    listener.until("the guest", |l| l.names.values().any(|n| n == "Guest"));
    // Its heartbeats have started once its data channel is up; then it crashes.
    listener.until("the guest's connection", |l| {
        l.seen.iter().filter(|e| matches!(e, LiveEvent::MediaUp { from: Some(_) })).count() >= 2
    });
    std::thread::sleep(2 * allverse_live::HEARTBEAT_EVERY);
    let frozen =
        std::process::Command::new("kill").args(["-STOP", &guest.id().to_string()]).status().unwrap();
    assert!(frozen.success());
    let left = loop {
        match listener.session.next_event(WAIT) {
            Some(LiveEvent::Presence(PresenceChange::Left(p))) => break p.display,
            Some(other) => listener.seen.push(other),
            None => panic!("the frozen guest was not seen to leave: {:?}", listener.seen),
        }
    };
    assert_eq!(left, "Guest");
    guest.kill().unwrap();
    guest.wait().unwrap();
}

#[test]
fn a_person_who_does_not_speak_is_heard_through_the_voice_they_send() {
    if !in_private_network() {
        return;
    }
    let server = JanusServer::start().unwrap();
    let mut listener = Listener::join(&server);
    let cleo = join(&server, "Cleo", MediaSettings { send: Some(Outgoing::Voice), receive: false });
    listener.until("Cleo's connection", |l| {
        l.names.values().any(|n| n == "Cleo")
            && l.seen.iter().filter(|e| matches!(e, LiveEvent::MediaUp { from: Some(_) })).count() >= 1
    });
    // Speech as an app hands it over (here a real recording, at the voice rate), with its text.
    let (path, _, source) = clip("0870");
    let (samples, rate) = read_wav(&path);
    let at_voice_rate: Vec<f32> =
        samples.iter().flat_map(|&s| std::iter::repeat_n(s, (VOICE_RATE_HZ / rate) as usize)).collect();
    let text = "And Mister John Dashwood had then leisure to consider.";
    let mut chats = Vec::new();
    // The server keeps no data for those who subscribe later: the words go out until the
    // listener has them, then the speech once.
    for _ in 0..600 {
        if !chats.is_empty() {
            break;
        }
        cleo.say(text, Vec::new());
        if let Some(LiveEvent::Chat { text, .. }) = listener.session.next_event(Duration::from_millis(100)) {
            chats.push(text);
        }
    }
    assert_eq!(chats.first().map(String::as_str), Some(text), "the words are also sent as chat");
    cleo.say(text, at_voice_rate);
    listener.until("Cleo's voice", |l| l.seconds_of("Cleo") > 6.0);
    let own = listener.likeness_of("Cleo", &source);
    assert!(own > 0.8, "what Cleo sent is what was heard ({own:.2})");
}

#[test]
fn a_muted_microphone_sends_no_audio_until_opened() {
    if !in_private_network() {
        return;
    }
    let server = JanusServer::start().unwrap();
    let mut listener = Listener::join(&server);
    // No microphone here: a live test tone stands in for the device, through the same path.
    let microphone =
        allverse_live::Microphone::Element("audiotestsrc is-live=true wave=sine volume=0.3".into());
    let media = MediaSettings { send: Some(Outgoing::Microphone(microphone)), receive: false };
    let speaker = join(&server, "Mia", media);
    // Connected and talking to the room (her chat arrives), yet muted: not one packet made.
    listener.chat_until_it_arrives(&speaker, "muted");
    listener.chat_until_it_arrives(&speaker, "still muted");
    assert_eq!(speaker.audio_packets_sent(), 0, "nothing leaves while muted");
    assert_eq!(listener.seconds_of("Mia"), 0.0, "nothing heard while muted");

    speaker.set_microphone(true);
    listener.until("Mia's open microphone", |l| l.seconds_of("Mia") > 1.0);
    assert!(speaker.audio_packets_sent() > 0);

    speaker.set_microphone(false);
    listener.chat_until_it_arrives(&speaker, "muted again");
    let after_mute = speaker.audio_packets_sent();
    listener.chat_until_it_arrives(&speaker, "and still muted");
    assert_eq!(speaker.audio_packets_sent(), after_mute, "muting again stops the packets");
}
