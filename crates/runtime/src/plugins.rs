//! [`AllversePlugins`]: the session core and every feature, in one plugin group.

use crate::audio_engine::AudioEnginePlugin;
use crate::captions::CaptionPlugin;
use crate::home::HomePlugin;
use crate::input::InputPlugin;
use crate::interpret::InterpretPlugin;
use crate::live::LivePlugin;
#[cfg(feature = "speech")]
use crate::live::PhraseBoardPlugin;
use crate::microphone::MicrophoneIndicatorPlugin;
use crate::notices::NoticePlugin;
use crate::panel_layout::PanelLayoutPlugin;
use crate::panels::PanelPlugin;
use crate::rig::RigPlugin;
use crate::scene::ScenePlugin;
use crate::screen_reader::ScreenReaderPlugin;
use crate::session::{Pacing, SessionPlugin, SessionSetup, UserProfile};
#[cfg(feature = "speech")]
use crate::speech::SpeechPlugin;
use crate::vision::VisionPlugin;
use bevy::app::{PluginGroup, PluginGroupBuilder};

/// Everything a session shows and plays, the same for every backend.
///
/// The session core comes first (clock, configuration, report), then the
/// rig and panels that features draw with, then the features, each of
/// which takes its part of the [`SessionSetup`]. A backend adds this group
/// and only says where the head pose comes from and where pixels go.
pub struct AllversePlugins {
    pub setup: SessionSetup,
    pub pacing: Pacing,
    /// Density of the display panels are seen on, pixels per degree.
    pub display_pixels_per_degree: f32,
}

impl PluginGroup for AllversePlugins {
    fn build(self) -> PluginGroupBuilder {
        let setup = self.setup;
        let group = PluginGroupBuilder::start::<Self>()
            .add(SessionPlugin {
                config: setup.config,
                profile: UserProfile { profile: setup.profile, store: setup.profile_store },
                notices: setup.notices,
                pacing: self.pacing,
            })
            .add(RigPlugin)
            .add(PanelPlugin { display_pixels_per_degree: self.display_pixels_per_degree })
            .add(PanelLayoutPlugin)
            .add(ScenePlugin)
            .add(NoticePlugin)
            .add(MicrophoneIndicatorPlugin)
            .add(InputPlugin { voice_model: setup.caption_model.clone() })
            .add(ScreenReaderPlugin)
            .add(VisionPlugin)
            .add(InterpretPlugin { event: setup.event, live_room: setup.join.is_some() })
            .add(CaptionPlugin { model: setup.caption_model, live_session: setup.join.is_some() })
            .add(AudioEnginePlugin { spatializer: setup.spatializer })
            .add(HomePlugin)
            .add(LivePlugin { join: setup.join });
        #[cfg(feature = "speech")]
        let group = group
            .add(PhraseBoardPlugin { speech: setup.speech.clone() })
            .add(SpeechPlugin { setup: setup.speech });
        group
    }
}
