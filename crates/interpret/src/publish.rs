//! Joining as an interpreter: the camera (or a test pattern) and microphone, encoded and sent.
//!
//! H.264 tuned for latency (no B-frames, a key frame every second so a
//! viewer joining or a handover starts within one), in MPEG-TS over SRT,
//! or RTP over UDP. SRT's `streamid` names the stream, so the same
//! command publishes to a viewer directly or to an SRT media server that
//! fans it out to a large audience.

use crate::gst::{self as media, MediaError, quoted};
use allverse_core::stream_address::{Direction, Endpoint, Protocol, StreamAddress};
use gstreamer as gst;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq)]
pub enum VideoSource {
    /// A V4L2 camera, e.g. `/dev/video0`.
    Camera(PathBuf),
    /// SMPTE colour bars: checks a connection without a camera.
    TestPattern,
    /// Moving colour bars carrying the wall-clock time in their top rows
    /// (see [`crate::stamp`]), for measuring glass-to-glass latency. They
    /// move so that every frame costs bits, as a signer on camera does:
    /// near-empty frames would wait in the muxer for the next to fill a packet.
    Stamped,
}

#[derive(Debug, Clone)]
pub struct PublishOptions {
    pub channel: String,
    pub source: VideoSource,
    /// Send the default microphone too (spoken interpreting, or a signer's voice-over).
    pub microphone: bool,
    /// A tone instead of the microphone, for tests on machines without one.
    pub test_tone: bool,
    /// `srt://host:port[?streamid=…]`, `srt://host:port?mode=listener` (wait
    /// for viewers to connect, on `host` only) or `rtp://host:port`.
    pub to: String,
    pub passphrase: Option<String>,
    /// Replace a green background with black, so only the signer remains.
    pub chroma_key: bool,
    pub width: u32,
    pub height: u32,
    pub frame_rate: u32,
    pub bitrate_kbps: u32,
}

impl PublishOptions {
    pub fn new(channel: &str, source: VideoSource, to: &str) -> Self {
        Self {
            channel: channel.into(),
            source,
            microphone: false,
            test_tone: false,
            to: to.into(),
            passphrase: None,
            chroma_key: false,
            width: 1280,
            height: 720,
            frame_rate: 30,
            bitrate_kbps: 2500,
        }
    }

    /// The pipeline description.
    pub fn pipeline(&self) -> Result<String, MediaError> {
        let (w, h, fps) = (self.width, self.height, self.frame_rate);
        let raw = format!("video/x-raw,width={w},height={h},framerate={fps}/1");
        let mut video = match &self.source {
            VideoSource::Camera(device) => {
                format!(
                    "v4l2src device={} ! videoconvert ! videoscale ! videorate ! {raw}",
                    quoted(&device.display().to_string())
                )
            }
            VideoSource::TestPattern => format!("videotestsrc is-live=true pattern=smpte ! {raw}"),
            VideoSource::Stamped => format!(
                "videotestsrc is-live=true pattern=smpte horizontal-speed=4 ! video/x-raw,format=I420,width={w},height={h},framerate={fps}/1 ! identity name=stamp"
            ),
        };
        if self.chroma_key {
            video += " ! videoconvert ! alpha method=green ! compositor background=black";
        }
        let encode = format!(
            "videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast bitrate={} key-int-max={fps} \
             ! video/x-h264,profile=baseline ! h264parse config-interval=-1",
            self.bitrate_kbps
        );
        let audio_source = match (self.microphone, self.test_tone) {
            (true, _) => Some("autoaudiosrc"),
            (false, true) => Some("audiotestsrc is-live=true wave=ticks samplesperbuffer=480"),
            (false, false) => None,
        };
        let address = self.address()?;
        match &address.endpoint {
            Endpoint::Network { protocol: Protocol::Srt, .. } => {
                let passphrase = match &self.passphrase {
                    Some(p) => format!(" passphrase={} pbkeylen=16", quoted(p)),
                    None => String::new(),
                };
                let mut uri = self.to.clone();
                if !uri.contains("streamid=") {
                    uri += if uri.contains('?') { "&" } else { "?" };
                    uri += &format!("streamid=publish:{}", self.channel);
                }
                let latency = if uri.contains("latency=") {
                    String::new()
                } else {
                    format!(" latency={}", crate::feed::SRT_LATENCY_MS)
                };
                let mut description = format!(
                    "{video} ! {encode} ! queue ! mpegtsmux name=mux alignment=7 latency=0 ! srtsink uri={}{latency} wait-for-connection=false sync=false{passphrase}",
                    quoted(&uri)
                );
                if let Some(source) = audio_source {
                    description += &format!(
                        " {source} ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 ! opusenc frame-size=10 bitrate=64000 ! queue max-size-time=100000000 ! mux."
                    );
                }
                Ok(description)
            }
            Endpoint::Network { protocol: Protocol::Rtp, host, port, .. } => {
                if audio_source.is_some() {
                    return Err(MediaError::Address(
                        "RTP feeds carry video only; send sound over srt://".into(),
                    ));
                }
                Ok(format!(
                    "{video} ! {encode} ! rtph264pay config-interval=-1 pt=96 ! udpsink host={host} port={port} sync=false"
                ))
            }
            // Refused by `StreamAddress::parse` already; said again rather than assumed.
            _ => Err(MediaError::Address(format!(
                "publishing to `{}` is not supported; use srt:// or rtp://",
                self.to
            ))),
        }
    }

    /// Where to send, checked by the rules of [`StreamAddress`] (with the
    /// passphrase) before anything starts: no host, a port out of range or a
    /// listener nobody asked for is an error here, not a socket.
    pub fn address(&self) -> Result<StreamAddress, MediaError> {
        let address = StreamAddress::parse(&self.to, Direction::Send).map_err(MediaError::Address)?;
        if let Some(passphrase) = &self.passphrase {
            address.check_passphrase(passphrase).map_err(MediaError::Address)?;
        }
        Ok(address)
    }
}

/// A running publish pipeline.
pub struct Publisher {
    pipeline: gst::Pipeline,
    encrypted: bool,
}

impl Publisher {
    pub fn start(options: &PublishOptions) -> Result<Self, MediaError> {
        let pipeline = media::start("publish", &options.pipeline()?)?;
        if options.source == VideoSource::Stamped {
            crate::stamp::stamp_frames(&pipeline);
        }
        Ok(Self { pipeline, encrypted: options.passphrase.is_some() })
    }

    /// An error or the end of the stream, if one happened since the last call.
    pub fn problem(&self) -> Option<String> {
        media::problem(&self.pipeline).map(|problem| crate::gst::explain_srt(problem, self.encrypted))
    }
}

/// Publishes until the process ends, starting again after a dropped or
/// refused connection (the receiver restarted, the network blinked, the
/// event's server is not up yet): an interpreter's stream must not stay
/// down because of one failure, and the interpreter cannot know when the
/// other end will be there, so there is no limit on attempts. Every failed
/// attempt is told to `report`, with its number and the wait before the
/// next, so a publisher that cannot get through says so instead of going
/// quiet. Only what retrying cannot fix is an error: an address or
/// passphrase that breaks the rules ([`PublishOptions::address`]), or a
/// pipeline that does not start at all (no camera).
pub fn publish_until_stopped(
    options: &PublishOptions,
    mut report: impl FnMut(&str),
) -> Result<std::convert::Infallible, MediaError> {
    let mut publisher = Publisher::start(options)?;
    let mut backoff = FIRST_RETRY;
    let mut attempt = 0u64;
    loop {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let Some(problem) = publisher.problem() else { continue };
        attempt += 1;
        report(&format!(
            "attempt {attempt} failed: {problem}; still trying, again in {:.1} s (Ctrl-C stops)",
            backoff.as_secs_f32()
        ));
        drop(publisher);
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(LAST_RETRY);
        publisher = Publisher::start(options)?;
    }
}

/// The wait before publishing again after the first failure; it doubles up to [`LAST_RETRY`].
const FIRST_RETRY: std::time::Duration = std::time::Duration::from_millis(500);
const LAST_RETRY: std::time::Duration = std::time::Duration::from_secs(4);

impl Drop for Publisher {
    fn drop(&mut self) {
        media::stop(&self.pipeline);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_names_the_stream_and_encrypts_when_asked() {
        let mut options = PublishOptions::new("bsl", VideoSource::TestPattern, "srt://127.0.0.1:7001");
        options.passphrase = Some("correct horse battery".into());
        options.chroma_key = true;
        let description = options.pipeline().unwrap();
        assert!(description.contains("uri=\"srt://127.0.0.1:7001?streamid=publish:bsl\""), "{description}");
        assert!(description.contains("passphrase=\"correct horse battery\""));
        assert!(description.contains("alpha method=green"));
        assert!(description.contains("tune=zerolatency") && description.contains("key-int-max=30"));
        let rtp =
            PublishOptions::new("bsl", VideoSource::Camera("/dev/video2".into()), "rtp://127.0.0.1:5004");
        assert!(rtp.pipeline().unwrap().contains("v4l2src device=\"/dev/video2\""));
        let error = PublishOptions::new("bsl", VideoSource::TestPattern, "http://x").pipeline().unwrap_err();
        assert!(error.to_string().contains("use srt:// or rtp://"));
    }

    #[test]
    fn addresses_that_cannot_work_are_refused_before_anything_starts() {
        for (to, expected) in [
            ("srt://", "has no host"),
            ("srt://:7001", "has no host"),
            ("srt://127.0.0.1:99999", "port 99999 does not exist"),
            ("rtp://0.0.0.0:5004", "0.0.0.0 means every interface"),
            ("srt://:7001?mode=listener", "does not say where to listen"),
        ] {
            let error = PublishOptions::new("bsl", VideoSource::TestPattern, to).pipeline().unwrap_err();
            assert!(error.is_lasting() && error.to_string().contains(expected), "{to}: {error}");
        }
        let mut options = PublishOptions::new("bsl", VideoSource::TestPattern, "srt://127.0.0.1:7001");
        options.passphrase = Some("手話通訳".repeat(8));
        let error = options.pipeline().unwrap_err().to_string();
        assert!(error.contains("10 to 79 bytes (your passphrase is 96 bytes in UTF-8)"), "{error}");
        let listener =
            PublishOptions::new("bsl", VideoSource::TestPattern, "srt://127.0.0.1:7001?mode=listener");
        assert!(
            listener
                .pipeline()
                .unwrap()
                .contains("srtsink uri=\"srt://127.0.0.1:7001?mode=listener&streamid=publish:bsl\"")
        );
    }
}
