//! How numbers and times are written for people: percentages, counts,
//! durations relative to impact, date-times and rounding. One owner, so
//! the timeline, the report and the JSON's human fields say things the
//! same way. (Timestamps themselves are formatted in [`crate::time`].)

use crate::time::{format_clock, format_date, format_duration, Micros, SEC};

/// A ratio as people read it, precision adapted to its size: `34%`,
/// `5.0%`, `0.21%`, `0.050%`.
pub fn pct(ratio: f64) -> String {
    let p = ratio * 100.0;
    if p == 0.0 {
        "0%".to_string()
    } else if p >= 10.0 {
        format!("{p:.0}%")
    } else if p >= 1.0 {
        format!("{p:.1}%")
    } else if p >= 0.1 {
        format!("{p:.2}%")
    } else {
        format!("{p:.3}%")
    }
}

/// A ratio to at most one decimal, for shares in a sentence: `79%`, `2.5%`.
pub fn pct_coarse(ratio: f64) -> String {
    let p = ratio * 100.0;
    if p >= 10.0 || p == 0.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// A percentage (already ×100) with two decimals, `n/a` when unknown.
pub fn pct2(percent: Option<f64>) -> String {
    percent
        .map(|p| format!("{p:.2}%"))
        .unwrap_or_else(|| "n/a".to_string())
}

/// `3 min 30 s after impact began`, `40 s before impact began`.
pub fn relative(at: Micros, start: Micros) -> String {
    let d = (at - start).div_euclid(SEC);
    if d < 0 {
        format!("{} before impact began", format_duration(-d))
    } else if d == 0 {
        "as impact began".to_string()
    } else {
        format!("{} after impact began", format_duration(d))
    }
}

/// `1234567` as `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `2024-03-09 08:37:42`.
pub fn date_time(at: Micros) -> String {
    format!("{} {}", format_date(at), format_clock(at))
}

/// `08:37:42 UTC on 2024-03-09`.
pub fn when(at: Micros) -> String {
    format!("{} UTC on {}", format_clock(at), format_date(at))
}

/// Rounded to `digits` decimals (for JSON figures).
pub fn round_to(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

pub fn round1(x: f64) -> f64 {
    round_to(x, 1)
}

pub fn round2(x: f64) -> f64 {
    round_to(x, 2)
}

pub fn round3(x: f64) -> f64 {
    round_to(x, 3)
}

pub fn round4(x: f64) -> f64 {
    round_to(x, 4)
}

pub fn round6(x: f64) -> f64 {
    round_to(x, 6)
}

/// A number with at most three decimals and no trailing zeros: `0.5`, `12`.
pub fn trim_float(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages() {
        let cases = [
            (0.34, "34%", "34%"),
            (0.0021, "0.21%", "0.2%"),
            (0.05, "5.0%", "5.0%"),
            (0.0, "0%", "0%"),
            (0.0005, "0.050%", "0.1%"),
        ];
        for (ratio, adaptive, coarse) in cases {
            assert_eq!(pct(ratio), adaptive, "{ratio}");
            assert_eq!(pct_coarse(ratio), coarse, "{ratio}");
        }
        assert_eq!(pct2(Some(43.987)), "43.99%");
        assert_eq!(pct2(None), "n/a");
    }

    #[test]
    fn thousands() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(3102), "3,102");
        assert_eq!(group_thousands(1234567), "1,234,567");
    }

    #[test]
    fn relative_to_impact() {
        assert_eq!(relative(100 * SEC, 100 * SEC), "as impact began");
        assert_eq!(relative(60 * SEC, 100 * SEC), "40 s before impact began");
        assert_eq!(
            relative(310 * SEC, 100 * SEC),
            "3 min 30 s after impact began"
        );
    }

    #[test]
    fn rounding() {
        assert_eq!(round2(43.98724), 43.99);
        assert_eq!(round4(0.481_549), 0.4815);
        assert_eq!(round6(0.000_000_4), 0.0);
        assert_eq!(trim_float(0.5), "0.5");
        assert_eq!(trim_float(12.0), "12");
    }
}
