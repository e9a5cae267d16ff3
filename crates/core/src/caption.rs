//! Caption text: timed word tracks and the line layout rules captions follow.
//!
//! Captions roll up: new words join the bottom line, full lines scroll up,
//! and only the last few lines stay visible. Lines are short (about 40
//! characters, the broadcast norm) so the eye can take a line in one fixation.

use serde::Deserialize;

/// How caption text is broken into lines.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CaptionLayout {
    pub max_chars_per_line: usize,
    /// Visible lines, 1 to 3.
    pub visible_lines: usize,
}

impl Default for CaptionLayout {
    fn default() -> Self {
        Self { max_chars_per_line: 40, visible_lines: 2 }
    }
}

impl CaptionLayout {
    /// Wraps `text` to this layout's line length (see [`wrap`]).
    pub fn wrap(&self, text: &str) -> Vec<String> {
        wrap(text, self.max_chars_per_line)
    }

    /// The lines a roll-up caption shows for `text`: the last `visible_lines`.
    pub fn roll_up(&self, text: &str) -> Vec<String> {
        let lines = self.wrap(text);
        let keep = self.visible_lines.clamp(1, 3);
        lines[lines.len().saturating_sub(keep)..].to_vec()
    }
}

/// Greedy word wrap to at most `max_chars_per_line` characters a line; a
/// word longer than a line is split across lines.
pub fn wrap(text: &str, max_chars_per_line: usize) -> Vec<String> {
    let max = max_chars_per_line.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > max {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            lines.push(word.drain(..max).collect());
        }
        let word: String = word.into_iter().collect();
        let needed = if current.is_empty() {
            word.chars().count()
        } else {
            current.chars().count() + 1 + word.chars().count()
        };
        if needed > max && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// One word of a timed transcript.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedWord {
    pub text: String,
    pub start_s: f32,
    pub end_s: f32,
}

/// A timed transcript (caption track) of one recording.
#[derive(Clone, Debug, PartialEq)]
pub struct WordTrack {
    pub words: Vec<TimedWord>,
}

#[derive(Deserialize)]
struct AlignmentFile {
    w: Vec<AlignmentWord>,
}

#[derive(Deserialize)]
struct AlignmentWord {
    b: f32,
    d: f32,
    t: String,
}

impl WordTrack {
    /// Reads a forced alignment in the CMU Sphinx JSON form (`{"w": [{"b", "d", "t"}]}`):
    /// silences (`<sil>`, `<s>`, `</s>`) are dropped and alternate-pronunciation
    /// marks such as `and(2)` are removed.
    pub fn from_alignment_json(text: &str) -> Result<Self, serde_json::Error> {
        let file: AlignmentFile = serde_json::from_str(text)?;
        let words = file
            .w
            .into_iter()
            .filter(|w| !w.t.starts_with('<'))
            .map(|w| {
                let text = match w.t.find('(') {
                    Some(i) if w.t.ends_with(')') => w.t[..i].to_string(),
                    _ => w.t,
                };
                TimedWord { text, start_s: w.b, end_s: w.b + w.d }
            })
            .collect();
        Ok(Self { words })
    }

    /// The words finished by `elapsed_s` into the recording, joined by spaces.
    pub fn spoken_by(&self, elapsed_s: f32) -> String {
        let done: Vec<&str> =
            self.words.iter().take_while(|w| w.end_s <= elapsed_s).map(|w| w.text.as_str()).collect();
        done.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_word_boundaries_within_the_limit() {
        let layout = CaptionLayout { max_chars_per_line: 12, visible_lines: 2 };
        assert_eq!(layout.wrap("the quick brown fox jumps"), vec!["the quick", "brown fox", "jumps"]);
        assert_eq!(layout.roll_up("the quick brown fox jumps"), vec!["brown fox", "jumps"]);
        assert_eq!(layout.wrap("supercalifragilistic"), vec!["supercalifra", "gilistic"]);
        assert!(layout.wrap("").is_empty());
        for line in CaptionLayout::default().wrap(&"word ".repeat(100)) {
            assert!(line.chars().count() <= 40);
        }
    }

    #[test]
    fn reads_sphinx_alignments() {
        let json = r#"{"b":0,"d":1.0,"w":[{"b":0.0,"d":0.2,"t":"<sil>"},{"b":0.2,"d":0.17,"t":"and(2)"},{"b":0.37,"d":0.26,"t":"mister"}]}"#;
        let track = WordTrack::from_alignment_json(json).unwrap();
        assert_eq!(track.words.len(), 2);
        assert_eq!(track.words[0].text, "and");
        assert!((track.words[1].end_s - 0.63).abs() < 1e-6);
        assert_eq!(track.spoken_by(0.5), "and");
        assert_eq!(track.spoken_by(10.0), "and mister");
        assert!(WordTrack::from_alignment_json("{\"w\": 3}").is_err());
    }
}
