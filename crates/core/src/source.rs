//! Hand-written files: read within bounds, and problems in them located by line and column.

use std::io::Read;
use std::path::Path;

/// The largest scenario, event or profile file read: about a hundred times
/// the largest real one, and small enough that a device or a wrong path
/// handed over by mistake cannot fill memory.
pub const MAX_TEXT_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a text file of at most [`MAX_TEXT_FILE_BYTES`]. Folders, devices
/// and pipes are refused before anything is read (reading `/dev/zero` would
/// never end); invalid UTF-8 is an `InvalidData` error, as with
/// [`std::fs::read_to_string`].
pub fn read_text_file(path: &Path) -> std::io::Result<String> {
    let refuse = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, what);
    let metadata = std::fs::metadata(path)?;
    if metadata.is_dir() {
        return Err(refuse("it is a folder, not a file".into()));
    }
    if !metadata.is_file() {
        return Err(refuse("it is a device or a pipe, not a file".into()));
    }
    if metadata.len() > MAX_TEXT_FILE_BYTES {
        return Err(refuse(format!(
            "it is {} bytes; files like this are at most {MAX_TEXT_FILE_BYTES} bytes",
            metadata.len()
        )));
    }
    let mut text = String::new();
    std::fs::File::open(path)?.take(MAX_TEXT_FILE_BYTES).read_to_string(&mut text)?;
    Ok(text)
}

/// 1-based line and column of a byte offset in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A TOML error as one line: "line L, column C: what is wrong". The
/// parser's own rendering spans several lines with a source excerpt, which
/// reads badly in a headset panel or a log line.
pub(crate) fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim_end();
    match error.span() {
        Some(span) => {
            let (line, column) = line_column(text, span.start);
            format!("line {line}, column {column}: {message}")
        }
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn devices_and_folders_are_refused_before_reading() {
        let zero = read_text_file(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(zero.contains("device or a pipe"), "{zero}");
        let folder = read_text_file(Path::new("/tmp")).unwrap_err().to_string();
        assert!(folder.contains("folder"), "{folder}");
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.toml");
        std::fs::File::create(&big).unwrap().set_len(MAX_TEXT_FILE_BYTES + 1).unwrap();
        assert!(read_text_file(&big).unwrap_err().to_string().contains("at most"));
    }

    #[test]
    fn lines_and_columns_are_one_based() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é\nx", 3), (2, 1));
        let error = toml::from_str::<toml::Table>("a = 1\nb = = 2").unwrap_err();
        assert!(describe_toml_error("a = 1\nb = = 2", &error).starts_with("line 2, column 5: "));
    }
}
