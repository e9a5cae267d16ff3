//! Text panels: shaped, wrapped, rasterized lines of text on a solid background.

use super::PanelImage;
use super::fonts::{self, FAMILY, REGULAR_TTF};
use allverse_core::color::{MIN_TEXT_CONTRAST, Srgba8, ensure_contrast};
use allverse_core::panel_text::{LineWeight, PanelLine};
use allverse_core::placement::world_size_for_angle_m;
use cosmic_text::{Attrs, Buffer, Color, Family, FontSystem, Metrics, Shaping, SwashCache, Weight, Wrap};
use std::fmt;
use std::path::Path;

/// Line height as a multiple of the font size: generous, as WCAG 1.4.12 asks.
const LINE_HEIGHT_EM: f32 = 1.35;
/// Margin around the text, as a multiple of the font size.
const PADDING_EM: f32 = 0.5;
/// Largest texture edge we produce; beyond it GPUs and memory budgets object.
pub const MAX_TEXTURE_EDGE_PX: u32 = 4096;

/// Widest a panel's text may be, in degrees of the user's view, before its
/// lines wrap. A design choice: a panel centred ahead then spans ±20°, which
/// is read by moving the eyes alone (comfortable eye rotation is about ±30°
/// side to side in the comfort-zone guidance that
/// [`allverse_core::placement::ComfortZone`] follows), and it stays well inside the
/// 90° of [`allverse_core::placement::FieldOfView::HEADSET`]. A typical 40-character
/// caption line ([`allverse_core::caption::CaptionLayout`]) makes a panel about 19°
/// wide at the default 0.7° cap height and 38° at `extra_large` (1.4°), so
/// captions wrap only when set larger than that.
pub const MAX_PANEL_WIDTH_DEG: f32 = 40.0;

/// Most characters one panel shows (each line break counts as one): about
/// two pages of text, far beyond a sign or a caption. Longer text is cut
/// before it is shaped, which bounds the work and memory a panel can cost.
pub const MAX_PANEL_CHARS: usize = 4000;

/// Smallest cap height, in degrees, that text is scaled down to so that its
/// panel fits the texture limit: the smallest `display.caption_cap_height_deg`
/// a profile allows (allverse-core's profile validation). Text that does not
/// fit even then is cut.
const MIN_CAP_HEIGHT_DEG: f32 = 0.2;

/// How many sizes are tried when scaling text down to fit. Each try shrinks
/// the text by at least 2 %, and in practice two or three tries suffice
/// (see `fit`); the last one cuts what still does not fit.
const MAX_FIT_TRIES: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PanelTextStyle {
    /// Text colour; lightened or darkened if needed to reach 4.5:1 contrast.
    pub text: Srgba8,
    /// Background colour; its alpha is the panel's opacity.
    pub background: Srgba8,
}

/// What to draw and how big it must look.
#[derive(Clone, Debug, PartialEq)]
pub struct TextPanelSpec<'a> {
    /// Paragraphs, top to bottom; each wraps at [`MAX_PANEL_WIDTH_DEG`].
    pub lines: &'a [PanelLine],
    /// Angular height of a capital letter at `viewing_distance_m`.
    pub cap_height_deg: f32,
    pub viewing_distance_m: f32,
    /// Texture density; about twice the display's pixels per degree keeps
    /// text crisp when the panel is seen a little closer than planned.
    pub pixels_per_degree: f32,
    pub style: PanelTextStyle,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TextPanelError {
    #[error("a text panel needs at least one non-empty line")]
    Empty,
    #[error("{name} must be a positive number, not {value}")]
    NotPositive { name: &'static str, value: f32 },
    #[error("{name} must be at most {limit}, not {value}")]
    AboveLimit { name: &'static str, value: f32, limit: f32 },
}

/// Something the user should know about how a panel was drawn. The panel
/// is drawn all the same; its `Display` text says what happened in the
/// user's terms, for the scene and the session report.
#[derive(Clone, Debug, PartialEq)]
pub enum PanelNotice {
    /// `characters` characters of `writing_system` (a Unicode script name
    /// such as "Arabic", or "emoji" or "symbol") have no glyph in any
    /// installed font and are drawn as empty boxes. `package` is the Debian
    /// package whose font would draw them, if one is known.
    MissingFont { writing_system: &'static str, package: Option<&'static str>, characters: usize },
    /// The text is drawn smaller than asked so that the panel fits the
    /// texture limit ([`MAX_TEXTURE_EDGE_PX`]).
    ScaledDown { requested_cap_height_deg: f32, drawn_cap_height_deg: f32 },
    /// Only the start of the text is shown (ending in "…"): it is longer than
    /// [`MAX_PANEL_CHARS`], or does not fit the texture limit even at the
    /// smallest text size. Counts include one per line break between lines.
    Cut { shown_chars: usize, total_chars: usize },
}

impl fmt::Display for PanelNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::MissingFont { writing_system, package, characters } => {
                write!(f, "{characters} {writing_system} character(s) are shown as empty boxes: ")?;
                match package {
                    Some(package) => write!(f, "no font for them is installed (Debian package {package})"),
                    None => write!(f, "Allverse has no font for them"),
                }
            }
            Self::ScaledDown { requested_cap_height_deg, drawn_cap_height_deg } => write!(
                f,
                "the text is shown at {drawn_cap_height_deg:.2}° instead of {requested_cap_height_deg:.2}° \
                 so that the whole panel fits ({MAX_TEXTURE_EDGE_PX} px texture limit)"
            ),
            Self::Cut { shown_chars, total_chars } => write!(
                f,
                "the text is too long for one panel: only the first {shown_chars} of {total_chars} \
                 characters are shown"
            ),
        }
    }
}

/// Shapes and rasterizes text panels. Creating one loads the bundled fonts
/// and the installed fallback fonts (see the `fonts` module), so keep it
/// and reuse it; its glyph cache makes later panels cheap.
pub struct TextRasterizer {
    fonts: FontSystem,
    glyphs: SwashCache,
    /// Capital-letter height as a fraction of the em, from the font's OS/2 table.
    cap_height_em: f32,
}

impl Default for TextRasterizer {
    fn default() -> Self {
        Self::new()
    }
}

/// Text and background colours after contrast correction.
struct Colors {
    text: Srgba8,
    tentative: Srgba8,
    background: Srgba8,
}

impl Colors {
    fn new(style: PanelTextStyle) -> Self {
        let background = style.background;
        let opaque = background.with_alpha(255);
        let text = ensure_contrast(style.text, opaque, MIN_TEXT_CONTRAST);
        let tentative = ensure_contrast(text.lerp(background, 0.35), opaque, MIN_TEXT_CONTRAST);
        Self { text, tentative, background }
    }
}

/// Pixel sizes that follow from the font size.
#[derive(Clone, Copy, Debug)]
struct Sizes {
    font_px: f32,
    line_height_px: f32,
    padding_px: f32,
}

impl Sizes {
    /// Sizes for a font `font_px` high, but at least one pixel: cosmic-text
    /// cannot lay out zero-sized text, and smaller text is invisible anyway.
    fn for_font(font_px: f32) -> Self {
        let font_px = font_px.max(1.0);
        Self {
            font_px,
            line_height_px: (font_px * LINE_HEIGHT_EM).ceil(),
            padding_px: (font_px * PADDING_EM).round(),
        }
    }

    /// Row width at which text wraps: [`MAX_PANEL_WIDTH_DEG`], or the
    /// texture limit if that is smaller, less the padding; at least one em.
    fn wrap_width_px(&self, pixels_per_degree: f32) -> f32 {
        let panel_px = (MAX_PANEL_WIDTH_DEG * pixels_per_degree).min(MAX_TEXTURE_EDGE_PX as f32);
        // One pixel spare for the rounding up of the panel's width.
        (panel_px - 2.0 * self.padding_px - 1.0).max(self.font_px)
    }

    /// Panel pixel size for `rows` rows of text `text_width_px` wide.
    fn panel_px(&self, text_width_px: f32, rows: usize) -> (u32, u32) {
        let width = (text_width_px + 2.0 * self.padding_px).ceil().max(1.0);
        let height = (rows as f32 * self.line_height_px + 2.0 * self.padding_px).ceil().max(1.0);
        // Saturating float-to-int casts: oversized values fail the fit test.
        (width as u32, height as u32)
    }
}

/// Shaped and wrapped text, ready to draw.
struct Layout {
    buffer: Buffer,
    sizes: Sizes,
    width_px: u32,
    height_px: u32,
    /// Angular cap height the text is drawn at.
    cap_height_deg: f32,
    notices: Vec<PanelNotice>,
}

/// A paragraph ready to shape: line breaks inside it replaced by spaces.
type Paragraph = (String, LineWeight);

impl TextRasterizer {
    pub fn new() -> Self {
        Self::with_fonts_from(Path::new(fonts::FONT_DIR))
    }

    /// A rasterizer whose fallback fonts are looked for under `font_dir`.
    fn with_fonts_from(font_dir: &Path) -> Self {
        let face = ttf_parser::Face::parse(REGULAR_TTF, 0).expect("the bundled font parses");
        let cap_height_em = face.capital_height().expect("the bundled font has an OS/2 cap height") as f32
            / face.units_per_em() as f32;
        Self {
            fonts: FontSystem::new_with_locale_and_db("en-US".into(), fonts::font_database(font_dir)),
            glyphs: SwashCache::new(),
            cap_height_em,
        }
    }

    /// Draws `spec`. Every non-empty text gives an image: lines wrap at
    /// [`MAX_PANEL_WIDTH_DEG`], text that would still exceed
    /// [`MAX_TEXTURE_EDGE_PX`] is scaled down (and, at the smallest size,
    /// cut), and characters no font can draw become boxes; each of these is
    /// listed in [`PanelImage::notices`].
    pub fn render(&mut self, spec: &TextPanelSpec) -> Result<PanelImage, TextPanelError> {
        let colors = Colors::new(spec.style);
        let Layout { mut buffer, sizes, width_px, height_px, cap_height_deg, notices } =
            self.lay_out(spec, &colors)?;
        let background = colors.background;
        let mut rgba =
            [background.r, background.g, background.b, background.a].repeat((width_px * height_px) as usize);
        let origin = sizes.padding_px as i32;
        let text = colors.text;
        buffer.draw(
            &mut self.fonts,
            &mut self.glyphs,
            Color::rgba(text.r, text.g, text.b, text.a),
            |x, y, w, h, color| {
                for dy in 0..h as i32 {
                    for dx in 0..w as i32 {
                        let (px, py) = (origin + x + dx, origin + y + dy);
                        if px >= 0 && py >= 0 && (px as u32) < width_px && (py as u32) < height_px {
                            let i = ((py as u32 * width_px + px as u32) * 4) as usize;
                            blend_over(&mut rgba[i..i + 4], color.as_rgba());
                        }
                    }
                }
            },
        );

        let cap_height_px = cap_height_deg * spec.pixels_per_degree;
        let metres_per_px = world_size_for_angle_m(cap_height_deg, spec.viewing_distance_m) / cap_height_px;
        Ok(PanelImage {
            width_px,
            height_px,
            rgba,
            world_width_m: width_px as f32 * metres_per_px,
            world_height_m: height_px as f32 * metres_per_px,
            notices,
        })
    }

    /// Validates `spec`, then shapes, wraps and fits its text.
    fn lay_out(&mut self, spec: &TextPanelSpec, colors: &Colors) -> Result<Layout, TextPanelError> {
        // Upper limits keep every pixel size finite: at most 90° letters,
        // and texture density well above any display's (20–70 px per degree).
        for (name, value, limit) in [
            ("cap_height_deg", spec.cap_height_deg, 90.0),
            ("viewing_distance_m", spec.viewing_distance_m, f32::MAX),
            ("pixels_per_degree", spec.pixels_per_degree, 1000.0),
        ] {
            if !(value > 0.0 && value.is_finite()) {
                return Err(TextPanelError::NotPositive { name, value });
            }
            if value > limit {
                return Err(TextPanelError::AboveLimit { name, value, limit });
            }
        }
        if spec.lines.iter().all(|l| l.text.trim().is_empty()) {
            return Err(TextPanelError::Empty);
        }

        // Bound the text before copying or shaping any of it.
        let total_chars = char_count(spec.lines.iter().map(|l| l.text.as_str()));
        let lines = spec.lines.iter().map(|l| (l.text.as_str(), l.weight));
        let mut cut = total_chars > MAX_PANEL_CHARS;
        let mut paragraphs =
            if cut { cut_to(lines, MAX_PANEL_CHARS - 1) } else { first_chars(lines, total_chars) };

        let max_edge = MAX_TEXTURE_EDGE_PX as f32;
        let requested_font_px = spec.cap_height_deg * spec.pixels_per_degree / self.cap_height_em;
        // One row must fit whatever the text; smaller text is the only way.
        let one_row_px = requested_font_px * (LINE_HEIGHT_EM + 2.0 * PADDING_EM) + 2.0;
        let mut scale = (max_edge / one_row_px).min(1.0);
        let min_scale = (MIN_CAP_HEIGHT_DEG / spec.cap_height_deg).min(1.0);

        // Placeholder metrics: `wrap` sets the real ones for each size tried.
        let mut buffer = Buffer::new(&mut self.fonts, Metrics::new(1.0, 1.0));
        buffer.set_wrap(Wrap::WordOrGlyph);
        self.set_text(&mut buffer, &paragraphs, colors);
        let mut tries = 0;
        let sizes = loop {
            let sizes = Sizes::for_font(requested_font_px * scale);
            let wrap_px = sizes.wrap_width_px(spec.pixels_per_degree);
            self.wrap(&mut buffer, sizes, wrap_px);
            let (width_px, height_px) = sizes.panel_px(text_width_px(&buffer), buffer.layout_runs().count());
            if width_px <= MAX_TEXTURE_EDGE_PX && height_px <= MAX_TEXTURE_EDGE_PX {
                break sizes;
            }
            tries += 1;
            if scale <= min_scale || tries == MAX_FIT_TRIES {
                // Keep the rows that fit, less one for the "…".
                let rows = ((max_edge - 2.0 * sizes.padding_px) / sizes.line_height_px) as usize;
                let keep = chars_in_rows(&buffer, &paragraphs, rows.max(2) - 1);
                paragraphs = cut_to(paragraphs.iter().map(|(text, weight)| (text.as_str(), *weight)), keep);
                cut = true;
                self.set_text(&mut buffer, &paragraphs, colors);
                self.wrap(&mut buffer, sizes, wrap_px);
                break sizes;
            }
            // Wrapped text shrinks in both directions, so the first try
            // scales by the square root; rows that do not wrap shrink only
            // in height, so later tries scale by the whole excess. The 2 %
            // margin absorbs rounding of the line height.
            let excess = (width_px as f32 / max_edge).max(height_px as f32 / max_edge);
            let step = if tries == 1 { excess.sqrt() } else { excess };
            scale = (scale / step * 0.98).max(min_scale);
        };

        // Lay the text out again at its own width, so that right-to-left
        // rows, which align to the right edge, end at the panel's edge. If
        // rounding changes a row break, keep the full wrapping width.
        let rows = buffer.layout_runs().count();
        let text_width = text_width_px(&buffer).ceil();
        let wrap_px = sizes.wrap_width_px(spec.pixels_per_degree);
        self.wrap(&mut buffer, sizes, text_width);
        let text_width = if buffer.layout_runs().count() == rows {
            text_width
        } else {
            self.wrap(&mut buffer, sizes, wrap_px);
            wrap_px
        };
        let (width_px, height_px) = sizes.panel_px(text_width, rows);
        // A cut that could not remove enough rows (a single row's worth of
        // room) is clipped at the bottom edge when drawn.
        let height_px = height_px.min(MAX_TEXTURE_EDGE_PX);

        let scaled = sizes.font_px != requested_font_px;
        let drawn_cap_height_deg = if scaled {
            sizes.font_px * self.cap_height_em / spec.pixels_per_degree
        } else {
            spec.cap_height_deg
        };
        let mut notices = missing_fonts(&buffer);
        if sizes.font_px < requested_font_px {
            notices.push(PanelNotice::ScaledDown {
                requested_cap_height_deg: spec.cap_height_deg,
                drawn_cap_height_deg,
            });
        }
        if cut {
            let shown_chars = char_count(paragraphs.iter().map(|(text, _)| text.as_str()));
            notices.push(PanelNotice::Cut { shown_chars, total_chars });
        }
        Ok(Layout { buffer, sizes, width_px, height_px, cap_height_deg: drawn_cap_height_deg, notices })
    }

    /// Gives `buffer` the paragraphs' text, shaped once for every size tried.
    fn set_text(&mut self, buffer: &mut Buffer, paragraphs: &[Paragraph], colors: &Colors) {
        let regular = Attrs::new().family(Family::Name(FAMILY));
        let bold = regular.clone().weight(Weight::BOLD);
        let dimmed = colors.tentative;
        let tentative = regular.clone().color(Color::rgba(dimmed.r, dimmed.g, dimmed.b, dimmed.a));
        let mut spans = Vec::new();
        for (i, (text, weight)) in paragraphs.iter().enumerate() {
            if i > 0 {
                spans.push(("\n", regular.clone()));
            }
            let attrs = match weight {
                LineWeight::Bold => bold.clone(),
                LineWeight::Regular => regular.clone(),
                LineWeight::Tentative => tentative.clone(),
            };
            match fonts::han_family(text) {
                Some(family) => spans.extend(fonts::han_pieces(text).into_iter().map(|(piece, han)| {
                    (piece, if han { attrs.clone().family(Family::Name(family)) } else { attrs.clone() })
                })),
                None => spans.push((text.as_str(), attrs)),
            }
        }
        buffer.set_rich_text(spans, &regular, Shaping::Advanced, None);
    }

    /// Lays `buffer` out at `sizes`, wrapping rows at `wrap_px`: at word
    /// boundaries (UAX #14, which also allows breaks between CJK
    /// characters), or inside a word too long for a row of its own.
    fn wrap(&mut self, buffer: &mut Buffer, sizes: Sizes, wrap_px: f32) {
        buffer.set_metrics_and_size(Metrics::new(sizes.font_px, sizes.line_height_px), Some(wrap_px), None);
        buffer.shape_until_scroll(&mut self.fonts, false);
    }
}

/// Width of the widest row.
fn text_width_px(buffer: &Buffer) -> f32 {
    buffer.layout_runs().map(|run| run.line_w).fold(0.0, f32::max)
}

/// Characters in `paragraphs`, counting the line break between two
/// paragraphs as one.
fn char_count<'a>(paragraphs: impl ExactSizeIterator<Item = &'a str>) -> usize {
    let breaks = paragraphs.len().saturating_sub(1);
    paragraphs.map(|text| text.chars().count()).sum::<usize>() + breaks
}

/// The first `max_chars` characters of `paragraphs` (counted as in
/// [`char_count`]), with line breaks inside paragraphs made spaces (they
/// would otherwise start paragraphs of their own).
fn first_chars<'a>(
    paragraphs: impl IntoIterator<Item = (&'a str, LineWeight)>,
    max_chars: usize,
) -> Vec<Paragraph> {
    let mut left = max_chars;
    let mut out = Vec::new();
    for (i, (text, weight)) in paragraphs.into_iter().enumerate() {
        if i > 0 {
            // The line break before this paragraph, and at least one character of it.
            if left < 2 {
                break;
            }
            left -= 1;
        }
        let text: String =
            text.chars().take(left).map(|c| if matches!(c, '\n' | '\r') { ' ' } else { c }).collect();
        left -= text.chars().count();
        out.push((text, weight));
    }
    out
}

/// [`first_chars`], ending in "…" to show that text was left out.
fn cut_to<'a>(
    paragraphs: impl IntoIterator<Item = (&'a str, LineWeight)>,
    max_chars: usize,
) -> Vec<Paragraph> {
    let mut kept = first_chars(paragraphs, max_chars);
    match kept.last_mut() {
        Some((text, _)) => {
            text.truncate(text.trim_end().len());
            text.push('…');
        }
        None => kept.push(("…".into(), LineWeight::Regular)),
    }
    kept
}

/// How many characters of `paragraphs` (counted as in [`first_chars`]) the
/// first `rows` laid-out rows of `buffer` hold.
fn chars_in_rows(buffer: &Buffer, paragraphs: &[Paragraph], rows: usize) -> usize {
    let Some(last) = buffer.layout_runs().take(rows).last() else { return 0 };
    // Rows break in logical order, so the row's last character is its
    // greatest byte offset, whatever the visual order of its glyphs.
    let end = last.glyphs.iter().map(|g| g.end).max().unwrap_or(0);
    let before = char_count(paragraphs[..last.line_i].iter().map(|(text, _)| text.as_str()));
    // The line break between the earlier paragraphs and this row's.
    let line_break = usize::from(last.line_i > 0);
    before + line_break + last.text[..end].chars().count()
}

/// One notice per writing system whose characters were shaped to glyph 0
/// (`.notdef`, the "missing glyph" box): no loaded font has them.
fn missing_fonts(buffer: &Buffer) -> Vec<PanelNotice> {
    let mut notices: Vec<PanelNotice> = Vec::new();
    for run in buffer.layout_runs() {
        for glyph in run.glyphs.iter().filter(|g| g.glyph_id == 0) {
            let Some(c) = run.text[glyph.start..glyph.end].chars().next() else { continue };
            let (name, package) = fonts::writing_system(c);
            match notices.iter_mut().find_map(|n| match n {
                PanelNotice::MissingFont { writing_system, characters, .. } if *writing_system == name => {
                    Some(characters)
                }
                _ => None,
            }) {
                Some(characters) => *characters += 1,
                None => {
                    notices.push(PanelNotice::MissingFont { writing_system: name, package, characters: 1 })
                }
            }
        }
    }
    notices
}

/// Porter-Duff "source over destination" with straight alpha.
fn blend_over(dst: &mut [u8], src: [u8; 4]) {
    let sa = src[3] as f32 / 255.0;
    if sa <= 0.0 {
        return;
    }
    let da = dst[3] as f32 / 255.0;
    let out_a = sa + da * (1.0 - sa);
    for c in 0..3 {
        let blended = (src[c] as f32 * sa + dst[c] as f32 * da * (1.0 - sa)) / out_a;
        dst[c] = blended.round() as u8;
    }
    dst[3] = (out_a * 255.0).round() as u8;
}

#[cfg(test)]
mod tests {
    use super::*;
    use allverse_core::color::contrast_ratio;

    const DARK: PanelTextStyle = PanelTextStyle { text: Srgba8::WHITE, background: Srgba8::BLACK };

    fn spec(lines: &[PanelLine]) -> TextPanelSpec<'_> {
        TextPanelSpec {
            lines,
            cap_height_deg: 0.7,
            viewing_distance_m: 2.0,
            pixels_per_degree: 40.0,
            style: DARK,
        }
    }

    /// Rows (top, bottom) that contain any pixel brighter than the background.
    fn inked_rows(image: &PanelImage) -> (u32, u32) {
        let inked: Vec<u32> = (0..image.height_px)
            .filter(|&y| (0..image.width_px).any(|x| image.pixel(x, y)[0] > 128))
            .collect();
        (*inked.first().expect("some ink"), *inked.last().unwrap())
    }

    #[test]
    fn glyph_pixels_are_present_and_cap_height_matches_the_angle() {
        let mut rasterizer = TextRasterizer::new();
        for cap_height_deg in [0.7, 1.0, 1.5] {
            let lines = [PanelLine::regular("HHHH")];
            let image = rasterizer.render(&TextPanelSpec { cap_height_deg, ..spec(&lines) }).unwrap();
            let (top, bottom) = inked_rows(&image);
            let measured_px = (bottom - top + 1) as f32;
            let expected_px = cap_height_deg * 40.0;
            let error = (measured_px - expected_px).abs() / expected_px;
            assert!(error < 0.05, "cap {cap_height_deg}°: {measured_px} px vs {expected_px} px");

            // The world size reproduces the angle at the viewing distance.
            let metres_per_px = image.world_height_m / image.height_px as f32;
            let angle = allverse_core::placement::angle_for_world_size_deg(measured_px * metres_per_px, 2.0);
            assert!((angle - cap_height_deg).abs() / cap_height_deg < 0.05, "{angle}° vs {cap_height_deg}°");
        }
    }

    #[test]
    fn more_lines_make_a_taller_panel_and_bold_is_wider() {
        let mut rasterizer = TextRasterizer::new();
        let one = rasterizer.render(&spec(&[PanelLine::regular("Hello")])).unwrap();
        let two =
            rasterizer.render(&spec(&[PanelLine::regular("Hello"), PanelLine::regular("there")])).unwrap();
        assert!(two.height_px > one.height_px && two.world_height_m > one.world_height_m);
        let bold = rasterizer.render(&spec(&[PanelLine::bold("Hello")])).unwrap();
        assert!(bold.width_px > one.width_px, "{} vs {}", bold.width_px, one.width_px);
        assert_eq!(one.rgba.len(), (one.width_px * one.height_px * 4) as usize);
    }

    #[test]
    fn low_contrast_colours_are_corrected() {
        let mut rasterizer = TextRasterizer::new();
        let grey = Srgba8::opaque(90, 90, 90);
        let style = PanelTextStyle { text: grey, background: Srgba8::opaque(60, 60, 60) };
        let lines = [PanelLine::regular("IIII")];
        let image = rasterizer.render(&TextPanelSpec { style, ..spec(&lines) }).unwrap();
        // The brightest pixel is the fully covered text colour.
        let brightest = image.rgba.chunks(4).max_by_key(|p| p[0] as u32 + p[1] as u32 + p[2] as u32).unwrap();
        let text = Srgba8::opaque(brightest[0], brightest[1], brightest[2]);
        assert!(contrast_ratio(text, style.background) >= 4.4, "{text:?}");
    }

    #[test]
    fn background_opacity_is_kept() {
        let mut rasterizer = TextRasterizer::new();
        let style = PanelTextStyle { text: Srgba8::WHITE, background: Srgba8::BLACK.with_alpha(128) };
        let lines = [PanelLine::regular("H")];
        let image = rasterizer.render(&TextPanelSpec { style, ..spec(&lines) }).unwrap();
        assert_eq!(image.pixel(0, 0), [0, 0, 0, 128]);
    }

    #[test]
    fn bad_requests_get_clear_errors() {
        let mut rasterizer = TextRasterizer::new();
        assert_eq!(rasterizer.render(&spec(&[PanelLine::regular("  ")])), Err(TextPanelError::Empty));
        let lines = [PanelLine::regular("x")];
        let err = rasterizer.render(&TextPanelSpec { viewing_distance_m: 0.0, ..spec(&lines) }).unwrap_err();
        assert_eq!(err.to_string(), "viewing_distance_m must be a positive number, not 0");
        let err = rasterizer.render(&TextPanelSpec { pixels_per_degree: 1e30, ..spec(&lines) }).unwrap_err();
        assert_eq!(
            err.to_string(),
            "pixels_per_degree must be at most 1000, not 1000000000000000000000000000000"
        );
    }

    // Text in other scripts, and long text (issue #14, kind 6).

    const ARABIC: &str = "مرحبا بكم";
    const HEBREW: &str = "שלום";

    /// `text` laid out as one regular paragraph at the test's sizes.
    fn layout_of(rasterizer: &mut TextRasterizer, text: &str, cap_height_deg: f32) -> Layout {
        let lines = [PanelLine::regular(text)];
        let spec = TextPanelSpec { cap_height_deg, ..spec(&lines) };
        rasterizer.lay_out(&spec, &Colors::new(spec.style)).unwrap()
    }

    /// Every laid-out glyph with its row's text: (row text, glyph).
    fn glyphs(layout: &Layout) -> Vec<(String, cosmic_text::LayoutGlyph)> {
        layout
            .buffer
            .layout_runs()
            .flat_map(|run| run.glyphs.iter().map(|g| (run.text.to_owned(), g.clone())))
            .collect()
    }

    fn family(rasterizer: &TextRasterizer, glyph: &cosmic_text::LayoutGlyph) -> String {
        rasterizer.fonts.db().face(glyph.font_id).expect("a loaded face").families[0].0.clone()
    }

    /// Pixels that differ from the background colour.
    fn ink(image: &PanelImage) -> usize {
        image.rgba.chunks(4).filter(|p| p[..3] != [0, 0, 0]).count()
    }

    fn row_count(layout: &Layout) -> usize {
        layout.buffer.layout_runs().count()
    }

    #[test]
    fn other_scripts_are_drawn_from_their_noto_fonts() {
        let mut rasterizer = TextRasterizer::new();
        for (text, family_prefix) in [
            (ARABIC, "Noto Sans Arabic"),
            (HEBREW, "Noto Sans Hebrew"),
            ("你好，世界", "Noto Sans CJK SC"),
            ("こんにちは世界", "Noto Sans CJK JP"),
            ("안녕하세요 漢字", "Noto Sans CJK KR"),
            ("😀🎉", "Noto Color Emoji"),
            ("नमस्ते", "Noto Sans Devanagari"),
            ("Привет", "Noto Sans"),
        ] {
            let layout = layout_of(&mut rasterizer, text, 0.7);
            let glyphs = glyphs(&layout);
            assert!(!glyphs.is_empty(), "{text}");
            for (row, glyph) in &glyphs {
                assert_ne!(glyph.glyph_id, 0, "{text}: a .notdef box was laid out");
                if row[glyph.start..glyph.end].trim().is_empty() {
                    continue; // Spaces come from the bundled font, which has them.
                }
                let family = family(&rasterizer, glyph);
                assert!(family.starts_with(family_prefix), "{text}: drawn with {family}");
            }
            let image = rasterizer.render(&spec(&[PanelLine::regular(text)])).unwrap();
            assert_eq!(image.notices, [], "{text}");
            assert!(ink(&image) > 100, "{text}: only {} inked pixels", ink(&image));
        }
    }

    #[test]
    fn latin_stays_in_the_bundled_font_and_emoji_keep_their_colours() {
        let mut rasterizer = TextRasterizer::new();
        let layout = layout_of(&mut rasterizer, "Exit 😀", 0.7);
        for (row, glyph) in glyphs(&layout) {
            let family = family(&rasterizer, &glyph);
            let expected = if row[glyph.start..].starts_with('😀') { "Noto Color Emoji" } else { FAMILY };
            assert_eq!(family, expected, "{:?}", &row[glyph.start..glyph.end]);
        }
        // White text on black has no hue; the emoji's yellow face does.
        let image = rasterizer.render(&spec(&[PanelLine::regular("😀")])).unwrap();
        let coloured = image.rgba.chunks(4).filter(|p| p[0] > 150 && p[1] > 100 && p[2] < 80).count();
        assert!(coloured > 50, "only {coloured} yellow pixels");
    }

    #[test]
    fn arabic_and_hebrew_run_right_to_left() {
        let mut rasterizer = TextRasterizer::new();
        for text in [ARABIC, HEBREW] {
            let layout = layout_of(&mut rasterizer, text, 0.7);
            let run = layout.buffer.layout_runs().next().unwrap();
            assert!(run.rtl, "{text}: the paragraph is right-to-left");
            // Logical order runs from right to left on screen.
            let mut by_start: Vec<_> = run.glyphs.iter().collect();
            by_start.sort_by_key(|g| g.start);
            assert!(by_start.first().unwrap().x > by_start.last().unwrap().x, "{text}");
            // The right-aligned row ends at the panel's right edge, not beyond.
            let right = run.glyphs.iter().map(|g| g.x + g.w).fold(0.0, f32::max);
            let text_edge = layout.width_px as f32 - 2.0 * layout.sizes.padding_px;
            assert!((right - text_edge).abs() <= 2.0, "{text}: ends at {right}, panel text edge {text_edge}");
        }
        // In a left-to-right sentence an Arabic word still reads right to left.
        let layout = layout_of(&mut rasterizer, "Exit مخرج", 0.7);
        let run = layout.buffer.layout_runs().next().unwrap();
        assert!(!run.rtl);
        let x_of = |byte: usize| run.glyphs.iter().find(|g| g.start == byte).map(|g| g.x);
        let (e, alef_mim) = (x_of(0).unwrap(), x_of("Exit ".len()).unwrap());
        let last_arabic =
            run.glyphs.iter().filter(|g| g.start >= "Exit ".len()).map(|g| g.x).fold(f32::MAX, f32::min);
        assert!(
            e < last_arabic && last_arabic < alef_mim,
            "E {e}, Arabic from {alef_mim} leftwards to {last_arabic}"
        );
    }

    #[test]
    fn arabic_letters_are_joined() {
        let mut rasterizer = TextRasterizer::new();
        // A letter alone takes its isolated form; at a word's start, its initial form.
        let glyph_of_first_letter = |rasterizer: &mut TextRasterizer, text: &str| {
            let layout = layout_of(rasterizer, text, 0.7);
            glyphs(&layout).into_iter().find(|(_, g)| g.start == 0).unwrap().1.glyph_id
        };
        let isolated = glyph_of_first_letter(&mut rasterizer, "م");
        let initial = glyph_of_first_letter(&mut rasterizer, "مرحبا");
        assert_ne!(isolated, initial, "م keeps its isolated form inside a word");
    }

    #[test]
    fn characters_without_a_font_are_reported_not_silently_boxed() {
        // No fallback fonts at all: only the bundled Latin font.
        let empty = tempfile::tempdir().unwrap();
        let mut rasterizer = TextRasterizer::with_fonts_from(empty.path());
        let lines = [PanelLine::bold("Ahmed:"), PanelLine::regular(format!("{ARABIC} 😀"))];
        let image = rasterizer.render(&spec(&lines)).unwrap();
        assert_eq!(
            image.notices,
            [
                PanelNotice::MissingFont {
                    writing_system: "Arabic",
                    package: Some("fonts-noto-core"),
                    characters: 8
                },
                PanelNotice::MissingFont {
                    writing_system: "emoji",
                    package: Some("fonts-noto-color-emoji"),
                    characters: 1
                },
            ]
        );
        assert_eq!(
            image.notices[0].to_string(),
            "8 Arabic character(s) are shown as empty boxes: no font for them is installed (Debian package fonts-noto-core)"
        );
        // What can be drawn still is: the Latin name.
        assert!(ink(&image) > 100);

        // With the fonts installed, a script nobody ships a font for is named too.
        let mut rasterizer = TextRasterizer::new();
        let image = rasterizer.render(&spec(&[PanelLine::regular("Sign: \u{12000}")])).unwrap();
        assert_eq!(
            image.notices,
            [PanelNotice::MissingFont { writing_system: "Cuneiform", package: None, characters: 1 }]
        );
    }

    #[test]
    fn a_long_sign_at_a_large_text_size_wraps_at_words_within_the_limits() {
        let mut rasterizer = TextRasterizer::new();
        let sign = "Emergency exit: follow the green arrows below.";
        assert_eq!(sign.chars().count(), 46);
        let layout = layout_of(&mut rasterizer, sign, 3.0);
        assert!(row_count(&layout) > 1, "the sign wraps");
        // Rows break between words: each row is whole words of the sign.
        let rows: Vec<String> = layout
            .buffer
            .layout_runs()
            .map(|run| {
                let start = run.glyphs.iter().map(|g| g.start).min().unwrap();
                let end = run.glyphs.iter().map(|g| g.end).max().unwrap();
                run.text[start..end].trim().to_owned()
            })
            .collect();
        assert_eq!(rows.join(" "), sign);
        let image = rasterizer
            .render(&TextPanelSpec { cap_height_deg: 3.0, ..spec(&[PanelLine::regular(sign)]) })
            .unwrap();
        assert_eq!(image.notices, [], "drawn at the size asked, whole");
        assert!(
            image.width_px <= (MAX_PANEL_WIDTH_DEG * 40.0) as u32 && image.height_px <= MAX_TEXTURE_EDGE_PX
        );
        // Still 3° capitals: 120 texture pixels (3° at 40 a degree) subtend 3°.
        let metres_per_px = image.world_height_m / image.height_px as f32;
        let angle = allverse_core::placement::angle_for_world_size_deg(120.0 * metres_per_px, 2.0);
        assert!((angle - 3.0).abs() < 0.01, "{angle}°");
    }

    #[test]
    fn chinese_wraps_between_characters() {
        let mut rasterizer = TextRasterizer::new();
        let text = "请沿着绿色箭头走到楼梯，然后下楼到一层的出口。";
        let layout = layout_of(&mut rasterizer, text, 3.0);
        assert!(row_count(&layout) > 1);
        assert!(layout.notices.is_empty(), "{:?}", layout.notices);
        assert!(layout.width_px <= (MAX_PANEL_WIDTH_DEG * 40.0) as u32);
    }

    #[test]
    fn an_unbreakable_long_word_is_scaled_down_with_a_notice() {
        let mut rasterizer = TextRasterizer::new();
        let word: String = "Llanfairpwllgwyngyll".chars().cycle().take(300).collect();
        let lines = [PanelLine::regular(word)];
        let image = rasterizer.render(&TextPanelSpec { cap_height_deg: 3.0, ..spec(&lines) }).unwrap();
        assert!(image.width_px <= MAX_TEXTURE_EDGE_PX && image.height_px <= MAX_TEXTURE_EDGE_PX);
        let [PanelNotice::ScaledDown { requested_cap_height_deg, drawn_cap_height_deg }] = image.notices[..]
        else {
            panic!("expected one ScaledDown notice, got {:?}", image.notices);
        };
        assert_eq!(requested_cap_height_deg, 3.0);
        assert!((MIN_CAP_HEIGHT_DEG..3.0).contains(&drawn_cap_height_deg), "{drawn_cap_height_deg}°");
        // No smaller than needed: within about 10 % of the largest size that fits.
        let bigger = TextPanelSpec { cap_height_deg: drawn_cap_height_deg * 1.1, ..spec(&lines) };
        let bigger = rasterizer.lay_out(&bigger, &Colors::new(DARK)).unwrap();
        assert!(!bigger.notices.is_empty(), "{drawn_cap_height_deg}° is needlessly small");
        // The notice tells the user in degrees.
        assert!(image.notices[0].to_string().starts_with("the text is shown at "), "{}", image.notices[0]);
    }

    #[test]
    fn text_too_long_even_at_the_smallest_size_is_cut_with_a_notice() {
        let mut rasterizer = TextRasterizer::new();
        let many: Vec<_> = (0..2000).map(|i| PanelLine::regular(format!("line {i}"))).collect();
        let total_chars = char_count(many.iter().map(|l| l.text.as_str()));
        let layout = rasterizer.lay_out(&spec(&many), &Colors::new(DARK)).unwrap();
        assert!(layout.width_px <= MAX_TEXTURE_EDGE_PX && layout.height_px <= MAX_TEXTURE_EDGE_PX);
        let last_row = layout.buffer.layout_runs().last().unwrap().text.to_owned();
        assert!(last_row.ends_with('…'), "{last_row}");
        let [
            PanelNotice::ScaledDown { drawn_cap_height_deg, .. },
            PanelNotice::Cut { shown_chars, total_chars: total },
        ] = layout.notices[..]
        else {
            panic!("expected ScaledDown and Cut, got {:?}", layout.notices);
        };
        assert!((drawn_cap_height_deg - MIN_CAP_HEIGHT_DEG).abs() < 0.01, "{drawn_cap_height_deg}°");
        assert!(shown_chars < total && total == total_chars, "{shown_chars} of {total}");
        // Every row drawn lies inside the panel.
        let bottom = layout.buffer.layout_runs().map(|r| r.line_top + r.line_height).fold(0.0, f32::max);
        assert!(bottom + 2.0 * layout.sizes.padding_px <= layout.height_px as f32 + 1.0);

        // Text beyond MAX_PANEL_CHARS is cut before it is shaped.
        let huge = [PanelLine::regular("x".repeat(100_000))];
        let image = rasterizer.render(&spec(&huge)).unwrap();
        assert!(image.width_px <= MAX_TEXTURE_EDGE_PX && image.height_px <= MAX_TEXTURE_EDGE_PX);
        assert!(image.notices.iter().any(|n| matches!(n, PanelNotice::Cut { shown_chars, total_chars: 100_000 } if *shown_chars <= MAX_PANEL_CHARS)), "{:?}", image.notices);
    }

    #[test]
    fn the_same_text_draws_the_same_pixels_in_every_rasterizer() {
        let lines = [PanelLine::bold("Ahmed:"), PanelLine::regular(format!("{ARABIC} · {HEBREW} · 你好 😀"))];
        let first = TextRasterizer::new().render(&spec(&lines)).unwrap();
        let second = TextRasterizer::new().render(&spec(&lines)).unwrap();
        assert!(first == second);
    }
}
