//! Maps a CTranslate2 Whisper model onto whisper.cpp's ggml file layout.
//!
//! The ggml file is: magic `ggml`, eleven i32 hyper-parameters, the mel
//! filter bank (i32 rows, i32 columns, f32 values), the vocabulary (i32 count,
//! then i32 length + bytes per token), then tensors (i32 rank, i32 name length,
//! i32 type, dims innermost first, name, data) until the end of the file.
//! whisper.cpp checks every tensor's name, shape and byte size and refuses a
//! file that lacks any, so the mapping below must be complete.

use super::ct2::{Ct2Model, DType, Variable};
use anyhow::{Context, Result, bail, ensure};
use std::io::Write;

const GGML_MAGIC: u32 = 0x6767_6d6c;
const GGML_TYPE_F32: i32 = 0;
const GGML_TYPE_F16: i32 = 1;
const GGML_TYPE_Q8_0: i32 = 8;
/// whisper.cpp's file type for "mostly q8_0", tagged with ggml's
/// quantisation format version (2) × 1000.
const GGML_FTYPE_Q8_0_V2: i32 = 2 * 1000 + 7;
/// q8_0 packs 32 weights as one f16 scale and 32 signed bytes.
const Q8_0_BLOCK: usize = 32;
/// whisper.cpp's English-only vocabulary: 50256 byte-level tokens, then
/// `<|endoftext|>` and the special tokens it derives from `n_vocab` itself.
pub const REGULAR_TOKENS: usize = 50_256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HyperParams {
    pub n_vocab: usize,
    pub n_audio_ctx: usize,
    pub n_audio_state: usize,
    pub n_audio_head: usize,
    pub n_audio_layer: usize,
    pub n_text_ctx: usize,
    pub n_text_state: usize,
    pub n_text_head: usize,
    pub n_text_layer: usize,
    pub n_mels: usize,
}

impl HyperParams {
    pub fn read(model: &Ct2Model) -> Result<Self> {
        ensure!(model.spec == "WhisperSpec", "not a Whisper model: the spec is {}", model.spec);
        let embeddings = model.get("decoder/embeddings/weight")?;
        let encoder_positions = model.get("encoder/position_encodings/encodings")?;
        let decoder_positions = model.get("decoder/position_encodings/encodings")?;
        let conv1 = model.get("encoder/conv1/weight")?;
        Ok(Self {
            n_vocab: embeddings.shape[0],
            n_audio_ctx: encoder_positions.shape[0],
            n_audio_state: encoder_positions.shape[1],
            n_audio_head: scalar(model.get("encoder/num_heads")?)?,
            n_audio_layer: count_layers(model, "encoder"),
            n_text_ctx: decoder_positions.shape[0],
            n_text_state: embeddings.shape[1],
            n_text_head: scalar(model.get("decoder/num_heads")?)?,
            n_text_layer: count_layers(model, "decoder"),
            n_mels: conv1.shape[1],
        })
    }

    fn fields(&self) -> [usize; 10] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
        ]
    }
}

fn scalar(variable: &Variable) -> Result<usize> {
    let value = match (variable.dtype, variable.data.as_slice()) {
        (DType::I8, [b]) => i64::from(*b as i8),
        (DType::I16, [a, b]) => i64::from(i16::from_le_bytes([*a, *b])),
        (DType::I32, [a, b, c, d]) => i64::from(i32::from_le_bytes([*a, *b, *c, *d])),
        _ => bail!("expected an integer scalar, found {:?} of shape {:?}", variable.dtype, variable.shape),
    };
    usize::try_from(value).context("a negative count in the model")
}

fn count_layers(model: &Ct2Model, stack: &str) -> usize {
    (0..)
        .take_while(|i| model.variables.contains_key(&format!("{stack}/layer_{i}/ffn/linear_0/weight")))
        .count()
}

/// Tensor data as whisper.cpp wants it: big matrices stay half precision,
/// biases, norms, positions and conv biases become f32.
#[derive(Clone, Debug, PartialEq)]
pub enum TensorData {
    F16(Vec<u8>),
    F32(Vec<f32>),
    Q8_0(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub name: String,
    /// Outermost dimension first, as in PyTorch.
    pub shape: Vec<usize>,
    pub data: TensorData,
}

/// Splits fused projections along the output (first) dimension.
fn split_rows(variable: &Variable, parts: usize) -> Result<Vec<Variable>> {
    let rows = variable.shape[0];
    ensure!(rows.is_multiple_of(parts), "cannot split {rows} rows into {parts}");
    let part_bytes = variable.data.len() / parts;
    Ok(variable
        .data
        .chunks_exact(part_bytes)
        .map(|chunk| {
            let mut shape = variable.shape.clone();
            shape[0] = rows / parts;
            Variable { shape, dtype: variable.dtype, data: chunk.to_vec() }
        })
        .collect())
}

struct Mapper<'a> {
    model: &'a Ct2Model,
    tensors: Vec<Tensor>,
}

impl Mapper<'_> {
    fn push(&mut self, name: String, variable: &Variable, keep_half: bool) -> Result<()> {
        let data = if keep_half && variable.dtype == DType::F16 {
            TensorData::F16(variable.data.clone())
        } else {
            TensorData::F32(variable.to_f32().with_context(|| format!("tensor {name}"))?)
        };
        self.tensors.push(Tensor { name, shape: variable.shape.clone(), data });
        Ok(())
    }

    fn weight(&mut self, to: &str, from: &str) -> Result<()> {
        let variable = self.model.get(&format!("{from}/weight"))?;
        self.push(format!("{to}.weight"), variable, true)
    }

    fn bias(&mut self, to: &str, from: &str) -> Result<()> {
        let variable = self.model.get(&format!("{from}/bias"))?;
        self.push(format!("{to}.bias"), variable, false)
    }

    fn linear(&mut self, to: &str, from: &str) -> Result<()> {
        self.weight(to, from)?;
        self.bias(to, from)
    }

    fn layer_norm(&mut self, to: &str, from: &str) -> Result<()> {
        self.push(format!("{to}.weight"), self.model.get(&format!("{from}/gamma"))?, false)?;
        self.push(format!("{to}.bias"), self.model.get(&format!("{from}/beta"))?, false)
    }

    /// Whisper's key projections have no bias; CTranslate2 fills the key
    /// slice of a fused bias with zeros. Anything else would mean the fusion
    /// is laid out differently than assumed, so refuse rather than drop it.
    fn fused(&mut self, to: &str, from: &str, names: &[&str]) -> Result<()> {
        let weights = split_rows(self.model.get(&format!("{from}/weight"))?, names.len())?;
        let biases = split_rows(self.model.get(&format!("{from}/bias"))?, names.len())?;
        for ((name, weight), bias) in names.iter().zip(&weights).zip(&biases) {
            self.push(format!("{to}.{name}.weight"), weight, true)?;
            if *name == "key" {
                let values = bias.to_f32()?;
                ensure!(values.iter().all(|&v| v == 0.0), "{from}: the key bias is not zero");
            } else {
                self.push(format!("{to}.{name}.bias"), bias, false)?;
            }
        }
        Ok(())
    }

    fn block(&mut self, to: &str, from: &str, cross_attention: bool) -> Result<()> {
        self.layer_norm(&format!("{to}.attn_ln"), &format!("{from}/self_attention/layer_norm"))?;
        self.fused(
            &format!("{to}.attn"),
            &format!("{from}/self_attention/linear_0"),
            &["query", "key", "value"],
        )?;
        self.linear(&format!("{to}.attn.out"), &format!("{from}/self_attention/linear_1"))?;
        if cross_attention {
            self.layer_norm(&format!("{to}.cross_attn_ln"), &format!("{from}/attention/layer_norm"))?;
            self.linear(&format!("{to}.cross_attn.query"), &format!("{from}/attention/linear_0"))?;
            self.fused(
                &format!("{to}.cross_attn"),
                &format!("{from}/attention/linear_1"),
                &["key", "value"],
            )?;
            self.linear(&format!("{to}.cross_attn.out"), &format!("{from}/attention/linear_2"))?;
        }
        self.layer_norm(&format!("{to}.mlp_ln"), &format!("{from}/ffn/layer_norm"))?;
        self.linear(&format!("{to}.mlp.0"), &format!("{from}/ffn/linear_0"))?;
        self.linear(&format!("{to}.mlp.2"), &format!("{from}/ffn/linear_1"))
    }
}

/// Every tensor whisper.cpp loads, under its whisper.cpp name.
pub fn whisper_tensors(model: &Ct2Model, params: &HyperParams) -> Result<Vec<Tensor>> {
    let mut mapper = Mapper { model, tensors: Vec::new() };
    mapper.push(
        "encoder.positional_embedding".into(),
        model.get("encoder/position_encodings/encodings")?,
        false,
    )?;
    for conv in ["conv1", "conv2"] {
        mapper.linear(&format!("encoder.{conv}"), &format!("encoder/{conv}"))?;
        // whisper.cpp adds the conv bias as a [state, 1] column.
        let bias = mapper.tensors.last_mut().expect("just pushed");
        bias.shape.push(1);
    }
    for layer in 0..params.n_audio_layer {
        mapper.block(&format!("encoder.blocks.{layer}"), &format!("encoder/layer_{layer}"), false)?;
    }
    mapper.layer_norm("encoder.ln_post", "encoder/layer_norm")?;

    mapper.push(
        "decoder.positional_embedding".into(),
        model.get("decoder/position_encodings/encodings")?,
        false,
    )?;
    mapper.weight("decoder.token_embedding", "decoder/embeddings")?;
    for layer in 0..params.n_text_layer {
        mapper.block(&format!("decoder.blocks.{layer}"), &format!("decoder/layer_{layer}"), true)?;
    }
    mapper.layer_norm("decoder.ln", "decoder/layer_norm")?;
    Ok(mapper.tensors)
}

/// Quantises every half-precision matrix to q8_0, as whisper.cpp's own
/// quantiser does: 2-D weights only; the 3-D conv kernels stay f16 (the
/// loader expects them so) and vectors stay f32.
pub fn quantize_q8_0(tensors: &mut [Tensor]) {
    for tensor in tensors.iter_mut().filter(|t| t.shape.len() == 2) {
        if let TensorData::F16(bytes) = &tensor.data {
            let values: Vec<f32> = bytes
                .chunks_exact(2)
                .map(|b| super::ct2::f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect();
            tensor.data = TensorData::Q8_0(q8_0_blocks(&values));
        }
    }
}

fn q8_0_blocks(values: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() / Q8_0_BLOCK * (2 + Q8_0_BLOCK));
    for block in values.chunks(Q8_0_BLOCK) {
        let max = block.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let scale = max / 127.0;
        let inverse = if scale > 0.0 { 1.0 / scale } else { 0.0 };
        out.extend(f32_to_f16(scale).to_le_bytes());
        out.extend(block.iter().map(|v| (v * inverse).round() as i8 as u8));
    }
    out
}

/// Single → half precision, rounding to nearest even (finite inputs).
fn f32_to_f16(value: f32) -> u16 {
    let bits = value.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exponent = ((bits >> 23) & 0xff) as i32 - 127 + 15;
    let mantissa = bits & 0x7f_ffff;
    if exponent >= 0x1f {
        return sign | 0x7c00;
    }
    if exponent <= 0 {
        if exponent < -10 {
            return sign;
        }
        let full = mantissa | 0x80_0000;
        let shift = (14 - exponent) as u32;
        let half = full >> shift;
        let rest = full & ((1 << shift) - 1);
        let halfway = 1 << (shift - 1);
        let round_up = rest > halfway || (rest == halfway && half & 1 == 1);
        return sign | (half + u32::from(round_up)) as u16;
    }
    let half = ((exponent as u32) << 10) | (mantissa >> 13);
    let rest = mantissa & 0x1fff;
    let round_up = rest > 0x1000 || (rest == 0x1000 && half & 1 == 1);
    sign | (half + u32::from(round_up)) as u16
}

/// Writes a complete ggml model file.
pub fn write(
    out: &mut impl Write,
    params: &HyperParams,
    mel_filters: &[f32],
    vocabulary: &[Vec<u8>],
    tensors: &[Tensor],
) -> Result<()> {
    let i32_of =
        |n: usize| -> Result<[u8; 4]> { Ok(i32::try_from(n).context("count exceeds i32")?.to_le_bytes()) };
    out.write_all(&GGML_MAGIC.to_le_bytes())?;
    for field in params.fields() {
        out.write_all(&i32_of(field)?)?;
    }
    let quantized = tensors.iter().any(|t| matches!(t.data, TensorData::Q8_0(_)));
    let file_type = if quantized { GGML_FTYPE_Q8_0_V2 } else { GGML_TYPE_F16 };
    out.write_all(&file_type.to_le_bytes())?;

    out.write_all(&i32_of(params.n_mels)?)?;
    out.write_all(&i32_of(mel_filters.len() / params.n_mels)?)?;
    for value in mel_filters {
        out.write_all(&value.to_le_bytes())?;
    }

    out.write_all(&i32_of(vocabulary.len())?)?;
    for token in vocabulary {
        out.write_all(&i32_of(token.len())?)?;
        out.write_all(token)?;
    }

    for tensor in tensors {
        let kind = match tensor.data {
            TensorData::F16(_) => GGML_TYPE_F16,
            TensorData::F32(_) => GGML_TYPE_F32,
            TensorData::Q8_0(_) => GGML_TYPE_Q8_0,
        };
        out.write_all(&i32_of(tensor.shape.len())?)?;
        out.write_all(&i32_of(tensor.name.len())?)?;
        out.write_all(&kind.to_le_bytes())?;
        for dim in tensor.shape.iter().rev() {
            out.write_all(&i32_of(*dim)?)?;
        }
        out.write_all(tensor.name.as_bytes())?;
        match &tensor.data {
            TensorData::F16(bytes) | TensorData::Q8_0(bytes) => out.write_all(bytes)?,
            TensorData::F32(values) => {
                for value in values {
                    out.write_all(&value.to_le_bytes())?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ct2::f16_to_f32;

    #[test]
    fn half_precision_round_trips_and_rounds_to_nearest() {
        for bits in [0x0000u16, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x3555, 0x8400] {
            assert_eq!(f32_to_f16(f16_to_f32(bits)), bits, "{bits:#06x}");
        }
        assert_eq!(f32_to_f16(1.0 + 1.0 / 4096.0), 0x3c00, "a quarter ulp rounds down");
        assert_eq!(f32_to_f16(1.0 + 3.0 / 2048.0), 0x3c02, "a tie rounds to even");
    }

    #[test]
    fn q8_0_blocks_hold_a_scale_and_32_bytes_and_reconstruct_closely() {
        let values: Vec<f32> = (0..64).map(|i| ((i as f32) * 0.37).sin()).collect();
        let blocks = q8_0_blocks(&values);
        assert_eq!(blocks.len(), 2 * 34);
        for (block, original) in blocks.chunks(34).zip(values.chunks(32)) {
            let scale = f16_to_f32(u16::from_le_bytes([block[0], block[1]]));
            let max = original.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            for (q, v) in block[2..].iter().zip(original) {
                assert!((f32::from(*q as i8) * scale - v).abs() <= max / 127.0, "{v}");
            }
        }
    }
}
