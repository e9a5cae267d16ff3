//! What input says to the rest of the session: actions to carry out, things to read aloud, settings to change.

use allverse_core::input::{Action, InputDevice};
use bevy::prelude::*;

/// An action to carry out, whatever asked for it.
#[derive(Message, Clone, Debug)]
pub struct ActionRequested {
    pub action: Action,
    pub device: InputDevice,
    pub input: String,
}

/// The actions of this frame that are among `wanted`, in the order they were asked for.
pub fn requested(actions: &mut MessageReader<ActionRequested>, wanted: &[Action]) -> Vec<Action> {
    actions.read().map(|a| a.action).filter(|a| wanted.contains(a)).collect()
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

/// An entry of a menu the runtime lists was chosen: a home device to operate or to place, a phrase to say.
#[derive(Message, Clone, Debug)]
pub struct EntryChosen {
    pub menu: allverse_input::menu::MenuId,
    pub index: usize,
}

/// An utterance that is not an action phrase, for features that understand
/// more ("turn on the kitchen light").
#[derive(Message, Clone, Debug)]
pub struct Heard {
    pub utterance: String,
}

/// A prompt that answered with the user's next action (see [`super::ModalPrompt`]).
#[derive(Message, Clone, Debug)]
pub struct PromptAnswered {
    pub holder: &'static str,
    pub action: Action,
    pub device: InputDevice,
}

/// Adapters read devices in `Read`; `Dispatch` turns that into actions, which features carry out in `Act`.
#[derive(SystemSet, Clone, Debug, PartialEq, Eq, Hash)]
pub enum InputSystems {
    Read,
    Dispatch,
    Act,
}
