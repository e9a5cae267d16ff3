//! Operating the home's devices: the Home page of the menu, spoken requests, and the home map.
//!
//! Every controllable device the hub announced is an entry on the Home
//! page, by room, so switch scanning, dwell, a gamepad, a keyboard and
//! voice all reach it the way they reach any menu item. A device changes
//! only when its own state topic says so; the link reports a timeout or a
//! refusal otherwise, and the banner and speech say which. The home map
//! page places a device where the user is looking, so its alerts come
//! from there.

use super::connection::HomeConnection;
use crate::input::{Announce, EntryChosen, Heard, MenuState};
use crate::rig::Rig;
use crate::session::{Pacing, PresentedEvent, SessionClock, SessionReport, UserProfile};
use allverse_core::home::{HomeSettings, PlacedDevice};
use allverse_core::profile::ProfileStore;
use allverse_home::intent::{IntentTarget, TargetKind, parse_request};
use allverse_home::settings::HomeSettings as LinkSettings;
use allverse_home::{
    Component, DeviceCommand, Entity as HomeEntity, EntityKey, EntityState, HomeLink, HomeUpdate,
};
use allverse_input::menu::MenuId;
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;

/// How far ahead of the head a device is placed on the home map, in metres.
const PLACE_AHEAD_M: f32 = 1.5;
/// Degrees a "warmer" or "cooler" entry moves a thermostat.
const CLIMATE_STEP_C: f32 = 1.0;

/// Starts the link to the broker the profile names, with its credentials file.
pub(super) fn connect(settings: &HomeSettings) -> Result<HomeLink, String> {
    let settings = LinkSettings::from_profile(settings).map_err(|e| e.to_string())?;
    HomeLink::start(settings).map_err(|e| e.to_string())
}

/// One device as the menus and announcements show it.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceEntry {
    /// The entity id, e.g. `light.kitchen`.
    pub key: String,
    pub name: String,
    pub area: Option<String>,
    pub component: Component,
    pub state: EntityState,
    pub online: bool,
}

impl DeviceEntry {
    pub(super) fn from_entity(entity: &HomeEntity) -> Self {
        Self {
            key: entity.config.key.0.clone(),
            name: entity.config.name.clone(),
            area: entity.config.area.clone(),
            component: entity.config.component.clone(),
            state: entity.state.clone(),
            online: entity.online,
        }
    }

    /// The state in a word or two: `on`, `off`, `21 °C`.
    pub fn state_text(&self) -> String {
        if !self.online {
            return "offline".into();
        }
        self.state.to_string()
    }

    /// A sentence to say: "Kitchen light is on".
    pub fn spoken_state(&self) -> String {
        format!("{} is {}", self.name, self.state_text())
    }

    fn target_kind(&self) -> Option<TargetKind> {
        Some(match self.component {
            Component::Light | Component::Switch => TargetKind::OnOff,
            Component::Climate => TargetKind::Climate,
            Component::Lock => TargetKind::Lock,
            Component::Cover => TargetKind::Cover,
            _ => return None,
        })
    }

    /// The menu's entries for this device: what each says and the command it sends.
    fn menu_entries(&self) -> Vec<(String, DeviceCommand)> {
        let room = self.area.as_deref().map_or(String::new(), |a| format!("{a}: "));
        let label = |what: &str| format!("{room}{} — {what}", self.name);
        let state = self.state_text();
        match (&self.component, &self.state) {
            (Component::Climate, state) => {
                let celsius = match state {
                    EntityState::Temperature { celsius } => *celsius,
                    _ => 20.0,
                };
                vec![
                    (
                        label(&format!("{celsius:.0} °C, warmer")),
                        DeviceCommand::SetTemperature { celsius: celsius + CLIMATE_STEP_C },
                    ),
                    (
                        label(&format!("{celsius:.0} °C, cooler")),
                        DeviceCommand::SetTemperature { celsius: celsius - CLIMATE_STEP_C },
                    ),
                ]
            }
            (Component::Lock, EntityState::Locked) => {
                vec![(label(&format!("{state}, unlock")), DeviceCommand::Unlock)]
            }
            (Component::Lock, _) => vec![(label(&format!("{state}, lock")), DeviceCommand::Lock)],
            (Component::Cover, EntityState::Open) => {
                vec![(label(&format!("{state}, close")), DeviceCommand::Close)]
            }
            (Component::Cover, _) => vec![(label(&format!("{state}, open")), DeviceCommand::Open)],
            (_, EntityState::On) => vec![(label(&format!("{state}, turn off")), DeviceCommand::TurnOff)],
            _ => vec![(label(&format!("{state}, turn on")), DeviceCommand::TurnOn)],
        }
    }
}

/// The devices the hub announced, by room and name, and what the Home page offers.
#[derive(Resource, Default)]
pub struct HomeDevices {
    pub devices: Vec<DeviceEntry>,
    /// The Home page's entries in order: (device key, command).
    entries: Vec<(String, DeviceCommand)>,
}

impl HomeDevices {
    pub(super) fn upsert(&mut self, entry: DeviceEntry) {
        match self.devices.iter_mut().find(|d| d.key == entry.key) {
            Some(existing) => *existing = entry,
            None => self.devices.push(entry),
        }
        self.devices.sort_by(|a, b| (&a.area, &a.name).cmp(&(&b.area, &b.name)));
    }

    pub(super) fn remove(&mut self, key: &str) {
        self.devices.retain(|d| d.key != key);
    }

    pub(super) fn set_online(&mut self, key: &str, online: bool) {
        if let Some(device) = self.devices.iter_mut().find(|d| d.key == key) {
            device.online = online;
        }
    }

    /// Records a device's new state; `None` for a device the hub never announced.
    pub(super) fn set_state(&mut self, key: &str, state: EntityState) -> Option<&DeviceEntry> {
        let device = self.devices.iter_mut().find(|d| d.key == key)?;
        device.state = state;
        Some(device)
    }

    pub(super) fn name_of(&self, key: &str) -> String {
        self.devices.iter().find(|d| d.key == key).map_or_else(|| key.to_string(), |d| d.name.clone())
    }
}

/// Lists the devices on the Home page and the home map page, as they are now.
pub(super) fn list_devices(mut devices: ResMut<HomeDevices>, mut menus: ResMut<MenuState>) {
    if !devices.is_changed() {
        return;
    }
    let mut labels = Vec::new();
    let mut entries = Vec::new();
    for device in devices.devices.iter().filter(|d| d.target_kind().is_some()) {
        for (label, command) in device.menu_entries() {
            labels.push(label);
            entries.push((device.key.clone(), command));
        }
    }
    let places = devices.devices.iter().map(|d| format!("Place {} here", d.name)).collect();
    devices.bypass_change_detection().entries = entries;
    menus.menus.set_entries(MenuId::Home, labels);
    menus.menus.set_entries(MenuId::HomeMap, places);
}

/// What operating a device changes besides the device.
#[derive(SystemParam)]
pub(super) struct Operated<'w> {
    pacing: Res<'w, Pacing>,
    user: ResMut<'w, UserProfile>,
    report: ResMut<'w, SessionReport>,
    announce: MessageWriter<'w, Announce>,
}

/// Sends the command for a chosen Home entry or a spoken request, and places
/// devices chosen on the home map page where the user is looking.
pub(super) fn operate_devices(
    clock: Res<SessionClock>,
    rig: Res<Rig>,
    devices: Res<HomeDevices>,
    mut home: NonSendMut<HomeConnection>,
    mut chosen: MessageReader<EntryChosen>,
    mut heard: MessageReader<Heard>,
    mut out: Operated,
) {
    let t_s = clock.elapsed_s();
    let mut requests: Vec<(String, DeviceCommand, &str)> = Vec::new();
    for choice in chosen.read() {
        match choice.menu {
            MenuId::Home => {
                if let Some((key, command)) = devices.entries.get(choice.index) {
                    requests.push((key.clone(), *command, "menu"));
                }
            }
            MenuId::HomeMap => {
                if let Some(device) = devices.devices.get(choice.index) {
                    place_device(device, &rig, t_s, &mut out);
                }
            }
            _ => {}
        }
    }
    for said in heard.read() {
        let targets: Vec<IntentTarget> = devices
            .devices
            .iter()
            .filter_map(|d| {
                Some(IntentTarget {
                    key: &d.key,
                    name: &d.name,
                    area: d.area.as_deref(),
                    kind: d.target_kind()?,
                })
            })
            .collect();
        if let Some(request) = parse_request(&said.utterance, &targets) {
            requests.push((request.key.to_string(), request.command, "voice"));
        }
    }
    for (key, command, via) in requests {
        let id = home.link.send(&EntityKey(key.clone()), command);
        let outcome = format!("sent {command} by {via}");
        out.report.record(t_s, PresentedEvent::HomeCommand { entity: key, outcome });
        if *out.pacing == Pacing::Stepped {
            // The device answers in its own time; the simulator waits for it
            // (or the link's timeout), so the answer lands in this frame on every run.
            super::hub::wait_for(
                &mut home,
                |u| matches!(u, HomeUpdate::CommandConfirmed { id: done, .. } | HomeUpdate::CommandFailed { id: done, .. } if *done == id),
            );
        }
    }
}

/// Puts `device` on the home map ahead of the user's head, and saves the profile.
fn place_device(device: &DeviceEntry, rig: &Rig, t_s: f32, out: &mut Operated) {
    let position_m = rig.head.transform_point(Vec3::NEG_Z * PLACE_AHEAD_M);
    out.report.record(
        t_s,
        PresentedEvent::SettingChanged {
            key: format!("home.devices.\"{}\".position_m", device.key),
            value: format!("{:?}", position_m.to_array()),
        },
    );
    let user = &mut *out.user;
    user.profile.home.devices.insert(device.key.clone(), PlacedDevice { position_m });
    if let Some(path) = &user.store
        && let Err(error) = ProfileStore::at(path).save(&user.profile)
    {
        error!("the home map could not be saved: {error}");
    }
    let text = format!("{} placed here", device.name);
    out.announce.write(Announce { text, source: device.key.clone(), position_m });
}
