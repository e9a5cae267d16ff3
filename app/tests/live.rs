//! `allverse run --join`: real people in a room on a real Janus, each captioned by name and heard from where they stand.
//!
//! WebRTC cannot run on loopback alone, so the test re-runs itself inside a
//! private network namespace (see `allverse_live::server::in_private_network`).
//! Two participants publish real recordings through webrtcbin, one standing
//! to the listener's left and one to the right, and speak one after the
//! other; the simulator joins the room and writes its report and binaural
//! audio.

use allverse_live::server::{JanusServer, OPEN_ROOM, in_private_network};
use allverse_live::{JoinSettings, LiveEvent, LiveSession, MediaSettings, Outgoing, Pose, PresenceChange};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Generous: a loaded 2-core machine; the test checks order and content, not time.
const WAIT: Duration = Duration::from_secs(60);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn librivox(clip: &str) -> PathBuf {
    repo_root().join(format!("assets/audio/librivox/sense_and_sensibility_01_austen_64kb-{clip}"))
}

/// The clip's words, lower case.
fn reference_words(clip: &str) -> Vec<String> {
    let text = std::fs::read_to_string(librivox(&format!("{clip}.txt"))).unwrap();
    text.split_whitespace().map(normalise).collect()
}

fn normalise(word: &str) -> String {
    word.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Writes `silence_s` of silence followed by the clip, so that the speaker starts talking
/// after everyone has had time to start hearing them; returns the clip's length in seconds.
fn padded(clip: &str, silence_s: f32, out: &Path) -> f32 {
    let mut reader = hound::WavReader::open(librivox(&format!("{clip}.wav"))).unwrap();
    let spec = reader.spec();
    let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    let mut writer = hound::WavWriter::create(out, spec).unwrap();
    let silence = (silence_s * spec.sample_rate as f32) as usize * usize::from(spec.channels);
    for sample in std::iter::repeat_n(0, silence).chain(samples.iter().copied()) {
        writer.write_sample(sample).unwrap();
    }
    writer.finalize().unwrap();
    samples.len() as f32 / spec.sample_rate as f32 / f32::from(spec.channels)
}

fn join(server: &JanusServer, name: &str, media: MediaSettings) -> LiveSession {
    let settings = JoinSettings {
        server: server.ws_url(),
        ca_file: None,
        room: OPEN_ROOM,
        display_name: name.into(),
        pin: None,
        token: None,
        media,
    };
    LiveSession::join(settings).unwrap()
}

/// Waits until someone called `name` is in the room, as seen by `observer`.
fn wait_for_arrival(observer: &LiveSession, name: &str, server: &JanusServer) {
    loop {
        match observer.next_event(WAIT) {
            Some(LiveEvent::Presence(PresenceChange::Arrived(p))) if p.display == name => return,
            Some(_) => {}
            None => panic!("{name} never arrived in the room\n{}", server.log()),
        }
    }
}

/// Left-minus-right level in dB of `audio.wav`'s loud 50 ms frames between `from_s` and `to_s`, on average.
fn left_minus_right_db(stereo: &[f32], rate_hz: u32, from_s: f32, to_s: f32) -> f32 {
    let frame = rate_hz as usize / 20;
    let range = (from_s.max(0.0) * rate_hz as f32) as usize * 2..(to_s * rate_hz as f32) as usize * 2;
    let window = &stereo[range.start.min(stereo.len())..range.end.min(stereo.len())];
    let levels: Vec<(f32, f32)> = window
        .chunks_exact(frame * 2)
        .map(|chunk| {
            let energy = |ear: usize| chunk.iter().skip(ear).step_by(2).map(|s| s * s).sum::<f32>();
            (energy(0), energy(1))
        })
        .collect();
    let loudest = levels.iter().map(|(l, r)| l + r).fold(0.0, f32::max);
    let loud: Vec<f32> = levels
        .iter()
        .filter(|(l, r)| l + r > loudest / 100.0)
        .map(|(l, r)| 10.0 * ((l + 1e-12) / (r + 1e-12)).log10())
        .collect();
    assert!(!loud.is_empty(), "no speech in audio.wav between {from_s:.1} and {to_s:.1} s");
    loud.iter().sum::<f32>() / loud.len() as f32
}

#[test]
fn people_in_a_live_room_are_captioned_by_name_and_heard_from_where_they_stand() {
    if !in_private_network() {
        return;
    }
    let server = JanusServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("session");
    // The simulator joins first, as the user would; the others come once it is in the room.
    // Bounded, so that a hung session fails the test instead of hanging it: the scenario is
    // 45 s of session time held to the wall clock, and recognition may lag it.
    let allverse = Command::new("timeout")
        .args(["600", env!("CARGO_BIN_EXE_allverse")])
        .args(["run", "--backend", "headless", "--scenario", "assets/scenarios/live-room.toml"])
        .args(["--out", out.to_str().unwrap(), "--join", &server.ws_url()])
        .args(["--room", &OPEN_ROOM.to_string(), "--name", "Lee"])
        .env("ALLVERSE_PROFILE", dir.path().join("profile.toml"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .current_dir(repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let observer = join(&server, "Observer", MediaSettings::default());
    wait_for_arrival(&observer, "Lee", &server);

    // Ana speaks first from the left; Ben, after a pause, from the right.
    let (ana_wav, ben_wav) = (dir.path().join("ana.wav"), dir.path().join("ben.wav"));
    let ana_s = padded("0870", 3.0, &ana_wav);
    padded("0920", 3.0 + ana_s + 4.0, &ben_wav);
    let speaking =
        |wav: &PathBuf| MediaSettings { send: Some(Outgoing::Recording(wav.clone())), receive: false };
    let people = [
        (join(&server, "Ana", speaking(&ana_wav)), [-2.5f32, 1.6, -0.5]),
        (join(&server, "Ben", speaking(&ben_wav)), [2.5f32, 1.6, -0.5]),
    ];
    let session_over = AtomicBool::new(false);
    let output = std::thread::scope(|scope| {
        for (session, position_m) in people {
            let session_over = &session_over;
            scope.spawn(move || {
                while !session_over.load(Ordering::Relaxed) {
                    session.send_pose(Pose { position_m, orientation: [0.0, 0.0, 0.0, 1.0] });
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
        }
        let output = allverse.wait_with_output().unwrap();
        session_over.store(true, Ordering::Relaxed);
        output
    });
    let printed =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "allverse failed:\n{printed}\n{}", server.log());

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let timeline = report["timeline"].as_array().unwrap();
    let events_of = |kind: &'static str| timeline.iter().filter(move |e| e["event"] == kind);
    let id_of = |name: &str| {
        events_of("presence")
            .find(|e| e["name"] == name && e["change"] == "joined")
            .unwrap_or_else(|| panic!("{name} was announced as joined: {timeline:#?}"))["person"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (ana, ben) = (id_of("Ana"), id_of("Ben"));
    assert!(
        events_of("room_status").any(|e| e["status"].as_str().unwrap().contains("others here")),
        "the room's state was shown"
    );

    // Each person's committed captions are their own words, under their own name.
    let committed = |id: &str| -> Vec<String> {
        events_of("caption")
            .filter(|e| e["person"] == id && e["kind"] == "commit")
            .flat_map(|e| e["text"].as_str().unwrap().split_whitespace().map(normalise).collect::<Vec<_>>())
            .filter(|w| !w.is_empty())
            .collect()
    };
    for (id, own, other) in [(&ana, "0870", "0920"), (&ben, "0920", "0870")] {
        let words = committed(id);
        let (own, other) = (reference_words(own), reference_words(other));
        let in_own = words.iter().filter(|w| own.contains(w)).count();
        let only_other = words.iter().filter(|w| other.contains(w) && !own.contains(w)).count();
        eprintln!(
            "{id}: {in_own} of {} reference words captioned, {only_other} only in the other's",
            own.len()
        );
        assert!(
            in_own * 2 >= own.len() && only_other * 10 <= words.len(),
            "{id}'s captions are their own words ({in_own} of {} reference words; {only_other} only in the \
             other's): {words:?}",
            own.len()
        );
    }

    // Heard from their own side: while each one's captions come in, the left ear leads for Ana
    // and the right ear for Ben.
    let window = |id: &str| {
        let times: Vec<f32> = events_of("caption")
            .filter(|e| e["person"] == id)
            .map(|e| e["t_s"].as_f64().unwrap() as f32)
            .collect();
        (times[0] - 1.0, times[times.len() - 1])
    };
    let mut reader = hound::WavReader::open(out.join("audio.wav")).unwrap();
    let rate_hz = reader.spec().sample_rate;
    let stereo: Vec<f32> = match reader.spec().sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            reader.samples::<i16>().map(|s| f32::from(s.unwrap()) / 32768.0).collect()
        }
    };
    let (from_s, to_s) = window(&ana);
    let ana_db = left_minus_right_db(&stereo, rate_hz, from_s, to_s);
    let (from_s, to_s) = window(&ben);
    let ben_db = left_minus_right_db(&stereo, rate_hz, from_s, to_s);
    eprintln!("left minus right: Ana {ana_db:.1} dB, Ben {ben_db:.1} dB");
    assert!(
        ana_db > 3.0 && ben_db < -3.0,
        "Ana from the left ({ana_db:.1} dB), Ben from the right ({ben_db:.1} dB)"
    );
}
