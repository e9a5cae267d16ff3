//! The speaker: takes utterances, orders them, synthesizes each into an engine voice placed where it belongs.

use crate::espeak::{Espeak, SpeechEvent, VoiceParams};
use crate::queue::{Admission, SpeechKind, SpeechQueue, Utterance};
use crate::text::{SpeechError, prepare_text};
use allverse_pipeline::audio::{AudioControl, Bus, Placement, VoiceId};
use std::sync::mpsc;

/// One utterance as it was spoken, for reports and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct Spoken {
    /// Session time when it started to play, in seconds.
    pub at_s: f64,
    pub text: String,
    pub kind: SpeechKind,
    pub source: String,
    pub placement: Placement,
    /// Cut short by an alert, a skip or a stop.
    pub interrupted: bool,
}

struct Playing {
    voice: VoiceId,
    record: usize,
    events: mpsc::Receiver<SpeechEvent>,
    /// The word being spoken: its characters in the text.
    word: Option<(usize, usize)>,
}

/// Speech output for one listener.
pub struct Speaker {
    espeak: Espeak,
    params: VoiceParams,
    queue: SpeechQueue,
    playing: Option<Playing>,
    spoken: Vec<Spoken>,
}

impl Speaker {
    /// A speaker with the given voice; an unknown voice is an error the caller can report and retry with `en`.
    pub fn new(espeak: Espeak, params: VoiceParams) -> Result<Self, SpeechError> {
        if !espeak.voices().iter().any(|v| v.eq_ignore_ascii_case(&params.voice)) {
            return Err(SpeechError::UnknownVoice {
                name: params.voice,
                examples: "en, en-gb, en-us, fr, de, es".into(),
            });
        }
        Ok(Self { espeak, params, queue: SpeechQueue::default(), playing: None, spoken: Vec::new() })
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
        if let Some(playing) = &mut self.playing {
            for event in playing.events.try_iter() {
                if let SpeechEvent::Word { char_start, char_len, .. } = event {
                    playing.word = Some((char_start, char_len));
                }
            }
            if !audio.is_playing(playing.voice) {
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

    fn start(
        &mut self,
        utterance: Utterance,
        audio: &mut AudioControl,
        now_s: f64,
    ) -> Result<(), SpeechError> {
        let feed = audio
            .play(Bus::Speech, utterance.placement, 1.0)
            .map_err(|e| SpeechError::Unavailable(e.to_string()))?;
        let voice = feed.id();
        let events = match self.espeak.speak(&utterance.text, &self.params, Box::new(feed)) {
            Ok(events) => events,
            Err(error) => {
                audio.stop(voice);
                return Err(error);
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
        self.playing = Some(Playing { voice, record: self.spoken.len() - 1, events, word: None });
        Ok(())
    }

    fn interrupt(&mut self, audio: &mut AudioControl) {
        if let Some(playing) = self.playing.take() {
            audio.stop(playing.voice);
            self.spoken[playing.record].interrupted = true;
        }
    }

    /// Stops what is playing; the queue goes on with the next utterance.
    pub fn skip(&mut self, audio: &mut AudioControl, now_s: f64) {
        self.interrupt(audio);
        self.update(audio, now_s);
    }

    /// Stops what is playing and forgets everything queued.
    pub fn stop_all(&mut self, audio: &mut AudioControl) {
        self.queue.clear();
        self.interrupt(audio);
    }

    /// Moves the voice of what is playing now, if it comes from `source` (an avatar walked).
    pub fn follow_source(&mut self, source: &str, placement: Placement, audio: &mut AudioControl) {
        if let Some(playing) = &self.playing
            && self.spoken[playing.record].source == source
        {
            audio.move_voice(playing.voice, placement);
        }
    }

    /// What is being said now, and the characters of the word being spoken (for highlighting).
    pub fn now_speaking(&self) -> Option<(&Spoken, Option<(usize, usize)>)> {
        self.playing.as_ref().map(|p| (&self.spoken[p.record], p.word))
    }

    pub fn is_idle(&self) -> bool {
        self.playing.is_none() && self.queue.is_empty()
    }

    /// Everything spoken so far, in order.
    pub fn spoken(&self) -> &[Spoken] {
        &self.spoken
    }

    pub fn set_params(&mut self, params: VoiceParams) {
        self.params = params;
    }
}
