//! Cleaning text that arrives from the home network before anyone sees or hears it.

/// Longest name kept, in characters; enough for "Living room ceiling light (east)".
pub const MAX_NAME_CHARS: usize = 64;

/// Longest notification or state text kept, in characters.
pub const MAX_TEXT_CHARS: usize = 512;

/// Turns control characters (they can move a terminal's cursor or confuse speech) into word breaks,
/// collapses whitespace runs, then truncates to `max_chars`, marking a cut with `…`.
pub fn clean(raw: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for word in raw.split(|c: char| c.is_whitespace() || c.is_control()) {
        let word: String = word.chars().filter(|c| !c.is_control()).collect();
        if word.is_empty() {
            continue;
        }
        for c in (!out.is_empty()).then_some(' ').into_iter().chain(word.chars()) {
            if count == max_chars {
                out.pop();
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn control_characters_go_and_long_text_is_cut() {
        assert_eq!(clean("  Front\u{1b}[2J door\n\tbell\u{0} ", 64), "Front [2J door bell");
        let cut = clean(&"x".repeat(10_000), 8);
        assert_eq!(cut, "xxxxxxx…");
        assert_eq!(cut.chars().count(), 8);
        assert_eq!(clean("short", 8), "short");
    }
}
