//! LocalAgreement-2: commit the words two consecutive hypotheses agree on.
//!
//! Each pass re-decodes the whole utterance so far. A word is committed once
//! two passes in a row put it at the same place after the committed text;
//! committed words are never changed or taken back, which is what lets a
//! reader trust them. Everything after them is shown as partial and may
//! still change. (Macháček et al., "Turning Whisper into Real-Time
//! Transcription System", 2023.)
//!
//! Two passes a fraction of a second apart hear nearly the same audio and
//! can agree on the same mistake, so more rules hold words back: a pass's
//! last word waits for the word after it, a word Whisper was unsure of
//! waits for a pass that is sure of it, and a sentence's opening word
//! (whose own probability says little) waits for a sure word after it.

use crate::wer::normalize_word;

/// A word Whisper gave less probability than this waits, however many
/// passes agree: on a short buffer Whisper can be consistently and
/// unsurely wrong ("rather a self." at 0.36 for "rather selfish" at 0.91),
/// and consecutive passes over nearly the same audio agree on the mistake.
pub const MIN_COMMIT_CONFIDENCE: f32 = 0.5;

/// A committed word and when it became visible.
#[derive(Clone, Debug, PartialEq)]
pub struct CommittedWord {
    pub text: String,
    /// When the word first appeared on screen, as partial or committed.
    pub first_shown_s: f64,
    pub committed_s: f64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgreementUpdate {
    pub newly_committed: Vec<CommittedWord>,
    /// The whole partial tail now shown after the committed words.
    pub partial: Vec<String>,
}

#[derive(Default)]
pub struct Agreement {
    committed: Vec<String>,
    /// The previous pass's words after the committed ones.
    tentative: Vec<String>,
    /// Every word shown during this utterance: (normalised word, place in
    /// the utterance, when it first appeared there).
    shown: Vec<(String, usize, f64)>,
}

impl Agreement {
    pub fn committed(&self) -> &[String] {
        &self.committed
    }

    /// Takes the latest pass over the utterance.
    ///
    /// The pass's last word is never committed, even when agreed: Whisper
    /// ends every buffer as if the sentence ended there ("he might have been
    /// made?"), and the word may be cut off. Once more words follow it, its
    /// punctuation is the one the sentence really has.
    ///
    /// `confidence` is the pass's [`Hypothesis::confidence`](crate::recognizer::Hypothesis)
    /// (missing entries count as sure). The utterance's first word is exempt
    /// from [`MIN_COMMIT_CONFIDENCE`]: Whisper splits its probability between
    /// the capitalised and the lower-case spelling, so it rarely looks sure.
    /// Instead it is only committed together with the word after it.
    pub fn observe(&mut self, hypothesis: &[String], confidence: &[f32], now_s: f64) -> AgreementUpdate {
        let start = self.committed_prefix_len(hypothesis);
        let tail = &hypothesis[start..];
        let sure = |i: usize| {
            start + i == 0 || confidence.get(start + i).is_none_or(|&p| p >= MIN_COMMIT_CONFIDENCE)
        };
        let agreed = tail
            .iter()
            .zip(&self.tentative)
            .enumerate()
            .take_while(|(i, (new, old))| normalize_word(new) == normalize_word(old) && sure(*i))
            .count()
            .min(tail.len().saturating_sub(1));
        // With no probability of its own to go on, the opening word needs
        // the word after it to be sure and agreed too.
        let agreed = if start == 0 && agreed == 1 { 0 } else { agreed };
        let newly_committed = self.commit(&tail[..agreed], start, now_s);
        self.show(&tail[agreed..], start + agreed, now_s);
        AgreementUpdate { newly_committed, partial: tail[agreed..].to_vec() }
    }

    /// Takes a pass too early in the utterance to trust for commitment:
    /// Whisper often drops or mishears the first word of a very short
    /// buffer, and two such passes can agree on the mistake. Its words are
    /// only shown, as partial.
    pub fn preview(&mut self, hypothesis: &[String], now_s: f64) -> AgreementUpdate {
        let start = self.committed_prefix_len(hypothesis);
        let tail = &hypothesis[start..];
        self.show(tail, start, now_s);
        AgreementUpdate { newly_committed: Vec::new(), partial: tail.to_vec() }
    }

    /// The utterance is over: its last pass is final, so everything in it
    /// is committed.
    pub fn finish(&mut self, hypothesis: &[String], now_s: f64) -> AgreementUpdate {
        let start = self.committed_prefix_len(hypothesis);
        let newly_committed = self.commit(&hypothesis[start..], start, now_s);
        *self = Self::default();
        AgreementUpdate { newly_committed, partial: Vec::new() }
    }

    fn commit(&mut self, words: &[String], start: usize, now_s: f64) -> Vec<CommittedWord> {
        self.committed.extend(words.iter().cloned());
        words
            .iter()
            .enumerate()
            .map(|(i, word)| CommittedWord {
                text: word.clone(),
                first_shown_s: self.first_shown(word, start + i, now_s),
                committed_s: now_s,
            })
            .collect()
    }

    fn show(&mut self, pending: &[String], start: usize, now_s: f64) {
        for (i, word) in pending.iter().enumerate() {
            self.first_shown(word, start + i, now_s);
        }
        self.tentative = pending.to_vec();
    }

    /// When `word` first appeared at `place` in this utterance, or a word or
    /// two either side (a word before it may since have been split, merged,
    /// dropped or added); a word never shown there before is shown now.
    fn first_shown(&mut self, word: &str, place: usize, now_s: f64) -> f64 {
        let word = normalize_word(word);
        let earlier = self
            .shown
            .iter()
            .filter(|(old, at, _)| *old == word && at.abs_diff(place) <= 2)
            .map(|(_, _, shown_s)| *shown_s)
            .reduce(f64::min);
        earlier.unwrap_or_else(|| {
            self.shown.push((word, place, now_s));
            now_s
        })
    }

    /// How many leading words of `hypothesis` re-state the committed text.
    /// A new pass may merge or split a committed word, so the committed
    /// text's last word is looked for near where it should be. A pass that
    /// heard words the committed text lacks (earlier passes over a shorter
    /// buffer can drop an utterance's opening words) puts it further along:
    /// then the committed words are aligned to the pass, so that none of
    /// them is committed twice. The words the committed text lacks are not
    /// shown: committed text never changes.
    fn committed_prefix_len(&self, hypothesis: &[String]) -> usize {
        let n = self.committed.len();
        let Some(last) = self.committed.last().map(|w| normalize_word(w)) else { return 0 };
        let near = [n, n.saturating_sub(1), n + 1, n.saturating_sub(2), n + 2];
        let found = near
            .into_iter()
            .find(|&len| len >= 1 && len <= hypothesis.len() && normalize_word(&hypothesis[len - 1]) == last);
        found
            .unwrap_or_else(|| {
                let normalized =
                    |words: &[String]| words.iter().map(|w| normalize_word(w)).collect::<Vec<_>>();
                let alignment = crate::wer::align(&normalized(&self.committed), &normalized(hypothesis));
                // Only further along than the near places: a pass that revised
                // committed words in place ("hat long bean") re-states them
                // where they were.
                alignment.matches.last().map(|&(_, heard)| heard + 1).filter(|&len| len > n + 2).unwrap_or(n)
            })
            .min(hypothesis.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    fn texts(update: &AgreementUpdate) -> String {
        update.newly_committed.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn words_commit_when_two_passes_agree() {
        let mut agreement = Agreement::default();
        let first = agreement.observe(&words("the family of"), &[], 0.5);
        assert_eq!(texts(&first), "");
        assert_eq!(first.partial, words("the family of"));
        let second = agreement.observe(&words("the family of Dashwood"), &[], 1.0);
        assert_eq!(texts(&second), "the family of");
        assert_eq!(second.partial, words("Dashwood"));
        // First shown at the first pass, committed at the second.
        assert_eq!(
            (second.newly_committed[0].first_shown_s, second.newly_committed[0].committed_s),
            (0.5, 1.0)
        );
    }

    #[test]
    fn partials_are_replaced_and_committed_text_never_changes() {
        let mut agreement = Agreement::default();
        agreement.observe(&words("had long been"), &[], 0.5);
        agreement.observe(&words("had long been settled"), &[], 1.0);
        assert_eq!(agreement.committed(), words("had long been"));
        // The next pass revises the committed words; they stay as they were.
        let update = agreement.observe(&words("hat long bean settled in Sussex"), &[], 1.5);
        assert_eq!(agreement.committed()[..3], words("had long been")[..]);
        assert_eq!(texts(&update), "settled");
        assert_eq!(update.partial, words("in Sussex"));
        let update = agreement.observe(&words("had long been settled in Essex"), &[], 2.0);
        assert_eq!(texts(&update), "in");
        assert_eq!(update.partial, words("Essex"));
    }

    #[test]
    fn punctuation_and_case_changes_still_agree() {
        let mut agreement = Agreement::default();
        agreement.observe(&words("their estate was large"), &[], 0.5);
        let update = agreement.observe(&words("Their estate was large, and"), &[], 1.0);
        assert_eq!(texts(&update), "Their estate was large,");
    }

    #[test]
    fn the_last_word_of_a_pass_waits_for_the_next_word() {
        let mut agreement = Agreement::default();
        agreement.observe(&words("he might have been made?"), &[], 0.5);
        let update = agreement.observe(&words("He might have been made?"), &[], 0.8);
        assert_eq!(texts(&update), "He might have been");
        assert_eq!(update.partial, words("made?"));
        let update = agreement.observe(&words("He might have been made still more"), &[], 1.1);
        assert_eq!(texts(&update), "made");
    }

    #[test]
    fn a_word_keeps_the_time_it_was_first_shown() {
        // A pass in between heard something else; the reader had already
        // seen "Had he married" (clip 0920).
        let mut agreement = Agreement::default();
        agreement.observe(&words("Had he married him more"), &[], 1.0);
        agreement.observe(&words("How do you marry the more"), &[], 1.3);
        agreement.observe(&words("Had he married a more"), &[], 1.6);
        let update = agreement.observe(&words("Had he married a more amiable"), &[], 1.9);
        assert_eq!(texts(&update), "Had he married a more");
        let shown: Vec<f64> = update.newly_committed.iter().map(|w| w.first_shown_s).collect();
        assert_eq!(shown, [1.0, 1.0, 1.0, 1.6, 1.0]);
    }

    #[test]
    fn unsure_words_wait_even_when_passes_agree() {
        // Passes over "Unless to be rather selfish" (clip 0890) before
        // "selfish" was over, with Whisper's word probabilities.
        let mut agreement = Agreement::default();
        let early = words("unless to be rather a self.");
        agreement.observe(&early, &[0.24, 0.97, 1.0, 0.99, 0.36, 0.39], 3.1);
        let update = agreement.observe(&early, &[0.29, 0.97, 1.0, 0.99, 0.36, 0.39], 3.4);
        // The first word is exempt (its probability is split by case).
        assert_eq!(texts(&update), "unless to be rather");
        assert_eq!(update.partial, words("a self."));
        agreement.observe(&words("Unless to be rather selfish is"), &[0.29, 0.91, 1.0, 0.98, 0.91, 0.9], 3.7);
        let update = agreement.observe(
            &words("Unless to be rather selfish is to"),
            &[0.3, 0.9, 1.0, 1.0, 0.9, 0.9, 0.8],
            4.0,
        );
        assert_eq!(texts(&update), "selfish is");
    }

    #[test]
    fn the_opening_word_waits_for_a_sure_word_after_it() {
        // tiny.en's passes over the first 1.5–1.9 s of "Had he married a
        // more amiable woman" (clip 0920), with its word probabilities.
        let mut agreement = Agreement::default();
        let misheard = words("How to marry the more amiable");
        let unsure = [0.24, 0.32, 0.69, 0.49, 0.94, 0.51];
        agreement.observe(&misheard, &unsure, 1.6);
        assert_eq!(texts(&agreement.observe(&misheard, &unsure, 1.9)), "");
        agreement.observe(
            &words("Had he married a more amiable"),
            &[0.23, 0.79, 0.96, 0.81, 0.99, 0.62],
            2.2,
        );
        let update = agreement.observe(
            &words("Had he married a more amiable woman"),
            &[0.33, 0.7, 0.98, 0.9, 1.0, 0.84, 0.45],
            2.5,
        );
        assert_eq!(texts(&update), "Had he married a more amiable");
    }

    #[test]
    fn a_word_that_grows_into_a_compound_is_not_repeated() {
        // Whisper heard "cold" before the rest of "cold-hearted" (clip 0890).
        let mut agreement = Agreement::default();
        agreement.observe(&crate::words::split("Unless to be rather cold."), &[], 1.5);
        let update = agreement.observe(&crate::words::split("Unless to be rather cold, hard."), &[], 1.8);
        assert_eq!(texts(&update), "Unless to be rather cold,");
        agreement.observe(&crate::words::split("I'd less to be rather cold-hearted and"), &[], 2.1);
        let update =
            agreement.observe(&crate::words::split("Unless to be rather cold-hearted and rather"), &[], 2.4);
        assert_eq!(texts(&update), "hearted and");
        let mut shown = String::from("Unless to be rather cold,");
        crate::words::append(&mut shown, "hearted and");
        assert_eq!(shown, "Unless to be rather cold, hearted and");
    }

    #[test]
    fn previews_show_words_without_committing_them() {
        let mut agreement = Agreement::default();
        let update = agreement.preview(&words("Mr. John"), 0.3);
        assert_eq!((texts(&update).as_str(), update.partial.clone()), ("", words("Mr. John")));
        agreement.preview(&words("Mr. John"), 0.6);
        assert!(agreement.committed().is_empty());
        let update = agreement.observe(&words("And Mr. John Dashwood"), &[], 0.9);
        assert_eq!(texts(&update), "");
        let update = agreement.observe(&words("And Mr. John Dashwood had"), &[], 1.2);
        assert_eq!(texts(&update), "And Mr. John Dashwood");
        // "Mr." was on screen from the first preview; "And" moved it along.
        assert_eq!(update.newly_committed[1].first_shown_s, 0.3);
        assert_eq!(update.newly_committed[0].first_shown_s, 0.9);
    }

    #[test]
    fn a_final_pass_that_heard_more_commits_no_word_twice() {
        // Early passes dropped "help, help, help"; the final pass has it.
        let mut agreement = Agreement::default();
        agreement.observe(&words("I have fallen in the"), &[], 3.6);
        agreement.observe(&words("I have fallen in the queue"), &[], 3.9);
        assert_eq!(agreement.committed(), words("I have fallen in the"));
        let update = agreement.finish(&words("Help, help, help, I have fallen in the kitchen."), 4.8);
        assert_eq!(texts(&update), "kitchen.");
    }

    #[test]
    fn finishing_commits_the_last_pass() {
        let mut agreement = Agreement::default();
        agreement.observe(&words("and their residence"), &[], 0.5);
        let update = agreement.finish(&words("and their residence was at Norland Park."), 1.2);
        assert_eq!(texts(&update), "and their residence was at Norland Park.");
        assert_eq!(update.newly_committed[0].first_shown_s, 0.5);
        assert_eq!(update.newly_committed[4].first_shown_s, 1.2);
        assert!(update.partial.is_empty());
        assert!(agreement.committed().is_empty());
    }
}
