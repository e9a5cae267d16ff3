//! The speaker: takes utterances, orders them, and has each synthesized where it belongs.

#[cfg(feature = "espeak")]
use crate::espeak::{Espeak, SpeechEvent, VoiceParams};
use crate::queue::{Admission, SpeechKind, SpeechQueue, Utterance};
#[cfg(feature = "system-voice")]
use crate::system::SystemVoice;
use crate::text::{SpeechError, prepare_text};
use allverse_pipeline::audio::{AudioControl, Placement};
#[cfg(feature = "espeak")]
use allverse_pipeline::audio::{Bus, VoiceId};
#[cfg(feature = "espeak")]
use std::sync::mpsc;

/// What turns text into sound.
pub enum Synthesizer {
    /// espeak-ng into engine voices, heard from where each utterance belongs.
    #[cfg(feature = "espeak")]
    Espeak { espeak: Espeak, params: VoiceParams },
    /// The operating system's voice. It plays by itself, so everything is
    /// heard straight ahead: the fallback where espeak-ng is not built in.
    #[cfg(feature = "system-voice")]
    System(SystemVoice),
}

/// One utterance as it was spoken, for reports and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct Spoken {
    /// Session time when it started to play, in seconds.
    pub at_s: f64,
    pub text: String,
    pub kind: SpeechKind,
    pub source: String,
    pub placement: Placement,
    /// Cut short by an alert or a stop.
    pub interrupted: bool,
}

/// Where the utterance being spoken is playing.
enum Sound {
    #[cfg(feature = "espeak")]
    Engine { voice: VoiceId, events: mpsc::Receiver<SpeechEvent> },
    #[cfg(feature = "system-voice")]
    System,
}

struct Playing {
    sound: Sound,
    record: usize,
}

/// Speech output for one listener.
pub struct Speaker {
    synthesizer: Synthesizer,
    queue: SpeechQueue,
    playing: Option<Playing>,
    spoken: Vec<Spoken>,
}

impl Speaker {
    /// A speaker with nothing queued. The voice is checked when each
    /// utterance is synthesized; [`crate::setup::choose_synthesizer`] checks
    /// the profile's voice up front.
    pub fn new(synthesizer: Synthesizer) -> Self {
        Self { synthesizer, queue: SpeechQueue::default(), playing: None, spoken: Vec::new() }
    }

    /// Queues an utterance (or interrupts for it) and starts it if nothing is playing.
    pub fn say(
        &mut self,
        mut utterance: Utterance,
        audio: &mut AudioControl,
        now_s: f64,
    ) -> Result<(), SpeechError> {
        utterance.text = prepare_text(&utterance.text)?;
        let playing = self.playing.as_ref().map(|p| &self.spoken[p.record]);
        let admission = self.queue.admit(utterance, playing.map(|s| (&s.kind, s.text.as_str())));
        if admission == Admission::Interrupt {
            self.interrupt(audio);
        }
        self.update(audio, now_s);
        Ok(())
    }

    /// Notices finished utterances and starts the next; call once per frame.
    pub fn update(&mut self, audio: &mut AudioControl, now_s: f64) {
        if let Some(playing) = &self.playing {
            let finished = match &playing.sound {
                #[cfg(feature = "espeak")]
                Sound::Engine { voice, events } => {
                    // Word timings are not shown yet; drained so they do not pile up.
                    events.try_iter().for_each(drop);
                    !audio.is_playing(*voice)
                }
                #[cfg(feature = "system-voice")]
                Sound::System => match &self.synthesizer {
                    Synthesizer::System(system) => !system.is_speaking(),
                    #[allow(unreachable_patterns)]
                    _ => true,
                },
            };
            if finished {
                self.playing = None;
            }
        }
        while self.playing.is_none() {
            let Some(utterance) = self.queue.pop_next() else { return };
            if let Err(error) = self.start(utterance, audio, now_s) {
                // The queue moves on; the record shows what could not be said.
                eprintln!("speech: {error}");
            }
        }
    }

    #[cfg_attr(not(feature = "espeak"), allow(unused_variables))]
    fn start(
        &mut self,
        utterance: Utterance,
        audio: &mut AudioControl,
        now_s: f64,
    ) -> Result<(), SpeechError> {
        let sound = match &mut self.synthesizer {
            #[cfg(feature = "espeak")]
            Synthesizer::Espeak { espeak, params } => {
                let feed = audio
                    .play(Bus::Speech, utterance.placement, 1.0)
                    .map_err(|e| SpeechError::Unavailable(e.to_string()))?;
                let voice = feed.id();
                match espeak.speak(&utterance.text, params, Box::new(feed)) {
                    Ok(events) => Sound::Engine { voice, events },
                    Err(error) => {
                        audio.stop(voice);
                        return Err(error);
                    }
                }
            }
            #[cfg(feature = "system-voice")]
            Synthesizer::System(system) => {
                system.speak(&utterance.text, false)?;
                Sound::System
            }
        };
        self.spoken.push(Spoken {
            at_s: now_s,
            text: utterance.text,
            kind: utterance.kind,
            source: utterance.source,
            placement: utterance.placement,
            interrupted: false,
        });
        self.playing = Some(Playing { sound, record: self.spoken.len() - 1 });
        Ok(())
    }

    #[cfg_attr(not(feature = "espeak"), allow(unused_variables))]
    fn interrupt(&mut self, audio: &mut AudioControl) {
        if let Some(playing) = self.playing.take() {
            match playing.sound {
                #[cfg(feature = "espeak")]
                Sound::Engine { voice, .. } => audio.stop(voice),
                #[cfg(feature = "system-voice")]
                Sound::System => {
                    if let Synthesizer::System(system) = &mut self.synthesizer
                        && let Err(error) = system.stop()
                    {
                        eprintln!("speech: {error}");
                    }
                }
            }
            self.spoken[playing.record].interrupted = true;
        }
    }

    /// Stops what is playing and forgets everything queued.
    pub fn stop_all(&mut self, audio: &mut AudioControl) {
        self.queue.clear();
        self.interrupt(audio);
    }

    pub fn is_idle(&self) -> bool {
        self.playing.is_none() && self.queue.is_empty()
    }

    /// Everything spoken so far, in order.
    pub fn spoken(&self) -> &[Spoken] {
        &self.spoken
    }
}
