//! Colours for text panels and the WCAG contrast rule they must satisfy.
//!
//! Whatever theme or colours a user picks, text must keep a contrast ratio of
//! at least 4.5:1 against its background (WCAG 2.x, success criterion 1.4.3).
//! [`ensure_contrast`] enforces it by moving the text colour toward black or
//! white until the ratio holds.

use serde::{Deserialize, Serialize};

/// An sRGB colour with straight (not premultiplied) alpha, 8 bits a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Srgba8 {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub a: u8,
}

impl Srgba8 {
    pub const BLACK: Self = Self::opaque(0, 0, 0);
    pub const WHITE: Self = Self::opaque(255, 255, 255);

    pub const fn opaque(r: u8, g: u8, b: u8) -> Self {
        Self { r, g, b, a: 255 }
    }

    pub const fn with_alpha(self, a: u8) -> Self {
        Self { a, ..self }
    }

    /// WCAG relative luminance, 0 for black to 1 for white (alpha ignored).
    pub fn relative_luminance(self) -> f32 {
        fn linear(channel: u8) -> f32 {
            let c = channel as f32 / 255.0;
            if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        }
        0.2126 * linear(self.r) + 0.7152 * linear(self.g) + 0.0722 * linear(self.b)
    }

    /// Moves `t` (0–1) of the way toward `other`, per channel.
    pub fn lerp(self, other: Self, t: f32) -> Self {
        let mix = |a: u8, b: u8| (a as f32 + (b as f32 - a as f32) * t).round() as u8;
        Self { r: mix(self.r, other.r), g: mix(self.g, other.g), b: mix(self.b, other.b), a: self.a }
    }
}

/// WCAG contrast ratio between two opaque colours, from 1 to 21.
pub fn contrast_ratio(a: Srgba8, b: Srgba8) -> f32 {
    let (la, lb) = (a.relative_luminance(), b.relative_luminance());
    let (light, dark) = if la > lb { (la, lb) } else { (lb, la) };
    (light + 0.05) / (dark + 0.05)
}

/// The minimum text contrast WCAG asks for body text.
pub const MIN_TEXT_CONTRAST: f32 = 4.5;

/// Returns `text`, or the closest colour to it that reaches `min_ratio`
/// against `background`, by blending toward black or white, whichever gets
/// there. Pure black or white always reaches 4.5:1 against any background.
pub fn ensure_contrast(text: Srgba8, background: Srgba8, min_ratio: f32) -> Srgba8 {
    if contrast_ratio(text, background) >= min_ratio {
        return text;
    }
    let toward = if contrast_ratio(Srgba8::WHITE, background) >= contrast_ratio(Srgba8::BLACK, background) {
        Srgba8::WHITE
    } else {
        Srgba8::BLACK
    };
    // Contrast grows monotonically along the blend, so bisect for the
    // smallest change that satisfies the rule.
    let (mut lo, mut hi) = (0.0f32, 1.0f32);
    for _ in 0..20 {
        let mid = (lo + hi) / 2.0;
        if contrast_ratio(text.lerp(toward, mid), background) >= min_ratio {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    text.lerp(toward, hi)
}

/// A named colour scheme for text panels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContrastTheme {
    /// Light text on a dark panel: the most legible choice in dim scenes.
    #[default]
    Dark,
    /// Dark text on a light panel.
    Light,
    /// Pure white on pure black (21:1).
    HighContrastDark,
    /// Pure black on pure white (21:1).
    HighContrastLight,
    /// Yellow on black, preferred by many low-vision readers.
    YellowOnBlack,
}

impl ContrastTheme {
    pub const ALL: [Self; 5] =
        [Self::Dark, Self::Light, Self::HighContrastDark, Self::HighContrastLight, Self::YellowOnBlack];

    /// (text, background) colours, both opaque; the caller applies opacity.
    pub fn colors(self) -> (Srgba8, Srgba8) {
        match self {
            Self::Dark => (Srgba8::opaque(245, 245, 245), Srgba8::opaque(20, 22, 28)),
            Self::Light => (Srgba8::opaque(20, 20, 20), Srgba8::opaque(240, 240, 236)),
            Self::HighContrastDark => (Srgba8::WHITE, Srgba8::BLACK),
            Self::HighContrastLight => (Srgba8::BLACK, Srgba8::WHITE),
            Self::YellowOnBlack => (Srgba8::opaque(255, 255, 0), Srgba8::BLACK),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_matches_wcag_reference_values() {
        assert!((contrast_ratio(Srgba8::WHITE, Srgba8::BLACK) - 21.0).abs() < 1e-3);
        assert!((contrast_ratio(Srgba8::BLACK, Srgba8::BLACK) - 1.0).abs() < 1e-6);
        // #777777 on white is the well-known 4.48:1 near-miss.
        let grey = Srgba8::opaque(0x77, 0x77, 0x77);
        assert!((contrast_ratio(grey, Srgba8::WHITE) - 4.48).abs() < 0.01);
    }

    #[test]
    fn every_theme_meets_the_minimum() {
        for theme in ContrastTheme::ALL {
            let (text, background) = theme.colors();
            assert!(contrast_ratio(text, background) >= MIN_TEXT_CONTRAST, "{theme:?}");
        }
    }

    #[test]
    fn poor_choices_are_corrected_minimally() {
        let grey = Srgba8::opaque(0x77, 0x77, 0x77);
        let fixed = ensure_contrast(grey, Srgba8::WHITE, MIN_TEXT_CONTRAST);
        assert!(contrast_ratio(fixed, Srgba8::WHITE) >= MIN_TEXT_CONTRAST);
        assert!(fixed.r < grey.r && fixed.r > 0x60, "{fixed:?} should be only a little darker");
        // Mid-grey on mid-grey is fixed too, whatever direction works.
        let mid = Srgba8::opaque(128, 128, 128);
        assert!(contrast_ratio(ensure_contrast(mid, mid, 4.5), mid) >= 4.5);
        // Good colours are left alone.
        assert_eq!(ensure_contrast(Srgba8::WHITE, Srgba8::BLACK, 4.5), Srgba8::WHITE);
    }
}
