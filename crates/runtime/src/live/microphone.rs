//! The user's microphone in the room: muted at the start, opened and muted again by the "Microphone on or off" action.
//!
//! The action works from every input method. Each change is said aloud, so
//! that a user who cannot see the indicator knows it too, and recorded in the
//! report; the indicator itself is [`crate::microphone`]'s.

use super::room::LiveRoom;
use crate::input::{ActionRequested, Announce, requested};
use crate::microphone::MicrophoneInUse;
use crate::rig::Rig;
use crate::session::{PresentedEvent, SessionClock, SessionReport};
use allverse_core::input::Action;
use bevy::prelude::*;

pub(super) fn toggle_microphone(
    mut actions: MessageReader<ActionRequested>,
    clock: Res<SessionClock>,
    rig: Res<Rig>,
    room: Option<NonSend<LiveRoom>>,
    mut in_use: ResMut<MicrophoneInUse>,
    mut report: ResMut<SessionReport>,
    mut announce: MessageWriter<Announce>,
) {
    for _ in requested(&mut actions, &[Action::ToggleMicrophone]) {
        let said = match &room {
            Some(room) if room.sends_microphone => {
                in_use.room_hears = !in_use.room_hears;
                room.set_microphone(in_use.room_hears);
                let change = PresentedEvent::Microphone {
                    live: in_use.room_hears,
                    audio_packets_sent: room.audio_packets_sent(),
                };
                report.record(clock.elapsed_s(), change);
                if in_use.room_hears { "Microphone live: the room hears you." } else { "Microphone muted." }
            }
            Some(_) => "Your microphone is not part of this session; nobody hears it.",
            None => "You are not in a live session; nobody hears your microphone.",
        };
        announce.write(Announce {
            text: said.into(),
            source: "microphone".into(),
            position_m: rig.head.translation,
        });
    }
}
