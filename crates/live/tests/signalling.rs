//! Joining real rooms on a real Janus: presence by name, refusals, a server that goes away.

use allverse_live::server::{GUARDED_PIN, GUARDED_ROOM, GUARDED_TOKENS, JanusServer, OPEN_ROOM};
use allverse_live::{JoinSettings, LiveEvent, LiveSession, MediaSettings, PresenceChange, Secret};
use std::time::Duration;

/// Generous: a loaded 2-core machine; tests check order and content, not time.
const WAIT: Duration = Duration::from_secs(20);

fn settings(server: &JanusServer, room: u64, name: &str) -> JoinSettings {
    JoinSettings {
        server: server.ws_url(),
        ca_file: None,
        room,
        display_name: name.into(),
        pin: None,
        token: None,
        media: MediaSettings::default(),
    }
}

/// Waits for the first event `pick` accepts, failing with everything seen before it.
fn expect<T>(session: &LiveSession, what: &str, mut pick: impl FnMut(&LiveEvent) -> Option<T>) -> T {
    let mut seen = Vec::new();
    while let Some(event) = session.next_event(WAIT) {
        if let Some(found) = pick(&event) {
            return found;
        }
        seen.push(event);
    }
    panic!("no {what}; events: {seen:?}");
}

fn joined(session: &LiveSession) {
    expect(session, "join", |e| matches!(e, LiveEvent::Joined { .. }).then_some(()));
}

fn arrived(session: &LiveSession) -> String {
    expect(session, "arrival", |e| match e {
        LiveEvent::Presence(PresenceChange::Arrived(p)) => Some(p.display.clone()),
        _ => None,
    })
}

#[test]
fn people_see_each_other_arrive_and_leave_by_name() {
    let server = JanusServer::start().unwrap();
    let ana = LiveSession::join(settings(&server, OPEN_ROOM, "Ana")).unwrap();
    joined(&ana);
    let ben = LiveSession::join(settings(&server, OPEN_ROOM, "Ben\u{1b}[2J\u{202E}")).unwrap();
    joined(&ben);
    assert_eq!(arrived(&ben), "Ana", "Ben finds Ana already there");
    assert_eq!(arrived(&ana), "Ben", "Ana hears Ben arrive, his name cleaned");
    drop(ben);
    let left = expect(&ana, "departure", |e| match e {
        LiveEvent::Presence(PresenceChange::Left(p)) => Some(p.display.clone()),
        _ => None,
    });
    assert_eq!(left, "Ben");
}

#[test]
fn a_guarded_room_needs_its_pin_and_an_invitation() {
    let server = JanusServer::start().unwrap();
    let refused = |pin: Option<&str>, token: Option<&str>| {
        let mut s = settings(&server, GUARDED_ROOM, "Cleo");
        s.pin = pin.map(Secret::new);
        s.token = token.map(Secret::new);
        let session = LiveSession::join(s).unwrap();
        expect(&session, "answer", |e| match e {
            LiveEvent::Refused(reason) => Some(Some(reason.clone())),
            LiveEvent::Joined { .. } => Some(None),
            _ => None,
        })
    };
    let no_pin = refused(None, Some(GUARDED_TOKENS[0])).expect("refused without the PIN");
    assert_eq!(no_pin, "the room needs a PIN, and none was given");
    let wrong_pin = refused(Some("1111"), Some(GUARDED_TOKENS[0])).expect("refused with a wrong PIN");
    assert_eq!(wrong_pin, "the room did not accept this PIN");
    let no_token = refused(Some(GUARDED_PIN), None).expect("refused without an invitation");
    assert!(no_token.contains("invitation token") && !no_token.contains("PIN"), "{no_token}");
    let wrong_token =
        refused(Some(GUARDED_PIN), Some("invite-zoe")).expect("refused with a wrong invitation");
    assert_eq!(wrong_token, "the room did not accept this invitation token");
    assert_eq!(refused(Some(GUARDED_PIN), Some(GUARDED_TOKENS[1])), None, "let in with both");
    let missing = refused(None, None).map(|_| ());
    assert!(missing.is_some());
    let no_room = {
        let session = LiveSession::join(settings(&server, 999, "Cleo")).unwrap();
        expect(&session, "refusal", |e| match e {
            LiveEvent::Refused(reason) => Some(reason.clone()),
            _ => None,
        })
    };
    assert_eq!(no_room, "there is no room 999 on this session server");
}

#[test]
fn a_server_that_goes_away_is_said_and_rejoined_when_it_is_back() {
    let server = JanusServer::start().unwrap();
    let port = server.port();
    let ana = LiveSession::join(settings(&server, OPEN_ROOM, "Ana")).unwrap();
    joined(&ana);
    server.stop();
    let reason = expect(&ana, "the loss", |e| match e {
        LiveEvent::ConnectionLost { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert!(reason.contains("went away") || reason.contains("closed"), "{reason}");
    let server = JanusServer::start_on(port).unwrap();
    joined(&ana);
    let ben = LiveSession::join(settings(&server, OPEN_ROOM, "Ben")).unwrap();
    joined(&ben);
    assert_eq!(arrived(&ana), "Ben", "after rejoining, arrivals are heard again");
}

#[test]
fn an_unreachable_server_is_said_not_waited_on() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let session = LiveSession::join(JoinSettings {
        server: format!("ws://127.0.0.1:{port}"),
        ca_file: None,
        room: OPEN_ROOM,
        display_name: "Ana".into(),
        pin: Some(Secret::new("2468")),
        token: None,
        media: MediaSettings::default(),
    })
    .unwrap();
    let (reason, retry_in_s) = expect(&session, "the failure", |e| match e {
        LiveEvent::ConnectionLost { reason, retry_in_s } => Some((reason.clone(), *retry_in_s)),
        _ => None,
    });
    assert!(reason.contains("cannot reach"), "{reason}");
    assert!(!reason.contains("2468"));
    assert_eq!(retry_in_s, 0.5);
    let next = expect(&session, "the next try", |e| match e {
        LiveEvent::ConnectionLost { retry_in_s, .. } => Some(*retry_in_s),
        _ => None,
    });
    assert_eq!(next, 1.0, "backoff doubles");
}

#[test]
fn over_tls_only_the_named_ca_is_trusted() {
    let server = JanusServer::start().unwrap();
    let secure = |name: &str, ca_file: Option<std::path::PathBuf>| JoinSettings {
        server: server.wss_url(),
        ca_file,
        ..settings(&server, OPEN_ROOM, name)
    };
    let ana = LiveSession::join(secure("Ana", Some(server.ca_file()))).unwrap();
    joined(&ana);
    let ben = LiveSession::join(secure("Ben", Some(server.ca_file()))).unwrap();
    joined(&ben);
    assert_eq!(arrived(&ana), "Ben", "presence works the same over wss://");

    assert_eq!(
        LiveSession::join(secure("Cleo", None)).err().map(|e| e.to_string()).as_deref(),
        Some("a wss:// session server needs the CA file that signed its certificate")
    );
    // Another server's CA: the certificate is refused, and said so.
    let other = JanusServer::start().unwrap();
    let cleo = LiveSession::join(secure("Cleo", Some(other.ca_file()))).unwrap();
    let reason = expect(&cleo, "the refusal of the certificate", |e| match e {
        LiveEvent::Refused(reason) => Some(reason.clone()),
        _ => None,
    });
    assert!(reason.contains("certificate the CA file does not vouch for"), "{reason}");
}
