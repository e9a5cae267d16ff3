//! `allverse say`: speak text from a point around the listener, to a binaural WAV file or the speakers.

use crate::numbers::number_in;
use allverse_core::placement::direction_from_yaw_pitch_deg;
use allverse_core::profile::ProfileStore;
use allverse_pipeline::audio::{self, Bus, EngineConfig, Placement, SAMPLE_RATE_HZ, Spatializer, offline};
use allverse_speech::{Espeak, PcmSink, VoiceParams};
use anyhow::{Context, Result, bail};
use std::ops::Bound;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args)]
pub struct SayArgs {
    /// The text to speak.
    text: Option<String>,
    /// Where the voice is: azimuth (degrees, positive to the left), elevation (degrees, up), distance (metres).
    #[arg(long, value_name = "AZ,EL,DIST", default_value = "0,0,1", allow_hyphen_values = true, value_parser = parse_position)]
    from: HeadPoint,
    /// Write the binaural rendering to this WAV file (48 kHz, stereo, 32-bit float).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Play it on the default audio output.
    #[arg(long)]
    play: bool,
    /// An espeak-ng voice (default: the profile's speech.voice).
    #[arg(long)]
    voice: Option<String>,
    /// Words per minute, 80 to 450 (default: the profile's speech.rate_wpm).
    #[arg(long, value_parser = parse_rate)]
    rate: Option<u32>,
    /// List the voices and languages espeak-ng offers, and exit.
    #[arg(long)]
    list_voices: bool,
}

pub fn run(args: SayArgs, store: &ProfileStore) -> Result<()> {
    let espeak = Espeak::shared().context("speech needs espeak-ng")?;
    if args.list_voices {
        println!("{}", espeak.voices().join("\n"));
        return Ok(());
    }
    let Some(text) = args.text else { bail!("say what? Give the text, e.g. allverse say \"Hello\" --play") };
    if args.out.is_none() && !args.play {
        bail!("give --out FILE.wav, --play, or both");
    }
    let profile = store.load()?.profile;
    let params = VoiceParams {
        voice: args.voice.unwrap_or(profile.speech.voice.clone()),
        rate_wpm: args.rate.unwrap_or(profile.speech.rate_wpm),
        pitch: profile.speech.pitch,
    };
    let HeadPoint { azimuth_deg, elevation_deg, distance_m } = args.from;
    let placement = Placement::Head(direction_from_yaw_pitch_deg(azimuth_deg, elevation_deg) * distance_m);
    let (mono, _) = espeak.synthesize(&text, &params)?;

    let (spatializer, problem) = Spatializer::load_or_panning(profile.audio.hrtf.as_deref());
    if let Some(problem) = problem {
        eprintln!("allverse: {problem}. Using plain stereo panning instead.");
    }
    let heard_as = spatializer.describe();
    let mix = audio::MixSettings {
        speech_volume: profile.audio.speech_volume * profile.audio.master_volume,
        scene_volume: 0.0,
        balance: profile.audio.balance,
        mono: profile.audio.mono,
    };
    // The whole utterance fits in the voice's ring, so rendering never waits for it.
    let config = EngineConfig { voices: 1, ring_frames: mono.len() + 1, ..Default::default() };
    let seconds = mono.len() as f64 / f64::from(SAMPLE_RATE_HZ);

    if let Some(path) = &args.out {
        let (mut control, mut renderer) = audio::engine(config.clone(), spatializer.clone());
        control.set_mix(mix);
        let id = {
            let mut feed = control.play(Bus::Speech, placement, 1.0)?;
            feed.write(&mono);
            feed.id()
        };
        let mut binaural = Vec::new();
        while control.is_playing(id) {
            offline::render_into(&mut renderer, audio::BLOCK_FRAMES, &mut binaural);
        }
        audio::wav::write_stereo_wav(path, &binaural)
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!(
            "said {text:?} from azimuth {azimuth_deg}°, elevation {elevation_deg}°, {distance_m} m: {seconds:.2} s, {heard_as} → {}",
            path.display()
        );
    }
    if args.play {
        let (mut control, renderer) = audio::engine(config, spatializer);
        control.set_mix(mix);
        let _device = audio::device::open_default(renderer)?;
        let mut feed = control.play(Bus::Speech, placement, 1.0)?;
        let id = feed.id();
        PcmSink::write(&mut feed, &mono);
        drop(feed);
        while control.is_playing(id) {
            std::thread::sleep(Duration::from_millis(20));
        }
        println!("played {text:?} ({seconds:.2} s, {heard_as})");
    }
    Ok(())
}

/// Where a voice is, around the listener's head.
#[derive(Clone, Copy, Debug)]
struct HeadPoint {
    /// Positive to the left.
    azimuth_deg: f32,
    /// Positive up.
    elevation_deg: f32,
    distance_m: f32,
}

/// Azimuth may go round once either way (270 is -90).
const AZIMUTH_DEG: std::ops::RangeInclusive<f32> = -360.0..=360.0;
const ELEVATION_DEG: std::ops::RangeInclusive<f32> = -90.0..=90.0;
/// At 100 m the inverse-distance law has already taken a voice 40 dB down.
const MAX_DISTANCE_M: f32 = 100.0;

/// `--from AZ,EL,DIST`: three numbers, each finite and in its range.
fn parse_position(from: &str) -> Result<HeadPoint, String> {
    let [azimuth, elevation, distance] = from.split(',').collect::<Vec<_>>()[..] else {
        return Err(
            "--from needs three numbers AZIMUTH,ELEVATION,DISTANCE, e.g. 90,0,2 for 2 m to the left".into()
        );
    };
    Ok(HeadPoint {
        azimuth_deg: number_in(azimuth, "--from", "an azimuth", AZIMUTH_DEG, " degrees")?,
        elevation_deg: number_in(elevation, "--from", "an elevation", ELEVATION_DEG, " degrees")?,
        distance_m: number_in(
            distance,
            "--from",
            "a distance",
            (Bound::Excluded(0.0), Bound::Included(MAX_DISTANCE_M)),
            " metres",
        )?,
    })
}

/// `--rate WPM`: the range espeak-ng speaks intelligibly, as in the profile.
fn parse_rate(rate: &str) -> Result<u32, String> {
    number_in(rate, "--rate", "a whole number", allverse_core::profile::SPEECH_RATE_WPM, " words per minute")
}
