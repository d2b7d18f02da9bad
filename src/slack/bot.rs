//! The bot's Slack side, shared by both transports: what to do with a slash command, an event and
//! an interaction. Handlers answer within Slack's 3-second window: anything slower than a lookup
//! (assessing and filing, Web API calls) is spawned, and results go back through `response_url`,
//! thread replies or ephemeral messages.

use super::blocks::{self, field_errors, read_fields, reply_blocks, NEW_IDEA_MODAL, REFRAME_MODAL};
use crate::app::{App, AppError, Outcome, Reply, Submission};
use crate::domain::{IdeaId, Origin, Source};
use jiff::Timestamp;
use slack_morphism::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// How long a Slack delivery id is remembered, to file a retried event once. Slack retries for a
/// few minutes; Socket Mode may redeliver after a reconnect.
const DELIVERY_TTL: Duration = Duration::from_secs(60 * 60);

/// Everything a handler needs: the app core, a Web API session and the idea channels.
pub struct Bot {
    pub app: App,
    pub client: Arc<SlackHyperClient>,
    pub token: SlackApiToken,
    pub idea_channels: Vec<String>,
}

const HELP: &str =
    "*/idea <your pitch>* files an idea: say who is affected and what is hard for them.\n\
*/idea* opens a form, field by field.\n*/idea mine* lists your ideas.\n\
I coach; I never block: every idea can be filed.";

impl Bot {
    fn session(&self) -> SlackClientSession<'_, SlackClientHyperHttpsConnector> {
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
                if let Err(e) = self.session().views_open(&req).await {
                    tracing::warn!(error = %e, "could not open the pitch form");
                    return Some(text_content(
                        "I couldn't open the form just now. Try `/idea <your pitch>`.",
                    ));
                }
                None
            }
            "help" => Some(text_content(HELP)),
            "mine" => Some(text_content(&self.mine(&user))),
            _ => {
                let bot = Arc::clone(self);
                tokio::spawn(async move {
                    let submission = Submission {
                        pitch: text,
                        submitter: user,
                        source: Source::Slash,
                        origin: Origin {
                            channel: Some(ev.channel_id.to_string()),
                            ..Origin::default()
                        },
                        track: None,
                    };
                    let reply = bot.submit_reply(submission).await;
                    bot.respond(&ev.response_url, &reply, false).await;
                });
                None
            }
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
        tokio::spawn(async move {
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
            };
            let outcome = bot.app.submit(submission).await;
            let session = bot.session();
            let result = match &outcome {
                Ok(Outcome::Filed(f)) => {
                    let reply = f.reply(&bot.app);
                    let req = SlackApiChatPostMessageRequest::new(
                        channel.clone().into(),
                        content(&reply),
                    )
                    .with_thread_ts(ts.clone().into());
                    session.chat_post_message(&req).await.map(|_| ())
                }
                Ok(Outcome::NeedsReframe(c)) => {
                    let req = SlackApiChatPostEphemeralRequest::new(
                        channel.clone().into(),
                        user.clone().into(),
                        content(&c.reply()),
                    )
                    .with_thread_ts(ts.clone().into());
                    session.chat_post_ephemeral(&req).await.map(|_| ())
                }
                Err(e) => {
                    let req = SlackApiChatPostEphemeralRequest::new(
                        channel.clone().into(),
                        user.clone().into(),
                        text_content(&e.to_string()),
                    )
                    .with_thread_ts(ts.clone().into());
                    session.chat_post_ephemeral(&req).await.map(|_| ())
                }
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "could not answer a pitch in Slack");
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
                    if let Err(e) = self.session().views_open(&req).await {
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
                            &self.app.prefill(&idea),
                            &idea.pitch,
                            &self.tracks(),
                            Some(&idea.track),
                        ),
                        _ => continue,
                    };
                    let req = SlackApiViewsOpenRequest::new(a.trigger_id.clone(), view);
                    if let Err(e) = self.session().views_open(&req).await {
                        tracing::warn!(error = %e, "could not open the Reframe form");
                    }
                }
                "file_anyway" | "withdraw" => {
                    let bot = Arc::clone(self);
                    let response_url = a.response_url.clone();
                    let user = user.clone();
                    let file = action.action_id.as_ref() == "file_anyway";
                    tokio::spawn(async move {
                        let reply = if file {
                            match bot.app.file_anyway(id, &user).await {
                                Ok(f) => f.reply(&bot.app),
                                Err(e) => error_reply(e),
                            }
                        } else {
                            match bot.app.withdraw(id, &user).await {
                                Ok(idea) => {
                                    plain(&format!("Withdrawn {}. Nothing else changes.", idea.id))
                                }
                                Err(e) => error_reply(e),
                            }
                        };
                        if let Some(url) = response_url {
                            bot.respond(&url, &reply, true).await;
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
        let (fields, track) = read_fields(v.view.state_params.state.as_ref());
        if callback == REFRAME_MODAL {
            let Ok(id) = metadata.parse::<IdeaId>() else {
                return SlackInteractionResponse::Empty;
            };
            // Assessed here, not spawned: a reframe that is still solution-led goes back to the
            // form with what each field lacks, which only this answer can do.
            return match self.app.reframe(id, &user, fields, track).await {
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
                Ok(Outcome::Filed(f)) => {
                    self.spawn_dm(user, f.reply(&self.app));
                    SlackInteractionResponse::Empty
                }
                Err(e) => {
                    self.spawn_dm(user, error_reply(e));
                    SlackInteractionResponse::Empty
                }
            };
        }
        if callback == NEW_IDEA_MODAL {
            let bot = Arc::clone(self);
            tokio::spawn(async move {
                let submission = Submission {
                    pitch: fields.statement(),
                    submitter: user.clone(),
                    source: Source::Modal,
                    origin: Origin {
                        channel: Some(metadata).filter(|c| !c.is_empty()),
                        ..Origin::default()
                    },
                    track,
                };
                let reply = bot.submit_reply(submission).await;
                bot.dm(&user, &reply).await;
            });
        }
        SlackInteractionResponse::Empty
    }

    fn message_shortcut(self: &Arc<Self>, m: SlackInteractionMessageActionEvent) {
        if m.callback_id.as_ref() != blocks::SUBMIT_AS_IDEA_SHORTCUT {
            return;
        }
        let bot = Arc::clone(self);
        tokio::spawn(async move {
            let Some(message) = m.message else { return };
            let channel = m.channel.as_ref().map(|c| c.id.clone());
            let permalink = match &channel {
                Some(c) => bot
                    .session()
                    .chat_get_permalink(&SlackApiChatGetPermalinkRequest::new(
                        c.clone(),
                        message.origin.ts.clone(),
                    ))
                    .await
                    .ok()
                    .map(|p| p.permalink.to_string()),
                None => None,
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
            };
            let reply = bot.submit_reply(submission).await;
            bot.respond(&m.response_url, &reply, false).await;
        });
    }

    async fn submit_reply(&self, submission: Submission) -> Reply {
        match self.app.submit(submission).await {
            Ok(outcome) => outcome.reply(&self.app),
            Err(e) => error_reply(e),
        }
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

    /// Answer through a command's or action's `response_url` (ephemeral to the person).
    async fn respond(&self, url: &SlackResponseUrl, reply: &Reply, replace: bool) {
        let req =
            SlackApiPostWebhookMessageRequest::new(content(reply)).with_replace_original(replace);
        if let Err(e) = self.client.respond_to_event(url, &req).await {
            tracing::warn!(error = %e, "could not answer through response_url");
        }
    }

    fn spawn_dm(self: &Arc<Self>, user: String, reply: Reply) {
        let bot = Arc::clone(self);
        tokio::spawn(async move { bot.dm(&user, &reply).await });
    }

    /// A direct message from the bot (posting to a user id opens the DM).
    async fn dm(&self, user: &str, reply: &Reply) {
        let req = SlackApiChatPostMessageRequest::new(user.to_string().into(), content(reply));
        if let Err(e) = self.session().chat_post_message(&req).await {
            tracing::warn!(error = %e, "could not send a direct message");
        }
    }
}

fn content(reply: &Reply) -> SlackMessageContent {
    SlackMessageContent::new()
        .with_text(crate::app::shorten(&reply.text, 3000))
        .with_blocks(reply_blocks(reply))
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

fn error_reply(e: AppError) -> Reply {
    if let AppError::Store(inner) = &e {
        tracing::error!(error = %inner, "store error while answering Slack");
    }
    plain(&e.to_string())
}
