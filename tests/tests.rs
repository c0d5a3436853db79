//! The integration tests of `postmortem`, as one binary (as ripgrep does):
//! its tests run in parallel and share what is expensive to set up. One
//! module a theme; `util` is the one harness they all use.
//!
//! The generator's own tests are in `crates/postmortem-gen/tests/`.

mod util;

mod caps;
mod cli;
mod corpus;
mod detection;
mod detection_kinds;
mod hostile;
mod html;
mod inputs;
mod partials;
mod realworld;
mod report;
mod robustness;
mod s3;
mod shell;
mod wrappers;
