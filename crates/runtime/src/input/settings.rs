//! Settings changed in the menus: applied to the running session at once and saved in the user's profile.

use super::messages::{Announce, SettingRequested};
use super::state::{InputRouter, MenuState};
use crate::panels::{PanelAppearance, TextPanel};
use crate::rig::Rig;
use crate::session::{PresentedEvent, SessionClock, SessionReport, UserProfile};
use allverse_core::profile::{Profile, ProfileStore, set_key};
use allverse_input::router::Router;
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;

/// What a changed setting takes effect in, besides the profile itself.
#[derive(SystemParam)]
pub struct SettingTargets<'w, 's> {
    appearance: ResMut<'w, PanelAppearance>,
    router: ResMut<'w, InputRouter>,
    rig: ResMut<'w, Rig>,
    panels: Query<'w, 's, &'static mut TextPanel>,
}

impl SettingTargets<'_, '_> {
    /// Brings the session in line with `now`, changed from `before`.
    fn apply(&mut self, before: &Profile, now: &Profile) {
        let restyled = self.appearance.restyled(now);
        if restyled != *self.appearance {
            // Text size and colours: every panel is drawn again.
            *self.appearance = restyled;
            for mut panel in &mut self.panels {
                panel.set_changed();
            }
        }
        self.rig.reach_extension_m = now.comfort.reach_extension_m;
        if now.input != before.input {
            self.router.0 = Router::new(&now.input);
        }
    }
}

/// Applies a setting from the menus to the running session and saves it in the user's profile.
pub fn change_setting(
    mut requests: MessageReader<SettingRequested>,
    clock: Res<SessionClock>,
    mut user: ResMut<UserProfile>,
    mut applied: SettingTargets,
    state: Res<MenuState>,
    mut report: ResMut<SessionReport>,
    mut announce: MessageWriter<Announce>,
) {
    for request in requests.read() {
        let profile = match set_key(&user.profile, &request.key, &request.value) {
            Ok(profile) => profile,
            Err(error) => {
                // The menus offer only valid values; if one is refused, the old setting stays.
                error!("setting {} = {} was refused: {error}", request.key, request.value);
                continue;
            }
        };
        if let Some(path) = &user.store
            && let Err(error) = ProfileStore::at(path).save(&profile)
        {
            warn!("the setting applies to this session but could not be saved: {error}");
        }
        applied.apply(&user.profile, &profile);
        user.profile = profile;
        report.record(
            clock.elapsed_s(),
            PresentedEvent::SettingChanged { key: request.key.clone(), value: request.value.clone() },
        );
        if let Some(focused) = state.announce_focus(&user.profile) {
            announce.write(focused);
        }
    }
}
