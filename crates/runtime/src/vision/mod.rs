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
mod uniform;

pub use pointer::Pointed;
pub use uniform::VisionUniform;

use crate::input::InputSystems;
use crate::rig::Rig;
use crate::session::{SessionSystems, UserProfile};
use bevy::camera::{Camera3dDepthTextureUsage, CameraUpdateSystems};
use bevy::prelude::*;
use bevy::render::render_resource::TextureUsages;
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
