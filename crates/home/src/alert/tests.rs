use super::*;

fn alert(kind: AlertKind, entity: &str, text: &str) -> HomeAlert {
    HomeAlert {
        id: next_alert_id(),
        priority: kind.priority(),
        kind,
        entity: (!entity.is_empty()).then(|| EntityKey::from(entity)),
        name: entity.to_owned(),
        area: None,
        text: text.to_owned(),
        topic: "t".to_owned(),
        sent_unix_s: None,
    }
}

#[test]
fn priorities_are_ordered() {
    assert!(AlertPriority::LifeSafety > AlertPriority::Attention);
    assert!(AlertPriority::Attention > AlertPriority::Information);
    assert_eq!(AlertKind::WaterLeak.priority(), AlertPriority::LifeSafety);
    assert_eq!(AlertKind::Doorbell.priority(), AlertPriority::Attention);
}

#[test]
fn a_flood_of_one_kind_is_presented_once_and_counted() {
    let mut gate = AlertGate::new(GateConfig::default());
    let decisions: Vec<_> = (0..100)
        .map(|i| gate.offer(alert(AlertKind::Notification, "", &format!("message {i}")), i as f64 * 0.01))
        .collect();
    assert!(matches!(&decisions[0], GateDecision::Present(a) if a.text == "message 0"));
    let GateDecision::Present(first) = &decisions[0] else { unreachable!() };
    for (i, d) in decisions.iter().enumerate().skip(1) {
        assert_eq!(*d, GateDecision::Collapsed { id: first.id, count: i as u32 + 1 });
    }
}

#[test]
fn duplicates_are_shown_once() {
    let mut gate = AlertGate::new(GateConfig::default());
    let a = alert(AlertKind::Doorbell, "event.front", "Doorbell");
    let GateDecision::Present(shown) = gate.offer(a.clone(), 0.0) else { panic!() };
    // A QoS 1 redelivery: same entity and kind, new id.
    let again = gate.offer(alert(AlertKind::Doorbell, "event.front", "Doorbell"), 1.0);
    assert_eq!(again, GateDecision::Suppressed(SuppressReason::Duplicate { of: shown.id }));
    assert!(gate.acknowledge(shown.id));
    assert!(matches!(
        gate.offer(alert(AlertKind::Doorbell, "event.front", "Doorbell"), 5.0),
        GateDecision::Suppressed(_)
    ));
    // Well after the window, the same doorbell rings anew.
    assert!(matches!(
        gate.offer(alert(AlertKind::Doorbell, "event.front", "Doorbell"), 100.0),
        GateDecision::Present(_)
    ));
}

#[test]
fn life_safety_repeats_until_acknowledged() {
    let config = GateConfig { repeat_life_safety_s: 10.0, ..GateConfig::default() };
    let mut gate = AlertGate::new(config);
    let GateDecision::Present(smoke) =
        gate.offer(alert(AlertKind::Smoke, "binary_sensor.smoke", "Smoke"), 0.0)
    else {
        panic!()
    };
    assert!(gate.tick(5.0).is_empty());
    assert_eq!(gate.tick(10.0), [GateDecision::Repeat(smoke.id)]);
    assert!(gate.tick(15.0).is_empty());
    assert_eq!(gate.tick(1000.0), [GateDecision::Repeat(smoke.id)]);
    assert!(gate.acknowledge(smoke.id));
    assert!(!gate.acknowledge(smoke.id));
    assert!(gate.tick(5000.0).is_empty());
}

#[test]
fn speech_of_one_kind_keeps_its_interval() {
    let mut gate = AlertGate::new(GateConfig { min_speech_interval_s: 5.0, ..GateConfig::default() });
    assert!(gate.may_speak(&AlertKind::Doorbell, 0.0));
    assert!(!gate.may_speak(&AlertKind::Doorbell, 4.9));
    assert!(gate.may_speak(&AlertKind::Smoke, 4.9));
    assert!(gate.may_speak(&AlertKind::Doorbell, 5.0));
}

#[test]
fn kind_names_read_back() {
    for kind in [
        AlertKind::Smoke,
        AlertKind::CarbonMonoxide,
        AlertKind::Gas,
        AlertKind::Heat,
        AlertKind::WaterLeak,
        AlertKind::Doorbell,
        AlertKind::Phone,
        AlertKind::Sound,
        AlertKind::DoorOpened,
        AlertKind::Notification,
    ] {
        assert_eq!(AlertKind::from_name(kind.name()), Some(kind.clone()), "{kind}");
    }
}
