//! Pointing at menus: the eyes (or head) select by dwelling, controller rays move focus.

use super::state::InputRouter;
use crate::rig::Rig;
use crate::session::{SessionClock, UserProfile};
use allverse_core::input::{Action, DwellSettings, InputDevice};
use allverse_core::placement::nearest_in_cone;
use allverse_input::dwell::{Dwell, DwellState};
use allverse_input::router::Routed;
use bevy::ecs::system::SystemParam;
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

/// What a ray points at among the menu's targets, and how far away it is.
#[derive(SystemParam)]
pub struct PointingScene<'w, 's> {
    clock: Res<'w, SessionClock>,
    user: Res<'w, UserProfile>,
    rig: Res<'w, Rig>,
    targets: Query<'w, 's, (&'static MenuTarget, &'static GlobalTransform)>,
}

impl PointingScene<'_, '_> {
    /// The target nearest the ray within the pointing cone, and its distance.
    fn pointed_at(&self, origin: Vec3, direction: Vec3) -> Option<(MenuTarget, f32)> {
        let targets = self.targets.iter().map(|(target, at)| (*target, at.translation()));
        nearest_in_cone(origin, direction, POINT_CONE_DEG, targets).map(|hit| (hit.target, hit.distance_m))
    }
}

/// Dwell timing, rebuilt when the user changes its settings.
#[derive(Default)]
pub struct GazeDwell {
    settings: Option<DwellSettings>,
    dwell: Option<Dwell<MenuTarget>>,
}

pub fn point_and_dwell(
    scene: PointingScene,
    mut router: ResMut<InputRouter>,
    mut gaze: Local<GazeDwell>,
    mut hovered: Local<[Option<MenuTarget>; 2]>,
    mut dots: Query<(&DwellDot, &mut Transform, &mut Visibility)>,
) {
    let (t_s, rig) = (scene.clock.elapsed_s(), &scene.rig);
    // Controller rays: pointing at a menu item focuses it; the trigger then selects it.
    let hands = [
        (InputDevice::ControllerLeft, rig.world_from_hand(true)),
        (InputDevice::ControllerRight, rig.world_from_hand(false)),
    ];
    for ((device, hand), last) in hands.into_iter().zip(hovered.iter_mut()) {
        let now = scene.pointed_at(hand.translation, *hand.forward()).map(|(t, _)| t);
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

    let settings = &scene.user.profile.input.dwell;
    if gaze.settings.as_ref() != Some(settings) {
        *gaze = GazeDwell { settings: Some(settings.clone()), dwell: Some(Dwell::new(settings)) };
    }
    let mut progress_at = None;
    if settings.enabled
        && let Some(dwell) = gaze.dwell.as_mut()
    {
        let (eye, direction) = (rig.head.translation, rig.gaze_direction());
        let hit = scene.pointed_at(eye, direction);
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
    show_ring(progress_at, rig, &mut dots);
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
