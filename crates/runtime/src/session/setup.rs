//! Everything a session needs, prepared and checked before any window or device opens.
//!
//! A problem found here either stops the session with an error naming the
//! file (a scenario that cannot be played) or becomes a notice the user sees
//! in the scene (a missing caption model, an unusable HRTF file), and the
//! session runs without that feature.

use super::config::SessionConfig;
use allverse_core::event::EventDescription;
use allverse_core::profile::Profile;
use allverse_core::scenario::Scenario;
use allverse_pipeline::audio::Spatializer;
use anyhow::Result;
use std::path::{Path, PathBuf};

/// A session ready to start: its configuration and each feature's part, checked.
pub struct SessionSetup {
    pub config: SessionConfig,
    pub profile: Profile,
    /// Where settings changed in the menus are saved; `None` keeps them to this session.
    pub profile_store: Option<PathBuf>,
    /// Messages the user must see (fallbacks, profile problems), shown in the scene and kept in the report.
    pub notices: Vec<String>,
    /// The speech recogniser's model; `None` (with a notice) when captions
    /// are off because it is missing or unusable.
    pub caption_model: Option<allverse_captions::Model>,
    /// How sound is placed: the profile's HRTF set, or panning (with a notice).
    pub spatializer: Spatializer,
    /// The speech synthesizer; `None` (with a notice) when spoken output is unavailable.
    #[cfg(feature = "speech")]
    pub speech: Option<allverse_speech::SpeechSetup>,
    /// The event's channels and interpreters, when the scenario stages one.
    pub event: Option<EventDescription>,
    /// The live session's room to join (`allverse run --join`), if any.
    pub join: Option<allverse_live::JoinSettings>,
}

impl SessionSetup {
    /// Reads the scenario's recordings and event, loads the caption model,
    /// the HRTF set and the speech synthesizer the profile asks for.
    pub fn prepare(scenario: Scenario, profile: Profile, backend_name: &str) -> Result<Self> {
        let mut notices = Vec::new();
        let caption_model = if profile.captions.enabled {
            let model = allverse_captions::resolve_model_path(None, profile.captions.model.as_deref())
                .and_then(|path| allverse_captions::Model::load(&path));
            model.map_err(|error| notices.push(format!("Captions are off. {error}"))).ok()
        } else {
            None
        };
        let config = SessionConfig::new(scenario, backend_name, &mut notices)?;
        let (spatializer, problem) = Spatializer::load_or_panning(profile.audio.hrtf.as_deref());
        if let Some(problem) = problem {
            notices.push(format!(
                "3D sound is off: {problem}. Sounds are placed by plain stereo panning instead."
            ));
        }
        if let Spatializer::Hrtf(set) = &spatializer
            && let Some(changed) = set.notice()
        {
            notices.push(format!("3D sound: {}: {changed}.", set.source().display()));
        }
        let scenario = &config.scenario;
        let event = scenario.event_file.as_deref().map(|path| load_event(path, scenario)).transpose()?;
        Ok(Self {
            event,
            join: None,
            #[cfg(feature = "speech")]
            speech: allverse_speech::SpeechSetup::choose(&profile.speech, &mut notices),
            config,
            profile,
            profile_store: None,
            notices,
            caption_model,
            spatializer,
        })
    }
}

/// Reads the event description; a problem in it, or a feed for someone not in it, stops the session before it starts.
fn load_event(path: &Path, scenario: &Scenario) -> Result<EventDescription> {
    let event = EventDescription::load(path)?;
    let interpreter = |id: &str| event.channels.iter().any(|c| c.interpreters.iter().any(|i| i.id == id));
    for id in
        scenario.feeds.iter().map(|f| &f.interpreter).chain(scenario.cuts.iter().map(|c| &c.interpreter))
    {
        anyhow::ensure!(
            interpreter(id),
            "{}: the scenario names interpreter `{id}`, who is not in the event",
            path.display()
        );
    }
    for handover in &scenario.handovers {
        let known = event
            .channel(&handover.channel)
            .is_some_and(|c| c.interpreters.iter().any(|i| i.id == handover.to));
        anyhow::ensure!(
            known,
            "{}: a handover to `{}` on channel `{}`, who is not in that team",
            path.display(),
            handover.to,
            handover.channel
        );
    }
    Ok(event)
}
