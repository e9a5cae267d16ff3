//! Reads CTranslate2 model files (`model.bin`, format version 6).
//!
//! Layout: a u32 format version, the spec name (u16 length, bytes with a
//! trailing NUL), a u32 spec revision and a u32 variable count; then each
//! variable as name, u8 rank, that many u32 dims, u8 dtype, u32 byte count and
//! the data; then u32 alias count and (alias, target) name pairs. All little
//! endian.

use anyhow::{Context, Result, bail, ensure};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    F32,
    I8,
    I16,
    I32,
    F16,
}

impl DType {
    fn from_code(code: u8) -> Result<Self> {
        Ok(match code {
            0 => Self::F32,
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::F16,
            other => bail!("unknown CTranslate2 dtype code {other}"),
        })
    }

    fn size_bytes(self) -> usize {
        match self {
            Self::I8 => 1,
            Self::I16 | Self::F16 => 2,
            Self::F32 | Self::I32 => 4,
        }
    }
}

/// One named tensor, row-major, outermost dimension first.
#[derive(Clone, Debug)]
pub struct Variable {
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub data: Vec<u8>,
}

impl Variable {
    /// The values as f32, whatever the stored float type.
    pub fn to_f32(&self) -> Result<Vec<f32>> {
        match self.dtype {
            DType::F32 => {
                Ok(self.data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
            }
            DType::F16 => {
                Ok(self.data.chunks_exact(2).map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]]))).collect())
            }
            other => bail!("expected a float tensor, found {other:?}"),
        }
    }
}

#[derive(Debug)]
pub struct Ct2Model {
    pub spec: String,
    pub variables: BTreeMap<String, Variable>,
    /// Alias name → the variable it shares storage with.
    pub aliases: BTreeMap<String, String>,
}

impl Ct2Model {
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let mut reader = Reader { bytes, at: 0 };
        let version = reader.u32()?;
        ensure!(version == 6, "CTranslate2 model format version {version} is not supported (expected 6)");
        let spec = reader.string()?;
        let _spec_revision = reader.u32()?;
        let count = reader.u32()?;
        let mut variables = BTreeMap::new();
        for _ in 0..count {
            let name = reader.string()?;
            let rank = reader.u8()?;
            let shape = (0..rank).map(|_| reader.u32().map(|d| d as usize)).collect::<Result<Vec<_>>>()?;
            let dtype = DType::from_code(reader.u8()?)?;
            let byte_count = reader.u32()? as usize;
            let expected = shape.iter().product::<usize>() * dtype.size_bytes();
            ensure!(
                byte_count == expected,
                "variable {name}: {byte_count} bytes stored, shape {shape:?} of {dtype:?} needs {expected}"
            );
            let data = reader.take(byte_count).with_context(|| format!("variable {name}"))?.to_vec();
            variables.insert(name, Variable { shape, dtype, data });
        }
        let mut aliases = BTreeMap::new();
        if reader.remaining() > 0 {
            for _ in 0..reader.u32()? {
                let alias = reader.string()?;
                let target = reader.string()?;
                aliases.insert(alias, target);
            }
        }
        Ok(Self { spec, variables, aliases })
    }

    pub fn get(&self, name: &str) -> Result<&Variable> {
        let resolved = self.aliases.get(name).map_or(name, String::as_str);
        self.variables.get(resolved).with_context(|| format!("the model has no variable {name}"))
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.bytes.len()).with_context(|| {
            format!("file ends early: {n} bytes wanted at offset {} of {}", self.at, self.bytes.len())
        })?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Result<String> {
        let length = self.u16()? as usize;
        let bytes = self.take(length)?;
        let text = bytes.strip_suffix(&[0]).unwrap_or(bytes);
        String::from_utf8(text.to_vec()).context("a name in the model file is not UTF-8")
    }
}

/// IEEE 754 half → single precision, exact for every half value.
pub fn f16_to_f32(bits: u16) -> f32 {
    let sign = u32::from(bits >> 15) << 31;
    let exponent = u32::from((bits >> 10) & 0x1f);
    let mantissa = u32::from(bits & 0x3ff);
    let magnitude = match (exponent, mantissa) {
        (0, 0) => 0,
        // Subnormal half: value = mantissa × 2^-24, normal as a float.
        (0, _) => {
            let value = mantissa as f32 * 2f32.powi(-24);
            return if sign == 0 { value } else { -value };
        }
        (0x1f, _) => 0x7f80_0000 | (mantissa << 13),
        _ => ((exponent + 127 - 15) << 23) | (mantissa << 13),
    };
    f32::from_bits(sign | magnitude)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push_string(out: &mut Vec<u8>, s: &str) {
        out.extend(((s.len() + 1) as u16).to_le_bytes());
        out.extend(s.as_bytes());
        out.push(0);
    }

    fn tiny_file() -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(6u32.to_le_bytes());
        push_string(&mut out, "WhisperSpec");
        out.extend(3u32.to_le_bytes());
        out.extend(1u32.to_le_bytes());
        push_string(&mut out, "a/weight");
        out.push(2);
        out.extend(2u32.to_le_bytes());
        out.extend(1u32.to_le_bytes());
        out.push(4);
        out.extend(4u32.to_le_bytes());
        out.extend(0x3c00u16.to_le_bytes()); // 1.0
        out.extend(0xc000u16.to_le_bytes()); // -2.0
        out.extend(1u32.to_le_bytes());
        push_string(&mut out, "b/weight");
        push_string(&mut out, "a/weight");
        out
    }

    #[test]
    fn parses_variables_and_aliases() {
        let model = Ct2Model::parse(&tiny_file()).unwrap();
        assert_eq!(model.spec, "WhisperSpec");
        let a = model.get("b/weight").unwrap();
        assert_eq!(a.shape, [2, 1]);
        assert_eq!(a.to_f32().unwrap(), [1.0, -2.0]);
    }

    #[test]
    fn truncated_file_is_an_error_not_a_panic() {
        let file = tiny_file();
        for cut in [3, 10, 30, file.len() - 3] {
            assert!(Ct2Model::parse(&file[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn half_precision_conversion() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x8001), -(2f32.powi(-24)));
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert!(f16_to_f32(0x7e00).is_nan());
    }
}
