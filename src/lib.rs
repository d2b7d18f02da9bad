//! problemfirst: a Slack bot that makes innovation requests start from a customer problem instead
//! of a technology.
//!
//! Rooms, with dependencies one way only: [`domain`] (pure) ← [`storage`] (the only code that
//! knows sled) ← [`app`] (use cases, transport-free) ← `slack` and the command line; [`ops`]
//! serves health, readiness and metrics.

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
