//! Object-store inputs: `s3://bucket/prefix/` and `s3://bucket/key`,
//! read through Apache Arrow's `object_store` (S3 and S3-compatible
//! stores: MinIO, SeaweedFS, R2, GCS with HMAC keys).
//!
//! The scan stays synchronous: an [`ObjectReader`] is a `Read + Seek`
//! over ranged GETs, a few chunks in flight on a small tokio runtime
//! this module owns, so an object streams through the same block reader
//! and decoders as a file and memory stays flat. Every GET carries the
//! ETag the listing saw (`If-Match`), so an object replaced while it is
//! read is an error rather than a mix of two versions.
//!
//! Settings come from the standard `AWS_*` variables (see
//! [`store_for`]); a program embedding the library, or a test, can hand
//! in any store for a bucket with [`use_store`].

pub mod keytime;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::path::Path as StorePath;
use object_store::{GetOptions, GetRange, ObjectMeta, ObjectStore, ObjectStoreExt};

use super::{skip_by_name, InputError, InputFile, NotRead, Origin, Warning};
use crate::time::Micros;

/// The URL scheme of object-store inputs.
pub const SCHEME: &str = "s3://";

/// Bytes one ranged GET asks for: 8 MiB, the low end of the byte-range
/// size AWS advises for parallel fetches (an ALB's 5-minute object is
/// usually one GET).
pub const CHUNK: u64 = 8 << 20;
/// Ranged GETs one reader keeps in flight (so at most this many chunks
/// of an object are held at once).
pub const AHEAD: usize = 3;

/// Whether an argument names an object-store input.
pub fn is_url(arg: &str) -> bool {
    arg.len() >= SCHEME.len() && arg[..SCHEME.len()].eq_ignore_ascii_case(SCHEME)
}

/// One object to read.
pub struct ObjectRef {
    /// `s3://bucket/key`, as shown.
    pub url: String,
    pub store: Arc<dyn ObjectStore>,
    pub location: StorePath,
    pub size: u64,
    /// The ETag the listing saw; every read asks for it.
    pub etag: Option<String>,
}

impl fmt::Debug for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectRef")
            .field("url", &self.url)
            .field("size", &self.size)
            .field("etag", &self.etag)
            .finish()
    }
}

impl PartialEq for ObjectRef {
    fn eq(&self, other: &Self) -> bool {
        self.url == other.url && self.etag == other.etag && self.size == other.size
    }
}

impl Eq for ObjectRef {}

/// A bucket and key, from `s3://bucket/key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectUrl {
    pub bucket: String,
    pub key: String,
}

impl ObjectUrl {
    pub fn parse(url: &str) -> Result<ObjectUrl, InputError> {
        let bad = |why: &str| InputError::Remote {
            url: url.to_string(),
            message: why.to_string(),
        };
        if !is_url(url) {
            return Err(bad("not an s3:// URL"));
        }
        let rest = &url[SCHEME.len()..];
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = !bucket.is_empty()
            && bucket
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !valid_bucket {
            return Err(bad(
                "no bucket name (write s3://BUCKET/PREFIX/ or s3://BUCKET/KEY)",
            ));
        }
        Ok(ObjectUrl {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }

    fn of(&self, key: &str) -> String {
        format!("{SCHEME}{}/{key}", self.bucket)
    }
}

/// The runtime the object reads run on: two worker threads, started on
/// first use, for the life of the process.
fn runtime() -> io::Result<&'static tokio::runtime::Runtime> {
    static RT: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("postmortem-s3")
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| io::Error::other(format!("cannot start the object-store runtime: {e}")))
}

/// Runs a future on the runtime and waits for it.
fn block_on<T: Send + 'static>(
    fut: impl std::future::Future<Output = T> + Send + 'static,
) -> io::Result<T> {
    let rt = runtime()?;
    rt.block_on(rt.spawn(fut))
        .map_err(|e| io::Error::other(format!("object-store task failed: {e}")))
}

fn stores() -> &'static Mutex<HashMap<String, Arc<dyn ObjectStore>>> {
    static STORES: OnceLock<Mutex<HashMap<String, Arc<dyn ObjectStore>>>> = OnceLock::new();
    STORES.get_or_init(Default::default)
}

/// Reads `s3://BUCKET/…` from `store` from now on (a program embedding
/// the library, a test with an in-memory store).
pub fn use_store(bucket: &str, store: Arc<dyn ObjectStore>) {
    if let Ok(mut s) = stores().lock() {
        s.insert(bucket.to_string(), store);
    }
}

/// How long a connection may take to open, and one request to finish.
const CONNECT_TIMEOUT: &str = "5s";
const REQUEST_TIMEOUT: &str = "30s";

/// The store for a bucket: one handed in with [`use_store`], else one
/// built from the standard `AWS_*` variables: `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` (or
/// `AWS_DEFAULT_REGION`), `AWS_ENDPOINT_URL` for S3-compatible stores
/// (plain `http://` allowed for it, or with `AWS_ALLOW_HTTP=true`),
/// `AWS_SKIP_SIGNATURE=true` for public buckets, and the web-identity and
/// container credential variables. Requests time out (5 s to connect,
/// 30 s each, so an 8 MiB chunk needs 280 kB/s) and are retried at most three times within 15 s.
pub fn store_for(bucket: &str) -> Result<Arc<dyn ObjectStore>, String> {
    if let Some(s) = stores().lock().ok().and_then(|s| s.get(bucket).cloned()) {
        return Ok(s);
    }
    let store = build_store(bucket)?;
    if let Ok(mut s) = stores().lock() {
        s.insert(bucket.to_string(), store.clone());
    }
    Ok(store)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn build_store(bucket: &str) -> Result<Arc<dyn ObjectStore>, String> {
    use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey as K};
    use object_store::ClientConfigKey as C;
    // The TLS stack's cryptography (rustls with ring); a second install
    // is refused harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let signed_by_env = env("AWS_ACCESS_KEY_ID").is_some()
        || env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some()
        || env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
        || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some();
    let unsigned = env("AWS_SKIP_SIGNATURE").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !signed_by_env && !unsigned {
        // Without them object_store would ask the EC2 instance metadata
        // service, which off EC2 is a wait for nothing.
        return Err("no AWS credentials in the environment: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (for a profile or an SSO session: eval \"$(aws configure export-credentials --format env)\"), or AWS_SKIP_SIGNATURE=true for a public bucket".into());
    }
    let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
    if env("AWS_REGION").is_none() && env("AWS_DEFAULT_REGION").is_none() {
        b = b.with_config(K::Region, "us-east-1");
    }
    let endpoint = env("AWS_ENDPOINT_URL_S3").or_else(|| env("AWS_ENDPOINT_URL"));
    if endpoint
        .as_deref()
        .is_some_and(|e| e.to_ascii_lowercase().starts_with("http://"))
    {
        b = b.with_config(K::Client(C::AllowHttp), "true");
    }
    b = b
        .with_config(K::Client(C::ConnectTimeout), CONNECT_TIMEOUT)
        .with_config(K::Client(C::Timeout), REQUEST_TIMEOUT)
        .with_retry(object_store::RetryConfig {
            backoff: object_store::BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(2),
                base: 2.0,
            },
            max_retries: 3,
            retry_timeout: Duration::from_secs(15),
        });
    let store = b.build().map_err(|e| short_error(&e))?;
    Ok(Arc::new(store))
}

/// The words of an object-store error that matter to a person: the
/// innermost cause, and the S3 error code when the server sent one.
pub fn short_error(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut inner: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(s) = inner {
        text = s.to_string();
        inner = s.source();
    }
    let full = format!("{e}");
    const CODES: &[(&str, &str)] = &[
        ("NoSuchBucket", "the bucket does not exist"),
        ("NoSuchKey", "no such object"),
        (
            "InvalidAccessKeyId",
            "the access key is not known to the store",
        ),
        (
            "SignatureDoesNotMatch",
            "the secret key does not match the access key",
        ),
        ("ExpiredToken", "the session token has expired"),
        ("InvalidToken", "the session token is not valid"),
        ("AccessDenied", "access denied"),
    ];
    if let Some((code, what)) = CODES.iter().find(|(c, _)| full.contains(c)) {
        let hint = match *code {
            "NoSuchBucket" | "NoSuchKey" => "check the URL",
            _ => "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and the bucket's policy",
        };
        return format!("{what} ({code}); {hint}");
    }
    let lower = full.to_ascii_lowercase();
    if lower.contains("error sending request")
        || lower.contains("connect")
        || lower.contains("dns")
        || lower.contains("timed out")
    {
        let endpoint = env("AWS_ENDPOINT_URL_S3")
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| "the S3 endpoint".into());
        return format!("cannot reach {endpoint}: {text} (check AWS_ENDPOINT_URL and the network)");
    }
    text
}

fn store_error(e: &object_store::Error) -> String {
    match e {
        object_store::Error::NotFound { .. } => {
            let s = short_error(e);
            if s.contains("NoSuch") {
                s
            } else {
                "not found (no such bucket or object); check the URL".into()
            }
        }
        object_store::Error::Unauthenticated { .. }
        | object_store::Error::PermissionDenied { .. } => {
            let s = short_error(e);
            if s.contains("check AWS_") {
                s
            } else {
                format!("{s}; check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and the bucket's policy")
            }
        }
        object_store::Error::Precondition { .. } => {
            "the object changed while it was read (its ETag is not the one listed)".into()
        }
        _ => short_error(e),
    }
}

/// Objects and stored bytes fetched so far in this process (for progress).
static OBJECTS_OPENED: AtomicU64 = AtomicU64::new(0);
static BYTES_FETCHED: AtomicU64 = AtomicU64::new(0);

/// (objects opened, stored bytes fetched) so far in this process.
pub fn progress() -> (u64, u64) {
    (
        OBJECTS_OPENED.load(Ordering::Relaxed),
        BYTES_FETCHED.load(Ordering::Relaxed),
    )
}

/// What listing one URL found.
pub struct Listed {
    pub files: Vec<InputFile>,
    pub warnings: Vec<Warning>,
}

/// The `--since`/`--until` a listing may skip objects by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct KeyWindow {
    pub since: Option<Micros>,
    pub until: Option<Micros>,
}

/// Lists one argument: `s3://bucket/key` names one object (explicit, as
/// a file named on the command line); `s3://bucket/prefix/` (or a key
/// that is no object) every object under the prefix, in key order, with
/// those whose key's time is outside `window` (± one interval) not
/// fetched and counted in a warning.
///
/// The listing is made once per process for each URL: a run expands its
/// arguments more than once (checking `--skew` paths, sizing the
/// progress bar, reading), and a listing is requests, not a lookup.
pub fn list(arg: &str, window: KeyWindow) -> Result<Listed, InputError> {
    type Cache = Mutex<HashMap<String, Arc<Found>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let url = ObjectUrl::parse(arg)?;
    let store = store_for(&url.bucket).map_err(|message| InputError::Remote {
        url: arg.to_string(),
        message,
    })?;
    let cache = CACHE.get_or_init(Default::default);
    let cached = cache.lock().ok().and_then(|c| c.get(arg).cloned());
    let found = match cached {
        Some(f) => f,
        None => {
            let f = Arc::new(find(arg, &url, &store)?);
            if let Ok(mut c) = cache.lock() {
                c.insert(arg.to_string(), f.clone());
            }
            f
        }
    };
    Ok(select(arg, &url, &store, &found, window))
}

/// [`list`] with the store given (not cached).
pub fn list_in(
    arg: &str,
    url: &ObjectUrl,
    store: Arc<dyn ObjectStore>,
    window: KeyWindow,
) -> Result<Listed, InputError> {
    let found = find(arg, url, &store)?;
    Ok(select(arg, url, &store, &found, window))
}

/// What a URL names: one object, or the objects under a prefix.
enum Found {
    One(ObjectMeta),
    Under(Vec<ObjectMeta>),
}

fn find(arg: &str, url: &ObjectUrl, store: &Arc<dyn ObjectStore>) -> Result<Found, InputError> {
    let fail = |message: String| InputError::Remote {
        url: arg.to_string(),
        message,
    };
    let location = |key: &str| {
        StorePath::parse(key.trim_end_matches('/'))
            .map_err(|e| fail(format!("not a key the store can name: {e}")))
    };
    if !url.key.is_empty() && !url.key.ends_with('/') {
        let s = store.clone();
        let p = location(&url.key)?;
        match block_on(async move { s.head(&p).await }).map_err(|e| fail(e.to_string()))? {
            Ok(meta) => return Ok(Found::One(meta)),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(fail(store_error(&e))),
        }
    }
    let prefix = if url.key.is_empty() {
        None
    } else {
        Some(location(&url.key)?)
    };
    let s = store.clone();
    let mut metas = block_on(async move {
        let mut out: Vec<ObjectMeta> = Vec::new();
        let mut stream = s.list(prefix.as_ref());
        while let Some(m) = stream.next().await {
            out.push(m?);
        }
        Ok::<_, object_store::Error>(out)
    })
    .map_err(|e| fail(e.to_string()))?
    .map_err(|e| fail(store_error(&e)))?;
    if metas.is_empty() {
        return Err(fail(if url.key.is_empty() {
            "the bucket is empty".into()
        } else {
            "no object has this key or lies under this prefix; check the URL".into()
        }));
    }
    // In the order a folder of the same files is walked (by component:
    // `a/b.log` before `a-c.log`), so the inputs come in the same order.
    metas.sort_by(|a, b| {
        a.location
            .as_ref()
            .split('/')
            .cmp(b.location.as_ref().split('/'))
    });
    Ok(Found::Under(metas))
}

/// The inputs of a listing, under `window`.
fn select(
    arg: &str,
    url: &ObjectUrl,
    store: &Arc<dyn ObjectStore>,
    found: &Found,
    window: KeyWindow,
) -> Listed {
    let metas = match found {
        Found::One(meta) => {
            let key = meta.location.to_string();
            return Listed {
                files: vec![object_input(url.of(&key), store, meta.clone(), true)],
                warnings: Vec::new(),
            };
        }
        Found::Under(metas) => metas,
    };
    let times: Vec<Option<keytime::KeyTime>> = metas
        .iter()
        .map(|m| keytime::key_time(m.location.as_ref()))
        .collect();
    let intervals = keytime::intervals(&times.iter().flatten().copied().collect::<Vec<_>>());
    let mut files = Vec::with_capacity(metas.len());
    let mut skipped = 0usize;
    let mut by_name = 0usize;
    let mut margin: Micros = 0;
    for (meta, t) in metas.iter().zip(times) {
        if let (true, Some(t)) = (window != KeyWindow::default(), t) {
            let interval = intervals.get(&t.layout).copied().unwrap_or_default();
            let cover = keytime::covers(t, interval);
            if !keytime::may_meet(cover, window.since, window.until, interval) {
                skipped += 1;
                margin = margin.max(interval);
                continue;
            }
        }
        let key = meta.location.to_string();
        let name = key.rsplit('/').next().unwrap_or(&key).to_string();
        let mut file = object_input(url.of(&key), store, meta.clone(), false);
        if let Some(reason) = skip_by_name(&name) {
            by_name += 1;
            file.not_read = Some(NotRead {
                reason,
                quiet: true,
            });
        }
        files.push(file);
    }
    let mut warnings = Vec::new();
    if skipped > 0 {
        warnings.push(Warning {
            path: arg.to_string(),
            message: format!(
                "{} of {} objects not fetched: the times in their keys lie outside --since/--until (with {} of margin each side)",
                crate::display::group_thousands(skipped as u64),
                crate::display::group_thousands(metas.len() as u64),
                crate::time::format_duration(margin / crate::time::SEC)
            ),
        });
    }
    if by_name > 0 {
        warnings.push(Warning {
            path: arg.to_string(),
            message: format!(
                "{by_name} object{} not read for {} name (hidden files, images, documents…; `postmortem formats` lists them)",
                if by_name == 1 { "" } else { "s" },
                if by_name == 1 { "its" } else { "their" }
            ),
        });
    }
    Listed { files, warnings }
}

fn object_input(
    url: String,
    store: &Arc<dyn ObjectStore>,
    meta: ObjectMeta,
    explicit: bool,
) -> InputFile {
    let size = meta.size;
    let mtime = Some(meta.last_modified.timestamp());
    let object = ObjectRef {
        url: url.clone(),
        store: store.clone(),
        location: meta.location,
        size,
        etag: meta.e_tag,
    };
    let mut f = InputFile::new(url, Origin::Object(Arc::new(object)), explicit);
    f.size = size;
    f.mtime = mtime;
    f
}

/// Fetches `range` of an object, provided it still has the listed ETag.
async fn fetch(
    store: Arc<dyn ObjectStore>,
    location: StorePath,
    etag: Option<String>,
    range: std::ops::Range<u64>,
) -> io::Result<Bytes> {
    let want = range.end - range.start;
    let opts = GetOptions {
        if_match: etag,
        range: Some(GetRange::Bounded(range)),
        ..Default::default()
    };
    let got = async {
        let r = store.get_opts(&location, opts).await?;
        r.bytes().await
    }
    .await
    .map_err(|e| io::Error::other(store_error(&e)))?;
    if got.len() as u64 != want {
        return Err(io::Error::other(format!(
            "the store sent {} bytes for a range of {want} (the object changed or was cut)",
            got.len()
        )));
    }
    BYTES_FETCHED.fetch_add(want, Ordering::Relaxed);
    Ok(got)
}

/// Fetches several ranges of an object, a few at once, in order.
pub fn fetch_ranges(obj: &ObjectRef, ranges: &[std::ops::Range<u64>]) -> io::Result<Vec<Bytes>> {
    let store = obj.store.clone();
    let location = obj.location.clone();
    let etag = obj.etag.clone();
    let ranges = ranges.to_vec();
    block_on(async move {
        futures_util::stream::iter(ranges)
            .map(|r| fetch(store.clone(), location.clone(), etag.clone(), r))
            .buffered(AHEAD)
            .collect::<Vec<io::Result<Bytes>>>()
            .await
            .into_iter()
            .collect::<io::Result<Vec<Bytes>>>()
    })?
}

/// Whether an object is still what was listed: `Err` says what changed.
pub fn unchanged(obj: &ObjectRef) -> Result<(), String> {
    let store = obj.store.clone();
    let location = obj.location.clone();
    let meta = block_on(async move { store.head(&location).await })
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot check it again: {}", store_error(&e)))?;
    if meta.e_tag != obj.etag || meta.size != obj.size {
        return Err(format!(
            "changed since the first read: ETag {} and {} bytes, then {} and {} bytes",
            obj.etag.as_deref().unwrap_or("(none)"),
            obj.size,
            meta.e_tag.as_deref().unwrap_or("(none)"),
            meta.size
        ));
    }
    Ok(())
}

/// An object as a `Read + Seek` stream: ranged GETs of [`CHUNK`] bytes,
/// up to [`AHEAD`] in flight ahead of the reader.
pub struct ObjectReader {
    obj: Arc<ObjectRef>,
    pos: u64,
    buf: Bytes,
    buf_start: u64,
    /// Requested chunks, in order: (start, the request).
    queue: VecDeque<(u64, tokio::task::JoinHandle<io::Result<Bytes>>)>,
    /// Where the next chunk to request starts.
    next: u64,
}

impl ObjectReader {
    pub fn new(obj: Arc<ObjectRef>) -> ObjectReader {
        OBJECTS_OPENED.fetch_add(1, Ordering::Relaxed);
        ObjectReader {
            obj,
            pos: 0,
            buf: Bytes::new(),
            buf_start: 0,
            queue: VecDeque::new(),
            next: 0,
        }
    }

    fn top_up(&mut self) -> io::Result<()> {
        let rt = runtime()?;
        while self.queue.len() < AHEAD && self.next < self.obj.size {
            let end = (self.next + CHUNK).min(self.obj.size);
            let task = fetch(
                self.obj.store.clone(),
                self.obj.location.clone(),
                self.obj.etag.clone(),
                self.next..end,
            );
            self.queue.push_back((self.next, rt.spawn(task)));
            self.next = end;
        }
        Ok(())
    }

    fn drop_queue(&mut self) {
        for (_, h) in self.queue.drain(..) {
            h.abort();
        }
    }

    /// Makes `buf` hold `pos` (which is before the object's end).
    fn fill(&mut self) -> io::Result<()> {
        if self.queue.front().map(|(s, _)| *s) != Some(self.pos) {
            self.drop_queue();
            self.next = self.pos;
        }
        self.top_up()?;
        let Some((start, handle)) = self.queue.pop_front() else {
            return Err(io::Error::other("nothing left to fetch"));
        };
        let rt = runtime()?;
        let bytes = rt
            .block_on(handle)
            .map_err(|e| io::Error::other(format!("object-store task failed: {e}")))??;
        self.buf = bytes;
        self.buf_start = start;
        self.top_up()
    }
}

impl Drop for ObjectReader {
    fn drop(&mut self) {
        self.drop_queue();
    }
}

impl Read for ObjectReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.obj.size || out.is_empty() {
            return Ok(0);
        }
        let buf_end = self.buf_start + self.buf.len() as u64;
        if self.pos < self.buf_start || self.pos >= buf_end {
            if let Err(e) = self.fill() {
                // A failed read is not retried from the same place.
                self.pos = self.obj.size;
                return Err(io::Error::other(format!("{}: {e}", self.obj.url)));
            }
        }
        let at = (self.pos - self.buf_start) as usize;
        let n = out.len().min(self.buf.len() - at);
        out[..n].copy_from_slice(&self.buf[at..at + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for ObjectReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let size = self.obj.size as i128;
        let target = match to {
            SeekFrom::Start(n) => n as i128,
            SeekFrom::End(d) => size + d as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
        };
        if target < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the object",
            ));
        }
        self.pos = u64::try_from(target).unwrap_or(u64::MAX);
        Ok(self.pos)
    }
}

/// The SHA-256 of an object as stored, read on its own.
pub fn sha256_object(obj: &Arc<ObjectRef>) -> io::Result<String> {
    use sha2::Digest as _;
    let mut r = ObjectReader::new(obj.clone());
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(super::hex(&hasher.finalize()))
}

#[cfg(test)]
mod tests;
