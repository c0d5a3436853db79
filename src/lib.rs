//! postmortem: read the logs of an outage, put them in one order, measure
//! the incident and draft the postmortem.

pub mod event;
pub mod format;
pub mod patterns;
pub mod record;
pub mod time;
