//! WAV header sizes that cannot be trusted, shown to the decoder as "unknown" so that it reads what the file holds.
//!
//! Two sizes in a WAV header are written last, and so are often wrong: the
//! RIFF size (a writer that appends a chunk and forgets it; 0 from a
//! recorder that crashed) and the `data` chunk size (0 from a recorder that
//! crashed before it could fill it in). The RIFF size says nothing the
//! decoder needs (it stops at the end of the audio), and a data size of 0
//! in a file that goes on is a lie; both are shown to the decoder as
//! 0xFFFFFFFF, the "unknown, read to the end" that ffmpeg writes to a pipe.
//! A data size larger than the file is kept: the decoder then reports the
//! file as cut off, which is what happened.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use symphonia::core::io::MediaSource;

/// Chunks before `data` looked at, at most: real files have a handful.
const MAX_CHUNKS: usize = 64;

/// A WAV file as the decoder reads it: the file's bytes with some 4-byte sizes replaced by 0xFFFFFFFF.
pub(super) struct PatchedWav {
    file: File,
    len: u64,
    position: u64,
    /// Offsets of the sizes shown as unknown.
    unknown_sizes: Vec<u64>,
    /// The data chunk said it was empty, but the file goes on.
    pub(super) unfinished: bool,
}

impl PatchedWav {
    /// Walks the chunk headers (not their contents) up to `data` and decides which sizes to hide.
    pub(super) fn new(mut file: File) -> io::Result<Self> {
        let len = file.metadata()?.len();
        let mut unknown_sizes = vec![4];
        let mut unfinished = false;
        let mut offset = 12u64;
        for _ in 0..MAX_CHUNKS {
            let mut header = [0u8; 8];
            file.seek(SeekFrom::Start(offset))?;
            if file.read_exact(&mut header).is_err() {
                break;
            }
            let size = u64::from(u32::from_le_bytes([header[4], header[5], header[6], header[7]]));
            if &header[..4] == b"data" {
                if size == 0 && len > offset + 8 {
                    unknown_sizes.push(offset + 4);
                    unfinished = true;
                }
                break;
            }
            // Chunks are padded to an even length.
            offset += 8 + size + (size & 1);
        }
        file.seek(SeekFrom::Start(0))?;
        Ok(Self { file, len, position: 0, unknown_sizes, unfinished })
    }
}

impl Read for PatchedWav {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        let start = self.position;
        for &size_at in &self.unknown_sizes {
            for byte_at in size_at..size_at + 4 {
                if (start..start + n as u64).contains(&byte_at) {
                    buf[(byte_at - start) as usize] = 0xFF;
                }
            }
        }
        self.position += n as u64;
        Ok(n)
    }
}

impl Seek for PatchedWav {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.position = self.file.seek(to)?;
        Ok(self.position)
    }
}

impl MediaSource for PatchedWav {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}
