//! The operating system's own voice, through the `tts` crate: the non-spatial fallback.
//!
//! SAPI/WinRT, AVSpeechSynthesizer, Android's TextToSpeech and
//! speech-dispatcher play speech themselves, so it cannot be placed in
//! space or recorded; it is used where the platform voice is preferred
//! (a screen reader the user already knows) or espeak-ng is not built in.
//! Its absence (no speech-dispatcher running) is an ordinary error.

use crate::text::{SpeechError, prepare_text};

/// A connection to the platform's speech service.
pub struct SystemVoice {
    tts: tts::Tts,
}

impl SystemVoice {
    pub fn open() -> Result<Self, SpeechError> {
        let tts =
            tts::Tts::default().map_err(|e| SpeechError::Unavailable(format!("the system voice: {e}")))?;
        Ok(Self { tts })
    }

    /// Speaks `text`, cutting off what is playing when `interrupt` is set (alerts).
    pub fn speak(&mut self, text: &str, interrupt: bool) -> Result<(), SpeechError> {
        let text = prepare_text(text)?;
        self.tts
            .speak(text, interrupt)
            .map(|_| ())
            .map_err(|e| SpeechError::Unavailable(format!("the system voice: {e}")))
    }

    /// Whether the platform voice is still speaking; platforms that cannot tell report false.
    pub fn is_speaking(&self) -> bool {
        self.tts.is_speaking().unwrap_or(false)
    }

    pub fn stop(&mut self) -> Result<(), SpeechError> {
        self.tts.stop().map(|_| ()).map_err(|e| SpeechError::Unavailable(format!("the system voice: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CI machines have no speech-dispatcher: opening must fail cleanly or work, never panic.
    #[test]
    fn opening_the_system_voice_fails_cleanly_when_there_is_none() {
        match SystemVoice::open() {
            Ok(mut voice) => assert_eq!(voice.speak("", false).unwrap_err(), SpeechError::EmptyText),
            Err(error) => assert!(error.to_string().contains("system voice"), "{error}"),
        }
    }
}
