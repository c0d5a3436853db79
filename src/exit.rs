//! The exit codes of `postmortem`, in one place: the binary returns them,
//! `--help` and the README document them, scripts test them.

/// The run finished (with `--fail-on-incident`: and found no incident).
pub const OK: u8 = 0;

/// `--fail-on-incident` was given and an incident was found.
pub const INCIDENT_FOUND: u8 = 1;

/// The command line or an input was wrong: an unknown flag, an unreadable
/// pattern file, a path that does not exist, an `s3://` URL that cannot
/// be listed (endpoint, credentials, bucket, empty prefix), a flag naming
/// no input.
pub const USAGE: u8 = 2;

/// There was no usable data: nothing readable, or every record was left
/// out by `--since`/`--until`.
pub const NO_DATA: u8 = 3;

/// The codes as `--help` shows them.
pub const HELP: &str = "Exit status:
  0  success (with --fail-on-incident: no incident found)
  1  an incident was found and --fail-on-incident was given
  2  usage or input error (bad flag or value, missing path, an s3:// URL
     that cannot be listed, a --skew or --log-format path that matches
     no input)
  3  no usable data (nothing readable, or everything filtered out)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_documented() {
        let codes = [OK, INCIDENT_FOUND, USAGE, NO_DATA];
        for (i, a) in codes.iter().enumerate() {
            assert!(codes[i + 1..].iter().all(|b| b != a));
            assert!(HELP.contains(&format!("  {a}  ")), "{a}");
        }
    }
}
