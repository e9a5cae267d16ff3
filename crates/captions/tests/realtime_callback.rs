//! What an audio callback does with captions input never allocates.
//!
//! A microphone or voice-chat callback only calls `SpeakerInput::write`;
//! an allocation there can block on the allocator's lock and glitch audio.
//! This binary counts every allocation made inside `assert_no_alloc`.

use allverse_captions::live::{LiveCaptions, StreamFormat};
use allverse_captions::{Model, StreamConfig};
use assert_no_alloc::{AllocDisabler, assert_no_alloc, violation_count};

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

#[test]
fn writing_callback_audio_never_allocates_even_when_the_ring_is_full() {
    let model_path = allverse_core::paths::default_caption_model().expect("a cache directory");
    let model = Model::load(&model_path).expect("run `cargo xtask model` first");
    let format = StreamFormat { speaker: "you".into(), sample_rate_hz: 48_000, channels: 2 };
    let (captions, mut inputs) =
        LiveCaptions::spawn(&model, StreamConfig::default(), &[format], std::time::Instant::now()).unwrap();
    let block = vec![0.25f32; 2 * 480];

    // The negative control: the counter does see an allocation.
    assert_no_alloc(|| drop(std::hint::black_box(vec![0u8; 64])));
    let after_control = violation_count();
    assert!(after_control >= 1, "allocations inside assert_no_alloc are counted");

    // 1000 s of 10 ms stereo blocks at 48 kHz, written far faster than the
    // worker can resample and scan them, so writes also meet a full ring.
    for _ in 0..100_000 {
        assert_no_alloc(|| inputs[0].write(&block));
    }
    assert_eq!(violation_count(), after_control, "the callback path allocated");
    let dropped = captions.dropped_samples();
    drop(inputs);
    captions.stop();
    assert!(dropped > 0, "a full ring drops and counts samples instead of blocking");
}
