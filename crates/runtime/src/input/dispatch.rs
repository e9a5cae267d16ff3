//! Dispatch: the menus run on what the router made of this frame's input, and everything else goes out as actions.

use super::menu_view::anchor_in_front_of;
use super::messages::{
    ActionRequested, Announce, EntryChosen, Heard, PromptAnswered, Selected, SettingRequested,
};
use super::state::{InputRouter, MenuState, ModalPrompt};
use crate::rig::Rig;
use crate::session::{PresentedEvent, SessionClock, SessionReport, UserProfile};
use allverse_core::input::Action;
use allverse_input::menu::MenuOutcome;
use allverse_input::router::Routed;
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;

/// Where dispatch sends what it decides.
#[derive(SystemParam)]
pub struct DispatchOutputs<'w> {
    actions: MessageWriter<'w, ActionRequested>,
    settings: MessageWriter<'w, SettingRequested>,
    announce: MessageWriter<'w, Announce>,
    selected: MessageWriter<'w, Selected>,
    entries: MessageWriter<'w, EntryChosen>,
    heard: MessageWriter<'w, Heard>,
    answered: MessageWriter<'w, PromptAnswered>,
    prompt: ResMut<'w, ModalPrompt>,
    report: ResMut<'w, SessionReport>,
}

/// Runs the menus on what the router made of this frame's input and sends
/// out the rest; records every action and focus change.
pub fn dispatch(
    clock: Res<SessionClock>,
    user: Res<UserProfile>,
    rig: Res<Rig>,
    mut router: ResMut<InputRouter>,
    mut state: ResMut<MenuState>,
    mut out: DispatchOutputs,
) {
    let t_s = clock.elapsed_s();
    let state = &mut *state;
    let profile = &user.profile;
    let menu_now = state.menus.current().map(|(menu, focus)| (state.menus.items(menu).len(), focus));
    router.0.sync_menu(menu_now, t_s);
    for routed in router.0.update(t_s) {
        let (action, device, input) = match routed {
            Routed::FocusAt { index, .. } => {
                state.menus.focus_at(index);
                continue;
            }
            Routed::Said { utterance } => {
                out.heard.write(Heard { utterance });
                continue;
            }
            Routed::Action { action, device, input } => (action, device, input),
        };
        if let Some(holder) = out.prompt.holder.take() {
            out.report.record(t_s, PresentedEvent::Action { action, device, input, via_menu: false });
            out.answered.write(PromptAnswered { holder, action, device });
            continue;
        }
        if action == Action::Select {
            out.selected.write(Selected { device });
        }
        let mut record = |action: Action, via_menu: bool| {
            out.report.record(t_s, PresentedEvent::Action { action, device, input: input.clone(), via_menu });
        };
        match state.menus.apply(action, profile) {
            MenuOutcome::Changed => record(action, false),
            MenuOutcome::Ignored => {
                record(action, false);
                out.actions.write(ActionRequested { action, device, input: input.clone() });
            }
            MenuOutcome::Do(chosen) => {
                record(action, false);
                record(chosen, true);
                if !is_menu_navigation(chosen) {
                    out.actions.write(ActionRequested { action: chosen, device, input: input.clone() });
                }
            }
            MenuOutcome::Set { key, value } => {
                record(action, false);
                out.settings.write(SettingRequested { key: key.into(), value: value.into() });
            }
            MenuOutcome::Entry(menu, index) => {
                record(action, false);
                out.entries.write(EntryChosen { menu, index });
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
        out.report.record(t_s, PresentedEvent::MenuClosed);
        return;
    };
    state.anchor.get_or_insert_with(|| anchor_in_front_of(&rig));
    let focused = state.announce_focus(profile).expect("a menu is open and placed");
    out.report.record(
        t_s,
        PresentedEvent::Focus { menu: menu.title().into(), item: focus, label: focused.text.clone() },
    );
    out.announce.write(focused);
}

/// Actions a menu item carries out on the menus themselves.
fn is_menu_navigation(action: Action) -> bool {
    matches!(action, Action::NextFocus | Action::PreviousFocus | Action::Back | Action::OpenMenu)
}
