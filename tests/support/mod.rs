//! Shared helpers for both test binaries (`tests/it`, `tests/process`): the bot as `serve`
//! builds it (`app`), a fake Slack (Web API + Socket Mode), signed requests and payloads shaped
//! like Slack's own, ids from test literals, the real binary as a process, and the roles of
//! triage.
#![allow(dead_code)]

pub mod app;
pub mod blockkit;
pub mod fake_slack;
pub mod ids;
pub mod process;
pub mod roles;
pub mod signing;
