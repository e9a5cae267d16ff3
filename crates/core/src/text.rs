//! Cleaning text that arrives from outside (a home hub, a live session) before anyone sees or hears it.

/// Longest name kept, in characters; enough for "Living room ceiling light (east)".
pub const MAX_NAME_CHARS: usize = 64;

/// Longest notification or state text kept, in characters.
pub const MAX_TEXT_CHARS: usize = 512;

/// Turns control characters (they can move a terminal's cursor or confuse
/// speech) into word breaks, drops terminal escape sequences whole and the
/// invisible formatting characters that can make one name look like another
/// (bidirectional overrides and isolates, zero-width characters: Unicode
/// TR #36, "Bidirectional Text Spoofing"), collapses whitespace runs, then
/// truncates to `max_chars`, marking a cut with `…`.
pub fn clean(raw: &str, max_chars: usize) -> String {
    let raw = without_escape_sequences(raw);
    let mut out = String::new();
    let mut count = 0;
    for word in raw.split(|c: char| c.is_whitespace() || c.is_control()) {
        let word: String = word.chars().filter(|c| !c.is_control() && !is_invisible_format(*c)).collect();
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

/// Bidirectional embeddings, overrides, isolates and marks, and zero-width characters.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// `raw` with each ANSI/ECMA-48 control sequence (`ESC [` … final byte) a
/// word break: removing ESC alone would leave its parameters behind.
fn without_escape_sequences(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            // Parameters and intermediates run until a final byte in @–~.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
            out.push(' ');
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn control_characters_go_and_long_text_is_cut() {
        assert_eq!(clean("  Front\u{1b}[2J door\n\tbell\u{0} ", 64), "Front door bell");
        assert_eq!(clean("Lamp \u{1b}[31mRED\u{1b}[0m", 64), "Lamp RED");
        // A hub cannot make "roolf Door" read as "floor Door".
        assert_eq!(clean("\u{202e}roolf\u{202c} Door \u{200b}", 64), "roolf Door");
        let cut = clean(&"x".repeat(10_000), 8);
        assert_eq!(cut, "xxxxxxx…");
        assert_eq!(cut.chars().count(), 8);
        assert_eq!(clean("short", 8), "short");
    }
}
