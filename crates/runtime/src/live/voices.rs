//! Each live person's voice through the HRTF engine, from where they stand, after a short jitter buffer.

use super::room::LiveRoom;
use crate::audio_engine::AudioEngine;
use crate::captions::{LIVE_VOICE_RATE_HZ, VoiceHeard};
use crate::scene::People;
use allverse_pipeline::audio::{AudioControl, Bus, Placement, VoiceFeed};
use bevy::prelude::*;
use std::collections::{HashMap, VecDeque};

/// What is held before a live voice starts (or restarts after running dry), in seconds:
/// several of WebRTC's 20 ms packets and frame-loop periods, so packets that arrive
/// unevenly still play as an unbroken voice.
pub const JITTER_BUFFER_S: f64 = 0.1;
const JITTER_BUFFER_FRAMES: usize = (JITTER_BUFFER_S * LIVE_VOICE_RATE_HZ as f64) as usize;
/// At most this much waits behind the engine's ring (2 s); the oldest is dropped first.
const MAX_WAITING_FRAMES: usize = 96_000;

/// Each live person's voice in the audio engine, by index in [`People`].
/// Non-send, beside the engine.
#[derive(Default)]
pub(super) struct LiveVoices(HashMap<usize, LiveVoice>);

/// One live person's voice in the engine, and what waits to go into it.
struct LiveVoice {
    feed: VoiceFeed,
    waiting: VecDeque<f32>,
    playing: bool,
    at_m: Vec3,
}

impl LiveVoice {
    fn start(control: &mut AudioControl, at_m: Vec3) -> Option<Self> {
        let feed = control
            .play(Bus::Scene, Placement::World(at_m), 1.0)
            .map_err(|error| warn!("a live voice cannot be played: {error}"))
            .ok()?;
        feed.set_live();
        Some(Self { feed, waiting: VecDeque::with_capacity(MAX_WAITING_FRAMES), playing: false, at_m })
    }

    fn push(&mut self, samples: &[f32]) {
        let samples = &samples[samples.len().saturating_sub(MAX_WAITING_FRAMES)..];
        let excess = (self.waiting.len() + samples.len()).saturating_sub(MAX_WAITING_FRAMES);
        self.waiting.drain(..excess);
        self.waiting.extend(samples);
    }

    /// Hands the engine what fits once the jitter buffer is full.
    fn flush(&mut self) {
        if self.playing && self.feed.buffered_frames() == 0 {
            self.playing = false; // ran dry: fill the buffer again before going on
        }
        if !self.playing && self.waiting.len() < JITTER_BUFFER_FRAMES {
            return;
        }
        self.playing = true;
        let (first, second) = self.waiting.as_slices();
        let mut written = self.feed.write(first);
        if written == first.len() {
            written += self.feed.write(second);
        }
        self.waiting.drain(..written);
    }
}

/// Plays what arrived this frame from each person's place, hands it to their captions,
/// follows people who moved and ends the voices of people who left.
pub(super) fn play_voices(
    people: Res<People>,
    mut room: NonSendMut<LiveRoom>,
    mut voices: NonSendMut<LiveVoices>,
    mut engine: NonSendMut<AudioEngine>,
    mut heard: MessageWriter<VoiceHeard>,
) {
    let voices = &mut voices.0;
    let control = &mut engine.control;
    for (person, samples) in room.arrived.drain(..) {
        let at_m = people.0[person].head_m;
        if !voices.contains_key(&person)
            && let Some(voice) = LiveVoice::start(control, at_m)
        {
            voices.insert(person, voice);
        }
        if let Some(voice) = voices.get_mut(&person) {
            voice.push(&samples);
        }
        heard.write(VoiceHeard { person, samples });
    }
    // Dropping a feed ends its voice once what was written has played.
    voices.retain(|&person, _| people.0[person].present);
    for (&person, voice) in voices.iter_mut() {
        let at_m = people.0[person].head_m;
        if voice.at_m != at_m {
            voice.at_m = at_m;
            control.move_voice(voice.feed.id(), Placement::World(at_m));
        }
        voice.flush();
    }
}
