//! Caption update → panel image ready, on the CPU.
//!
//! Target (ours, not an issue's): p95 ≤ 4 ms, so a caption change fits in a
//! third of a 90 Hz frame and never delays the frame it lands in.

use crate::measurement::{Goal, Measurement, percentile};
use allverse_core::caption::CaptionLayout;
use allverse_core::color::ContrastTheme;
use allverse_pipeline::panel::{PanelLine, PanelTextStyle, TextPanelSpec, TextRasterizer};
use anyhow::Result;
use std::time::Instant;

const UPDATES: usize = 300;

pub fn run() -> Result<Vec<Measurement>> {
    let transcript = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/audio/librivox/sense_and_sensibility_01_austen_64kb-0870.txt"
    ))?;
    let words: Vec<&str> = transcript.split_whitespace().collect();
    let (text, background) = ContrastTheme::Dark.colors();
    let style = PanelTextStyle { text, background: background.with_alpha(217) };
    let layout = CaptionLayout::default();
    let mut rasterizer = TextRasterizer::new();
    let mut samples_ms = Vec::with_capacity(UPDATES);
    for i in 0..UPDATES {
        // A caption growing word by word, as it does live.
        let spoken = words[..1 + i % words.len()].join(" ");
        let started = Instant::now();
        let mut lines = vec![PanelLine::bold("Narrator:")];
        lines.extend(layout.roll_up(&spoken).into_iter().map(PanelLine::regular));
        let spec = TextPanelSpec {
            lines: &lines,
            cap_height_deg: 0.7,
            viewing_distance_m: 3.0,
            pixels_per_degree: 40.0,
            style,
        };
        std::hint::black_box(rasterizer.render(&spec)?);
        samples_ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    Ok(vec![
        Measurement::new(
            "caption panel update p50",
            percentile(&mut samples_ms, 50.0),
            "ms",
            Goal::AtMost,
            4.0,
        ),
        Measurement::new(
            "caption panel update p95",
            percentile(&mut samples_ms, 95.0),
            "ms",
            Goal::AtMost,
            4.0,
        ),
    ])
}
