//! The user's microphone as a publishing pipeline's source, behind a mute that drops every sample.
//!
//! The mute is a `valve` right after the device: while it is shut no buffer
//! reaches the encoder, so no audio packet is made, let alone sent (the
//! media tests count the packets). Sessions start muted; the user opens the
//! microphone with an action, and the runtime shows it while it is open.

/// Which device is the microphone.
#[derive(Clone, Debug, PartialEq)]
pub enum Microphone {
    /// The system's default input, found by GStreamer's `autoaudiosrc` (PulseAudio, PipeWire or ALSA).
    Default,
    /// A GStreamer source element with its properties, e.g. `pulsesrc device=alsa_input.usb-…`
    /// to choose a device, or `audiotestsrc is-live=true` where there is none (tests).
    Element(String),
}

/// The name of the mute valve in a publishing pipeline.
pub(crate) const MUTE: &str = "mute";

impl Microphone {
    /// The launch-description source: the device, then the mute, shut.
    pub(crate) fn source(&self) -> String {
        let element = match self {
            Microphone::Default => "autoaudiosrc",
            Microphone::Element(element) => element,
        };
        format!("{element} ! valve name={MUTE} drop=true")
    }
}
