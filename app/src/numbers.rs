//! Numbers typed on the command line: each one finite and in its range, or a message saying which and why.
//!
//! Rust reads `nan`, `inf` and `1e40` (infinity, for an `f32`) as numbers,
//! so parsing alone lets them through; a range check refuses them, because
//! NaN lies in no range and the infinities beyond every bound. Every numeric
//! argument goes through [`number_in`], used as (part of) a clap value parser,
//! so none reaches the engine unchecked.

use std::fmt::Display;
use std::ops::{Bound, RangeBounds};
use std::str::FromStr;

/// Reads `text` as a `T` within `range`. `argument` (`--from`) and `what`
/// ("an azimuth") name it in the message, which gives the range in `unit`.
pub fn number_in<T: FromStr + PartialOrd + Display>(
    text: &str,
    argument: &str,
    what: &str,
    range: impl RangeBounds<T>,
    unit: &str,
) -> Result<T, String> {
    let text = text.trim();
    match text.parse::<T>() {
        Ok(value) if range.contains(&value) => Ok(value),
        _ => Err(format!("{argument} needs {what} {}{unit}, not {text}", describe(&range))),
    }
}

/// "between 80 and 450", "above 0 and at most 100".
fn describe<T: Display>(range: &impl RangeBounds<T>) -> String {
    if let (Bound::Included(low), Bound::Included(high)) = (range.start_bound(), range.end_bound()) {
        return format!("between {low} and {high}");
    }
    let low = match range.start_bound() {
        Bound::Included(low) => format!("at least {low}"),
        Bound::Excluded(low) => format!("above {low}"),
        Bound::Unbounded => String::new(),
    };
    let high = match range.end_bound() {
        Bound::Included(high) => format!("at most {high}"),
        Bound::Excluded(high) => format!("below {high}"),
        Bound::Unbounded => String::new(),
    };
    [low, high].into_iter().filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" and ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_outside_their_range_or_not_finite_are_refused_by_name() {
        assert_eq!(number_in::<f32>(" 90 ", "--from", "an azimuth", -360.0..=360.0, " degrees"), Ok(90.0));
        for text in ["nan", "NaN", "inf", "-inf", "infinity", "1e40", "400", "ninety", ""] {
            let err = number_in::<f32>(text, "--from", "an azimuth", -360.0..=360.0, " degrees").unwrap_err();
            assert_eq!(err, format!("--from needs an azimuth between -360 and 360 degrees, not {text}"));
        }
        let distance = (Bound::Excluded(0.0), Bound::Included(100.0));
        let err = number_in::<f32>("0", "--from", "a distance", distance, " metres").unwrap_err();
        assert_eq!(err, "--from needs a distance above 0 and at most 100 metres, not 0");
        let err =
            number_in::<u32>("nan", "--rate", "a whole number", 80..=450, " words per minute").unwrap_err();
        assert_eq!(err, "--rate needs a whole number between 80 and 450 words per minute, not nan");
    }
}
