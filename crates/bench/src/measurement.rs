//! A measured figure beside its target, printed and written as JSON.

use serde::Serialize;

/// Whether smaller or larger values are better for a target.
#[derive(Clone, Copy, Debug)]
pub enum Goal {
    AtMost,
    AtLeast,
}

#[derive(Clone, Debug, Serialize)]
pub struct Measurement {
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub target: f64,
    pub met: bool,
    #[serde(skip)]
    pub goal: Goal,
}

impl Measurement {
    pub fn new(name: &str, value: f64, unit: &str, goal: Goal, target: f64) -> Self {
        let met = match goal {
            Goal::AtMost => value <= target,
            Goal::AtLeast => value >= target,
        };
        Self { name: name.into(), value, unit: unit.into(), target, met, goal }
    }
}

/// Prints one line per figure: name, value, unit, target, met.
pub fn print(measurements: &[Measurement]) {
    for m in measurements {
        let verdict = if m.met { "met" } else { "NOT MET" };
        let sign = match m.goal {
            Goal::AtMost => "<=",
            Goal::AtLeast => ">=",
        };
        let target = format!("{sign} {}", m.target);
        println!("{:<48} {:>12.3} {:<8} target {target:<10} {verdict}", m.name, m.value, m.unit);
    }
}

/// The p-th percentile (0–100) of `samples`, nearest-rank.
pub fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * samples.len() as f64).ceil().max(1.0) as usize;
    samples[rank.min(samples.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_verdicts() {
        let mut samples: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&mut samples, 95.0), 95.0);
        assert_eq!(percentile(&mut samples, 50.0), 50.0);
        assert!(Measurement::new("a", 3.0, "ms", Goal::AtMost, 4.0).met);
        assert!(!Measurement::new("a", 5.0, "ms", Goal::AtMost, 4.0).met);
        assert!(Measurement::new("b", 2.0, "x", Goal::AtLeast, 1.0).met);
    }
}
