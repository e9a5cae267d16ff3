//! Word error rate, with Whisper-style text normalisation.
//!
//! The normaliser follows the parts of Whisper's `EnglishTextNormalizer`
//! that matter for read speech: case, punctuation, bracketed annotations,
//! hyphens and apostrophes. Scores are therefore comparable to published
//! Whisper WERs on clean read speech. Small numbers written as digits count
//! as their words; larger numbers and spelling variants are left alone.

pub fn normalize_word(word: &str) -> String {
    word.chars()
        .filter_map(|c| match c {
            c if c.is_alphanumeric() => Some(c.to_lowercase().next().unwrap_or(c)),
            _ => None,
        })
        .collect()
}

/// Abbreviations Whisper writes that read-speech transcripts spell out
/// (a subset of Whisper's own standardisation list).
const SPELLED_OUT: &[(&str, &str)] = &[
    ("mr", "mister"),
    ("mrs", "missus"),
    ("dr", "doctor"),
    ("st", "saint"),
    ("prof", "professor"),
    // Whisper writes small numbers as digits; references spell them.
    ("0", "zero"),
    ("1", "one"),
    ("2", "two"),
    ("3", "three"),
    ("4", "four"),
    ("5", "five"),
    ("6", "six"),
    ("7", "seven"),
    ("8", "eight"),
    ("9", "nine"),
    ("10", "ten"),
    ("11", "eleven"),
    ("12", "twelve"),
    ("20", "twenty"),
];

pub fn normalize(text: &str) -> Vec<String> {
    let mut depth = 0usize;
    let mut unbracketed = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth = depth.saturating_sub(1),
            '-' | '—' | '–' if depth == 0 => unbracketed.push(' '),
            _ if depth == 0 => unbracketed.push(c),
            _ => {}
        }
    }
    unbracketed
        .split_whitespace()
        .map(normalize_word)
        .filter(|w| !w.is_empty())
        .map(|w| SPELLED_OUT.iter().find(|(short, _)| *short == w).map_or(w, |(_, long)| (*long).to_owned()))
        .collect()
}

/// Edit-distance alignment of two word sequences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alignment {
    pub errors: usize,
    pub reference_len: usize,
    /// (reference index, hypothesis index) of every word that matched.
    pub matches: Vec<(usize, usize)>,
}

impl Alignment {
    pub fn wer(&self) -> f64 {
        self.errors as f64 / self.reference_len.max(1) as f64
    }

    /// The longest run of consecutive reference words that `other` (another
    /// hypothesis aligned to the same reference) has and this one lacks, in
    /// words: speech one transcript shows and the other silently lost.
    pub fn longest_run_lost_from(&self, other: &Alignment) -> usize {
        let mut has = vec![false; self.reference_len];
        for &(reference, _) in &self.matches {
            has[reference] = true;
        }
        let mut other_has = vec![false; self.reference_len];
        for &(reference, _) in other.matches.iter().filter(|(r, _)| *r < self.reference_len) {
            other_has[reference] = true;
        }
        let (mut longest, mut run) = (0, 0);
        for (has, other_has) in has.into_iter().zip(other_has) {
            run = if other_has && !has { run + 1 } else { 0 };
            longest = longest.max(run);
        }
        longest
    }
}

pub fn align(reference: &[String], hypothesis: &[String]) -> Alignment {
    let (n, m) = (reference.len(), hypothesis.len());
    let mut cost = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in cost.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in cost[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let substitution = cost[i - 1][j - 1] + usize::from(reference[i - 1] != hypothesis[j - 1]);
            cost[i][j] = substitution.min(cost[i - 1][j] + 1).min(cost[i][j - 1] + 1);
        }
    }
    let mut matches = Vec::new();
    let (mut i, mut j) = (n, m);
    while i > 0 && j > 0 {
        let same = reference[i - 1] == hypothesis[j - 1];
        if cost[i][j] == cost[i - 1][j - 1] + usize::from(!same) {
            if same {
                matches.push((i - 1, j - 1));
            }
            i -= 1;
            j -= 1;
        } else if cost[i][j] == cost[i - 1][j] + 1 {
            i -= 1;
        } else {
            j -= 1;
        }
    }
    matches.reverse();
    Alignment { errors: cost[n][m], reference_len: n, matches }
}

pub fn wer(reference: &str, hypothesis: &str) -> f64 {
    align(&normalize(reference), &normalize(hypothesis)).wer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_ignores_case_punctuation_and_brackets() {
        assert_eq!(
            normalize("Well, Mr. Dashwood's [laughs] self-denial!"),
            ["well", "mister", "dashwoods", "self", "denial"]
        );
    }

    #[test]
    fn counts_substitutions_insertions_and_deletions() {
        assert_eq!(wer("the cat sat", "the cat sat"), 0.0);
        assert!((wer("the cat sat on the mat", "the bat sat on mat") - 2.0 / 6.0).abs() < 1e-12);
        assert!((wer("a b", "a b c d") - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_longest_lost_run_counts_only_words_the_other_transcript_has() {
        let reference = normalize("one two three four five six");
        let full = align(&reference, &normalize("one two three four five six"));
        let gap = align(&reference, &normalize("one five six"));
        let also_gap = align(&reference, &normalize("one two five six"));
        assert_eq!(gap.longest_run_lost_from(&full), 3);
        assert_eq!(gap.longest_run_lost_from(&also_gap), 1);
        assert_eq!(full.longest_run_lost_from(&gap), 0);
    }

    #[test]
    fn alignment_reports_matched_pairs() {
        let a = align(&normalize("one two three four"), &normalize("one three four five"));
        assert_eq!(a.matches, [(0, 0), (2, 1), (3, 2)]);
        assert_eq!(a.errors, 2);
    }
}
