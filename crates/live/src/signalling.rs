//! The signalling connection: one worker thread that joins a room and follows who is in it.
//!
//! The worker owns the WebSocket. It creates a Janus session, attaches to
//! the VideoRoom plugin, joins, then reads events, sending a keepalive well
//! within the server's session timeout. If the server goes away it says so
//! and tries again with backoff (0.5 s doubling to 10 s); a refusal (wrong
//! PIN or token, no such room) is said once and not retried. The caller
//! reads [`LiveEvent`]s from a channel and never waits on the network.

use crate::data::{DataMessage, Pose};
use crate::media::MediaSettings;
use crate::media::outbound::{self, Outbound};
use crate::presence::{Participant, ParticipantId, PresenceChange, Roster};
use crate::protocol::{self, JoinBody, Reply, RoomEvent};
use crate::room_media::RoomMedia;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

/// A secret (a room PIN, an invite token) that never appears in logs or reports.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(not shown)")
    }
}

/// Where and as whom to join.
#[derive(Clone, Debug)]
pub struct JoinSettings {
    /// The server's WebSocket address: `wss://host:port` (TLS), or `ws://host:port` on a
    /// trusted network (Janus's default ports are 8989 and 8188).
    pub server: String,
    /// The CA that signed a `wss://` server's certificate (PEM); events usually run their own.
    pub ca_file: Option<std::path::PathBuf>,
    /// The VideoRoom's numeric id.
    pub room: u64,
    /// The name others see and hear; cleaned and cut to 64 characters before it is sent.
    pub display_name: String,
    pub pin: Option<Secret>,
    pub token: Option<Secret>,
    /// What to send and whether to receive others' voices; by default neither (presence only).
    pub media: MediaSettings,
}

impl JoinSettings {
    /// Checks what can be checked before connecting: the server's address and, for `wss://`,
    /// the CA file. [`LiveSession::join`] checks the same.
    pub fn check(&self) -> Result<(), SettingsError> {
        self.connection().map(drop)
    }

    /// The server's `host:port`, and the TLS client for a `wss://` server.
    fn connection(&self) -> Result<(String, Option<Arc<rustls::ClientConfig>>), SettingsError> {
        let (secure, address) = server_address(&self.server)?;
        let tls = match (secure, &self.ca_file) {
            (false, _) => None,
            (true, None) => return Err(SettingsError::NoCaFile),
            (true, Some(ca_file)) => Some(Arc::new(allverse_tls::client_config(ca_file)?)),
        };
        Ok((address, tls))
    }
}

/// A setting that makes joining impossible, said before any connection is tried.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SettingsError {
    #[error("the session server `{0}` is not a wss:// or ws:// address with a host (and no user name)")]
    Server(String),
    #[error("a wss:// session server needs the CA file that signed its certificate")]
    NoCaFile,
    #[error(transparent)]
    CaFile(#[from] allverse_tls::CaFileError),
}

/// What happened in the session, in order.
#[derive(Clone, Debug)]
pub enum LiveEvent {
    /// We are in the room with this id; who else is there follows as presence changes.
    Joined {
        me: ParticipantId,
    },
    Presence(PresenceChange),
    /// The room will not let us in; not retried. The reason is in the user's terms and holds no secret.
    Refused(String),
    /// The connection failed or the server went away; the next try is in `retry_in_s`.
    ConnectionLost {
        reason: String,
        retry_in_s: f32,
    },
    /// A message from the server could not be used and was skipped.
    Skipped(String),
    /// Where a participant's head is now, clamped to [`crate::MAX_POSITION_M`].
    Pose {
        from: ParticipantId,
        pose: Pose,
    },
    /// A chat message from a participant, cleaned.
    Chat {
        from: ParticipantId,
        text: String,
    },
    /// A block of a participant's voice, decoded: mono at [`crate::VOICE_RATE_HZ`], in arrival order.
    Voice {
        from: ParticipantId,
        samples: Vec<f32>,
    },
    /// An interpreter's video (a participant whose name carries a channel) starts
    /// arriving: decoded frames, RGBA, at most [`crate::MAX_VIDEO_WIDTH_PX`] ×
    /// [`crate::MAX_VIDEO_HEIGHT_PX`], newest only. Sent once per participant; the
    /// same slot goes on receiving when their subscription is taken again.
    Video {
        from: ParticipantId,
        frames: std::sync::Arc<allverse_pipeline::panel::FrameSlot>,
    },
    /// Media flows: ours to the server (`from` is `None`), or a participant's to us.
    MediaUp {
        from: Option<ParticipantId>,
    },
    /// Sending or receiving a voice failed; the session goes on. In the user's terms.
    MediaProblem(String),
}

/// A joined (or joining) live session; dropping it leaves the room.
pub struct LiveSession {
    events: mpsc::Receiver<LiveEvent>,
    outbound: mpsc::Sender<Outbound>,
    stop: Arc<AtomicBool>,
    worker: Option<JoinHandle<()>>,
    audio_packets: Arc<std::sync::atomic::AtomicU64>,
}

/// Reads block at most this long, so the worker notices a stop or a due keepalive.
const READ_SLICE: Duration = Duration::from_millis(200);
/// Janus ends a session after 60 s without traffic by default; keep well inside it.
const KEEPALIVE_EVERY: Duration = Duration::from_secs(25);
/// How long a request may wait for its answer before the connection counts as lost.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);
const CONNECT_WITHIN: Duration = Duration::from_secs(5);
const FIRST_RETRY_S: f32 = 0.5;
const LAST_RETRY_S: f32 = 10.0;

impl LiveSession {
    /// Starts joining in the background; events arrive through [`LiveSession::next_event`].
    pub fn join(settings: JoinSettings) -> Result<Self, SettingsError> {
        let (address, tls) = settings.connection()?;
        let (sender, events) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let worker_stop = stop.clone();
        let audio_packets = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let outbound = outbound::spawn(audio_packets.clone());
        let worker_outbound = outbound.clone();
        let worker = std::thread::Builder::new()
            .name("live-signalling".into())
            .spawn(move || {
                Worker {
                    settings,
                    address,
                    tls,
                    events: sender,
                    outbound: worker_outbound,
                    stop: worker_stop,
                }
                .run()
            })
            .expect("a thread can be started");
        Ok(Self { events, outbound, stop, worker: Some(worker), audio_packets })
    }

    /// Tells the room where the user's head is (send 10–20 times a second); never waits.
    pub fn send_pose(&self, pose: Pose) {
        let _ = self.outbound.send(Outbound::Message(DataMessage::Pose(pose)));
    }

    /// Speaks `samples` (48 kHz mono, e.g. synthesized speech) into the room as the user's voice,
    /// after anything still being spoken, and sends `text` as chat so everyone can also read it.
    /// Needs [`crate::Outgoing::Voice`]; never waits. At most two minutes of speech is taken.
    pub fn say(&self, text: &str, samples: Vec<f32>) {
        let _ = self.outbound.send(Outbound::Speak(samples));
        self.send_chat(text);
    }

    /// Sends a chat message to everyone in the room, attributed to the user; never waits.
    /// While not connected, the last 32 messages wait and go out once the connection is back.
    pub fn send_chat(&self, text: &str) {
        let _ = self.outbound.send(Outbound::Message(DataMessage::Chat(text.to_string())));
    }

    /// Opens (`true`) or mutes the microphone sent with [`crate::Outgoing::Microphone`]; it starts
    /// muted, and the choice holds across reconnections. Never waits.
    pub fn set_microphone(&self, open: bool) {
        let _ = self.outbound.send(Outbound::Microphone(open));
    }

    /// Audio RTP packets the user's connection has made so far, whatever it sends: none while
    /// the microphone is muted and nothing else is spoken.
    pub fn audio_packets_sent(&self) -> u64 {
        self.audio_packets.load(Ordering::Relaxed)
    }

    /// The next event if one has arrived; never waits.
    pub fn try_event(&self) -> Option<LiveEvent> {
        self.events.try_recv().ok()
    }

    /// The next event, waiting at most `timeout` (for tools and tests, not the frame loop).
    pub fn next_event(&self, timeout: Duration) -> Option<LiveEvent> {
        self.events.recv_timeout(timeout).ok()
    }
}

impl Drop for LiveSession {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// Whether the address is `wss://`, and its `host:port`, from `ws[s]://host[:port][/path]`.
fn server_address(server: &str) -> Result<(bool, String), SettingsError> {
    let (secure, rest) = match (server.strip_prefix("wss://"), server.strip_prefix("ws://")) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        _ => return Err(SettingsError::Server(shown_address(server))),
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Err(SettingsError::Server(shown_address(server)));
    }
    let default_port = if secure { 443 } else { 80 };
    Ok((
        secure,
        if authority.contains(':') { authority.to_string() } else { format!("{authority}:{default_port}") },
    ))
}

/// The longest address shown in a message, in characters.
const MAX_SHOWN_ADDRESS_CHARS: usize = 120;

/// An address as a message may show it: a user name or password in it (before an `@`)
/// is left out, and a long one is cut.
pub fn shown_address(server: &str) -> String {
    let shown = match server.rsplit_once('@') {
        Some((before, after)) => {
            let scheme = before.split_once("://").map_or(String::new(), |(scheme, _)| format!("{scheme}://"));
            format!("{scheme}…@{after}")
        }
        None => server.to_string(),
    };
    let mut cut: String = shown.chars().filter(|c| !c.is_control()).take(MAX_SHOWN_ADDRESS_CHARS).collect();
    if shown.chars().count() > MAX_SHOWN_ADDRESS_CHARS {
        cut.push('…');
    }
    cut
}

/// The connection under the WebSocket: plain TCP, or TLS over it.
enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl std::io::Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl std::io::Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// Why one connection ended.
pub(crate) enum Ended {
    /// The user left (the session was dropped).
    Stopped,
    Refused(String),
    Lost(String),
}

struct Worker {
    settings: JoinSettings,
    address: String,
    /// For wss://: trusting only the CA file's certificates.
    tls: Option<Arc<rustls::ClientConfig>>,
    events: mpsc::Sender<LiveEvent>,
    outbound: mpsc::Sender<Outbound>,
    stop: Arc<AtomicBool>,
}

/// One WebSocket connection and the ids Janus gave us on it.
pub(crate) struct Connection {
    socket: WebSocket<Stream>,
    pub(crate) session: u64,
    /// The handle we joined (and publish) on.
    pub(crate) handle: u64,
    next_transaction: u64,
}

impl Worker {
    fn run(self) {
        let mut roster = Roster::default();
        let mut retry_s = FIRST_RETRY_S;
        loop {
            match self.connect_and_follow(&mut roster, &mut retry_s) {
                Ended::Stopped => return,
                Ended::Refused(reason) => {
                    let _ = self.events.send(LiveEvent::Refused(reason));
                    return;
                }
                Ended::Lost(reason) => {
                    tracing::warn!("live session: {reason}; trying again in {retry_s} s");
                    let _ = self.events.send(LiveEvent::ConnectionLost { reason, retry_in_s: retry_s });
                    let until = Instant::now() + Duration::from_secs_f32(retry_s);
                    while Instant::now() < until {
                        if self.stop.load(Ordering::Relaxed) {
                            return;
                        }
                        std::thread::sleep(READ_SLICE);
                    }
                    retry_s = (retry_s * 2.0).min(LAST_RETRY_S);
                }
            }
        }
    }

    fn connect_and_follow(&self, roster: &mut Roster, retry_s: &mut f32) -> Ended {
        let mut connection = match self.connect() {
            Ok(connection) => connection,
            Err(ended) => return ended,
        };
        let (me, present) = match connection.join(&self.settings, &self.stop) {
            Ok(joined) => joined,
            Err(ended) => return ended,
        };
        *retry_s = FIRST_RETRY_S;
        let _ = self.events.send(LiveEvent::Joined { me });
        let mut media = RoomMedia::new(
            self.settings.media.clone(),
            self.settings.room,
            self.settings.pin.clone(),
            self.events.clone(),
            self.outbound.clone(),
        );
        if let Err(ended) =
            media.follow(&mut connection, &present).and_then(|()| media.publish(&mut connection))
        {
            return ended;
        }
        for change in roster.replace(me, present) {
            let _ = self.events.send(LiveEvent::Presence(change));
        }
        let mut last_sent = Instant::now();
        loop {
            if self.stop.load(Ordering::Relaxed) {
                connection.leave();
                return Ended::Stopped;
            }
            if last_sent.elapsed() >= KEEPALIVE_EVERY {
                let transaction = connection.transaction();
                if let Err(ended) = connection.send(protocol::keepalive(&transaction, connection.session)) {
                    return ended;
                }
                last_sent = Instant::now();
            }
            if let Err(ended) = media.ask_for_keyframes(&mut connection) {
                return ended;
            }
            match media.gone_quiet(&mut connection) {
                Ok(gone) => {
                    for change in gone.into_iter().filter_map(|id| roster.leave(id)) {
                        let _ = self.events.send(LiveEvent::Presence(change));
                    }
                }
                Err(ended) => return ended,
            }
            let reply = match connection.read() {
                Ok(Some(reply)) => reply,
                Ok(None) => continue,
                Err(ended) => return ended,
            };
            let changes = match reply {
                Ok(Reply::Room { sender, event, jsep }) => {
                    if let Err(ended) = media.on_event(&mut connection, sender, &event, jsep.as_ref()) {
                        return ended;
                    }
                    let followed = match &event {
                        RoomEvent::Joined { present: people, .. } | RoomEvent::Arrived(people) => {
                            media.follow(&mut connection, people)
                        }
                        _ => Ok(()),
                    };
                    if let Err(ended) = followed {
                        return ended;
                    }
                    match event {
                        RoomEvent::Joined { me, present } if sender == connection.handle => {
                            roster.replace(me, present)
                        }
                        RoomEvent::Arrived(people) => roster.arrive(me, people),
                        RoomEvent::Left(id) => roster.leave(id).into_iter().collect(),
                        _ => Vec::new(),
                    }
                }
                Ok(Reply::Created { transaction, id }) => {
                    if let Err(ended) = media.attached(&mut connection, &transaction, id) {
                        return ended;
                    }
                    Vec::new()
                }
                Ok(Reply::Trickle { sender, candidate: Some((m_line, candidate)) }) => {
                    media.trickled(&connection, sender, m_line, &candidate);
                    Vec::new()
                }
                Ok(Reply::MediaUp { sender }) => {
                    let from = media.feed_of(sender);
                    if from.is_some() || sender == connection.handle {
                        let _ = self.events.send(LiveEvent::MediaUp { from });
                    }
                    Vec::new()
                }
                Ok(Reply::HungUp { sender, reason }) => {
                    media.hung_up(&mut connection, sender, &reason);
                    Vec::new()
                }
                Ok(Reply::Detached { sender }) if sender == connection.handle => {
                    return Ended::Lost("the server closed the connection (detached)".into());
                }
                Ok(Reply::Detached { sender }) => {
                    media.detached(sender);
                    Vec::new()
                }
                Ok(Reply::Ended { reason }) => return Ended::Lost(reason),
                Ok(_) => Vec::new(),
                Err(skipped) => {
                    tracing::warn!("live session: {skipped}");
                    let _ = self.events.send(LiveEvent::Skipped(skipped));
                    Vec::new()
                }
            };
            for change in changes {
                let _ = self.events.send(LiveEvent::Presence(change));
            }
        }
    }

    fn connect(&self) -> Result<Connection, Ended> {
        let lost =
            |what: &str, e: &dyn std::fmt::Display| Ended::Lost(format!("{what} {}: {e}", self.address));
        let address = self
            .address
            .to_socket_addrs()
            .map_err(|e| lost("cannot find the session server", &e))?
            .next()
            .ok_or_else(|| Ended::Lost(format!("the session server {} has no address", self.address)))?;
        let stream = TcpStream::connect_timeout(&address, CONNECT_WITHIN)
            .map_err(|e| lost("cannot reach the session server", &e))?;
        stream.set_read_timeout(Some(READ_SLICE)).map_err(|e| lost("cannot use the connection to", &e))?;
        let stream = match &self.tls {
            None => Stream::Plain(stream),
            Some(config) => {
                let host = self.address.rsplit_once(':').map_or(self.address.as_str(), |(host, _)| host);
                let name = rustls::pki_types::ServerName::try_from(host.to_owned())
                    .map_err(|e| lost("the session server's name is not valid:", &e))?;
                let connection = rustls::ClientConnection::new(config.clone(), name)
                    .map_err(|e| lost("cannot start TLS with", &e))?;
                Stream::Tls(Box::new(rustls::StreamOwned::new(connection, stream)))
            }
        };
        let mut request =
            self.settings.server.as_str().into_client_request().map_err(|e| lost("bad address for", &e))?;
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "janus-protocol".parse().expect("a valid header"));
        let config = WebSocketConfig::default()
            .max_message_size(Some(protocol::MAX_MESSAGE_BYTES))
            .max_frame_size(Some(protocol::MAX_MESSAGE_BYTES));
        let (socket, _) =
            tungstenite::client::client_with_config(request, stream, Some(config)).map_err(|e| match e {
                tungstenite::HandshakeError::Failure(tungstenite::Error::Io(io))
                    if certificate_refused(&io) =>
                {
                    // Trying again cannot help: the server is not the one the CA vouches for.
                    Ended::Refused(format!(
                        "the session server {} showed a certificate the CA file does not vouch for",
                        self.address
                    ))
                }
                other => lost("no WebSocket could be opened with", &other),
            })?;
        Ok(Connection { socket, session: 0, handle: 0, next_transaction: 0 })
    }
}

impl Connection {
    pub(crate) fn transaction(&mut self) -> String {
        self.next_transaction += 1;
        format!("allverse-{}", self.next_transaction)
    }

    pub(crate) fn send(&mut self, message: serde_json::Value) -> Result<(), Ended> {
        self.socket
            .send(Message::text(message.to_string()))
            .map_err(|e| Ended::Lost(format!("the session server went away: {e}")))
    }

    /// One message, or `None` when nothing arrived within a read slice.
    fn read(&mut self) -> Result<Option<Result<Reply, String>>, Ended> {
        match self.socket.read() {
            Ok(Message::Text(text)) => Ok(Some(protocol::parse(text.as_str()).map_err(|e| e.to_string()))),
            Ok(Message::Close(_)) => Err(Ended::Lost("the session server closed the connection".into())),
            Ok(_) => Ok(None),
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
            {
                Ok(None)
            }
            Err(tungstenite::Error::Capacity(e)) => {
                Ok(Some(Err(format!("a signalling message was too large: {e}"))))
            }
            Err(e) => Err(Ended::Lost(format!("the session server went away: {e}"))),
        }
    }

    /// Sends `message` and waits for the reply `wanted` picks out (other messages are passed over).
    fn request<T>(
        &mut self,
        message: serde_json::Value,
        stop: &AtomicBool,
        mut wanted: impl FnMut(Reply) -> Option<Result<T, Ended>>,
    ) -> Result<T, Ended> {
        self.send(message)?;
        let deadline = Instant::now() + ANSWER_WITHIN;
        while Instant::now() < deadline {
            if stop.load(Ordering::Relaxed) {
                return Err(Ended::Stopped);
            }
            if let Some(Ok(reply)) = self.read()?
                && let Some(answer) = wanted(reply)
            {
                return answer;
            }
        }
        Err(Ended::Lost("the session server did not answer".into()))
    }

    /// Creates the session, attaches to the VideoRoom and joins: our id in the room, and who is there.
    fn join(
        &mut self,
        settings: &JoinSettings,
        stop: &AtomicBool,
    ) -> Result<(ParticipantId, Vec<Participant>), Ended> {
        for step in ["create", "attach"] {
            let transaction = self.transaction();
            let message = match step {
                "create" => protocol::create(&transaction),
                _ => protocol::attach(&transaction, self.session),
            };
            let id = self.request(message, stop, |reply| match reply {
                Reply::Created { transaction: t, id } if t == transaction => Some(Ok(id)),
                Reply::Failed { transaction: t, code, reason } if t == transaction => {
                    Some(Err(Ended::Lost(format!("the session server refused to {step}: {reason} ({code})"))))
                }
                _ => None,
            })?;
            match step {
                "create" => self.session = id,
                _ => self.handle = id,
            }
        }
        let display = allverse_core::text::clean(&settings.display_name, allverse_core::text::MAX_NAME_CHARS);
        let body = JoinBody {
            room: settings.room,
            display: &display,
            pin: settings.pin.as_ref().map(Secret::expose),
            token: settings.token.as_ref().map(Secret::expose),
        };
        let transaction = self.transaction();
        let message = protocol::join(&transaction, self.session, self.handle, &body);
        let room = settings.room;
        self.request(message, stop, |reply| match reply {
            Reply::Room { event: RoomEvent::Joined { me, present }, .. } => Some(Ok((me, present))),
            Reply::Room { event: RoomEvent::Refused { code, reason }, .. } => {
                Some(Err(Ended::Refused(refusal(room, code, &reason))))
            }
            Reply::Failed { code, reason, .. } => {
                Some(Err(Ended::Lost(format!("joining failed: {reason} ({code})"))))
            }
            _ => None,
        })
    }

    /// Leaves the room and ends the session, as far as the server still listens.
    fn leave(&mut self) {
        let transaction = self.transaction();
        let _ = self.send(protocol::leave(&transaction, self.session, self.handle));
        let _ = self.send(
            serde_json::json!({ "janus": "destroy", "session_id": self.session, "transaction": "bye" }),
        );
        let _ = self.socket.close(None);
    }
}

/// Whether TLS failed because the server's certificate is not trusted.
fn certificate_refused(error: &std::io::Error) -> bool {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| matches!(e, rustls::Error::InvalidCertificate(_)))
}

/// A VideoRoom refusal in the user's terms (error codes from Janus's
/// `janus_videoroom.c`; its reason names the element: "pin", or the token
/// list, "allowed").
fn refusal(room: u64, code: i64, reason: &str) -> String {
    let about = reason.to_lowercase();
    let secret = if about.contains("pin") {
        "PIN"
    } else if about.contains("token") || about.contains("allowed") {
        "invitation token"
    } else {
        "PIN or invitation token"
    };
    match code {
        426 => format!("there is no room {room} on this session server"),
        429 => format!("the room needs a {secret}, and none was given"),
        433 => format!("the room did not accept this {secret}"),
        _ => format!("the room did not let you in: {reason} (code {code})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ws_and_wss_addresses_with_a_host_are_taken() {
        assert_eq!(server_address("ws://127.0.0.1:8188").unwrap(), (false, "127.0.0.1:8188".into()));
        assert_eq!(server_address("wss://janus.example/janus").unwrap(), (true, "janus.example:443".into()));
        for bad in ["http://a:1", "ws://", "wss://user:pw@a:1", "a:1"] {
            assert!(server_address(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_password_in_the_address_is_never_shown() {
        for address in
            ["ws://admin:secret123@127.0.0.1:9", "admin:secret123@host", "wss://a:secret123@b@c:1/x"]
        {
            let error = server_address(address).unwrap_err().to_string();
            assert!(!error.contains("secret123") && !error.contains("admin"), "{error}");
        }
        let long = format!("ws://{}", "x".repeat(10_000));
        assert!(server_address(&format!("{long}@h")).unwrap_err().to_string().len() < 300);
    }

    #[test]
    fn secrets_are_never_printed() {
        let settings = JoinSettings {
            server: "ws://a:1".into(),
            ca_file: None,
            room: 1,
            display_name: "Ana".into(),
            pin: Some(Secret::new("2468")),
            token: Some(Secret::new("tok-123")),
            media: MediaSettings::default(),
        };
        let printed = format!("{settings:?}");
        assert!(!printed.contains("2468") && !printed.contains("tok-123"), "{printed}");
        for code in [426, 429, 433, 500] {
            assert!(!refusal(1, code, "Unauthorized").contains("2468"));
        }
    }
}
