//! Persistent sessions, message expiry, broker restarts and credentials, against a real Mosquitto.

mod common;

use allverse_home::broker::{BrokerConfig, TestBroker};
use allverse_home::publish::{Message, publish_once};
use allverse_home::{AlertKind, HomeLink, HomeUpdate, Secret};
use common::wait_for;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn notify(b: &TestBroker, text: &str, expiry_s: Option<u32>) {
    publish_once(
        &b.hub_settings(),
        &Message { retain: false, expiry_s, ..Message::new("allverse/headset/notify", text.as_bytes()) },
    )
    .unwrap();
}

fn start(b: &TestBroker) -> HomeLink {
    let mut s = b.headset_settings();
    s.client_id = "headset-persistent".into();
    let link = HomeLink::start(s).unwrap();
    wait_for(&link, "Connected", |u| matches!(u, HomeUpdate::Connected { .. }));
    link
}

#[test]
fn alerts_sent_while_away_arrive_unless_expired() {
    let b = TestBroker::start(BrokerConfig::home(&[])).unwrap();
    // The first connection creates the session and its subscriptions.
    let link = start(&b);
    notify(&b, "hello", None);
    wait_for(&link, "first notification", |u| matches!(u, HomeUpdate::Alert(_)));
    link.shutdown();

    notify(&b, "expires soon", Some(1));
    notify(&b, "sent while away", None);
    // Stay away well past the 1 s expiry: the broker drops the first message (MQTT 5 §3.3.2.3.3).
    std::thread::sleep(Duration::from_secs(3));
    let link = start(&b);
    let (u, seen) =
        wait_for(&link, "queued alert", |u| matches!(u, HomeUpdate::Alert(a) if a.text == "sent while away"));
    let HomeUpdate::Alert(a) = u else { unreachable!() };
    assert_eq!(a.kind, AlertKind::Notification);
    // The expired message would have been queued before the kept one, so it would be in `seen`.
    assert!(!seen.iter().any(|u| matches!(u, HomeUpdate::Alert(_))), "{seen:#?}");
    // And nothing else follows the queued one: the next message through is a fresh marker.
    notify(&b, "marker", None);
    let (_, between) = wait_for(&link, "marker", |u| matches!(u, HomeUpdate::Alert(a) if a.text == "marker"));
    assert!(!between.iter().any(|u| matches!(u, HomeUpdate::Alert(_))), "{between:#?}");
}

#[test]
fn broker_restart_reconnects_and_loses_nothing() {
    let mut b = TestBroker::start(BrokerConfig::home(&[])).unwrap();
    publish_once(
        &b.hub_settings(),
        &Message {
            retain: true,
            expiry_s: None,
            ..Message::new(
                "homeassistant/binary_sensor/hall/water/config",
                br#"{"name":"Leak","dev_cla":"moisture","stat_t":"home/hall/water"}"#,
            )
        },
    )
    .unwrap();
    let link = start(&b);
    wait_for(&link, "EntityAdded", |u| matches!(u, HomeUpdate::EntityAdded(_)));
    b.restart().unwrap();
    let (u, _) = wait_for(&link, "Disconnected", |u| matches!(u, HomeUpdate::Disconnected { .. }));
    let HomeUpdate::Disconnected { retry_in_s, .. } = u else { unreachable!() };
    assert!(retry_in_s >= 0.5);
    wait_for(&link, "Connected again", |u| matches!(u, HomeUpdate::Connected { .. }));
    publish_once(
        &b.hub_settings(),
        &Message { retain: true, expiry_s: None, ..Message::new("home/hall/water", b"ON") },
    )
    .unwrap();
    let (u, _) = wait_for(&link, "leak alert", |u| matches!(u, HomeUpdate::Alert(_)));
    let HomeUpdate::Alert(a) = u else { unreachable!() };
    assert_eq!(a.kind, AlertKind::WaterLeak);
}

/// Collects every log line, to show the password never reaches the log.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_wrong_password_is_named_and_never_shown() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    // Global: the link logs from its own thread. This is the only test here that sets one.
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let b = TestBroker::start(BrokerConfig::home(&[])).unwrap();
    let wrong = "not-the-Password-42";
    let mut s = b.headset_settings();
    s.password = Some(Secret::new(wrong));
    assert!(!format!("{s:?}").contains(wrong));
    let link = HomeLink::start(s).unwrap();
    let (u, _) = wait_for(&link, "Disconnected", |u| matches!(u, HomeUpdate::Disconnected { .. }));
    let HomeUpdate::Disconnected { reason, .. } = &u else { unreachable!() };
    assert_eq!(reason, "the broker refused the user name or password");
    assert!(!format!("{u:?}").contains(wrong));
    link.shutdown();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("refused the user name or password"), "the log is captured: {log}");
    assert!(!log.contains(wrong), "{log}");
}
