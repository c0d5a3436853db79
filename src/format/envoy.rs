//! Envoy default access log.

use crate::format::LogFormat;
use crate::record::Parsed;
use crate::time::TimeCtx;

/// Envoy default access log.
pub struct Envoy;

impl LogFormat for Envoy {
    fn name(&self) -> &'static str {
        "envoy"
    }

    fn description(&self) -> &'static str {
        "Envoy default access log"
    }

    fn parse<'a>(&self, _line: &'a [u8], _ctx: &mut TimeCtx) -> Parsed<'a> {
        Parsed::Unparsed
    }
}
