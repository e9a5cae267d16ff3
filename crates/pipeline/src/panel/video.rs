//! Decoded video frames for panels, and the one-frame mailbox that hands them over.
//!
//! Whatever decodes video (an interpreter's SRT feed, a participant's WebRTC
//! stream) puts frames here; the panel that shows them takes the newest.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A decoded frame, RGBA, rows packed tightly (width × 4 bytes each).
#[derive(Debug)]
pub struct VideoFrame {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
    /// When the decoder handed it over.
    pub decoded_at: Instant,
    /// Where it sits on the pipeline's clock, when GStreamer knows.
    pub timing: Option<FrameTiming>,
}

/// A frame's place on its pipeline's clock, as running time (zero when the
/// pipeline started playing, or when a recording started again from its beginning).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameTiming {
    /// When the stream says the frame is to be shown: its presentation time.
    pub due: Duration,
    /// When the sink handed it over. A recording played at its own pace is
    /// never handed over before it is due; a live stream is handed over as
    /// soon as it is decoded, whatever its timestamps say.
    pub handed_over: Duration,
}

impl VideoFrame {
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let at = ((y * self.width + x) * 4) as usize;
        [self.rgba[at], self.rgba[at + 1], self.rgba[at + 2], self.rgba[at + 3]]
    }
}

/// Copies `height` rows of `width` RGBA pixels out of a buffer whose rows
/// are `stride` bytes apart (decoders pad rows, e.g. to 16 or 64 bytes).
pub fn pack_rows(data: &[u8], stride: usize, width: u32, height: u32) -> Vec<u8> {
    let row_bytes = width as usize * 4;
    let mut rgba = Vec::with_capacity(row_bytes * height as usize);
    for row in 0..height as usize {
        rgba.extend_from_slice(&data[row * stride..row * stride + row_bytes]);
    }
    rgba
}

/// The latest frame only: a new frame replaces one not yet shown, so a
/// slow reader sees fresh video rather than a growing queue of old video.
#[derive(Default)]
pub struct FrameSlot {
    latest: Mutex<Option<Arc<VideoFrame>>>,
    delivered: AtomicU64,
}

impl std::fmt::Debug for FrameSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameSlot").field("delivered", &self.delivered()).finish_non_exhaustive()
    }
}

impl FrameSlot {
    pub fn put(&self, frame: VideoFrame) {
        *self.latest.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(frame));
        self.delivered.fetch_add(1, Ordering::Release);
    }

    pub fn latest(&self) -> Option<Arc<VideoFrame>> {
        self.latest.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Frames delivered so far; a change means a new frame.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_rows_are_packed() {
        // 3 pixels wide (12 bytes) in rows padded to 16 bytes.
        let data: Vec<u8> = (0..2 * 16).map(|i| i as u8).collect();
        let packed = pack_rows(&data, 16, 3, 2);
        assert_eq!(packed.len(), 24);
        assert_eq!(&packed[12..16], &[16, 17, 18, 19], "the second row starts after the padding");
    }

    #[test]
    fn the_slot_keeps_only_the_newest_frame() {
        let slot = FrameSlot::default();
        for value in 0..5u8 {
            slot.put(VideoFrame {
                width: 1,
                height: 1,
                rgba: vec![value; 4],
                decoded_at: Instant::now(),
                timing: None,
            });
        }
        assert_eq!(slot.delivered(), 5);
        assert_eq!(slot.latest().unwrap().rgba[0], 4);
    }
}
