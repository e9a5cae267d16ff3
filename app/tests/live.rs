//! `allverse run --join`: real people in a room on a real Janus, each captioned by name and heard from where they stand.
//!
//! WebRTC cannot run on loopback alone, so the test re-runs itself inside a
//! private network namespace (see `allverse_live::server::in_private_network`).
//! Two participants publish real recordings through webrtcbin, one standing
//! to the listener's left and one to the right, and speak one after the
//! other; the simulator joins the room and writes its report and binaural
//! audio.

use allverse_live::server::{JanusServer, OPEN_ROOM, in_private_network};
use allverse_live::{LiveEvent, LiveSession, MediaSettings, Outgoing, Pose, PresenceChange};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
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

/// Writes `silence_s` of silence, the clip, then `after_s` of silence, so that the speaker starts
/// talking after everyone has had time to start hearing them; returns the clip's length in seconds.
fn padded(clip: &str, silence_s: f32, after_s: f32, out: &Path) -> f32 {
    let mut reader = hound::WavReader::open(librivox(&format!("{clip}.wav"))).unwrap();
    let spec = reader.spec();
    let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    let mut writer = hound::WavWriter::create(out, spec).unwrap();
    let silence =
        |s: f32| std::iter::repeat_n(0, (s * spec.sample_rate as f32) as usize * usize::from(spec.channels));
    for sample in silence(silence_s).chain(samples.iter().copied()).chain(silence(after_s)) {
        writer.write_sample(sample).unwrap();
    }
    writer.finalize().unwrap();
    samples.len() as f32 / spec.sample_rate as f32 / f32::from(spec.channels)
}

fn join(server: &JanusServer, name: &str, media: MediaSettings) -> LiveSession {
    LiveSession::join(server.open_room(name, media)).unwrap()
}

/// Starts the simulator on `scenario` in the room as Lee, writing its session to `dir/session`.
fn start_allverse(dir: &Path, server: &JanusServer, scenario: &Path, extra: &[&str]) -> Child {
    let room = OPEN_ROOM.to_string();
    start_allverse_as_lee(dir, scenario, &[&["--join", &server.ws_url(), "--room", &room], extra].concat())
}

/// Starts the simulator on `scenario` as Lee with `args`, writing its session to `dir/session`.
/// Bounded, so that a hung session fails the test instead of hanging it: a scenario's session
/// time is held to the wall clock, and recognition may lag it.
fn start_allverse_as_lee(dir: &Path, scenario: &Path, args: &[&str]) -> Child {
    Command::new("timeout")
        .args(["600", env!("CARGO_BIN_EXE_allverse")])
        .args(["run", "--backend", "headless", "--scenario", scenario.to_str().unwrap()])
        .args(["--out", dir.join("session").to_str().unwrap(), "--name", "Lee"])
        .args(args)
        .env("ALLVERSE_PROFILE", dir.join("profile.toml"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .current_dir(repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The session's report, once `allverse` has ended well.
fn report_of(output: &Output, dir: &Path, server: &JanusServer) -> serde_json::Value {
    let printed =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "allverse failed:\n{printed}\n{}", server.log());
    serde_json::from_str(&std::fs::read_to_string(dir.join("session/report.json")).unwrap()).unwrap()
}

/// What another participant received from Lee (the simulated user).
struct FromLee {
    /// 48 kHz mono.
    voice: Vec<f32>,
    chat: Vec<String>,
}

/// Waits for `allverse` to end while `listener` (joined with `receive`) takes what Lee sends.
fn hear_lee_until_the_end(allverse: Child, listener: LiveSession) -> (Output, FromLee) {
    let session_over = &AtomicBool::new(false);
    std::thread::scope(|scope| {
        let hearing = scope.spawn(move || {
            let mut lee = None;
            let mut from_lee = FromLee { voice: Vec::new(), chat: Vec::new() };
            while !session_over.load(Ordering::Relaxed) {
                match listener.next_event(Duration::from_millis(200)) {
                    Some(LiveEvent::Presence(PresenceChange::Arrived(p))) if p.display == "Lee" => {
                        lee = Some(p.id)
                    }
                    Some(LiveEvent::Voice { from, samples }) if Some(from) == lee => {
                        from_lee.voice.extend(samples)
                    }
                    Some(LiveEvent::Chat { from, text }) if Some(from) == lee => from_lee.chat.push(text),
                    _ => {}
                }
            }
            from_lee
        });
        let output = allverse.wait_with_output().unwrap();
        session_over.store(true, Ordering::Relaxed);
        (output, hearing.join().unwrap())
    })
}

/// Waits for `allverse` to end while each of `people` keeps sending the position they stand at (10 Hz).
fn standing_until_allverse_ends(allverse: Child, people: Vec<(LiveSession, [f32; 3])>) -> Output {
    let session_over = AtomicBool::new(false);
    std::thread::scope(|scope| {
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
    })
}

/// The words committed as captions of the person announced as joined under `name`, normalised.
fn committed_words_of(timeline: &[serde_json::Value], name: &str) -> Vec<String> {
    let id = timeline
        .iter()
        .find(|e| e["event"] == "presence" && e["name"] == name && e["change"] == "joined")
        .unwrap_or_else(|| panic!("{name} was announced as joined: {timeline:#?}"))["person"]
        .as_str()
        .unwrap();
    timeline
        .iter()
        .filter(|e| e["event"] == "caption" && e["person"] == id && e["kind"] == "commit")
        .flat_map(|e| e["text"].as_str().unwrap().split_whitespace().map(normalise).collect::<Vec<_>>())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The scenario at `dir/name.toml`: the live room for `duration_s`, with `inputs` as (time, device, input).
fn live_room_with_inputs(dir: &Path, name: &str, duration_s: f32, inputs: &[(f32, &str, &str)]) -> PathBuf {
    let room = std::fs::read_to_string(repo_root().join("assets/scenarios/live-room.toml")).unwrap();
    let inputs: String = inputs
        .iter()
        .map(|(at_s, device, input)| {
            format!("[[inputs]]\nat_s = {at_s}\ndevice = \"{device}\"\ninput = \"{input}\"\n")
        })
        .collect();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, room.replace("duration_s = 45.0", &format!("duration_s = {duration_s}")) + &inputs)
        .unwrap();
    path
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

/// The longest stretch between two loud 50 ms frames of interleaved stereo, in seconds.
fn longest_pause_s(stereo: &[f32], rate_hz: u32) -> (f32, f32) {
    let frame = rate_hz as usize / 20;
    let energy: Vec<f32> = stereo.chunks_exact(frame * 2).map(|c| c.iter().map(|s| s * s).sum()).collect();
    let loudest = energy.iter().copied().fold(0.0, f32::max);
    let loud: Vec<usize> = (0..energy.len()).filter(|&i| energy[i] > loudest / 100.0).collect();
    let (from, to) =
        loud.windows(2).map(|w| (w[0], w[1])).max_by_key(|(a, b)| b - a).expect("speech in audio.wav");
    ((from + 1) as f32 / 20.0, to as f32 / 20.0)
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
    let allverse =
        start_allverse(dir.path(), &server, &repo_root().join("assets/scenarios/live-room.toml"), &[]);
    let observer = join(&server, "Observer", MediaSettings::default());
    wait_for_arrival(&observer, "Lee", &server);

    // Ana speaks first from the left; Ben, after a pause, from the right.
    let (ana_wav, ben_wav) = (dir.path().join("ana.wav"), dir.path().join("ben.wav"));
    let ana_s = padded("0870", 3.0, 0.0, &ana_wav);
    // The pause between them (6 s) is longer than any before or within their speech.
    padded("0920", 3.0 + ana_s + 6.0, 0.0, &ben_wav);
    let speaking =
        |wav: &PathBuf| MediaSettings { send: Some(Outgoing::Recording(wav.clone())), receive: false };
    let people = [
        (join(&server, "Ana", speaking(&ana_wav)), [-2.5f32, 1.6, -0.5]),
        (join(&server, "Ben", speaking(&ben_wav)), [2.5f32, 1.6, -0.5]),
    ];
    let output = standing_until_allverse_ends(allverse, people.into());
    let report = report_of(&output, dir.path(), &server);
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

    // Heard from their own side: in the last 8 s before the long pause between them the left
    // ear leads (Ana), in the first 8 s after it the right (Ben). The pause is found in the
    // binaural output itself, not from caption times, which lag on a busy machine.
    let mut reader = hound::WavReader::open(out.join("audio.wav")).unwrap();
    let rate_hz = reader.spec().sample_rate;
    let stereo: Vec<f32> = match reader.spec().sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            reader.samples::<i16>().map(|s| f32::from(s.unwrap()) / 32768.0).collect()
        }
    };
    let (pause_from_s, pause_to_s) = longest_pause_s(&stereo, rate_hz);
    let ana_db = left_minus_right_db(&stereo, rate_hz, pause_from_s - 8.0, pause_from_s);
    let ben_db = left_minus_right_db(&stereo, rate_hz, pause_to_s, pause_to_s + 8.0);
    eprintln!("left minus right: Ana {ana_db:.1} dB, Ben {ben_db:.1} dB");
    assert!(
        ana_db > 3.0 && ben_db < -3.0,
        "Ana from the left ({ana_db:.1} dB), Ben from the right ({ben_db:.1} dB)"
    );
}

#[test]
fn a_participant_on_a_cascaded_second_server_is_heard_and_captioned_by_name() {
    if !in_private_network() {
        return;
    }
    // Lee is on the first server; Ana joins the second, which carries her to the first.
    let (server, second) = (JanusServer::start().unwrap(), JanusServer::start().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let allverse =
        start_allverse(dir.path(), &server, &repo_root().join("assets/scenarios/live-room.toml"), &[]);
    let observer = join(&server, "Observer", MediaSettings::default());
    wait_for_arrival(&observer, "Lee", &server);
    // Her speech starts after the cascade and the subscriptions to her are set up.
    let ana_wav = dir.path().join("ana.wav");
    padded("0870", 12.0, 0.0, &ana_wav);
    let ana =
        join(&second, "Ana", MediaSettings { send: Some(Outgoing::Recording(ana_wav)), receive: false });
    second.carry_publisher("Ana", &server).unwrap_or_else(|e| panic!("{e}\n{}", second.log()));
    let output = standing_until_allverse_ends(allverse, vec![(ana, [-2.0, 1.6, -1.0])]);
    let report = report_of(&output, dir.path(), &server);
    let timeline = report["timeline"].as_array().unwrap();
    let words = committed_words_of(timeline, "Ana");
    let own = reference_words("0870");
    let in_own = words.iter().filter(|w| own.contains(w)).count();
    eprintln!("Ana through the cascade: {in_own} of {} reference words captioned", own.len());
    assert!(in_own * 2 >= own.len(), "Ana's words were captioned under her name: {words:?}");
}

#[test]
fn the_microphone_sends_nothing_until_the_user_opens_it_and_shows_it_while_open() {
    if !in_private_network() {
        return;
    }
    let server = JanusServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The microphone opened from the keyboard and muted from a gamepad.
    let inputs = [(10.0, "keyboard", "V"), (16.0, "gamepad", "LeftStickLeft")];
    let scenario = live_room_with_inputs(dir.path(), "microphone", 22.0, &inputs);
    let listener = join(&server, "Observer", MediaSettings { send: None, receive: true });
    // No microphone here: a live 440 Hz tone stands in for the device, through the same path.
    let tone = "audiotestsrc is-live=true wave=sine freq=440 volume=0.3";
    let allverse = start_allverse(dir.path(), &server, &scenario, &["--microphone", tone]);
    let (output, lee) = hear_lee_until_the_end(allverse, listener);
    let heard = lee.voice;
    let report = report_of(&output, dir.path(), &server);
    let timeline = report["timeline"].as_array().unwrap();

    // Opened, then muted; not one audio packet made before it was opened.
    let changes: Vec<(f64, bool, u64)> = timeline
        .iter()
        .filter(|e| e["event"] == "microphone")
        .map(|e| {
            (
                e["t_s"].as_f64().unwrap(),
                e["live"].as_bool().unwrap(),
                e["audio_packets_sent"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        matches!(changes[..], [(_, true, 0), (_, false, sent)] if sent > 0),
        "opened with nothing sent before, then muted after sending: {changes:?}"
    );
    // "Mic live" was in view from the opening to the muting.
    let indicator: Vec<(&str, f64)> = timeline
        .iter()
        .filter(|e| e["panel"] == "microphone")
        .map(|e| (e["event"].as_str().unwrap(), e["t_s"].as_f64().unwrap()))
        .collect();
    assert!(
        timeline.iter().any(|e| e["panel"] == "microphone" && e["text"] == "Mic live: the room hears you"),
        "the indicator says the microphone is live: {indicator:?}"
    );
    // Within a few of the simulator's frames (session time, not the wall clock).
    let soon_s = 0.1;
    assert!(
        matches!(indicator[..], [("panel_shown", shown), ("panel_hidden", hidden)]
            if (changes[0].0..changes[0].0 + soon_s).contains(&shown)
                && (changes[1].0..changes[1].0 + soon_s).contains(&hidden)),
        "shown when opened and hidden when muted: {indicator:?}, {changes:?}"
    );

    // What the room heard was the microphone: the 440 Hz tone, counted by its zero crossings.
    let heard_s = heard.len() as f32 / allverse_live::VOICE_RATE_HZ as f32;
    let crossings = heard.windows(2).filter(|w| (w[0] < 0.0) != (w[1] < 0.0)).count();
    let frequency_hz = crossings as f32 / 2.0 / heard_s.max(1e-3);
    eprintln!("heard {heard_s:.1} s of Lee at {frequency_hz:.0} Hz; {changes:?}");
    assert!(
        heard_s > 1.0 && (frequency_hz - 440.0).abs() < 20.0,
        "heard {heard_s:.1} s at {frequency_hz:.0} Hz"
    );
}

#[test]
fn a_phrase_chosen_with_one_switch_is_heard_in_the_room_and_understood() {
    if !in_private_network() {
        return;
    }
    let model = allverse_captions::Model::load(&allverse_core::paths::default_caption_model().unwrap())
        .expect("run `cargo xtask model` first");
    let server = JanusServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Lee does not speak: one switch, scanning a step a second, and a phrase board of their own.
    let phrases = ["Good morning, everyone.", "Please raise your hand if you have a question.", "Thank you."];
    let profile =
        format!("[input.scan]\nmode = \"one_switch\"\nstep_s = 1.0\n[speech]\nphrases = {phrases:?}\n");
    std::fs::write(dir.path().join("profile.toml"), profile).unwrap();
    // 6.0 opens the menu, whose first item in a live session is "Say…"; 6.5 chooses it; the
    // page's second phrase has the highlight from 7.5 to 8.5, so 8.0 chooses it. Each press
    // falls mid-step.
    let inputs = [(6.0, "switch", "switch1"), (6.5, "switch", "switch1"), (8.0, "switch", "switch1")];
    let scenario = live_room_with_inputs(dir.path(), "phrase", 20.0, &inputs);
    let listener = join(&server, "Observer", MediaSettings { send: None, receive: true });
    let allverse = start_allverse(dir.path(), &server, &scenario, &[]);
    let (output, lee) = hear_lee_until_the_end(allverse, listener);
    let report = report_of(&output, dir.path(), &server);

    let said: Vec<&serde_json::Value> =
        report["timeline"].as_array().unwrap().iter().filter(|e| e["event"] == "said").collect();
    assert_eq!(said.len(), 1, "one phrase said: {said:?}");
    assert_eq!((said[0]["text"].as_str(), said[0]["voiced"].as_bool()), (Some(phrases[1]), Some(true)));
    assert_eq!(lee.chat, [phrases[1]], "the room reads it as Lee's chat");

    // The other participant's own recogniser hears Lee's synthesized voice say it.
    let mut to_16k = allverse_pipeline::audio::resample::ToMono::new(48_000, 1, 16_000, 1024).unwrap();
    let mut heard_16k = Vec::new();
    to_16k.push(&lee.voice, &mut heard_16k);
    to_16k.finish(&mut heard_16k);
    let heard = allverse_captions::transcribe_offline(&model, &heard_16k).unwrap();
    let errors = allverse_captions::wer::align(
        &allverse_captions::wer::normalize(phrases[1]),
        &allverse_captions::wer::normalize(&heard),
    )
    .errors;
    eprintln!("the room heard Lee say {heard:?} ({errors} words wrong)");
    assert!(errors <= 1, "{:?} was heard as {heard:?}: {errors} words wrong", phrases[1]);
}

/// A helper process, killed with its process group when the test lets go of it, passed or
/// failed: one left behind would hold the test's output open and hang the run that waits for
/// it, and Chromium's renderers outlive their browser process unless their group is killed.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Serves the join page with `allverse interpret serve` on a free port; returns it and its address.
fn serve_the_page() -> (Running, String) {
    use std::io::BufRead;
    let mut server = Command::new(env!("CARGO_BIN_EXE_allverse"))
        .args(["interpret", "serve", "--listen", "127.0.0.1:0"])
        .current_dir(repo_root())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut printed = std::io::BufReader::new(server.stdout.take().unwrap());
    let mut first = String::new();
    printed.read_line(&mut first).unwrap();
    let address = first.split_whitespace().last().expect("the page's address").to_owned();
    // The rest of what it prints is read, so that it never writes into a closed pipe.
    std::thread::spawn(move || printed.lines().for_each(drop));
    (Running(server), address)
}

/// Headless Debian Chromium at `url`, its fake microphone playing `speech` (looped) and its
/// fake camera Chromium's moving test pattern, with its profile in `data_dir`.
fn open_in_browser(url: &str, speech: &Path, data_dir: &Path) -> Running {
    use std::os::unix::process::CommandExt;
    let browser = Command::new("chromium")
        .process_group(0)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .args(["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"])
        .arg(format!("--use-file-for-fake-audio-capture={}", speech.display()))
        .arg("--allow-loopback-in-peer-connection")
        .arg(format!("--user-data-dir={}", data_dir.display()))
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium runs (`cargo xtask setup` installs it)");
    Running(browser)
}

/// Waits until `observer` has decoded video from the interpreter called `name`.
fn wait_for_video(observer: &LiveSession, name: &str, server: &JanusServer) {
    let mut theirs = None;
    let mut frames: Option<std::sync::Arc<allverse_pipeline::panel::FrameSlot>> = None;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Some(slot) = &frames
            && slot.delivered() > 0
        {
            return;
        }
        match observer.next_event(Duration::from_millis(200)) {
            Some(LiveEvent::Presence(PresenceChange::Arrived(p))) if p.display == name => theirs = Some(p.id),
            Some(LiveEvent::Video { from, frames: slot }) if Some(from) == theirs => frames = Some(slot),
            _ => {}
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{name}'s video never arrived (arrived: {}, video: {})\n{}",
            theirs.is_some(),
            frames.is_some(),
            server.log()
        );
    }
}

#[test]
fn interpreters_from_the_page_appear_on_the_interpreter_panel_and_hand_over_when_one_leaves() {
    if !in_private_network() {
        return;
    }
    let server = JanusServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The user follows British Sign Language; the event names no feeds for it, so the room's
    // interpreters serve it. The session is long enough for both interpreters to start their
    // browsers and for Alex's silence to be noticed on a loaded machine; it ends on its own.
    std::fs::write(dir.path().join("profile.toml"), "[interpreting]\nchannel = \"bsl\"\n").unwrap();
    // Lee joins the room the event takes place in, named in the event description.
    let event = format!(
        "name = \"Keynote\"\n[floor]\nlanguage = \"en\"\nstage_position_m = [0.0, 1.6, -4.0]\n\
         [room]\nserver = \"{}\"\nid = {OPEN_ROOM}\n",
        server.ws_url()
    );
    std::fs::write(dir.path().join("event.toml"), event).unwrap();
    let scenario = live_room_with_inputs(dir.path(), "interpreters", 75.0, &[]);
    let in_the_event = format!("event = \"event.toml\"\n{}", std::fs::read_to_string(&scenario).unwrap());
    std::fs::write(&scenario, in_the_event).unwrap();
    let (page, address) = serve_the_page();
    let allverse = start_allverse_as_lee(dir.path(), &scenario, &[]);
    let observer = join(&server, "Observer", MediaSettings { send: None, receive: true });
    wait_for_arrival(&observer, "Lee", &server);
    let voice = dir.path().join("voice.wav");
    padded("0870", 1.0, 60.0, &voice);
    let interpreter = |name: &str| {
        let url =
            format!("{address}?server={}&room={OPEN_ROOM}&name={name}&channel=BSL&join=1", server.ws_url());
        open_in_browser(&url, &voice, &dir.path().join(name))
    };
    let alex = interpreter("Alex");
    wait_for_video(&observer, "Alex (BSL)", &server);
    let sam = interpreter("Sam");
    wait_for_video(&observer, "Sam (BSL)", &server);
    // Alex's browser dies; their heartbeat stops, so Allverse sees them gone and Sam takes over.
    drop(alex);
    let output = allverse.wait_with_output().unwrap();
    drop((sam, page));
    let report = report_of(&output, dir.path(), &server);
    let timeline = report["timeline"].as_array().unwrap();
    let shown: Vec<(String, String)> = timeline
        .iter()
        .filter(|e| e["event"] == "interpreter_panel" && e["channel"] == "bsl")
        .map(|e| (e["interpreter"].as_str().unwrap().to_owned(), e["state"].as_str().unwrap().to_owned()))
        .collect();
    eprintln!("the interpreter panel: {shown:?}");
    let live_at = |name: &str| shown.iter().position(|s| *s == (name.to_owned(), "live".to_owned()));
    let alex_live = live_at("Alex").unwrap_or_else(|| panic!("Alex was live on the panel: {shown:?}"));
    let sam_live = live_at("Sam").unwrap_or_else(|| panic!("Sam took over on the panel: {shown:?}"));
    assert!(alex_live < sam_live, "Alex first, then Sam: {shown:?}");
    assert!(
        timeline.iter().any(|e| e["event"] == "handover" && e["channel"] == "bsl"),
        "the change is a handover: {timeline:#?}"
    );
    // An interpreter's voice is their channel's, not a voice in the room: never captioned as a participant.
    let interpreters: Vec<&str> = timeline
        .iter()
        .filter(|e| e["event"] == "presence" && e["name"].as_str().is_some_and(|n| n.ends_with("(BSL)")))
        .map(|e| e["person"].as_str().unwrap())
        .collect();
    assert_eq!(interpreters.len(), 3, "two joined and one left: {interpreters:?}");
    assert!(
        !timeline
            .iter()
            .any(|e| e["event"] == "caption" && interpreters.contains(&e["person"].as_str().unwrap_or(""))),
        "no room captions from an interpreter's voice"
    );
}

#[test]
fn a_browser_participant_joining_from_the_page_is_heard_and_captioned_by_name() {
    if !in_private_network() {
        return;
    }
    let server = JanusServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (page, address) = serve_the_page();
    let allverse =
        start_allverse(dir.path(), &server, &live_room_with_inputs(dir.path(), "browser", 40.0, &[]), &[]);
    let observer = join(&server, "Observer", MediaSettings::default());
    wait_for_arrival(&observer, "Lee", &server);
    // Bea joins from the page in headless Chromium, her "microphone" a recording between a
    // second of silence and a minute of it (Chromium loops the file); the page joins from its
    // address alone.
    let speech = dir.path().join("bea.wav");
    padded("0870", 1.0, 60.0, &speech);
    let url = format!("{address}?server={}&room={OPEN_ROOM}&name=Bea&video=0&join=1", server.ws_url());
    let browser = open_in_browser(&url, &speech, &dir.path().join("chromium"));
    let output = allverse.wait_with_output().unwrap();
    drop((browser, page));
    let report = report_of(&output, dir.path(), &server);
    let timeline = report["timeline"].as_array().unwrap();
    let words = committed_words_of(timeline, "Bea");
    let reference = reference_words("0870");
    let captioned = reference.iter().filter(|w| words.contains(w)).count();
    eprintln!("Bea: {captioned} of {} reference words captioned: {words:?}", reference.len());
    assert!(captioned * 2 >= reference.len(), "Bea's words are captioned under her name: {words:?}");
}
