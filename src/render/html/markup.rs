//! The Markdown the draft's sections write, as HTML: exactly the subset
//! the Markdown renderer emits (headings, paragraphs, bullet, numbered and
//! task lists with one nested level, pipe tables, fenced code, code spans,
//! bold and italic), so the HTML report states the same facts in the same
//! words without a second copy of them.
//!
//! Everything is escaped: our own words, and log text, which the Markdown
//! renderer only ever puts inside code spans.

use std::fmt::Write as _;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One line of Markdown inline text as HTML: code spans (any fence
/// length, one padding space stripped as CommonMark does), `**bold**` and
/// `*italic*`; tags left open at the end are closed.
pub fn inline(md: &str) -> String {
    let chars: Vec<char> = md.chars().collect();
    let mut out = String::with_capacity(md.len() + 16);
    let mut strong = false;
    let mut em = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            let n = run(&chars, i, '`');
            if let Some(close) = find_run(&chars, i + n, '`', n) {
                let mut content: String = chars[i + n..close].iter().collect();
                if content.len() >= 2
                    && content.starts_with(' ')
                    && content.ends_with(' ')
                    && !content.trim().is_empty()
                {
                    content = content[1..content.len() - 1].to_string();
                }
                let _ = write!(out, "<code>{}</code>", escape(&content));
                i = close + n;
            } else {
                out.push_str(&"`".repeat(n));
                i += n;
            }
            continue;
        }
        if c == '*' {
            let n = run(&chars, i, '*');
            if n >= 2 {
                out.push_str(if strong { "</strong>" } else { "<strong>" });
                strong = !strong;
                i += 2;
                continue;
            }
            // A lone star between words is emphasis only when it opens
            // before a word or closes after one.
            let next = chars.get(i + 1).copied();
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let opens = !em && next.is_some_and(|n| !n.is_whitespace());
            let closes = em && prev.is_some_and(|p| !p.is_whitespace());
            if opens || closes {
                out.push_str(if em { "</em>" } else { "<em>" });
                em = !em;
            } else {
                out.push('*');
            }
            i += 1;
            continue;
        }
        if c == '\\' && chars.get(i + 1).is_some_and(|n| "\\`*_|[]#".contains(*n)) {
            out.push_str(&escape(&chars[i + 1].to_string()));
            i += 2;
            continue;
        }
        out.push_str(&escape(&c.to_string()));
        i += 1;
    }
    if em {
        out.push_str("</em>");
    }
    if strong {
        out.push_str("</strong>");
    }
    out
}

fn run(chars: &[char], from: usize, c: char) -> usize {
    chars[from..].iter().take_while(|&&x| x == c).count()
}

/// The start of the next run of exactly `n` `c`s at or after `from`.
fn find_run(chars: &[char], from: usize, c: char, n: usize) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        if chars[i] == c {
            let m = run(chars, i, c);
            if m == n {
                return Some(i);
            }
            i += m;
        } else {
            i += 1;
        }
    }
    None
}

/// The cells of a table row: split on pipes without a backslash before
/// them (as GFM does, code spans included), `\|` read as `|`.
fn cells(row: &str) -> Vec<String> {
    let row = row.trim();
    let row = row.strip_prefix('|').unwrap_or(row);
    let row = row.strip_suffix('|').unwrap_or(row);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut prev = '\0';
    for c in row.chars() {
        if c == '|' && prev != '\\' {
            cells.push(std::mem::take(&mut cell));
        } else {
            cell.push(c);
        }
        prev = c;
    }
    cells.push(cell);
    cells
        .into_iter()
        .map(|c| c.trim().replace("\\|", "|"))
        .collect()
}

/// A heading's id: its words, lower case, joined by hyphens.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&w.to_lowercase());
    }
    out
}

enum Block {
    None,
    Paragraph(Vec<String>),
    /// Ordered or not, items with their nested bullets.
    List(bool, Vec<(Option<u64>, String, Vec<String>)>),
    Table(Vec<Vec<String>>),
}

/// A Markdown fragment of the draft as HTML.
pub fn blocks(md: &str) -> String {
    let mut out = String::new();
    let mut block = Block::None;
    let mut lines = md.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_end();
        if let Some(fence) = ["````", "~~~~", "```"]
            .into_iter()
            .find(|f| trimmed.starts_with(f))
        {
            flush(&mut out, &mut block);
            let mut code = String::new();
            for l in lines.by_ref() {
                if l.trim_end() == fence {
                    break;
                }
                code.push_str(l);
                code.push('\n');
            }
            let _ = writeln!(out, "<pre><code>{}</code></pre>", escape(&code));
            continue;
        }
        if trimmed.is_empty() {
            flush(&mut out, &mut block);
            continue;
        }
        if let Some((level, text)) = heading(trimmed) {
            flush(&mut out, &mut block);
            let _ = writeln!(
                out,
                "<h{level} id=\"{}\">{}</h{level}>",
                slug(text),
                inline(text)
            );
            continue;
        }
        if trimmed.starts_with('|') {
            if !matches!(block, Block::Table(_)) {
                flush(&mut out, &mut block);
                block = Block::Table(Vec::new());
            }
            if let Block::Table(rows) = &mut block {
                rows.push(cells(trimmed));
            }
            continue;
        }
        if let Some(item) = trimmed.strip_prefix("   - ") {
            if let Block::List(_, items) = &mut block {
                if let Some(last) = items.last_mut() {
                    last.2.push(item.to_string());
                    continue;
                }
            }
        }
        if let Some(item) = trimmed.strip_prefix("- ") {
            if !matches!(block, Block::List(false, _)) {
                flush(&mut out, &mut block);
                block = Block::List(false, Vec::new());
            }
            if let Block::List(_, items) = &mut block {
                items.push((None, item.to_string(), Vec::new()));
            }
            continue;
        }
        if let Some((n, item)) = numbered(trimmed) {
            if !matches!(block, Block::List(true, _)) {
                flush(&mut out, &mut block);
                block = Block::List(true, Vec::new());
            }
            if let Block::List(_, items) = &mut block {
                items.push((Some(n), item.to_string(), Vec::new()));
            }
            continue;
        }
        if !matches!(block, Block::Paragraph(_)) {
            flush(&mut out, &mut block);
            block = Block::Paragraph(Vec::new());
        }
        if let Block::Paragraph(p) = &mut block {
            p.push(trimmed.to_string());
        }
    }
    flush(&mut out, &mut block);
    out
}

fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&level) {
        line[level..].strip_prefix(' ').map(|t| (level, t))
    } else {
        None
    }
}

fn numbered(line: &str) -> Option<(u64, &str)> {
    let (n, rest) = line.split_once(". ")?;
    let n = n.parse::<u64>().ok()?;
    Some((n, rest))
}

/// A list item's text, with a task box for `[ ] ` items.
fn item_html(text: &str) -> String {
    match text.strip_prefix("[ ] ") {
        Some(rest) => format!(
            "<span class=\"task\" aria-hidden=\"true\">☐</span> {}",
            inline(rest)
        ),
        None => inline(text),
    }
}

fn flush(out: &mut String, block: &mut Block) {
    match std::mem::replace(block, Block::None) {
        Block::None => {}
        Block::Paragraph(lines) => {
            let _ = writeln!(out, "<p>{}</p>", inline(&lines.join(" ")));
        }
        Block::List(ordered, items) => {
            let tag = if ordered { "ol" } else { "ul" };
            let tasks = items.iter().all(|(_, t, _)| t.starts_with("[ ] "));
            let class = if tasks { " class=\"tasks\"" } else { "" };
            let _ = writeln!(out, "<{tag}{class}>");
            for (n, text, nested) in items {
                let value = n.map(|n| format!(" value=\"{n}\"")).unwrap_or_default();
                let _ = write!(out, "<li{value}>{}", item_html(&text));
                if !nested.is_empty() {
                    out.push_str("<ul>");
                    for t in nested {
                        let _ = write!(out, "<li>{}</li>", item_html(&t));
                    }
                    out.push_str("</ul>");
                }
                out.push_str("</li>\n");
            }
            let _ = writeln!(out, "</{tag}>");
        }
        Block::Table(rows) => table(out, &rows),
    }
}

fn table(out: &mut String, rows: &[Vec<String>]) {
    let Some(head) = rows.first() else {
        return;
    };
    let is_rule = |r: &Vec<String>| {
        r.iter().all(|c| {
            !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')) && c.contains('-')
        })
    };
    let (align, body): (Vec<&str>, &[Vec<String>]) = match rows.get(1) {
        Some(r) if is_rule(r) => (
            r.iter()
                .map(|c| if c.ends_with(':') { "num" } else { "" })
                .collect(),
            &rows[2..],
        ),
        _ => (Vec::new(), &rows[1..]),
    };
    let class = |k: usize| match align.get(k) {
        Some(&"num") => " class=\"num\"",
        _ => "",
    };
    out.push_str("<div class=\"table\"><table>\n<thead><tr>");
    for (k, c) in head.iter().enumerate() {
        let _ = write!(out, "<th scope=\"col\"{}>{}</th>", class(k), inline(c));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in body {
        out.push_str("<tr>");
        for (k, c) in r.iter().enumerate() {
            let _ = write!(out, "<td{}>{}</td>", class(k), inline(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::markdown::code;

    #[test]
    fn code_spans_hold_anything_and_escape_it() {
        let evil = "</code><script>alert(1)</script> `tick` **not bold**";
        let html = inline(&format!("error: {} — `a.log`:3", code(evil)));
        assert_eq!(
            html,
            "error: <code>&lt;/code&gt;&lt;script&gt;alert(1)&lt;/script&gt; `tick` **not bold**</code> — <code>a.log</code>:3"
        );
        assert_eq!(inline("``` ``x ```"), "<code>``x</code>");
        assert_eq!(inline("an ` alone"), "an ` alone");
    }

    #[test]
    fn emphasis_and_our_stars() {
        assert_eq!(
            inline("**Status:** Draft; *hints* are unverified"),
            "<strong>Status:</strong> Draft; <em>hints</em> are unverified"
        );
        assert_eq!(inline("2 * 3"), "2 * 3");
        assert_eq!(inline("**open"), "<strong>open</strong>");
    }

    #[test]
    fn tables_lists_and_code_blocks() {
        let md = "## Impact\n\n| Measure | Value |\n|---|---:|\n| Window | `a\\|b` |\n\n1. **Change** — x\n   - log line: `y`\n2. two\n\n- [ ] fix it\n\n```\n<chart>\n```\n";
        let html = blocks(md);
        assert!(html.contains("<h2 id=\"impact\">Impact</h2>"), "{html}");
        assert!(
            html.contains("<td class=\"num\"><code>a|b</code></td>"),
            "{html}"
        );
        assert!(html.contains("<li value=\"1\"><strong>Change</strong> — x<ul><li>log line: <code>y</code></li></ul></li>"), "{html}");
        assert!(html.contains("<ul class=\"tasks\">"), "{html}");
        assert!(
            html.contains("<pre><code>&lt;chart&gt;\n</code></pre>"),
            "{html}"
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Root Cause and Resolution"),
            "root-cause-and-resolution"
        );
        assert_eq!(slug("Data gaps and warnings"), "data-gaps-and-warnings");
    }
}
