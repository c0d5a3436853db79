//! Times given on the command line (`--since`, `--until`): absolute, counted
//! back from the end of the data (`2h`), from now (`now-2h`), or a time of
//! day on the data's date (`08:30`). The last two kinds need the data's time
//! range, so they are parsed first and resolved once it is known.

use crate::time::{self, Micros, Zone, SEC};

/// Most days a time of day is looked for in (a range longer than this is
/// certainly ambiguous).
const MAX_DAYS: i64 = 366;

/// A `--since`/`--until` value before the data is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeBound {
    /// A time already known (absolute, or counted from now).
    At(Micros),
    /// This long before the last record.
    BeforeEnd(Micros),
    /// This wall-clock time, in the `--tz` zone, on the data's date.
    TimeOfDay { second_of_day: u32, micros: u32 },
}

impl TimeBound {
    /// Reads `text`; `now` is the current time (for `now-2h`), `zone` the
    /// zone of times without an offset.
    pub fn parse(text: &str, zone: Zone, now: Micros) -> Result<TimeBound, String> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("now") {
            let rest = rest.trim();
            if rest.is_empty() {
                return Ok(TimeBound::At(now));
            }
            let Some(ago) = rest.strip_prefix('-') else {
                return Err(format!("'{t}': use now or now-DURATION, e.g. now-2h"));
            };
            let secs = duration_with_unit(ago.trim())
                .ok_or_else(|| format!("'{t}': use now-DURATION with a unit, e.g. now-2h"))?;
            return now
                .checked_sub(secs.saturating_mul(SEC))
                .map(TimeBound::At)
                .ok_or_else(|| format!("'{t}' is too far back"));
        }
        if let Some(ago) = t.strip_prefix('-') {
            if duration_with_unit(ago).is_some() {
                return Err(format!(
                    "'{t}': a relative time counts back from the end of the data; write {ago}"
                ));
            }
        }
        if let Some(secs) = duration_with_unit(t) {
            return Ok(TimeBound::BeforeEnd(secs.saturating_mul(SEC)));
        }
        if let Some((second_of_day, micros)) = time_of_day(t) {
            return Ok(TimeBound::TimeOfDay {
                second_of_day,
                micros,
            });
        }
        time::parse_user_time(t, zone)
            .map(TimeBound::At)
            .map_err(|_| {
                format!(
                    "'{t}' is not a time I can read (use RFC 3339 like 2024-03-09T08:30:00Z, \
                 '2024-03-09 08:30', a time of day like 08:30, 2h or 90m before the end \
                 of the data, or now-2h)"
                )
            })
    }

    /// Whether resolving it needs the data's time range.
    pub fn needs_data(&self) -> bool {
        !matches!(self, TimeBound::At(_))
    }

    /// The time meant, given the first and last record times (`None` when
    /// no record has a time).
    pub fn resolve(&self, range: Option<(Micros, Micros)>, zone: Zone) -> Result<Micros, String> {
        let (first, last) = match (self, range) {
            (TimeBound::At(at), _) => return Ok(*at),
            (_, Some(r)) => r,
            (_, None) => {
                return Err(
                    "no record has a time, so there is no end of the data to count \
                     from: give an absolute time"
                        .to_string(),
                )
            }
        };
        match *self {
            TimeBound::At(at) => Ok(at),
            TimeBound::BeforeEnd(by) => Ok(last.saturating_sub(by)),
            TimeBound::TimeOfDay {
                second_of_day,
                micros,
            } => on_the_data_s_date(second_of_day, micros, first, last, zone),
        }
    }
}

/// The time of day on the one date it can mean: the date of the data when
/// the data lies in one day, else the one day on which that time falls
/// inside the data.
fn on_the_data_s_date(
    second_of_day: u32,
    micros: u32,
    first: Micros,
    last: Micros,
    zone: Zone,
) -> Result<Micros, String> {
    let wall_day = |at: Micros| {
        let secs = at.div_euclid(SEC);
        (secs + i64::from(zone.offset_at_utc(secs))).div_euclid(86_400)
    };
    let (d0, d1) = (wall_day(first), wall_day(last));
    let on_day = |day: i64| {
        let wall = day * 86_400 + i64::from(second_of_day);
        (wall - i64::from(zone.offset_for_wall(wall))) * SEC + i64::from(micros)
    };
    if d0 == d1 {
        return Ok(on_day(d0));
    }
    let date = |day: i64| {
        let (y, m, d) = time::civil_from_days(day);
        format!("{y:04}-{m:02}-{d:02}")
    };
    let span = format!(
        "the logs run from {} to {} ({})",
        date(d0),
        date(d1),
        zone.name()
    );
    if d1 - d0 > MAX_DAYS {
        return Err(format!(
            "a time of day is ambiguous: {span}; give the date too"
        ));
    }
    let inside: Vec<i64> = (d0..=d1)
        .filter(|&d| (first..=last).contains(&on_day(d)))
        .collect();
    match inside.as_slice() {
        [one] => Ok(on_day(*one)),
        _ => Err(format!(
            "a time of day is ambiguous: {span}; give the date too, e.g. '{} {:02}:{:02}'",
            date(d1),
            second_of_day / 3600,
            second_of_day % 3600 / 60
        )),
    }
}

/// A positive duration that names its unit (`2h`, `90m`, `1h30m`); bare
/// numbers are epoch times, not durations.
fn duration_with_unit(text: &str) -> Option<i64> {
    let t = text.trim();
    let starts_with_digit = t.as_bytes().first().is_some_and(u8::is_ascii_digit);
    let ends_with_unit = t.as_bytes().last().is_some_and(u8::is_ascii_alphabetic);
    if !starts_with_digit || !ends_with_unit || !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    time::parse_duration_secs(t).ok().filter(|&s| s > 0)
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff`.
fn time_of_day(text: &str) -> Option<(u32, u32)> {
    let (clock, fraction) = match text.split_once('.') {
        Some((c, f)) => (c, Some(f)),
        None => (text, None),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let num = |s: &str| s.parse::<u32>().ok();
    let (h, m) = (num(parts[0])?, num(parts[1])?);
    let s = parts.get(2).map_or(Some(0), |p| num(p))?;
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let micros = match fraction {
        None => 0,
        Some(f) if parts.len() == 3 && (1..=6).contains(&f.len()) => {
            let digits = num(f)?;
            digits * 10u32.pow(6 - f.len() as u32)
        }
        Some(_) => return None,
    };
    Some((h * 3600 + m * 60 + s, micros))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::format_rfc3339;

    const NOW: Micros = 1_720_000_000 * SEC;

    fn at(text: &str) -> Micros {
        time::parse_user_time(text, Zone::Utc).unwrap()
    }

    fn resolve(text: &str, first: &str, last: &str, zone: &str) -> Result<String, String> {
        let zone = Zone::parse(zone).unwrap();
        TimeBound::parse(text, zone, NOW)?
            .resolve(Some((at(first), at(last))), zone)
            .map(format_rfc3339)
    }

    #[test]
    fn absolute_times_need_no_data() {
        let b = TimeBound::parse("2024-03-09T08:30:00Z", Zone::Utc, NOW).unwrap();
        assert_eq!(b, TimeBound::At(at("2024-03-09T08:30:00Z")));
        assert!(!b.needs_data());
        assert_eq!(b.resolve(None, Zone::Utc), Ok(at("2024-03-09T08:30:00Z")));
        // Bare numbers stay epoch seconds.
        assert_eq!(
            TimeBound::parse("1710000000", Zone::Utc, NOW).unwrap(),
            TimeBound::At(1_710_000_000 * SEC)
        );
    }

    #[test]
    fn durations_count_back_from_the_end_of_the_data() {
        let r = |t| resolve(t, "2024-03-09T06:00:00Z", "2024-03-09T09:10:00Z", "UTC");
        assert_eq!(r("2h").unwrap(), "2024-03-09T07:10:00Z");
        assert_eq!(r("90m").unwrap(), "2024-03-09T07:40:00Z");
        assert_eq!(r("1h30m").unwrap(), "2024-03-09T07:40:00Z");
        assert!(r("-2h").unwrap_err().contains("write 2h"));
        let none = TimeBound::parse("2h", Zone::Utc, NOW).unwrap();
        assert!(none.needs_data());
        assert!(none.resolve(None, Zone::Utc).is_err());
    }

    #[test]
    fn now_minus_counts_back_from_the_clock() {
        assert_eq!(
            TimeBound::parse("now-2h", Zone::Utc, NOW).unwrap(),
            TimeBound::At(NOW - 7200 * SEC)
        );
        assert_eq!(
            TimeBound::parse("NOW - 90m", Zone::Utc, NOW).unwrap(),
            TimeBound::At(NOW - 5400 * SEC)
        );
        assert_eq!(
            TimeBound::parse("now", Zone::Utc, NOW).unwrap(),
            TimeBound::At(NOW)
        );
        assert!(TimeBound::parse("now-2", Zone::Utc, NOW).is_err());
        assert!(TimeBound::parse("now+2h", Zone::Utc, NOW).is_err());
    }

    #[test]
    fn a_time_of_day_is_on_the_data_s_date() {
        let one_day = |t| resolve(t, "2024-03-09T06:00:00Z", "2024-03-09T09:10:00Z", "UTC");
        assert_eq!(one_day("08:30").unwrap(), "2024-03-09T08:30:00Z");
        assert_eq!(one_day("08:30:15").unwrap(), "2024-03-09T08:30:15Z");
        assert_eq!(one_day("08:30:15.250").unwrap(), "2024-03-09T08:30:15.250Z");
        // Outside the data but on its one date: still that date.
        assert_eq!(one_day("23:00").unwrap(), "2024-03-09T23:00:00Z");
        assert!(one_day("24:00").is_err());
        assert!(one_day("8:30").is_err());
        // Read in --tz: 08:30 in Berlin is 07:30 UTC in winter.
        assert_eq!(
            resolve(
                "08:30",
                "2024-03-09T06:00:00Z",
                "2024-03-09T09:10:00Z",
                "Europe/Berlin"
            )
            .unwrap(),
            "2024-03-09T07:30:00Z"
        );
    }

    #[test]
    fn a_time_of_day_across_midnight_is_the_one_inside_the_data() {
        let r = |t| resolve(t, "2024-03-09T22:00:00Z", "2024-03-10T02:00:00Z", "UTC");
        assert_eq!(r("23:30").unwrap(), "2024-03-09T23:30:00Z");
        assert_eq!(r("01:15").unwrap(), "2024-03-10T01:15:00Z");
        // In neither day's part of the data: ambiguous, say so.
        let e = r("12:00").unwrap_err();
        assert!(
            e.contains("2024-03-09 to 2024-03-10") && e.contains("give the date"),
            "{e}"
        );
        // Two days of data: 08:30 happened twice.
        let e = resolve(
            "08:30",
            "2024-03-09T00:00:00Z",
            "2024-03-10T23:00:00Z",
            "UTC",
        )
        .unwrap_err();
        assert!(e.contains("ambiguous"), "{e}");
    }

    #[test]
    fn unreadable_times_say_what_is_accepted() {
        let e = TimeBound::parse("yesterday", Zone::Utc, NOW).unwrap_err();
        assert!(e.contains("08:30") && e.contains("now-2h"), "{e}");
    }
}
