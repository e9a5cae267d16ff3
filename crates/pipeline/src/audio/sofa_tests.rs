//! Tests of SOFA files that lie about their sizes, store their ears or axes differently, or are not SOFA at all.
//!
//! The files are made by `tests/data/make_sofa_fixtures.py` from Debian's
//! MIT KEMAR set (see `tests/data/README.md`); the rest are made here.
//! Loads that a hostile file could blow up run in a child process (this
//! test binary again) under `prlimit --as`, so an unbounded allocation
//! fails that child instead of passing unnoticed.

use super::tests::{at, energy_db, noise, render};
use super::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn load(name: &str) -> HrtfSet {
    HrtfSet::load(&fixture(name), SAMPLE_RATE_HZ).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn refusal(path: &Path) -> String {
    match HrtfSet::load(path, SAMPLE_RATE_HZ) {
        Ok(_) => panic!("{} should be refused", path.display()),
        Err(error) => error.to_string(),
    }
}

/// The same filters, to within -40 dB of error energy, in the eight measured directions.
///
/// Each direction's pair is compared at unit energy: every set is scaled to
/// its own mean over the whole grid, and between the measured directions
/// `sofar`'s choice of neighbours to interpolate can turn on float rounding
/// in the positions.
fn assert_same_filters(a: &HrtfSet, b: &HrtfSet, what: &str) {
    let unit = |pair: [Vec<f32>; 2]| {
        let energy: f32 = pair.iter().flatten().map(|s| s * s).sum();
        pair.map(|ir| ir.iter().map(|s| s / energy.sqrt()).collect::<Vec<_>>())
    };
    for azimuth in (0..360).step_by(45) {
        let direction =
            a.nearest(allverse_core::placement::direction_from_yaw_pitch_deg(azimuth as f32, 0.0));
        let (x, y) = (unit(a.impulse_responses(direction)), unit(b.impulse_responses(direction)));
        // Filters of different lengths: compare ear by ear, the longer one's tail against silence.
        let error: f32 = x
            .iter()
            .zip(&y)
            .flat_map(|(p, q)| {
                (0..p.len().max(q.len())).map(|i| p.get(i).unwrap_or(&0.0) - q.get(i).unwrap_or(&0.0))
            })
            .map(|d| d * d)
            .sum();
        let error_db = 10.0 * error.log10();
        assert!(error_db < -40.0, "{what}: azimuth {azimuth}°: {error_db:.1} dB");
    }
}

const CHILD_TEST: &str = "audio::sofa_tests::child_loads_the_file_named_in_its_environment";
const CHILD_FILE: &str = "ALLVERSE_TEST_SOFA_FILE";
const CHILD_ALLOCATE_MIB: &str = "ALLVERSE_TEST_ALLOCATE_MIB";
const CHILD_PANIC: &str = "ALLVERSE_TEST_PANIC";

/// Address space for the child: 768 MiB. Loading the KEMAR set needs a
/// fraction of that; the hostile files below ask for 4 GB to 40 GB.
const CHILD_ADDRESS_SPACE_BYTES: u64 = 768 << 20;

/// Runs this test binary again, under `prlimit --as`, to load one file (or to allocate, as a control).
fn in_child(env: (&str, &str)) -> Output {
    Command::new("prlimit")
        .arg(format!("--as={CHILD_ADDRESS_SPACE_BYTES}"))
        .arg("--")
        .arg(std::env::current_exe().unwrap())
        .args([CHILD_TEST, "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(env.0, env.1)
        .output()
        .expect("prlimit (util-linux) runs")
}

fn child_load(path: &Path) -> (String, String) {
    let output = in_child((CHILD_FILE, path.to_str().unwrap()));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "{}: the child failed ({}):\n{stdout}\n{stderr}",
        path.display(),
        output.status
    );
    // libtest prints the test's name on the same line, before the result.
    let line = stdout
        .lines()
        .find_map(|l| l.find("LOADED ").or_else(|| l.find("REFUSED ")).map(|at| &l[at..]))
        .unwrap_or_else(|| panic!("no result line:\n{stdout}"));
    (line.to_owned(), stderr)
}

#[test]
#[ignore = "run as a child process by the tests below, under prlimit"]
fn child_loads_the_file_named_in_its_environment() {
    if let Ok(mib) = std::env::var(CHILD_ALLOCATE_MIB) {
        let bytes = vec![1u8; mib.parse::<usize>().unwrap() << 20];
        println!("ALLOCATED {}", std::hint::black_box(bytes).iter().map(|b| *b as usize).sum::<usize>());
        return;
    }
    if std::env::var_os(CHILD_PANIC).is_some() {
        assert!(super::sofa::quietly(|| panic!("inside the SOFA reader")).is_none());
        println!("CAUGHT");
        let elsewhere = std::thread::spawn(|| panic!("elsewhere in the program")).join();
        println!("ELSEWHERE {}", elsewhere.is_err());
        return;
    }
    let path = std::env::var_os(CHILD_FILE).expect("the parent names the file");
    match HrtfSet::load(Path::new(&path), SAMPLE_RATE_HZ) {
        Ok(set) => println!("LOADED {} {}", set.filter_len(), set.notice().unwrap_or("-")),
        Err(error) => println!("REFUSED {error}"),
    }
}

#[test]
fn the_memory_limit_in_the_child_is_real() {
    let output = in_child((CHILD_ALLOCATE_MIB, "2048"));
    assert!(!output.status.success(), "2 GiB must not fit under the limit");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("ALLOCATED"));
    let output = in_child((CHILD_ALLOCATE_MIB, "64"));
    assert!(String::from_utf8_lossy(&output.stdout).contains("ALLOCATED"), "64 MiB fits");
}

#[test]
fn a_panic_inside_the_sofa_reader_is_caught_silently_and_others_still_print() {
    let output = in_child((CHILD_PANIC, "1"));
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("CAUGHT") && stdout.contains("ELSEWHERE true"), "{stdout}\n{stderr}");
    assert!(!stderr.contains("inside the SOFA reader"), "{stderr}");
    assert!(stderr.contains("elsewhere in the program"), "the previous hook still runs: {stderr}");
}

// Kind 2: sizes from a header are bounded, with a clear error, before anything is allocated.

#[test]
fn a_delay_of_a_billion_samples_is_refused_in_bounded_memory() {
    let (line, stderr) = child_load(&fixture("huge_delay.sofa"));
    assert!(line.contains("REFUSED"), "{line}");
    assert!(line.contains("Data.Delay holds a delay of 1000000000 samples"), "{line}");
    assert!(line.contains("from 0 to 20 ms"), "{line}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn sizes_beyond_the_bounds_are_refused_in_bounded_memory_naming_the_attribute() {
    for (name, expected) in [
        (
            "million_measurements.sofa",
            "it says it holds 1000000 measurements (its M dimension); Allverse reads at most 32768",
        ),
        (
            "rate_100_hz.sofa",
            "its Data.SamplingRate is 100 Hz; Allverse reads HRTF sets sampled at 16000 to 192000 Hz",
        ),
        ("negative_delay.sofa", "its Data.Delay holds a delay of -5 samples"),
    ] {
        let (line, stderr) = child_load(&fixture(name));
        assert!(line.starts_with("REFUSED") && line.contains(expected), "{name}: {line}");
        assert!(stderr.is_empty(), "{name}: {stderr}");
    }
}

#[test]
fn a_three_second_room_response_is_cut_to_the_filter_bound_with_a_notice() {
    let (line, _) = child_load(&fixture("room_response_3s.sofa"));
    assert!(line.starts_with(&format!("LOADED {MAX_FILTER_FRAMES} ")), "{line}");
    assert!(line.contains("its impulse responses are 3.00 s long; the first 43 ms are used"), "{line}");

    let set = load("room_response_3s.sofa");
    assert_eq!(set.filter_len(), MAX_FILTER_FRAMES);
    assert!(set.partitions() * BLOCK_FRAMES <= MAX_FILTER_FRAMES);
    // The reflection two seconds in is gone; the head's response is kept.
    assert_same_filters(&set, &load("kemar_small.sofa"), "room response");
    assert!(Spatializer::Hrtf(Arc::new(set)).describe().contains("the first 43 ms are used"));
}

#[test]
fn the_kemar_set_loads_in_the_child_without_a_notice() {
    let (line, stderr) = child_load(Path::new(DEBIAN_DEFAULT_SOFA));
    assert!(line.starts_with("LOADED") && line.ends_with(" -"), "{line}");
    assert!(stderr.is_empty(), "{stderr}");
}

// Kind 3: a file is read by its own metadata.

#[test]
fn a_right_ear_first_file_puts_a_source_on_the_left_in_the_left_ear() {
    let input = noise(SAMPLE_RATE_HZ as usize / 4, 0.3);
    for name in ["right_ear_first.sofa", "right_ear_first_spherical.sofa", "kemar_small.sofa"] {
        for (azimuth, near_is_left) in [(90.0, true), (-90.0, false)] {
            let set = Arc::new(load(name));
            let out = render(
                Spatializer::Hrtf(set),
                EngineConfig::default(),
                MixSettings::default(),
                &input,
                |_| at(azimuth),
            );
            let ild_db = energy_db(&out.left) - energy_db(&out.right);
            let near_ear_louder_by = if near_is_left { ild_db } else { -ild_db };
            assert!(near_ear_louder_by > 6.0, "{name}, azimuth {azimuth}: ILD {ild_db:.1} dB");
        }
    }
    let reference = load("kemar_small.sofa");
    assert_same_filters(&load("right_ear_first.sofa"), &reference, "right ear first");
    assert_same_filters(&load("right_ear_first_spherical.sofa"), &reference, "spherical receivers");
}

#[test]
fn coordinate_types_and_the_listeners_orientation_are_read_from_the_file() {
    let reference = load("kemar_small.sofa");
    assert_same_filters(&load("sources_cartesian.sofa"), &reference, "cartesian SourcePosition");
    assert_same_filters(&load("listener_facing_y.sofa"), &reference, "ListenerView along +y");
}

#[test]
fn metadata_that_cannot_be_interpreted_is_refused_naming_the_attribute() {
    for (name, expected) in [
        (
            "sources_radian.sofa",
            "its SourcePosition is in \"radian, radian, metre\" (its Units attribute); SOFA spherical positions are in \"degree, degree, metre\"",
        ),
        (
            "sources_unknown_type.sofa",
            "its SourcePosition has the coordinate type \"polar\" (its Type attribute)",
        ),
        ("both_ears_left.sofa", "its ReceiverPosition does not put one ear on each side of the head"),
    ] {
        let message = refusal(&fixture(name));
        assert!(message.contains(expected), "{name}: {message}");
    }
}

// Kind 9: every message says what is wrong with the file in the user's terms, and what to do.

#[test]
fn every_unusable_file_gets_a_message_in_the_users_terms() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let kemar = std::fs::read(DEBIAN_DEFAULT_SOFA).unwrap();
    let small = std::fs::read(fixture("kemar_small.sofa")).unwrap();
    let random: Vec<u8> = noise(4096, 1.0).iter().map(|s| (s * 127.0 + 128.0) as u8).collect();
    let mut netcdf3 = b"CDF\x01\x00\x00\x00\x00".to_vec();
    netcdf3.resize(1024, 0);
    let cases: Vec<(PathBuf, &str)> = vec![
        (dir.path().join("none.sofa"), "not found. Check the path in your profile's [audio] hrtf"),
        (
            dir.path().to_owned(),
            "is a folder, not a SOFA file. Set your profile's [audio] hrtf to a .sofa file",
        ),
        (write("empty.sofa", b""), "it is empty (0 bytes)"),
        (write("notes.sofa", b"left ear first, then right\n"), "it is a text file, not a SOFA file"),
        (write("random.sofa", &random), "it does not start with the HDF5 signature"),
        (
            write("classic.sofa", &netcdf3),
            "it is a netCDF-3 (classic) file, but SOFA files are netCDF-4 (HDF5)",
        ),
        (
            write("cut.sofa", &kemar[..4096]),
            "it is cut short: its header says it is 1173158 bytes long, but it has only 4096",
        ),
        (write("half.sofa", &small[..small.len() / 2]), "it is cut short"),
        (
            write("appended.sofa", &[&small[..], b"extra"].concat()),
            "it has 5 bytes more than its header says",
        ),
        (
            fixture("convention_sos.sofa"),
            "it uses the SOFA convention SimpleFreeFieldSOS (DataType SOS), which Allverse cannot use; give a SimpleFreeFieldHRIR file",
        ),
        (fixture("convention_tf.sofa"), "it uses the SOFA convention SimpleFreeFieldHRTF (DataType TF)"),
        (fixture("one_receiver.sofa"), "it has a single receiver (R = 1); binaural sound needs two"),
        (fixture("no_data_ir.sofa"), "it has no Data.IR variable"),
        (
            fixture("nan_in_ir.sofa"),
            "its Data.IR holds NaN or infinite values (measurement 4 of 8, left ear)",
        ),
        (
            fixture("silent_right_ear.sofa"),
            "its impulse response for measurement 1 of 8 (right ear) is silent (all zeros in Data.IR)",
        ),
    ];
    for (path, expected) in &cases {
        let message = refusal(path);
        assert!(message.contains(expected), "{}: {message}", path.display());
        assert!(message.contains(&path.display().to_string()), "names the file: {message}");
        assert!(message.contains("[audio] hrtf"), "says what to do: {message}");
        for internal in ["Error", "error:", "ContextError", "Parse", "libmysofa", "sofar"] {
            assert!(!message.contains(internal), "leaks {internal:?}: {message}");
        }
    }
    let default_missing = HrtfSet::load_default(SAMPLE_RATE_HZ).map(|_| ()).err();
    assert!(default_missing.is_none_or(|e| e.to_string().contains("libmysofa1")));
}

#[test]
fn damaged_files_are_refused_without_a_panic_text() {
    // Damage spread over the whole file, header, attributes and data alike,
    // each copy loaded in a child so that even an abort would be seen.
    let dir = tempfile::tempdir().unwrap();
    let small = std::fs::read(fixture("kemar_small.sofa")).unwrap();
    for offset in (9..small.len()).step_by(small.len() / 24) {
        let mut damaged = small.clone();
        damaged[offset] ^= 0xa5;
        let path = dir.path().join(format!("damaged_{offset}.sofa"));
        std::fs::write(&path, &damaged).unwrap();
        let (line, stderr) = child_load(&path);
        assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{offset}: {stderr}");
        assert!(!line.contains("Error") && !line.contains("ContextError"), "{offset}: {line}");
    }
}
