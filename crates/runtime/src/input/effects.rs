//! What actions do outside the menus: moving the user, language channels, captions on or off, reading aloud, settings.
//!
//! Captions' history and speech act on [`ActionRequested`] in their own
//! modules; the rest lives here.

use super::{ActionRequested, Announce, InputRouter, MenuState, SettingRequested};
use crate::panels::{PanelAppearance, TextPanel};
use crate::report::{PanelKind, PresentedEvent, SessionReport};
use crate::rig::Rig;
use crate::session::{SessionClock, SessionConfig};
use allverse_core::input::Action;
use allverse_core::profile::{ProfileStore, set_key};
use allverse_input::router::Router;
use bevy::prelude::*;

/// Whether caption panels are shown; recognition goes on either way, so the history stays complete.
#[derive(Resource, Clone, Copy, Debug)]
pub struct CaptionsShown(pub bool);

/// Snap turns: a quick, fixed step is easier on the stomach than smooth turning.
const SNAP_TURN_DEG: f32 = 30.0;
const TELEPORT_DISTANCE_M: f32 = 2.0;
/// Teleports stop this far from the walls.
const WALL_MARGIN_M: f32 = 0.5;
/// "Read aloud" with no menu open reads the panel nearest the gaze within this angle.
const READ_CONE_DEG: f32 = 10.0;

fn requested(actions: &mut MessageReader<ActionRequested>, wanted: &[Action]) -> Vec<Action> {
    actions.read().map(|a| a.action).filter(|a| wanted.contains(a)).collect()
}

/// Turning, teleporting, recentering and going back to the safe place move
/// the tracked space in the world; the tracked head moves with it.
pub fn move_user(
    mut actions: MessageReader<ActionRequested>,
    config: Res<SessionConfig>,
    clock: Res<SessionClock>,
    mut rig: ResMut<Rig>,
    mut report: ResMut<SessionReport>,
) {
    let moves =
        [Action::Teleport, Action::TurnLeft, Action::TurnRight, Action::RecenterView, Action::GoToSafePlace];
    for action in requested(&mut actions, &moves) {
        let head = rig.head.translation;
        let world_from_tracking = &mut rig.world_from_tracking;
        match action {
            Action::TurnLeft | Action::TurnRight => {
                let sign = if action == Action::TurnLeft { 1.0 } else { -1.0 };
                // Turn about the head, not the tracking origin, so the user stays where they are.
                let turn = Quat::from_rotation_y((sign * SNAP_TURN_DEG).to_radians());
                world_from_tracking.rotate_around(Vec3::new(head.x, 0.0, head.z), turn);
            }
            Action::Teleport => {
                let mut ahead = *rig.head.forward();
                ahead.y = 0.0;
                let half = config.scenario.room.size_m / 2.0 - Vec3::splat(WALL_MARGIN_M);
                let target = head + ahead.normalize_or_zero() * TELEPORT_DISTANCE_M;
                let target =
                    target.clamp(Vec3::new(-half.x, target.y, -half.z), Vec3::new(half.x, target.y, half.z));
                rig.world_from_tracking.translation += target - head;
            }
            Action::RecenterView => {
                // Face the way the room faces again, where the user stands now.
                let yaw = rig.world_from_tracking.rotation.to_euler(EulerRot::YXZ).0;
                let pivot = Vec3::new(head.x, 0.0, head.z);
                rig.world_from_tracking.rotate_around(pivot, Quat::from_rotation_y(-yaw));
            }
            Action::GoToSafePlace => rig.world_from_tracking = Transform::IDENTITY,
            _ => unreachable!("filtered to moves"),
        }
        let position = rig.world_from_tracking.transform_point(rig.tracked_head.translation);
        let yaw_deg = (rig.world_from_tracking.rotation * rig.tracked_head.rotation)
            .to_euler(EulerRot::YXZ)
            .0
            .to_degrees();
        report.record(clock.elapsed_s(), PresentedEvent::Moved { position_m: position.to_array(), yaw_deg });
    }
}

/// Steps through the event's language channels and says which one is on;
/// the choice is a profile setting, so it is kept for next time.
pub fn switch_channel(
    mut actions: MessageReader<ActionRequested>,
    config: Res<SessionConfig>,
    clock: Res<SessionClock>,
    rig: Res<Rig>,
    mut report: ResMut<SessionReport>,
    mut announce: MessageWriter<Announce>,
    mut settings: MessageWriter<SettingRequested>,
) {
    for _ in requested(&mut actions, &[Action::SwitchInterpreterChannel]) {
        let channels = match &config.event {
            Some(event) => event.event().channels,
            None => config.scenario.event().channels,
        };
        let current = channels.iter().position(|c| c.id == config.profile.interpreting.channel).unwrap_or(0);
        let channel = &channels[(current + 1) % channels.len()];
        report.record(clock.elapsed_s(), PresentedEvent::Channel { channel: channel.id.clone() });
        let text = if channels.len() == 1 {
            format!("{} is the only language channel at this event.", channel.name)
        } else {
            format!("Now following {}.", channel.name)
        };
        announce.write(Announce { text, source: "channel".into(), position_m: rig.head.translation });
        if channel.id != config.profile.interpreting.channel {
            settings
                .write(SettingRequested { key: "interpreting.channel".into(), value: channel.id.clone() });
        }
    }
}

/// Shows or hides every caption panel; the captions themselves go on being recognised.
pub fn toggle_captions(
    mut actions: MessageReader<ActionRequested>,
    clock: Res<SessionClock>,
    mut shown: ResMut<CaptionsShown>,
    mut report: ResMut<SessionReport>,
    mut panels: Query<(&TextPanel, &mut Visibility)>,
) {
    for _ in requested(&mut actions, &[Action::ToggleCaptions]) {
        shown.0 = !shown.0;
        report.record(clock.elapsed_s(), PresentedEvent::CaptionsShown { shown: shown.0 });
    }
    if shown.is_changed() {
        let visibility = if shown.0 { Visibility::Inherited } else { Visibility::Hidden };
        for (panel, mut panel_visibility) in &mut panels {
            if panel.kind == PanelKind::Caption {
                *panel_visibility = visibility;
            }
        }
    }
}

/// Reads the focused menu item, or else the panel the user looks at.
pub fn read_focused(
    mut actions: MessageReader<ActionRequested>,
    config: Res<SessionConfig>,
    state: Res<MenuState>,
    rig: Res<Rig>,
    panels: Query<(&TextPanel, &GlobalTransform)>,
    mut announce: MessageWriter<Announce>,
) {
    for _ in requested(&mut actions, &[Action::ReadFocused]) {
        if let Some(focused) = state.announce_focus(&config.profile) {
            announce.write(focused);
            continue;
        }
        let (eye, gaze) = (rig.head.translation, rig.gaze_direction());
        let looked_at = panels
            .iter()
            .filter(|(panel, _)| panel.kind != PanelKind::Menu)
            .map(|(panel, at)| {
                (panel, at.translation(), gaze.angle_between(at.translation() - eye).to_degrees())
            })
            .filter(|(.., angle_deg)| *angle_deg <= READ_CONE_DEG)
            .min_by(|a, b| a.2.total_cmp(&b.2));
        let announcement = match looked_at {
            Some((panel, at, _)) => {
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

/// Applies a setting from the menus to the running session and saves it in the user's profile.
#[allow(clippy::too_many_arguments)]
pub fn change_setting(
    mut requests: MessageReader<SettingRequested>,
    clock: Res<SessionClock>,
    mut config: ResMut<SessionConfig>,
    mut appearance: ResMut<PanelAppearance>,
    mut router: ResMut<InputRouter>,
    mut rig: ResMut<Rig>,
    state: Res<MenuState>,
    mut report: ResMut<SessionReport>,
    mut panels: Query<&mut TextPanel>,
    mut announce: MessageWriter<Announce>,
) {
    for request in requests.read() {
        let profile = match set_key(&config.profile, &request.key, &request.value) {
            Ok(profile) => profile,
            Err(error) => {
                // The menus offer only valid values; if one is refused, the old setting stays.
                error!("setting {} = {} was refused: {error}", request.key, request.value);
                continue;
            }
        };
        if let Some(path) = &config.profile_store
            && let Err(error) = ProfileStore::at(path).save(&profile)
        {
            warn!("the setting applies to this session but could not be saved: {error}");
        }
        if profile.display != config.profile.display {
            // Text size and colours: every panel is drawn again.
            *appearance = appearance.restyled(&profile);
            for mut panel in &mut panels {
                panel.set_changed();
            }
        }
        rig.reach_extension_m = profile.comfort.reach_extension_m;
        if profile.input != config.profile.input {
            router.0 = Router::new(&profile.input);
        }
        config.profile = profile;
        report.record(
            clock.elapsed_s(),
            PresentedEvent::SettingChanged { key: request.key.clone(), value: request.value.clone() },
        );
        if let Some(focused) = state.announce_focus(&config.profile) {
            announce.write(focused);
        }
    }
}
