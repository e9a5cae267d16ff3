//! Highlighting: the person or object the pointer is on gets an outline or a glow.
//!
//! Both are a shell a little larger than the target with its front faces
//! culled, so only a rim shows around the silhouette (the "inverted hull"
//! outline) and the target itself is never covered.

use super::pointer::Pointed;
use crate::panels::QuadAssets;
use crate::rig::Rig;
use crate::scene::Describable;
use crate::session::UserProfile;
use allverse_core::pointing::Shape;
use allverse_core::vision::Highlight;
use bevy::prelude::*;
use bevy::render::render_resource::Face;

/// How far the outline shell stands out from the target.
const OUTLINE_MARGIN_M: f32 = 0.03;
/// The glow shell reaches further and is faint and additive.
const GLOW_MARGIN_M: f32 = 0.08;
const GLOW_STRENGTH: f32 = 0.45;
/// No shell is drawn when the eye is this close to it (the near clipping plane is 0.1 m).
const EYE_CLEARANCE_M: f32 = 0.15;

/// The one highlight shell, and what it was built for.
#[derive(Component)]
pub(crate) struct HighlightShell {
    built_for: (Entity, Highlight, [u8; 3]),
}

pub(crate) fn show_highlight(
    mut commands: Commands,
    user: Res<UserProfile>,
    rig: Res<Rig>,
    pointed: Res<Pointed>,
    targets: Query<&Describable>,
    shells: Query<(Entity, &HighlightShell)>,
    mut assets: QuadAssets,
) {
    let settings = &user.profile.vision;
    let colour = settings.edge_colour.0;
    let eye = rig.head.translation;
    let wanted = pointed
        .target
        .as_ref()
        .filter(|_| settings.highlight != Highlight::Off)
        .and_then(|at| Some((at.entity, targets.get(at.entity).ok().filter(|d| d.highlightable)?)))
        // With the eye in (or at) the shell, it would fill the whole view.
        .filter(|(_, d)| !d.shape.contains(eye, GLOW_MARGIN_M + EYE_CLEARANCE_M))
        .map(|(entity, describable)| {
            ((entity, settings.highlight, [colour.r, colour.g, colour.b]), describable)
        });
    let current = shells.single().ok();
    if current.map(|(_, s)| s.built_for) == wanted.as_ref().map(|(key, _)| *key) {
        return;
    }
    if let Some((shell, _)) = current {
        commands.entity(shell).despawn();
    }
    let Some((key, describable)) = wanted else { return };
    let base = Color::srgb_u8(colour.r, colour.g, colour.b);
    let (margin_m, material) = match key.1 {
        Highlight::Glow => (
            GLOW_MARGIN_M,
            StandardMaterial {
                base_color: base.with_alpha(GLOW_STRENGTH),
                alpha_mode: AlphaMode::Add,
                ..shell_material()
            },
        ),
        _ => (OUTLINE_MARGIN_M, StandardMaterial { base_color: base, ..shell_material() }),
    };
    let (mesh, transform) = shell_mesh(&describable.shape, margin_m);
    commands.spawn((
        HighlightShell { built_for: key },
        Mesh3d(assets.meshes.add(mesh)),
        MeshMaterial3d(assets.materials.add(material)),
        transform,
    ));
}

fn shell_material() -> StandardMaterial {
    StandardMaterial { unlit: true, cull_mode: Some(Face::Front), ..default() }
}

/// A mesh `margin_m` larger than `shape` all round, and where it goes.
fn shell_mesh(shape: &Shape, margin_m: f32) -> (Mesh, Transform) {
    match *shape {
        Shape::Sphere { centre_m, radius_m } => {
            (Sphere::new(radius_m + margin_m).into(), Transform::from_translation(centre_m))
        }
        Shape::Capsule { bottom_m, top_m, radius_m } => (
            Capsule3d::new(radius_m + margin_m, top_m.y - bottom_m.y).into(),
            Transform::from_translation((bottom_m + top_m) / 2.0),
        ),
        Shape::Box { centre_m, half_size_m } => {
            (Cuboid::from_size(2.0 * (half_size_m + margin_m)).into(), Transform::from_translation(centre_m))
        }
    }
}
