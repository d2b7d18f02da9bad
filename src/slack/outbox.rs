//! Delivers the outbox to Slack: renders each notice from the app as things are now, sends it
//! with a timeout, and decides what a failure means. `Outbox::deliver` is the one place each
//! kind of notice is told apart; it uses the renderers and the Web API below it and never a
//! handler, so no request's code and no delivery's code import each other.
//!
//! - Delivered: the notice leaves the outbox, and the app records where it landed.
//! - HTTP 429: tried again after Slack's `Retry-After`.
//! - 5xx, timeouts, broken connections and Slack's own transient codes: tried again with
//!   exponential backoff and jitter, up to [`MAX_ATTEMPTS`].
//! - Anything else (`channel_not_found`, `not_in_channel`, `invalid_blocks`, an expired reply
//!   address…): it will never work, so it is logged, counted and kept as a dead letter.
//!
//! Notices for the same place go out one at a time, in the order they were queued; different
//! places are served side by side and independently, so a slow call holds up only its own place.
//! A notice is removed only after Slack accepted it. A stop starts no new call and lets the calls
//! in flight end, each within its own time limit, so a stop never sends a message twice; a crash
//! (or a kill before those calls end) can, once, for each message whose call was in flight.

use super::api::{Api, Failure, Landed, API_TIMEOUT};
use super::blocks::content;
use super::leads::Leads;
use super::webhook::Webhooks;
use crate::app::{App, Pending, Reply};
use crate::domain::{Audience, IdeaId, Notice};
use jiff::Timestamp;
use slack_morphism::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Attempts before a notice that keeps failing for passing reasons becomes a dead letter: with
/// the backoff below, about an hour and a half of trying.
pub const MAX_ATTEMPTS: u32 = 20;
/// Notices delivered side by side at most.
const PARALLEL: usize = 16;
/// Outbox entries read per look for what is due: when more wait, the oldest go first.
const SCAN: usize = 4096;
/// How long the worker sleeps when nothing is due and nothing wakes it.
const IDLE: Duration = Duration::from_secs(5);
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(5 * 60);

/// What delivering takes: the app (to render each notice as things are now, and to record
/// what became of it), the Web API, and who leads (for the App Home). Clones share them.
#[derive(Clone)]
pub struct Outbox {
    app: App,
    api: Api,
    leads: Arc<Leads>,
    webhooks: Arc<Webhooks>,
}

impl Outbox {
    pub fn new(app: App, api: Api, leads: Arc<Leads>) -> Outbox {
        let webhooks = Arc::new(Webhooks::new(&app.config().webhooks));
        Outbox {
            app,
            api,
            leads,
            webhooks,
        }
    }

    /// Delivers until `stop` is cancelled; then starts nothing new, lets the calls in flight end
    /// (each within [`API_TIMEOUT`]) and returns.
    pub async fn run(self, stop: CancellationToken) {
        let signal = self.app.outbox_signal();
        let mut worker = Worker::new(self);
        while !stop.is_cancelled() {
            let next = match worker.start_due() {
                Ok(next) => next,
                Err(e) => {
                    tracing::error!(error = %e, "could not read the outbox");
                    None
                }
            };
            let pause = next
                .map(|due| {
                    let wait = due.duration_since(Timestamp::now());
                    Duration::try_from(wait).unwrap_or(Duration::ZERO).min(IDLE)
                })
                .unwrap_or(IDLE);
            let busy = !worker.running.is_empty();
            tokio::select! {
                _ = worker.finish_one(), if busy => {}
                _ = signal.notified() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = stop.cancelled() => {}
            }
        }
        // A call cut short may have been taken by Slack: its notice would stay in the outbox and
        // go out again at the next start. So the calls in flight end on their own time.
        while !worker.running.is_empty() {
            worker.finish_one().await;
        }
    }

    /// Delivers everything due now, once (`digest --post`); returns how many notices were
    /// attempted.
    pub async fn drain(&self) -> usize {
        let mut worker = Worker::new(self.clone());
        loop {
            if let Err(e) = worker.start_due() {
                tracing::error!(error = %e, "could not read the outbox");
            }
            if worker.running.is_empty() {
                return worker.attempted;
            }
            worker.finish_one().await;
        }
    }
}

/// The attempts under way. Each place (a thread, a person, a reply address, a card…) has at most
/// one, so its messages go out in the order they were queued; places are independent of each
/// other, so a slow call holds up nothing but its own place.
struct Worker {
    outbox: Outbox,
    running: JoinSet<()>,
    /// The place of each attempt under way.
    places: HashMap<tokio::task::Id, String>,
    busy: HashSet<String>,
    attempted: usize,
}

impl Worker {
    fn new(outbox: Outbox) -> Worker {
        Worker {
            outbox,
            running: JoinSet::new(),
            places: HashMap::new(),
            busy: HashSet::new(),
            attempted: 0,
        }
    }

    /// Starts the oldest notice of each place that is due, has nothing under way and is not
    /// behind an older one, up to [`PARALLEL`] attempts in all. Returns when the next notice not
    /// yet due is.
    fn start_due(&mut self) -> Result<Option<Timestamp>, crate::app::AppError> {
        let queue = self.outbox.app.outbox(SCAN)?;
        let now = Timestamp::now();
        let mut seen = HashSet::new();
        let mut next: Option<Timestamp> = None;
        for pending in queue {
            let place = place(&pending.entry.notice);
            // Only a place's oldest notice may go: the rest wait their turn.
            if !seen.insert(place.clone()) || self.busy.contains(&place) {
                continue;
            }
            if pending.entry.due > now {
                next = Some(next.map_or(pending.entry.due, |n| n.min(pending.entry.due)));
                continue;
            }
            if self.running.len() >= PARALLEL {
                break;
            }
            let outbox = self.outbox.clone();
            let task = self
                .running
                .spawn(async move { outbox.attempt(pending).await });
            self.places.insert(task.id(), place.clone());
            self.busy.insert(place);
            self.attempted += 1;
        }
        Ok(next)
    }

    /// Waits for an attempt to end and frees its place.
    async fn finish_one(&mut self) {
        let id = match self.running.join_next_with_id().await {
            Some(Ok((id, ()))) => id,
            Some(Err(e)) => {
                tracing::error!(error = %e, "a delivery attempt failed");
                e.id()
            }
            None => return,
        };
        if let Some(place) = self.places.remove(&id) {
            self.busy.remove(&place);
        }
    }
}

fn place(notice: &Notice) -> String {
    match notice {
        Notice::Outcome { to, .. } | Notice::Text { to, .. } => match to {
            Audience::Thread { channel, ts } => format!("t:{channel}:{ts}"),
            Audience::Privately { channel, user, .. } => format!("p:{channel}:{user}"),
            Audience::Person { user } => format!("u:{user}"),
            Audience::ReplyUrl { url, .. } => format!("r:{url}"),
        },
        Notice::TriageCard { idea } => format!("card:{idea}"),
        Notice::Home { user } => format!("home:{user}"),
        Notice::Digest { channel, .. } => format!("c:{channel}"),
        // A receiver hears of one idea's changes in the order they were made.
        Notice::Webhook { url, .. } => format!("hook:{url}"),
    }
}

impl Outbox {
    /// One try at `pending`, and its outcome recorded: delivered, to be tried again, or dead.
    async fn attempt(&self, pending: Pending) {
        let app = &self.app;
        let notice = &pending.entry.notice;
        let kind = notice.kind();
        let result = match tokio::time::timeout(API_TIMEOUT, self.deliver(notice)).await {
            Ok(result) => result,
            Err(_) => Err(Failure::Passing {
                after: None,
                error: "timed out".into(),
            }),
        };
        let recorded = match result {
            Ok(landed) => {
                metrics::counter!("problemfirst_outbox_delivered_total", "notice" => kind)
                    .increment(1);
                app.delivered(&pending, landed.as_ref().map(|(c, t)| (c, t)))
            }
            Err(Failure::Passing { after, error }) => {
                let attempts = pending.entry.attempts.saturating_add(1);
                if attempts >= MAX_ATTEMPTS {
                    tracing::error!(notice = kind, error, attempts, "gave up on a message");
                    metrics::counter!("problemfirst_outbox_dead_total", "notice" => kind)
                        .increment(1);
                    app.give_up(
                        &pending,
                        &format!("gave up after {attempts} attempts: {error}"),
                    )
                } else {
                    let wait = after.unwrap_or_else(|| backoff(attempts, pending.seq));
                    tracing::info!(notice = kind, error, retry_in = ?wait, "will try a message again");
                    let due = Timestamp::now()
                        .checked_add(wait)
                        .unwrap_or_else(|_| Timestamp::now());
                    app.retry_at(&pending, due, &error)
                }
            }
            Err(Failure::Final { code, error }) => {
                tracing::error!(
                    notice = kind,
                    code,
                    error,
                    "a message can never be delivered; kept as a dead letter"
                );
                metrics::counter!("problemfirst_outbox_dead_total", "notice" => kind).increment(1);
                app.give_up(&pending, &error)
            }
        };
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not record a delivery attempt");
        }
    }

    /// Sends one notice, rendered from the app as things are now: the one place every kind of
    /// notice is told apart. `Ok(Some(landed))` when it became a message the app may want to
    /// find again.
    async fn deliver(&self, notice: &Notice) -> Result<Option<Landed>, Failure> {
        match notice {
            Notice::Outcome { idea, to } => {
                let reply = self
                    .app
                    .outcome_reply(*idea)
                    .await
                    .map_err(Failure::unrenderable)?;
                self.send(to, &reply).await
            }
            Notice::Text { to, text } => {
                let reply = Reply {
                    text: text.clone(),
                    ..Reply::default()
                };
                self.send(to, &reply).await
            }
            Notice::Digest { channel, week } => {
                let content = super::digest::digest_message(&self.app, *week)
                    .map_err(Failure::unrenderable)?;
                self.api.post(channel, content, None).await
            }
            Notice::TriageCard { idea } => self.card(*idea).await,
            Notice::Home { user } => {
                super::home::deliver(&self.app, &self.api, &self.leads, user).await?;
                Ok(None)
            }
            Notice::Webhook { url, event, body } => {
                self.webhooks.send(url, event, body).await?;
                Ok(None)
            }
        }
    }

    /// Sends a reply to an audience.
    async fn send(&self, to: &Audience, reply: &Reply) -> Result<Option<Landed>, Failure> {
        let content = content(reply);
        match to {
            Audience::Thread { channel, ts } => self.api.post(channel, content, Some(ts)).await,
            Audience::Privately { channel, ts, user } => {
                self.api
                    .post_privately(channel, user, content, ts.as_deref())
                    .await?;
                Ok(None)
            }
            // Posting to a user id opens the direct message.
            Audience::Person { user } => self.api.post(user, content, None).await,
            Audience::ReplyUrl { url, replace } => {
                self.api.respond(url, content, *replace).await?;
                Ok(None)
            }
        }
    }

    /// Delivers a `Notice::TriageCard`: posts the card to its track's triage channel the first
    /// time, updates it in place after; when the idea moved to a track with another channel, the
    /// old card says where it went and a new one is posted there.
    async fn card(&self, id: IdeaId) -> Result<Option<Landed>, Failure> {
        let view = self
            .app
            .card_view(id)
            .await
            .map_err(Failure::unrenderable)?;
        let (text, blocks) = super::card::card(&view);
        let content = SlackMessageContent::new()
            .with_text(text)
            .with_blocks(blocks);
        match (view.idea.card.clone(), view.channel.clone()) {
            (Some(old), Some(channel)) if old.channel != channel => {
                let (text, blocks) = super::card::moved_card(&view, &channel);
                let stub = SlackMessageContent::new()
                    .with_text(text)
                    .with_blocks(blocks);
                if let Err(e) = self.api.update(&old.channel, &old.ts, stub).await {
                    // The new card matters more than the old one's note.
                    tracing::warn!(error = %e, idea = %id, "could not mark the old triage card as moved");
                }
                self.api.post(&channel, content, None).await
            }
            (Some(old), channel) => match self
                .api
                .update(&old.channel, &old.ts, content.clone())
                .await
            {
                Ok(()) => Ok(Some((old.channel, old.ts))),
                // Someone deleted the card: post it again where it belongs.
                Err(e) if matches!(e.code(), Some("message_not_found" | "cant_update_message")) => {
                    let channel = channel.unwrap_or(old.channel);
                    self.api.post(&channel, content, None).await
                }
                Err(e) => Err(e),
            },
            (None, Some(channel)) => self.api.post(&channel, content, None).await,
            (None, None) => Ok(None),
        }
    }
}

/// Exponential backoff with jitter: between half and all of `base · 2^attempts`, capped. The
/// jitter spreads retries of many notices that failed together.
fn backoff(attempts: u32, seq: u64) -> Duration {
    let full = BACKOFF_BASE
        .saturating_mul(1u32.checked_shl(attempts.min(20)).unwrap_or(u32::MAX))
        .min(BACKOFF_CAP);
    // A cheap spread from the notice's sequence number and the clock; no need for a real RNG.
    let noise = (seq ^ u64::from(Timestamp::now().subsec_nanosecond().unsigned_abs()))
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        >> 54;
    let fraction = 0.5 + (noise as f64 / 1024.0) / 2.0;
    full.mul_f64(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_stays_within_half_and_whole_and_is_capped() {
        for attempts in 1..30 {
            let full = BACKOFF_BASE
                .saturating_mul(1u32.checked_shl(attempts.min(20)).unwrap_or(u32::MAX))
                .min(BACKOFF_CAP);
            let b = backoff(attempts, u64::from(attempts) * 7919);
            assert!(b >= full / 2 && b <= full, "{attempts}: {b:?} vs {full:?}");
        }
        assert!(backoff(30, 1) <= BACKOFF_CAP);
    }
}
