//! Deliveries in and out, as a transport sees them: the inbox of requests acknowledged but not yet
//! handled, the outbox of messages owed (what is due, and what became of each attempt), and the
//! housekeeping both need. The store keeps them; a transport only says what arrived and what
//! Slack took.

use super::{App, AppError};
use crate::domain::{ChannelId, Idea, IdeaId, MessageTs, Notice, UserId};
use crate::storage::{Accepted, Delivery, Pending};
use jiff::Timestamp;
use std::sync::Arc;
use std::time::Duration;

impl App {
    /// Queues messages the bot owes that no change to an idea carries (the answer to a request
    /// that changed nothing, such as a refused pitch).
    pub fn owe(&self, notices: &[Notice]) -> Result<(), AppError> {
        Ok(self.store.enqueue(notices)?)
    }

    /// Keeps a delivery in the inbox under its de-duplication `key` (remembered for `ttl`) and
    /// returns once it is on disk: [`Accepted::Seen`] when the key came before.
    pub async fn keep(
        &self,
        key: String,
        ttl: Duration,
        delivery: Delivery,
    ) -> Result<Accepted, AppError> {
        Ok(self
            .store
            .accept(key, Timestamp::now(), ttl, delivery)
            .await?)
    }

    /// [`App::keep`] for callers that cannot wait asynchronously: flushed on this thread.
    pub fn keep_now(
        &self,
        key: String,
        ttl: Duration,
        delivery: Delivery,
    ) -> Result<Accepted, AppError> {
        Ok(self
            .store
            .accept_blocking(key, Timestamp::now(), ttl, delivery)?)
    }

    /// The delivery kept under inbox number `id` was handled: it leaves the inbox.
    pub fn handled(&self, id: u64) -> Result<(), AppError> {
        Ok(self.store.inbox_done(id)?)
    }

    /// What the inbox holds: deliveries acknowledged and not yet handled (left by a crash, or a
    /// stop that ran out of time).
    pub fn kept(&self) -> Result<Vec<(u64, Delivery)>, AppError> {
        Ok(self.store.inbox()?)
    }

    /// Forgets de-duplication marks past their time; returns how many.
    pub fn forget_old_deliveries(&self) -> Result<usize, AppError> {
        Ok(self.store.purge_deliveries(Timestamp::now())?)
    }

    /// Whether `user` already has an idea from the message `ts` in `channel` (a pitch handled
    /// before a restart).
    pub fn filed_from(
        &self,
        user: &UserId,
        channel: &ChannelId,
        ts: &MessageTs,
    ) -> Result<bool, AppError> {
        Ok(self.store.by_submitter(user)?.iter().any(|i| {
            i.origin.channel.as_ref() == Some(channel) && i.origin.ts.as_ref() == Some(ts)
        }))
    }

    /// One idea as it is now.
    pub fn idea(&self, id: IdeaId) -> Result<Idea, AppError> {
        self.store.get(id)?.ok_or(AppError::NotFound(id))
    }

    /// Wakes whoever delivers the outbox when a notice is queued.
    pub fn outbox_signal(&self) -> Arc<tokio::sync::Notify> {
        self.store.outbox_signal()
    }

    /// The oldest `limit` notices waiting in the outbox, due or not.
    pub fn outbox(&self, limit: usize) -> Result<Vec<Pending>, AppError> {
        Ok(self.store.outbox_queue(limit)?)
    }

    /// Slack took `pending`, as the message `landed` (channel and timestamp) when it became one:
    /// where it landed is recorded ([`App::posted`]) and it leaves the outbox.
    pub fn delivered(
        &self,
        pending: &Pending,
        landed: Option<(&ChannelId, &MessageTs)>,
    ) -> Result<(), AppError> {
        if let Some((channel, ts)) = landed {
            if let Err(e) = self.posted(&pending.entry.notice, channel, ts) {
                tracing::warn!(error = %e, notice = pending.entry.notice.kind(), "could not record a delivered message");
            }
        }
        Ok(self.store.outbox_delivered(pending.seq)?)
    }

    /// An attempt failed for a passing reason: try again at `due`.
    pub fn retry_at(&self, pending: &Pending, due: Timestamp, error: &str) -> Result<(), AppError> {
        Ok(self.store.outbox_retry(pending.seq, due, error)?)
    }

    /// `pending` can never be delivered: kept as a dead letter.
    pub fn give_up(&self, pending: &Pending, error: &str) -> Result<(), AppError> {
        Ok(self.store.outbox_dead(pending.seq, error)?)
    }

    /// Blocks until everything written so far is on disk (a stop's last step).
    pub fn flush(&self) -> Result<(), AppError> {
        Ok(self.store.flush()?)
    }
}
