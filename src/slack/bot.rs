//! The bot's Slack side, shared by both transports: what to do with a slash command, an event and
//! an interaction. Handlers answer within Slack's 3-second window: anything slower than a lookup
//! (assessing and filing, Web API calls) is spawned, and results go back through `response_url`,
//! thread replies or ephemeral messages.

use super::blocks::{self, field_errors, read_fields, NEW_IDEA_MODAL, REFRAME_MODAL};
use crate::app::{Answer, App, AppError, Outcome, Reply, Submission};
use crate::domain::{Audience, IdeaId, Notice, Origin, Source};
use crate::storage::{Accepted, Delivery, StoreError};
use jiff::Timestamp;
use slack_morphism::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// How long a Slack delivery id is remembered, to file a retried event once. Slack retries for a
/// few minutes; Socket Mode may redeliver after a reconnect.
const DELIVERY_TTL: Duration = Duration::from_secs(60 * 60);

/// How long a request waits for what it asked for to be on disk before it is answered anyway,
/// well inside Slack's 3 seconds: a slash command's pitch, an interaction's change, an event kept
/// in the inbox.
const ACK_BUDGET: Duration = Duration::from_millis(2_000);

/// The inbox's name for Events API deliveries.
const EVENT: &str = "event";

/// Why an event was not acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum NotKept {
    #[error("the store did not keep it within the time an acknowledgement may take")]
    TooSlow,
    #[error("the store could not keep it: {0}")]
    Store(StoreError),
}

/// A pitch from a message in Slack.
struct Pitch {
    text: String,
    user: String,
    source: Source,
    channel: String,
    ts: String,
}

/// How long a message shortcut waits for the message's link: the idea is filed before the
/// acknowledgement, so the link may not hold it up for long (it is filed without one then).
const PERMALINK_WAIT: Duration = Duration::from_millis(1_000);

/// How long a trigger id lets a form be opened.
const TRIGGER_WINDOW: Duration = Duration::from_secs(3);

/// Everything a handler needs: the app core, a Web API session and the idea channels.
pub struct Bot {
    pub app: App,
    pub client: Arc<SlackHyperClient>,
    pub token: SlackApiToken,
    pub idea_channels: Vec<String>,
    /// Work spawned after an acknowledgement (filing, opening forms), so a shutdown can wait
    /// for it: Slack will not send an acknowledged request again.
    pub work: tokio_util::task::TaskTracker,
}

const HELP: &str =
    "*/idea <your pitch>* files an idea: say who is affected and what is hard for them.\n\
*/idea* opens a form, field by field.\n*/idea mine* lists your ideas.\n*/idea digest* previews this week's digest, just for you.\n\
I coach; I never block: every idea can be filed.";

impl Bot {
    /// Opens a form. The trigger id is only good for about 3 seconds, so the call is given no
    /// longer than that.
    pub(super) async fn open_view(&self, req: &SlackApiViewsOpenRequest) -> Result<(), String> {
        match tokio::time::timeout(TRIGGER_WINDOW, self.session().views_open(req)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("views.open timed out".into()),
        }
    }

    pub(super) fn session(&self) -> SlackClientSession<'_, SlackClientHyperHttpsConnector> {
        self.client.open_session(&self.token)
    }

    fn tracks(&self) -> Vec<(String, String)> {
        self.app
            .config
            .tracks
            .iter()
            .map(|t| (t.id.clone(), t.name.clone()))
            .collect()
    }

    /// `/idea …`: the answer to put in the acknowledgement, if any.
    pub async fn command(self: &Arc<Self>, ev: SlackCommandEvent) -> Option<SlackMessageContent> {
        let text = ev.text.clone().unwrap_or_default();
        let user = ev.user_id.to_string();
        match text.trim().to_ascii_lowercase().as_str() {
            "" => {
                // The trigger id lives about 3 seconds: open the modal before anything else.
                let view = blocks::pitch_modal(&self.tracks(), None, ev.channel_id.as_ref());
                let req = SlackApiViewsOpenRequest::new(ev.trigger_id.clone(), view);
                if let Err(e) = self.open_view(&req).await {
                    tracing::warn!(error = %e, "could not open the pitch form");
                    return Some(text_content(
                        "I couldn't open the form just now. Try `/idea <your pitch>`.",
                    ));
                }
                None
            }
            "help" => Some(text_content(HELP)),
            "mine" => Some(text_content(&self.mine(&user))),
            // A preview of the weekly digest, in the acknowledgement: only the asker sees it.
            "digest" => Some(super::digest::preview(&self.app).await),
            _ => {
                let submission = Submission {
                    pitch: text,
                    submitter: user,
                    source: Source::Slash,
                    origin: Origin {
                        channel: Some(ev.channel_id.to_string()),
                        ..Origin::default()
                    },
                    track: None,
                    answer: Answer::Direct,
                };
                self.answer_in_ack(submission, ev.response_url.0.to_string())
                    .await
            }
        }
    }

    /// Files a pitch and answers in the acknowledgement itself, which saves a Web API call. Filing
    /// takes a flush, a few milliseconds; should the store stall past [`ACK_BUDGET`], the
    /// acknowledgement goes out empty and the outcome follows through the outbox to `reply_url`.
    async fn answer_in_ack(
        self: &Arc<Self>,
        submission: Submission,
        reply_url: String,
    ) -> Option<SlackMessageContent> {
        let (tx, rx) = tokio::sync::oneshot::channel::<Reply>();
        let bot = Arc::clone(self);
        self.work.spawn(async move {
            let result = bot.app.submit(submission).await;
            let reply = match &result {
                Ok(outcome) => outcome.reply(&bot.app),
                Err(e) => error_reply(e),
            };
            if let Err(reply) = tx.send(reply) {
                let to = Audience::ReplyUrl {
                    url: reply_url,
                    replace: false,
                };
                let notice = match result {
                    Ok(Outcome::Filed(f)) => Notice::Outcome {
                        idea: f.idea.id,
                        to,
                    },
                    Ok(Outcome::NeedsReframe(c)) => Notice::Outcome {
                        idea: c.draft.id,
                        to,
                    },
                    Err(_) => Notice::Text {
                        to,
                        text: reply.text,
                    },
                };
                bot.owe(notice);
            }
        });
        match tokio::time::timeout(ACK_BUDGET, rx).await {
            Ok(Ok(reply)) => Some(super::outbox::content(&reply)),
            _ => None,
        }
    }

    /// Queues a message the bot owes that no state change carries (an answer to a request that
    /// changed nothing, such as a refused pitch).
    fn owe(&self, notice: Notice) {
        if let Err(e) = self.app.store.enqueue(&[notice]) {
            tracing::error!(error = %e, "could not queue a message");
        }
    }

    /// An Events API delivery, `body` as Slack sent it. What asks for work (a pitch, a vote, the
    /// App Home opened) is kept in the inbox with its event id marked seen before this returns
    /// `Ok`, so the acknowledgement that follows promises only what is on disk; it is handled
    /// after. A retry of a kept event (same event id) is acknowledged and not handled again.
    ///
    /// Should the store not keep it within [`ACK_BUDGET`], `Err`: the caller answers so that
    /// Slack sends it again, and the retry finds it kept by then, or after a crash, not at all.
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
            let accepted = bot
                .app
                .store
                .accept(key, Timestamp::now(), DELIVERY_TTL, delivery)
                .await;
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
        match tokio::time::timeout(ACK_BUDGET, kept).await {
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
        let body = super::payload::event_body(&cb)
            .map_err(|e| NotKept::Store(StoreError::Inbox(e.to_string())))?;
        let delivery = Delivery {
            kind: EVENT.into(),
            body,
            received: Timestamp::now(),
        };
        let key = format!("event:{}", cb.event_id);
        match self
            .app
            .store
            .accept_blocking(key, Timestamp::now(), DELIVERY_TTL, delivery)
        {
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
            SlackEventCallbackBody::Message(m) => self.pitch_in(m).is_some(),
            SlackEventCallbackBody::AppMention(_)
            | SlackEventCallbackBody::ReactionAdded(_)
            | SlackEventCallbackBody::ReactionRemoved(_)
            | SlackEventCallbackBody::AppHomeOpened(_) => true,
            _ => false,
        }
    }

    /// Handles an event kept in the inbox under `id`, then lets it go. `again`: it may have been
    /// handled before a restart, so a pitch already filed is not filed twice (votes and App Home
    /// refreshes come out the same however often they are made).
    pub(super) async fn handle_event(
        self: &Arc<Self>,
        event: SlackEventCallbackBody,
        id: u64,
        again: bool,
    ) {
        match event {
            SlackEventCallbackBody::Message(m) => {
                if let Some(pitch) = self.pitch_in(&m) {
                    self.pitch(pitch, again).await;
                }
            }
            SlackEventCallbackBody::AppMention(m) => {
                let pitch = Pitch {
                    text: m.content.text.clone().unwrap_or_default(),
                    user: m.user.to_string(),
                    source: Source::Mention,
                    channel: m.channel.to_string(),
                    ts: m.origin.ts.to_string(),
                };
                self.pitch(pitch, again).await;
            }
            // Votes and the App Home (src/slack/triage.rs, src/slack/home.rs).
            SlackEventCallbackBody::ReactionAdded(r) => super::triage::reaction(
                self,
                &r.user,
                &r.reaction,
                r.item_user.as_ref(),
                &r.item,
                true,
            ),
            SlackEventCallbackBody::ReactionRemoved(r) => super::triage::reaction(
                self,
                &r.user,
                &r.reaction,
                r.item_user.as_ref(),
                &r.item,
                false,
            ),
            SlackEventCallbackBody::AppHomeOpened(h) => super::home::opened(self, &h),
            other => tracing::debug!(event = ?std::mem::discriminant(&other), "event ignored"),
        }
        if let Err(e) = self.app.store.inbox_done(id) {
            tracing::error!(error = %e, "could not take a handled event out of the inbox");
        }
    }

    /// Handles what the inbox kept and an earlier run did not finish (a crash, or a stop that ran
    /// out of time). Reads the inbox now, so call it before a transport starts keeping new
    /// deliveries; handles them in the background. Returns how many there were.
    pub fn resume(self: &Arc<Self>) -> usize {
        let pending = match self.app.store.inbox() {
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
                        if let Err(e) = bot.app.store.inbox_done(id) {
                            tracing::error!(error = %e, "could not drop an inbox entry");
                        }
                    }
                }
            }
        });
        count
    }

    /// The pitch in a channel message, if it is one: only people's top-level messages in idea
    /// channels are pitches: no bot messages, edits, thread replies or other subtypes (which also
    /// keeps the bot from answering itself).
    fn pitch_in(&self, m: &SlackMessageEvent) -> Option<Pitch> {
        let channel = m.origin.channel.as_ref()?.to_string();
        let is_pitch = self.idea_channels.contains(&channel)
            && m.subtype.is_none()
            && m.sender.bot_id.is_none()
            && m.origin.thread_ts.is_none();
        if !is_pitch {
            return None;
        }
        Some(Pitch {
            text: m.content.as_ref()?.text.clone()?,
            user: m.sender.user.as_ref()?.to_string(),
            source: Source::Channel,
            channel,
            ts: m.origin.ts.to_string(),
        })
    }

    /// A pitch from a message: filed → a thread reply everyone sees; coached → an ephemeral
    /// reply in the thread that only the submitter sees.
    async fn pitch(self: &Arc<Self>, p: Pitch, again: bool) {
        if again && self.filed_before(&p) {
            return;
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
            answer: Answer::Thread {
                channel: p.channel.clone(),
                ts: p.ts.clone(),
            },
        };
        // The outcome is queued with the idea; only a refusal is told here.
        if let Err(e) = self.app.submit(submission).await {
            self.owe(Notice::Text {
                to: Audience::Privately {
                    channel: p.channel,
                    ts: Some(p.ts),
                    user: p.user,
                },
                text: error_reply(&e).text,
            });
        }
    }

    /// Whether the person already has an idea from this very message.
    fn filed_before(&self, p: &Pitch) -> bool {
        match self.app.store.by_submitter(&p.user) {
            Ok(ideas) => ideas.iter().any(|i| {
                i.origin.channel.as_deref() == Some(p.channel.as_str())
                    && i.origin.ts.as_deref() == Some(p.ts.as_str())
            }),
            Err(e) => {
                tracing::warn!(error = %e, "could not check for an idea filed before a restart");
                false
            }
        }
    }

    /// Runs work a request asked for and waits for it up to [`ACK_BUDGET`], so that the
    /// acknowledgement goes out once the work is on disk. Should the store stall, it goes out
    /// anyway and the work goes on (a stop waits for it).
    pub(super) async fn before_ack(
        &self,
        work: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let done = self.work.spawn(work);
        let _ = tokio::time::timeout(ACK_BUDGET, done).await;
    }

    /// Buttons, shortcuts and modal submissions.
    pub async fn interaction(
        self: &Arc<Self>,
        ev: SlackInteractionEvent,
    ) -> SlackInteractionResponse {
        match ev {
            SlackInteractionEvent::BlockActions(a) => {
                self.block_action(a).await;
                SlackInteractionResponse::Empty
            }
            SlackInteractionEvent::ViewSubmission(v) => self.view_submission(v).await,
            SlackInteractionEvent::MessageAction(m) => {
                self.message_shortcut(m).await;
                SlackInteractionResponse::Empty
            }
            SlackInteractionEvent::Shortcut(s) => {
                if s.callback_id.as_ref() == blocks::NEW_IDEA_SHORTCUT {
                    let view = blocks::pitch_modal(&self.tracks(), None, "");
                    let req = SlackApiViewsOpenRequest::new(s.trigger_id, view);
                    if let Err(e) = self.open_view(&req).await {
                        tracing::warn!(error = %e, "could not open the pitch form");
                    }
                }
                SlackInteractionResponse::Empty
            }
            _ => SlackInteractionResponse::Empty,
        }
    }

    async fn block_action(self: &Arc<Self>, a: SlackInteractionBlockActionsEvent) {
        let Some(user) = a.user.as_ref().map(|u| u.id.to_string()) else {
            return;
        };
        for action in a.actions.clone().unwrap_or_default() {
            // Triage cards and the App Home (src/slack/triage.rs).
            if super::triage::handles(action.action_id.as_ref()) {
                super::triage::on_action(self, &a, &action).await;
                continue;
            }
            let Some(id) = action
                .value
                .as_deref()
                .and_then(|v| v.parse::<IdeaId>().ok())
            else {
                continue;
            };
            match action.action_id.as_ref() {
                "reframe" => {
                    // Open the form first: the trigger id expires within seconds.
                    let view = match self.app.store.get(id) {
                        Ok(Some(idea)) => blocks::reframe_modal(
                            id,
                            a.response_url.as_ref().map(|u| u.0.to_string()),
                            &self.app.prefill(&idea),
                            &idea.pitch,
                            &self.tracks(),
                            Some(&idea.track),
                        ),
                        _ => continue,
                    };
                    let req = SlackApiViewsOpenRequest::new(a.trigger_id.clone(), view);
                    if let Err(e) = self.open_view(&req).await {
                        tracing::warn!(error = %e, "could not open the Reframe form");
                    }
                }
                "file_anyway" | "withdraw" => {
                    let bot = Arc::clone(self);
                    // The answer replaces the coaching message; without a reply address (never
                    // seen from Slack) the person hears by direct message.
                    let to = match &a.response_url {
                        Some(url) => Audience::ReplyUrl {
                            url: url.0.to_string(),
                            replace: true,
                        },
                        None => Audience::Person { user: user.clone() },
                    };
                    let user = user.clone();
                    let file = action.action_id.as_ref() == "file_anyway";
                    self.before_ack(async move {
                        let done = if file {
                            bot.app
                                .file_anyway_telling(id, &user, Some(to.clone()))
                                .await
                                .map(|_| ())
                        } else {
                            bot.app
                                .withdraw_telling(id, &user, Some(to.clone()))
                                .await
                                .map(|_| ())
                        };
                        if let Err(e) = done {
                            bot.owe(Notice::Text {
                                to,
                                text: error_reply(&e).text,
                            });
                        }
                    })
                    .await;
                }
                other => tracing::debug!(action = other, "action ignored"),
            }
        }
    }

    async fn view_submission(
        self: &Arc<Self>,
        v: SlackInteractionViewSubmissionEvent,
    ) -> SlackInteractionResponse {
        let user = v.user.id.to_string();
        let (callback, metadata) = match &v.view.view {
            SlackView::Modal(m) => (
                m.callback_id
                    .as_ref()
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                m.private_metadata.clone().unwrap_or_default(),
            ),
            _ => return SlackInteractionResponse::Empty,
        };
        if callback == super::triage::DECISION_MODAL {
            return super::triage::on_submission(self, &v, &metadata).await;
        }
        let (fields, track) = read_fields(v.view.state_params.state.as_ref());
        if callback == REFRAME_MODAL {
            let Some((id, coaching_url)) = blocks::read_reframe_metadata(&metadata) else {
                return SlackInteractionResponse::Empty;
            };
            // The filed idea replaces the coaching message when Slack gave its address, else
            // the person hears by direct message.
            let to = match coaching_url {
                Some(url) => Audience::ReplyUrl { url, replace: true },
                None => Audience::Person { user: user.clone() },
            };
            // Assessed here, not spawned: a reframe that is still solution-led goes back to the
            // form with what each field lacks, which only this answer can do.
            return match self
                .app
                .reframe_telling(id, &user, fields, track, Some(to.clone()))
                .await
            {
                Ok(Outcome::NeedsReframe(c)) => {
                    let notes: Vec<_> = c
                        .missing
                        .iter()
                        .map(|n| (n.element, n.message.clone()))
                        .collect();
                    let errors = field_errors(&notes);
                    if errors.is_empty() {
                        SlackInteractionResponse::Empty
                    } else {
                        SlackViewSubmissionResponse::Errors(SlackViewSubmissionErrorsResponse::new(
                            errors,
                        ))
                        .into()
                    }
                }
                Ok(Outcome::Filed(_)) => SlackInteractionResponse::Empty,
                Err(e) => {
                    self.owe(Notice::Text {
                        to,
                        text: error_reply(&e).text,
                    });
                    SlackInteractionResponse::Empty
                }
            };
        }
        if callback == NEW_IDEA_MODAL {
            let bot = Arc::clone(self);
            self.before_ack(async move {
                let to = Audience::Person { user: user.clone() };
                let submission = Submission {
                    pitch: fields.statement(),
                    submitter: user.clone(),
                    source: Source::Modal,
                    origin: Origin {
                        channel: Some(metadata).filter(|c| !c.is_empty()),
                        ..Origin::default()
                    },
                    track,
                    answer: Answer::To(to.clone()),
                };
                if let Err(e) = bot.app.submit(submission).await {
                    bot.owe(Notice::Text {
                        to,
                        text: error_reply(&e).text,
                    });
                }
            })
            .await;
        }
        SlackInteractionResponse::Empty
    }

    async fn message_shortcut(self: &Arc<Self>, m: SlackInteractionMessageActionEvent) {
        if m.callback_id.as_ref() != blocks::SUBMIT_AS_IDEA_SHORTCUT {
            return;
        }
        let bot = Arc::clone(self);
        self.before_ack(async move {
            let Some(message) = m.message else { return };
            let channel = m.channel.as_ref().map(|c| c.id.clone());
            let permalink = match &channel {
                Some(c) => tokio::time::timeout(
                    PERMALINK_WAIT,
                    bot.session()
                        .chat_get_permalink(&SlackApiChatGetPermalinkRequest::new(
                            c.clone(),
                            message.origin.ts.clone(),
                        )),
                )
                .await
                .ok()
                .and_then(Result::ok)
                .map(|p| p.permalink.to_string()),
                None => None,
            };
            let to = Audience::ReplyUrl {
                url: m.response_url.0.to_string(),
                replace: false,
            };
            let submission = Submission {
                pitch: message.content.text.clone().unwrap_or_default(),
                submitter: m.user.id.to_string(),
                source: Source::Shortcut,
                origin: Origin {
                    channel: channel.map(|c| c.to_string()),
                    ts: Some(message.origin.ts.to_string()),
                    permalink,
                },
                track: None,
                answer: Answer::To(to.clone()),
            };
            if let Err(e) = bot.app.submit(submission).await {
                bot.owe(Notice::Text {
                    to,
                    text: error_reply(&e).text,
                });
            }
        })
        .await;
    }

    fn mine(&self, user: &str) -> String {
        match self.app.mine(user) {
            Ok(ideas) if ideas.is_empty() => {
                "You have no ideas yet. `/idea <your pitch>` files one.".into()
            }
            Ok(ideas) => {
                let lines: Vec<String> = ideas
                    .iter()
                    .take(20)
                    .map(|i| {
                        format!(
                            "*{}* [{}] {}: {}",
                            i.id,
                            self.app.config.track_name(&i.track),
                            i.status().label(),
                            crate::app::shorten(&i.headline_text(), 80)
                        )
                    })
                    .collect();
                let more = ideas.len().saturating_sub(lines.len());
                let mut text = lines.join("\n");
                if more > 0 {
                    text.push_str(&format!("\n…and {more} more."));
                }
                text
            }
            Err(e) => e.to_string(),
        }
    }
}

fn text_content(text: &str) -> SlackMessageContent {
    SlackMessageContent::new().with_text(text.to_string())
}

fn plain(text: &str) -> Reply {
    Reply {
        text: text.to_string(),
        ..Reply::default()
    }
}

fn error_reply(e: &AppError) -> Reply {
    if let AppError::Store(inner) = e {
        tracing::error!(error = %inner, "store error while answering Slack");
    }
    plain(&e.to_string())
}
