//! The link to the hub's broker as the home's systems share it: updates taken but not yet applied, and the simulator's hub.

use allverse_home::publish::Publisher;
use allverse_home::{AlertGate, HomeLink, HomeUpdate};

/// The connection to the hub and the gate alerts pass. Non-send: the link's
/// receiving end belongs to the main thread.
pub(super) struct HomeConnection {
    pub(super) link: HomeLink,
    pub(super) gate: AlertGate,
    /// Updates the simulator's hub already took from the link while waiting for its events.
    pub(super) inbox: Vec<HomeUpdate>,
    /// The simulator's hub, connected at its first event.
    pub(super) hub: Option<Publisher>,
    /// Whether the link's last word was that it is connected; `None` before its first.
    pub(super) connected: Option<bool>,
}

impl HomeConnection {
    pub(super) fn new(link: HomeLink, gate: AlertGate) -> Self {
        Self { link, gate, inbox: Vec::new(), hub: None, connected: None }
    }

    /// The next update from the link, if one is waiting (or, with `wait`, once one comes).
    pub(super) fn next(&mut self, wait: Option<std::time::Duration>) -> Option<HomeUpdate> {
        let update = match wait {
            Some(wait) => self.link.recv_timeout(wait),
            None => self.link.try_recv(),
        }?;
        match update {
            HomeUpdate::Connected { .. } => self.connected = Some(true),
            HomeUpdate::Disconnected { .. } => self.connected = Some(false),
            _ => {}
        }
        Some(update)
    }
}
