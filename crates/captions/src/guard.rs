//! Guards against Whisper's hallucinations.
//!
//! Whisper was trained on subtitled video, so on silence or noise it tends
//! to "hear" the phrases that end videos, and on hard audio its decoder can
//! fall into a loop repeating one phrase. A caption user cannot tell either
//! from real speech, so both are removed here rather than shown.
//!
//! People repeat themselves too, most of all when it matters ("No, no, no,
//! do not open that door", "Help, help, help"), and a deaf user must never
//! lose a warning because it was repeated. So a repeated phrase is not cut
//! for being repeated: only when the audio and the decoder show that it was
//! not said. A decoder loop runs until it is stopped, so it fills the token
//! budget and ends the text still repeating; and it writes more words than
//! the voiced audio (as the voice detector measured it) had time to hold.
//! A phrase the speaker really repeated ends where the speaker moved on or
//! stopped, with the decoder ending the text itself, in audio long enough
//! to say it.

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
/// Words allowed beyond the rate, so that a short burst ("Stop!") and a word
/// cut off at the end of a buffer are not counted against it.
const EXTRA_WORDS: f32 = 2.0;
/// A phrase of up to this many words repeated [`REPEATS`] times in a row
/// is a repetition worth judging.
const MAX_PHRASE_WORDS: usize = 4;
/// Two in a row is ordinary English ("that that"); from three on, a
/// repetition is either emphasis or a decoder loop.
const REPEATS: usize = 3;

/// Token budget for a buffer: enough for fast speech, too little for a loop
/// to run long, which also bounds a pass's cost. A decoder that reaches it
/// did not end its text itself (see [`Decoded::ended`]).
pub fn max_tokens_for(seconds: f32) -> i32 {
    (seconds * 8.0) as i32 + 8
}

/// What one decoding pass produced.
#[derive(Clone, Copy, Debug)]
pub struct Decoded<'a> {
    /// The decoder's text.
    pub text: &'a str,
    /// Whether the decoder ended the text itself with its end-of-text
    /// token; `false` when it was stopped by the token budget.
    pub ended: bool,
    /// Whisper's probability that the buffer holds no speech, 0–1.
    pub no_speech_probability: f32,
}

/// The audio a pass decoded, as the voice detector saw it.
#[derive(Clone, Copy, Debug)]
pub struct Heard {
    /// Length of the buffer, seconds.
    pub audio_s: f32,
    /// How much of it was voice, seconds: at most `audio_s`.
    pub voiced_s: f32,
}

/// Turns raw decoder text into the words worth showing: always a leading
/// run of the text's words.
pub fn clean(decoded: Decoded, heard: Heard) -> Vec<String> {
    if decoded.no_speech_probability > NO_SPEECH_MAX {
        return Vec::new();
    }
    let mut words: Vec<String> = decoded.text.split_whitespace().map(str::to_owned).collect();
    let normalized = normalized_words(decoded.text);
    if SILENCE_PHRASES.contains(&normalized.join(" ").as_str()) && heard.audio_s < 2.0 {
        return Vec::new();
    }
    let too_many_for_the_voice = normalized.len() as f32 > speakable_words(heard.voiced_s);
    let unsupported = repetitions(&normalized)
        .find(|run| too_many_for_the_voice || is_runaway(decoded, run, normalized.len()));
    if let Some(run) = unsupported {
        words.truncate(run.start + run.phrase_words);
    }
    // A loop can also run inside one "word" ("old-s-y-y-y-y-"): keep the
    // words before it and drop that one.
    if let Some(looping) = words.iter().position(|w| has_character_loop(w)) {
        words.truncate(looping);
    }
    words.truncate(speakable_words(heard.audio_s) as usize);
    words
}

/// Whether the decoder was stopped by its token budget while repeating a
/// phrase: a loop, which also hides whatever the audio says after it.
pub fn runs_away(decoded: Decoded) -> bool {
    let normalized = normalized_words(decoded.text);
    repetitions(&normalized).any(|run| is_runaway(decoded, &run, normalized.len()))
}

/// Whether the decoder ended its text long before the voiced audio was
/// used up: without timestamps, Whisper sometimes closes the text after a
/// buffer's first sentence and leaves the rest unsaid (measured: 7 words
/// for 11 s of voice in Asterisk's 8 kHz "basic-pbx-ivr-main" prompt,
/// in every pass from 6.8 s on, the closing one included).
pub fn stopped_early(decoded: Decoded, heard: Heard) -> bool {
    decoded.ended
        && heard.voiced_s >= MIN_VOICED_S_FOR_EARLY_STOP
        && (normalized_words(decoded.text).len() as f32) < heard.voiced_s * MIN_WORDS_PER_VOICED_S
}

/// Conversational English runs at 2–3 words a second of voiced time; under
/// one word a second, over several seconds, words are missing.
const MIN_WORDS_PER_VOICED_S: f32 = 1.0;
/// Below this, a few slow words ("Well… no.") are not judged.
const MIN_VOICED_S_FOR_EARLY_STOP: f32 = 4.0;

/// The words of `text` as compared for repetition: case and punctuation
/// aside ("No," and "no." are the same word said again).
fn normalized_words(text: &str) -> Vec<String> {
    text.split_whitespace().map(crate::wer::normalize_word).collect()
}

/// A loop the budget stopped: the repetition runs to the very end.
fn is_runaway(decoded: Decoded, run: &Repetition, words: usize) -> bool {
    !decoded.ended && run.end == words
}

/// The most words a speaker can say in `seconds`.
fn speakable_words(seconds: f32) -> f32 {
    (seconds * MAX_WORDS_PER_S).ceil() + EXTRA_WORDS
}

/// A phrase said [`REPEATS`] or more times in a row: words
/// `start..end`, each word equal to the one `phrase_words` before it.
/// `end` may cut the last repeat short, as the token budget cuts a loop.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Repetition {
    start: usize,
    phrase_words: usize,
    end: usize,
}

/// Every repetition in `words`, in order, none overlapping; at each start
/// the shortest phrase is taken ("no no no no" is "no" four times).
fn repetitions(words: &[String]) -> impl Iterator<Item = Repetition> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        while start < words.len() {
            let found = (1..=MAX_PHRASE_WORDS).find_map(|phrase_words| {
                let end = (start + phrase_words..words.len())
                    .find(|&i| words[i] != words[i - phrase_words])
                    .unwrap_or(words.len());
                (end - start >= REPEATS * phrase_words).then_some(Repetition { start, phrase_words, end })
            });
            match found {
                Some(run) => {
                    start = run.end;
                    return Some(run);
                }
                None => start += 1,
            }
        }
        None
    })
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

    /// A pass the decoder ended itself, over `seconds` of audio that is all voice.
    fn ended(text: &str, seconds: f32) -> Vec<String> {
        let decoded = Decoded { text, ended: true, no_speech_probability: 0.0 };
        clean(decoded, Heard { audio_s: seconds, voiced_s: seconds })
    }

    /// A pass the token budget stopped.
    fn stopped(text: &str, seconds: f32) -> Vec<String> {
        let decoded = Decoded { text, ended: false, no_speech_probability: 0.0 };
        clean(decoded, Heard { audio_s: seconds, voiced_s: seconds })
    }

    #[test]
    fn a_text_that_ends_after_its_first_sentence_stopped_early() {
        let first = Decoded {
            text: " Thank you for calling Super Awesome Company.",
            ended: true,
            no_speech_probability: 0.0,
        };
        assert!(stopped_early(first, Heard { audio_s: 12.0, voiced_s: 11.1 }));
        assert!(!stopped_early(first, Heard { audio_s: 3.5, voiced_s: 3.0 }));
        // A budget-stopped text is a loop, judged elsewhere.
        assert!(!stopped_early(Decoded { ended: false, ..first }, Heard { audio_s: 12.0, voiced_s: 11.1 }));
    }

    #[test]
    fn silence_phrases_on_short_audio_are_dropped() {
        assert!(ended(" Thank you.", 1.0).is_empty());
        assert!(ended("you", 0.5).is_empty());
        // The same words in real, longer speech stay.
        assert_eq!(ended("Thank you.", 3.0), words("Thank you."));
    }

    #[test]
    fn no_speech_probability_discards() {
        let decoded = Decoded { text: "Something here", ended: true, no_speech_probability: 0.9 };
        assert!(clean(decoded, Heard { audio_s: 3.0, voiced_s: 3.0 }).is_empty());
    }

    #[test]
    fn repetition_loops_are_cut_to_one_occurrence() {
        assert_eq!(stopped("I said the the the the the", 5.0), words("I said the"));
        assert_eq!(stopped("and so on and so on and so on and so on", 9.0), words("and so on"));
        // The budget usually stops a loop part-way through a repeat.
        assert_eq!(stopped("and so on and so on and so on and so", 9.0), words("and so on"));
        // Two in a row is ordinary English ("that that").
        assert_eq!(stopped("he said that that was fine", 3.0), words("he said that that was fine"));
    }

    #[test]
    fn repetition_that_was_said_is_kept() {
        let warning = "No, no, no, do not open that door. The exit is on the left.";
        assert_eq!(ended(warning, 4.0), words(warning));
        // Even when the buffer ends on it (the speaker is still shouting).
        assert_eq!(ended("Help, help, help,", 1.5), words("Help, help, help,"));
        // A repetition the speaker moved on from is not the loop that
        // stopped the decoder: that one is at the end.
        assert_eq!(
            stopped("Fire! Fire! Fire! Leave the building now. Now now now now now", 4.0),
            words("Fire! Fire! Fire! Leave the building now.")
        );
    }

    #[test]
    fn repetition_the_voice_had_no_time_for_is_cut() {
        // A short burst of voice in a long buffer, heard as a phrase again and again.
        let decoded = Decoded {
            text: "Hello. Hello. Hello. Hello. Hello. Hello.",
            ended: true,
            no_speech_probability: 0.0,
        };
        assert_eq!(clean(decoded, Heard { audio_s: 10.0, voiced_s: 0.4 }), words("Hello."));
        // The same six words with the time to say them stay.
        assert_eq!(clean(decoded, Heard { audio_s: 10.0, voiced_s: 2.0 }).len(), 6);
    }

    #[test]
    fn repetitions_are_found_in_order_without_overlap() {
        let runs: Vec<_> = repetitions(&words("a b b b c d c d c d e f f f")).collect();
        assert_eq!(
            runs,
            [
                Repetition { start: 1, phrase_words: 1, end: 4 },
                Repetition { start: 4, phrase_words: 2, end: 10 },
                Repetition { start: 11, phrase_words: 1, end: 14 },
            ]
        );
        assert_eq!(repetitions(&words("he said that that was fine")).count(), 0);
    }

    #[test]
    fn loops_inside_a_word_drop_that_word() {
        assert_eq!(ended("He was not an old-s-y-y-y-y-y-y-y-", 3.0), words("He was not an"));
        assert_eq!(ended("Mississippi is fine, hmmmm", 3.0), words("Mississippi is fine,"));
    }

    #[test]
    fn more_words_than_speech_allows_are_cut() {
        let long = "word ".repeat(3) + &(0..40).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        assert!(ended(&long, 2.0).len() <= 12);
    }
}
