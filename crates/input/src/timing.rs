//! Timing filters between a physical press and an action: debounce, hold-to-toggle, repeat.

/// Presses closer together than the debounce time count once (tremor, switch bounce).
#[derive(Debug, Clone)]
pub struct Debounce {
    window_s: f32,
    last_press_s: Option<f32>,
}

impl Debounce {
    pub fn new(window_ms: u32) -> Self {
        Self { window_s: window_ms as f32 / 1000.0, last_press_s: None }
    }

    /// Whether a press at `t_s` counts.
    pub fn accept(&mut self, t_s: f32) -> bool {
        let accepted = self.last_press_s.is_none_or(|last| t_s - last >= self.window_s);
        // A rejected bounce still extends the window: the switch is still chattering.
        self.last_press_s = Some(t_s);
        accepted
    }
}

/// Turns presses into an on/off state, for people who cannot hold a button.
#[derive(Debug, Clone, Default)]
pub struct HoldToToggle {
    on: bool,
}

impl HoldToToggle {
    /// Feeds a press (`true`) or release; returns the held state the action should see.
    pub fn input(&mut self, pressed: bool, toggle: bool) -> bool {
        if !toggle {
            self.on = pressed;
        } else if pressed {
            self.on = !self.on;
        }
        self.on
    }
}

/// Repeats a held action after a delay, at an interval (0: never repeats).
#[derive(Debug, Clone)]
pub struct Repeat {
    delay_s: f32,
    interval_s: f32,
    held_since_s: Option<f32>,
    fired: u32,
}

impl Repeat {
    pub fn new(delay_ms: u32, interval_ms: u32) -> Self {
        Self {
            delay_s: delay_ms as f32 / 1000.0,
            interval_s: interval_ms as f32 / 1000.0,
            held_since_s: None,
            fired: 0,
        }
    }

    pub fn press(&mut self, t_s: f32) {
        self.held_since_s = Some(t_s);
        self.fired = 0;
    }

    pub fn release(&mut self) {
        self.held_since_s = None;
    }

    /// Repeats due by `t_s` that have not been reported yet.
    pub fn due(&mut self, t_s: f32) -> u32 {
        let Some(since) = self.held_since_s else { return 0 };
        if self.interval_s <= 0.0 || t_s - since < self.delay_s {
            return 0;
        }
        let total = 1 + ((t_s - since - self.delay_s) / self.interval_s).floor() as u32;
        let new = total - self.fired;
        self.fired = total;
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debounce_merges_chatter_into_one_press() {
        let mut debounce = Debounce::new(100);
        let accepted: Vec<bool> =
            [0.0, 0.03, 0.06, 0.5, 0.55, 0.8].iter().map(|t| debounce.accept(*t)).collect();
        assert_eq!(accepted, [true, false, false, true, false, true]);
        let mut off = Debounce::new(0);
        assert!([0.0, 0.001, 0.002].iter().all(|t| off.accept(*t)), "0 ms lets every press through");
    }

    #[test]
    fn hold_to_toggle_needs_no_holding() {
        let mut toggle = HoldToToggle::default();
        assert!(toggle.input(true, true), "first press turns it on");
        assert!(toggle.input(false, true), "and releasing keeps it on");
        assert!(!toggle.input(true, true), "the next press turns it off");
        let mut hold = HoldToToggle::default();
        assert!(
            hold.input(true, false) && !hold.input(false, false),
            "without toggling, it follows the button"
        );
    }

    #[test]
    fn repeat_starts_after_the_delay_and_never_if_the_interval_is_zero() {
        let mut repeat = Repeat::new(500, 200);
        repeat.press(1.0);
        assert_eq!(repeat.due(1.4), 0);
        assert_eq!(repeat.due(1.5), 1);
        assert_eq!(repeat.due(1.95), 2, "at 1.7 and 1.9");
        repeat.release();
        assert_eq!(repeat.due(3.0), 0);
        let mut never = Repeat::new(500, 0);
        never.press(0.0);
        assert_eq!(never.due(10.0), 0);
    }
}
