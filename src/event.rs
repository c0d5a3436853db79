//! Timeline events: what kind of thing happened and how bad it is.

use serde::{Deserialize, Serialize};

/// What an event says happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// Something failed (an upstream timed out, a process crashed, requests failed).
    Error,
    /// An alert fired.
    Alert,
    /// Something was changed (deploy, reload, config change, rollback).
    Change,
    /// Something got better (an alert resolved, a server came back UP).
    Recovery,
    /// Worth showing, neither good nor bad.
    Info,
    /// Computed by the tool: IMPACT BEGINS, DETECTED, PEAK, MITIGATED, IMPACT ENDS.
    Marker,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Error => "error",
            EventKind::Alert => "alert",
            EventKind::Change => "change",
            EventKind::Recovery => "recovery",
            EventKind::Info => "info",
            EventKind::Marker => "marker",
        }
    }

    /// Parses the names used in pattern files.
    pub fn from_name(name: &str) -> Option<EventKind> {
        Some(match name {
            "error" => EventKind::Error,
            "alert" => EventKind::Alert,
            "change" => EventKind::Change,
            "recovery" => EventKind::Recovery,
            "info" => EventKind::Info,
            "marker" => EventKind::Marker,
            _ => return None,
        })
    }
}

/// How bad an event is, least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }

    /// Parses the names used in pattern files (`warn` is accepted for `warning`).
    pub fn from_name(name: &str) -> Option<Severity> {
        Some(match name {
            "info" => Severity::Info,
            "warning" | "warn" => Severity::Warning,
            "error" => Severity::Error,
            "critical" | "crit" => Severity::Critical,
            _ => return None,
        })
    }
}
