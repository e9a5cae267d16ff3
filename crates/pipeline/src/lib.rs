//! The latency-critical paths of Allverse, free of any engine.
//!
//! Today this is the **panel texture path**: text (captions, signs, name
//! tags, menus) is shaped and rasterized here into RGBA images whose size
//! comes from the angular size the user asked for, ready for any backend to
//! upload as a texture. The audio engine joins it (see `ARCHITECTURE.md`).
//!
//! # Design choices
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
