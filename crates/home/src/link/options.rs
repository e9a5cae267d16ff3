//! Turning [`HomeSettings`] into rumqttc's MQTT 5 connection options.

use super::LinkError;
use crate::settings::HomeSettings;
use rumqttc::v5::MqttOptions;
use rumqttc::{TlsConfiguration, Transport};
use std::sync::Arc;
use std::time::Duration;

/// Session expiry asked of the broker (MQTT 5 §3.1.2.11.2), in seconds: a week, so alerts
/// published while the headset was off for days still arrive.
pub const SESSION_EXPIRY_S: u32 = 7 * 24 * 3600;

/// Largest packet the headset accepts (MQTT 5 §3.1.2.11.4), in bytes. The broker drops bigger
/// messages for this client instead of sending them; rumqttc's own default is only 10 KiB,
/// which a large discovery payload exceeds, and an over-limit packet drops the connection.
pub const MAX_PACKET_BYTES: u32 = 1024 * 1024;

/// Keep-alive interval: a lost connection is noticed within 1.5 times this.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Splits `mqtt[s]://host[:port]` into TLS flag, host and port.
pub fn parse_broker(url: &str) -> Result<(bool, String, u16), LinkError> {
    let bad = |reason| LinkError::BadUrl { url: url.to_owned(), reason };
    let (tls, rest) = if let Some(rest) = url.strip_prefix("mqtts://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("mqtt://") {
        (false, rest)
    } else {
        return Err(bad("the scheme must be mqtt:// or mqtts://"));
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '@', '?']) {
        return Err(bad("only a host and a port may follow the scheme (credentials go elsewhere)"));
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => {
            (host, port.parse().map_err(|_| bad("the port is not a number from 1 to 65535"))?)
        }
        None => (rest, if tls { 8883 } else { 1883 }),
    };
    if host.is_empty() || port == 0 {
        return Err(bad("the host or the port is missing"));
    }
    Ok((tls, host.to_owned(), port))
}

/// Builds the options: persistent session, credentials, packet limit and TLS.
pub fn mqtt_options(s: &HomeSettings) -> Result<MqttOptions, LinkError> {
    if !(s.command_timeout_s.is_finite() && s.command_timeout_s > 0.0 && s.command_timeout_s <= 600.0) {
        return Err(LinkError::Setting("command_timeout_s must be between 0 and 600 seconds"));
    }
    if s.client_id.is_empty() || s.client_id.len() > 64 {
        return Err(LinkError::Setting("client_id must have 1 to 64 characters"));
    }
    let (tls, host, port) = parse_broker(&s.broker)?;
    let mut o = MqttOptions::new(s.client_id.clone(), host, port);
    o.set_keep_alive(KEEP_ALIVE)
        // A persistent session: the broker queues QoS 1 messages while the headset is away.
        .set_clean_start(false)
        .set_session_expiry_interval(Some(SESSION_EXPIRY_S))
        .set_max_packet_size(Some(MAX_PACKET_BYTES));
    if let (Some(user), Some(password)) = (&s.username, &s.password) {
        o.set_credentials(user.clone(), password.expose().to_owned());
    }
    if tls {
        o.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(Arc::new(tls_config(s)?))));
    }
    Ok(o)
}

/// A rustls client configuration trusting only the CA in `ca_file`.
fn tls_config(s: &HomeSettings) -> Result<rustls::ClientConfig, LinkError> {
    let Some(path) = &s.ca_file else {
        return Err(LinkError::Setting(
            "mqtts:// needs ca_file, the CA that signed the broker's certificate",
        ));
    };
    allverse_tls::client_config(path).map_err(|e| LinkError::CaFile { path: e.path, reason: e.reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_addresses() {
        assert_eq!(parse_broker("mqtts://hass.local").unwrap(), (true, "hass.local".into(), 8883));
        assert_eq!(parse_broker("mqtt://127.0.0.1:1884/").unwrap(), (false, "127.0.0.1".into(), 1884));
        for bad in ["ws://a:1", "mqtt://", "mqtt://a:0", "mqtt://a:x", "mqtt://u:p@a:1", "a:1"] {
            assert!(parse_broker(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tls_without_a_readable_ca_fails_fast() {
        let mut s = HomeSettings::new("mqtts://localhost");
        assert!(mqtt_options(&s).unwrap_err().to_string().contains("needs ca_file"));
        s.ca_file = Some("/nonexistent/ca.pem".into());
        assert!(mqtt_options(&s).unwrap_err().to_string().contains("/nonexistent/ca.pem"));
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("ca.pem");
        std::fs::write(&empty, "not a certificate").unwrap();
        s.ca_file = Some(empty);
        assert!(mqtt_options(&s).unwrap_err().to_string().contains("no PEM certificate"));
        // Endless or blocking files are refused before a byte is read, not read until memory runs out.
        s.ca_file = Some("/dev/zero".into());
        let refused = mqtt_options(&s).unwrap_err().to_string();
        assert!(refused.contains("/dev/zero"), "{refused}");
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        s.ca_file = Some(fifo);
        assert!(mqtt_options(&s).is_err());
    }
}
