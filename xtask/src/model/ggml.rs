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
    ensure!(rows % parts == 0, "cannot split {rows} rows into {parts}");
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
    out.write_all(&GGML_TYPE_F16.to_le_bytes())?;

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
        };
        out.write_all(&i32_of(tensor.shape.len())?)?;
        out.write_all(&i32_of(tensor.name.len())?)?;
        out.write_all(&kind.to_le_bytes())?;
        for dim in tensor.shape.iter().rev() {
            out.write_all(&i32_of(*dim)?)?;
        }
        out.write_all(tensor.name.as_bytes())?;
        match &tensor.data {
            TensorData::F16(bytes) => out.write_all(bytes)?,
            TensorData::F32(values) => {
                for value in values {
                    out.write_all(&value.to_le_bytes())?;
                }
            }
        }
    }
    Ok(())
}
