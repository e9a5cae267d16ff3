//! Receiving an interpreter's feed: SRT, RTP over UDP, RTSP or a file, decoded to RGBA for the panel.
//!
//! Every source ends in the same tail: video decoded, converted to RGBA and
//! handed to a [`FrameSlot`] that keeps only the newest frame. For a live
//! stream the app sink neither syncs to the clock nor queues: a frame is
//! shown as soon as it is decoded, and one that is late is replaced, not
//! waited for. A recording has no pace of its own, so its frames wait for
//! their presentation time on the pipeline's clock, and at its end it
//! starts again from the beginning, as a looped clip does: the panel goes
//! on showing the interpreter rather than a frozen frame and "reconnecting".
//! A file that cannot be played (missing, not a media file, no video
//! stream) is a [`Problem::Lasting`] that names the cause.

use crate::gst::{self as media, BusProblem, MediaError, quoted};
use allverse_core::stream_address::{Direction, Endpoint, Protocol, StreamAddress};
use allverse_pipeline::audio::zero_non_finite;
use allverse_pipeline::panel::{FrameSlot, FrameTiming, VideoFrame, pack_rows};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_video as gst_video;
use gstreamer_video::prelude::*;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// SRT receive latency: enough to retransmit a lost packet on a LAN, small enough for conversation.
pub const SRT_LATENCY_MS: u32 = 80;
/// RTP jitter buffer.
pub const RTP_LATENCY_MS: u32 = 40;
/// The interpreter's voice is delivered at the audio engine's rate, mono.
pub const AUDIO_RATE_HZ: u32 = 48_000;
/// Decoded voice waiting to be played; beyond this the oldest is dropped.
const AUDIO_RING_SAMPLES: usize = AUDIO_RATE_HZ as usize * 2;
/// Arrival records kept per stream for the audio/video timing.
const TIMING_RECORDS: usize = 600;

/// Where a feed comes from, as an event description names it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedAddress {
    pub url: String,
    pub passphrase: Option<String>,
}

/// The sink of a live stream: a frame is shown as soon as it is decoded.
/// `async=false`: a stream without a voice must not hold the pipeline back
/// waiting for its audio sink to receive something.
const LIVE_SINK: &str = "appsink name=video sync=false async=false max-buffers=1 drop=true";
/// The sink of a recording: nothing sets a file's pace but the clock, so
/// each frame waits for its presentation time (a file decodes many times
/// faster than real time).
const RECORDING_SINK: &str = "appsink name=video sync=true max-buffers=1 drop=true";
/// The converter a recording's video goes through; never linked when the file has no video.
const RECORDING_VIDEO: &str = "tovideo";

impl FeedAddress {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), passphrase: None }
    }

    pub fn with_passphrase(mut self, passphrase: Option<String>) -> Self {
        self.passphrase = passphrase;
        self
    }

    /// The address and passphrase checked by the rules of [`StreamAddress`], before anything opens.
    pub fn checked(&self) -> Result<StreamAddress, MediaError> {
        let address = StreamAddress::parse(&self.url, Direction::Receive).map_err(MediaError::Address)?;
        if let Some(passphrase) = &self.passphrase {
            address.check_passphrase(passphrase).map_err(MediaError::Address)?;
        }
        Ok(address)
    }

    /// The GStreamer pipeline that receives and decodes it into the sink `video`.
    pub fn pipeline(&self) -> Result<String, MediaError> {
        let address = self.checked()?;
        let decode =
            "h264parse ! avdec_h264 max-threads=2 thread-type=slice ! videoconvert ! video/x-raw,format=RGBA";
        Ok(match &address.endpoint {
            Endpoint::Network { protocol: Protocol::Srt, .. } => {
                let passphrase = match &self.passphrase {
                    Some(p) => format!(" passphrase={} pbkeylen=16", quoted(p)),
                    None => String::new(),
                };
                // A `latency` in the address (sized to the network's round trip) wins over ours.
                let latency = if self.url.contains("latency=") {
                    String::new()
                } else {
                    format!(" latency={SRT_LATENCY_MS}")
                };
                // Video, and the interpreter's voice when the stream carries one;
                // the caps pick each branch for its pad, whichever appears first.
                format!(
                    "srtsrc uri={}{latency} wait-for-connection=false{passphrase} ! tsdemux name=demux latency=0 \
                     demux. ! audio/x-opus ! queue max-size-time=100000000 ! opusparse ! opusdec ! audioconvert ! audioresample \
                     ! audio/x-raw,format=F32LE,layout=interleaved,rate={AUDIO_RATE_HZ},channels=1 \
                     ! appsink name=audio sync=false async=false \
                     demux. ! video/x-h264 ! queue max-size-time=100000000 ! {decode} ! {LIVE_SINK}",
                    quoted(&self.url)
                )
            }
            Endpoint::Network { protocol: Protocol::Rtp, host, port, .. } => format!(
                "udpsrc address={host} port={port} caps=\"application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96\" \
                 ! rtpjitterbuffer latency={RTP_LATENCY_MS} drop-on-latency=true ! rtph264depay ! {decode} ! {LIVE_SINK}"
            ),
            Endpoint::Network { protocol: Protocol::Rtsp, .. } => format!(
                "rtspsrc location={} latency={RTP_LATENCY_MS} ! rtph264depay ! {decode} ! {LIVE_SINK}",
                quoted(&self.url)
            ),
            Endpoint::File(path) => format!(
                "filesrc location={} ! decodebin ! videoconvert name={RECORDING_VIDEO} ! video/x-raw,format=RGBA ! {RECORDING_SINK}",
                quoted(&path.display().to_string())
            ),
        })
    }
}

/// Why a feed has no video.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// Trying again may help: the connection dropped, the other end is not there yet.
    Passing(String),
    /// Trying again cannot help until someone fixes the cause, which the text
    /// names in the user's words ("the file has no video stream").
    Lasting(String),
}

/// Refuses a recording that cannot be played, before a pipeline is built for it.
fn check_recording(path: &Path) -> Result<(), MediaError> {
    let shown = path.display();
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            Err(MediaError::File(format!("`{shown}` is a folder, not a video file")))
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(MediaError::File(format!("the file `{shown}` does not exist")))
        }
        Err(e) => Err(MediaError::File(format!("the file `{shown}` cannot be read: {e}"))),
    }
}

/// A recording's failure in the user's words; `has_video`: whether its video reached the converter.
fn explain_recording(problem: &BusProblem, has_video: bool) -> String {
    let BusProblem::Error { error, .. } = problem else {
        return "the file has no video stream".into();
    };
    match error.kind::<gst::StreamError>() {
        Some(gst::StreamError::TypeNotFound) => {
            return "the file is not a video file (its format is not one GStreamer recognises)".into();
        }
        Some(gst::StreamError::CodecNotFound) => {
            return format!(
                "the file's video is in a format this machine cannot decode; `cargo xtask setup` installs the decoders ({})",
                error.message()
            );
        }
        _ => {}
    }
    if !has_video {
        return "the file has no video stream".into();
    }
    if error.kind::<gst::ResourceError>().is_some() {
        return format!("the file cannot be read ({})", error.message());
    }
    format!("the file is damaged and cannot be played ({})", error.message())
}

/// When buffers with a presentation time arrived, per stream: comparing
/// arrival minus presentation time between audio and video gives their
/// skew as shown (both are presented on arrival).
#[derive(Default)]
pub struct ArrivalTimes {
    pub video: VecDeque<(u64, Instant)>,
    pub audio: VecDeque<(u64, Instant)>,
}

impl ArrivalTimes {
    fn push(list: &mut VecDeque<(u64, Instant)>, pts_ns: Option<u64>) {
        if let Some(pts_ns) = pts_ns {
            if list.len() == TIMING_RECORDS {
                list.pop_front();
            }
            list.push_back((pts_ns, Instant::now()));
        }
    }

    /// Audio's delay behind video, milliseconds (negative: audio is ahead), if both have arrived.
    pub fn audio_behind_video_ms(&self) -> Option<f64> {
        let (&(video_pts, video_at), &(audio_pts, audio_at)) = (self.video.front()?, self.audio.front()?);
        let median = |list: &VecDeque<(u64, Instant)>, pts0: u64, at0: Instant| {
            let mut offsets: Vec<f64> = list
                .iter()
                .map(|(pts, at)| {
                    at.duration_since(at0).as_secs_f64() * 1e3 - (*pts as f64 - pts0 as f64) / 1e6
                })
                .collect();
            offsets.sort_by(f64::total_cmp);
            offsets[offsets.len() / 2]
        };
        // Both offsets are taken from one origin: the first video buffer.
        let origin_shift_ms = audio_at.duration_since(video_at).as_secs_f64() * 1e3
            - (audio_pts as f64 - video_pts as f64) / 1e6;
        Some(
            median(&self.audio, audio_pts, audio_at) + origin_shift_ms
                - median(&self.video, video_pts, video_at),
        )
    }
}

/// A running receive pipeline, or video and voice decoded elsewhere and relayed here.
pub struct Feed {
    /// `None` for a relayed feed: whoever decodes it keeps its connection alive.
    pipeline: Option<gst::Pipeline>,
    frames: Arc<FrameSlot>,
    /// Behind a mutex only so that a feed can be shared (`Sync`); it is read through `&mut self`.
    voice: Option<Mutex<rtrb::Consumer<f32>>>,
    arrivals: Arc<Mutex<ArrivalTimes>>,
    /// A recording, which plays again from its start when it ends; `None` for a live stream.
    recording: Option<gst::Element>,
    /// Shown in [`Problem::Passing`] reasons: SRT's errors are explained with it in mind.
    encrypted: bool,
}

impl Feed {
    /// Checks the address (and a recording's file), then starts receiving; returns at once.
    pub fn open(address: &FeedAddress) -> Result<Self, MediaError> {
        let description = address.pipeline()?;
        if let Endpoint::File(path) = &address.checked()?.endpoint {
            check_recording(path)?;
        }
        let pipeline = media::start("receive", &description)?;
        let recording = pipeline.by_name(RECORDING_VIDEO);
        let frames = Arc::new(FrameSlot::default());
        let sink = pipeline
            .by_name("video")
            .and_then(|e| e.downcast::<gst_app::AppSink>().ok())
            .expect("every receive pipeline ends in the app sink `video`");
        let arrivals = Arc::new(Mutex::new(ArrivalTimes::default()));
        let (slot, times) = (frames.clone(), arrivals.clone());
        sink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    let pts_ns = sample.buffer().and_then(|b| b.pts()).map(|t| t.nseconds());
                    ArrivalTimes::push(&mut times.lock().unwrap_or_else(|e| e.into_inner()).video, pts_ns);
                    if let Some(mut frame) = decode(&sample) {
                        frame.timing = timing(sink, &sample);
                        slot.put(frame);
                    }
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
        let voice =
            pipeline.by_name("audio").and_then(|e| e.downcast::<gst_app::AppSink>().ok()).map(|sink| {
                let (mut producer, consumer) = rtrb::RingBuffer::new(AUDIO_RING_SAMPLES);
                let times = arrivals.clone();
                sink.set_callbacks(
                    gst_app::AppSinkCallbacks::builder()
                        .new_sample(move |sink| {
                            let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                            let buffer = sample.buffer().ok_or(gst::FlowError::Error)?;
                            let pts_ns = buffer.pts().map(|t| t.nseconds());
                            ArrivalTimes::push(
                                &mut times.lock().unwrap_or_else(|e| e.into_inner()).audio,
                                pts_ns,
                            );
                            let map = buffer.map_readable().map_err(|_| gst::FlowError::Error)?;
                            // A full ring means nobody is playing the voice: newer sound is dropped.
                            for bytes in map.as_slice().chunks_exact(4) {
                                let _ = producer
                                    .push(f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
                            }
                            Ok(gst::FlowSuccess::Ok)
                        })
                        .build(),
                );
                Mutex::new(consumer)
            });
        Ok(Self {
            pipeline: Some(pipeline),
            frames,
            voice,
            arrivals,
            recording,
            encrypted: address.passphrase.is_some(),
        })
    }

    /// A feed whose video is decoded elsewhere into `frames` (an interpreter in a
    /// live room, say) and whose voice (48 kHz mono) arrives through `voice`.
    /// It never reports a problem of its own: a stall is noticed by its supervisor.
    pub fn relayed(frames: Arc<FrameSlot>, voice: rtrb::Consumer<f32>) -> Self {
        Self {
            pipeline: None,
            frames,
            voice: Some(Mutex::new(voice)),
            arrivals: Arc::default(),
            recording: None,
            encrypted: false,
        }
    }

    /// Moves the interpreter's voice received so far (48 kHz mono) into `out`.
    /// NaN and infinite samples (a broken sender or decoder) arrive as
    /// silence; returns how many were replaced.
    pub fn take_voice(&mut self, out: &mut Vec<f32>) -> usize {
        let start = out.len();
        if let Some(voice) = &mut self.voice
            && let voice = voice.get_mut().unwrap_or_else(|e| e.into_inner())
            && let Ok(chunk) = voice.read_chunk(voice.slots())
        {
            out.extend(chunk);
        }
        zero_non_finite(&mut out[start..])
    }

    pub fn arrivals(&self) -> &Arc<Mutex<ArrivalTimes>> {
        &self.arrivals
    }

    pub fn frames(&self) -> &Arc<FrameSlot> {
        &self.frames
    }

    /// Why the video stopped, if it did since the last call. A recording
    /// that ended is started again from its beginning instead.
    pub fn problem(&self) -> Option<Problem> {
        let problem = media::bus_problem(self.pipeline.as_ref()?)?;
        let Some(recording) = &self.recording else {
            return Some(Problem::Passing(crate::gst::explain_srt(problem.to_string(), self.encrypted)));
        };
        // Its video converter is linked once the file turned out to have video.
        let has_video = recording.static_pad("sink").is_some_and(|pad| pad.is_linked());
        if matches!(problem, BusProblem::Ended) && has_video {
            let again = self
                .pipeline
                .as_ref()?
                .seek_simple(gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT, gst::ClockTime::ZERO);
            // A file that cannot seek is opened again instead.
            return again.is_err().then(|| Problem::Passing("the recording ended".into()));
        }
        Some(Problem::Lasting(explain_recording(&problem, has_video)))
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        if let Some(pipeline) = &self.pipeline {
            media::stop(pipeline);
        }
    }
}

/// When `sample` was due and when `sink` handed it over, as running time.
fn timing(sink: &gst_app::AppSink, sample: &gst::Sample) -> Option<FrameTiming> {
    let pts = sample.buffer()?.pts()?;
    let due = sample.segment()?.downcast_ref::<gst::ClockTime>()?.to_running_time(pts)?;
    let handed_over = sink.current_running_time()?;
    Some(FrameTiming {
        due: Duration::from_nanos(due.nseconds()),
        handed_over: Duration::from_nanos(handed_over.nseconds()),
    })
}

/// The sample's RGBA pixels, rows packed; `None` for a sample without video.
fn decode(sample: &gst::Sample) -> Option<VideoFrame> {
    let info = gst_video::VideoInfo::from_caps(sample.caps()?).ok()?;
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(sample.buffer()?, &info).ok()?;
    let stride = usize::try_from(*frame.plane_stride().first()?).ok()?;
    let rgba = pack_rows(frame.plane_data(0).ok()?, stride, frame.width(), frame.height());
    Some(VideoFrame {
        width: frame.width(),
        height: frame.height(),
        rgba,
        decoded_at: Instant::now(),
        timing: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_become_low_latency_pipelines() {
        let srt = FeedAddress::new("srt://127.0.0.1:7001?streamid=bsl-alex")
            .with_passphrase(Some("a secret phrase".into()));
        let description = srt.pipeline().unwrap();
        assert!(
            description.contains("srtsrc uri=\"srt://127.0.0.1:7001?streamid=bsl-alex\""),
            "{description}"
        );
        assert!(description.contains("passphrase=\"a secret phrase\""));
        assert!(description.ends_with("appsink name=video sync=false async=false max-buffers=1 drop=true"));
        let rtp = FeedAddress::new("rtp://0.0.0.0:5004").pipeline().unwrap();
        assert!(
            rtp.contains("udpsrc address=0.0.0.0 port=5004") && rtp.contains("rtpjitterbuffer latency=40")
        );
    }

    #[test]
    fn a_recording_is_paced_by_the_clock_and_a_live_stream_is_not() {
        let file = FeedAddress::new("file:///srv/alex.mp4").pipeline().unwrap();
        assert!(file.starts_with("filesrc location=\"/srv/alex.mp4\""), "{file}");
        assert!(file.ends_with("appsink name=video sync=true max-buffers=1 drop=true"), "{file}");
        let rtsp = FeedAddress::new("rtsp://camera.local/live").pipeline().unwrap();
        assert!(rtsp.ends_with(LIVE_SINK), "{rtsp}");
    }

    #[test]
    fn bad_addresses_say_what_is_expected() {
        for (url, expected) in [
            (
                "http://example.org/live",
                "a feed is an address starting with srt://, rtp://, rtsp:// or file://",
            ),
            ("srt://:7001?mode=listener", "does not say where to listen"),
            ("srt://127.0.0.1:99999", "port 99999 does not exist"),
            ("rtp://127.0.0.1", "needs a port"),
            ("rtp://127.0.0.1:five", "is not a port number"),
            ("127.0.0.1:5004", "is not a feed address"),
        ] {
            let error = FeedAddress::new(url).pipeline().unwrap_err();
            assert!(error.is_lasting() && error.to_string().contains(expected), "{url}: {error}");
        }
        let long = FeedAddress::new("srt://127.0.0.1:7001").with_passphrase(Some("手話".repeat(16)));
        assert!(long.pipeline().unwrap_err().to_string().contains("your passphrase is 96 bytes in UTF-8"));
        let rtp = FeedAddress::new("rtp://127.0.0.1:5004").with_passphrase(Some("a long secret".into()));
        assert!(rtp.pipeline().unwrap_err().to_string().contains("srt:// streams only"));
    }
}
