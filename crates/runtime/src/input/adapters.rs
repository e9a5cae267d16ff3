//! Device adapters: keyboard, gamepads (through Bevy's gilrs events) and the scenario's scripted input.
//!
//! Each reports presses and releases by the names the bindings use
//! (`Enter`, `M`, `South`, `LeftStickUp`, `switch1`), so remapping works
//! the same for every device.

use super::InputRouter;
use crate::session::{SessionClock, SessionConfig};
use allverse_core::input::InputDevice;
use allverse_input::stick::StickAxis;
use bevy::input::gamepad::{GamepadRumbleIntensity, GamepadRumbleRequest};
use bevy::prelude::*;
use std::collections::HashMap;
use std::time::Duration;

/// The scenario's inputs: presses at `at_s` released `hold_s` later, spoken commands, and (in the rig) gaze.
pub fn read_scripted_inputs(
    config: Res<SessionConfig>,
    clock: Res<SessionClock>,
    mut router: ResMut<InputRouter>,
) {
    let t_s = clock.elapsed_s();
    for event in &config.scenario.inputs {
        let Some(device) = InputDevice::from_name(&event.device) else { continue };
        match device {
            // Where the eyes rest is part of the rig; dwell turns it into actions.
            InputDevice::Gaze => {}
            InputDevice::Voice if clock.is_due(event.at_s) => router.0.say(&event.input),
            InputDevice::Voice => {}
            _ => {
                if clock.is_due(event.at_s) {
                    router.0.press(device, &event.input, t_s);
                }
                if clock.is_due(event.at_s + event.hold_s) {
                    router.0.release(device, &event.input, t_s);
                }
            }
        }
    }
}

/// Bevy's key code as the bindings name it: `KeyM` → `M`, `Digit1` → `1`, `Enter` as it is.
pub fn key_name(key: KeyCode) -> String {
    let debug = format!("{key:?}");
    debug.strip_prefix("Key").or_else(|| debug.strip_prefix("Digit")).unwrap_or(&debug).to_string()
}

pub fn read_keyboard(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    clock: Res<SessionClock>,
    mut router: ResMut<InputRouter>,
) {
    let Some(keys) = keys else { return };
    let t_s = clock.elapsed_s();
    for key in keys.get_just_pressed() {
        router.0.press(InputDevice::Keyboard, &key_name(*key), t_s);
    }
    for key in keys.get_just_released() {
        router.0.release(InputDevice::Keyboard, &key_name(*key), t_s);
    }
}

/// The sticks' directions, as the bindings name them: (axis, name when negative, name when positive).
const STICK_DIRECTIONS: [(GamepadAxis, &str, &str); 4] = [
    (GamepadAxis::LeftStickX, "LeftStickLeft", "LeftStickRight"),
    (GamepadAxis::LeftStickY, "LeftStickDown", "LeftStickUp"),
    (GamepadAxis::RightStickX, "RightStickLeft", "RightStickRight"),
    (GamepadAxis::RightStickY, "RightStickDown", "RightStickUp"),
];

/// Every connected gamepad drives the same user, so a helper's pad or an
/// adaptive controller beside a standard one all work at once (like Xbox Copilot).
pub fn read_gamepads(
    gamepads: Query<(Entity, &Gamepad)>,
    clock: Res<SessionClock>,
    config: Res<SessionConfig>,
    mut router: ResMut<InputRouter>,
    mut sticks: Local<HashMap<(Entity, GamepadAxis), StickAxis>>,
) {
    let t_s = clock.elapsed_s();
    let input = &config.profile.input;
    for (entity, gamepad) in &gamepads {
        for button in gamepad.get_just_pressed() {
            router.0.press(InputDevice::Gamepad, &button_name(*button), t_s);
        }
        for button in gamepad.get_just_released() {
            router.0.release(InputDevice::Gamepad, &button_name(*button), t_s);
        }
        for (axis, negative, positive) in STICK_DIRECTIONS {
            let value = gamepad.get(axis).unwrap_or(0.0);
            let stick = sticks.entry((entity, axis)).or_default();
            for change in
                stick.update(value, input.stick_dead_zone, input.stick_sensitivity).into_iter().flatten()
            {
                let name = if change.direction < 0 { negative } else { positive };
                if change.pressed {
                    router.0.press(InputDevice::Gamepad, name, t_s);
                } else {
                    router.0.release(InputDevice::Gamepad, name, t_s);
                }
            }
        }
    }
}

/// gilrs' names, which SDL mappings (the Xbox Adaptive Controller's among them) resolve to.
fn button_name(button: GamepadButton) -> String {
    format!("{button:?}")
}

/// A short buzz confirms a selection made with a gamepad: feedback that needs neither sight nor hearing.
pub fn confirm_by_rumble(
    mut selections: MessageReader<super::Selected>,
    gamepads: Query<Entity, With<Gamepad>>,
    mut rumble: MessageWriter<GamepadRumbleRequest>,
) {
    if !selections.read().any(|s| s.device == InputDevice::Gamepad) {
        return;
    }
    for gamepad in &gamepads {
        rumble.write(GamepadRumbleRequest::Add {
            duration: Duration::from_millis(80),
            intensity: GamepadRumbleIntensity::weak_motor(0.6),
            gamepad,
        });
    }
}
