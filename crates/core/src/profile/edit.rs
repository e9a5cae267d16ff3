//! Changing one profile setting by its dotted key, as `allverse profile set` does.
//!
//! The edit goes through the TOML form of the profile, so every key the
//! schema knows is settable without a hand-written list, and the result is
//! validated exactly like a profile read from disk.

use super::{InvalidValue, Profile, ProfileError};

/// Returns a copy of `profile` with `key` (e.g. `display.caption_cap_height_deg`)
/// set to `value`, written as in TOML (`1.2`, `true`, `dark`; quotes optional
/// for words). The input profile is never modified.
pub fn set_key(profile: &Profile, key: &str, value: &str) -> Result<Profile, ProfileError> {
    let mut document = toml::Table::try_from(profile).expect("a profile always serializes");
    let invalid = |reason: String| InvalidValue { key: key.into(), value: value.into(), reason };

    let (section_path, leaf) = match key.rsplit_once('.') {
        Some((section, leaf)) => (Some(section), leaf),
        None => (None, key),
    };
    let mut table = &mut document;
    for section in section_path.into_iter().flat_map(|s| s.split('.')) {
        table = match table.get_mut(section) {
            Some(toml::Value::Table(inner)) => inner,
            _ => {
                return Err(
                    invalid(format!("there is no section `{section}`; {}", known_keys(profile))).into()
                );
            }
        };
    }
    let named = NAMED_VALUES.iter().find(|(k, _)| *k == key).and_then(|(_, names)| {
        names.iter().find(|(name, _)| *name == value).map(|(_, v)| toml::Value::Float(*v))
    });
    let new_value = match (named, table.get(leaf)) {
        (Some(named), _) => named,
        (None, Some(current)) => {
            parse_like(current, value).ok_or_else(|| invalid(format!("expected {}", type_name(current))))?
        }
        // Unset optional settings (a model path) have no TOML form to copy
        // the type from; deserialising below rejects keys that do not exist.
        (None, None) => parse_value(value),
    };
    table.insert(leaf.to_string(), new_value);

    let updated: Profile = document.try_into().map_err(|e: toml::de::Error| {
        let message = e.message();
        if message.contains("unknown field") {
            invalid(format!("there is no such setting; {}", known_keys(profile)))
        } else {
            invalid(message.to_string())
        }
    })?;
    updated.validate()?;
    Ok(updated)
}

/// Words accepted for numeric settings: the caption size choices.
const NAMED_VALUES: &[(&str, &[(&str, f64)])] = &[(
    "display.caption_cap_height_deg",
    &[("small", 0.5), ("medium", 0.7), ("large", 1.0), ("extra_large", 1.4)],
)];

fn parse_value(text: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        // Bare words are strings (enum names such as `high_contrast_dark`, paths).
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

/// Parses `text` as a TOML value of the same type as `current`.
fn parse_like(current: &toml::Value, text: &str) -> Option<toml::Value> {
    match (current, parse_value(text)) {
        (toml::Value::Float(_), toml::Value::Integer(i)) => Some(toml::Value::Float(i as f64)),
        // TOML refuses numbers beyond an f64 (`1e309`); read as infinity,
        // validation then answers with the setting's range, not a type.
        (toml::Value::Float(_), toml::Value::String(word)) => word.parse().ok().map(toml::Value::Float),
        (current, parsed) if current.same_type(&parsed) => Some(parsed),
        _ => None,
    }
}

fn type_name(value: &toml::Value) -> &'static str {
    match value {
        toml::Value::Float(_) => "a number",
        toml::Value::Integer(_) => "a whole number",
        toml::Value::Boolean(_) => "true or false",
        toml::Value::String(_) => "a word",
        _ => "a value of another type",
    }
}

/// "settings are: display.caption_cap_height_deg, …" for error messages.
fn known_keys(profile: &Profile) -> String {
    fn walk(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
        for (name, value) in table {
            let key = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
            match value {
                toml::Value::Table(inner) => walk(&key, inner, out),
                _ if key != "schema_version" => out.push(key),
                _ => {}
            }
        }
    }
    let mut keys = Vec::new();
    walk("", &toml::Table::try_from(profile).expect("a profile always serializes"), &mut keys);
    format!("settings are: {}", keys.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::color::ContrastTheme;

    #[test]
    fn sets_numbers_booleans_and_enums() {
        let p = Profile::default();
        let p = set_key(&p, "display.caption_cap_height_deg", "1").unwrap();
        assert_eq!(p.display.caption_cap_height_deg, 1.0);
        let p = set_key(&p, "comfort.seated", "true").unwrap();
        assert!(p.comfort.seated);
        let p = set_key(&p, "display.contrast_theme", "yellow_on_black").unwrap();
        assert_eq!(p.display.contrast_theme, ContrastTheme::YellowOnBlack);
        let p = set_key(&p, "display.contrast_theme", "\"light\"").unwrap();
        assert_eq!(p.display.contrast_theme, ContrastTheme::Light);
    }

    #[test]
    fn caption_sizes_have_names() {
        let p = set_key(&Profile::default(), "display.caption_cap_height_deg", "large").unwrap();
        assert_eq!(p.display.caption_cap_height_deg, 1.0);
        let p = set_key(&p, "display.caption_cap_height_deg", "extra_large").unwrap();
        assert_eq!(p.display.caption_cap_height_deg, 1.4);
        assert!(set_key(&p, "display.caption_cap_height_deg", "huge").is_err());
    }

    #[test]
    fn unset_optional_settings_can_be_set() {
        let p = set_key(&Profile::default(), "captions.model", "/models/ggml-base.en.bin").unwrap();
        assert_eq!(p.captions.model.as_deref(), Some(std::path::Path::new("/models/ggml-base.en.bin")));
        let err = set_key(&p, "captions.modle", "x").unwrap_err().to_string();
        assert!(err.contains("no such setting") && err.contains("captions.model"), "{err}");
    }

    #[test]
    fn rejects_with_clear_messages() {
        let p = Profile::default();
        let err = set_key(&p, "display.caption_size", "2").unwrap_err().to_string();
        assert!(err.contains("no such setting") && err.contains("display.caption_cap_height_deg"), "{err}");
        let err = set_key(&p, "comfort.seated", "maybe").unwrap_err().to_string();
        assert!(err.contains("true or false"), "{err}");
        let err = set_key(&p, "audio.balance", "-4").unwrap_err().to_string();
        assert!(err.contains("between -1 and 1"), "{err}");
        let err = set_key(&p, "display.contrast_theme", "neon").unwrap_err().to_string();
        assert!(err.contains("neon") && err.contains("dark"), "{err}");
        let err = set_key(&p, "video.brightness", "1").unwrap_err().to_string();
        assert!(err.contains("no section `video`"), "{err}");
    }

    #[test]
    fn non_finite_numbers_are_refused_with_the_range() {
        let p = Profile::default();
        for value in ["nan", "inf", "-inf", "+inf", "1e309", "-1e309", "1e40"] {
            let err = set_key(&p, "audio.master_volume", value).unwrap_err().to_string();
            assert!(
                err.starts_with("audio.master_volume = ") && err.ends_with("must be between 0 and 1"),
                "{value}: {err}"
            );
        }
        for value in ["nan", "inf", "-inf", "1e40"] {
            let err = set_key(&p, "interpreting.offset_m", &format!("[0.0, {value}, 0.0]")).unwrap_err();
            assert!(err.to_string().contains("between -5 and 5 metres"), "{value}: {err}");
        }
        // The same values written in the profile file are refused on load.
        for value in ["nan", "inf", "-inf"] {
            let err = Profile::from_toml(&format!("[comfort]\nheight_offset_m = {value}\n")).unwrap_err();
            assert!(err.to_string().contains("must be between -1 and 1 metres"), "{value}: {err}");
        }
    }
}
