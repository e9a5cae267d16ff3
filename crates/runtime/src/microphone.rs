//! The microphone indicator: while anything hears the user's microphone, a panel in view says so.
//!
//! A microphone that is open without the user knowing is the privacy failure
//! users fear most, so the indicator is head-locked (never lazy: it must not
//! lag out of view) at the top left of the view for as long as the microphone
//! is open, and says who hears it. Each feature that opens the microphone sets
//! its own field of [`MicrophoneInUse`]; the indicator follows it. Its panel
//! is reported like any other, so the report shows when the microphone was open.

use crate::panels::{HeadLocked, PanelSystems, TextPanel};
use crate::session::PanelKind;
use bevy::prelude::*;

/// Above and left of the line of sight, clear of captions and notices below it.
const INDICATOR_OFFSET_FROM_HEAD_M: Vec3 = Vec3::new(-0.3, 0.22, -1.2);

/// Who hears the user's microphone now.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MicrophoneInUse {
    /// Recognised on this device for spoken commands; nothing leaves it.
    pub voice_commands: bool,
    /// Sent into the live session's room: the others hear the user.
    pub room_hears: bool,
}

impl MicrophoneInUse {
    /// What the indicator says, or `None` while nothing hears the microphone.
    pub fn indication(&self) -> Option<&'static str> {
        if self.room_hears {
            Some("Mic live: the room hears you")
        } else if self.voice_commands {
            Some("Mic on: voice commands, on this device only")
        } else {
            None
        }
    }
}

/// Shows the microphone indicator whenever [`MicrophoneInUse`] says the microphone is open.
pub struct MicrophoneIndicatorPlugin;

impl Plugin for MicrophoneIndicatorPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<MicrophoneInUse>().add_systems(
            PostUpdate,
            show_indicator.run_if(resource_changed::<MicrophoneInUse>).before(PanelSystems),
        );
    }
}

#[derive(Component)]
struct MicrophoneIndicator;

fn show_indicator(
    mut commands: Commands,
    in_use: Res<MicrophoneInUse>,
    mut shown: Query<(Entity, &mut TextPanel), With<MicrophoneIndicator>>,
) {
    let panel = |text: &str| TextPanel::single("microphone", PanelKind::Indicator, text, true);
    match (in_use.indication(), shown.single_mut()) {
        (Some(text), Ok((_, mut shown))) if shown.text() != text => *shown = panel(text),
        (Some(_), Ok(_)) | (None, Err(_)) => {}
        (Some(text), Err(_)) => {
            commands.spawn((
                MicrophoneIndicator,
                panel(text),
                HeadLocked { head_offset_m: INDICATOR_OFFSET_FROM_HEAD_M },
            ));
        }
        (None, Ok((entity, _))) => commands.entity(entity).despawn(),
    }
}
