//! The low-vision tools, checked on the simulator's pixels against known input.
//!
//! `tests/scenarios/vision.toml` holds reference colour cards, a magenta
//! striped card, a person, a table and a sign at known places, seen from a
//! fixed head with the eyes on the striped card. Each test renders it with
//! one `[vision]` profile and compares the capture with one rendered
//! without, or with the published model the tool implements.

use allverse_core::color::{Srgba8, contrast_ratio};
use allverse_core::profile::{Profile, set_key};
use allverse_core::scenario::Scenario;
use allverse_core::vision::{srgb_decode, srgb_encode};
use allverse_e2e::{Capture, repo_root, simulate_scenario};
use allverse_runtime::SessionReport;
use std::path::PathBuf;

fn scenario() -> Scenario {
    Scenario::load(&repo_root().join("tests/scenarios/vision.toml")).expect("the vision scenario is valid")
}

/// The profile with each `key = value` set as `allverse profile set` would.
fn profile(settings: &[(&str, &str)]) -> Profile {
    settings.iter().fold(Profile::default(), |profile, (key, value)| {
        set_key(&profile, key, value).unwrap_or_else(|e| panic!("{key} = {value}: {e}"))
    })
}

/// Renders the scene with `profile`; the capture, its report and the folder that holds them.
struct Rendered {
    capture: Capture,
    report: SessionReport,
    json: serde_json::Value,
    _dir: tempfile::TempDir,
}

fn render_scenario(scenario: Scenario, profile: Profile) -> Rendered {
    let dir = tempfile::tempdir().unwrap();
    let (report, json) = simulate_scenario(scenario, profile, dir.path());
    let path: PathBuf = report.captures.first().expect("the scene was captured").path.clone();
    if let Ok(keep) = std::env::var("ALLVERSE_KEEP_CAPTURES") {
        let name = format!("vision-{}.png", dir.path().file_name().unwrap().to_string_lossy());
        std::fs::copy(&path, std::path::Path::new(&keep).join(name)).unwrap();
    }
    Rendered { capture: Capture::read(&path), report, json, _dir: dir }
}

fn render(profile: Profile) -> Rendered {
    render_scenario(scenario(), profile)
}

impl Rendered {
    fn at(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.capture.width + x) * 3) as usize;
        [self.capture.rgb[i], self.capture.rgb[i + 1], self.capture.rgb[i + 2]]
    }

    /// Bounding box (left, top, right, bottom, inclusive) of pixels matching `predicate`
    /// within rows `rows`.
    fn bounds(&self, rows: std::ops::Range<u32>, predicate: impl Fn([u8; 3]) -> bool) -> Option<[u32; 4]> {
        let mut found: Option<[u32; 4]> = None;
        for y in rows {
            for x in 0..self.capture.width {
                if predicate(self.at(x, y)) {
                    let b = found.get_or_insert([x, y, x, y]);
                    *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
                }
            }
        }
        found
    }

    /// The text panels' rectangles as the report gives them, (id, [left, top, right, bottom]).
    fn panels(&self) -> Vec<(String, [f32; 4])> {
        self.report.captures[0].panels.iter().map(|p| (p.id.clone(), p.rect_px)).collect()
    }

    fn inside_a_panel(&self, x: u32, y: u32) -> bool {
        self.panels().iter().any(|(_, r)| {
            (r[0] - 2.0..=r[2] + 2.0).contains(&(x as f32)) && (r[1] - 2.0..=r[3] + 2.0).contains(&(y as f32))
        })
    }
}

fn magenta(p: [u8; 3]) -> bool {
    p[0] > 200 && p[1] < 80 && p[2] > 200
}

fn size(b: [u32; 4]) -> (f32, f32) {
    ((b[2] - b[0] + 1) as f32, (b[3] - b[1] + 1) as f32)
}

#[test]
fn the_magnifier_scales_a_known_pattern_by_its_factor() {
    let all_rows = 0..400;
    let base = render(Profile::default());
    let plain = base.bounds(all_rows.clone(), magenta).expect("the striped card is in view");
    let (width, height) = size(plain);
    for (mode, factor) in [("full_view", 2.0), ("full_view", 4.0), ("lens", 2.0)] {
        let magnified = render(profile(&[
            ("vision.magnifier", mode),
            ("vision.magnification", &factor.to_string()),
            ("vision.lens_size_deg", "50"),
        ]));
        let seen = magnified.bounds(all_rows.clone(), magenta).expect("the card is still in view");
        let (w, h) = size(seen);
        for (measured, expected, axis) in [(w / width, factor, "width"), (h / height, factor, "height")] {
            assert!(
                (measured / expected - 1.0).abs() <= 0.05,
                "{mode} ×{factor}: the card's {axis} grew {measured:.3}× ({plain:?} → {seen:?})"
            );
        }
    }
    // The bifocal strip (the bottom 25° of 60°) shows the card doubled;
    // above it, the view is unchanged.
    let bifocal = render(profile(&[("vision.magnifier", "bifocal"), ("vision.lens_size_deg", "25")]));
    let strip_top = 400 - (400.0 * 25.0 / 60.0) as u32;
    let above = bifocal.bounds(0..strip_top - 3, magenta).expect("the card above the strip");
    let (aw, _) = size(above);
    assert!((aw / width - 1.0).abs() <= 0.05, "above the strip, unchanged: {above:?} vs {plain:?}");
    let strip = bifocal.bounds(strip_top + 3..400, magenta).expect("the card in the strip");
    let (sw, sh) = size(strip);
    assert!((sw / width / 2.0 - 1.0).abs() <= 0.05, "in the strip, doubled: {strip:?} vs {plain:?}");
    assert!((sh / height / 2.0 - 1.0).abs() <= 0.05, "in the strip, doubled: {strip:?} vs {plain:?}");
}

fn cyan(p: [u8; 3]) -> bool {
    p[0] < 60 && p[1] > 200 && p[2] > 200
}

#[test]
fn edges_outline_object_boundaries_and_nothing_else() {
    let base = render(Profile::default());
    let red = base.bounds(0..400, |p| p[0] > 180 && p[1] < 90 && p[2] < 80).expect("the red card");
    let edged = render(profile(&[("vision.edges", "true"), ("vision.edge_colour", "#00ffff")]));
    // Along each side of the red card, the outline is drawn almost all the way.
    let column_has_edge = |x: u32, y: u32| (x.saturating_sub(3)..=x + 3).any(|x| cyan(edged.at(x, y)));
    let row_has_edge = |x: u32, y: u32| (y.saturating_sub(3)..=y + 3).any(|y| cyan(edged.at(x, y)));
    let [left, top, right, bottom] = red;
    let covered = |hits: usize, of: u32| hits as f32 / of as f32;
    for (side, hits, of) in [
        ("left", (top..=bottom).filter(|&y| column_has_edge(left, y)).count(), bottom - top + 1),
        ("right", (top..=bottom).filter(|&y| column_has_edge(right, y)).count(), bottom - top + 1),
        ("top", (left..=right).filter(|&x| row_has_edge(x, top)).count(), right - left + 1),
        ("bottom", (left..=right).filter(|&x| row_has_edge(x, bottom)).count(), right - left + 1),
    ] {
        assert!(covered(hits, of) > 0.8, "the red card's {side} edge is outlined on {hits} of {of} pixels");
    }
    // Inside the flat card, and on open wall, no outline.
    let inset = (right - left) / 4;
    let inside = (top + inset..bottom - inset)
        .flat_map(|y| (left + inset..right - inset).map(move |x| (x, y)))
        .filter(|&(x, y)| cyan(edged.at(x, y)))
        .count();
    assert_eq!(inside, 0, "the card's face is flat: no edges inside it");
    let wall = (60..100).flat_map(|y| (250..400).map(move |x| (x, y)));
    let on_wall = wall.filter(|&(x, y)| cyan(edged.at(x, y))).count();
    assert_eq!(on_wall, 0, "the plain wall has no edges");
}

/// The card centres, from the unfiltered capture.
fn card_centres(base: &Rendered) -> Vec<(u32, u32)> {
    let row = base.bounds(0..400, |p| p[0] > 180 && p[1] < 90 && p[2] < 80).expect("the red card");
    let y = (row[1] + row[3]) / 2;
    let card_width = row[2] - row[0];
    // Four cards, equally spaced, left to right.
    let pitch = (base.bounds(y..y + 1, |p| p[0] > 200 && p[1] > 170 && p[2] < 100).expect("the yellow card")
        [0]
        - row[0])
        / 3;
    (0..4).map(|i| (row[0] + card_width / 2 + i * pitch, y)).collect()
}

fn linear(p: [u8; 3]) -> allverse_core::glam::Vec3 {
    allverse_core::glam::Vec3::from(p.map(|c| srgb_decode(c as f32 / 255.0)))
}

#[test]
fn colour_filters_map_reference_colours_to_the_published_model() {
    let base = render(Profile::default());
    let centres = card_centres(&base);
    for (filter, strength) in [
        ("protanopia", "1.0"),
        ("deuteranopia", "1.0"),
        ("tritanopia", "1.0"),
        ("deuteranopia", "0.4"),
        ("invert", "1.0"),
    ] {
        let settings = [("vision.filter", filter), ("vision.filter_strength", strength)];
        let filtered = render(profile(&settings));
        let model = profile(&settings).vision;
        for &(x, y) in &centres {
            let expected =
                model.apply_colour(linear(base.at(x, y))).to_array().map(|c| srgb_encode(c) * 255.0);
            let seen = filtered.at(x, y);
            for channel in 0..3 {
                assert!(
                    (seen[channel] as f32 - expected[channel]).abs() <= 3.0,
                    "{filter} at {strength}: {:?} became {seen:?}, the model says {expected:?}",
                    base.at(x, y)
                );
            }
        }
        let changed = centres.iter().any(|&(x, y)| filtered.at(x, y) != base.at(x, y));
        assert!(changed, "{filter} changed the colours");
    }
}

#[test]
fn greyscale_leaves_no_chroma_in_the_scene() {
    let grey = render(profile(&[("vision.filter", "greyscale")]));
    let (w, h) = (grey.capture.width, grey.capture.height);
    let coloured: Vec<(u32, u32, [u8; 3])> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| !grey.inside_a_panel(x, y))
        .map(|(x, y)| (x, y, grey.at(x, y)))
        .filter(|(_, _, p)| p.iter().max().unwrap() - p.iter().min().unwrap() > 2)
        .take(5)
        .collect();
    assert!(coloured.is_empty(), "pixels with colour left: {coloured:?}");
}

/// The contrast between a panel's text and its background, from its brightest and darkest pixels.
fn panel_contrast(rendered: &Rendered, rect: [f32; 4]) -> f32 {
    let inset_x = (rect[2] - rect[0]) * 0.1;
    let inset_y = (rect[3] - rect[1]) * 0.1;
    let (x0, x1) = ((rect[0] + inset_x) as u32, (rect[2] - inset_x) as u32);
    let (y0, y1) = ((rect[1] + inset_y) as u32, (rect[3] - inset_y) as u32);
    let luminances: Vec<(f32, [u8; 3])> = (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .map(|(x, y)| rendered.at(x, y))
        .map(|p| (Srgba8::opaque(p[0], p[1], p[2]).relative_luminance(), p))
        .collect();
    let darkest = luminances.iter().min_by(|a, b| a.0.total_cmp(&b.0)).unwrap().1;
    let brightest = luminances.iter().max_by(|a, b| a.0.total_cmp(&b.0)).unwrap().1;
    contrast_ratio(
        Srgba8::opaque(darkest[0], darkest[1], darkest[2]),
        Srgba8::opaque(brightest[0], brightest[1], brightest[2]),
    )
}

#[test]
fn text_panels_keep_their_contrast_under_every_filter() {
    for filter in ["none", "greyscale", "invert", "protanopia", "deuteranopia", "tritanopia"] {
        for boost in ["false", "true"] {
            let rendered = render(profile(&[
                ("vision.filter", filter),
                ("vision.text_boost", boost),
                ("vision.contrast", "2.0"),
            ]));
            let panels = rendered.panels();
            assert!(panels.len() >= 2, "the name tag and the sign are in view: {panels:?}");
            for (id, rect) in panels {
                let ratio = panel_contrast(&rendered, rect);
                assert!(ratio >= 4.5, "{filter}, text boost {boost}: `{id}` has {ratio:.2}:1");
            }
        }
    }
}

#[test]
fn text_boost_makes_every_panel_larger() {
    let plain = render(Profile::default());
    let boosted = render(profile(&[("vision.text_boost", "true")]));
    for ((id, before), (_, after)) in plain.panels().iter().zip(boosted.panels()) {
        let grew = (after[3] - after[1]) / (before[3] - before[1]);
        assert!(grew >= 1.4, "`{id}` grew only {grew:.2}× in height");
    }
}

#[test]
fn what_is_that_says_the_name_and_distance_from_where_it_is() {
    let mut scenario = scenario();
    // The eyes move to Ana (1.6 m left, 3.5 m ahead), then "/" asks what that is.
    let yaw_deg = (1.6f32).atan2(3.5).to_degrees();
    scenario.gaze.push(allverse_core::scenario::GazeKey { at_s: 0.1, yaw_deg, pitch_deg: 0.0 });
    scenario.gaze.push(allverse_core::scenario::GazeKey { at_s: 0.5, yaw_deg, pitch_deg: 0.0 });
    scenario.inputs.push(allverse_core::scenario::InputEvent {
        at_s: 0.2,
        device: "keyboard".into(),
        input: "Slash".into(),
        hold_s: 0.0,
    });
    let rendered = render_scenario(scenario, profile(&[("vision.highlight", "outline")]));
    let spoken: Vec<&serde_json::Value> = rendered.json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "spoken" && e["source"] == "describe")
        .collect();
    assert_eq!(spoken.len(), 1, "{spoken:?}");
    // To the body's surface: 3.85 m to its axis, less its 0.22 m radius.
    assert_eq!(spoken[0]["text"], "Ana, 3.6 metres");
    let azimuth_deg = spoken[0]["azimuth_deg"].as_f64().unwrap() as f32;
    assert!((azimuth_deg.abs() - yaw_deg).abs() < 2.0, "heard from Ana's direction: {azimuth_deg}");
    // And Ana is outlined in the capture (yellow, the default outline colour).
    let outline = rendered.bounds(0..400, |p| p[0] > 230 && p[1] > 190 && p[2] < 60);
    let [left, _, right, _] = outline.expect("an outline is drawn");
    assert!(right < 320 && left < 200, "the outline is around Ana, on the left: {outline:?}");
}

#[test]
fn the_brightness_cap_holds_for_every_pixel() {
    let capped = render(profile(&[("vision.brightness_cap", "0.4"), ("vision.text_boost", "true")]));
    let brightest = capped
        .capture
        .pixels()
        .map(|p| Srgba8::opaque(p[0], p[1], p[2]).relative_luminance())
        .fold(0.0f32, f32::max);
    assert!(brightest <= 0.4 + 0.01, "the brightest pixel has luminance {brightest}");
    // White text on black stays readable under the cap.
    for (id, rect) in capped.panels() {
        assert!(panel_contrast(&capped, rect) >= 4.5, "`{id}` under the cap");
    }
}

#[test]
fn the_highlight_never_fills_the_view_from_inside_an_object() {
    let mut scenario = scenario();
    // The head inside the table, looking at its far side.
    scenario.head = vec![allverse_core::scenario::HeadKey {
        at_s: 0.0,
        position_m: allverse_core::glam::Vec3::new(1.6, 0.5, -3.0),
        yaw_deg: 0.0,
        pitch_deg: 0.0,
    }];
    scenario.gaze.clear();
    let rendered = render_scenario(scenario, profile(&[("vision.highlight", "glow")]));
    let yellowish = rendered.capture.fraction(|p| p[0] > 200 && p[1] > 170 && p[2] < 120);
    assert!(yellowish < 0.01, "the glow shell is not drawn around the eye: {yellowish}");
}

#[test]
fn checkpoints_in_the_same_frame_each_get_their_capture() {
    let mut scenario = scenario();
    // 10 frames a second: both fall between the frames at 0.3 and 0.4 s.
    for (at_s, name) in [(0.31, "first"), (0.39, "second")] {
        scenario.checkpoints.push(allverse_core::scenario::Checkpoint { at_s, capture: name.into() });
    }
    let rendered = render_scenario(scenario, Profile::default());
    let names: Vec<&str> = rendered.report.captures.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["view", "first", "second"]);
    for capture in &rendered.report.captures {
        assert!(capture.path.exists(), "{} is written", capture.name);
    }
}
