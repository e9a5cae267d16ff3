//! Head-related transfer functions read from a SOFA file, precomputed as partitioned spectra.
//!
//! The audio callback must never search a k-d tree or run an FFT over a
//! filter, so everything direction-dependent is computed here, once, when
//! the set is loaded: filters for a fixed grid of directions (every 5° of
//! azimuth, every 10° of elevation), each cut into block-sized partitions
//! and transformed, ready to multiply. Looking a direction up is then two
//! roundings and an index.

use super::convolver::{BLOCK_FRAMES, Partitioned, SpectrumPlan};
use allverse_core::placement::{direction_from_yaw_pitch_deg, yaw_pitch_deg_from_direction};
use glam::Vec3;
use std::path::{Path, PathBuf};

/// Where Debian's `libmysofa1` package puts the MIT KEMAR measurements.
pub const DEBIAN_DEFAULT_SOFA: &str = "/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa";

const AZIMUTH_STEP_DEG: f32 = 5.0;
const AZIMUTH_STEPS: usize = 72;
const ELEVATION_STEP_DEG: f32 = 10.0;
const ELEVATION_MIN_DEG: f32 = -40.0;
const ELEVATION_STEPS: usize = 14; // −40° … +90°

/// Why a SOFA file could not be used; the engine then falls back to stereo panning.
#[derive(Debug, thiserror::Error)]
pub enum HrtfError {
    #[error(
        "HRTF file {path} not found. Install Debian's libmysofa1 package (`cargo xtask setup` does) or choose another SOFA file in your profile's [audio] hrtf"
    )]
    Missing { path: PathBuf },
    #[error(
        "HRTF file {path} is not a usable SOFA (AES69) file: {reason}. Choose another file in your profile's [audio] hrtf"
    )]
    Malformed { path: PathBuf, reason: String },
}

/// A direction on the precomputed grid, as an index into [`HrtfSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridDirection(pub(crate) u16);

/// Binaural filters for every grid direction, as spectra the convolver multiplies directly.
pub struct HrtfSet {
    source: PathBuf,
    filter_len: usize,
    /// `[direction][ear]`, each `partitions` spectra long.
    filters: Vec<[Partitioned; 2]>,
    partitions: usize,
}

impl HrtfSet {
    /// The default set: the MIT KEMAR dummy-head measurements.
    pub fn load_default(sample_rate_hz: u32) -> Result<Self, HrtfError> {
        Self::load(Path::new(DEBIAN_DEFAULT_SOFA), sample_rate_hz)
    }

    /// Reads a SOFA file, resamples it to the engine's rate and precomputes the grid.
    pub fn load(path: &Path, sample_rate_hz: u32) -> Result<Self, HrtfError> {
        let malformed = |reason: String| HrtfError::Malformed { path: path.to_owned(), reason };
        if !path.is_file() {
            return Err(HrtfError::Missing { path: path.to_owned() });
        }
        // sofar's parser can panic on a damaged file (a debug assertion in
        // winnow); a bad personal HRTF file must not take the app down.
        let opened = std::panic::catch_unwind(|| {
            sofar::reader::OpenOptions::new().sample_rate(sample_rate_hz as f32).open(path)
        });
        let sofa = match opened {
            Ok(result) => result.map_err(|e| malformed(e.to_string()))?,
            Err(_) => return Err(malformed("the file is damaged or truncated".into())),
        };
        if sofa.num_measurements() == 0 || sofa.filter_len() == 0 {
            return Err(malformed("it holds no measurements".into()));
        }
        let radius_m = (sofa.lookup().radius_min + sofa.lookup().radius_max) / 2.0;
        let mut raw = sofar::reader::Filter::new(sofa.filter_len());
        let mut impulse_responses = Vec::with_capacity(AZIMUTH_STEPS * ELEVATION_STEPS);
        let mut longest = 0;
        for index in 0..AZIMUTH_STEPS * ELEVATION_STEPS {
            let head_dir = grid_vector(GridDirection(index as u16));
            // SOFA: +x forward, +y left, +z up. Ours: −Z forward, +X right, +Y up.
            let sofa_dir = Vec3::new(-head_dir.z, -head_dir.x, head_dir.y) * radius_m;
            sofa.filter(sofa_dir.x, sofa_dir.y, sofa_dir.z, &mut raw);
            let pair = [
                delayed(&raw.left, raw.ldelay * sample_rate_hz as f32),
                delayed(&raw.right, raw.rdelay * sample_rate_hz as f32),
            ];
            if pair.iter().flatten().any(|s| !s.is_finite()) {
                return Err(malformed("its impulse responses contain NaN or infinite values".into()));
            }
            longest = longest.max(pair[0].len()).max(pair[1].len());
            impulse_responses.push(pair);
        }
        let target = equal_energy_target(&impulse_responses)
            .ok_or_else(|| malformed("some of its impulse responses are silent".into()))?;
        let partitions = longest.div_ceil(BLOCK_FRAMES);
        let mut plan = SpectrumPlan::new();
        let filters = impulse_responses
            .iter()
            .map(|pair| {
                let scale = (target / binaural_energy(pair)).sqrt();
                let scaled = |ir: &[f32]| ir.iter().map(|s| s * scale).collect::<Vec<_>>();
                [
                    Partitioned::from_impulse_response(&scaled(&pair[0]), partitions, &mut plan),
                    Partitioned::from_impulse_response(&scaled(&pair[1]), partitions, &mut plan),
                ]
            })
            .collect();
        Ok(Self { source: path.to_owned(), filter_len: longest, filters, partitions })
    }

    /// The file this set came from.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// Filter length at the engine's rate, in samples.
    pub fn filter_len(&self) -> usize {
        self.filter_len
    }

    pub fn partitions(&self) -> usize {
        self.partitions
    }

    /// The grid direction nearest to a head-relative direction (any length, −Z forward).
    pub fn nearest(&self, head_dir: Vec3) -> GridDirection {
        let (azimuth_deg, elevation_deg) = yaw_pitch_deg_from_direction(head_dir);
        let az = (azimuth_deg / AZIMUTH_STEP_DEG).round().rem_euclid(AZIMUTH_STEPS as f32) as usize
            % AZIMUTH_STEPS;
        let el = ((elevation_deg - ELEVATION_MIN_DEG) / ELEVATION_STEP_DEG)
            .round()
            .clamp(0.0, (ELEVATION_STEPS - 1) as f32) as usize;
        GridDirection((el * AZIMUTH_STEPS + az) as u16)
    }

    /// The time-domain impulse responses (left, right) used for a grid direction, after normalization.
    pub fn impulse_responses(&self, direction: GridDirection) -> [Vec<f32>; 2] {
        let mut plan = SpectrumPlan::new();
        let pair = &self.filters[direction.0 as usize];
        [pair[0].to_impulse_response(&mut plan), pair[1].to_impulse_response(&mut plan)]
    }

    pub(crate) fn filters(&self, direction: GridDirection) -> &[Partitioned; 2] {
        &self.filters[direction.0 as usize]
    }
}

fn grid_vector(direction: GridDirection) -> Vec3 {
    let index = direction.0 as usize;
    let azimuth_deg = (index % AZIMUTH_STEPS) as f32 * AZIMUTH_STEP_DEG;
    let elevation_deg = ELEVATION_MIN_DEG + (index / AZIMUTH_STEPS) as f32 * ELEVATION_STEP_DEG;
    direction_from_yaw_pitch_deg(azimuth_deg, elevation_deg)
}

/// SOFA files may store the interaural delay apart from the response; fold it back in.
fn delayed(ir: &[f32], delay_samples: f32) -> Vec<f32> {
    let shift = delay_samples.max(0.0).round() as usize;
    std::iter::repeat_n(0.0, shift).chain(ir.iter().copied()).collect()
}

fn binaural_energy(pair: &[Vec<f32>; 2]) -> f32 {
    pair.iter().flatten().map(|s| s * s).sum()
}

/// Every direction is scaled to the mean binaural energy, so a voice keeps
/// its loudness as it moves around the listener; the interaural level and
/// time differences, which carry the direction, are untouched.
fn equal_energy_target(pairs: &[[Vec<f32>; 2]]) -> Option<f32> {
    let energies: Vec<f32> = pairs.iter().map(binaural_energy).collect();
    if energies.iter().any(|e| *e <= f32::MIN_POSITIVE) {
        return None;
    }
    Some(energies.iter().sum::<f32>() / energies.len() as f32)
}
