//! Wall-clock time written into video frames and read back after the network, for latency measurement.
//!
//! The time (milliseconds since the Unix epoch, low 40 bits) is drawn as
//! 40 black or white 16 × 16 blocks along the top of the frame, read back
//! by their luma: blocks that
//! large survive H.264 at any sensible bit rate, unlike metadata, which
//! MPEG-TS and SRT do not carry end to end.

use allverse_pipeline::panel::VideoFrame;
use gstreamer as gst;
use gstreamer::prelude::*;
use std::time::{SystemTime, UNIX_EPOCH};

const BITS: u32 = 40;
const BLOCK_PX: u32 = 16;

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64) & ((1 << BITS) - 1)
}

/// Writes `ms` into an I420 image `width` × `height` (GStreamer's layout:
/// rows padded to 4 bytes, then the two half-size chroma planes): black or
/// white blocks with neutral colour, so the encoder takes it as it is.
pub fn write(i420: &mut [u8], width: usize, height: usize, ms: u64) {
    let (luma_stride, chroma_stride) = (width.next_multiple_of(4), width.div_ceil(2).next_multiple_of(4));
    let chroma_rows = height.div_ceil(2);
    let block = BLOCK_PX as usize;
    for bit in 0..BITS as usize {
        let value = if ms >> bit & 1 == 1 { 255 } else { 0 };
        for y in 0..block {
            let row = y * luma_stride + bit * block;
            i420[row..row + block].fill(value);
        }
        for plane in 0..2 {
            let start = luma_stride * height + plane * chroma_stride * chroma_rows;
            for y in 0..block / 2 {
                let row = start + y * chroma_stride + bit * block / 2;
                i420[row..row + block / 2].fill(128);
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
        let [r, g, b, _] = frame.pixel(bit * BLOCK_PX + BLOCK_PX / 2, BLOCK_PX / 2);
        let luma = 0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b);
        ms | (u64::from(luma > 127.0) << bit)
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
        let size = pad.current_caps().and_then(|caps| {
            let s = caps.structure(0)?;
            Some((s.get::<i32>("width").ok()? as usize, s.get::<i32>("height").ok()? as usize))
        });
        if let Some(gst::PadProbeData::Buffer(buffer)) = &mut info.data
            && let Some((width, height)) = size
            && let Ok(mut map) = buffer.make_mut().map_writable()
        {
            write(map.as_mut_slice(), width, height, now_ms());
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
        let mut i420 = vec![90u8; (width * height * 3 / 2) as usize];
        let ms = now_ms();
        write(&mut i420, width as usize, height as usize, ms);
        // As the decoder would hand it back: the blocks as grey levels in RGBA.
        let rgba = i420[..(width * height) as usize].iter().flat_map(|&y| [y, y, y, 255]).collect();
        let frame = VideoFrame { width, height, rgba, decoded_at: std::time::Instant::now(), timing: None };
        assert_eq!(read(&frame), Some(ms));
    }
}
