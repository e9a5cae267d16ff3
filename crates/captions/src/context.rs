//! What a speaker said before the audio being decoded, given to Whisper as its prompt.
//!
//! A pass over a short buffer has little to go on for its first words, and
//! tiny models guess wildly there ("How to marry the more" for "Had he
//! married a more", in every pass over the first two seconds of one
//! LibriVox sentence). With the speaker's previous sentences as a prompt,
//! the same passes hear it right. Only earlier utterances are used: text of
//! the utterance being decoded would be heard twice.

use crate::words;

/// About two sentences: enough context, and a short prompt keeps passes cheap
/// (whisper_streaming uses 200 characters too).
const MAX_CHARS: usize = 200;

#[derive(Clone, Debug, Default)]
pub struct SpeakerContext {
    earlier: String,
    current: String,
}

impl SpeakerContext {
    /// The prompt for a pass over the current utterance.
    pub fn prompt(&self) -> &str {
        &self.earlier
    }

    /// Words of the current utterance, as committed.
    pub fn committed(&mut self, text: &str) {
        words::append(&mut self.current, text);
    }

    /// The current utterance is over; its words become context.
    pub fn utterance_ended(&mut self) {
        words::append(&mut self.earlier, &self.current);
        self.current.clear();
        // A NUL cannot go to whisper.cpp, and Whisper never writes one.
        self.earlier.retain(|c| c != '\0');
        if self.earlier.len() > MAX_CHARS {
            let cut = self.earlier.len() - MAX_CHARS;
            // Start at a word: the first space at or after the cut.
            let start = self.earlier[cut..].find(' ').map_or(self.earlier.len(), |i| cut + i + 1);
            self.earlier.drain(..start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_earlier_utterances_are_the_prompt() {
        let mut context = SpeakerContext::default();
        context.committed("He was not");
        context.committed("an ill-disposed young man.");
        assert_eq!(context.prompt(), "");
        context.utterance_ended();
        assert_eq!(context.prompt(), "He was not an ill-disposed young man.");
        context.committed("Unless to be");
        assert_eq!(context.prompt(), "He was not an ill-disposed young man.");
    }

    #[test]
    fn the_prompt_keeps_the_latest_whole_words() {
        let mut context = SpeakerContext::default();
        for i in 0..100 {
            context.committed(&format!("word{i}"));
            context.utterance_ended();
        }
        let prompt = context.prompt();
        assert!(prompt.len() <= MAX_CHARS, "{}", prompt.len());
        assert!(prompt.ends_with("word99"));
        assert!(prompt.split(' ').all(|w| w.starts_with("word") && w.len() > 4), "{prompt}");
    }
}
