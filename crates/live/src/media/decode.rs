//! A participant's received audio decoded to 48 kHz mono samples for whoever listens.

use super::{MediaError, VOICE_RATE_HZ};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

/// Links a new source pad of a subscriber's webrtcbin to an Opus decoder whose
/// samples go to `deliver`, in blocks as they are decoded (20 ms for Opus as
/// browsers and webrtcbin send it). Pads that carry no audio (video from a
/// browser participant) are run into a sink that drops them.
pub(crate) fn decode_voice(
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
    deliver: impl Fn(Vec<f32>) + Send + Sync + 'static,
) -> Result<(), MediaError> {
    let is_audio = pad
        .current_caps()
        .and_then(|caps| caps.structure(0).and_then(|s| s.get::<String>("media").ok()))
        .is_some_and(|media| media == "audio");
    let description = if is_audio {
        format!(
            "rtpopusdepay ! opusdec plc=true ! audioconvert ! audioresample \
             ! audio/x-raw,format=F32LE,layout=interleaved,rate={VOICE_RATE_HZ},channels=1 \
             ! appsink name=voice sync=false"
        )
    } else {
        "fakesink sync=false".to_string()
    };
    let branch = gst::parse::bin_from_description(&description, true)
        .map_err(|e| MediaError::Missing(e.to_string()))?;
    if let Some(sink) = branch.by_name("voice").and_then(|e| e.downcast::<gst_app::AppSink>().ok()) {
        sink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    if let Some(map) = sample.buffer().and_then(|buffer| buffer.map_readable().ok()) {
                        let samples = map
                            .chunks_exact(4)
                            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                            .collect();
                        deliver(samples);
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
