//! Switch access: one switch with automatic scanning, or two switches (step and select).

use crate::TIME_EPSILON_S;
use allverse_core::input::{ScanMode, ScanSettings};

/// Acceptance and release times for one switch.
#[derive(Debug, Clone)]
struct SwitchFilter {
    acceptance_s: f32,
    release_s: f32,
    pressed_since_s: Option<f32>,
    accepted: bool,
    tapped: bool,
    released_at_s: f32,
}

impl SwitchFilter {
    fn new(settings: &ScanSettings) -> Self {
        Self {
            acceptance_s: settings.acceptance_ms as f32 / 1000.0,
            release_s: settings.release_ms as f32 / 1000.0,
            pressed_since_s: None,
            accepted: false,
            tapped: false,
            released_at_s: f32::NEG_INFINITY,
        }
    }

    fn input(&mut self, pressed: bool, t_s: f32) {
        match (pressed, self.pressed_since_s) {
            // Presses within the release time of the last release are bounces.
            (true, None) if t_s - self.released_at_s + TIME_EPSILON_S >= self.release_s => {
                self.pressed_since_s = Some(t_s);
                self.accepted = false;
            }
            (false, Some(since)) => {
                // A tap that began and ended between two updates still counts
                // if it was held long enough.
                self.tapped = !self.accepted && t_s - since + TIME_EPSILON_S >= self.acceptance_s;
                self.pressed_since_s = None;
                self.released_at_s = t_s;
            }
            _ => {}
        }
    }

    /// True once per press, when it has been held for the acceptance time.
    fn poll(&mut self, t_s: f32) -> bool {
        if std::mem::take(&mut self.tapped) {
            return true;
        }
        match self.pressed_since_s {
            Some(since) if !self.accepted && t_s - since + TIME_EPSILON_S >= self.acceptance_s => {
                self.accepted = true;
                true
            }
            _ => false,
        }
    }
}

/// What scanning did in an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanEvent {
    /// This choice is highlighted now (show it, and announce it).
    Highlight(usize),
    /// This choice was selected.
    Select(usize),
    /// Auto-scanning went round its loops without a selection and stopped; a press restarts it.
    Paused,
}

/// Scans `choices` items with one or two switches.
#[derive(Debug, Clone)]
pub struct Scanner {
    mode: ScanMode,
    step_s: f32,
    loops: u32,
    choices: usize,
    highlight: Option<usize>,
    scan_started_s: f32,
    switches: [SwitchFilter; 2],
}

impl Scanner {
    pub fn new(settings: &ScanSettings, choices: usize) -> Self {
        Self {
            mode: settings.mode,
            step_s: settings.step_s,
            loops: settings.loops,
            choices: choices.max(1),
            highlight: None,
            scan_started_s: 0.0,
            switches: [SwitchFilter::new(settings), SwitchFilter::new(settings)],
        }
    }

    /// A switch (0, or 1 for the second switch) went down or up.
    pub fn switch(&mut self, index: usize, pressed: bool, t_s: f32) {
        if let Some(filter) = self.switches.get_mut(index) {
            filter.input(pressed, t_s);
        }
    }

    pub fn highlight(&self) -> Option<usize> {
        self.highlight
    }

    pub fn choices(&self) -> usize {
        self.choices
    }

    /// The choices changed (a menu opened, or another input moved its
    /// focus): scanning goes on from `choice` of `choices`, stepping as if
    /// it had just arrived there.
    pub fn restart_at(&mut self, choice: usize, choices: usize, t_s: f32) {
        self.choices = choices.max(1);
        let choice = choice.min(self.choices - 1);
        self.highlight = Some(choice);
        self.scan_started_s = t_s - choice as f32 * self.step_s;
    }

    /// Nothing to scan (the menu closed); the next press starts again.
    pub fn stop(&mut self) {
        self.highlight = None;
    }

    /// Advances to `t_s`; call every frame.
    pub fn update(&mut self, t_s: f32) -> Option<ScanEvent> {
        let first = self.switches[0].poll(t_s);
        let second = self.switches[1].poll(t_s);
        match self.mode {
            ScanMode::Off => None,
            ScanMode::OneSwitch => self.one_switch(first, t_s),
            ScanMode::TwoSwitch => self.two_switch(first, second),
        }
    }

    fn one_switch(&mut self, pressed: bool, t_s: f32) -> Option<ScanEvent> {
        match (pressed, self.highlight) {
            (true, None) => {
                self.scan_started_s = t_s;
                self.highlight = Some(0);
                Some(ScanEvent::Highlight(0))
            }
            (true, Some(choice)) => {
                self.highlight = None;
                Some(ScanEvent::Select(choice))
            }
            (false, Some(current)) => {
                let steps = ((t_s - self.scan_started_s + TIME_EPSILON_S) / self.step_s).floor() as usize;
                if steps >= self.loops as usize * self.choices {
                    self.highlight = None;
                    return Some(ScanEvent::Paused);
                }
                let next = steps % self.choices;
                (next != current).then(|| {
                    self.highlight = Some(next);
                    ScanEvent::Highlight(next)
                })
            }
            (false, None) => None,
        }
    }

    fn two_switch(&mut self, step: bool, select: bool) -> Option<ScanEvent> {
        if select && let Some(choice) = self.highlight {
            return Some(ScanEvent::Select(choice));
        }
        if step {
            let next = self.highlight.map_or(0, |h| (h + 1) % self.choices);
            self.highlight = Some(next);
            return Some(ScanEvent::Highlight(next));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(mode: ScanMode, acceptance_ms: u32, release_ms: u32) -> ScanSettings {
        ScanSettings { mode, step_s: 1.0, loops: 3, acceptance_ms, release_ms }
    }

    /// Runs at 20 Hz until `end_s`, pressing switch 0 briefly at each time in `presses`.
    fn one_switch_run(scanner: &mut Scanner, presses: &[f32], end_s: f32) -> Vec<(f32, ScanEvent)> {
        let mut events = Vec::new();
        for frame in 0..=(end_s * 20.0) as usize {
            let t = frame as f32 / 20.0;
            if presses.iter().any(|p| (p - t).abs() < 1e-4) {
                scanner.switch(0, true, t);
            }
            if presses.iter().any(|p| (p + 0.1 - t).abs() < 1e-4) {
                scanner.switch(0, false, t);
            }
            if let Some(event) = scanner.update(t) {
                events.push((t, event));
            }
        }
        events
    }

    #[test]
    fn one_switch_scans_by_the_step_selects_on_press_and_pauses_after_its_loops() {
        let mut scanner = Scanner::new(&settings(ScanMode::OneSwitch, 0, 0), 4);
        let events = one_switch_run(&mut scanner, &[0.0, 2.5], 3.0);
        use ScanEvent::*;
        assert_eq!(events, [(0.0, Highlight(0)), (1.0, Highlight(1)), (2.0, Highlight(2)), (2.5, Select(2))]);

        let mut scanner = Scanner::new(&settings(ScanMode::OneSwitch, 0, 0), 4);
        let events = one_switch_run(&mut scanner, &[0.0], 13.0);
        assert_eq!(events.len(), 1 + 3 * 4 - 1 + 1, "3 loops of 4 steps, then a pause: {events:?}");
        assert_eq!(events.last(), Some(&(12.0, Paused)));
        assert_eq!(scanner.highlight(), None);
    }

    #[test]
    fn acceptance_time_ignores_short_bumps_and_release_time_ignores_bounces() {
        // A 0.3 s acceptance time: a 0.1 s bump does nothing; a held press counts after 0.3 s.
        let mut scanner = Scanner::new(&settings(ScanMode::TwoSwitch, 300, 0), 3);
        scanner.switch(0, true, 1.0);
        scanner.switch(0, false, 1.1);
        assert_eq!(scanner.update(1.2), None);
        scanner.switch(0, true, 2.0);
        assert_eq!(scanner.update(2.2), None);
        assert_eq!(scanner.update(2.3), Some(ScanEvent::Highlight(0)));
        assert_eq!(scanner.update(2.9), None, "one press, one step, however long it is held");

        // A 0.5 s release time: a second press 0.2 s after letting go is a bounce.
        let mut scanner = Scanner::new(&settings(ScanMode::TwoSwitch, 0, 500), 3);
        scanner.switch(0, true, 1.0);
        assert_eq!(scanner.update(1.0), Some(ScanEvent::Highlight(0)));
        scanner.switch(0, false, 1.1);
        scanner.switch(0, true, 1.3);
        assert_eq!(scanner.update(1.3), None);
        scanner.switch(0, false, 1.4);
        scanner.switch(0, true, 2.0);
        assert_eq!(scanner.update(2.0), Some(ScanEvent::Highlight(1)));
    }

    #[test]
    fn two_switches_step_and_select_without_any_timing() {
        let mut scanner = Scanner::new(&settings(ScanMode::TwoSwitch, 0, 0), 3);
        let mut press = |switch: usize, t: f32| {
            scanner.switch(switch, true, t);
            let event = scanner.update(t);
            scanner.switch(switch, false, t + 0.05);
            event
        };
        use ScanEvent::*;
        let events: Vec<_> =
            [(1, 0.0), (0, 1.0), (0, 9.0), (0, 9.5), (0, 10.0), (1, 60.0)].map(|(s, t)| press(s, t)).into();
        assert_eq!(
            events,
            [
                None,
                Some(Highlight(0)),
                Some(Highlight(1)),
                Some(Highlight(2)),
                Some(Highlight(0)),
                Some(Select(0))
            ]
        );
    }
}
