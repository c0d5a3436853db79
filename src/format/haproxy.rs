//! HAProxy HTTP and TCP logs and notices, with or without syslog prefix.

use crate::format::LogFormat;
use crate::record::Parsed;
use crate::time::TimeCtx;

/// HAProxy HTTP and TCP logs and notices, with or without syslog prefix.
pub struct Haproxy;

impl LogFormat for Haproxy {
    fn name(&self) -> &'static str {
        "haproxy"
    }

    fn description(&self) -> &'static str {
        "HAProxy HTTP and TCP logs and notices, with or without syslog prefix"
    }

    fn parse<'a>(&self, _line: &'a [u8], _ctx: &mut TimeCtx) -> Parsed<'a> {
        Parsed::Unparsed
    }
}
