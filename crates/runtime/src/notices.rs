//! Notices: things the user must be told, shown in front of them, wherever they look.
//!
//! A terminal message is invisible inside a headset, so anything the app
//! says on start-up (a profile that had to be set aside, a fallback from
//! the headset to another backend) is also shown head-locked in the scene
//! for long enough to read, and recorded in the session report.

use crate::panels::{HeadLocked, PanelNoticed, TextPanel};
use crate::session::{PanelKind, SessionClock, SessionReport};
use allverse_core::caption::wrap;
use allverse_pipeline::panel::PanelLine;
use bevy::prelude::*;

/// Long enough to read a few lines slowly (WCAG 2.2.1 asks that time
/// limits be generous; a notice can also be recalled from the report).
const NOTICE_DURATION_S: f32 = 12.0;
/// Below the line of sight and at arm's length, so it does not cover the scene.
const NOTICE_OFFSET_FROM_HEAD_M: Vec3 = Vec3::new(0.0, -0.25, -1.2);
const NOTICE_CHARS_PER_LINE: usize = 48;

/// Start-up notices, shown head-locked for long enough to read.
pub struct NoticePlugin;

impl Plugin for NoticePlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Startup, show_notices).add_systems(Update, (show_panel_notices, retire_notices));
    }
}

#[derive(Component)]
struct Notice {
    until_s: f32,
}

fn show_notices(mut commands: Commands, report: Res<SessionReport>) {
    if !report.notices.is_empty() {
        spawn_notice(&mut commands, "notice", &report.notices, NOTICE_DURATION_S);
    }
}

/// A panel drawn smaller, cut, or with characters no font has is said in
/// view, so a panel never changes silently. Notices about notices are not
/// shown again, so a notice that cannot be drawn whole cannot loop.
fn show_panel_notices(
    mut commands: Commands,
    clock: Res<SessionClock>,
    mut noticed: MessageReader<PanelNoticed>,
) {
    let texts: Vec<String> = noticed
        .read()
        .filter(|n| !n.panel.starts_with("notice"))
        .map(|n| format!("`{}`: {}", n.panel, n.text))
        .collect();
    if !texts.is_empty() {
        spawn_notice(&mut commands, "notice-panels", &texts, clock.elapsed_s() + NOTICE_DURATION_S);
    }
}

fn spawn_notice(commands: &mut Commands, id: &str, notices: &[String], until_s: f32) {
    let mut lines = vec![PanelLine::bold("Please note")];
    for notice in notices {
        lines.extend(wrap(notice, NOTICE_CHARS_PER_LINE).into_iter().map(PanelLine::regular));
    }
    commands.spawn((
        TextPanel { id: id.into(), kind: PanelKind::Notice, lines },
        HeadLocked { head_offset_m: NOTICE_OFFSET_FROM_HEAD_M },
        Notice { until_s },
    ));
}

fn retire_notices(mut commands: Commands, clock: Res<SessionClock>, notices: Query<(Entity, &Notice)>) {
    for (entity, notice) in &notices {
        if clock.elapsed_s() >= notice.until_s {
            commands.entity(entity).despawn();
        }
    }
}
