//! The phrase board: a person who does not speak says a phrase into the room, in their own synthesized voice.
//!
//! The profile's `speech.phrases` are the entries of the menu's "Say…" page,
//! which every input method drives (switch scanning and dwell included). A
//! chosen phrase is rendered by espeak-ng on its own thread in the profile's
//! voice; the frame loop only polls for the samples and hands them to the
//! session, which sends them as the user's audio track and the text as chat.
//! Where the user sends their microphone instead, or the synthesizer cannot
//! render (the system voice), the phrase goes as chat alone.

use super::messages::LiveSystems;
use super::room::LiveRoom;
use crate::input::{EntryChosen, MenuState};
use crate::session::{PresentedEvent, SessionClock, SessionReport, UserProfile};
use allverse_input::menu::MenuId;
use allverse_speech::SpeechSetup;
use bevy::prelude::*;
use std::sync::mpsc;

/// Says the phrases chosen on the "Say…" page into the joined room.
pub struct PhraseBoardPlugin {
    /// The session's synthesizer, which renders the user's voice.
    pub speech: Option<SpeechSetup>,
}

impl Plugin for PhraseBoardPlugin {
    fn build(&self, app: &mut App) {
        if !app.world().contains_non_send::<LiveRoom>() {
            return;
        }
        app.insert_non_send(Rendering { speech: self.speech.clone(), pending: Vec::new() }).add_systems(
            Update,
            (list_phrases.run_if(resource_changed::<UserProfile>), say_chosen, send_rendered)
                .chain()
                .in_set(LiveSystems),
        );
    }
}

/// Phrases being rendered, in the order chosen. Non-send, beside the room.
struct Rendering {
    speech: Option<SpeechSetup>,
    pending: Vec<(String, mpsc::Receiver<Vec<f32>>)>,
}

fn list_phrases(user: Res<UserProfile>, mut menus: ResMut<MenuState>) {
    menus.menus.set_entries(MenuId::Say, user.profile.speech.phrases.clone());
}

fn say_chosen(
    mut chosen: MessageReader<EntryChosen>,
    clock: Res<SessionClock>,
    user: Res<UserProfile>,
    mut room: NonSendMut<LiveRoom>,
    mut rendering: NonSendMut<Rendering>,
    mut report: ResMut<SessionReport>,
) {
    for choice in chosen.read().filter(|c| c.menu == MenuId::Say) {
        let Some(text) = user.profile.speech.phrases.get(choice.index) else { continue };
        let render = match (&rendering.speech, room.sends_microphone) {
            (Some(speech), false) => speech.render(text),
            _ => None,
        };
        let voiced = match render {
            Some(Ok(samples)) => {
                rendering.pending.push((text.clone(), samples));
                true
            }
            not_rendered => {
                if let Some(Err(error)) = not_rendered {
                    warn!("cannot render the phrase in your voice: {error}");
                }
                room.say(text, None);
                false
            }
        };
        report.record(clock.elapsed_s(), PresentedEvent::Said { text: text.clone(), voiced });
    }
}

/// Sends each rendered phrase once its samples are ready, in the order chosen; never waits.
fn send_rendered(mut room: NonSendMut<LiveRoom>, mut rendering: NonSendMut<Rendering>) {
    while let Some((text, samples)) = rendering.pending.first() {
        let voice = match samples.try_recv() {
            Ok(voice) => Some(voice),
            Err(mpsc::TryRecvError::Empty) => return,
            // The synthesizer went away: the words still go, as chat.
            Err(mpsc::TryRecvError::Disconnected) => None,
        };
        room.say(&text.clone(), voice);
        rendering.pending.remove(0);
    }
}
