//! Interpreter panels: the followed channel's interpreter, live, beside the stage, and their voice.
//!
//! The team's feeds are supervised by `allverse-interpret` and polled
//! every frame; a new frame replaces the panel's texture in place. The
//! panel is sized by the XAUR rule in `allverse-core::interpreting` (at
//! least a third of the signer's size, never cropped), labelled with the
//! interpreter's name and channel, pointed to by an arrow when it is out
//! of view, and kept clear: any other panel that would cover it is moved
//! off it. A spoken interpreter's voice goes to the audio engine as the
//! user's language channel, heard from the stage. In the simulator, the scenario plays the
//! interpreters' side: it publishes GStreamer test sources on loopback, cuts them and hands over.
//! In a live room, interpreters who join from the interpreters' page serve the channels the
//! event has no feeds for ([`room`]): their video goes to the panel and their voice is the
//! channel's, with the same stall notice and handover as a feed.
//! The next-channel action steps through the event's language channels and the room's.

mod panel;
mod room;
mod staged;

pub use room::RoomInterpreters;
pub use staged::StagedEvent;

use crate::input::{ActionRequested, Announce, InputSystems, SettingRequested, requested};
use crate::panels::PanelLayoutSystems;
use crate::rig::Rig;
use crate::session::{PresentedEvent, SessionClock, SessionConfig, SessionReport, UserProfile, stepped};
use allverse_core::event::{EventDescription, LanguageChannel};
use allverse_core::input::Action;
use allverse_interpret::publish::{PublishOptions, Publisher, VideoSource};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use std::collections::HashMap;

/// Interpreting at the event the scenario stages, if any, and by interpreters in the live room, and the language-channel action.
pub struct InterpretPlugin {
    pub event: Option<EventDescription>,
    /// Whether a live room is joined, whose interpreters can serve channels too.
    pub live_room: bool,
}

/// The interpreters' side of the call, which the simulator plays.
#[derive(Resource, Default)]
struct ScriptedInterpreters(HashMap<String, Publisher>);

impl Plugin for InterpretPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(StagedEvent(self.event.clone()))
            .add_systems(Update, switch_channel.in_set(InputSystems::Act));
        if self.event.is_none() && !self.live_room {
            return;
        }
        let mut report = app.world_mut().resource_mut::<SessionReport>();
        if let Err(error) = allverse_interpret::init() {
            return report.notice(format!("Interpreter video is off: {error}."));
        }
        let wanted = app.world().resource::<UserProfile>().profile.interpreting.channel.clone();
        // In a live room the channel may be served by an interpreter who has not joined yet.
        if let Some(event) = self.event.as_ref().filter(|_| !self.live_room)
            && wanted != "floor"
            && event.channel(&wanted).is_none()
        {
            app.world_mut().resource_mut::<SessionReport>().notice(format!(
                "This event has no `{wanted}` channel; you are following the floor. The menu's channel item lists what there is."
            ));
        }
        app.init_resource::<ScriptedInterpreters>()
            .insert_non_send(panel::InterpreterVoice::default())
            .insert_non_send(RoomInterpreters::default())
            .add_systems(
                Update,
                (play_interpreters_side.run_if(stepped), panel::show_interpreter)
                    .chain()
                    .after(InputSystems::Act),
            )
            .add_systems(
                PostUpdate,
                panel::keep_clear_of_interpreter
                    .after(PanelLayoutSystems)
                    .before(TransformSystems::Propagate),
            );
    }
}

/// Starts and stops the scenario's interpreters' publishers (test sources on loopback).
fn play_interpreters_side(
    config: Res<SessionConfig>,
    clock: Res<SessionClock>,
    mut publishers: ResMut<ScriptedInterpreters>,
) {
    for feed in config.scenario.feeds.iter().filter(|f| clock.is_due(f.at_s)) {
        let mut options = PublishOptions::new(&feed.interpreter, VideoSource::TestPattern, &feed.to);
        (options.width, options.height) = (640, 360);
        match Publisher::start(&options) {
            Ok(publisher) => {
                publishers.0.insert(feed.interpreter.clone(), publisher);
            }
            Err(error) => error!("interpreter `{}` could not start publishing: {error}", feed.interpreter),
        }
    }
    for cut in config.scenario.cuts.iter().filter(|c| clock.is_due(c.at_s)) {
        publishers.0.remove(&cut.interpreter);
    }
}

/// Steps through the event's language channels and says which one is on;
/// the choice is a profile setting, so it is kept for next time.
/// What a channel change tells: the report, the user (aloud) and their profile.
#[derive(SystemParam)]
struct ChannelChange<'w> {
    report: ResMut<'w, SessionReport>,
    announce: MessageWriter<'w, Announce>,
    settings: MessageWriter<'w, SettingRequested>,
}

/// The language channels on offer: the event's (the floor first), then those the room's interpreters serve.
#[derive(SystemParam)]
struct ChannelsOnOffer<'w> {
    config: Res<'w, SessionConfig>,
    event: Res<'w, StagedEvent>,
    room: Option<NonSend<'w, RoomInterpreters>>,
}

impl ChannelsOnOffer<'_> {
    fn list(&self) -> Vec<LanguageChannel> {
        let mut channels = match &self.event.0 {
            Some(event) => event.event().channels,
            None => self.config.scenario.event().channels,
        };
        for channel in self.room.iter().flat_map(|room| room.channels()) {
            if !channels.iter().any(|c| c.id == channel.id) {
                channels.push(channel);
            }
        }
        channels
    }
}

fn switch_channel(
    mut actions: MessageReader<ActionRequested>,
    on_offer: ChannelsOnOffer,
    user: Res<UserProfile>,
    clock: Res<SessionClock>,
    rig: Res<Rig>,
    mut out: ChannelChange,
) {
    for _ in requested(&mut actions, &[Action::SwitchInterpreterChannel]) {
        let channels = on_offer.list();
        let current = channels.iter().position(|c| c.id == user.profile.interpreting.channel).unwrap_or(0);
        let channel = &channels[(current + 1) % channels.len()];
        out.report.record(clock.elapsed_s(), PresentedEvent::Channel { channel: channel.id.clone() });
        let text = if channels.len() == 1 {
            format!("{} is the only language channel at this event.", channel.name)
        } else {
            format!("Now following {}.", channel.name)
        };
        out.announce.write(Announce { text, source: "channel".into(), position_m: rig.head.translation });
        if channel.id != user.profile.interpreting.channel {
            out.settings
                .write(SettingRequested { key: "interpreting.channel".into(), value: channel.id.clone() });
        }
    }
}
