//! Live captions: latency, accuracy and cost of the full streaming pipeline.
//!
//! The LibriVox clips are played in order, as one speaker's stream, at
//! real-time pace through voice detection, re-decoding and agreement with
//! the provisioned tiny.en model, three times, since passes land at
//! different moments from run to run. Committed words are aligned to the
//! reference transcript; each matched word's latency is measured from its
//! end in the audio (from the forced alignment in the clip's `.json`) to
//! when it first appeared on screen and to when it was committed. Then
//! every recording of the development set (`assets/devset/manifest.toml`)
//! is played the same way, each as its own speaker, and transcribed offline
//! for comparison. Latency targets are issue #3's; the rest are issue #15's.

use crate::alignment::WordTrack;
use crate::measurement::{Goal, Measurement, percentile};
use crate::process::peak_rss_mb;
use allverse_captions::agreement::CommittedWord;
use allverse_captions::{CaptionEvent, Model, StreamConfig, audio_in, devset, streaming, wer, words};
use anyhow::{Context, Result};

const CLIPS: [&str; 5] = ["0870", "0880", "0890", "0920", "0930"];

/// Silence between clips: more than the voice detector's hangover, so each
/// clip is its own utterance, as a speaker's sentences are.
const GAP_S: f64 = 1.0;
/// Runs of the LibriVox stream, for the spread from run to run.
const RUNS: usize = 3;

/// One stream played at real-time pace, and what came of it.
struct Played {
    committed: Vec<CommittedWord>,
    decoding_s: f64,
    audio_s: f64,
}

fn play(model: &Model, audio: &[f32]) -> Result<Played> {
    let mut committed = Vec::new();
    let stats = streaming::replay_at_real_time(model, StreamConfig::default(), audio, |event| {
        if let CaptionEvent::Commit { words, .. } = event {
            committed.extend(words.iter().cloned());
        }
    })?;
    Ok(Played { committed, decoding_s: stats.decoding_s, audio_s: stats.audio_s })
}

impl Played {
    fn text(&self) -> String {
        words::join(&self.committed.iter().map(|w| w.text.as_str()).collect::<Vec<_>>())
    }
}

/// Streaming and offline transcripts of one recording, aligned to its reference.
struct Scored {
    reference_len: usize,
    streaming_errors: usize,
    offline_errors: usize,
    /// Longest run of reference words offline has and streaming lost.
    lost_run: usize,
}

fn score(reference: &[String], streamed: &str, offline: &str) -> Scored {
    let streaming = wer::align(reference, &wer::normalize(streamed));
    let offline = wer::align(reference, &wer::normalize(offline));
    Scored {
        reference_len: reference.len(),
        streaming_errors: streaming.errors,
        offline_errors: offline.errors,
        lost_run: streaming.longest_run_lost_from(&offline),
    }
}

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
    let timed_text: Vec<String> = timed.iter().map(|(t, _)| t.clone()).collect();
    let (mut shown_s, mut committed_s) = (Vec::new(), Vec::new());
    let (mut librivox, mut streaming_wers) = (Vec::new(), Vec::new());
    let (mut decoding_s, mut audio_s) = (0.0, 0.0);
    for run in 1..=RUNS {
        let played = play(&model, &session)?;
        let heard: Vec<String> = played.committed.iter().map(|w| wer::normalize_word(&w.text)).collect();
        for (reference_index, heard_index) in wer::align(&timed_text, &heard).matches {
            let end_s = timed[reference_index].1;
            shown_s.push(played.committed[heard_index].first_shown_s - end_s);
            committed_s.push(played.committed[heard_index].committed_s - end_s);
        }
        let scored = score(&reference, &played.text(), &offline);
        // Which words were missed is what tuning needs, so show them.
        eprintln!("LibriVox run {run}, streaming, {} errors: {}", scored.streaming_errors, played.text());
        streaming_wers.push(100.0 * scored.streaming_errors as f64 / scored.reference_len as f64);
        librivox.push(scored);
        decoding_s += played.decoding_s;
        audio_s += played.audio_s;
    }
    eprintln!("LibriVox offline, {} errors: {offline}", librivox[0].offline_errors);

    let mut development = Vec::new();
    for recording in devset::recordings()? {
        let audio = recording.audio()?;
        let played = play(&model, &audio)?;
        let offline = streaming::transcribe_offline(&model, &audio)?;
        let scored = score(&wer::normalize(&recording.reference), &played.text(), &offline);
        eprintln!(
            "{}: streaming {} errors, offline {}, lost run {}: {}",
            recording.id,
            scored.streaming_errors,
            scored.offline_errors,
            scored.lost_run,
            played.text()
        );
        development.push(scored);
        decoding_s += played.decoding_s;
        audio_s += played.audio_s;
    }

    let rate = |scored: &[Scored], errors: fn(&Scored) -> usize| {
        100.0 * scored.iter().map(errors).sum::<usize>() as f64
            / scored.iter().map(|s| s.reference_len).sum::<usize>() as f64
    };
    let librivox_offline = rate(&librivox[..1], |s| s.offline_errors);
    let development_offline = rate(&development, |s| s.offline_errors);
    let spread = streaming_wers.iter().copied().fold(f64::MIN, f64::max)
        - streaming_wers.iter().copied().fold(f64::MAX, f64::min);
    let lost_run = librivox.iter().chain(&development).map(|s| s.lost_run).max().unwrap_or(0);
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
        Measurement::new(
            "LibriVox streaming WER (mean of 3 runs)",
            rate(&librivox, |s| s.streaming_errors),
            "%",
            Goal::AtMost,
            librivox_offline + 1.0,
        ),
        Measurement::new("LibriVox streaming WER spread over 3 runs", spread, "points", Goal::AtMost, 1.0),
        // Published tiny.en WER on clean read speech is about 5.6–7 %.
        Measurement::new("LibriVox offline WER (same model)", librivox_offline, "%", Goal::AtMost, 10.0),
        Measurement::new(
            "development set streaming WER",
            rate(&development, |s| s.streaming_errors),
            "%",
            Goal::AtMost,
            development_offline + 1.0,
        ),
        Measurement::new("development set offline WER", development_offline, "%", Goal::AtMost, 15.0),
        Measurement::new(
            "longest reference stretch offline has and streaming lost",
            lost_run as f64,
            "words",
            Goal::AtMost,
            0.0,
        ),
        Measurement::new("compute real-time factor", decoding_s / audio_s, "x", Goal::AtMost, 0.4),
        Measurement::new("peak RSS", peak_rss_mb()?, "MB", Goal::AtMost, 400.0),
    ])
}
