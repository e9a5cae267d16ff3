//! Reference word timings for the captions bench: when each word of a recording was spoken.

use serde::Deserialize;

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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sphinx_alignments() {
        let json = r#"{"b":0,"d":1.0,"w":[{"b":0.0,"d":0.2,"t":"<sil>"},{"b":0.2,"d":0.17,"t":"and(2)"},{"b":0.37,"d":0.26,"t":"mister"}]}"#;
        let track = WordTrack::from_alignment_json(json).unwrap();
        assert_eq!(track.words.len(), 2);
        assert_eq!(track.words[0].text, "and");
        assert!((track.words[1].end_s - 0.63).abs() < 1e-6);
        assert!(WordTrack::from_alignment_json("{\"w\": 3}").is_err());
    }
}
