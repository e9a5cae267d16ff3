//! Live captions: latency, accuracy and cost of the full streaming pipeline.
//!
//! The LibriVox clips are played in order, as one speaker's stream, at
//! real-time pace through voice detection, re-decoding and agreement with
//! the provisioned tiny.en model. Committed
//! words are aligned to the reference transcript; each matched word's
//! latency is measured from its end in the audio (from the forced
//! alignment in the clip's `.json`) to when it first appeared on screen and
//! to when it was committed. Targets are issue #3's.

use crate::alignment::WordTrack;
use crate::measurement::{Goal, Measurement, percentile};
use crate::process::peak_rss_mb;
use allverse_captions::{CaptionEvent, Model, StreamConfig, audio_in, streaming, wer, words};
use anyhow::{Context, Result};

const CLIPS: [&str; 5] = ["0870", "0880", "0890", "0920", "0930"];

/// Silence between clips: more than the voice detector's hangover, so each
/// clip is its own utterance, as a speaker's sentences are.
const GAP_S: f64 = 1.0;

pub fn run() -> Result<Vec<Measurement>> {
    let model_path = allverse_core::paths::default_caption_model().context("no cache directory")?;
    let model = Model::load(&model_path)?;
    // One speaker reading the clips in order, as in a session: earlier
    // sentences are the context for later ones.
    let (mut session, mut reference, mut timed) = (Vec::new(), Vec::new(), Vec::new());
    for clip in CLIPS {
        let base = format!(
            "{}/../../assets/audio/librivox/sense_and_sensibility_01_austen_64kb-{clip}",
            env!("CARGO_MANIFEST_DIR")
        );
        let start_s = session.len() as f64 / f64::from(audio_in::SAMPLE_RATE_HZ);
        session.extend(audio_in::read_wav_16k_mono(format!("{base}.wav").as_ref())?);
        session.extend(std::iter::repeat_n(0.0, (GAP_S * f64::from(audio_in::SAMPLE_RATE_HZ)) as usize));
        reference.extend(wer::normalize(&std::fs::read_to_string(format!("{base}.txt"))?));
        // The timed words, normalised the same way, for latency.
        let track = WordTrack::from_alignment_json(&std::fs::read_to_string(format!("{base}.json"))?)?;
        timed.extend(track.words.iter().flat_map(|w| {
            wer::normalize(&w.text).into_iter().map(move |t| (t, start_s + f64::from(w.end_s)))
        }));
    }

    let offline = streaming::transcribe_offline(&model, &session)?;
    let offline_errors = wer::align(&reference, &wer::normalize(&offline)).errors;
    let mut words = Vec::new();
    let stats = streaming::replay_at_real_time(&model, StreamConfig::default(), &session, |event| {
        if let CaptionEvent::Commit { words: committed, .. } = event {
            words.extend(committed.iter().cloned());
        }
    })?;
    let heard: Vec<String> = words.iter().map(|w| wer::normalize_word(&w.text)).collect();
    let timed_text: Vec<String> = timed.iter().map(|(t, _)| t.clone()).collect();
    let (mut shown_s, mut committed_s, mut slowest) = (Vec::new(), Vec::new(), Vec::new());
    for (reference_index, heard_index) in wer::align(&timed_text, &heard).matches {
        let end_s = timed[reference_index].1;
        shown_s.push(words[heard_index].first_shown_s - end_s);
        committed_s.push(words[heard_index].committed_s - end_s);
        slowest.push((words[heard_index].first_shown_s - end_s, end_s, &words[heard_index].text));
    }
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (shown_after_s, end_s, word) in slowest.iter().take(5) {
        eprintln!("slow to show: {word:?}, ended at {end_s:.2} s, shown {shown_after_s:.2} s later");
    }
    let streamed = words::join(&words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>());
    let streaming_errors = wer::align(&reference, &wer::normalize(&streamed)).errors;
    // Which words were missed is what tuning needs, so show them.
    eprintln!("offline, {offline_errors} errors: {offline}");
    eprintln!("streaming, {streaming_errors} errors: {streamed}");
    let streaming_wer = 100.0 * streaming_errors as f64 / reference.len() as f64;
    let offline_wer = 100.0 * offline_errors as f64 / reference.len() as f64;
    Ok(vec![
        Measurement::new(
            "word shown after spoken p50",
            percentile(&mut shown_s, 50.0),
            "s",
            Goal::AtMost,
            0.8,
        ),
        Measurement::new(
            "word shown after spoken p95",
            percentile(&mut shown_s, 95.0),
            "s",
            Goal::AtMost,
            1.5,
        ),
        Measurement::new(
            "word committed after spoken p50",
            percentile(&mut committed_s, 50.0),
            "s",
            Goal::AtMost,
            2.0,
        ),
        Measurement::new(
            "word committed after spoken p95",
            percentile(&mut committed_s, 95.0),
            "s",
            Goal::AtMost,
            3.0,
        ),
        Measurement::new("streaming WER", streaming_wer, "%", Goal::AtMost, offline_wer + 1.0),
        // Published tiny.en WER on clean read speech is about 5.6–7 %.
        Measurement::new("offline WER (same model)", offline_wer, "%", Goal::AtMost, 10.0),
        Measurement::new(
            "compute real-time factor",
            stats.decoding_s / stats.audio_s,
            "x",
            Goal::AtMost,
            1.0,
        ),
        Measurement::new("peak RSS", peak_rss_mb()?, "MB", Goal::AtMost, 400.0),
    ])
}
