//! Low-vision tools: the profile's `[vision]` settings and the colour maths the renderer applies.
//!
//! The tools follow SeeingVR (Zhao et al., CHI 2019): a magnifier (lens,
//! full view or bifocal strip), contrast and brightness, edge enhancement,
//! colour filters, bigger bolder text, description on demand, highlighting
//! and reduced motion. Research behind it found that no single enhancement
//! suits everyone, so every tool is independent and they combine.
//!
//! The colour steps are defined here once, as plain functions on linear RGB
//! ([`VisionSettings::apply_colour`]), and the runtime's shader mirrors
//! them; tests compare rendered pixels against these functions.

use crate::color::{ContrastTheme, Srgba8};
use glam::{Mat3, Vec3};
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// The profile's `[vision]` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VisionSettings {
    pub magnifier: Magnifier,
    /// How much the magnifier enlarges, 1.5 to 8 times.
    pub magnification: f32,
    /// Diameter of the lens, or height of the bifocal strip, as an angle of the view: 5° to 60°.
    /// The renderer keeps part of the plain view in sight: the lens takes at
    /// most 80 % of the view's height, the strip half.
    pub lens_size_deg: f32,
    /// What the lens follows, and what "describe" and highlighting point with.
    pub pointer: Pointer,
    /// Contrast gain about mid-grey (in sRGB-encoded values): 1 leaves the view alone; 0.5 to 4.
    pub contrast: f32,
    /// Brightness gain: 1 leaves the view alone; 0.5 to 2.
    pub brightness: f32,
    /// Outline object edges, found from depth and surface normals (not texture).
    pub edges: bool,
    pub edge_colour: HexColour,
    /// Outline thickness in display pixels, 1 to 8, drawn in 2-pixel steps
    /// (the line lies on both sides of the edge: 1 and 2 look alike, as do 3 and 4).
    pub edge_thickness_px: f32,
    pub filter: ColourFilter,
    /// For colour-vision corrections: the severity of the user's colour
    /// vision deficiency, 0 (none) to 1 (dichromacy), as in Machado et al. 2009.
    pub filter_strength: f32,
    /// Every text in the scene larger, bold and high-contrast.
    pub text_boost: bool,
    pub highlight: Highlight,
    /// Snap movement only, a comfort vignette while the view moves, and no smooth panel animation.
    pub reduce_motion: bool,
    /// The brightest any pixel may be, as a fraction of full white's
    /// luminance: 0.2 to 1 (1 = no cap). Nothing on screen, a flash included,
    /// can exceed it.
    pub brightness_cap: f32,
}

impl Default for VisionSettings {
    fn default() -> Self {
        Self {
            magnifier: Magnifier::Off,
            magnification: 2.0,
            lens_size_deg: 20.0,
            pointer: Pointer::Gaze,
            contrast: 1.0,
            brightness: 1.0,
            edges: false,
            edge_colour: HexColour(Srgba8::opaque(255, 215, 0)),
            edge_thickness_px: 2.0,
            filter: ColourFilter::None,
            filter_strength: 1.0,
            text_boost: false,
            highlight: Highlight::Off,
            reduce_motion: false,
            brightness_cap: 1.0,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Magnifier {
    #[default]
    Off,
    /// A round lens around where the pointer points.
    Lens,
    /// The whole view enlarged about where the pointer points.
    FullView,
    /// A strip along the bottom of the view shows, enlarged, what the pointer points at.
    Bifocal,
}

/// What aims the lens, the description and the highlight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pointer {
    /// Eye gaze (where eye tracking exists; otherwise the head).
    #[default]
    Gaze,
    /// The centre of view.
    Head,
    /// The right controller's ray.
    Controller,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColourFilter {
    #[default]
    None,
    /// Luminance only: every colour becomes the grey of the same relative luminance.
    Greyscale,
    /// Each channel inverted (light becomes dark).
    Invert,
    /// Daltonisation for red-weak or red-blind vision.
    Protanopia,
    /// Daltonisation for green-weak or green-blind vision.
    Deuteranopia,
    /// Daltonisation for blue-weak or blue-blind vision.
    Tritanopia,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Highlight {
    #[default]
    Off,
    /// A bright outline around the pointed-at person or object.
    Outline,
    /// The pointed-at person or object glows.
    Glow,
}

/// An opaque colour written `#rrggbb` in the profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HexColour(pub Srgba8);

impl TryFrom<String> for HexColour {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        // `from_str_radix` alone would take a sign: "#+1+2+3".
        let digits =
            text.strip_prefix('#').filter(|d| d.len() == 6 && d.chars().all(|c| c.is_ascii_hexdigit()));
        let channel = |i: usize| digits.and_then(|d| u8::from_str_radix(&d[i..i + 2], 16).ok());
        match (channel(0), channel(2), channel(4)) {
            (Some(r), Some(g), Some(b)) => Ok(Self(Srgba8::opaque(r, g, b))),
            _ => Err(format!("`{text}` is not a colour written #rrggbb, e.g. #ffd700")),
        }
    }
}

impl From<HexColour> for String {
    fn from(colour: HexColour) -> String {
        let Srgba8 { r, g, b, .. } = colour.0;
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

pub const MAGNIFICATION: RangeInclusive<f32> = 1.5..=8.0;
pub const LENS_SIZE_DEG: RangeInclusive<f32> = 5.0..=60.0;
const CONTRAST: RangeInclusive<f32> = 0.5..=4.0;
const BRIGHTNESS: RangeInclusive<f32> = 0.5..=2.0;
const EDGE_THICKNESS_PX: RangeInclusive<f32> = 1.0..=8.0;
const BRIGHTNESS_CAP: RangeInclusive<f32> = 0.2..=1.0;

impl VisionSettings {
    /// Each numeric setting's dotted key, value and range, for validation.
    pub(crate) fn ranges(&self) -> [(&'static str, f32, RangeInclusive<f32>); 7] {
        [
            ("vision.magnification", self.magnification, MAGNIFICATION),
            ("vision.lens_size_deg", self.lens_size_deg, LENS_SIZE_DEG),
            ("vision.contrast", self.contrast, CONTRAST),
            ("vision.brightness", self.brightness, BRIGHTNESS),
            ("vision.edge_thickness_px", self.edge_thickness_px, EDGE_THICKNESS_PX),
            ("vision.filter_strength", self.filter_strength, 0.0..=1.0),
            ("vision.brightness_cap", self.brightness_cap, BRIGHTNESS_CAP),
        ]
    }

    /// Whether any tool recolours or outlines the scene behind the text panels.
    pub fn changes_scene(&self) -> bool {
        self.contrast != 1.0 || self.brightness != 1.0 || self.edges || self.filter != ColourFilter::None
    }

    /// The colour filter as `linear_out = matrix · linear_in + offset`.
    pub fn filter_transform(&self) -> ColourTransform {
        let severity = self.filter_strength;
        match self.filter {
            ColourFilter::None => ColourTransform::IDENTITY,
            ColourFilter::Greyscale => {
                let row = Vec3::from(REC709_LUMINANCE);
                ColourTransform { matrix: Mat3::from_cols(row, row, row).transpose(), offset: Vec3::ZERO }
            }
            ColourFilter::Invert => ColourTransform { matrix: -Mat3::IDENTITY, offset: Vec3::ONE },
            ColourFilter::Protanopia => daltonisation(Deficiency::Protan, severity),
            ColourFilter::Deuteranopia => daltonisation(Deficiency::Deutan, severity),
            ColourFilter::Tritanopia => daltonisation(Deficiency::Tritan, severity),
        }
    }

    /// Every colour step of the vision pass, on one linear-RGB pixel (each channel 0–1):
    /// the filter, then contrast and brightness, then the brightness cap.
    /// The runtime's shader computes the same.
    pub fn apply_colour(&self, linear_rgb: Vec3) -> Vec3 {
        let filtered = self.filter_transform().apply(linear_rgb).clamp(Vec3::ZERO, Vec3::ONE);
        let encoded = filtered.to_array().map(srgb_encode);
        let adjusted = encoded.map(|c| (((c - 0.5) * self.contrast + 0.5) * self.brightness).clamp(0.0, 1.0));
        let linear = Vec3::from(adjusted.map(srgb_decode));
        cap_luminance(linear, self.brightness_cap)
    }
}

/// Text boost: every panel's letters this many times larger…
pub const TEXT_BOOST_SCALE: f32 = 1.5;
/// …and never smaller than this cap height (degrees), which low-vision
/// readers in SeeingVR's studies chose as a floor.
pub const TEXT_BOOST_MIN_CAP_HEIGHT_DEG: f32 = 1.0;

/// The theme text boost uses in place of `theme`: the same polarity at full contrast.
pub fn boosted_theme(theme: ContrastTheme) -> ContrastTheme {
    match theme {
        ContrastTheme::Dark => ContrastTheme::HighContrastDark,
        ContrastTheme::Light => ContrastTheme::HighContrastLight,
        other => other,
    }
}

/// Scales a linear-RGB colour down so its relative luminance is at most `cap`, keeping its hue.
pub fn cap_luminance(linear_rgb: Vec3, cap: f32) -> Vec3 {
    let luminance = linear_rgb.dot(Vec3::from(REC709_LUMINANCE));
    if luminance > cap && luminance > 0.0 { linear_rgb * (cap / luminance) } else { linear_rgb }
}

/// Relative luminance weights of linear sRGB (ITU-R BT.709; the WCAG definition).
pub const REC709_LUMINANCE: [f32; 3] = [0.2126, 0.7152, 0.0722];

/// `out = matrix · in + offset`, on linear RGB.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColourTransform {
    pub matrix: Mat3,
    pub offset: Vec3,
}

impl ColourTransform {
    pub const IDENTITY: Self = Self { matrix: Mat3::IDENTITY, offset: Vec3::ZERO };

    pub fn apply(&self, linear_rgb: Vec3) -> Vec3 {
        self.matrix * linear_rgb + self.offset
    }
}

/// sRGB transfer function (IEC 61966-2-1): linear light to encoded value.
pub fn srgb_encode(linear: f32) -> f32 {
    if linear <= 0.003_130_8 { linear * 12.92 } else { 1.055 * linear.powf(1.0 / 2.4) - 0.055 }
}

/// Inverse sRGB transfer function: encoded value to linear light.
pub fn srgb_decode(encoded: f32) -> f32 {
    if encoded <= 0.040_45 { encoded / 12.92 } else { ((encoded + 0.055) / 1.055).powf(2.4) }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Deficiency {
    Protan,
    Deutan,
    Tritan,
}

/// Machado, Oliveira & Fernandes (2009), "A Physiologically-based Model for
/// Simulation of Color Vision Deficiency", IEEE TVCG 15(6), doi:10.1109/TVCG.2009.113:
/// the published simulation matrices (row-major, on linear RGB) for
/// severities 0.0, 0.1, … 1.0, from the authors' supplementary table.
const MACHADO_2009: [[[f32; 9]; 11]; 3] = [
    [
        [1.000000, 0.000000, -0.000000, 0.000000, 1.000000, 0.000000, -0.000000, -0.000000, 1.000000],
        [0.856167, 0.182038, -0.038205, 0.029342, 0.955115, 0.015544, -0.002880, -0.001563, 1.004443],
        [0.734766, 0.334872, -0.069637, 0.051840, 0.919198, 0.028963, -0.004928, -0.004209, 1.009137],
        [0.630323, 0.465641, -0.095964, 0.069181, 0.890046, 0.040773, -0.006308, -0.007724, 1.014032],
        [0.539009, 0.579343, -0.118352, 0.082546, 0.866121, 0.051332, -0.007136, -0.011959, 1.019095],
        [0.458064, 0.679578, -0.137642, 0.092785, 0.846313, 0.060902, -0.007494, -0.016807, 1.024301],
        [0.385450, 0.769005, -0.154455, 0.100526, 0.829802, 0.069673, -0.007442, -0.022190, 1.029632],
        [0.319627, 0.849633, -0.169261, 0.106241, 0.815969, 0.077790, -0.007025, -0.028051, 1.035076],
        [0.259411, 0.923008, -0.182420, 0.110296, 0.804340, 0.085364, -0.006276, -0.034346, 1.040622],
        [0.203876, 0.990338, -0.194214, 0.112975, 0.794542, 0.092483, -0.005222, -0.041043, 1.046265],
        [0.152286, 1.052583, -0.204868, 0.114503, 0.786281, 0.099216, -0.003882, -0.048116, 1.051998],
    ],
    [
        [1.000000, 0.000000, -0.000000, 0.000000, 1.000000, 0.000000, -0.000000, -0.000000, 1.000000],
        [0.866435, 0.177704, -0.044139, 0.049567, 0.939063, 0.011370, -0.003453, 0.007233, 0.996220],
        [0.760729, 0.319078, -0.079807, 0.090568, 0.889315, 0.020117, -0.006027, 0.013325, 0.992702],
        [0.675425, 0.433850, -0.109275, 0.125303, 0.847755, 0.026942, -0.007950, 0.018572, 0.989378],
        [0.605511, 0.528560, -0.134071, 0.155318, 0.812366, 0.032316, -0.009376, 0.023176, 0.986200],
        [0.547494, 0.607765, -0.155259, 0.181692, 0.781742, 0.036566, -0.010410, 0.027275, 0.983136],
        [0.498864, 0.674741, -0.173604, 0.205199, 0.754872, 0.039929, -0.011131, 0.030969, 0.980162],
        [0.457771, 0.731899, -0.189670, 0.226409, 0.731012, 0.042579, -0.011595, 0.034333, 0.977261],
        [0.422823, 0.781057, -0.203881, 0.245752, 0.709602, 0.044646, -0.011843, 0.037423, 0.974421],
        [0.392952, 0.823610, -0.216562, 0.263559, 0.690210, 0.046232, -0.011910, 0.040281, 0.971630],
        [0.367322, 0.860646, -0.227968, 0.280085, 0.672501, 0.047413, -0.011820, 0.042940, 0.968881],
    ],
    [
        [1.000000, 0.000000, -0.000000, 0.000000, 1.000000, 0.000000, -0.000000, -0.000000, 1.000000],
        [0.926670, 0.092514, -0.019184, 0.021191, 0.964503, 0.014306, 0.008437, 0.054813, 0.936750],
        [0.895720, 0.133330, -0.029050, 0.029997, 0.945400, 0.024603, 0.013027, 0.104707, 0.882266],
        [0.905871, 0.127791, -0.033662, 0.026856, 0.941251, 0.031893, 0.013410, 0.148296, 0.838294],
        [0.948035, 0.089490, -0.037526, 0.014364, 0.946792, 0.038844, 0.010853, 0.193991, 0.795156],
        [1.017277, 0.027029, -0.044306, -0.006113, 0.958479, 0.047634, 0.006379, 0.248708, 0.744913],
        [1.104996, -0.046633, -0.058363, -0.032137, 0.971635, 0.060503, 0.001336, 0.317922, 0.680742],
        [1.193214, -0.109812, -0.083402, -0.058496, 0.979410, 0.079086, -0.002346, 0.403492, 0.598854],
        [1.257728, -0.139648, -0.118081, -0.078003, 0.975409, 0.102594, -0.003316, 0.501214, 0.502102],
        [1.278864, -0.125333, -0.153531, -0.084748, 0.957674, 0.127074, -0.000989, 0.601151, 0.399838],
        [1.255528, -0.076749, -0.178779, -0.078411, 0.930809, 0.147602, 0.004733, 0.691367, 0.303900],
    ],
];

/// Machado et al.'s simulation matrix at `severity` (0–1), interpolated
/// linearly between the published tenths as the authors describe.
fn machado_simulation(deficiency: Deficiency, severity: f32) -> Mat3 {
    let table = &MACHADO_2009[deficiency as usize];
    let position = severity.clamp(0.0, 1.0) * 10.0;
    let low = (position.floor() as usize).min(9);
    let t = position - low as f32;
    let matrix = |i: usize| Mat3::from_cols_array(&table[i]).transpose();
    matrix(low) * (1.0 - t) + matrix(low + 1) * t
}

/// Daltonisation (Fidaner, Lin & Ozguven 2005, "Analysis of Color Blindness"):
/// the colour information a deficient observer loses, `c − S·c` with `S`
/// Machado's simulation, is shifted into the channels they still tell
/// apart and added back: `c' = c + E·(c − S·c)`.
fn daltonisation(deficiency: Deficiency, severity: f32) -> ColourTransform {
    // Fidaner et al.'s error-shift matrices, row-major: the lost red (or
    // green) difference goes to green and blue; the lost blue to red and green.
    let shift = match deficiency {
        Deficiency::Protan => [0.0, 0.0, 0.0, 0.7, 1.0, 0.0, 0.7, 0.0, 1.0],
        Deficiency::Deutan => [1.0, 0.7, 0.0, 0.0, 0.0, 0.0, 0.0, 0.7, 1.0],
        Deficiency::Tritan => [1.0, 0.0, 0.7, 0.0, 1.0, 0.7, 0.0, 0.0, 0.0],
    };
    let shift = Mat3::from_cols_array(&shift).transpose();
    let simulation = machado_simulation(deficiency, severity);
    ColourTransform { matrix: Mat3::IDENTITY + shift * (Mat3::IDENTITY - simulation), offset: Vec3::ZERO }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machado_interpolates_between_published_tenths() {
        // colorspacious' check of the same table: 0.31 of the way from 50 to 60.
        let m = machado_simulation(Deficiency::Deutan, 0.531);
        let expected = 0.69 * 0.547494 + 0.31 * 0.498864;
        assert!((m.x_axis.x - expected).abs() < 1e-5, "{}", m.x_axis.x);
        assert_eq!(machado_simulation(Deficiency::Protan, 1.0).x_axis.x, 0.152286);
        assert_eq!(machado_simulation(Deficiency::Protan, 0.0), Mat3::IDENTITY);
    }

    #[test]
    fn greyscale_keeps_luminance_and_loses_chroma() {
        let settings = VisionSettings { filter: ColourFilter::Greyscale, ..Default::default() };
        let red = settings.apply_colour(Vec3::new(1.0, 0.0, 0.0));
        assert!((red.x - red.y).abs() < 1e-6 && (red.y - red.z).abs() < 1e-6);
        assert!((red.x - 0.2126).abs() < 1e-4, "{red}");
    }

    #[test]
    fn daltonisation_at_zero_strength_changes_nothing() {
        let settings =
            VisionSettings { filter: ColourFilter::Deuteranopia, filter_strength: 0.0, ..Default::default() };
        let colour = Vec3::new(0.3, 0.6, 0.1);
        assert!(settings.apply_colour(colour).abs_diff_eq(colour, 1e-4));
    }

    #[test]
    fn daltonisation_separates_what_a_protanope_confuses() {
        // Red and green a protanope sees alike come apart once corrected
        // and seen through the same deficiency.
        let settings = VisionSettings { filter: ColourFilter::Protanopia, ..Default::default() };
        let simulate = machado_simulation(Deficiency::Protan, 1.0);
        let (red, green) = (Vec3::new(0.5, 0.12, 0.1), Vec3::new(0.2, 0.25, 0.1));
        let seen = |c: Vec3| simulate * c;
        let before = seen(red).distance(seen(green));
        let after = seen(settings.apply_colour(red)).distance(seen(settings.apply_colour(green)));
        assert!(after > before * 1.5, "{before} → {after}");
    }

    #[test]
    fn the_cap_limits_luminance_and_keeps_hue() {
        let capped = cap_luminance(Vec3::ONE, 0.5);
        assert!((capped.dot(Vec3::from(REC709_LUMINANCE)) - 0.5).abs() < 1e-5);
        let dim = Vec3::new(0.1, 0.05, 0.0);
        assert_eq!(cap_luminance(dim, 0.5), dim);
    }

    #[test]
    fn contrast_and_brightness_act_on_encoded_values() {
        let settings = VisionSettings { contrast: 2.0, ..Default::default() };
        let mid = srgb_decode(0.5);
        assert!((settings.apply_colour(Vec3::splat(mid)).x - mid).abs() < 1e-5, "mid-grey stays");
        let darker = settings.apply_colour(Vec3::splat(srgb_decode(0.4)));
        assert!((srgb_encode(darker.x) - 0.3).abs() < 1e-4, "0.4 moves to 0.3");
    }

    #[test]
    fn hex_colours_parse_and_print() {
        let colour = HexColour::try_from("#FFd700".to_string()).unwrap();
        assert_eq!(String::from(colour), "#ffd700");
        for bad in ["ffd700", "#ffd70", "#gggggg", "#ffd7000", "#ééé", "#+1+2+3"] {
            assert!(HexColour::try_from(bad.to_string()).is_err(), "{bad}");
        }
    }
}
