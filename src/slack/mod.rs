//! The only code that knows Slack. Today: Block Kit rendering of the app's replies and modals.
//! The Socket Mode and HTTP Events API transports build on it.

pub mod blocks;
