//! espeak-ng speech through the real library, and the speaker driving a real audio engine.
#![cfg(feature = "espeak")]

use allverse_core::placement::direction_from_yaw_pitch_deg;
use allverse_pipeline::audio::{self, BLOCK_FRAMES, EngineConfig, Placement, Spatializer, offline};
use allverse_speech::{
    Espeak, Speaker, SpeechError, SpeechEvent, SpeechKind, Synthesizer, Utterance, VoiceParams,
};

fn params() -> VoiceParams {
    VoiceParams { voice: "en".into(), rate_wpm: 175, pitch: 50 }
}

fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|s| s * s).sum::<f32>() / x.len().max(1) as f32).sqrt()
}

#[test]
fn a_sentence_becomes_audible_48_khz_speech_with_word_events() {
    let espeak = Espeak::shared().expect("install espeak-ng (`cargo xtask setup`)");
    let text = "The doors open in five minutes.";
    let (samples, events) = espeak.synthesize(text, &params()).unwrap();
    let seconds = samples.len() as f32 / audio::SAMPLE_RATE_HZ as f32;
    assert!((1.0..4.0).contains(&seconds), "{seconds} s of speech");
    assert!(rms(&samples) > 0.02, "speech has energy: rms {}", rms(&samples));
    let words: Vec<(usize, usize, f32)> = events
        .iter()
        .filter_map(|e| match e {
            SpeechEvent::Word { char_start, char_len, audio_s } => Some((*char_start, *char_len, *audio_s)),
            _ => None,
        })
        .collect();
    let spoken: Vec<&str> = words.iter().map(|(start, len, _)| &text[*start..start + len]).collect();
    assert_eq!(spoken, ["The", "doors", "open", "in", "five", "minutes"]);
    assert!(words.windows(2).all(|w| w[0].2 < w[1].2), "word times increase: {words:?}");
    assert!(matches!(events.last(), Some(SpeechEvent::Finished { stopped: false, .. })));

    let faster = espeak.synthesize(text, &VoiceParams { rate_wpm: 350, ..params() }).unwrap().0;
    assert!(faster.len() < samples.len() * 3 / 4, "a higher rate speaks faster");
}

#[test]
fn bad_requests_get_clear_errors_and_the_voice_keeps_working() {
    let espeak = Espeak::shared().unwrap();
    let unknown =
        espeak.synthesize("hello", &VoiceParams { voice: "klingon-x".into(), ..params() }).unwrap_err();
    assert!(matches!(unknown, SpeechError::UnknownVoice { .. }), "{unknown}");
    assert!(unknown.to_string().contains("speech.voice"), "{unknown}");
    assert_eq!(espeak.synthesize("   ", &params()).unwrap_err(), SpeechError::EmptyText);
    let enormous = "a ".repeat(allverse_speech::MAX_TEXT_CHARS);
    assert!(matches!(espeak.synthesize(&enormous, &params()), Err(SpeechError::TooLong { .. })));
    assert!(espeak.synthesize("Still here.", &params()).is_ok());
}

#[test]
fn chat_is_heard_from_the_senders_side_and_an_alert_interrupts_it() {
    let set = std::sync::Arc::new(audio::HrtfSet::load_default(audio::SAMPLE_RATE_HZ).unwrap());
    let (mut control, mut renderer) = audio::engine(EngineConfig::default(), Spatializer::Hrtf(set));
    let mut speaker =
        Speaker::new(Synthesizer::Espeak { espeak: Espeak::shared().unwrap(), params: params() });
    let left = Placement::Head(direction_from_yaw_pitch_deg(90.0, 0.0) * 2.0);
    let say = |text: &str, kind| Utterance { text: text.into(), kind, placement: left, source: "ana".into() };
    speaker.say(say("Hello from the left side of the room.", SpeechKind::Chat), &mut control, 0.0).unwrap();
    speaker.say(say("A second message waits its turn.", SpeechKind::Chat), &mut control, 0.0).unwrap();

    let mut out = Vec::new();
    let now_s = std::cell::Cell::new(0.0);
    let mut render_for =
        |seconds: f64, speaker: &mut Speaker, control: &mut audio::AudioControl, out: &mut Vec<f32>| {
            let blocks = (seconds * audio::SAMPLE_RATE_HZ as f64 / BLOCK_FRAMES as f64) as usize;
            for _ in 0..blocks {
                // Real time, so synthesis stays ahead of playback as it would on a device.
                std::thread::sleep(std::time::Duration::from_micros(2_666));
                offline::render_into(&mut renderer, BLOCK_FRAMES, out);
                now_s.set(now_s.get() + BLOCK_FRAMES as f64 / audio::SAMPLE_RATE_HZ as f64);
                speaker.update(control, now_s.get());
            }
        };
    render_for(1.0, &mut speaker, &mut control, &mut out);
    let (left_ear, right_ear): (Vec<f32>, Vec<f32>) = out.chunks_exact(2).map(|f| (f[0], f[1])).unzip();
    assert!(rms(&left_ear) > 2.0 * rms(&right_ear), "chat from the left is louder in the left ear");

    let ahead = Placement::Head(direction_from_yaw_pitch_deg(0.0, 0.0));
    let alert = Utterance {
        text: "Fire alarm.".into(),
        kind: SpeechKind::Alert,
        placement: ahead,
        source: "door".into(),
    };
    speaker.say(alert, &mut control, now_s.get()).unwrap();
    render_for(1.5, &mut speaker, &mut control, &mut out);
    let spoken = speaker.spoken();
    assert_eq!(spoken[0].text, "Hello from the left side of the room.");
    assert!(spoken[0].interrupted, "the alert cut the chat short");
    assert_eq!((spoken[1].kind, spoken[1].source.as_str()), (SpeechKind::Alert, "door"));
    render_for(3.0, &mut speaker, &mut control, &mut out);
    assert_eq!(speaker.spoken().len(), 3, "then the queued chat plays");
    assert_eq!(control.stats().underruns, 0);
}

#[test]
fn stop_forgets_the_queue() {
    let (mut control, _renderer) = audio::engine(EngineConfig::default(), Spatializer::Panning);
    let mut speaker =
        Speaker::new(Synthesizer::Espeak { espeak: Espeak::shared().unwrap(), params: params() });
    let ahead = Placement::Head(direction_from_yaw_pitch_deg(0.0, 0.0));
    for text in ["First message.", "Second message.", "Third message."] {
        let utterance =
            Utterance { text: text.into(), kind: SpeechKind::Chat, placement: ahead, source: "ana".into() };
        speaker.say(utterance, &mut control, 0.0).unwrap();
    }
    speaker.update(&mut control, 1.0);
    speaker.stop_all(&mut control);
    speaker.update(&mut control, 2.0);
    assert!(speaker.is_idle(), "nothing plays or waits after a stop");
    let spoken: Vec<(&str, bool)> =
        speaker.spoken().iter().map(|s| (s.text.as_str(), s.interrupted)).collect();
    assert_eq!(spoken, [("First message.", true)], "nothing queued is said after a stop");
}
