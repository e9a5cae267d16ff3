//! Session time: stepped one frame at a time in the simulator, by the wall clock elsewhere.

use bevy::prelude::*;

/// Session time. The simulator steps it one frame at a time; interactive
/// backends advance it by wall-clock time.
#[derive(Resource, Clone, Copy, Debug)]
pub struct SessionClock {
    elapsed_s: f64,
    /// Where the last step started; −∞ until the first step, so that
    /// events at exactly 0 fire on it.
    previous_s: f64,
    started: bool,
}

impl Default for SessionClock {
    /// Before the first step; [`SessionClock::step_to`] starts it.
    fn default() -> Self {
        Self { elapsed_s: 0.0, previous_s: f64::NEG_INFINITY, started: false }
    }
}

impl SessionClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn elapsed_s(&self) -> f32 {
        self.elapsed_s as f32
    }

    /// Length of the last step; zero before the second.
    pub fn step_s(&self) -> f32 {
        if self.previous_s.is_finite() { (self.elapsed_s - self.previous_s) as f32 } else { 0.0 }
    }

    /// Moves the clock to `t_s`; events in (previous, t_s] fire on the next update.
    pub fn step_to(&mut self, t_s: f64) {
        if self.started {
            self.previous_s = self.elapsed_s;
        }
        self.started = true;
        self.elapsed_s = t_s;
    }

    /// True for an event at `at_s` that became due in the last step.
    pub fn is_due(&self, at_s: f32) -> bool {
        // Compare at the precision event times are written in, so that an
        // event at 0.1 s fires on the frame whose time rounds to 0.1 s.
        at_s > self.previous_s as f32 && at_s <= self.elapsed_s as f32
    }
}

/// Holds a real-time session's clock still while `true`: a backend whose
/// display is not showing the session yet (a headset still starting) keeps
/// the scenario from playing to nobody.
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct ClockHold(pub bool);

/// Wall-clock time, not Bevy's virtual time: virtual time clamps slow frames
/// to 250 ms, and captions must stay in step with live speech even when
/// frames are dropped. While held, each step stands still.
pub(super) fn advance_realtime_clock(
    time: Res<Time<Real>>,
    hold: Option<Res<ClockHold>>,
    mut clock: ResMut<SessionClock>,
) {
    let held = hold.is_some_and(|hold| hold.0);
    let next = clock.elapsed_s + if held { 0.0 } else { time.delta_secs_f64() };
    clock.step_to(next);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_fire_once_in_the_step_that_reaches_them() {
        let mut clock = SessionClock::new();
        clock.step_to(0.0);
        assert!(clock.is_due(0.0), "events at 0 fire on the first step");
        assert!(!clock.is_due(0.02));
        clock.step_to(1.0 / 30.0);
        assert!(!clock.is_due(0.0), "and never again");
        assert!(clock.is_due(0.02) && clock.is_due(1.0 / 30.0));
        clock.step_to(2.0 / 30.0);
        assert!(!clock.is_due(1.0 / 30.0));
    }

    #[test]
    fn a_clock_standing_still_fires_nothing_twice() {
        let mut clock = SessionClock::new();
        clock.step_to(0.0);
        assert!(clock.is_due(0.0));
        clock.step_to(0.0);
        assert!(!clock.is_due(0.0) && !clock.is_due(0.01));
        clock.step_to(0.05);
        assert!(clock.is_due(0.01) && !clock.is_due(0.0));
    }

    #[test]
    fn a_realtime_first_step_covers_time_zero() {
        let mut clock = SessionClock::new();
        clock.step_to(0.016);
        assert!(clock.is_due(0.0) && clock.is_due(0.01));
    }
}
