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

/// Where recognition runs.
enum Recognition {
    /// Decoded on the caller's thread when audio is handed over.
    Stepped(Vec<StreamingRecognizer>),
    /// Decoded on a worker thread, fed through lock-free rings.
    Worker { captions: LiveCaptions, inputs: Vec<SpeakerInput> },
}

/// Captions for a fixed set of people, one recogniser each; events name the person by index.
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
        let recognizers =
            speakers.iter().map(|_| StreamingRecognizer::new(model, config)).collect::<Result<_, _>>()?;
        Ok(Self { recognition: Recognition::Stepped(recognizers), speakers: speakers.to_vec() })
    }

    /// Decodes on one worker thread for everyone; event times are seconds since `epoch`.
    pub fn on_worker(
        model: &Model,
        config: StreamConfig,
        speakers: &[String],
        epoch: Instant,
    ) -> Result<Self, RecognitionError> {
        let formats: Vec<StreamFormat> = speakers
            .iter()
            .map(|id| StreamFormat { speaker: id.clone(), sample_rate_hz: SAMPLE_RATE_HZ, channels: 1 })
            .collect();
        let (captions, inputs) = LiveCaptions::spawn(model, config, &formats, epoch)?;
        Ok(Self { recognition: Recognition::Worker { captions, inputs }, speakers: speakers.to_vec() })
    }

    /// Hands person `index`'s next 16 kHz mono `samples` to their recogniser.
    /// Stepped, they are decoded now and the events (stamped `now_s`) are
    /// appended to `events`; on a worker, they are queued.
    pub fn hear(
        &mut self,
        index: usize,
        samples: &[f32],
        now_s: f64,
        events: &mut Vec<(usize, CaptionEvent)>,
    ) -> Result<(), RecognitionError> {
        match &mut self.recognition {
            Recognition::Stepped(recognizers) => {
                let heard = recognizers[index].push(samples, &|| now_s)?;
                events.extend(heard.into_iter().map(|event| (index, event)));
            }
            Recognition::Worker { inputs, .. } => inputs[index].write(samples),
        }
        Ok(())
    }

    /// Appends what the worker has recognised since the last call (nothing when stepped).
    pub fn collect(&mut self, events: &mut Vec<(usize, CaptionEvent)>) {
        let Recognition::Worker { captions, .. } = &self.recognition else { return };
        for (speaker, event) in captions.events.try_iter() {
            if let Some(index) = self.speakers.iter().position(|id| *id == speaker) {
                events.push((index, event));
            }
        }
    }
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
