//! What the data could show. A quiet answer ("No incident detected.") is
//! only honest when the logs could have shown an incident: this module
//! decides, once, whether anything usable was read and whether request
//! traffic was among it, so every renderer says the same thing and the
//! binary can exit non-zero when there was nothing to judge.

use super::Analysis;
use crate::display::group_thousands;
use crate::time::Micros;

/// What was usable in the inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// No input file at all (an empty folder, a glob matching nothing).
    NoInputs,
    /// Files, but not one line any format could read (binary, unreadable,
    /// special files, or text in no known format).
    NothingReadable {
        files: usize,
        skipped_files: usize,
        unread_lines: u64,
    },
    /// Records, but none with a timestamp: nothing to put on a timeline.
    NoTimestamps { records: u64 },
    /// Records with timestamps, all outside `--since`/`--until`.
    AllFiltered {
        records: u64,
        first: Micros,
        last: Micros,
    },
    /// Records in the window; `request_logs` inputs carry request traffic
    /// (none: impact on requests cannot be measured).
    Usable { request_logs: usize },
}

impl Coverage {
    /// Whether there was any data to judge (else exit non-zero).
    pub fn usable(&self) -> bool {
        matches!(self, Coverage::Usable { .. })
    }

    /// A stable name for JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Coverage::NoInputs => "no_inputs",
            Coverage::NothingReadable { .. } => "nothing_readable",
            Coverage::NoTimestamps { .. } => "no_timestamps",
            Coverage::AllFiltered { .. } => "all_filtered",
            Coverage::Usable { request_logs: 0 } => "no_request_log",
            Coverage::Usable { .. } => "usable",
        }
    }
}

/// Decides what the inputs of `a` could show.
pub fn coverage(a: &Analysis) -> Coverage {
    if a.inputs.is_empty() {
        return Coverage::NoInputs;
    }
    let records: u64 = a.inputs.iter().map(|i| i.stats.records).sum();
    let framing: u64 = a.inputs.iter().map(|i| i.stats.framing).sum();
    if records == 0 && framing == 0 {
        return Coverage::NothingReadable {
            files: a.inputs.len(),
            skipped_files: a
                .inputs
                .iter()
                .filter(|i| i.skipped_reason.is_some())
                .count(),
            unread_lines: a.inputs.iter().map(|i| i.stats.skipped).sum(),
        };
    }
    let kept = a.inputs.iter().any(|i| i.stats.first.is_some());
    if !kept {
        let first = a.inputs.iter().filter_map(|i| i.stats.filtered_first).min();
        let last = a.inputs.iter().filter_map(|i| i.stats.filtered_last).max();
        return match (first, last) {
            (Some(first), Some(last)) => Coverage::AllFiltered {
                records: a.inputs.iter().map(|i| i.stats.filtered).sum(),
                first,
                last,
            },
            _ => Coverage::NoTimestamps { records },
        };
    }
    Coverage::Usable {
        request_logs: a.inputs.iter().filter(|i| i.counts_requests).count(),
    }
}

/// The sentence said in place of incidents when none was found: "No
/// incident detected." only when the data could have shown one, else
/// exactly what could not be seen.
pub fn quiet_verdict(c: &Coverage) -> String {
    match c {
        Coverage::NoInputs => {
            "No data: no input files were found (an empty folder, or paths that match nothing).".to_string()
        }
        Coverage::NothingReadable {
            files,
            skipped_files,
            unread_lines,
        } => format!(
            "No data: nothing readable in {files} input(s) ({skipped_files} skipped as unreadable, binary or special; {unread_lines} line(s) in no known format). `postmortem formats --show-skipped` shows what was left out; `--log-format PATH=FORMAT` forces a format."
        ),
        Coverage::NoTimestamps { records } => format!(
            "No data on a timeline: {} record(s) read but none has a timestamp (if the times lack a year or zone, see --year and --tz).",
            group_thousands(*records)
        ),
        Coverage::AllFiltered {
            records,
            first,
            last,
        } => format!(
            "No data in the window: all {} timestamped record(s) fall outside --since/--until (the data spans {} to {}).",
            group_thousands(*records),
            crate::time::format_rfc3339(*first),
            crate::time::format_rfc3339(*last)
        ),
        Coverage::Usable { request_logs: 0 } => {
            "No incident detected in the application and alert logs. No request log was recognised, so failed requests and lost traffic could not be measured (`postmortem formats` shows how each input was read; `--log-format PATH=FORMAT` forces one).".to_string()
        }
        Coverage::Usable { .. } => "No incident detected.".to_string(),
    }
}

/// What the data could not show, whatever was found: `None` when request
/// logs were read in the window.
pub fn limitation(c: &Coverage) -> Option<String> {
    match c {
        Coverage::Usable { request_logs: 0 } => Some(
            "No request log was recognised: failed requests and lost traffic could not be measured."
                .to_string(),
        ),
        Coverage::Usable { .. } => None,
        other => Some(quiet_verdict(other)),
    }
}
