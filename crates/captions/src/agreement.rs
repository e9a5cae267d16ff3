//! LocalAgreement-2: commit the words two consecutive hypotheses agree on.
//!
//! Each pass re-decodes the whole utterance so far. A word is committed once
//! two passes in a row put it at the same place after the committed text;
//! committed words are never changed or taken back, which is what lets a
//! reader trust them. Everything after them is shown as partial and may
//! still change. (Macháček et al., "Turning Whisper into Real-Time
//! Transcription System", 2023.)

use crate::wer::normalize_word;

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
    /// The previous pass's words after the committed ones, with the time each
    /// was first shown.
    tentative: Vec<(String, f64)>,
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
    pub fn observe(&mut self, hypothesis: &[String], now_s: f64) -> AgreementUpdate {
        let tail = &hypothesis[self.committed_prefix_len(hypothesis)..];
        let agreed = tail
            .iter()
            .zip(&self.tentative)
            .take_while(|(new, (old, _))| normalize_word(new) == normalize_word(old))
            .count()
            .min(tail.len().saturating_sub(1));
        let newly_committed: Vec<CommittedWord> = tail[..agreed]
            .iter()
            .zip(&self.tentative)
            .map(|(word, (_, shown_s))| CommittedWord {
                text: word.clone(),
                first_shown_s: *shown_s,
                committed_s: now_s,
            })
            .collect();
        self.committed.extend(tail[..agreed].iter().cloned());
        self.retain_tentative(&tail[agreed..], agreed, now_s);
        AgreementUpdate { newly_committed, partial: tail[agreed..].to_vec() }
    }

    /// Takes a pass too early in the utterance to trust for commitment:
    /// Whisper often drops or mishears the first word of a very short
    /// buffer, and two such passes can agree on the mistake. Its words are
    /// shown as partial and keep their first-shown times.
    pub fn preview(&mut self, hypothesis: &[String], now_s: f64) -> AgreementUpdate {
        let tail = &hypothesis[self.committed_prefix_len(hypothesis)..];
        self.retain_tentative(tail, 0, now_s);
        AgreementUpdate { newly_committed: Vec::new(), partial: tail.to_vec() }
    }

    /// The utterance is over: its last pass is final, so everything in it
    /// is committed.
    pub fn finish(&mut self, hypothesis: &[String], now_s: f64) -> AgreementUpdate {
        let tail = &hypothesis[self.committed_prefix_len(hypothesis)..];
        let newly_committed = tail
            .iter()
            .enumerate()
            .map(|(i, word)| CommittedWord {
                text: word.clone(),
                first_shown_s: first_shown(&self.tentative, i, word, now_s),
                committed_s: now_s,
            })
            .collect();
        self.committed.clear();
        self.tentative.clear();
        AgreementUpdate { newly_committed, partial: Vec::new() }
    }

    /// Words a new pass shows at the same place keep their first-shown time.
    fn retain_tentative(&mut self, pending: &[String], skipped: usize, now_s: f64) {
        let previous: Vec<(String, f64)> = self.tentative.drain(..).skip(skipped).collect();
        self.tentative = pending
            .iter()
            .enumerate()
            .map(|(i, word)| (word.clone(), first_shown(&previous, i, word, now_s)))
            .collect();
    }

    /// How many leading words of `hypothesis` re-state the committed text.
    /// A new pass may merge or split a committed word, so the committed
    /// text's last word is looked for near where it should be.
    fn committed_prefix_len(&self, hypothesis: &[String]) -> usize {
        let n = self.committed.len();
        let Some(last) = self.committed.last().map(|w| normalize_word(w)) else { return 0 };
        let near = [n, n.saturating_sub(1), n + 1, n.saturating_sub(2), n + 2];
        near.into_iter()
            .find(|&len| len >= 1 && len <= hypothesis.len() && normalize_word(&hypothesis[len - 1]) == last)
            .unwrap_or(n)
            .min(hypothesis.len())
    }
}

/// When `word`, now at position `i`, was first shown: earlier if the
/// previous pass had it there too, else now.
fn first_shown(previous: &[(String, f64)], i: usize, word: &str, now_s: f64) -> f64 {
    previous
        .get(i)
        .filter(|(old, _)| normalize_word(old) == normalize_word(word))
        .map_or(now_s, |(_, shown)| *shown)
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
        let first = agreement.observe(&words("the family of"), 0.5);
        assert_eq!(texts(&first), "");
        assert_eq!(first.partial, words("the family of"));
        let second = agreement.observe(&words("the family of Dashwood"), 1.0);
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
        agreement.observe(&words("had long been"), 0.5);
        agreement.observe(&words("had long been settled"), 1.0);
        assert_eq!(agreement.committed(), words("had long been"));
        // The next pass revises the committed words; they stay as they were.
        let update = agreement.observe(&words("hat long bean settled in Sussex"), 1.5);
        assert_eq!(agreement.committed()[..3], words("had long been")[..]);
        assert_eq!(texts(&update), "settled");
        assert_eq!(update.partial, words("in Sussex"));
        let update = agreement.observe(&words("had long been settled in Essex"), 2.0);
        assert_eq!(texts(&update), "in");
        assert_eq!(update.partial, words("Essex"));
    }

    #[test]
    fn punctuation_and_case_changes_still_agree() {
        let mut agreement = Agreement::default();
        agreement.observe(&words("their estate was large"), 0.5);
        let update = agreement.observe(&words("Their estate was large, and"), 1.0);
        assert_eq!(texts(&update), "Their estate was large,");
    }

    #[test]
    fn the_last_word_of_a_pass_waits_for_the_next_word() {
        let mut agreement = Agreement::default();
        agreement.observe(&words("he might have been made?"), 0.5);
        let update = agreement.observe(&words("He might have been made?"), 0.8);
        assert_eq!(texts(&update), "He might have been");
        assert_eq!(update.partial, words("made?"));
        let update = agreement.observe(&words("He might have been made still more"), 1.1);
        assert_eq!(texts(&update), "made");
    }

    #[test]
    fn a_word_that_grows_into_a_compound_is_not_repeated() {
        // Whisper heard "cold" before the rest of "cold-hearted" (clip 0890).
        let mut agreement = Agreement::default();
        agreement.observe(&crate::words::split("Unless to be rather cold."), 1.5);
        let update = agreement.observe(&crate::words::split("Unless to be rather cold, hard."), 1.8);
        assert_eq!(texts(&update), "Unless to be rather cold,");
        agreement.observe(&crate::words::split("I'd less to be rather cold-hearted and"), 2.1);
        let update =
            agreement.observe(&crate::words::split("Unless to be rather cold-hearted and rather"), 2.4);
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
        let update = agreement.observe(&words("And Mr. John Dashwood"), 0.9);
        assert_eq!(texts(&update), "");
        let update = agreement.observe(&words("And Mr. John Dashwood had"), 1.2);
        assert_eq!(texts(&update), "And Mr. John Dashwood");
        assert_eq!(update.newly_committed[1].first_shown_s, 0.9, "shown at another place before");
    }

    #[test]
    fn finishing_commits_the_last_pass() {
        let mut agreement = Agreement::default();
        agreement.observe(&words("and their residence"), 0.5);
        let update = agreement.finish(&words("and their residence was at Norland Park."), 1.2);
        assert_eq!(texts(&update), "and their residence was at Norland Park.");
        assert_eq!(update.newly_committed[0].first_shown_s, 0.5);
        assert_eq!(update.newly_committed[4].first_shown_s, 1.2);
        assert!(update.partial.is_empty());
        assert!(agreement.committed().is_empty());
    }
}
