//! The event model: who takes part, where they are, and which language channels exist.
//!
//! An event is what a person joins: a floor with speakers at places in the
//! room, and language channels (the floor language, spoken interpretations,
//! sign-language interpretations) that a user can pick from.

use glam::Vec3;
use serde::{Deserialize, Serialize};

/// Someone whose speech or signing the user may need to follow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Speaker {
    /// Stable identifier used to attribute captions, e.g. `narrator`.
    pub id: String,
    /// Name shown to the user next to what they say.
    pub name: String,
    /// Where their head is, in world space.
    pub head_position_m: Vec3,
}

/// Whether a channel carries spoken language or sign language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Spoken,
    Signed,
}

/// One language a user can follow the event in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LanguageChannel {
    /// Short code, e.g. `floor`, `en`, `fr`, `bsl`.
    pub id: String,
    /// Name shown in menus, e.g. "British Sign Language".
    pub name: String,
    pub kind: ChannelKind,
}

impl LanguageChannel {
    /// The original language of the floor, always present.
    pub fn floor() -> Self {
        Self { id: "floor".into(), name: "Floor (original)".into(), kind: ChannelKind::Spoken }
    }
}

/// Everything about an event that placement and attribution need.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub name: String,
    pub speakers: Vec<Speaker>,
    pub channels: Vec<LanguageChannel>,
}

impl Event {
    pub fn speaker(&self, id: &str) -> Option<&Speaker> {
        self.speakers.iter().find(|s| s.id == id)
    }
}
