//! Interactions: buttons, shortcuts and modal submissions. The coaching buttons (Reframe, File
//! anyway, Withdraw), the pitch and Reframe forms, the message shortcut "Submit as idea" and the
//! global shortcut "New idea", the App Home's buttons; triage's buttons and form go to `triage`.

use super::blocks::{self, field_errors, read_fields, NEW_IDEA_MODAL, REFRAME_MODAL};
use super::bot::Bot;
use super::payload;
use crate::app::home::HomePage;
use crate::app::{Answer, AppError, Outcome, Submission};
use crate::domain::{Audience, ChannelId, IdeaId, Notice, Origin, Source, Status, TrackId, UserId};
use slack_morphism::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// How long a message shortcut waits for the message's link: the idea is filed before the
/// acknowledgement, so the link may not hold it up for long (it is filed without one then).
const PERMALINK_WAIT: Duration = Duration::from_millis(1_000);

impl Bot {
    /// Buttons, shortcuts and modal submissions; the answer a modal submission needs.
    pub async fn interaction(
        self: &Arc<Self>,
        ev: SlackInteractionEvent,
    ) -> SlackInteractionResponse {
        match ev {
            SlackInteractionEvent::BlockActions(a) => {
                self.block_actions(a).await;
                SlackInteractionResponse::Empty
            }
            SlackInteractionEvent::ViewSubmission(v) => self.view_submission(v).await,
            SlackInteractionEvent::BlockSuggestion(s) => self.original_options(&s).await,
            SlackInteractionEvent::MessageAction(m) => {
                self.message_shortcut(m).await;
                SlackInteractionResponse::Empty
            }
            SlackInteractionEvent::Shortcut(s) => {
                if s.callback_id.as_ref() == blocks::NEW_IDEA_SHORTCUT {
                    let view = blocks::pitch_modal(&self.tracks(), None, "");
                    if let Err(e) = self.api.open_view(s.trigger_id, view).await {
                        tracing::warn!(error = %e, "could not open the pitch form");
                    }
                }
                SlackInteractionResponse::Empty
            }
            _ => SlackInteractionResponse::Empty,
        }
    }

    async fn block_actions(self: &Arc<Self>, a: SlackInteractionBlockActionsEvent) {
        let Some(user) = a.user.as_ref().and_then(|u| payload::user(&u.id)) else {
            return;
        };
        for action in a.actions.clone().unwrap_or_default() {
            let action_id = action.action_id.as_ref();
            if action_id.starts_with(super::card::ACTION_PREFIX) {
                self.triage_action(&a, &action, &user).await;
            } else if action_id.starts_with(super::board::ACTION_PREFIX) {
                self.board_action(&a, &action, &user).await;
            } else if action_id.starts_with(super::home::ACTION_PREFIX) {
                self.home_action(&a, &action, &user).await;
            } else {
                self.coaching_action(&a, &action, &user).await;
            }
        }
    }

    /// Reframe, File anyway or Withdraw under a coaching message.
    async fn coaching_action(
        self: &Arc<Self>,
        a: &SlackInteractionBlockActionsEvent,
        action: &SlackInteractionActionInfo,
        user: &UserId,
    ) {
        let Some(id) = action
            .value
            .as_deref()
            .and_then(|v| v.parse::<IdeaId>().ok())
        else {
            return;
        };
        match action.action_id.as_ref() {
            "reframe" => {
                // Open the form first: the trigger id expires within seconds.
                let Ok(idea) = self.app.idea(id) else {
                    return;
                };
                let view = blocks::reframe_modal(
                    id,
                    a.response_url.as_ref().map(|u| u.0.to_string()),
                    &self.app.prefill(&idea),
                    &idea.pitch,
                    &self.tracks(),
                    Some(&idea.track),
                );
                if let Err(e) = self.api.open_view(a.trigger_id.clone(), view).await {
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
                            .file_anyway(id, &user, Some(to.clone()))
                            .await
                            .map(|_| ())
                    } else {
                        bot.app
                            .withdraw(id, &user, Some(to.clone()))
                            .await
                            .map(|_| ())
                    };
                    if let Err(e) = done {
                        bot.refuse(to, &e);
                    }
                })
                .await;
            }
            other => tracing::debug!(action = other, "action ignored"),
        }
    }

    /// A Home button: a draft's Reframe or File anyway, Withdraw, or another page.
    async fn home_action(
        self: &Arc<Self>,
        a: &SlackInteractionBlockActionsEvent,
        action: &SlackInteractionActionInfo,
        user: &UserId,
    ) {
        use super::home::{
            FILE_ANYWAY, MINE_PAGE, MINE_PAGE_BACK, QUEUE_PAGE, QUEUE_PAGE_BACK, REFRAME, WITHDRAW,
        };
        let value = action.value.clone().unwrap_or_default();
        let user = user.clone();
        let bot = Arc::clone(self);
        let page = match action.action_id.as_ref() {
            REFRAME => {
                let Ok(id) = value.parse::<IdeaId>() else {
                    return;
                };
                // Open the form first: the trigger id expires within seconds. Without a
                // coaching message to replace, the outcome comes by direct message.
                let refused = match self.app.idea(id) {
                    Ok(idea) if idea.submitter != user => Some(AppError::NotYours(id)),
                    Ok(idea) if idea.status() != Status::Draft => Some(AppError::NotADraft {
                        id,
                        status: idea.status(),
                    }),
                    Ok(idea) => {
                        let view = blocks::reframe_modal(
                            id,
                            None,
                            &self.app.prefill(&idea),
                            &idea.pitch,
                            &self.tracks(),
                            Some(&idea.track),
                        );
                        if let Err(e) = self.api.open_view(a.trigger_id.clone(), view).await {
                            tracing::warn!(error = %e, "could not open the Reframe form");
                        }
                        None
                    }
                    Err(e) => Some(e),
                };
                if let Some(e) = refused {
                    self.refuse(Audience::Person { user }, &e);
                }
                return;
            }
            FILE_ANYWAY => {
                let Ok(id) = value.parse::<IdeaId>() else {
                    return;
                };
                self.before_ack(async move {
                    let to = Audience::Person { user: user.clone() };
                    let done = bot.app.file_anyway(id, &user, Some(to.clone())).await;
                    if let Err(e) = &done {
                        bot.refuse(to, e);
                    }
                    if let Err(e) = bot.app.owe(&[Notice::Home { user }]) {
                        tracing::error!(error = %e, "could not queue an App Home");
                    }
                })
                .await;
                return;
            }
            WITHDRAW => {
                let Ok(id) = value.parse() else { return };
                self.before_ack(async move {
                    let done = bot.app.withdraw(id, &user, None).await;
                    let mut owed = vec![Notice::Home { user: user.clone() }];
                    if let Err(e) = done {
                        owed.push(Notice::Text {
                            to: Audience::Person { user },
                            text: e.to_string(),
                        });
                    }
                    if let Err(e) = bot.app.owe(&owed) {
                        tracing::error!(error = %e, "could not queue an App Home");
                    }
                })
                .await;
                return;
            }
            MINE_PAGE | MINE_PAGE_BACK => HomePage {
                mine: value.parse().unwrap_or(0),
                ..HomePage::default()
            },
            QUEUE_PAGE | QUEUE_PAGE_BACK => {
                let Some((Ok(track), offset)) =
                    value.split_once(' ').map(|(t, o)| (TrackId::parse(t), o))
                else {
                    return;
                };
                HomePage {
                    track: Some((track, offset.parse().unwrap_or(0))),
                    ..HomePage::default()
                }
            }
            other => {
                tracing::debug!(action = other, "App Home action ignored");
                return;
            }
        };
        self.work.spawn(async move {
            let published = super::home::publish(&bot.app, &bot.api, &bot.leads, &user, &page);
            if let Err(e) = published.await {
                tracing::warn!(error = %e, "could not publish an App Home page");
            }
        });
    }

    async fn view_submission(
        self: &Arc<Self>,
        v: SlackInteractionViewSubmissionEvent,
    ) -> SlackInteractionResponse {
        let Some(user) = payload::user(&v.user.id) else {
            return SlackInteractionResponse::Empty;
        };
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
        if callback == super::card::DECISION_MODAL {
            return self.decision_submitted(&v, &metadata).await;
        }
        if callback == super::board::SEARCH_MODAL {
            return self.search_submitted(&v);
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
                .reframe(id, &user, fields, track, Some(to.clone()))
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
                Ok(Outcome::Filed(_)) => {
                    // A reframe from the Home (no coaching message) leaves the Home to redraw.
                    if matches!(to, Audience::Person { .. }) {
                        if let Err(e) = self.app.owe(&[Notice::Home { user }]) {
                            tracing::error!(error = %e, "could not queue an App Home");
                        }
                    }
                    SlackInteractionResponse::Empty
                }
                Err(e) => {
                    self.refuse(to, &e);
                    SlackInteractionResponse::Empty
                }
            };
        }
        if callback == NEW_IDEA_MODAL {
            let anonymous = blocks::read_anonymous(v.view.state_params.state.as_ref());
            let bot = Arc::clone(self);
            self.before_ack(async move {
                let to = Audience::Person { user: user.clone() };
                let submission = Submission {
                    pitch: fields.statement(),
                    submitter: user.clone(),
                    source: Source::Modal,
                    origin: Origin {
                        channel: ChannelId::parse(&metadata).ok(),
                        ..Origin::default()
                    },
                    track,
                    anonymous,
                    answer: Answer::To(to.clone()),
                };
                if let Err(e) = bot.app.submit(submission).await {
                    bot.refuse(to, &e);
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
            let Some(submitter) = payload::user(&m.user.id) else {
                return;
            };
            let channel = m.channel.as_ref().and_then(|c| payload::channel(&c.id));
            let ts = payload::ts(&message.origin.ts);
            let permalink = match (&channel, &ts) {
                (Some(c), Some(ts)) => bot.api.permalink(c, ts, PERMALINK_WAIT).await,
                _ => None,
            };
            let to = Audience::ReplyUrl {
                url: m.response_url.0.to_string(),
                replace: false,
            };
            let submission = Submission {
                pitch: message.content.text.clone().unwrap_or_default(),
                submitter,
                source: Source::Shortcut,
                origin: Origin {
                    channel,
                    ts,
                    permalink,
                },
                track: None,
                anonymous: false,
                answer: Answer::To(to.clone()),
            };
            if let Err(e) = bot.app.submit(submission).await {
                bot.refuse(to, &e);
            }
        })
        .await;
    }
}
