//! Mipmaps for panel images, so text stays smooth when seen from afar.
//!
//! A panel's texture is sized for its viewing distance at creation; when
//! the user walks away or the panel is seen at a slant, the GPU samples it
//! smaller, and without a mip chain thin glyph strokes shimmer and break
//! up. Levels are averaged in premultiplied alpha so that transparent
//! background pixels do not darken the edges of text. (They are averaged
//! in sRGB rather than linear light, like most mipmap generators; the
//! slight darkening of grey edges is not visible at these sizes.)

/// All mip levels of an RGBA8 image, largest first and concatenated, as
/// GPUs expect them uploaded; returns the data and the level count.
pub fn mip_chain(rgba: &[u8], width_px: u32, height_px: u32) -> (Vec<u8>, u32) {
    let mut data = rgba.to_vec();
    let mut level = rgba.to_vec();
    let (mut w, mut h) = (width_px, height_px);
    let mut levels = 1;
    while w > 1 || h > 1 {
        let (nw, nh) = ((w / 2).max(1), (h / 2).max(1));
        level = half_size(&level, w, h, nw, nh);
        data.extend_from_slice(&level);
        (w, h) = (nw, nh);
        levels += 1;
    }
    (data, levels)
}

/// Averages each 2×2 block (clamped at odd edges) in premultiplied alpha.
fn half_size(src: &[u8], w: u32, h: u32, nw: u32, nh: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity((nw * nh * 4) as usize);
    for y in 0..nh {
        for x in 0..nw {
            let mut sum = [0.0f32; 4];
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let sx = (2 * x + dx).min(w - 1);
                let sy = (2 * y + dy).min(h - 1);
                let i = ((sy * w + sx) * 4) as usize;
                let alpha = src[i + 3] as f32 / 255.0;
                for c in 0..3 {
                    sum[c] += src[i + c] as f32 * alpha;
                }
                sum[3] += alpha;
            }
            let alpha = sum[3] / 4.0;
            for c in sum.iter().take(3) {
                let straight = if sum[3] > 0.0 { c / sum[3] } else { 0.0 };
                out.push(straight.round() as u8);
            }
            out.push((alpha * 255.0).round() as u8);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_halve_down_to_one_pixel() {
        let (data, levels) = mip_chain(&[255; 5 * 3 * 4], 5, 3);
        // 5×3, 2×1, 1×1
        assert_eq!(levels, 3);
        assert_eq!(data.len(), (15 + 2 + 1) * 4);
        assert!(data.iter().all(|&b| b == 255), "a uniform image stays uniform");
    }

    #[test]
    fn transparent_pixels_do_not_darken_text() {
        // Opaque white beside fully transparent black.
        let src = [255, 255, 255, 255, 0, 0, 0, 0];
        let (data, levels) = mip_chain(&src, 2, 1);
        assert_eq!(levels, 2);
        assert_eq!(&data[8..], &[255, 255, 255, 128], "white at half coverage, not grey");
    }
}
