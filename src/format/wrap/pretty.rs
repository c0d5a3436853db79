//! Pretty-printed JSON documents (`jq .`, `JSON.stringify(v, null, 2)`,
//! GitLab's and many APIs' logs): an object spread over lines is joined
//! into one line for the inner format, and its record placed at the line
//! that opens it. Objects inside a top-level array are documents too.
//! A document cut by the scan's block boundary loses that one record.

use crate::format::lex::trim_ascii;
use crate::time::TimeCtx;

use super::{hold, Envelope, Inner, Wrapper};

/// A document longer than this is let go (see [`hold`]).
const MAX_DOCUMENT: usize = 1 << 20;

pub struct Pretty;

impl Wrapper for Pretty {
    fn name(&self) -> &'static str {
        "pretty"
    }

    fn description(&self) -> &'static str {
        "pretty-printed JSON documents (jq ., indented JSON), one record each"
    }

    // Any file of JSON lines could start with `{`: the documents must be
    // in a format that reads them, and explain more lines than a plain
    // format does.
    fn strong(&self) -> bool {
        false
    }

    fn open<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Envelope<'a> {
        let t = trim_ascii(line);
        if ctx.pending.is_empty() {
            match t {
                b"[" | b"]" | b"]," | b"," => return Envelope::Framing,
                [b'{', ..] => {}
                _ => return Envelope::Not,
            }
            // A whole object on one line is a JSON line, not this.
            if depth(t) == Some(0) {
                return Envelope::Not;
            }
        }
        if ctx.pending.len() + t.len() > MAX_DOCUMENT {
            ctx.pending.clear();
            return Envelope::Not;
        }
        if !ctx.pending.is_empty() {
            ctx.pending.push(b' ');
        }
        hold(ctx, false, t);
        match depth(&ctx.pending) {
            Some(0) => {
                let mut doc = std::mem::take(&mut ctx.pending);
                if doc.last() == Some(&b',') {
                    doc.pop();
                }
                Envelope::One(Inner::new(doc, None))
            }
            Some(_) => Envelope::Held,
            // More closing than opening: not a document after all.
            None => {
                ctx.pending.clear();
                Envelope::Not
            }
        }
    }
}

/// The nesting depth of braces and brackets at the end of `text`, outside
/// strings; `None` when it goes below zero.
fn depth(text: &[u8]) -> Option<usize> {
    let (mut d, mut in_str, mut esc) = (0usize, false, false);
    for &b in text {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => d += 1,
            b'}' | b']' => d = d.checked_sub(1)?,
            _ => {}
        }
    }
    Some(d)
}
