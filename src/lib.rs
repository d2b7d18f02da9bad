//! problemfirst: a Slack bot that makes innovation requests start from a customer problem instead
//! of a technology.
//!
//! Rooms, with dependencies one way only (`tests/it/architecture.rs` keeps them so):
//!
//! - [`domain`]: pure: ideas, their ids and statuses, triage's moves, the classifier, the
//!   digest as data; [`config`] reads the config file into it;
//! - [`storage`]: the only code that knows sled;
//! - [`app`]: the use cases, transport-free, over the store;
//! - [`slack`]: the only code that knows Slack, with its Web API at the bottom;
//! - [`ops`]: health, readiness and metrics, on any listener [`listener`] serves;
//! - [`startup`]: builds the bot from its settings, runs it, stops it in order;
//! - [`cli`]: the commands, with [`telemetry`] (logs) and [`heap`] (the allocator).

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod heap;
pub mod listener;
pub mod ops;
pub mod slack;
pub mod startup;
pub mod storage;
pub mod telemetry;
