//! Patterns: regular expressions, kept as data in TOML files, that turn log
//! messages into timeline events. (Placeholder until the pattern engine lands.)

use crate::event::{EventKind, Severity};

/// One pattern.
pub struct Pattern {
    pub id: String,
    pub kind: EventKind,
    pub severity: Severity,
    pub regex: regex::Regex,
    pub formats: Vec<String>,
    pub title: Option<String>,
    pub key: Vec<String>,
    pub description: Option<String>,
    pub origin: String,
    pub line: usize,
}

/// A match of a pattern against a message.
pub struct PatternMatch<'p> {
    pub pattern: &'p Pattern,
    pub fields: Vec<(String, String)>,
    pub title: String,
    pub key: String,
}

/// The patterns in force.
#[derive(Default)]
pub struct PatternSet {
    patterns: Vec<Pattern>,
}

impl PatternSet {
    pub fn builtin() -> PatternSet {
        PatternSet::default()
    }

    pub fn load(_user: &[std::path::PathBuf]) -> Result<PatternSet, PatternError> {
        Ok(PatternSet::default())
    }

    pub fn check_file(_path: &std::path::Path) -> Result<Vec<Pattern>, PatternError> {
        Ok(Vec::new())
    }

    pub fn find<'p>(&'p self, _format: &str, _text: &str) -> Option<PatternMatch<'p>> {
        None
    }

    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    pub fn fingerprint(&self) -> String {
        String::new()
    }
}

/// A problem with a pattern file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PatternError(pub String);
