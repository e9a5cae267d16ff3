//! Caption words: how recognised text is cut into words and put back together.
//!
//! Hyphenated compounds are kept as separate words with the hyphen on the
//! first part ("cold-" "hearted"). Whisper often hears the first part of a
//! compound before the rest ("rather cold" one pass, "rather cold-hearted"
//! the next); as parts, the later pass simply extends the committed text
//! instead of disagreeing with it, which would repeat "cold". Joining glues
//! a part ending in a hyphen to the next word, so readers see the compound.

/// Splits text into words, and hyphenated compounds into their parts.
pub fn split(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for word in text.split_whitespace() {
        let parts: Vec<&str> = word.split('-').collect();
        // Only real compounds: "well-known", not a dash or a cut-off "emm-".
        if parts.len() > 1 && parts.iter().all(|part| part.chars().any(char::is_alphanumeric)) {
            let (last, first) = parts.split_last().expect("two or more parts");
            words.extend(first.iter().map(|part| format!("{part}-")));
            words.push((*last).to_owned());
        } else {
            words.push(word.to_owned());
        }
    }
    words
}

/// Appends `words` (already joined text) to `text`, with a space unless
/// `text` ends in the first part of a compound.
pub fn append(text: &mut String, words: &str) {
    if words.is_empty() {
        return;
    }
    if !text.is_empty() && !ends_compound_part(text) {
        text.push(' ');
    }
    text.push_str(words);
}

/// Joins words into display text, re-forming compounds.
pub fn join<S: AsRef<str>>(words: &[S]) -> String {
    let mut text = String::new();
    for word in words {
        append(&mut text, word.as_ref());
    }
    text
}

fn ends_compound_part(text: &str) -> bool {
    let mut chars = text.chars().rev();
    chars.next() == Some('-') && chars.next().is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compounds_split_into_parts_and_join_back() {
        let words = split("rather cold-hearted and ill-disposed.");
        assert_eq!(words, ["rather", "cold-", "hearted", "and", "ill-", "disposed."]);
        assert_eq!(join(&words), "rather cold-hearted and ill-disposed.");
        assert_eq!(split("a well-to-do man"), ["a", "well-", "to-", "do", "man"]);
    }

    #[test]
    fn dashes_and_cut_off_words_stay_whole() {
        assert_eq!(split("the more emm-"), ["the", "more", "emm-"]);
        assert_eq!(split("wait - what"), ["wait", "-", "what"]);
        assert_eq!(split("so-- anyway"), ["so--", "anyway"]);
    }

    #[test]
    fn appending_continues_a_compound() {
        let mut text = String::from("rather cold-");
        append(&mut text, "hearted and");
        assert_eq!(text, "rather cold-hearted and");
        append(&mut text, "");
        append(&mut text, "rather");
        assert_eq!(text, "rather cold-hearted and rather");
        let mut empty = String::new();
        append(&mut empty, "Unless");
        assert_eq!(empty, "Unless");
    }
}
