//! Pointing at menus: the eyes (or head) select by dwelling, controller rays move focus.

use super::InputRouter;
use crate::rig::Rig;
use crate::session::{SessionClock, SessionConfig};
use allverse_core::input::{Action, DwellSettings, InputDevice};
use allverse_input::dwell::{Dwell, DwellState};
use allverse_input::router::Routed;
use bevy::prelude::*;

/// Something in a menu that can be pointed at.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MenuTarget {
    Item(usize),
    /// The always-there "Menu" button that gaze users open the menu with.
    Button,
    /// The "More" row under a page, which turns to the next one.
    NextPage,
}

/// A ray points at a target when it passes this close to its centre;
/// menu rows are further apart than twice this.
const POINT_CONE_DEG: f32 = 1.2;

/// Dots of the dwell progress ring; they light up one by one as the dwell fills.
const RING_DOTS: usize = 12;
const RING_RADIUS_DEG: f32 = 1.2;

#[derive(Component)]
pub struct DwellDot(usize);

pub fn spawn_dwell_ring(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let dot = meshes.add(Sphere::new(1.0));
    let material =
        materials.add(StandardMaterial { base_color: Color::srgb(1.0, 0.8, 0.0), unlit: true, ..default() });
    for index in 0..RING_DOTS {
        commands.spawn((
            DwellDot(index),
            Mesh3d(dot.clone()),
            MeshMaterial3d(material.clone()),
            Transform::default(),
            Visibility::Hidden,
        ));
    }
}

/// The target nearest the ray within the pointing cone, and its distance.
fn pointed_at<'a>(
    origin: Vec3,
    direction: Vec3,
    targets: impl Iterator<Item = (&'a MenuTarget, &'a GlobalTransform)>,
) -> Option<(MenuTarget, f32)> {
    targets
        .map(|(target, at)| {
            let to = at.translation() - origin;
            (*target, direction.angle_between(to).to_degrees(), to.length())
        })
        .filter(|(_, angle_deg, _)| *angle_deg <= POINT_CONE_DEG)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(target, _, distance_m)| (target, distance_m))
}

/// Dwell timing, rebuilt when the user changes its settings.
#[derive(Default)]
pub struct GazeDwell {
    settings: Option<DwellSettings>,
    dwell: Option<Dwell<MenuTarget>>,
}

#[allow(clippy::too_many_arguments)]
pub fn point_and_dwell(
    clock: Res<SessionClock>,
    config: Res<SessionConfig>,
    rig: Res<Rig>,
    targets: Query<(&MenuTarget, &GlobalTransform)>,
    mut router: ResMut<InputRouter>,
    mut gaze: Local<GazeDwell>,
    mut hovered: Local<[Option<MenuTarget>; 2]>,
    mut dots: Query<(&DwellDot, &mut Transform, &mut Visibility)>,
) {
    let t_s = clock.elapsed_s();
    // Controller rays: pointing at a menu item focuses it; the trigger then selects it.
    let hands = [
        (InputDevice::ControllerLeft, rig.world_from_hand(true)),
        (InputDevice::ControllerRight, rig.world_from_hand(false)),
    ];
    for ((device, hand), last) in hands.into_iter().zip(hovered.iter_mut()) {
        let now = pointed_at(hand.translation, *hand.forward(), targets.iter()).map(|(t, _)| t);
        if now != *last {
            match now {
                Some(MenuTarget::Item(index)) => router.0.push(Routed::FocusAt { index, device }),
                // Moving onto "More" turns one page; move off and back for another.
                Some(MenuTarget::NextPage) => router.0.push(Routed::Action {
                    action: Action::ScrollDown,
                    device,
                    input: "point".into(),
                }),
                Some(MenuTarget::Button) | None => {}
            }
        }
        *last = now;
    }

    let settings = &config.profile.input.dwell;
    if gaze.settings.as_ref() != Some(settings) {
        *gaze = GazeDwell { settings: Some(settings.clone()), dwell: Some(Dwell::new(settings)) };
    }
    let mut progress_at = None;
    if settings.enabled
        && let Some(dwell) = gaze.dwell.as_mut()
    {
        let (eye, direction) = (rig.head.translation, rig.gaze_direction());
        let hit = pointed_at(eye, direction, targets.iter());
        let input = "dwell".to_string();
        match dwell.update(hit.map(|(target, _)| target), t_s) {
            DwellState::Selected(MenuTarget::Item(index)) => {
                router.0.push(Routed::FocusAt { index, device: InputDevice::Gaze });
                router.0.push(Routed::Action { action: Action::Select, device: InputDevice::Gaze, input });
            }
            DwellState::Selected(MenuTarget::Button) => {
                router.0.push(Routed::Action { action: Action::OpenMenu, device: InputDevice::Gaze, input });
            }
            DwellState::Selected(MenuTarget::NextPage) => {
                router.0.push(Routed::Action {
                    action: Action::ScrollDown,
                    device: InputDevice::Gaze,
                    input,
                });
            }
            DwellState::Filling { progress, .. } => {
                // Just in front of what is looked at, so the ring is never hidden behind it.
                let distance_m = hit.map_or(1.0, |(_, d)| d) - 0.02;
                progress_at = Some((progress, eye, direction, distance_m));
            }
            DwellState::Idle => {}
        }
    }
    show_ring(progress_at, &rig, &mut dots);
}

fn show_ring(
    progress_at: Option<(f32, Vec3, Vec3, f32)>,
    rig: &Rig,
    dots: &mut Query<(&DwellDot, &mut Transform, &mut Visibility)>,
) {
    for (dot, mut transform, mut visibility) in dots.iter_mut() {
        let Some((progress, eye, direction, distance_m)) = progress_at else {
            *visibility = Visibility::Hidden;
            continue;
        };
        let lit = (progress * RING_DOTS as f32).ceil() as usize;
        *visibility = if dot.0 < lit.max(1) { Visibility::Visible } else { Visibility::Hidden };
        // Clockwise from the top, as the head sees it.
        let angle = dot.0 as f32 / RING_DOTS as f32 * std::f32::consts::TAU;
        let radius_m = distance_m * RING_RADIUS_DEG.to_radians().tan();
        let (up, right) = (*rig.head.up(), *rig.head.right());
        let centre = eye + direction * distance_m;
        transform.translation = centre + (up * angle.cos() + right * angle.sin()) * radius_m;
        transform.scale = Vec3::splat(radius_m * 0.12);
    }
}
