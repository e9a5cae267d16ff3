//! Alternative input for Allverse: any one input method reaches every action.
//!
//! A person may have one hand, one switch, only head or eye movement, only
//! their voice, or an adaptive gamepad. This crate turns each of those into
//! the semantic [`Action`](allverse_core::input::Action)s the runtime acts
//! on: [`bindings`] (the defaults, so that no action needs a chord, and the
//! user's remapping), [`timing`] (debounce, hold-to-toggle, repeat),
//! [`stick`] (thumbsticks as direction buttons, with dead zone and
//! sensitivity), [`scanning`] (one- and two-switch access), [`dwell`]
//! (gaze or head pointer selection), [`voice`] (spoken commands from the
//! captions recognizer) and [`router`], which runs them all on one stream
//! of events. [`menu`] is the action and settings menu every method can
//! drive with "next" and "select" alone; [`openxr`] the suggested bindings
//! for the common XR controllers. The engine adapters that feed the router
//! live in the runtime.
//!
//! # Design choices
//!
//! * **Time is passed in, never read.** Every filter takes the event's time
//!   in seconds, so the same code runs on the session clock in the
//!   simulator (deterministic tests of step times, dwell and cool-downs)
//!   and on the device clock in a headset.
//! * **No chords, no holds, no fast repeats are ever required.** Each
//!   device's default bindings reach every action with single presses, and
//!   a test keeps it that way; holding is only ever a convenience.
//! * **Menus are the universal fallback.** Rather than give every device a
//!   binding for every action, the action menu lists them all; a device
//!   with only "next" and "select" (two switches), one signal (one switch,
//!   by scanning) or none (gaze, by dwell) reaches everything through it.
//!   The menu model lives here, not in the runtime, so the end-to-end
//!   tests script each method from the same model the runtime runs.

pub mod bindings;
pub mod dwell;
pub mod menu;
pub mod openxr;
pub mod router;
pub mod scanning;
pub mod stick;
pub mod timing;
pub mod voice;

/// Times are sums of float frame steps (0.1 + 0.2 ≠ 0.3), so "held for
/// 0.3 s" allows this much slack rather than waiting a whole extra frame.
const TIME_EPSILON_S: f32 = 1e-4;
