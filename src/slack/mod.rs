//! The only code that knows Slack: Block Kit rendering ([`blocks`]), reading what Slack sends
//! ([`payload`]), the handlers both transports share ([`bot`]), the HTTP Events API ([`http`], on
//! connections bounded by `crate::listener`) and Socket Mode ([`socket`]) transports, the Web API
//! client ([`client`]), the outbox's delivery worker ([`outbox`]) and how they all start and stop
//! ([`service`]).

pub mod blocks;
pub mod bot;
pub mod client;
pub mod digest;
pub mod home;
pub mod http;
pub mod outbox;
pub mod payload;
pub mod redact;
pub mod service;
pub mod socket;
pub mod triage;
