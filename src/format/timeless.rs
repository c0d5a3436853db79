//! Lines in a shape postmortem knows that carry no timestamp (logfmt
//! without `time=`, logrus's terminal output `INFO[0005] …`, JSON objects
//! without a time member): no format reads them, since a record needs a
//! time to be placed on the timeline, but the warning says what they are
//! rather than "not recognised".

use super::lex::is_blank;

/// A shape of timeless lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Logfmt,
    LogrusTerminal,
    Json,
}

impl Shape {
    /// For the warning: what the lines are, and why they cannot be placed.
    pub fn describe(self) -> &'static str {
        match self {
            Shape::Logfmt => "logfmt (key=value) lines with no time key",
            Shape::LogrusTerminal => {
                "logrus terminal output (`INFO[0005]`: seconds since the process started, no date)"
            }
            Shape::Json => "JSON objects with no time member",
        }
    }
}

/// Share of the non-blank sample lines that must have one shape.
const SHARE: f64 = 0.8;

/// The shape most of `lines` have, when one shape holds at least
/// [`SHARE`] of the non-blank ones.
pub fn shape_of(lines: &[&[u8]]) -> Option<Shape> {
    let mut counts = [0usize; 3];
    let mut nonblank = 0usize;
    for line in lines.iter().filter(|l| !is_blank(l)) {
        nonblank += 1;
        if let Some(s) = line_shape(line) {
            counts[s as usize] += 1;
        }
    }
    let (best, n) = counts.iter().enumerate().max_by_key(|(_, n)| **n)?;
    if *n == 0 || (*n as f64) < SHARE * nonblank as f64 {
        return None;
    }
    [Shape::Logfmt, Shape::LogrusTerminal, Shape::Json]
        .get(best)
        .copied()
}

fn line_shape(line: &[u8]) -> Option<Shape> {
    let t = super::lex::trim_ascii(line);
    if logrus_terminal(t) {
        Some(Shape::LogrusTerminal)
    } else if t.starts_with(b"{") && t.ends_with(b"}") && super::wrap::json_object(t).is_some() {
        Some(Shape::Json)
    } else if logfmt(t) {
        Some(Shape::Logfmt)
    } else {
        None
    }
}

/// `INFO[0005] message key=value`: a four-letter level, the seconds since
/// start in brackets.
fn logrus_terminal(t: &[u8]) -> bool {
    const LEVELS: [&[u8]; 7] = [
        b"TRAC", b"DEBU", b"INFO", b"WARN", b"ERRO", b"FATA", b"PANI",
    ];
    let Some(rest) = LEVELS.iter().find_map(|l| t.strip_prefix(*l)) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(b"[") else {
        return false;
    };
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    digits > 0 && rest.get(digits) == Some(&b']')
}

/// At least two pairs, read as the logfmt format reads them, one of them
/// a level or a message.
fn logfmt(t: &[u8]) -> bool {
    let Some(keys) = super::logfmt::pair_keys(t) else {
        return false;
    };
    keys.len() >= 2
        && keys
            .iter()
            .any(|k| matches!(*k, b"level" | b"lvl" | b"severity" | b"msg" | b"message"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> Option<Shape> {
        let lines: Vec<&[u8]> = text.lines().map(str::as_bytes).collect();
        shape_of(&lines)
    }

    #[test]
    fn timeless_shapes_are_told_apart() {
        let cases: &[(&str, Option<Shape>)] = &[
            (
                "level=info msg=\"Instantiating new Kubernetes client\"\nlevel=error msg=\"failed to sync\" error=timeout",
                Some(Shape::Logfmt),
            ),
            (
                "INFO[0000] Instantiating new Kubernetes client\nERRO[0005] failed to sync      error=timeout",
                Some(Shape::LogrusTerminal),
            ),
            (
                "{\"level\":\"info\",\"msg\":\"ready\"}\n{\"level\":\"error\",\"msg\":\"boom\"}",
                Some(Shape::Json),
            ),
            // Prose, a CSV, a lone key=value: no shape to name.
            ("the quick brown fox\njumps over the lazy dog", None),
            ("a,b,c\n1,2,3", None),
            ("x=1 y=2\nx=3 y=4", None),
            // Mostly prose with one logfmt line: not enough.
            ("one\ntwo\nthree\nlevel=info msg=x", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(shape(text), *want, "{text:?}");
        }
    }
}
