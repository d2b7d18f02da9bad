//! The only code that knows Slack, in floors that each use only the ones below:
//!
//! - the bottom: the Web API ([`api`]: client, credentials, calls with their time limits, what a
//!   failure means), reading what Slack sends ([`payload`]), log redaction ([`redact`]), Slack's
//!   markup read back as plain text for a terminal ([`mrkdwn`]);
//! - rendering, pure: replies and forms ([`blocks`]), the triage card ([`card`]), the weekly
//!   digest ([`digest`]); who leads ([`leads`]); the App Home's view and publishing it ([`home`]);
//! - outbound webhooks, signed like Slack's requests ([`webhook`]);
//! - the outbox's delivery ([`outbox`]), the one place each kind of notice is sent from;
//! - the handlers: what they share ([`bot`]), then one file per kind of request, [`command`],
//!   [`event`] and [`interaction`] (with triage's clicks in [`triage`], the idea board's clicks
//!   in [`browse`] (its views are drawn in [`board`]), thread replies that are comments in [`discussion`]);
//! - the transports that call them: the HTTP Events API ([`http`]) and Socket Mode ([`socket`]).

pub mod api;
pub mod blocks;
pub mod board;
pub mod bot;
pub mod browse;
pub mod card;
pub mod command;
pub mod digest;
pub mod discussion;
pub mod event;
pub mod home;
pub mod http;
pub mod interaction;
pub mod leads;
pub mod mrkdwn;
pub mod outbox;
pub mod payload;
pub mod redact;
pub mod socket;
pub mod triage;
pub mod webhook;
