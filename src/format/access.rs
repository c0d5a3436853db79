//! nginx and Apache access logs (common, combined, upstream fields, ingress-nginx upstreaminfo).

use crate::format::LogFormat;
use crate::record::Parsed;
use crate::time::TimeCtx;

/// nginx and Apache access logs (common, combined, upstream fields, ingress-nginx upstreaminfo).
pub struct Access;

impl LogFormat for Access {
    fn name(&self) -> &'static str {
        "nginx_access"
    }

    fn description(&self) -> &'static str {
        "nginx and Apache access logs (common, combined, upstream fields, ingress-nginx upstreaminfo)"
    }

    fn parse<'a>(&self, _line: &'a [u8], _ctx: &mut TimeCtx) -> Parsed<'a> {
        Parsed::Unparsed
    }
}
