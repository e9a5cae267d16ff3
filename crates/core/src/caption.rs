//! Caption text: the line layout rules captions follow, and the lines a caption panel shows.
//!
//! Captions roll up: new words join the bottom line, full lines scroll up,
//! and only the last few lines stay visible. Lines are short (about 40
//! characters, the broadcast norm) so the eye can take a line in one fixation.

use crate::caption_placement::Arrow;
use crate::panel_text::PanelLine;

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

/// A person's name as a caption's first line: with the arrow that points
/// the way to turn when they are out of view (`<< Ana:`).
pub fn speaker_label(name: &str, arrow: Option<Arrow>) -> String {
    match arrow {
        Some(arrow) => format!("{} {name}:", arrow.symbol()),
        None => format!("{name}:"),
    }
}

/// The lines of one person's live caption: their label in bold, the
/// committed words rolled up, then (when shown) the words that may still
/// change on a dimmer line trailed by an ellipsis, so they are told apart
/// without relying on colour.
pub fn speaker_caption_lines(
    label: String,
    committed: &str,
    partial: Option<&str>,
    layout: &CaptionLayout,
) -> Vec<PanelLine> {
    let mut lines = vec![PanelLine::bold(label)];
    lines.extend(layout.roll_up(committed).into_iter().map(PanelLine::regular));
    if let Some(partial) = partial.filter(|p| !p.is_empty()) {
        let last = layout.roll_up(partial).pop().unwrap_or_default();
        lines.push(PanelLine::tentative(format!("{last} …")));
    }
    lines
}

/// Who said what, as (speaker name, their turn's text), oldest first.
pub type CaptionHistory = [(String, String)];

/// The caption history panel's lines: a title, then each turn's speaker in
/// bold and their words wrapped, `visible_lines` of them ending
/// `lines_back` lines before the latest.
pub fn history_lines(history: &CaptionHistory, lines_back: usize, visible_lines: usize) -> Vec<PanelLine> {
    let layout = CaptionLayout { visible_lines, ..CaptionLayout::default() };
    let mut lines: Vec<PanelLine> = Vec::new();
    for (name, turn) in history {
        lines.push(PanelLine::bold(format!("{name}:")));
        lines.extend(layout.wrap(turn).into_iter().map(PanelLine::regular));
    }
    let end = lines.len().saturating_sub(lines_back).max(visible_lines.min(lines.len()));
    lines.truncate(end);
    let mut lines = lines.split_off(end.saturating_sub(visible_lines));
    if lines.is_empty() {
        lines.push(PanelLine::regular("Nothing has been captioned yet."));
    }
    lines.insert(0, PanelLine::bold("Caption history"));
    lines
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
    fn a_caption_names_its_speaker_and_marks_unsure_words() {
        let layout = CaptionLayout::default();
        let lines = speaker_caption_lines(speaker_label("Ana", None), "hello there", Some("and"), &layout);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Ana:", "hello there", "and …"]);
        assert_eq!(lines[2].weight, crate::panel_text::LineWeight::Tentative);
        let behind = speaker_label("Ana", Some(Arrow::Right));
        assert_eq!(behind, format!("{} Ana:", Arrow::Right.symbol()));
        assert_eq!(speaker_caption_lines(behind, "hi", None, &layout).len(), 2, "no partial line");
    }

    #[test]
    fn history_scrolls_back_from_the_latest_line() {
        let history = vec![("Ana".to_string(), "one".to_string()), ("Ben".to_string(), "two".to_string())];
        let texts = |lines: Vec<PanelLine>| lines.into_iter().map(|l| l.text).collect::<Vec<_>>();
        assert_eq!(texts(history_lines(&history, 0, 8)), ["Caption history", "Ana:", "one", "Ben:", "two"]);
        assert_eq!(texts(history_lines(&history, 0, 2)), ["Caption history", "Ben:", "two"]);
        assert_eq!(texts(history_lines(&history, 2, 2)), ["Caption history", "Ana:", "one"]);
        assert_eq!(texts(history_lines(&[], 0, 8)), ["Caption history", "Nothing has been captioned yet."]);
    }
}
