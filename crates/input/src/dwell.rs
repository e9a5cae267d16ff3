//! Selecting by looking: resting the gaze (or head pointer) on a target for the dwell time selects it.

use crate::TIME_EPSILON_S;
use allverse_core::input::DwellSettings;

/// What the dwell ring shows this frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DwellState<T> {
    /// Nothing is targeted, or the cool-down after a selection is running.
    Idle,
    /// `target` is being looked at; `progress` runs from 0 to 1 (draw it as a ring).
    Filling { target: T, progress: f32 },
    /// `target` was selected in this update.
    Selected(T),
}

/// Dwell timing for one pointer.
#[derive(Debug, Clone)]
pub struct Dwell<T> {
    dwell_s: f32,
    cooldown_s: f32,
    target: Option<(T, f32)>,
    cool_until_s: f32,
}

impl<T: Copy + PartialEq> Dwell<T> {
    pub fn new(settings: &DwellSettings) -> Self {
        Self {
            dwell_s: settings.dwell_s,
            cooldown_s: settings.cooldown_s,
            target: None,
            cool_until_s: f32::NEG_INFINITY,
        }
    }

    /// The pointer is on `target` (or on nothing) at `t_s`.
    pub fn update(&mut self, target: Option<T>, t_s: f32) -> DwellState<T> {
        if t_s < self.cool_until_s {
            // Looking around after a selection must not select again.
            self.target = None;
            return DwellState::Idle;
        }
        let Some(target) = target else {
            self.target = None;
            return DwellState::Idle;
        };
        let since_s = match self.target {
            Some((current, since)) if current == target => since,
            _ => {
                self.target = Some((target, t_s));
                t_s
            }
        };
        let dwelt_s = t_s - since_s;
        if dwelt_s + TIME_EPSILON_S < self.dwell_s {
            return DwellState::Filling { target, progress: dwelt_s / self.dwell_s };
        }
        self.target = None;
        self.cool_until_s = t_s + self.cooldown_s;
        DwellState::Selected(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dwell: &mut Dwell<u8>, frames: impl IntoIterator<Item = (f32, Option<u8>)>) -> Vec<(f32, u8)> {
        frames
            .into_iter()
            .filter_map(|(t, target)| match dwell.update(target, t) {
                DwellState::Selected(id) => Some((t, id)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn resting_selects_after_the_dwell_time_and_glances_do_not() {
        let mut dwell = Dwell::new(&DwellSettings { enabled: true, dwell_s: 0.8, cooldown_s: 1.0 });
        // 10 Hz updates: a 0.5 s glance at 1, then resting on 2.
        let frames = (0..30).map(|i| {
            let t = i as f32 / 10.0;
            (t, if t < 0.5 { Some(1) } else { Some(2) })
        });
        assert_eq!(run(&mut dwell, frames), [(1.3, 2)]);
    }

    #[test]
    fn progress_fills_and_the_cool_down_prevents_repeats() {
        let mut dwell = Dwell::new(&DwellSettings { enabled: true, dwell_s: 1.0, cooldown_s: 1.5 });
        assert_eq!(dwell.update(Some(7u8), 0.0), DwellState::Filling { target: 7, progress: 0.0 });
        assert_eq!(dwell.update(Some(7), 0.5), DwellState::Filling { target: 7, progress: 0.5 });
        assert_eq!(dwell.update(Some(7), 1.0), DwellState::Selected(7));
        assert_eq!(dwell.update(Some(7), 2.0), DwellState::Idle, "cooling down");
        assert_eq!(
            dwell.update(Some(7), 2.5),
            DwellState::Filling { target: 7, progress: 0.0 },
            "counting again"
        );
        assert_eq!(dwell.update(Some(7), 3.5), DwellState::Selected(7));
        assert_eq!(dwell.update(None, 6.0), DwellState::Idle);
    }
}
