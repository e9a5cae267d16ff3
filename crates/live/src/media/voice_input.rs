//! Where the user's outgoing voice enters a publishing pipeline: samples the app hands over, played out in real time.
//!
//! A person who does not speak is heard through synthesized speech: the app
//! renders it (espeak-ng, on its own worker) and hands the samples here. They
//! are stamped to follow whatever is still playing, and a `clocksync` after
//! the source releases them at the pace they are meant to be heard, so the
//! room hears speech, not a burst.

use super::VOICE_RATE_HZ;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

/// The launch-description source for samples handed over: 48 kHz mono, 32-bit float.
pub(crate) const VOICE_SOURCE: &str = "appsrc name=voice is-live=true format=time max-bytes=0 \
     caps=audio/x-raw,format=F32LE,layout=interleaved,rate=48000,channels=1";
/// Samples per buffer: 20 ms, one Opus frame.
const CHUNK_FRAMES: usize = VOICE_RATE_HZ as usize / 50;
/// The most speech taken in one go; longer is cut (ten minutes of samples is 115 MB).
pub const MAX_SPOKEN_S: usize = 120;

/// The voice source of a publishing pipeline.
pub(crate) struct VoiceInput {
    source: gst_app::AppSrc,
    /// Where the last sample handed over ends, in the pipeline's running time.
    next_pts: gst::ClockTime,
}

impl VoiceInput {
    pub(crate) fn new(source: gst_app::AppSrc) -> Self {
        Self { source, next_pts: gst::ClockTime::ZERO }
    }

    /// Queues `samples` to play after whatever is still playing (or now, if nothing is).
    pub(crate) fn push(&mut self, samples: &[f32]) {
        let samples = &samples[..samples.len().min(MAX_SPOKEN_S * VOICE_RATE_HZ as usize)];
        let now = self.source.current_running_time().unwrap_or(gst::ClockTime::ZERO);
        let mut pts = self.next_pts.max(now);
        for chunk in samples.chunks(CHUNK_FRAMES) {
            let duration =
                gst::ClockTime::from_nseconds(chunk.len() as u64 * 1_000_000_000 / u64::from(VOICE_RATE_HZ));
            let bytes: Vec<u8> = chunk.iter().flat_map(|s| s.to_le_bytes()).collect();
            let mut buffer = gst::Buffer::from_mut_slice(bytes);
            if let Some(buffer) = buffer.get_mut() {
                buffer.set_pts(pts);
                buffer.set_duration(duration);
            }
            if self.source.push_buffer(buffer).is_err() {
                // The pipeline has stopped (the connection is closing): nothing more can be sent.
                return;
            }
            pts += duration;
        }
        self.next_pts = pts;
    }
}
