//! Survives an OpenXR runtime that dies mid-session.
//!
//! When the runtime's process goes away (`monado-service` or SteamVR
//! crashing, say), every OpenXR call the app makes from then on returns
//! `XR_ERROR_INSTANCE_LOST` or `XR_ERROR_SESSION_LOST`; the runtime has no
//! chance to send `XR_TYPE_EVENT_DATA_INSTANCE_LOSS_PENDING` first.
//! bevy_mod_openxr 0.6 unwraps the results of `xrWaitFrame`, `xrBeginFrame`,
//! `xrPollEvent` and the swapchain calls, so the first of its systems to run
//! after the loss panics. Replacing all those systems would fork the crate;
//! instead each frame runs under [`std::panic::catch_unwind`], and a panic
//! whose message names a loss becomes the session's ending, with one line for
//! the user. While the headset session runs, the panic hook stays quiet for
//! exactly those panics; any other panic is reported and unwinds as before.

use bevy::prelude::App;
use std::any::Any;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::sync::Arc;

/// The OpenXR results that mean the runtime, or the session in it, is gone
/// (OpenXR 1.0 specification, section 2.9 "Return Codes").
const LOSS_CODES: [&str; 3] = ["ERROR_INSTANCE_LOST", "ERROR_SESSION_LOST", "ERROR_RUNTIME_FAILURE"];

type Hook = dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static;

/// While alive, panics that report a lost runtime print nothing; dropping it
/// restores the hook that was there before.
pub struct QuietRuntimeLoss {
    previous: Arc<Hook>,
}

impl QuietRuntimeLoss {
    pub fn install() -> Self {
        let previous: Arc<Hook> = Arc::from(std::panic::take_hook());
        let fallback = Arc::clone(&previous);
        std::panic::set_hook(Box::new(move |info| {
            if info.payload_as_str().and_then(loss_code).is_none() {
                fallback(info);
            }
        }));
        Self { previous }
    }
}

impl Drop for QuietRuntimeLoss {
    fn drop(&mut self) {
        let previous = Arc::clone(&self.previous);
        std::panic::set_hook(Box::new(move |info| previous(info)));
    }
}

/// Runs one frame. `Err` carries the OpenXR result that showed the runtime
/// is gone; a panic for any other reason carries on unwinding.
pub fn update(app: &mut App) -> Result<(), &'static str> {
    std::panic::catch_unwind(AssertUnwindSafe(|| app.update())).map_err(|payload| {
        match payload_text(payload.as_ref()).and_then(loss_code) {
            Some(code) => code,
            None => std::panic::resume_unwind(payload),
        }
    })
}

fn payload_text(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&'static str>().copied())
}

/// The loss a panic message names, if any.
fn loss_code(message: &str) -> Option<&'static str> {
    LOSS_CODES.into_iter().find(|code| message.contains(code))
}

/// The user's line for a runtime that went away with `code`.
pub fn describe(code: &str) -> String {
    format!(
        "the OpenXR runtime stopped answering (XR_{code}): it was closed or crashed; \
         start it again (monado-service, SteamVR or Quest Link), then Allverse"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_messages_naming_a_loss_are_losses() {
        let unwrapped = "called `Result::unwrap()` on an `Err` value: OpenXrError(ERROR_INSTANCE_LOST)";
        assert_eq!(loss_code(unwrapped), Some("ERROR_INSTANCE_LOST"));
        assert_eq!(loss_code("Failed to wait frame: ERROR_SESSION_LOST"), Some("ERROR_SESSION_LOST"));
        assert_eq!(loss_code("index out of bounds: the len is 2 but the index is 3"), None);
        assert_eq!(loss_code("Failed to begin frame: ERROR_CALL_ORDER_INVALID"), None);
    }

    #[test]
    fn a_panic_that_is_not_a_loss_keeps_unwinding() {
        let mut app = App::new();
        app.add_systems(bevy::prelude::Update, || panic!("a bug, not the runtime"));
        let caught = std::panic::catch_unwind(AssertUnwindSafe(|| update(&mut app)));
        let payload = caught.expect_err("the panic went on");
        assert_eq!(payload_text(payload.as_ref()), Some("a bug, not the runtime"));
    }

    #[test]
    fn a_loss_ends_the_frame_with_its_code() {
        let mut app = App::new();
        app.add_systems(bevy::prelude::Update, || panic!("Failed to poll event: ERROR_INSTANCE_LOST"));
        let quiet = QuietRuntimeLoss::install();
        assert_eq!(update(&mut app), Err("ERROR_INSTANCE_LOST"));
        drop(quiet);
    }
}
