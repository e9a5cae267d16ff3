//! What the hub said since the last frame: devices, their states, alerts and the answers to commands.

use super::alerts::{ActiveAlerts, STATUS_S};
use super::connection::HomeConnection;
use super::control::{DeviceEntry, HomeDevices};
use crate::input::Announce;
use crate::rig::Rig;
use crate::session::{PresentedEvent, SessionClock, SessionReport, UserProfile};
use allverse_home::HomeUpdate;
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;

/// What the user is told of updates: the report, and speech.
#[derive(SystemParam)]
pub(super) struct Told<'w> {
    report: ResMut<'w, SessionReport>,
    announce: MessageWriter<'w, Announce>,
}

/// Takes every update the link delivered (and those the simulator's hub
/// waited for) and applies them in the order they came.
pub(super) fn receive_updates(
    clock: Res<SessionClock>,
    user: Res<UserProfile>,
    rig: Res<Rig>,
    mut home: NonSendMut<HomeConnection>,
    mut devices: ResMut<HomeDevices>,
    mut alerts: ResMut<ActiveAlerts>,
    mut told: Told,
) {
    let Told { report, announce } = &mut told;
    let t_s = clock.elapsed_s();
    let home = &mut *home;
    let mut updates = std::mem::take(&mut home.inbox);
    updates.extend(std::iter::from_fn(|| home.next(None)));
    let settings = &user.profile.home;
    let ahead = rig.head.transform_point(Vec3::new(0.0, 0.0, -1.0));
    for update in updates {
        let event = match update {
            HomeUpdate::Connected { broker } => {
                alerts.status = None;
                PresentedEvent::HomeConnection { connected: true, detail: broker }
            }
            HomeUpdate::Disconnected { reason, retry_in_s } => {
                alerts.status = Some((format!("Home not connected: {reason}. Trying again."), f32::INFINITY));
                PresentedEvent::HomeConnection {
                    connected: false,
                    detail: format!("{reason}; retry in {retry_in_s:.1} s"),
                }
            }
            HomeUpdate::EntityAdded(entity) => {
                let entry = DeviceEntry::from_entity(&entity);
                let event =
                    PresentedEvent::HomeDevice { entity: entry.key.clone(), state: entry.state_text() };
                devices.upsert(entry);
                event
            }
            HomeUpdate::EntityRemoved(key) => {
                devices.remove(&key.0);
                PresentedEvent::HomeDevice { entity: key.0, state: "removed".into() }
            }
            HomeUpdate::Availability { key, online, .. } => {
                devices.set_online(&key.0, online);
                PresentedEvent::HomeDevice {
                    entity: key.0,
                    state: if online { "online" } else { "offline" }.into(),
                }
            }
            HomeUpdate::StateChanged { key, state, .. } => {
                let Some(entry) = devices.set_state(&key.0, state) else { continue };
                if settings.announce_state_changes {
                    let position_m = settings.position_of(&entry.key).unwrap_or(ahead);
                    announce.write(Announce {
                        text: entry.spoken_state(),
                        source: entry.key.clone(),
                        position_m,
                    });
                }
                PresentedEvent::HomeDevice { entity: entry.key.clone(), state: entry.state_text() }
            }
            HomeUpdate::Alert(alert) => {
                let decision = home.gate.offer(alert, f64::from(t_s));
                alerts.decide(decision, t_s, report);
                continue;
            }
            HomeUpdate::CommandConfirmed { key, state, .. } => {
                let entry = devices.set_state(&key.0, state);
                let said = entry.map_or_else(|| format!("{} done", key.0), |e| e.spoken_state());
                alerts.status = Some((said.clone(), t_s + STATUS_S));
                announce.write(Announce { text: said, source: key.0.clone(), position_m: ahead });
                PresentedEvent::HomeCommand { entity: key.0, outcome: "confirmed".into() }
            }
            HomeUpdate::CommandFailed { key, reason, .. } => {
                let said = format!("{}: {reason}", devices.name_of(&key.0));
                alerts.status = Some((said.clone(), t_s + STATUS_S));
                announce.write(Announce { text: said.clone(), source: key.0.clone(), position_m: ahead });
                PresentedEvent::HomeCommand { entity: key.0, outcome: said }
            }
            HomeUpdate::Skipped { topic, reason } => PresentedEvent::HomeSkipped { topic, reason },
            HomeUpdate::Processed { .. } => continue,
        };
        report.record(t_s, event);
    }
    // Life-safety alerts come round again until they are acknowledged.
    for decision in home.gate.tick(f64::from(t_s)) {
        alerts.decide(decision, t_s, report);
    }
}
