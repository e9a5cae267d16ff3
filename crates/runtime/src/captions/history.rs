//! The caption history: who said what, called up by the user, scrolled, and closed.

use super::show::Captioning;
use crate::input::ActionRequested;
use crate::panels::{HeadLocked, TextPanel};
use crate::session::{PanelKind, SessionClock};
use allverse_core::caption::history_lines;
use allverse_core::input::Action;
use bevy::prelude::*;

/// How long the caption history stays up after it is asked for.
const HISTORY_SHOWN_S: f32 = 10.0;
/// Lines of history shown, the most recent last.
const HISTORY_LINES: usize = 8;
const HISTORY_OFFSET_M: Vec3 = Vec3::new(0.0, 0.05, -1.4);

/// The caption history panel while it is shown.
#[derive(Component)]
pub(super) struct HistoryPanel {
    until_s: f32,
    /// How far it is scrolled back from the latest line.
    lines_back: usize,
}

/// Shows what was said so far, by whom, when the user asks (the caption
/// history action: `H`, a menu item, "history"): for anyone who looked
/// away, read slowly, or joined late. Scrolling moves through it; back,
/// asking again, or a while without scrolling closes it.
pub(super) fn show_history(
    mut commands: Commands,
    clock: Res<SessionClock>,
    mut actions: MessageReader<ActionRequested>,
    captioning: NonSend<Captioning>,
    mut shown: Query<(Entity, &mut HistoryPanel, &mut TextPanel)>,
) {
    let t_s = clock.elapsed_s();
    for action in actions.read() {
        let open = shown.single_mut().ok();
        match (action.action, open) {
            (Action::CaptionHistory | Action::Back, Some((entity, ..))) => commands.entity(entity).despawn(),
            (Action::CaptionHistory, None) => {
                commands.spawn((
                    TextPanel {
                        id: "caption-history".into(),
                        kind: PanelKind::Caption,
                        lines: history_lines(&captioning.history, 0, HISTORY_LINES),
                    },
                    HeadLocked { head_offset_m: HISTORY_OFFSET_M },
                    Transform::default(),
                    HistoryPanel { until_s: t_s + HISTORY_SHOWN_S, lines_back: 0 },
                ));
            }
            (scroll @ (Action::ScrollUp | Action::ScrollDown), Some((_, mut history, mut panel))) => {
                let step = HISTORY_LINES / 2;
                history.lines_back = if scroll == Action::ScrollUp {
                    history.lines_back + step
                } else {
                    history.lines_back.saturating_sub(step)
                };
                history.until_s = t_s + HISTORY_SHOWN_S;
                panel.lines = history_lines(&captioning.history, history.lines_back, HISTORY_LINES);
            }
            _ => {}
        }
    }
    for (entity, history, _) in &shown {
        if t_s >= history.until_s {
            commands.entity(entity).despawn();
        }
    }
}
