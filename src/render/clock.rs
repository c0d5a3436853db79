//! How the shared report (Markdown and HTML) writes times: in the zone
//! `--display-tz`/`--local` chose, UTC by default. The header names the
//! zone once with its offset; a time at another offset than that one (a
//! daylight-saving change inside the report) carries its own, so that
//! `01:59:00` followed by `03:00:00+02:00` is never read as an hour of
//! silence. In UTC every text stays as it always was (`… UTC on …`).
//!
//! The JSON never goes through here: it is always UTC.

use std::fmt::Write as _;

use crate::display_zone::DisplayZone;
use crate::time::{format_offset, Micros, SEC};

/// At most this many probes look for an offset change within a span (a
/// zone's offsets last months, so a coarse step finds every change in a
/// span of less than a century).
const PROBES: i64 = 4096;
/// The finest probe step: daylight-saving rules never change twice
/// within six hours.
const PROBE_STEP_SECONDS: i64 = 6 * 3600;

/// The report's zone and the offset its header names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clock {
    zone: DisplayZone,
    /// Offset (seconds east of UTC) that the header names; times at it are
    /// written without one.
    main_offset: i32,
    /// Another offset some time within the report's span is at.
    other_offset: Option<i32>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new(DisplayZone::default(), 0, None)
    }
}

impl Clock {
    /// Times in `zone`, the header naming its offset at `main_at` (the
    /// incident's start); `span` is what the report shows times from (the
    /// data's first and last record), checked for an offset change.
    pub fn new(zone: DisplayZone, main_at: Micros, span: Option<(Micros, Micros)>) -> Clock {
        let main_offset = zone.offset(main_at);
        let mut other_offset = None;
        if let Some((from, to)) = span.filter(|(from, to)| to > from) {
            let step = ((to - from).div_euclid(SEC) / PROBES).max(PROBE_STEP_SECONDS) * SEC;
            let mut t = from;
            while other_offset.is_none() && t < to + step {
                let off = zone.offset(t.min(to));
                other_offset = (off != main_offset).then_some(off);
                t += step;
            }
        }
        Clock {
            zone,
            main_offset,
            other_offset,
        }
    }

    /// Whether times are written in UTC (the default, unchanged wording).
    pub fn is_utc(&self) -> bool {
        self.zone.is_utc()
    }

    /// `+02:00` when `at` is at another offset than the header's, else nothing.
    fn mark(&self, at: Micros) -> String {
        let off = self.zone.offset(at);
        if off == self.main_offset {
            String::new()
        } else {
            format_offset(off)
        }
    }

    /// `HH:MM:SS`, with the offset when it is not the header's.
    pub fn clock(&self, at: Micros) -> String {
        format!("{}{}", self.zone.clock(at), self.mark(at))
    }

    /// `HH:MM`, with the offset when it is not the header's (chart labels).
    pub fn hour_minute(&self, at: Micros) -> String {
        format!("{}{}", &self.zone.clock(at)[..5], self.mark(at))
    }

    /// `YYYY-MM-DD` in the zone.
    pub fn date(&self, at: Micros) -> String {
        self.zone.date(at)
    }

    /// `MM-DD` in the zone (chart labels over several days).
    pub fn month_day(&self, at: Micros) -> String {
        self.zone.date(at)[5..].to_string()
    }

    /// Whether two times fall on the same date in the zone.
    pub fn same_date(&self, a: Micros, b: Micros) -> bool {
        self.zone.date(a) == self.zone.date(b)
    }

    /// `YYYY-MM-DD HH:MM:SS`, with the offset when it is not the header's.
    pub fn date_time(&self, at: Micros) -> String {
        format!("{} {}", self.date(at), self.clock(at))
    }

    /// `08:37:42 UTC on 2024-03-09`; in another zone `09:37:42 on 2024-03-09`
    /// (the header names it).
    pub fn when(&self, at: Micros) -> String {
        format!("{}{} on {}", self.clock(at), self.tag(), self.date(at))
    }

    /// What follows a time in a sentence: ` UTC`, or nothing in another
    /// zone (named once, in the header).
    pub fn tag(&self) -> &'static str {
        if self.is_utc() {
            " UTC"
        } else {
            ""
        }
    }

    /// The zone as a column heading says it: `UTC`, `Europe/Berlin`, `+05:30`.
    pub fn column(&self) -> String {
        self.zone.label()
    }

    /// The header's sentence on times: `All times UTC.`, or the zone with
    /// its offset, and how times at another offset are written.
    pub fn header(&self) -> String {
        if self.is_utc() {
            return "All times UTC.".to_string();
        }
        let named = self.zone.label();
        let offset = format!("UTC{}", format_offset(self.main_offset));
        let mut s = if named == format_offset(self.main_offset) {
            format!("All times in {offset}.")
        } else {
            format!("All times in {named} ({offset}).")
        };
        if let Some(other) = self.other_offset {
            let _ = write!(
                s,
                " The offset changes within these logs (daylight saving): a time at another offset carries it, e.g. 12:00:00{}.",
                format_offset(other)
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{parse_user_time, Zone};

    fn t(s: &str) -> Micros {
        parse_user_time(s, Zone::Utc).unwrap()
    }

    fn berlin() -> DisplayZone {
        DisplayZone::Zone(Zone::parse("Europe/Berlin").unwrap())
    }

    #[test]
    fn utc_keeps_the_wording() {
        let c = Clock::default();
        let at = t("2024-03-09T08:37:42Z");
        assert_eq!(c.when(at), "08:37:42 UTC on 2024-03-09");
        assert_eq!(c.clock(at), "08:37:42");
        assert_eq!(c.header(), "All times UTC.");
        assert_eq!(c.tag(), " UTC");
    }

    #[test]
    fn a_zone_is_named_once_and_times_converted() {
        let at = t("2024-03-09T23:37:42Z");
        let c = Clock::new(berlin(), at, Some((at - 3600 * SEC, at + 3600 * SEC)));
        assert_eq!(c.when(at), "00:37:42 on 2024-03-10");
        assert_eq!(c.date_time(at), "2024-03-10 00:37:42");
        assert_eq!(c.header(), "All times in Europe/Berlin (UTC+01:00).");
        assert_eq!(c.column(), "Europe/Berlin");
        let fixed = Clock::new(DisplayZone::Zone(Zone::parse("+05:30").unwrap()), at, None);
        assert_eq!(fixed.header(), "All times in UTC+05:30.");
        assert_eq!(fixed.clock(at), "05:07:42");
    }

    #[test]
    fn a_daylight_saving_change_marks_the_other_offset() {
        // Berlin springs forward at 01:00 UTC on 2024-03-31.
        let start = t("2024-03-31T00:30:00Z");
        let end = t("2024-03-31T02:30:00Z");
        let c = Clock::new(berlin(), start, Some((start, end)));
        assert_eq!(c.clock(start), "01:30:00");
        assert_eq!(c.clock(end), "04:30:00+02:00");
        assert_eq!(c.hour_minute(end), "04:30+02:00");
        assert!(c.header().contains("daylight saving"), "{}", c.header());
        // A span far from the change says nothing of it.
        let quiet = Clock::new(berlin(), end, Some((end, end + 3600 * SEC)));
        assert!(!quiet.header().contains("daylight"));
        // A change in the middle of a long span is found.
        let long = Clock::new(
            berlin(),
            t("2024-01-01T00:00:00Z"),
            Some((t("2024-01-01T00:00:00Z"), t("2024-12-31T00:00:00Z"))),
        );
        assert!(long.header().contains("daylight"));
    }
}
