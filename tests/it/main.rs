//! The integration tests that run in this process: the app core on a real store, the bot as
//! `serve` builds it (`support::app::spawn_app`) against a fake Slack on 127.0.0.1 over real
//! HTTP and WebSocket, the classifier on its golden set and properties, the command line, and
//! the architecture's doors. One binary, one module per area.

#[path = "../support/mod.rs"]
mod support;

mod anonymous;
mod app;
mod architecture;
mod backup;
mod board;
mod chatter;
mod classifier_properties;
mod cli;
mod config_errors;
mod digest;
mod discussion;
mod drafts;
mod duplicate_picker;
mod fake_slack;
mod golden;
mod home;
mod org_install;
mod outbox;
mod slack_http;
mod slack_socket;
mod storage;
mod triage;
mod triage_socket;
mod votes;
mod webhooks;
