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
mod control;
mod hub;
mod updates;

use crate::input::InputSystems;
use crate::session::{SessionReport, UserProfile, stepped};
use allverse_home::publish::Publisher;
use allverse_home::{AlertGate, HomeLink, HomeUpdate};
use bevy::prelude::*;

pub use alerts::{ActiveAlerts, AlertSpoken};
pub use control::HomeDevices;

/// The home's devices and alerts, when the profile names a broker.
pub struct HomePlugin;

/// Home systems run after input has been dispatched, so an acknowledgement
/// or a device chosen in the menu acts in the frame it was made.
#[derive(SystemSet, Clone, Debug, PartialEq, Eq, Hash)]
pub struct HomeSystems;

/// The connection to the hub and the gate alerts pass. Non-send: the link's
/// receiving end belongs to the main thread.
pub struct HomeConnection {
    pub link: HomeLink,
    pub gate: AlertGate,
    /// Updates the simulator's hub already took from the link while waiting for its events.
    inbox: Vec<HomeUpdate>,
    /// The simulator's hub, connected at its first event.
    hub: Option<Publisher>,
    /// Whether the link's last word was that it is connected; `None` before its first.
    connected: Option<bool>,
}

impl HomeConnection {
    /// The next update from the link, if one is waiting (or, with `wait`, once one comes).
    fn next(&mut self, wait: Option<std::time::Duration>) -> Option<HomeUpdate> {
        let update = match wait {
            Some(wait) => self.link.recv_timeout(wait),
            None => self.link.try_recv(),
        }?;
        match update {
            HomeUpdate::Connected { .. } => self.connected = Some(true),
            HomeUpdate::Disconnected { .. } => self.connected = Some(false),
            _ => {}
        }
        Some(update)
    }
}

impl Plugin for HomePlugin {
    fn build(&self, app: &mut App) {
        app.add_message::<AlertSpoken>()
            .init_resource::<ActiveAlerts>()
            .init_resource::<HomeDevices>()
            .configure_sets(Update, HomeSystems.after(InputSystems::Dispatch).before(InputSystems::Act));
        let profile = app.world().resource::<UserProfile>().profile.home.clone();
        if profile.broker.is_none() {
            return;
        }
        match control::connect(&profile) {
            Ok(link) => {
                app.insert_non_send(HomeConnection {
                    link,
                    gate: AlertGate::default(),
                    inbox: Vec::new(),
                    hub: None,
                    connected: None,
                });
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
