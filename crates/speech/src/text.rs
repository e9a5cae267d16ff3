//! What may be spoken, and the errors speech can give.

/// Longer text is refused rather than tying up the voice for many minutes;
/// about 25 minutes of speech at the default rate.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// Why something could not be spoken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpeechError {
    #[error("there is nothing to say: the text is empty")]
    EmptyText,
    #[error("the text is {chars} characters long; at most {max} can be spoken at once, so split it")]
    TooLong { chars: usize, max: usize },
    #[error(
        "there is no voice called `{name}`; set speech.voice to one of: {examples} (`allverse say --list-voices` lists all)"
    )]
    UnknownVoice { name: String, examples: String },
    #[error("a speaking rate of {0} words per minute is outside what espeak-ng supports (80–450)")]
    BadRate(u32),
    #[error("speech synthesis is unavailable: {0}")]
    Unavailable(String),
}

/// Trims the text and checks it can be spoken; control characters become spaces.
pub fn prepare_text(text: &str) -> Result<String, SpeechError> {
    let cleaned: String = text.trim().chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let chars = cleaned.chars().count();
    if cleaned.trim().is_empty() {
        return Err(SpeechError::EmptyText);
    }
    if chars > MAX_TEXT_CHARS {
        return Err(SpeechError::TooLong { chars, max: MAX_TEXT_CHARS });
    }
    Ok(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_enormous_and_odd_text_get_clear_answers() {
        assert_eq!(prepare_text("  \n\t "), Err(SpeechError::EmptyText));
        let enormous = "word ".repeat(MAX_TEXT_CHARS);
        let error = prepare_text(&enormous).unwrap_err();
        assert!(error.to_string().contains("split it"), "{error}");
        assert_eq!(prepare_text(" hi\0there\n ").unwrap(), "hi there");
    }
}
