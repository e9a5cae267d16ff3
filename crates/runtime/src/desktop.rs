//! The desktop window backend: the scene in a window, the head moved by keyboard and mouse.
//!
//! Keys: W/A/S/D walk; R/F look up and down; holding the right mouse
//! button and moving the mouse looks around. Turning (Q/E), teleporting
//! (G), the menu (M, arrows, Enter) and every other action are the
//! keyboard bindings of `allverse-input`, the same as in the headset.
//! 1 and 2 pick the left or right controller; I/K raise and lower it, J/L
//! move it left and right, U/O push it away and pull it in; holding the
//! left mouse button and moving the mouse moves it too.
//! Every movement has a key so the window is usable without a mouse.

use crate::plugins::AllversePlugins;
use crate::rig::{HeadCamera, Rig, transform_from_yaw_pitch};
use crate::session::{Pacing, SessionSetup, SessionSystems, UserProfile};
use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::input::mouse::AccumulatedMouseMotion;
use bevy::prelude::*;

const WALK_SPEED_M_PER_S: f32 = 1.5;
/// Looking up and down with R/F.
const TURN_SPEED_DEG_PER_S: f32 = 60.0;
const MOUSE_DEG_PER_PIXEL: f32 = 0.15;
const HAND_SPEED_M_PER_S: f32 = 0.4;
const MOUSE_M_PER_PIXEL: f32 = 0.002;
/// Bevy's default window (720 px tall) over its default 45° vertical field of view.
const WINDOW_PIXELS_PER_DEGREE: f32 = 720.0 / 45.0;

/// Head position and angles as the desktop controls hold them.
#[derive(Resource)]
struct DesktopHead {
    position_m: Vec3,
    yaw_deg: f32,
    pitch_deg: f32,
}

/// Which controller the hand keys move.
#[derive(Resource, Default, PartialEq, Eq, Clone, Copy)]
enum ActiveHand {
    Left,
    #[default]
    Right,
}

/// Opens the window and runs until it is closed.
pub fn run(setup: SessionSetup) -> AppExit {
    let start = setup.config.scenario.head_at(0.0);
    let height_offset_m = setup.profile.comfort.height_offset_m;
    App::new()
        .add_plugins(DefaultPlugins.set(WindowPlugin {
            primary_window: Some(Window {
                title: format!("Allverse: {}", setup.config.scenario.name),
                ..default()
            }),
            ..default()
        }))
        .add_plugins(AllversePlugins {
            setup,
            pacing: Pacing::Realtime,
            display_pixels_per_degree: WINDOW_PIXELS_PER_DEGREE,
        })
        .insert_resource(DesktopHead {
            position_m: start.position_m + Vec3::Y * height_offset_m,
            yaw_deg: start.yaw_deg,
            pitch_deg: start.pitch_deg,
        })
        .add_systems(Startup, spawn_window_camera)
        .init_resource::<ActiveHand>()
        .add_systems(
            Update,
            (move_head_from_keys_and_mouse, move_hands_from_keys_and_mouse).before(SessionSystems),
        )
        .run()
}

fn spawn_window_camera(mut commands: Commands) {
    commands.spawn((HeadCamera, Camera3d::default(), Tonemapping::None, Transform::default()));
}

/// Reads a direction (+1, −1 or 0) from two sets of keys.
type KeyAxis = fn(&ButtonInput<KeyCode>, &[KeyCode], &[KeyCode]) -> f32;

/// With reduced motion (`vision.reduce_motion`), each key press moves one step instead of gliding.
const SNAP_STEP_M: f32 = 0.5;
const SNAP_PITCH_DEG: f32 = 15.0;

fn move_head_from_keys_and_mouse(
    user: Res<UserProfile>,
    time: Res<Time>,
    keys: Res<ButtonInput<KeyCode>>,
    buttons: Res<ButtonInput<MouseButton>>,
    mouse: Res<AccumulatedMouseMotion>,
    mut head: ResMut<DesktopHead>,
    mut rig: ResMut<Rig>,
) {
    let snap = user.profile.vision.reduce_motion;
    // Held keys glide at a speed; with reduced motion, presses step.
    let (axis, walk_m, pitch_deg): (KeyAxis, f32, f32) = if snap {
        (key_press_axis, SNAP_STEP_M, SNAP_PITCH_DEG)
    } else {
        let dt = time.delta_secs();
        (key_axis, WALK_SPEED_M_PER_S * dt, TURN_SPEED_DEG_PER_S * dt)
    };
    head.pitch_deg += axis(&keys, &[KeyCode::KeyR], &[KeyCode::KeyF]) * pitch_deg;
    if buttons.pressed(MouseButton::Right) {
        head.yaw_deg -= mouse.delta.x * MOUSE_DEG_PER_PIXEL;
        head.pitch_deg -= mouse.delta.y * MOUSE_DEG_PER_PIXEL;
    }
    head.pitch_deg = head.pitch_deg.clamp(-85.0, 85.0);

    let forward = axis(&keys, &[KeyCode::KeyW], &[KeyCode::KeyS]);
    let right = axis(&keys, &[KeyCode::KeyD], &[KeyCode::KeyA]);
    let yaw = Quat::from_rotation_y(head.yaw_deg.to_radians());
    let step = yaw * Vec3::new(right, 0.0, -forward) * walk_m;
    head.position_m += step;
    rig.set_tracked_head(transform_from_yaw_pitch(head.position_m, head.yaw_deg, head.pitch_deg));
}

fn move_hands_from_keys_and_mouse(
    time: Res<Time>,
    keys: Res<ButtonInput<KeyCode>>,
    buttons: Res<ButtonInput<MouseButton>>,
    mouse: Res<AccumulatedMouseMotion>,
    mut active: ResMut<ActiveHand>,
    mut rig: ResMut<Rig>,
) {
    if keys.just_pressed(KeyCode::Digit1) {
        *active = ActiveHand::Left;
    }
    if keys.just_pressed(KeyCode::Digit2) {
        *active = ActiveHand::Right;
    }
    let direction = Vec3::new(
        key_axis(&keys, &[KeyCode::KeyL], &[KeyCode::KeyJ]),
        key_axis(&keys, &[KeyCode::KeyI], &[KeyCode::KeyK]),
        key_axis(&keys, &[KeyCode::KeyO], &[KeyCode::KeyU]),
    );
    let mut step = direction * HAND_SPEED_M_PER_S * time.delta_secs();
    if buttons.pressed(MouseButton::Left) {
        step += Vec3::new(mouse.delta.x, -mouse.delta.y, 0.0) * MOUSE_M_PER_PIXEL;
    }
    let hand = match *active {
        ActiveHand::Left => &mut rig.head_from_left_hand,
        ActiveHand::Right => &mut rig.head_from_right_hand,
    };
    hand.translation += step;
}

/// +1 when a `plus` key was pressed this frame, −1 for a `minus` key, 0 for both or neither.
fn key_press_axis(keys: &ButtonInput<KeyCode>, plus: &[KeyCode], minus: &[KeyCode]) -> f32 {
    keys.any_just_pressed(plus.iter().copied()) as i8 as f32
        - keys.any_just_pressed(minus.iter().copied()) as i8 as f32
}

/// +1 while any `plus` key is held, −1 while any `minus` key is, 0 for both or neither.
fn key_axis(keys: &ButtonInput<KeyCode>, plus: &[KeyCode], minus: &[KeyCode]) -> f32 {
    keys.any_pressed(plus.iter().copied()) as i8 as f32 - keys.any_pressed(minus.iter().copied()) as i8 as f32
}
