//! Device adapters: keyboard, gamepads (through Bevy's gilrs events) and the scenario's scripted input.
//!
//! Each reports presses and releases by the names the bindings use
//! (`Enter`, `M`, `South`, `LeftStickUp`, `switch1`), so remapping works
//! the same for every device.

use super::messages::Selected;
use super::state::InputRouter;
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
                for (at_s, pressed) in [(event.at_s, true), (event.at_s + event.hold_s, false)] {
                    if clock.is_due(at_s) {
                        router.0.button(device, &event.input, pressed, t_s);
                    }
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

/// Keys and mouse buttons by name; each notch of the wheel is a press of `WheelUp` or `WheelDown`.
pub fn read_keyboard_and_mouse(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    buttons: Option<Res<ButtonInput<MouseButton>>>,
    wheel: Option<Res<bevy::input::mouse::AccumulatedMouseScroll>>,
    clock: Res<SessionClock>,
    mut router: ResMut<InputRouter>,
) {
    let t_s = clock.elapsed_s();
    let device = InputDevice::Keyboard;
    if let Some(keys) = keys {
        keys.get_just_pressed().for_each(|key| router.0.press(device, &key_name(*key), t_s));
        keys.get_just_released().for_each(|key| router.0.release(device, &key_name(*key), t_s));
    }
    if let Some(buttons) = buttons {
        buttons.get_just_pressed().for_each(|b| router.0.press(device, &format!("Mouse{b:?}"), t_s));
        buttons.get_just_released().for_each(|b| router.0.release(device, &format!("Mouse{b:?}"), t_s));
    }
    if let Some(wheel) = wheel
        && wheel.delta.y != 0.0
    {
        let notch = if wheel.delta.y > 0.0 { "WheelUp" } else { "WheelDown" };
        router.0.press(device, notch, t_s);
        router.0.release(device, notch, t_s);
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
    mut router: ResMut<InputRouter>,
    mut sticks: Local<HashMap<(Entity, GamepadAxis), StickAxis>>,
) {
    let t_s = clock.elapsed_s();
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
            router.0.stick(InputDevice::Gamepad, stick, value, (negative, positive), t_s);
        }
    }
}

/// gilrs' names, which SDL mappings (the Xbox Adaptive Controller's among them) resolve to.
fn button_name(button: GamepadButton) -> String {
    format!("{button:?}")
}

/// A short buzz confirms a selection made with a gamepad: feedback that needs neither sight nor hearing.
pub fn confirm_by_rumble(
    mut selections: MessageReader<Selected>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use allverse_core::input::Action;
    use allverse_core::profile::Profile;
    use allverse_core::scenario::Scenario;
    use allverse_input::router::{Routed, Router};
    use bevy::input::gamepad::{
        GamepadConnection, GamepadConnectionEvent, RawGamepadAxisChangedEvent, RawGamepadButtonChangedEvent,
        RawGamepadEvent,
    };

    /// An app with Bevy's input plugin (what gilrs feeds) and the gamepad adapter.
    fn app_with_gamepads(count: usize) -> (App, Vec<Entity>) {
        let scenario = Scenario::parse(
            "name = \"pads\"\nduration_s = 1.0\n[room]\nsize_m = [4.0, 3.0, 4.0]\n",
            "pads",
            ".".as_ref(),
        )
        .unwrap();
        let config = SessionConfig::new(scenario, "test", &mut Vec::new()).unwrap();
        let mut app = App::new();
        app.add_plugins(bevy::input::InputPlugin)
            .insert_resource(InputRouter(Router::new(&Profile::default().input)))
            .insert_resource(config)
            .insert_resource(SessionClock::new())
            .add_systems(Update, read_gamepads);
        let pads: Vec<Entity> = (0..count).map(|_| app.world_mut().spawn_empty().id()).collect();
        for (i, pad) in pads.iter().enumerate() {
            let connected = GamepadConnection::Connected {
                name: format!("Xbox Adaptive Controller {i}"),
                vendor_id: Some(0x045e),
                product_id: Some(0x0b0a),
            };
            // As bevy_gilrs reports a connection: the event, and the raw one.
            let event = GamepadConnectionEvent::new(*pad, connected);
            app.world_mut().write_message(event.clone());
            app.world_mut().write_message(RawGamepadEvent::Connection(event));
        }
        app.update();
        (app, pads)
    }

    fn routed(app: &mut App) -> Vec<(Action, String)> {
        app.world_mut()
            .resource_mut::<InputRouter>()
            .0
            .update(0.0)
            .filter_map(|r| match r {
                Routed::Action { action, device: InputDevice::Gamepad, input } => Some((action, input)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn buttons_and_sticks_from_bevy_gamepad_events_become_actions() {
        let (mut app, pads) = app_with_gamepads(1);
        let raw = |event: RawGamepadEvent| event;
        app.world_mut().write_message(raw(RawGamepadButtonChangedEvent::new(
            pads[0],
            GamepadButton::South,
            1.0,
        )
        .into()));
        app.update();
        assert_eq!(routed(&mut app), [(Action::Select, "South".to_string())]);
        // A stick pushed past the dead zone is one press; held there, nothing more.
        app.world_mut().write_message(raw(RawGamepadAxisChangedEvent::new(
            pads[0],
            GamepadAxis::RightStickX,
            -0.9,
        )
        .into()));
        app.update();
        app.update();
        assert_eq!(routed(&mut app), [(Action::TurnLeft, "RightStickLeft".to_string())]);
        // Inside the dead zone: nothing.
        app.world_mut().write_message(raw(RawGamepadAxisChangedEvent::new(
            pads[0],
            GamepadAxis::RightStickX,
            0.0,
        )
        .into()));
        app.update();
        app.world_mut().write_message(raw(RawGamepadAxisChangedEvent::new(
            pads[0],
            GamepadAxis::LeftStickY,
            0.15,
        )
        .into()));
        app.update();
        assert!(routed(&mut app).is_empty());
    }

    #[test]
    fn several_gamepads_act_as_one_user() {
        let (mut app, pads) = app_with_gamepads(2);
        app.world_mut().write_message(RawGamepadEvent::from(RawGamepadButtonChangedEvent::new(
            pads[0],
            GamepadButton::Start,
            1.0,
        )));
        app.world_mut().write_message(RawGamepadEvent::from(RawGamepadButtonChangedEvent::new(
            pads[1],
            GamepadButton::DPadDown,
            1.0,
        )));
        app.update();
        let mut actions = routed(&mut app);
        actions.sort();
        assert_eq!(
            actions,
            [(Action::OpenMenu, "Start".to_string()), (Action::NextFocus, "DPadDown".to_string())]
        );
    }

    #[test]
    fn key_names_match_the_bindings() {
        assert_eq!(key_name(KeyCode::KeyM), "M");
        assert_eq!(key_name(KeyCode::Digit1), "1");
        assert_eq!(key_name(KeyCode::ArrowDown), "ArrowDown");
        assert_eq!(key_name(KeyCode::Enter), "Enter");
    }
}
