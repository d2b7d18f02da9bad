//! The bot's Slack side, shared by both transports: what to do with a slash command, an event and
//! an interaction. Handlers answer within Slack's 3-second window: anything slower than a lookup
//! (assessing and filing, Web API calls) is spawned, and results go back through `response_url`,
//! thread replies or ephemeral messages.

use super::blocks::{self, field_errors, read_fields, NEW_IDEA_MODAL, REFRAME_MODAL};
use crate::app::{Answer, App, AppError, Outcome, Reply, Submission};
use crate::domain::{Audience, IdeaId, Notice, Origin, Source};
use jiff::Timestamp;
use slack_morphism::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// How long a Slack delivery id is remembered, to file a retried event once. Slack retries for a
/// few minutes; Socket Mode may redeliver after a reconnect.
const DELIVERY_TTL: Duration = Duration::from_secs(60 * 60);

/// How long a slash command waits for its pitch to be filed before acknowledging without the
/// answer, well inside Slack's 3 seconds.
const ACK_BUDGET: Duration = Duration::from_millis(2_000);

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

    /// An Events API delivery. Retried deliveries (same event id) are dropped here.
    pub async fn event(self: &Arc<Self>, cb: SlackPushEventCallback) {
        let key = format!("event:{}", cb.event_id);
        match self
            .app
            .store
            .first_delivery(&key, Timestamp::now(), DELIVERY_TTL)
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!(event_id = %cb.event_id, "retried delivery ignored");
                return;
            }
            Err(e) => tracing::warn!(error = %e, "could not check for a retried delivery"),
        }
        match cb.event {
            SlackEventCallbackBody::Message(m) => self.channel_message(m),
            SlackEventCallbackBody::AppMention(m) => {
                let channel = m.channel.to_string();
                let text = m.content.text.clone().unwrap_or_default();
                self.spawn_pitch(
                    text,
                    m.user.to_string(),
                    Source::Mention,
                    channel,
                    m.origin.ts.to_string(),
                );
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
    }

    fn channel_message(self: &Arc<Self>, m: SlackMessageEvent) {
        let Some(channel) = m.origin.channel.as_ref().map(|c| c.to_string()) else {
            return;
        };
        // Only people's top-level messages in idea channels are pitches: no bot messages, edits,
        // thread replies or other subtypes (which also keeps the bot from answering itself).
        let is_pitch = self.idea_channels.contains(&channel)
            && m.subtype.is_none()
            && m.sender.bot_id.is_none()
            && m.origin.thread_ts.is_none();
        let (Some(user), Some(text)) = (m.sender.user.as_ref(), m.content.and_then(|c| c.text))
        else {
            return;
        };
        if is_pitch {
            self.spawn_pitch(
                text,
                user.to_string(),
                Source::Channel,
                channel,
                m.origin.ts.to_string(),
            );
        }
    }

    /// A pitch from a message: filed → a thread reply everyone sees; coached → an ephemeral
    /// reply in the thread that only the submitter sees.
    fn spawn_pitch(
        self: &Arc<Self>,
        text: String,
        user: String,
        source: Source,
        channel: String,
        ts: String,
    ) {
        let bot = Arc::clone(self);
        self.work.spawn(async move {
            let submission = Submission {
                pitch: text,
                submitter: user.clone(),
                source,
                origin: Origin {
                    channel: Some(channel.clone()),
                    ts: Some(ts.clone()),
                    permalink: None,
                },
                track: None,
                answer: Answer::Thread {
                    channel: channel.clone(),
                    ts: ts.clone(),
                },
            };
            // The outcome is queued with the idea; only a refusal is told here.
            if let Err(e) = bot.app.submit(submission).await {
                bot.owe(Notice::Text {
                    to: Audience::Privately {
                        channel,
                        ts: Some(ts),
                        user,
                    },
                    text: error_reply(&e).text,
                });
            }
        });
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
                self.message_shortcut(m);
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
                    self.work.spawn(async move {
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
                    });
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
            self.work.spawn(async move {
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
            });
        }
        SlackInteractionResponse::Empty
    }

    fn message_shortcut(self: &Arc<Self>, m: SlackInteractionMessageActionEvent) {
        if m.callback_id.as_ref() != blocks::SUBMIT_AS_IDEA_SHORTCUT {
            return;
        }
        let bot = Arc::clone(self);
        self.work.spawn(async move {
            let Some(message) = m.message else { return };
            let channel = m.channel.as_ref().map(|c| c.id.clone());
            let permalink = match &channel {
                Some(c) => tokio::time::timeout(
                    super::outbox::API_TIMEOUT,
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
        });
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
