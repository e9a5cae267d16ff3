//! The chat panel: the room's state on its first line, then the latest messages, each under its sender's name.

use crate::panels::{LazyFollow, TextPanel};
use crate::session::PanelKind;
use allverse_core::caption::wrap;
use allverse_pipeline::panel::PanelLine;
use bevy::prelude::*;

use super::room::LiveRoom;

/// Right of the centre of view and a little low, clear of captions below it.
const CHAT_OFFSET_M: Vec3 = Vec3::new(0.75, -0.1, -1.5);
/// Messages shown; older ones are in the report.
const CHAT_MESSAGES: usize = 4;
const CHAT_CHARS_PER_LINE: usize = 36;

/// Marks the chat panel.
#[derive(Component)]
pub(super) struct ChatPanel;

pub(super) fn spawn_chat_panel(mut commands: Commands, room: NonSend<LiveRoom>) {
    commands.spawn((
        ChatPanel,
        TextPanel { id: "chat".into(), kind: PanelKind::Chat, lines: lines(&room) },
        LazyFollow::new(CHAT_OFFSET_M),
    ));
}

/// Redraws the panel when the room's state or its chat changed.
pub(super) fn show_chat(mut room: NonSendMut<LiveRoom>, mut panel: Query<&mut TextPanel, With<ChatPanel>>) {
    if !std::mem::take(&mut room.chat_changed) {
        return;
    }
    if let Ok(mut panel) = panel.single_mut() {
        panel.lines = lines(&room);
    }
}

fn lines(room: &LiveRoom) -> Vec<PanelLine> {
    let mut lines = vec![PanelLine::bold(room.status.clone())];
    let first = room.chat.len().saturating_sub(CHAT_MESSAGES);
    for (name, text) in room.chat.iter().skip(first) {
        lines.push(PanelLine::bold(format!("{name}:")));
        lines.extend(wrap(text, CHAT_CHARS_PER_LINE).into_iter().map(PanelLine::regular));
    }
    lines
}
