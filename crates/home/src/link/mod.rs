//! The connection to the home broker, run on its own thread so the frame loop never waits.

pub(crate) mod options;
mod worker;

pub use crate::update::HomeUpdate;

use crate::command::{CommandId, DeviceCommand};
use crate::discovery::EntityKey;
use crate::settings::HomeSettings;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::thread::JoinHandle;
use std::time::Duration;

/// Updates buffered between the worker and the frame loop; when the frame loop falls this far
/// behind, the worker waits, and the broker holds further QoS 1 messages for it.
const UPDATE_QUEUE: usize = 4096;

/// Why the link could not start. Only bad settings fail; an unreachable broker does not.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The broker address is not `mqtt://host[:port]` or `mqtts://host[:port]`.
    #[error("broker address `{url}` is not mqtt://host:port or mqtts://host:port: {reason}")]
    BadUrl {
        /// The address as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The CA file could not be read or holds no PEM certificate.
    #[error("cannot use CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A setting is out of range.
    #[error("{0}")]
    Setting(&'static str),
    /// The worker thread could not be started.
    #[error("cannot start the home link thread: {0}")]
    Thread(std::io::Error),
}

/// Requests from the frame loop to the worker.
enum Request {
    Command { id: CommandId, key: EntityKey, command: DeviceCommand },
    Shutdown,
}

/// A running connection to the home broker.
///
/// A worker thread owns the MQTT client and the [`crate::model::HomeModel`]; it reconnects
/// with exponential backoff (0.5 s doubling to 10 s) and reports everything as
/// [`HomeUpdate`]s. Dropping the link shuts it down, as [`HomeLink::shutdown`] does.
pub struct HomeLink {
    requests: tokio::sync::mpsc::UnboundedSender<Request>,
    updates: Option<Receiver<HomeUpdate>>,
    thread: Option<JoinHandle<()>>,
    next_command: AtomicU64,
}

impl HomeLink {
    /// Starts the worker thread, which connects in the background.
    ///
    /// # Errors
    /// [`LinkError`] for an unparseable broker address, an unreadable CA file, a bad timeout,
    /// or a thread that cannot start. An unreachable broker is not an error: it is reported
    /// as [`HomeUpdate::Disconnected`] and retried.
    pub fn start(settings: HomeSettings) -> Result<HomeLink, LinkError> {
        let options = options::mqtt_options(&settings)?;
        let (requests, request_rx) = tokio::sync::mpsc::unbounded_channel();
        let (update_tx, updates) = std::sync::mpsc::sync_channel(UPDATE_QUEUE);
        let thread = std::thread::Builder::new()
            .name("allverse-home".into())
            .spawn(move || worker::run(settings, options, request_rx, update_tx))
            .map_err(LinkError::Thread)?;
        Ok(HomeLink {
            requests,
            updates: Some(updates),
            thread: Some(thread),
            next_command: AtomicU64::new(1),
        })
    }

    /// The next update, without waiting (for the frame loop).
    pub fn try_recv(&self) -> Option<HomeUpdate> {
        self.updates.as_ref()?.try_recv().ok()
    }

    /// The next update, waiting up to `timeout`; `None` on timeout or after the worker ended.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<HomeUpdate> {
        self.updates.as_ref()?.recv_timeout(timeout).ok()
    }

    /// Sends `command` to the entity `key`; the outcome arrives later as
    /// [`HomeUpdate::CommandConfirmed`] or [`HomeUpdate::CommandFailed`] with the returned id.
    pub fn send(&self, key: &EntityKey, command: DeviceCommand) -> CommandId {
        let id = CommandId(self.next_command.fetch_add(1, Ordering::Relaxed));
        // A send only fails after the worker ended, which `recv_timeout` already reports.
        let _ = self.requests.send(Request::Command { id, key: key.clone(), command });
        id
    }

    /// Disconnects cleanly (the broker keeps the session) and joins the worker thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.requests.send(Request::Shutdown);
        // Dropping the receiver frees a worker blocked on a full update queue.
        self.updates = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for HomeLink {
    fn drop(&mut self) {
        self.stop();
    }
}
