//! Moving the user without walking: snap turns, teleports, recentering and the safe place.

use super::messages::{ActionRequested, requested};
use crate::rig::Rig;
use crate::session::{PresentedEvent, SessionClock, SessionConfig, SessionReport};
use allverse_core::input::Action;
use bevy::prelude::*;

/// Snap turns: a quick, fixed step is easier on the stomach than smooth turning.
const SNAP_TURN_DEG: f32 = 30.0;
const TELEPORT_DISTANCE_M: f32 = 2.0;
/// Teleports stop this far from the walls.
const WALL_MARGIN_M: f32 = 0.5;

/// Turning, teleporting, recentering and going back to the safe place move
/// the tracked space in the world; the tracked head moves with it.
pub fn move_user(
    mut actions: MessageReader<ActionRequested>,
    config: Res<SessionConfig>,
    clock: Res<SessionClock>,
    mut rig: ResMut<Rig>,
    mut report: ResMut<SessionReport>,
) {
    let moves =
        [Action::Teleport, Action::TurnLeft, Action::TurnRight, Action::RecenterView, Action::GoToSafePlace];
    for action in requested(&mut actions, &moves) {
        let head = rig.head.translation;
        let world_from_tracking = &mut rig.world_from_tracking;
        match action {
            Action::TurnLeft | Action::TurnRight => {
                let sign = if action == Action::TurnLeft { 1.0 } else { -1.0 };
                // Turn about the head, not the tracking origin, so the user stays where they are.
                let turn = Quat::from_rotation_y((sign * SNAP_TURN_DEG).to_radians());
                world_from_tracking.rotate_around(Vec3::new(head.x, 0.0, head.z), turn);
            }
            Action::Teleport => {
                let mut ahead = *rig.head.forward();
                ahead.y = 0.0;
                let half = config.scenario.room.size_m / 2.0 - Vec3::splat(WALL_MARGIN_M);
                let target = head + ahead.normalize_or_zero() * TELEPORT_DISTANCE_M;
                let target =
                    target.clamp(Vec3::new(-half.x, target.y, -half.z), Vec3::new(half.x, target.y, half.z));
                rig.world_from_tracking.translation += target - head;
            }
            Action::RecenterView => {
                // Face the way the room faces again, where the user stands now.
                let yaw = rig.world_from_tracking.rotation.to_euler(EulerRot::YXZ).0;
                let pivot = Vec3::new(head.x, 0.0, head.z);
                rig.world_from_tracking.rotate_around(pivot, Quat::from_rotation_y(-yaw));
            }
            Action::GoToSafePlace => rig.world_from_tracking = Transform::IDENTITY,
            _ => unreachable!("filtered to moves"),
        }
        let position = rig.world_from_tracking.transform_point(rig.tracked_head.translation);
        let yaw_deg = (rig.world_from_tracking.rotation * rig.tracked_head.rotation)
            .to_euler(EulerRot::YXZ)
            .0
            .to_degrees();
        report.record(clock.elapsed_s(), PresentedEvent::Moved { position_m: position.to_array(), yaw_deg });
    }
}
