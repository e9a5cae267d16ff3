//! Spoken commands from the microphone, through the captions recognizer, on the device.
//!
//! Only interactive backends listen; the simulator's voice commands are
//! scripted. The recognizer commits words in pieces as they settle, so an
//! utterance is taken as finished once nothing new has been heard for a
//! moment, and only then matched, whole, against the command phrases.

use super::state::InputRouter;
use crate::session::SessionClock;
use allverse_captions::CaptionEvent;
use allverse_captions::live::{LiveCaptions, Microphone};
use bevy::prelude::*;

/// Silence after the last recognised word that ends a command.
const UTTERANCE_END_S: f32 = 0.6;

/// The microphone and its recognizer; held on the main thread (the audio stream is not `Send`).
pub struct VoiceCommands {
    captions: LiveCaptions,
    _microphone: Microphone,
    heard: String,
    last_heard_s: f32,
}

/// Opens the microphone for voice commands; a missing microphone or model
/// leaves them off with a notice, and every other input still works.
pub fn open(model: Option<&allverse_captions::Model>) -> Result<VoiceCommands, String> {
    let model = model.ok_or("there is no speech recognition model")?;
    let (device, format) = Microphone::default_format("you").map_err(|e| e.to_string())?;
    let (captions, mut inputs) = LiveCaptions::spawn(
        model,
        allverse_captions::StreamConfig::default(),
        std::slice::from_ref(&format),
        std::time::Instant::now(),
    )
    .map_err(|e| e.to_string())?;
    let microphone = Microphone::open(&device, format, inputs.remove(0)).map_err(|e| e.to_string())?;
    Ok(VoiceCommands { captions, _microphone: microphone, heard: String::new(), last_heard_s: 0.0 })
}

pub fn hear_voice_commands(
    clock: Res<SessionClock>,
    mut router: ResMut<InputRouter>,
    mut voice: NonSendMut<VoiceCommands>,
) {
    let t_s = clock.elapsed_s();
    let voice = &mut *voice;
    for (_, event) in voice.captions.events.try_iter() {
        voice.last_heard_s = t_s;
        if let CaptionEvent::Commit { text, .. } = event {
            if !voice.heard.is_empty() {
                voice.heard.push(' ');
            }
            voice.heard.push_str(&text);
        }
    }
    if !voice.heard.is_empty() && t_s - voice.last_heard_s >= UTTERANCE_END_S {
        router.0.say(&std::mem::take(&mut voice.heard));
    }
}
