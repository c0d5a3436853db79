//! Times carried by object keys, so a listing under `--since/--until`
//! fetches only the objects whose time can meet the window.
//!
//! Three layouts are recognised, the finest one in a key deciding:
//! - a minute stamp `_20240309T0835Z_` (ALB, NLB and classic ELB access
//!   logs): the END of the interval the object holds (`T0835Z` holds
//!   the requests of 08:30 to 08:35 in a 5-minute layout);
//! - an hour stamp `.2024-03-09-08.` (CloudFront standard logs): the
//!   START of the hour it holds;
//! - date folders `…/2024/03/09/…`: the day.
//!
//! The interval of a layout is read from the listing itself (the most
//! common step between distinct stamps: 5 minutes for an ALB, 60 for a
//! classic ELB set so), with the layout's usual one when the listing has
//! too few stamps to tell. An object is skipped only when what it covers
//! lies wholly outside the window widened by one interval each side, so
//! a writer whose clock or flush is late by up to an interval loses
//! nothing.

use std::collections::BTreeMap;

use crate::time::{days_from_civil, Micros, SEC};

const MINUTE: Micros = 60 * SEC;
const HOUR: Micros = 60 * MINUTE;
const DAY: Micros = 24 * HOUR;

/// How a key carries its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layout {
    /// `_YYYYMMDDTHHMMZ_`: the end of the interval.
    MinuteEnd,
    /// `.YYYY-MM-DD-HH.`: the start of the hour.
    HourStart,
    /// `YYYY/MM/DD/` folders: the day.
    DayFolder,
}

impl Layout {
    /// The interval when the listing cannot tell.
    fn usual(self) -> Micros {
        match self {
            Layout::MinuteEnd => 5 * MINUTE,
            Layout::HourStart => HOUR,
            Layout::DayFolder => DAY,
        }
    }

    /// The shortest interval believed from a listing (a stamp's own unit).
    fn unit(self) -> Micros {
        match self {
            Layout::MinuteEnd => MINUTE,
            Layout::HourStart => HOUR,
            Layout::DayFolder => DAY,
        }
    }
}

/// The time a key carries, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyTime {
    pub layout: Layout,
    pub at: Micros,
}

/// The time of a key, from its finest layout.
pub fn key_time(key: &str) -> Option<KeyTime> {
    let name = key.rsplit('/').next().unwrap_or(key);
    if let Some(at) = minute_stamp(name.as_bytes()) {
        return Some(KeyTime {
            layout: Layout::MinuteEnd,
            at,
        });
    }
    if let Some(at) = hour_stamp(name.as_bytes()) {
        return Some(KeyTime {
            layout: Layout::HourStart,
            at,
        });
    }
    day_folder(key).map(|at| KeyTime {
        layout: Layout::DayFolder,
        at,
    })
}

fn num(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    b.iter().try_fold(0u32, |n, d| {
        n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

fn civil(y: u32, mo: u32, d: u32, h: u32, mi: u32) -> Option<Micros> {
    let valid = (1970..=9999).contains(&y)
        && (1..=12).contains(&mo)
        && d >= 1
        && d <= crate::time::days_in_month(i64::from(y), mo)
        && h < 24
        && mi < 60;
    valid.then(|| {
        days_from_civil(i64::from(y), mo, d) * DAY + i64::from(h) * HOUR + i64::from(mi) * MINUTE
    })
}

/// `_YYYYMMDDTHHMMZ_` (or at the name's end before the extension).
fn minute_stamp(name: &[u8]) -> Option<Micros> {
    // 8 digits, T, 4 digits, Z: 14 bytes, with a separator before it.
    (1..name.len().saturating_sub(13)).find_map(|i| {
        let s = &name[i..i + 14];
        let before = name[i - 1];
        let after = name.get(i + 14).copied();
        if s[8] != b'T' || s[13] != b'Z' || !matches!(before, b'_' | b'.' | b'-') {
            return None;
        }
        if after.is_some_and(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        civil(
            num(&s[0..4])?,
            num(&s[4..6])?,
            num(&s[6..8])?,
            num(&s[9..11])?,
            num(&s[11..13])?,
        )
    })
}

/// `.YYYY-MM-DD-HH.` (CloudFront).
fn hour_stamp(name: &[u8]) -> Option<Micros> {
    (1..name.len().saturating_sub(13)).find_map(|i| {
        let s = &name[i..i + 13];
        if name[i - 1] != b'.' || name[i + 13] != b'.' {
            return None;
        }
        if s[4] != b'-' || s[7] != b'-' || s[10] != b'-' {
            return None;
        }
        civil(
            num(&s[0..4])?,
            num(&s[5..7])?,
            num(&s[8..10])?,
            num(&s[11..13])?,
            0,
        )
    })
}

/// Folders `YYYY/MM/DD/` anywhere in the key (the last such run).
fn day_folder(key: &str) -> Option<Micros> {
    let parts: Vec<&str> = key.split('/').collect();
    // The folders only: the last part is the object's name.
    let folders = &parts[..parts.len().saturating_sub(1)];
    folders.windows(3).rev().find_map(|w| {
        if w[0].len() != 4 || w[1].len() != 2 || w[2].len() != 2 {
            return None;
        }
        civil(
            num(w[0].as_bytes())?,
            num(w[1].as_bytes())?,
            num(w[2].as_bytes())?,
            0,
            0,
        )
    })
}

/// The interval of each layout met in a listing: the most common step
/// between its distinct stamps (the shorter on a tie), at least the
/// layout's unit and at most a day; its usual one with fewer than three
/// distinct stamps.
pub fn intervals(times: &[KeyTime]) -> BTreeMap<Layout, Micros> {
    let mut stamps: BTreeMap<Layout, Vec<Micros>> = BTreeMap::new();
    for t in times {
        stamps.entry(t.layout).or_default().push(t.at);
    }
    stamps
        .into_iter()
        .map(|(layout, mut at)| {
            at.sort_unstable();
            at.dedup();
            let mut steps: BTreeMap<Micros, usize> = BTreeMap::new();
            for w in at.windows(2) {
                *steps.entry(w[1] - w[0]).or_default() += 1;
            }
            let interval = if at.len() < 3 {
                layout.usual()
            } else {
                // Most common first; the shorter of equals (BTreeMap order).
                let mut best: Option<(Micros, usize)> = None;
                for (&step, &n) in &steps {
                    if best.is_none_or(|(_, m)| n > m) {
                        best = Some((step, n));
                    }
                }
                best.map_or(layout.usual(), |(s, _)| s.clamp(layout.unit(), DAY))
            };
            (layout, interval)
        })
        .collect()
}

/// What an object whose key carries `t` covers, given the layout's interval.
pub fn covers(t: KeyTime, interval: Micros) -> (Micros, Micros) {
    match t.layout {
        Layout::MinuteEnd => (t.at - interval, t.at),
        Layout::HourStart => (t.at, t.at + interval),
        Layout::DayFolder => (t.at, t.at + DAY),
    }
}

/// Whether an object covering `cover` can hold records of the window
/// `[since, until]` widened by `margin` each side.
pub fn may_meet(
    cover: (Micros, Micros),
    since: Option<Micros>,
    until: Option<Micros>,
    margin: Micros,
) -> bool {
    let (start, end) = cover;
    since.is_none_or(|s| end >= s.saturating_sub(margin))
        && until.is_none_or(|u| start <= u.saturating_add(margin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Micros {
        crate::time::parse_user_time(text, crate::time::Zone::Utc).unwrap()
    }

    #[test]
    fn alb_cloudfront_and_date_folder_keys() {
        let alb = "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/03/09/123456789012_elasticloadbalancing_us-east-1_app.my-lb.1234567890abcdef_20240309T0835Z_10.0.0.1_abc123.log.gz";
        assert_eq!(
            key_time(alb),
            Some(KeyTime {
                layout: Layout::MinuteEnd,
                at: at("2024-03-09T08:35:00Z")
            })
        );
        let cf = "cf/E2EXAMPLE.2024-03-09-08.a1b2c3d4.gz";
        assert_eq!(
            key_time(cf),
            Some(KeyTime {
                layout: Layout::HourStart,
                at: at("2024-03-09T08:00:00Z")
            })
        );
        assert_eq!(
            key_time("archive/2024/03/09/nginx-access.log.gz"),
            Some(KeyTime {
                layout: Layout::DayFolder,
                at: at("2024-03-09T00:00:00Z")
            })
        );
        for none in [
            "logs/access.log",
            "2024/03/access.log",
            "x_20241309T0835Z_y.log",
            "x_20240309T2460Z_y.log",
            "x_20240309T0835Zab.log",
            "2024/13/01/a.log",
            "v1.2024-03-09.log",
        ] {
            assert_eq!(key_time(none), None, "{none}");
        }
    }

    #[test]
    fn the_interval_comes_from_the_listing() {
        let five = |k: i64| KeyTime {
            layout: Layout::MinuteEnd,
            at: k * 5 * MINUTE,
        };
        // Two load balancer nodes write each interval: steps of zero are
        // not steps.
        let times: Vec<KeyTime> = (0..20).flat_map(|k| [five(k), five(k)]).collect();
        assert_eq!(intervals(&times)[&Layout::MinuteEnd], 5 * MINUTE);
        // A classic ELB set to 60 minutes, with one gap.
        let hourly: Vec<KeyTime> = [0, 1, 2, 3, 5, 6]
            .iter()
            .map(|h| KeyTime {
                layout: Layout::MinuteEnd,
                at: h * HOUR,
            })
            .collect();
        assert_eq!(intervals(&hourly)[&Layout::MinuteEnd], HOUR);
        // Too few to tell: the usual one.
        assert_eq!(intervals(&[five(3)])[&Layout::MinuteEnd], 5 * MINUTE);
    }

    #[test]
    fn objects_meet_the_window_with_one_interval_of_margin() {
        let i = 5 * MINUTE;
        let since = Some(at("2024-03-09T10:00:00Z"));
        let until = Some(at("2024-03-09T12:00:00Z"));
        let meets = |stamp: &str| {
            let t = KeyTime {
                layout: Layout::MinuteEnd,
                at: at(stamp),
            };
            may_meet(covers(t, i), since, until, i)
        };
        // Ends 09:50: covers 09:45-09:50, wholly before 09:55.
        assert!(!meets("2024-03-09T09:50:00Z"));
        assert!(meets("2024-03-09T09:55:00Z"));
        assert!(meets("2024-03-09T12:10:00Z"));
        // Covers 12:10-12:15, after 12:05.
        assert!(!meets("2024-03-09T12:15:00Z"));
        // No bounds: everything.
        let t = KeyTime {
            layout: Layout::DayFolder,
            at: 0,
        };
        assert!(may_meet(covers(t, DAY), None, None, DAY));
    }
}
