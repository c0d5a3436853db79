//! Timestamps: the shapes logs write them in, zones, year inference, and
//! RFC 3339 output.
//!
//! Everything inside the tool is UTC microseconds since the Unix epoch
//! ([`Micros`]). Parsers recognise a shape and return a [`Stamp`]: wall-clock
//! seconds "as if UTC" plus the offset written in the line, if any. A
//! [`TimeCtx`] then resolves stamps without an offset in the source's zone,
//! with a small cache because consecutive lines share the same hour.

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{NaiveDateTime, Offset, TimeZone};

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

/// Microseconds in a second.
pub const SEC: Micros = 1_000_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// True for leap years of the Gregorian calendar.
pub fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in a month, 0 for an invalid month.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Seconds since the epoch of a wall-clock date and time read as UTC, or
/// `None` when a field is out of range. A leap second (`:60`) reads as
/// `:59` (see [`LEAP_SECOND`] for the rule the shape readers follow). Years beyond a million either way are out of
/// range too (they come from nonsense such as a file dated at the end of
/// `i64` time, and would overflow the arithmetic).
pub fn civil_to_secs(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> Option<i64> {
    if !(-1_000_000..=1_000_000).contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    Some(
        days_from_civil(year, month, day) * 86_400
            + hour as i64 * 3600
            + minute as i64 * 60
            + second.min(59) as i64,
    )
}

/// How a leap second is read: `23:59:60` and `23:59:60.5` become
/// `23:59:59.999999`, the last microsecond of the second before.
///
/// UTC microseconds have no room for a 61st second. Folding it into the
/// next second (`00:00:00`) would move the record into the next day and
/// put it beside the real first second of that day; keeping `:59` with the
/// written fraction would sort `:60.2` before a real `:59.7`. The last
/// microsecond of `:59` keeps the day, keeps every leap-second line after
/// every `:59` line and before every line of the next second; only the
/// order among several lines within the leap second itself is lost.
pub const LEAP_SECOND: u32 = 999_999;

/// A timestamp as written in a line, before zone resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Wall-clock seconds since the epoch, read as if UTC.
    pub wall: i64,
    /// Sub-second part in microseconds.
    pub micros: u32,
    /// Offset east of UTC in seconds, when the line gives one.
    pub offset: Option<i32>,
}

impl Stamp {
    /// UTC microseconds when the stamp carries its own offset.
    pub fn utc_if_explicit(&self) -> Option<Micros> {
        self.offset.map(|off| self.utc_with(off))
    }

    /// UTC microseconds with the given offset. Saturating: the shape
    /// parsers keep `wall` within years 0..=9999, but a stamp built from
    /// other numbers must not overflow.
    #[inline]
    fn utc_with(&self, off: i32) -> Micros {
        self.wall
            .saturating_sub(off as i64)
            .saturating_mul(SEC)
            .saturating_add(self.micros as i64)
    }
}

/// A date without a year (RFC 3164 syslog `Mar  5 10:00:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YearlessStamp {
    pub month: u32,
    pub day: u32,
    /// Seconds since midnight.
    pub second_of_day: u32,
    pub micros: u32,
}

// ---------------------------------------------------------------------------
// Zones

/// The zone that timestamps without an offset are read in (`--tz`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Zone {
    Utc,
    /// Fixed offset east of UTC, in seconds.
    Fixed(i32),
    /// An IANA zone with its daylight-saving rules.
    Named(chrono_tz::Tz),
}

impl Zone {
    /// Parses `UTC`, `Z`, a fixed offset (`+02:00`, `-0500`, `+5`, `UTC+2`)
    /// or an IANA name (`Europe/Berlin`).
    pub fn parse(text: &str) -> Result<Zone, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("empty time zone".to_string());
        }
        let upper = t.to_ascii_uppercase();
        if upper == "UTC" || upper == "Z" || upper == "GMT" || upper == "ETC/UTC" {
            return Ok(Zone::Utc);
        }
        let offset_text = upper
            .strip_prefix("UTC")
            .or_else(|| upper.strip_prefix("GMT"))
            .unwrap_or(&upper);
        if offset_text.starts_with('+') || offset_text.starts_with('-') {
            if let Some(off) = parse_offset_loose(offset_text.as_bytes()) {
                return Ok(if off == 0 {
                    Zone::Utc
                } else {
                    Zone::Fixed(off)
                });
            }
            return Err(format!(
                "'{t}' is not a valid UTC offset (use +HH:MM, e.g. +02:00 or -0500)"
            ));
        }
        t.parse::<chrono_tz::Tz>().map(Zone::Named).map_err(|_| {
            format!("unknown time zone '{t}' (use an IANA name such as Europe/Berlin, or an offset such as +02:00)")
        })
    }

    /// Offset east of UTC, in seconds, at the UTC instant `utc_secs` (for
    /// showing a time in this zone: no folds or gaps this way round).
    pub fn offset_at_utc(&self, utc_secs: i64) -> i32 {
        match self {
            Zone::Utc => 0,
            Zone::Fixed(off) => *off,
            Zone::Named(tz) => match NaiveDateTime::from_timestamp_opt_compat(utc_secs) {
                Some(naive) => tz.offset_from_utc_datetime(&naive).fix().local_minus_utc(),
                None => 0,
            },
        }
    }

    /// The zone's name as given (`Europe/Berlin`), `UTC`, or its offset.
    pub fn name(&self) -> String {
        match self {
            Zone::Utc => "UTC".to_string(),
            Zone::Fixed(off) => format_offset(*off),
            Zone::Named(tz) => tz.name().to_string(),
        }
    }

    /// Offset east of UTC, in seconds, for a wall-clock time in this zone.
    /// In a daylight-saving fold the earlier reading wins; in a gap the
    /// offset before the gap is used, which moves the time forward.
    pub fn offset_for_wall(&self, wall: i64) -> i32 {
        match self {
            Zone::Utc => 0,
            Zone::Fixed(off) => *off,
            Zone::Named(tz) => {
                let Some(naive) = NaiveDateTime::from_timestamp_opt_compat(wall) else {
                    return 0;
                };
                match tz.offset_from_local_datetime(&naive) {
                    chrono::LocalResult::Single(o) => o.fix().local_minus_utc(),
                    chrono::LocalResult::Ambiguous(a, _) => a.fix().local_minus_utc(),
                    chrono::LocalResult::None => gap_offset(tz, wall),
                }
            }
        }
    }
}

/// The offset in force just before the gap that `wall` falls in (a
/// wall-clock time that never happened in `tz`).
///
/// Gaps are usually an hour (spring forward), but not always: Samoa
/// (`Pacific/Apia`, 2011) and Kiritimati (`Pacific/Kiritimati`, 1994)
/// skipped a whole day when they crossed the date line. So the wall time
/// steps back an hour at a time until it is one that happened; the zone's
/// offset there is the one before the gap. Two days back is enough for
/// every gap in the IANA database; past that (no offset found) UTC is
/// used.
fn gap_offset(tz: &chrono_tz::Tz, wall: i64) -> i32 {
    (1..=48)
        .filter_map(|hours| {
            let naive =
                NaiveDateTime::from_timestamp_opt_compat(wall.saturating_sub(hours * 3600))?;
            tz.offset_from_local_datetime(&naive).latest()
        })
        .map(|o| o.fix().local_minus_utc())
        .next()
        .unwrap_or(0)
}

/// chrono renamed its constructors between versions; keep the one call here.
trait NaiveFromSecs: Sized {
    fn from_timestamp_opt_compat(secs: i64) -> Option<Self>;
}

impl NaiveFromSecs for NaiveDateTime {
    fn from_timestamp_opt_compat(secs: i64) -> Option<Self> {
        chrono::DateTime::from_timestamp(secs, 0).map(|d| d.naive_utc())
    }
}

/// Where year-less dates (RFC 3164 syslog) take their year from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YearAnchor {
    /// `--year`: the file's lines start in this year and move forward,
    /// rolling over at New Year.
    Start { year: i32, first_month: u32 },
    /// The end of the data (other inputs' last timestamp, or the file's
    /// mtime): lines are at most a week after it and less than a year before.
    End(i64),
}

impl YearAnchor {
    /// The year for a month/day so that the date falls in the anchor's window.
    pub fn year_for(&self, month: u32, day: u32) -> i64 {
        match *self {
            YearAnchor::Start { year, first_month } => {
                // A month well before the first month means the log crossed New Year.
                if month + 1 < first_month {
                    year as i64 + 1
                } else {
                    year as i64
                }
            }
            YearAnchor::End(end_secs) => {
                let (end_year, _, _) = civil_from_days(end_secs.div_euclid(86_400));
                // The latest year that puts the date no more than a week
                // after the anchor (late writes, clocks), and less than
                // about eleven months before it.
                for year in [end_year + 1, end_year, end_year - 1] {
                    let day = day.min(days_in_month(year, month)).max(1);
                    if let Some(t) = civil_to_secs(year, month, day, 0, 0, 0) {
                        if t <= end_secs.saturating_add(7 * 86_400)
                            && t > end_secs.saturating_sub(358 * 86_400)
                        {
                            return year;
                        }
                    }
                }
                end_year
            }
        }
    }
}

/// The lines of a file that its own format does not read, tried with the
/// other formats, within one block.
#[derive(Clone, Copy, Debug, Default)]
pub struct ForeignLines {
    /// The format (index in `format::registry`) that read the last one:
    /// tried first on the next.
    pub hint: Option<u16>,
    /// Lines tried, and of them read.
    pub tried: u32,
    pub read: u32,
}

/// The room of a field list kept from line to line, at most (a JSON line
/// with hundreds of fields does not pin its list).
const MAX_SPARE_FIELDS: usize = 32;

/// An emptied field list whose strings may borrow another line: the
/// collect of an empty list into an element type of the same size reuses
/// its allocation (std's in-place iteration), so no element is ever
/// converted and no `unsafe` is needed.
#[inline]
// `filter` would keep the element type, lifetime and all: the `filter_map`
// is what gives the list its new lifetime.
#[allow(clippy::unnecessary_filter_map)]
fn relifetime<'b>(
    mut fields: Vec<(Cow<'_, str>, Cow<'_, str>)>,
) -> Vec<(Cow<'b, str>, Cow<'b, str>)> {
    fields.clear();
    fields.into_iter().filter_map(|_| None).collect()
}

/// Per-source time settings plus the caches that make zone lookups cheap.
#[derive(Clone, Debug)]
pub struct TimeCtx {
    pub zone: Zone,
    pub anchor: YearAnchor,
    /// The time of the previous record in this file, kept by the scanner,
    /// for lines that carry no time of their own (HAProxy's newer stderr
    /// notices `[WARNING]  (301) : ...`).
    pub last_at: Option<Micros>,
    /// Whether a record is open for continuation lines to join, kept by
    /// the scanner: a stack frame an envelope shipped with a time of its
    /// own and nothing before it to continue is a message at that time.
    pub in_record: bool,
    /// The envelope time of the line before (see `format::wrap`): a
    /// runtime writes a stack trace at once, so a line shipped long after
    /// the one before does not continue it.
    pub shipped_at: Option<Micros>,
    /// Inside a Python traceback an envelope shipped line by line: its
    /// last line (`Exception: …`) is the traceback's too.
    pub in_traceback: bool,
    /// Whether parsers should fill fields that only display needs
    /// (a request's method and path). The scan turns this off: it never
    /// shows them, and validating them costs a sixth of the parse.
    pub details: bool,
    /// What the file's header lines said, for the lines after them (W3C
    /// `#Fields:`, a table's column header), encoded by the format that
    /// read them; the scan hands each block the one in force at its start
    /// (see `format::LogFormat::headers`).
    pub layout: Option<std::sync::Arc<[u8]>>,
    /// Text a wrapper holds back until the line that completes it (CRI's
    /// `P` partial lines, joined at the `F` line); see `format::wrap`.
    pub pending: Vec<u8>,
    /// The same for a second stream an envelope interleaves with the
    /// first (Docker's and CRI's stderr beside stdout): a piece of one
    /// stream is never joined to the other's.
    pub pending_stderr: Vec<u8>,
    /// How the lines the file's own format does not read fared with the
    /// other formats (see `format::read_foreign`).
    pub foreign: ForeignLines,
    /// The last timestamp text a parser resolved and its result: lines
    /// come in bursts within the same second, so most lookups hit.
    stamp_text: [u8; 32],
    stamp_len: u8,
    stamp_at: Micros,
    cache_key: i64,
    cache_offset: i32,
    /// The last year-less date resolved, as `(anchor, month, day)`, and the
    /// wall seconds its day starts at: the year inference and the civil
    /// arithmetic run once a day of log, not once a line.
    yearless_key: Option<(YearAnchor, u32, u32)>,
    yearless_day: i64,
    /// The ambiguous zone abbreviations met ([`AMBIGUOUS`] indices as a
    /// bit set), for the scan's warning.
    pub ambiguous: u32,
    /// The room of a message's field list the scan gave back (see
    /// [`TimeCtx::field_list`]), empty.
    spare_fields: Vec<(Cow<'static, str>, Cow<'static, str>)>,
}

impl TimeCtx {
    pub fn new(zone: Zone, anchor: YearAnchor) -> TimeCtx {
        TimeCtx {
            zone,
            anchor,
            last_at: None,
            in_record: false,
            shipped_at: None,
            in_traceback: false,
            details: true,
            layout: None,
            pending: Vec::new(),
            pending_stderr: Vec::new(),
            foreign: ForeignLines::default(),
            stamp_text: [0; 32],
            stamp_len: 0,
            stamp_at: 0,
            cache_key: i64::MIN,
            cache_offset: 0,
            yearless_key: None,
            yearless_day: 0,
            ambiguous: 0,
            spare_fields: Vec::new(),
        }
    }

    /// An empty list for a message's fields, in the room of one the scan
    /// gave back ([`TimeCtx::give_back_fields`]): a text log's every line
    /// has a few fields, and a fresh `Vec` per line cost ~6% of a syslog
    /// run in the allocator.
    #[inline]
    pub fn field_list<'a>(&mut self) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
        relifetime(std::mem::take(&mut self.spare_fields))
    }

    /// Keeps the room of a message's field list, once read, for the next
    /// line's [`TimeCtx::field_list`].
    #[inline]
    pub fn give_back_fields(&mut self, fields: Vec<(Cow<'_, str>, Cow<'_, str>)>) {
        if fields.capacity() <= MAX_SPARE_FIELDS {
            self.spare_fields = relifetime(fields);
        }
    }

    /// UTC microseconds of a stamp; stamps without an offset are read in the zone.
    #[inline]
    pub fn resolve(&mut self, stamp: Stamp) -> Micros {
        let off = match stamp.offset {
            Some(off) => off,
            None => self.offset_for_wall(stamp.wall),
        };
        stamp.utc_with(off)
    }

    /// The time of a timestamp written as `text`, if it is the same text as
    /// the last one remembered with [`TimeCtx::remember`].
    #[inline]
    pub fn recall(&self, text: &[u8]) -> Option<Micros> {
        let n = self.stamp_len as usize;
        (n != 0 && text.len() == n && self.stamp_text[..n] == *text).then_some(self.stamp_at)
    }

    /// Remembers the time of a timestamp text (up to 32 bytes) for [`TimeCtx::recall`].
    #[inline]
    pub fn remember(&mut self, text: &[u8], at: Micros) {
        if text.len() <= self.stamp_text.len() && !text.is_empty() {
            self.stamp_text[..text.len()].copy_from_slice(text);
            self.stamp_len = text.len() as u8;
            self.stamp_at = at;
        }
    }

    /// UTC microseconds of a year-less stamp, the year taken from the anchor.
    pub fn resolve_yearless(&mut self, stamp: YearlessStamp) -> Option<Micros> {
        let key = (self.anchor, stamp.month, stamp.day);
        let day_start = match self.yearless_key {
            Some(k) if k == key => self.yearless_day,
            _ => {
                let day_start = yearless_day_start(self.anchor, stamp.month, stamp.day)?;
                self.yearless_key = Some(key);
                self.yearless_day = day_start;
                day_start
            }
        };
        let wall = day_start.saturating_add(stamp.second_of_day as i64);
        Some(self.resolve(Stamp {
            wall,
            micros: stamp.micros,
            offset: None,
        }))
    }

    /// UTC microseconds of a time of day without a date (strace `-t`,
    /// `-tt`): the day is the anchor's, as for year-less dates. With
    /// [`YearAnchor::End`] it is the last day at or before the anchor on
    /// which that time had happened (a time later in the day than the
    /// anchor is the day before's); with [`YearAnchor::Start`] the first
    /// day of its first month. Traces that cross midnight are not
    /// followed into the next day.
    pub fn resolve_time_of_day(&mut self, second_of_day: u32, micros: u32) -> Option<Micros> {
        let day_start = match self.anchor {
            YearAnchor::End(end) => {
                let day = end.div_euclid(86_400) * 86_400;
                if day.saturating_add(second_of_day as i64) > end.saturating_add(3600) {
                    day.saturating_sub(86_400)
                } else {
                    day
                }
            }
            YearAnchor::Start { year, first_month } => {
                civil_to_secs(year as i64, first_month.clamp(1, 12), 1, 0, 0, 0)?
            }
        };
        Some(self.resolve(Stamp {
            wall: day_start.saturating_add(second_of_day as i64),
            micros,
            offset: None,
        }))
    }

    #[inline]
    fn offset_for_wall(&mut self, wall: i64) -> i32 {
        match self.zone {
            Zone::Utc => 0,
            Zone::Fixed(off) => off,
            Zone::Named(_) => {
                // Zone rules change on quarter hours at the finest.
                let key = wall.div_euclid(900);
                if key != self.cache_key {
                    self.cache_key = key;
                    self.cache_offset = self.zone.offset_for_wall(wall);
                }
                self.cache_offset
            }
        }
    }
}

/// Wall seconds at which a year-less date's day starts, the year taken
/// from the anchor.
fn yearless_day_start(anchor: YearAnchor, month: u32, day: u32) -> Option<i64> {
    let mut year = anchor.year_for(month, day);
    // 29 February only exists in leap years: take the nearest earlier one.
    if month == 2 && day == 29 {
        while !is_leap(year) {
            year -= 1;
        }
    }
    civil_to_secs(year, month, day, 0, 0, 0)
}

impl Default for TimeCtx {
    fn default() -> Self {
        TimeCtx::new(Zone::Utc, YearAnchor::End(0))
    }
}

// ---------------------------------------------------------------------------
// Small byte-level readers

/// Value of exactly `n` ASCII digits at the start of `b`.
#[inline]
pub fn digits(b: &[u8], n: usize) -> Option<u32> {
    if b.len() < n {
        return None;
    }
    let mut v: u32 = 0;
    for &c in &b[..n] {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + d as u32;
    }
    Some(v)
}

/// Month number of a three-letter English abbreviation (any case).
#[inline]
pub fn month_abbr(b: &[u8]) -> Option<u32> {
    if b.len() < 3 {
        return None;
    }
    let key = [
        b[0].to_ascii_lowercase(),
        b[1].to_ascii_lowercase(),
        b[2].to_ascii_lowercase(),
    ];
    Some(match &key {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

fn is_weekday_abbr(b: &[u8]) -> bool {
    if b.len() < 3 {
        return false;
    }
    let key = [
        b[0].to_ascii_lowercase(),
        b[1].to_ascii_lowercase(),
        b[2].to_ascii_lowercase(),
    ];
    matches!(
        &key,
        b"mon" | b"tue" | b"wed" | b"thu" | b"fri" | b"sat" | b"sun"
    )
}

/// Reads a fraction of a second after the separator: up to 9 digits, kept
/// to microseconds. Returns (micros, bytes consumed including no separator).
#[inline]
fn fraction(b: &[u8]) -> (u32, usize) {
    let mut micros: u32 = 0;
    let mut n = 0;
    while n < b.len() && b[n].is_ascii_digit() {
        if n < 6 {
            micros = micros * 10 + (b[n] - b'0') as u32;
        }
        n += 1;
    }
    let mut k = n;
    while k < 6 {
        micros *= 10;
        k += 1;
    }
    (micros, n)
}

/// An offset at the start of `b`: `Z`, `+hh:mm`, `+hhmm`, `+hh`. Returns the
/// offset east of UTC in seconds and the bytes consumed.
#[inline]
pub fn parse_offset(b: &[u8]) -> Option<(i32, usize)> {
    match b.first()? {
        b'Z' | b'z' => Some((0, 1)),
        &c @ (b'+' | b'-') => {
            let sign = if c == b'-' { -1 } else { 1 };
            let h = digits(&b[1..], 2)?;
            let (m, used) = if b.get(3) == Some(&b':') {
                (digits(&b[4..], 2)?, 6)
            } else if let Some(m) = digits(&b[3..], 2) {
                (m, 5)
            } else {
                (0, 3)
            };
            if h > 23 || m > 59 {
                return None;
            }
            Some((sign * (h as i32 * 3600 + m as i32 * 60), used))
        }
        _ => None,
    }
}

fn parse_offset_loose(b: &[u8]) -> Option<i32> {
    if let Some((off, used)) = parse_offset(b) {
        if used == b.len() {
            return Some(off);
        }
    }
    // `+5`, `-3`: whole hours with one digit.
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h: i32 = std::str::from_utf8(&b[1..]).ok()?.parse().ok()?;
    // Lazily: `then_some` would multiply first, and `-600000` overflows.
    (0..=14).contains(&h).then(|| sign * h * 3600)
}

/// `HH:MM[:SS]` at the start of `b`: (seconds of day, bytes consumed).
#[inline]
fn clock(b: &[u8]) -> Option<(u32, usize)> {
    let h = digits(b, 2)?;
    if b.get(2) != Some(&b':') {
        return None;
    }
    let m = digits(&b[3..], 2)?;
    if h > 23 || m > 59 {
        return None;
    }
    if b.get(5) == Some(&b':') {
        let s = digits(&b[6..], 2)?;
        if s > 60 {
            return None;
        }
        Some((h * 3600 + m * 60 + s.min(59), 8))
    } else {
        Some((h * 3600 + m * 60, 5))
    }
}

/// Whether the clock at the start of `b` (as [`clock`] read it) is a leap
/// second, `HH:MM:60`.
#[inline]
fn is_leap_clock(b: &[u8], used: usize) -> bool {
    used == 8 && b.get(6..8) == Some(b"60")
}

/// `HH:MM:SS` then an optional `.frac` or `,frac`: (secs of day, micros, consumed).
#[inline]
fn clock_frac(b: &[u8]) -> Option<(u32, u32, usize)> {
    let (sod, mut used) = clock(b)?;
    let mut micros = 0;
    if used == 8 && matches!(b.get(8), Some(b'.') | Some(b',')) {
        let (f, n) = fraction(&b[9..]);
        if n > 0 {
            micros = f;
            used = 9 + n;
        }
    }
    if is_leap_clock(b, used.min(8)) {
        micros = LEAP_SECOND;
    }
    Some((sod, micros, used))
}

fn date_secs(year: i64, month: u32, day: u32) -> Option<i64> {
    civil_to_secs(year, month, day, 0, 0, 0)
}

// ---------------------------------------------------------------------------
// Shapes

/// ISO 8601 / RFC 3339 and its relatives at the start of `b`:
/// `2024-03-15T10:00:00.123Z`, `2024-03-15 10:00:00,123`, `2024-03-15T10:00:00+0000`,
/// `2020/05/07 03:15:12` (nginx error, Go), `2024/03/15 10:00:00.123123`.
/// Returns the stamp and the bytes consumed.
pub fn parse_iso(b: &[u8]) -> Option<(Stamp, usize)> {
    let year = digits(b, 4)? as i64;
    let sep = *b.get(4)?;
    if sep != b'-' && sep != b'/' && sep != b'.' {
        return None;
    }
    let month = digits(&b[5..], 2)?;
    if b.get(7) != Some(&sep) {
        return None;
    }
    let day = digits(&b[8..], 2)?;
    let base = date_secs(year, month, day)?;
    let t = *b.get(10)?;
    if t != b'T' && t != b' ' && t != b't' && t != b'_' {
        return None;
    }
    let (sod, micros, used) = clock_frac(&b[11..])?;
    let mut end = 11 + used;
    // Optional offset, possibly after one space (`2014-03-10 19:57:38 -0400`).
    let mut offset = None;
    if let Some((off, n)) = b.get(end..).and_then(parse_offset) {
        offset = Some(off);
        end += n;
    } else if b.get(end) == Some(&b' ') {
        if let Some(rest) = b.get(end + 1..) {
            if matches!(rest.first(), Some(b'+') | Some(b'-')) {
                if let Some((off, n)) = parse_offset(rest) {
                    if n >= 5 && !rest.get(n).is_some_and(|c| c.is_ascii_digit()) {
                        offset = Some(off);
                        end += 1 + n;
                    }
                }
            } else if rest.starts_with(b"UTC") || rest.starts_with(b"GMT") {
                offset = Some(0);
                end += 4;
            }
        }
    }
    Some((
        Stamp {
            wall: base + sod as i64,
            micros,
            offset,
        },
        end,
    ))
}

/// Two-digit-year dates `yy/MM/dd HH:mm:ss` (Hadoop, Spark) and
/// `yy-MM-dd HH:mm:ss`; years are read as 20yy.
pub fn parse_short_year(b: &[u8]) -> Option<(Stamp, usize)> {
    let yy = digits(b, 2)? as i64;
    let sep = *b.get(2)?;
    if sep != b'/' && sep != b'-' {
        return None;
    }
    let month = digits(&b[3..], 2)?;
    if b.get(5) != Some(&sep) {
        return None;
    }
    let day = digits(&b[6..], 2)?;
    if b.get(8) != Some(&b' ') {
        return None;
    }
    let base = date_secs(2000 + yy, month, day)?;
    let (sod, micros, used) = clock_frac(&b[9..])?;
    Some((
        Stamp {
            wall: base + sod as i64,
            micros,
            offset: None,
        },
        9 + used,
    ))
}

/// CLF and HAProxy dates: `10/Oct/2000:13:55:36 -0700`, `06/Feb/2009:12:14:14.655`.
/// The offset is optional (HAProxy writes none). Returns the stamp and bytes consumed.
pub fn parse_clf(b: &[u8]) -> Option<(Stamp, usize)> {
    let day = digits(b, 2)?;
    if b.get(2) != Some(&b'/') {
        return None;
    }
    let month = month_abbr(&b[3..])?;
    if b.get(6) != Some(&b'/') {
        return None;
    }
    let year = digits(&b[7..], 4)? as i64;
    if b.get(11) != Some(&b':') {
        return None;
    }
    let base = date_secs(year, month, day)?;
    let (sod, micros, used) = clock_frac(&b[12..])?;
    let mut end = 12 + used;
    let mut offset = None;
    if b.get(end) == Some(&b' ') {
        if let Some((off, n)) = b.get(end + 1..).and_then(parse_offset) {
            offset = Some(off);
            end += 1 + n;
        }
    }
    Some((
        Stamp {
            wall: base + sod as i64,
            micros,
            offset,
        },
        end,
    ))
}

/// ctime-style dates with the year last, as Apache's error log writes them:
/// `Fri Sep 09 10:42:29.902022 2011` or `Sun Dec 04 04:47:44 2005`
/// (the day may be space-padded). Returns the stamp and bytes consumed.
pub fn parse_ctime(b: &[u8]) -> Option<(Stamp, usize)> {
    if !is_weekday_abbr(b) || b.get(3) != Some(&b' ') {
        return None;
    }
    let month = month_abbr(&b[4..])?;
    if b.get(7) != Some(&b' ') {
        return None;
    }
    let (day, mut i) = padded_day(&b[8..])?;
    i += 8;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    let (sod, micros, used) = clock_frac(&b[i..])?;
    i += used;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    // Go's `time.UnixDate` puts the zone before the year:
    // `Sun Jan 10 16:47:39 EST 2021` (an ambiguous name is read in the zone).
    let mut offset = None;
    if b.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
        let (abbrev, n) = parse_zone_abbrev(&b[i + 1..])?;
        offset = match abbrev {
            Abbrev::Known(off) => Some(off),
            Abbrev::Ambiguous(_) => None,
        };
        i += 1 + n;
        if b.get(i) != Some(&b' ') {
            return None;
        }
    }
    let year = digits(b.get(i + 1..)?, 4)? as i64;
    i += 5;
    let base = date_secs(year, month, day)?;
    Some((
        Stamp {
            wall: base + sod as i64,
            micros,
            offset,
        },
        i,
    ))
}

/// A day of month written `05`, ` 5` or `5`: (day, bytes consumed).
fn padded_day(b: &[u8]) -> Option<(u32, usize)> {
    match (b.first()?, b.get(1)) {
        (b' ', Some(d)) if d.is_ascii_digit() => Some(((d - b'0') as u32, 2)),
        (d, Some(e)) if d.is_ascii_digit() && e.is_ascii_digit() => {
            Some((((d - b'0') * 10 + (e - b'0')) as u32, 2))
        }
        (d, _) if d.is_ascii_digit() => Some(((d - b'0') as u32, 1)),
        _ => None,
    }
}

/// RFC 3164 dates without a year: `Mar  5 10:00:00`, `Mar 05 10:00:00`,
/// `Apr 4 03:39:57`, optionally with a fraction. Returns the stamp and bytes consumed.
pub fn parse_syslog_date(b: &[u8]) -> Option<(YearlessStamp, usize)> {
    let month = month_abbr(b)?;
    if b.get(3) != Some(&b' ') {
        return None;
    }
    let (day, used) = padded_day(&b[4..])?;
    if day == 0 || day > 31 {
        return None;
    }
    let i = 4 + used;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let (sod, micros, used) = clock_frac(&b[i + 1..])?;
    if used < 8 {
        return None;
    }
    Some((
        YearlessStamp {
            month,
            day,
            second_of_day: sod,
            micros,
        },
        i + 1 + used,
    ))
}

/// An epoch number: integer or float, in seconds, milliseconds, microseconds
/// or nanoseconds by magnitude (10, 13, 16, 19 integer digits in the current era).
pub fn epoch_to_micros(text: &str) -> Option<Micros> {
    let t = text.trim();
    let (int_part, frac_part) = match t.split_once('.') {
        Some((i, f)) => (i, f),
        None => (t, ""),
    };
    if int_part.is_empty()
        || !int_part.bytes().all(|c| c.is_ascii_digit())
        || !frac_part.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let int: i64 = int_part.parse().ok()?;
    let (f, n) = fraction(frac_part.as_bytes());
    let _ = n;
    match int_part.len() {
        // Seconds: 1973..2286.
        9..=10 => Some(int * SEC + f as i64),
        // Milliseconds.
        12..=13 => Some(int * 1000 + (f as i64) / 1000),
        // Microseconds.
        15..=16 => Some(int),
        // Nanoseconds.
        18..=19 => Some(int / 1000),
        _ => None,
    }
}

/// An epoch number given as a JSON number.
pub fn epoch_f64_to_micros(v: f64) -> Option<Micros> {
    if !v.is_finite() || v <= 0.0 {
        return None;
    }
    let digits = (v.log10().floor() as i64) + 1;
    let micros = match digits {
        9..=10 => v * 1e6,
        12..=13 => v * 1e3,
        15..=16 => v,
        18..=19 => v / 1e3,
        _ => return None,
    };
    Some(micros.round() as i64)
}

/// A timestamp of any shape at the start of `b` (after an optional `[`):
/// ISO 8601 and its slash and comma relatives, two-digit years, CLF, ctime
/// (Apache), Windows CBS (`2016-09-28 04:30:30, Info` reads as ISO). Year-less
/// syslog dates are not included (see [`parse_syslog_date`]). Returns the
/// stamp and bytes consumed (including a closing `]` when one opened).
pub fn parse_leading(b: &[u8]) -> Option<(Stamp, usize)> {
    let (open, body) = match b.first()? {
        b'[' => (1, &b[1..]),
        _ => (0, b),
    };
    let first = *body.first()?;
    let found = if first.is_ascii_digit() {
        parse_iso(body)
            .or_else(|| parse_clf(body))
            .or_else(|| parse_short_year(body))
    } else if first.is_ascii_alphabetic() {
        parse_ctime(body)
    } else {
        None
    }?;
    let (stamp, mut used) = found;
    used += open;
    if open == 1 && b.get(used) == Some(&b']') {
        used += 1;
    }
    Some((stamp, used))
}

/// Any RFC 3339-ish string, complete (JSON values such as `time`, `@timestamp`,
/// Alertmanager `startsAt`, Go's `2014-03-10 19:57:38.562264131 -0400 EDT`).
/// Text without an offset is read in the context's zone.
pub fn parse_text_timestamp(text: &str, ctx: &mut TimeCtx) -> Option<Micros> {
    let b = text.trim().as_bytes();
    if let Some((stamp, _)) = parse_leading(b) {
        return Some(ctx.resolve(stamp));
    }
    epoch_to_micros(text)
}

// ---------------------------------------------------------------------------
// Zone abbreviations

/// What a zone abbreviation written after a time (`CEST`, `PDT`, `UTC`)
/// says about the offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abbrev {
    /// One offset east of UTC, in seconds.
    Known(i32),
    /// The abbreviation names several zones ([`AMBIGUOUS`] says which and
    /// what is guessed); the index into that table.
    Ambiguous(u8),
}

/// Abbreviations that name one offset. Daylight-saving names carry their
/// summer offset, so `CEST` is +02:00 whatever the date.
const ABBREVIATIONS: &[(&str, i32)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("UT", 0),
    ("Z", 0),
    ("WET", 0),
    ("WEST", 3600),
    ("BST", 3600),
    ("CET", 3600),
    ("CEST", 7200),
    ("MET", 3600),
    ("MEST", 7200),
    ("EET", 7200),
    ("EEST", 10_800),
    ("MSK", 10_800),
    ("WAT", 3600),
    ("CAT", 7200),
    ("SAST", 7200),
    ("EAT", 10_800),
    ("IDT", 10_800),
    ("PKT", 18_000),
    ("WIB", 25_200),
    ("ICT", 25_200),
    ("HKT", 28_800),
    ("SGT", 28_800),
    ("AWST", 28_800),
    ("JST", 32_400),
    ("KST", 32_400),
    ("ACST", 34_200),
    ("ACDT", 37_800),
    ("AEST", 36_000),
    ("AEDT", 39_600),
    ("NZST", 43_200),
    ("NZDT", 46_800),
    ("NST", -12_600),
    ("NDT", -9000),
    ("ADT", -10_800),
    ("BRT", -10_800),
    ("ART", -10_800),
    ("EST", -18_000),
    ("EDT", -14_400),
    ("CDT", -18_000),
    ("MST", -25_200),
    ("MDT", -21_600),
    ("PST", -28_800),
    ("PDT", -25_200),
    ("AKST", -32_400),
    ("AKDT", -28_800),
    ("HST", -36_000),
];

/// An abbreviation that names several zones: its name, the reading used
/// when `--tz` does not settle it, and the zones it may mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AmbiguousAbbrev {
    pub name: &'static str,
    /// Offset used when the source's zone is UTC (no `--tz`).
    pub guess: i32,
    /// The zones it may mean, the guessed one first, for the warning.
    pub meanings: &'static str,
}

/// The abbreviations that mean more than one zone. At most 32 (they are
/// noted in a bit set).
pub const AMBIGUOUS: &[AmbiguousAbbrev] = &[
    AmbiguousAbbrev {
        name: "IST",
        guess: 19_800,
        meanings: "India +05:30, Ireland +01:00, Israel +02:00",
    },
    AmbiguousAbbrev {
        name: "CST",
        guess: -21_600,
        meanings: "US Central -06:00, China +08:00, Cuba -05:00",
    },
    AmbiguousAbbrev {
        name: "AST",
        guess: -14_400,
        meanings: "Atlantic -04:00, Arabia +03:00",
    },
    AmbiguousAbbrev {
        name: "ECT",
        guess: -18_000,
        meanings: "Ecuador -05:00, Eastern Caribbean -04:00",
    },
    AmbiguousAbbrev {
        name: "GST",
        guess: 14_400,
        meanings: "Gulf +04:00, South Georgia -02:00",
    },
];

/// A zone abbreviation at the start of `b`: 1 to 5 capital letters
/// followed by anything but a letter or digit. Returns what it says and
/// the bytes it took; `None` for words that are no zone we know.
pub fn parse_zone_abbrev(b: &[u8]) -> Option<(Abbrev, usize)> {
    let n = b
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    if n == 0 || n > 5 || b.get(n).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let word = b.get(..n)?;
    if let Some(&(_, off)) = ABBREVIATIONS
        .iter()
        .find(|(name, _)| name.as_bytes() == word)
    {
        return Some((Abbrev::Known(off), n));
    }
    let i = AMBIGUOUS.iter().position(|a| a.name.as_bytes() == word)?;
    Some((Abbrev::Ambiguous(i as u8), n))
}

impl TimeCtx {
    /// UTC microseconds of a wall-clock stamp written with a zone
    /// abbreviation. A known abbreviation gives the offset. An ambiguous
    /// one is noted in [`TimeCtx::ambiguous`] (the scan warns once per
    /// file) and read in the source's zone when `--tz` names one, else
    /// with the table's guess.
    pub fn resolve_abbrev(&mut self, stamp: Stamp, abbrev: Abbrev) -> Micros {
        match abbrev {
            Abbrev::Known(off) => stamp.utc_with(off),
            Abbrev::Ambiguous(i) => {
                self.ambiguous |= 1u32.checked_shl(i as u32).unwrap_or(0);
                match (self.zone, AMBIGUOUS.get(i as usize)) {
                    (Zone::Utc, Some(a)) => stamp.utc_with(a.guess),
                    _ => self.resolve(stamp),
                }
            }
        }
    }
}

/// The warnings for the ambiguous abbreviations noted in a bit set
/// ([`TimeCtx::ambiguous`]), one per abbreviation, in table order.
pub fn ambiguous_warnings(seen: u32, zone: Zone) -> Vec<String> {
    AMBIGUOUS
        .iter()
        .enumerate()
        .filter(|(i, _)| seen & (1u32 << i) != 0)
        .map(|(_, a)| {
            let how = match zone {
                Zone::Utc => format!("read as {}", offset_label(a.guess)),
                _ => "read in --tz".to_string(),
            };
            format!(
                "times marked {} are ambiguous ({}): {how}; set --tz to the server's zone if that is wrong",
                a.name, a.meanings
            )
        })
        .collect()
}

/// `+05:30`, `-06:00`.
fn offset_label(off: i32) -> String {
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
}

// ---------------------------------------------------------------------------
// More shapes: the application and system formats' own

/// `dd-Mon-yyyy HH:MM:SS[.fff]` (Tomcat's `catalina.out`, BIND):
/// `31-Jul-2020 16:40:38.451`. Returns the stamp and bytes consumed.
pub fn parse_dd_mon_yyyy(b: &[u8]) -> Option<(Stamp, usize)> {
    let day = digits(b, 2)?;
    if b.get(2) != Some(&b'-') || b.get(6) != Some(&b'-') || b.get(11) != Some(&b' ') {
        return None;
    }
    let month = month_abbr(b.get(3..)?)?;
    let year = digits(b.get(7..)?, 4)? as i64;
    let base = date_secs(year, month, day)?;
    let (sod, micros, used) = clock_frac(b.get(12..)?)?;
    (used >= 8).then_some(())?;
    Some((
        Stamp {
            wall: base + sod as i64,
            micros,
            offset: None,
        },
        12 + used,
    ))
}

/// Java util logging's `SimpleFormatter` date: `Dec 30, 2020 11:30:40 AM`
/// (also `Jan 5, 2021 1:02:03 PM`; a 24-hour clock without AM/PM is read
/// as written). Returns the stamp and bytes consumed.
pub fn parse_jul_date(b: &[u8]) -> Option<(Stamp, usize)> {
    let month = month_abbr(b)?;
    if b.get(3) != Some(&b' ') {
        return None;
    }
    let (day, used) = padded_day(b.get(4..)?)?;
    let mut i = 4 + used;
    if b.get(i..i + 2) != Some(b", ") {
        return None;
    }
    i += 2;
    let year = digits(b.get(i..)?, 4)? as i64;
    i += 4;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    // The hour may have one digit.
    let rest = b.get(i..)?;
    let (h, hl) = match (digits(rest, 2), digits(rest, 1)) {
        (Some(h), _) => (h, 2),
        (None, Some(h)) => (h, 1),
        _ => return None,
    };
    if rest.get(hl) != Some(&b':') {
        return None;
    }
    let m = digits(rest.get(hl + 1..)?, 2)?;
    if rest.get(hl + 3) != Some(&b':') {
        return None;
    }
    let s = digits(rest.get(hl + 4..)?, 2)?;
    i += hl + 6;
    let mut hour = h;
    match b.get(i..i + 3) {
        Some(b" AM") | Some(b" am") if (1..=12).contains(&h) => {
            hour = h % 12;
            i += 3;
        }
        Some(b" PM") | Some(b" pm") if (1..=12).contains(&h) => {
            hour = h % 12 + 12;
            i += 3;
        }
        _ => {}
    }
    if hour > 23 || m > 59 || s > 60 {
        return None;
    }
    let base = date_secs(year, month, day)?;
    let micros = if s == 60 { LEAP_SECOND } else { 0 };
    Some((
        Stamp {
            wall: base + (hour * 3600 + m * 60 + s.min(59)) as i64,
            micros,
            offset: None,
        },
        i,
    ))
}

/// `HH:MM:SS` with the hour possibly space-padded or one digit
/// (` 9:46:45`, MySQL 5 and MariaDB's `191015  9:46:45`): (secs of day,
/// bytes consumed).
pub fn parse_loose_clock(b: &[u8]) -> Option<(u32, usize)> {
    let (lead, b) = match b.first()? {
        b' ' => (1, b.get(1..)?),
        _ => (0, b),
    };
    if b.get(1) == Some(&b':') {
        let h = digits(b, 1)?;
        let mut padded = [b'0'; 8];
        padded.get_mut(1..8)?.copy_from_slice(b.get(..7)?);
        let (sod, used) = clock(&padded)?;
        return (used == 8 && h < 10).then_some((sod, lead + 7));
    }
    let (sod, used) = clock(b)?;
    (used == 8).then_some((sod, lead + 8))
}

/// Compact dates of six digits, `yymmdd` (HDFS, MySQL 5: `081109`,
/// `161209`), read as 20yy: seconds of the day's start.
pub fn parse_yymmdd(b: &[u8]) -> Option<i64> {
    let yy = digits(b, 2)? as i64;
    let month = digits(b.get(2..)?, 2)?;
    let day = digits(b.get(4..)?, 2)?;
    date_secs(2000 + yy, month, day)
}

/// A year-less `MMDD` or `MM-DD` or `MM.DD` date then a space and
/// `HH:MM:SS[.frac]` (klog `0507 12:04:17.597069`, logcat
/// `03-17 16:13:38.811`, Proxifier `10.30 16:49:06`). `sep` is the byte
/// between month and day (`None` for klog's four digits).
pub fn parse_month_day(b: &[u8], sep: Option<u8>) -> Option<(YearlessStamp, usize)> {
    let month = digits(b, 2)?;
    let day_at = match sep {
        Some(c) if b.get(2) == Some(&c) => 3,
        Some(_) => return None,
        None => 2,
    };
    let day = digits(b.get(day_at..)?, 2)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(2000, month) {
        return None;
    }
    let clock_at = day_at + 2;
    if b.get(clock_at) != Some(&b' ') {
        return None;
    }
    let (sod, micros, used) = clock_frac(b.get(clock_at + 1..)?)?;
    (used >= 8).then_some((
        YearlessStamp {
            month,
            day,
            second_of_day: sod,
            micros,
        },
        clock_at + 1 + used,
    ))
}

/// TAI64N labels (`@4000000021ae1c4e2b25b5fc`, daemontools, s6, runit):
/// 16 hex digits of TAI seconds plus 2^62, 8 of nanoseconds. TAI runs
/// ahead of UTC by the leap seconds; like daemontools' `tai64nlocal`, a
/// fixed 10 s is taken off (the offset of 1970), so times are as the
/// system that wrote them counted. Returns UTC micros and the bytes used.
pub fn parse_tai64n(b: &[u8]) -> Option<(Micros, usize)> {
    if b.first() != Some(&b'@') {
        return None;
    }
    let hex = b.get(1..25)?;
    let mut secs: u64 = 0;
    for &c in hex.get(..16)? {
        secs = secs
            .checked_mul(16)?
            .checked_add((c as char).to_digit(16)? as u64)?;
    }
    let mut nanos: u64 = 0;
    for &c in hex.get(16..)? {
        nanos = nanos * 16 + (c as char).to_digit(16)? as u64;
    }
    if nanos >= 1_000_000_000 || b.get(25).is_some_and(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let label = secs.checked_sub(1 << 62)?;
    let unix = i64::try_from(label).ok()?.checked_sub(10)?;
    if !(0..=253_402_300_799).contains(&unix) {
        return None;
    }
    Some((unix * SEC + (nanos / 1000) as i64, 25))
}

// ---------------------------------------------------------------------------
// Output

/// RFC 3339 in UTC with `Z`: no fraction when the time is a whole second,
/// milliseconds when that is exact, microseconds otherwise.
pub fn format_rfc3339(at: Micros) -> String {
    let secs = at.div_euclid(SEC);
    let micros = at.rem_euclid(SEC);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let mut out = String::with_capacity(27);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        y,
        mo,
        d,
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
    if micros != 0 {
        if micros % 1000 == 0 {
            let _ = write!(out, ".{:03}", micros / 1000);
        } else {
            let _ = write!(out, ".{:06}", micros);
        }
    }
    out.push('Z');
    out
}

/// RFC 3339 in UTC with `Z` and always six fraction digits
/// (`2024-03-09T08:40:12.000000Z`), for JSON: one width for every time, so
/// the strings sort as the times do (`12Z` would sort after `12.5Z`), and
/// no precision the logs had is lost (ALB and Go logs write microseconds).
pub fn format_rfc3339_fixed(at: Micros) -> String {
    let mut out = format_rfc3339(at.div_euclid(SEC) * SEC);
    out.pop();
    let _ = write!(out, ".{:06}Z", at.rem_euclid(SEC));
    out
}

/// `+01:00`, `-05:30`, `+00:00`: an offset east of UTC in seconds.
pub fn format_offset(offset_secs: i32) -> String {
    let sign = if offset_secs < 0 { '-' } else { '+' };
    let a = offset_secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
}

/// `HH:MM:SS` of a UTC time (for text output and the report).
pub fn format_clock(at: Micros) -> String {
    let sod = at.div_euclid(SEC).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", sod / 3600, sod % 3600 / 60, sod % 60)
}

/// `YYYY-MM-DD` of a UTC time.
pub fn format_date(at: Micros) -> String {
    let (y, m, d) = civil_from_days(at.div_euclid(SEC).div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// A duration for people: `45 s`, `3 min 20 s`, `1 h 22 min`, `2 d 3 h`.
pub fn format_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        let (m, r) = (s / 60, s % 60);
        if r == 0 {
            format!("{m} min")
        } else {
            format!("{m} min {r} s")
        }
    } else if s < 86_400 {
        let (h, m) = (s / 3600, s % 3600 / 60);
        if m == 0 {
            format!("{h} h")
        } else {
            format!("{h} h {m} min")
        }
    } else {
        let (d, h) = (s / 86_400, s % 86_400 / 3600);
        if h == 0 {
            format!("{d} d")
        } else {
            format!("{d} d {h} h")
        }
    }
}

/// Parses a user-given time (`--since`, `--until`): RFC 3339 or
/// `YYYY-MM-DD[ HH:MM[:SS]]`, read in `zone` when it has no offset, or an
/// epoch number.
pub fn parse_user_time(text: &str, zone: Zone) -> Result<Micros, String> {
    let t = text.trim();
    let mut ctx = TimeCtx::new(zone, YearAnchor::End(0));
    let b = t.as_bytes();
    if let Some((stamp, used)) = parse_leading(b) {
        if used == b.len() {
            return Ok(ctx.resolve(stamp));
        }
    }
    // A bare date, or a date and HH:MM.
    if b.len() == 10 {
        if let Some((stamp, _)) = parse_iso(format!("{t}T00:00:00").as_bytes()) {
            return Ok(ctx.resolve(stamp));
        }
    }
    if b.len() == 16 {
        if let Some((stamp, _)) = parse_iso(format!("{t}:00").as_bytes()) {
            return Ok(ctx.resolve(stamp));
        }
    }
    if let Some(us) = epoch_to_micros(t) {
        return Ok(us);
    }
    Err(format!(
        "'{t}' is not a time I can read (use RFC 3339 like 2024-03-09T08:30:00Z, or '2024-03-09 08:30')"
    ))
}

/// Parses a duration such as `60s`, `5m`, `1h30m`, `90` (seconds), `-2s`.
pub fn parse_duration_secs(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let (sign, body) = match t.as_bytes().first() {
        Some(b'-') => (-1, &t[1..]),
        Some(b'+') => (1, &t[1..]),
        _ => (1, t),
    };
    if body.is_empty() {
        return Err(format!("'{text}' is not a duration (use 60s, 5m, 1h30m)"));
    }
    let too_long = || format!("'{text}' is too long a duration");
    if body.bytes().all(|c| c.is_ascii_digit()) {
        let n: i64 = body.parse().map_err(|_| too_long())?;
        return Ok(sign * n);
    }
    let mut total: i64 = 0;
    let mut num = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let n: i64 = num
            .parse()
            .map_err(|_| format!("'{text}' is not a duration (use 60s, 5m, 1h30m)"))?;
        num.clear();
        let mult = match unit.as_str() {
            "s" | "sec" | "secs" => 1,
            "m" | "min" | "mins" => 60,
            "h" | "hr" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            _ => {
                return Err(format!(
                    "'{text}' has an unknown unit '{unit}' (use s, m, h, d)"
                ))
            }
        };
        total = n
            .checked_mul(mult)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(too_long)?;
    }
    if !num.is_empty() {
        return Err(format!("'{text}' ends without a unit (use 60s, 5m, 1h30m)"));
    }
    Ok(sign * total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_list_given_back_is_handed_out_again_empty_with_its_room() {
        let mut ctx = TimeCtx::new(Zone::Utc, YearAnchor::End(0));
        let line = String::from("host=a");
        let mut fields = ctx.field_list();
        fields.push((Cow::Borrowed("host"), Cow::Borrowed(&line[5..])));
        let room = fields.capacity();
        ctx.give_back_fields(fields);
        let again = ctx.field_list();
        assert!(again.is_empty());
        assert_eq!(again.capacity(), room);
        // A list too large to keep is dropped, not pinned.
        ctx.give_back_fields(Vec::with_capacity(MAX_SPARE_FIELDS + 1));
        assert_eq!(ctx.field_list().capacity(), 0);
    }

    #[test]
    fn fixed_width_times_sort_as_the_times_do() {
        let whole = format_rfc3339_fixed(1_710_000_000 * SEC);
        let half = format_rfc3339_fixed(1_710_000_000 * SEC + 500_000);
        assert_eq!(whole, "2024-03-09T16:00:00.000000Z");
        assert_eq!(half, "2024-03-09T16:00:00.500000Z");
        assert!(whole < half);
        assert_eq!(format_rfc3339_fixed(-1), "1969-12-31T23:59:59.999999Z");
        assert_eq!(format_offset(3600), "+01:00");
        assert_eq!(format_offset(-19_800), "-05:30");
    }

    #[test]
    fn offsets_at_utc_instants_follow_daylight_saving() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        // 2024-03-09 (winter) and 2024-07-01 (summer), noon UTC.
        assert_eq!(berlin.offset_at_utc(1_709_985_600), 3600);
        assert_eq!(berlin.offset_at_utc(1_719_835_200), 7200);
        assert_eq!(berlin.name(), "Europe/Berlin");
        assert_eq!(Zone::parse("+05:30").unwrap().name(), "+05:30");
    }

    fn utc(b: &str) -> String {
        let (stamp, _) = parse_leading(b.as_bytes()).expect("parses");
        format_rfc3339(TimeCtx::default().resolve(stamp))
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 11_016, 19_800, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn reference_shapes() {
        assert_eq!(
            utc("2018-07-02T22:23:00.186641Z"),
            "2018-07-02T22:23:00.186641Z"
        );
        assert_eq!(
            utc("2022-11-08T15:28:26.000000000-05:00"),
            "2022-11-08T20:28:26Z"
        );
        assert_eq!(
            utc("2024-12-29T11:42:47.503803974Z"),
            "2024-12-29T11:42:47.503803Z"
        );
        assert_eq!(utc("2020-07-20T08:14:50+0000"), "2020-07-20T08:14:50Z");
        assert_eq!(
            utc("1986-04-26T01:23:45.101+0400"),
            "1986-04-25T21:23:45.101Z"
        );
        assert_eq!(utc("2024-03-15T10:00:00"), "2024-03-15T10:00:00Z");
        assert_eq!(utc("[10/Oct/2000:13:55:36 -0700]"), "2000-10-10T20:55:36Z");
        assert_eq!(utc("06/Feb/2009:12:14:14.655"), "2009-02-06T12:14:14.655Z");
        assert_eq!(utc("2020/05/07 03:15:12"), "2020-05-07T03:15:12Z");
        assert_eq!(
            utc("2009/01/23 01:23:23.123123"),
            "2009-01-23T01:23:23.123123Z"
        );
        assert_eq!(utc("2003-07-08 16:49:45,896"), "2003-07-08T16:49:45.896Z");
        assert_eq!(
            utc("[Fri Sep 09 10:42:29.902022 2011]"),
            "2011-09-09T10:42:29.902022Z"
        );
        assert_eq!(utc("[Sun Dec 04 04:47:44 2005]"), "2005-12-04T04:47:44Z");
        assert_eq!(utc("15/08/31 14:38:07"), "2015-08-31T14:38:07Z");
        assert_eq!(utc("2016-09-28 04:30:30, Info"), "2016-09-28T04:30:30Z");
        assert_eq!(
            utc("2014-03-10 19:57:38.562264131 -0400 EDT"),
            "2014-03-10T23:57:38.562264Z"
        );
    }

    #[test]
    fn epochs_by_magnitude() {
        assert_eq!(epoch_to_micros("1516134303"), Some(1_516_134_303 * SEC));
        assert_eq!(
            epoch_to_micros("1531171074631"),
            Some(1_531_171_074_631_000)
        );
        assert_eq!(
            epoch_to_micros("1342540861416409"),
            Some(1_342_540_861_416_409)
        );
        assert_eq!(
            epoch_to_micros("1581519914265798400"),
            Some(1_581_519_914_265_798)
        );
        assert_eq!(
            format_rfc3339(epoch_f64_to_micros(1649944125.9843705).unwrap()),
            "2022-04-14T13:48:45.984371Z"
        );
        assert_eq!(epoch_to_micros("12"), None);
    }

    #[test]
    fn zones_and_dst() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let mut ctx = TimeCtx::new(berlin, YearAnchor::End(0));
        let (s, _) = parse_iso(b"2024-07-01 12:00:00").unwrap();
        assert_eq!(format_rfc3339(ctx.resolve(s)), "2024-07-01T10:00:00Z");
        let (s, _) = parse_iso(b"2024-01-01 12:00:00").unwrap();
        assert_eq!(format_rfc3339(ctx.resolve(s)), "2024-01-01T11:00:00Z");
        // The autumn fold: 02:30 happens twice; the first (summer time) wins.
        let (s, _) = parse_iso(b"2024-10-27 02:30:00").unwrap();
        assert_eq!(format_rfc3339(ctx.resolve(s)), "2024-10-27T00:30:00Z");
        // The spring gap: 02:30 does not exist; it is read with winter time.
        let (s, _) = parse_iso(b"2024-03-31 02:30:00").unwrap();
        assert_eq!(format_rfc3339(ctx.resolve(s)), "2024-03-31T01:30:00Z");
        assert_eq!(Zone::parse("+02:00"), Ok(Zone::Fixed(7200)));
        assert_eq!(Zone::parse("-0500"), Ok(Zone::Fixed(-18_000)));
        assert_eq!(Zone::parse("UTC+2"), Ok(Zone::Fixed(7200)));
        assert!(Zone::parse("Mars/Olympus").is_err());
        // Found by `readers_never_panic`: the hours overflowed before the
        // range check.
        assert!(Zone::parse("-600000").is_err());
        assert_eq!(Zone::parse("+5"), Ok(Zone::Fixed(18_000)));
    }

    #[test]
    fn yearless_rollover() {
        let end = civil_to_secs(2025, 1, 2, 12, 0, 0).unwrap();
        let mut ctx = TimeCtx::new(Zone::Utc, YearAnchor::End(end));
        let (dec, _) = parse_syslog_date(b"Dec 31 23:59:59 host x").unwrap();
        let (jan, _) = parse_syslog_date(b"Jan  1 00:00:01 host x").unwrap();
        assert_eq!(
            format_rfc3339(ctx.resolve_yearless(dec).unwrap()),
            "2024-12-31T23:59:59Z"
        );
        assert_eq!(
            format_rfc3339(ctx.resolve_yearless(jan).unwrap()),
            "2025-01-01T00:00:01Z"
        );
        let mut ctx = TimeCtx::new(
            Zone::Utc,
            YearAnchor::Start {
                year: 2024,
                first_month: 12,
            },
        );
        assert_eq!(
            format_rfc3339(ctx.resolve_yearless(dec).unwrap()),
            "2024-12-31T23:59:59Z"
        );
        assert_eq!(
            format_rfc3339(ctx.resolve_yearless(jan).unwrap()),
            "2025-01-01T00:00:01Z"
        );
        let (apr, _) = parse_syslog_date(b"Apr 4 03:39:57 --- last").unwrap();
        assert_eq!(apr.day, 4);
    }

    #[test]
    fn user_inputs() {
        assert_eq!(parse_duration_secs("1h30m"), Ok(5400));
        assert_eq!(parse_duration_secs("-2s"), Ok(-2));
        assert!(parse_duration_secs("5 parsecs").is_err());
        assert_eq!(
            format_rfc3339(parse_user_time("2024-03-09 08:30", Zone::Fixed(3600)).unwrap()),
            "2024-03-09T07:30:00Z"
        );
        assert!(parse_user_time("yesterday-ish", Zone::Utc).is_err());
        assert_eq!(format_duration(4931), "1 h 22 min");
    }

    // -----------------------------------------------------------------------
    // Property tests: the timestamp reader never panics, and what it reads
    // is what was written.

    use proptest::prelude::*;

    /// Shapes the reader knows, as seeds for mutation.
    const SEEDS: &[&str] = &[
        "2024-03-15T10:00:00.123Z",
        "2022-11-08T15:28:26.000000000-05:00",
        "2020-07-20T08:14:50+0000",
        "2014-03-10 19:57:38.562264131 -0400 EDT",
        "2016-09-28 04:30:30, Info",
        "2003-07-08 16:49:45,896",
        "2020/05/07 03:15:12",
        "[10/Oct/2000:13:55:36 -0700]",
        "06/Feb/2009:12:14:14.655",
        "[Fri Sep 09 10:42:29.902022 2011]",
        "Sun Dec  4 04:47:44 2005",
        "15/08/31 14:38:07",
        "Mar  5 10:00:00",
        "Apr 4 03:39:57.123",
        "1516134303",
        "1531171074631",
        "1581519914265798400",
        "1649944125.9843705",
        "2024-02-29 23:59:60",
        "31-Jul-2020 16:40:38.451",
        "Dec 30, 2020 11:30:40 AM",
        "191015  9:46:45",
        "0507 12:04:17.597069",
        "03-17 16:13:38.811",
        "@4000000021ae1c4e2b25b5fc",
        "CEST",
        "Europe/Berlin",
        "+02:00",
        "UTC-0530",
        "1h30m",
        "-2s",
    ];

    /// Bytes that keep a mutated timestamp close to a real one.
    fn timestampish_byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            4 => b'0'..=b'9',
            2 => prop::sample::select(b" -/:.,+TZ[]".to_vec()),
            1 => any::<u8>(),
        ]
    }

    /// A seed with a few bytes replaced, inserted or removed, sometimes cut.
    fn mutated_seed() -> impl Strategy<Value = Vec<u8>> {
        (
            prop::sample::select(SEEDS.to_vec()),
            proptest::collection::vec(
                (any::<prop::sample::Index>(), timestampish_byte(), 0..3u8),
                0..6,
            ),
            any::<prop::sample::Index>(),
            any::<bool>(),
        )
            .prop_map(|(seed, edits, cut, do_cut)| {
                let mut b = seed.as_bytes().to_vec();
                for (at, byte, op) in edits {
                    let i = at.index(b.len() + 1);
                    match op {
                        0 if i < b.len() => b[i] = byte,
                        1 => b.insert(i, byte),
                        _ if i < b.len() => {
                            b.remove(i);
                        }
                        _ => b.push(byte),
                    }
                }
                if do_cut {
                    b.truncate(cut.index(b.len() + 1));
                }
                b
            })
    }

    fn any_input() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64),
            proptest::collection::vec(timestampish_byte(), 0..40),
            mutated_seed(),
        ]
    }

    /// IANA zones with unusual rules: half-hour and 30-minute DST, DST
    /// south of the equator, negative DST (Dublin), a skipped day (Apia),
    /// two-hour DST (Troll), zones that dropped or changed DST.
    const ZONES: &[&str] = &[
        "Europe/Berlin",
        "America/New_York",
        "America/St_Johns",
        "Australia/Lord_Howe",
        "Australia/Adelaide",
        "America/Sao_Paulo",
        "Pacific/Chatham",
        "Pacific/Apia",
        "Europe/Dublin",
        "Antarctica/Troll",
        "Africa/Casablanca",
        "Asia/Kolkata",
        "Asia/Tehran",
        "Europe/Moscow",
        "America/Santiago",
        "Pacific/Kiritimati",
        "UTC",
    ];

    fn zone(name: &str) -> Zone {
        Zone::parse(name).expect("a zone from the list")
    }

    fn tz_offset(tz: chrono_tz::Tz, utc_secs: i64) -> i32 {
        let naive = chrono::DateTime::from_timestamp(utc_secs, 0)
            .expect("in range")
            .naive_utc();
        tz.offset_from_utc_datetime(&naive).fix().local_minus_utc()
    }

    /// The UTC instants in `year` at which the zone's offset changes.
    fn transitions(tz: chrono_tz::Tz, year: i64) -> Vec<i64> {
        let start = civil_to_secs(year, 1, 1, 0, 0, 0).expect("valid");
        let end = civil_to_secs(year + 1, 1, 1, 0, 0, 0).expect("valid");
        let step = 6 * 3600;
        let mut out = Vec::new();
        let mut t = start;
        while t < end {
            if tz_offset(tz, t) != tz_offset(tz, t + step) {
                // The first second with the new offset.
                let (mut lo, mut hi) = (t, t + step);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if tz_offset(tz, mid) == tz_offset(tz, t) {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                out.push(hi);
            }
            t += step;
        }
        out
    }

    /// Year, month, day, hour, minute, second, microsecond.
    type DateTime = (i64, u32, u32, u32, u32, u32, u32);

    /// A valid date and time in 1970..=2100 with microseconds.
    fn date_time() -> impl Strategy<Value = DateTime> {
        (
            1970i64..=2100,
            1u32..=12,
            1u32..=31,
            0u32..24,
            0u32..60,
            0u32..60,
            0u32..1_000_000,
        )
            .prop_map(|(y, mo, d, h, mi, s, us)| (y, mo, d.min(days_in_month(y, mo)), h, mi, s, us))
    }

    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

    fn offset_text(off: i32, colon: bool) -> String {
        let sign = if off < 0 { '-' } else { '+' };
        let (h, m) = (off.abs() / 3600, off.abs() % 3600 / 60);
        if colon {
            format!("{sign}{h:02}:{m:02}")
        } else {
            format!("{sign}{h:02}{m:02}")
        }
    }

    /// The instant as chrono computes it: an oracle independent of this module.
    fn oracle((y, mo, d, h, mi, s, us): DateTime, off: i32) -> Micros {
        let naive = chrono::NaiveDate::from_ymd_opt(y as i32, mo, d)
            .and_then(|date| date.and_hms_micro_opt(h, mi, s, us))
            .expect("valid date-time");
        let fixed = chrono::FixedOffset::east_opt(off).expect("valid offset");
        fixed
            .from_local_datetime(&naive)
            .single()
            .expect("fixed offsets are unambiguous")
            .timestamp_micros()
    }

    fn read_utc(text: &str) -> Option<Micros> {
        let (stamp, used) = parse_leading(text.as_bytes())?;
        assert_eq!(used, text.len(), "{text}: consumed {used} bytes");
        Some(TimeCtx::default().resolve(stamp))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn readers_never_panic(b in any_input()) {
            let _ = parse_leading(&b);
            let _ = parse_iso(&b);
            let _ = parse_clf(&b);
            let _ = parse_ctime(&b);
            let _ = parse_syslog_date(&b);
            let _ = parse_short_year(&b);
            let _ = parse_offset(&b);
            let _ = parse_zone_abbrev(&b);
            let _ = parse_dd_mon_yyyy(&b);
            let _ = parse_jul_date(&b);
            let _ = parse_loose_clock(&b);
            let _ = parse_yymmdd(&b);
            let _ = parse_tai64n(&b);
            for sep in [None, Some(b'-'), Some(b'.')] {
                if let Some((stamp, _)) = parse_month_day(&b, sep) {
                    let _ = TimeCtx::default().resolve_yearless(stamp);
                }
            }
            let _ = month_abbr(&b);
            let _ = digits(&b, 4);
            let text = String::from_utf8_lossy(&b);
            let _ = epoch_to_micros(&text);
            let _ = parse_user_time(&text, Zone::Utc);
            let _ = parse_user_time(&text, zone("Australia/Lord_Howe"));
            let _ = parse_duration_secs(&text);
            let _ = Zone::parse(&text);
            let mut ctx = TimeCtx::new(zone("Europe/Berlin"), YearAnchor::End(1_700_000_000));
            let _ = parse_text_timestamp(&text, &mut ctx);
            if let Some((stamp, _)) = parse_syslog_date(&b) {
                let _ = ctx.resolve_yearless(stamp);
            }
        }

        #[test]
        fn numbers_never_panic(f in any::<f64>(), i in any::<i64>(), secs in any::<i64>(), month in 0u32..14, day in 0u32..33) {
            let _ = epoch_f64_to_micros(f);
            let _ = epoch_to_micros(&i.to_string());
            let _ = epoch_to_micros(&f.to_string());
            let _ = format_rfc3339(i);
            let _ = format_date(i);
            let _ = format_clock(i);
            let _ = format_duration(i);
            let _ = civil_from_days(i / 86_400);
            let _ = civil_to_secs(i, month, day, 0, 0, 0);
            for anchor in [YearAnchor::End(secs), YearAnchor::Start { year: secs as i32, first_month: month }] {
                let mut ctx = TimeCtx::new(zone("America/New_York"), anchor);
                let _ = ctx.resolve_yearless(YearlessStamp { month, day, second_of_day: 86_399, micros: 999_999 });
                let _ = ctx.resolve(Stamp { wall: secs, micros: u32::MAX, offset: None });
                let _ = ctx.resolve(Stamp { wall: secs, micros: 0, offset: Some(i32::MIN) });
            }
        }

        #[test]
        fn written_shapes_read_back(
            (y, mo, d, h, mi, s, us) in date_time(),
            off_minutes in -(23 * 60 + 59)..=(23 * 60 + 59),
            colon in any::<bool>(),
            pad_space in any::<bool>(),
        ) {
            let off = off_minutes * 60;
            let month = MONTHS[(mo - 1) as usize];
            // RFC 3339 with an offset (or Z), microseconds.
            let zone_text = if off == 0 && colon { "Z".to_string() } else { offset_text(off, colon) };
            let rfc = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}{zone_text}");
            prop_assert_eq!(read_utc(&rfc), Some(oracle((y, mo, d, h, mi, s, us), off)), "{}", rfc);
            // CLF (whole seconds, offset without a colon).
            let clf = format!("[{d:02}/{month}/{y:04}:{h:02}:{mi:02}:{s:02} {}]", offset_text(off, false));
            prop_assert_eq!(read_utc(&clf), Some(oracle((y, mo, d, h, mi, s, 0), off)), "{}", clf);
            // Java / log4j: comma and milliseconds, no offset (read as UTC).
            let ms = us / 1000;
            let java = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02},{ms:03}");
            prop_assert_eq!(read_utc(&java), Some(oracle((y, mo, d, h, mi, s, ms * 1000), 0)), "{}", java);
            // ctime with the year last, the day zero- or space-padded.
            let weekday = WEEKDAYS[days_from_civil(y, mo, d).rem_euclid(7) as usize];
            let day = if pad_space { format!("{d:>2}") } else { format!("{d:02}") };
            let ctime = format!("{weekday} {month} {day} {h:02}:{mi:02}:{s:02} {y:04}");
            prop_assert_eq!(read_utc(&ctime), Some(oracle((y, mo, d, h, mi, s, 0), 0)), "{}", ctime);
        }

        #[test]
        fn rfc3339_output_reads_back(
            // Years 0001..=9999: all that four-digit years can write.
            at in -62_135_596_800_000_000i64..=253_402_300_799_999_999,
        ) {
            let text = format_rfc3339(at);
            prop_assert_eq!(read_utc(&text), Some(at), "{}", text);
            let mut ctx = TimeCtx::new(zone("Asia/Kolkata"), YearAnchor::End(0));
            prop_assert_eq!(parse_text_timestamp(&text, &mut ctx), Some(at), "{}", text);
        }

        #[test]
        fn resolve_around_dst_edges(
            name in prop::sample::select(ZONES.to_vec()),
            year in 1970i64..=2100,
            pick in any::<prop::sample::Index>(),
            delta in -3 * 3600i64..=3 * 3600,
            micros in 0u32..1_000_000,
        ) {
            let z = zone(name);
            let Zone::Named(tz) = z else {
                // UTC: nothing to fold or skip.
                let mut ctx = TimeCtx::new(z, YearAnchor::End(0));
                let wall = civil_to_secs(year, 6, 1, 0, 0, 0).unwrap() + delta;
                prop_assert_eq!(ctx.resolve(Stamp { wall, micros, offset: None }), wall * SEC + micros as i64);
                return Ok(());
            };
            let edges = transitions(tz, year);
            // A zone without DST that year: any moment of the year.
            let utc = match edges.is_empty() {
                true => civil_to_secs(year, 1, 1, 0, 0, 0).unwrap() + pick.index(365 * 86_400) as i64,
                false => edges[pick.index(edges.len())],
            };
            let wall = utc + tz_offset(tz, utc - 1) as i64 + delta;
            let mut ctx = TimeCtx::new(z, YearAnchor::End(0));
            let got = ctx.resolve(Stamp { wall, micros, offset: None });
            // The cache must not change the answer: a warm context agrees
            // with a fresh one, after reading nearby walls in any order.
            for w in [wall - 900, wall + 1, wall - 3600, wall] {
                let warm = ctx.resolve(Stamp { wall: w, micros, offset: None });
                let fresh = TimeCtx::new(z, YearAnchor::End(0)).resolve(Stamp { wall: w, micros, offset: None });
                prop_assert_eq!(warm, fresh, "{} wall {}", name, w);
            }
            prop_assert_eq!(got.rem_euclid(SEC), micros as i64);
            let secs = got.div_euclid(SEC);
            let back = secs + tz_offset(tz, secs) as i64;
            let naive = chrono::DateTime::from_timestamp(wall, 0).unwrap().naive_utc();
            match tz.offset_from_local_datetime(&naive) {
                chrono::LocalResult::Single(_) => prop_assert_eq!(back, wall, "{} {}", name, naive),
                chrono::LocalResult::Ambiguous(early, _) => {
                    // The earlier reading of a repeated wall time.
                    prop_assert_eq!(back, wall, "{} {}", name, naive);
                    prop_assert_eq!(secs, wall - early.fix().local_minus_utc() as i64);
                }
                chrono::LocalResult::None => {
                    // A wall time that never happened moves forward, by
                    // less than a day (Apia skipped a whole one).
                    prop_assert!(back > wall && back - wall <= 86_400, "{} {}: {}", name, naive, back - wall);
                }
            }
        }
    }

    /// Kiritimati moved from -10:00 to +14:00 and skipped 31 December
    /// 1994: a wall time inside a day-long gap takes the offset before it
    /// (it used to take UTC when an hour back was still in the gap).
    #[test]
    fn day_long_gaps_take_the_offset_before() {
        let mut ctx = TimeCtx::new(zone("Pacific/Kiritimati"), YearAnchor::End(0));
        let (s, _) = parse_iso(b"1994-12-31 01:00:00").unwrap();
        assert_eq!(format_rfc3339(ctx.resolve(s)), "1994-12-31T11:00:00Z");
        let (s, _) = parse_iso(b"1994-12-31 23:30:00").unwrap();
        assert_eq!(format_rfc3339(ctx.resolve(s)), "1995-01-01T09:30:00Z");
        let mut ctx = TimeCtx::new(zone("Pacific/Apia"), YearAnchor::End(0));
        let (s, _) = parse_iso(b"2011-12-30 12:00:00").unwrap();
        assert_eq!(format_rfc3339(ctx.resolve(s)), "2011-12-30T22:00:00Z");
    }

    #[test]
    fn leap_seconds_are_the_last_microsecond_of_the_second_before() {
        assert_eq!(utc("2016-12-31T23:59:60Z"), "2016-12-31T23:59:59.999999Z");
        assert_eq!(utc("2016-12-31 23:59:60.5"), "2016-12-31T23:59:59.999999Z");
        assert_eq!(utc("2016-12-31T23:59:59.9Z"), "2016-12-31T23:59:59.900Z");
        assert_eq!(
            utc("31/Dec/2016:23:59:60 +0000"),
            "2016-12-31T23:59:59.999999Z"
        );
        let (s, _) = parse_jul_date(b"Dec 31, 2016 11:59:60 PM").unwrap();
        assert_eq!(
            format_rfc3339(TimeCtx::default().resolve(s)),
            "2016-12-31T23:59:59.999999Z"
        );
        assert_eq!(
            civil_to_secs(2016, 12, 31, 23, 59, 60),
            civil_to_secs(2016, 12, 31, 23, 59, 59)
        );
        assert!(parse_iso(b"2016-12-31T23:59:61Z").is_none());
    }

    #[test]
    fn zone_abbreviations() {
        assert_eq!(
            parse_zone_abbrev(b"CEST [1]"),
            Some((Abbrev::Known(7200), 4))
        );
        assert_eq!(parse_zone_abbrev(b"PDT"), Some((Abbrev::Known(-25_200), 3)));
        assert_eq!(parse_zone_abbrev(b"UTC]"), Some((Abbrev::Known(0), 3)));
        assert_eq!(parse_zone_abbrev(b"IST x"), Some((Abbrev::Ambiguous(0), 3)));
        assert_eq!(parse_zone_abbrev(b"CST"), Some((Abbrev::Ambiguous(1), 3)));
        for no in [&b"LOG:"[..], b"CESTX", b"Cest", b"ABCDEF", b"", b"XYZ "] {
            assert_eq!(
                parse_zone_abbrev(no),
                None,
                "{}",
                String::from_utf8_lossy(no)
            );
        }
        let (stamp, _) = parse_iso(b"2024-03-09 08:00:00.123").unwrap();
        let mut ctx = TimeCtx::default();
        assert_eq!(
            format_rfc3339(ctx.resolve_abbrev(stamp, Abbrev::Known(7200))),
            "2024-03-09T06:00:00.123Z"
        );
        assert_eq!(ctx.ambiguous, 0);
        assert_eq!(
            format_rfc3339(ctx.resolve_abbrev(stamp, Abbrev::Ambiguous(1))),
            "2024-03-09T14:00:00.123Z"
        );
        assert_eq!(ctx.ambiguous, 2);
        // --tz settles it.
        let mut ctx = TimeCtx::new(zone("Asia/Shanghai"), YearAnchor::End(0));
        assert_eq!(
            format_rfc3339(ctx.resolve_abbrev(stamp, Abbrev::Ambiguous(1))),
            "2024-03-09T00:00:00.123Z"
        );
        let w = ambiguous_warnings(0b11, Zone::Utc);
        assert_eq!(w.len(), 2);
        assert!(
            w[0].starts_with("times marked IST are ambiguous") && w[0].contains("read as +05:30"),
            "{w:?}"
        );
        assert!(
            w[1].contains("CST") && w[1].contains("read as -06:00"),
            "{w:?}"
        );
        assert!(ambiguous_warnings(1, Zone::Fixed(3600))[0].contains("read in --tz"));
        assert!(ambiguous_warnings(0, Zone::Utc).is_empty());
        assert!(AMBIGUOUS.len() <= 32);
    }

    #[test]
    fn application_shapes() {
        let read = |r: Option<(Stamp, usize)>| {
            r.map(|(s, n)| (format_rfc3339(TimeCtx::default().resolve(s)), n))
        };
        assert_eq!(
            read(parse_dd_mon_yyyy(b"31-Jul-2020 16:40:38.451 INFO")),
            Some(("2020-07-31T16:40:38.451Z".into(), 24))
        );
        assert_eq!(
            read(parse_dd_mon_yyyy(b"09-Mar-2024 08:00:00 x")),
            Some(("2024-03-09T08:00:00Z".into(), 20))
        );
        assert_eq!(read(parse_dd_mon_yyyy(b"09-Mar-2024 08:00")), None);
        assert_eq!(
            read(parse_jul_date(b"Dec 30, 2020 11:30:40 AM org.x.Y main")),
            Some(("2020-12-30T11:30:40Z".into(), 24))
        );
        assert_eq!(
            read(parse_jul_date(b"Jan 5, 2021 1:02:03 PM x")),
            Some(("2021-01-05T13:02:03Z".into(), 22))
        );
        assert_eq!(
            read(parse_jul_date(b"Jan 5, 2021 12:02:03 AM")),
            Some(("2021-01-05T00:02:03Z".into(), 23))
        );
        assert_eq!(
            read(parse_jul_date(b"Jan 5, 2021 13:02:03")),
            Some(("2021-01-05T13:02:03Z".into(), 20))
        );
        assert_eq!(read(parse_jul_date(b"Jan 5 2021 13:02:03")), None);
        assert_eq!(
            parse_loose_clock(b" 9:46:45\t"),
            Some((9 * 3600 + 46 * 60 + 45, 8))
        );
        assert_eq!(
            parse_loose_clock(b"13:08:33 "),
            Some((13 * 3600 + 8 * 60 + 33, 8))
        );
        assert_eq!(
            parse_loose_clock(b"9:46:45"),
            Some((9 * 3600 + 46 * 60 + 45, 7))
        );
        assert_eq!(parse_loose_clock(b"9:6:45"), None);
        assert_eq!(parse_yymmdd(b"081109"), civil_to_secs(2008, 11, 9, 0, 0, 0));
        assert_eq!(parse_yymmdd(b"081309"), None);
        let (md, n) = parse_month_day(b"0507 12:04:17.597069 1", None).unwrap();
        assert_eq!(
            (md.month, md.day, md.second_of_day, md.micros, n),
            (5, 7, 43_457, 597_069, 20)
        );
        let (md, n) = parse_month_day(b"03-17 16:13:38.811  1702", Some(b'-')).unwrap();
        assert_eq!((md.month, md.day, md.micros, n), (3, 17, 811_000, 18));
        let (md, _) = parse_month_day(b"10.30 16:49:06]", Some(b'.')).unwrap();
        assert_eq!((md.month, md.day), (10, 30));
        assert!(parse_month_day(b"02-30 16:13:38", Some(b'-')).is_none());
        assert!(parse_month_day(b"0229 16:13:38", None).is_some());
        assert!(parse_month_day(b"03-17 16:13", Some(b'-')).is_none());
    }

    #[test]
    fn tai64n_labels() {
        // 2^62 + 10 + 0 s is the epoch.
        assert_eq!(parse_tai64n(b"@400000000000000a00000000 x"), Some((0, 25)));
        let (at, n) = parse_tai64n(b"@4000000065ec171c1dcd6500 msg").unwrap();
        assert_eq!(
            (format_rfc3339(at).as_str(), n),
            ("2024-03-09T08:00:18.500Z", 25)
        );
        assert_eq!(parse_tai64n(b"@4000000065ec179c1dcd650"), None);
        assert_eq!(parse_tai64n(b"@4000000065ec179c1dcd6500f"), None);
        assert_eq!(parse_tai64n(b"@4000000065ec179cffffffff"), None);
        assert_eq!(parse_tai64n(b"@3000000065ec179c00000000"), None);
        assert_eq!(parse_tai64n(b"4000000065ec179c00000000"), None);
    }

    #[test]
    fn long_durations_are_errors_not_overflows() {
        assert!(parse_duration_secs("99999999999999999999").is_err());
        assert!(parse_duration_secs("9999999999999999d").is_err());
        assert!(parse_duration_secs("-9223372036854775808").is_err());
        assert!(parse_duration_secs("--5").is_err());
        assert_eq!(parse_duration_secs("+90"), Ok(90));
    }

    #[test]
    fn extreme_anchors_do_not_overflow() {
        for end in [i64::MIN, i64::MAX, -1, 253_402_300_799] {
            let mut ctx = TimeCtx::new(zone("Europe/Berlin"), YearAnchor::End(end));
            let (stamp, _) = parse_syslog_date(b"Feb 29 12:00:00").unwrap();
            let _ = ctx.resolve_yearless(stamp);
        }
    }
}
