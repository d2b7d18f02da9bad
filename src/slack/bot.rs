//! The bot's Slack side: what every handler shares (the app, the Web API, who leads, the idea
//! channels, the work spawned after acknowledgements) and the few things they all do with it.
//! The handlers themselves are one file per kind of request, above this one: slash commands
//! (`command`), Events API events (`event`), interactions (`interaction`, with triage's in
//! `triage`). Both transports call those same three entry points.

use super::api::Api;
use super::leads::Leads;
use super::outbox::Outbox;
use crate::app::{App, AppError, Reply};
use crate::domain::{Audience, ChannelId, Notice};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::task::TaskTracker;

/// How long a request waits for what it asked for to be on disk before it is answered anyway,
/// well inside Slack's 3 seconds: a slash command's pitch, an interaction's change, an event kept
/// in the inbox.
pub const ACK_BUDGET: Duration = Duration::from_millis(2_000);

/// Everything a handler needs.
pub struct Bot {
    pub(super) app: App,
    pub(super) api: Api,
    pub(super) leads: Arc<Leads>,
    /// Channels whose top-level messages are pitches.
    pub(super) idea_channels: Vec<ChannelId>,
    /// Work spawned after an acknowledgement (filing, opening forms), so a stop can wait for
    /// it: Slack will not send an acknowledged request again.
    pub(super) work: TaskTracker,
    /// How long a request waits for its work before it is answered anyway ([`ACK_BUDGET`]).
    pub(super) ack_budget: Duration,
}

impl Bot {
    /// The bot for `app`, calling Slack through `api`; what acknowledged requests spawn is
    /// tracked by `work`.
    pub fn new(app: App, api: Api, idea_channels: Vec<ChannelId>, work: TaskTracker) -> Bot {
        let leads = Arc::new(Leads::new(api.clone(), app.config()));
        Bot {
            app,
            api,
            leads,
            idea_channels,
            work,
            ack_budget: ACK_BUDGET,
        }
    }

    /// The same bot with another acknowledgement budget. Tests on a loaded machine give filing
    /// more time than Slack would, so that what they check does not depend on the machine's speed.
    pub fn with_ack_budget(mut self, budget: Duration) -> Bot {
        self.ack_budget = budget;
        self
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// The outbox's delivery, on the same app, Web API and leads.
    pub fn outbox(&self) -> Outbox {
        Outbox::new(self.app.clone(), self.api.clone(), Arc::clone(&self.leads))
    }

    /// The configured tracks as (id, name), for the forms' track select.
    pub(super) fn tracks(&self) -> Vec<(String, String)> {
        self.app
            .config()
            .tracks
            .iter()
            .map(|t| (t.id.to_string(), t.name.clone()))
            .collect()
    }

    /// Runs work a request asked for and waits for it up to the acknowledgement budget, so that
    /// the acknowledgement goes out once the work is on disk. Should the store stall, it goes out
    /// anyway and the work goes on (a stop waits for it).
    pub(super) async fn before_ack(
        &self,
        work: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let done = self.work.spawn(work);
        let _ = tokio::time::timeout(self.ack_budget, done).await;
    }

    /// Tells `to` why a request changed nothing, through the outbox.
    pub(super) fn refuse(&self, to: Audience, e: &AppError) {
        let text = refusal(e).text;
        if let Err(e) = self.app.owe(&[Notice::Text { to, text }]) {
            tracing::error!(error = %e, "could not queue a message");
        }
    }
}

/// What a person is told when a request changed nothing; a store failure is logged as well.
pub(super) fn refusal(e: &AppError) -> Reply {
    if let AppError::Store(inner) = e {
        tracing::error!(error = %inner, "store error while answering Slack");
    }
    Reply {
        text: e.to_string(),
        ..Reply::default()
    }
}
