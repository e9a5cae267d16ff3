//! The pointer: what the user's gaze, head or controller points at, and "what is that?".

use crate::input::{ActionRequested, Announce, requested};
use crate::rig::Rig;
use crate::scene::Describable;
use crate::session::UserProfile;
use allverse_core::input::Action;
use allverse_core::pointing::{describe as describe_hit, first_hit};
use allverse_core::vision::Pointer;
use bevy::prelude::*;

/// The lens centres on the pointer's direction this far out, so a controller
/// ray (which starts at the hand, not the eye) still lands where it points.
pub(crate) const LENS_AIM_DISTANCE_M: f32 = 10.0;

/// What the pointer hits first this frame.
#[derive(Resource, Default, Debug, Clone, PartialEq)]
pub struct Pointed {
    pub target: Option<PointedAt>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PointedAt {
    pub entity: Entity,
    pub name: String,
    /// Where the ray meets it, in the world.
    pub point_m: Vec3,
    /// From the pointer's origin (the eye, or the controller).
    pub distance_m: f32,
}

/// The pointer's origin and unit direction in the world.
pub(crate) fn ray(rig: &Rig, pointer: Pointer) -> (Vec3, Vec3) {
    match pointer {
        Pointer::Gaze => (rig.head.translation, rig.gaze_direction()),
        Pointer::Head => (rig.head.translation, *rig.head.forward()),
        Pointer::Controller => {
            let hand = rig.world_from_hand(false);
            (hand.translation, *hand.forward())
        }
    }
}

/// Finds what the pointer hits among the people, objects and walls.
pub(crate) fn aim(
    rig: Res<Rig>,
    user: Res<UserProfile>,
    things: Query<(Entity, &Describable)>,
    mut pointed: ResMut<Pointed>,
) {
    let (origin, direction) = ray(&rig, user.profile.vision.pointer);
    let hit = first_hit(origin, direction, things.iter().map(|(_, d)| &d.shape));
    let target = hit.and_then(|(index, distance_m)| {
        let (entity, describable) = things.iter().nth(index)?;
        Some(PointedAt {
            entity,
            name: describable.name.clone(),
            point_m: origin + direction * distance_m,
            distance_m,
        })
    });
    if pointed.target != target {
        pointed.target = target;
    }
}

/// "What is that?": says the pointed-at thing's name and distance, from where it is.
pub(crate) fn describe(
    mut actions: MessageReader<ActionRequested>,
    pointed: Res<Pointed>,
    rig: Res<Rig>,
    mut announce: MessageWriter<Announce>,
) {
    for _ in requested(&mut actions, &[Action::Describe]) {
        announce.write(match &pointed.target {
            Some(at) => Announce {
                text: describe_hit(&at.name, at.distance_m),
                source: "describe".into(),
                position_m: at.point_m,
            },
            None => Announce {
                text: "There is nothing there.".into(),
                source: "describe".into(),
                position_m: rig.head.translation,
            },
        });
    }
}
