//! Input event to semantic action: in which frame, how long after, and what the adapters cost per frame.
//!
//! Targets (issue #6): an input is dispatched as an action within the
//! same frame (p99, in frames and microseconds); adapter CPU per frame
//! with every adapter active ≤ 50 µs. The app is the runtime's input
//! plugin on Bevy's own input plugin, headless, single-threaded so the
//! timings are of the adapters and not of the scheduler.

use crate::measurement::{Goal, Measurement, percentile};
use allverse_core::input::ScanMode;
use allverse_core::profile::Profile;
use allverse_core::scenario::Scenario;
use allverse_runtime::input::{ActionRequested, InputPlugin, InputSystems, dispatch};
use allverse_runtime::panels::PanelAppearance;
use allverse_runtime::rig::Rig;
use allverse_runtime::session::{Pacing, SessionClock, SessionConfig, SessionReport, UserProfile};
use anyhow::Result;
use bevy::diagnostic::FrameCount;
use bevy::ecs::schedule::SingleThreadedExecutor;
use bevy::input::ButtonState;
use bevy::input::gamepad::{
    GamepadAxis, GamepadConnection, GamepadConnectionEvent, RawGamepadAxisChangedEvent, RawGamepadEvent,
};
use bevy::input::keyboard::{Key, KeyboardInput};
use bevy::prelude::*;
use std::time::Instant;

const WARM_UP_FRAMES: u32 = 100;
const MEASURED_FRAMES: u32 = 2000;
const FRAME_RATE_HZ: f64 = 90.0;
const GAMEPADS: usize = 4;

/// When the last key event was handed to Bevy, and when (and in which frame) its action arrived.
#[derive(Resource, Default)]
struct Probe {
    injected: Option<(Instant, u32)>,
    dispatch_latency_us: Vec<f64>,
    dispatch_frames: Vec<f64>,
    adapter_started: Option<Instant>,
    adapter_us: Vec<f64>,
    measuring: bool,
}

pub fn run() -> Result<Vec<Measurement>> {
    let mut app = input_app()?;
    let pads: Vec<Entity> = (0..GAMEPADS).map(|_| app.world_mut().spawn_empty().id()).collect();
    for (i, pad) in pads.iter().enumerate() {
        let connected =
            GamepadConnection::Connected { name: format!("pad {i}"), vendor_id: None, product_id: None };
        app.world_mut().write_message(GamepadConnectionEvent::new(*pad, connected));
    }
    for frame in 0..WARM_UP_FRAMES + MEASURED_FRAMES {
        let t_s = f64::from(frame) / FRAME_RATE_HZ;
        app.world_mut().resource_mut::<SessionClock>().step_to(t_s);
        app.world_mut().resource_mut::<Probe>().measuring = frame >= WARM_UP_FRAMES;
        // Every gamepad's sticks move every frame, so the stick adapters always work.
        let wobble = (t_s * 7.0).sin() as f32;
        for pad in &pads {
            for axis in [GamepadAxis::LeftStickX, GamepadAxis::RightStickY] {
                let event = RawGamepadAxisChangedEvent::new(*pad, axis, wobble * 0.3);
                app.world_mut().write_message(RawGamepadEvent::Axis(event));
            }
        }
        // "T" (repeat the last caption) goes down on even frames and up on odd ones.
        let state = if frame % 2 == 0 { ButtonState::Pressed } else { ButtonState::Released };
        app.world_mut().write_message(KeyboardInput {
            key_code: KeyCode::KeyT,
            logical_key: Key::Character("t".into()),
            state,
            text: None,
            repeat: false,
            window: Entity::PLACEHOLDER,
        });
        if state == ButtonState::Pressed {
            let frame_count = app.world().resource::<FrameCount>().0;
            app.world_mut().resource_mut::<Probe>().injected = Some((Instant::now(), frame_count));
        }
        app.update();
    }
    let probe = app.world_mut().remove_resource::<Probe>().expect("inserted below");
    let (mut latency_us, mut frames, mut adapter_us) =
        (probe.dispatch_latency_us, probe.dispatch_frames, probe.adapter_us);
    anyhow::ensure!(!latency_us.is_empty(), "no key press was ever dispatched as an action");
    Ok(vec![
        Measurement::new(
            "input event to action dispatched, p99 (frames later)",
            percentile(&mut frames, 99.0),
            "frames",
            Goal::AtMost,
            0.0,
        ),
        Measurement::new(
            "input event to action dispatched, p99",
            percentile(&mut latency_us, 99.0),
            "us",
            Goal::AtMost,
            (1e6 / FRAME_RATE_HZ).round(),
        ),
        Measurement::new(
            "adapter + dispatch CPU per frame, all adapters active, p50",
            percentile(&mut adapter_us, 50.0),
            "us",
            Goal::AtMost,
            50.0,
        ),
        Measurement::new(
            "adapter + dispatch CPU per frame, all adapters active, p99",
            percentile(&mut adapter_us, 99.0),
            "us",
            Goal::AtMost,
            50.0,
        ),
    ])
}

/// The runtime's input plugin with every adapter busy: keyboard, four
/// gamepads, one-switch scanning over an open menu, gaze dwell, voice and
/// scripted input.
fn input_app() -> Result<App> {
    let mut profile = Profile::default();
    profile.input.scan.mode = ScanMode::OneSwitch;
    profile.input.dwell.enabled = true;
    let mut scenario_text =
        String::from("name = \"input bench\"\nduration_s = 30.0\n[room]\nsize_m = [6.0, 3.0, 6.0]\n");
    // The menu opens by switch at once and stays open; voice and switch inputs keep coming.
    for i in 0..100 {
        let (device, input) =
            if i % 2 == 0 { ("switch", "switch1") } else { ("voice", "what a lovely talk") };
        let at_s = if i == 0 { 0.0 } else { 1.0 + i as f32 * 0.2 };
        scenario_text += &format!("[[inputs]]\nat_s = {at_s}\ndevice = \"{device}\"\ninput = \"{input}\"\n");
    }
    let scenario = Scenario::parse(&scenario_text, "input bench", ".".as_ref())?;
    let config = SessionConfig::new(scenario, "bench", &mut Vec::new())?;

    let mut app = App::new();
    app.add_plugins((MinimalPlugins, AssetPlugin::default(), bevy::input::InputPlugin))
        .init_asset::<Mesh>()
        .init_asset::<StandardMaterial>()
        .insert_resource(config)
        .insert_resource(UserProfile { profile: profile.clone(), store: None })
        .insert_resource(Pacing::Stepped)
        .insert_resource(SessionClock::new())
        .insert_resource(Rig::default())
        .insert_resource(SessionReport::default())
        .insert_resource(PanelAppearance::from_profile(&profile, 20.0))
        .init_resource::<Probe>()
        .add_plugins(InputPlugin { voice_model: None })
        .add_systems(Update, start_adapter_timer.before(InputSystems::Read))
        .add_systems(
            Update,
            (stop_adapter_timer.after(dispatch), record_dispatch)
                .in_set(InputSystems::Dispatch)
                .after(dispatch),
        )
        .edit_schedule(Update, |schedule| {
            schedule.set_executor(SingleThreadedExecutor::new());
        });
    app.finish();
    app.cleanup();
    Ok(app)
}

fn start_adapter_timer(mut probe: ResMut<Probe>) {
    probe.adapter_started = Some(Instant::now());
}

fn stop_adapter_timer(mut probe: ResMut<Probe>) {
    if let Some(started) = probe.adapter_started.take()
        && probe.measuring
    {
        let us = started.elapsed().as_secs_f64() * 1e6;
        probe.adapter_us.push(us);
    }
}

fn record_dispatch(
    mut probe: ResMut<Probe>,
    mut actions: MessageReader<ActionRequested>,
    frame: Res<FrameCount>,
) {
    let dispatched = actions.read().any(|a| a.action == allverse_core::input::Action::RepeatLastCaption);
    if let Some((injected_at, injected_frame)) = probe.injected.filter(|_| dispatched) {
        probe.injected = None;
        if probe.measuring {
            let latency_us = injected_at.elapsed().as_secs_f64() * 1e6;
            probe.dispatch_latency_us.push(latency_us);
            probe.dispatch_frames.push(f64::from(frame.0 - injected_frame));
        }
    }
}
