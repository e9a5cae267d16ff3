//! `allverse captions ...`: transcribe files, caption the microphone, check a model.

use allverse_captions::{
    CaptionEvent, Model, StreamConfig, audio_in, live, resolve_model_path, streaming, wer,
};
use allverse_core::profile::ProfileStore;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum CaptionsCommand {
    /// Transcribe an audio file (WAV, MP3, FLAC, Ogg Vorbis) on this device,
    /// offline or as a live replay.
    Transcribe {
        file: PathBuf,
        /// Replay the file at real-time pace and print every partial and
        /// committed caption with its time, as a live listener would see them.
        #[arg(long)]
        stream: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        model: ModelArg,
    },
    /// Caption the microphone until Ctrl-C.
    Live {
        #[command(flatten)]
        model: ModelArg,
    },
    /// Check a model by transcribing a clip with a reference transcript
    /// (`CLIP.txt` beside `CLIP.wav`); fails above 20% word error rate.
    CheckModel {
        clip: PathBuf,
        #[command(flatten)]
        model: ModelArg,
    },
}

#[derive(Args)]
pub struct ModelArg {
    /// Whisper ggml model file; defaults to the profile's captions.model,
    /// then the one `cargo xtask model` provisions.
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
}

impl ModelArg {
    fn load(&self, store: &ProfileStore) -> Result<Model> {
        let profile = store.load().map(|loaded| loaded.profile).unwrap_or_default();
        let path = resolve_model_path(self.model.as_deref(), profile.captions.model.as_deref())?;
        Ok(Model::load(&path)?)
    }
}

pub fn run(command: CaptionsCommand, store: &ProfileStore) -> Result<()> {
    match command {
        CaptionsCommand::Transcribe { file, stream, json, model } => {
            // The file first: a bad one is refused before the model takes time and memory.
            let samples = read_audio(&file)?;
            let model = model.load(store)?;
            if stream {
                streaming::replay_at_real_time(&model, StreamConfig::default(), &samples, |event| {
                    print_event(event, json)
                })?;
            } else {
                let text = streaming::transcribe_offline(&model, &samples)?;
                if json {
                    println!("{}", serde_json::json!({ "file": file, "text": text }));
                } else {
                    println!("{text}");
                }
            }
            Ok(())
        }
        CaptionsCommand::Live { model } => live_microphone(&model.load(store)?),
        CaptionsCommand::CheckModel { clip, model } => check_model(&model.load(store)?, &clip),
    }
}

/// Decodes a file to 16 kHz mono; what was wrong with it but worked around goes to stderr.
fn read_audio(path: &Path) -> Result<Vec<f32>> {
    let decoded = audio_in::decode_16k_mono(path)?;
    for notice in &decoded.notices {
        eprintln!("note: {notice}");
    }
    Ok(decoded.samples)
}

fn print_event(event: &CaptionEvent, json: bool) {
    if json {
        println!("{}", serde_json::to_string(event).expect("events serialize"));
        return;
    }
    match event {
        CaptionEvent::Partial { time_s, text } => println!("{time_s:7.2}s  partial  {text}"),
        CaptionEvent::Commit { time_s, text, .. } => println!("{time_s:7.2}s  commit   {text}"),
        CaptionEvent::Unclear { time_s } => {
            println!("{time_s:7.2}s  unclear  {}", CaptionEvent::UNCLEAR_TEXT)
        }
    }
}

fn live_microphone(model: &Model) -> Result<()> {
    let (device, format) = live::Microphone::default_format("you")?;
    let (captions, mut inputs) = live::LiveCaptions::spawn(
        model,
        StreamConfig::default(),
        std::slice::from_ref(&format),
        std::time::Instant::now(),
    )?;
    let _microphone = live::Microphone::open(&device, format, inputs.remove(0))?;
    eprintln!("captioning the microphone on this device; Ctrl-C to stop");
    for (_, event) in captions.events.iter() {
        print_event(&event, false);
    }
    Ok(())
}

fn check_model(model: &Model, clip: &Path) -> Result<()> {
    let reference_path = clip.with_extension("txt");
    let reference = std::fs::read_to_string(&reference_path)
        .with_context(|| format!("reading the reference transcript {}", reference_path.display()))?;
    let text = streaming::transcribe_offline(model, &read_audio(clip)?)?;
    let error_rate = wer::wer(&reference, &text);
    println!("heard: {text}");
    println!("word error rate against {}: {:.1}%", reference_path.display(), error_rate * 100.0);
    if error_rate > 0.2 {
        bail!(
            "the model at {} recognises too little ({:.0}% WER > 20%)",
            model.path().display(),
            error_rate * 100.0
        );
    }
    Ok(())
}
