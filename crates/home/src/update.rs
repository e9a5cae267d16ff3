//! Everything the link reports to the runtime, one message at a time.

use crate::alert::HomeAlert;
use crate::command::{CommandFailure, CommandId};
use crate::discovery::EntityKey;
use crate::model::{Entity, EntityState};

/// One thing that happened on the home link.
#[derive(Clone, Debug, PartialEq)]
pub enum HomeUpdate {
    /// Connected (or reconnected) to the broker.
    Connected {
        /// Broker URL, without credentials.
        broker: String,
    },
    /// Lost or could not make the connection; the link retries by itself.
    Disconnected {
        /// Plain words, e.g. "the broker refused the user name or password".
        reason: String,
        /// Seconds until the next attempt.
        retry_in_s: f32,
    },
    /// An entity was discovered, or its discovery changed (boxed: an entity is large).
    EntityAdded(Box<Entity>),
    /// An entity's discovery was removed.
    EntityRemoved(EntityKey),
    /// An entity went online or offline (its availability topic).
    Availability {
        /// The entity.
        key: EntityKey,
        /// `true` when online.
        online: bool,
        /// The availability topic.
        topic: String,
    },
    /// An entity's state changed.
    StateChanged {
        /// The entity.
        key: EntityKey,
        /// Its new state.
        state: EntityState,
        /// The state topic.
        topic: String,
    },
    /// A classified alert, before any gating (see [`crate::alert::AlertGate`]).
    Alert(HomeAlert),
    /// The entity's state topic reported the state a command asked for.
    CommandConfirmed {
        /// The command.
        id: CommandId,
        /// The entity.
        key: EntityKey,
        /// The confirmed state.
        state: EntityState,
    },
    /// A command failed.
    CommandFailed {
        /// The command.
        id: CommandId,
        /// The entity.
        key: EntityKey,
        /// Why.
        reason: CommandFailure,
    },
    /// A message was ignored; also logged with `tracing::warn!`.
    Skipped {
        /// Its topic.
        topic: String,
        /// Why, in plain words.
        reason: String,
    },
    /// The link has finished with the message on `topic`: every update it caused came before
    /// this one. The stepped simulator waits for it after publishing a scenario event.
    Processed {
        /// The message's topic.
        topic: String,
    },
}

impl HomeUpdate {
    /// The MQTT topic of the message behind this update, where there is one.
    pub fn topic(&self) -> Option<&str> {
        match self {
            Self::EntityAdded(entity) => Some(&entity.config.discovery_topic),
            Self::Availability { topic, .. }
            | Self::StateChanged { topic, .. }
            | Self::Skipped { topic, .. }
            | Self::Processed { topic } => Some(topic),
            Self::Alert(alert) => Some(&alert.topic),
            _ => None,
        }
    }
}
