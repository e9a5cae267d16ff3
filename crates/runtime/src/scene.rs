//! The room, the people in it and the signs on its walls, built from the scenario.

use crate::panels::TextPanel;
use crate::session::{PanelKind, SessionClock, SessionConfig, SessionSystems};
use allverse_core::pointing::Shape;
use allverse_core::scenario::{ObjectShape, Scenario, SceneObject};
use bevy::prelude::*;

/// Something the pointer can land on: described on demand by name and
/// distance, and highlighted if it is a person or an object.
#[derive(Component, Clone, Debug)]
pub struct Describable {
    /// What "describe" says, e.g. "Anna" or "the wall".
    pub name: String,
    /// Its solid, in world space.
    pub shape: Shape,
    /// People and objects are; walls and floors are not.
    pub highlightable: bool,
}

/// The scenario's room and people at start, and its signs when they are due.
pub struct ScenePlugin;

/// Everyone in the room, scripted or live, in the order they came. Captions,
/// speech and the live session name people by their index here, which never
/// changes: someone who leaves keeps theirs, marked absent.
#[derive(Resource, Clone, Debug, Default)]
pub struct People(pub Vec<Person>);

#[derive(Clone, Debug)]
pub struct Person {
    /// Stable for the session: the scenario's id, or the live session's.
    pub id: String,
    /// What others see and hear them called.
    pub name: String,
    /// Where their head is, world frame, metres.
    pub head_m: Vec3,
    /// Still in the room.
    pub present: bool,
}

impl People {
    /// The person with `id`, if they were ever in the room.
    pub fn find(&self, id: &str) -> Option<&Person> {
        self.0.iter().find(|p| p.id == id)
    }
}

/// An avatar's body or name tag, following [`People`]`[person]`.
#[derive(Component, Clone, Copy, Debug)]
pub struct Avatar {
    pub person: usize,
}

/// The meshes and materials every avatar shares, made once.
#[derive(Resource, Clone)]
struct AvatarLook {
    body: Handle<Mesh>,
    head: Handle<Mesh>,
    skin: Handle<StandardMaterial>,
    clothes: [Handle<StandardMaterial>; 4],
}

impl Plugin for ScenePlugin {
    fn build(&self, app: &mut App) {
        let people = app.world().resource::<SessionConfig>().scenario.people.iter();
        let people = people
            .map(|p| Person { id: p.id.clone(), name: p.name.clone(), head_m: p.position_m, present: true })
            .collect();
        app.insert_resource(GlobalAmbientLight { brightness: 250.0, ..default() })
            .insert_resource(People(people))
            .add_systems(Startup, spawn_scene)
            .add_systems(
                Update,
                (put_up_signs, (spawn_avatars, move_avatars).chain().run_if(resource_changed::<People>))
                    .in_set(SessionSystems),
            );
    }
}

fn spawn_scene(
    config: Res<SessionConfig>,
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    spawn_room(&config.scenario, &mut commands, &mut meshes, &mut materials);
    commands.insert_resource(AvatarLook {
        body: meshes.add(Capsule3d::new(BODY_RADIUS_M, 0.9)),
        head: meshes.add(Sphere::new(0.13)),
        skin: materials.add(Color::srgb(0.8, 0.62, 0.5)),
        clothes: [
            Color::srgb(0.16, 0.38, 0.66),
            Color::srgb(0.62, 0.25, 0.18),
            Color::srgb(0.22, 0.5, 0.3),
            Color::srgb(0.45, 0.3, 0.55),
        ]
        .map(|colour| materials.add(colour)),
    });
    for object in &config.scenario.objects {
        spawn_object(object, &mut commands, &mut meshes, &mut materials);
    }
}

fn spawn_object(
    object: &SceneObject,
    commands: &mut Commands,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
) {
    let colour = object.colour.0;
    let material = materials.add(StandardMaterial {
        base_color: Color::srgb_u8(colour.r, colour.g, colour.b),
        unlit: object.unlit,
        perceptual_roughness: 0.8,
        ..default()
    });
    let (mesh, shape) = match object.shape {
        ObjectShape::Box => (
            meshes.add(Cuboid::from_size(object.size_m)),
            Shape::Box { centre_m: object.position_m, half_size_m: object.size_m / 2.0 },
        ),
        ObjectShape::Sphere => {
            let radius_m = object.size_m.x / 2.0;
            (meshes.add(Sphere::new(radius_m)), Shape::Sphere { centre_m: object.position_m, radius_m })
        }
    };
    commands.spawn((
        Name::new(object.id.clone()),
        Describable { name: object.name.clone(), shape, highlightable: true },
        Mesh3d(mesh),
        MeshMaterial3d(material),
        Transform::from_translation(object.position_m),
    ));
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
        ("the floor", floor, Vec3::new(size.x, THICKNESS_M, size.z), Vec3::new(0.0, -THICKNESS_M / 2.0, 0.0)),
        (
            "the ceiling",
            wall.clone(),
            Vec3::new(size.x, THICKNESS_M, size.z),
            Vec3::new(0.0, size.y + THICKNESS_M / 2.0, 0.0),
        ),
        (
            "the wall",
            wall.clone(),
            Vec3::new(size.x, size.y, THICKNESS_M),
            Vec3::new(0.0, half.y, -half.z - THICKNESS_M / 2.0),
        ),
        (
            "the wall",
            wall.clone(),
            Vec3::new(size.x, size.y, THICKNESS_M),
            Vec3::new(0.0, half.y, half.z + THICKNESS_M / 2.0),
        ),
        (
            "the wall",
            wall.clone(),
            Vec3::new(THICKNESS_M, size.y, size.z),
            Vec3::new(-half.x - THICKNESS_M / 2.0, half.y, 0.0),
        ),
        (
            "the wall",
            wall,
            Vec3::new(THICKNESS_M, size.y, size.z),
            Vec3::new(half.x + THICKNESS_M / 2.0, half.y, 0.0),
        ),
    ];
    for (name, material, extent, centre) in slabs {
        commands.spawn((
            Describable {
                name: name.into(),
                shape: Shape::Box { centre_m: centre, half_size_m: extent / 2.0 },
                highlightable: false,
            },
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

const BODY_RADIUS_M: f32 = 0.22;
/// How far below the head the pointer's stand-in for a body reaches.
const BODY_BELOW_HEAD_M: f32 = 1.25;

/// Simple avatars for people who have none yet: a body, a head and a name
/// tag that always faces the user. People who left lose theirs.
fn spawn_avatars(
    mut commands: Commands,
    people: Res<People>,
    look: Option<Res<AvatarLook>>,
    avatars: Query<(Entity, &Avatar)>,
) {
    let Some(look) = look else { return };
    let mut has_avatar = vec![false; people.0.len()];
    for (entity, avatar) in &avatars {
        if people.0[avatar.person].present {
            has_avatar[avatar.person] = true;
        } else {
            commands.entity(entity).despawn();
        }
    }
    for (index, person) in people.0.iter().enumerate().filter(|(i, p)| p.present && !has_avatar[*i]) {
        let clothes = look.clothes[index % look.clothes.len()].clone();
        commands.spawn((
            Name::new(person.name.clone()),
            Avatar { person: index },
            Describable { name: person.name.clone(), shape: body_shape(person.head_m), highlightable: true },
            Transform::from_translation(person.head_m),
            Visibility::default(),
            children![
                (Mesh3d(look.head.clone()), MeshMaterial3d(look.skin.clone()), Transform::default()),
                // The capsule's centre sits so its top meets the neck.
                (Mesh3d(look.body.clone()), MeshMaterial3d(clothes), Transform::from_xyz(0.0, -0.8, 0.0)),
            ],
        ));
        commands.spawn((
            Avatar { person: index },
            TextPanel::single(format!("{}-name", person.id), PanelKind::NameTag, person.name.clone(), true),
            Transform::from_translation(person.head_m + Vec3::Y * NAME_TAG_ABOVE_HEAD_M),
        ));
    }
}

/// Keeps each avatar, its name tag and what the pointer finds of it where the person is now.
fn move_avatars(
    people: Res<People>,
    mut avatars: Query<(&Avatar, &mut Transform, Option<&mut Describable>, Has<TextPanel>)>,
) {
    for (avatar, mut transform, describable, is_tag) in &mut avatars {
        let head_m = people.0[avatar.person].head_m;
        let at_m = if is_tag { head_m + Vec3::Y * NAME_TAG_ABOVE_HEAD_M } else { head_m };
        if transform.translation != at_m {
            transform.translation = at_m;
        }
        if let Some(mut describable) = describable {
            describable.shape = body_shape(head_m);
        }
    }
}

/// Head and body as one capsule, from the hips to the crown.
fn body_shape(head_m: Vec3) -> Shape {
    Shape::Capsule { bottom_m: head_m - Vec3::Y * BODY_BELOW_HEAD_M, top_m: head_m, radius_m: BODY_RADIUS_M }
}
