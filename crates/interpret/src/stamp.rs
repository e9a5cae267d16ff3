//! Wall-clock time written into video frames and read back after the network, for latency measurement.
//!
//! The time (milliseconds since the Unix epoch, low 40 bits) is drawn as
//! 40 black or white 16 × 16 blocks along the top of the frame: blocks that
//! large survive H.264 at any sensible bit rate, unlike metadata, which
//! MPEG-TS and SRT do not carry end to end.

use crate::frame::VideoFrame;
use gstreamer as gst;
use gstreamer::prelude::*;
use std::time::{SystemTime, UNIX_EPOCH};

const BITS: u32 = 40;
const BLOCK_PX: u32 = 16;

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64) & ((1 << BITS) - 1)
}

/// Writes `ms` into an RGBA image whose rows are `stride` bytes apart.
pub fn write(rgba: &mut [u8], stride: usize, ms: u64) {
    for bit in 0..BITS {
        let value = if ms >> bit & 1 == 1 { 255 } else { 0 };
        for y in 0..BLOCK_PX as usize {
            let row = y * stride + (bit * BLOCK_PX) as usize * 4;
            for px in rgba[row..row + BLOCK_PX as usize * 4].chunks_exact_mut(4) {
                px.copy_from_slice(&[value, value, value, 255]);
            }
        }
    }
}

/// The time written in a frame, read from the centre of each block.
pub fn read(frame: &VideoFrame) -> Option<u64> {
    if frame.width < BITS * BLOCK_PX || frame.height < BLOCK_PX {
        return None;
    }
    Some((0..BITS).fold(0, |ms, bit| {
        let [r, ..] = frame.pixel(bit * BLOCK_PX + BLOCK_PX / 2, BLOCK_PX / 2);
        ms | (u64::from(r > 127) << bit)
    }))
}

/// Milliseconds from a frame's stamp to now (the same clock, on one machine).
pub fn age_ms(stamped_ms: u64) -> i64 {
    (now_ms() as i64 - stamped_ms as i64).rem_euclid(1 << BITS)
}

/// Stamps every frame passing the `stamp` element of a publish pipeline with the time it passes.
pub(crate) fn stamp_frames(pipeline: &gst::Pipeline) {
    let Some(pad) = pipeline.by_name("stamp").and_then(|e| e.static_pad("src")) else { return };
    pad.add_probe(gst::PadProbeType::BUFFER, |pad, info| {
        let width = pad
            .current_caps()
            .and_then(|caps| caps.structure(0).and_then(|s| s.get::<i32>("width").ok()))
            .unwrap_or(0) as usize;
        if let Some(gst::PadProbeData::Buffer(buffer)) = &mut info.data
            && width > 0
            && let Ok(mut map) = buffer.make_mut().map_writable()
        {
            write(map.as_mut_slice(), width * 4, now_ms());
        }
        gst::PadProbeReturn::Ok
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_reads_back() {
        let (width, height) = (656u32, 20u32);
        let mut rgba = vec![0u8; (width * height * 4) as usize];
        let ms = now_ms();
        write(&mut rgba, (width * 4) as usize, ms);
        let frame = VideoFrame { width, height, rgba, decoded_at: std::time::Instant::now() };
        assert_eq!(read(&frame), Some(ms));
    }
}
