//! The user's accessibility profile: what they need, saved between sessions.
//!
//! The profile is a versioned TOML document. Every field has a default that
//! suits most people, so an empty file (or none) is a valid profile, and a
//! person only writes down what they change. [`Profile::validate`] rejects
//! values that would make the app unusable (zero-size text, volumes above
//! full scale) with a message naming the key and the allowed range.

mod edit;
mod store;

pub use edit::set_key;
pub use store::{LoadedProfile, ProfileNotice, ProfileStore, StoreError};

use crate::color::ContrastTheme;
use crate::source::describe_toml_error;
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    pub schema_version: u32,
    pub display: DisplaySettings,
    pub audio: AudioSettings,
    pub comfort: ComfortSettings,
    pub captions: CaptionSettings,
    pub speech: SpeechSettings,
    pub input: crate::input::InputSettings,
    pub interpreting: crate::interpreting::InterpretingSettings,
    pub home: crate::home::HomeSettings,
    pub vision: crate::vision::VisionSettings,
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            display: DisplaySettings::default(),
            audio: AudioSettings::default(),
            comfort: ComfortSettings::default(),
            captions: CaptionSettings::default(),
            speech: SpeechSettings::default(),
            input: crate::input::InputSettings::default(),
            interpreting: crate::interpreting::InterpretingSettings::default(),
            home: crate::home::HomeSettings::default(),
            vision: crate::vision::VisionSettings::default(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DisplaySettings {
    /// Height of a capital letter in caption and panel text, as the angle it
    /// subtends at the eye. 0.7° reads comfortably for most people on
    /// current headsets; low-vision users often want 1.0–1.5°.
    pub caption_cap_height_deg: f32,
    pub contrast_theme: ContrastTheme,
    /// Opacity of panel backgrounds, 0 (transparent) to 1 (opaque). Below
    /// about 0.9 a bright scene behind a dark panel can pull text contrast
    /// under 4.5:1 (blending happens in linear light).
    pub panel_background_opacity: f32,
}

impl Default for DisplaySettings {
    fn default() -> Self {
        Self {
            caption_cap_height_deg: 0.7,
            contrast_theme: ContrastTheme::default(),
            panel_background_opacity: 0.9,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AudioSettings {
    /// Overall output gain, 0 to 1.
    pub master_volume: f32,
    /// Gain of synthesized speech, kept apart from the scene so that a
    /// screen-reader user can hear it over a loud event.
    pub speech_volume: f32,
    pub scene_volume: f32,
    /// Mix both ears into one, for single-sided hearing.
    pub mono: bool,
    /// Left (−1) to right (+1) balance.
    pub balance: f32,
    /// A SOFA (AES69) file of head-related transfer functions to hear space
    /// through, e.g. personal measurements; unset uses the MIT KEMAR set.
    pub hrtf: Option<std::path::PathBuf>,
}

impl Default for AudioSettings {
    fn default() -> Self {
        Self {
            master_volume: 1.0,
            speech_volume: 1.0,
            scene_volume: 0.8,
            mono: false,
            balance: 0.0,
            hrtf: None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComfortSettings {
    /// Use seated play: the floor and reach are adjusted for someone sitting.
    pub seated: bool,
    /// Added to the tracked head height, e.g. +0.4 to see over a crowd from a
    /// wheelchair, or negative for a tall standing user.
    pub height_offset_m: f32,
    /// How much further the controllers reach than the arms do, so things on
    /// the floor or across a table come within reach from a seat.
    pub reach_extension_m: f32,
}

/// Where caption panels sit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptionPlacement {
    /// Fixed in the view, below its centre.
    HeadLocked,
    /// Below the centre of view, trailing head turns smoothly.
    LazyFollow,
    /// Left where it was put in the room.
    WorldLocked,
    /// Beside the person speaking, wherever the user looks.
    SpeakerAnchored,
    /// Beside the speaker while they are in view; otherwise near the centre of
    /// view with an arrow toward them.
    #[default]
    Hybrid,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaptionSettings {
    pub enabled: bool,
    pub placement: CaptionPlacement,
    /// Roll-up lines shown per speaker, 1 to 3.
    pub lines: u8,
    /// Show words that may still change (in italics, dimmer) before they
    /// are committed.
    pub show_partial: bool,
    /// A Whisper ggml model to use instead of the provisioned one.
    pub model: Option<std::path::PathBuf>,
}

impl Default for CaptionSettings {
    fn default() -> Self {
        Self { enabled: true, placement: CaptionPlacement::Hybrid, lines: 2, show_partial: true, model: None }
    }
}

/// How synthesized speech sounds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpeechSettings {
    /// An espeak-ng voice name, e.g. `en`, `en-gb`, `fr`, `de`.
    pub voice: String,
    /// Speaking rate in words per minute.
    pub rate_wpm: u32,
    /// Voice pitch, 0 (low) to 99 (high).
    pub pitch: u32,
    /// Speak chat messages as they arrive.
    pub read_chat: bool,
    /// Speak each committed caption line (for people who hear better than they read).
    pub read_captions: bool,
    /// The phrase board: what the user can say into a live session's room in this voice,
    /// from the menu's "Say…" page, by any one input method (augmentative and alternative
    /// communication). At most [`MAX_PHRASES`], each at most [`MAX_PHRASE_CHARS`] characters.
    pub phrases: Vec<String>,
}

/// The most phrases on the phrase board: more than scanning can reach in reasonable time.
pub const MAX_PHRASES: usize = 50;
/// The longest phrase, in characters: a few sentences.
pub const MAX_PHRASE_CHARS: usize = 300;

impl Default for SpeechSettings {
    fn default() -> Self {
        let phrases = [
            "Yes.",
            "No.",
            "Hello, everyone.",
            "Thank you.",
            "Could you say that again, please?",
            "I have a question.",
            "Just a moment, please.",
            "Goodbye.",
        ];
        Self {
            voice: "en".into(),
            rate_wpm: 175,
            pitch: 50,
            read_chat: true,
            read_captions: false,
            phrases: phrases.map(String::from).to_vec(),
        }
    }
}

impl SpeechSettings {
    /// The first phrase that cannot be on the board, and why.
    fn phrase_problem(&self) -> Option<InvalidValue> {
        let invalid =
            |value: String, reason: String| InvalidValue { key: "speech.phrases".into(), value, reason };
        if self.phrases.len() > MAX_PHRASES {
            return Some(invalid(self.phrases.len().to_string(), format!("at most {MAX_PHRASES} phrases")));
        }
        self.phrases.iter().find_map(|phrase| {
            let chars = phrase.chars().count();
            if phrase.trim().is_empty() || chars > MAX_PHRASE_CHARS || phrase.chars().any(char::is_control) {
                let shown: String = phrase.chars().take(40).filter(|c| !c.is_control()).collect();
                let reason = format!("each phrase needs 1 to {MAX_PHRASE_CHARS} characters, on one line");
                return Some(invalid(format!("{shown:?}"), reason));
            }
            None
        })
    }
}

/// Speaking rates espeak-ng supports, in words per minute.
pub const SPEECH_RATE_WPM: RangeInclusive<u32> = 80..=450;
const SPEECH_PITCH: RangeInclusive<u32> = 0..=99;

/// `Ok` when `value` lies in `range`; otherwise the error naming the key and the range.
fn within<T: PartialOrd + std::fmt::Display>(
    key: &str,
    value: T,
    range: RangeInclusive<T>,
    unit: &str,
) -> Result<(), InvalidValue> {
    if range.contains(&value) {
        return Ok(());
    }
    Err(InvalidValue {
        key: key.into(),
        value: value.to_string(),
        reason: format!("must be between {} and {}{unit}", range.start(), range.end()),
    })
}

/// A profile value that is out of its allowed range or otherwise unusable.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{key} = {value} is not allowed: {reason}")]
pub struct InvalidValue {
    /// Dotted key, e.g. `display.caption_cap_height_deg`.
    pub key: String,
    pub value: String,
    pub reason: String,
}

const CAP_HEIGHT_DEG: RangeInclusive<f32> = 0.2..=5.0;
const UNIT: RangeInclusive<f32> = 0.0..=1.0;
const BALANCE: RangeInclusive<f32> = -1.0..=1.0;
const HEIGHT_OFFSET_M: RangeInclusive<f32> = -1.0..=1.0;
const REACH_EXTENSION_M: RangeInclusive<f32> = 0.0..=1.5;
const PANEL_SCALE: RangeInclusive<f32> = 0.5..=3.0;

impl Profile {
    /// Checks every value; the first problem found is returned.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(InvalidValue {
                key: "schema_version".into(),
                value: self.schema_version.to_string(),
                reason: format!("this build of Allverse reads schema version {SCHEMA_VERSION}"),
            });
        }
        let (d, a) = (&self.display, &self.audio);
        within("display.caption_cap_height_deg", d.caption_cap_height_deg, CAP_HEIGHT_DEG, " degrees")?;
        within("display.panel_background_opacity", d.panel_background_opacity, UNIT, "")?;
        within("audio.master_volume", a.master_volume, UNIT, "")?;
        within("audio.speech_volume", a.speech_volume, UNIT, "")?;
        within("audio.scene_volume", a.scene_volume, UNIT, "")?;
        within("audio.balance", a.balance, BALANCE, "")?;
        within("comfort.height_offset_m", self.comfort.height_offset_m, HEIGHT_OFFSET_M, " metres")?;
        within("comfort.reach_extension_m", self.comfort.reach_extension_m, REACH_EXTENSION_M, " metres")?;
        within("interpreting.size_scale", self.interpreting.size_scale, PANEL_SCALE, "")?;
        if self.interpreting.offset_m.iter().any(|v| !(-5.0..=5.0).contains(v)) {
            return Err(InvalidValue {
                key: "interpreting.offset_m".into(),
                value: format!("{:?}", self.interpreting.offset_m),
                reason: "each coordinate must be between -5 and 5 metres".into(),
            });
        }
        within("captions.lines", self.captions.lines, 1..=3, "")?;
        within("speech.rate_wpm", self.speech.rate_wpm, SPEECH_RATE_WPM, " words per minute")?;
        within("speech.pitch", self.speech.pitch, SPEECH_PITCH, "")?;
        if let Some(problem) = self.speech.phrase_problem() {
            return Err(problem);
        }
        let input = &self.input;
        within("input.debounce_ms", input.debounce_ms, 0..=1000, " ms")?;
        within("input.repeat_delay_ms", input.repeat_delay_ms, 100..=5000, " ms")?;
        within("input.repeat_interval_ms", input.repeat_interval_ms, 0..=5000, " ms")?;
        within("input.stick_dead_zone", input.stick_dead_zone, 0.0..=0.9, "")?;
        within("input.stick_sensitivity", input.stick_sensitivity, 0.1..=5.0, "")?;
        within("input.scan.step_s", input.scan.step_s, 0.3..=10.0, " seconds")?;
        within("input.scan.loops", input.scan.loops, 1..=20, "")?;
        within("input.scan.acceptance_ms", input.scan.acceptance_ms, 0..=2000, " ms")?;
        within("input.scan.release_ms", input.scan.release_ms, 0..=2000, " ms")?;
        within("input.dwell.dwell_s", input.dwell.dwell_s, 0.25..=3.0, " seconds")?;
        within("input.dwell.cooldown_s", input.dwell.cooldown_s, 0.0..=10.0, " seconds")?;
        if let Some((input, reason)) = input.conflict() {
            return Err(InvalidValue { key: "input.bindings".into(), value: input, reason });
        }
        for (key, value, range) in self.vision.ranges() {
            within(key, value, range, "")?;
        }
        if let Some((key, value, reason)) = self.home.problem() {
            return Err(InvalidValue { key, value, reason });
        }
        Ok(())
    }

    /// The profile as the TOML a person would read and edit.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a profile always serializes")
    }

    /// Parses and validates a profile document; errors carry line and column.
    pub fn from_toml(text: &str) -> Result<Self, ProfileError> {
        let profile: Profile =
            toml::from_str(text).map_err(|e| ProfileError::Parse(describe_toml_error(text, &e)))?;
        profile.validate()?;
        Ok(profile)
    }
}

/// Why a profile document could not be used.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ProfileError {
    #[error("the profile is not valid TOML for this schema: {0}")]
    Parse(String),
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let profile = Profile::default();
        profile.validate().unwrap();
        assert_eq!(Profile::from_toml(&profile.to_toml()).unwrap(), profile);
    }

    #[test]
    fn caption_settings_parse_and_validate() {
        let profile = Profile::from_toml("[captions]\nplacement = \"head_locked\"\nlines = 3\n").unwrap();
        assert_eq!((profile.captions.placement, profile.captions.lines), (CaptionPlacement::HeadLocked, 3));
        let err = Profile::from_toml("[captions]\nlines = 5\n").unwrap_err();
        assert_eq!(err.to_string(), "captions.lines = 5 is not allowed: must be between 1 and 3");
        assert!(Profile::from_toml("[captions]\nplacement = \"floating\"\n").is_err());
    }

    #[test]
    fn phrases_are_bounded_and_on_one_line_each() {
        let profile = Profile::from_toml("[speech]\nphrases = [\"Over here!\"]\n").unwrap();
        assert_eq!(profile.speech.phrases, ["Over here!"]);
        let err = Profile::from_toml("[speech]\nphrases = [\"one\\u001b[2J\"]\n").unwrap_err();
        assert!(err.to_string().starts_with("speech.phrases = \"one[2J\" is not allowed"), "{err}");
        let many = format!("[speech]\nphrases = [{}]\n", vec!["\"Yes.\""; MAX_PHRASES + 1].join(", "));
        assert!(Profile::from_toml(&many).unwrap_err().to_string().contains("at most 50 phrases"));
        assert!(Profile::from_toml("[speech]\nphrases = [\"  \"]\n").is_err());
    }

    #[test]
    fn an_empty_document_is_the_default_profile() {
        assert_eq!(Profile::from_toml("").unwrap(), Profile::default());
    }

    #[test]
    fn partial_documents_keep_other_defaults() {
        let profile = Profile::from_toml("[display]\ncaption_cap_height_deg = 1.2\n").unwrap();
        assert_eq!(profile.display.caption_cap_height_deg, 1.2);
        assert_eq!(profile.audio, AudioSettings::default());
    }

    #[test]
    fn out_of_range_values_name_key_and_range() {
        let err = Profile::from_toml("[audio]\nbalance = 3.0\n").unwrap_err();
        assert_eq!(err.to_string(), "audio.balance = 3 is not allowed: must be between -1 and 1");
        let err = Profile::from_toml("[display]\ncaption_cap_height_deg = 0.0\n").unwrap_err();
        assert!(err.to_string().contains("between 0.2 and 5 degrees"), "{err}");
    }

    #[test]
    fn unknown_keys_and_bad_types_report_their_line() {
        let err = Profile::from_toml("[display]\ncaption_size_deg = 1.0\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 2") && text.contains("caption_size_deg"), "{text}");
        let err = Profile::from_toml("[audio]\nmono = \"yes\"\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn newer_schema_is_refused() {
        let err = Profile::from_toml("schema_version = 2\n").unwrap_err();
        assert!(err.to_string().contains("schema version 1"), "{err}");
    }
}
