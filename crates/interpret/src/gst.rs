//! GStreamer set-up shared by ingest and publishing: initialising once, building pipelines, reading their bus.

use gstreamer as gst;
use gstreamer::prelude::*;
use std::sync::OnceLock;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum MediaError {
    #[error(
        "GStreamer is not available ({0}); on Debian run `cargo xtask setup` (it installs GStreamer and its plugins)"
    )]
    NotInstalled(String),
    #[error("the {what} pipeline could not be built: {reason}")]
    Pipeline { what: &'static str, reason: String },
    /// The address (or its passphrase) cannot work; nothing was started.
    #[error("{0}")]
    Address(String),
    /// A recorded feed's file cannot be played (missing, a folder, unreadable); nothing was started.
    #[error("{0}")]
    File(String),
}

impl MediaError {
    /// Whether trying again cannot help until someone changes the address or the file.
    pub fn is_lasting(&self) -> bool {
        matches!(self, Self::Address(_) | Self::File(_))
    }
}

/// What a pipeline's bus reported: an element's error, or the end of the stream.
pub enum BusProblem {
    Error {
        error: gst::glib::Error,
        /// The element that reported it.
        source: String,
    },
    Ended,
}

impl std::fmt::Display for BusProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Error { error, source } => write!(f, "{error} ({source})"),
            Self::Ended => f.write_str("the stream ended"),
        }
    }
}

/// Initialises GStreamer once per process.
pub fn init() -> Result<(), MediaError> {
    static INIT: OnceLock<Result<(), String>> = OnceLock::new();
    INIT.get_or_init(|| gst::init().map_err(|e| e.to_string())).clone().map_err(MediaError::NotInstalled)
}

/// Parses a pipeline description and starts it playing.
pub fn start(what: &'static str, description: &str) -> Result<gst::Pipeline, MediaError> {
    init()?;
    let failed = |reason: String| MediaError::Pipeline { what, reason };
    let pipeline = gst::parse::launch(description)
        .map_err(|e| failed(e.to_string()))?
        .downcast::<gst::Pipeline>()
        .map_err(|_| failed("it is not a pipeline".into()))?;
    if pipeline.set_state(gst::State::Playing).is_err() {
        // The bus has the element's own words (a missing camera, a port in use).
        let reason = problem(&pipeline).unwrap_or_else(|| "it would not start".into());
        stop(&pipeline);
        return Err(failed(reason));
    }
    Ok(pipeline)
}

/// The first error or end-of-stream the pipeline reported since the last call.
pub fn bus_problem(pipeline: &gst::Pipeline) -> Option<BusProblem> {
    let bus = pipeline.bus()?;
    while let Some(message) = bus.pop_filtered(&[gst::MessageType::Error, gst::MessageType::Eos]) {
        match message.view() {
            gst::MessageView::Error(error) => {
                let source = error.src().map(|s| s.name().to_string()).unwrap_or_default();
                return Some(BusProblem::Error { error: error.error(), source });
            }
            gst::MessageView::Eos(_) => return Some(BusProblem::Ended),
            _ => {}
        }
    }
    None
}

/// The first error or end-of-stream the pipeline reported since the last call, in words.
pub fn problem(pipeline: &gst::Pipeline) -> Option<String> {
    bus_problem(pipeline).map(|problem| problem.to_string())
}

/// Stops a pipeline; its ports and devices are free when this returns.
pub fn stop(pipeline: &gst::Pipeline) {
    let _ = pipeline.set_state(gst::State::Null);
}

/// Quotes a value for a pipeline description.
pub fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// SRT reports a refused connection as a missing one; say what usually causes it.
pub fn explain_srt(problem: String, encrypted: bool) -> String {
    if !problem.contains("SRT") {
        return problem;
    }
    let hint = if encrypted {
        "the other end refused the connection or is not there: check that both ends use the same passphrase, and that the receiver is listening"
    } else {
        "the other end refused the connection or is not there: check the address, and whether the stream needs a passphrase"
    };
    format!("{hint} ({problem})")
}
