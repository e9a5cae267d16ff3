//! Turns GPT-2 byte-level token strings back into the raw bytes whisper.cpp
//! stores.
//!
//! GPT-2's tokenizer writes every byte as a printable character: the 188
//! printable Latin-1 bytes stand for themselves, and the other 68 (controls,
//! space, 0x7f–0xa0, soft hyphen) are shifted to U+0100 upwards in byte order.
//! `vocabulary.txt` holds tokens in that form; ggml vocabularies hold bytes.

use anyhow::{Result, bail};

fn is_printable(byte: u8) -> bool {
    matches!(byte, b'!'..=b'~' | 0xa1..=0xac | 0xae..=0xff)
}

/// The byte each GPT-2 stand-in character represents, indexed by code point
/// (all stand-ins are below U+0144).
fn char_to_byte_table() -> [Option<u8>; 324] {
    let mut table = [None; 324];
    let mut shifted = 0;
    for byte in 0..=255u8 {
        let code = if is_printable(byte) {
            u32::from(byte)
        } else {
            shifted += 1;
            255 + shifted
        };
        table[code as usize] = Some(byte);
    }
    table
}

pub fn token_bytes(token: &str) -> Result<Vec<u8>> {
    let table = char_to_byte_table();
    token
        .chars()
        .map(|c| match table.get(c as usize).copied().flatten() {
            Some(byte) => Ok(byte),
            None => bail!("token {token:?} has {c:?}, which is not in GPT-2's byte alphabet"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_and_newline_decode() {
        assert_eq!(token_bytes("Ġthe").unwrap(), b" the");
        assert_eq!(token_bytes("Ċ").unwrap(), b"\n");
        assert_eq!(token_bytes("hello").unwrap(), b"hello");
    }

    #[test]
    fn multibyte_utf8_comes_back() {
        // "é" is 0xC3 0xA9; both bytes are printable Latin-1.
        assert_eq!(token_bytes("Ã©").unwrap(), "é".as_bytes());
    }

    #[test]
    fn every_byte_has_exactly_one_character() {
        let table = char_to_byte_table();
        let mut seen = [false; 256];
        for byte in table.iter().flatten() {
            assert!(!seen[*byte as usize]);
            seen[*byte as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn foreign_characters_are_refused() {
        assert!(token_bytes("日本").is_err());
    }
}
