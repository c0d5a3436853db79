//! Alertmanager webhook payloads, one JSON document per line.

use crate::format::LogFormat;
use crate::record::Parsed;
use crate::time::TimeCtx;

/// Alertmanager webhook payloads, one JSON document per line.
pub struct Alertmanager;

impl LogFormat for Alertmanager {
    fn name(&self) -> &'static str {
        "alertmanager"
    }

    fn description(&self) -> &'static str {
        "Alertmanager webhook payloads, one JSON document per line"
    }

    fn parse<'a>(&self, _line: &'a [u8], _ctx: &mut TimeCtx) -> Parsed<'a> {
        Parsed::Unparsed
    }
}
