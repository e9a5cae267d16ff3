//! The screen reader for panels: what the user looks at, or asks about, is read aloud from where it is.
//!
//! A sign, name tag or notice the gaze rests on is announced once the eyes
//! have stayed on it a moment; the read-aloud action reads the focused menu
//! item, or else the panel nearest the gaze. Both go out as [`Announce`]
//! messages, which speech says from the panel's place.

use crate::input::{ActionRequested, Announce, InputSystems, MenuState, requested};
use crate::panels::TextPanel;
use crate::rig::Rig;
use crate::session::{PanelKind, SessionClock, UserProfile};
use allverse_core::input::Action;
use allverse_core::placement::nearest_in_cone;
use bevy::prelude::*;

/// A panel is focused when the gaze passes this close to its centre…
const FOCUS_CONE_DEG: f32 = 3.0;
/// …and stays this long, so sweeping the eyes across a room does not chatter.
const FOCUS_DWELL_S: f32 = 0.5;
/// "Read aloud" with no menu open reads the panel nearest the gaze within this angle.
const READ_CONE_DEG: f32 = 10.0;

/// Gaze announcements and the read-aloud action.
pub struct ScreenReaderPlugin;

impl Plugin for ScreenReaderPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, (read_focused, announce_focused_panels).in_set(InputSystems::Act));
    }
}

/// Which panel the gaze rests on, since when, and whether it was announced.
#[derive(Default)]
struct PanelFocus {
    panel: Option<Entity>,
    since_s: f32,
    announced: bool,
}

/// Announces a sign, name tag or notice once the gaze has rested on it.
/// Input methods that move focus without the eyes (switches, gamepads) use
/// the read-aloud action instead.
fn announce_focused_panels(
    clock: Res<SessionClock>,
    rig: Res<Rig>,
    panels: Query<(Entity, &TextPanel, &GlobalTransform)>,
    mut focus: Local<PanelFocus>,
    mut announce: MessageWriter<Announce>,
) {
    let t_s = clock.elapsed_s();
    // Captions are heard already; menus announce their own focus.
    let candidates = panels
        .iter()
        .filter(|(_, panel, _)| !matches!(panel.kind, PanelKind::Caption | PanelKind::Menu))
        .map(|(entity, _, at)| (entity, at.translation()));
    let focused = nearest_in_cone(rig.head.translation, rig.gaze_direction(), FOCUS_CONE_DEG, candidates)
        .map(|hit| hit.target);
    if focused != focus.panel {
        *focus = PanelFocus { panel: focused, since_s: t_s, announced: false };
    }
    if focus.announced || t_s - focus.since_s < FOCUS_DWELL_S {
        return;
    }
    let Some((_, panel, at)) = focus.panel.and_then(|entity| panels.get(entity).ok()) else { return };
    focus.announced = true;
    announce.write(Announce {
        text: panel.text().replace('\n', ". "),
        source: panel.id.clone(),
        position_m: at.translation(),
    });
}

/// Reads the focused menu item, or else the panel the user looks at.
fn read_focused(
    mut actions: MessageReader<ActionRequested>,
    user: Res<UserProfile>,
    state: Res<MenuState>,
    rig: Res<Rig>,
    panels: Query<(&TextPanel, &GlobalTransform)>,
    mut announce: MessageWriter<Announce>,
) {
    for _ in requested(&mut actions, &[Action::ReadFocused]) {
        if let Some(focused) = state.announce_focus(&user.profile) {
            announce.write(focused);
            continue;
        }
        let eye = rig.head.translation;
        let candidates = panels
            .iter()
            .filter(|(panel, _)| panel.kind != PanelKind::Menu)
            .map(|(panel, at)| ((panel, at.translation()), at.translation()));
        let announcement = match nearest_in_cone(eye, rig.gaze_direction(), READ_CONE_DEG, candidates) {
            Some(hit) => {
                let (panel, at) = hit.target;
                Announce { text: panel.text().replace('\n', ". "), source: panel.id.clone(), position_m: at }
            }
            None => Announce {
                text: "There is nothing to read where you are looking.".into(),
                source: "nothing".into(),
                position_m: eye,
            },
        };
        announce.write(announcement);
    }
}
