//! `allverse home`: check the link to the home's hub, list its devices, and send yourself a test alert.

use allverse_core::profile::ProfileStore;
use allverse_home::publish::{Message, publish_once};
use allverse_home::settings::HomeSettings;
use allverse_home::{AlertKind, AlertPriority, HomeLink, HomeUpdate};
use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use std::time::{Duration, Instant};

/// How long to wait for the broker to answer.
const CONNECT_WAIT: Duration = Duration::from_secs(15);
/// Retained discovery arrives in a burst; this much quiet ends it.
const DISCOVERY_QUIET: Duration = Duration::from_secs(2);

#[derive(Subcommand)]
pub enum HomeCommand {
    /// Connect to the broker named in your profile (`[home] broker`) and say whether it answers.
    Status,
    /// List the devices your hub announced, by room: state, whether the headset may
    /// operate them (`home.allowed`) and whether they are on your home map.
    Devices,
    /// Send yourself a test alert through the broker, to the notify topic, and wait for it to come back.
    TestAlert {
        /// What the test says it is, e.g. `doorbell` or `smoke`.
        kind: String,
    },
}

pub fn run(command: HomeCommand, store: &ProfileStore) -> Result<()> {
    let (profile, _) = crate::profile_cmd::load_reporting(store)?;
    let settings = HomeSettings::from_profile(&profile.home).map_err(|e| anyhow!("{e}"))?;
    println!("Connecting to {} as {} …", settings.broker, settings.client_id);
    let link = HomeLink::start(settings.clone()).map_err(|e| anyhow!("{e}"))?;
    wait_connected(&link)?;
    match command {
        HomeCommand::Status => {
            let devices = discovered(&link)?;
            println!("Connected. {} device(s) announced by the hub.", devices.len());
        }
        HomeCommand::Devices => {
            let mut devices = discovered(&link)?;
            devices.sort_by(|a, b| (&a.config.area, &a.config.name).cmp(&(&b.config.area, &b.config.name)));
            if devices.is_empty() {
                println!("The hub announced no devices under `{}/`.", settings.discovery_prefix);
            }
            let mut room = None;
            for device in &devices {
                if room != Some(&device.config.area) {
                    room = Some(&device.config.area);
                    println!("{}:", device.config.area.as_deref().unwrap_or("(no room)"));
                }
                let key = &device.config.key.0;
                let allowed = if profile.home.allows(key) { "may operate" } else { "not allowed" };
                let placed =
                    if profile.home.position_of(key).is_some() { "on the map" } else { "not placed" };
                println!("  {} ({key}): {}, {allowed}, {placed}", device.config.name, device.state);
            }
        }
        HomeCommand::TestAlert { kind } => {
            let Some(alert_kind) = AlertKind::from_name(&kind) else {
                bail!(
                    "`{kind}` is not an alert kind; try doorbell, smoke, co, gas, water_leak, phone or notification"
                );
            };
            let text = format!("Test alert: {}", alert_kind.describe());
            let payload = serde_json::json!({ "message": text, "kind": kind }).to_string();
            let message =
                Message { expiry_s: Some(60), ..Message::new(&settings.notify_topic, payload.as_bytes()) };
            publish_once(&settings, &message).map_err(|e| anyhow!("{e}"))?;
            let deadline = Instant::now() + CONNECT_WAIT;
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                if let Some(HomeUpdate::Alert(alert)) = link.recv_timeout(left)
                    && alert.text.contains(&text)
                {
                    let priority = match alert.priority {
                        AlertPriority::LifeSafety => "a life-safety",
                        AlertPriority::Attention => "an attention",
                        AlertPriority::Information => "an information",
                    };
                    println!("Received back as {priority} alert: {}", alert.text);
                    return Ok(());
                }
            }
            bail!(
                "the test alert did not come back: check that the broker lets this user read and write `{}`",
                settings.notify_topic
            );
        }
    }
    Ok(())
}

/// Waits for the first connection, or says why there is none.
fn wait_connected(link: &HomeLink) -> Result<()> {
    let deadline = Instant::now() + CONNECT_WAIT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match link.recv_timeout(left) {
            Some(HomeUpdate::Connected { .. }) => return Ok(()),
            Some(HomeUpdate::Disconnected { reason, .. }) => {
                bail!("the broker did not accept the connection: {reason}")
            }
            _ => {}
        }
    }
    bail!("the broker did not answer within {} s", CONNECT_WAIT.as_secs())
}

/// The devices announced until discovery goes quiet.
fn discovered(link: &HomeLink) -> Result<Vec<allverse_home::Entity>> {
    let mut devices = Vec::new();
    while let Some(update) = link.recv_timeout(DISCOVERY_QUIET) {
        match update {
            HomeUpdate::EntityAdded(entity) => devices.push(*entity),
            HomeUpdate::Disconnected { reason, .. } => {
                bail!(
                    "the broker went away while the devices were listed ({reason}); the list would be incomplete"
                )
            }
            _ => {}
        }
    }
    Ok(devices)
}
