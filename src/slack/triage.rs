//! Triage's clicks: a triage button, the verdict select or "Original pitch" on a card or the App
//! Home, and the decision form sent back. Who may decide is the app's call (`App::triage`); this
//! finds out who is clicking ([`Leads`](super::leads::Leads)), opens the form a move needs, and
//! says why nothing changed when that is the answer.

use super::bot::Bot;
use super::card::{self, ORIGINAL, ORIGINAL_ID, OVERRULE, REASON, TRACK_TO};
use crate::app::{shorten, AppError};
use crate::domain::{Audience, Decision, IdeaId, Triage, UserId, Verdict};
use slack_morphism::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

impl Bot {
    /// A triage button, the verdict select or "Original pitch", from a card or the App Home.
    pub(super) async fn triage_action(
        self: &Arc<Self>,
        a: &SlackInteractionBlockActionsEvent,
        action: &SlackInteractionActionInfo,
        user: &UserId,
    ) {
        let action_id = action.action_id.as_ref();
        let tell = refusal_audience(a, user);
        if action_id == OVERRULE {
            let picked = action
                .selected_option
                .as_ref()
                .and_then(|o| o.value.split_once(' '))
                .and_then(|(id, v)| Some((id.parse::<IdeaId>().ok()?, v.parse::<Verdict>().ok()?)));
            let Some((id, verdict)) = picked else {
                return;
            };
            self.decide(id, user, Decision::Overrule { verdict }, tell)
                .await;
            return;
        }
        let Some(id) = action
            .value
            .as_deref()
            .and_then(|v| v.parse::<IdeaId>().ok())
        else {
            return;
        };
        if action_id == ORIGINAL {
            if let Ok(idea) = self.app.idea(id) {
                let shown = self
                    .api
                    .open_view(a.trigger_id.clone(), card::original_view(&idea));
                if let Err(e) = shown.await {
                    tracing::warn!(error = %e, "could not show the original pitch");
                }
            }
            return;
        }
        let Some(t) = card::triage_of(action_id) else {
            tracing::debug!(action = action_id, "triage action ignored");
            return;
        };
        if let (false, Some(decision)) = (t.needs_form(), Decision::of(t)) {
            self.decide(id, user, decision, tell).await;
            return;
        }
        // Checked before the form opens, so nobody fills one in for nothing; the trigger id lives
        // about 3 seconds, hence the bounded lookup.
        let who = self.leads.actor(user).await;
        let idea = match self.app.may_triage(id, &who, t) {
            Ok(idea) => idea,
            Err(e) => {
                self.refuse(tell, &e);
                return;
            }
        };
        let channel = match &tell {
            Audience::Privately { channel, .. } => Some(channel.as_str()),
            _ => None,
        };
        let view = card::decision_form(t, &idea, self.app.config(), channel);
        if let Err(e) = self.api.open_view(a.trigger_id.clone(), view).await {
            tracing::warn!(error = %e, "could not open a triage form");
        }
    }

    /// Makes a decision that needs no form, on disk before the acknowledgement.
    async fn decide(
        self: &Arc<Self>,
        id: IdeaId,
        user: &UserId,
        decision: Decision,
        tell: Audience,
    ) {
        let bot = Arc::clone(self);
        let user = user.clone();
        self.before_ack(async move {
            let who = bot.leads.actor(&user).await;
            if let Err(e) = bot.app.triage(id, &who, decision, None).await {
                bot.refuse(tell, &e);
            }
        })
        .await;
    }

    /// The "Duplicate of…" picker asks for options as the lead types: ideas that could be the
    /// original of the idea the form is about (from its private metadata).
    pub(super) async fn original_options(
        self: &Arc<Self>,
        s: &SlackInteractionBlockSuggestionEvent,
    ) -> SlackInteractionResponse {
        let metadata = match &s.view {
            Some(SlackView::Modal(m)) => m.private_metadata.clone().unwrap_or_default(),
            _ => String::new(),
        };
        let id = metadata
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<IdeaId>().ok());
        let candidates = match id {
            Some(id) if s.action_id.as_ref() == ORIGINAL_ID => self
                .app
                .original_candidates(id, &s.value)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "could not list originals");
                    Vec::new()
                }),
            _ => Vec::new(),
        };
        super::card::original_options(&candidates).into()
    }

    /// The decision form was sent: decide, or show in the form why not.
    pub(super) async fn decision_submitted(
        self: &Arc<Self>,
        v: &SlackInteractionViewSubmissionEvent,
        metadata: &str,
    ) -> SlackInteractionResponse {
        let mut parts = metadata.split(' ');
        let (Some(t), Some(id)) = (
            parts.next().and_then(Triage::from_name),
            parts.next().and_then(|s| s.parse::<IdeaId>().ok()),
        ) else {
            return SlackInteractionResponse::Empty;
        };
        let state = v.view.state_params.state.as_ref();
        let value = |block: &str| -> Option<&SlackViewStateValue> {
            state?
                .values
                .get(&SlackBlockId::new(block.into()))?
                .get(&SlackActionId::new(block.into()))
        };
        let reason = value(REASON).and_then(|v| v.value.clone());
        let decision = match t {
            Triage::Duplicate => {
                let picked = value(ORIGINAL_ID)
                    .and_then(|v| v.selected_option.as_ref())
                    .map(|o| o.value.clone())
                    .unwrap_or_default();
                match picked.parse::<IdeaId>() {
                    Ok(of) => Decision::Duplicate { of },
                    Err(_) => return form_error(ORIGINAL_ID, "Pick the original from the list."),
                }
            }
            Triage::Move => Decision::Move {
                track: value(TRACK_TO)
                    .and_then(|v| v.selected_option.as_ref())
                    .map(|o| o.value.clone())
                    .unwrap_or_default(),
            },
            t => match Decision::of(t) {
                Some(decision) => decision,
                None => return SlackInteractionResponse::Empty,
            },
        };
        let Some(user) = super::payload::user(&v.user.id) else {
            return SlackInteractionResponse::Empty;
        };
        let who = self.leads.actor(&user).await;
        match self.app.triage(id, &who, decision, reason).await {
            Ok(_) => SlackInteractionResponse::Empty,
            Err(e) => form_error(field_at_fault(&e, t, id), &e.to_string()),
        }
    }
}

/// The form's field a refusal is about: the original of a duplicate, the track of a move, else
/// the reason.
fn field_at_fault(e: &AppError, t: Triage, id: IdeaId) -> &'static str {
    match (e, t) {
        (AppError::NotFound(missing), Triage::Duplicate) if *missing != id => ORIGINAL_ID,
        (
            AppError::OwnDuplicate(_)
            | AppError::DuplicateLoop { .. }
            | AppError::NotAnOriginal { .. },
            Triage::Duplicate,
        ) => ORIGINAL_ID,
        (
            AppError::UnknownTrack { .. }
            | AppError::AlreadyInTrack { .. }
            | AppError::NoOtherTrack
            | AppError::Illegal(_),
            Triage::Move,
        ) => TRACK_TO,
        _ => REASON,
    }
}

/// Where a refusal is told: only to the person, in the channel they clicked in; from the App
/// Home (no channel), by direct message.
fn refusal_audience(a: &SlackInteractionBlockActionsEvent, user: &UserId) -> Audience {
    let channel = match &a.container {
        SlackInteractionActionContainer::Message(m) => m.channel_id.as_ref(),
        _ => None,
    }
    .or_else(|| a.channel.as_ref().map(|c| &c.id))
    .and_then(super::payload::channel);
    match channel {
        Some(channel) => Audience::Privately {
            channel,
            ts: None,
            user: user.clone(),
        },
        None => Audience::Person { user: user.clone() },
    }
}

fn form_error(block: &str, message: &str) -> SlackInteractionResponse {
    let mut errors = HashMap::new();
    errors.insert(block.to_string(), shorten(message, 150));
    SlackViewSubmissionResponse::Errors(SlackViewSubmissionErrorsResponse::new(errors)).into()
}
