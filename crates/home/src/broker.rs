//! A real Mosquitto broker on loopback for tests, the simulator and `cargo xtask`, and a small publisher.
//!
//! Each [`TestBroker`] lives in its own temporary folder: generated configuration, a CA and a
//! server certificate for `localhost`/`127.0.0.1` (made with rcgen), a password file made with
//! `mosquitto_passwd -b`, an ACL file and the persistence database. It listens on 127.0.0.1
//! only, on one plain MQTT port and one TLS port, never on a WebSocket (Mosquitto 2.0.11 binds
//! WebSocket listeners to every interface, whatever the configuration says).

use crate::settings::{HomeSettings, Secret};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The headset's user in [`BrokerConfig::home`].
pub const HEADSET_USER: &str = "headset";
/// The headset's test password.
pub const HEADSET_PASSWORD: &str = "headset-test-password";
/// The hub's user (standing in for Home Assistant and the devices) in [`BrokerConfig::home`].
pub const HUB_USER: &str = "hub";
/// The hub's test password.
pub const HUB_PASSWORD: &str = "hub-test-password";

/// How long a broker may take to start listening.
const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// Errors starting or driving the broker, or publishing.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// A Mosquitto program is missing.
    #[error("{0} is not installed: run `cargo xtask setup`")]
    NotInstalled(&'static str),
    /// Writing the temporary files or starting the process failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Certificate generation failed.
    #[error("cannot make test certificates: {0}")]
    Certificates(String),
    /// The broker exited or did not listen in time; the message ends with its log.
    #[error("mosquitto did not start: {0}")]
    NotReady(String),
    /// Publishing failed.
    #[error("publish failed: {0}")]
    Publish(String),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BrokerError {
    let what = what.into();
    move |source| BrokerError::Io { what, source }
}

/// One broker user and its ACL (Mosquitto `topic read|write|readwrite` lines).
#[derive(Clone, Debug)]
pub struct BrokerUser {
    /// User name.
    pub name: String,
    /// Password (test only).
    pub password: String,
    /// Topic filters the user may subscribe to.
    pub read: Vec<String>,
    /// Topic filters the user may publish to.
    pub write: Vec<String>,
}

/// Users and ACLs of a [`TestBroker`].
#[derive(Clone, Debug)]
pub struct BrokerConfig {
    /// The users; anonymous clients are refused.
    pub users: Vec<BrokerUser>,
}

impl BrokerConfig {
    /// The home setup: `headset` reads everything under `homeassistant/`, `home/` and
    /// `allverse/`, and writes only to `headset_commands`; `hub` reads and writes everything.
    pub fn home(headset_commands: &[&str]) -> Self {
        let all = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Self {
            users: vec![
                BrokerUser {
                    name: HEADSET_USER.into(),
                    password: HEADSET_PASSWORD.into(),
                    read: all(&["homeassistant/#", "home/#", "allverse/#"]),
                    write: all(headset_commands),
                },
                BrokerUser {
                    name: HUB_USER.into(),
                    password: HUB_PASSWORD.into(),
                    read: all(&["#"]),
                    write: all(&["#"]),
                },
            ],
        }
    }
}

/// A Mosquitto child process with its temporary folder.
pub struct TestBroker {
    dir: tempfile::TempDir,
    child: Option<Child>,
    plain_port: u16,
    tls_port: u16,
}

/// Finds a program on `PATH` or in the sbin folders Debian puts `mosquitto` in.
fn find(program: &'static str) -> Result<PathBuf, BrokerError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or(BrokerError::NotInstalled(program))
}

fn free_port() -> Result<u16, BrokerError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io("cannot find a free port"))?;
    Ok(listener.local_addr().map_err(io("cannot find a free port"))?.port())
}

impl TestBroker {
    /// Writes the configuration and starts Mosquitto; returns once both ports accept connections.
    ///
    /// # Errors
    /// [`BrokerError::NotInstalled`] without Debian `mosquitto`; others when files cannot be
    /// written or the broker does not start within 15 s (the error carries its log).
    pub fn start(config: BrokerConfig) -> Result<TestBroker, BrokerError> {
        let mosquitto = find("mosquitto")?;
        let passwd_tool = find("mosquitto_passwd")?;
        let dir = tempfile::tempdir().map_err(io("cannot make a temporary folder"))?;
        let d = dir.path();
        write_certificates(d)?;
        for (i, user) in config.users.iter().enumerate() {
            let mut cmd = Command::new(&passwd_tool);
            if i == 0 {
                cmd.arg("-c");
            }
            let status = cmd
                .arg("-b")
                .arg(d.join("passwd"))
                .args([&user.name, &user.password])
                .stdout(Stdio::null())
                .status()
                .map_err(io("cannot run mosquitto_passwd"))?;
            if !status.success() {
                return Err(BrokerError::NotReady(format!("mosquitto_passwd failed for user {}", user.name)));
            }
        }
        let mut acl = String::new();
        for user in &config.users {
            acl.push_str(&format!("user {}\n", user.name));
            for t in &user.read {
                acl.push_str(&format!("topic read {t}\n"));
            }
            for t in &user.write {
                acl.push_str(&format!("topic write {t}\n"));
            }
            acl.push('\n');
        }
        std::fs::write(d.join("acl"), acl).map_err(io("cannot write the ACL file"))?;
        std::fs::create_dir_all(d.join("data")).map_err(io("cannot make the persistence folder"))?;
        let (plain_port, tls_port) = (free_port()?, free_port()?);
        // As root, Mosquitto would switch to the `mosquitto` user, which cannot read this folder.
        // SAFETY: geteuid has no preconditions and cannot fail.
        let user = if unsafe { libc::geteuid() } == 0 { "user root\n" } else { "" };
        let conf = format!(
            "{user}per_listener_settings false\nallow_anonymous false\n\
             password_file {d}/passwd\nacl_file {d}/acl\n\
             persistence true\npersistence_location {d}/data/\n\
             log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\n\
             listener {plain_port} 127.0.0.1\n\
             listener {tls_port} 127.0.0.1\ncafile {d}/ca.pem\ncertfile {d}/server.pem\nkeyfile {d}/server.key\n",
            d = d.display()
        );
        std::fs::write(d.join("mosquitto.conf"), conf).map_err(io("cannot write mosquitto.conf"))?;
        let mut broker = TestBroker { dir, child: None, plain_port, tls_port };
        broker.spawn(&mosquitto)?;
        Ok(broker)
    }

    fn spawn(&mut self, mosquitto: &Path) -> Result<(), BrokerError> {
        let d = self.dir.path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("mosquitto.log"))
            .map_err(io("cannot open the broker log"))?;
        let child = Command::new(mosquitto)
            .arg("-c")
            .arg(d.join("mosquitto.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(io("cannot open the broker log"))?)
            .stderr(log)
            .spawn()
            .map_err(io("cannot start mosquitto"))?;
        self.child = Some(child);
        self.wait_ready()
    }

    /// Waits until both listeners accept a TCP connection, or the process has exited.
    fn wait_ready(&mut self) -> Result<(), BrokerError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let listening = |port| {
            TcpStream::connect_timeout(
                &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                Duration::from_millis(200),
            )
            .is_ok()
        };
        loop {
            if listening(self.plain_port) && listening(self.tls_port) {
                return Ok(());
            }
            let exited = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                return Err(BrokerError::NotReady(format!("{exited:?}; log:\n{}", self.log())));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The broker's log so far (Mosquitto writes it to stderr, kept in the temporary folder).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }

    /// `mqtt://127.0.0.1:<port>`, the plain listener.
    pub fn plain_url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.plain_port)
    }

    /// `mqtts://127.0.0.1:<port>`, the TLS listener (certificate for `localhost` and `127.0.0.1`).
    pub fn tls_url(&self) -> String {
        format!("mqtts://127.0.0.1:{}", self.tls_port)
    }

    /// The CA certificate (PEM) that signed the broker's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Hub settings for this broker over TLS, with the hub's credentials.
    pub fn hub_settings(&self) -> HomeSettings {
        let mut s = HomeSettings::new(self.tls_url());
        s.ca_file = Some(self.ca_file());
        s.username = Some(HUB_USER.into());
        s.password = Some(Secret::new(HUB_PASSWORD));
        s.client_id = "hub".into();
        s
    }

    /// Headset settings for this broker over TLS, with the headset's credentials.
    pub fn headset_settings(&self) -> HomeSettings {
        let mut s = HomeSettings::new(self.tls_url());
        s.ca_file = Some(self.ca_file());
        s.username = Some(HEADSET_USER.into());
        s.password = Some(Secret::new(HEADSET_PASSWORD));
        s
    }

    /// Stops the broker with SIGTERM (it saves its database) and starts it again on the same ports.
    ///
    /// # Errors
    /// As [`TestBroker::start`].
    pub fn restart(&mut self) -> Result<(), BrokerError> {
        self.stop();
        self.spawn(&find("mosquitto")?)
    }

    /// Stops the broker with SIGTERM and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: kill only sends a signal to our own child's pid, which is still unreaped.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
            let _ = child.wait();
        }
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Writes `ca.pem`, `server.pem` and `server.key` into `dir`.
fn write_certificates(dir: &Path) -> Result<(), BrokerError> {
    allverse_tls::write_test_certificates(dir).map_err(BrokerError::Certificates)
}

/// Plays a device on the hub's account that does what it is told: each of
/// the next `answers` commands on `command_topic` comes back as its
/// retained state on `state_topic`; later ones go unanswered. Returns once
/// it is subscribed, so no command is missed; the thread ends after its
/// last answer or when the broker goes away.
///
/// # Errors
/// The broker cannot be reached or refuses the hub.
pub fn echo_device(
    broker: &TestBroker,
    command_topic: &str,
    state_topic: &str,
    answers: usize,
) -> Result<JoinHandle<()>, BrokerError> {
    use rumqttc::v5::mqttbytes::QoS;
    use rumqttc::v5::mqttbytes::v5::Packet;
    use rumqttc::v5::{Client, Event};
    let settings = broker.hub_settings();
    let mut options = crate::link::options::mqtt_options(&HomeSettings {
        client_id: format!("echo-{}", command_topic.replace('/', "-")),
        ..settings
    })
    .map_err(|e| BrokerError::Publish(e.to_string()))?;
    options.set_clean_start(true).set_session_expiry_interval(None);
    let (client, mut connection) = Client::new(options, 10);
    client.subscribe(command_topic, QoS::AtLeastOnce).map_err(|e| BrokerError::Publish(e.to_string()))?;
    for event in connection.iter() {
        match event {
            Ok(Event::Incoming(Packet::SubAck(_))) => break,
            Ok(_) => {}
            Err(e) => return Err(BrokerError::Publish(e.to_string())),
        }
    }
    let state_topic = state_topic.to_owned();
    Ok(std::thread::spawn(move || {
        let mut left = answers;
        for event in connection.iter() {
            match event {
                Ok(Event::Incoming(Packet::Publish(command))) if left > 0 => {
                    left -= 1;
                    let _ =
                        client.publish(state_topic.clone(), QoS::AtLeastOnce, true, command.payload.to_vec());
                }
                // The last answer has been taken by the broker.
                Ok(Event::Incoming(Packet::PubAck(_))) if left == 0 => break,
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }))
}
