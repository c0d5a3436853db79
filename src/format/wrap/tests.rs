//! Wrappers: every envelope around the same nginx line gives the same
//! request; split lines are joined; the envelope's time, level and host
//! are used where the inner line lacks them; detection picks the wrapper
//! only where it should.

use crate::format::testkit::{check_in, framing, message, mutated_line, random_bytes, request};
use crate::format::{by_name, detect, per_line};
use crate::record::{Level, Parsed};
use crate::time::{TimeCtx, YearAnchor, Zone};
use proptest::prelude::*;

fn ctx() -> TimeCtx {
    TimeCtx::new(Zone::Utc, YearAnchor::End(1_700_000_000))
}

/// An nginx combined line (the shape of nginx's documentation example).
const NGINX: &str =
    r#"10.1.2.3 - - [10/Oct/2023:13:55:36 +0000] "GET /api/cart HTTP/1.1" 502 157 "-" "curl/8.0""#;

/// The same line in every envelope, as each shipper writes it.
fn wrapped_lines() -> Vec<(&'static str, String)> {
    let escaped = NGINX.replace('"', "\\\"");
    vec![
        (
            "docker/nginx_access",
            format!(r#"{{"log":"{escaped}\n","stream":"stdout","time":"2023-10-10T13:55:36.5Z"}}"#),
        ),
        (
            "cri/nginx_access",
            format!("2023-10-10T13:55:36.500000000Z stdout F {NGINX}"),
        ),
        (
            "journald/nginx_access",
            format!(
                r#"{{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1696946136500000","PRIORITY":"6","_HOSTNAME":"lb-1","SYSLOG_IDENTIFIER":"nginx","MESSAGE":"{escaped}"}}"#
            ),
        ),
        (
            "kubectl/nginx_access",
            format!("2023-10-10T13:55:36.500000000Z {NGINX}"),
        ),
        (
            "kubectl/nginx_access",
            format!("[pod/web-7d4b9c/nginx] {NGINX}"),
        ),
        ("compose/nginx_access", format!("web-1  | {NGINX}")),
        (
            "logcli/nginx_access",
            format!(
                r#"{{"labels":{{"job":"nginx","host":"lb-1"}},"line":"{escaped}","timestamp":"2023-10-10T13:55:36.5Z"}}"#
            ),
        ),
        (
            "cloudwatch/nginx_access",
            format!(
                r#"{{"logStreamName":"i-0abc","timestamp":1696946136500,"message":"{escaped}","ingestionTime":1696946137000,"eventId":"1"}}"#
            ),
        ),
        (
            "aws_tail/nginx_access",
            format!("2023-10-10T13:55:36.500000+00:00 i-0abc {NGINX}"),
        ),
        (
            "otel/nginx_access",
            format!(
                r#"{{"resourceLogs":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"lb"}}}}]}},"scopeLogs":[{{"scope":{{}},"logRecords":[{{"timeUnixNano":"1696946136500000000","body":{{"stringValue":"{escaped}"}}}}]}}]}}]}}"#
            ),
        ),
    ]
}

#[test]
fn every_envelope_gives_the_inner_request() {
    let want = request()
        .at("2023-10-10T13:55:36Z")
        .status(502)
        .failed(true)
        .client("10.1.2.3");
    for (name, line) in wrapped_lines() {
        let format = by_name(name).unwrap_or_else(|| panic!("{name}"));
        check_in(format, ctx, &[(line.as_str(), want.clone())]);
        // And detection reads a file of such lines so.
        let lines: Vec<&[u8]> = std::iter::repeat_n(line.as_bytes(), 5).collect();
        let found = detect(&lines, &mut ctx()).unwrap_or_else(|| panic!("{line}"));
        assert_eq!(found.name(), name, "{line}");
        check_in(found, ctx, &[(line.as_str(), want.clone())]);
    }
}

#[test]
fn plain_files_stay_plain() {
    let files: [(&str, &[&str]); 4] = [
        ("nginx_access", &[NGINX, NGINX]),
        // A timestamped application log is no kubectl output.
        (
            "timestamped",
            &[
                "2023-10-10T13:55:36Z INFO started",
                "2023-10-10T13:55:37Z WARN slow upstream",
            ],
        ),
        (
            "json",
            &[r#"{"time":"2023-10-10T13:55:36Z","level":"error","msg":"upstream timeout"}"#],
        ),
        (
            "apache_error",
            &["[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6"],
        ),
    ];
    for (want, lines) in files {
        let lines: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        assert_eq!(detect(&lines, &mut ctx()).map(|f| f.name()), Some(want));
    }
}

#[test]
fn split_lines_are_joined() {
    // CRI: `P` parts, then the `F` part.
    let cri = by_name("cri/nginx_access").unwrap();
    let (a, b) = NGINX.split_at(40);
    let mut c = ctx();
    let first = format!("2023-10-10T13:55:36.4Z stdout P {a}");
    assert_eq!(cri.parse(first.as_bytes(), &mut c), Parsed::Held);
    let last = format!("2023-10-10T13:55:36.5Z stdout F {b}");
    let p = cri.parse(last.as_bytes(), &mut c);
    request().status(502).client("10.1.2.3").assert(&p, b);
    assert!(c.pending.is_empty());
    // Docker: an entry without its newline is the first part.
    let docker = by_name("docker/nginx_access").unwrap();
    let esc = |s: &str| s.replace('"', "\\\"");
    let mut c = ctx();
    let first = format!(
        r#"{{"log":"{}","stream":"stdout","time":"2023-10-10T13:55:36Z"}}"#,
        esc(a)
    );
    let last = format!(
        r#"{{"log":"{}\n","stream":"stdout","time":"2023-10-10T13:55:36Z"}}"#,
        esc(b)
    );
    assert_eq!(docker.parse(first.as_bytes(), &mut c), Parsed::Held);
    request()
        .status(502)
        .assert(&docker.parse(last.as_bytes(), &mut c), &last);
}

/// Each stream's pieces are joined apart: a stderr line between two
/// stdout pieces is a line of its own (Docker's stdout and stderr copiers
/// write to the same file).
#[test]
fn split_lines_join_per_stream() {
    let (a, b) = NGINX.split_at(40);
    let esc = |s: &str| s.replace('"', "\\\"");
    let docker = by_name("docker/nginx_access").unwrap();
    let mut c = ctx();
    let first = format!(
        r#"{{"log":"{}","stream":"stdout","time":"2023-10-10T13:55:36Z"}}"#,
        esc(a)
    );
    let other =
        r#"{"log":"unfiltered\n","stream":"stderr","time":"2017-11-09T13:27:36.277747246Z"}"#;
    let last = format!(
        r#"{{"log":"{}\n","stream":"stdout","time":"2023-10-10T13:55:36Z"}}"#,
        esc(b)
    );
    assert_eq!(docker.parse(first.as_bytes(), &mut c), Parsed::Held);
    message()
        .text("unfiltered")
        .assert(&docker.parse(other.as_bytes(), &mut c), other);
    request()
        .status(502)
        .assert(&docker.parse(last.as_bytes(), &mut c), &last);
    assert!(c.pending.is_empty() && c.pending_stderr.is_empty());
    // CRI the same.
    let cri = by_name("cri/nginx_access").unwrap();
    let mut c = ctx();
    let first = format!("2023-10-10T13:55:36.4Z stdout P {a}");
    let other = "2023-10-10T13:55:36.45Z stderr F unfiltered";
    let last = format!("2023-10-10T13:55:36.5Z stdout F {b}");
    assert_eq!(cri.parse(first.as_bytes(), &mut c), Parsed::Held);
    message()
        .text("unfiltered")
        .assert(&cri.parse(other.as_bytes(), &mut c), other);
    request()
        .status(502)
        .client("10.1.2.3")
        .assert(&cri.parse(last.as_bytes(), &mut c), &last);
}

/// Docker entries a shipper stripped to `{"log": …}` (no time, no
/// stream) are Docker's when they hold nothing else; an application's
/// JSON line with a `log` key among its own is not; an entry that lost
/// its opening brace is still read (filebeat's docker_corrupted.log).
#[test]
fn docker_entries_without_time_or_brace() {
    let docker = by_name("docker/text").unwrap();
    let mut c = ctx();
    let piece = r#"{"log":"2023-10-10 first half "}"#;
    let end = r#"{"log":"second half\n"}"#;
    assert_eq!(docker.parse(piece.as_bytes(), &mut c), Parsed::Held);
    assert_eq!(c.pending, b"2023-10-10 first half ");
    let _ = docker.parse(end.as_bytes(), &mut c);
    assert!(c.pending.is_empty());
    let app = r#"{"log":"started","level":"info","ts":"2023-10-10T13:55:36Z"}"#;
    let w = crate::format::wrap::wrapper_by_name("docker").unwrap();
    assert!(matches!(
        w.open(app.as_bytes(), &mut ctx()),
        crate::format::wrap::Envelope::Not
    ));
    let cut = r#""log":"cp packetbeat.yml /build/packetbeat-linux.yml\n","stream":"stdout","time":"2016-03-02T22:59:04.647847045Z"}"#;
    message()
        .at("2016-03-02T22:59:04.647847Z")
        .text("cp packetbeat.yml /build/packetbeat-linux.yml")
        .assert(&docker.parse(cut.as_bytes(), &mut ctx()), cut);
}

/// With a time on every entry, a plain line is a message of its own even
/// where the inner format (Redis: any line not starting with a digit
/// continues) would glue it to the record before; a stack frame still
/// continues it (filebeat's TestDockerJSON inputs).
#[test]
fn an_envelope_time_outranks_a_loose_continuation() {
    let redis = by_name("docker/redis").unwrap();
    let mut c = ctx();
    let rec = r#"{"log":"1:M 09 Nov 13:27:36.276 # User requested shutdown...\n","stream":"stdout","time":"2017-11-09T13:27:36.277747246Z"}"#;
    let plain = r#"{"log":"filtered\n","stream":"stdout","time":"2017-11-09T13:27:36.277747246Z"}"#;
    let frame = r#"{"log":"\tat com.example.App.main(App.java:10)\n","stream":"stdout","time":"2017-11-09T13:27:36.277747246Z"}"#;
    let head = r#"{"log":"java.lang.IllegalStateException: boom\n","stream":"stdout","time":"2017-11-09T13:27:36.277747246Z"}"#;
    assert!(redis.parse(rec.as_bytes(), &mut c).is_record());
    // The scanner notes the record is open for continuation lines.
    c.in_record = true;
    message()
        .text("filtered")
        .assert(&redis.parse(plain.as_bytes(), &mut c), plain);
    assert_eq!(redis.parse(head.as_bytes(), &mut c), Parsed::Continuation);
    assert_eq!(redis.parse(frame.as_bytes(), &mut c), Parsed::Continuation);
}

#[test]
fn the_envelope_fills_what_the_inner_line_lacks() {
    let rows = [
        // journald: PRIORITY is the level, _HOSTNAME the host, the time its own.
        (
            r#"{"__REALTIME_TIMESTAMP":"1696946136500000","PRIORITY":"3","_HOSTNAME":"web-2","SYSLOG_IDENTIFIER":"kubelet","MESSAGE":"Failed to pull image"}"#,
            message()
                .at("2023-10-10T13:55:36.500Z")
                .level(Level::Error)
                .field("host", "web-2")
                .field("ident", "kubelet")
                .text("Failed to pull image"),
        ),
    ];
    check_in(by_name("journald/text").unwrap(), ctx, &rows);
    // Docker: a line in no format is a message at the runtime's time.
    let rows = [(
        r#"{"log":"Listening on :8080\n","stream":"stderr","time":"2019-01-01T11:11:11.111111111Z"}"#,
        message()
            .at("2019-01-01T11:11:11.111111Z")
            .text("Listening on :8080")
            .field("stream", "stderr"),
    )];
    check_in(by_name("docker/text").unwrap(), ctx, &rows);
    // The inner line's own time wins over the shipping time.
    let rows = [(
        r#"{"log":"{\"ts\":\"2019-01-01T11:11:10Z\",\"level\":\"error\",\"msg\":\"boom\"}\n","stream":"stdout","time":"2019-01-01T11:11:11Z"}"#,
        message().at("2019-01-01T11:11:10Z").level(Level::Error),
    )];
    check_in(by_name("docker/json").unwrap(), ctx, &rows);
}

#[test]
fn cloudwatch_documents_pretty_or_on_one_line() {
    let pretty = [
        "{",
        r#"    "events": ["#,
        "        {",
        r#"            "logStreamName": "2015/06/01/[$LATEST]abc","#,
        r#"            "timestamp": 1433190184356,"#,
        r#"            "message": "START RequestId: 3e2d Version: $LATEST\n","#,
        r#"            "ingestionTime": 1433190184358,"#,
        r#"            "eventId": "31953106606966983378809025079804211143289615424298221568""#,
        "        },",
        "        {",
        r#"            "timestamp": 1433190184360,"#,
        r#"            "message": "ERROR connection refused","#,
        r#"            "ingestionTime": 1433190184361"#,
        "        }",
        "    ],",
        r#"    "searchedLogStreams": []"#,
        "}",
    ];
    let lines: Vec<&[u8]> = pretty.iter().map(|l| l.as_bytes()).collect();
    let format = detect(&lines, &mut ctx()).expect("detected");
    assert!(
        format.name().starts_with("cloudwatch/"),
        "{}",
        format.name()
    );
    let mut c = ctx();
    let records: Vec<Parsed> = lines
        .iter()
        .map(|l| format.parse(l, &mut c))
        .filter(Parsed::is_record)
        .collect();
    assert_eq!(records.len(), 2, "{records:?}");
    message()
        .at("2015-06-01T20:23:04.356Z")
        .text("START RequestId: 3e2d Version: $LATEST")
        .assert(&records[0], pretty[8]);
    message()
        .at("2015-06-01T20:23:04.360Z")
        .assert(&records[1], pretty[13]);
    // The same document on one line: a batch.
    let one = r#"{"events":[{"timestamp":1433190184356,"message":"a"},{"timestamp":1433190184360,"message":"b"}]}"#;
    let p = by_name("cloudwatch/text")
        .unwrap()
        .parse(one.as_bytes(), &mut ctx());
    assert!(
        matches!(&p, Parsed::Batch(items) if items.len() == 2),
        "{p:?}"
    );
}

#[test]
fn otel_records_take_their_severity_and_service() {
    let line = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"1581452773000000789","severityNumber":17,"body":{"stringValue":"payment failed"}},{"timeUnixNano":"1581452774000000000","severityText":"Info","body":{"stringValue":"ok"}}]}]}]}"#;
    let p = by_name("otel/text")
        .unwrap()
        .parse(line.as_bytes(), &mut ctx());
    let Parsed::Batch(items) = p else {
        panic!("{p:?}")
    };
    message()
        .at("2020-02-11T20:26:13Z")
        .level(Level::Error)
        .field("service", "checkout")
        .text("payment failed")
        .assert(&items[0], line);
    message().level(Level::Info).assert(&items[1], line);
}

#[test]
fn wrapped_envelopes_nest() {
    // CRI lines shipped again by Docker's json-file driver.
    let line = format!(
        r#"{{"log":"2023-10-10T13:55:36.5Z stdout F {}\n","stream":"stdout","time":"2023-10-10T13:55:37Z"}}"#,
        NGINX.replace('"', "\\\"")
    );
    let lines: Vec<&[u8]> = vec![line.as_bytes(); 3];
    let f = detect(&lines, &mut ctx()).unwrap();
    assert_eq!(f.name(), "docker/cri/nginx_access");
    request()
        .status(502)
        .assert(&f.parse(line.as_bytes(), &mut ctx()), &line);
}

#[test]
fn mixed_files_read_each_line_with_the_format_that_fits() {
    // An Envoy access log beside Envoy's own notices.
    let envoy = per_line(by_name("envoy").unwrap());
    let rows = [
        (
            r#"[2019-04-11T00:52:07.980Z] "GET /api HTTP/1.1" 503 UH 0 91 0 - "10.0.0.1" "curl/7.54" "a1" "svc" "-""#,
            request().status(503),
        ),
        (
            "[2019-04-11 00:52:07.980][1][warning][upstream] [source/common/upstream/cluster_manager_impl.cc:500] no healthy host",
            message().at("2019-04-11T00:52:07.980Z"),
        ),
        ("", crate::format::testkit::unparsed()),
    ];
    check_in(envoy, ctx, &rows);
    let _ = framing;
}

/// Real lines of every envelope, for the property tests.
fn real() -> Vec<String> {
    wrapped_lines().into_iter().map(|(_, l)| l).collect()
}

proptest! {
    #[test]
    fn random_bytes_never_panic(line in random_bytes(300)) {
        for (name, _) in wrapped_lines() {
            let _ = by_name(name).unwrap().parse(&line, &mut ctx());
        }
    }

    #[test]
    fn mutated_lines_never_panic(line in mutated_line(real())) {
        let mut c = ctx();
        for (name, _) in wrapped_lines() {
            let _ = by_name(name).unwrap().parse(&line, &mut c);
        }
        let _ = detect(&[line.as_slice()], &mut ctx());
    }
}

#[test]
fn each_writer_of_an_interleaved_envelope_gets_its_own_format() {
    let pg =
        "2023-10-10 13:55:30.123 UTC [61] LOG:  database system is ready to accept connections";
    let app = r#"{"time":"2023-10-10T13:55:37Z","level":"error","msg":"upstream timeout"}"#;
    let mut file = Vec::new();
    for _ in 0..4 {
        file.push(format!("web-1  | {NGINX}"));
        file.push(format!("db-1   | {pg}"));
        file.push(format!("api-2  | {app}"));
        file.push(format!("web-2  | {NGINX}"));
    }
    let lines: Vec<&[u8]> = file.iter().map(|l| l.as_bytes()).collect();
    let f = detect(&lines, &mut ctx()).expect("detected");
    assert!(f.name().starts_with("compose/"), "{}", f.name());
    // The nginx lines make the file's requests front traffic.
    assert_eq!(f.request_role(), crate::format::Role::Front);
    let mut c = ctx();
    request()
        .status(502)
        .client("10.1.2.3")
        .assert(&f.parse(lines[0], &mut c), &file[0]);
    message()
        .at("2023-10-10T13:55:30.123Z")
        .text_contains("ready to accept connections")
        .assert(&f.parse(lines[1], &mut c), &file[1]);
    message()
        .level(Level::Error)
        .text("upstream timeout")
        .assert(&f.parse(lines[2], &mut c), &file[2]);
}

#[test]
fn a_stack_trace_shipped_line_by_line_continues_its_record() {
    let docker = by_name("docker/text").unwrap();
    let entry = |log: &str| {
        format!(
            r#"{{"log":"{}\n","stream":"stderr","time":"2018-02-19T23:25:29.1845444Z"}}"#,
            log.replace('\t', "\\t")
        )
    };
    let mut c = ctx();
    let head = entry(r#"Exception in thread main java.lang.RuntimeException: boom"#);
    message()
        .text_prefix("Exception in thread")
        .assert(&docker.parse(head.as_bytes(), &mut c), &head);
    c.in_record = true;
    for frame in [
        "\tat com.example.App.run(App.java:22)",
        "Caused by: java.io.IOException: reset",
    ] {
        let line = entry(frame);
        assert_eq!(
            docker.parse(line.as_bytes(), &mut c),
            Parsed::Continuation,
            "{line}"
        );
    }
}

/// A trace with nothing before it to continue (a container's log that
/// starts with an uncaught exception) is a message at its entry's time,
/// its frames continue it; a trace line shipped seconds after the line
/// before is no part of that record (a runtime writes a trace at once).
#[test]
fn a_trace_with_nothing_before_it_or_long_after_starts_a_record() {
    let docker = by_name("docker/text").unwrap();
    let entry = |log: &str, time: &str| {
        format!(r#"{{"log":"{log}\n","stream":"stderr","time":"2018-02-19T23:25:{time}Z"}}"#)
    };
    let mut c = ctx();
    let head = entry("Traceback (most recent call last):", "29.100");
    message()
        .at("2018-02-19T23:25:29.100Z")
        .text("Traceback (most recent call last):")
        .assert(&docker.parse(head.as_bytes(), &mut c), &head);
    c.in_record = true;
    let frame = entry("  File /app/main.py, line 3, in run", "29.101");
    assert_eq!(
        docker.parse(frame.as_bytes(), &mut c),
        Parsed::Continuation,
        "{frame}"
    );
    // The exception's line ends the traceback, even a bare `Exception`;
    // after it, the same words are a message again.
    let tail = entry("Exception: ('spam', 'eggs')", "29.102");
    assert_eq!(
        docker.parse(tail.as_bytes(), &mut c),
        Parsed::Continuation,
        "{tail}"
    );
    let after = entry("Exception: not in a traceback", "29.103");
    message()
        .text("Exception: not in a traceback")
        .assert(&docker.parse(after.as_bytes(), &mut c), &after);
    let later = entry("java.lang.IllegalStateException: pool is full", "35.000");
    message()
        .at("2018-02-19T23:25:35Z")
        .text("java.lang.IllegalStateException: pool is full")
        .assert(&docker.parse(later.as_bytes(), &mut c), &later);
}

#[test]
fn pretty_printed_documents_are_one_record_each() {
    let doc = [
        "[",
        "  {",
        r#"    "time": "2018-10-29T12:49:42.123Z","#,
        r#"    "severity": "ERROR","#,
        r#"    "message": "a {brace} in \"text\"","#,
        r#"    "meta": {"a": [1, 2]}"#,
        "  },",
        "  {",
        r#"    "time": "2018-10-29T12:49:43Z", "severity": "INFO", "message": "ok""#,
        "  }",
        "]",
    ];
    let lines: Vec<&[u8]> = doc.iter().map(|l| l.as_bytes()).collect();
    let f = detect(&lines, &mut ctx()).expect("detected");
    assert_eq!(f.name(), "pretty/json");
    let mut c = ctx();
    let got: Vec<Parsed> = lines.iter().map(|l| f.parse(l, &mut c)).collect();
    assert_eq!(got[1], Parsed::Held);
    message()
        .at("2018-10-29T12:49:42.123Z")
        .level(Level::Error)
        .text(r#"a {brace} in "text""#)
        .assert(&got[6], doc[6]);
    message().at("2018-10-29T12:49:43Z").assert(&got[9], doc[9]);
    // JSON lines stay JSON lines.
    let one = [r#"{"time":"2018-10-29T12:49:42Z","msg":"x"}"#.as_bytes(); 3];
    assert_eq!(detect(&one, &mut ctx()).map(|f| f.name()), Some("json"));
}

/// A year-less line inside an envelope (syslog shipped by Docker) takes the
/// year that puts it just before its shipping time, not the year of the
/// other inputs' range: a December line shipped in March is of the year
/// before; `--year` still wins.
#[test]
fn a_yearless_inner_line_takes_its_year_from_the_envelope() {
    let docker = by_name("docker/syslog").unwrap();
    let line = r#"{"log":"Dec 14 06:41:08 web1 app[12]: started\n","stream":"stdout","time":"2021-03-01T10:00:00Z"}"#;
    let mut c = TimeCtx::new(Zone::Utc, YearAnchor::End(1_800_000_000));
    message()
        .at("2020-12-14T06:41:08Z")
        .assert(&docker.parse(line.as_bytes(), &mut c), line);
    assert_eq!(
        c.anchor,
        YearAnchor::End(1_800_000_000),
        "the file's anchor is kept"
    );
    let mut given = TimeCtx::new(
        Zone::Utc,
        YearAnchor::Start {
            year: 2023,
            first_month: 1,
        },
    );
    message()
        .at("2023-12-14T06:41:08Z")
        .assert(&docker.parse(line.as_bytes(), &mut given), line);
}
