//! An Android health app's log (the HealthApp set of the Loghub
//! collection), docs/formats.md `healthapp`:
//!
//! ```text
//! 20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579
//! ```
//!
//! `yyyyMMdd-HH:mm:ss:SSS|component|pid|message`, local time. The
//! milliseconds are written without zero padding (`:6` is 6 ms).

use std::borrow::Cow;

use crate::format::lex::text;
use crate::format::{LogFormat, Role};
use crate::record::{Message, Parsed};
use crate::time::{civil_to_secs, digits, Stamp, TimeCtx};

/// HealthApp pipe-separated log.
pub struct HealthApp;

impl LogFormat for HealthApp {
    fn name(&self) -> &'static str {
        "healthapp"
    }

    fn description(&self) -> &'static str {
        "HealthApp: 20171223-22:15:29:606|component|pid|message"
    }

    fn role(&self) -> Role {
        Role::Application
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        parse_record(line, ctx).unwrap_or(Parsed::Unparsed)
    }
}

fn parse_record<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let mut parts = line.splitn(4, |c| *c == b'|');
    let time = parts.next()?;
    let component = parts.next()?;
    let pid = parts.next()?;
    let msg = parts.next()?;
    if time.get(8) != Some(&b'-')
        || time.get(11) != Some(&b':')
        || time.get(14) != Some(&b':')
        || time.get(17) != Some(&b':')
    {
        return None;
    }
    let (y, mo, d) = (
        digits(time, 4)?,
        digits(time.get(4..)?, 2)?,
        digits(time.get(6..)?, 2)?,
    );
    let (h, mi, s) = (
        digits(time.get(9..)?, 2)?,
        digits(time.get(12..)?, 2)?,
        digits(time.get(15..)?, 2)?,
    );
    let ms_text = time.get(18..)?;
    if ms_text.is_empty() || ms_text.len() > 3 {
        return None;
    }
    let ms = digits(ms_text, ms_text.len())?;
    if h > 23 || mi > 59 || s > 60 || !pid.iter().all(u8::is_ascii_digit) || component.is_empty() {
        return None;
    }
    let micros = if s == 60 {
        crate::time::LEAP_SECOND
    } else {
        ms * 1000
    };
    let wall = civil_to_secs(y as i64, mo, d, h, mi, s)?;
    Some(Parsed::Message {
        at: ctx.resolve(Stamp {
            wall,
            micros,
            offset: None,
        }),
        message: Message {
            level: None,
            text: text(msg),
            fields: vec![
                (Cow::Borrowed("component"), text(component)),
                (Cow::Borrowed("pid"), text(pid)),
            ],
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        assert_detected, check, each, message, mutated_line, random_bytes, unparsed,
    };
    use proptest::prelude::*;

    /// The issue's HealthApp example; the others are made up in its shape.
    const REAL: &[&str] = &[
        "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
        "20171223-22:15:29:6|Step_StandReportReceiver|30002312|onReceive action: android.intent.action.SCREEN_ON",
        "20171224-0:5:2:42|Step_LSC|30002312|bad clock",
    ];

    #[test]
    fn real_lines() {
        let rows = [
            vec![
                (
                    REAL[0],
                    message()
                        .at("2017-12-23T22:15:29.606Z")
                        .level(None)
                        .field("component", "Step_LSC")
                        .field("pid", "30002312")
                        .text("onStandStepChanged 3579"),
                ),
                (REAL[1], message().at("2017-12-23T22:15:29.006Z")),
            ],
            each(
                [
                    REAL[2],
                    "20171223-22:15:29:6061|a|1|x",
                    "20171223-22:15:29:606|a|x1|m",
                    "a|b|c|d",
                ],
                unparsed(),
            ),
        ]
        .concat();
        check(&HealthApp, &rows);
    }

    #[test]
    fn detected() {
        assert_detected("healthapp", REAL, &mut TimeCtx::default());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let _ = HealthApp.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter())) {
            let _ = HealthApp.parse(&line, &mut TimeCtx::default());
        }
    }
}
