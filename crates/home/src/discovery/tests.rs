use super::*;

const P: &str = "homeassistant";

#[test]
fn abbreviations_and_base_topic_expand() {
    let payload = br#"{
        "~": "home/kitchen/smoke", "name": "Smoke", "uniq_id": "abc1",
        "dev_cla": "smoke", "stat_t": "~/state", "pl_on": "1", "pl_off": "0",
        "avty": [{"t": "~/lwt", "pl_avail": "up"}],
        "dev": {"name": "Kitchen detector", "sa": "Kitchen", "ids": ["x"]}
    }"#;
    let c = parse_discovery("homeassistant/binary_sensor/kitchen/smoke/config", payload, P).unwrap().unwrap();
    assert_eq!(c.key.to_string(), "binary_sensor.kitchen_smoke");
    assert_eq!(c.component, Component::BinarySensor);
    assert_eq!(c.device_class.as_deref(), Some("smoke"));
    assert_eq!(c.state_topic.as_deref(), Some("home/kitchen/smoke/state"));
    assert_eq!((c.payload_on.as_str(), c.payload_off.as_str()), ("1", "0"));
    assert_eq!(c.area.as_deref(), Some("Kitchen"));
    assert_eq!(c.unique_id.as_deref(), Some("abc1"));
    assert_eq!(
        c.availability,
        vec![Availability {
            topic: "home/kitchen/smoke/lwt".into(),
            payload_available: "up".into(),
            payload_not_available: "offline".into(),
        }]
    );
}

#[test]
fn climate_and_defaults() {
    let payload = br#"{"name": "Living room AC", "temp_cmd_t": "ac/set_temp",
        "temp_stat_t": "ac/temp", "curr_temp_t": "ac/current", "avty_t": "ac/avail"}"#;
    let c = parse_discovery("homeassistant/climate/ac/config", payload, P).unwrap().unwrap();
    assert_eq!(c.key.0, "climate.ac");
    assert_eq!(c.temperature_command_topic.as_deref(), Some("ac/set_temp"));
    assert_eq!(c.temperature_state_topic.as_deref(), Some("ac/temp"));
    assert_eq!(c.current_temperature_topic.as_deref(), Some("ac/current"));
    assert_eq!(c.availability[0].topic, "ac/avail");
    assert_eq!((c.payload_on.as_str(), c.payload_off.as_str()), ("ON", "OFF"));
    assert!(!c.fahrenheit);
}

#[test]
fn removal_and_unknown_components() {
    assert_eq!(parse_discovery("homeassistant/light/lamp/config", b"", P), Ok(None));
    let c = parse_discovery("homeassistant/siren/s1/config", b"{}", P).unwrap().unwrap();
    assert_eq!(c.component, Component::Other("siren".into()));
    assert_eq!(c.name, "s1");
}

#[test]
fn malformed_payloads_name_topic_and_reason() {
    let err = parse_discovery("homeassistant/light/lamp/config", b"{not json", P).unwrap_err();
    assert_eq!(err.topic, "homeassistant/light/lamp/config");
    assert!(err.reason.starts_with("payload is not JSON: "), "{err}");
    assert!(err.to_string().contains("homeassistant/light/lamp/config"));
    let err = parse_discovery("homeassistant/light/lamp/config", b"[1]", P).unwrap_err();
    assert_eq!(err.reason, "payload is JSON but not an object");
    let err = parse_discovery("homeassistant/light/lamp/config", br#"{"stat_t": 5}"#, P).unwrap_err();
    assert!(err.reason.starts_with("a field has the wrong type"), "{err}");
    let err = parse_discovery("homeassistant/light/lamp/config", br##"{"cmd_t": "a/#"}"##, P).unwrap_err();
    assert!(err.reason.contains("not a topic"), "{err}");
    let err = parse_discovery("homeassistant/light/a/b/c/config", b"{}", P).unwrap_err();
    assert!(err.reason.contains("<component>"), "{err}");
    let err = parse_discovery("homeassistant/light/l amp/config", b"{}", P).unwrap_err();
    assert!(err.reason.contains("letters, digits"), "{err}");
}

#[test]
fn oversized_payload_is_refused_but_the_limit_itself_is_accepted() {
    let big = vec![b' '; MAX_DISCOVERY_BYTES + 1];
    let err = parse_discovery("homeassistant/light/lamp/config", &big, P).unwrap_err();
    assert_eq!(err.reason, "too large (65537 bytes, limit 65536)");
    let mut fits = vec![b' '; MAX_DISCOVERY_BYTES - 2];
    fits.splice(0..0, *b"{}");
    assert!(parse_discovery("homeassistant/light/lamp/config", &fits, P).unwrap().is_some());
}

#[test]
fn enormous_names_with_control_characters_are_cleaned() {
    let name = format!("Door\u{7}bell\u{1b}[31m{}", "x".repeat(100_000));
    let payload = serde_json::json!({"name": name, "dev": {"sa": "\u{0}Hall\n"}}).to_string();
    let c = parse_discovery("homeassistant/event/door/config", payload.as_bytes(), P).unwrap_err();
    // 100 kB of name is over the payload limit: refused whole, nothing half-read.
    assert!(c.reason.starts_with("too large"), "{c}");
    let name = format!("Door\u{7}bell\u{1b}[31m{}", "x".repeat(1000));
    let payload = serde_json::json!({"name": name, "dev": {"sa": "\u{0}Hall\n"}}).to_string();
    let c = parse_discovery("homeassistant/event/door/config", payload.as_bytes(), P).unwrap().unwrap();
    assert!(c.name.starts_with("Door bell xxx"), "{}", c.name);
    assert_eq!(c.name.chars().count(), MAX_NAME_CHARS);
    assert!(!c.name.chars().any(char::is_control));
    assert_eq!(c.area.as_deref(), Some("Hall"));
}

#[test]
fn value_templates_reduce_to_json_paths() {
    let payload = br#"{"stat_t": "z2m/door", "val_tpl": "{{ value_json.contact }}"}"#;
    let c = parse_discovery("homeassistant/binary_sensor/door/config", payload, P).unwrap().unwrap();
    assert_eq!(c.value_json_path, ["contact"]);
    assert!(value_json_path("{{ value_json.a | int }}").is_empty());
    assert_eq!(value_json_path("{{value_json.a.b}}"), ["a", "b"]);
}
