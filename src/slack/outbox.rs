//! Delivers the outbox to Slack: renders each notice from the store as it is now, sends it with
//! a timeout, and decides what a failure means.
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

use super::blocks::reply_blocks;
use super::bot::Bot;
use crate::app::Reply;
use crate::domain::{Audience, Notice};
use crate::storage::Pending;
use jiff::Timestamp;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Every Web API call gives up after this long (and counts as a passing failure).
pub const API_TIMEOUT: Duration = Duration::from_secs(10);
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

/// Slack error codes worth another try; every other code is final.
const TRANSIENT_CODES: [&str; 6] = [
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
];

/// Why an attempt failed.
#[derive(Debug)]
pub(super) enum Failure {
    /// Try again: after `after` if Slack said so, else after the backoff.
    Passing {
        after: Option<Duration>,
        error: String,
    },
    /// It will never work.
    Final { code: String, error: String },
}

/// Delivers until `stop` turns true; then starts nothing new, lets the calls in flight end
/// (each within [`API_TIMEOUT`]) and returns. With the sender dropped it delivers until the
/// runtime ends.
pub async fn run(bot: Arc<Bot>, mut stop: watch::Receiver<bool>) {
    let signal = bot.app.store.outbox_signal();
    let mut worker = Worker::new(bot);
    let mut stoppable = true;
    loop {
        if *stop.borrow() {
            break;
        }
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
            changed = stop.changed(), if stoppable => {
                // Nobody left to say stop: deliver for as long as the runtime lives.
                stoppable = changed.is_ok();
            }
        }
    }
    // A call cut short may have been taken by Slack: its notice would stay in the outbox and go
    // out again at the next start. So the calls in flight end on their own time.
    while !worker.running.is_empty() {
        worker.finish_one().await;
    }
}

/// Delivers everything due now, once (for `digest --post` and tests); returns how many notices
/// were attempted.
pub async fn drain(bot: &Arc<Bot>) -> usize {
    let mut worker = Worker::new(Arc::clone(bot));
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

/// The attempts under way. Each place (a thread, a person, a reply address, a card…) has at most
/// one, so its messages go out in the order they were queued; places are independent of each
/// other, so a slow call holds up nothing but its own place.
struct Worker {
    bot: Arc<Bot>,
    running: JoinSet<()>,
    /// The place of each attempt under way.
    places: HashMap<tokio::task::Id, String>,
    busy: HashSet<String>,
    attempted: usize,
}

impl Worker {
    fn new(bot: Arc<Bot>) -> Worker {
        Worker {
            bot,
            running: JoinSet::new(),
            places: HashMap::new(),
            busy: HashSet::new(),
            attempted: 0,
        }
    }

    /// Starts the oldest notice of each place that is due, has nothing under way and is not
    /// behind an older one, up to [`PARALLEL`] attempts in all. Returns when the next notice not
    /// yet due is.
    fn start_due(&mut self) -> Result<Option<Timestamp>, crate::storage::StoreError> {
        let queue = self.bot.app.store.outbox_queue(SCAN)?;
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
            let bot = Arc::clone(&self.bot);
            let task = self
                .running
                .spawn(async move { attempt(&bot, pending).await });
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
    }
}

async fn attempt(bot: &Arc<Bot>, pending: Pending) {
    let store = &bot.app.store;
    let notice = &pending.entry.notice;
    let kind = notice.kind();
    let result = match tokio::time::timeout(API_TIMEOUT, deliver(bot, notice)).await {
        Ok(result) => result,
        Err(_) => Err(Failure::Passing {
            after: None,
            error: "timed out".into(),
        }),
    };
    let recorded = match result {
        Ok(landed) => {
            metrics::counter!("problemfirst_outbox_delivered_total", "notice" => kind).increment(1);
            if let Some((channel, ts)) = landed {
                if let Err(e) = bot.app.posted(notice, &channel, &ts) {
                    tracing::warn!(error = %e, notice = kind, "could not record a delivered message");
                }
            }
            store.outbox_delivered(pending.seq)
        }
        Err(Failure::Passing { after, error }) => {
            let attempts = pending.entry.attempts.saturating_add(1);
            if attempts >= MAX_ATTEMPTS {
                tracing::error!(notice = kind, error, attempts, "gave up on a message");
                metrics::counter!("problemfirst_outbox_dead_total", "notice" => kind).increment(1);
                store.outbox_dead(
                    pending.seq,
                    &format!("gave up after {attempts} attempts: {error}"),
                )
            } else {
                let wait = after.unwrap_or_else(|| backoff(attempts, pending.seq));
                tracing::info!(notice = kind, error, retry_in = ?wait, "will try a message again");
                let due = Timestamp::now()
                    .checked_add(wait)
                    .unwrap_or_else(|_| Timestamp::now());
                store.outbox_retry(pending.seq, due, &error)
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
            store.outbox_dead(pending.seq, &error)
        }
    };
    if let Err(e) = recorded {
        tracing::error!(error = %e, "could not record a delivery attempt");
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

/// Sends one notice. `Ok(Some((channel, ts)))` when it became a message the app may want to find
/// again.
async fn deliver(bot: &Arc<Bot>, notice: &Notice) -> Result<Option<(String, String)>, Failure> {
    match notice {
        Notice::Outcome { idea, to } => {
            let reply = match bot.app.outcome_reply(*idea).await {
                Ok(reply) => reply,
                Err(e) => {
                    return Err(Failure::Final {
                        code: "unrenderable".into(),
                        error: e.to_string(),
                    })
                }
            };
            send(bot, to, &reply).await
        }
        Notice::Text { to, text } => {
            let reply = Reply {
                text: text.clone(),
                ..Reply::default()
            };
            send(bot, to, &reply).await
        }
        Notice::Digest { channel, week } => {
            let content =
                super::digest::digest_message(&bot.app, week).map_err(|e| Failure::Final {
                    code: "unrenderable".into(),
                    error: e.to_string(),
                })?;
            let req = SlackApiChatPostMessageRequest::new(channel.clone().into(), content);
            let r = bot
                .session()
                .chat_post_message(&req)
                .await
                .map_err(failure)?;
            Ok(Some((r.channel.to_string(), r.ts.to_string())))
        }
        Notice::TriageCard { idea } => super::triage::deliver_card(bot, *idea).await,
        Notice::Home { user } => super::home::deliver(bot, user).await,
    }
}

/// Sends a reply to an audience.
pub(super) async fn send(
    bot: &Bot,
    to: &Audience,
    reply: &Reply,
) -> Result<Option<(String, String)>, Failure> {
    let content = content(reply);
    let session = bot.session();
    match to {
        Audience::Thread { channel, ts } => {
            let req = SlackApiChatPostMessageRequest::new(channel.clone().into(), content)
                .with_thread_ts(ts.clone().into());
            let r = session.chat_post_message(&req).await.map_err(failure)?;
            Ok(Some((r.channel.to_string(), r.ts.to_string())))
        }
        Audience::Privately { channel, ts, user } => {
            let mut req = SlackApiChatPostEphemeralRequest::new(
                channel.clone().into(),
                user.clone().into(),
                content,
            );
            if let Some(ts) = ts {
                req = req.with_thread_ts(ts.clone().into());
            }
            session.chat_post_ephemeral(&req).await.map_err(failure)?;
            Ok(None)
        }
        Audience::Person { user } => {
            // Posting to a user id opens the direct message.
            let req = SlackApiChatPostMessageRequest::new(user.clone().into(), content);
            let r = session.chat_post_message(&req).await.map_err(failure)?;
            Ok(Some((r.channel.to_string(), r.ts.to_string())))
        }
        Audience::ReplyUrl { url, replace } => {
            let url = url::Url::parse(url).map_err(|e| Failure::Final {
                code: "bad_reply_url".into(),
                error: e.to_string(),
            })?;
            let req =
                SlackApiPostWebhookMessageRequest::new(content).with_replace_original(*replace);
            bot.client
                .respond_to_event(&SlackResponseUrl(url), &req)
                .await
                .map_err(failure)?;
            Ok(None)
        }
    }
}

pub(super) fn content(reply: &Reply) -> SlackMessageContent {
    SlackMessageContent::new()
        .with_text(crate::app::shorten(&reply.text, 3000))
        .with_blocks(reply_blocks(reply))
}

/// What a Slack client error means for the notice.
pub(super) fn failure(e: SlackClientError) -> Failure {
    let error = e.to_string();
    let code = match &e {
        SlackClientError::RateLimitError(r) => {
            metrics::counter!("problemfirst_slack_api_errors_total", "code" => "ratelimited")
                .increment(1);
            return Failure::Passing {
                after: Some(r.retry_after.unwrap_or(Duration::from_secs(1))),
                error,
            };
        }
        SlackClientError::ApiError(a) => a.code.clone(),
        SlackClientError::HttpError(h) => format!("http_{}", h.status_code.as_u16()),
        _ => "transport".to_string(),
    };
    metrics::counter!("problemfirst_slack_api_errors_total", "code" => code.clone()).increment(1);
    let passing = match &e {
        SlackClientError::ApiError(a) => TRANSIENT_CODES.contains(&a.code.as_str()),
        SlackClientError::HttpError(h) => {
            h.status_code.is_server_error() || h.status_code.as_u16() == 408
        }
        _ => true,
    };
    if passing {
        Failure::Passing { after: None, error }
    } else {
        Failure::Final { code, error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slack_morphism::errors::SlackClientApiError;

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

    #[test]
    fn api_codes_split_into_passing_and_final() {
        let api =
            |code: &str| SlackClientError::ApiError(SlackClientApiError::new(code.to_string()));
        assert!(matches!(
            failure(api("internal_error")),
            Failure::Passing { .. }
        ));
        assert!(matches!(
            failure(api("channel_not_found")),
            Failure::Final { .. }
        ));
        assert!(matches!(
            failure(api("invalid_blocks")),
            Failure::Final { .. }
        ));
    }
}
