//! Shared helpers for the integration tests: a fake Slack (Web API + Socket Mode) and signed-request
//! helpers with payload builders shaped like Slack's own. Use from a test file with `mod support;`.
#![allow(dead_code)]

pub mod blockkit;
pub mod bot;
pub mod fake_slack;
pub mod process;
pub mod roles;
pub mod signing;
