//! The room, the people in it and the signs on its walls, built from the scenario.

use crate::panels::TextPanel;
use crate::session::{PanelKind, SessionClock, SessionConfig, SessionSystems};
use allverse_core::scenario::Scenario;
use bevy::prelude::*;

/// The scenario's room and people at start, and its signs when they are due.
pub struct ScenePlugin;

impl Plugin for ScenePlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(GlobalAmbientLight { brightness: 250.0, ..default() })
            .add_systems(Startup, spawn_scene)
            .add_systems(Update, put_up_signs.in_set(SessionSystems));
    }
}

fn spawn_scene(
    config: Res<SessionConfig>,
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    spawn_room(&config.scenario, &mut commands, &mut meshes, &mut materials);
    spawn_people(&config.scenario, &mut commands, &mut meshes, &mut materials);
}

fn put_up_signs(mut commands: Commands, config: Res<SessionConfig>, clock: Res<SessionClock>) {
    for sign in config.scenario.panels.iter().filter(|p| clock.is_due(p.at_s)) {
        commands.spawn((
            TextPanel::single(sign.id.clone(), PanelKind::Sign, sign.text.clone(), false),
            Transform::from_translation(sign.position_m),
        ));
    }
}

/// Height of a name tag above the person's head.
const NAME_TAG_ABOVE_HEAD_M: f32 = 0.3;

fn spawn_room(
    scenario: &Scenario,
    commands: &mut Commands,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
) {
    let size = scenario.room.size_m;
    let floor = materials.add(StandardMaterial {
        base_color: Color::srgb(0.35, 0.33, 0.30),
        perceptual_roughness: 0.9,
        ..default()
    });
    let wall = materials.add(StandardMaterial {
        base_color: Color::srgb(0.62, 0.66, 0.72),
        perceptual_roughness: 0.9,
        ..default()
    });
    let half = size / 2.0;
    // Thin boxes rather than planes: a box face toward the room always has
    // its normal pointing into the room, whichever side it is on.
    const THICKNESS_M: f32 = 0.1;
    let slabs = [
        (floor, Vec3::new(size.x, THICKNESS_M, size.z), Vec3::new(0.0, -THICKNESS_M / 2.0, 0.0)),
        (
            wall.clone(),
            Vec3::new(size.x, THICKNESS_M, size.z),
            Vec3::new(0.0, size.y + THICKNESS_M / 2.0, 0.0),
        ),
        (
            wall.clone(),
            Vec3::new(size.x, size.y, THICKNESS_M),
            Vec3::new(0.0, half.y, -half.z - THICKNESS_M / 2.0),
        ),
        (
            wall.clone(),
            Vec3::new(size.x, size.y, THICKNESS_M),
            Vec3::new(0.0, half.y, half.z + THICKNESS_M / 2.0),
        ),
        (
            wall.clone(),
            Vec3::new(THICKNESS_M, size.y, size.z),
            Vec3::new(-half.x - THICKNESS_M / 2.0, half.y, 0.0),
        ),
        (wall, Vec3::new(THICKNESS_M, size.y, size.z), Vec3::new(half.x + THICKNESS_M / 2.0, half.y, 0.0)),
    ];
    for (material, extent, centre) in slabs {
        commands.spawn((
            Mesh3d(meshes.add(Cuboid::from_size(extent))),
            MeshMaterial3d(material),
            Transform::from_translation(centre),
        ));
    }
    commands.spawn((
        PointLight { intensity: 800_000.0, range: 30.0, shadow_maps_enabled: false, ..default() },
        Transform::from_xyz(0.0, size.y - 0.3, 0.0),
    ));
    commands.spawn((
        DirectionalLight { illuminance: 1_500.0, shadow_maps_enabled: false, ..default() },
        Transform::from_xyz(2.0, 6.0, 4.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
}

/// Simple avatars: a body, a head and a name tag that always faces the user.
fn spawn_people(
    scenario: &Scenario,
    commands: &mut Commands,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
) {
    let body = meshes.add(Capsule3d::new(0.22, 0.9));
    let head = meshes.add(Sphere::new(0.13));
    let palette = [
        Color::srgb(0.16, 0.38, 0.66),
        Color::srgb(0.62, 0.25, 0.18),
        Color::srgb(0.22, 0.5, 0.3),
        Color::srgb(0.45, 0.3, 0.55),
    ];
    let skin = materials.add(Color::srgb(0.8, 0.62, 0.5));
    for (i, person) in scenario.people.iter().enumerate() {
        let head_position_m = person.position_m;
        let clothes = materials.add(palette[i % palette.len()]);
        commands.spawn((
            Name::new(person.name.clone()),
            Transform::from_translation(head_position_m),
            Visibility::default(),
            children![
                (Mesh3d(head.clone()), MeshMaterial3d(skin.clone()), Transform::default()),
                // The capsule's centre sits so its top meets the neck.
                (Mesh3d(body.clone()), MeshMaterial3d(clothes), Transform::from_xyz(0.0, -0.8, 0.0)),
            ],
        ));
        commands.spawn((
            TextPanel::single(format!("{}-name", person.id), PanelKind::NameTag, person.name.clone(), true),
            Transform::from_translation(head_position_m + Vec3::Y * NAME_TAG_ABOVE_HEAD_M),
        ));
    }
}
