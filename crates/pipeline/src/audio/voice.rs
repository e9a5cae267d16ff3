//! What a caller holds while a voice plays: its id, where it is, and the feed its samples go into.

use super::engine::EngineStats;
use super::sanitize::zero_non_finite;
use glam::{Quat, Vec3};
use rtrb::Producer;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Which volume control a voice follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bus {
    /// Spoken output: the screen reader, chat, alerts, captions read aloud.
    Speech,
    /// Everything else in the scene.
    Scene,
}

/// Where a voice is heard from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Placement {
    /// A point in the world, in metres; it stays put as the head turns.
    World(Vec3),
    /// A point relative to the head (−Z ahead, +X right, +Y up), in metres; it turns with the head.
    Head(Vec3),
}

/// The listener's head: `world_from_head` as a rigid transform.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    pub position: Vec3,
    pub orientation: Quat,
}

impl Default for Pose {
    fn default() -> Self {
        Self { position: Vec3::ZERO, orientation: Quat::IDENTITY }
    }
}

impl Pose {
    /// A placement's position in head space.
    pub fn head_from(&self, placement: Placement) -> Vec3 {
        match placement {
            Placement::World(point) => self.orientation.inverse() * (point - self.position),
            Placement::Head(point) => point,
        }
    }
}

/// Names one playing voice; stale ids (of voices that ended) are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VoiceId {
    pub(crate) slot: u16,
    pub(crate) generation: u32,
}

/// State shared between a voice's feed and the renderer.
#[derive(Debug, Default)]
pub(crate) struct StreamState {
    /// The feed has written its last sample.
    pub(crate) ended: AtomicBool,
    /// The renderer stopped the voice; the feed should stop producing.
    pub(crate) stopped: AtomicBool,
    /// Frames the renderer has taken from the ring.
    pub(crate) played_frames: AtomicU64,
    /// Frames the feed has put into the ring.
    pub(crate) written_frames: AtomicU64,
    /// Samples arrive at the source's own pace (a live participant), so
    /// offline rendering does not wait for them.
    pub(crate) live: AtomicBool,
}

/// Where a producer (text-to-speech, a file, a network stream) writes a voice's
/// mono 48 kHz samples. Dropping it ends the voice
/// once what was written has played.
pub struct VoiceFeed {
    pub(crate) id: VoiceId,
    pub(crate) producer: Producer<f32>,
    pub(crate) state: Arc<StreamState>,
    pub(crate) stats: Arc<EngineStats>,
}

impl VoiceFeed {
    pub fn id(&self) -> VoiceId {
        self.id
    }

    /// Writes as many samples as fit now and returns how many that was.
    /// NaN and infinite samples go in as silence and are counted in
    /// [`StatsSnapshot::non_finite_samples`](super::StatsSnapshot::non_finite_samples):
    /// one would ring through the voice's filters for good.
    pub fn write(&mut self, samples: &[f32]) -> usize {
        let n = samples.len().min(self.producer.slots());
        if let Ok(mut chunk) = self.producer.write_chunk(n) {
            let (first, second) = chunk.as_mut_slices();
            first.copy_from_slice(&samples[..first.len()]);
            second.copy_from_slice(&samples[first.len()..n]);
            let replaced = zero_non_finite(first) + zero_non_finite(second);
            if replaced > 0 {
                self.stats.non_finite_samples.fetch_add(replaced as u64, Ordering::Relaxed);
            }
            chunk.commit_all();
        }
        self.state.written_frames.fetch_add(n as u64, Ordering::Release);
        n
    }

    /// Marks this voice as live: its samples come in real time from elsewhere
    /// (a participant over the network), and silence between them is theirs,
    /// so [`AudioControl::wait_for_producers`](super::AudioControl::wait_for_producers) does not wait for it.
    pub fn set_live(&self) {
        self.state.live.store(true, Ordering::Release);
    }

    /// Frames written and not yet played: how far ahead of the renderer this feed is.
    pub fn buffered_frames(&self) -> usize {
        let played = self.state.played_frames.load(Ordering::Acquire);
        self.state.written_frames.load(Ordering::Acquire).saturating_sub(played) as usize
    }

    /// The voice was stopped (interrupted, skipped) or the engine is gone; stop producing for it.
    pub fn is_stopped(&self) -> bool {
        self.state.stopped.load(Ordering::Acquire) || self.producer.is_abandoned()
    }
}

impl Drop for VoiceFeed {
    fn drop(&mut self) {
        self.state.ended.store(true, Ordering::Release);
    }
}
