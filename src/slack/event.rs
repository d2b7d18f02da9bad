//! Events API events: a pitch in an idea channel, a mention, a reaction (maybe a vote), the App
//! Home opened. An event that asks for work is kept in the inbox before it is acknowledged and
//! handled after; what a crash left there is handled at the next start ([`Bot::resume`]).

use super::bot::{refusal, Bot};
use super::payload::{channel, ts, user};
use crate::app::{Accepted, Answer, AppError, Delivery, Submission};
use crate::domain::{Audience, ChannelId, MessageTs, Notice, Origin, Source, UserId};
use jiff::Timestamp;
use slack_morphism::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// How long a Slack delivery id is remembered, to file a retried event once. Slack retries for a
/// few minutes; Socket Mode may redeliver after a reconnect.
const DELIVERY_TTL: Duration = Duration::from_secs(60 * 60);

/// The inbox's name for Events API deliveries.
const EVENT: &str = "event";

/// Why an event was not acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum NotKept {
    #[error("the store did not keep it within the time an acknowledgement may take")]
    TooSlow,
    #[error("the store could not keep it: {0}")]
    Store(AppError),
    #[error("it could not be written down: {0}")]
    Unwritable(serde_json::Error),
}

/// A pitch from a message in Slack.
struct Pitch {
    text: String,
    user: UserId,
    source: Source,
    channel: ChannelId,
    ts: MessageTs,
}

impl Bot {
    /// An Events API delivery, `body` as Slack sent it. What asks for work (a pitch, a vote, the
    /// App Home opened) is kept in the inbox with its event id marked seen before this returns
    /// `Ok`, so the acknowledgement that follows promises only what is on disk; it is handled
    /// after. A retry of a kept event (same event id) is acknowledged and not handled again.
    ///
    /// Should the store not keep it within the acknowledgement budget, `Err`: the caller answers
    /// so that Slack sends it again, and the retry finds it kept by then, or after a crash, not
    /// at all.
    pub async fn event(
        self: &Arc<Self>,
        cb: SlackPushEventCallback,
        body: String,
    ) -> Result<(), NotKept> {
        if !self.handles(&cb.event) {
            return Ok(());
        }
        let key = format!("event:{}", cb.event_id);
        let delivery = Delivery {
            kind: EVENT.into(),
            body,
            received: Timestamp::now(),
        };
        let (kept_tx, kept) = tokio::sync::oneshot::channel();
        let bot = Arc::clone(self);
        // Spawned, so that keeping and handling go on when the acknowledgement stops waiting.
        self.work.spawn(async move {
            let accepted = bot.app.keep(key, DELIVERY_TTL, delivery).await;
            let new = match &accepted {
                Ok(Accepted::New(id)) => Some(*id),
                Ok(Accepted::Seen) => {
                    tracing::debug!(event_id = %cb.event_id, "retried delivery acknowledged");
                    None
                }
                Err(_) => None,
            };
            let _ = kept_tx.send(accepted.map(|_| ()));
            if let Some(id) = new {
                bot.handle_event(cb.event, id, false).await;
            }
        });
        match tokio::time::timeout(self.ack_budget, kept).await {
            Ok(Ok(kept)) => kept.map_err(NotKept::Store),
            _ => Err(NotKept::TooSlow),
        }
    }

    /// [`Bot::event`] for callers that cannot wait asynchronously: kept with a flush on this
    /// thread, with no time limit but the disk's.
    pub(super) fn keep_now(self: &Arc<Self>, cb: SlackPushEventCallback) -> Result<(), NotKept> {
        if !self.handles(&cb.event) {
            return Ok(());
        }
        let body = super::payload::event_body(&cb).map_err(NotKept::Unwritable)?;
        let delivery = Delivery {
            kind: EVENT.into(),
            body,
            received: Timestamp::now(),
        };
        let key = format!("event:{}", cb.event_id);
        match self.app.keep_now(key, DELIVERY_TTL, delivery) {
            Ok(Accepted::New(id)) => {
                let bot = Arc::clone(self);
                self.work
                    .spawn(async move { bot.handle_event(cb.event, id, false).await });
                Ok(())
            }
            Ok(Accepted::Seen) => Ok(()),
            Err(e) => Err(NotKept::Store(e)),
        }
    }

    /// Whether an event asks for any work: a pitch in an idea channel, a mention, a reaction
    /// (maybe a vote), the App Home opened.
    fn handles(&self, event: &SlackEventCallbackBody) -> bool {
        match event {
            SlackEventCallbackBody::Message(m) => {
                self.pitch_in(m).is_some() || super::discussion::reply_in(m).is_some()
            }
            SlackEventCallbackBody::AppMention(m) => self.mention_is_ours(m),
            SlackEventCallbackBody::ReactionAdded(_)
            | SlackEventCallbackBody::ReactionRemoved(_)
            | SlackEventCallbackBody::AppHomeOpened(_) => true,
            _ => false,
        }
    }

    /// Handles an event kept in the inbox under `id`, then lets it go. `again`: it may have been
    /// handled before a restart, so a pitch already filed is not filed twice (votes and App Home
    /// refreshes come out the same however often they are made).
    async fn handle_event(self: &Arc<Self>, event: SlackEventCallbackBody, id: u64, again: bool) {
        match event {
            SlackEventCallbackBody::Message(m) => {
                if let Some(pitch) = self.pitch_in(&m) {
                    self.pitch(pitch, again).await;
                } else if let Some(reply) = super::discussion::reply_in(&m) {
                    self.thread_reply(reply);
                }
            }
            SlackEventCallbackBody::AppMention(m) => {
                let read = (user(&m.user), channel(&m.channel), ts(&m.origin.ts));
                if let (Some(user), Some(channel), Some(ts)) = read {
                    let pitch = Pitch {
                        text: m.content.text.clone().unwrap_or_default(),
                        user,
                        source: Source::Mention,
                        channel,
                        ts,
                    };
                    self.pitch(pitch, again).await;
                }
            }
            SlackEventCallbackBody::ReactionAdded(r) => {
                self.reaction(&r.user, &r.reaction, r.item_user.as_ref(), &r.item, true)
            }
            SlackEventCallbackBody::ReactionRemoved(r) => {
                self.reaction(&r.user, &r.reaction, r.item_user.as_ref(), &r.item, false)
            }
            SlackEventCallbackBody::AppHomeOpened(h) => {
                // The Messages tab opens the same event; only the Home tab is ours to draw.
                if let Some(user) =
                    user(&h.user).filter(|_| h.tab.as_deref().is_none_or(|t| t == "home"))
                {
                    if let Err(e) = self.app.home_opened(&user) {
                        tracing::error!(error = %e, "could not queue an App Home");
                    }
                }
            }
            other => tracing::debug!(event = ?std::mem::discriminant(&other), "event ignored"),
        }
        if let Err(e) = self.app.handled(id) {
            tracing::error!(error = %e, "could not take a handled event out of the inbox");
        }
    }

    /// Handles what the inbox kept and an earlier run did not finish (a crash, or a stop that ran
    /// out of time). Reads the inbox now, so call it before a transport starts keeping new
    /// deliveries; handles them in the background. Returns how many there were.
    pub fn resume(self: &Arc<Self>) -> usize {
        let pending = match self.app.kept() {
            Ok(pending) => pending,
            Err(e) => {
                tracing::error!(error = %e, "could not read the inbox");
                return 0;
            }
        };
        let count = pending.len();
        if count > 0 {
            tracing::info!(count, "handling what was acknowledged before the last stop");
        }
        let bot = Arc::clone(self);
        self.work.spawn(async move {
            for (id, delivery) in pending {
                match (
                    delivery.kind.as_str(),
                    super::payload::read_event(&delivery.body),
                ) {
                    (EVENT, Ok(SlackPushEvent::EventCallback(cb))) => {
                        bot.handle_event(cb.event, id, true).await;
                    }
                    (kind, _) => {
                        tracing::error!(kind, id, "an inbox entry can't be read; it is dropped");
                        if let Err(e) = bot.app.handled(id) {
                            tracing::error!(error = %e, "could not drop an inbox entry");
                        }
                    }
                }
            }
        });
        count
    }

    /// Whether a mention is filed as a mention. In an idea channel Slack also sends it as the
    /// channel's message, so filing it from both would give one pitch two ideas: a top-level
    /// mention there is filed from the message unless the message is taken for chatter (a
    /// question put to the bot reads like one put to a colleague), and a mention in a thread is
    /// a comment.
    fn mention_is_ours(&self, m: &SlackAppMentionEvent) -> bool {
        if channel(&m.channel).is_none_or(|c| !self.idea_channels.contains(&c)) {
            return true;
        }
        let text = m.content.text.as_deref().unwrap_or_default();
        m.origin.thread_ts.is_none() && self.app.config().chatter.rule.judge(text).is_some()
    }

    /// The pitch in a channel message, if it is one: only people's top-level messages in idea
    /// channels are pitches: no bot messages, edits, thread replies or other subtypes (which also
    /// keeps the bot from answering itself), and no chatter (`[chatter]`: greetings, thanks,
    /// emoji, a word or two, a question put to a colleague). This runs before anything is kept,
    /// so chatter costs nothing.
    fn pitch_in(&self, m: &SlackMessageEvent) -> Option<Pitch> {
        let channel = channel(m.origin.channel.as_ref()?)?;
        let is_pitch = self.idea_channels.contains(&channel)
            && m.subtype.is_none()
            && m.sender.bot_id.is_none()
            && m.origin.thread_ts.is_none();
        if !is_pitch {
            return None;
        }
        let text = m.content.as_ref()?.text.clone()?;
        if let Some(chatter) = self.app.config().chatter.rule.judge(&text) {
            tracing::debug!(
                kind = chatter.name(),
                "chatter in an idea channel, not a pitch"
            );
            return None;
        }
        Some(Pitch {
            text,
            user: user(m.sender.user.as_ref()?)?,
            source: Source::Channel,
            channel,
            ts: ts(&m.origin.ts)?,
        })
    }

    /// A pitch from a message: filed → a thread reply everyone sees; coached → an ephemeral
    /// reply in the thread that only the submitter sees.
    async fn pitch(self: &Arc<Self>, p: Pitch, again: bool) {
        if again {
            match self.app.filed_from(&p.user, &p.channel, &p.ts) {
                Ok(true) => return,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "could not check for an idea filed before a restart")
                }
            }
        }
        let submission = Submission {
            pitch: p.text,
            submitter: p.user.clone(),
            source: p.source,
            origin: Origin {
                channel: Some(p.channel.clone()),
                ts: Some(p.ts.clone()),
                permalink: None,
            },
            track: None,
            anonymous: false,
            answer: Answer::Thread {
                channel: p.channel.clone(),
                ts: p.ts.clone(),
            },
        };
        // The outcome is queued with the idea; only a refusal is told here.
        if let Err(e) = self.app.submit(submission).await {
            let to = Audience::Privately {
                channel: p.channel,
                ts: Some(p.ts),
                user: p.user,
            };
            let text = refusal(&e).text;
            if let Err(e) = self.app.owe(&[Notice::Text { to, text }]) {
                tracing::error!(error = %e, "could not queue a message");
            }
        }
    }

    /// A reaction added or removed (`on`): the configured one on a message of an idea is a vote.
    fn reaction(
        &self,
        who: &SlackUserId,
        name: &SlackReactionName,
        author: Option<&SlackUserId>,
        item: &SlackReactionsItem,
        on: bool,
    ) {
        if !same_reaction(&self.app.config().votes.reaction, &name.0) {
            return;
        }
        let SlackReactionsItem::Message(message) = item else {
            return;
        };
        let read = (
            message.origin.channel.as_ref().and_then(channel),
            ts(&message.origin.ts),
            user(who),
        );
        let (Some(channel), Some(ts), Some(who)) = read else {
            return;
        };
        let author = author.and_then(user);
        if let Err(e) = self.app.react(&channel, &ts, author.as_ref(), &who, on) {
            tracing::warn!(error = %e, "could not count a vote");
        }
    }
}

/// Whether Slack's reaction `name` is the configured one: skin tones (`+1::skin-tone-3`) and the
/// thumbs' two names (`+1` / `thumbsup`) are the same reaction.
fn same_reaction(configured: &str, name: &str) -> bool {
    const ALIASES: [(&str, &str); 2] = [("+1", "thumbsup"), ("-1", "thumbsdown")];
    let base = name.split("::").next().unwrap_or_default();
    base == configured
        || ALIASES
            .iter()
            .any(|&(a, b)| (base, configured) == (a, b) || (base, configured) == (b, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reaction_counts_in_any_skin_tone_and_under_either_name() {
        for name in ["+1", "+1::skin-tone-2", "thumbsup", "thumbsup::skin-tone-6"] {
            assert!(same_reaction("+1", name), "{name}");
        }
        for name in ["-1", "tada", "+10", "thumbsdown"] {
            assert!(!same_reaction("+1", name), "{name}");
        }
        assert!(same_reaction("bulb", "bulb"));
        assert!(!same_reaction("bulb", "+1"));
    }
}
