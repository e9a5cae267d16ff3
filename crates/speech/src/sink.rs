//! Where synthesized samples go: an audio-engine voice, or memory.

use allverse_pipeline::audio::VoiceFeed;
use std::time::{Duration, Instant};

/// Whether the producer should keep going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Receives 48 kHz mono samples as they are synthesized.
pub trait PcmSink: Send {
    fn write(&mut self, samples: &[f32]) -> Flow;
    /// Called once after the last sample.
    fn finish(&mut self) {}
}

/// If a voice's ring stays full this long, nobody is rendering it any more.
const STALLED_AFTER: Duration = Duration::from_secs(5);

/// Streams into a playing voice, waiting for room as the renderer plays.
impl PcmSink for VoiceFeed {
    fn write(&mut self, mut samples: &[f32]) -> Flow {
        let mut last_progress = Instant::now();
        while !samples.is_empty() {
            if self.is_stopped() {
                return Flow::Stop;
            }
            let written = VoiceFeed::write(self, samples);
            samples = &samples[written..];
            if written > 0 {
                last_progress = Instant::now();
            } else if last_progress.elapsed() > STALLED_AFTER {
                return Flow::Stop;
            } else {
                // The ring holds a second; a few milliseconds' wait frees plenty.
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        Flow::Continue
    }
}
