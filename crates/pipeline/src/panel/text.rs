//! Text panels: shaped, rasterized lines of text on a solid background.

use super::PanelImage;
use allverse_core::color::{MIN_TEXT_CONTRAST, Srgba8, ensure_contrast};
use allverse_core::panel_text::{LineWeight, PanelLine};
use allverse_core::placement::world_size_for_angle_m;
use cosmic_text::{Attrs, Buffer, Color, Family, FontSystem, Metrics, Shaping, SwashCache, Weight, fontdb};

const FAMILY: &str = "Atkinson Hyperlegible";
static REGULAR_TTF: &[u8] = include_bytes!("../../../../assets/fonts/AtkinsonHyperlegible-Regular.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../../../assets/fonts/AtkinsonHyperlegible-Bold.ttf");

/// Line height as a multiple of the font size: generous, as WCAG 1.4.12 asks.
const LINE_HEIGHT_EM: f32 = 1.35;
/// Margin around the text, as a multiple of the font size.
const PADDING_EM: f32 = 0.5;
/// Largest texture edge we produce; beyond it GPUs and memory budgets object.
const MAX_EDGE_PX: u32 = 4096;

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
    #[error(
        "the panel would be {width_px}×{height_px} px, above the {MAX_EDGE_PX} px limit; \
         use fewer or shorter lines, or a smaller text size"
    )]
    TooLarge { width_px: u32, height_px: u32 },
}

/// Shapes and rasterizes text panels. Creating one loads the bundled fonts,
/// so keep it and reuse it; its glyph cache makes later panels cheap.
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

impl TextRasterizer {
    pub fn new() -> Self {
        let mut db = fontdb::Database::new();
        db.load_font_data(REGULAR_TTF.to_vec());
        db.load_font_data(BOLD_TTF.to_vec());
        let face = ttf_parser::Face::parse(REGULAR_TTF, 0).expect("the bundled font parses");
        let cap_height_em = face.capital_height().expect("the bundled font has an OS/2 cap height") as f32
            / face.units_per_em() as f32;
        Self {
            fonts: FontSystem::new_with_locale_and_db("en-US".into(), db),
            glyphs: SwashCache::new(),
            cap_height_em,
        }
    }

    pub fn render(&mut self, spec: &TextPanelSpec) -> Result<PanelImage, TextPanelError> {
        for (name, value) in [
            ("cap_height_deg", spec.cap_height_deg),
            ("viewing_distance_m", spec.viewing_distance_m),
            ("pixels_per_degree", spec.pixels_per_degree),
        ] {
            if !(value > 0.0 && value.is_finite()) {
                return Err(TextPanelError::NotPositive { name, value });
            }
        }
        if spec.lines.iter().all(|l| l.text.trim().is_empty()) {
            return Err(TextPanelError::Empty);
        }

        let cap_height_px = spec.cap_height_deg * spec.pixels_per_degree;
        let font_size_px = cap_height_px / self.cap_height_em;
        let line_height_px = (font_size_px * LINE_HEIGHT_EM).ceil();
        let padding_px = (font_size_px * PADDING_EM).round();

        // Reject absurd sizes before shaping anything: a line cannot be wider
        // than about one em per character.
        let longest_chars = spec.lines.iter().map(|l| l.text.chars().count()).max().unwrap_or(0) as f32;
        let rough_width = longest_chars * font_size_px + 2.0 * padding_px;
        let rough_height = spec.lines.len() as f32 * line_height_px + 2.0 * padding_px;
        if rough_height > MAX_EDGE_PX as f32 || rough_width > 4.0 * MAX_EDGE_PX as f32 {
            return Err(TextPanelError::TooLarge {
                width_px: rough_width as u32,
                height_px: rough_height as u32,
            });
        }

        let mut buffer = Buffer::new(&mut self.fonts, Metrics::new(font_size_px, line_height_px));
        // No wrapping here: line breaking follows caption rules in allverse-core.
        buffer.set_size(None, None);
        let regular = Attrs::new().family(Family::Name(FAMILY));
        let bold = regular.clone().weight(Weight::BOLD);
        let background = spec.style.background;
        let text = ensure_contrast(spec.style.text, background.with_alpha(255), MIN_TEXT_CONTRAST);
        let dimmed =
            ensure_contrast(text.lerp(background, 0.35), background.with_alpha(255), MIN_TEXT_CONTRAST);
        let tentative = regular.clone().color(Color::rgba(dimmed.r, dimmed.g, dimmed.b, dimmed.a));
        let joined: Vec<String> = spec.lines.iter().map(|l| l.text.replace('\n', " ")).collect();
        let spans = joined.iter().zip(spec.lines).enumerate().flat_map(|(i, (text, line))| {
            let attrs = match line.weight {
                LineWeight::Bold => bold.clone(),
                LineWeight::Regular => regular.clone(),
                LineWeight::Tentative => tentative.clone(),
            };
            let newline = if i + 1 < joined.len() { Some(("\n", regular.clone())) } else { None };
            std::iter::once((text.as_str(), attrs)).chain(newline)
        });
        buffer.set_rich_text(spans, &regular, Shaping::Advanced, None);
        buffer.shape_until_scroll(&mut self.fonts, false);

        let text_width_px = buffer.layout_runs().map(|run| run.line_w).fold(0.0, f32::max);
        let width_px = (text_width_px + 2.0 * padding_px).ceil() as u32;
        let height_px = (spec.lines.len() as f32 * line_height_px + 2.0 * padding_px).ceil() as u32;
        if width_px > MAX_EDGE_PX || height_px > MAX_EDGE_PX {
            return Err(TextPanelError::TooLarge { width_px, height_px });
        }

        let mut rgba =
            [background.r, background.g, background.b, background.a].repeat((width_px * height_px) as usize);
        let origin = padding_px as i32;
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

        let metres_per_px =
            world_size_for_angle_m(spec.cap_height_deg, spec.viewing_distance_m) / cap_height_px;
        Ok(PanelImage {
            width_px,
            height_px,
            rgba,
            world_width_m: width_px as f32 * metres_per_px,
            world_height_m: height_px as f32 * metres_per_px,
        })
    }
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
        let huge = [PanelLine::regular("x".repeat(100_000))];
        assert!(matches!(rasterizer.render(&spec(&huge)), Err(TextPanelError::TooLarge { .. })));
        let many: Vec<_> = (0..2000).map(|_| PanelLine::regular("line")).collect();
        assert!(matches!(rasterizer.render(&spec(&many)), Err(TextPanelError::TooLarge { .. })));
    }
}
