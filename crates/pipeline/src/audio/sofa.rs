//! A SOFA (AES69) file checked against its own metadata and against fixed size bounds before its data is trusted.
//!
//! `sofar` reads the measurements and interpolates between them, but it
//! believes whatever a file's header says and reads receiver 0 as the left
//! ear. So the file is first walked with `sofar`'s HDF5 layer: its format,
//! convention, dimensions, sample rate, delays, units, coordinate types, ear
//! order and listener orientation are read and bounded here, each refusal
//! naming the attribute at fault. Only then does `sofar` open it, with every
//! size it will allocate already known to be small.

use glam::{DVec3, Mat3, Vec3};
use sofar::hdf::{DataObject, ParsedHdf};
use std::cell::Cell;
use std::io::Read;
use std::ops::RangeInclusive;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Once;

/// Largest SOFA file read, in bytes (128 MiB). The densest published HRTF
/// sets (full-sphere grids at 2°, some 16 000 directions) are about 35 MB.
pub const MAX_FILE_BYTES: u64 = 128 << 20;

/// Most measurements (the `M` dimension) read: 32 768, twice the densest published sets.
pub const MAX_MEASUREMENTS: u64 = 32_768;

/// Most impulse-response values (`M × R × N`) read: 2²⁴, 128 MiB as 64-bit floats.
/// Resampling to the engine's rate can triple that, so the peak stays under 0.5 GiB.
pub const MAX_IR_VALUES: u64 = 1 << 24;

/// Longest impulse response (`N` at the file's rate) read: 10 s, room responses included.
/// Only the start of one is used (see `MAX_FILTER_FRAMES` in the HRTF set).
pub const MAX_FILE_IR_SECONDS: f64 = 10.0;

/// Longest per-ear delay (`Data.Delay`) accepted: 20 ms. That is 6.9 m of
/// travel, more than any HRTF measurement distance plus the ~0.7 ms that
/// separates the ears.
pub const MAX_DELAY_SECONDS: f64 = 0.02;

/// Sample rates (`Data.SamplingRate`) accepted, in Hz. Below 16 kHz the
/// pinna cues above 8 kHz that tell front from back and up from down are lost.
pub const SAMPLE_RATE_RANGE_HZ: RangeInclusive<f64> = 16_000.0..=192_000.0;

/// SOFA conventions whose `Data.IR` is an impulse response per measurement and ear.
const USABLE_CONVENTIONS: [&str; 2] = ["SimpleFreeFieldHRIR", "GeneralFIR"];

const HDF5_SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// A SOFA file that passed every check, opened by `sofar` at the engine's rate.
pub(super) struct SofaFile {
    /// Measurements, resampled and interpolated by `sofar`.
    pub sofa: sofar::reader::Sofar,
    /// Which receiver (0 or 1) is the left ear, from `ReceiverPosition`.
    pub left_receiver: usize,
    /// Turns a direction in the listener's frame (SOFA axes: +x ahead, +y
    /// left, +z up) into the frame `SourcePosition` is stored in, from
    /// `ListenerView` and `ListenerUp`.
    pub listener_to_file: Mat3,
    /// The file's impulse-response length, in seconds, with its longest delay.
    pub response_seconds: f64,
}

/// Why a file was refused: the reason in the user's terms, or an I/O failure.
pub(super) enum Refusal {
    NotFound,
    Folder,
    Unreadable(std::io::Error),
    Unusable(String),
}

type Checked<T> = Result<T, Refusal>;

fn unusable<T>(reason: impl Into<String>) -> Checked<T> {
    Err(Refusal::Unusable(reason.into()))
}

/// Reads, checks and opens a SOFA file for an engine running at `sample_rate_hz`.
pub(super) fn open(path: &Path, sample_rate_hz: u32) -> Checked<SofaFile> {
    let bytes = read_bounded(path)?;
    check_container(&bytes)?;
    let Some(parsed) = quietly(|| sofar::hdf::parse_with_children(&bytes)) else {
        return unusable(DAMAGED);
    };
    let parsed = parsed.map_err(|_| Refusal::Unusable(DAMAGED.into()))?;
    let layout = check_layout(&parsed)?;
    drop(parsed);
    let opened =
        quietly(|| sofar::reader::OpenOptions::new().sample_rate(sample_rate_hz as f32).open_data(&bytes));
    let Some(Ok(sofa)) = opened else { return unusable(DAMAGED) };
    Ok(SofaFile {
        sofa,
        left_receiver: layout.left_receiver,
        listener_to_file: layout.listener_to_file,
        response_seconds: layout.response_seconds,
    })
}

const DAMAGED: &str = "its HDF5 structure is damaged, or uses HDF5 features the SOFA reader does not support. \
     Re-save it with a SOFA API (netCDF-4, as the SOFA Matlab/Octave and Python APIs write it)";

fn read_bounded(path: &Path) -> Checked<Vec<u8>> {
    let metadata = std::fs::metadata(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => Refusal::NotFound,
        _ => Refusal::Unreadable(error),
    })?;
    if metadata.is_dir() {
        return Err(Refusal::Folder);
    }
    let file = std::fs::File::open(path).map_err(Refusal::Unreadable)?;
    // Bounded by the read itself, not by the size seen above, which may change.
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(Refusal::Unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return unusable(format!(
            "it is larger than {} MiB, the most Allverse reads for an HRTF set",
            MAX_FILE_BYTES >> 20
        ));
    }
    Ok(bytes)
}

/// The file's format, from its first bytes, and its length against its HDF5 superblock.
fn check_container(bytes: &[u8]) -> Checked<()> {
    if bytes.is_empty() {
        return unusable("it is empty (0 bytes)");
    }
    if bytes.starts_with(b"CDF\x01") || bytes.starts_with(b"CDF\x02") || bytes.starts_with(b"CDF\x05") {
        return unusable(
            "it is a netCDF-3 (classic) file, but SOFA files are netCDF-4 (HDF5). \
             Convert it, e.g. with `nccopy -k nc4 old.sofa new.sofa`",
        );
    }
    if !bytes.starts_with(HDF5_SIGNATURE) {
        let head = &bytes[..bytes.len().min(512)];
        let text = std::str::from_utf8(head).is_ok_and(|s| !s.contains('\0'));
        return unusable(if text {
            "it is a text file, not a SOFA file (SOFA files are binary HDF5/netCDF-4)"
        } else {
            "it is not a SOFA file: it does not start with the HDF5 signature that SOFA (netCDF-4) files have"
        });
    }
    let Some(declared) = hdf5_end_of_file(bytes) else {
        return unusable("its HDF5 header (superblock) is cut short or of an unknown version");
    };
    match declared.cmp(&(bytes.len() as u64)) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Greater => unusable(format!(
            "it is cut short: its header says it is {declared} bytes long, but it has only {} \
             (an interrupted download or copy?). Copy or download it again",
            bytes.len()
        )),
        std::cmp::Ordering::Less => unusable(format!(
            "it has {} bytes more than its header says ({declared}); something was appended to it. \
             Copy or download it again",
            bytes.len() as u64 - declared
        )),
    }
}

/// The end-of-file address in an HDF5 superblock (format specification, section II.A).
fn hdf5_end_of_file(bytes: &[u8]) -> Option<u64> {
    let version = *bytes.get(8)?;
    let (offsets_at, end_of_file_at) = match version {
        // Signature, versions, sizes, reserved, leaf and internal K, flags,
        // (version 1: indexed-storage K and reserved), base and free-space addresses.
        0 => (13, 24),
        1 => (13, 28),
        // Signature, version, sizes, flags, base and extension addresses.
        2 | 3 => (9, 12),
        _ => return None,
    };
    let size_of_offsets = usize::from(*bytes.get(offsets_at)?);
    if !(2..=8).contains(&size_of_offsets) {
        return None;
    }
    let at = end_of_file_at + 2 * size_of_offsets;
    let field = bytes.get(at..at + size_of_offsets)?;
    Some(field.iter().rev().fold(0, |value, byte| value << 8 | u64::from(*byte)))
}

/// What the checks learned about the measurements' layout.
struct Layout {
    left_receiver: usize,
    listener_to_file: Mat3,
    response_seconds: f64,
}

fn check_layout(parsed: &ParsedHdf<'_>) -> Checked<Layout> {
    let global = |name: &str| attribute(&parsed.root, name);
    if global("Conventions") != Some("SOFA") {
        return unusable(
            "it is an HDF5/netCDF-4 file but not a SOFA file: its global attribute Conventions is not \"SOFA\"",
        );
    }
    let convention = global("SOFAConventions").unwrap_or("(none given)");
    let data_type = global("DataType").unwrap_or("(none given)");
    if !USABLE_CONVENTIONS.contains(&convention) || data_type != "FIR" {
        return unusable(format!(
            "it uses the SOFA convention {convention} (DataType {data_type}), which Allverse cannot use; \
             give a SimpleFreeFieldHRIR file (impulse responses, DataType FIR)"
        ));
    }
    let variable = |name: &str| -> Checked<Option<DataObject>> {
        match quietly(|| parsed.get_child(name)) {
            None => unusable(format!("its {name} variable is damaged")),
            Some(None) => Ok(None),
            Some(Some(Ok(object))) => Ok(Some(object)),
            Some(Some(Err(_))) => unusable(format!(
                "its {name} variable could not be read: it is damaged, larger than 256 MiB, \
                 or stored in a way the SOFA reader does not support"
            )),
        }
    };
    // A dimension's own variable only gives an early, cheap answer; when it
    // cannot be read, Data.IR's shape below is the authority.
    let dimension = |name: &str| -> Option<u64> {
        variable(name).ok().flatten().and_then(|object| object.ds.dimension_size.first().copied())
    };

    // The dimensions alone first: they say how large everything else is.
    let (m, r, n) = (dimension("M"), dimension("R"), dimension("N"));
    if let Some(m) = m {
        check_measurements(m)?;
    }
    if let Some(r) = r {
        check_receivers(r)?;
    }
    let rate = sample_rate(variable("Data.SamplingRate")?)?;
    if let Some(n) = n {
        check_ir_length(n, rate)?;
    }
    let Some(ir) = variable("Data.IR")? else {
        return unusable("it has no Data.IR variable, which holds the impulse responses");
    };
    let [m, r, n] = match ir.ds.dimension_size.as_slice() {
        &[m, r, n] => [m, r, n],
        shape => {
            return unusable(format!(
                "its Data.IR has {} dimensions; a SimpleFreeFieldHRIR file has three (M, R, N)",
                shape.len()
            ));
        }
    };
    check_measurements(m)?;
    check_receivers(r)?;
    check_ir_length(n, rate)?;
    if m.saturating_mul(r).saturating_mul(n) > MAX_IR_VALUES {
        return unusable(format!(
            "its Data.IR holds {m} × {r} × {n} values (M × R × N); Allverse reads at most {MAX_IR_VALUES}"
        ));
    }

    let left_receiver = left_receiver(variable("ReceiverPosition")?)?;
    let delay_s = max_delay_seconds(variable("Data.Delay")?, m, rate)?;
    check_source_position(variable("SourcePosition")?, m)?;
    let listener_to_file = listener_frame(variable("ListenerView")?, variable("ListenerUp")?)?;
    check_responses(&ir, m, n, left_receiver)?;
    Ok(Layout { left_receiver, listener_to_file, response_seconds: n as f64 / rate + delay_s })
}

fn check_measurements(m: u64) -> Checked<()> {
    match m {
        0 => unusable("it holds no measurements (its M dimension is 0)"),
        m if m > MAX_MEASUREMENTS => unusable(format!(
            "it says it holds {m} measurements (its M dimension); Allverse reads at most {MAX_MEASUREMENTS}"
        )),
        _ => Ok(()),
    }
}

fn check_receivers(r: u64) -> Checked<()> {
    match r {
        2 => Ok(()),
        1 => unusable(
            "it has a single receiver (R = 1); binaural sound needs two, one for each ear. Give a file measured at both ears",
        ),
        r => unusable(format!(
            "it has {r} receivers (R = {r}), such as a microphone array; Allverse needs exactly two, one for each ear"
        )),
    }
}

fn check_ir_length(n: u64, rate: f64) -> Checked<()> {
    if n == 0 {
        return unusable("its impulse responses are empty (its N dimension is 0)");
    }
    let seconds = n as f64 / rate;
    if seconds > MAX_FILE_IR_SECONDS {
        return unusable(format!(
            "its impulse responses are {seconds:.1} s long ({n} samples, its N dimension, at {rate} Hz); \
             Allverse reads at most {MAX_FILE_IR_SECONDS} s"
        ));
    }
    Ok(())
}

fn sample_rate(object: Option<DataObject>) -> Checked<f64> {
    let Some(object) = object else {
        return unusable("it has no Data.SamplingRate variable, so its sample rate is unknown");
    };
    let units = attribute(&object, "Units").unwrap_or("hertz");
    if !matches!(units.trim().to_ascii_lowercase().as_str(), "hertz" | "hz") {
        return unusable(format!(
            "its Data.SamplingRate is in \"{units}\" (its Units attribute); SOFA sample rates are in hertz"
        ));
    }
    let rates = values(&object, "Data.SamplingRate")?;
    let Some(&rate) = rates.first() else {
        return unusable("its Data.SamplingRate is empty");
    };
    if rates.iter().any(|other| *other != rate) {
        return unusable(
            "its Data.SamplingRate differs between measurements; Allverse needs one rate for the whole file",
        );
    }
    if !SAMPLE_RATE_RANGE_HZ.contains(&rate) {
        return unusable(format!(
            "its Data.SamplingRate is {rate} Hz; Allverse reads HRTF sets sampled at {} to {} Hz",
            SAMPLE_RATE_RANGE_HZ.start(),
            SAMPLE_RATE_RANGE_HZ.end()
        ));
    }
    Ok(rate)
}

/// The left ear is the receiver on the listener's +y side (AES69: +x ahead, +y left, +z up).
fn left_receiver(object: Option<DataObject>) -> Checked<usize> {
    let Some(object) = object else {
        return unusable("it has no ReceiverPosition variable, so which receiver is which ear is unknown");
    };
    let positions = positions(&object, "ReceiverPosition", 2)?;
    let [first, second] = [positions[0].y, positions[1].y];
    if first > 0.0 && second < 0.0 {
        Ok(0)
    } else if first < 0.0 && second > 0.0 {
        Ok(1)
    } else {
        unusable(format!(
            "its ReceiverPosition does not put one ear on each side of the head (y = {first} and {second}; \
             the left ear is at positive y)"
        ))
    }
}

fn max_delay_seconds(object: Option<DataObject>, m: u64, rate: f64) -> Checked<f64> {
    let Some(object) = object else { return Ok(0.0) };
    let delays = values(&object, "Data.Delay")?;
    if delays.len() as u64 != 2 && delays.len() as u64 != 2 * m {
        return unusable(format!(
            "its Data.Delay has {} values; it should have one per ear (I × R) or per measurement and ear (M × R)",
            delays.len()
        ));
    }
    let max_samples = MAX_DELAY_SECONDS * rate;
    if let Some(bad) = delays.iter().find(|d| !(0.0..=max_samples).contains(*d)) {
        return unusable(format!(
            "its Data.Delay holds a delay of {bad} samples ({:.3} s at {rate} Hz); \
             Allverse accepts delays from 0 to {} ms",
            bad / rate,
            MAX_DELAY_SECONDS * 1000.0
        ));
    }
    Ok(delays.iter().copied().fold(0.0, f64::max) / rate)
}

fn check_source_position(object: Option<DataObject>, m: u64) -> Checked<()> {
    let Some(object) = object else {
        return unusable("it has no SourcePosition variable, so the measurements' directions are unknown");
    };
    positions(&object, "SourcePosition", m as usize).map(drop)
}

/// The rotation from the listener's frame to the file's, from `ListenerView` and `ListenerUp`.
fn listener_frame(view: Option<DataObject>, up: Option<DataObject>) -> Checked<Mat3> {
    let Some(view) = view else { return Ok(Mat3::IDENTITY) };
    let forward = single_vector(&view, "ListenerView", None)?;
    // SOFA gives ListenerUp no coordinate type of its own: it shares ListenerView's.
    let up = match up {
        Some(up) => single_vector(&up, "ListenerUp", attribute(&view, "Type"))?,
        None => DVec3::Z,
    };
    let forward = forward.try_normalize();
    let left = forward.and_then(|f| up.cross(f).try_normalize());
    let (Some(forward), Some(left)) = (forward, left) else {
        return unusable(
            "its ListenerView and ListenerUp do not give a direction the listener faces and an up \
             direction at an angle to it",
        );
    };
    let up = forward.cross(left);
    Ok(Mat3::from_cols(forward.as_vec3(), left.as_vec3(), up.as_vec3()))
}

/// A vector given once (`I × C`) or per measurement (`M × C`, all the same).
fn single_vector(object: &DataObject, name: &str, shared_type: Option<&str>) -> Checked<DVec3> {
    let rows = values(object, name)?;
    if rows.len() < 3 || rows.len() % 3 != 0 {
        return unusable(format!("its {name} has {} values, not 3", rows.len()));
    }
    if rows.chunks_exact(3).any(|row| row != &rows[..3]) {
        return unusable(format!(
            "its {name} changes between measurements (the head turned during the measurement); \
             Allverse needs one listener orientation for the whole file"
        ));
    }
    let kind = coordinate_type(object, name, shared_type)?;
    Ok(kind.to_cartesian(&rows[..3]))
}

#[derive(Clone, Copy)]
enum Coordinates {
    Cartesian,
    Spherical,
}

impl Coordinates {
    /// AES69 spherical coordinates: azimuth (degrees, counter-clockwise from +x), elevation (degrees), radius.
    fn to_cartesian(self, value: &[f64]) -> DVec3 {
        match self {
            Self::Cartesian => DVec3::new(value[0], value[1], value[2]),
            Self::Spherical => {
                let (azimuth, elevation) = (value[0].to_radians(), value[1].to_radians());
                DVec3::new(azimuth.cos() * elevation.cos(), azimuth.sin() * elevation.cos(), elevation.sin())
                    * value[2]
            }
        }
    }
}

/// The coordinate type and units of a position variable, which must be ones AES69 defines.
fn coordinate_type(object: &DataObject, name: &str, shared_type: Option<&str>) -> Checked<Coordinates> {
    let kind = match attribute(object, "Type").or(shared_type) {
        None | Some("cartesian") => Coordinates::Cartesian,
        Some("spherical") => Coordinates::Spherical,
        Some(other) => {
            return unusable(format!(
                "its {name} has the coordinate type \"{other}\" (its Type attribute); \
                 SOFA positions are \"cartesian\" or \"spherical\""
            ));
        }
    };
    let Some(units) = attribute(object, "Units") else { return Ok(kind) };
    let words: Vec<String> = units
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let is_length = |w: &str| matches!(w, "metre" | "meter" | "metres" | "meters" | "m");
    let is_angle = |w: &str| matches!(w, "degree" | "degrees" | "deg");
    let understood = match kind {
        Coordinates::Cartesian => !words.is_empty() && words.iter().all(|w| is_length(w)),
        Coordinates::Spherical => {
            matches!(words.as_slice(), [a, e, r] if is_angle(a) && is_angle(e) && is_length(r))
        }
    };
    if !understood {
        let expected = match kind {
            Coordinates::Cartesian => "metre",
            Coordinates::Spherical => "degree, degree, metre",
        };
        return unusable(format!(
            "its {name} is in \"{units}\" (its Units attribute); SOFA {} positions are in \"{expected}\"",
            match kind {
                Coordinates::Cartesian => "cartesian",
                Coordinates::Spherical => "spherical",
            }
        ));
    }
    Ok(kind)
}

/// `count` positions, in the file's frame, as cartesian vectors.
fn positions(object: &DataObject, name: &str, count: usize) -> Checked<Vec<DVec3>> {
    let kind = coordinate_type(object, name, None)?;
    let raw = values(object, name)?;
    if raw.len() != 3 * count {
        return unusable(format!(
            "its {name} has {} values; {count} positions of 3 were expected",
            raw.len()
        ));
    }
    if raw.iter().any(|v| !v.is_finite()) {
        return unusable(format!("its {name} holds NaN or infinite values"));
    }
    Ok(raw.chunks_exact(3).map(|p| kind.to_cartesian(p)).collect())
}

/// Every impulse response must be finite and make a sound.
fn check_responses(ir: &DataObject, m: u64, n: u64, left_receiver: usize) -> Checked<()> {
    let samples = samples(ir, "Data.IR")?;
    if samples.len() as u64 != m * 2 * n {
        return unusable(format!(
            "its Data.IR holds {} values, but its shape says {m} × 2 × {n}",
            samples.len()
        ));
    }
    // Responses are stored measurement by measurement, receiver by receiver.
    let which = |response: u64| {
        let ear = if (response % 2) as usize == left_receiver { "left" } else { "right" };
        (response / 2 + 1, ear)
    };
    // Decoded one value at a time: Data.IR may hold up to MAX_IR_VALUES.
    let mut energy = 0.0;
    for (index, sample) in (0u64..).zip(samples) {
        if !sample.is_finite() {
            let (measurement, ear) = which(index / n);
            return unusable(format!(
                "its Data.IR holds NaN or infinite values (measurement {measurement} of {m}, {ear} ear)"
            ));
        }
        energy += sample * sample;
        if (index + 1) % n == 0 {
            if energy <= f64::from(f32::MIN_POSITIVE) {
                let (measurement, ear) = which(index / n);
                return unusable(format!(
                    "its impulse response for measurement {measurement} of {m} ({ear} ear) is silent (all zeros in Data.IR)"
                ));
            }
            energy = 0.0;
        }
    }
    Ok(())
}

fn attribute<'a>(object: &'a DataObject, name: &str) -> Option<&'a str> {
    object.parsed_attributes.iter().find(|a| a.name == name).and_then(|a| a.value.as_deref())
}

/// A variable's values as numbers, for small variables.
fn values(object: &DataObject, name: &str) -> Checked<Vec<f64>> {
    Ok(samples(object, name)?.collect())
}

/// A variable's stored floating-point values, decoded lazily.
fn samples<'a>(object: &'a DataObject, name: &str) -> Checked<impl ExactSizeIterator<Item = f64> + 'a> {
    const FLOAT_CLASS: u8 = 1;
    let big_endian = object.dt.class_bit_field & 1 != 0;
    let width = object.dt.size as usize;
    if object.dt.class_and_version & 0x0f != FLOAT_CLASS || big_endian || !matches!(width, 4 | 8) {
        return unusable(format!(
            "its {name} is not stored as little-endian 32- or 64-bit floating-point numbers"
        ));
    }
    Ok(object.data.chunks_exact(width).map(move |bytes| {
        let mut eight = [0; 8];
        eight[..width].copy_from_slice(bytes);
        match width {
            8 => f64::from_le_bytes(eight),
            _ => f64::from(f32::from_le_bytes([eight[0], eight[1], eight[2], eight[3]])),
        }
    }))
}

/// Runs part of `sofar` with its panics caught and kept quiet.
///
/// `sofar` 0.4 turns some malformed input into panics: winnow's
/// `ErrMode::assert`, which it uses to reject bad input, panics in builds with
/// debug assertions (the workspace turns those off for winnow and sofar, see
/// Cargo.toml), and its arithmetic on header fields can overflow or index past
/// an array on a damaged file. The checks above catch the damage people meet
/// (cut-short files, other formats, wrong sizes); this is the last resort for
/// the rest, so that a damaged file is an error message, never a crash, a
/// panic text or a backtrace. The panic hook is wrapped once, and stays
/// silent only on this thread and only while `sofar` runs.
pub(super) fn quietly<T>(parse: impl FnOnce() -> T) -> Option<T> {
    thread_local! { static QUIET: Cell<bool> = const { Cell::new(false) }; }
    static WRAP_HOOK: Once = Once::new();
    WRAP_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.get() {
                previous(info);
            }
        }));
    });
    QUIET.set(true);
    let result = std::panic::catch_unwind(AssertUnwindSafe(parse));
    QUIET.set(false);
    result.ok()
}

/// A head-relative direction in the engine's frame (−Z ahead, +X right, +Y up)
/// as a direction in the file's `SourcePosition` frame.
pub(super) fn file_direction(listener_to_file: Mat3, head_dir: Vec3) -> Vec3 {
    // SOFA's listener frame: +x ahead, +y left, +z up.
    listener_to_file * Vec3::new(-head_dir.z, -head_dir.x, head_dir.y)
}
