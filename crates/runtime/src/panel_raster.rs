//! Panel text laid out and rasterized on a worker thread, so that no frame waits on it.
//!
//! Laying out and drawing a caption panel at headset resolution takes a few
//! milliseconds: on the frame thread that alone broke the 2 ms budget of
//! Allverse's systems (`cargo xtask bench xr`). The frame sends a [`RasterJob`]
//! when a panel's text or size changes and puts the finished image on the
//! panel when it comes back, usually a frame later. A panel that changes
//! again before its job starts is drawn once, at its newest text.
//!
//! The simulator waits for every job sent in a frame before that frame
//! goes on, so its captures and reports stay the same from run to run.

use allverse_pipeline::panel::{
    PanelImage, PanelLine, PanelNotice, PanelTextStyle, TextPanelError, TextPanelSpec, TextRasterizer,
    mip_chain,
};
use bevy::asset::RenderAssetUsages;
use bevy::image::{ImageSampler, ImageSamplerDescriptor};
use bevy::prelude::{Entity, Image};
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use std::sync::mpsc;

/// Everything needed to draw one panel's text, owned so it can cross to the worker.
pub struct RasterJob {
    pub entity: Entity,
    pub lines: Vec<PanelLine>,
    /// The text as the report states it (the lines joined).
    pub text: String,
    pub cap_height_deg: f32,
    /// How far away the panel was when it was sized.
    pub viewing_distance_m: f32,
    pub pixels_per_degree: f32,
    pub style: PanelTextStyle,
}

/// A panel's text as a texture, ready to upload, and what it measures in the world.
pub struct DrawnPanel {
    /// RGBA8 sRGB with its full mip chain.
    pub texture: Image,
    pub world_width_m: f32,
    pub world_height_m: f32,
    /// What the user should be told about how the text was drawn; empty when drawn exactly as asked.
    pub notices: Vec<PanelNotice>,
}

/// A drawn panel, or why it could not be drawn, with the job it answers.
pub struct Rastered {
    pub job: RasterJob,
    pub image: Result<DrawnPanel, TextPanelError>,
}

/// The frame's side of the rasterizing worker. Non-send: the receiving end belongs to the main thread.
pub struct PanelRasterWorker {
    jobs: mpsc::Sender<RasterJob>,
    /// One answer per job: `None` for a job skipped because a newer one for its panel was waiting.
    done: mpsc::Receiver<Option<Rastered>>,
    /// Jobs sent and not yet answered.
    in_flight: usize,
}

impl Default for PanelRasterWorker {
    fn default() -> Self {
        let (jobs, worker_jobs) = mpsc::channel();
        let (worker_done, done) = mpsc::channel();
        std::thread::Builder::new()
            .name("panel-raster".into())
            .spawn(move || rasterize(&worker_jobs, &worker_done))
            .expect("a thread can be started");
        Self { jobs, done, in_flight: 0 }
    }
}

impl PanelRasterWorker {
    /// Sends a panel to be drawn.
    pub fn send(&mut self, job: RasterJob) {
        // The worker lives as long as this end does; a send can only fail if it panicked.
        if self.jobs.send(job).is_ok() {
            self.in_flight += 1;
        }
    }

    /// A finished panel: one that is ready, or with `wait`, the next one while any is in flight.
    pub fn next(&mut self, wait: bool) -> Option<Rastered> {
        if self.in_flight == 0 {
            return None;
        }
        loop {
            let answer = if wait {
                self.done.recv().map_err(|_| mpsc::TryRecvError::Disconnected)
            } else {
                self.done.try_recv()
            };
            match answer {
                Ok(answer) => {
                    self.in_flight -= 1;
                    match answer {
                        Some(rastered) => return Some(rastered),
                        None if self.in_flight == 0 => return None,
                        None => continue,
                    }
                }
                Err(mpsc::TryRecvError::Empty) => return None,
                Err(mpsc::TryRecvError::Disconnected) => {
                    // The worker is gone (it panicked): nothing more will come back.
                    self.in_flight = 0;
                    return None;
                }
            }
        }
    }
}

/// The worker: draws each job, skipping one when a newer job for the same panel is already waiting.
fn rasterize(jobs: &mpsc::Receiver<RasterJob>, done: &mpsc::Sender<Option<Rastered>>) {
    let mut rasterizer = TextRasterizer::new();
    while let Ok(first) = jobs.recv() {
        let waiting: Vec<RasterJob> = std::iter::once(first).chain(jobs.try_iter()).collect();
        let entities: Vec<Entity> = waiting.iter().map(|job| job.entity).collect();
        for (index, job) in waiting.into_iter().enumerate() {
            if entities[index + 1..].contains(&job.entity) {
                if done.send(None).is_err() {
                    return;
                }
                continue;
            }
            let image = rasterizer
                .render(&TextPanelSpec {
                    lines: &job.lines,
                    cap_height_deg: job.cap_height_deg,
                    viewing_distance_m: job.viewing_distance_m,
                    pixels_per_degree: job.pixels_per_degree,
                    style: job.style,
                })
                .map(drawn_panel);
            if done.send(Some(Rastered { job, image })).is_err() {
                return;
            }
        }
    }
}

/// The rasterized panel as a texture with mipmaps: shrunk text stays legible instead of shimmering.
fn drawn_panel(image: PanelImage) -> DrawnPanel {
    let (mips, levels) = mip_chain(&image.rgba, image.width_px, image.height_px);
    let mut texture = Image::new(
        Extent3d { width: image.width_px, height: image.height_px, depth_or_array_layers: 1 },
        TextureDimension::D2,
        image.rgba,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    texture.data = Some(mips);
    texture.texture_descriptor.mip_level_count = levels;
    texture.sampler = ImageSampler::Descriptor(ImageSamplerDescriptor::linear());
    DrawnPanel {
        texture,
        world_width_m: image.world_width_m,
        world_height_m: image.world_height_m,
        notices: image.notices,
    }
}
