//! Receiving an interpreter's feed: SRT, RTP over UDP, RTSP or a file, decoded to RGBA for the panel.
//!
//! Every source ends in the same low-latency tail: H.264 decoded, converted
//! to RGBA and handed to a [`FrameSlot`] that keeps only the newest frame.
//! The app sink neither syncs to the clock nor queues: a frame is shown as
//! soon as it is decoded, and one that is late is replaced, not waited for.

use crate::frame::{FrameSlot, VideoFrame, pack_rows};
use crate::gst::{self as media, MediaError, quoted};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_video as gst_video;
use gstreamer_video::prelude::*;
use std::sync::Arc;
use std::time::Instant;

/// SRT receive latency: enough to retransmit a lost packet on a LAN, small enough for conversation.
pub const SRT_LATENCY_MS: u32 = 80;
/// RTP jitter buffer.
pub const RTP_LATENCY_MS: u32 = 40;

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
                format!(
                    "srtsrc uri={}{latency} wait-for-connection=false{passphrase} ! tsdemux latency=0 ! {decode}",
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
        Ok(format!("{source} ! appsink name=video sync=false max-buffers=1 drop=true"))
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

/// A running receive pipeline.
pub struct Feed {
    pipeline: gst::Pipeline,
    frames: Arc<FrameSlot>,
}

impl Feed {
    pub fn open(address: &FeedAddress) -> Result<Self, MediaError> {
        let pipeline = media::start("receive", &address.pipeline()?)?;
        let frames = Arc::new(FrameSlot::default());
        let sink = pipeline
            .by_name("video")
            .and_then(|e| e.downcast::<gst_app::AppSink>().ok())
            .expect("every receive pipeline ends in the app sink `video`");
        let slot = frames.clone();
        sink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    if let Some(frame) = decode(&sample) {
                        slot.put(frame);
                    }
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
        Ok(Self { pipeline, frames })
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
        assert!(description.ends_with("appsink name=video sync=false max-buffers=1 drop=true"));
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
