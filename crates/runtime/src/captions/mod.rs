//! Live captions in the scene: each speaker's audio through their own
//! recogniser, shown by name beside them or, out of view, with an arrow.
//!
//! Recognition is `allverse-captions`' [`SpeakerCaptions`]: the simulator
//! steps it on the session clock, so its captions are the same on every
//! run; interactive backends run it on a worker thread so a recognition
//! pass never holds up a frame. What is left here moves its events onto
//! panels ([`show`]), places them ([`placement`]) and keeps the history
//! the user can call up ([`history`]).

mod history;
mod messages;
mod placement;
mod show;

pub use messages::{CaptionCommitted, CaptionSystems, CaptionsShown, LIVE_VOICE_RATE_HZ, VoiceHeard};

use crate::input::{ActionRequested, InputSystems, requested};
use crate::panels::TextPanel;
use crate::session::{
    Pacing, PanelKind, PresentedEvent, SessionClock, SessionConfig, SessionReport, UserProfile,
};
use allverse_captions::Model;
use allverse_core::input::Action;
use bevy::prelude::*;

/// Live captions for everyone in the scenario, when there is a model.
pub struct CaptionPlugin {
    pub model: Option<Model>,
    /// The session joins a live room, whose people speak in real time: recognition then runs
    /// on a worker even in the simulator, so that the frame loop keeps pace with them.
    pub live_session: bool,
}

impl Plugin for CaptionPlugin {
    fn build(&self, app: &mut App) {
        let enabled = app.world().resource::<UserProfile>().profile.captions.enabled;
        app.add_message::<CaptionCommitted>()
            .add_message::<VoiceHeard>()
            .insert_resource(CaptionsShown(enabled))
            .add_systems(Update, toggle_captions.in_set(InputSystems::Act));
        let Some(model) = &self.model else { return };
        if !enabled {
            return;
        }
        let config = app.world().resource::<SessionConfig>().clone();
        let on_worker = *app.world().resource::<Pacing>() == Pacing::Realtime || self.live_session;
        match show::Captioning::new(&config, model, on_worker) {
            Ok(captioning) => {
                app.insert_non_send(captioning).add_systems(
                    Update,
                    (show::show_captions, placement::place_captions, history::show_history)
                        .chain()
                        .in_set(CaptionSystems)
                        .after(InputSystems::Act),
                );
            }
            Err(error) => {
                app.world_mut().resource_mut::<SessionReport>().notice(format!("Captions are off: {error}."))
            }
        }
    }
}

/// Shows or hides every caption panel; the captions themselves go on being recognised.
fn toggle_captions(
    mut actions: MessageReader<ActionRequested>,
    clock: Res<SessionClock>,
    mut shown: ResMut<CaptionsShown>,
    mut report: ResMut<SessionReport>,
    mut panels: Query<(&TextPanel, &mut Visibility)>,
) {
    for _ in requested(&mut actions, &[Action::ToggleCaptions]) {
        shown.0 = !shown.0;
        report.record(clock.elapsed_s(), PresentedEvent::CaptionsShown { shown: shown.0 });
    }
    if shown.is_changed() {
        let visibility = if shown.0 { Visibility::Inherited } else { Visibility::Hidden };
        for (panel, mut panel_visibility) in &mut panels {
            if panel.kind == PanelKind::Caption {
                *panel_visibility = visibility;
            }
        }
    }
}
