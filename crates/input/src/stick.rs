//! Thumbsticks as four buttons: a direction pushed past the dead zone presses it.

/// Fraction of the travel beyond the dead zone (after sensitivity) that presses a direction…
const PRESS_AT: f32 = 0.5;
/// …and that it must fall back under to release, so a stick held near the threshold does not chatter.
const RELEASE_AT: f32 = 0.35;

/// One stick axis, as a negative and a positive button.
#[derive(Debug, Clone, Copy, Default)]
pub struct StickAxis {
    /// −1, 0 or +1: which direction is pressed.
    pressed: i8,
}

/// A change of a stick direction's button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectionChange {
    /// −1 or +1.
    pub direction: i8,
    pub pressed: bool,
}

impl StickAxis {
    /// Feeds the axis position (−1…1); returns up to two changes (a release, then a press).
    pub fn update(&mut self, value: f32, dead_zone: f32, sensitivity: f32) -> [Option<DirectionChange>; 2] {
        let travel = ((value.abs() - dead_zone) / (1.0 - dead_zone)).max(0.0) * sensitivity;
        let direction = if value < 0.0 { -1 } else { 1 };
        let now = if travel >= PRESS_AT || (self.pressed == direction && travel >= RELEASE_AT) {
            direction
        } else {
            0
        };
        if now == self.pressed {
            return [None, None];
        }
        let release =
            (self.pressed != 0).then_some(DirectionChange { direction: self.pressed, pressed: false });
        let press = (now != 0).then_some(DirectionChange { direction: now, pressed: true });
        self.pressed = now;
        [release, press]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_zone_sensitivity_and_hysteresis() {
        let mut axis = StickAxis::default();
        assert_eq!(axis.update(0.45, 0.2, 1.0), [None, None], "inside the press threshold");
        let pressed = axis.update(0.7, 0.2, 1.0);
        assert_eq!(pressed, [None, Some(DirectionChange { direction: 1, pressed: true })]);
        assert_eq!(axis.update(0.5, 0.2, 1.0), [None, None], "held by hysteresis");
        let released = axis.update(0.3, 0.2, 1.0);
        assert_eq!(released, [Some(DirectionChange { direction: 1, pressed: false }), None]);
        let flipped = axis.update(-0.9, 0.2, 1.0);
        assert_eq!(flipped, [None, Some(DirectionChange { direction: -1, pressed: true })]);
        let mut sensitive = StickAxis::default();
        assert!(sensitive.update(0.45, 0.2, 2.0)[1].is_some(), "higher sensitivity needs less travel");
    }
}
