//! The report people share: the HTML draft (self-contained, its SVG chart,
//! tables and print style, checked in the DOM without JavaScript), the
//! masking of client values in the Markdown and HTML drafts, and the
//! Mermaid chart of the Markdown draft. The same HTML is loaded in a real
//! headless Chromium by `scripts/browser-check.sh` (run by `.ci/run`).

use std::path::Path;

use scraper::{Html, Selector};

use crate::util::{copy_dir, mini, ok, root, run, tempdir};

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

fn sample_logs() -> std::path::PathBuf {
    root().join("sample-logs")
}

/// `report ARGS PATH -o DIR/NAME`: the file written.
fn report_file(args: &[&str], path: &Path, name: &str) -> String {
    let dir = tempdir();
    let out = dir.path().join(name);
    let mut all: Vec<&str> = args.to_vec();
    let out_s = out.to_string_lossy().into_owned();
    all.extend(["-o", &out_s]);
    let mut full = vec!["report"];
    full.extend(all);
    ok(&full, &[path]);
    std::fs::read_to_string(&out).unwrap()
}

fn stdout(args: &[&str], path: &Path) -> String {
    String::from_utf8(ok(args, &[path]).stdout).unwrap()
}

#[test]
fn html_by_extension_markdown_otherwise_and_the_flag_decides() {
    let html = report_file(&[], &mini(), "report.html");
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80]);
    let htm = report_file(&[], &mini(), "REPORT.HTM");
    assert!(htm.starts_with("<!DOCTYPE html>"));
    let md = report_file(&[], &mini(), "report.md");
    assert!(md.starts_with("# Postmortem"));
    // The flag wins over the extension, both ways, and works on stdout.
    let forced_md = report_file(&["--format", "md"], &mini(), "report.html");
    assert!(forced_md.starts_with("# Postmortem"));
    let forced_html = report_file(&["--format", "html"], &mini(), "draft.txt");
    assert!(forced_html.starts_with("<!DOCTYPE html>"));
    let out = stdout(&["report", "--format", "html"], &mini());
    assert!(out.starts_with("<!DOCTYPE html>"));
    let bad = run(&["report", "--format", "pdf"], &[&mini()]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn html_is_self_contained_and_needs_no_script() {
    let html = stdout(&["report", "--format", "html"], &sample_logs());
    let doc = Html::parse_document(&html);
    assert_eq!(doc.select(&sel("script")).count(), 0, "no script at all");
    assert_eq!(
        doc.select(&sel("link")).count(),
        0,
        "no linked stylesheet or font"
    );
    assert_eq!(doc.select(&sel("iframe, object, embed, img")).count(), 0);
    for el in doc.select(&sel("[src], [href], [srcset], [action]")) {
        for attr in ["src", "href", "srcset", "action"] {
            if let Some(v) = el.value().attr(attr) {
                let v = v.trim().to_ascii_lowercase();
                assert!(
                    !(v.starts_with("http:") || v.starts_with("https:") || v.starts_with("//")),
                    "external {attr}={v}"
                );
            }
        }
    }
    let style: String = doc
        .select(&sel("style"))
        .map(|s| s.text().collect::<String>())
        .collect();
    assert!(!style.is_empty());
    assert!(
        !style.contains("@import") && !style.contains("url("),
        "nothing fetched by CSS"
    );
    assert!(style.contains("@media print"), "a print stylesheet");
    // Event handlers would be script too.
    for el in doc.select(&sel("*")) {
        assert!(
            !el.value().attrs().any(|(k, _)| k.starts_with("on")),
            "{:?}",
            el.value()
        );
    }
}

#[test]
fn html_has_the_chart_with_the_window_shaded_and_the_moments_labelled() {
    let html = stdout(&["report", "--format", "html"], &sample_logs());
    let doc = Html::parse_document(&html);
    let svg = doc
        .select(&sel("svg#impact-chart"))
        .next()
        .expect("the chart");
    assert!(svg.value().attr("viewBox").is_some());
    let window = doc
        .select(&sel("svg#impact-chart rect.incident-window"))
        .next()
        .expect("the incident window is shaded");
    let width: f64 = window.value().attr("width").unwrap().parse().unwrap();
    assert!(
        width > 100.0,
        "an 81-minute window in a 2-hour chart: {width}"
    );
    let bars = doc.select(&sel("svg#impact-chart rect.bar")).count();
    assert!(bars > 50, "{bars} bars");
    assert!(doc.select(&sel("svg .ratio-line")).count() >= 1);
    assert!(
        doc.select(&sel("svg .p99-line")).count() >= 1,
        "latency is drawn"
    );
    let kinds: Vec<String> = doc
        .select(&sel("svg g.marker"))
        .map(|g| g.value().attr("data-kind").unwrap().to_string())
        .collect();
    for k in ["impact-begins", "first-alert", "top-suspect", "impact-ends"] {
        assert!(kinds.contains(&k.to_string()), "{k} in {kinds:?}");
    }
    let labels: String = doc
        .select(&sel("svg g.marker text"))
        .flat_map(|t| t.text())
        .collect::<Vec<_>>()
        .join(" | ");
    // The planted truth of sample-logs: impact 08:38:05, first alert 08:40:00.
    assert!(labels.contains("impact begins 08:38:05"), "{labels}");
    assert!(labels.contains("first alert 08:40:00"), "{labels}");
    assert!(labels.contains("top suspect: change 08:36:17"), "{labels}");
}

#[test]
fn html_holds_the_tables_and_the_same_facts_as_the_markdown() {
    let html = stdout(&["report", "--format", "html"], &sample_logs());
    let md = stdout(&["report"], &sample_logs());
    let doc = Html::parse_document(&html);
    let text = |css: &str| -> String {
        doc.select(&sel(css))
            .flat_map(|e| e.text())
            .collect::<Vec<_>>()
            .join(" ")
    };
    // Every section of the Markdown draft is a heading of the page.
    let headings = text("h1, h2, h3");
    for line in md.lines().filter(|l| l.starts_with("## ")) {
        assert!(headings.contains(&line[3..]), "{line} missing: {headings}");
    }
    let timeline_rows = doc.select(&sel("table.timeline tbody tr")).count();
    let md_timeline = md
        .split("## Timeline")
        .nth(1)
        .unwrap()
        .split("## Impact")
        .next()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("- ") && !l.starts_with("- TODO"))
        .count();
    assert_eq!(timeline_rows, md_timeline, "the same timeline lines");
    assert!(doc.select(&sel("table.timeline tr.marker")).count() >= 3);
    let suspects = doc.select(&sel("table.suspects tbody tr")).count();
    let md_suspects = md
        .lines()
        .filter(|l| {
            l.split_once(". **")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        })
        .count();
    assert_eq!(suspects, md_suspects);
    // The impact numbers of the Markdown table, cell for cell.
    let impact = text("#impact table");
    for row in md
        .split("## Impact\n")
        .nth(1)
        .unwrap()
        .lines()
        .skip(3)
        .take_while(|l| l.starts_with('|'))
    {
        let value = row.trim_end_matches(" |").rsplit(" | ").next().unwrap();
        assert!(impact.contains(value), "{value} not in {impact}");
    }
    assert!(impact.contains("2,759 (43.99%)"), "{impact}");
    // And the numbers of the summary.
    let summary = text("#summary");
    assert!(
        summary.contains("43.99%") && summary.contains("1 h 21 min"),
        "{summary}"
    );
}

#[test]
fn log_text_cannot_become_markup() {
    let dir = tempdir();
    let logs = dir.path().join("logs");
    copy_dir(&mini(), &logs);
    let evil = logs.join("<img src=x onerror=alert(1)><svg onload=alert(2)>.log");
    std::fs::write(
        &evil,
        "2024-03-09T08:38:00Z ERROR <script>alert(1)</script> **not bold** `tick`\n",
    )
    .unwrap();
    let html = stdout(&["report", "--format", "html"], &logs);
    let doc = Html::parse_document(&html);
    assert_eq!(doc.select(&sel("script, img")).count(), 0);
    assert_eq!(doc.select(&sel("svg")).count(), 1, "only the chart");
    for el in doc.select(&sel("*")) {
        assert!(!el.value().attrs().any(|(k, _)| k.starts_with("on")));
    }
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "the name is shown"
    );
}

#[test]
fn client_addresses_are_masked_unless_asked_and_json_keeps_them() {
    let raw = "185.72.216.239";
    let masked = "185.72.216.x";
    let backend = "10.0.1.12:8080";
    let md = stdout(&["report"], &sample_logs());
    assert!(
        !md.contains(raw) && md.contains(masked),
        "Markdown masks clients"
    );
    assert!(
        md.contains(&format!("backend `{backend}`")),
        "the service's own stay"
    );
    let html = stdout(&["report", "--format", "html"], &sample_logs());
    assert!(
        !html.contains(raw) && html.contains(masked),
        "HTML masks clients"
    );
    assert!(html.contains(backend));
    let md_raw = stdout(&["report", "--no-redact"], &sample_logs());
    assert!(md_raw.contains(raw));
    let html_raw = stdout(
        &["report", "--format", "html", "--no-redact"],
        &sample_logs(),
    );
    assert!(html_raw.contains(raw));
    let json = stdout(&["timeline", "--format", "json"], &sample_logs());
    assert!(json.contains(raw), "JSON keeps raw values");
}

#[test]
fn user_ids_and_emails_in_messages_are_masked() {
    // An application that logs who was affected, next to mini's outage.
    let dir = tempdir();
    let logs = dir.path().join("logs");
    copy_dir(&mini(), &logs);
    let mut app = String::new();
    for m in 0..40 {
        app.push_str(&format!(
            "{{\"time\": \"2024-03-09T08:{:02}:00Z\", \"level\": \"info\", \"msg\": \"ok\"}}\n",
            10 + m
        ));
    }
    app.push_str("{\"time\": \"2024-03-09T08:37:50Z\", \"level\": \"error\", \"msg\": \"checkout failed for user_id=u48213 (alice@example.com) from 203.0.113.7\"}\n");
    std::fs::write(logs.join("app/checkout.json.log"), app).unwrap();
    let md = stdout(&["report"], &logs);
    let html = stdout(&["report", "--format", "html"], &logs);
    let raw = stdout(&["report", "--no-redact"], &logs);
    assert!(
        raw.contains("user_id=u48213"),
        "the test needs the line in the draft:\n{raw}"
    );
    for out in [&md, &html] {
        assert!(!out.contains("u48213") && out.contains("user_id=u***"));
        assert!(!out.contains("alice@") && out.contains("a***@example.com"));
        assert!(!out.contains("203.0.113.7") && out.contains("203.0.113.x"));
    }
}

#[test]
fn markdown_has_a_mermaid_chart_beside_the_text_chart() {
    let md = stdout(&["report"], &sample_logs());
    let chart = md.split("## Impact chart").nth(1).unwrap();
    let block = chart
        .split("```mermaid\n")
        .nth(1)
        .expect("a mermaid block")
        .split("```")
        .next()
        .unwrap();
    assert!(block.starts_with("xychart-beta\n"), "{block}");
    let list = |prefix: &str| -> Vec<String> {
        let line = block
            .lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} in {block}"));
        let inner = line
            .split_once('[')
            .unwrap()
            .1
            .trim_end()
            .trim_end_matches(']');
        inner.split(", ").map(str::to_string).collect()
    };
    let labels = list("x-axis");
    let bars = list("bar");
    let line = list("line");
    assert_eq!(labels.len(), bars.len());
    assert_eq!(labels.len(), line.len());
    // The same steps as the text chart above it: its rows' request counts.
    let text_chart = chart.split("```mermaid").next().unwrap();
    let text_rows: Vec<&str> = text_chart
        .lines()
        .filter(|l| l.len() > 5 && l.as_bytes()[2] == b':' && l[..2].parse::<u8>().is_ok())
        .collect();
    assert_eq!(text_rows.len(), bars.len());
    for (row, bar) in text_rows.iter().zip(&bars) {
        let n: String = row
            .split_whitespace()
            .find(|w| w.chars().all(|c| c.is_ascii_digit() || c == ','))
            .unwrap()
            .replace(',', "");
        assert_eq!(&n, bar, "{row}");
    }
    // The error ratio line reaches the top of the axis at its peak.
    let top: f64 = block
        .lines()
        .find(|l| l.contains("y-axis"))
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let peak = line
        .iter()
        .map(|v| v.parse::<f64>().unwrap())
        .fold(0.0, f64::max);
    assert!((peak - top).abs() < 0.11, "{peak} vs {top}");
}

#[test]
fn a_quiet_day_renders_too() {
    // The first minutes of mini, before its incident.
    let html = stdout(
        &[
            "report",
            "--format",
            "html",
            "--until",
            "2024-03-09T08:36:00Z",
        ],
        &mini(),
    );
    let doc = Html::parse_document(&html);
    let title: String = doc.select(&sel("title")).flat_map(|t| t.text()).collect();
    assert!(title.contains("no incident"), "{title}");
    assert_eq!(doc.select(&sel("rect.incident-window")).count(), 0);
    assert_eq!(doc.select(&sel("svg#impact-chart")).count(), 1);
    assert!(doc.select(&sel("#appendix h2")).count() == 1);
}

#[test]
fn html_shows_times_in_the_display_zone_and_the_chart_axis_too() {
    let html = stdout(
        &[
            "report",
            "--format",
            "html",
            "--display-tz",
            "Europe/Berlin",
        ],
        &mini(),
    );
    let doc = Html::parse_document(&html);
    let text = |css: &str| -> String {
        doc.select(&sel(css))
            .flat_map(|e| e.text())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    assert!(
        text("header").contains("All times in Europe/Berlin (UTC+01:00)."),
        "{}",
        text("header")
    );
    // Named once: the page says UTC nowhere else.
    assert_eq!(html.matches("UTC").count(), 1, "{html}");
    assert!(text("#summary").contains("From 09:37:42 to 09:41:20 on 2024-03-09"));
    let heads = text("table.timeline th");
    assert!(heads.contains("Time (Europe/Berlin)"), "{heads}");
    let times = text("table.timeline td.time");
    assert!(times.starts_with("09:36:17"), "{times}");
    assert!(!times.contains("08:3"), "{times}");
    let suspects = text("table.suspects");
    assert!(suspects.contains("09:36:17"), "{suspects}");
    assert!(text("#impact").contains("09:37:42 → 2024-03-09 09:41:20"));
    // The chart: its moments, its axis labels and its title.
    let labels = text("svg g.marker text");
    assert!(labels.contains("impact begins 09:37:42"), "{labels}");
    assert!(labels.contains("first alert 09:40:12"), "{labels}");
    let ticks = text("svg text.tick");
    assert!(ticks.starts_with("09:"), "{ticks}");
    assert!(!ticks.contains("08:"), "{ticks}");
    assert!(text("svg#impact-chart > title").contains("incident window 09:37:42 to 09:41:20"));
    // The default is UTC, as before.
    let utc = stdout(&["report", "--format", "html"], &mini());
    let doc = Html::parse_document(&utc);
    let ticks: String = doc
        .select(&sel("svg text.tick"))
        .flat_map(|t| t.text())
        .collect();
    assert!(ticks.starts_with("08:"), "{ticks}");
    assert!(utc.contains("Time (UTC)"));
}
