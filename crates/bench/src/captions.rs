//! Live captions: latency, accuracy and cost of the full streaming pipeline.
//!
//! Each LibriVox clip is played at real-time pace through voice detection,
//! re-decoding and agreement with the provisioned tiny.en model. Committed
//! words are aligned to the reference transcript; each matched word's
//! latency is measured from its end in the audio (from the forced
//! alignment in the clip's `.json`) to when it first appeared on screen and
//! to when it was committed. Targets are issue #3's.

use crate::measurement::{Goal, Measurement, percentile};
use allverse_captions::{CaptionEvent, Model, StreamConfig, audio, streaming, wer, words};
use allverse_core::caption::WordTrack;
use anyhow::{Context, Result};

const CLIPS: [&str; 5] = ["0870", "0880", "0890", "0920", "0930"];

pub fn run() -> Result<Vec<Measurement>> {
    let model_path = allverse_core::paths::default_caption_model().context("no cache directory")?;
    let model = Model::load(&model_path)?;
    let (mut shown_s, mut committed_s) = (Vec::new(), Vec::new());
    let (mut streaming_errors, mut offline_errors, mut reference_words) = (0, 0, 0);
    let (mut decoding_s, mut audio_s) = (0.0, 0.0);
    for clip in CLIPS {
        let base = format!(
            "{}/../../assets/audio/librivox/sense_and_sensibility_01_austen_64kb-{clip}",
            env!("CARGO_MANIFEST_DIR")
        );
        let samples = audio::read_wav_16k_mono(format!("{base}.wav").as_ref())?;
        let track = WordTrack::from_alignment_json(&std::fs::read_to_string(format!("{base}.json"))?)?;
        let reference = wer::normalize(&std::fs::read_to_string(format!("{base}.txt"))?);
        // The timed words, normalised the same way, for latency.
        let timed: Vec<(String, f64)> = track
            .words
            .iter()
            .flat_map(|w| wer::normalize(&w.text).into_iter().map(|t| (t, f64::from(w.end_s))))
            .collect();

        let offline = streaming::transcribe_offline(&model, &samples)?;
        let clip_offline_errors = wer::align(&reference, &wer::normalize(&offline)).errors;
        eprintln!("clip {clip}: offline   {clip_offline_errors} errors: {offline}");
        offline_errors += clip_offline_errors;
        reference_words += reference.len();

        let mut words = Vec::new();
        let stats = streaming::replay_at_real_time(&model, StreamConfig::default(), &samples, |event| {
            if let CaptionEvent::Commit { words: committed, .. } = event {
                words.extend(committed.iter().cloned());
            }
        })?;
        decoding_s += stats.decoding_s;
        audio_s += stats.audio_s;
        let heard: Vec<String> = words.iter().map(|w| wer::normalize_word(&w.text)).collect();
        let timed_text: Vec<String> = timed.iter().map(|(t, _)| t.clone()).collect();
        for (reference_index, heard_index) in wer::align(&timed_text, &heard).matches {
            let end_s = timed[reference_index].1;
            shown_s.push(words[heard_index].first_shown_s - end_s);
            committed_s.push(words[heard_index].committed_s - end_s);
        }
        let joined = words::join(&words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>());
        let errors = wer::align(&reference, &wer::normalize(&joined)).errors;
        // Which words were missed is what tuning needs, so show them.
        eprintln!("clip {clip}: streaming {errors} errors: {joined}");
        streaming_errors += errors;
    }
    let streaming_wer = 100.0 * streaming_errors as f64 / reference_words as f64;
    let offline_wer = 100.0 * offline_errors as f64 / reference_words as f64;
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
        Measurement::new("compute real-time factor", decoding_s / audio_s, "x", Goal::AtMost, 1.0),
        Measurement::new("peak RSS", peak_rss_mb()?, "MB", Goal::AtMost, 400.0),
    ])
}

/// The process's high-water resident set, from /proc.
fn peak_rss_mb() -> Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/self/status")?;
    Ok(kb / 1024.0)
}
