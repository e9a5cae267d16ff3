//! Geometry for placement: angular size, head-relative directions, field of view, pointing.
//!
//! Text and panels in XR are sized by the angle they subtend at the eye, not
//! by metres, because that is what decides legibility: a 0.7° cap height is
//! as readable at 1 m as at 5 m. These functions convert between the two and
//! answer the questions placement code keeps asking ("can the user see this
//! point?", "which way must they turn?").

use glam::{Affine3A, Vec3};

/// The largest space Allverse lays out, in metres: the longest side a room
/// may have, and twice the farthest a position read from a file may lie from
/// the origin. Larger numbers in a file are mistakes (or `inf`), and would
/// put people and signs where no text can be read and no voice heard.
pub const WORLD_EXTENT_M: f32 = 1000.0;

/// Whether every coordinate of `point` is a number within half of
/// [`WORLD_EXTENT_M`] of the origin; NaN and the infinities are not.
pub fn in_world(point: Vec3) -> bool {
    point.to_array().iter().all(|c| c.abs() <= WORLD_EXTENT_M / 2.0)
}

/// World size (metres) of something that subtends `angle_deg` at `distance_m`.
pub fn world_size_for_angle_m(angle_deg: f32, distance_m: f32) -> f32 {
    2.0 * distance_m * (angle_deg.to_radians() / 2.0).tan()
}

/// Angle (degrees) subtended by `size_m` seen face-on from `distance_m`.
pub fn angle_for_world_size_deg(size_m: f32, distance_m: f32) -> f32 {
    (2.0 * (size_m / (2.0 * distance_m)).atan()).to_degrees()
}

/// Whether text sized for `sized_for_m` must be re-sized now that it is seen
/// from `now_m`, to keep its angular size. A band of ±25 % keeps a user
/// who sways or leans from re-rendering text every frame, while walking up
/// to or away from a panel keeps its text the size they asked for.
pub fn needs_resize(sized_for_m: f32, now_m: f32) -> bool {
    const BAND: f32 = 1.25;
    let ratio = now_m / sized_for_m;
    !(1.0 / BAND..=BAND).contains(&ratio)
}

/// Where a point lies relative to the head: its direction and distance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeadRelative {
    /// Rotation about the head's up axis; positive is to the user's left.
    pub yaw_deg: f32,
    /// Rotation above (positive) or below the head's horizon.
    pub pitch_deg: f32,
    pub distance_m: f32,
}

/// Direction and distance from the head to `point_world`.
///
/// `world_from_head` is the head pose; the head looks down its local −Z.
pub fn head_relative(world_from_head: &Affine3A, point_world: Vec3) -> HeadRelative {
    let p = world_from_head.inverse().transform_point3(point_world);
    let (yaw_deg, pitch_deg) = yaw_pitch_deg_from_direction(p);
    HeadRelative { yaw_deg, pitch_deg, distance_m: p.length() }
}

/// Yaw (positive to the left, 0 straight ahead) and pitch (positive up) of a
/// head-space direction, in degrees. Any length works; zero gives (0, 0).
///
/// The head looks down −Z with +Y up, so yaw is `atan2(−x, −z)`: straight
/// ahead (−Z) is 0°, the left (−X) +90°, behind ±180°. This is also the
/// azimuth/elevation convention of SOFA's spherical source positions (AES69).
pub fn yaw_pitch_deg_from_direction(direction: Vec3) -> (f32, f32) {
    let horizontal = (direction.x * direction.x + direction.z * direction.z).sqrt();
    ((-direction.x).atan2(-direction.z).to_degrees(), direction.y.atan2(horizontal).to_degrees())
}

/// The head-space unit direction for a yaw and pitch in degrees; the inverse
/// of [`yaw_pitch_deg_from_direction`].
pub fn direction_from_yaw_pitch_deg(yaw_deg: f32, pitch_deg: f32) -> Vec3 {
    let (yaw, pitch) = (yaw_deg.to_radians(), pitch_deg.to_radians());
    Vec3::new(-yaw.sin() * pitch.cos(), pitch.sin(), -yaw.cos() * pitch.cos())
}

/// What a ray points at: the target nearest its axis, how far off the axis
/// (degrees) and how far from the ray's origin (metres).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConeHit<T> {
    pub target: T,
    pub angle_deg: f32,
    pub distance_m: f32,
}

/// The target whose position is nearest the ray from `origin` along
/// `direction`, if any lies within `cone_deg` of it.
///
/// Gaze focus, "read what I look at" and controller rays all pick targets
/// this way: by angle, not by distance, so a small panel far away is as easy
/// to point at as a near one of the same angular size.
pub fn nearest_in_cone<T>(
    origin: Vec3,
    direction: Vec3,
    cone_deg: f32,
    targets: impl IntoIterator<Item = (T, Vec3)>,
) -> Option<ConeHit<T>> {
    targets
        .into_iter()
        .map(|(target, at)| {
            let to = at - origin;
            ConeHit { target, angle_deg: direction.angle_between(to).to_degrees(), distance_m: to.length() }
        })
        .filter(|hit| hit.angle_deg <= cone_deg)
        .min_by(|a, b| a.angle_deg.total_cmp(&b.angle_deg))
}

/// A field of view as half-angles from the view centre.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FieldOfView {
    pub half_horizontal_deg: f32,
    pub half_vertical_deg: f32,
}

impl FieldOfView {
    /// A conservative headset field of view (about 90° × 80° of clear vision
    /// on current headsets, so content inside it is seen without searching).
    pub const HEADSET: Self = Self { half_horizontal_deg: 45.0, half_vertical_deg: 40.0 };

    /// The view of a perspective camera with a vertical angle and an aspect
    /// ratio (width / height), such as the simulator's eye.
    pub fn from_vertical(vertical_deg: f32, aspect_ratio: f32) -> Self {
        let half_vertical = (vertical_deg / 2.0).to_radians();
        let half_horizontal = (half_vertical.tan() * aspect_ratio).atan();
        Self { half_horizontal_deg: half_horizontal.to_degrees(), half_vertical_deg: vertical_deg / 2.0 }
    }

    /// Whether `point_world` is in front of the head and inside this view.
    pub fn contains(&self, world_from_head: &Affine3A, point_world: Vec3) -> bool {
        let p = world_from_head.inverse().transform_point3(point_world);
        if p.z >= 0.0 {
            return false;
        }
        let depth = -p.z;
        let yaw_deg = p.x.atan2(depth).to_degrees().abs();
        let pitch_deg = p.y.atan2(depth).to_degrees().abs();
        yaw_deg <= self.half_horizontal_deg && pitch_deg <= self.half_vertical_deg
    }
}

/// A head pose from position and yaw/pitch (degrees), the way scenarios and
/// simulated rigs describe it. Yaw turns left for positive values.
pub fn world_from_head(position: Vec3, yaw_deg: f32, pitch_deg: f32) -> Affine3A {
    let rotation = glam::Quat::from_rotation_y(yaw_deg.to_radians())
        * glam::Quat::from_rotation_x(pitch_deg.to_radians());
    Affine3A::from_rotation_translation(rotation, position)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32, tolerance: f32) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn angular_size_round_trips() {
        let size_m = world_size_for_angle_m(0.7, 2.0);
        // 2·2·tan(0.35°) ≈ 0.02443 m
        assert!(close(size_m, 0.024_43, 1e-4), "{size_m}");
        assert!(close(angle_for_world_size_deg(size_m, 2.0), 0.7, 1e-4));
        // One degree at 57.3 m is about one metre (the classic rule of thumb).
        assert!(close(world_size_for_angle_m(1.0, 57.2958), 1.0, 1e-3));
    }

    #[test]
    fn resizing_waits_for_a_real_change_in_distance() {
        assert!(!needs_resize(2.0, 2.0));
        assert!(!needs_resize(2.0, 2.4) && !needs_resize(2.0, 1.7));
        assert!(needs_resize(2.0, 2.6) && needs_resize(2.0, 1.5));
    }

    #[test]
    fn head_relative_directions() {
        let head = world_from_head(Vec3::new(0.0, 1.6, 0.0), 0.0, 0.0);
        let ahead = head_relative(&head, Vec3::new(0.0, 1.6, -2.0));
        assert!(close(ahead.yaw_deg, 0.0, 1e-4) && close(ahead.distance_m, 2.0, 1e-5));
        let left = head_relative(&head, Vec3::new(-3.0, 1.6, 0.0));
        assert!(close(left.yaw_deg, 90.0, 1e-3), "{left:?}");
        let above = head_relative(&head, Vec3::new(0.0, 2.6, -1.0));
        assert!(close(above.pitch_deg, 45.0, 1e-3), "{above:?}");

        // Turning the head 90° left puts the left point straight ahead.
        let turned = world_from_head(Vec3::new(0.0, 1.6, 0.0), 90.0, 0.0);
        assert!(close(head_relative(&turned, Vec3::new(-3.0, 1.6, 0.0)).yaw_deg, 0.0, 1e-3));
    }

    #[test]
    fn field_of_view_excludes_behind_and_far_sides() {
        let head = world_from_head(Vec3::ZERO, 0.0, 0.0);
        let fov = FieldOfView::HEADSET;
        assert!(fov.contains(&head, Vec3::new(0.0, 0.0, -1.0)));
        assert!(fov.contains(&head, Vec3::new(0.9, 0.0, -1.0)));
        assert!(!fov.contains(&head, Vec3::new(1.2, 0.0, -1.0)));
        assert!(!fov.contains(&head, Vec3::new(0.0, 0.0, 1.0)));
        assert!(!fov.contains(&head, Vec3::new(0.0, -1.0, -1.0)));
        let square = FieldOfView::from_vertical(90.0, 1.0);
        assert!(close(square.half_horizontal_deg, 45.0, 1e-4) && close(square.half_vertical_deg, 45.0, 1e-4));
        let wide = FieldOfView::from_vertical(70.0, 16.0 / 9.0);
        assert!(close(wide.half_horizontal_deg, 51.22, 0.01), "{wide:?}");
    }

    #[test]
    fn yaw_pitch_and_direction_round_trip() {
        for (yaw, pitch) in
            [(0.0, 0.0), (90.0, 0.0), (-90.0, 0.0), (30.0, 40.0), (-150.0, -30.0), (45.0, -60.0)]
        {
            let direction = direction_from_yaw_pitch_deg(yaw, pitch);
            let (y, p) = yaw_pitch_deg_from_direction(direction * 3.0);
            assert!(close(y, yaw, 1e-3) && close(p, pitch, 1e-3), "{yaw},{pitch} -> {y},{p}");
        }
        assert!(direction_from_yaw_pitch_deg(90.0, 0.0).x < -0.99, "+90° is to the left (−X)");
        assert!(direction_from_yaw_pitch_deg(0.0, 0.0).z < -0.99, "0° is straight ahead (−Z)");
    }

    #[test]
    fn the_nearest_target_within_the_cone_is_hit() {
        let targets = [("far-off", Vec3::new(1.0, 0.0, -1.0)), ("near-axis", Vec3::new(0.05, 0.0, -2.0))];
        let hit = nearest_in_cone(Vec3::ZERO, Vec3::NEG_Z, 3.0, targets).unwrap();
        assert_eq!(hit.target, "near-axis");
        assert!(close(hit.distance_m, 2.0, 1e-3) && hit.angle_deg < 1.5, "{hit:?}");
        assert!(nearest_in_cone(Vec3::ZERO, Vec3::NEG_Z, 1.0, targets).is_none(), "outside every cone");
    }
}
