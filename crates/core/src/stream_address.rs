//! Addresses of interpreter streams (`srt://`, `rtp://`, `rtsp://`, `file://`), checked before anything opens a socket.
//!
//! One parser serves both ends: an event's feeds, which are received, and
//! `allverse interpret publish --to`, which sends. Its rules keep a user from
//! opening a door they did not mean to open:
//!
//! * Every network address names its host and its port (1 to 65535).
//!   GStreamer fills in what is missing with its own defaults, and for SRT
//!   those are "listen on every interface, port 7001": a camera anyone on
//!   the network could watch.
//! * SRT listens only when the address asks for it (`?mode=listener`), and
//!   then only on the host written there: `127.0.0.1` for this machine, an
//!   interface's address for one network, or `0.0.0.0` written out for
//!   every network, which [`StreamAddress::warning`] then points out.
//! * The query cannot move the local end elsewhere (`localaddress`,
//!   `localport`), and a passphrase never goes in an address, which is
//!   shown on screen and written to reports.

use std::net::IpAddr;
use std::path::PathBuf;

/// Which way a stream goes, seen from this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// An event's feed: received and shown on an interpreter panel.
    Receive,
    /// An interpreter's camera and microphone: published.
    Send,
}

/// The network protocols a stream can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// MPEG-TS over SRT; the query (`streamid`, `latency`, `mode`) is read by GStreamer.
    Srt,
    /// H.264 over RTP over UDP: received by binding `host:port`, sent to `host:port`.
    Rtp,
    /// RTSP: always a client of the server at `host:port`.
    Rtsp,
}

/// Where a stream is, once checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Network {
        protocol: Protocol,
        /// A host name, an IPv4 address, or an IPv6 address without its brackets.
        host: String,
        port: u16,
        /// This end waits for the other to connect or send: it opens a socket on `host:port`.
        listens: bool,
    },
    /// A recorded file, as written after `file://`.
    File(PathBuf),
}

/// A stream address that passed every rule in the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamAddress {
    /// The address as written.
    pub url: String,
    pub endpoint: Endpoint,
}

/// SRT's limits on a passphrase, in bytes (`SRTO_PASSPHRASE` in the SRT API: 10 to 79).
pub const SRT_PASSPHRASE_BYTES: std::ops::RangeInclusive<usize> = 10..=79;
/// RTSP's well-known port, used when an `rtsp://` address names none (RFC 2326).
const RTSP_PORT: u16 = 554;

/// Checks an SRT passphrase: SRT counts bytes, so 32 Japanese characters (96 bytes) are too many.
pub fn check_srt_passphrase(passphrase: &str) -> Result<(), String> {
    let bytes = passphrase.len();
    if SRT_PASSPHRASE_BYTES.contains(&bytes) {
        return Ok(());
    }
    Err(format!(
        "an SRT passphrase must be {} to {} bytes (your passphrase is {bytes} bytes in UTF-8)",
        SRT_PASSPHRASE_BYTES.start(),
        SRT_PASSPHRASE_BYTES.end()
    ))
}

impl StreamAddress {
    /// Checks `url` for a stream going `direction`; the error says what is wrong and what to write instead.
    pub fn parse(url: &str, direction: Direction) -> Result<Self, String> {
        let schemes = match direction {
            Direction::Receive => "srt://, rtp://, rtsp:// or file://",
            Direction::Send => "srt:// or rtp://",
        };
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(match direction {
                Direction::Receive => {
                    format!("`{url}` is not a feed address; a feed is an address starting with {schemes}")
                }
                Direction::Send => {
                    format!("`{url}` is not an address; use srt://host:port or rtp://host:port")
                }
            });
        };
        let protocol = match (scheme, direction) {
            ("srt", _) => Protocol::Srt,
            ("rtp", _) => Protocol::Rtp,
            ("rtsp", Direction::Receive) => Protocol::Rtsp,
            ("file", Direction::Receive) => {
                if rest.is_empty() {
                    return Err(format!("`{url}` names no file; write file:///full/path/to/video.mp4"));
                }
                return Ok(Self { url: url.into(), endpoint: Endpoint::File(PathBuf::from(rest)) });
            }
            (other, Direction::Receive) => {
                return Err(format!(
                    "feeds over `{other}` are not supported; a feed is an address starting with {schemes}"
                ));
            }
            (other, Direction::Send) => {
                return Err(format!("publishing over `{other}` is not supported; use {schemes}"));
            }
        };
        let (authority, query) = split_authority(rest);
        let listens = match protocol {
            Protocol::Srt => srt_listens(url, query)?,
            Protocol::Rtp => direction == Direction::Receive,
            Protocol::Rtsp => false,
        };
        let example = |host: &str| example(scheme, host, listens);
        // RTSP servers may want a user name and password before the host.
        let host_port = match protocol {
            Protocol::Rtsp => authority.rsplit_once('@').map_or(authority, |(_, h)| h),
            _ => authority,
        };
        let (host, port) = split_port(host_port);
        if host.is_empty() {
            return Err(if listens {
                format!(
                    "`{url}` does not say where to listen; write {} to accept connections from this machine only, \
                     an interface's own address for one network, or {} for every network \
                     (then anyone who can reach this machine can connect)",
                    example("127.0.0.1"),
                    example("0.0.0.0")
                )
            } else {
                format!(
                    "`{url}` has no host; write the other end's name or address, e.g. {}{}",
                    example("receiver.example.org"),
                    if protocol == Protocol::Srt && direction == Direction::Send {
                        format!(
                            " (to let viewers connect to you instead, write where to listen: {})",
                            example_listener(scheme)
                        )
                    } else {
                        String::new()
                    }
                )
            });
        }
        let host = check_host(url, host)?;
        let port = match (port, protocol) {
            (Some(port), _) => check_port(url, port)?,
            (None, Protocol::Rtsp) => RTSP_PORT,
            (None, _) => return Err(format!("`{url}` needs a port, e.g. {}", example(&host))),
        };
        let unspecified = host.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified());
        if unspecified && !listens {
            return Err(format!(
                "`{url}`: {host} means every interface of this machine, not a place to connect or send to; \
                 write the other end's name or address, e.g. {}",
                example("receiver.example.org")
            ));
        }
        Ok(Self { url: url.into(), endpoint: Endpoint::Network { protocol, host, port, listens } })
    }

    /// Checks a passphrase for this stream: only SRT is encrypted, and SRT counts bytes.
    pub fn check_passphrase(&self, passphrase: &str) -> Result<(), String> {
        if !matches!(self.endpoint, Endpoint::Network { protocol: Protocol::Srt, .. }) {
            return Err(format!(
                "a passphrase encrypts srt:// streams only; `{}` would not be encrypted, so use an srt:// address",
                self.url
            ));
        }
        check_srt_passphrase(passphrase)
    }

    /// Whether this end opens a socket that others connect or send to.
    pub fn listens(&self) -> bool {
        matches!(self.endpoint, Endpoint::Network { listens: true, .. })
    }

    /// A warning to show before starting, for a listener on every interface (`0.0.0.0` or `::` written out).
    pub fn warning(&self) -> Option<String> {
        let Endpoint::Network { host, port, listens: true, .. } = &self.endpoint else { return None };
        host.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified()).then(|| {
            format!(
                "`{}` listens on every network this machine is on: anyone who can reach port {port} here can connect. \
                 Write 127.0.0.1 (this machine only) or one interface's address instead of {host} unless that is meant, \
                 and use a passphrase",
                self.url
            )
        })
    }
}

/// The part between `://` and the path or query, and the query.
fn split_authority(rest: &str) -> (&str, &str) {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let query = rest[end..].split_once('?').map_or("", |(_, q)| q);
    (&rest[..end], query.split('#').next().unwrap_or_default())
}

/// Host and port text; an IPv6 host is in brackets.
fn split_port(authority: &str) -> (&str, Option<&str>) {
    if let Some(bracketed) = authority.strip_prefix('[') {
        return match bracketed.split_once(']') {
            Some((host, tail)) => (host, tail.strip_prefix(':')),
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

/// Whether an SRT address asks to listen; refuses what would bind elsewhere or expose a passphrase.
fn srt_listens(url: &str, query: &str) -> Result<bool, String> {
    let mut listens = false;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "mode" => match value {
                "caller" => listens = false,
                "listener" => listens = true,
                _ => {
                    return Err(format!(
                        "`{url}`: `mode={value}` is not supported; leave `mode` out to connect to the other end, \
                         or write mode=listener to wait for it to connect"
                    ));
                }
            },
            "localaddress" | "localport" => {
                return Err(format!(
                    "`{url}`: `{key}` is not supported; to listen, put the address and port to listen on \
                     in the address itself, e.g. srt://127.0.0.1:7001?mode=listener"
                ));
            }
            "passphrase" => {
                return Err(format!(
                    "`{}`: the passphrase does not go in the address, which is shown on screen and in reports; \
                     give it separately (--passphrase when publishing, `passphrase = …` for an event's interpreter)",
                    url.split_once('?').map_or(url, |(base, _)| base)
                ));
            }
            _ => {}
        }
    }
    Ok(listens)
}

fn check_host(url: &str, host: &str) -> Result<String, String> {
    if host.parse::<IpAddr>().is_ok() {
        return Ok(host.into());
    }
    let name_like = host.split('.').all(|label| {
        !label.is_empty()
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
    });
    // All-digit names that are not IPv4 addresses (`0`, `127.1`) are read by
    // some resolvers as addresses, `0` as 0.0.0.0: refused as ambiguous.
    let numeric = host.split('.').all(|label| label.chars().all(|c| c.is_ascii_digit()));
    if name_like && !numeric {
        return Ok(host.into());
    }
    Err(format!(
        "`{url}`: `{host}` is not a host name or an IP address (e.g. receiver.example.org, 192.168.1.20, [::1])"
    ))
}

fn check_port(url: &str, port: &str) -> Result<u16, String> {
    let Ok(number) = port.parse::<u32>() else {
        return Err(format!("`{url}`: `{port}` is not a port number; ports go from 1 to 65535"));
    };
    match u16::try_from(number) {
        Ok(0) => Err(format!("`{url}`: port 0 is not a port; write the port the stream uses, 1 to 65535")),
        Ok(port) => Ok(port),
        Err(_) => Err(format!("`{url}`: port {number} does not exist; ports go from 1 to 65535")),
    }
}

fn example(scheme: &str, host: &str, listens: bool) -> String {
    let host = if host.contains(':') { format!("[{host}]") } else { host.to_string() };
    let port = match scheme {
        "rtp" => 5004,
        "rtsp" => RTSP_PORT,
        _ => 7001,
    };
    let mode = if listens && scheme == "srt" { "?mode=listener" } else { "" };
    format!("{scheme}://{host}:{port}{mode}")
}

fn example_listener(scheme: &str) -> String {
    example(scheme, "127.0.0.1", true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(url: &str, direction: Direction) -> (Protocol, String, u16, bool) {
        match StreamAddress::parse(url, direction).unwrap().endpoint {
            Endpoint::Network { protocol, host, port, listens } => (protocol, host, port, listens),
            Endpoint::File(path) => panic!("{url} is a file: {path:?}"),
        }
    }

    #[test]
    fn good_addresses_name_their_host_port_and_whether_they_listen() {
        use Direction::{Receive, Send};
        use Protocol::{Rtp, Rtsp, Srt};
        let cases = [
            ("srt://127.0.0.1:7001?streamid=bsl-alex", Receive, (Srt, "127.0.0.1", 7001, false)),
            (
                "srt://events.example.org:9000?streamid=publish:bsl",
                Send,
                (Srt, "events.example.org", 9000, false),
            ),
            ("srt://127.0.0.1:17101?mode=listener&latency=20", Receive, (Srt, "127.0.0.1", 17101, true)),
            ("srt://[::1]:7001?mode=listener", Send, (Srt, "::1", 7001, true)),
            ("rtp://127.0.0.1:5004", Receive, (Rtp, "127.0.0.1", 5004, true)),
            ("rtp://192.168.1.20:5004", Send, (Rtp, "192.168.1.20", 5004, false)),
            ("rtsp://camera.local/live", Receive, (Rtsp, "camera.local", 554, false)),
            ("rtsp://me:secret@camera.local:8554/live", Receive, (Rtsp, "camera.local", 8554, false)),
        ];
        for (url, direction, (protocol, host, port, listens)) in cases {
            assert_eq!(network(url, direction), (protocol, host.to_string(), port, listens), "{url}");
        }
        let file = StreamAddress::parse("file:///tmp/alex.mp4", Receive).unwrap();
        assert_eq!(file.endpoint, Endpoint::File("/tmp/alex.mp4".into()));
        assert!(!file.listens() && file.warning().is_none());
    }

    #[test]
    fn bad_addresses_say_what_is_wrong_and_what_to_write() {
        use Direction::{Receive, Send};
        let cases = [
            ("srt://", Send, "has no host"),
            ("srt://", Send, "srt://127.0.0.1:7001?mode=listener"),
            ("srt://:7001", Send, "has no host"),
            ("srt://:7001?mode=listener", Receive, "does not say where to listen"),
            ("srt://:7001?mode=listener", Receive, "srt://0.0.0.0:7001?mode=listener for every network"),
            ("rtp://:5004", Receive, "does not say where to listen"),
            ("srt://127.0.0.1:99999", Send, "port 99999 does not exist; ports go from 1 to 65535"),
            ("srt://127.0.0.1:0", Send, "port 0 is not a port"),
            ("rtp://127.0.0.1:65536", Receive, "port 65536 does not exist"),
            ("rtp://127.0.0.1:five", Receive, "`five` is not a port number"),
            ("rtp://127.0.0.1", Receive, "needs a port, e.g. rtp://127.0.0.1:5004"),
            ("srt://127.0.0.1", Send, "needs a port"),
            ("srt://0.0.0.0:7001", Send, "0.0.0.0 means every interface of this machine"),
            ("rtp://[::]:5004", Send, ":: means every interface"),
            ("srt://0:7001?mode=listener", Receive, "`0` is not a host name or an IP address"),
            ("srt://bad host:7001", Send, "is not a host name"),
            ("srt://127.0.0.1:7001?mode=rendezvous", Send, "`mode=rendezvous` is not supported"),
            (
                "srt://127.0.0.1:7001?mode=listener&localaddress=0.0.0.0",
                Receive,
                "`localaddress` is not supported",
            ),
            (
                "srt://h.example.org:7001?passphrase=sesame1234",
                Send,
                "the passphrase does not go in the address",
            ),
            ("http://example.org/live", Send, "use srt:// or rtp://"),
            ("rtsp://camera.local/live", Send, "publishing over `rtsp` is not supported"),
            ("http://example.org/live", Receive, "a feed is an address starting with srt://"),
            ("127.0.0.1:5004", Receive, "is not a feed address"),
            ("127.0.0.1:5004", Send, "is not an address"),
            ("file://", Receive, "names no file"),
        ];
        for (url, direction, expected) in cases {
            let error = StreamAddress::parse(url, direction).unwrap_err();
            assert!(error.contains(expected), "{url}: {error}");
        }
        // A passphrase never shows up in the error either.
        let error = StreamAddress::parse("srt://h.example.org:7001?passphrase=sesame1234", Send).unwrap_err();
        assert!(!error.contains("sesame"), "{error}");
    }

    #[test]
    fn only_a_listener_written_with_every_interface_is_warned_about() {
        let everywhere = StreamAddress::parse("srt://0.0.0.0:7001?mode=listener", Direction::Send).unwrap();
        assert!(everywhere.listens());
        let warning = everywhere.warning().expect("warned");
        assert!(warning.contains("every network") && warning.contains("127.0.0.1"), "{warning}");
        let rtp = StreamAddress::parse("rtp://0.0.0.0:5004", Direction::Receive).unwrap();
        assert!(rtp.warning().is_some());
        for url in ["srt://127.0.0.1:7001?mode=listener", "srt://127.0.0.1:7001"] {
            assert_eq!(StreamAddress::parse(url, Direction::Send).unwrap().warning(), None, "{url}");
        }
    }

    #[test]
    fn passphrases_are_counted_in_bytes() {
        assert!(check_srt_passphrase("correct horse battery").is_ok());
        let japanese = "あ".repeat(32);
        assert_eq!(japanese.chars().count(), 32, "within 10 to 79 characters");
        assert_eq!(
            check_srt_passphrase(&japanese).unwrap_err(),
            "an SRT passphrase must be 10 to 79 bytes (your passphrase is 96 bytes in UTF-8)"
        );
        assert!(check_srt_passphrase("short").unwrap_err().contains("is 5 bytes"));
        assert!(check_srt_passphrase(&"x".repeat(79)).is_ok());
        assert!(check_srt_passphrase(&"x".repeat(80)).is_err());
        // 26 three-byte characters are 78 bytes: accepted.
        assert!(check_srt_passphrase(&"あ".repeat(26)).is_ok());
    }
}
