//! Guards against Whisper's hallucinations.
//!
//! Whisper was trained on subtitled video, so on silence or noise it tends
//! to "hear" the phrases that end videos, and on hard audio its decoder can
//! fall into a loop repeating one phrase. A caption user cannot tell either
//! from real speech, so both are removed here rather than shown.

/// Whole-hypothesis phrases Whisper produces from silence or noise.
const SILENCE_PHRASES: &[&str] = &[
    "you",
    "thank you",
    "thanks",
    "thanks for watching",
    "thank you for watching",
    "thank you so much for watching",
    "please subscribe",
    "subscribe",
    "bye",
    "so",
    "the end",
];

/// Above this no-speech probability, a hypothesis is discarded.
const NO_SPEECH_MAX: f32 = 0.6;
/// Fast English speech is about 4 words a second.
const MAX_WORDS_PER_S: f32 = 5.0;
/// A phrase repeated this many times in a row is a decoder loop.
const LOOP_REPEATS: usize = 3;

/// Token budget for a buffer: enough for fast speech, too little for a loop
/// to run long, which also bounds a pass's cost.
pub fn max_tokens_for(seconds: f32) -> i32 {
    (seconds * 8.0) as i32 + 8
}

/// Turns raw decoder text into the words worth showing.
pub fn clean(text: &str, speech_s: f32, no_speech_probability: f32) -> Vec<String> {
    if no_speech_probability > NO_SPEECH_MAX {
        return Vec::new();
    }
    let mut words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    let normalized: Vec<String> = words.iter().map(|w| crate::wer::normalize_word(w)).collect();
    if SILENCE_PHRASES.contains(&normalized.join(" ").as_str()) && speech_s < 2.0 {
        return Vec::new();
    }
    if let Some(loop_start) = find_loop(&normalized) {
        words.truncate(loop_start);
    }
    // A loop can also run inside one "word" ("old-s-y-y-y-y-"): keep the
    // words before it and drop that one.
    if let Some(looping) = words.iter().position(|w| has_character_loop(w)) {
        words.truncate(looping);
    }
    let max_words = (speech_s * MAX_WORDS_PER_S).ceil() as usize + 2;
    words.truncate(max_words);
    words
}

/// Where the second occurrence of a phrase repeated `LOOP_REPEATS` times in
/// a row begins: everything from there on is the loop.
fn find_loop(words: &[String]) -> Option<usize> {
    for start in 0..words.len() {
        for len in 1..=4 {
            let repeats = (1..)
                .take_while(|k| {
                    let at = start + k * len;
                    at + len <= words.len() && words[at..at + len] == words[start..start + len]
                })
                .count();
            if repeats + 1 >= LOOP_REPEATS {
                return Some(start + len);
            }
        }
    }
    None
}

/// Whether a pattern of up to four characters repeats four or more times in a row.
fn has_character_loop(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    (1..=4).any(|len| {
        (0..chars.len()).any(|start| {
            let repeats = (1..)
                .take_while(|k| {
                    let at = start + k * len;
                    at + len <= chars.len() && chars[at..at + len] == chars[start..start + len]
                })
                .count();
            repeats + 1 >= 4 && chars[start..start + len].iter().any(|c| c.is_alphabetic())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn silence_phrases_on_short_audio_are_dropped() {
        assert!(clean(" Thank you.", 1.0, 0.1).is_empty());
        assert!(clean("you", 0.5, 0.1).is_empty());
        // The same words in real, longer speech stay.
        assert_eq!(clean("Thank you.", 3.0, 0.1), words("Thank you."));
    }

    #[test]
    fn no_speech_probability_discards() {
        assert!(clean("Something here", 3.0, 0.9).is_empty());
    }

    #[test]
    fn repetition_loops_are_cut_to_one_occurrence() {
        assert_eq!(clean("I said the the the the the", 5.0, 0.0), words("I said the"));
        assert_eq!(clean("and so on and so on and so on and so on", 9.0, 0.0), words("and so on"));
        // Two in a row is ordinary English ("that that").
        assert_eq!(clean("he said that that was fine", 3.0, 0.0), words("he said that that was fine"));
    }

    #[test]
    fn loops_inside_a_word_drop_that_word() {
        assert_eq!(clean("He was not an old-s-y-y-y-y-y-y-y-", 3.0, 0.0), words("He was not an"));
        assert_eq!(clean("Mississippi is fine, hmmmm", 3.0, 0.0), words("Mississippi is fine,"));
    }

    #[test]
    fn more_words_than_speech_allows_are_cut() {
        let long = "word ".repeat(3) + &(0..40).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        assert!(clean(&long, 2.0, 0.0).len() <= 12);
    }
}
