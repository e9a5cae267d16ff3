//! Acceptance tests of the spatializer and mixer on the offline backend, with the MIT KEMAR set.

use super::*;
use allverse_core::placement::{direction_from_yaw_pitch_deg, yaw_pitch_deg_from_direction};
use glam::Vec3;
use std::sync::{Arc, OnceLock};

fn kemar() -> Arc<HrtfSet> {
    static SET: OnceLock<Arc<HrtfSet>> = OnceLock::new();
    SET.get_or_init(|| {
        Arc::new(HrtfSet::load_default(SAMPLE_RATE_HZ).expect("install libmysofa1 (`cargo xtask setup`)"))
    })
    .clone()
}

/// Deterministic white noise in [−amplitude, amplitude].
pub(super) fn noise(len: usize, amplitude: f32) -> Vec<f32> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amplitude
        })
        .collect()
}

fn sine(len: usize, frequency_hz: f32, amplitude: f32) -> Vec<f32> {
    (0..len)
        .map(|i| amplitude * (std::f32::consts::TAU * frequency_hz * i as f32 / SAMPLE_RATE_HZ as f32).sin())
        .collect()
}

pub(super) struct Render {
    pub(super) left: Vec<f32>,
    pub(super) right: Vec<f32>,
}

/// Plays `input` from a placement that may change every block, until the voice ends.
pub(super) fn render(
    spatializer: Spatializer,
    config: EngineConfig,
    mix: MixSettings,
    input: &[f32],
    mut placement_at_block: impl FnMut(usize) -> Placement,
) -> Render {
    let (mut control, mut renderer) = engine(config, spatializer);
    control.set_mix(mix);
    let mut feed = Some(control.play(Bus::Speech, placement_at_block(0), 1.0).unwrap());
    let id = feed.as_ref().unwrap().id();
    let mut written = 0;
    let mut out = Vec::new();
    let mut block = 0;
    while control.is_playing(id) {
        if let Some(f) = feed.as_mut() {
            written += f.write(&input[written..]);
            if written == input.len() {
                feed = None;
            }
        }
        control.move_voice(id, placement_at_block(block));
        offline::render_into(&mut renderer, BLOCK_FRAMES, &mut out);
        block += 1;
        assert!(block < 100_000, "the voice never ended");
    }
    Render {
        left: out.iter().step_by(2).copied().collect(),
        right: out.iter().skip(1).step_by(2).copied().collect(),
    }
}

pub(super) fn at(azimuth_deg: f32) -> Placement {
    Placement::Head(direction_from_yaw_pitch_deg(azimuth_deg, 0.0))
}

pub(super) fn energy_db(x: &[f32]) -> f32 {
    10.0 * x.iter().map(|s| s * s).sum::<f32>().log10()
}

/// The lag (in samples) by which `right` trails `left`, by cross-correlation.
fn right_lag_samples(left: &[f32], right: &[f32], max_lag: i32) -> i32 {
    (-max_lag..=max_lag)
        .max_by(|a, b| {
            let corr = |lag: i32| -> f32 {
                (max_lag as usize..left.len() - max_lag as usize)
                    .map(|n| left[n] * right[(n as i32 + lag) as usize])
                    .sum()
            };
            corr(*a).total_cmp(&corr(*b))
        })
        .unwrap()
}

#[test]
fn a_source_on_the_left_is_louder_and_earlier_in_the_left_ear_and_the_reverse_on_the_right() {
    let input = noise(SAMPLE_RATE_HZ as usize / 2, 0.3);
    for (azimuth, near_is_left) in [(90.0, true), (-90.0, false)] {
        let out = render(
            Spatializer::Hrtf(kemar()),
            EngineConfig::default(),
            MixSettings::default(),
            &input,
            |_| at(azimuth),
        );
        let ild_db = energy_db(&out.left) - energy_db(&out.right);
        let lag = right_lag_samples(&out.left, &out.right, 60);
        let itd_ms = lag as f32 * 1000.0 / SAMPLE_RATE_HZ as f32;
        let (ild_db, itd_ms) = if near_is_left { (ild_db, itd_ms) } else { (-ild_db, -itd_ms) };
        assert!((8.0..=15.0).contains(&ild_db), "azimuth {azimuth}: ILD {ild_db:.1} dB");
        assert!((0.55..=0.8).contains(&itd_ms), "azimuth {azimuth}: ITD {itd_ms:.3} ms");
    }
}

#[test]
fn the_renderer_matches_direct_convolution_with_the_sofa_impulse_response() {
    let set = kemar();
    let direction = direction_from_yaw_pitch_deg(30.0, 10.0);
    let input = noise(BLOCK_FRAMES * 40, 0.1);
    let out = render(
        Spatializer::Hrtf(set.clone()),
        EngineConfig::default(),
        MixSettings::default(),
        &input,
        |_| Placement::Head(direction),
    );
    let [h_left, h_right] = set.impulse_responses(set.nearest(direction));
    for (rendered, h) in [(&out.left, &h_left), (&out.right, &h_right)] {
        let max_error = (0..input.len() + h.len() - 1)
            .map(|n| {
                let direct: f32 = (0..h.len())
                    .filter(|m| *m <= n && n - m < input.len())
                    .map(|m| h[m] * input[n - m])
                    .sum();
                ((rendered.get(n).copied().unwrap_or(0.0) - direct).abs(), n)
            })
            .fold((0.0, 0), |a, b| if b.0 > a.0 { b } else { a });
        assert!(max_error.0 < 1e-4, "max error {max_error:?} of {} {}", rendered.len(), h.len());
    }

    // …and those impulse responses are the SOFA file's, only scaled.
    let sofa = sofar::reader::OpenOptions::new()
        .sample_rate(SAMPLE_RATE_HZ as f32)
        .open(DEBIAN_DEFAULT_SOFA)
        .unwrap();
    let mut raw = sofar::reader::Filter::new(sofa.filter_len());
    let (az, el) = yaw_pitch_deg_from_direction(direction);
    let snapped = direction_from_yaw_pitch_deg((az / 5.0).round() * 5.0, (el / 10.0).round() * 10.0) * 1.4;
    sofa.filter(-snapped.z, -snapped.x, snapped.y, &mut raw);
    let scale = h_left.iter().map(|s| s.abs()).fold(0.0, f32::max)
        / raw.left.iter().map(|s| s.abs()).fold(0.0, f32::max);
    for (ours, theirs) in [(&h_left, &raw.left), (&h_right, &raw.right)] {
        let max_error =
            theirs.iter().zip(ours.iter()).map(|(t, o)| (t * scale - o).abs()).fold(0.0, f32::max);
        assert!(max_error < 1e-4, "ours differ from sofar's filter by {max_error}");
    }
}

/// The largest third difference, relative to the signal's peak: a click is a
/// sudden change of slope, which a smooth tone never has.
fn click_metric(x: &[f32]) -> f32 {
    let skip = 2 * BLOCK_FRAMES; // the onset of the tone itself
    let peak = x.iter().map(|s| s.abs()).fold(0.0, f32::max);
    x.windows(4).skip(skip).map(|w| (w[3] - 3.0 * w[2] + 3.0 * w[1] - w[0]).abs()).fold(0.0, f32::max) / peak
}

#[test]
fn a_moving_source_does_not_click_but_a_hard_filter_switch_does() {
    let set = kemar();
    let tone = sine(SAMPLE_RATE_HZ as usize, 1000.0, 0.3);
    let sweep =
        |block: usize| at((block as f32 * BLOCK_FRAMES as f32 / SAMPLE_RATE_HZ as f32 * 90.0).min(90.0));
    let metric = |out: &Render| click_metric(&out.left).max(click_metric(&out.right));

    let static_metric = (0..=18)
        .map(|step| {
            let out = render(
                Spatializer::Hrtf(set.clone()),
                EngineConfig::default(),
                MixSettings::default(),
                &tone[..SAMPLE_RATE_HZ as usize / 10],
                |_| at(step as f32 * 5.0),
            );
            metric(&out)
        })
        .fold(0.0, f32::max);
    let moving = metric(&render(
        Spatializer::Hrtf(set.clone()),
        EngineConfig::default(),
        MixSettings::default(),
        &tone,
        sweep,
    ));
    let hard = EngineConfig { crossfade_filters: false, ..Default::default() };
    let switched = metric(&render(Spatializer::Hrtf(set), hard, MixSettings::default(), &tone, sweep));
    assert!(moving <= 1.5 * static_metric, "moving {moving} vs static {static_metric}");
    assert!(
        switched > 1.5 * static_metric,
        "the negative control must click: {switched} vs static {static_metric}"
    );
}

#[test]
fn loudness_stays_within_one_decibel_across_a_full_azimuth_sweep() {
    let seconds = 3.6;
    let input = noise((seconds * SAMPLE_RATE_HZ as f32) as usize, 0.2);
    let out = render(
        Spatializer::Hrtf(kemar()),
        EngineConfig::default(),
        MixSettings::default(),
        &input,
        |block| at(block as f32 * BLOCK_FRAMES as f32 / SAMPLE_RATE_HZ as f32 * 360.0 / seconds),
    );
    let window = SAMPLE_RATE_HZ as usize / 10;
    let levels: Vec<f32> = (1..input.len() / window - 1)
        .map(|w| {
            let range = w * window..(w + 1) * window;
            let binaural: Vec<f32> =
                out.left[range.clone()].iter().chain(&out.right[range]).copied().collect();
            energy_db(&binaural)
        })
        .collect();
    let mean = levels.iter().sum::<f32>() / levels.len() as f32;
    let worst = levels.iter().map(|l| (l - mean).abs()).fold(0.0, f32::max);
    assert!(worst <= 1.0, "a window is {worst:.2} dB from the mean");
}

#[test]
fn mono_gives_both_ears_the_same_signal_and_balance_fades_one_side() {
    let input = noise(BLOCK_FRAMES * 20, 0.2);
    // The same noise from the left, heard through each mix.
    let heard = |mix| render(Spatializer::Hrtf(kemar()), EngineConfig::default(), mix, &input, |_| at(90.0));
    let stereo = heard(MixSettings::default());
    let mono = heard(MixSettings { mono: true, ..Default::default() });
    assert_eq!(mono.left, mono.right);
    for (m, (l, r)) in mono.left.iter().zip(stereo.left.iter().zip(&stereo.right)) {
        assert!((m - 0.5 * (l + r)).abs() < 1e-6);
    }
    let right_only = heard(MixSettings { balance: 1.0, ..Default::default() });
    assert!(right_only.left.iter().all(|s| *s == 0.0));
    assert_eq!(right_only.right, stereo.right);
    let half = heard(MixSettings { balance: 0.5, ..Default::default() });
    for (h, s) in half.left.iter().zip(&stereo.left) {
        assert!((h - 0.5 * s).abs() < 1e-6);
    }
}

#[test]
fn speech_volume_is_separate_from_scene_volume() {
    let (mut control, mut renderer) = engine(EngineConfig::default(), Spatializer::Hrtf(kemar()));
    control.set_mix(MixSettings { speech_volume: 0.0, ..Default::default() });
    let input = noise(BLOCK_FRAMES * 8, 0.2);
    let mut speech = control.play(Bus::Speech, at(0.0), 1.0).unwrap();
    speech.write(&input);
    let mut out = Vec::new();
    offline::render_into(&mut renderer, BLOCK_FRAMES * 8, &mut out);
    assert!(out.iter().all(|s| *s == 0.0), "speech at volume 0 is silent");
    let mut scene = control.play(Bus::Scene, at(0.0), 1.0).unwrap();
    scene.write(&input);
    out.clear();
    offline::render_into(&mut renderer, BLOCK_FRAMES * 8, &mut out);
    assert!(out.iter().any(|s| s.abs() > 0.01), "the scene still plays");
}

#[test]
fn distance_attenuates_beyond_the_minimum_distance() {
    let input = noise(BLOCK_FRAMES * 20, 0.2);
    let level = |distance_m: f32| {
        let out = render(
            Spatializer::Hrtf(kemar()),
            EngineConfig::default(),
            MixSettings::default(),
            &input,
            |_| Placement::World(Vec3::new(0.0, 0.0, -distance_m)),
        );
        energy_db(&out.left)
    };
    let (half, one, four) = (level(0.5), level(1.0), level(4.0));
    assert!((half - one).abs() < 0.01, "no boost inside the minimum distance");
    assert!((one - four - 12.04).abs() < 0.1, "inverse distance: {:.2} dB", one - four);
}

#[test]
fn a_stopped_voice_fades_frees_its_slot_and_tells_its_producer() {
    let (mut control, mut renderer) =
        engine(EngineConfig { voices: 1, ..Default::default() }, Spatializer::Hrtf(kemar()));
    let mut feed = control.play(Bus::Speech, at(0.0), 1.0).unwrap();
    feed.write(&noise(SAMPLE_RATE_HZ as usize / 2, 0.2));
    assert_eq!(control.play(Bus::Speech, at(0.0), 1.0).err(), Some(AudioError::NoFreeVoice(1)));
    let mut out = Vec::new();
    offline::render_into(&mut renderer, BLOCK_FRAMES * 4, &mut out);
    control.stop(feed.id());
    offline::render_into(&mut renderer, BLOCK_FRAMES * 8, &mut out);
    assert!(feed.is_stopped());
    assert!(!control.is_playing(feed.id()));
    let tail = &out[2 * BLOCK_FRAMES * 10..];
    assert!(tail.iter().all(|s| *s == 0.0), "silence after the fade and the filter tail");
    assert!(control.play(Bus::Speech, at(0.0), 1.0).is_ok(), "the slot is free again");
}

#[test]
fn a_bad_sofa_file_is_a_clear_error_and_panning_takes_over() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.sofa");
    std::fs::write(&garbage, b"this is not an HDF5 file").unwrap();
    let truncated = dir.path().join("truncated.sofa");
    std::fs::write(&truncated, &std::fs::read(DEBIAN_DEFAULT_SOFA).unwrap()[..4096]).unwrap();
    for path in [&garbage, &truncated] {
        let error = HrtfSet::load(path, SAMPLE_RATE_HZ).err().expect("must fail");
        assert!(matches!(error, HrtfError::Malformed { .. }), "{error}");
        assert!(error.to_string().contains("not a usable SOFA"), "{error}");
    }
    let missing = HrtfSet::load(&dir.path().join("none.sofa"), SAMPLE_RATE_HZ).err().unwrap();
    assert!(missing.to_string().contains("not found"), "{missing}");

    let out = render(
        Spatializer::Panning,
        EngineConfig::default(),
        MixSettings::default(),
        &noise(BLOCK_FRAMES * 10, 0.2),
        |_| at(90.0),
    );
    assert!(energy_db(&out.left) - energy_db(&out.right) > 20.0, "panned hard left");
}

#[test]
fn opening_the_audio_device_works_or_says_clearly_why_not() {
    // CI machines have no sound card; a headset or laptop does. Neither may panic.
    let (_, renderer) = engine(EngineConfig::default(), Spatializer::Panning);
    match device::open_default(renderer) {
        Ok(output) => assert!(output.block_frames.is_none_or(|frames| frames == 128 || frames == 256)),
        Err(error) => assert!(error.to_string().contains("audio output device"), "{error}"),
    }
}

#[test]
fn non_finite_samples_written_to_a_voice_play_as_silence_and_are_counted() {
    let (mut control, mut renderer) = engine(EngineConfig::default(), Spatializer::Hrtf(kemar()));
    let mut input = sine(SAMPLE_RATE_HZ as usize / 2, 440.0, 0.3);
    input[100] = f32::NAN;
    input[5_000] = f32::INFINITY;
    input[9_000] = f32::NEG_INFINITY;
    let mut feed = control.play(Bus::Speech, at(30.0), 1.0).unwrap();
    assert_eq!(feed.write(&input), input.len());
    drop(feed);
    let mut out = Vec::new();
    for _ in 0..input.len() / BLOCK_FRAMES + 8 {
        offline::render_into(&mut renderer, BLOCK_FRAMES, &mut out);
    }
    assert!(out.iter().all(|s| s.is_finite()), "a NaN would ring through the convolver for good");
    // The tone after the last hole is still heard.
    let tail = &out[2 * 12_000..2 * 20_000];
    let rms = (tail.iter().map(|s| s * s).sum::<f32>() / tail.len() as f32).sqrt();
    assert!(rms > 0.05, "rms {rms}");
    assert_eq!(control.stats().non_finite_samples, 3);
}
