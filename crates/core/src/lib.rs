//! The accessibility domain of Allverse, with no engine in sight.
//!
//! Everything a person's accessibility needs are made of lives here as plain
//! data and plain functions: their [`profile`], the [`placement`] math that
//! decides where and how big things appear, the [`event`] model (who speaks,
//! from where, in which language channels) and its [`stream_address`]es, the
//! [`caption`] layout rules, and the [`scenario`] files that script a simulated session.
//!
//! # Design choices
//!
//! * **No Bevy, no audio, no I/O beyond the profile store.** The rules that
//!   decide what a deaf or low-vision user sees must be testable in
//!   milliseconds and reusable from every backend, so they cannot depend on
//!   the engine that draws them. A workspace check (`cargo xtask check-deps`)
//!   fails the build if an engine crate ever appears below this one.
//! * **Units and frames in names.** Angles carry `_deg`, distances `_m`,
//!   times `_s`; transforms are named `world_from_head` (maps head-space
//!   points into world space). Mixing them up is the most common bug in XR
//!   code, and names are the cheapest guard.
//! * **Coordinates** follow the engine convention: right-handed, +Y up, the
//!   head looks down −Z. [`glam`] supplies the vector types because Bevy
//!   re-exports the same version, so no conversion is needed at the seam.

pub mod caption;
pub mod caption_placement;
pub mod color;
pub mod event;
pub mod home;
pub mod input;
pub mod interpreting;
pub mod layout;
pub mod panel_text;
pub mod paths;
pub mod placement;
pub mod pointing;
pub mod profile;
pub mod scenario;
mod source;

pub use source::{MAX_TEXT_FILE_BYTES, read_text_file};
pub mod stream_address;
pub mod text;
pub mod vision;

pub use glam;
