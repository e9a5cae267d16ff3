//! Lines of panel text and their weights: what any panel (caption, sign, menu) shows.
//!
//! The panel rasterizer in `allverse-pipeline` draws these; the rules that
//! compose them (caption roll-up, history, menus) live beside the features
//! in this crate, so both sides share one vocabulary without an engine.

/// How a line is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LineWeight {
    #[default]
    Regular,
    /// For labels such as the speaker's name.
    Bold,
    /// Words that may still change (partial captions): dimmer, though
    /// still above 4.5:1 contrast.
    Tentative,
}

/// One line of a panel: its text and how heavily it is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelLine {
    pub text: String,
    pub weight: LineWeight,
}

impl PanelLine {
    pub fn regular(text: impl Into<String>) -> Self {
        Self { text: text.into(), weight: LineWeight::Regular }
    }

    pub fn bold(text: impl Into<String>) -> Self {
        Self { text: text.into(), weight: LineWeight::Bold }
    }

    pub fn tentative(text: impl Into<String>) -> Self {
        Self { text: text.into(), weight: LineWeight::Tentative }
    }
}
