//! Input in the scene: every device's events become semantic actions, carried out the same way.
//!
//! Adapters ([`adapters`] for keyboard and mouse, gamepads and scripted input,
//! [`pointing`] for gaze dwell and controller rays, [`voice_commands`] for
//! the microphone, the OpenXR actions in `xr`) feed one [`InputRouter`];
//! [`dispatch`] runs the menus on what comes out and sends every action that
//! is not menu navigation as an [`ActionRequested`] message, in the same
//! frame as the input. Features act on those messages in
//! [`InputSystems::Act`] (locomotion and settings here; captions, speech,
//! the screen reader and interpreting in their own plugins), so none of
//! them knows which device asked.

pub mod adapters;
mod dispatch;
mod locomotion;
mod menu_view;
mod messages;
mod pointing;
mod settings;
mod state;
mod voice_commands;

pub use dispatch::dispatch;
pub use messages::{
    ActionRequested, Announce, EntryChosen, Heard, InputSystems, PromptAnswered, Selected, SettingRequested,
    requested,
};
pub use state::{InputRouter, MenuState, ModalPrompt};

use crate::session::{Pacing, SessionReport, SessionSystems, UserProfile};
use allverse_input::router::Router;
use bevy::prelude::*;

/// Every input method, the menus, and the actions that belong to no other feature.
pub struct InputPlugin {
    /// The recogniser for spoken commands from the microphone (interactive
    /// sessions only: the simulator's voice commands are scripted).
    pub voice_model: Option<allverse_captions::Model>,
}

impl Plugin for InputPlugin {
    fn build(&self, app: &mut App) {
        let profile = app.world().resource::<UserProfile>().profile.clone();
        let listens = *app.world().resource::<Pacing>() == Pacing::Realtime;
        if listens && profile.input.voice_commands {
            match voice_commands::open(self.voice_model.as_ref()) {
                Ok(commands) => {
                    app.world_mut().resource_mut::<crate::microphone::MicrophoneInUse>().voice_commands =
                        true;
                    app.insert_non_send(commands)
                        .add_systems(Update, voice_commands::hear_voice_commands.in_set(InputSystems::Read));
                }
                Err(problem) => app
                    .world_mut()
                    .resource_mut::<SessionReport>()
                    .notice(format!("Voice commands are off: {problem}. Every action is still in the menu.")),
            }
        }
        app.insert_resource(InputRouter(Router::new(&profile.input)))
            .init_resource::<MenuState>()
            .init_resource::<ModalPrompt>()
            .add_message::<EntryChosen>()
            .add_message::<Heard>()
            .add_message::<PromptAnswered>()
            .add_message::<ActionRequested>()
            .add_message::<Announce>()
            .add_message::<SettingRequested>()
            .add_message::<Selected>()
            .configure_sets(
                Update,
                (InputSystems::Read, InputSystems::Dispatch, InputSystems::Act).chain().after(SessionSystems),
            )
            .add_systems(Startup, pointing::spawn_dwell_ring)
            .add_systems(
                Update,
                (
                    adapters::read_scripted_inputs,
                    adapters::read_keyboard_and_mouse,
                    adapters::read_gamepads,
                    pointing::point_and_dwell,
                )
                    .in_set(InputSystems::Read),
            )
            .add_systems(Update, dispatch.in_set(InputSystems::Dispatch))
            .add_systems(
                Update,
                (
                    (locomotion::move_user, settings::change_setting, adapters::confirm_by_rumble),
                    menu_view::show_menus,
                )
                    .chain()
                    .in_set(InputSystems::Act),
            );
    }
}
