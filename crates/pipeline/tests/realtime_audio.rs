//! The audio callback never allocates, even while voices start, move, stop and end around it.
//!
//! Every allocation made inside `assert_no_alloc` is counted. Locks and
//! logging are ruled out by construction (the renderer holds no mutex and
//! no logger), and both would allocate on first use anyway.

use allverse_core::placement::direction_from_yaw_pitch_deg;
use allverse_pipeline::audio::{
    self, BLOCK_FRAMES, Bus, EngineConfig, HrtfSet, Placement, SAMPLE_RATE_HZ, Spatializer,
};
use assert_no_alloc::{AllocDisabler, assert_no_alloc, violation_count};
use std::sync::Arc;

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

#[test]
fn rendering_never_allocates_under_load() {
    let set =
        Arc::new(HrtfSet::load_default(SAMPLE_RATE_HZ).expect("install libmysofa1 (`cargo xtask setup`)"));
    for spatializer in [Spatializer::Hrtf(set), Spatializer::Panning] {
        let (mut control, mut renderer) = audio::engine(EngineConfig::default(), spatializer);
        let mut out = vec![0.0f32; 2 * BLOCK_FRAMES];

        assert_no_alloc(|| drop(std::hint::black_box(vec![0u8; 64])));
        let baseline = violation_count();
        assert!(baseline >= 1, "the negative control: an allocation inside is counted");

        let chunk: Vec<f32> = (0..BLOCK_FRAMES).map(|i| ((i * 7919) % 255) as f32 / 255.0 - 0.5).collect();
        let mut feeds = Vec::new();
        // 3 s of blocks: 32 voices moving every block, some stopped, some
        // ending on their own, new ones started, and the mix changed.
        for block in 0..(3 * SAMPLE_RATE_HZ as usize / BLOCK_FRAMES) {
            while feeds.len() < 32 {
                let azimuth = (feeds.len() * 11) as f32;
                feeds.push(
                    control
                        .play(
                            Bus::Speech,
                            Placement::Head(direction_from_yaw_pitch_deg(azimuth, 0.0) * 2.0),
                            0.1,
                        )
                        .unwrap(),
                );
            }
            for (i, feed) in feeds.iter_mut().enumerate() {
                feed.write(&chunk);
                let azimuth = (block * 3 + i * 11) as f32;
                control.move_voice(
                    feed.id(),
                    Placement::Head(direction_from_yaw_pitch_deg(azimuth, (i % 5) as f32 * 10.0) * 2.0),
                );
            }
            if block % 50 == 0 {
                control.stop(feeds.remove(0).id());
                drop(feeds.remove(0)); // ends on its own, then its tail plays out
            }
            if block % 97 == 0 {
                control.set_mix(audio::MixSettings {
                    balance: 0.2,
                    mono: block % 2 == 0,
                    ..Default::default()
                });
            }
            control.set_head_pose(audio::Pose {
                orientation: glam::Quat::from_rotation_y(block as f32 * 0.01),
                ..Default::default()
            });
            assert_no_alloc(|| renderer.process(&mut out));
        }
        assert_eq!(violation_count(), baseline, "the audio callback allocated");
        assert!(control.stats().blocks > 1000);
    }
}
