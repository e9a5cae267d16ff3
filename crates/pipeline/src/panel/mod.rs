//! Panel images: RGBA pixels plus the world size they must be shown at.

mod fonts;
mod mipmap;
mod text;
mod video;

pub use mipmap::mip_chain;
pub use video::{FrameSlot, FrameTiming, VideoFrame, pack_rows};

pub use allverse_core::panel_text::{LineWeight, PanelLine};
pub use text::{
    MAX_PANEL_CHARS, MAX_PANEL_WIDTH_DEG, MAX_TEXTURE_EDGE_PX, PanelNotice, PanelTextStyle, TextPanelError,
    TextPanelSpec, TextRasterizer,
};

/// An RGBA8 image (sRGB, straight alpha, rows top to bottom, no padding)
/// and the size in metres at which it must be displayed to keep its
/// intended angular size.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelImage {
    pub width_px: u32,
    pub height_px: u32,
    pub rgba: Vec<u8>,
    pub world_width_m: f32,
    pub world_height_m: f32,
    /// What the user should be told about how the text was drawn (wrapped
    /// text needs none; scaled-down, cut or partly undrawable text does).
    /// Empty for an image drawn exactly as asked.
    pub notices: Vec<PanelNotice>,
}

impl PanelImage {
    /// The pixel at (x, y) as `[r, g, b, a]`.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * self.width_px + x) * 4) as usize;
        self.rgba[i..i + 4].try_into().expect("four channels")
    }
}
