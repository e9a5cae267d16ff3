//! Recognition with the real model on real recordings.

use crate::test_audio::{
    CLIPS, WARNINGS, attenuated, devset, librivox_clip, librivox_text, model_path, warning,
};
use crate::{CaptionEvent, Model, StreamConfig, StreamingRecognizer, transcribe_offline, wer};

fn model() -> Model {
    Model::load(&model_path()).expect("the provisioned model loads")
}

/// Feeds audio in 20 ms pieces on a clock that follows the audio.
fn stream(recognizer: &mut StreamingRecognizer, audio: &[f32]) -> Vec<CaptionEvent> {
    let mut events = Vec::new();
    let mut fed = 0usize;
    for piece in audio.chunks(320) {
        fed += piece.len();
        let now = fed as f64 / 16_000.0;
        events.extend(recognizer.push(piece, &|| now).unwrap());
    }
    events.extend(recognizer.finish(&|| fed as f64 / 16_000.0).unwrap());
    events
}

fn committed_text(events: &[CaptionEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            CaptionEvent::Commit { text, .. } => Some(text.as_str()),
            CaptionEvent::Partial { .. } | CaptionEvent::Unclear { .. } => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn offline_recognition_of_librivox_is_accurate() {
    let model = model();
    let (mut errors, mut words) = (0, 0);
    for index in 0..CLIPS.len() {
        let heard = transcribe_offline(&model, &librivox_clip(index)).unwrap();
        let alignment = wer::align(&wer::normalize(&librivox_text(index)), &wer::normalize(&heard));
        errors += alignment.errors;
        words += alignment.reference_len;
    }
    let rate = errors as f64 / words as f64;
    assert!(rate < 0.2, "WER {:.1}% over {words} words", rate * 100.0);
}

#[test]
fn every_word_has_a_confidence() {
    let model = model();
    let mut recognizer = crate::recognizer::Recognizer::new(&model).unwrap();
    let clip = librivox_clip(2);
    let clip_s = clip.len() as f32 / 16_000.0;
    let heard = recognizer.transcribe(&clip, clip_s, crate::recognizer::EncoderWindow::Full, "").unwrap();
    assert_eq!(heard.words.len(), heard.confidence.len(), "{:?}", heard.words);
    assert!(heard.confidence.iter().all(|p| (0.0..=1.0).contains(p)), "{:?}", heard.confidence);
    // A clean recording is mostly heard with confidence.
    let sure = heard.confidence.iter().filter(|&&p| p >= crate::agreement::MIN_COMMIT_CONFIDENCE).count();
    assert!(sure * 4 >= heard.words.len() * 3, "{:?} {:?}", heard.words, heard.confidence);
}

#[test]
fn streaming_recognition_commits_what_was_said() {
    let model = model();
    let mut recognizer = StreamingRecognizer::new(&model, StreamConfig::default()).unwrap();
    let events = stream(&mut recognizer, &librivox_clip(0));
    assert!(events.iter().any(|e| matches!(e, CaptionEvent::Partial { text, .. } if !text.is_empty())));
    let rate = wer::wer(&librivox_text(0), &committed_text(&events));
    assert!(rate < 0.2, "streaming WER {:.1}%", rate * 100.0);
    // Events come in time order, and commits append rather than replace.
    assert!(events.windows(2).all(|w| w[0].time_s() <= w[1].time_s()));
}

#[test]
fn silence_and_noise_produce_no_captions() {
    let model = model();
    let mut recognizer = StreamingRecognizer::new(&model, StreamConfig::default()).unwrap();
    let silence = vec![0.0f32; 16_000 * 4];
    let mut state = 12_345u32;
    let noise: Vec<f32> = (0..16_000 * 4)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((state >> 8) as f32 / (1 << 24) as f32 - 0.5) * 0.2
        })
        .collect();
    assert!(stream(&mut recognizer, &silence).is_empty());
    assert!(stream(&mut recognizer, &noise).is_empty());
    // After speech, Whisper has the speaker's words as its prompt, and a
    // prompt is what it likes to repeat over silence.
    assert!(!committed_text(&stream(&mut recognizer, &librivox_clip(1))).is_empty());
    assert!(stream(&mut recognizer, &silence).is_empty());
    assert!(stream(&mut recognizer, &noise).is_empty());
}

#[test]
fn speakers_have_independent_recognizers_on_one_model() {
    let model = model();
    let mut first = StreamingRecognizer::new(&model, StreamConfig::default()).unwrap();
    let mut second = StreamingRecognizer::new(&model, StreamConfig::default()).unwrap();
    let (a, b) = (librivox_clip(2), librivox_clip(3));
    // Interleave the two streams as a session would.
    let (mut events_a, mut events_b) = (Vec::new(), Vec::new());
    for (i, (pa, pb)) in a.chunks(8000).zip(b.chunks(8000)).enumerate() {
        let now = (i + 1) as f64 * 0.5;
        events_a.extend(first.push(pa, &|| now).unwrap());
        events_b.extend(second.push(pb, &|| now).unwrap());
    }
    events_a.extend(first.push(&a[a.len().min(b.len()) / 8000 * 8000..], &|| 99.0).unwrap());
    events_a.extend(first.finish(&|| 99.0).unwrap());
    events_b.extend(second.push(&b[a.len().min(b.len()) / 8000 * 8000..], &|| 99.0).unwrap());
    events_b.extend(second.finish(&|| 99.0).unwrap());
    assert!(wer::wer(&librivox_text(2), &committed_text(&events_a)) < 0.25);
    assert!(wer::wer(&librivox_text(3), &committed_text(&events_b)) < 0.25);
}

#[test]
fn compressed_recordings_are_transcribed_like_the_original() {
    // Clip 2 as MP3 (44.1 kHz stereo), FLAC and Ogg Vorbis (48 kHz), made
    // with sox and ffmpeg: see crates/pipeline/tests/data/README.md.
    let model = model();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../pipeline/tests/data");
    for name in ["speech-44k-stereo.mp3", "speech-16k.flac", "speech-48k.ogg"] {
        let decoded = crate::audio_in::decode_16k_mono(&data.join(name)).unwrap();
        assert!(decoded.notices.is_empty(), "{name}: {:?}", decoded.notices);
        let heard = transcribe_offline(&model, &decoded.samples).unwrap();
        let rate = wer::wer(&librivox_text(2), &heard);
        assert!(rate < 0.2, "{name}: WER {:.1}%: {heard}", rate * 100.0);
    }
}

/// Nothing said is lost: every word of the warning, the repeated ones
/// included, in order. Whisper tiny may hear a repeated word once more than
/// it was said ("Help, help, help, help"); that is a recognition error, not
/// the guard deleting speech, so one extra word is allowed.
fn assert_whole(name: &str, said: &str, heard: &str) {
    let (said, heard_words) = (wer::normalize(said), wer::normalize(heard));
    let mut rest = heard_words.iter();
    let lost: Vec<_> = said.iter().filter(|word| !rest.any(|h| h == *word)).collect();
    assert!(lost.is_empty(), "{name}: lost {lost:?} from {said:?}; heard {heard:?}");
    assert!(heard_words.len() <= said.len() + 1, "{name}: heard {heard:?}");
}

#[test]
fn repeated_warnings_are_transcribed_whole() {
    let model = model();
    for name in WARNINGS {
        let (audio, said) = warning(name);
        assert_whole(name, &said, &transcribe_offline(&model, &audio).unwrap());
    }
}

#[test]
fn live_input_with_non_finite_samples_is_captioned_and_counted() {
    use crate::live::{LiveCaptions, StreamFormat};
    let model = model();
    // A session stream at 16 kHz: clip 0 with NaN and infinities scattered in it.
    let mut audio = librivox_clip(0);
    for i in (1_000..audio.len()).step_by(10_007) {
        audio[i] = f32::NAN;
        audio[i + 1] = f32::INFINITY;
    }
    let holes = (1_000..librivox_clip(0).len()).step_by(10_007).count() as u64 * 2;
    let format = StreamFormat { speaker: "guest".into(), sample_rate_hz: 16_000, channels: 1 };
    let (captions, mut inputs) =
        LiveCaptions::spawn(&model, StreamConfig::default(), &[format], std::time::Instant::now()).unwrap();
    // The ring holds 10 s, the clip 7 s: it all fits at once.
    inputs[0].write(&audio);
    // Wait until the worker has taken all of it from the ring (bounded, in case it never does).
    for _ in 0..6_000 {
        if captions.non_finite_samples() >= holes {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(captions.non_finite_samples(), holes);
    drop(inputs);
    let events: Vec<CaptionEvent> = captions.stop().into_iter().map(|(_, event)| event).collect();
    let rate = wer::wer(&librivox_text(0), &committed_text(&events));
    assert!(rate < 0.25, "WER {:.1}%: {}", rate * 100.0, committed_text(&events));
}

#[test]
fn a_speaker_who_joins_a_running_worker_is_captioned_and_committed_when_they_leave() {
    use crate::live::{LiveCaptions, StreamFormat};
    let model = model();
    let (captions, _) =
        LiveCaptions::spawn(&model, StreamConfig::default(), &[], std::time::Instant::now()).unwrap();
    // A participant arriving in a live session: 48 kHz, as WebRTC delivers it.
    let format = StreamFormat { speaker: "late".into(), sample_rate_hz: 48_000, channels: 1 };
    let mut input = captions.add_speaker(format);
    let audio = librivox_clip(0);
    let at_48k: Vec<f32> = audio.iter().flat_map(|&s| [s, s, s]).collect();
    input.write(&at_48k);
    // They leave straight away: what is still in their ring is heard, then committed.
    captions.finish_speaker("late");
    let events = captions.stop();
    assert!(events.iter().all(|(speaker, _)| speaker == "late"), "attributed to the one speaker");
    let events: Vec<CaptionEvent> = events.into_iter().map(|(_, event)| event).collect();
    let rate = wer::wer(&librivox_text(0), &committed_text(&events));
    assert!(rate < 0.25, "WER {:.1}%: {}", rate * 100.0, committed_text(&events));
}

#[test]
fn repeated_warnings_are_captioned_whole_live() {
    let model = model();
    for name in WARNINGS {
        let (audio, said) = warning(name);
        let mut recognizer = StreamingRecognizer::new(&model, StreamConfig::default()).unwrap();
        assert_whole(name, &said, &committed_text(&stream(&mut recognizer, &audio)));
    }
}

#[test]
fn a_decoder_loop_over_silence_is_removed() {
    // A second of shouting, then silence: greedy decoding hears "Fire." over
    // and over until its token budget runs out.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fire-burst.wav");
    let burst = crate::audio_in::read_wav_16k_mono(&path).unwrap();
    let buffer = [&burst[..], &vec![0.0; 16_000 * 9]].concat();
    let mut recognizer = crate::recognizer::Recognizer::new(&model()).unwrap();
    let heard = recognizer.transcribe(&buffer, 1.0, crate::recognizer::EncoderWindow::Full, "").unwrap();
    let heard = wer::normalize(&crate::words::join(&heard.words));
    // What a second holds: "fire" once or twice, not the loop.
    assert!((1..=2).contains(&heard.len()) && heard.iter().all(|w| w == "fire"), "{heard:?}");
}

#[test]
fn stereo_with_speech_on_one_channel_or_inverted_polarity_is_captioned_in_full() {
    // Clip 3 (mono LibriVox) written as stereo in two ways that averaging
    // loses: speech on the right channel only (6 dB down when averaged) and
    // the right channel phase-inverted (silence when averaged).
    let model = model();
    let mono = librivox_clip(3);
    let dir = tempfile::tempdir().unwrap();
    let baseline = wer::wer(&librivox_text(3), &transcribe_offline(&model, &mono).unwrap());
    type Layout = fn(f32) -> [f32; 2];
    let layouts: [(&str, Layout); 2] = [("right-only", |s| [0.0, s]), ("inverted", |s| [s, -s])];
    for (name, layout) in layouts {
        let path = dir.path().join(format!("{name}.wav"));
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 16_000,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut writer = hound::WavWriter::create(&path, spec).unwrap();
        for sample in &mono {
            for channel in layout(*sample) {
                writer.write_sample(channel).unwrap();
            }
        }
        writer.finalize().unwrap();
        let decoded = crate::audio_in::decode_16k_mono(&path).unwrap();
        let level = |s: &[f32]| (s.iter().map(|x| x * x).sum::<f32>() / s.len() as f32).sqrt();
        let ratio = level(&decoded.samples) / level(&mono);
        assert!(ratio > 0.9, "{name}: the speech keeps its level ({ratio:.2} of the original)");
        let heard = transcribe_offline(&model, &decoded.samples).unwrap();
        let rate = wer::wer(&librivox_text(3), &heard);
        assert!(
            rate <= baseline + 0.02,
            "{name}: WER {:.1}% against {:.1}% mono: {heard}",
            rate * 100.0,
            baseline * 100.0
        );
    }
}

/// How many of `reference`'s words `heard` has, as a share.
fn share_heard(reference: &str, heard: &str) -> f64 {
    let reference = wer::normalize(reference);
    wer::align(&reference, &wer::normalize(heard)).matches.len() as f64 / reference.len() as f64
}

#[test]
fn a_quieter_second_speaker_is_captioned() {
    // The LibriVox reader at her recorded level, then John F. Kennedy 40 dB
    // quieter: the voice detector used to open only on his loudest
    // syllables, and Whisper heard "And so am I. Ask. Don't freak…".
    let model = model();
    let (quiet, quiet_text) = devset("jfk-inaugural");
    let audio = [librivox_clip(0), vec![0.0; 8_000], attenuated(&quiet, -40.0)].concat();
    let mut recognizer = StreamingRecognizer::new(&model, StreamConfig::default()).unwrap();
    let streamed = committed_text(&stream(&mut recognizer, &audio));
    let offline = transcribe_offline(&model, &audio).unwrap();
    let first_len = wer::normalize(&librivox_text(0)).len();
    let reference = wer::normalize(&format!("{} {quiet_text}", librivox_text(0)));
    for (mode, heard) in [("streaming", &streamed), ("offline", &offline)] {
        let alignment = wer::align(&reference, &wer::normalize(heard));
        let quiet_heard = alignment.matches.iter().filter(|(r, _)| *r >= first_len).count();
        let share = quiet_heard as f64 / (reference.len() - first_len) as f64;
        assert!(share >= 0.85, "{mode}: {:.0}% of the quieter speaker's words: {heard}", share * 100.0);
    }
}

#[test]
fn a_long_phone_prompt_in_streaming_commits_what_offline_transcribes() {
    // 25 s of an 8 kHz telephone prompt without a pause long enough to end
    // an utterance, so the length cap cuts it. Whisper closed every pass
    // after the first sentence, and streaming lost the 23 words after
    // "Company" that offline has.
    let model = model();
    let (audio, reference) = devset("allison-basic-pbx-ivr-main");
    let mut recognizer = StreamingRecognizer::new(&model, StreamConfig::default()).unwrap();
    let streamed = committed_text(&stream(&mut recognizer, &audio));
    let offline = transcribe_offline(&model, &audio).unwrap();
    let reference = wer::normalize(&reference);
    let (streamed_alignment, offline_alignment) = (
        wer::align(&reference, &wer::normalize(&streamed)),
        wer::align(&reference, &wer::normalize(&offline)),
    );
    // Nothing offline heard is lost for more than a word or two; the word
    // error rate (streaming 11.9 %, offline 1.7 % here) is the bench's.
    let lost = streamed_alignment.longest_run_lost_from(&offline_alignment);
    assert!(lost <= 2, "streaming lost {lost} words in a row that offline has: {streamed}");
}

#[test]
fn speech_from_sample_0_keeps_its_first_word() {
    let model = model();
    for id in ["jfk-inaugural", "arctic-a0007"] {
        let (mut audio, reference) = devset(id);
        // Cut the recording where its speech starts, as a file or stream
        // that begins mid-breath does.
        let peak = audio.iter().fold(0.0f32, |peak, s| peak.max(s.abs()));
        let onset = audio.iter().position(|s| s.abs() > 0.05 * peak).unwrap();
        audio.drain(..onset);
        let first = wer::normalize(&reference)[0].clone();
        let mut recognizer = StreamingRecognizer::new(&model, StreamConfig::default()).unwrap();
        let streamed = committed_text(&stream(&mut recognizer, &audio));
        let offline = transcribe_offline(&model, &audio).unwrap();
        for (mode, heard) in [("streaming", &streamed), ("offline", &offline)] {
            assert_eq!(wer::normalize(heard).first(), Some(&first), "{id}, {mode}: {heard}");
        }
    }
}

#[test]
fn near_silent_speech_is_captioned() {
    // CMU ARCTIC a0007 40 and 60 dB below its recorded level (about −57
    // and −77 dBFS of speech): before the voice detector's input was
    // levelled, the first gave "to see it in the superlative degree" and
    // lost "and you always want".
    let model = model();
    let (audio, reference) = devset("arctic-a0007");
    for db in [-40.0, -60.0] {
        let mut recognizer = StreamingRecognizer::new(&model, StreamConfig::default()).unwrap();
        let events = stream(&mut recognizer, &attenuated(&audio, db));
        let streamed = committed_text(&events);
        let share = share_heard(&reference, &streamed);
        assert!(share >= 0.7, "{db} dB: {:.0}% of the words: {streamed}", share * 100.0);
    }
}
