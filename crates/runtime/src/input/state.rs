//! Input's state between frames: the router that turns device events into actions, and the open menus.

use super::messages::Announce;
use allverse_core::profile::Profile;
use allverse_input::menu::{MenuId, Menus};
use allverse_input::router::Router;
use bevy::prelude::*;

/// The user's bindings, scanning and dwell, run on every device's events.
#[derive(Resource)]
pub struct InputRouter(pub Router);

/// A prompt that takes the user's next action, whatever it is and from
/// whichever device, before the menus see it: a life-safety alarm waiting
/// to be acknowledged. A person with one switch, a dwell or a voice has
/// one action to give, so any action must answer it.
#[derive(Resource, Default)]
pub struct ModalPrompt {
    /// Who asked, as it appears in [`super::PromptAnswered`]; `None` when no prompt waits.
    pub holder: Option<&'static str>,
}

/// The open menus and where they stand in the room.
#[derive(Resource, Default)]
pub struct MenuState {
    pub menus: Menus,
    /// What the report and the screen reader last heard about.
    pub(super) announced: Option<(MenuId, usize)>,
    /// World position of the menu's top-centre and the direction it faces the user from.
    pub(super) anchor: Option<(Vec3, Vec3)>,
}

impl MenuState {
    /// The focused item's label, to be read aloud from where the menu is; `None` with no menu open.
    pub fn announce_focus(&self, profile: &Profile) -> Option<Announce> {
        let ((menu, focus), (anchor, _)) = (self.menus.current()?, self.anchor?);
        let label = self.menus.label(self.menus.items(menu)[focus], profile);
        Some(Announce { text: label, source: "menu".into(), position_m: anchor })
    }
}
