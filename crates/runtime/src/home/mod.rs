//! The home in the headset (FGMV-15): alerts from the user's devices reach every sense they have, and devices answer to any input method.
//!
//! [`HomePlugin`] connects to the hub's MQTT broker through
//! `allverse-home` when the profile names one (`[home] broker`). The link
//! runs on its own thread; each frame takes what it delivered without
//! waiting ([`updates`]). Alerts pass the gate (duplicates once, floods
//! collapsed, life-safety repeated until acknowledged) and are presented
//! in every modality the profile asks for ([`alerts`]): a banner at the top
//! of view that never takes focus, a flash or a steady glow at the view's
//! edge, a vibration per priority, speech from the device's place on the
//! home map, and a line in the scene beside the device. The home page of
//! the menu and spoken requests operate devices ([`control`]). In the
//! simulator the scenario's hub publishes its events to the real broker
//! and each frame waits for them to arrive, so runs are repeatable ([`hub`]).

mod alerts;
mod connection;
mod control;
mod hub;
mod updates;

use crate::input::InputSystems;
use crate::session::{SessionConfig, SessionReport, UserProfile, stepped};
use allverse_home::AlertGate;
use bevy::prelude::*;
use connection::HomeConnection;

pub use alerts::{ActiveAlerts, AlertSpoken};
pub use control::HomeDevices;

/// The home's devices and alerts, when the profile names a broker.
pub struct HomePlugin;

/// Home systems run after input has been dispatched, so an acknowledgement
/// or a device chosen in the menu acts in the frame it was made.
#[derive(SystemSet, Clone, Debug, PartialEq, Eq, Hash)]
pub struct HomeSystems;

impl Plugin for HomePlugin {
    fn build(&self, app: &mut App) {
        app.add_message::<AlertSpoken>()
            .init_resource::<ActiveAlerts>()
            .init_resource::<HomeDevices>()
            .configure_sets(Update, HomeSystems.after(InputSystems::Dispatch).before(InputSystems::Act));
        let profile = app.world().resource::<UserProfile>().profile.home.clone();
        if profile.broker.is_none() {
            if app.world().resource::<SessionConfig>().scenario.home_hub.is_some() {
                let notice = "The scenario plays a home hub, but the profile names no broker (`home.broker`): its events are not shown.";
                app.world_mut().resource_mut::<SessionReport>().notice(notice);
            }
            return;
        }
        match control::connect(&profile) {
            Ok(link) => {
                app.insert_non_send(HomeConnection::new(link, AlertGate::default()));
            }
            Err(problem) => {
                let notice = format!("Your home is not connected: {problem}");
                app.world_mut().resource_mut::<SessionReport>().notice(notice);
                return;
            }
        }
        app.add_systems(
            Update,
            (
                hub::publish_due_events.run_if(stepped),
                updates::receive_updates,
                alerts::acknowledge,
                alerts::present_alerts,
                control::operate_devices,
                control::list_devices,
            )
                .chain()
                .in_set(HomeSystems),
        )
        .add_systems(
            Update,
            (alerts::show_banner, alerts::show_frame, alerts::play_vibrations).after(HomeSystems),
        );
    }
}
