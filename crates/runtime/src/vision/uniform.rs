//! What the vision shader reads for one view.

use allverse_core::vision::{ColourFilter, Magnifier, VisionSettings};
use bevy::prelude::*;
use bevy::render::extract_component::ExtractComponent;
use bevy::render::render_resource::ShaderType;

/// The largest share of the view's height the lens (its diameter) and the
/// bifocal strip may take, so that some of the unmagnified view always stays.
const MAX_LENS_FRACTION: f32 = 0.8;
const MAX_STRIP_FRACTION: f32 = 0.5;

/// What the vision shader reads for one view; field order and types match `vision.wgsl`.
#[derive(Component, ExtractComponent, Clone, Copy, ShaderType, Default, Debug, PartialEq)]
pub struct VisionUniform {
    colour_matrix: Mat3,
    colour_offset: Vec3,
    contrast: f32,
    /// Linear RGB, alpha 1.
    edge_colour: Vec4,
    brightness: f32,
    edge_thickness_px: f32,
    /// Bit 0: colour filter; bit 1: contrast or brightness; bit 2: edges. Zero skips the scene pass.
    pub(crate) scene_tools: u32,
    /// 0 none, 1 lens, 2 full view, 3 bifocal strip.
    magnifier: u32,
    /// Where the pointer meets the view, 0–1 from the top left.
    pub(crate) lens_centre_uv: Vec2,
    magnification: f32,
    /// Lens radius, or the strip's height, as a fraction of the view's height.
    lens_size_v: f32,
    /// 0 (none) to 1 (edges of view dark).
    pub(crate) vignette: f32,
    /// Highest relative luminance allowed on screen, 0–1.
    brightness_cap: f32,
}

impl VisionUniform {
    /// Whether the view pass has anything to do.
    pub(crate) fn needs_view_pass(&self) -> bool {
        self.magnifier != 0 || self.vignette > 0.0 || self.brightness_cap < 1.0
    }

    /// The settings for one view, before the pointer and motion are known.
    pub(crate) fn from_settings(settings: &VisionSettings, vertical_fov_deg: f32) -> Self {
        let filter = settings.filter_transform();
        let edge = Color::srgba_u8(
            settings.edge_colour.0.r,
            settings.edge_colour.0.g,
            settings.edge_colour.0.b,
            255,
        )
        .to_linear();
        let scene_tools = u32::from(settings.filter != ColourFilter::None)
            | (u32::from(settings.contrast != 1.0 || settings.brightness != 1.0) << 1)
            | (u32::from(settings.edges) << 2);
        let lens_fraction = settings.lens_size_deg / vertical_fov_deg.max(1.0);
        Self {
            colour_matrix: filter.matrix,
            colour_offset: filter.offset,
            contrast: settings.contrast,
            edge_colour: Vec4::new(edge.red, edge.green, edge.blue, 1.0),
            brightness: settings.brightness,
            edge_thickness_px: settings.edge_thickness_px,
            scene_tools,
            magnifier: match settings.magnifier {
                Magnifier::Off => 0,
                Magnifier::Lens => 1,
                Magnifier::FullView => 2,
                Magnifier::Bifocal => 3,
            },
            lens_centre_uv: Vec2::splat(0.5),
            magnification: settings.magnification,
            // The lens setting is a diameter; the shader wants a radius.
            lens_size_v: if settings.magnifier == Magnifier::Lens {
                lens_fraction.min(MAX_LENS_FRACTION) / 2.0
            } else {
                lens_fraction.min(MAX_STRIP_FRACTION)
            },
            vignette: 0.0,
            brightness_cap: settings.brightness_cap,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lens_and_strip_always_leave_part_of_the_view() {
        let settings = |magnifier| VisionSettings { magnifier, lens_size_deg: 60.0, ..Default::default() };
        let strip = VisionUniform::from_settings(&settings(Magnifier::Bifocal), 60.0);
        assert_eq!(strip.lens_size_v, MAX_STRIP_FRACTION);
        let lens = VisionUniform::from_settings(&settings(Magnifier::Lens), 60.0);
        assert_eq!(lens.lens_size_v, MAX_LENS_FRACTION / 2.0, "a radius");
        let small = VisionUniform::from_settings(
            &VisionSettings { magnifier: Magnifier::Lens, ..Default::default() },
            60.0,
        );
        assert!((small.lens_size_v - 20.0 / 60.0 / 2.0).abs() < 1e-6, "the default 20° lens is as asked");
    }
}
