//! The event the scenario stages: its language channels and their interpreters.

use allverse_core::event::EventDescription;
use bevy::prelude::*;

/// The event's channels and interpreters, when the scenario stages one.
#[derive(Resource, Clone, Debug, Default)]
pub struct StagedEvent(pub Option<EventDescription>);
