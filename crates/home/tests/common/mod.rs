//! What the link tests share: waiting for an update, with everything seen on the way.

use allverse_home::{HomeLink, HomeUpdate};
use std::time::{Duration, Instant};

/// Generous, for busy machines: tests check what arrives, never how fast.
pub const WAIT: Duration = Duration::from_secs(20);

/// Waits for the first update matching `want`, returning it and everything seen before it.
pub fn wait_for(
    link: &HomeLink,
    what: &str,
    want: impl Fn(&HomeUpdate) -> bool,
) -> (HomeUpdate, Vec<HomeUpdate>) {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Some(u) = link.recv_timeout(Duration::from_millis(200)) {
            if want(&u) {
                return (u, seen);
            }
            seen.push(u);
        }
    }
    panic!("no {what} within {WAIT:?}; seen: {seen:#?}");
}
