//! Object inputs against `object_store`'s in-memory store.

use std::io::Write as _;

use object_store::memory::InMemory;
use object_store::PutPayload;

use super::*;

fn put(store: &Arc<dyn ObjectStore>, key: &str, data: Vec<u8>) {
    let s = store.clone();
    let p = StorePath::parse(key).unwrap();
    block_on(async move { s.put(&p, PutPayload::from(data)).await })
        .unwrap()
        .unwrap();
}

fn memory() -> Arc<dyn ObjectStore> {
    Arc::new(InMemory::new())
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn at(text: &str) -> Micros {
    crate::time::parse_user_time(text, crate::time::Zone::Utc).unwrap()
}

fn alb_key(stamp: &str) -> String {
    format!("AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/03/09/123456789012_elasticloadbalancing_us-east-1_app.my-lb.xxx_{stamp}_10.0.0.1_abc.log.gz")
}

#[test]
fn urls_name_a_bucket_and_a_key() {
    assert_eq!(
        ObjectUrl::parse("s3://logs/AWSLogs/1/").unwrap(),
        ObjectUrl {
            bucket: "logs".into(),
            key: "AWSLogs/1/".into()
        }
    );
    assert_eq!(ObjectUrl::parse("S3://logs").unwrap().key, "");
    for bad in ["s3://", "s3:///key", "s3://a b/k"] {
        let e = ObjectUrl::parse(bad).unwrap_err().to_string();
        assert!(e.starts_with(bad), "{e}");
    }
    assert!(is_url("s3://b/k") && !is_url("logs/s3://") && !is_url("s3:"));
}

#[test]
fn a_reader_streams_an_object_in_chunks_and_seeks() {
    let store = memory();
    // Over two chunks, so the reader crosses chunk boundaries with
    // requests in flight.
    let data: Vec<u8> = (0..(2 * CHUNK + 12_345)).map(|i| (i % 251) as u8).collect();
    put(&store, "big.bin", data.clone());
    let url = ObjectUrl::parse("s3://mem-reader/").unwrap();
    let listed = list_in("s3://mem-reader/", &url, store, KeyWindow::default()).unwrap();
    let Origin::Object(obj) = &listed.files[0].origin else {
        panic!("not an object");
    };
    assert_eq!(obj.size, data.len() as u64);
    let mut r = ObjectReader::new(obj.clone());
    let mut all = Vec::new();
    r.read_to_end(&mut all).unwrap();
    assert!(all == data, "bytes differ");
    r.seek(SeekFrom::Start(CHUNK - 3)).unwrap();
    let mut six = [0u8; 6];
    r.read_exact(&mut six).unwrap();
    assert_eq!(&six[..], &data[CHUNK as usize - 3..CHUNK as usize + 3]);
    r.seek(SeekFrom::End(-2)).unwrap();
    let mut tail = Vec::new();
    r.read_to_end(&mut tail).unwrap();
    assert_eq!(tail, &data[data.len() - 2..]);
    let ranges = fetch_ranges(obj, &[0..4, CHUNK..CHUNK + 4]).unwrap();
    assert_eq!(&ranges[1][..], &data[CHUNK as usize..CHUNK as usize + 4]);
}

#[test]
fn an_object_replaced_while_read_is_an_error_naming_it() {
    let store = memory();
    put(&store, "a.log", b"one\n".repeat(10));
    let url = ObjectUrl::parse("s3://mem-change/a.log").unwrap();
    let listed = list_in(
        "s3://mem-change/a.log",
        &url,
        store.clone(),
        KeyWindow::default(),
    )
    .unwrap();
    let f = &listed.files[0];
    assert!(f.explicit, "a key named is explicit");
    assert_eq!(f.display, "s3://mem-change/a.log");
    put(&store, "a.log", b"two\n".repeat(10));
    let Origin::Object(obj) = &f.origin else {
        panic!("not an object");
    };
    let e = ObjectReader::new(obj.clone())
        .read_to_end(&mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("s3://mem-change/a.log") && e.contains("changed"),
        "{e}"
    );
    let why = unchanged(obj).unwrap_err();
    assert!(why.contains("ETag"), "{why}");
}

#[test]
fn a_listing_skips_objects_whose_key_time_is_outside_the_window() {
    let store = memory();
    // A day of 5-minute objects.
    for k in 1..=288 {
        let (h, m) = ((k * 5) / 60, (k * 5) % 60);
        if h == 24 {
            continue;
        }
        put(
            &store,
            &alb_key(&format!("20240309T{h:02}{m:02}Z")),
            gz(b"x\n"),
        );
    }
    put(&store, "AWSLogs/notes.md", b"not a log".to_vec());
    let url = ObjectUrl::parse("s3://mem-alb/AWSLogs/").unwrap();
    let all = list_in(
        "s3://mem-alb/AWSLogs/",
        &url,
        store.clone(),
        KeyWindow::default(),
    )
    .unwrap();
    assert_eq!(all.files.len(), 288);
    assert_eq!(all.files.iter().filter(|f| f.not_read.is_some()).count(), 1);
    let window = KeyWindow {
        since: Some(at("2024-03-09T10:00:00Z")),
        until: Some(at("2024-03-09T12:00:00Z")),
    };
    let some = list_in("s3://mem-alb/AWSLogs/", &url, store, window).unwrap();
    let stamps: Vec<&str> = some
        .files
        .iter()
        .filter(|f| f.not_read.is_none())
        .filter_map(|f| f.display.split('_').nth(4))
        .collect();
    // 09:55 to 12:10: the window's objects (10:05 .. 12:00), and one
    // interval of margin each side.
    assert_eq!(stamps.first(), Some(&"20240309T0955Z"));
    assert_eq!(stamps.last(), Some(&"20240309T1210Z"));
    assert_eq!(stamps.len(), 28);
    let w = &some.warnings[0];
    assert_eq!(w.path, "s3://mem-alb/AWSLogs/");
    assert!(
        w.message.starts_with("259 of 288 objects not fetched")
            && w.message.contains("5 min of margin"),
        "{}",
        w.message
    );
}

#[test]
fn an_empty_prefix_is_an_error_naming_the_url() {
    let store = memory();
    put(&store, "logs/a.log", b"x\n".to_vec());
    let url = ObjectUrl::parse("s3://mem-empty/nothing/").unwrap();
    let e = list_in(
        "s3://mem-empty/nothing/",
        &url,
        store.clone(),
        KeyWindow::default(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.starts_with("s3://mem-empty/nothing/: no object"), "{e}");
    // A key that is no object reads as a prefix (like a folder).
    let url = ObjectUrl::parse("s3://mem-empty/logs").unwrap();
    let l = list_in("s3://mem-empty/logs", &url, store, KeyWindow::default()).unwrap();
    assert_eq!(l.files[0].display, "s3://mem-empty/logs/a.log");
    assert!(!l.files[0].explicit);
}

#[test]
fn objects_are_read_like_files_plain_compressed_and_damaged() {
    let store = memory();
    let text = b"2024-03-09 08:36:17,412 INFO hello\n".repeat(1000);
    put(&store, "l/plain.log", text.clone());
    put(&store, "l/packed.log.gz", gz(&text));
    let mut cut = gz(&text);
    cut.truncate(cut.len() / 2);
    put(&store, "l/cut.log.gz", cut);
    use_store("mem-read", store.clone());
    let (files, _) = crate::input::expand(&["s3://mem-read/l/".to_string()]).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.display.as_str()).collect();
    assert_eq!(
        names,
        [
            "s3://mem-read/l/cut.log.gz",
            "s3://mem-read/l/packed.log.gz",
            "s3://mem-read/l/plain.log"
        ]
    );
    for f in &files {
        let mut out = Vec::new();
        let mut err = None;
        crate::input::for_each_entry::<()>(f, true, None, &mut |e| {
            if let crate::input::Entry::Member(mut m) = e {
                if let Err(e) = m.reader.read_to_end(&mut out) {
                    err = Some(m.info.describe_error(&e));
                }
            }
            Ok(())
        })
        .unwrap();
        if f.display.contains("cut") {
            let e = err.expect("damage reported");
            assert!(e.contains("gzip"), "{e}");
            assert!(text.starts_with(&out));
        } else {
            assert!(err.is_none(), "{err:?}");
            assert!(out == text, "{}", f.display);
        }
    }
}

#[test]
fn the_second_read_fetches_blocks_and_leaves_out_an_object_that_changed() {
    let store = memory();
    let access = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini/lb/access.log"),
    )
    .unwrap();
    put(&store, "lb/access.log", access.clone());
    use_store("mem-reread", store.clone());
    let opts = crate::Options {
        // Small blocks: the window touches some of them only.
        block_size: 4096,
        ..crate::Options::default()
    };
    let a = crate::analyze(&["s3://mem-reread/lb/".to_string()], &opts).unwrap();
    let (_, before) = progress();
    let incidents = crate::find_incidents(&a);
    let (_, after) = progress();
    let impact = &incidents[0].impact;
    assert!(impact.clients_total.is_some_and(|n| n > 0), "{impact:?}");
    // Only the blocks that touch the window were fetched again (other
    // tests may fetch meanwhile, so this is a bound, not a count).
    assert!(after > before, "the second read fetched nothing");
    // Replaced after the first read: left out, saying what changed.
    let mut changed = access.clone();
    changed.extend_from_slice(&access[..200]);
    put(&store, "lb/access.log", changed);
    let incidents = crate::find_incidents(&a);
    let i = &incidents[0];
    assert_eq!(i.impact.clients_total, None);
    let w = i.warnings.join("\n");
    assert!(
        w.contains("s3://mem-reread/lb/access.log (changed since the first read: ETag"),
        "{w}"
    );
}
