//! Fitting the shell, through the binary: JSON from every command and its
//! schema, colour, exit codes, relative times, display zones, the 80-column
//! timeline, completions and man page, environment defaults, path checks
//! and defused error messages.

use std::path::{Path, PathBuf};
use std::process::Output;

use postmortem::exit;
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

use crate::util::{bin, json_of, mini, read_json, root, scenario, skipped, tempdir};

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `postmortem ARGS` with extra environment variables.
fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = bin();
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert!(
        !stderr(&out).contains("panicked"),
        "{args:?}: {}",
        stderr(&out)
    );
    out
}

fn run(args: &[&str]) -> Output {
    run_env(args, &[])
}

fn mini_arg() -> String {
    mini().to_string_lossy().into_owned()
}

// ---------------------------------------------------------------------------
// The schemas

/// The validator of `schema/NAME`.
fn validator(name: &str) -> jsonschema::Validator {
    let schema = read_json(&root().join("schema").join(name));
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The validator of one definition of `schema/NAME` (`$defs/DEF`).
fn def_validator(name: &str, def: &str) -> jsonschema::Validator {
    let schema = read_json(&root().join("schema").join(name));
    let one = serde_json::json!({
        "$schema": schema["$schema"],
        "$defs": schema["$defs"],
        "$ref": format!("#/$defs/{def}"),
    });
    jsonschema::validator_for(&one).unwrap_or_else(|e| panic!("{name}#{def}: {e}"))
}

/// Fails with every place `doc` breaks the schema.
fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

/// Every object in a schema that lists properties allows no others, so a
/// key the tool adds without declaring it fails validation.
fn assert_closed(schema: &Value, at: &str) {
    match schema {
        Value::Object(m) => {
            if m.contains_key("properties") {
                assert_eq!(
                    m.get("additionalProperties"),
                    Some(&Value::Bool(false)),
                    "{at} is open"
                );
            }
            for (k, v) in m {
                if k != "properties" {
                    assert_closed(v, &format!("{at}/{k}"));
                } else if let Value::Object(props) = v {
                    for (p, s) in props {
                        assert_closed(s, &format!("{at}/properties/{p}"));
                    }
                }
            }
        }
        Value::Array(items) => {
            for (i, s) in items.iter().enumerate() {
                assert_closed(s, &format!("{at}/{i}"));
            }
        }
        _ => {}
    }
}

const SCHEMAS: [&str; 4] = [
    "postmortem.timeline.v1.schema.json",
    "postmortem.formats.v1.schema.json",
    "postmortem.patterns.v1.schema.json",
    "postmortem.records.v1.schema.json",
];

#[test]
fn schemas_are_closed_and_named_by_uri() {
    for name in SCHEMAS {
        let schema = read_json(&root().join("schema").join(name));
        let id = schema["$id"].as_str().unwrap();
        assert!(
            id.starts_with("urn:postmortem:schema:") && id.ends_with(":v1"),
            "{name}: $id {id}"
        );
        assert_closed(&schema, name);
        // It compiles as a 2020-12 schema.
        validator(name);
    }
}

#[test]
fn incident_kinds_in_the_schema_are_the_ones_the_code_emits() {
    let source = std::fs::read_to_string(root().join("src/analysis/incident.rs")).unwrap();
    let start = source.find("fn as_str(self)").unwrap();
    let body = &source[start..start + source[start..].find("\n    }\n").unwrap()];
    let mut emitted: Vec<String> = body
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    emitted.sort();
    let schema = read_json(&root().join("schema/postmortem.timeline.v1.schema.json"));
    let mut declared: Vec<String> = schema["$defs"]["incident"]["properties"]["kind"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    declared.sort();
    assert_eq!(declared, emitted);
    assert!(emitted.contains(&"crash_loop".to_string()), "{emitted:?}");
}

/// The inputs every command's JSON is checked on: the hand-written
/// fixture, the sample logs and a few generated scenarios.
fn fixture_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![mini()];
    let sample = root().join("sample-logs");
    if sample.is_dir() {
        dirs.push(sample);
    } else {
        skipped("sample-logs/");
    }
    for name in ["two-incidents", "dead-front", "quiet", "auth-alb"] {
        dirs.push(scenario(name, 1, 0.1).logs.clone());
    }
    dirs
}

/// Up to four records of each shape (format, type and the set of keys at
/// the top level and one level down): every kind of record the run wrote
/// is validated, without validating thousands of look-alikes.
fn shape_sample(records: &[Value]) -> Vec<&Value> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut keep = Vec::new();
    for r in records {
        let mut shape = format!("{}/{}", r["format"], r["type"]);
        if let Some(obj) = r.as_object() {
            for (k, v) in obj {
                shape.push(' ');
                shape.push_str(k);
                if let Some(inner) = v.as_object() {
                    shape.push('{');
                    for ik in inner.keys() {
                        shape.push_str(ik);
                        shape.push(',');
                    }
                    shape.push('}');
                }
            }
        }
        let n = seen.entry(shape).or_default();
        if *n < 4 {
            *n += 1;
            keep.push(r);
        }
    }
    keep
}

// One test per command, so they run beside each other.

#[test]
fn timeline_json_and_ndjson_follow_the_schema() {
    let timeline = validator("postmortem.timeline.v1.schema.json");
    let events = def_validator("postmortem.timeline.v1.schema.json", "event");
    let mut kinds = std::collections::BTreeSet::new();
    for dir in fixture_dirs() {
        let d = dir.to_string_lossy().into_owned();
        let doc = json_of(&run(&["timeline", "--format", "json", "-q", &d]));
        assert_valid(&timeline, &doc, &format!("timeline {d}"));
        for i in doc["incidents"].as_array().unwrap() {
            kinds.insert(i["kind"].as_str().unwrap().to_string());
        }
        // NDJSON events are the document's events.
        let out = run(&["timeline", "--format", "ndjson", "-q", &d]);
        let lines: Vec<Value> = stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            lines.len(),
            doc["events"].as_array().unwrap().len(),
            "timeline --format ndjson {d}"
        );
        for line in &lines {
            assert_valid(&events, line, &line.to_string());
        }
    }
    assert!(
        kinds.len() >= 2,
        "too few incident kinds checked: {kinds:?}"
    );
}

#[test]
fn formats_json_follows_the_schema() {
    let formats = validator("postmortem.formats.v1.schema.json");
    for dir in fixture_dirs() {
        let d = dir.to_string_lossy().into_owned();
        let doc = json_of(&run(&[
            "formats",
            "--format",
            "json",
            "--list",
            "--show-skipped",
            "-q",
            &d,
        ]));
        assert_valid(&formats, &doc, &format!("formats {d}"));
    }
    let doc = json_of(&run(&["formats", "--list", "--format", "json"]));
    assert_valid(&formats, &doc, "formats --list");
}

#[test]
fn records_ndjson_and_json_follow_the_schema() {
    let records = validator("postmortem.records.v1.schema.json");
    for dir in fixture_dirs() {
        let d = dir.to_string_lossy().into_owned();
        let out = run(&["records", "--all", "-q", &d]);
        assert!(out.status.success());
        let lines: Vec<Value> = stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for record in shape_sample(&lines) {
            assert_valid(&records, record, &record.to_string());
        }
        // The document holds the same records as the NDJSON stream; its
        // envelope is checked with a sample of them (validating ~17,000
        // records one by one in a debug build took most of this test), on
        // the committed fixtures (the generated ones add no new envelope).
        if dir != mini() && dir != root().join("sample-logs") {
            continue;
        }
        let mut doc = json_of(&run(&["records", "--format", "json", "-q", &d]));
        let all = doc["records"].as_array().unwrap();
        assert_eq!(all.len(), lines.len(), "records --format json {d}");
        let sample: Vec<Value> = shape_sample(all).into_iter().cloned().collect();
        doc["records"] = Value::Array(sample);
        assert_valid(&records, &doc, &format!("records --format json {d}"));
    }
}

#[test]
fn patterns_json_follows_its_schema_listing_and_checking() {
    let v = validator("postmortem.patterns.v1.schema.json");
    let doc = json_of(&run(&["patterns", "--format", "json"]));
    assert_valid(&v, &doc, "patterns");
    let ids: Vec<&str> = doc["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert!(ids.len() > 20, "{ids:?}");
    let dir = tempdir();
    let file = dir.path().join("mine.toml");
    std::fs::write(
        &file,
        "[[pattern]]\nid = \"mine.oops\"\nkind = \"error\"\nseverity = \"error\"\nregex = 'oops'\n",
    )
    .unwrap();
    let f = file.to_string_lossy().into_owned();
    let doc = json_of(&run(&["patterns", "--check", &f, "--format", "json"]));
    assert_valid(&v, &doc, "patterns --check");
    assert_eq!(doc["checked"], f.as_str());
    assert_eq!(doc["patterns"][0]["id"], "mine.oops");
    // Extra patterns are listed with where they came from.
    let doc = json_of(&run(&["patterns", "--patterns", &f, "--format", "json"]));
    let mine = doc["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "mine.oops")
        .expect("the extra pattern is listed");
    assert_eq!(mine["origin"].as_str().unwrap(), f);
}

#[test]
fn json_times_have_one_width_and_stay_utc() {
    let doc = json_of(&run(&[
        "timeline",
        "--format",
        "json",
        "--display-tz",
        "Europe/Berlin",
        &mini_arg(),
    ]));
    let mut times = Vec::new();
    for e in doc["events"].as_array().unwrap() {
        times.push(e["at"].as_str().unwrap().to_string());
    }
    assert!(
        times.iter().all(|t| t.len() == 27 && t.ends_with('Z')),
        "{times:?}"
    );
    assert!(times.contains(&"2024-03-09T08:40:12.000000Z".to_string()));
    // One width: the strings sort as the times do.
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(sorted, times);
}

// ---------------------------------------------------------------------------
// Commands and flags

#[test]
fn formats_list_needs_no_path_and_other_commands_do() {
    let out = run(&["formats", "--list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("Supported formats:"), "{text}");
    assert!(text.contains("nginx_access"));
    let doc = json_of(&run(&["formats", "--list", "--format", "json"]));
    assert_eq!(doc["schema"], "postmortem.formats.v1");
    assert_eq!(doc["inputs"], serde_json::json!([]));
    assert!(doc["formats"].as_array().unwrap().len() > 20);
    for cmd in ["formats", "timeline", "report", "records"] {
        let out = run(&[cmd]);
        assert_eq!(out.status.code(), Some(i32::from(exit::USAGE)), "{cmd}");
        assert!(stderr(&out).contains("PATHS"), "{cmd}: {}", stderr(&out));
    }
}

#[test]
fn formats_json_has_each_input() {
    let doc = json_of(&run(&["formats", "--format", "json", &mini_arg()]));
    let paths: Vec<&str> = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["path"].as_str())
        .collect();
    assert!(paths.contains(&"lb/access.log"), "{paths:?}");
    assert!(doc.get("formats").is_none(), "no list unless asked");
}

#[test]
fn records_json_is_one_document_of_the_ndjson_records() {
    let log = mini().join("lb/access.log");
    let l = log.to_string_lossy().into_owned();
    let ndjson: Vec<Value> = stdout(&run(&["records", &l]))
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let doc = json_of(&run(&["records", "--format", "json", &l]));
    assert_eq!(doc["schema"], "postmortem.records.v1");
    assert_eq!(doc["records"].as_array().unwrap(), &ndjson);
    assert_eq!(ndjson.len(), 183);
}

#[test]
fn colour_follows_the_flag_the_terminal_and_no_color() {
    let m = mini_arg();
    for args in [
        vec!["timeline", m.as_str()],
        vec!["formats", m.as_str()],
        vec!["patterns"],
    ] {
        let always: Vec<&str> = args.iter().copied().chain(["--color", "always"]).collect();
        let never: Vec<&str> = args.iter().copied().chain(["--color", "never"]).collect();
        assert!(stdout(&run(&always)).contains("\x1b["), "{args:?}");
        assert!(!stdout(&run(&never)).contains('\x1b'), "{args:?}");
        // auto: not a terminal here, so none.
        assert!(!stdout(&run(&args)).contains('\x1b'), "{args:?}");
        let no_color = run_env(&always, &[("NO_COLOR", "1")]);
        assert!(stdout(&no_color).contains("\x1b["), "always beats NO_COLOR");
    }
    // Errors take --color too, and accept it before the command.
    let out = run(&["--color", "always", "timeline", "/no/such/dir"]);
    assert!(
        stderr(&out).contains("\x1b[1;31merror:"),
        "{}",
        stderr(&out)
    );
    let out = run(&["--color", "never", "timeline", "/no/such/dir"]);
    assert!(!stderr(&out).contains('\x1b'));
}

#[test]
fn report_to_dash_is_standard_output() {
    let m = mini_arg();
    let to_dash = run(&["report", "-o", "-", &m]);
    assert!(to_dash.status.success(), "{}", stderr(&to_dash));
    let plain = run(&["report", &m]);
    assert!(stdout(&to_dash).starts_with("# "), "{}", stdout(&to_dash));
    assert_eq!(stdout(&to_dash), stdout(&plain));
    assert!(!root().join("-").exists(), "no file named '-'");
}

#[test]
fn fail_on_incident_exits_one_only_when_an_incident_is_found() {
    let m = mini_arg();
    for cmd in ["timeline", "report"] {
        let out = run(&[cmd, "--fail-on-incident", "-q", &m]);
        assert_eq!(
            out.status.code(),
            Some(i32::from(exit::INCIDENT_FOUND)),
            "{cmd}"
        );
        assert!(
            !stdout(&out).is_empty(),
            "{cmd}: the output is still written"
        );
        let out = run(&[cmd, "-q", &m]);
        assert_eq!(out.status.code(), Some(i32::from(exit::OK)), "{cmd}");
    }
    let quiet = scenario("quiet", 1, 0.1)
        .logs
        .to_string_lossy()
        .into_owned();
    let doc = json_of(&run(&["timeline", "--format", "json", "-q", &quiet]));
    assert_eq!(
        doc["incidents"],
        serde_json::json!([]),
        "quiet has no incident"
    );
    let out = run(&["timeline", "--fail-on-incident", "-q", &quiet]);
    assert_eq!(out.status.code(), Some(i32::from(exit::OK)));
    // Usage errors keep their own code.
    let out = run(&["timeline", "--fail-on-incident", "--slo", "200", &m]);
    assert_eq!(out.status.code(), Some(i32::from(exit::USAGE)));
}

#[test]
fn exit_codes_are_in_the_help_and_the_readme() {
    let help = stdout(&run(&["--help"]));
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for code in [exit::OK, exit::INCIDENT_FOUND, exit::USAGE, exit::NO_DATA] {
        let line = exit::HELP
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{code} ")))
            .unwrap();
        assert!(help.contains(line.trim()), "--help lacks {line}");
        assert!(
            readme.contains(&format!("| {code} |")),
            "README lacks exit code {code}"
        );
    }
}

/// First and last record times kept ("none" when none is) and the
/// records left out, in the JSON timeline of mini with `args`.
fn window_of(args: &[&str]) -> (String, String, u64) {
    let m = mini_arg();
    let mut all = vec!["timeline", "--format", "json"];
    all.extend_from_slice(args);
    all.push(&m);
    let out = run(&all);
    // Everything left out is "no usable data" (exit 3), still a document.
    let code = out.status.code();
    assert!(
        matches!(code, Some(0) | Some(3)),
        "{code:?}: {}",
        stderr(&out)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let inputs = doc["inputs"].as_array().unwrap();
    let first = inputs
        .iter()
        .filter_map(|i| i["first"].as_str())
        .min()
        .unwrap_or("none");
    let last = inputs
        .iter()
        .filter_map(|i| i["last"].as_str())
        .max()
        .unwrap_or("none");
    let filtered = inputs.iter().map(|i| i["filtered"].as_u64().unwrap()).sum();
    (first.to_string(), last.to_string(), filtered)
}

#[test]
fn since_and_until_take_relative_times_and_times_of_day() {
    // mini runs from 07:10:02 to 08:50:09 on 2024-03-09.
    let (first, last, filtered) = window_of(&[]);
    assert_eq!(
        (first.as_str(), last.as_str(), filtered),
        (
            "2024-03-09T07:10:02.120000Z",
            "2024-03-09T08:50:09.000000Z",
            0
        )
    );
    let (first, _, filtered) = window_of(&["--since", "20m"]);
    assert!(first.as_str() >= "2024-03-09T08:30:09", "{first}");
    assert!(filtered > 0);
    let (first, last, _) = window_of(&["--since", "08:30", "--until", "08:45:30"]);
    assert!(first.as_str() >= "2024-03-09T08:30:00", "{first}");
    assert!(last.as_str() <= "2024-03-09T08:45:30", "{last}");
    assert!(last.as_str() >= "2024-03-09T08:44", "{last}");
    // A time of day is read in --tz: 09:30 in Berlin is 08:30 UTC.
    let (first, _, _) = window_of(&["--since", "09:30", "--tz", "Europe/Berlin"]);
    assert!(first.as_str() >= "2024-03-09T08:30:00", "{first}");
    // now-2h is long after these logs: everything is left out.
    let (_, _, filtered) = window_of(&["--since", "now-2h"]);
    assert!(filtered >= 183, "{filtered}");
    // What a relative bound came to is said on stderr.
    let out = run(&["timeline", "--since", "90m", &mini_arg()]);
    assert!(
        stderr(&out).contains("--since 90m is 2024-03-09T07:20:09Z"),
        "{}",
        stderr(&out)
    );
    for bad in ["-2h", "now+1h", "25:00", "yesterday"] {
        let out = run(&["timeline", "--since", bad, &mini_arg()]);
        assert_eq!(out.status.code(), Some(i32::from(exit::USAGE)), "{bad}");
        assert!(stderr(&out).contains("--since"), "{bad}: {}", stderr(&out));
    }
    // Standard input cannot be read twice.
    let out = run(&["records", "--since", "2h", "-"]);
    assert_eq!(out.status.code(), Some(i32::from(exit::USAGE)));
    assert!(stderr(&out).contains("standard input"), "{}", stderr(&out));
}

#[test]
fn times_are_shown_in_the_display_zone() {
    let m = mini_arg();
    let utc = stdout(&run(&["timeline", "--width", "0", &m]));
    assert!(
        utc.contains("2024-03-09 08:37:42 → 2024-03-09 08:41:20 UTC"),
        "{utc}"
    );
    let berlin = stdout(&run(&[
        "timeline",
        "--width",
        "0",
        "--display-tz",
        "Europe/Berlin",
        &m,
    ]));
    assert!(
        berlin.contains("2024-03-09 09:37:42 → 2024-03-09 09:41:20 Europe/Berlin"),
        "{berlin}"
    );
    assert!(berlin.contains("2024-03-09 09:40:12  alert"), "{berlin}");
    // --local takes the machine's zone (TZ here).
    let local = stdout(&run_env(
        &["timeline", "--width", "0", "--local", &m],
        &[("TZ", "Asia/Kolkata")],
    ));
    assert!(local.contains("2024-03-09 14:07:42 → "), "{local}");
    assert!(local.contains("Asia/Kolkata"), "{local}");
    // The formats table too.
    let table = stdout(&run(&["formats", "--display-tz", "+05:30", &m]));
    assert!(table.contains("2024-03-09T14:10:12+05:30"), "{table}");
    let out = run(&["timeline", "--display-tz", "Mars/Base", &m]);
    assert_eq!(out.status.code(), Some(i32::from(exit::USAGE)));
    assert!(stderr(&out).contains("--display-tz"));
}

/// The rows of a text timeline (after the column header).
fn rows(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|l| !l.starts_with("TIME"))
        .skip(1)
        .collect()
}

#[test]
fn the_text_timeline_fits_80_columns() {
    let m = mini_arg();
    let narrow = stdout(&run(&["timeline", &m]));
    for line in narrow.lines() {
        assert!(line.width() <= 80, "{} columns: {line}", line.width());
    }
    let rows80 = rows(&narrow);
    assert!(rows80.len() > 10, "{narrow}");
    // Every row is one line with its columns in place: a time first, and
    // the KIND column where the header has it.
    let header = narrow.lines().find(|l| l.starts_with("TIME")).unwrap();
    let kind_at = header.find("KIND").unwrap();
    for r in &rows80 {
        assert!(r.as_bytes()[0].is_ascii_digit(), "{r}");
        let kind = r[kind_at..].split(' ').next().unwrap();
        assert!(
            ["error", "alert", "change", "recovery", "info", "marker"].contains(&kind),
            "{r}"
        );
    }
    assert!(narrow.contains('…'), "long events are shortened: {narrow}");
    // COLUMNS when not a terminal, and --width over both.
    let wide = stdout(&run_env(&["timeline", &m], &[("COLUMNS", "200")]));
    assert!(wide.lines().all(|l| l.width() <= 200));
    assert!(wide.contains("deploy: deployed orders version 2.4.1 to production"));
    let forty = stdout(&run_env(
        &["timeline", "--width", "100", &m],
        &[("COLUMNS", "40")],
    ));
    assert!(forty.lines().all(|l| l.width() <= 100));
    let unlimited = stdout(&run(&["timeline", "--width", "0", &m]));
    assert!(!unlimited.contains('…'), "{unlimited}");
    assert_eq!(rows(&unlimited).len(), rows80.len());
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let text = stdout(&out);
        // fish writes long flags without their dashes.
        for word in ["timeline", "fail-on-incident", "display-tz"] {
            assert!(text.contains(word), "{shell} completions lack {word}");
        }
    }
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(i32::from(exit::USAGE)));
    let man = stdout(&run(&["man"]));
    assert!(man.contains(".TH postmortem"), "{man}");
    assert!(man.contains("timeline"));
    let dir = tempdir();
    let d = dir.path().join("man1");
    let out = run(&["man", "--dir", &d.to_string_lossy()]);
    assert!(out.status.success(), "{}", stderr(&out));
    for page in [
        "postmortem.1",
        "postmortem-timeline.1",
        "postmortem-report.1",
    ] {
        assert!(d.join(page).is_file(), "{page}");
    }
}

#[test]
fn every_command_s_help_has_examples() {
    let help = stdout(&run(&["--help"]));
    assert!(help.contains("Examples:"));
    for cmd in [
        "timeline",
        "report",
        "formats",
        "records",
        "patterns",
        "completions",
        "man",
    ] {
        let out = run(&[cmd, "--help"]);
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(text.contains("Examples:"), "{cmd}");
        assert!(text.contains(&format!("postmortem {cmd}")), "{cmd}: {text}");
    }
}

#[test]
fn environment_defaults_apply_and_are_shown() {
    let dir = tempdir();
    let log = dir.path().join("app.log");
    std::fs::write(
        &log,
        "2024-07-01 12:00:00,000 ERROR [main] c.e.Api - boom\n",
    )
    .unwrap();
    let l = log.to_string_lossy().into_owned();
    let berlin = stdout(&run_env(
        &["records", &l],
        &[("POSTMORTEM_TZ", "Europe/Berlin")],
    ));
    assert!(
        berlin.contains("\"2024-07-01T10:00:00.000000Z\""),
        "{berlin}"
    );
    // The flag wins over the variable.
    let flag = stdout(&run_env(
        &["records", "--tz", "UTC", &l],
        &[("POSTMORTEM_TZ", "Europe/Berlin")],
    ));
    assert!(flag.contains("\"2024-07-01T12:00:00.000000Z\""), "{flag}");
    let out = run_env(&["timeline", &l], &[("POSTMORTEM_SLO", "150")]);
    assert_eq!(out.status.code(), Some(i32::from(exit::USAGE)));
    assert!(stderr(&out).contains("--slo"));
    let patterns = dir.path().join("p.toml");
    std::fs::write(
        &patterns,
        "[[pattern]]\nid = \"env.boom\"\nkind = \"error\"\nseverity = \"critical\"\nregex = 'boom'\n",
    )
    .unwrap();
    let p = patterns.to_string_lossy().into_owned();
    let listed = stdout(&run_env(&["patterns"], &[("POSTMORTEM_PATTERNS", &p)]));
    assert!(listed.contains("env.boom"), "{listed}");
    let help = stdout(&run(&["timeline", "--help"]));
    for var in ["POSTMORTEM_TZ", "POSTMORTEM_SLO", "POSTMORTEM_PATTERNS"] {
        assert!(
            help.contains(&format!("[env: {var}")),
            "{var} not in --help"
        );
    }
}

#[test]
fn skew_and_log_format_must_name_an_input() {
    let m = mini_arg();
    for args in [
        vec!["timeline", "--skew", "nope.log=3s", m.as_str()],
        vec!["timeline", "--log-format", "nope.log=json", m.as_str()],
        vec!["records", "--skew", "nope.log=-2s", m.as_str()],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(i32::from(exit::USAGE)), "{args:?}");
        assert!(
            stderr(&out).contains("nope.log: no input matches"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let out = run(&["timeline", "--skew", "app-1.json.log=3", &m]);
    assert_eq!(out.status.code(), Some(i32::from(exit::USAGE)));
    assert!(stderr(&out).contains("give the unit"), "{}", stderr(&out));
    // Names that match: a trailing part, the path as shown.
    for spec in ["app-1.json.log=-3s", "app/app-1.json.log=+1m"] {
        let out = run(&["timeline", "-q", "--skew", spec, &m]);
        assert!(out.status.success(), "{spec}: {}", stderr(&out));
    }
    let out = run(&[
        "timeline",
        "-q",
        "--log-format",
        "deploy.log=timestamped",
        &m,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_member_of_an_archive_is_named_after_the_read() {
    let dir = tempdir();
    let tar_path = dir.path().join("bundle.tar");
    let mut builder = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
    let data = std::fs::read(mini().join("deploy.log")).unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append_data(&mut header, "logs/deploy.log", data.as_slice())
        .unwrap();
    builder.finish().unwrap();
    drop(builder);
    let t = tar_path.to_string_lossy().into_owned();
    let out = run(&["timeline", "-q", "--skew", "deploy.log=2s", &t]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["timeline", "-q", "--skew", "other.log=2s", &t]);
    assert_eq!(out.status.code(), Some(i32::from(exit::USAGE)));
    assert!(stderr(&out).contains("other.log: no input matches"));
}

#[test]
fn error_messages_defuse_escape_sequences() {
    let dir = tempdir();
    let evil = dir.path().join("evil\x1b]0;pwned\x07\x1b[31m.log");
    let e = evil.to_string_lossy().into_owned();
    let m = mini_arg();
    let cases: Vec<Vec<&str>> = vec![
        vec!["timeline", e.as_str()],
        vec!["timeline", "--skew", "x\x1b[2J.log=3s", m.as_str()],
        vec!["timeline", "--since", "\x1b[31mred", "."],
        vec!["timeline", "--display-tz", "\x1b]0;x\x07", "."],
        vec!["timeline", "--format", "\x1b[31m", "."],
        vec!["report", "-o", "/no/such/dir/\x1b[31m.md", m.as_str()],
    ];
    for args in cases {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(i32::from(exit::USAGE)), "{args:?}");
        let err = stderr(&out);
        assert!(
            !err.contains('\x1b') && !err.contains('\x07'),
            "{args:?}: {err:?}"
        );
        // Ours show the text escaped; clap's leave the sequences out.
        if args[1] != "--format" {
            assert!(
                err.contains("\\u{1b}"),
                "{args:?}: the text is shown escaped: {err}"
            );
        }
    }
}

#[test]
fn timeline_json_is_the_same_whatever_the_display_flags() {
    let m = mini_arg();
    let plain = stdout(&run(&["timeline", "--format", "json", &m]));
    let shown = stdout(&run(&[
        "timeline", "--format", "json", "--local", "--width", "40", "--color", "always", &m,
    ]));
    assert_eq!(plain, shown);
    assert!(Path::new(&m).is_dir());
}

/// Issue 11, "never a silent all-clear": each way of having nothing to
/// judge is named, exits 3 and never says "No incident detected"; request
/// logs missing is said too (with data, so exit 0).
#[test]
fn no_usable_data_is_named_and_exits_3() {
    let dir = crate::util::tempdir();
    let (empty, binary, app) = (
        dir.path().join("empty"),
        dir.path().join("binary"),
        dir.path().join("app"),
    );
    for d in [&empty, &binary, &app] {
        std::fs::create_dir_all(d).unwrap();
    }
    let junk: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 256) as u8).collect();
    std::fs::write(binary.join("blob.log"), junk).unwrap();
    std::fs::write(
        app.join("app.log"),
        "{\"time\":\"2024-03-09T08:00:00Z\",\"level\":\"info\",\"msg\":\"ok\"}\n",
    )
    .unwrap();
    let m = mini_arg();
    let (e, b, a) = (
        empty.to_string_lossy().into_owned(),
        binary.to_string_lossy().into_owned(),
        app.to_string_lossy().into_owned(),
    );
    let cases: [(Vec<&str>, &str, u8); 4] = [
        (vec![&e], "no input files were found", exit::NO_DATA),
        (vec![&b], "nothing readable in 1 input(s)", exit::NO_DATA),
        (
            vec!["--since", "2030-01-01", &m],
            "all 200 timestamped record(s) fall outside --since/--until",
            exit::NO_DATA,
        ),
        (vec![&a], "No request log was recognised", exit::OK),
    ];
    for (args, says, code) in cases {
        for cmd in [&["timeline", "--width", "0"][..], &["report"]] {
            let mut full = cmd.to_vec();
            full.extend(args.iter().copied());
            let out = run(&full);
            let text = stdout(&out);
            assert_eq!(out.status.code(), Some(i32::from(code)), "{full:?}: {text}");
            assert!(text.contains(says), "{full:?}: {text}");
            assert!(!text.contains("0 inputs … no timestamps"), "{full:?}");
            if code == exit::NO_DATA {
                assert!(
                    !text.to_lowercase().contains("no incident detected"),
                    "{full:?}: {text}"
                );
            }
        }
    }
}

/// `--show-since/--show-until` trim what is shown, never what is found:
/// the incidents are the same with and without them.
#[test]
fn the_show_window_trims_the_timeline_not_the_incidents() {
    let sample = root().join("sample-logs");
    let sample = sample.to_str().unwrap();
    let all = json_of(&run(&["timeline", "--format", "json", sample]));
    let trimmed_args = [
        "timeline",
        "--format",
        "json",
        "--show-since",
        "2024-03-09T08:35:00Z",
        "--show-until",
        "2024-03-09T08:50:00Z",
        sample,
    ];
    let trimmed = json_of(&run(&trimmed_args));
    assert_eq!(
        all["incidents"], trimmed["incidents"],
        "detection must not change"
    );
    assert_eq!(all["series"], trimmed["series"]);
    assert!(all.get("shown").is_none());
    assert_eq!(trimmed["shown"]["since"], "2024-03-09T08:35:00.000000Z");
    let events = trimmed["events"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(events.len() < all["events"].as_array().unwrap().len());
    for e in events {
        let at = e["at"].as_str().unwrap();
        assert!(
            ("2024-03-09T08:35:00"..="2024-03-09T08:50:00.999999Z").contains(&at),
            "{at}"
        );
    }
    assert_valid(
        &validator("postmortem.timeline.v1.schema.json"),
        &trimmed,
        "timeline --show-since",
    );
    // The text timeline says so; reversed bounds are a usage error.
    let text = stdout(&run(&[
        "timeline",
        "--show-since",
        "2024-03-09 08:35",
        sample,
    ]));
    assert!(text.contains("--show-since/--show-until"), "{text}");
    let out = run(&[
        "timeline",
        "--show-since",
        "09:00",
        "--show-until",
        "08:00",
        sample,
    ]);
    assert_eq!(out.status.code(), Some(i32::from(exit::USAGE)));
}

/// The sample's nginx access log, oldest part first (one outage,
/// 2024-03-09 08:40 → 09:59).
fn sample_access_log() -> String {
    let dir = root().join("sample-logs/nginx");
    let mut text = std::fs::read_to_string(dir.join("access.log.1")).unwrap();
    text.push_str(&std::fs::read_to_string(dir.join("access.log")).unwrap());
    text
}

/// Narrowed to inside the outage, it is still an incident, open on both
/// sides, judged against the SLO floor, and it says so.
#[test]
fn a_window_inside_the_outage_is_an_open_ended_incident() {
    let sample = root().join("sample-logs");
    let args = [
        "timeline",
        "--format",
        "json",
        "--since",
        "2024-03-09 08:45",
        "--until",
        "2024-03-09 09:30",
        sample.to_str().unwrap(),
    ];
    let v = json_of(&run(&args));
    let incidents = v["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let i = &incidents[0];
    assert_eq!(i["kind"], "errors");
    assert_eq!(
        (i["open_start"].as_bool(), i["open_ended"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(!i["peak"].is_null());
    let warnings = i["warnings"].to_string();
    assert!(warnings.contains("already under way"), "{warnings}");
}

/// Two request logs three years apart: two incidents, each its own error
/// hour, not one "traffic lost for years".
#[test]
fn logs_years_apart_are_a_gap_not_an_outage() {
    let dir = tempdir();
    let log = sample_access_log();
    for (sub, text) in [("a", log.replace("/Mar/2024:", "/Mar/2021:")), ("b", log)] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        std::fs::write(dir.path().join(sub).join("access.log"), text).unwrap();
    }
    let v = json_of(&run(&[
        "timeline",
        "--format",
        "json",
        dir.path().to_str().unwrap(),
    ]));
    let got: Vec<(String, i64)> = v["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_string(),
                i["duration_seconds"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    for (kind, secs) in &got {
        assert_eq!(kind, "errors");
        assert!(*secs < 3 * 3600, "{got:?}");
    }
}

/// An alert stamped in year 9999 makes no incident without a peak and no
/// time outside 0001–9999.
#[test]
fn a_far_future_alert_breaks_nothing() {
    let dir = tempdir();
    std::fs::write(dir.path().join("access.log"), sample_access_log()).unwrap();
    let alert = r#"{"receiver":"x","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Far","severity":"critical"},"annotations":{},"startsAt":"9999-12-31T23:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"a"}],"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"","version":"4","groupKey":"k"}"#;
    std::fs::write(dir.path().join("alerts.log"), format!("{alert}\n")).unwrap();
    let out = run(&["timeline", "--format", "json", dir.path().to_str().unwrap()]);
    let text = stdout(&out);
    let v: Value = serde_json::from_str(&text).unwrap();
    for i in v["incidents"].as_array().unwrap() {
        assert!(!i["peak"].is_null(), "{i}");
    }
    let years = regex::Regex::new(r#""(-?\d+)-\d\d-\d\dT"#).unwrap();
    for c in years.captures_iter(&text) {
        let y: i64 = c[1].parse().unwrap();
        assert!((1..=9999).contains(&y), "year {y}");
    }
}

/// The release binary carries no debug info, and the minimum Rust is stated.
#[test]
fn the_release_profile_strips_debug_info() {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(root().join("Cargo.toml")).unwrap()).unwrap();
    let release = &manifest["profile"]["release"];
    let debug = release.get("debug");
    assert!(
        matches!(
            debug,
            Some(toml::Value::Integer(0)) | Some(toml::Value::Boolean(false))
        ),
        "{debug:?}"
    );
    assert!(release.get("strip").is_some(), "{release:?}");
    assert!(manifest["package"].get("rust-version").is_some());
}

/// The same nginx error with and without its `referrer:` suffix is one
/// entry of the report, counted together.
#[test]
fn the_same_error_with_and_without_a_referrer_is_one_report_entry() {
    let dir = tempdir();
    std::fs::write(dir.path().join("access.log"), sample_access_log()).unwrap();
    let mut errors = String::new();
    for i in 0..30 {
        errors.push_str(&format!(
            "2024/03/09 08:{:02}:{:02} [error] 812#812: *{} upstream prematurely closed connection while reading response header from upstream, client: 10.9.{i}.7, server: shop.example.com, request: \"GET /api/cart HTTP/1.1\", upstream: \"http://10.0.1.12:8080/api/cart\", host: \"shop.example.com\"{}\n",
            41 + i / 10,
            i % 60,
            1000 + i,
            if i % 2 == 1 { format!(", referrer: \"https://shop.example.com/p/{i}\"") } else { String::new() }
        ));
    }
    std::fs::write(dir.path().join("error.log"), errors).unwrap();
    let md = stdout(&run(&["report", "-o", "-", dir.path().to_str().unwrap()]));
    let entries: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("- ") && l.contains("`error.log`:"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert!(entries[0].contains("×30"), "{}", entries[0]);
}
