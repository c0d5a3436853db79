//! Patterns: regular expressions, kept as data in TOML files, that turn log
//! messages into timeline events.
