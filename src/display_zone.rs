//! The zone times are shown in to people (`--display-tz`, `--local`): the
//! text output and the report (`render::clock`); JSON stays UTC.

use chrono::{Offset, TimeZone};

use crate::time::{self, civil_from_days, format_offset, Micros, Zone, SEC};

/// Where shown times are converted to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DisplayZone {
    /// A zone given by name or offset (`UTC` by default).
    Zone(Zone),
    /// The machine's zone when it has no IANA name we can read.
    Local,
}

impl Default for DisplayZone {
    fn default() -> Self {
        DisplayZone::Zone(Zone::Utc)
    }
}

impl DisplayZone {
    /// The machine's zone: `TZ` when it names one, else the zone
    /// `/etc/localtime` links to, else whatever the C library says
    /// (shown as `local`).
    pub fn local() -> DisplayZone {
        let from_tz = std::env::var("TZ")
            .ok()
            .map(|t| t.trim_start_matches(':').to_string())
            .and_then(|t| Zone::parse(&t).ok());
        let from_link = || {
            let target = std::fs::read_link("/etc/localtime").ok()?;
            let text = target.to_string_lossy().into_owned();
            let (_, name) = text.split_once("zoneinfo/")?;
            Zone::parse(name).ok()
        };
        match from_tz.or_else(from_link) {
            Some(z) => DisplayZone::Zone(z),
            None => DisplayZone::Local,
        }
    }

    /// Whether times are shown in UTC.
    pub fn is_utc(&self) -> bool {
        matches!(self, DisplayZone::Zone(Zone::Utc))
    }

    /// Offset east of UTC, in seconds, at `at`.
    pub fn offset(&self, at: Micros) -> i32 {
        let secs = at.div_euclid(SEC);
        match self {
            DisplayZone::Zone(z) => z.offset_at_utc(secs),
            DisplayZone::Local => chrono::DateTime::from_timestamp(secs, 0)
                .map(|d| {
                    chrono::Local
                        .offset_from_utc_datetime(&d.naive_utc())
                        .fix()
                        .local_minus_utc()
                })
                .unwrap_or(0),
        }
    }

    /// `UTC`, `Europe/Berlin`, `+05:30`, `local`.
    pub fn label(&self) -> String {
        match self {
            DisplayZone::Zone(z) => z.name(),
            DisplayZone::Local => "local".to_string(),
        }
    }

    /// Wall-clock seconds "as if UTC" of `at` in this zone.
    fn wall(&self, at: Micros) -> i64 {
        at.div_euclid(SEC) + i64::from(self.offset(at))
    }

    /// `2024-03-09 09:37:42` in this zone.
    pub fn date_time(&self, at: Micros) -> String {
        format!("{} {}", self.date(at), self.clock(at))
    }

    /// `YYYY-MM-DD` in this zone.
    pub fn date(&self, at: Micros) -> String {
        let (y, m, d) = civil_from_days(self.wall(at).div_euclid(86_400));
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// `HH:MM:SS` in this zone.
    pub fn clock(&self, at: Micros) -> String {
        let sod = self.wall(at).rem_euclid(86_400);
        format!("{:02}:{:02}:{:02}", sod / 3600, sod % 3600 / 60, sod % 60)
    }

    /// RFC 3339: with `Z` in UTC, else with the zone's offset at `at`
    /// (`2024-03-09T09:37:42+01:00`).
    pub fn rfc3339(&self, at: Micros) -> String {
        if self.is_utc() {
            return time::format_rfc3339(at);
        }
        let off = self.offset(at);
        let mut text = time::format_rfc3339(at + i64::from(off) * SEC);
        text.pop();
        text.push_str(&format_offset(off));
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_the_chosen_zone() {
        let at = time::parse_user_time("2024-03-09T23:37:42Z", Zone::Utc).unwrap();
        let utc = DisplayZone::default();
        assert_eq!(utc.date_time(at), "2024-03-09 23:37:42");
        assert_eq!(utc.rfc3339(at), "2024-03-09T23:37:42Z");
        let berlin = DisplayZone::Zone(Zone::parse("Europe/Berlin").unwrap());
        assert_eq!(berlin.date_time(at), "2024-03-10 00:37:42");
        assert_eq!(berlin.rfc3339(at), "2024-03-10T00:37:42+01:00");
        assert_eq!(berlin.label(), "Europe/Berlin");
        let summer = time::parse_user_time("2024-07-01T12:00:00Z", Zone::Utc).unwrap();
        assert_eq!(berlin.clock(summer), "14:00:00");
        let india = DisplayZone::Zone(Zone::parse("+05:30").unwrap());
        assert_eq!(india.rfc3339(summer), "2024-07-01T17:30:00+05:30");
    }
}
