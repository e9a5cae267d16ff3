//! The Bevy plugins that put Allverse's accessibility features in the scene.
//!
//! One app, three backends: an OpenXR headset, a desktop window, and the
//! headless simulator that every end-to-end test drives. The backends differ
//! only in where the user's head pose comes from and where pixels go; the
//! scene, the panels and the session logic are the same plugins in all three.
//!
//! # Design choices
//!
//! * **One-way plugins.** The session core ([`session`]: clock, timeline,
//!   profile, report) knows no feature. The rig and panels build on it;
//!   each feature (input, screen reader, interpreting, captions, the audio
//!   engine, the home, live sessions, speech) is a plugin that owns its messages and resources and
//!   builds on those below it; [`AllversePlugins`] installs them all and the
//!   backends sit on top. `cargo xtask check-imports` fails on any import
//!   that runs back up (a circle between modules).
//! * **The domain stays outside.** Placement rules, profile, scenarios and
//!   caption layout live in `allverse-core`; text rasterization in
//!   `allverse-pipeline`. This crate is glue: it turns their answers into
//!   entities, meshes and textures, so it stays thin and the rules stay
//!   testable without an engine.
//! * **A session clock, not Bevy's clock.** Scenario events, captions and
//!   captures are timed by [`session::SessionClock`]. The simulator steps it
//!   by exactly one frame per update, so a run is deterministic whatever the
//!   machine's speed; the interactive backends advance it by real time.
//! * **Render only what is looked at.** In the simulator the camera is
//!   switched on only for frames that are captured: the CPU Vulkan driver
//!   used in CI costs tens of milliseconds a frame, and nothing else needs
//!   pixels. This is what lets a 30 s scenario run in a few seconds.
//! * **Panels are unlit and untonemapped** so that the colours the contrast
//!   rule chose in the pipeline reach the display unchanged.

pub mod audio_engine;
pub mod backend;
pub mod captions;
pub mod capture_files;
pub mod desktop;
pub mod home;
pub mod input;
pub mod interpret;
pub mod live;
pub mod microphone;
pub mod notices;
pub mod panel_layout;
mod panel_raster;
pub mod panels;
mod plugins;
pub mod rig;
pub mod scene;
pub mod screen_reader;
pub mod session;
pub mod simulator;
#[cfg(feature = "speech")]
pub mod speech;
pub mod vision;
pub mod xr;

pub use backend::{Backend, BackendChoice, choose_backend};
pub use plugins::AllversePlugins;
pub use session::{SessionReport, SessionSetup};
pub use simulator::Simulator;
