//! The only code that knows Slack: Block Kit rendering ([`blocks`]), the handlers both
//! transports share ([`bot`]), the HTTP Events API ([`http`]) and Socket Mode ([`socket`])
//! transports, and the Web API client ([`client`]).

pub mod blocks;
pub mod bot;
pub mod client;
pub mod http;
pub mod socket;
