//! The session core: the clock, the scenario's timeline, the user's profile and the report, which every feature builds on.
//!
//! [`SessionPlugin`] is the same for every backend and knows no feature:
//! captions, speech, input and the rest are plugins of their own (see
//! [`crate::AllversePlugins`]) that read these resources and add to the
//! [`SessionReport`]. Nothing in this module imports a feature, and a check
//! (`cargo xtask check-imports`) keeps it that way.

mod clock;
mod config;
mod report;
mod setup;
mod timeline;

pub use clock::{ClockHold, SessionClock};
pub use config::{Pacing, Recording, SessionConfig, UserProfile, realtime, stepped};
pub use report::{
    CaptureEntry, FrameTimes, PanelKind, PanelOnScreen, PersonEntry, PresentedEvent, SessionReport,
    TimelineEntry, XrReport, XrStateEntry,
};
pub use setup::SessionSetup;
pub use timeline::{CaptureRequested, SessionEnding};

use bevy::ecs::schedule::SingleThreadedExecutor;
use bevy::prelude::*;

/// The session's per-frame systems; features and backends order themselves after them.
#[derive(SystemSet, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionSystems;

/// The clock, timeline, profile and report of one session.
pub struct SessionPlugin {
    pub config: SessionConfig,
    pub profile: UserProfile,
    /// What the user must be told from the start; features add their own as they are built.
    pub notices: Vec<String>,
    pub pacing: Pacing,
}

impl Plugin for SessionPlugin {
    fn build(&self, app: &mut App) {
        // Allverse's per-frame systems are light: recognition, synthesis, decoding
        // and panel drawing run on workers. On the frame thread alone they cost
        // less than spread over Bevy's compute threads, whose wake-ups outweigh
        // the gain: 0.70 ms p50 / 1.20 ms p99 of CPU per frame against 1.05 /
        // 2.03 ms (`cargo xtask bench xr` on Monado, 2-core VM, 2026-12-01).
        app.edit_schedule(Update, |s| {
            s.set_executor(SingleThreadedExecutor::new());
        })
        .edit_schedule(PostUpdate, |s| {
            s.set_executor(SingleThreadedExecutor::new());
        });
        let scenario = &self.config.scenario;
        let report = SessionReport {
            scenario: scenario.name.clone(),
            backend: self.config.backend_name.clone(),
            duration_s: scenario.duration_s,
            frame_rate_hz: scenario.frame_rate_hz,
            people: scenario
                .event()
                .speakers
                .into_iter()
                .map(|p| PersonEntry { id: p.id, name: p.name, position_m: p.head_position_m.to_array() })
                .collect(),
            notices: self.notices.clone(),
            ..default()
        };
        app.insert_resource(SessionClock::new())
            .insert_resource(report)
            .insert_resource(self.config.clone())
            .insert_resource(self.profile.clone())
            .insert_resource(self.pacing)
            .add_message::<CaptureRequested>()
            .add_message::<SessionEnding>()
            .add_systems(Update, timeline::run_timeline.in_set(SessionSystems))
            .add_systems(First, clock::advance_realtime_clock.run_if(realtime));
    }
}
