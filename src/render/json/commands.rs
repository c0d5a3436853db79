//! The JSON of the commands other than `timeline`: `formats`
//! (`postmortem.formats.v1`) and `patterns` (`postmortem.patterns.v1`).

use serde_json::{json, Map, Value};

use crate::analysis::Analysis;
use crate::patterns::Pattern;
use crate::GENERATED_BY;

/// The schema identifier of `postmortem formats --format json`.
pub const FORMATS_SCHEMA: &str = "postmortem.formats.v1";

/// The schema identifier of `postmortem patterns --format json`.
pub const PATTERNS_SCHEMA: &str = "postmortem.patterns.v1";

/// `name` and `description` of every supported format.
pub fn format_list_value() -> Value {
    Value::Array(
        crate::format::registry()
            .iter()
            .map(|f| json!({"name": f.name(), "description": f.description()}))
            .collect(),
    )
}

/// `name` and `description` of every wrapper (see `format::wrap`).
pub fn wrapper_list_value() -> Value {
    Value::Array(
        crate::format::wrap::wrappers()
            .iter()
            .map(|w| json!({"name": w.name(), "description": w.description()}))
            .collect(),
    )
}

/// `postmortem formats`: each input as in the timeline's `inputs` (with
/// the first skipped lines when `show_skipped`), the warnings, and with
/// `list` every supported format. Without an analysis (`--list` alone)
/// `inputs` is empty.
pub fn formats_document(a: Option<&Analysis>, show_skipped: bool, list: bool) -> Value {
    let mut m = Map::new();
    m.insert("schema".into(), json!(FORMATS_SCHEMA));
    m.insert("generated_by".into(), json!(GENERATED_BY));
    let mut inputs = a.map_or(json!([]), super::inputs_value);
    if let (Some(a), true, Some(rows)) = (a, show_skipped, inputs.as_array_mut()) {
        for (row, i) in rows.iter_mut().zip(&a.inputs) {
            let samples: Vec<Value> = i
                .stats
                .skipped_samples
                .iter()
                .map(|(line, text)| json!({"line": line, "text": text}))
                .collect();
            row["skipped_samples"] = Value::Array(samples);
        }
    }
    m.insert("inputs".into(), inputs);
    if list {
        m.insert("formats".into(), format_list_value());
        m.insert("wrappers".into(), wrapper_list_value());
    }
    m.insert(
        "warnings".into(),
        Value::Array(
            a.map(|a| a.warnings.iter().map(|w| json!(w.to_string())).collect())
                .unwrap_or_default(),
        ),
    );
    Value::Object(m)
}

/// One pattern: what it is and where it was defined.
fn pattern_value(p: &Pattern) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(p.id));
    m.insert("kind".into(), json!(p.kind.as_str()));
    m.insert("severity".into(), json!(p.severity.as_str()));
    m.insert("formats".into(), json!(p.formats));
    m.insert("origin".into(), json!(p.origin));
    m.insert("line".into(), json!(p.line));
    m.insert("regex".into(), json!(p.regex_source()));
    m.insert("title".into(), json!(p.title));
    m.insert("description".into(), json!(p.description));
    m.insert("ignore".into(), json!(p.ignore));
    Value::Object(m)
}

/// `postmortem patterns`: the patterns in force, or with `checked` the
/// file that was checked and the patterns it defines.
pub fn patterns_document(patterns: &[Pattern], checked: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("schema".into(), json!(PATTERNS_SCHEMA));
    m.insert("generated_by".into(), json!(GENERATED_BY));
    m.insert("checked".into(), json!(checked));
    m.insert(
        "patterns".into(),
        Value::Array(patterns.iter().map(pattern_value).collect()),
    );
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patterns::PatternSet;

    #[test]
    fn formats_list_alone_has_no_inputs() {
        let doc = formats_document(None, false, true);
        assert_eq!(doc["schema"], FORMATS_SCHEMA);
        assert_eq!(doc["inputs"], json!([]));
        let names: Vec<&str> = doc["formats"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["name"].as_str())
            .collect();
        assert!(names.contains(&"nginx_access"), "{names:?}");
        assert!(formats_document(None, false, false)
            .get("formats")
            .is_none());
    }

    #[test]
    fn patterns_say_where_they_come_from() {
        let set = PatternSet::builtin();
        let doc = patterns_document(set.patterns(), None);
        let first = &doc["patterns"][0];
        assert!(first["id"].is_string() && first["line"].as_u64().unwrap() > 0);
        assert_eq!(doc["checked"], Value::Null);
    }
}
