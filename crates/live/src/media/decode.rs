//! A participant's received media decoded: voice to 48 kHz mono samples, an interpreter's video to RGBA frames.

use super::{MediaError, VOICE_RATE_HZ};
use allverse_pipeline::panel::{FrameSlot, VideoFrame};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::sync::Arc;
use std::time::Instant;

/// The largest video frame handed on, in pixels: more than an interpreter panel
/// shows, and a bound on what a sender can make us allocate.
pub const MAX_VIDEO_WIDTH_PX: u32 = 1280;
pub const MAX_VIDEO_HEIGHT_PX: u32 = 720;

/// What becomes of each stream a subscription receives.
pub(crate) struct Decoders {
    /// Receives the voice in blocks as they are decoded (20 ms for Opus as browsers and webrtcbin send it).
    pub(crate) voice: Box<dyn Fn(Vec<f32>) + Send + Sync>,
    /// Where the video goes, for a participant whose video is shown (an interpreter); `None`: dropped undecoded.
    pub(crate) video: Option<Arc<FrameSlot>>,
}

/// Links a new source pad of a subscriber's webrtcbin to the decoder for what it carries.
pub(crate) fn decode(pipeline: &gst::Pipeline, pad: &gst::Pad, to: &Arc<Decoders>) -> Result<(), MediaError> {
    let caps = pad.current_caps();
    let field = |name: &str| caps.as_ref().and_then(|c| c.structure(0)?.get::<String>(name).ok());
    let description = match (field("media").as_deref(), &to.video) {
        (Some("audio"), _) => format!(
            "rtpopusdepay ! opusdec plc=true ! audioconvert ! audioresample \
             ! audio/x-raw,format=F32LE,layout=interleaved,rate={VOICE_RATE_HZ},channels=1 \
             ! appsink name=voice sync=false"
        ),
        (Some("video"), Some(_)) => {
            let encoding = field("encoding-name").unwrap_or_default();
            let (depay, decoder) = match encoding.as_str() {
                "VP8" => ("rtpvp8depay", "vp8dec"),
                "VP9" => ("rtpvp9depay", "vp9dec"),
                "H264" => ("rtph264depay", "avdec_h264"),
                other => return Err(MediaError::Missing(format!("a decoder for {other} video"))),
            };
            // Until a keyframe comes, the depayloader drops what cannot be decoded (the
            // subscription asks the server for one: `RoomMedia::ask_for_keyframes`).
            // The newest frame only: a slow reader sees fresh video, never a queue of old video.
            format!(
                "{depay} wait-for-keyframe=true ! {decoder} ! videoconvert ! videoscale \
                 ! video/x-raw,format=RGBA,width=[2,{MAX_VIDEO_WIDTH_PX}],height=[2,{MAX_VIDEO_HEIGHT_PX}] \
                 ! appsink name=video sync=false max-buffers=1 drop=true"
            )
        }
        _ => "fakesink sync=false".to_string(),
    };
    let branch = gst::parse::bin_from_description(&description, true)
        .map_err(|e| MediaError::Missing(e.to_string()))?;
    if let Some(sink) = appsink(&branch, "voice") {
        let to = to.clone();
        sink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    if let Some(map) = sample.buffer().and_then(|buffer| buffer.map_readable().ok()) {
                        let samples = map
                            .chunks_exact(4)
                            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                            .collect();
                        (to.voice)(samples);
                    }
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
    }
    if let (Some(sink), Some(slot)) = (appsink(&branch, "video"), to.video.clone()) {
        sink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    if let Some(frame) = rgba_frame(&sample) {
                        slot.put(frame);
                    }
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
    }
    pipeline.add(&branch).map_err(|e| MediaError::Negotiation(e.to_string()))?;
    branch.sync_state_with_parent().map_err(|e| MediaError::Negotiation(e.to_string()))?;
    let sink_pad = branch.static_pad("sink").ok_or_else(|| MediaError::Missing("a sink pad".into()))?;
    pad.link(&sink_pad).map(|_| ()).map_err(|e| MediaError::Negotiation(format!("{e:?}")))
}

fn appsink(branch: &gst::Bin, name: &str) -> Option<gst_app::AppSink> {
    branch.by_name(name).and_then(|e| e.downcast::<gst_app::AppSink>().ok())
}

/// An RGBA sample as a frame. RGBA rows are whole 4-byte words, so GStreamer
/// packs them without padding: the buffer is exactly width × height × 4 bytes.
fn rgba_frame(sample: &gst::Sample) -> Option<VideoFrame> {
    let structure = sample.caps()?.structure(0)?;
    let width = u32::try_from(structure.get::<i32>("width").ok()?).ok()?;
    let height = u32::try_from(structure.get::<i32>("height").ok()?).ok()?;
    let map = sample.buffer()?.map_readable().ok()?;
    (map.len() == width as usize * height as usize * 4).then(|| VideoFrame {
        width,
        height,
        rgba: map.to_vec(),
        decoded_at: Instant::now(),
        timing: None,
    })
}
