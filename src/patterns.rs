//! Patterns: regular expressions, kept as data in TOML files, that turn log
//! messages into timeline events.
//!
//! The built-in patterns live in `patterns/*.toml` and are compiled into the
//! binary, so the tool works with no configuration. Users add, replace or
//! disable patterns with `--patterns FILE_OR_DIR`. A pattern file holds one
//! `[[pattern]]` table per pattern:
//!
//! ```toml
//! [[pattern]]
//! id = "nginx.upstream_timeout"          # unique, dotted
//! kind = "error"                         # error | alert | change | recovery | info | ignore
//! severity = "error"                     # info | warning | error | critical (default: error
//!                                        #   for error and alert, info otherwise)
//! regex = '''upstream timed out .*?upstream: "(?P<upstream>[^"]*)"'''
//! formats = ["nginx_error"]              # optional: only for sources of these formats
//! title = "upstream {upstream} timed out" # optional; {name} = named capture,
//!                                        #   {a|b} = first of a, b that matched,
//!                                        #   {message} = the text; default: the text
//! key = ["upstream"]                     # optional: captures naming "the same event"
//! description = "..."                    # optional, shown by `postmortem patterns`
//! # enabled = false                      # disables the pattern with this id
//! ```
//!
//! Matching is first-match in priority order: user patterns (in the order
//! given, files of a directory sorted by name) before built-ins, each file
//! top to bottom. A pattern that reuses an id replaces the earlier one and
//! takes its own place in that order. A pattern of kind `ignore` that
//! matches first drops the line, which keeps noisy lines away from broader
//! patterns further down.
//!
//! The key of a match identifies "the same event" when the timeline collapses
//! repeats: the key captures joined by `|`, or, when the pattern has none (or
//! none took part), the [`shape`] of the title, so that messages differing
//! only in ids, durations and counts collapse together.
//!
//! `find` runs for every message line, so each format gets one forward lazy
//! DFA over the patterns that apply to it, built when a message of the
//! format first needs it: one scan of (at most) the first
//! [`MAX_MATCH_BYTES`] says which patterns match, and only those run their
//! captures.
//! Regexes should use `(?-u:\b)` rather than `\b`: with a Unicode word
//! boundary anywhere in the set, the fast matcher gives up on every line
//! holding non-ASCII text.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use regex::{CaptureLocations, Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use regex_automata::{hybrid, PatternSet as MemberSet};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use thiserror::Error;
use toml::Spanned;

use crate::event::{EventKind, Origin, Severity};

/// Messages are matched on at most this many leading bytes.
pub const MAX_MATCH_BYTES: usize = 8 * 1024;
/// Titles (and default titles taken from the message) are cut to this many characters.
pub const MAX_TITLE_CHARS: usize = 300;
/// Longest accepted `regex` source, in bytes.
pub const MAX_REGEX_SOURCE: usize = 4 * 1024;
/// Compiled size limit of one pattern's regex (and of its lazy DFA cache).
pub const MAX_REGEX_SIZE: usize = 1 << 20;
/// Most `[[pattern]]` tables accepted in one file.
pub const MAX_PATTERNS_PER_FILE: usize = 1000;
/// User patterns loaded, at most, over all files: past it the rest are
/// left out with a warning (each pattern costs its compiled automaton, and
/// every message is tried against the set).
pub const MAX_USER_PATTERNS: usize = 2000;
/// Largest accepted pattern file, in bytes.
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// Size limits of the combined per-format sets: they hold every pattern, so
/// they get more room than a single regex. A set that does not fit falls
/// back to trying the patterns one by one (slower, same results).
const SET_SIZE_LIMIT: usize = 64 << 20;
const SET_DFA_SIZE_LIMIT: usize = 16 << 20;

/// Messages at most this long have their result remembered (per thread,
/// per exact text): error lines repeat the same few texts.
const MEMO_TEXT_BYTES: usize = 512;
/// Results remembered per thread before the memo starts over. A syslog
/// file's working set of distinct short messages is often ~10,000 (a few
/// paths × latencies × statuses): a memo smaller than that is cleared
/// before it pays, and every line then runs the DFA again. 7/8 of a power
/// of two: the most a hash table of 16,384 slots holds before it grows.
const MEMO_ENTRIES: usize = 14 * 1024;
/// Slots of the per-thread table of texts met once (a power of two; 8
/// bytes each, 256 KiB).
const MET_ONCE_SLOTS: usize = 1 << 15;
/// Bytes of remembered texts and results per thread before the memo starts
/// over, so that long texts or large captures keep it small.
const MEMO_BYTES: usize = 2 << 20;

/// The built-in pattern files, in priority order: Kubernetes events (their
/// reason is the best description there is, and only their formats use
/// them), specific proxy messages, alerts written as text, changes,
/// recoveries, and last the broad application failures.
const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "k8s_events.toml",
        include_str!("../patterns/k8s_events.toml"),
    ),
    ("proxy.toml", include_str!("../patterns/proxy.toml")),
    ("alerts.toml", include_str!("../patterns/alerts.toml")),
    ("changes.toml", include_str!("../patterns/changes.toml")),
    ("recovery.toml", include_str!("../patterns/recovery.toml")),
    ("app.toml", include_str!("../patterns/app.toml")),
];

/// One compiled pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// Unique dotted identifier, e.g. `nginx.upstream_timeout`.
    pub id: String,
    /// Kind of the events it makes (`Info` for `ignore` patterns).
    pub kind: EventKind,
    pub severity: Severity,
    regex: LazyRegex,
    /// Format names it is restricted to; empty means every format.
    pub formats: Vec<String>,
    /// Title template (`{capture}`, `{message}`); `None` uses the message.
    pub title: Option<String>,
    /// Captures that identify "the same event" when collapsing repeats
    /// (`a|b`: the first of `a`, `b` that took part); empty means the
    /// title's [`shape`] does.
    pub key: Vec<String>,
    pub description: Option<String>,
    /// A matching line is dropped rather than turned into an event.
    pub ignore: bool,
    /// File the pattern came from (`builtin:proxy.toml` for built-ins).
    pub origin: String,
    /// Line of its `[[pattern]]` table in that file.
    pub line: usize,
    title_parts: Vec<TitlePart>,
    key_groups: Vec<Vec<usize>>,
}

/// A pattern's regex: user patterns are compiled (and so checked) when
/// their file is read; built-ins, checked by the test suite, are compiled
/// when a message first needs them, so a run pays only for the patterns
/// its formats and lines reach.
#[derive(Clone, Debug)]
struct LazyRegex {
    source: String,
    /// Capture names by group index (0 is the whole match).
    names: Vec<Option<String>>,
    /// `None`: the regex does not compile (a built-in only; it then
    /// matches nothing).
    compiled: OnceLock<Option<Regex>>,
}

impl LazyRegex {
    fn compiled(regex: Regex) -> LazyRegex {
        let names = regex
            .capture_names()
            .map(|n| n.map(str::to_string))
            .collect();
        LazyRegex {
            source: regex.as_str().to_string(),
            names,
            compiled: OnceLock::from(Some(regex)),
        }
    }

    /// Reads the capture names without compiling; `None` when the source
    /// does not parse.
    fn deferred(source: String) -> Option<LazyRegex> {
        let names = capture_names_of(&source)?;
        Some(LazyRegex {
            source,
            names,
            compiled: OnceLock::new(),
        })
    }

    fn as_str(&self) -> &str {
        &self.source
    }

    fn get(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| compile_regex(&self.source).ok())
            .as_ref()
    }
}

fn compile_regex(source: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(source)
        .size_limit(MAX_REGEX_SIZE)
        .dfa_size_limit(MAX_REGEX_SIZE)
        .build()
}

/// Capture names by group index, read from the regex's syntax tree (no
/// compilation): the same numbering the compiled regex uses.
fn capture_names_of(source: &str) -> Option<Vec<Option<String>>> {
    use regex_syntax::ast::{self, Ast, GroupKind};
    struct Names(Vec<Option<String>>);
    impl ast::Visitor for Names {
        type Output = Vec<Option<String>>;
        type Err = ();
        fn finish(self) -> Result<Self::Output, ()> {
            Ok(self.0)
        }
        fn visit_pre(&mut self, node: &Ast) -> Result<(), ()> {
            if let Ast::Group(g) = node {
                let (index, name) = match &g.kind {
                    GroupKind::CaptureIndex(i) => (*i as usize, None),
                    GroupKind::CaptureName { name, .. } => {
                        (name.index as usize, Some(name.name.clone()))
                    }
                    GroupKind::NonCapturing(_) => return Ok(()),
                };
                if self.0.len() <= index {
                    self.0.resize(index + 1, None);
                }
                if let Some(slot) = self.0.get_mut(index) {
                    *slot = name;
                }
            }
            Ok(())
        }
    }
    let tree = ast::parse::Parser::new().parse(source).ok()?;
    ast::visit(&tree, Names(vec![None])).ok()
}

#[derive(Clone, Debug, PartialEq)]
enum TitlePart {
    Text(String),
    /// The first of these captures that took part in the match.
    Group(Vec<usize>),
    Message,
}

/// A message matched by a pattern.
#[derive(Clone, Debug)]
pub struct PatternMatch<'p> {
    pub pattern: &'p Pattern,
    /// Named captures that took part in the match, in the regex's order.
    pub fields: Vec<(String, String)>,
    /// The rendered title, or the message text cut to [`MAX_TITLE_CHARS`].
    pub title: String,
    /// What identifies "the same event": the key captures joined by `|`;
    /// when the pattern has no key, or none of its key captures took part,
    /// the title's shape (see [`shape`]), so that messages differing only
    /// in request ids, durations or counts collapse together.
    pub key: String,
}

/// Why a pattern file could not be used. Every message names the file and
/// line and says what to do.
#[derive(Debug, Error)]
pub enum PatternError {
    #[error("{}: cannot read pattern file: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{}:{line}:{column}: {message}\n  fix the file: pattern files are TOML with one [[pattern]] table per pattern",
        .path.display()
    )]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{}:{line}: pattern '{id}': invalid regex:\n{}\n  fix the `regex` value (Rust regex syntax, https://docs.rs/regex/#syntax); write it in '''triple single quotes''' so backslashes stay literal",
        .path.display(), indent(.message)
    )]
    Regex {
        path: PathBuf,
        id: String,
        line: usize,
        message: String,
    },
    #[error("{}:{line}: {message}", .path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}:{line}: {message}", .path.display())]
    TooLarge {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "{}: no *.toml pattern files in this directory; pass a .toml file or a directory holding some",
        .path.display()
    )]
    EmptyDir { path: PathBuf },
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The patterns in force, in priority order, with the per-format sets used
/// by [`PatternSet::find`].
#[derive(Clone, Debug)]
pub struct PatternSet {
    patterns: Vec<Pattern>,
    /// `groups[0]` serves formats no pattern names; the others serve the
    /// formats in `by_format`.
    groups: Vec<Group>,
    by_format: HashMap<String, usize>,
    fingerprint: String,
    warnings: Vec<String>,
    /// Tells the per-thread memo which set its results belong to (a clone
    /// holds the same patterns, so it shares the id).
    id: u64,
}

static NEXT_SET_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

/// What one thread remembers of the set it last matched with: results per
/// exact message text (bounded), and the matchers' scratch space.
#[derive(Default)]
struct Memo {
    set_id: u64,
    /// Hash of (group, text) → where the text sits in `texts` and what
    /// `find` found. A hash that two texts share keeps the later one. The
    /// slots are small (16 bytes) so that the table of a working set of
    /// thousands of texts stays in the CPU's cache: every line looks here.
    results: FxHashMap<u64, Slot>,
    /// The remembered texts, end to end: one buffer that is cleared, not
    /// thousands of small strings freed one by one.
    texts: String,
    /// The remembered matches (most texts match nothing and have none).
    found: Vec<Found>,
    /// Bytes held by the remembered matches' strings (see [`MEMO_BYTES`]).
    found_bytes: usize,
    /// The hashes of texts met once and not remembered, one per slot
    /// (a later hash takes the slot): a text is remembered the second
    /// time it is met. A log4j file's texts carry the thread name, and
    /// most of them never come again: remembering each filled the memo
    /// and cleared it every ~14,000 lines, with the texts that do repeat
    /// (stack frames, errors) lost each time.
    met_once: Vec<u64>,
    scratch: Scratch,
}

/// One remembered text: its group, its place in [`Memo::texts`] and its
/// match in [`Memo::found`] ([`Slot::NONE`]: it matched nothing).
#[derive(Clone, Copy)]
struct Slot {
    group: u32,
    start: u32,
    len: u32,
    found: u32,
}

impl Slot {
    const NONE: u32 = u32::MAX;
}

/// Per-thread working space of the matchers, reused from line to line
/// instead of allocated per match.
#[derive(Default)]
struct Scratch {
    /// Capture slots per pattern.
    slots: FxHashMap<usize, CaptureLocations>,
    /// Per group: the lazy DFA's cache, the set of members that matched,
    /// and what texts' tails were found to lead to.
    dfa: Vec<Option<(hybrid::dfa::Cache, MemberSet, TailMemo)>>,
}

/// The matcher scratch of group `group_index` (made on first use).
fn dfa_slot<'s>(
    dfas: &'s mut Vec<Option<(hybrid::dfa::Cache, MemberSet, TailMemo)>>,
    group_index: usize,
    dfa: &hybrid::dfa::DFA,
) -> Option<&'s mut (hybrid::dfa::Cache, MemberSet, TailMemo)> {
    if dfas.len() <= group_index {
        dfas.resize_with(group_index + 1, || None);
    }
    let slot = dfas.get_mut(group_index)?;
    Some(slot.get_or_insert_with(|| {
        (
            dfa.create_cache(),
            MemberSet::new(dfa.pattern_len()),
            TailMemo::default(),
        )
    }))
}

/// Bytes at the start of a text searched for the end of a bracketed
/// prefix (see [`TailMemo`]).
const PREFIX_BYTES: usize = 64;
/// Tails remembered per group and thread before the memo starts over,
/// and the bytes they may hold.
const TAIL_ENTRIES: usize = 16 * 1024;
const TAIL_BYTES: usize = 1 << 20;

/// Whether any pattern matches, remembered per (DFA state, tail of the
/// text): the texts of a log4j file start with the thread name
/// (`INFO  [http-nio-8080-exec-17] com.shop.Web - GET /a 200 5ms`), so
/// ~120,000 of its 640,000 texts are distinct and the memo of whole texts
/// cannot hold them, but after the `] ` that ends the thread the lazy DFA
/// is in one of a few states whatever the thread, and there are ~12,000
/// distinct tails. The DFA walks the prefix (the answer is the same as
/// a search of the whole text: the same automaton, byte by byte), and the
/// tail's answer from that state is remembered. State ids hold until the
/// DFA's cache is cleared: the memo is cleared with it.
#[derive(Default)]
struct TailMemo {
    /// Tail → (state id, some pattern matches from there).
    tails: FxHashMap<Box<[u8]>, Vec<(hybrid::LazyStateID, bool)>>,
    bytes: usize,
    /// The cache's clear count the ids belong to.
    clears: usize,
}

impl TailMemo {
    /// `Some(true)` when some pattern of `dfa` matches `text`, `Some(false)`
    /// when none does; `None` when this cannot tell (no bracketed prefix,
    /// a quit byte, the cache gave up): the caller searches as before.
    fn any_match(
        &mut self,
        dfa: &hybrid::dfa::DFA,
        cache: &mut hybrid::dfa::Cache,
        text: &str,
    ) -> Option<bool> {
        let bytes = text.as_bytes();
        let head = bytes.get(..bytes.len().min(PREFIX_BYTES))?;
        // `memmem` would build a searcher per call: a `]` is rare enough.
        let split = memchr::memchr_iter(b']', head).find(|&i| head.get(i + 1) == Some(&b' '))? + 2;
        let (prefix, tail) = bytes.split_at(split);
        let mut sid = dfa
            .start_state_forward(cache, &regex_automata::Input::new(text))
            .ok()?;
        for &b in prefix {
            sid = dfa.next_state(cache, sid, b).ok()?;
            if sid.is_tagged() {
                if sid.is_match() {
                    return Some(true);
                }
                if sid.is_dead() || sid.is_quit() {
                    return None;
                }
            }
        }
        if cache.clear_count() != self.clears {
            self.clear(cache.clear_count());
        }
        if let Some(seen) = self.tails.get(tail) {
            if let Some((_, any)) = seen.iter().find(|(s, _)| *s == sid) {
                return Some(*any);
            }
        }
        let from = sid;
        for &b in tail {
            sid = dfa.next_state(cache, sid, b).ok()?;
            if sid.is_tagged() && (sid.is_match() || sid.is_dead() || sid.is_quit()) {
                break;
            }
        }
        if !sid.is_tagged() || sid.is_start() {
            sid = dfa.next_eoi_state(cache, sid).ok()?;
        }
        if sid.is_quit() || cache.clear_count() != self.clears {
            // A quit byte, or ids from before a clear: no answer kept.
            return (!sid.is_quit()).then_some(sid.is_match());
        }
        let any = sid.is_match();
        if self.tails.len() >= TAIL_ENTRIES || self.bytes + tail.len() > TAIL_BYTES {
            self.clear(self.clears);
        }
        self.bytes += tail.len();
        self.tails.entry(tail.into()).or_default().push((from, any));
        Some(any)
    }

    fn clear(&mut self, clears: usize) {
        self.tails.clear();
        self.bytes = 0;
        self.clears = clears;
    }
}

impl Memo {
    fn start(&mut self, set_id: u64) {
        self.set_id = set_id;
        self.clear();
        self.scratch = Scratch::default();
    }

    fn clear(&mut self) {
        self.results.clear();
        self.texts.clear();
        self.found.clear();
        self.found_bytes = 0;
    }

    /// `None`: not remembered; `Some(None)`: remembered as matching nothing.
    #[inline]
    fn recall(&self, group: usize, hash: u64, text: &str) -> Option<Option<&Found>> {
        let slot = self.results.get(&hash)?;
        let start = slot.start as usize;
        let same = slot.group as usize == group
            && self.texts.get(start..start + slot.len as usize) == Some(text);
        if !same {
            return None;
        }
        Some(match slot.found {
            Slot::NONE => None,
            i => Some(self.found.get(i as usize)?),
        })
    }

    /// Whether a text not remembered has been met before (and notes it).
    fn met_before(&mut self, hash: u64) -> bool {
        if self.met_once.is_empty() {
            self.met_once = vec![0; MET_ONCE_SLOTS];
        }
        let slot = (hash as usize) & (MET_ONCE_SLOTS - 1);
        match self.met_once.get_mut(slot) {
            Some(h) if *h == hash => true,
            Some(h) => {
                *h = hash;
                false
            }
            None => false,
        }
    }

    fn remember(&mut self, group: usize, hash: u64, text: &str, found: Option<&Found>) {
        let found_bytes = found.map_or(0, Found::heap_bytes);
        if self.results.len() >= MEMO_ENTRIES
            || self.texts.len() + self.found_bytes + text.len() + found_bytes > MEMO_BYTES
        {
            self.clear();
        }
        // Offsets fit in u32: the buffer is cleared at MEMO_BYTES.
        let (Ok(group), Ok(start), Ok(len)) = (
            u32::try_from(group),
            u32::try_from(self.texts.len()),
            u32::try_from(text.len()),
        ) else {
            return;
        };
        let found = match found {
            Some(f) => {
                let Ok(i) = u32::try_from(self.found.len()) else {
                    return;
                };
                self.found_bytes += found_bytes;
                self.found.push(f.clone());
                i
            }
            None => Slot::NONE,
        };
        self.texts.push_str(text);
        self.results.insert(
            hash,
            Slot {
                group,
                start,
                len,
                found,
            },
        );
    }
}

/// The memo's key of a text in a group.
#[inline]
fn text_hash(group: usize, text: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    h.write_usize(group);
    h.write(text.as_bytes());
    h.finish()
}

/// A match without its borrow of the set: the pattern's index.
#[derive(Clone, Debug)]
struct Found {
    pattern: usize,
    fields: Vec<(String, String)>,
    title: String,
    key: String,
}

impl Found {
    /// Bytes its strings hold, roughly (what the memo counts against
    /// [`MEMO_BYTES`]).
    fn heap_bytes(&self) -> usize {
        let fields: usize = self
            .fields
            .iter()
            .map(|(k, v)| k.len() + v.len() + 48)
            .sum();
        fields + self.title.len() + self.key.len()
    }
}

#[derive(Clone, Debug)]
struct Group {
    /// One forward lazy DFA over every member (no captures, no reverse
    /// automaton), built on first use: most runs meet only a few formats.
    /// One scan says which members match, all of them at once; `None` when
    /// it would not compile within its limits.
    dfa: OnceLock<Option<hybrid::dfa::DFA>>,
    /// The regex crate's set of the members, built only when the DFA cannot
    /// answer (a Unicode word boundary in some member meets non-ASCII
    /// text). `None` when it would not compile either: each member is then
    /// tried in turn (slower, same events).
    set: OnceLock<Option<RegexSet>>,
    /// Index into `patterns` of each set member, in priority order.
    members: Vec<usize>,
}

impl Group {
    /// The group's DFA, built on first use.
    fn dfa(&self, patterns: &[Pattern]) -> Option<&hybrid::dfa::DFA> {
        self.dfa
            .get_or_init(|| build_dfa(patterns, &self.members))
            .as_ref()
    }
}

/// What one `[[pattern]]` table says.
enum Entry {
    Define(Box<Pattern>),
    Disable {
        id: String,
        origin: String,
        line: usize,
    },
}

impl PatternSet {
    /// The built-in patterns. They are validated by a test; should one fail
    /// anyway, the others are still used.
    pub fn builtin() -> PatternSet {
        Layers::with_builtins().build()
    }

    /// Built-ins plus the user's pattern files and directories (`*.toml`,
    /// sorted by name). User patterns take priority; one with a built-in's id
    /// replaces it, and `enabled = false` disables the pattern with its id.
    pub fn load(user_paths: &[PathBuf]) -> Result<PatternSet, PatternError> {
        let mut layers = Layers::with_builtins();
        let (mut left_out, mut files_left_out) = (0usize, 0usize);
        for path in user_paths {
            for file in pattern_files(path)? {
                let room = MAX_USER_PATTERNS.saturating_sub(layers.user.len());
                if room == 0 {
                    files_left_out += 1;
                    continue;
                }
                let mut entries = parse_file(&file)?;
                let defined = entries
                    .iter()
                    .filter(|e| matches!(e, Entry::Define(_)))
                    .count();
                if defined > room {
                    let mut kept = 0;
                    entries.retain(|e| match e {
                        Entry::Define(_) if kept >= room => false,
                        Entry::Define(_) => {
                            kept += 1;
                            true
                        }
                        Entry::Disable { .. } => true,
                    });
                    left_out += defined - room;
                }
                layers.add(entries, true);
            }
        }
        if left_out + files_left_out > 0 {
            let mut what = Vec::new();
            if left_out > 0 {
                what.push(format!("{left_out} more patterns left out"));
            }
            if files_left_out > 0 {
                what.push(format!("{files_left_out} pattern files not read"));
            }
            layers.warnings.push(format!(
                "user patterns capped at {MAX_USER_PATTERNS}: the first {MAX_USER_PATTERNS} (in load order) are used; {}",
                what.join(", ")
            ));
        }
        Ok(layers.build())
    }

    /// Validates one pattern file and returns its (enabled) patterns, for
    /// `postmortem patterns --check FILE`.
    pub fn check_file(path: &Path) -> Result<Vec<Pattern>, PatternError> {
        Ok(parse_file(path)?
            .into_iter()
            .filter_map(|e| match e {
                Entry::Define(p) => Some(*p),
                Entry::Disable { .. } => None,
            })
            .collect())
    }

    /// The first pattern, in priority order, that applies to `format` and
    /// matches `text` (its first [`MAX_MATCH_BYTES`]). `None` when nothing
    /// matches or an `ignore` pattern matches first.
    pub fn find<'p>(&'p self, format: &str, text: &str) -> Option<PatternMatch<'p>> {
        let text = clip(text, MAX_MATCH_BYTES);
        let group_index = self.group_index(format);
        let group = self.groups.get(group_index)?;
        let found = MEMO.with(|memo| {
            let Ok(mut memo) = memo.try_borrow_mut() else {
                return self.search(group_index, group, text, &mut Scratch::default());
            };
            if memo.set_id != self.id {
                memo.start(self.id);
            }
            let hash = (text.len() <= MEMO_TEXT_BYTES).then(|| text_hash(group_index, text));
            if let Some(hash) = hash {
                if let Some(found) = memo.recall(group_index, hash, text) {
                    return found.cloned();
                }
            }
            // A text behind a bracketed prefix that is not remembered asks
            // the tail memo: most of them match nothing, and are then not
            // remembered whole (the tail memo holds the answer).
            if let Some(dfa) = group.dfa(&self.patterns) {
                if let Some((cache, _, tails)) = dfa_slot(&mut memo.scratch.dfa, group_index, dfa) {
                    if tails.any_match(dfa, cache, text) == Some(false) {
                        return None;
                    }
                }
            }
            let found = self.search(group_index, group, text, &mut memo.scratch);
            if let Some(hash) = hash {
                if memo.met_before(hash) {
                    memo.remember(group_index, hash, text, found.as_ref());
                }
            }
            found
        })?;
        Some(PatternMatch {
            pattern: self.patterns.get(found.pattern)?,
            fields: found.fields,
            title: found.title,
            key: found.key,
        })
    }

    /// Builds the matcher `format`'s messages are tried with, if it is not
    /// built yet, so that a scan can have it built while it reads its
    /// first blocks instead of having every thread wait for it at the
    /// first message (the syslog group takes ~20 ms to build).
    pub fn prepare(&self, format: &str) {
        if let Some(group) = self.groups.get(self.group_index(format)) {
            group.dfa(&self.patterns);
        }
    }

    /// One scan of the group's DFA names every member that matches; the
    /// first of them (in priority order) whose captures run is the match.
    fn search(
        &self,
        group_index: usize,
        group: &Group,
        text: &str,
        scratch: &mut Scratch,
    ) -> Option<Found> {
        if let Some(dfa) = group.dfa(&self.patterns) {
            let Scratch { slots, dfa: dfas } = scratch;
            if let Some((cache, matched, _)) = dfa_slot(dfas, group_index, dfa) {
                matched.clear();
                // Most messages match no pattern. The plain forward search
                // (stopping at the first match state) says so faster than
                // the overlapping one, whose loop takes one checked step a
                // byte; only a message that matches pays for both. An error
                // (a quit byte) leaves the answer to the overlapping search.
                let early = regex_automata::Input::new(text).earliest(true);
                if let Ok(None) = dfa.try_search_fwd(cache, &early) {
                    return None;
                }
                let input = regex_automata::Input::new(text);
                if dfa
                    .try_which_overlapping_matches(cache, &input, matched)
                    .is_ok()
                {
                    // Most messages match no pattern: say so without
                    // walking every member's slot.
                    if matched.is_empty() {
                        return None;
                    }
                    return matched.iter().find_map(|member| {
                        let idx = *group.members.get(member.as_usize())?;
                        self.try_pattern(idx, text, slots)
                    })?;
                }
            }
        }
        let set = group
            .set
            .get_or_init(|| build_set(&self.patterns, &group.members));
        let candidates: Vec<usize> = match set {
            Some(set) => set.matches(text).into_iter().collect(),
            None => (0..group.members.len()).collect(),
        };
        candidates.into_iter().find_map(|member| {
            let idx = *group.members.get(member)?;
            self.try_pattern(idx, text, &mut scratch.slots)
        })?
    }

    /// Every pattern in force, in priority order (`ignore` patterns included).
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// A short hash of the patterns in force (ids, kinds, formats, regexes,
    /// titles, keys), so a report says which rules produced it.
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    /// Things worth telling the user that are not errors: a disabled id
    /// that no pattern has, a user pattern replacing another user pattern,
    /// patterns too large to combine into one fast set.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn group_index(&self, format: &str) -> usize {
        self.by_format.get(format).copied().unwrap_or(0)
    }

    /// `None`: pattern `idx` does not match after all. `Some(None)`: an
    /// ignore pattern matched. `Some(Some(m))`: an event.
    fn try_pattern(
        &self,
        idx: usize,
        text: &str,
        slots: &mut FxHashMap<usize, CaptureLocations>,
    ) -> Option<Option<Found>> {
        let p = self.patterns.get(idx)?;
        let regex = p.regex.get()?;
        if p.ignore {
            return regex.is_match(text).then_some(None);
        }
        let locs = slots
            .entry(idx)
            .or_insert_with(|| regex.capture_locations());
        regex.captures_read(locs, text)?;
        Some(Some(p.make_match(idx, locs, text)))
    }
}

impl Pattern {
    /// The kind as written in pattern files (`ignore` for ignore patterns).
    pub fn kind_name(&self) -> &'static str {
        if self.ignore {
            "ignore"
        } else {
            self.kind.as_str()
        }
    }

    /// The regex source, as written.
    pub fn regex_source(&self) -> &str {
        self.regex.as_str()
    }

    fn make_match(&self, idx: usize, caps: &CaptureLocations, text: &str) -> Found {
        let fields: Vec<(String, String)> = self
            .regex
            .names
            .iter()
            .enumerate()
            .filter_map(|(i, name)| {
                let name = name.as_ref()?;
                let m = capture(caps, text, i)?;
                Some((name.clone(), m.to_string()))
            })
            .collect();
        let title = if self.title_parts.is_empty() {
            clean(text, MAX_TITLE_CHARS)
        } else {
            let mut raw = String::new();
            for part in &self.title_parts {
                match part {
                    TitlePart::Text(t) => raw.push_str(t),
                    TitlePart::Group(groups) => raw.push_str(first_capture(caps, text, groups)),
                    TitlePart::Message => raw.push_str(text),
                }
            }
            clean(&tidy(&raw), MAX_TITLE_CHARS)
        };
        let parts: Vec<&str> = self
            .key_groups
            .iter()
            .map(|groups| first_capture(caps, text, groups))
            .collect();
        let key = if parts.iter().any(|p| !p.is_empty()) {
            clean(&parts.join("|"), MAX_TITLE_CHARS)
        } else {
            shape(&title)
        };
        Found {
            pattern: idx,
            fields,
            title,
            key,
        }
    }
}

/// Builds the final set from built-ins and user files, applying overrides.
#[derive(Default)]
struct Layers {
    builtin: Vec<Option<Pattern>>,
    user: Vec<Option<Pattern>>,
    /// id → (is_user, index in that list).
    by_id: HashMap<String, (bool, usize)>,
    warnings: Vec<String>,
}

impl Layers {
    fn with_builtins() -> Layers {
        let mut layers = Layers::default();
        for (name, src) in BUILTIN_FILES {
            let origin = format!("builtin:{name}");
            // A built-in file that fails is left out rather than failing the
            // run; the test suite keeps that from happening.
            let entries = parse_source(src, &origin, Path::new(&origin), true).unwrap_or_default();
            layers.add(entries, false);
        }
        layers
    }

    fn add(&mut self, entries: Vec<Entry>, user: bool) {
        for entry in entries {
            match entry {
                Entry::Define(p) => {
                    if user && unicode_word_boundary(p.regex.as_str()) {
                        self.warnings.push(format!(
                            "{}:{}: pattern '{}' uses \\b; write (?-u:\\b) instead, or matching gets much slower on lines with non-ASCII text",
                            p.origin, p.line, p.id
                        ));
                    }
                    if let Some(old) = self.remove(&p.id) {
                        if user && old.origin != p.origin && !old.origin.starts_with("builtin:") {
                            self.warnings.push(format!(
                                "pattern '{}' from {}:{} replaces the one from {}:{}",
                                p.id, p.origin, p.line, old.origin, old.line
                            ));
                        }
                    }
                    let list = if user {
                        &mut self.user
                    } else {
                        &mut self.builtin
                    };
                    self.by_id.insert(p.id.clone(), (user, list.len()));
                    list.push(Some(*p));
                }
                Entry::Disable { id, origin, line } => {
                    if self.remove(&id).is_none() {
                        self.warnings.push(format!(
                            "{origin}:{line}: `enabled = false` for pattern '{id}', but no earlier pattern has that id; check the spelling (`postmortem patterns` lists the ids)"
                        ));
                    }
                }
            }
        }
    }

    fn remove(&mut self, id: &str) -> Option<Pattern> {
        let (user, i) = self.by_id.remove(id)?;
        let list = if user {
            &mut self.user
        } else {
            &mut self.builtin
        };
        list.get_mut(i)?.take()
    }

    fn build(self) -> PatternSet {
        let patterns: Vec<Pattern> = self
            .user
            .into_iter()
            .chain(self.builtin)
            .flatten()
            .collect();
        let warnings = self.warnings;

        let mut format_names: Vec<&str> = patterns
            .iter()
            .flat_map(|p| p.formats.iter().map(String::as_str))
            .collect();
        format_names.sort_unstable();
        format_names.dedup();

        let mut groups = Vec::with_capacity(format_names.len() + 1);
        let mut by_format = HashMap::new();
        groups.push(make_group(&patterns, None));
        for name in &format_names {
            by_format.insert(name.to_string(), groups.len());
            groups.push(make_group(&patterns, Some(name)));
        }

        let fingerprint = fingerprint_of(&patterns);
        PatternSet {
            patterns,
            groups,
            by_format,
            fingerprint,
            warnings,
            id: NEXT_SET_ID.fetch_add(1, Ordering::Relaxed),
        }
    }
}

fn make_group(patterns: &[Pattern], format: Option<&str>) -> Group {
    let members: Vec<usize> = patterns
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.formats.is_empty() || format.is_some_and(|f| p.formats.iter().any(|x| x == f))
        })
        .map(|(i, _)| i)
        .collect();
    Group {
        dfa: OnceLock::new(),
        set: OnceLock::new(),
        members,
    }
}

/// The forward lazy DFA of a group's members, matching all of them at
/// once. Capture groups are left out of its automaton (the member's own
/// regex runs them), which makes it several times cheaper to build than
/// the regex crate's set. `None` when there are no members or it does not
/// fit.
fn build_dfa(patterns: &[Pattern], members: &[usize]) -> Option<hybrid::dfa::DFA> {
    use regex_automata::{nfa::thompson, MatchKind};
    if members.is_empty() {
        return None;
    }
    let sources: Vec<&str> = members
        .iter()
        .filter_map(|&i| patterns.get(i))
        .map(|p| p.regex.as_str())
        .collect();
    hybrid::dfa::DFA::builder()
        .configure(
            hybrid::dfa::DFA::config()
                .match_kind(MatchKind::All)
                .unicode_word_boundary(true)
                .cache_capacity(SET_DFA_SIZE_LIMIT),
        )
        .thompson(
            thompson::Config::new()
                .which_captures(thompson::WhichCaptures::None)
                .nfa_size_limit(Some(SET_SIZE_LIMIT)),
        )
        .build_many(&sources)
        .ok()
}

/// The combined set of a group's members. `None` when there are none, or
/// when the set would be too large: matching then tries each member in
/// turn, which is slower but finds the same events.
fn build_set(patterns: &[Pattern], members: &[usize]) -> Option<RegexSet> {
    if members.is_empty() {
        return None;
    }
    RegexSetBuilder::new(
        members
            .iter()
            .filter_map(|&i| patterns.get(i))
            .map(|p| p.regex.as_str()),
    )
    .size_limit(SET_SIZE_LIMIT)
    .dfa_size_limit(SET_DFA_SIZE_LIMIT)
    .build()
    .ok()
}

fn fingerprint_of(patterns: &[Pattern]) -> String {
    let mut h = Sha256::new();
    for p in patterns {
        for part in [
            p.id.as_str(),
            p.kind_name(),
            p.severity.as_str(),
            &p.formats.join(","),
            p.regex.as_str(),
            p.title.as_deref().unwrap_or(""),
            &p.key.join(","),
        ] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        h.update(b"\n");
    }
    let digest = h.finalize();
    let mut s = String::with_capacity(12);
    for b in digest.iter().take(6) {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The pattern files a `--patterns` argument names: the file itself, or a
/// directory's `*.toml` files sorted by name.
fn pattern_files(path: &Path) -> Result<Vec<PathBuf>, PatternError> {
    let io_err = |source| PatternError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io_err)? {
        let entry = entry.map_err(io_err)?;
        let p = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && p.extension().is_some_and(|e| e == "toml") && p.is_file() {
            files.push(p);
        }
    }
    if files.is_empty() {
        return Err(PatternError::EmptyDir {
            path: path.to_path_buf(),
        });
    }
    files.sort();
    Ok(files)
}

fn parse_file(path: &Path) -> Result<Vec<Entry>, PatternError> {
    let io_err = |source| PatternError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io_err)?.len();
    if len > MAX_FILE_BYTES {
        return Err(PatternError::TooLarge {
            path: path.to_path_buf(),
            line: 1,
            message: format!(
                "pattern file is {len} bytes, more than the {MAX_FILE_BYTES} allowed; split it into several files in one directory"
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(io_err)?;
    let src = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let (line, column) = line_col(&String::from_utf8_lossy(e.as_bytes()), offset);
        PatternError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: "the file is not valid UTF-8".to_string(),
        }
    })?;
    parse_source(&src, &path.display().to_string(), path, false)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    pattern: Vec<Spanned<RawPattern>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    id: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
    severity: Option<Spanned<String>>,
    regex: Option<Spanned<String>>,
    formats: Option<Spanned<Vec<String>>>,
    title: Option<Spanned<String>>,
    key: Option<Spanned<Vec<String>>>,
    description: Option<String>,
    enabled: Option<bool>,
}

/// Parses and compiles one pattern file's text. `origin` names it in
/// patterns, `path` in errors.
fn parse_source(
    src: &str,
    origin: &str,
    path: &Path,
    builtin: bool,
) -> Result<Vec<Entry>, PatternError> {
    let site = Site {
        src,
        origin,
        path,
        builtin,
        newlines: memchr::memchr_iter(b'\n', src.as_bytes()).collect(),
    };
    let raw = site.read_toml()?;
    if raw.pattern.len() > MAX_PATTERNS_PER_FILE && !builtin {
        return Err(PatternError::TooLarge {
            path: path.to_path_buf(),
            line: 1,
            message: format!(
                "{} patterns in one file, more than the {MAX_PATTERNS_PER_FILE} allowed; split them into several files in one directory",
                raw.pattern.len()
            ),
        });
    }
    let mut entries = Vec::with_capacity(raw.pattern.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for spanned in raw.pattern {
        let table_line = site.line_of(spanned.span());
        entries.push(site.entry(spanned.into_inner(), table_line, &mut seen)?);
    }
    Ok(entries)
}

/// One pattern file being read: its text and where errors point.
struct Site<'s> {
    src: &'s str,
    origin: &'s str,
    path: &'s Path,
    builtin: bool,
    /// Offsets of the text's line breaks, so that placing each table and
    /// value does not count lines from the top again.
    newlines: Vec<usize>,
}

impl Site<'_> {
    fn line_of(&self, span: std::ops::Range<usize>) -> usize {
        self.newlines.partition_point(|&nl| nl < span.start) + 1
    }

    fn invalid(&self, line: usize, message: String) -> PatternError {
        PatternError::Invalid {
            path: self.path.to_path_buf(),
            line,
            message,
        }
    }

    fn read_toml(&self) -> Result<RawFile, PatternError> {
        toml::from_str(self.src).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| line_col(self.src, s.start))
                .unwrap_or((1, 1));
            let mut message = e.message().trim_end().to_string();
            if message.contains("expected a sequence") {
                message.push_str("; write each pattern as a [[pattern]] table (double brackets)");
            }
            PatternError::Syntax {
                path: self.path.to_path_buf(),
                line,
                column,
                message,
            }
        })
    }

    /// One `[[pattern]]` table, checked and compiled.
    fn entry(
        &self,
        raw: RawPattern,
        table_line: usize,
        seen: &mut HashMap<String, usize>,
    ) -> Result<Entry, PatternError> {
        let (id, id_line) = self.id(raw.id, table_line, seen)?;
        if raw.enabled == Some(false) {
            return Ok(Entry::Disable {
                id,
                origin: self.origin.to_string(),
                line: id_line,
            });
        }
        let (kind, ignore) = self.kind(&id, raw.kind, table_line)?;
        let severity = self.severity(&id, raw.severity.as_ref(), kind)?;
        let regex = self.regex(&id, raw.regex, table_line)?;
        let formats = self.formats(&id, raw.formats)?;
        let (title, title_parts) = match raw.title {
            None => (None, Vec::new()),
            Some(t) => {
                let line = self.line_of(t.span());
                let t = t.into_inner();
                let parts = parse_title(&t, &regex.names).map_err(|m| {
                    self.invalid(line, format!("pattern '{id}': title \"{t}\": {m}"))
                })?;
                (Some(t), parts)
            }
        };
        let (key, key_groups) = self.key(&id, raw.key, &regex.names)?;
        Ok(Entry::Define(Box::new(Pattern {
            id,
            kind,
            severity,
            regex,
            formats,
            title,
            key,
            description: raw.description,
            ignore,
            origin: self.origin.to_string(),
            line: table_line,
            title_parts,
            key_groups,
        })))
    }

    fn id(
        &self,
        id: Option<Spanned<String>>,
        table_line: usize,
        seen: &mut HashMap<String, usize>,
    ) -> Result<(String, usize), PatternError> {
        let Some(id) = id else {
            return Err(self.invalid(
                table_line,
                "pattern has no `id`; add a unique dotted id such as id = \"myapp.db_timeout\""
                    .into(),
            ));
        };
        let id_line = self.line_of(id.span());
        let id = id.into_inner();
        if !valid_id(&id) {
            return Err(self.invalid(
                id_line,
                format!("pattern id '{id}' is not valid; use letters, digits, '_', '-' and '.' (at most 100), such as \"myapp.db_timeout\""),
            ));
        }
        if Origin::is_reserved(&id) {
            return Err(self.invalid(
                id_line,
                format!("pattern id '{id}' is reserved for events postmortem makes itself (lb.failed_requests, alert.firing, alert.resolved, change.source, marker.*); choose another id"),
            ));
        }
        if let Some(first) = seen.insert(id.clone(), id_line) {
            return Err(self.invalid(
                id_line,
                format!("pattern id '{id}' is already used at line {first}; give each pattern its own id"),
            ));
        }
        Ok((id, id_line))
    }

    /// The event kind, and whether the pattern silences lines (`ignore`).
    fn kind(
        &self,
        id: &str,
        kind: Option<Spanned<String>>,
        table_line: usize,
    ) -> Result<(EventKind, bool), PatternError> {
        let Some(kind_raw) = kind else {
            return Err(self.invalid(
                table_line,
                format!("pattern '{id}' has no `kind`; add kind = \"error\" (or alert, change, recovery, info, ignore)"),
            ));
        };
        let kind_line = self.line_of(kind_raw.span());
        match kind_raw.get_ref().as_str() {
            "ignore" => Ok((EventKind::Info, true)),
            "marker" => Err(self.invalid(
                kind_line,
                format!("pattern '{id}': kind \"marker\" is reserved for the markers postmortem computes; use error, alert, change, recovery, info or ignore"),
            )),
            name => match EventKind::from_name(name) {
                Some(k) => Ok((k, false)),
                None => Err(self.invalid(
                    kind_line,
                    format!("pattern '{id}': unknown kind \"{name}\"; use error, alert, change, recovery, info or ignore"),
                )),
            },
        }
    }

    fn severity(
        &self,
        id: &str,
        severity: Option<&Spanned<String>>,
        kind: EventKind,
    ) -> Result<Severity, PatternError> {
        match severity {
            None => Ok(default_severity(kind)),
            Some(s) => Severity::from_name(s.get_ref()).ok_or_else(|| {
                self.invalid(
                    self.line_of(s.span()),
                    format!(
                        "pattern '{id}': unknown severity \"{}\"; use info, warning, error or critical",
                        s.get_ref()
                    ),
                )
            }),
        }
    }

    fn regex(
        &self,
        id: &str,
        regex: Option<Spanned<String>>,
        table_line: usize,
    ) -> Result<LazyRegex, PatternError> {
        let Some(regex_raw) = regex else {
            return Err(self.invalid(
                table_line,
                format!("pattern '{id}' has no `regex`; add regex = '''...''' with the text to look for"),
            ));
        };
        let regex_line = self.line_of(regex_raw.span());
        let source = regex_raw.into_inner();
        let too_large = |message: String| PatternError::TooLarge {
            path: self.path.to_path_buf(),
            line: regex_line,
            message,
        };
        if source.trim().is_empty() {
            return Err(self.invalid(
                regex_line,
                format!("pattern '{id}': the regex is empty and would match every line; write the text to look for"),
            ));
        }
        if source.len() > MAX_REGEX_SOURCE && !self.builtin {
            return Err(too_large(format!(
                "pattern '{id}': the regex is {} bytes, more than the {MAX_REGEX_SOURCE} allowed; shorten it or split it into several patterns",
                source.len()
            )));
        }
        if self.builtin {
            if let Some(lazy) = LazyRegex::deferred(source.clone()) {
                return Ok(lazy);
            }
        }
        let regex = compile_regex(&source).map_err(|e| match e {
                regex::Error::CompiledTooBig(limit) => too_large(format!(
                    "pattern '{id}': the regex compiles to more than {} KiB; simplify it (large counted repetitions like {{1,1000}} and long alternations are expanded) or split it into several patterns",
                    limit / 1024
                )),
                other => PatternError::Regex {
                    path: self.path.to_path_buf(),
                    id: id.to_string(),
                    line: regex_line,
                    message: other.to_string(),
                },
            })?;
        if regex.is_match("") {
            return Err(self.invalid(
                regex_line,
                format!("pattern '{id}': the regex matches an empty message, so it would match every line; make it require some text"),
            ));
        }
        Ok(LazyRegex::compiled(regex))
    }

    fn formats(
        &self,
        id: &str,
        formats: Option<Spanned<Vec<String>>>,
    ) -> Result<Vec<String>, PatternError> {
        let Some(f) = formats else {
            return Ok(Vec::new());
        };
        let line = self.line_of(f.span());
        let formats = f.into_inner();
        for name in &formats {
            if crate::format::by_name(name).is_none() {
                let known: Vec<&str> = crate::format::registry().iter().map(|f| f.name()).collect();
                return Err(self.invalid(
                    line,
                    format!(
                        "pattern '{id}': unknown format \"{name}\"; known formats: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(formats)
    }

    /// The key's capture names and, for each, the groups it takes the
    /// first match of.
    fn key(
        &self,
        id: &str,
        key: Option<Spanned<Vec<String>>>,
        names: &[Option<String>],
    ) -> Result<(Vec<String>, Vec<Vec<usize>>), PatternError> {
        let Some(k) = key else {
            return Ok((Vec::new(), Vec::new()));
        };
        let line = self.line_of(k.span());
        let key = k.into_inner();
        let mut groups = Vec::with_capacity(key.len());
        for name in &key {
            match group_indexes(names, name) {
                Ok(g) => groups.push(g),
                Err(bad) => {
                    return Err(self.invalid(
                        line,
                        format!(
                            "pattern '{id}': key \"{name}\": \"{bad}\" is not a named capture of the regex; {}",
                            capture_hint(names)
                        ),
                    ))
                }
            }
        }
        Ok((key, groups))
    }
}

/// Whether a regex source seems to use a Unicode word boundary (`\b` or
/// `\B` outside a `(?-u:...)` group). A heuristic, for a warning only.
fn unicode_word_boundary(source: &str) -> bool {
    let bytes = source.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'\\' {
            if matches!(bytes[i + 1], b'b' | b'B')
                && !source.get(..i).unwrap_or("").ends_with("(?-u:")
            {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

fn default_severity(kind: EventKind) -> Severity {
    match kind {
        EventKind::Error | EventKind::Alert => Severity::Error,
        _ => Severity::Info,
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn group_index(names: &[Option<String>], name: &str) -> Option<usize> {
    names.iter().position(|n| n.as_deref() == Some(name))
}

/// Group indexes of `a|b|c` (captures tried in order; the regex crate does
/// not allow one name twice, so alternatives use different names).
/// `Err(name)` names the first that is not a capture.
fn group_indexes<'n>(captures: &[Option<String>], names: &'n str) -> Result<Vec<usize>, &'n str> {
    names
        .split('|')
        .map(|n| group_index(captures, n.trim()).ok_or(n))
        .collect()
}

fn capture<'t>(caps: &CaptureLocations, text: &'t str, group: usize) -> Option<&'t str> {
    let (start, end) = caps.get(group)?;
    text.get(start..end)
}

fn first_capture<'t>(caps: &CaptureLocations, text: &'t str, groups: &[usize]) -> &'t str {
    groups
        .iter()
        .find_map(|&g| capture(caps, text, g))
        .unwrap_or("")
}

fn capture_hint(names: &[Option<String>]) -> String {
    let names: Vec<&str> = names.iter().flatten().map(String::as_str).collect();
    if names.is_empty() {
        "the regex has no named captures; add one like (?P<name>...)".to_string()
    } else {
        format!("its named captures are: {}", names.join(", "))
    }
}

/// Splits a title template into text and placeholders: `{name}` is a named
/// capture, `{a|b}` the first of captures `a` and `b` that matched,
/// `{message}` the message text (unless a capture has that name), `{{` and
/// `}}` are literal braces.
fn parse_title(template: &str, names: &[Option<String>]) -> Result<Vec<TitlePart>, String> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => {
                            return Err("'{' without a closing '}'; write {name} for a capture, or {{ for a literal brace"
                                .to_string())
                        }
                    }
                }
                if !text.is_empty() {
                    parts.push(TitlePart::Text(std::mem::take(&mut text)));
                }
                match group_indexes(names, &name) {
                    Ok(g) => parts.push(TitlePart::Group(g)),
                    Err(_) if name == "message" => parts.push(TitlePart::Message),
                    Err(bad) => {
                        return Err(format!(
                            "{{{name}}}: \"{bad}\" is not a named capture of the regex; {}",
                            capture_hint(names)
                        ))
                    }
                }
            }
            '}' => return Err("'}' without an opening '{'; write }} for a literal brace".into()),
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        parts.push(TitlePart::Text(text));
    }
    if parts.is_empty() {
        return Err("the title is empty; remove it to use the message, or write some text".into());
    }
    Ok(parts)
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(src.len());
    while !src.is_char_boundary(end) {
        end -= 1;
    }
    let before = src.get(..end).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before
        .get(line_start..)
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

/// The longest prefix of `text` of at most `max` bytes that ends on a char boundary.
fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("")
}

/// The shape of a title: each word holding a digit (ids, counts,
/// durations, ports) becomes `#`, except version numbers and IPv4 addresses
/// (`1.4.2`, `v2.3`, `10.0.1.12`), which tell events apart.
pub fn shape(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for word in title.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        let is_punct = |c: char| "\"'()[]{}<>,;:.!?`".contains(c);
        let core = word.trim_matches(is_punct);
        if core.bytes().any(|b| b.is_ascii_digit()) && !version_like(core) {
            let start = word.find(core).unwrap_or(0);
            out.push_str(word.get(..start).unwrap_or(""));
            out.push('#');
            out.push_str(word.get(start + core.len()..).unwrap_or(""));
        } else {
            out.push_str(word);
        }
    }
    out
}

/// `v?N(.N){1,3}` with parts of at most four digits.
fn version_like(word: &str) -> bool {
    let w = word.strip_prefix(['v', 'V']).unwrap_or(word);
    let parts: Vec<&str> = w.split('.').collect();
    (2..=4).contains(&parts.len())
        && parts
            .iter()
            .all(|p| (1..=4).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Tidies a rendered title after empty captures: runs of spaces become one,
/// empty `()`/`[]` go, and trailing separators are dropped.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if matches!(word, "()" | "[]" | "''" | "\"\"") {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    let trimmed = out.trim_end_matches([' ', ':', ',', ';', '-']).len();
    out.truncate(trimmed);
    out
}

/// Text fit for one line of a timeline: control characters become spaces,
/// ends are trimmed, and it is cut to `max` characters (with `…`).
fn clean(text: &str, max: usize) -> String {
    let text = text.trim();
    let mut out = String::with_capacity(text.len().min(max + 3));
    let mut chars = text.chars();
    for c in chars.by_ref().take(max) {
        out.push(if c.is_control() { ' ' } else { c });
    }
    if chars.next().is_some() {
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn builtin_set() -> &'static PatternSet {
        static SET: std::sync::OnceLock<PatternSet> = std::sync::OnceLock::new();
        SET.get_or_init(PatternSet::builtin)
    }

    fn id_for(format: &str, text: &str) -> Option<String> {
        builtin_set()
            .find(format, text)
            .map(|m| m.pattern.id.clone())
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn check_src(src: &str) -> Result<Vec<Pattern>, PatternError> {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "p.toml", src);
        PatternSet::check_file(&p)
    }

    /// Past [`MAX_USER_PATTERNS`] the rest are left out, and a warning
    /// says how many; the ones loaded are the first in load order.
    #[test]
    fn user_patterns_are_capped_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let file = |prefix: &str, n: usize| -> String {
            (0..n)
                .map(|i| {
                    format!("[[pattern]]\nid = \"{prefix}.p{i}\"\nkind = \"error\"\nregex = 'needle-{prefix}-{i}\\b'\n\n")
                })
                .collect()
        };
        write(dir.path(), "a.toml", &file("a", 1000));
        write(dir.path(), "b.toml", &file("b", 1000));
        write(dir.path(), "c.toml", &file("c", 500));
        let set = PatternSet::load(&[dir.path().to_path_buf()]).unwrap();
        let user = set
            .patterns()
            .iter()
            .filter(|p| !p.origin.starts_with("builtin:"))
            .count();
        assert_eq!(user, MAX_USER_PATTERNS);
        assert!(set.patterns().iter().any(|p| p.id == "b.p999"));
        assert!(!set.patterns().iter().any(|p| p.id.starts_with("c.")));
        let w = set.warnings().join("\n");
        assert!(
            w.contains("capped at 2000") && w.contains("1 pattern files not read"),
            "{w}"
        );
    }

    #[test]
    fn every_builtin_compiles_and_ids_are_unique() {
        let mut ids = HashSet::new();
        let mut total = 0;
        for (name, src) in BUILTIN_FILES {
            let origin = format!("builtin:{name}");
            let entries = parse_source(src, &origin, Path::new(&origin), false)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(!entries.is_empty(), "{name} is empty");
            for e in entries {
                let Entry::Define(p) = e else {
                    panic!("{name}: built-ins do not disable patterns")
                };
                assert!(ids.insert(p.id.clone()), "duplicate built-in id {}", p.id);
                assert!(p.formats.is_empty() || !p.formats.is_empty());
                assert!(p.description.is_some(), "{} has no description", p.id);
                total += 1;
            }
        }
        let set = PatternSet::builtin();
        assert_eq!(set.patterns().len(), total);
        assert!(set.warnings().is_empty(), "{:?}", set.warnings());
        assert!(set
            .groups
            .iter()
            .all(|g| build_set(&set.patterns, &g.members).is_some()));
        assert_eq!(set.fingerprint().len(), 12);
        assert_eq!(set.fingerprint(), PatternSet::builtin().fingerprint());
        assert!(total >= 100, "{total} built-in patterns");
    }

    /// Real lines (docs/formats.md, the corpus, typical application output)
    /// and the pattern each should hit; `None` for ordinary lines.
    const TABLE: &[(&str, &str, Option<&str>)] = &[
        // systemd-timesyncd's network notice is not a configuration change.
        ("syslog", "Network configuration changed, trying to establish connection.", None),
        // nginx error log: full line and the message part a parser keeps.
        ("nginx_error", r#"2017/02/03 16:36:10 [error] 7588#7588: *3345968 upstream timed out (110: Connection timed out) while reading response header from upstream, client: REMOVED, server: retropie.org.uk, request: "GET /forum/socket.io/?EIO=3&transport=polling&t=Le4r2Ks&sid=Q9z39iYh---Ky3BzAAAh HTTP/1.1", upstream: "http://127.0.0.1:4567/forum/socket.io/?EIO=3&transport=polling&t=Le4r2Ks&sid="#, Some("nginx.upstream_timeout")),
        ("nginx_error", r#"*1829 no live upstreams while connecting to upstream, client: REDACTED, server: goblin.technology, request: "GET /api/v1/streaming?stream=user&access_token=REDACTED HTTP/1.1", upstream: "http://localhost/api/v1/streaming?stream=user&access_token=REDACTED", host: "goblin.technology""#, Some("nginx.no_live_upstreams")),
        ("nginx_error", r#"6#6: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 172.21.0.1, server: , request: "GET / HTTP/1.1", upstream: "http://172.21.0.19:9000/", host: "0.0.0.0:9000""#, Some("nginx.upstream_connect_failed")),
        ("nginx_error", r#"*9 connect() failed (110: Operation timed out) while connecting to upstream, client: 10.1.1.1, server: _, request: "GET / HTTP/1.1", upstream: "http://192.168.215.1:80/""#, Some("nginx.upstream_connect_failed")),
        ("nginx_error", r#"*77 connect() failed (111: Unknown error) while connecting to upstream, client: 10.0.0.5, server: mm, request: "GET /api/v4/users HTTP/1.1", upstream: "http://10.0.0.9:8065/api/v4/users""#, Some("nginx.upstream_connect_failed")),
        ("nginx_error", r#"*12 connect() to unix:/run/php/php8.1-fpm.sock failed (2: No such file or directory) while connecting to upstream, client: 1.2.3.4, server: x, request: "GET /index.php HTTP/1.1", upstream: "fastcgi://unix:/run/php/php8.1-fpm.sock:", host: "x""#, Some("nginx.upstream_connect_failed")),
        ("nginx_error", r#"*5 upstream prematurely closed connection while reading response header from upstream, client: 10.0.0.1, server: api, request: "POST /v1/orders HTTP/1.1", upstream: "http://10.0.1.12:8080/v1/orders""#, Some("nginx.upstream_closed")),
        ("nginx_error", r#"*6 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 10.0.0.1, server: api, request: "GET / HTTP/1.1", upstream: "http://10.0.1.13:8080/""#, Some("nginx.upstream_io_failed")),
        ("nginx_error", r#"*7 upstream sent too big header while reading response header from upstream, client: 10.0.0.1, server: api, request: "GET / HTTP/1.1", upstream: "http://10.0.1.13:8080/""#, Some("nginx.upstream_bad_response")),
        ("nginx_error", "worker process 31 exited on signal 11 (core dumped)", Some("nginx.worker_crashed")),
        ("nginx_error", "bind() to 0.0.0.0:80 failed (98: Address already in use)", Some("nginx.bind_failed")),
        ("nginx_error", "37#37: signal 1 (SIGHUP) received from 21, reconfiguring", Some("nginx.reconfiguring")),
        ("nginx_error", "37#37: reconfiguring", Some("nginx.reconfiguring")),
        ("nginx_error", "1234#1234: signal process started", Some("nginx.reload_signalled")),
        ("nginx_error", "signal 15 (SIGTERM) received from 1, exiting", Some("nginx.stopping")),
        ("nginx_error", r#"37#37: using the "epoll" event method"#, None),
        ("nginx_error", "86#86: gracefully shutting down", None),
        ("nginx_error", r#"54053#0: *1 open() "/usr/local/Cellar/nginx/1.10.2_1/html/favicon.ico" failed (2: No such file or directory), client: 127.0.0.1, server: localhost, request: "GET /favicon.ico HTTP/1.1", host: "localhost:8080", referrer: "http://localhost:8080/""#, None),
        ("nginx_error", r#"*1 recv() failed (104: Connection reset by peer) while reading client request line, client: 10.0.0.1, server: x"#, None),
        ("nginx_error", r#"*2 client timed out (110: Connection timed out) while reading client request headers, client: 10.0.0.1, server: x"#, None),
        // Apache httpd
        ("apache_error", "(111)Connection refused: AH00957: HTTP: attempt to connect to 127.0.0.1:8000 (127.0.0.1) failed", Some("apache.proxy_connect_failed")),
        ("apache_error", "[client 10.0.2.2:53768] AH01114: HTTP: failed to make connection to backend: 127.0.0.1", Some("apache.proxy_no_connection")),
        ("apache_error", "AH00959: ap_proxy_connect_backend disabling worker for (127.0.0.1) for 60s", Some("apache.proxy_worker_disabled")),
        ("apache_error", "(70007)The timeout specified has expired: [client 10.0.0.1:5000] AH01102: error reading status line from remote server 127.0.0.1:8080", Some("apache.proxy_read_failed")),
        ("apache_error", "[client 192.168.33.1] File does not exist: /var/www/favicon.ico", None),
        ("apache_error", "AH00094: Command line: '/usr/local/Cellar/httpd24/2.4.23_2/bin/httpd'", None),
        ("apache_error", "Apache/2.2.22 (Ubuntu) configured -- resuming normal operations", Some("apache.restart")),
        ("apache_error", "AH00169: caught SIGTERM, shutting down", Some("apache.stopping")),
        ("apache_error", "mod_rewrite.c(470): [client 10.121.192.8:38350] 10.121.192.8 - - [dev.elastic.co/sid#55a374e851c8][rid#7fb438083ac0/initial] applying pattern '^/import/?(.*)$' to uri '/'", None),
        // HAProxy
        ("haproxy", r#"[WARNING]  (301) : Server solacescalable_default-default-8443-pub_8443/SRV_2 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."#, Some("haproxy.server_down")),
        ("haproxy", "[ALERT]    (301) : backend 'solacescalable_default-default-8443-pub_8443' has no server available!", Some("haproxy.no_server_available")),
        ("haproxy", "[ALERT] 279/142102 (8) : backend 'check_if_redis_is_master_1' has no server available!", Some("haproxy.no_server_available")),
        ("haproxy", "Health check for server be_app/app-04 failed, reason: Layer7 wrong status, code: 503, info: \"Service Unavailable\", check duration: 2ms, status: 2/3 UP.", Some("haproxy.health_check_failed")),
        ("haproxy", "Server be_app/app-04 is UP, reason: Layer7 check passed, code: 200, check duration: 1ms. 3 active and 0 backup servers online.", Some("haproxy.server_up")),
        ("haproxy", "Server be_app/app-04 is going DOWN for maintenance. 2 active and 0 backup servers left.", Some("haproxy.server_maintenance")),
        ("haproxy", "[WARNING] 041/152937 (32442) : Reexecuting Master process", Some("haproxy.reexec")),
        ("haproxy", "Proxy http started.", Some("haproxy.proxy_started")),
        ("haproxy", "Stopping frontend http in 0 ms.", Some("haproxy.proxy_stopped")),
        ("haproxy", "[NOTICE]   (73) : Reloading HAProxy", Some("haproxy.reloading")),
        ("haproxy", "[NOTICE]   (73) : New worker (23091) forked", Some("haproxy.new_worker")),
        ("haproxy", "[NOTICE]   (73) : Loading success.", Some("haproxy.loading_success")),
        ("haproxy", "[ALERT]    (73) : config : Fatal errors found in configuration.", Some("haproxy.config_failed")),
        ("syslog", "set weight be_app/app-04 10", Some("lb.haproxy_set_weight")),
        ("syslog", "echo 'set server be_app/app-04 weight 90' | socat stdio /run/haproxy.sock", Some("lb.haproxy_set_server_weight")),
        // Envoy and health
        ("json", "upstream connect error or disconnect/reset before headers. reset reason: connection failure", Some("envoy.upstream_connect_error")),
        ("json", "no healthy upstream", Some("envoy.no_healthy_upstream")),
        ("syslog", "Readiness probe failed: HTTP probe failed with statuscode: 503", Some("k8s.probe_failed")),
        ("logfmt", "health check failed for 10.0.1.12:8080: status 500", Some("health.check_failed")),
        ("logfmt", "backend app-04 marked as unhealthy", Some("health.marked_down")),
        // Traefik v1/v2 health checks (pkg/healthcheck wording).
        ("logfmt", r#"Health check failed, removing from server list. Backend: "api@docker" URL: "http://10.0.42.13:8080" Weight: 1 Reason: HTTP request failed"#, Some("traefik.server_down")),
        ("logfmt", r#"Health check still failing. Backend: "api" URL: "http://10.0.42.13:8080" Reason: timeout"#, Some("traefik.server_down")),
        ("logfmt", r#"Health check up: Returning to server list. Backend: "api@docker" URL: "http://10.0.42.13:8080" Weight: 1"#, Some("traefik.server_up")),
        ("json", "Instance api-2 status changed to DOWN", Some("health.marked_down")),
        ("json", "health check passed for 10.0.1.12:8080", Some("health.check_passed")),
        ("json", "backend app-04 is now healthy", Some("health.marked_up")),
        ("json", "server is healthy", None),
        ("json", "healthy=3 unhealthy=0", None),
        // alerts in text
        ("syslog", "SERVICE ALERT: web1;HTTP;CRITICAL;HARD;3;CRITICAL - Socket timeout after 10 seconds", Some("alert.nagios_problem")),
        ("syslog", "SERVICE ALERT: web1;HTTP;CRITICAL;SOFT;1;CRITICAL - Socket timeout after 10 seconds", None),
        ("syslog", "SERVICE ALERT: web1;HTTP;OK;HARD;3;HTTP OK: HTTP/1.1 200 OK", Some("alert.nagios_ok")),
        ("json", "sending notification [FIRING:1] HighErrorRate (api production)", Some("alert.notification_firing")),
        ("json", "[RESOLVED] HighErrorRate (api production)", Some("alert.notification_resolved")),
        ("json", "Alert HighLatency is firing", Some("alert.generic_firing")),
        ("json", "incident resolved, all systems operational", Some("recovery.resolved")),
        // changes: deploys, k8s, terraform, ansible
        ("timestamped", "deploy: set weight=10 on 10.0.1.12:8080 (was 100)", Some("lb.weight_set")),
        ("timestamped", "Changing weight of app-04 from 100 to 10", Some("lb.weight_set")),
        ("timestamped", "+    server 10.0.1.12:8080 weight=10;", Some("lb.server_weight")),
        ("timestamped", "Deploying version 1.4.2 to production", Some("deploy.version")),
        ("timestamped", "deployed api v2.3.1 (commit 3f2a9c1)", Some("deploy.version")),
        ("timestamped", "Rolling back api to version 1.4.1", Some("deploy.rollback")),
        ("timestamped", "deployment.apps/nginx-deployment rolled back", Some("deploy.rollback")),
        ("timestamped", "Transaction rolled back because it has been marked as rollback-only", None),
        ("timestamped", r#"deployment "nginx-deployment" successfully rolled out"#, Some("k8s.rollout_complete")),
        ("timestamped", "Waiting for rollout to finish: 2 out of 3 new replicas have been updated...", Some("k8s.rollout_waiting")),
        ("timestamped", "Normal  ScalingReplicaSet  24s   deployment-controller  Scaled up replica set nginx-deployment-1564180365 to 1", Some("k8s.scaled_replica_set")),
        ("timestamped", "deployment.apps/web configured", Some("k8s.resource_changed")),
        ("timestamped", "service/web unchanged", None),
        ("timestamped", "+ kubectl apply -f k8s/deploy.yaml", Some("deploy.command")),
        ("timestamped", "Error: UPGRADE FAILED: timed out waiting for the condition", Some("deploy.failed")),
        ("timestamped", r#"deployment "api" exceeded its progress deadline"#, Some("deploy.failed")),
        ("json", "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.", Some("terraform.apply_complete")),
        ("logfmt", "Sync operation to 48013a8 succeeded", Some("argocd.sync")),
        ("logfmt", "Initiated automated sync to '48013a8'", Some("argocd.sync")),
        ("logfmt", "Updated sync status: OutOfSync -> Synced", Some("argocd.sync_status")),
        ("json", "Reconciliation finished in 1.2s, next run in 10m0s", Some("flux.applied")),
        ("json", "server-side apply completed", Some("flux.applied")),
        ("timestamped", "    Evaluation triggered by job \"shop-api\"", Some("nomad.job_progress")),
        ("timestamped", "Evaluation within deployment: \"037572cd\"", Some("nomad.job_progress")),
        ("timestamped", "    2023-05-10T10:00:10Z: Allocation \"a1b2c3d4\" created: node \"f1e2d3c4\", group \"api\"", Some("nomad.job")),
        ("timestamped", "[DEBUG] worker: dequeued evaluation: eval_id=155b6b3a-b5c2 type=service namespace=default job_id=web node_id=\"\" triggered_by=job-register", Some("nomad.job")),
        ("timestamped", "deploy>web Canaries=0/0 Placed=2 Desired=2 Healthy=2 Unhealthy=0 Deployment completed successfully", Some("nomad.job_progress")),
        ("timestamped", "Applied catalog in 12.34 seconds", Some("puppet.catalog")),
        ("timestamped", "Chef Infra Client finished, 3/120 resources updated in 45 seconds", Some("chef.run")),
        ("timestamped", "Succeeded: 12 (changed=3)", Some("salt.state")),
        ("json", "feature-environment-enabled", Some("flag.audit")),
        ("json", "Jane turned on the flag checkout-v2 in Production", Some("flag.audit")),
        ("timestamped", "cds: add 3 cluster(s), remove 1 cluster(s)", Some("envoy.xds_update")),
        ("syslog", "disable server app/app-04", Some("lb.haproxy_server_toggle")),
        ("logfmt", "action=apply target=prod", Some("change.action")),
        ("timestamped", "INFO  [alembic.runtime.migration] Running upgrade b5559f07f5b2 -> becb4307fb48, add NOT NULL", Some("db.migration")),
        ("timestamped", "Migrating schema \"public\" to version \"42 - add index\"", Some("db.migration")),
        ("timestamped", "ChangeSet db/changelog.xml::42::dev ran successfully in 12ms", Some("db.migration")),
        ("json", "random_pet.animal: Creation complete after 0s [id=smart-lizard]", Some("terraform.resource_changed")),
        ("timestamped", "p=1285948 u=ansible n=ansible | PLAY [webservers] ***********************************", Some("ansible.play")),
        ("timestamped", "p=1285948 u=ansible n=ansible | compute-0                  : ok=311  changed=174  unreachable=0    failed=0    skipped=149  rescued=0    ignored=0", Some("ansible.recap_changed")),
        ("timestamped", "compute-1 : ok=10 changed=0 unreachable=0 failed=0 skipped=1 rescued=0 ignored=0", None),
        ("timestamped", "compute-2 : ok=10 changed=2 unreachable=0 failed=1 skipped=1 rescued=0 ignored=0", Some("ansible.recap_failed")),
        ("timestamped", "p=1285948 u=ansible n=ansible | fatal: [web1]: FAILED! => {\"changed\": false}", Some("ansible.task_failed")),
        ("timestamped", "p=1285948 u=ansible n=ansible | ↳  jump | SUCCESS | 991ms", None),
        ("json", "feature flag new-checkout enabled for 10% of users", Some("flag.changed")),
        ("json", "disabled feature flag new-checkout", Some("flag.changed_by")),
        ("json", "configuration reloaded from /etc/app/config.yaml", Some("config.changed")),
        ("json", "config unchanged", None),
        ("json", "failed to reload config: yaml: line 3: did not find expected key", Some("config.failed")),
        // systemd
        ("syslog", "Started nginx.service - A high performance web server and a reverse proxy server.", Some("systemd.started")),
        ("syslog", "Stopping A high performance web server and a reverse proxy server...", Some("systemd.stopping")),
        ("syslog", "Stopped A high performance web server and a reverse proxy server.", Some("systemd.stopped")),
        ("syslog", "Starting A high performance web server and a reverse proxy server...", Some("systemd.starting")),
        ("syslog", "Reloading A high performance web server and a reverse proxy server...", Some("systemd.reloading")),
        ("syslog", "Reloaded A high performance web server and a reverse proxy server.", Some("systemd.reloaded")),
        ("syslog", "nginx.service: Failed with result 'exit-code'.", Some("systemd.unit_failed")),
        ("syslog", "Failed to start A high performance web server and a reverse proxy server.", Some("systemd.start_failed")),
        ("syslog", "api.service: Main process exited, code=exited, status=1/FAILURE", Some("systemd.main_process_failed")),
        ("syslog", "api.service: Main process exited, code=exited, status=0/SUCCESS", None),
        ("syslog", "api.service: Scheduled restart job, restart counter is at 3.", Some("systemd.restart_scheduled")),
        ("syslog", "Stopped target Basic System.", None),
        ("syslog", "Stopped target Paths.", None),
        ("syslog", "Started Session 12 of User root.", None),
        ("syslog", "Started Daily apt download activities.", None),
        ("syslog", "session-12.scope: Deactivated successfully.", None),
        ("syslog", "shutting down for system halt", None),
        ("syslog", "pam_unix(sudo-i:session): session opened for user root by userauth3(uid=0)", None),
        ("syslog", "'su root' failed for lonvick on /dev/pts/8", None),
        ("syslog", "constraint_0_power_limit_uw exceeded.", None),
        ("syslog", "Use the BFG!", None),
        ("json", "Started DemoApplication in 2.345 seconds (process running for 2.789)", Some("app.started")),
        // application failures
        ("syslog", "Out of memory: Killed process 1234 (java) total-vm:8123456kB, anon-rss:4012345kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:9000kB oom_score_adj:0", Some("oom.kernel_kill")),
        ("syslog", "Memory cgroup out of memory: Killed process 4321 (node) total-vm:1kB", Some("oom.kernel_kill")),
        ("syslog", "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=abc,mems_allowed=0,oom_memcg=/kubepods/pod1,task_memcg=/kubepods/pod1/c1,task=java,pid=1234,uid=0", Some("oom.kernel_task")),
        ("syslog", "api.service: A process of this unit has been killed by the OOM killer.", Some("oom.systemd_unit")),
        ("timestamped", "Last State: Terminated Reason: OOMKilled Exit Code: 137", Some("oom.container")),
        ("timestamped", "java.lang.OutOfMemoryError: Java heap space", Some("oom.java")),
        ("timestamped", "Exception in thread \"main\" java.lang.OutOfMemoryError: GC overhead limit exceeded", Some("oom.java")),
        ("timestamped", "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory", Some("oom.generic")),
        ("timestamped", "panic: runtime error: invalid memory address or nil pointer dereference", Some("crash.panic")),
        ("timestamped", "http: panic serving 10.0.0.7:51234: runtime error: index out of range [3] with length 3", Some("crash.go_http_panic")),
        ("timestamped", "thread 'main' panicked at src/main.rs:2:5:", Some("crash.rust_panic")),
        ("timestamped", "thread 'tokio-runtime-worker' panicked at 'called `Option::unwrap()` on a `None` value', src/db.rs:41:10", Some("crash.rust_panic")),
        ("timestamped", "fatal error: concurrent map writes", Some("crash.fatal_error")),
        ("syslog", "app[1234]: segfault at 0 ip 00007f0e8e4d5e7a sp 00007ffc0c0c0c00 error 4 in libc.so.6[7f0e8e400000+1b000]", Some("crash.segfault")),
        ("timestamped", "/entrypoint.sh: line 3:    42 Segmentation fault      (core dumped) ./server", Some("crash.segfault")),
        ("klog", r#""Generic (PLEG): container finished" podID="be2bc808-aab0-0138-f9c1-375bddb1a19d" containerID="d465eeba0911c098" exitCode=137"#, Some("crash.container_exit")),
        ("klog", r#""Generic (PLEG): container finished" podID="1b2c" containerID="9f8e" exitCode=0"#, None),
        ("timestamped", "info\tads\tPush debounce stable[1] 103 for config Secret/kasten-io/k10-license and 42 more configs: 100.026396ms since last change, 163.533964ms since last push, full=true", Some("istio.config_push")),
        ("timestamped", "info ads Push debounce stable[5251] 1 for reason unknown:1: 100.237856ms since last change, 100.237756ms since last push, full=true", Some("istio.config_push")),
        // An incremental push (endpoints) is only the generic config change.
        ("timestamped", "info ads Push debounce stable[52] 2 for config ServiceEntry/default/x: 100.1ms since last change, 100.2ms since last push, full=false", Some("config.changed")),
        ("timestamped", "Notice: /Stage[main]/Apache/File[/etc/httpd/conf/httpd.conf]/content: content changed '{md5}27a5c8d9e75351b08b8ca1171e8a0bbd' to '{md5}227489018cada97a86d93b5ffafd6d4b'", Some("puppet.resource_changed")),
        ("timestamped", "Notice: /Stage[main]/Profile/File[/etc/profile.d/append-path.sh]/mode: mode changed '0646' to '0644'", Some("puppet.resource_changed")),
        ("timestamped", "notice: /File[/var/www/index.html]/content: content changed '{md5}4ecd3a77ef8ac3c285460b11765abaac' to '{md5}377f7396ee60e38e1a45c9af31e31a7f'", Some("puppet.resource_changed")),
        ("timestamped", "Notice: /Stage[main]/Ssh/Service[ssh]: Triggered 'refresh' from 1 events", Some("puppet.refresh_restart")),
        ("timestamped", "Notice: Applied catalog in 0.04 seconds", Some("puppet.catalog")),
        ("json", "Flag / Remote Config updated: checkout_v2", Some("flag.audit")),
        ("json", "Segment rules updated for flag: checkout_v2 in environment: Production", Some("flag.audit")),
        ("json", "Flag state / Remote Config value updated for feature: checkout_v2", Some("flag.audit")),
        ("timestamped", "web_1 exited with code 137", Some("crash.exit_code")),
        ("timestamped", "web_1 exited with code 0", None),
        ("timestamped", "worker killed by signal 9", Some("crash.killed_by_signal")),
        ("timestamped", "exit status 2", Some("crash.exit_status")),
        ("timestamped", "Back-off restarting failed container api in pod api-7d9f_prod", Some("k8s.crash_loop")),
        ("timestamped", "17m         Warning   Failed    pod/bad-pod   Error: ImagePullBackOff", Some("k8s.image_pull_failed")),
        ("timestamped", "0/3 nodes are available: 3 Insufficient memory.", Some("k8s.scheduling_failed")),
        ("timestamped", "Evicted 1200 keys from the cache", None),
        ("timestamped", "write /var/lib/app/data.db: no space left on device", Some("disk.full")),
        ("timestamped", "accept4: too many open files; retrying in 1s", Some("files.too_many_open")),
        ("timestamped", "HikariPool-1 - Connection is not available, request timed out after 30005ms.", Some("db.hikari_pool_exhausted")),
        ("timestamped", "FATAL:  sorry, too many clients already", Some("db.pool_exhausted")),
        ("timestamped", "FATAL:  remaining connection slots are reserved for non-replication superuser connections", Some("db.pool_exhausted")),
        ("timestamped", "ERROR 1040 (HY000): Too many connections", Some("db.pool_exhausted")),
        ("timestamped", "Could not obtain connection to query database", Some("db.pool_exhausted")),
        ("timestamped", "connection pool exhausted", Some("db.pool_exhausted")),
        ("timestamped", "CircuitBreaker 'backendA' changed state from CLOSED to OPEN", Some("circuit.open")),
        ("timestamped", "CircuitBreaker 'backendA' changed state from HALF_OPEN to CLOSED", Some("circuit.closed")),
        ("timestamped", "CircuitBreaker 'backendA' changed state from OPEN to HALF_OPEN", None),
        ("timestamped", "circuit breaker opened for payments", Some("circuit.open")),
        ("timestamped", "dial tcp 10.0.3.7:5432: connect: connection refused", Some("net.dial_failed")),
        ("timestamped", "dial tcp: lookup db.internal on 10.0.0.2:53: no such host", Some("net.dns_failure")),
        ("timestamped", "Error: connect ECONNREFUSED 127.0.0.1:6379", Some("net.node_socket_error")),
        ("timestamped", "java.net.ConnectException: Connection refused (Connection refused)", Some("net.connection_refused")),
        ("timestamped", "Connection to localhost:5432 refused. Check that the hostname and port are correct", Some("net.connection_refused")),
        ("timestamped", "ConnectionRefusedError: [Errno 111] Connection refused", Some("net.connection_refused")),
        ("timestamped", "read tcp 10.0.0.1:34567->10.0.3.7:5432: read: connection reset by peer", Some("net.go_io_failed")),
        ("timestamped", "upstream 10.0.0.1:54321 connection reset", Some("net.connection_reset")),
        ("timestamped", "upstream returned 503 Service Unavailable", Some("http.bad_gateway_status")),
        ("timestamped", "context deadline exceeded", Some("timeout")),
        ("timestamped", "java.net.SocketTimeoutException: Read timed out", Some("timeout")),
        ("timestamped", "Get \"http://payments:8080/charge\": net/http: request canceled (Client.Timeout exceeded while awaiting headers)", Some("timeout")),
        ("timestamped", "query to db.internal:5432 timed out after 30s", Some("timeout")),
        ("timestamped", "Lock wait timeout exceeded; try restarting transaction", Some("timeout")),
        ("timestamped", "Starting server with read timeout=30s write_timeout=30s", None),
        ("timestamped", "processed 1200 requests, 0 errors, 0 timeouts", None),
        ("timestamped", "http client: using default timeout of 30s", None),
        ("timestamped", "job 1234 marked as failed", None),
        ("timestamped", "Released lock on shard 3", None),
        ("timestamped", "Loading configuration file /etc/prometheus/prometheus.yml", None),
        ("timestamped", "Failed password for invalid user admin from 10.0.0.1 port 22 ssh2", None),
        ("timestamped", "Database system is ready to accept connections", None),
        ("timestamped", "Exception in thread \"pool-1-thread-3\" java.lang.IllegalStateException: closed", Some("exception.uncaught_java")),
        ("timestamped", "Traceback (most recent call last):", Some("exception.python_traceback")),
        ("timestamped", "Unhandled exception. System.InvalidOperationException: Sequence contains no elements", Some("exception.unhandled")),
        ("timestamped", "FATAL: terminating connection due to administrator command", Some("fatal")),
        ("timestamped", "java.lang.NullPointerException: Cannot invoke \"String.length()\" because \"s\" is null", Some("exception.class")),
        ("timestamped", "ValueError: invalid literal for int() with base 10: 'x'", Some("exception.class")),
        ("timestamped", "Error: something", None),
        // recoveries
        ("timestamped", "connection to db.internal:5432 re-established", Some("connection.restored")),
        ("timestamped", "Reconnected to redis at 10.0.0.9:6379", Some("connection.restored")),
        ("timestamped", "Reconnecting to redis...", None),
        ("timestamped", "payments service recovered after 3 failed checks", Some("recovery.recovered")),
        ("timestamped", "error rate back to normal", Some("recovery.recovered")),
        ("timestamped", "[Recovery] 2024/03/09 - 10:00:00 panic recovered:", None),
        // ordinary lines
        ("json", "Starting zPages extension", None),
        ("json", "hello world", None),
        ("json", "hi", None),
        ("logfmt", "GET / 200", None),
        ("logfmt", "The group's number increased tremendously!", None),
        ("logfmt", "Data proxy error", None),
        ("timestamped", "KSUpdateEngine updating all installed products, except:'com.google.Keystone'.", None),
        ("timestamped", "isProcessing=NO actionsCompleted=0 progress=0.00 errors=0 currentActionErrors=0", None),
        ("timestamped", "Pulling image \"knginx\"", None),
        ("timestamped", "Checking for updates for \"All Products\" using engine", None),
        ("timestamped", "User 42 logged in from 10.0.0.1", None),
        ("timestamped", "cache miss for key user:42", None),
        ("timestamped", "retrying request (attempt 2 of 3)", None),
        ("timestamped", "Listening on 0.0.0.0:8080", None),
        ("timestamped", "", None),
        ("timestamped", "   ", None),
    ];

    #[test]
    fn deferred_builtins_read_the_same_capture_names_as_compiled() {
        for (name, src) in BUILTIN_FILES {
            let origin = format!("builtin:{name}");
            let lazy = parse_source(src, &origin, Path::new(&origin), true).unwrap();
            let eager = parse_source(src, &origin, Path::new(&origin), false).unwrap();
            assert_eq!(lazy.len(), eager.len());
            for (l, e) in lazy.iter().zip(&eager) {
                let (Entry::Define(l), Entry::Define(e)) = (l, e) else {
                    panic!("{name}: built-ins do not disable patterns")
                };
                assert!(l.regex.compiled.get().is_none(), "{} compiled early", l.id);
                assert_eq!(l.regex.names, e.regex.names, "{}", l.id);
                assert_eq!(l.title_parts, e.title_parts, "{}", l.id);
                assert_eq!(l.key_groups, e.key_groups, "{}", l.id);
                assert!(l.regex.get().is_some(), "{} does not compile", l.id);
            }
        }
    }

    /// The first pattern of `format`'s group whose own regex matches, as
    /// `find` must answer it (no set, no DFA, no memo).
    fn first_by_hand(set: &PatternSet, format: &str, text: &str) -> Option<String> {
        let group = set.groups.get(set.group_index(format))?;
        for &i in &group.members {
            let p = &set.patterns[i];
            if p.regex.get().is_some_and(|r| r.is_match(text)) {
                return (!p.ignore).then(|| p.id.clone());
            }
        }
        None
    }

    #[test]
    fn texts_behind_a_bracketed_prefix_find_what_a_search_of_the_whole_text_finds() {
        let set = builtin_set();
        let prefixes = [
            "INFO  [http-nio-8080-exec-1] ",
            "ERROR [http-nio-8080-exec-2] ",
            "WARN  [pool-3-thread-9] ",
            "INFO  [OutOfMemoryError] ",
            "INFO  [connection refused] ",
            "[] ",
            "no bracket here ",
        ];
        let tails = [
            "com.shop.web.RequestLog - GET /search 200 48ms",
            "com.shop.orders.OrderService - java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.",
            "c.s.App - java.lang.OutOfMemoryError: Java heap space",
            "c.s.Db - Connection refused",
            "c.s.Deploy - Deployed version 1.2.3",
            "",
            "x",
        ];
        let mut matched = 0;
        // Twice over: the second round answers from the memos.
        for _ in 0..2 {
            for p in prefixes {
                for t in tails {
                    let text = format!("{p}{t}");
                    for format in ["timestamped", "syslog", "json"] {
                        let found = id_for(format, &text);
                        assert_eq!(found, first_by_hand(set, format, &text), "{format}: {text}");
                        matched += usize::from(found.is_some());
                    }
                }
            }
        }
        // Matches in the prefix, in the tail and in neither were all met.
        assert!(matched > 40, "{matched}");
    }

    #[test]
    fn repeated_texts_find_the_same_match_as_the_first_time() {
        let set = builtin_set();
        let line = "upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.1, server: shop, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.1.12:8080/\"";
        let first = set
            .find("nginx_error", line)
            .map(|m| (m.pattern.id.clone(), m.fields, m.title, m.key));
        assert!(first.is_some());
        for _ in 0..3 {
            let again = set
                .find("nginx_error", line)
                .map(|m| (m.pattern.id.clone(), m.fields, m.title, m.key));
            assert_eq!(again, first);
        }
        // Another set's results are not taken from this set's memo.
        let other = load_one(
            "[[pattern]]\nid = \"t.timeout\"\nkind = \"error\"\nregex = '''timed out'''\n",
        )
        .unwrap();
        let found = other
            .find("nginx_error", line)
            .map(|m| m.pattern.id.clone());
        assert_eq!(found.as_deref(), Some("t.timeout"));
        assert_eq!(
            set.find("nginx_error", line)
                .map(|m| (m.pattern.id.clone(), m.fields, m.title, m.key)),
            first
        );
    }

    #[test]
    fn real_lines_hit_the_expected_pattern() {
        let mut failures = Vec::new();
        for (format, text, want) in TABLE {
            let got = id_for(format, text);
            if got.as_deref() != *want {
                failures.push(format!("{text:?}\n    want {want:?}, got {got:?}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    /// The kubelet's crash-loop line and its readiness line name the same
    /// pod, so a crash loop ends at that pod's last `ready` (lines from
    /// kubelet journals quoted in public issues and docs).
    #[test]
    fn a_crash_loop_and_the_pod_s_readiness_share_a_key() {
        let set = builtin_set();
        let key = |text: &str| {
            let m = set.find("klog", text).expect(text);
            (m.pattern.id.clone(), m.key)
        };
        let crash = key(
            r#""Error syncing pod, skipping" err="failed to \"StartContainer\" for \"nfs-client-provisioner\" with CrashLoopBackOff: \"back-off 5m0s restarting failed container=nfs-client-provisioner pod=nfs-client-provisioner-56f77ff677-wkfmq_default(80ce594f-dfaa-40fd-ae06-032ec1187193)\"" pod="default/nfs-client-provisioner-56f77ff677-wkfmq" podUID="80ce594f-dfaa-40fd-ae06-032ec1187193""#,
        );
        let ready = key(
            r#""SyncLoop (probe)" probe="readiness" status="ready" pod="default/nfs-client-provisioner-56f77ff677-wkfmq""#,
        );
        assert_eq!(crash.0, "k8s.crash_loop");
        assert_eq!(ready.0, "k8s.pod_ready");
        assert_eq!(crash.1, "nfs-client-provisioner-56f77ff677-wkfmq");
        assert_eq!(crash.1, ready.1);
        // An event's wording names the pod too.
        let event = key("Back-off restarting failed container api in pod api-7d9f_prod");
        assert_eq!(event.1, "api-7d9f");
        // Other probe results are not a recovery.
        assert!(set
            .find(
                "klog",
                r#""SyncLoop (probe)" probe="readiness" status="" pod="prometheus/prometheus-0""#
            )
            .is_none_or(|m| m.pattern.id != "k8s.pod_ready"));
    }

    fn load_one(src: &str) -> Result<PatternSet, PatternError> {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "user.toml", src);
        PatternSet::load(&[p])
    }

    #[test]
    fn user_pattern_replaces_builtin_and_takes_priority() {
        let builtin = builtin_set();
        let set = load_one(
            r#"
[[pattern]]
id = "nginx.upstream_timeout"
kind = "alert"
severity = "critical"
regex = '''upstream timed out'''
title = "mine"

[[pattern]]
id = "my.refused"
kind = "error"
regex = '''Connection refused'''
"#,
        )
        .unwrap();
        assert_eq!(set.patterns().len(), builtin.patterns().len() + 1);
        assert_eq!(
            set.patterns()
                .iter()
                .filter(|p| p.id == "nginx.upstream_timeout")
                .count(),
            1
        );
        assert_eq!(set.patterns()[0].id, "nginx.upstream_timeout");
        assert_eq!(set.patterns()[1].id, "my.refused");
        assert!(set.patterns()[0].origin.ends_with("user.toml"));
        assert_eq!(set.patterns()[0].line, 2);

        let m = set
            .find(
                "nginx_error",
                "upstream timed out (110: Connection timed out) while reading response header from upstream",
            )
            .unwrap();
        assert_eq!(m.pattern.id, "nginx.upstream_timeout");
        assert_eq!(m.pattern.kind, EventKind::Alert);
        assert_eq!(m.pattern.severity, Severity::Critical);
        assert_eq!(m.title, "mine");

        // User patterns come before every built-in, however specific.
        let line = "connect() failed (111: Connection refused) while connecting to upstream";
        assert_eq!(
            id_for("nginx_error", line).as_deref(),
            Some("nginx.upstream_connect_failed")
        );
        assert_eq!(
            set.find("nginx_error", line).unwrap().pattern.id,
            "my.refused"
        );
        // Default severity follows the kind.
        assert_eq!(set.patterns()[1].severity, Severity::Error);
        assert_ne!(set.fingerprint(), builtin.fingerprint());
        assert!(set.warnings().is_empty());
    }

    #[test]
    fn enabled_false_disables_a_pattern() {
        let text = "context deadline exceeded";
        assert_eq!(id_for("json", text).as_deref(), Some("timeout"));
        let set = load_one(
            "[[pattern]]\nid = \"timeout\"\nenabled = false\n\n[[pattern]]\nid = \"no.such.pattern\"\nenabled = false\n",
        )
        .unwrap();
        assert!(set.find("json", text).is_none());
        assert_eq!(set.patterns().len(), builtin_set().patterns().len() - 1);
        assert_eq!(set.warnings().len(), 1);
        assert!(
            set.warnings()[0].contains("no.such.pattern"),
            "{:?}",
            set.warnings()
        );
    }

    #[test]
    fn unicode_word_boundaries_draw_a_warning() {
        assert!(unicode_word_boundary(r"\bfoo\b"));
        assert!(unicode_word_boundary(r"a\Bb"));
        assert!(!unicode_word_boundary(r"(?-u:\b)foo(?-u:\b)"));
        assert!(!unicode_word_boundary(r"a\\b"));
        assert!(!unicode_word_boundary(r"plain"));
        let set =
            load_one("[[pattern]]\nid = \"w\"\nkind = \"error\"\nregex = '\\bboom\\b'\n").unwrap();
        assert_eq!(set.warnings().len(), 1);
        assert!(
            set.warnings()[0].contains("(?-u:\\b)"),
            "{:?}",
            set.warnings()
        );
        // Built-ins follow the advice.
        for p in builtin_set().patterns() {
            assert!(!unicode_word_boundary(p.regex.as_str()), "{}", p.id);
        }
    }

    #[test]
    fn readme_example_is_valid() {
        let readme = include_str!("../patterns/README.md");
        let example = readme
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("README has a toml example");
        let pats = check_src(example).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pats.len(), 1);
        let set = load_one(example).unwrap();
        let m = set
            .find("json", "payment gateway stripe-eu timed out after 30s")
            .unwrap();
        assert_eq!(m.pattern.id, "myapp.payment_timeout");
        assert_eq!(m.title, "payment gateway stripe-eu timed out");
        assert_eq!(m.key, "stripe-eu");
        // A format the example does not list falls through to the built-ins.
        let m = set
            .find("syslog", "payment gateway stripe-eu timed out after 30s")
            .unwrap();
        assert_eq!(m.pattern.id, "timeout");
    }

    #[test]
    fn ignore_patterns_drop_lines() {
        let set = load_one(
            "[[pattern]]\nid = \"quiet.deadline\"\nkind = \"ignore\"\nregex = '''deadline exceeded'''\n",
        )
        .unwrap();
        assert!(set.patterns()[0].ignore);
        assert!(set.find("json", "context deadline exceeded").is_none());
        assert!(set.find("json", "Read timed out").is_some());
    }

    #[test]
    fn broken_toml_reports_line_and_column() {
        let err =
            check_src("[[pattern]]\nid = \"a.b\"\nkind = \"error\nregex = 'x'\n").unwrap_err();
        match &err {
            PatternError::Syntax { line, .. } => assert_eq!(*line, 3, "{err}"),
            other => panic!("{other}"),
        }
        let text = err.to_string();
        assert!(text.contains("p.toml:3:"), "{text}");
        assert!(text.contains("[[pattern]]"), "{text}");
    }

    #[test]
    fn bad_regex_names_id_and_line() {
        let src =
            "# mine\n[[pattern]]\nid = \"my.bad\"\nkind = \"error\"\nregex = '''(unclosed'''\n";
        let err = check_src(src).unwrap_err();
        match &err {
            PatternError::Regex { id, line, .. } => {
                assert_eq!(id, "my.bad");
                assert_eq!(*line, 5);
            }
            other => panic!("{other}"),
        }
        let text = err.to_string();
        assert!(
            text.contains("p.toml:5: pattern 'my.bad': invalid regex"),
            "{text}"
        );
        assert!(text.contains("unclosed group"), "{text}");
        assert!(text.contains("triple single quotes"), "{text}");
    }

    #[test]
    fn oversized_patterns_are_refused_clearly() {
        let long = format!(
            "[[pattern]]\nid = \"my.long\"\nkind = \"error\"\nregex = '''{}'''\n",
            "a".repeat(MAX_REGEX_SOURCE + 1)
        );
        let err = check_src(&long).unwrap_err();
        assert!(
            matches!(err, PatternError::TooLarge { line: 4, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("4096 allowed"), "{err}");

        let big =
            "[[pattern]]\nid = \"my.big\"\nkind = \"error\"\nregex = '''(?:[a-z]{1000}){1000}'''\n";
        let err = check_src(big).unwrap_err();
        assert!(
            matches!(err, PatternError::TooLarge { line: 4, .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("compiles to more than 1024 KiB"),
            "{err}"
        );

        let mut many = String::new();
        for i in 0..=MAX_PATTERNS_PER_FILE {
            many.push_str(&format!(
                "[[pattern]]\nid = \"p{i}\"\nkind = \"info\"\nregex = 'x{i}'\n"
            ));
        }
        let err = check_src(&many).unwrap_err();
        assert!(
            err.to_string().contains("more than the 1000 allowed"),
            "{err}"
        );
    }

    #[test]
    fn schema_mistakes_name_the_line_and_the_fix() {
        let cases: &[(&str, usize, &str)] = &[
            ("[[pattern]]\nkind = \"error\"\nregex = 'x'\n", 1, "has no `id`"),
            ("[[pattern]]\nid = \"a\"\nregex = 'x'\n", 1, "has no `kind`"),
            ("[[pattern]]\nid = \"a\"\nkind = \"error\"\n", 1, "has no `regex`"),
            (
                "\n[[pattern]]\nid = \"a\"\nkind = \"errror\"\nregex = 'x'\n",
                4,
                "unknown kind \"errror\"; use error",
            ),
            ("[[pattern]]\nid = \"a\"\nkind = \"marker\"\nregex = 'x'\n", 3, "reserved"),
            ("[[pattern]]\nid = \"alert.firing\"\nkind = \"alert\"\nregex = 'x'\n", 2, "reserved for events postmortem makes"),
            ("[[pattern]]\nid = \"lb.failed_requests\"\nkind = \"error\"\nregex = 'x'\n", 2, "reserved"),
            ("[[pattern]]\nid = \"marker.peak\"\nkind = \"info\"\nregex = 'x'\n", 2, "reserved"),
            (
                "[[pattern]]\nid = \"a\"\nkind = \"error\"\nseverity = \"fatal\"\nregex = 'x'\n",
                4,
                "unknown severity \"fatal\"",
            ),
            (
                "[[pattern]]\nid = \"a\"\nkind = \"error\"\nregex = 'x'\n[[pattern]]\nid = \"a\"\nkind = \"error\"\nregex = 'y'\n",
                6,
                "already used at line 2",
            ),
            (
                "[[pattern]]\nid = \"a\"\nkind = \"error\"\nseverty = \"error\"\nregex = 'x'\n",
                4,
                "unknown field `severty`",
            ),
            (
                "[[pattern]]\nid = \"a\"\nkind = \"error\"\nregex = 'x'\nformats = [\"ngnix_error\"]\n",
                5,
                "unknown format \"ngnix_error\"; known formats: ",
            ),
            (
                "[[pattern]]\nid = \"a\"\nkind = \"error\"\nregex = '(?P<host>x)'\ntitle = \"down: {hots}\"\n",
                5,
                "\"hots\" is not a named capture of the regex; its named captures are: host",
            ),
            (
                "[[pattern]]\nid = \"a\"\nkind = \"error\"\nregex = '(?P<host>x)'\ntitle = \"down: {host\"\n",
                5,
                "without a closing",
            ),
            (
                "[[pattern]]\nid = \"a\"\nkind = \"error\"\nregex = 'x'\nkey = [\"host\"]\n",
                5,
                "has no named captures",
            ),
            ("[pattern]\nid = \"a\"\nkind = \"error\"\nregex = 'x'\n", 1, "double brackets"),
            ("[[pattern]]\nid = \"a\"\nkind = \"error\"\nregex = ''\n", 4, "empty"),
            (
                "[[pattern]]\nid = \"a\"\nkind = \"error\"\nregex = 'x*'\n",
                4,
                "matches an empty message",
            ),
            ("[[pattern]]\nid = \"has space\"\nkind = \"error\"\nregex = 'x'\n", 2, "is not valid"),
            (
                "[[pattern]]\nid = \"a\"\nkind = \"error\"\nregex = 'x'\nenabled = \"no\"\n",
                5,
                "invalid type",
            ),
        ];
        for (src, want_line, want_text) in cases {
            let err = match check_src(src) {
                Ok(_) => panic!("accepted:\n{src}"),
                Err(e) => e,
            };
            let line = match &err {
                PatternError::Syntax { line, .. }
                | PatternError::Regex { line, .. }
                | PatternError::Invalid { line, .. }
                | PatternError::TooLarge { line, .. } => *line,
                other => panic!("{other}"),
            };
            let text = err.to_string();
            assert_eq!(line, *want_line, "{src}\n{text}");
            assert!(
                text.contains(want_text),
                "{src}\nwant {want_text:?} in:\n{text}"
            );
        }
    }

    #[test]
    fn a_directory_loads_its_toml_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "b.toml",
            "[[pattern]]\nid = \"b.hello\"\nkind = \"info\"\nregex = 'hello'\n",
        );
        write(
            dir.path(),
            "a.toml",
            "[[pattern]]\nid = \"a.hello\"\nkind = \"change\"\nregex = 'hello'\n",
        );
        write(dir.path(), "notes.txt", "not toml at all [[[");
        write(dir.path(), ".hidden.toml", "not toml at all [[[");
        let set = PatternSet::load(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(set.patterns()[0].id, "a.hello");
        assert_eq!(set.patterns()[1].id, "b.hello");
        assert_eq!(
            set.find("json", "hello world").unwrap().pattern.id,
            "a.hello"
        );

        // The same id in a later file replaces the earlier one (taking the
        // later file's place in the order), with a warning.
        write(
            dir.path(),
            "c.toml",
            "[[pattern]]\nid = \"a.hello\"\nkind = \"error\"\nregex = 'hello'\n",
        );
        let set = PatternSet::load(&[dir.path().to_path_buf()]).unwrap();
        let ids: Vec<&str> = set.patterns()[..2].iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["b.hello", "a.hello"]);
        assert_eq!(set.patterns()[1].kind, EventKind::Error);
        assert_eq!(set.find("json", "hello").unwrap().pattern.id, "b.hello");
        assert_eq!(set.warnings().len(), 1, "{:?}", set.warnings());

        let empty = tempfile::tempdir().unwrap();
        let err = PatternSet::load(&[empty.path().to_path_buf()]).unwrap_err();
        assert!(matches!(err, PatternError::EmptyDir { .. }), "{err}");
        let missing = dir.path().join("missing.toml");
        let err = PatternSet::load(&[missing]).unwrap_err();
        assert!(matches!(err, PatternError::Io { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("missing.toml: cannot read pattern file"),
            "{err}"
        );
    }

    #[test]
    fn format_filters_restrict_patterns_to_their_formats() {
        let set = load_one(
            "[[pattern]]\nid = \"only.nginx\"\nkind = \"error\"\nregex = 'zebra'\nformats = [\"nginx_error\", \"apache_error\"]\n",
        )
        .unwrap();
        assert_eq!(
            set.find("nginx_error", "a zebra").unwrap().pattern.id,
            "only.nginx"
        );
        assert_eq!(
            set.find("apache_error", "a zebra").unwrap().pattern.id,
            "only.nginx"
        );
        assert!(set.find("json", "a zebra").is_none());
        assert!(set.find("no_such_format", "a zebra").is_none());
        // Unrestricted patterns apply to every format, named or not.
        for format in ["nginx_error", "json", "no_such_format"] {
            assert_eq!(
                set.find(format, "no healthy upstream").unwrap().pattern.id,
                "envoy.no_healthy_upstream"
            );
        }
    }

    #[test]
    fn fields_titles_and_keys() {
        let line = r#"upstream timed out (110: Connection timed out) while reading response header from upstream, client: 1.2.3.4, server: x, request: "GET /a?id=1 HTTP/1.1", upstream: "http://10.0.1.12:8080/a?id=1", host: "x""#;
        let m = builtin_set().find("nginx_error", line).unwrap();
        let names: Vec<&str> = m.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["errno", "phase", "upstream"]);
        assert_eq!(m.fields[0].1, "110");
        assert_eq!(m.fields[2].1, "http://10.0.1.12:8080");
        assert_eq!(m.key, "http://10.0.1.12:8080");
        assert_eq!(
            m.title,
            "nginx: upstream http://10.0.1.12:8080 timed out while reading response header"
        );

        // Optional captures that did not take part leave no trace in fields,
        // and the title is tidied.
        let m = builtin_set()
            .find("haproxy", "Server be/s1 is DOWN")
            .unwrap();
        assert_eq!(m.title, "haproxy: server be/s1 is DOWN");
        assert!(m.fields.iter().all(|(k, _)| k != "reason"));

        let set = load_one(
            "[[pattern]]\nid = \"t\"\nkind = \"info\"\nregex = '(?P<a>x+)|(?P<b>y+)'\ntitle = \"{{{a|b}}} in {message}\"\nkey = [\"a|b\"]\n",
        )
        .unwrap();
        let m = set.find("json", "  yyy\tthere ").unwrap();
        assert_eq!(m.title, "{yyy} in yyy there");
        assert_eq!(m.key, "yyy");
        assert_eq!(m.fields, vec![("b".to_string(), "yyy".to_string())]);

        // Without a title the message is the title, cut to 300 characters.
        let long = format!("context deadline exceeded {}", "é".repeat(400));
        let m = builtin_set().find("json", &long).unwrap();
        assert_eq!(m.title.chars().count(), MAX_TITLE_CHARS + 1);
        assert!(m.title.ends_with('…'));
        // Without key captures, ids and numbers do not split events.
        let a = builtin_set()
            .find("json", "request 8f3a91 timed out after 30012ms")
            .unwrap();
        let b = builtin_set()
            .find("json", "request 77b0c2 timed out after 30001ms")
            .unwrap();
        assert_eq!(a.key, b.key);
        assert_ne!(a.title, b.title);
    }

    #[test]
    fn shape_masks_ids_but_keeps_versions_and_addresses() {
        assert_eq!(shape("req 8f3a after 300ms (code=5)"), "req # after # (#)");
        assert_eq!(
            shape("deploy v1.4.2 to 10.0.1.12"),
            "deploy v1.4.2 to 10.0.1.12"
        );
        assert_eq!(shape("at 10.0.1.12:8080,"), "at #,");
        assert_eq!(shape(""), "");
    }

    #[test]
    fn only_the_first_8k_of_a_message_is_matched() {
        let phrase = "no live upstreams while connecting to upstream";
        let late = format!("{}{phrase}", "x".repeat(MAX_MATCH_BYTES));
        assert!(builtin_set().find("nginx_error", &late).is_none());
        let early = format!("{phrase}{}", "x".repeat(MAX_MATCH_BYTES));
        assert!(builtin_set().find("nginx_error", &early).is_some());
        // The cut never falls inside a character.
        let wide = format!("{}{phrase}", "é".repeat(MAX_MATCH_BYTES));
        assert!(builtin_set().find("nginx_error", &wide).is_none());
        assert_eq!(clip("aé", 2), "a");
    }

    #[test]
    fn check_file_lists_enabled_patterns() {
        let pats = check_src(
            "[[pattern]]\nid = \"a\"\nkind = \"info\"\nregex = 'x'\ndescription = \"d\"\n[[pattern]]\nid = \"b\"\nenabled = false\n",
        )
        .unwrap();
        assert_eq!(pats.len(), 1);
        assert_eq!(pats[0].id, "a");
        assert_eq!(pats[0].description.as_deref(), Some("d"));
        assert_eq!(pats[0].line, 1);
        assert!(check_src("# nothing yet\n").unwrap().is_empty());
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncé\nx", 0), (1, 1));
        assert_eq!(line_col("ab\ncé\nx", 3), (2, 1));
        assert_eq!(line_col("ab\ncé\nx", 7), (3, 1));
        assert_eq!(line_col("ab\ncé\nx", 6), (2, 3));
        // Inside a character: the column of that character.
        assert_eq!(line_col("ab\ncé\nx", 5), (2, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn find_never_panics(text in any::<String>()) {
                for format in ["json", "nginx_error", "syslog", "unknown"] {
                    let _ = builtin_set().find(format, &text);
                }
            }

            #[test]
            fn mutated_real_lines_never_panic(
                idx in 0..TABLE.len(),
                at in any::<usize>(),
                insert in "\\PC{0,20}",
                drop in 0usize..20,
            ) {
                let (format, line, _) = TABLE[idx];
                let mut chars: Vec<char> = line.chars().collect();
                let at = if chars.is_empty() { 0 } else { at % chars.len() };
                let end = (at + drop).min(chars.len());
                chars.splice(at..end, insert.chars());
                let text: String = chars.into_iter().collect();
                if let Some(m) = builtin_set().find(format, &text) {
                    prop_assert!(m.title.chars().count() <= MAX_TITLE_CHARS + 1);
                }
            }

            #[test]
            fn pattern_files_never_panic(src in "\\PC{0,200}") {
                let _ = parse_source(&src, "t", Path::new("t.toml"), false);
                let wrapped = format!(
                    "[[pattern]]\nid = \"p\"\nkind = \"error\"\nregex = '''{src}'''\ntitle = \"{{x}} {src}\"\n"
                );
                let _ = parse_source(&wrapped, "t", Path::new("t.toml"), false);
            }
        }
    }
}
