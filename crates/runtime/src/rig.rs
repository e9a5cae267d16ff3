//! The user's tracked body: head, two controllers and an eye-gaze ray.
//!
//! Every backend writes the [`Rig`] from its own source (scenario keys,
//! keyboard and mouse, or the headset's tracking) and every feature reads
//! it, so placement code never knows which backend is running.

use crate::session::{SessionSystems, UserProfile};
use allverse_core::placement::{self, direction_from_yaw_pitch_deg, yaw_pitch_deg_from_direction};
use bevy::prelude::*;

/// The rig, its visible stand-ins (controllers, gaze reticle), and the head camera following it.
pub struct RigPlugin;

impl Plugin for RigPlugin {
    fn build(&self, app: &mut App) {
        let reach_extension_m = app.world().resource::<UserProfile>().profile.comfort.reach_extension_m;
        app.insert_resource(Rig { reach_extension_m, ..default() })
            .add_systems(Startup, spawn_rig_parts)
            .add_systems(Update, follow_rig.in_set(SessionSystems));
    }
}

#[derive(Resource, Clone, Debug, PartialEq)]
pub struct Rig {
    /// `world_from_head`: the head looks down its local −Z.
    pub head: Transform,
    /// The head as tracking reports it, in the tracked space.
    pub tracked_head: Transform,
    /// Where the tracked space is in the world: moved by turning,
    /// teleporting and recentering, so the user moves without walking.
    pub world_from_tracking: Transform,
    /// Controller poses in head space: each maps hand-space points to head space.
    pub head_from_left_hand: Transform,
    pub head_from_right_hand: Transform,
    /// Seated reach: each controller acts this much further along where it points.
    pub reach_extension_m: f32,
    /// Eye-gaze direction relative to the head, degrees.
    pub gaze_yaw_deg: f32,
    pub gaze_pitch_deg: f32,
}

impl Default for Rig {
    fn default() -> Self {
        Self {
            head: Transform::from_xyz(0.0, 1.6, 0.0),
            tracked_head: Transform::from_xyz(0.0, 1.6, 0.0),
            world_from_tracking: Transform::IDENTITY,
            reach_extension_m: 0.0,
            head_from_left_hand: Transform::from_xyz(-0.2, -0.45, -0.35),
            head_from_right_hand: Transform::from_xyz(0.2, -0.45, -0.35),
            gaze_yaw_deg: 0.0,
            gaze_pitch_deg: 0.0,
        }
    }
}

/// A pose given as position and yaw/pitch, the way scenarios describe it.
pub fn transform_from_yaw_pitch(position_m: Vec3, yaw_deg: f32, pitch_deg: f32) -> Transform {
    let world_from_head = placement::world_from_head(position_m, yaw_deg, pitch_deg);
    Transform::from_matrix(Mat4::from(world_from_head))
}

impl Rig {
    /// Sets the head from tracking; the world pose follows the tracked space.
    pub fn set_tracked_head(&mut self, tracked_head: Transform) {
        self.tracked_head = tracked_head;
        self.head = self.world_from_tracking * tracked_head;
    }

    pub fn world_from_head(&self) -> bevy::math::Affine3A {
        self.head.compute_affine()
    }

    /// A controller in the world, moved out along its pointing direction by the seated reach.
    pub fn world_from_hand(&self, left: bool) -> Transform {
        let head_from_hand = if left { self.head_from_left_hand } else { self.head_from_right_hand };
        let mut hand = self.head * head_from_hand;
        hand.translation += hand.forward() * self.reach_extension_m;
        hand
    }

    /// Turns the eyes (not the head) toward a point in the world.
    pub fn look_at(&mut self, point: Vec3) {
        let in_head = self.head.rotation.inverse() * (point - self.head.translation);
        if in_head.length_squared() > 0.0 {
            (self.gaze_yaw_deg, self.gaze_pitch_deg) = yaw_pitch_deg_from_direction(in_head);
        }
    }

    /// World-space direction the eyes look along.
    pub fn gaze_direction(&self) -> Vec3 {
        self.head.rotation * direction_from_yaw_pitch_deg(self.gaze_yaw_deg, self.gaze_pitch_deg)
    }
}

/// Marks the entity that shows the user's view (the simulator's eye or the desktop camera).
#[derive(Component)]
pub struct HeadCamera;

#[derive(Component, Clone, Copy, PartialEq, Eq)]
pub enum RigPart {
    LeftController,
    RightController,
    GazeReticle,
}

/// Distance at which the gaze reticle is drawn.
const GAZE_RETICLE_DISTANCE_M: f32 = 2.5;

/// Spawns visible stand-ins for the controllers and the gaze point.
fn spawn_rig_parts(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let controller = meshes.add(Cuboid::new(0.05, 0.04, 0.14));
    let controller_material = materials.add(Color::srgb(0.2, 0.2, 0.25));
    for part in [RigPart::LeftController, RigPart::RightController] {
        commands.spawn((
            part,
            Mesh3d(controller.clone()),
            MeshMaterial3d(controller_material.clone()),
            Transform::default(),
        ));
    }
    commands.spawn((
        RigPart::GazeReticle,
        Mesh3d(meshes.add(Torus::new(0.012, 0.02))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color: Color::srgb(1.0, 0.8, 0.0),
            unlit: true,
            ..default()
        })),
        Transform::default(),
    ));
}

/// Moves the head camera and the rig parts to where the rig says.
fn follow_rig(
    rig: Res<Rig>,
    mut cameras: Query<&mut Transform, (With<HeadCamera>, Without<RigPart>)>,
    mut parts: Query<(&RigPart, &mut Transform), Without<HeadCamera>>,
) {
    for mut camera in &mut cameras {
        *camera = rig.head;
    }
    for (part, mut transform) in &mut parts {
        *transform = match part {
            RigPart::LeftController => rig.world_from_hand(true),
            RigPart::RightController => rig.world_from_hand(false),
            RigPart::GazeReticle => {
                let direction = rig.gaze_direction();
                Transform::from_translation(rig.head.translation + direction * GAZE_RETICLE_DISTANCE_M)
                    .looking_to(direction, Vec3::Y)
                    // The torus lies in XZ; stand it up to face the eye.
                    * Transform::from_rotation(Quat::from_rotation_x(std::f32::consts::FRAC_PI_2))
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seated_reach_moves_the_controller_out_along_its_ray() {
        let mut rig = Rig::default();
        let arm = rig.world_from_hand(false);
        rig.reach_extension_m = 0.6;
        let reached = rig.world_from_hand(false);
        assert!((reached.translation - arm.translation).abs_diff_eq(*arm.forward() * 0.6, 1e-5));
        assert_eq!(reached.rotation, arm.rotation, "it points the same way");
    }

    #[test]
    fn gaze_follows_head_and_eye_angles() {
        let mut rig = Rig::default();
        assert!(rig.gaze_direction().abs_diff_eq(Vec3::NEG_Z, 1e-5));
        rig.head = transform_from_yaw_pitch(Vec3::ZERO, 90.0, 0.0);
        assert!(rig.gaze_direction().abs_diff_eq(Vec3::NEG_X, 1e-5), "{}", rig.gaze_direction());
        rig.gaze_pitch_deg = 90.0;
        assert!(rig.gaze_direction().abs_diff_eq(Vec3::Y, 1e-5));
        let target = Vec3::new(-3.0, 2.5, 1.0);
        rig.look_at(target);
        let toward = (target - rig.head.translation).normalize();
        assert!(rig.gaze_direction().abs_diff_eq(toward, 1e-5), "{}", rig.gaze_direction());
    }
}
