//! Low-vision tools: magnifier, contrast, edges, colour filters, description, highlight, calm motion.
//!
//! The profile's `[vision]` settings (see `allverse_core::vision`) become a
//! [`VisionUniform`] on every 3D camera (the simulator's eye, the desktop
//! camera, each headset eye), so the same passes run in all three backends.
//! A camera whose user needs none of the rendering tools carries no uniform
//! and pays nothing.

mod highlight;
mod motion;
mod pass;
mod pointer;

pub use pointer::Pointed;

use crate::input::InputSystems;
use crate::rig::Rig;
use crate::session::{SessionSystems, UserProfile};
use allverse_core::vision::{ColourFilter, Magnifier, VisionSettings};
use bevy::camera::{Camera3dDepthTextureUsage, CameraUpdateSystems};
use bevy::prelude::*;
use bevy::render::extract_component::ExtractComponent;
use bevy::render::render_resource::{ShaderType, TextureUsages};
use bevy::render::view::Msaa;
use motion::MotionComfort;

/// The low-vision passes, the pointer that aims them, description on demand and highlighting.
pub struct VisionPlugin;

impl Plugin for VisionPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(pass::VisionPassPlugin)
            .init_resource::<Pointed>()
            .init_resource::<MotionComfort>()
            .add_systems(
                Update,
                (
                    (pointer::aim, motion::track_motion).in_set(SessionSystems),
                    pointer::describe.in_set(InputSystems::Act).after(pointer::aim),
                    highlight::show_highlight.in_set(SessionSystems).after(pointer::aim),
                ),
            )
            .add_systems(
                PostUpdate,
                update_cameras.after(TransformSystems::Propagate).after(CameraUpdateSystems),
            );
    }
}

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
    scene_tools: u32,
    /// 0 none, 1 lens, 2 full view, 3 bifocal strip.
    magnifier: u32,
    /// Where the pointer meets the view, 0–1 from the top left.
    lens_centre_uv: Vec2,
    magnification: f32,
    /// Lens radius, or the strip's height, as a fraction of the view's height.
    lens_size_v: f32,
    /// 0 (none) to 1 (edges of view dark).
    vignette: f32,
    /// Highest relative luminance allowed on screen, 0–1.
    brightness_cap: f32,
}

impl VisionUniform {
    /// Whether the view pass has anything to do.
    pub(crate) fn needs_view_pass(&self) -> bool {
        self.magnifier != 0 || self.vignette > 0.0 || self.brightness_cap < 1.0
    }

    /// The settings for one view, before the pointer and motion are known.
    fn from_settings(settings: &VisionSettings, vertical_fov_deg: f32) -> Self {
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
                lens_fraction / 2.0
            } else {
                lens_fraction
            },
            vignette: 0.0,
            brightness_cap: settings.brightness_cap,
        }
    }
}

/// What `update_cameras` reads and changes on a camera.
type CameraParts = (
    Entity,
    &'static Camera,
    &'static GlobalTransform,
    &'static Projection,
    &'static mut Camera3d,
    Option<&'static mut Msaa>,
    Option<&'static VisionUniform>,
);

/// Sets each 3D camera's uniform from the profile, the pointer and the motion
/// comfort; removes it when no tool changes the view.
fn update_cameras(
    mut commands: Commands,
    user: Res<UserProfile>,
    rig: Res<Rig>,
    comfort: Res<MotionComfort>,
    mut cameras: Query<CameraParts>,
) {
    let settings = &user.profile.vision;
    let (origin, direction) = pointer::ray(&rig, settings.pointer);
    for (entity, camera, at, projection, mut camera_3d, mut msaa, current) in &mut cameras {
        let vertical_fov_deg = match projection {
            Projection::Perspective(p) => p.fov.to_degrees(),
            _ => 90.0,
        };
        let mut uniform = VisionUniform::from_settings(settings, vertical_fov_deg);
        uniform.vignette = if settings.reduce_motion { comfort.vignette } else { 0.0 };
        let looked_at = origin + direction * pointer::LENS_AIM_DISTANCE_M;
        if let Some(ndc) = camera.world_to_ndc(at, looked_at).filter(|ndc| ndc.z > 0.0) {
            uniform.lens_centre_uv =
                Vec2::new((ndc.x + 1.0) / 2.0, (1.0 - ndc.y) / 2.0).clamp(Vec2::ZERO, Vec2::ONE);
        }
        if uniform.scene_tools == 0 && !uniform.needs_view_pass() {
            if current.is_some() {
                commands.entity(entity).remove::<VisionUniform>();
            }
            continue;
        }
        if uniform.scene_tools != 0 {
            // The scene pass reads depth, and runs between passes that
            // a multisampled target would resolve differently.
            let sampled = Camera3dDepthTextureUsage::from(
                TextureUsages::RENDER_ATTACHMENT | TextureUsages::TEXTURE_BINDING,
            );
            if camera_3d.depth_texture_usages.0 != sampled.0 {
                camera_3d.depth_texture_usages = sampled;
            }
            if let Some(msaa) = msaa.as_mut().filter(|m| ***m != Msaa::Off) {
                **msaa = Msaa::Off;
            }
        }
        if current != Some(&uniform) {
            commands.entity(entity).insert(uniform);
        }
    }
}
