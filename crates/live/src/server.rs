//! A real Janus for tests, the simulator and `cargo xtask janus`: Debian's `janus`, configured here.
//!
//! The configuration starts from nothing in a temporary folder: only the
//! VideoRoom plugin and the WebSocket transport are loaded, the transport
//! listens on 127.0.0.1 on a free port, and two rooms exist: an open one
//! and one that needs a PIN and an invitation token. Janus runs in the
//! foreground as a child process and is stopped when this is dropped.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The open room's id.
pub const OPEN_ROOM: u64 = 1;
/// The guarded room's id, its PIN and the invitation tokens it accepts.
pub const GUARDED_ROOM: u64 = 1234;
pub const GUARDED_PIN: &str = "2468";
pub const GUARDED_TOKENS: [&str; 2] = ["invite-ana", "invite-ben"];
/// The VideoRoom's administration key (creating rooms, remote publishers).
const ADMIN_KEY: &str = "allverse-admin";
const JANUS: &str = "/usr/bin/janus";
/// Janus's loaded plugins and transports live here on Debian.
const LIBRARIES: &str = "/usr/lib/x86_64-linux-gnu/janus";

/// A running Janus.
pub struct JanusServer {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    /// The same transport over TLS, with a certificate from a CA made for this server.
    secure_port: u16,
}

/// Why Janus could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("Janus is not installed ({JANUS} is missing): `cargo xtask setup` installs Debian's `janus`")]
    NotInstalled,
    #[error("Janus could not be started: {0}")]
    Start(String),
}

impl JanusServer {
    /// Starts Janus with its WebSocket transport on a free port of 127.0.0.1.
    pub fn start() -> Result<Self, ServerError> {
        Self::start_on(free_port()?)
    }

    /// Starts Janus on `port`, e.g. again after [`JanusServer::stop`], where clients expect it.
    pub fn start_on(port: u16) -> Result<Self, ServerError> {
        if !Path::new(JANUS).exists() {
            return Err(ServerError::NotInstalled);
        }
        let secure_port = free_port()?;
        let dir = tempfile::tempdir().map_err(|e| ServerError::Start(e.to_string()))?;
        allverse_tls::write_test_certificates(dir.path()).map_err(ServerError::Start)?;
        write_config(dir.path(), port, secure_port).map_err(|e| ServerError::Start(e.to_string()))?;
        let log = std::fs::File::create(dir.path().join("janus.log"))
            .map_err(|e| ServerError::Start(e.to_string()))?;
        let mut command = Command::new(JANUS);
        // Janus ends with the process that started it, however that one ends
        // (a test killed, `cargo xtask janus` stopped by its pid). If it crashes it
        // leaves no core file: that would land, 100 MB of it, in the caller's folder.
        // SAFETY: prctl and setrlimit in the child between fork and exec touch no memory of ours.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                libc::setrlimit(libc::RLIMIT_CORE, &libc::rlimit { rlim_cur: 0, rlim_max: 0 });
                Ok(())
            });
        }
        let child = command
            .arg("--configs-folder")
            .arg(dir.path())
            .arg("--config")
            .arg(dir.path().join("janus.jcfg"))
            .arg("--disable-colors")
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| ServerError::Start(e.to_string()))?)
            .stderr(log)
            .spawn()
            .map_err(|e| ServerError::Start(e.to_string()))?;
        let mut server = Self { child, dir, port, secure_port };
        server.wait_until_listening()?;
        create_guarded_room(port).map_err(|e| ServerError::Start(format!("the guarded room: {e}")))?;
        Ok(server)
    }

    /// `ws://127.0.0.1:PORT`, the address clients join through.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// Settings that join its open room over `ws://` as `name`, sending and receiving per `media`.
    pub fn open_room(&self, name: &str, media: crate::MediaSettings) -> crate::JoinSettings {
        open_room_at(self.ws_url(), name, media)
    }

    /// `wss://localhost:PORT`: the same rooms over TLS; trust [`JanusServer::ca_file`] to join.
    pub fn wss_url(&self) -> String {
        format!("wss://localhost:{}", self.secure_port)
    }

    /// The CA that signed the server's certificate (PEM).
    pub fn ca_file(&self) -> std::path::PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// What Janus logged so far (for test failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("janus.log")).unwrap_or_default()
    }

    /// Kills Janus at once, as a crash or power cut would.
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn wait_until_listening(&mut self) -> Result<(), ServerError> {
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        // Janus loads its plugins in well under a second; allow for a loaded machine.
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(ServerError::Start(format!("it exited ({status}):\n{}", self.log())));
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(ServerError::Start(format!("it did not listen on {address} within 30 s:\n{}", self.log())))
    }
}

impl Drop for JanusServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Settings that join [`OPEN_ROOM`] on the server at `server` as `name`, sending and receiving per `media`.
pub fn open_room_at(server: String, name: &str, media: crate::MediaSettings) -> crate::JoinSettings {
    crate::JoinSettings {
        server,
        ca_file: None,
        room: OPEN_ROOM,
        display_name: name.into(),
        pin: None,
        token: None,
        media,
    }
}

/// The interface that carries media inside a private network: one end of a
/// veth pair holding 127.0.0.2. Janus and libnice gather no ICE candidates
/// on a loopback interface, so loopback alone cannot carry WebRTC.
pub const PRIVATE_NETWORK_INTERFACE: &str = "av0";
/// Set in the environment of a process running inside the private network.
const IN_PRIVATE_NETWORK: &str = "ALLVERSE_IN_PRIVATE_NETWORK";

/// Whether this process runs inside the private network [`private_network`] makes.
pub fn in_private_network_process() -> bool {
    std::env::var_os(IN_PRIVATE_NETWORK).is_some()
}

/// A command that runs `program` with `args` inside a new private network namespace, where
/// WebRTC works on loopback addresses only and nothing outside can reach it: `lo` up and a
/// veth pair whose [`PRIVATE_NETWORK_INTERFACE`] holds 127.0.0.2. Without root, a user
/// namespace gives the rights to set the network up.
pub fn private_network(program: &std::path::Path, args: &[&str]) -> Command {
    let setup = format!(
        "set -e; ip link set lo up; ip link add {i} type veth peer name av1; \
         ip addr add 127.0.0.2/32 dev {i}; ip link set {i} up; ip link set av1 up; exec \"$0\" \"$@\"",
        i = PRIVATE_NETWORK_INTERFACE
    );
    let mut command = Command::new("unshare");
    command.arg("--net");
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        command.arg("--map-root-user");
    }
    command.args(["--", "sh", "-c", &setup]).arg(program).args(args).env(IN_PRIVATE_NETWORK, "1");
    command
}

/// Runs the calling test again, alone, inside a private network namespace (see
/// [`private_network`]).
///
/// Returns `true` inside that namespace (the caller goes on with the test)
/// and `false` outside it, after the re-run passed; a failed re-run panics
/// with its output.
pub fn in_private_network() -> bool {
    if in_private_network_process() {
        return true;
    }
    let test = std::thread::current().name().unwrap_or_default().to_string();
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = private_network(&exe, &[test.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .output()
        .expect("unshare (util-linux) runs");
    let printed =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success() && printed.contains("1 passed"),
        "`{test}` in a private network ({}):\n{printed}",
        output.status
    );
    false
}

fn free_port() -> Result<u16, ServerError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| ServerError::Start(e.to_string()))
}

/// Janus's main configuration, the WebSocket transport's and the VideoRoom's, in `dir`.
fn write_config(dir: &Path, port: u16, secure_port: u16) -> std::io::Result<()> {
    let write = |name: &str, text: String| std::fs::File::create(dir.join(name))?.write_all(text.as_bytes());
    // Everything Debian ships but the VideoRoom and the WebSocket transport stays unloaded.
    let libraries =
        |names: &[&str]| names.iter().map(|n| format!("libjanus_{n}.so")).collect::<Vec<_>>().join(",");
    let plugins = libraries(&[
        "audiobridge",
        "duktape",
        "echotest",
        "lua",
        "nosip",
        "recordplay",
        "sip",
        "streaming",
        "textroom",
        "videocall",
        "voicemail",
    ]);
    let transports = libraries(&["http", "mqtt", "nanomsg", "pfunix", "rabbitmq"]);
    let events = libraries(&["gelfevh", "mqttevh", "nanomsgevh", "rabbitmqevh", "sampleevh", "wsevh"]);
    let d = dir.display();
    // In a private network (see `PRIVATE_NETWORK_INTERFACE`) ICE may use only that interface.
    // `/proc/self/net/dev` lists this network namespace's interfaces (sysfs would show the host's).
    let interfaces = std::fs::read_to_string("/proc/self/net/dev").unwrap_or_default();
    let nat =
        if interfaces.lines().any(|l| l.trim_start().starts_with(&format!("{PRIVATE_NETWORK_INTERFACE}:"))) {
            format!("nat: {{ ice_enforce_list = \"{PRIVATE_NETWORK_INTERFACE}\" }}\n")
        } else {
            String::new()
        };
    write(
        "janus.jcfg",
        format!(
            "general: {{\n  configs_folder = \"{d}\"\n  plugins_folder = \"{LIBRARIES}/plugins\"\n  \
             transports_folder = \"{LIBRARIES}/transports\"\n  events_folder = \"{LIBRARIES}/events\"\n  \
             loggers_folder = \"{LIBRARIES}/loggers\"\n  debug_level = 4\n  session_timeout = 60\n}}\n\
             media: {{ rtp_port_range = \"20000-40000\" }}\n{nat}\
             plugins: {{ disable = \"{plugins}\" }}\ntransports: {{ disable = \"{transports}\" }}\n\
             loggers: {{ disable = \"libjanus_jsonlog.so\" }}\nevents: {{ broadcast = false, disable = \"{events}\" }}\n"
        ),
    )?;
    write(
        "janus.transport.websockets.jcfg",
        format!(
            "general: {{ json = \"plain\", ws = true, ws_port = {port}, ws_ip = \"127.0.0.1\", \
             wss = true, wss_port = {secure_port}, wss_ip = \"127.0.0.1\" }}\n\
             admin: {{ admin_ws = false }}\n\
             certificates: {{ cert_pem = \"{d}/server.pem\", cert_key = \"{d}/server.key\" }}\n"
        ),
    )?;
    write(
        "janus.plugin.videoroom.jcfg",
        format!(
            "general: {{ admin_key = \"{ADMIN_KEY}\" }}\n\
             room-{OPEN_ROOM}: {{ description = \"Open room\", publishers = 50, notify_joining = true, audiocodec = \"opus\" }}\n"
        ),
    )
}

/// Creates the guarded room through the VideoRoom API: invitation tokens
/// (`allowed`) can only be given to a room created that way.
fn create_guarded_room(port: u16) -> Result<(), String> {
    let body = serde_json::json!({
        "request": "create", "admin_key": ADMIN_KEY, "room": GUARDED_ROOM, "description": "Guarded room",
        "pin": GUARDED_PIN, "allowed": GUARDED_TOKENS, "publishers": 50, "notify_joining": true, "audiocodec": "opus",
    });
    let created = Admin::connect(port)?.videoroom(body)?;
    match created["videoroom"].as_str() {
        Some("created") => Ok(()),
        _ => Err(format!("not created: {created}")),
    }
}

/// A VideoRoom handle of its own on a server, for what only its operator does:
/// creating rooms and carrying publishers between servers.
struct Admin {
    socket: tungstenite::WebSocket<TcpStream>,
    session: u64,
    handle: u64,
    sent: u32,
}

impl Admin {
    fn connect(port: u16) -> Result<Self, String> {
        use crate::protocol::{attach, create};
        use tungstenite::client::IntoClientRequest;
        let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
        let mut request =
            format!("ws://127.0.0.1:{port}").into_client_request().map_err(|e| e.to_string())?;
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "janus-protocol".parse().expect("a valid header"));
        let (socket, _) = tungstenite::client(request, stream).map_err(|e| e.to_string())?;
        let mut admin = Self { socket, session: 0, handle: 0, sent: 0 };
        admin.session =
            admin.ask(create("admin-1"), "admin-1")?["data"]["id"].as_u64().ok_or("no session id")?;
        admin.handle = admin.ask(attach("admin-2", admin.session), "admin-2")?["data"]["id"]
            .as_u64()
            .ok_or("no handle id")?;
        Ok(admin)
    }

    /// Sends a VideoRoom request and returns the plugin's answer (`plugindata.data`), or its error.
    fn videoroom(&mut self, body: serde_json::Value) -> Result<serde_json::Value, String> {
        self.sent += 1;
        let transaction = format!("admin-request-{}", self.sent);
        let message = serde_json::json!({
            "janus": "message", "session_id": self.session, "handle_id": self.handle,
            "transaction": transaction, "body": body,
        });
        let reply = self.ask(message, &transaction)?;
        let data = reply.pointer("/plugindata/data").cloned().unwrap_or_default();
        match data["error"].as_str() {
            Some(error) => Err(error.to_owned()),
            None => Ok(data),
        }
    }

    /// Sends `message` and returns the server's answer to it (not its `ack`).
    fn ask(&mut self, message: serde_json::Value, transaction: &str) -> Result<serde_json::Value, String> {
        self.socket.send(tungstenite::Message::text(message.to_string())).map_err(|e| e.to_string())?;
        loop {
            let text =
                self.socket.read().map_err(|e| e.to_string())?.into_text().map_err(|e| e.to_string())?;
            let reply: serde_json::Value = serde_json::from_str(text.as_str()).map_err(|e| e.to_string())?;
            match (reply["janus"].as_str(), reply["transaction"].as_str()) {
                (Some("error"), Some(t)) if t == transaction => return Err(format!("refused: {reply}")),
                (Some("ack"), _) => continue,
                (_, Some(t)) if t == transaction => return Ok(reply),
                _ => continue,
            }
        }
    }
}

impl JanusServer {
    /// Carries the publisher called `display` in this server's open room into the open room
    /// of `to`, as the second server of a cascade does: `add_remote_publisher` on `to`
    /// makes a remote publisher there, and `publish_remotely` here sends it their streams,
    /// data channel included, as plain RTP on loopback. Waits up to 30 s for `display` to publish here.
    pub fn carry_publisher(&self, display: &str, to: &JanusServer) -> Result<(), String> {
        let mut here = Admin::connect(self.port)?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let publisher = loop {
            let listed =
                here.videoroom(serde_json::json!({ "request": "listparticipants", "room": OPEN_ROOM }))?;
            let found = listed["participants"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["display"] == display && p["publisher"] == true);
            if let Some(id) = found.and_then(|p| p["id"].as_u64()) {
                break id;
            }
            if Instant::now() > deadline {
                return Err(format!("{display} did not publish within 30 s"));
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        // Their streams as the room lists them to a newcomer (the ids and order to send them in).
        let joined = here.videoroom(serde_json::json!({
            "request": "join", "ptype": "publisher", "room": OPEN_ROOM, "display": "cascade",
        }))?;
        let streams = joined["publishers"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["id"].as_u64() == Some(publisher))
            .map(|p| p["streams"].clone())
            .ok_or_else(|| format!("{display}'s streams were not listed: {joined}"))?;
        let remote = Admin::connect(to.port)?.videoroom(serde_json::json!({
            "request": "add_remote_publisher", "admin_key": ADMIN_KEY, "room": OPEN_ROOM,
            "display": display, "iface": "127.0.0.1", "streams": streams,
        }))?;
        here.videoroom(serde_json::json!({
            "request": "publish_remotely", "admin_key": ADMIN_KEY, "room": OPEN_ROOM,
            "publisher_id": publisher, "remote_id": format!("cascade-{publisher}"), "host": "127.0.0.1",
            "port": remote["port"], "rtcp_port": remote["rtcp_port"],
        }))?;
        Ok(())
    }
}
