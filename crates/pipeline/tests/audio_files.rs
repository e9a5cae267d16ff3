//! Audio files as people have them: every supported format read and recognisable,
//! damaged files read as far as they go, bad headers and non-audio refused in words.
//!
//! The compressed fixtures in `tests/data/` were made from the bundled
//! LibriVox clip 0890 with sox and ffmpeg (see `tests/data/README.md`);
//! WAV variants are written here byte by byte.

use allverse_pipeline::audio::file::{Decoded, FileError, decode_mono};
use std::path::{Path, PathBuf};

const RATE_HZ: u32 = 16_000;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// The clip every fixture was made from, 16 kHz mono 16-bit.
fn original_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/audio/librivox/sense_and_sensibility_01_austen_64kb-0890.wav")
}

fn original() -> Vec<f32> {
    let mut reader = hound::WavReader::open(original_path()).unwrap();
    reader.samples::<i16>().map(|s| f32::from(s.unwrap()) / 32768.0).collect()
}

/// The original's 16-bit sample bytes.
fn original_pcm() -> Vec<u8> {
    original().iter().flat_map(|s| ((s * 32768.0) as i16).to_le_bytes()).collect()
}

/// A WAV file: RIFF header, a 16-byte `fmt ` chunk, then `data`; `sizes`
/// overrides the RIFF and data chunk sizes (e.g. 0xFFFFFFFF as ffmpeg writes to a pipe).
fn wav_bytes(
    format_tag: u16,
    channels: u16,
    rate_hz: u32,
    bits: u16,
    data: &[u8],
    sizes: Option<(u32, u32)>,
) -> Vec<u8> {
    let block_align = channels * bits / 8;
    let (riff_size, data_size) = sizes.unwrap_or((36 + data.len() as u32, data.len() as u32));
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&riff_size.to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&format_tag.to_le_bytes());
    bytes.extend_from_slice(&channels.to_le_bytes());
    bytes.extend_from_slice(&rate_hz.to_le_bytes());
    bytes.extend_from_slice(&(rate_hz.wrapping_mul(u32::from(block_align))).to_le_bytes());
    bytes.extend_from_slice(&block_align.to_le_bytes());
    bytes.extend_from_slice(&bits.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_size.to_le_bytes());
    bytes.extend_from_slice(data);
    bytes
}

const PCM: u16 = 1;
const FLOAT: u16 = 3;

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The best normalised correlation of `decoded` with the original over lags of up to ±50 ms.
fn similarity(decoded: &[f32]) -> f32 {
    let reference = original();
    let max_lag = 800i64;
    let mut best = 0.0f32;
    for lag in -max_lag..=max_lag {
        let (mut dot, mut a2, mut b2) = (0.0f64, 0.0f64, 0.0f64);
        for (i, &a) in reference.iter().enumerate() {
            let Some(&b) = usize::try_from(i as i64 + lag).ok().and_then(|j| decoded.get(j)) else {
                continue;
            };
            dot += f64::from(a) * f64::from(b);
            a2 += f64::from(a) * f64::from(a);
            b2 += f64::from(b) * f64::from(b);
        }
        if a2 > 0.0 && b2 > 0.0 {
            best = best.max((dot / (a2 * b2).sqrt()) as f32);
        }
    }
    best
}

fn decode(path: &Path) -> Decoded {
    decode_mono(path, RATE_HZ).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn refusal(path: &Path) -> String {
    let error = decode_mono(path, RATE_HZ).expect_err("a refusal").to_string();
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(error.contains(name), "the error names the file: {error}");
    // None of the decoder's own words ("malformed stream: riff: ...", "unsupported feature: ...").
    assert!(
        !["riff:", "malformed", "unsupported feature", "end of file"].iter().any(|w| error.contains(w)),
        "{error}"
    );
    error
}

// Kind 1: non-finite samples.

#[test]
fn nan_and_infinite_samples_become_silence_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    // A 48 kHz float WAV of a 440 Hz tone with 50 NaN, 2 +∞ and 1 −∞ in it.
    let mut samples: Vec<f32> =
        (0..48_000).map(|i| 0.5 * (std::f32::consts::TAU * 440.0 * i as f32 / 48_000.0).sin()).collect();
    for i in 0..50 {
        samples[10_000 + i * 7] = f32::NAN;
    }
    samples[30_000] = f32::INFINITY;
    samples[30_001] = f32::INFINITY;
    samples[40_000] = f32::NEG_INFINITY;
    let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let path = write(&dir, "nan.wav", &wav_bytes(FLOAT, 1, 48_000, 32, &bytes, None));
    let decoded = decode(&path);
    assert_eq!(decoded.samples.len(), 16_000);
    assert!(decoded.samples.iter().all(|s| s.is_finite()));
    assert_eq!(decoded.notices.len(), 1, "{:?}", decoded.notices);
    assert!(decoded.notices[0].contains("53 sample(s) were not numbers"), "{}", decoded.notices[0]);
    // The tone around the holes is intact: a 0.5 sine has an RMS of 0.354.
    let clean = &decoded.samples[1_000..3_000];
    let rms = (clean.iter().map(|s| s * s).sum::<f32>() / clean.len() as f32).sqrt();
    assert!((rms - 0.354).abs() < 0.01, "rms {rms}");
}

#[test]
fn a_wav_of_only_nan_is_silence_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = std::iter::repeat_n(f64::NAN, 8_000).flat_map(|s| s.to_le_bytes()).collect();
    let path = write(&dir, "all-nan-f64.wav", &wav_bytes(FLOAT, 1, 8_000, 64, &bytes, None));
    let decoded = decode(&path);
    assert_eq!(decoded.samples.len(), 16_000);
    assert!(decoded.samples.iter().all(|&s| s == 0.0));
    assert!(decoded.notices[0].contains("8000 sample(s)"), "{:?}", decoded.notices);
}

// Kind 2: sizes in headers.

#[test]
fn implausible_sample_rates_are_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let pcm = original_pcm();
    for rate_hz in [0, 1, 7_999, 384_001, 4_000_000_000] {
        let path = write(&dir, &format!("rate-{rate_hz}.wav"), &wav_bytes(PCM, 1, rate_hz, 16, &pcm, None));
        let error = refusal(&path);
        assert!(
            error.contains(&format!("sample rate is {rate_hz} Hz")) && error.contains("header is damaged"),
            "{error}"
        );
    }
    // The bounds themselves are accepted.
    for rate_hz in [8_000, 384_000] {
        let path = write(&dir, "edge.wav", &wav_bytes(PCM, 1, rate_hz, 16, &pcm[..16_000], None));
        assert!(!decode(&path).samples.is_empty());
    }
}

#[test]
fn zero_or_too_many_channels_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pcm = original_pcm();
    for channels in [0u16, 40] {
        let path = write(
            &dir,
            &format!("channels-{channels}.wav"),
            &wav_bytes(PCM, channels, 16_000, 16, &pcm, None),
        );
        let error = refusal(&path);
        assert!(error.contains("header is damaged"), "{error}");
    }
}

#[test]
fn a_header_announcing_more_than_two_hours_is_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    // 8 kHz 16-bit mono with a data chunk of 256 MiB: 4 h 39 min, in a 170 KB file.
    let pcm = original_pcm();
    let path = write(&dir, "long.wav", &wav_bytes(PCM, 1, 8_000, 16, &pcm, Some((0x1000_0024, 0x1000_0000))));
    let error = refusal(&path);
    assert!(error.contains("longer than 2 hours") && error.contains("says it holds 4 h 39 min"), "{error}");
}

// Kind 8: the formats people have.

#[test]
fn compressed_and_unusual_formats_decode_to_the_same_speech() {
    for (name, min_similarity) in [
        ("speech-44k-stereo.mp3", 0.9),
        ("speech-16k.flac", 0.999),
        ("speech-48k.ogg", 0.9),
        ("speech-22k-ima-adpcm.wav", 0.9),
        ("speech-22k-ms-adpcm.wav", 0.9),
    ] {
        let decoded = decode(&data(name));
        assert!(decoded.notices.is_empty(), "{name}: {:?}", decoded.notices);
        let seconds = decoded.samples.len() as f32 / RATE_HZ as f32;
        assert!((seconds - 5.3).abs() < 0.08, "{name}: {seconds} s");
        let similarity = similarity(&decoded.samples);
        assert!(similarity > min_similarity, "{name}: similarity {similarity}");
    }
}

#[test]
fn float64_and_8_bit_wavs_decode() {
    let dir = tempfile::tempdir().unwrap();
    let reference = original();
    let f64_bytes: Vec<u8> = reference.iter().flat_map(|&s| f64::from(s).to_le_bytes()).collect();
    let u8_bytes: Vec<u8> = reference.iter().map(|&s| (s * 127.0 + 128.0) as u8).collect();
    for (name, bytes) in [
        ("f64.wav", wav_bytes(FLOAT, 1, 16_000, 64, &f64_bytes, None)),
        ("u8.wav", wav_bytes(PCM, 1, 16_000, 8, &u8_bytes, None)),
    ] {
        let decoded = decode(&write(&dir, name, &bytes));
        assert_eq!(decoded.samples.len(), reference.len(), "{name}");
        assert!(similarity(&decoded.samples) > 0.99, "{name}");
    }
}

#[test]
fn other_containers_and_codecs_are_named_in_the_refusal() {
    let error = refusal(&data("speech.m4a"));
    assert!(error.contains("MP4/M4A") && error.contains("Supported: WAV"), "{error}");
    let error = refusal(&data("speech.opus"));
    assert!(
        error.contains("is an Ogg file with audio in Opus, which cannot be decoded")
            && error.contains("ffmpeg"),
        "{error}"
    );
}

#[test]
fn damaged_wavs_give_what_is_readable() {
    let dir = tempfile::tempdir().unwrap();
    let pcm = original_pcm();
    let whole = wav_bytes(PCM, 1, 16_000, 16, &pcm, None);
    let frames = pcm.len() / 2;

    // Cut off at 60 %: what is there is read, and a notice says what is missing.
    let cut = 44 + ((pcm.len() * 6 / 10) | 1);
    let decoded = decode(&write(&dir, "cut.wav", &whole[..cut]));
    let read = decoded.samples.len();
    assert!(read <= frames * 6 / 10 && read > frames * 6 / 10 - 1152, "{read} of {frames}");
    assert_eq!(decoded.notices.len(), 1, "{:?}", decoded.notices);
    assert!(
        decoded.notices[0].contains("ends early") && decoded.notices[0].contains("5.3 s"),
        "{:?}",
        decoded.notices
    );

    // One stray byte after the data, outside the chunks or counted in them.
    let mut stray = whole.clone();
    stray.push(0x7F);
    assert_eq!(decode(&write(&dir, "stray.wav", &stray)).samples, original());
    let counted = wav_bytes(PCM, 1, 16_000, 16, &[&pcm[..], &[0x7F]].concat(), None);
    assert_eq!(decode(&write(&dir, "stray-counted.wav", &counted)).samples, original());

    // ffmpeg writing to a pipe cannot go back to fill in the sizes.
    let piped = wav_bytes(PCM, 1, 16_000, 16, &pcm, Some((u32::MAX, u32::MAX)));
    let decoded = decode(&write(&dir, "piped.wav", &piped));
    assert_eq!(decoded.samples, original());
    assert!(decoded.notices.is_empty(), "{:?}", decoded.notices);
}

#[test]
fn wav_sizes_that_writers_get_wrong_are_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let pcm = original_pcm();
    // A RIFF size too small for the chunks in it, or 0.
    for riff_size in [100, 0] {
        let bytes = wav_bytes(PCM, 1, 16_000, 16, &pcm, Some((riff_size, pcm.len() as u32)));
        let decoded = decode(&write(&dir, &format!("riff-{riff_size}.wav"), &bytes));
        assert_eq!(decoded.samples, original());
        assert!(decoded.notices.is_empty(), "{:?}", decoded.notices);
    }
    // A recorder stopped before it filled in the sizes: 0 for both.
    let decoded = decode(&write(&dir, "unfinished.wav", &wav_bytes(PCM, 1, 16_000, 16, &pcm, Some((0, 0)))));
    assert_eq!(decoded.samples, original());
    assert!(
        decoded.notices[0].contains("the header says the audio is empty")
            && decoded.notices[0].contains("5.3 s")
    );
}

#[test]
fn damaged_compressed_files_give_what_is_readable() {
    let dir = tempfile::tempdir().unwrap();
    // An MP3 cut off in the middle of a frame.
    let bytes = std::fs::read(data("speech-44k-stereo.mp3")).unwrap();
    let decoded = decode(&write(&dir, "cut.mp3", &bytes[..bytes.len() / 2 + 77]));
    let seconds = decoded.samples.len() as f32 / RATE_HZ as f32;
    assert!((2.4..2.9).contains(&seconds), "{seconds} s");
    assert!(decoded.notices.iter().any(|n| n.contains("could not be read")), "{:?}", decoded.notices);
    // A FLAC file with 2 KB zeroed in the middle: the frames around the hole are lost, the rest is heard.
    let mut bytes = std::fs::read(data("speech-16k.flac")).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle..middle + 2_000].fill(0);
    let decoded = decode(&write(&dir, "holed.flac", &bytes));
    assert!(decoded.samples.len() > 16_000 * 3, "{} samples", decoded.samples.len());
    assert!(
        decoded
            .notices
            .iter()
            .any(|n| n.contains("could not be read") && n.contains("5.3 s the file announces")),
        "{:?}",
        decoded.notices
    );
}

#[test]
fn files_that_are_not_audio_are_refused_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let error = refusal(&write(&dir, "empty.wav", b""));
    assert!(error.contains("is empty (0 bytes)"), "{error}");
    let error = refusal(&write(&dir, "notes.wav", b"Meeting notes\nnothing to hear here\n"));
    assert!(error.contains("is a text file") && error.contains("Supported: WAV"), "{error}");
    // Bytes from a fixed-seed generator: no format's marker.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let noise: Vec<u8> = (0..100_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect();
    let error = refusal(&write(&dir, "noise.mp3", &noise));
    assert!(error.contains("Supported: WAV"), "{error}");
    let error = refusal(&write(&dir, "header-only.wav", &wav_bytes(PCM, 1, 16_000, 16, &[], None)));
    assert!(error.contains("holds no audio"), "{error}");
    let error = refusal(&dir.path().join("missing.wav"));
    assert!(error.contains("there is no such file"), "{error}");
    let error = decode_mono(dir.path(), RATE_HZ).unwrap_err();
    assert!(matches!(error, FileError::Open { .. }), "{error}");
}
