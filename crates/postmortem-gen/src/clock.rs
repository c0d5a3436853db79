//! Time arithmetic and the timestamp shapes the generated logs use. All
//! times inside the generator are UTC microseconds since the epoch; an
//! offset in seconds turns them into the wall clock a host would print.
//! Kept independent of the library's time module on purpose: the
//! generator is the oracle the parsers are checked against.

use std::fmt::Write as _;

/// Microseconds in a second.
pub const SEC: i64 = 1_000_000;
/// Microseconds in a minute.
pub const MIN: i64 = 60 * SEC;
/// Microseconds in an hour.
pub const HOUR: i64 = 60 * MIN;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// UTC microseconds of a wall-clock time written at `offset` seconds east of UTC.
pub fn at(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64, offset: i32) -> i64 {
    ((days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s) - offset as i64) * SEC
}

/// Broken-down wall clock.
#[derive(Clone, Copy, Debug)]
pub struct Civil {
    pub y: i64,
    pub mo: u32,
    pub d: u32,
    pub h: u32,
    pub mi: u32,
    pub s: u32,
    /// Microseconds within the second.
    pub us: u32,
}

/// The wall clock at `t` for a host `offset` seconds east of UTC.
pub fn civil(t: i64, offset: i32) -> Civil {
    let local = t + offset as i64 * SEC;
    let secs = local.div_euclid(SEC);
    let us = local.rem_euclid(SEC) as u32;
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400) as u32;
    Civil {
        y,
        mo,
        d,
        h: sod / 3600,
        mi: sod % 3600 / 60,
        s: sod % 60,
        us,
    }
}

impl Civil {
    pub fn month_abbr(&self) -> &'static str {
        MONTHS[(self.mo - 1) as usize]
    }
}

fn offset_hhmm(offset: i32, colon: bool) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    if colon {
        format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
    } else {
        format!("{sign}{:02}{:02}", a / 3600, a % 3600 / 60)
    }
}

/// nginx `$time_local`: `09/Mar/2024:08:37:42 +0000`.
pub fn clf(t: i64, offset: i32) -> String {
    let c = civil(t, offset);
    format!(
        "{:02}/{}/{}:{:02}:{:02}:{:02} {}",
        c.d,
        c.month_abbr(),
        c.y,
        c.h,
        c.mi,
        c.s,
        offset_hhmm(offset, false)
    )
}

/// nginx error log / Go `log`: `2024/03/09 08:37:42`.
pub fn slashed(t: i64, offset: i32) -> String {
    let c = civil(t, offset);
    format!(
        "{}/{:02}/{:02} {:02}:{:02}:{:02}",
        c.y, c.mo, c.d, c.h, c.mi, c.s
    )
}

/// RFC 3164 syslog: `Mar  9 08:37:42` (day space-padded, no year).
pub fn syslog(t: i64, offset: i32) -> String {
    let c = civil(t, offset);
    format!(
        "{} {:>2} {:02}:{:02}:{:02}",
        c.month_abbr(),
        c.d,
        c.h,
        c.mi,
        c.s
    )
}

/// HAProxy request date: `09/Mar/2024:08:37:42.123`.
pub fn haproxy(t: i64, offset: i32) -> String {
    let c = civil(t, offset);
    format!(
        "{:02}/{}/{}:{:02}:{:02}:{:02}.{:03}",
        c.d,
        c.month_abbr(),
        c.y,
        c.h,
        c.mi,
        c.s,
        c.us / 1000
    )
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// Apache 2.4 error log: `Sat Mar 09 08:37:42.123456 2024`.
pub fn apache_error(t: i64, offset: i32) -> String {
    let c = civil(t, offset);
    let days = (t + offset as i64 * SEC).div_euclid(86_400 * SEC);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02}.{:06} {}",
        WEEKDAYS[days.rem_euclid(7) as usize],
        c.month_abbr(),
        c.d,
        c.h,
        c.mi,
        c.s,
        c.us,
        c.y
    )
}

/// klog/glog header time: `0309 08:37:42.123456` (no year).
pub fn klog(t: i64) -> String {
    let c = civil(t, 0);
    format!(
        "{:02}{:02} {:02}:{:02}:{:02}.{:06}",
        c.mo, c.d, c.h, c.mi, c.s, c.us
    )
}

/// Java/Python/Ansible: `2024-03-09 08:37:42,123`.
pub fn comma_ms(t: i64, offset: i32) -> String {
    let c = civil(t, offset);
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02},{:03}",
        c.y,
        c.mo,
        c.d,
        c.h,
        c.mi,
        c.s,
        c.us / 1000
    )
}

/// RFC 3339 with a fixed number of fraction digits (0, 3, 6 or 9) and `Z`
/// for offset 0 or `±hh:mm` otherwise.
pub fn rfc3339(t: i64, offset: i32, digits: u32) -> String {
    let c = civil(t, offset);
    let mut s = format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.y, c.mo, c.d, c.h, c.mi, c.s
    );
    match digits {
        0 => {}
        3 => {
            let _ = write!(s, ".{:03}", c.us / 1000);
        }
        6 => {
            let _ = write!(s, ".{:06}", c.us);
        }
        _ => {
            let _ = write!(s, ".{:06}000", c.us);
        }
    }
    if offset == 0 {
        s.push('Z');
    } else {
        s.push_str(&offset_hhmm(offset, true));
    }
    s
}

/// Go's `time.RFC3339Nano` in UTC: fraction with trailing zeros trimmed.
pub fn rfc3339_nano_trim(t: i64) -> String {
    let c = civil(t, 0);
    let mut s = format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.y, c.mo, c.d, c.h, c.mi, c.s
    );
    if c.us != 0 {
        let frac = format!("{:06}", c.us);
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// RFC 3339 UTC at a resolution: 1 (seconds), 1000 (ms) or 1 000 000 (µs),
/// used for truth times so they match what the log line can express.
pub fn truth_time(t: i64, resolution_us: i64) -> String {
    match resolution_us {
        SEC => rfc3339(t, 0, 0),
        1000 => rfc3339(t, 0, 3),
        _ => rfc3339(t, 0, 6),
    }
}

/// `YYYY-MM-DD` of a UTC time.
pub fn date(t: i64) -> String {
    let c = civil(t, 0);
    format!("{}-{:02}-{:02}", c.y, c.mo, c.d)
}

/// Epoch seconds with microseconds, as zap writes `ts` (`1709973462.123456`).
pub fn epoch_secs_frac(t: i64) -> String {
    format!("{}.{:06}", t.div_euclid(SEC), t.rem_euclid(SEC))
}

/// Epoch milliseconds, as pino writes `time`.
pub fn epoch_ms(t: i64) -> i64 {
    t.div_euclid(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let t = at(2024, 3, 9, 8, 37, 42, 0) + 123_456;
        assert_eq!(clf(t, 0), "09/Mar/2024:08:37:42 +0000");
        assert_eq!(clf(t, 19_800), "09/Mar/2024:14:07:42 +0530");
        assert_eq!(slashed(t, 0), "2024/03/09 08:37:42");
        assert_eq!(syslog(t, 0), "Mar  9 08:37:42");
        assert_eq!(haproxy(t, 0), "09/Mar/2024:08:37:42.123");
        assert_eq!(comma_ms(t, 0), "2024-03-09 08:37:42,123");
        assert_eq!(rfc3339(t, 0, 6), "2024-03-09T08:37:42.123456Z");
        assert_eq!(rfc3339(t, 19_800, 3), "2024-03-09T14:07:42.123+05:30");
        assert_eq!(rfc3339(t, 0, 9), "2024-03-09T08:37:42.123456000Z");
        assert_eq!(rfc3339_nano_trim(t), "2024-03-09T08:37:42.123456Z");
        assert_eq!(epoch_ms(t), 1_709_973_462_123);
        assert_eq!(epoch_secs_frac(t), "1709973462.123456");
        assert_eq!(apache_error(t, 0), "Sat Mar 09 08:37:42.123456 2024");
        assert_eq!(klog(t), "0309 08:37:42.123456");
    }

    #[test]
    fn civil_roundtrip() {
        for d in -1000..30_000 {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }
}
