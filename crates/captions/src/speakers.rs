//! Several people captioned at once: each person's voice as one continuous stream, recognised stepped or on a worker.
//!
//! A voice-chat layer delivers each participant as an unbroken stream, with
//! silence where they do not talk; recognising that stream (rather than each
//! recording on its own) is what lets the voice detector hear people stop.
//! [`ScheduledSpeech`] builds such a stream from timed recordings, and
//! [`SpeakerCaptions`] runs one recogniser per person either on the caller's
//! thread (the simulator, on its own clock, the same every run) or on a
//! worker (interactive sessions, in real time).

use crate::audio_in::SAMPLE_RATE_HZ;
use crate::live::{LiveCaptions, SpeakerInput, StreamFormat};
use crate::recognizer::RecognitionError;
use crate::{CaptionEvent, Model, StreamConfig, StreamingRecognizer};
use std::sync::Arc;
use std::time::Instant;

/// One person's recordings placed on a timeline, read out as a continuous 16 kHz stream.
#[derive(Clone, Debug, Default)]
pub struct ScheduledSpeech {
    /// (first sample on the timeline, 16 kHz mono samples).
    clips: Vec<(usize, Arc<Vec<f32>>)>,
    /// Samples of the stream already read.
    position: usize,
}

impl ScheduledSpeech {
    /// `clips` are (start in seconds on the timeline, 16 kHz mono samples);
    /// negative starts are taken as 0.
    pub fn new(clips: impl IntoIterator<Item = (f32, Arc<Vec<f32>>)>) -> Self {
        let clips = clips.into_iter().map(|(at_s, samples)| (sample_at(at_s), samples)).collect();
        Self { clips, position: 0 }
    }

    /// Appends the stream from where the last read stopped up to `until_s`:
    /// the recordings where they play and silence between them.
    pub fn read_until(&mut self, until_s: f32, out: &mut Vec<f32>) {
        let due = sample_at(until_s);
        let from = self.position;
        if due <= from {
            return;
        }
        let base = out.len();
        out.resize(base + due - from, 0.0);
        for (start, samples) in &self.clips {
            let (lo, hi) = (from.max(*start), due.min(start + samples.len()));
            if lo < hi {
                out[base + lo - from..base + hi - from].copy_from_slice(&samples[lo - start..hi - start]);
            }
        }
        self.position = due;
    }
}

fn sample_at(t_s: f32) -> usize {
    (t_s.max(0.0) * SAMPLE_RATE_HZ as f32) as usize
}

/// Where recognition runs. A speaker who has left keeps their index, with `None`.
enum Recognition {
    /// Decoded on the caller's thread when audio is handed over.
    Stepped { model: Model, config: StreamConfig, recognizers: Vec<Option<StreamingRecognizer>> },
    /// Decoded on a worker thread, fed through lock-free rings.
    Worker { captions: LiveCaptions, inputs: Vec<Option<SpeakerInput>> },
}

/// Captions for a set of people, one recogniser each; events name the person by index.
/// People can be added while it runs (participants joining a live session) and finished
/// when they leave; indices are never reused.
pub struct SpeakerCaptions {
    recognition: Recognition,
    speakers: Vec<String>,
}

impl SpeakerCaptions {
    /// Decodes on the caller's thread in [`SpeakerCaptions::hear`], stamping
    /// events with the time it is given: the same captions on every run.
    pub fn stepped(
        model: &Model,
        config: StreamConfig,
        speakers: &[String],
    ) -> Result<Self, RecognitionError> {
        let recognizers = speakers
            .iter()
            .map(|_| StreamingRecognizer::new(model, config).map(Some))
            .collect::<Result<_, _>>()?;
        let recognition = Recognition::Stepped { model: model.clone(), config, recognizers };
        Ok(Self { recognition, speakers: speakers.to_vec() })
    }

    /// Decodes on one worker thread for everyone; event times are seconds since `epoch`.
    pub fn on_worker(
        model: &Model,
        config: StreamConfig,
        speakers: &[String],
        epoch: Instant,
    ) -> Result<Self, RecognitionError> {
        let formats: Vec<StreamFormat> = speakers.iter().map(|id| mono_16k(id)).collect();
        let (captions, inputs) = LiveCaptions::spawn(model, config, &formats, epoch)?;
        let inputs = inputs.into_iter().map(Some).collect();
        Ok(Self { recognition: Recognition::Worker { captions, inputs }, speakers: speakers.to_vec() })
    }

    /// Adds a speaker with a unique `id` and returns their index. Stepped, their
    /// recogniser is made now (which takes a moment); on a worker, it is made there.
    /// A speaker whose recogniser cannot be made still takes their index (uncaptioned),
    /// so indices stay in step with the caller's list.
    pub fn add_speaker(&mut self, id: &str) -> Result<usize, RecognitionError> {
        self.speakers.push(id.to_owned());
        match &mut self.recognition {
            Recognition::Stepped { model, config, recognizers } => {
                let recognizer = StreamingRecognizer::new(model, *config);
                let error = recognizer.as_ref().err().map(RecognitionError::from_display);
                recognizers.push(recognizer.ok());
                if let Some(error) = error {
                    return Err(error);
                }
            }
            Recognition::Worker { captions, inputs } => inputs.push(Some(captions.add_speaker(mono_16k(id)))),
        }
        Ok(self.speakers.len() - 1)
    }

    /// Commits what person `index` has said and stops captioning them. Stepped,
    /// the events (stamped `now_s`) are appended to `events`; on a worker they
    /// follow through [`SpeakerCaptions::collect`].
    pub fn finish_speaker(
        &mut self,
        index: usize,
        now_s: f64,
        events: &mut Vec<(usize, CaptionEvent)>,
    ) -> Result<(), RecognitionError> {
        match &mut self.recognition {
            Recognition::Stepped { recognizers, .. } => {
                if let Some(mut recognizer) = recognizers.get_mut(index).and_then(Option::take) {
                    events.extend(recognizer.finish(&|| now_s)?.into_iter().map(|event| (index, event)));
                }
            }
            Recognition::Worker { captions, inputs } => {
                if inputs.get_mut(index).and_then(Option::take).is_some() {
                    captions.finish_speaker(&self.speakers[index]);
                }
            }
        }
        Ok(())
    }

    /// Hands person `index`'s next 16 kHz mono `samples` to their recogniser.
    /// Stepped, they are decoded now and the events (stamped `now_s`) are
    /// appended to `events`; on a worker, they are queued. A finished person's
    /// samples are ignored.
    pub fn hear(
        &mut self,
        index: usize,
        samples: &[f32],
        now_s: f64,
        events: &mut Vec<(usize, CaptionEvent)>,
    ) -> Result<(), RecognitionError> {
        match &mut self.recognition {
            Recognition::Stepped { recognizers, .. } => {
                if let Some(Some(recognizer)) = recognizers.get_mut(index) {
                    let heard = recognizer.push(samples, &|| now_s)?;
                    events.extend(heard.into_iter().map(|event| (index, event)));
                }
            }
            Recognition::Worker { inputs, .. } => {
                if let Some(Some(input)) = inputs.get_mut(index) {
                    input.write(samples);
                }
            }
        }
        Ok(())
    }

    /// Appends what the worker has recognised since the last call (nothing when stepped).
    /// Commits what everyone still being captioned has said, at the end of a session: on a
    /// worker, this waits until it has heard everything handed over. Stepped, events are
    /// stamped `now_s`. Nobody is captioned afterwards.
    pub fn finish_all(
        &mut self,
        now_s: f64,
        events: &mut Vec<(usize, CaptionEvent)>,
    ) -> Result<(), RecognitionError> {
        match &mut self.recognition {
            Recognition::Stepped { .. } => {
                for index in 0..self.speakers.len() {
                    self.finish_speaker(index, now_s, events)?;
                }
            }
            Recognition::Worker { captions, inputs } => {
                inputs.iter_mut().for_each(|input| *input = None);
                for (speaker, event) in captions.stop_in_place() {
                    if let Some(index) = self.speakers.iter().position(|id| *id == speaker) {
                        events.push((index, event));
                    }
                }
            }
        }
        Ok(())
    }

    pub fn collect(&mut self, events: &mut Vec<(usize, CaptionEvent)>) {
        let Recognition::Worker { captions, .. } = &self.recognition else { return };
        for (speaker, event) in captions.events.try_iter() {
            if let Some(index) = self.speakers.iter().position(|id| *id == speaker) {
                events.push((index, event));
            }
        }
    }
}

/// A speaker's stream as [`SpeakerCaptions`] takes it.
fn mono_16k(id: &str) -> StreamFormat {
    StreamFormat { speaker: id.to_owned(), sample_rate_hz: SAMPLE_RATE_HZ, channels: 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_reads_as_one_stream_with_silence_between_recordings() {
        let one = Arc::new(vec![1.0; 8_000]);
        let two = Arc::new(vec![2.0; 4_000]);
        let mut speech = ScheduledSpeech::new([(0.25, one), (1.0, two)]);
        let mut stream = Vec::new();
        speech.read_until(0.5, &mut stream);
        speech.read_until(0.5, &mut stream);
        speech.read_until(2.0, &mut stream);
        assert_eq!(stream.len(), 32_000, "two seconds, read in pieces, without repeats");
        assert!(stream[..4_000].iter().all(|&s| s == 0.0), "silence before the first recording");
        assert!(stream[4_000..12_000].iter().all(|&s| s == 1.0));
        assert!(stream[12_000..16_000].iter().all(|&s| s == 0.0), "silence between");
        assert!(stream[16_000..20_000].iter().all(|&s| s == 2.0));
        assert!(stream[20_000..].iter().all(|&s| s == 0.0));
    }
}
