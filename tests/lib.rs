//! Helpers for the end-to-end tests: running scenarios and reading what they produced.

use allverse_core::profile::Profile;
use allverse_core::scenario::Scenario;
use allverse_runtime::{SessionReport, SessionSetup, Simulator};
use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the repository").to_path_buf()
}

/// Runs a scenario in the headless simulator with the default profile.
pub fn simulate(scenario: &Path, out_dir: &Path) -> (SessionReport, serde_json::Value) {
    simulate_with(scenario, Profile::default(), out_dir)
}

/// Runs a scenario in the headless simulator with `profile`.
pub fn simulate_with(
    scenario: &Path,
    profile: Profile,
    out_dir: &Path,
) -> (SessionReport, serde_json::Value) {
    simulate_scenario(Scenario::load(scenario).expect("the scenario is valid"), profile, out_dir)
}

/// Runs an already loaded (and perhaps changed) scenario in the headless simulator with `profile`.
pub fn simulate_scenario(
    scenario: Scenario,
    profile: Profile,
    out_dir: &Path,
) -> (SessionReport, serde_json::Value) {
    let setup = SessionSetup::prepare(scenario, profile, "headless").expect("the scenario's media load");
    let report =
        Simulator::new(setup, out_dir).expect("the simulator starts").run().expect("the scenario runs");
    let json = std::fs::read_to_string(out_dir.join("report.json")).expect("report.json is written");
    (report, serde_json::from_str(&json).expect("report.json is JSON"))
}

/// An RGB8 image read back from a PNG capture.
pub struct Capture {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl Capture {
    pub fn read(path: &Path) -> Self {
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).expect("capture exists")));
        let mut reader = decoder.read_info().expect("capture is a PNG");
        let mut rgb = vec![0; reader.output_buffer_size().expect("sized")];
        let info = reader.next_frame(&mut rgb).expect("capture decodes");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        rgb.truncate(info.buffer_size());
        Self { width: info.width, height: info.height, rgb }
    }

    pub fn pixels(&self) -> impl Iterator<Item = [u8; 3]> + '_ {
        self.rgb.chunks_exact(3).map(|p| [p[0], p[1], p[2]])
    }

    /// Fraction of pixels that look like panel text: a light pixel with dark
    /// panel background a few pixels to its left *and* to its right, as in
    /// a thin glyph stroke. Edges between a lit wall and a shaded ceiling
    /// have dark on one side only, so they do not count.
    pub fn panel_text_fraction(&self) -> f32 {
        const REACH_PX: u32 = 4;
        let at = |x: u32, y: u32| {
            let i = ((y * self.width + x) * 3) as usize;
            [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
        };
        let dark = |x: u32, y: u32| at(x, y).iter().all(|&c| c < 110);
        let mut count = 0;
        for y in 0..self.height {
            for x in REACH_PX..self.width - REACH_PX {
                if at(x, y).iter().all(|&c| c >= 160)
                    && (x - REACH_PX..x).any(|nx| dark(nx, y))
                    && (x + 1..=x + REACH_PX).any(|nx| dark(nx, y))
                {
                    count += 1;
                }
            }
        }
        count as f32 / (self.width * self.height) as f32
    }

    /// Fraction of pixels for which `predicate` holds.
    pub fn fraction(&self, predicate: impl Fn([u8; 3]) -> bool) -> f32 {
        self.pixels().filter(|&p| predicate(p)).count() as f32 / (self.width * self.height) as f32
    }
}

/// RMS of each ear (left, right) of a stereo float WAV between two times, in seconds.
pub fn ear_levels(path: &Path, from_s: f32, to_s: f32) -> (f32, f32) {
    let mut reader = hound::WavReader::open(path).unwrap();
    let rate = reader.spec().sample_rate as f32;
    let samples: Vec<f32> = reader.samples::<f32>().map(Result::unwrap).collect();
    let frames = &samples[2 * (from_s * rate) as usize..2 * (to_s * rate) as usize];
    let rms = |ear: usize| {
        (frames.iter().skip(ear).step_by(2).map(|s| s * s).sum::<f32>() / (frames.len() / 2) as f32).sqrt()
    };
    (rms(0), rms(1))
}
