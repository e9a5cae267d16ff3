//! Receiving an interpreter's feed: SRT, RTP over UDP, RTSP or a file, decoded to RGBA for the panel.
//!
//! Every source ends in the same low-latency tail: H.264 decoded, converted
//! to RGBA and handed to a [`FrameSlot`] that keeps only the newest frame.
//! The app sink neither syncs to the clock nor queues: a frame is shown as
//! soon as it is decoded, and one that is late is replaced, not waited for.

use crate::frame::{FrameSlot, VideoFrame, pack_rows};
use crate::gst::{self as media, MediaError, quoted};
use allverse_pipeline::audio::zero_non_finite;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_video as gst_video;
use gstreamer_video::prelude::*;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

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

impl FeedAddress {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), passphrase: None }
    }

    pub fn with_passphrase(mut self, passphrase: Option<String>) -> Self {
        self.passphrase = passphrase;
        self
    }

    /// The GStreamer pipeline that receives and decodes it into the sink `video`.
    pub fn pipeline(&self) -> Result<String, MediaError> {
        let (scheme, rest) = self.url.split_once("://").ok_or_else(|| {
            MediaError::Address(format!(
                "`{}` is not a feed address (srt://, rtp://, rtsp://, file://)",
                self.url
            ))
        })?;
        let decode =
            "h264parse ! avdec_h264 max-threads=2 thread-type=slice ! videoconvert ! video/x-raw,format=RGBA";
        let source = match scheme {
            "srt" => {
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
                     demux. ! video/x-h264 ! queue max-size-time=100000000 ! {decode}",
                    quoted(&self.url)
                )
            }
            "rtp" => {
                let (host, port) = host_port(rest, &self.url)?;
                format!(
                    "udpsrc address={host} port={port} caps=\"application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96\" \
                     ! rtpjitterbuffer latency={RTP_LATENCY_MS} drop-on-latency=true ! rtph264depay ! {decode}"
                )
            }
            "rtsp" => format!(
                "rtspsrc location={} latency={RTP_LATENCY_MS} ! rtph264depay ! {decode}",
                quoted(&self.url)
            ),
            "file" => format!(
                "filesrc location={} ! decodebin ! videoconvert ! video/x-raw,format=RGBA",
                quoted(rest)
            ),
            other => {
                return Err(MediaError::Address(format!(
                    "feeds over `{other}` are not supported; use srt://, rtp://, rtsp:// or file://"
                )));
            }
        };
        // `async=false`: a stream without a voice must not hold the pipeline
        // back waiting for its audio sink to receive something.
        Ok(format!("{source} ! appsink name=video sync=false async=false max-buffers=1 drop=true"))
    }
}

fn host_port<'a>(rest: &'a str, url: &str) -> Result<(&'a str, u16), MediaError> {
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let (host, port) = authority
        .rsplit_once(':')
        .ok_or_else(|| MediaError::Address(format!("`{url}` needs a port, e.g. rtp://127.0.0.1:5004")))?;
    let port =
        port.parse().map_err(|_| MediaError::Address(format!("`{url}`: `{port}` is not a port number")))?;
    Ok((if host.is_empty() { "0.0.0.0" } else { host }, port))
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

/// A running receive pipeline.
pub struct Feed {
    pipeline: gst::Pipeline,
    frames: Arc<FrameSlot>,
    /// Behind a mutex only so that a feed can be shared (`Sync`); it is read through `&mut self`.
    voice: Option<Mutex<rtrb::Consumer<f32>>>,
    arrivals: Arc<Mutex<ArrivalTimes>>,
}

impl Feed {
    pub fn open(address: &FeedAddress) -> Result<Self, MediaError> {
        let pipeline = media::start("receive", &address.pipeline()?)?;
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
                    if let Some(frame) = decode(&sample) {
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
        Ok(Self { pipeline, frames, voice, arrivals })
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

    /// An error or the end of the stream, if one happened since the last call.
    pub fn problem(&self) -> Option<String> {
        media::problem(&self.pipeline)
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        media::stop(&self.pipeline);
    }
}

/// The sample's RGBA pixels, rows packed; `None` for a sample without video.
fn decode(sample: &gst::Sample) -> Option<VideoFrame> {
    let info = gst_video::VideoInfo::from_caps(sample.caps()?).ok()?;
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(sample.buffer()?, &info).ok()?;
    let stride = usize::try_from(*frame.plane_stride().first()?).ok()?;
    let rgba = pack_rows(frame.plane_data(0).ok()?, stride, frame.width(), frame.height());
    Some(VideoFrame { width: frame.width(), height: frame.height(), rgba, decoded_at: Instant::now() })
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
    fn bad_addresses_say_what_is_expected() {
        for (url, expected) in [
            ("http://example.org/live", "use srt://, rtp://, rtsp:// or file://"),
            ("rtp://127.0.0.1", "needs a port"),
            ("rtp://127.0.0.1:five", "is not a port number"),
            ("127.0.0.1:5004", "is not a feed address"),
        ] {
            let error = FeedAddress::new(url).pipeline().unwrap_err().to_string();
            assert!(error.contains(expected), "{url}: {error}");
        }
    }
}
