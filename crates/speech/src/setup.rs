//! Choosing how a session speaks: espeak-ng with the profile's voice, else the system voice, else nothing.
//!
//! The choice is made once, before a session starts, so that what the user
//! should know (an unknown voice replaced by `en`, a fallback to the
//! system voice, no speech at all) can be said up front.

#[cfg(feature = "espeak")]
use crate::espeak::{Espeak, VoiceParams};
use crate::speaker::Synthesizer;
use allverse_core::profile::SpeechSettings;

/// The synthesizer a session speaks with, checked before it starts.
#[derive(Clone, Debug)]
pub enum SpeechSetup {
    /// espeak-ng with the profile's voice, placed in space.
    #[cfg(feature = "espeak")]
    Espeak { espeak: Espeak, params: VoiceParams },
    /// The system voice, heard from straight ahead.
    #[cfg(feature = "system-voice")]
    System,
}

impl SpeechSetup {
    /// espeak-ng with the profile's voice, else the system voice. What the
    /// user should know (a fallback, no speech at all) is pushed to `notices`.
    #[cfg_attr(not(feature = "espeak"), allow(unused_variables))]
    pub fn choose(settings: &SpeechSettings, notices: &mut Vec<String>) -> Option<Self> {
        let mut problems: Vec<String> = Vec::new();
        #[cfg(feature = "espeak")]
        match Espeak::shared() {
            Ok(espeak) => {
                let mut params = VoiceParams::from(settings);
                if espeak.check_voice(&params.voice).is_err() {
                    notices.push(format!(
                        "There is no speech voice called `{}`; speaking with `en` instead.",
                        params.voice
                    ));
                    params.voice = "en".into();
                }
                return Some(Self::Espeak { espeak, params });
            }
            Err(error) => problems.push(error.to_string()),
        }
        #[cfg(feature = "system-voice")]
        match crate::system::SystemVoice::open() {
            Ok(_) => {
                notices.push(
                    "Speech comes from the system voice, which cannot be placed in space: everything is heard from straight ahead."
                        .into(),
                );
                return Some(Self::System);
            }
            Err(error) => problems.push(error.to_string()),
        }
        notices.push(format!("Spoken output is off: {}.", problems.join("; ")));
        None
    }

    /// Starts rendering `text` to 48 kHz mono samples in the profile's voice, e.g. to send as
    /// the user's own voice; they arrive whole on the receiver. `None` where the synthesizer
    /// can only speak aloud (the system voice).
    pub fn render(
        &self,
        text: &str,
    ) -> Option<Result<std::sync::mpsc::Receiver<Vec<f32>>, crate::SpeechError>> {
        match self {
            #[cfg(feature = "espeak")]
            Self::Espeak { espeak, params } => Some(espeak.render(text, params)),
            #[cfg(feature = "system-voice")]
            Self::System => None,
            #[cfg(not(any(feature = "espeak", feature = "system-voice")))]
            _ => {
                let _ = text;
                None
            }
        }
    }

    /// Opens the synthesizer; `None` if the system voice went away since it was chosen.
    pub fn synthesizer(self) -> Option<Synthesizer> {
        match self {
            #[cfg(feature = "espeak")]
            Self::Espeak { espeak, params } => Some(Synthesizer::Espeak { espeak, params }),
            #[cfg(feature = "system-voice")]
            Self::System => crate::system::SystemVoice::open().ok().map(Synthesizer::System),
        }
    }
}
