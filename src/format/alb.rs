//! AWS Application Load Balancer access log.

use crate::format::LogFormat;
use crate::record::Parsed;
use crate::time::TimeCtx;

/// AWS Application Load Balancer access log.
pub struct Alb;

impl LogFormat for Alb {
    fn name(&self) -> &'static str {
        "alb"
    }

    fn description(&self) -> &'static str {
        "AWS Application Load Balancer access log"
    }

    fn parse<'a>(&self, _line: &'a [u8], _ctx: &mut TimeCtx) -> Parsed<'a> {
        Parsed::Unparsed
    }
}

/// AWS Classic Load Balancer access log.
pub struct ClassicElb;

impl LogFormat for ClassicElb {
    fn name(&self) -> &'static str {
        "elb"
    }

    fn description(&self) -> &'static str {
        "AWS Classic Load Balancer access log"
    }

    fn parse<'a>(&self, _line: &'a [u8], _ctx: &mut TimeCtx) -> Parsed<'a> {
        Parsed::Unparsed
    }
}
