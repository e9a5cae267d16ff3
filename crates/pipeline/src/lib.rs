//! The latency-critical paths of Allverse, free of any engine.
//!
//! Two paths live here, in separate modules. The **panel texture path**
//! ([`panel`]): text (captions, signs, name tags, menus) is shaped and
//! rasterized into RGBA images whose size comes from the angular size the
//! user asked for, ready for any backend to upload as a texture. The
//! **audio engine** ([`audio`]): every voice rendered binaurally through
//! measured HRTFs, head-tracked, mixed in a real-time callback that never
//! allocates, locks or blocks. Both are built fully optimised even in test
//! builds, which is why they share a crate (see `ARCHITECTURE.md`).
//!
//! # Design choices (panels; the audio engine's are in [`audio`])
//!
//! * **Text is rasterized on the CPU, once per change**, not every frame: a
//!   caption panel changes a few times a second at most, and a CPU image can
//!   be tested pixel by pixel without a GPU, which is how the tests prove
//!   that 0.7° of cap height really is 0.7°.
//! * **Sizes are angular.** Callers never pick a font size in points; they
//!   pass the cap height in degrees, the viewing distance and the display's
//!   pixel density, and get back both the image and its size in metres.
//! * **One bundled typeface**, Atkinson Hyperlegible, designed by the
//!   Braille Institute for low-vision readers (letterforms that are hard to
//!   confuse: I/l/1, O/0). Bundling it makes rendering identical on every
//!   machine, which the simulator's deterministic captures rely on.

pub mod audio;
pub mod panel;
