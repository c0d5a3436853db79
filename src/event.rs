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

/// A moment the analysis computes for an incident and puts on the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Marker {
    ImpactBegins,
    Detected,
    Peak,
    Mitigated,
    ImpactEnds,
}

impl Marker {
    /// Every marker, in the order of an incident.
    pub const ALL: [Marker; 5] = [
        Marker::ImpactBegins,
        Marker::Detected,
        Marker::Peak,
        Marker::Mitigated,
        Marker::ImpactEnds,
    ];

    /// The name after `marker.` in the event's `pattern`.
    pub fn as_str(self) -> &'static str {
        match self {
            Marker::ImpactBegins => "impact_begins",
            Marker::Detected => "detected",
            Marker::Peak => "peak",
            Marker::Mitigated => "mitigated",
            Marker::ImpactEnds => "impact_ends",
        }
    }

    /// The words shown on the timeline.
    pub fn label(self) -> &'static str {
        match self {
            Marker::ImpactBegins => "IMPACT BEGINS",
            Marker::Detected => "DETECTED",
            Marker::Peak => "PEAK",
            Marker::Mitigated => "MITIGATED",
            Marker::ImpactEnds => "IMPACT ENDS",
        }
    }
}

/// Where an event comes from. Serialised as the `pattern` string of the
/// JSON (`lb.failed_requests`, `alert.firing`, `alert.resolved`,
/// `marker.impact_begins`, or the pattern's own id); the ids of the
/// tool's own origins are reserved, so a pattern file cannot pose as one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// A pattern matched a message; its id.
    Pattern(std::sync::Arc<str>),
    /// Requests the front of the service failed (collapsed per backend).
    FailedRequests,
    /// An alert notification said an alert fires.
    AlertFiring,
    /// An alert notification said an alert resolved.
    AlertResolved,
    /// A line of a change log (deploy, release, audit, CI...) that no
    /// pattern knows: a change by where it comes from.
    ChangeSource,
    /// A moment computed by the analysis.
    Marker(Marker),
}

/// The `pattern` string of failed-request runs.
pub const FAILED_REQUESTS_ID: &str = "lb.failed_requests";
const ALERT_FIRING_ID: &str = "alert.firing";
const ALERT_RESOLVED_ID: &str = "alert.resolved";
const CHANGE_SOURCE_ID: &str = "change.source";
const MARKER_PREFIX: &str = "marker.";

impl Origin {
    /// The origin of a pattern's matches.
    pub fn pattern(id: &str) -> Origin {
        Origin::Pattern(std::sync::Arc::from(id))
    }

    /// The `pattern` string written in JSON and used in pattern files.
    pub fn id(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match self {
            Origin::Pattern(id) => Cow::Borrowed(id),
            Origin::FailedRequests => Cow::Borrowed(FAILED_REQUESTS_ID),
            Origin::AlertFiring => Cow::Borrowed(ALERT_FIRING_ID),
            Origin::AlertResolved => Cow::Borrowed(ALERT_RESOLVED_ID),
            Origin::ChangeSource => Cow::Borrowed(CHANGE_SOURCE_ID),
            Origin::Marker(m) => Cow::Owned(format!("{MARKER_PREFIX}{}", m.as_str())),
        }
    }

    /// The pattern id, for origins that are patterns.
    pub fn pattern_id(&self) -> Option<&str> {
        match self {
            Origin::Pattern(id) => Some(id),
            _ => None,
        }
    }

    /// Whether a pattern id names one of the tool's own origins (and so
    /// cannot be used by a pattern).
    pub fn is_reserved(id: &str) -> bool {
        id == FAILED_REQUESTS_ID
            || id == ALERT_FIRING_ID
            || id == ALERT_RESOLVED_ID
            || id == CHANGE_SOURCE_ID
            || id.starts_with(MARKER_PREFIX)
    }

    pub fn marker(&self) -> Option<Marker> {
        match self {
            Origin::Marker(m) => Some(*m),
            _ => None,
        }
    }
}

impl Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.id())
    }
}

impl Origin {
    /// The origin an id names ([`Origin::id`] read back): the tool's own
    /// ids are reserved, so every other id is a pattern's.
    pub fn from_id(id: &str) -> Origin {
        match id {
            FAILED_REQUESTS_ID => Origin::FailedRequests,
            ALERT_FIRING_ID => Origin::AlertFiring,
            ALERT_RESOLVED_ID => Origin::AlertResolved,
            CHANGE_SOURCE_ID => Origin::ChangeSource,
            _ => match id
                .strip_prefix(MARKER_PREFIX)
                .and_then(|m| Marker::ALL.into_iter().find(|k| k.as_str() == m))
            {
                Some(m) => Origin::Marker(m),
                None => Origin::pattern(id),
            },
        }
    }
}

impl<'de> Deserialize<'de> for Origin {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Origin, D::Error> {
        let id = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(Origin::from_id(&id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_serialise_to_their_json_strings() {
        let cases = [
            (Origin::FailedRequests, "lb.failed_requests"),
            (Origin::AlertFiring, "alert.firing"),
            (Origin::AlertResolved, "alert.resolved"),
            (Origin::ChangeSource, "change.source"),
            (Origin::Marker(Marker::ImpactBegins), "marker.impact_begins"),
            (Origin::Marker(Marker::ImpactEnds), "marker.impact_ends"),
            (
                Origin::pattern("nginx.upstream_timeout"),
                "nginx.upstream_timeout",
            ),
        ];
        for (origin, id) in cases {
            assert_eq!(origin.id(), id);
            assert_eq!(serde_json::to_string(&origin).unwrap(), format!("\"{id}\""));
            let back: Origin = serde_json::from_str(&format!("\"{id}\"")).unwrap();
            assert_eq!(back, origin);
        }
    }

    #[test]
    fn the_tool_s_own_ids_are_reserved() {
        for id in [
            "lb.failed_requests",
            "alert.firing",
            "alert.resolved",
            "marker.peak",
            "marker.x",
        ] {
            assert!(Origin::is_reserved(id), "{id}");
        }
        for id in [
            "alert.nagios_problem",
            "lb.weights",
            "nginx.reload",
            "markers",
        ] {
            assert!(!Origin::is_reserved(id), "{id}");
        }
    }
}
