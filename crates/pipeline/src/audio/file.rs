//! Audio files in: WAV, MP3, FLAC and Ogg Vorbis decoded to mono at any rate, damaged files read as far as they go.
//!
//! People hand over what their phone, screen recorder or editor wrote, so
//! decoding goes through `symphonia` (WAV with PCM, float, A-law, µ-law and
//! ADPCM; MP3; FLAC; Ogg Vorbis). Packets stream one by one through the
//! resampler, so memory is bounded by the output, never by what a header
//! claims. Every number from a header is checked against the bounds below
//! before anything is sized from it. A damaged file gives what is readable
//! plus [`Decoded::notices`] saying what was wrong; a file with no readable
//! audio gives a [`FileError`] that names the file, the problem and the
//! supported formats, never a decoder's internal message. WAV sizes that
//! writers often get wrong are not trusted at all (see `wav_sizes`).

use super::resample::{ResampleError, ToMono};
use super::sanitize::zero_non_finite;
use super::wav_sizes::PatchedWav;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::codecs::audio::well_known as codec;
use symphonia::core::errors::Error as DecodeError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;

/// What can be read, for error messages.
pub const SUPPORTED_FORMATS: &str = "WAV (8–32-bit PCM, 32- or 64-bit float, A-law, µ-law, IMA or Microsoft ADPCM), \
MP3, FLAC and Ogg Vorbis";

/// Lowest sample rate accepted: telephone audio. Below this a header is damaged, not a recording.
pub const MIN_SAMPLE_RATE_HZ: u32 = 8_000;
/// Highest sample rate accepted: the highest that studio recorders write.
pub const MAX_SAMPLE_RATE_HZ: u32 = 384_000;
/// Most channels accepted: more than any microphone array or surround format writes.
pub const MAX_CHANNELS: usize = 32;
/// Longest file accepted: a long lecture or meeting. At 16 kHz mono that is
/// 460 MB of samples, at 48 kHz 1.4 GB, which bounds the memory a file can take.
pub const MAX_DURATION_S: u32 = 2 * 60 * 60;

/// Input frames the resampler converts at a time (about 20 ms at 48 kHz).
const RESAMPLER_CHUNK_FRAMES: usize = 1024;

/// A decoded file: its audio, and what was wrong with the file but could be worked around.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decoded {
    /// Mono samples at `rate_hz`, all finite, nominally within −1..1.
    pub samples: Vec<f32>,
    /// The rate of `samples`: the one asked for, or the file's own.
    pub rate_hz: u32,
    /// One sentence each, naming the file, for the user: parts that could
    /// not be read, samples that were replaced. Empty for a sound file.
    pub notices: Vec<String>,
}

/// Why a file gave no audio.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot open {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("{path} is empty (0 bytes). Give an audio file: {formats}.", formats = SUPPORTED_FORMATS)]
    EmptyFile { path: PathBuf },
    #[error("{path} is {what}, not an audio file that can be read. Supported: {formats}.", formats = SUPPORTED_FORMATS)]
    NotAudio { path: PathBuf, what: String },
    #[error(
        "{path} is {format} with audio in {codec}, which cannot be decoded. Convert it (e.g. `ffmpeg -i IN OUT.wav`) \
         to one of: {formats}.",
        formats = SUPPORTED_FORMATS
    )]
    UnsupportedCodec { path: PathBuf, format: &'static str, codec: &'static str },
    #[error(
        "{path} looks like {format}, but its header is damaged or describes audio that cannot be decoded, \
         so no audio could be found. Supported: {formats}.",
        formats = SUPPORTED_FORMATS
    )]
    Damaged { path: PathBuf, format: &'static str },
    #[error(
        "{path} says its sample rate is {rate_hz} Hz; recordings have {min} to {max} Hz, \
         so its header is damaged",
        min = MIN_SAMPLE_RATE_HZ,
        max = MAX_SAMPLE_RATE_HZ
    )]
    SampleRate { path: PathBuf, rate_hz: u32 },
    #[error(
        "{path} says its audio has {channels} channels; 1 to {max} can be read, so its header is damaged",
        max = MAX_CHANNELS
    )]
    Channels { path: PathBuf, channels: usize },
    #[error(
        "{path} is longer than {hours} hours ({what}); split it into parts of up to {hours} hours \
         (e.g. `sox IN part.wav trim 0 1:00:00 : newfile : restart`)",
        hours = MAX_DURATION_S / 3600
    )]
    TooLong { path: PathBuf, what: String },
    #[error("{path} holds no audio")]
    NoAudio { path: PathBuf },
    /// The requested output rate cannot be produced (a caller's mistake, not the file's).
    #[error(transparent)]
    Resample(#[from] ResampleError),
}

/// Reads an audio file as mono at `output_rate_hz`, whatever its format, rate and channels.
///
/// Channels are mixed so that no voice is lost (see `downmix`: polarity aligned,
/// at the loudest channel's level), the rate is converted by [`ToMono`], NaN and
/// infinite samples become silence. A damaged file is read as far as it
/// can be: a cut-off end, undecodable packets (replaced by silence of their
/// length, so later audio keeps its time) and non-finite samples are each
/// reported in [`Decoded::notices`].
pub fn decode_mono(path: &Path, output_rate_hz: u32) -> Result<Decoded, FileError> {
    decode_within(path, Some(output_rate_hz), MAX_DURATION_S)
}

/// [`decode_mono`] at the file's own sample rate: decoded once, and
/// resampled later by each consumer to the rate it needs.
pub fn decode_mono_as_recorded(path: &Path) -> Result<Decoded, FileError> {
    decode_within(path, None, MAX_DURATION_S)
}

/// [`decode_mono`] at `output_rate_hz` (the file's own with `None`) with a
/// limit of `max_duration_s` instead of [`MAX_DURATION_S`].
fn decode_within(
    path: &Path,
    output_rate_hz: Option<u32>,
    max_duration_s: u32,
) -> Result<Decoded, FileError> {
    let (kind, file) = sniff(path)?;
    let (source, unfinished): (Box<dyn MediaSource>, bool) = if kind == Kind::Wav {
        let wav = PatchedWav::new(file).map_err(|e| open_error(path, &e))?;
        let unfinished = wav.unfinished;
        (Box::new(wav), unfinished)
    } else {
        (Box::new(file), false)
    };
    let source = MediaSourceStream::new(source, Default::default());
    let mut hint = Hint::new();
    if let Some(extension) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(extension);
    }
    let mut reader = symphonia::default::get_probe()
        .probe(&hint, source, FormatOptions::default(), MetadataOptions::default())
        .map_err(|_| kind.refusal(path))?;
    let mut decoded =
        Decoder::open(path, reader.as_mut(), output_rate_hz, max_duration_s)?.run(reader.as_mut())?;
    if unfinished {
        decoded.notices.insert(
            0,
            format!(
                "{}: the header says the audio is empty (was the recording stopped before it was saved?); \
                 the {} in the file were read",
                path.display(),
                duration_words(decoded.samples.len() as f64 / f64::from(decoded.rate_hz))
            ),
        );
    }
    Ok(decoded)
}

/// One file's track on its way through the decoder and resampler.
struct Decoder<'p> {
    path: &'p Path,
    track_id: u32,
    rate_hz: u32,
    channels: usize,
    declared_frames: Option<u64>,
    /// The most input frames read before the file is refused as too long.
    max_frames: u64,
    decoder: Box<dyn symphonia::core::codecs::audio::AudioDecoder>,
    converter: ToMono,
    output_rate_hz: u32,
}

impl<'p> Decoder<'p> {
    /// Checks the track's header against the bounds, then sets up its decoder and resampler.
    fn open(
        path: &'p Path,
        reader: &mut dyn FormatReader,
        output_rate_hz: Option<u32>,
        max_duration_s: u32,
    ) -> Result<Self, FileError> {
        let format = format_name(reader.format_info().short_name);
        let track =
            reader.default_track(TrackType::Audio).ok_or(FileError::NoAudio { path: path.to_owned() })?;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or(FileError::NoAudio { path: path.to_owned() })?;
        let rate_hz = params.sample_rate.unwrap_or(0);
        if !(MIN_SAMPLE_RATE_HZ..=MAX_SAMPLE_RATE_HZ).contains(&rate_hz) {
            return Err(FileError::SampleRate { path: path.to_owned(), rate_hz });
        }
        // A decoder that learns its channels only from the first packet
        // (none of the enabled ones) would be checked there instead.
        let channels = params.channels.as_ref().map_or(1, |c| c.count());
        if !(1..=MAX_CHANNELS).contains(&channels) {
            return Err(FileError::Channels { path: path.to_owned(), channels });
        }
        let declared_frames = track.num_frames;
        let max_frames = u64::from(max_duration_s) * u64::from(rate_hz);
        if let Some(frames) = declared_frames
            && frames > max_frames
        {
            let what = format!("it says it holds {}", duration_words(frames as f64 / f64::from(rate_hz)));
            return Err(FileError::TooLong { path: path.to_owned(), what });
        }
        let track_id = track.id;
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(params, &AudioDecoderOptions::default())
            .map_err(|error| match error {
                DecodeError::Unsupported(_) => FileError::UnsupportedCodec {
                    path: path.to_owned(),
                    format,
                    codec: codec_name(params.codec),
                },
                _ => FileError::Damaged { path: path.to_owned(), format },
            })?;
        let output_rate_hz = output_rate_hz.unwrap_or(rate_hz);
        let converter = ToMono::new(rate_hz, channels, output_rate_hz, RESAMPLER_CHUNK_FRAMES)?;
        Ok(Self {
            path,
            track_id,
            rate_hz,
            channels,
            declared_frames,
            max_frames,
            decoder,
            converter,
            output_rate_hz,
        })
    }

    /// Decodes every packet of the track; stops early, with a notice, where the file is cut off or broken.
    fn run(mut self, reader: &mut dyn FormatReader) -> Result<Decoded, FileError> {
        let path = self.path.display();
        let mut out = Vec::new();
        let mut interleaved = Vec::new();
        let mut notices = Vec::new();
        let (mut frames, mut non_finite) = (0u64, 0usize);
        let (mut bad_packets, mut bad_frames) = (0usize, 0u64);
        let (mut decoded_any, mut cut_off) = (false, false);
        loop {
            let packet = match reader.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => break,
                // The end of a file of unknown length (as ffmpeg writes to a
                // pipe), or of one cut off before the length it announces.
                Err(DecodeError::IoError(error)) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
                    if let Some(declared) = self.declared_frames
                        && declared > frames
                    {
                        notices.push(self.cut_off_notice(declared, frames));
                        cut_off = true;
                    }
                    break;
                }
                Err(DecodeError::ResetRequired) => {
                    notices
                        .push(format!("{path}: only the first of the streams chained in this file was read"));
                    break;
                }
                Err(_) => {
                    notices.push(format!(
                        "{path}: the file is damaged after {}; what follows could not be read",
                        duration_words(frames as f64 / f64::from(self.rate_hz))
                    ));
                    break;
                }
            };
            if packet.track_id != self.track_id {
                continue;
            }
            match self.decoder.decode(&packet) {
                Ok(buffer)
                    if buffer.spec().channels().count() == self.channels
                        && buffer.spec().rate() == self.rate_hz =>
                {
                    buffer.copy_to_vec_interleaved(&mut interleaved);
                    frames += buffer.frames() as u64;
                    decoded_any = true;
                }
                // A packet that does not decode, or that changes the
                // format mid-stream, is replaced by silence of its length
                // (at most a second, as packets are far shorter).
                _ => {
                    let silence = packet.dur.get().min(u64::from(self.rate_hz));
                    interleaved.clear();
                    interleaved.resize(silence as usize * self.channels, 0.0);
                    frames += silence;
                    bad_packets += 1;
                    bad_frames += silence;
                }
            }
            if frames > self.max_frames {
                let what = format!(
                    "it holds more than {}",
                    duration_words(self.max_frames as f64 / f64::from(self.rate_hz))
                );
                return Err(FileError::TooLong { path: self.path.to_owned(), what });
            }
            non_finite += zero_non_finite(&mut interleaved);
            self.converter.push(&interleaved, &mut out);
        }
        if !decoded_any {
            let format = format_name(reader.format_info().short_name);
            return Err(if bad_packets > 0 {
                FileError::Damaged { path: self.path.to_owned(), format }
            } else {
                FileError::NoAudio { path: self.path.to_owned() }
            });
        }
        self.converter.finish(&mut out);
        // A demuxer skips a damaged page or frame without an error; what it
        // skipped shows as audio missing from what the file announced
        // (more than codec padding, which is well under 0.1 s).
        if let Some(declared) = self.declared_frames
            && !cut_off
            && declared > frames + u64::from(self.rate_hz / 10)
        {
            notices.push(format!(
                "{path}: {} of the {} the file announces could not be read (the file is damaged)",
                duration_words((declared - frames) as f64 / f64::from(self.rate_hz)),
                duration_words(declared as f64 / f64::from(self.rate_hz))
            ));
        }
        if bad_packets > 0 {
            notices.push(format!(
                "{path}: {bad_packets} damaged part(s), {} in all, could not be decoded and were replaced by silence",
                duration_words(bad_frames as f64 / f64::from(self.rate_hz))
            ));
        }
        if non_finite > 0 {
            notices.push(format!(
                "{path}: {non_finite} sample(s) were not numbers (NaN or infinite) and were replaced by silence"
            ));
        }
        Ok(Decoded { samples: out, rate_hz: self.output_rate_hz, notices })
    }

    fn cut_off_notice(&self, declared_frames: u64, frames: u64) -> String {
        let seconds = |frames: u64| duration_words(frames as f64 / f64::from(self.rate_hz));
        format!(
            "{}: the file ends early (cut off?): it announces {}, the last {} could not be read",
            self.path.display(),
            seconds(declared_frames),
            seconds(declared_frames - frames)
        )
    }
}

/// "0.03 s", "2.5 s", "3 min 20 s", "2 h 5 min": a duration as people read it.
fn duration_words(seconds: f64) -> String {
    if seconds < 1.0 {
        return format!("{seconds:.2} s");
    }
    if seconds < 60.0 {
        return format!("{seconds:.1} s");
    }
    let whole = seconds.round() as u64;
    if whole < 3600 {
        format!("{} min {} s", whole / 60, whole % 60)
    } else {
        format!("{} h {} min", whole / 3600, whole % 3600 / 60)
    }
}

fn format_name(short_name: &str) -> &'static str {
    match short_name {
        "wave" => "a WAV file",
        "ogg" => "an Ogg file",
        "flac" => "a FLAC file",
        "mp1" | "mp2" | "mp3" => "an MPEG audio file",
        _ => "an audio file",
    }
}

/// The codecs a person may meet that are not decoded here, by name.
fn codec_name(id: symphonia::core::codecs::audio::AudioCodecId) -> &'static str {
    match id {
        codec::CODEC_ID_OPUS => "Opus",
        codec::CODEC_ID_AAC => "AAC",
        codec::CODEC_ID_SPEEX => "Speex",
        codec::CODEC_ID_ALAC => "Apple Lossless",
        codec::CODEC_ID_WMA => "Windows Media",
        codec::CODEC_ID_AC3 | codec::CODEC_ID_EAC3 => "Dolby Digital",
        codec::CODEC_ID_MP1 | codec::CODEC_ID_MP2 => "MPEG layer 1/2",
        codec::CODEC_ID_ADPCM_G722 | codec::CODEC_ID_ADPCM_G726 | codec::CODEC_ID_ADPCM_G726LE => {
            "G.72x ADPCM"
        }
        _ => "a codec not supported here",
    }
}

/// What a file's first bytes say it is, to name it when it cannot be read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Wav,
    Ogg,
    Flac,
    Mp3,
    /// MP4, M4A, MOV, 3GP: phones' and screen recorders' containers.
    Mp4,
    /// Matroska or WebM: browsers' and screen recorders' containers.
    Matroska,
    Amr,
    Text,
    Unknown,
}

/// Opens the file and names its kind from its first bytes; returns it
/// rewound. An empty file or one that cannot be opened is refused here.
fn sniff(path: &Path) -> Result<(Kind, File), FileError> {
    let mut head = [0u8; 64];
    let mut file = File::open(path).map_err(|e| open_error(path, &e))?;
    let mut len = 0;
    while len < head.len() {
        match file.read(&mut head[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(open_error(path, &error)),
        }
    }
    file.seek(SeekFrom::Start(0)).map_err(|e| open_error(path, &e))?;
    let head = &head[..len];
    let kind = match head {
        [] => return Err(FileError::EmptyFile { path: path.to_owned() }),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'A', b'V', b'E', ..] => Kind::Wav,
        [b'O', b'g', b'g', b'S', ..] => Kind::Ogg,
        [b'f', b'L', b'a', b'C', ..] => Kind::Flac,
        [b'I', b'D', b'3', ..] | [0xFF, 0xE0..=0xFF, ..] => Kind::Mp3,
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => Kind::Mp4,
        [0x1A, 0x45, 0xDF, 0xA3, ..] => Kind::Matroska,
        [b'#', b'!', b'A', b'M', b'R', ..] => Kind::Amr,
        _ if std::str::from_utf8(head)
            .is_ok_and(|t| t.chars().all(|c| !c.is_control() || c.is_whitespace())) =>
        {
            Kind::Text
        }
        _ => Kind::Unknown,
    };
    Ok((kind, file))
}

impl Kind {
    /// The error for a file of this kind that no reader would open.
    fn refusal(self, path: &Path) -> FileError {
        let path = path.to_owned();
        let not_audio = |what: &str| FileError::NotAudio { path: path.clone(), what: what.to_owned() };
        match self {
            Self::Wav => FileError::Damaged { path, format: "a WAV file" },
            Self::Ogg => FileError::Damaged { path, format: "an Ogg file" },
            Self::Flac => FileError::Damaged { path, format: "a FLAC file" },
            Self::Mp3 => FileError::Damaged { path, format: "an MP3 file" },
            Self::Mp4 => not_audio("an MP4/M4A/MOV container (AAC audio is not decoded here)"),
            Self::Matroska => not_audio("a Matroska/WebM container"),
            Self::Amr => not_audio("AMR speech audio"),
            Self::Text => not_audio("a text file"),
            Self::Unknown => not_audio("in no audio format known here"),
        }
    }
}

fn open_error(path: &Path, error: &std::io::Error) -> FileError {
    let reason = match error.kind() {
        std::io::ErrorKind::NotFound => "there is no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "it is a folder, not a file".to_owned(),
        _ => error.to_string(),
    };
    FileError::Open { path: path.to_owned(), reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_unknown_length_is_stopped_at_the_limit() {
        // 3 s of 16 kHz audio with the sizes ffmpeg writes to a pipe
        // (unknown), read with a limit of 1 s: the limit holds while decoding.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("endless.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(&path, spec).unwrap();
        for i in 0..48_000 {
            writer.write_sample((i % 100) as i16).unwrap();
        }
        writer.finalize().unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        bytes[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(decode_within(&path, Some(16_000), 3).unwrap().samples.len(), 48_000);
        let error = decode_within(&path, Some(16_000), 1).unwrap_err().to_string();
        assert!(error.contains("it holds more than 1.0 s"), "{error}");
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration_words(0.026), "0.03 s");
        assert_eq!(duration_words(2.54), "2.5 s");
        assert_eq!(duration_words(200.0), "3 min 20 s");
        assert_eq!(duration_words(7_500.0), "2 h 5 min");
    }
}
