//! Live sessions in the scene: real people in a room on a session server, each an avatar with a voice, captions and chat.
//!
//! [`LivePlugin`] joins the room named by `allverse run --join` through
//! `allverse-live`, whose worker threads do the networking; each frame takes
//! what they delivered without waiting ([`room`]). A participant who arrives
//! becomes a person in [`People`](crate::scene::People), so they get an
//! avatar at the pose they send, captions from their own recogniser under
//! their name, and their voice through the HRTF engine from where they stand
//! ([`voices`]). Arrivals and departures are announced by name from where the
//! person is; chat goes on the chat panel, which also says how the connection
//! is ([`chat_panel`]), and is spoken when the profile reads chat. An interpreter
//! (a name that carries a channel, "Alex (BSL)") is handed to the interpreter
//! panel instead of being heard in the room. The user's
//! head pose goes to the room 15 times a second. The user's microphone, when
//! it is sent, starts muted and opens only by the user's action ([`microphone`]);
//! someone who does not speak says phrases from the phrase board in their
//! synthesized voice instead (`phrase_board`, with the `speech` feature). In the simulator the session
//! clock is held to the wall clock, because the others speak in real time.

mod chat_panel;
mod messages;
mod microphone;
#[cfg(feature = "speech")]
mod phrase_board;
mod room;
mod voices;

pub use messages::{ChatReceived, LiveSystems};
#[cfg(feature = "speech")]
pub use phrase_board::PhraseBoardPlugin;
pub use voices::JITTER_BUFFER_S;

use crate::audio_engine::AudioSystems;
use crate::captions::CaptionSystems;
use crate::input::InputSystems;
use crate::session::{SessionSystems, stepped};
use allverse_live::JoinSettings;
use bevy::prelude::*;

/// Joins a live session's room when the session was started with one.
pub struct LivePlugin {
    pub join: Option<JoinSettings>,
}

impl Plugin for LivePlugin {
    fn build(&self, app: &mut App) {
        app.add_message::<ChatReceived>().configure_sets(
            Update,
            LiveSystems
                .after(SessionSystems)
                .after(InputSystems::Act)
                .before(CaptionSystems)
                .before(AudioSystems::Render),
        );
        app.add_systems(Update, microphone::toggle_microphone.in_set(LiveSystems));
        let Some(join) = self.join.clone() else { return };
        let room = match room::LiveRoom::join(app, join) {
            Ok(room) => room,
            Err(problem) => {
                let notice = format!("You are not in the live session: {problem}.");
                app.world_mut().resource_mut::<crate::session::SessionReport>().notice(notice);
                return;
            }
        };
        app.insert_non_send(room)
            .insert_non_send(voices::LiveVoices::default())
            .add_systems(Startup, chat_panel::spawn_chat_panel)
            .add_systems(
                Update,
                (
                    room::keep_to_the_wall_clock.run_if(stepped),
                    room::receive,
                    voices::play_voices,
                    room::send_head_pose,
                    chat_panel::show_chat,
                )
                    .chain()
                    .in_set(LiveSystems),
            );
    }
}
