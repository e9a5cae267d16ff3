//! Input in the scene: every device's events become semantic actions, carried out the same way.
//!
//! Adapters ([`adapters`] for keyboard and mouse, gamepads and scripted input,
//! [`pointing`] for gaze dwell and controller rays, the OpenXR actions in
//! `xr`) feed one [`Router`]; [`dispatch`] runs the menus on what comes
//! out and sends every action that is not menu navigation as an
//! [`ActionRequested`] message, in the same frame as the input. Features
//! act on those messages (captions, speech, locomotion in [`effects`]), so
//! none of them knows which device asked.

pub mod adapters;
mod effects;
mod menu_view;
mod pointing;
mod voice;

use crate::report::{PresentedEvent, SessionReport};
use crate::session::{SessionClock, SessionConfig, SessionSystems};
use allverse_core::input::{Action, InputDevice};
use allverse_input::menu::{MenuId, MenuOutcome, Menus};
use allverse_input::router::{Routed, Router};
use bevy::prelude::*;

pub use effects::CaptionsShown;

/// An action to carry out, whatever asked for it.
#[derive(Message, Clone, Debug)]
pub struct ActionRequested {
    pub action: Action,
    pub device: InputDevice,
    pub input: String,
}

/// Something to read aloud for the user (a focused menu item, a panel they asked about).
#[derive(Message, Clone, Debug)]
pub struct Announce {
    pub text: String,
    /// What it is about, for the report: `menu`, a panel id.
    pub source: String,
    pub position_m: Vec3,
}

/// The user selected something (confirmed with haptics where the device has them).
#[derive(Message, Clone, Debug)]
pub struct Selected {
    pub device: InputDevice,
}

/// A profile setting chosen in the settings menu (or by an action, such as the next language channel).
#[derive(Message, Clone, Debug)]
pub struct SettingRequested {
    /// Dotted profile key, e.g. `display.caption_cap_height_deg`.
    pub key: String,
    pub value: String,
}

/// Adapters read devices in `Read`; `Dispatch` turns that into actions.
#[derive(SystemSet, Clone, Debug, PartialEq, Eq, Hash)]
pub enum InputSystems {
    Read,
    Dispatch,
}

#[derive(Resource)]
pub struct InputRouter(pub Router);

/// The open menus and where they stand in the room.
#[derive(Resource, Default)]
pub struct MenuState {
    pub menus: Menus,
    /// What the report and the screen reader last heard about.
    announced: Option<(MenuId, usize)>,
    /// World position of the menu's top-centre and the direction it faces the user from.
    anchor: Option<(Vec3, Vec3)>,
}

impl MenuState {
    /// The focused item's label, to be read aloud from where the menu is; `None` with no menu open.
    fn announce_focus(&self, profile: &allverse_core::profile::Profile) -> Option<Announce> {
        let ((menu, focus), (anchor, _)) = (self.menus.current()?, self.anchor?);
        Some(Announce { text: menu.items()[focus].label(profile), source: "menu".into(), position_m: anchor })
    }
}

pub struct InputPlugin {
    /// Interactive backends listen to the microphone for voice commands;
    /// the simulator's come from its script.
    pub listen: bool,
}

impl Plugin for InputPlugin {
    fn build(&self, app: &mut App) {
        let config = app.world().resource::<SessionConfig>().clone();
        let profile = config.profile.clone();
        if self.listen && profile.input.voice_commands {
            match voice::open(&config) {
                Ok(commands) => {
                    app.insert_non_send(commands)
                        .add_systems(Update, voice::hear_voice_commands.in_set(InputSystems::Read));
                }
                Err(problem) => {
                    let notice =
                        format!("Voice commands are off: {problem}. Every action is still in the menu.");
                    app.world_mut().resource_mut::<SessionConfig>().notices.push(notice.clone());
                    app.world_mut().resource_mut::<SessionReport>().notices.push(notice);
                }
            }
        }
        app.insert_resource(InputRouter(Router::new(&profile.input)))
            .insert_resource(CaptionsShown(profile.captions.enabled))
            .init_resource::<MenuState>()
            .add_message::<ActionRequested>()
            .add_message::<Announce>()
            .add_message::<SettingRequested>()
            .add_message::<Selected>()
            .configure_sets(
                Update,
                (InputSystems::Read, InputSystems::Dispatch).chain().after(SessionSystems),
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
            .add_systems(
                Update,
                (
                    dispatch,
                    (
                        effects::move_user,
                        effects::switch_channel,
                        effects::toggle_captions,
                        effects::read_focused,
                        effects::change_setting,
                        adapters::confirm_by_rumble,
                    ),
                    menu_view::show_menus,
                )
                    .chain()
                    .in_set(InputSystems::Dispatch),
            );
    }
}

/// Runs the menus on what the router made of this frame's input and sends
/// out the rest; records every action and focus change.
#[allow(clippy::too_many_arguments)]
pub fn dispatch(
    clock: Res<SessionClock>,
    config: Res<SessionConfig>,
    rig: Res<crate::rig::Rig>,
    mut router: ResMut<InputRouter>,
    mut state: ResMut<MenuState>,
    mut report: ResMut<SessionReport>,
    mut actions: MessageWriter<ActionRequested>,
    mut settings: MessageWriter<SettingRequested>,
    mut announce: MessageWriter<Announce>,
    mut selected: MessageWriter<Selected>,
) {
    let t_s = clock.elapsed_s();
    let state = &mut *state;
    let menu_now = state.menus.current().map(|(menu, focus)| (menu.items().len(), focus));
    router.0.sync_menu(menu_now, t_s);
    for routed in router.0.update(t_s) {
        let (action, device, input) = match routed {
            Routed::FocusAt { index, .. } => {
                state.menus.focus_at(index);
                continue;
            }
            Routed::Action { action, device, input } => (action, device, input),
        };
        if action == Action::Select {
            selected.write(Selected { device });
        }
        let mut record = |action: Action, via_menu: bool| {
            report.record(t_s, PresentedEvent::Action { action, device, input: input.clone(), via_menu });
        };
        match state.menus.apply(action, &config.profile) {
            MenuOutcome::Changed => record(action, false),
            MenuOutcome::Ignored => {
                record(action, false);
                actions.write(ActionRequested { action, device, input: input.clone() });
            }
            MenuOutcome::Do(chosen) => {
                record(action, false);
                record(chosen, true);
                if !is_menu_navigation(chosen) {
                    actions.write(ActionRequested { action: chosen, device, input: input.clone() });
                }
            }
            MenuOutcome::Set { key, value } => {
                record(action, false);
                settings.write(SettingRequested { key: key.into(), value: value.into() });
            }
        }
    }
    let current = state.menus.current();
    if current == state.announced {
        return;
    }
    state.announced = current;
    let Some((menu, focus)) = current else {
        state.anchor = None;
        report.record(t_s, PresentedEvent::MenuClosed);
        return;
    };
    state.anchor.get_or_insert_with(|| menu_view::anchor_in_front_of(&rig));
    let focused = state.announce_focus(&config.profile).expect("a menu is open and placed");
    report.record(
        t_s,
        PresentedEvent::Focus { menu: menu.title().into(), item: focus, label: focused.text.clone() },
    );
    announce.write(focused);
}

/// Actions a menu item carries out on the menus themselves.
fn is_menu_navigation(action: Action) -> bool {
    matches!(action, Action::NextFocus | Action::PreviousFocus | Action::Back | Action::OpenMenu)
}
