//! The fonts panels are drawn with: the bundled Latin font, then Noto fonts from Debian for other scripts.
//!
//! Atkinson Hyperlegible is designed for low-vision readers, so it comes
//! first; it covers only Latin. For every other script cosmic-text falls
//! back, per run of characters, to the families its Unix fallback table
//! names ("Noto Sans Arabic", "Noto Sans CJK SC", "Noto Color Emoji", …),
//! and then to any other loaded font that has the glyphs. Only the fixed
//! list of files below is loaded, never whatever else a machine has
//! installed, so that two machines with the same Debian packages draw (and
//! capture) identical panels.

use cosmic_text::fontdb;
use std::path::Path;
use unicode_script::{Script, UnicodeScript};

/// The bundled font's family name.
pub(super) const FAMILY: &str = "Atkinson Hyperlegible";
pub(super) static REGULAR_TTF: &[u8] =
    include_bytes!("../../../../assets/fonts/AtkinsonHyperlegible-Regular.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../../../assets/fonts/AtkinsonHyperlegible-Bold.ttf");

/// Where Debian's font packages install their files.
pub(super) const FONT_DIR: &str = "/usr/share/fonts";

/// The Debian package providing the colour emoji font.
const EMOJI_PACKAGE: &str = "fonts-noto-color-emoji";

/// One fallback font family: its files (relative to [`FONT_DIR`]), the
/// Debian package that installs them, and the scripts it draws (which
/// notices use to name the package for a script that could not be drawn).
struct FallbackFont {
    /// File name without weight and extension, e.g. `truetype/noto/NotoSansArabic`.
    stem: &'static str,
    extension: &'static str,
    /// Which weights the family has, and so which files to load.
    weights: Weights,
    package: &'static str,
    scripts: &'static [Script],
}

#[derive(Clone, Copy)]
enum Weights {
    /// `{stem}-Regular.{extension}` and `{stem}-Bold.{extension}`; bold
    /// lines (speaker names) are drawn with the bold file.
    RegularAndBold,
    /// `{stem}-Regular.{extension}` only; cosmic-text draws bold lines with it.
    RegularOnly,
    /// A file with no weight suffix (the emoji font).
    Single,
}

const fn noto(stem: &'static str, scripts: &'static [Script]) -> FallbackFont {
    FallbackFont {
        stem,
        extension: "ttf",
        weights: Weights::RegularAndBold,
        package: "fonts-noto-core",
        scripts,
    }
}

const fn noto_regular(stem: &'static str, scripts: &'static [Script]) -> FallbackFont {
    FallbackFont { weights: Weights::RegularOnly, ..noto(stem, scripts) }
}

/// The scripts of the world's widely written languages, each with the Noto
/// family cosmic-text's fallback table asks for.
const FALLBACK_FONTS: &[FallbackFont] = &[
    // Latin beyond Atkinson's coverage (e.g. Vietnamese), Greek, Cyrillic.
    noto("truetype/noto/NotoSans", &[Script::Latin, Script::Greek, Script::Cyrillic]),
    noto("truetype/noto/NotoSansArabic", &[Script::Arabic]),
    noto("truetype/noto/NotoSansHebrew", &[Script::Hebrew]),
    noto("truetype/noto/NotoSansArmenian", &[Script::Armenian]),
    noto("truetype/noto/NotoSansGeorgian", &[Script::Georgian]),
    noto("truetype/noto/NotoSansEthiopic", &[Script::Ethiopic]),
    noto("truetype/noto/NotoSansDevanagari", &[Script::Devanagari]),
    noto("truetype/noto/NotoSansBengali", &[Script::Bengali]),
    noto("truetype/noto/NotoSansGurmukhi", &[Script::Gurmukhi]),
    noto("truetype/noto/NotoSansGujarati", &[Script::Gujarati]),
    noto("truetype/noto/NotoSansOriya", &[Script::Oriya]),
    noto("truetype/noto/NotoSansTamil", &[Script::Tamil]),
    noto("truetype/noto/NotoSansTelugu", &[Script::Telugu]),
    noto("truetype/noto/NotoSansKannada", &[Script::Kannada]),
    noto("truetype/noto/NotoSansMalayalam", &[Script::Malayalam]),
    noto("truetype/noto/NotoSansSinhala", &[Script::Sinhala]),
    noto("truetype/noto/NotoSansThai", &[Script::Thai]),
    noto("truetype/noto/NotoSansLao", &[Script::Lao]),
    noto("truetype/noto/NotoSansKhmer", &[Script::Khmer]),
    noto("truetype/noto/NotoSansMyanmar", &[Script::Myanmar]),
    noto("truetype/noto/NotoSansThaana", &[Script::Thaana]),
    noto("truetype/noto/NotoSansCherokee", &[Script::Cherokee]),
    noto("truetype/noto/NotoSansCanadianAboriginal", &[Script::Canadian_Aboriginal]),
    noto_regular("truetype/noto/NotoSansSyriac", &[Script::Syriac]),
    noto_regular("truetype/noto/NotoSansTifinagh", &[Script::Tifinagh]),
    noto_regular("truetype/noto/NotoSansMongolian", &[Script::Mongolian]),
    noto_regular("truetype/noto/NotoSansNKo", &[Script::Nko]),
    noto_regular("truetype/noto/NotoSansYi", &[Script::Yi]),
    // Arrows, stars, technical and other symbols (script Common).
    noto("truetype/noto/NotoSansSymbols", &[Script::Common]),
    noto_regular("truetype/noto/NotoSansSymbols2", &[Script::Common]),
    // One collection per weight holds the Japanese, Korean, Simplified and
    // Traditional Chinese faces.
    FallbackFont {
        stem: "opentype/noto/NotoSansCJK",
        extension: "ttc",
        weights: Weights::RegularAndBold,
        package: "fonts-noto-cjk",
        scripts: &[Script::Han, Script::Hiragana, Script::Katakana, Script::Hangul, Script::Bopomofo],
    },
    // Colour bitmaps (CBDT), which swash scales to the text size.
    FallbackFont {
        stem: "truetype/noto/NotoColorEmoji",
        extension: "ttf",
        weights: Weights::Single,
        package: EMOJI_PACKAGE,
        scripts: &[],
    },
];

/// A font database with the bundled fonts and those fallback files that
/// are installed, always in the same order (fontdb's face ids, and so
/// cosmic-text's choices between equal candidates, follow load order).
/// Missing files are skipped: text that needed them is reported by
/// [`writing_system`] when it is drawn. `font_dir` is [`FONT_DIR`] but in tests.
pub(super) fn font_database(font_dir: &Path) -> fontdb::Database {
    let mut db = fontdb::Database::new();
    db.load_font_data(REGULAR_TTF.to_vec());
    db.load_font_data(BOLD_TTF.to_vec());
    for font in FALLBACK_FONTS {
        let names: &[&str] = match font.weights {
            Weights::RegularAndBold => &["-Regular", "-Bold"],
            Weights::RegularOnly => &["-Regular"],
            Weights::Single => &[""],
        };
        for suffix in names {
            let path = font_dir.join(format!("{}{suffix}.{}", font.stem, font.extension));
            // A missing or unreadable file only means fewer scripts can be
            // drawn, which each panel that needs them reports.
            let _ = db.load_font_file(path);
        }
    }
    db
}

/// The CJK face for the Han characters (kanji, hanja) of `paragraph`: the
/// Japanese one beside kana, the Korean one beside Hangul, else none, and
/// cosmic-text picks the Simplified Chinese face (its choice for the en-US
/// locale). One character can take a different shape in each face, and
/// readers expect their own.
pub(super) fn han_family(paragraph: &str) -> Option<&'static str> {
    let has = |wanted: &[Script]| paragraph.chars().any(|c| wanted.contains(&c.script()));
    if has(&[Script::Hiragana, Script::Katakana]) {
        Some("Noto Sans CJK JP")
    } else if has(&[Script::Hangul]) {
        Some("Noto Sans CJK KR")
    } else {
        None
    }
}

/// `text` split into its longest pieces of Han and of other characters, in
/// order, each with whether it is Han.
pub(super) fn han_pieces(text: &str) -> Vec<(&str, bool)> {
    let mut pieces = Vec::new();
    let (mut start, mut start_is_han) = (0, false);
    for (at, c) in text.char_indices() {
        let han = c.script() == Script::Han;
        if at == 0 {
            start_is_han = han;
        } else if han != start_is_han {
            pieces.push((&text[start..at], start_is_han));
            (start, start_is_han) = (at, han);
        }
    }
    if start < text.len() {
        pieces.push((&text[start..], start_is_han));
    }
    pieces
}

/// How a character's writing system is named in notices, and the Debian
/// package whose font draws it (`None` for scripts no listed font covers).
pub(super) fn writing_system(c: char) -> (&'static str, Option<&'static str>) {
    if is_emoji(c) {
        return ("emoji", Some(EMOJI_PACKAGE));
    }
    let script = match c.script() {
        // Combining marks belong to the letter they sit on, which is
        // reported too; name them by the symbols font that has the generic ones.
        Script::Inherited => Script::Common,
        script => script,
    };
    let package = FALLBACK_FONTS.iter().find(|f| f.scripts.contains(&script)).map(|f| f.package);
    let name = if script == Script::Common { "symbol" } else { script.full_name() };
    (name, package)
}

/// The Unicode blocks of emoji pictographs (Mahjong Tiles through Symbols
/// and Pictographs Extended-A: faces, animals, food, transport, flags).
/// Older symbols that are also emoji, such as ☕ or ✂ among the
/// Miscellaneous Symbols and Dingbats, count as symbols: Noto Sans Symbols
/// draws most of them. Approximate, but it only chooses which package a
/// notice names.
fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_names_the_package_that_draws_it() {
        assert_eq!(writing_system('م'), ("Arabic", Some("fonts-noto-core")));
        assert_eq!(writing_system('ש'), ("Hebrew", Some("fonts-noto-core")));
        assert_eq!(writing_system('中'), ("Han", Some("fonts-noto-cjk")));
        assert_eq!(writing_system('한'), ("Hangul", Some("fonts-noto-cjk")));
        assert_eq!(writing_system('😀'), ("emoji", Some("fonts-noto-color-emoji")));
        assert_eq!(writing_system('★'), ("symbol", Some("fonts-noto-core")));
        assert_eq!(writing_system('→'), ("symbol", Some("fonts-noto-core")));
        // Cuneiform is not a script people write today; no package is named.
        assert_eq!(writing_system('\u{12000}'), ("Cuneiform", None));
    }

    #[test]
    fn han_takes_the_face_of_the_language_around_it() {
        assert_eq!(han_family("こんにちは世界"), Some("Noto Sans CJK JP"));
        assert_eq!(han_family("한국 漢字"), Some("Noto Sans CJK KR"));
        assert_eq!(han_family("你好，世界"), None);
        assert_eq!(han_pieces("Tokyo 東京へ"), [("Tokyo ", false), ("東京", true), ("へ", false)]);
        assert_eq!(han_pieces("世界"), [("世界", true)]);
        assert_eq!(han_pieces(""), []);
    }
}
