//! Which backend runs, and the fallback when the one asked for cannot.
//!
//! A person who starts Allverse for their headset while the headset is
//! unplugged should still get a working app, told plainly why it is not in
//! the headset, rather than a crash.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// An OpenXR headset (falls back to desktop, or headless with no display).
    Openxr,
    /// A desktop window; mouse and keyboard move a simulated head.
    Desktop,
    /// The headless simulator: no window, scripted, deterministic.
    Headless,
}

/// The backend that will run, and why it differs from the one asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendChoice {
    pub backend: Backend,
    pub fallback_reason: Option<String>,
}

/// Whether a display server is reachable for a desktop window.
pub fn display_available() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// Resolves `requested` against what this machine has. `probe_openxr` is
/// only called for the OpenXR backend and returns why it cannot run.
pub fn choose_backend(
    requested: Backend,
    probe_openxr: impl FnOnce() -> Result<(), String>,
    display_available: bool,
) -> BackendChoice {
    let without_display = |reason: String| BackendChoice {
        backend: Backend::Headless,
        fallback_reason: Some(format!("{reason}; no display either, so running the headless simulator")),
    };
    match requested {
        Backend::Headless => BackendChoice { backend: Backend::Headless, fallback_reason: None },
        Backend::Desktop if display_available => {
            BackendChoice { backend: Backend::Desktop, fallback_reason: None }
        }
        Backend::Desktop => without_display("no display (DISPLAY/WAYLAND_DISPLAY unset)".into()),
        Backend::Openxr => match probe_openxr() {
            Ok(()) => BackendChoice { backend: Backend::Openxr, fallback_reason: None },
            Err(reason) if display_available => BackendChoice {
                backend: Backend::Desktop,
                fallback_reason: Some(format!("{reason}; using the desktop window instead")),
            },
            Err(reason) => without_display(reason),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_runtime() -> Result<(), String> {
        Err("no OpenXR runtime".into())
    }

    #[test]
    fn openxr_falls_back_to_desktop_then_headless() {
        let with_display = choose_backend(Backend::Openxr, no_runtime, true);
        assert_eq!(with_display.backend, Backend::Desktop);
        assert!(with_display.fallback_reason.unwrap().contains("no OpenXR runtime"));

        let without = choose_backend(Backend::Openxr, no_runtime, false);
        assert_eq!(without.backend, Backend::Headless);
        assert!(without.fallback_reason.unwrap().contains("headless"));

        let present = choose_backend(Backend::Openxr, || Ok(()), false);
        assert_eq!(present, BackendChoice { backend: Backend::Openxr, fallback_reason: None });
    }

    #[test]
    fn other_backends_never_probe_openxr() {
        let probe = || -> Result<(), String> { panic!("must not probe") };
        assert_eq!(choose_backend(Backend::Headless, probe, true).backend, Backend::Headless);
        assert_eq!(choose_backend(Backend::Desktop, probe, true).backend, Backend::Desktop);
        assert_eq!(choose_backend(Backend::Desktop, probe, false).backend, Backend::Headless);
    }

    #[test]
    fn the_real_probe_reports_instead_of_panicking() {
        // CI machines have no headset: the real probe must return a reason.
        // (On a machine with a runtime and headset this returns Ok; both pass.)
        if let Err(reason) = crate::xr::probe_openxr() {
            assert!(!reason.is_empty());
            assert!(reason.contains("OpenXR"), "{reason}");
        }
    }
}
