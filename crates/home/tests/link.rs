//! The link end to end against a real Mosquitto started by each test (TLS, passwords, ACL).

mod common;

use allverse_home::broker::{BrokerConfig, TestBroker, echo_device};
use allverse_home::publish::{Message, publish_once};
use allverse_home::{
    AlertKind, AlertPriority, CommandFailure, DeviceCommand, EntityKey, EntityState, HomeLink, HomeSettings,
    HomeUpdate,
};
use common::wait_for;

fn hub(b: &TestBroker, topic: &str, payload: &str, retain: bool) {
    publish_once(&b.hub_settings(), &Message { retain, ..Message::new(topic, payload.as_bytes()) }).unwrap();
}

fn processed(link: &HomeLink, topic: &str) -> Vec<HomeUpdate> {
    wait_for(link, topic, |u| matches!(u, HomeUpdate::Processed { topic: t } if t == topic)).1
}

fn discovery(b: &TestBroker) {
    hub(
        b,
        "homeassistant/event/front/doorbell/config",
        r#"{"name":"Front door","dev_cla":"doorbell","evt_typ":["ring"],"stat_t":"home/front/doorbell","dev":{"name":"Door","sa":"Hall"}}"#,
        true,
    );
    hub(
        b,
        "homeassistant/binary_sensor/kitchen/smoke/config",
        r#"{"name":"Smoke","dev_cla":"smoke","stat_t":"home/kitchen/smoke","dev":{"sa":"Kitchen"}}"#,
        true,
    );
    hub(
        b,
        "homeassistant/light/kitchen/ceiling/config",
        r#"{"~":"home/kitchen/ceiling","name":"Ceiling light","stat_t":"~/state","cmd_t":"~/set","dev":{"sa":"Kitchen"}}"#,
        true,
    );
    hub(
        b,
        "homeassistant/light/hall/lamp/config",
        r#"{"name":"Hall lamp","stat_t":"home/hall/lamp/state","cmd_t":"home/hall/lamp/set"}"#,
        true,
    );
    hub(
        b,
        "homeassistant/climate/living/ac/config",
        r#"{"name":"Air conditioner","temp_cmd_t":"home/living/ac/temp/set","temp_stat_t":"home/living/ac/temp","dev":{"sa":"Living room"}}"#,
        true,
    );
}

fn settings(b: &TestBroker, client_id: &str) -> HomeSettings {
    let mut s = b.headset_settings();
    s.client_id = client_id.into();
    s.allowed = vec!["light.kitchen_ceiling".into(), "light.hall_lamp".into()];
    s.command_timeout_s = 1.5;
    s
}

fn connected(link: &HomeLink) {
    wait_for(link, "Connected", |u| matches!(u, HomeUpdate::Connected { .. }));
}

/// All five retained discoveries arrive, whatever their order.
fn discovered(link: &HomeLink) -> Vec<String> {
    let mut keys = Vec::new();
    while keys.len() < 5 {
        let (u, _) = wait_for(link, "EntityAdded", |u| matches!(u, HomeUpdate::EntityAdded(_)));
        let HomeUpdate::EntityAdded(e) = u else { unreachable!() };
        keys.push(e.config.key.0);
    }
    keys.sort();
    keys
}

#[test]
fn tls_discovery_alerts_of_every_priority() {
    let b = TestBroker::start(BrokerConfig::home(&["home/kitchen/ceiling/set"])).unwrap();
    discovery(&b);
    let link = HomeLink::start(settings(&b, "headset-alerts")).unwrap();
    connected(&link);
    assert_eq!(
        discovered(&link),
        [
            "binary_sensor.kitchen_smoke",
            "climate.living_ac",
            "event.front_doorbell",
            "light.hall_lamp",
            "light.kitchen_ceiling"
        ]
    );
    hub(&b, "home/kitchen/smoke", "ON", true);
    let (u, _) = wait_for(&link, "smoke alert", |u| matches!(u, HomeUpdate::Alert(_)));
    let HomeUpdate::Alert(a) = u else { unreachable!() };
    assert_eq!((a.kind, a.priority), (AlertKind::Smoke, AlertPriority::LifeSafety));
    assert_eq!(a.entity, Some(EntityKey::from("binary_sensor.kitchen_smoke")));
    assert_eq!(a.text, "Smoke alarm: Smoke, Kitchen");
    // The same state again is no new alarm.
    hub(&b, "home/kitchen/smoke", "ON", true);
    let before = processed(&link, "home/kitchen/smoke");
    assert!(!before.iter().any(|u| matches!(u, HomeUpdate::Alert(_))), "{before:#?}");
    let again = processed(&link, "home/kitchen/smoke");
    assert!(!again.iter().any(|u| matches!(u, HomeUpdate::Alert(_))), "{again:#?}");

    hub(&b, "home/front/doorbell", r#"{"event_type":"ring"}"#, false);
    let (u, _) = wait_for(&link, "doorbell alert", |u| matches!(u, HomeUpdate::Alert(_)));
    let HomeUpdate::Alert(a) = u else { unreachable!() };
    assert_eq!(
        (a.kind, a.priority, a.area.as_deref()),
        (AlertKind::Doorbell, AlertPriority::Attention, Some("Hall"))
    );

    hub(&b, "allverse/headset/notify", "The washing machine has finished", false);
    let (u, _) = wait_for(&link, "notification", |u| matches!(u, HomeUpdate::Alert(_)));
    let HomeUpdate::Alert(a) = u else { unreachable!() };
    assert_eq!((a.kind, a.priority), (AlertKind::Notification, AlertPriority::Information));
    assert_eq!(a.text, "The washing machine has finished");
    link.shutdown();
}

#[test]
fn malformed_discovery_is_skipped_and_the_link_goes_on() {
    let b = TestBroker::start(BrokerConfig::home(&[])).unwrap();
    let link = HomeLink::start(settings(&b, "headset-malformed")).unwrap();
    connected(&link);
    let bad = "homeassistant/light/broken/config";
    hub(&b, bad, "{not json", false);
    let (u, _) = wait_for(&link, "Skipped", |u| matches!(u, HomeUpdate::Skipped { .. }));
    let HomeUpdate::Skipped { topic, reason } = u else { unreachable!() };
    assert_eq!(topic, bad);
    assert!(reason.starts_with("payload is not JSON"), "{reason}");
    let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(70_000));
    hub(&b, "homeassistant/light/big/config", &big, false);
    let (u, _) = wait_for(&link, "Skipped", |u| matches!(u, HomeUpdate::Skipped { .. }));
    let HomeUpdate::Skipped { reason, .. } = u else { unreachable!() };
    assert!(reason.starts_with("too large (70011 bytes, limit 65536)"), "{reason}");
    hub(&b, "homeassistant/switch/ok/config", r#"{"name":"Fan","cmd_t":"home/fan/set"}"#, false);
    wait_for(
        &link,
        "EntityAdded",
        |u| matches!(u, HomeUpdate::EntityAdded(e) if e.config.key.0 == "switch.ok"),
    );
}

#[test]
fn commands_confirm_by_state_time_out_and_are_refused() {
    // The ACL lets the headset command only the kitchen light: the hall lamp is allowed
    // locally but refused by the broker.
    let b = TestBroker::start(BrokerConfig::home(&["home/kitchen/ceiling/set"])).unwrap();
    discovery(&b);
    let link = HomeLink::start(settings(&b, "headset-commands")).unwrap();
    connected(&link);
    discovered(&link);
    let kitchen = EntityKey::from("light.kitchen_ceiling");

    // Confirmed only once the device reports the state: the fake device answers the command.
    let _device = echo_device(&b, "home/kitchen/ceiling/set", "home/kitchen/ceiling/state", 1).unwrap();
    let id = link.send(&kitchen, DeviceCommand::TurnOn);
    let (u, seen) = wait_for(&link, "CommandConfirmed", |u| matches!(u, HomeUpdate::CommandConfirmed { .. }));
    assert_eq!(u, HomeUpdate::CommandConfirmed { id, key: kitchen.clone(), state: EntityState::On });
    assert!(
        seen.iter().any(|u| matches!(u, HomeUpdate::StateChanged { state: EntityState::On, .. })),
        "{seen:#?}"
    );

    // Unanswered: times out.
    let id = link.send(&kitchen, DeviceCommand::TurnOff);
    let (u, _) = wait_for(&link, "CommandFailed", |u| matches!(u, HomeUpdate::CommandFailed { .. }));
    assert_eq!(
        u,
        HomeUpdate::CommandFailed {
            id,
            key: kitchen.clone(),
            reason: CommandFailure::TimedOut { seconds: 1.5 }
        }
    );

    // Not on the allow-list: refused before publishing.
    let ac = EntityKey::from("climate.living_ac");
    let id = link.send(&ac, DeviceCommand::SetTemperature { celsius: 21.0 });
    let (u, _) = wait_for(&link, "CommandFailed", |u| matches!(u, HomeUpdate::CommandFailed { .. }));
    assert_eq!(u, HomeUpdate::CommandFailed { id, key: ac, reason: CommandFailure::NotAllowed });

    // Allowed locally, denied by the broker's ACL.
    let hall = EntityKey::from("light.hall_lamp");
    let id = link.send(&hall, DeviceCommand::TurnOn);
    let (u, _) = wait_for(&link, "CommandFailed", |u| matches!(u, HomeUpdate::CommandFailed { .. }));
    let HomeUpdate::CommandFailed { id: got, key, reason } = u else { unreachable!() };
    assert_eq!((got, key), (id, hall));
    assert!(
        matches!(&reason, CommandFailure::RefusedByBroker { reason } if reason.contains("ACL")),
        "{reason:?}"
    );
}
