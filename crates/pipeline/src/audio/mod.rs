//! The audio engine: voices placed in space through measured HRTFs, mixed for the listener's ears.
//!
//! [`engine`] builds a pair: [`AudioControl`], used from any thread to
//! start, move and stop voices and to set the head pose, and [`Renderer`],
//! whose `process` is the audio callback. The renderer runs in a device
//! stream ([`device`]) or is called directly to render faster than real
//! time ([`offline`]), which is how tests, benchmarks and the simulator use
//! it.

mod convolver;
pub mod device;
mod downmix;
mod engine;
pub mod file;
mod hrtf;
mod mix;
pub mod offline;
pub mod resample;
mod sanitize;
mod sofa;
mod voice;
pub mod wav;
mod wav_sizes;

pub use convolver::BLOCK_FRAMES;
pub use engine::{
    AudioControl, AudioError, EngineConfig, EngineStats, Renderer, SAMPLE_RATE_HZ, Spatializer,
    StatsSnapshot, engine,
};
pub use hrtf::{DEBIAN_DEFAULT_SOFA, GridDirection, HrtfError, HrtfSet, MAX_FILTER_FRAMES};
pub use mix::{LIMITER_CEILING, MixSettings};
pub use sanitize::zero_non_finite;
pub use sofa::{
    MAX_DELAY_SECONDS, MAX_FILE_BYTES, MAX_FILE_IR_SECONDS, MAX_IR_VALUES, MAX_MEASUREMENTS,
    SAMPLE_RATE_RANGE_HZ,
};
pub use voice::{Bus, Placement, Pose, VoiceFeed, VoiceId};

#[cfg(test)]
mod sofa_tests;
#[cfg(test)]
mod tests;
