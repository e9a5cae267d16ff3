//! Head-related transfer functions read from a SOFA file, precomputed as partitioned spectra.
//!
//! The audio callback must never search a k-d tree or run an FFT over a
//! filter, so everything direction-dependent is computed here, once, when
//! the set is loaded: filters for a fixed grid of directions (every 5° of
//! azimuth, every 10° of elevation), each cut into block-sized partitions
//! and transformed, ready to multiply. Looking a direction up is then two
//! roundings and an index.

use super::convolver::{BLOCK_FRAMES, Partitioned, SpectrumPlan};
use super::sofa::{self, Refusal};
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

/// Longest filter kept per direction and ear, delay included: 2048 samples,
/// 43 ms at 48 kHz. Head and ear responses die away within a few
/// milliseconds; the rest of a longer response is a room's reverberation,
/// which would multiply the convolution work in the audio callback.
pub const MAX_FILTER_FRAMES: usize = 2048;

/// Why a SOFA file could not be used; the engine then falls back to stereo panning.
///
/// Each message names the file, says what is wrong with it in the user's
/// terms and what to do; none carries a library's internal text.
#[derive(Debug, thiserror::Error)]
pub enum HrtfError {
    #[error(
        "HRTF file {path} not found. Install Debian's libmysofa1 package (`cargo xtask setup` does) or choose another SOFA file in your profile's [audio] hrtf"
    )]
    DefaultMissing { path: PathBuf },
    #[error(
        "HRTF file {path} not found. Check the path in your profile's [audio] hrtf, or remove that setting to use the built-in MIT KEMAR set"
    )]
    Missing { path: PathBuf },
    #[error("HRTF file {path} is a folder, not a SOFA file. Set your profile's [audio] hrtf to a .sofa file")]
    Folder { path: PathBuf },
    #[error("HRTF file {path} could not be read ({reason}). Check that the file can be opened")]
    Unreadable { path: PathBuf, reason: std::io::Error },
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
    notice: Option<String>,
}

impl HrtfSet {
    /// The default set: the MIT KEMAR dummy-head measurements.
    pub fn load_default(sample_rate_hz: u32) -> Result<Self, HrtfError> {
        Self::load(Path::new(DEBIAN_DEFAULT_SOFA), sample_rate_hz).map_err(|error| match error {
            HrtfError::Missing { path } => HrtfError::DefaultMissing { path },
            other => other,
        })
    }

    /// Reads a SOFA file, resamples it to the engine's rate and precomputes the grid.
    ///
    /// The file is checked against fixed bounds ([`super::MAX_FILE_BYTES`],
    /// [`super::MAX_MEASUREMENTS`], [`super::MAX_IR_VALUES`] and the rest)
    /// before anything it sizes is allocated, and read by its own metadata: which
    /// receiver is the left ear, its coordinate types and units, and the
    /// listener's orientation. Responses longer than [`MAX_FILTER_FRAMES`]
    /// are cut, and [`HrtfSet::notice`] says so.
    pub fn load(path: &Path, sample_rate_hz: u32) -> Result<Self, HrtfError> {
        let file = sofa::open(path, sample_rate_hz).map_err(|refusal| {
            let path = path.to_owned();
            match refusal {
                Refusal::NotFound => HrtfError::Missing { path },
                Refusal::Folder => HrtfError::Folder { path },
                Refusal::Unreadable(reason) => HrtfError::Unreadable { path, reason },
                Refusal::Unusable(reason) => HrtfError::Malformed { path, reason },
            }
        })?;
        let malformed = |reason: &str| HrtfError::Malformed { path: path.to_owned(), reason: reason.into() };
        let sofa = &file.sofa;
        let radius = (sofa.lookup().radius_min + sofa.lookup().radius_max) / 2.0;
        let mut raw = sofar::reader::Filter::new(sofa.filter_len());
        let mut impulse_responses = Vec::with_capacity(AZIMUTH_STEPS * ELEVATION_STEPS);
        let mut longest = 0;
        for index in 0..AZIMUTH_STEPS * ELEVATION_STEPS {
            let file_dir =
                sofa::file_direction(file.listener_to_file, grid_vector(GridDirection(index as u16)));
            sofa.filter(file_dir.x * radius, file_dir.y * radius, file_dir.z * radius, &mut raw);
            let [first, second] = [
                delayed(&raw.left, raw.ldelay * sample_rate_hz as f32),
                delayed(&raw.right, raw.rdelay * sample_rate_hz as f32),
            ];
            // sofar hands out receiver 0 as `left`; the file says which receiver is.
            let pair = if file.left_receiver == 0 { [first, second] } else { [second, first] };
            if pair.iter().flatten().any(|s| !s.is_finite()) {
                return Err(malformed("its impulse responses contain NaN or infinite values"));
            }
            longest = longest.max(pair[0].len()).max(pair[1].len());
            impulse_responses.push(pair);
        }
        let target = equal_energy_target(&impulse_responses).ok_or_else(|| {
            malformed("some directions have no sound: the measurements near them are silent")
        })?;
        let notice = (file.response_seconds * f64::from(sample_rate_hz) > MAX_FILTER_FRAMES as f64).then(|| {
            format!(
                "its impulse responses are {:.2} s long; the first {:.0} ms are used ({MAX_FILTER_FRAMES} samples), \
                 enough for the head and ears but not a room's reverberation",
                file.response_seconds,
                MAX_FILTER_FRAMES as f64 * 1000.0 / f64::from(sample_rate_hz)
            )
        });
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
        Ok(Self { source: path.to_owned(), filter_len: longest, filters, partitions, notice })
    }

    /// What was changed to make the file usable, in the user's terms, if
    /// anything: a response longer than [`MAX_FILTER_FRAMES`] is cut.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
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

/// SOFA files may store the interaural delay apart from the response; fold
/// it back in, keeping at most [`MAX_FILTER_FRAMES`] samples.
fn delayed(ir: &[f32], delay_samples: f32) -> Vec<f32> {
    let shift = (delay_samples.max(0.0).round() as usize).min(MAX_FILTER_FRAMES);
    std::iter::repeat_n(0.0, shift).chain(ir.iter().copied()).take(MAX_FILTER_FRAMES).collect()
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
