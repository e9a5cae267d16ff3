//! Deciding which alerts to present, collapse, repeat or suppress, on the caller's clock.
//!
//! The gate never reads a clock: the runtime passes its session time `now_s` (seconds), so the
//! stepped simulator gets the same decisions on every run.

use super::{AlertKind, AlertPriority, HomeAlert};
use crate::discovery::EntityKey;
use std::fmt;

/// Most alerts the gate remembers; beyond it the oldest finished one is forgotten.
const MAX_REMEMBERED: usize = 256;

/// Timing rules of [`AlertGate`], in seconds of the caller's clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GateConfig {
    /// A second alert from the same source and kind within this time after the last one, or
    /// while the first is still active, is a duplicate (QoS 1 redeliveries, chattering sensors).
    pub duplicate_window_s: f64,
    /// Attention and information alerts stop being active after this long without a new one.
    pub active_s: f64,
    /// Life-safety alerts are presented again this often until acknowledged.
    pub repeat_life_safety_s: f64,
    /// Least time between two spoken alerts of one kind (see [`AlertGate::may_speak`]).
    pub min_speech_interval_s: f64,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self {
            duplicate_window_s: 10.0,
            active_s: 30.0,
            repeat_life_safety_s: 10.0,
            min_speech_interval_s: 5.0,
        }
    }
}

/// What the runtime should do with an offered alert or at a tick.
#[derive(Clone, Debug, PartialEq)]
pub enum GateDecision {
    /// Show (and speak, flash, vibrate) this new alert.
    Present(HomeAlert),
    /// Another alert of an active one's kind arrived: update its count, present nothing new.
    Collapsed {
        /// The active alert it joined.
        id: u64,
        /// Alerts it now stands for, itself included.
        count: u32,
    },
    /// Present the unacknowledged life-safety alert `id` again.
    Repeat(u64),
    /// Nothing to present, and why.
    Suppressed(SuppressReason),
}

/// Why an alert was not presented.
#[derive(Clone, Debug, PartialEq)]
pub enum SuppressReason {
    /// Same source and kind as alert `of`, still active or within the duplicate window.
    Duplicate {
        /// The alert it duplicates.
        of: u64,
    },
}

impl fmt::Display for SuppressReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Duplicate { of } => write!(f, "duplicate of alert {of}"),
        }
    }
}

/// An alert the gate has presented and still remembers.
#[derive(Clone, Debug)]
pub struct TrackedAlert {
    /// The alert as first presented.
    pub alert: HomeAlert,
    /// Alerts collapsed into it, itself included.
    pub count: u32,
    /// Whether the user acknowledged it.
    pub acknowledged: bool,
    last_seen_s: f64,
    last_presented_s: f64,
}

impl TrackedAlert {
    fn active(&self, now_s: f64, config: &GateConfig) -> bool {
        !self.acknowledged
            && (self.alert.priority == AlertPriority::LifeSafety
                || now_s - self.last_seen_s < config.active_s)
    }
}

/// Decides presentation of alerts: duplicates once, floods collapsed, life-safety repeated.
#[derive(Debug, Default)]
pub struct AlertGate {
    config: GateConfig,
    tracked: Vec<TrackedAlert>,
    last_spoken: Vec<(AlertKind, f64)>,
}

/// What makes two alerts "the same": their entity, or for notifications their text.
fn source(alert: &HomeAlert) -> (Option<&EntityKey>, Option<&str>) {
    match &alert.entity {
        Some(key) => (Some(key), None),
        None => (None, Some(&alert.text)),
    }
}

impl AlertGate {
    /// A gate with the given timing.
    pub fn new(config: GateConfig) -> Self {
        Self { config, ..Self::default() }
    }

    /// Offers a new alert at `now_s`.
    pub fn offer(&mut self, alert: HomeAlert, now_s: f64) -> GateDecision {
        let config = self.config;
        if let Some(same) = self.tracked.iter_mut().rev().find(|t| {
            t.alert.kind == alert.kind
                && source(&t.alert) == source(&alert)
                && (t.active(now_s, &config) || now_s - t.last_seen_s < config.duplicate_window_s)
        }) {
            same.last_seen_s = now_s;
            return GateDecision::Suppressed(SuppressReason::Duplicate { of: same.alert.id });
        }
        if let Some(active) =
            self.tracked.iter_mut().rev().find(|t| t.alert.kind == alert.kind && t.active(now_s, &config))
        {
            active.count = active.count.saturating_add(1);
            active.last_seen_s = now_s;
            return GateDecision::Collapsed { id: active.alert.id, count: active.count };
        }
        self.forget_finished(now_s);
        self.tracked.push(TrackedAlert {
            alert: alert.clone(),
            count: 1,
            acknowledged: false,
            last_seen_s: now_s,
            last_presented_s: now_s,
        });
        GateDecision::Present(alert)
    }

    /// Repeats due at `now_s`: one [`GateDecision::Repeat`] per unacknowledged life-safety
    /// alert last presented at least `repeat_life_safety_s` ago.
    pub fn tick(&mut self, now_s: f64) -> Vec<GateDecision> {
        let every = self.config.repeat_life_safety_s;
        self.tracked
            .iter_mut()
            .filter(|t| t.alert.priority == AlertPriority::LifeSafety && !t.acknowledged)
            .filter(|t| now_s - t.last_presented_s >= every)
            .map(|t| {
                t.last_presented_s = now_s;
                GateDecision::Repeat(t.alert.id)
            })
            .collect()
    }

    /// Acknowledges alert `id` (any single input may do this); `false` if it is unknown or
    /// was already acknowledged.
    pub fn acknowledge(&mut self, id: u64) -> bool {
        match self.tracked.iter_mut().find(|t| t.alert.id == id && !t.acknowledged) {
            Some(t) => {
                t.acknowledged = true;
                true
            }
            None => false,
        }
    }

    /// Whether an alert of `kind` may be spoken at `now_s`; records the speech when it may.
    pub fn may_speak(&mut self, kind: &AlertKind, now_s: f64) -> bool {
        let min = self.config.min_speech_interval_s;
        match self.last_spoken.iter_mut().find(|(k, _)| k == kind) {
            Some((_, last)) if now_s - *last < min => false,
            Some((_, last)) => {
                *last = now_s;
                true
            }
            None => {
                self.last_spoken.push((kind.clone(), now_s));
                true
            }
        }
    }

    /// Alerts still active at `now_s`, most urgent first, oldest first within a priority.
    pub fn active(&self, now_s: f64) -> Vec<&TrackedAlert> {
        let mut active: Vec<_> = self.tracked.iter().filter(|t| t.active(now_s, &self.config)).collect();
        active.sort_by_key(|t| std::cmp::Reverse(t.alert.priority));
        active
    }

    /// Drops alerts that are neither active nor inside their duplicate window, and the oldest
    /// finished ones beyond [`MAX_REMEMBERED`].
    fn forget_finished(&mut self, now_s: f64) {
        let config = self.config;
        self.tracked
            .retain(|t| t.active(now_s, &config) || now_s - t.last_seen_s < config.duplicate_window_s);
        while self.tracked.len() >= MAX_REMEMBERED {
            match self.tracked.iter().position(|t| !t.active(now_s, &config)) {
                Some(i) => self.tracked.remove(i),
                None => self.tracked.remove(0),
            };
        }
    }
}
