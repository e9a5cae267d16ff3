//! What a pointer ray hits first, and how that is said aloud.
//!
//! Description on demand and highlighting ask the same question: along the
//! user's gaze, head or controller ray, which person or object is nearest?
//! Shapes are the simple solids avatars and scene objects are built from,
//! so the answer needs no physics engine and is exact for them.

use glam::{Vec3, Vec3Swizzles};

/// A solid a ray can hit, in world space (metres).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    Sphere {
        centre_m: Vec3,
        radius_m: f32,
    },
    /// A vertical capsule: the segment from `bottom_m` to `top_m`, thickened by `radius_m`.
    Capsule {
        bottom_m: Vec3,
        top_m: Vec3,
        radius_m: f32,
    },
    /// An axis-aligned box.
    Box {
        centre_m: Vec3,
        half_size_m: Vec3,
    },
}

impl Shape {
    /// Distance along the unit `direction` from `origin` to where the ray enters the shape.
    /// A ray starting inside a box hits its far side, so standing inside a room finds its walls.
    pub fn hit_m(&self, origin: Vec3, direction: Vec3) -> Option<f32> {
        match *self {
            Shape::Sphere { centre_m, radius_m } => hit_sphere(origin, direction, centre_m, radius_m),
            Shape::Capsule { bottom_m, top_m, radius_m } => {
                // The nearest hit among the two end spheres and the side cylinder.
                let ends = [bottom_m, top_m].map(|c| hit_sphere(origin, direction, c, radius_m));
                let side = hit_vertical_cylinder(origin, direction, bottom_m, top_m.y - bottom_m.y, radius_m);
                ends.into_iter().chain([side]).flatten().min_by(f32::total_cmp)
            }
            Shape::Box { centre_m, half_size_m } => hit_box(origin, direction, centre_m, half_size_m),
        }
    }
}

impl Shape {
    /// Whether `point` is inside the shape grown by `margin_m` all round.
    pub fn contains(&self, point: Vec3, margin_m: f32) -> bool {
        match *self {
            Shape::Sphere { centre_m, radius_m } => point.distance(centre_m) <= radius_m + margin_m,
            Shape::Capsule { bottom_m, top_m, radius_m } => {
                let axis = top_m - bottom_m;
                let along = ((point - bottom_m).dot(axis) / axis.length_squared().max(1e-12)).clamp(0.0, 1.0);
                point.distance(bottom_m + axis * along) <= radius_m + margin_m
            }
            Shape::Box { centre_m, half_size_m } => {
                ((point - centre_m).abs() - half_size_m).max_element() <= margin_m
            }
        }
    }
}

fn hit_sphere(origin: Vec3, direction: Vec3, centre: Vec3, radius: f32) -> Option<f32> {
    let to_origin = origin - centre;
    let b = to_origin.dot(direction);
    let c = to_origin.length_squared() - radius * radius;
    let discriminant = b * b - c;
    if discriminant < 0.0 {
        return None;
    }
    let root = discriminant.sqrt();
    [-b - root, -b + root].into_iter().find(|t| *t >= 0.0)
}

fn hit_vertical_cylinder(origin: Vec3, direction: Vec3, base: Vec3, height: f32, radius: f32) -> Option<f32> {
    let (o, d) = ((origin - base).xz(), direction.xz());
    let a = d.length_squared();
    if a < 1e-12 {
        return None;
    }
    let b = o.dot(d);
    let discriminant = b * b - a * (o.length_squared() - radius * radius);
    if discriminant < 0.0 {
        return None;
    }
    let t = (-b - discriminant.sqrt()) / a;
    let y = origin.y + direction.y * t - base.y;
    (t >= 0.0 && (0.0..=height).contains(&y)).then_some(t)
}

/// Slab test (Kay & Kajiya 1986).
fn hit_box(origin: Vec3, direction: Vec3, centre: Vec3, half_size: Vec3) -> Option<f32> {
    let inverse = direction.recip();
    let a = (centre - half_size - origin) * inverse;
    let b = (centre + half_size - origin) * inverse;
    let near = a.min(b).max_element();
    let far = a.max(b).min_element();
    if near > far || far < 0.0 {
        return None;
    }
    Some(if near >= 0.0 { near } else { far })
}

/// The index and distance of the first of `shapes` the ray hits.
pub fn first_hit<'a>(
    origin: Vec3,
    direction: Vec3,
    shapes: impl IntoIterator<Item = &'a Shape>,
) -> Option<(usize, f32)> {
    let direction = direction.try_normalize()?;
    shapes
        .into_iter()
        .enumerate()
        .filter_map(|(i, shape)| shape.hit_m(origin, direction).map(|d| (i, d)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// What "describe" says: the name and the distance to a tenth of a metre
/// ("Anna, 2.4 metres"), or in centimetres within one metre.
pub fn describe(name: &str, distance_m: f32) -> String {
    if distance_m < 1.0 {
        format!("{name}, {} centimetres", (distance_m * 100.0).round())
    } else {
        format!("{name}, {:.1} metres", distance_m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_shape_along_the_ray_wins() {
        let person = Shape::Capsule {
            bottom_m: Vec3::new(0.0, 0.3, -3.0),
            top_m: Vec3::new(0.0, 1.2, -3.0),
            radius_m: 0.25,
        };
        let room = Shape::Box { centre_m: Vec3::new(0.0, 1.5, 0.0), half_size_m: Vec3::new(5.0, 1.5, 5.0) };
        let eye = Vec3::new(0.0, 1.6, 0.0);
        let (index, distance) = first_hit(eye, Vec3::new(0.0, -0.1, -1.0), &[room, person]).unwrap();
        assert_eq!(index, 1);
        assert!((2.75..2.85).contains(&distance), "the top of the head, {distance}");
        let (index, distance) = first_hit(eye, Vec3::NEG_Z, &[room, person]).unwrap();
        assert_eq!(index, 0, "over a seated person's head, the far wall");
        assert!((distance - 5.0).abs() < 1e-4, "{distance}");
        assert_eq!(first_hit(eye, Vec3::ZERO, &[room]), None, "no direction, no hit");
    }

    #[test]
    fn spheres_behind_the_eye_are_not_hit() {
        let head = Shape::Sphere { centre_m: Vec3::new(0.0, 0.0, 2.0), radius_m: 0.2 };
        assert_eq!(head.hit_m(Vec3::ZERO, Vec3::NEG_Z), None);
        assert!((head.hit_m(Vec3::ZERO, Vec3::Z).unwrap() - 1.8).abs() < 1e-5);
    }

    #[test]
    fn containment_grows_with_the_margin() {
        let person = Shape::Capsule { bottom_m: Vec3::ZERO, top_m: Vec3::Y, radius_m: 0.2 };
        assert!(person.contains(Vec3::new(0.1, 0.5, 0.0), 0.0));
        assert!(!person.contains(Vec3::new(0.3, 0.5, 0.0), 0.0));
        assert!(person.contains(Vec3::new(0.3, 0.5, 0.0), 0.15));
        let table = Shape::Box { centre_m: Vec3::ZERO, half_size_m: Vec3::splat(0.5) };
        assert!(
            table.contains(Vec3::new(0.55, 0.0, 0.0), 0.1) && !table.contains(Vec3::new(0.7, 0.0, 0.0), 0.1)
        );
    }

    #[test]
    fn descriptions_say_metres_or_centimetres() {
        assert_eq!(describe("Anna", 2.43), "Anna, 2.4 metres");
        assert_eq!(describe("the door", 0.62), "the door, 62 centimetres");
    }
}
