//! Captured frames written to PNG files off the frame thread.
//!
//! Encoding and writing a PNG takes tens of milliseconds, which in a headset
//! is several frames: measured on Monado, each checkpoint capture stalled the
//! frame it arrived in by 28–61 ms. Each capture is therefore written by its
//! own short-lived thread, and the session's report lists it once written.

use crate::session::{CaptureEntry, SessionReport};
use anyhow::{Context, Result, bail};
use bevy::prelude::*;
use bevy::render::render_resource::TextureFormat;
use std::path::Path;
use std::thread::JoinHandle;

/// Captures being written, in the order they were taken.
#[derive(Resource, Default)]
pub struct CaptureFiles {
    writing: Vec<JoinHandle<Option<CaptureEntry>>>,
}

impl CaptureFiles {
    /// Writes `image` to `entry.path` on a worker thread.
    pub fn write(&mut self, image: Image, mut entry: CaptureEntry) {
        entry.width_px = image.width();
        entry.height_px = image.height();
        self.writing.push(std::thread::spawn(move || match write_png(&image, &entry.path) {
            Ok(()) => Some(entry),
            Err(e) => {
                error!("capture `{}` could not be saved: {e:#}", entry.name);
                None
            }
        }));
    }

    /// Waits for every capture being written and adds those saved to `report`, in capture order.
    pub fn finish_into(&mut self, report: &mut SessionReport) {
        for writing in self.writing.drain(..) {
            if let Ok(Some(entry)) = writing.join() {
                report.captures.push(entry);
            }
        }
    }
}

/// Writes an 8-bit RGBA or BGRA image as an opaque RGB PNG.
fn write_png(image: &Image, path: &Path) -> Result<()> {
    let data = image.data.as_ref().context("the capture has no pixels")?;
    let swap = match image.texture_descriptor.format {
        TextureFormat::Rgba8UnormSrgb | TextureFormat::Rgba8Unorm => false,
        TextureFormat::Bgra8UnormSrgb | TextureFormat::Bgra8Unorm => true,
        other => bail!("captures in {other:?} are not supported"),
    };
    let rgb: Vec<u8> = data
        .chunks_exact(4)
        .flat_map(|p| if swap { [p[2], p[1], p[0]] } else { [p[0], p[1], p[2]] })
        .collect();
    let file = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    let mut encoder = png::Encoder::new(file, image.width(), image.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header()?.write_image_data(&rgb)?;
    Ok(())
}
