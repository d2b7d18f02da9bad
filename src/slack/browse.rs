//! The idea board's clicks (Vote, Unvote, Details, Search, another track or page) and the Search
//! modal's submission; the views they show are drawn in `board`.

use super::board::{
    details_modal, read_query, search_modal, DETAILS, PAGE, PAGE_BACK, SEARCH, SHOW, UNVOTE, VOTE,
};
use super::bot::Bot;
use crate::app::board::Browse;
use crate::app::home::HomePage;
use crate::domain::{IdeaId, UserId};
use slack_morphism::prelude::*;
use std::sync::Arc;

impl Bot {
    /// A board button: Vote, Unvote, Details, Search, another track or page.
    pub(super) async fn board_action(
        self: &Arc<Self>,
        a: &SlackInteractionBlockActionsEvent,
        action: &SlackInteractionActionInfo,
        user: &UserId,
    ) {
        let value = action.value.clone().unwrap_or_default();
        let id = action.action_id.as_ref();
        let from_modal = matches!(a.view, Some(SlackView::Modal(_)));
        if id == DETAILS {
            let Ok(idea) = value.parse::<IdeaId>().map(|id| self.app.idea(id)) else {
                return;
            };
            let idea = match idea {
                Ok(idea) => idea,
                Err(e) => {
                    tracing::debug!(error = %e, "details of an unknown idea");
                    return;
                }
            };
            let view = details_modal(&idea, &self.app);
            // From the Search modal, Details goes on top of it; from the Home, it opens.
            let opened = if from_modal {
                self.api.push_view(a.trigger_id.clone(), view).await
            } else {
                self.api.open_view(a.trigger_id.clone(), view).await
            };
            if let Err(e) = opened {
                tracing::warn!(error = %e, "could not open an idea's details");
            }
            return;
        }
        if id == SEARCH {
            if let Err(e) = self
                .api
                .open_view(a.trigger_id.clone(), search_modal("", None))
                .await
            {
                tracing::warn!(error = %e, "could not open the search form");
            }
            return;
        }
        let page = if id == VOTE || id == UNVOTE {
            let Some((idea, page)) = value.split_once(' ') else {
                return;
            };
            let Ok(idea) = idea.parse::<IdeaId>() else {
                return;
            };
            let bot = Arc::clone(self);
            let voter = user.clone();
            let on = id == VOTE;
            // On disk before the acknowledgement, like every other change.
            self.before_ack(async move {
                if let Err(e) = bot.app.vote(idea, &voter, on) {
                    tracing::warn!(error = %e, "could not count a vote");
                }
            })
            .await;
            page.parse::<Browse>().ok()
        } else if id.starts_with(SHOW) || id == PAGE || id == PAGE_BACK {
            value.parse::<Browse>().ok()
        } else {
            tracing::debug!(action = id, "board action ignored");
            return;
        };
        let page = HomePage {
            board: page,
            ..HomePage::default()
        };
        let bot = Arc::clone(self);
        let user = user.clone();
        self.work.spawn(async move {
            let published = super::home::publish(&bot.app, &bot.api, &bot.leads, &user, &page);
            if let Err(e) = published.await {
                tracing::warn!(error = %e, "could not publish the board");
            }
        });
    }

    /// The Search modal submitted: the same modal again, with what matches.
    pub(super) fn search_submitted(
        &self,
        v: &SlackInteractionViewSubmissionEvent,
    ) -> SlackInteractionResponse {
        let query = read_query(v.view.state_params.state.as_ref());
        let results = match self.app.search(&query) {
            Ok(results) => results,
            Err(e) => {
                tracing::warn!(error = %e, "search failed");
                Vec::new()
            }
        };
        SlackViewSubmissionResponse::Update(SlackViewSubmissionUpdateResponse::new(search_modal(
            &query,
            Some(&results),
        )))
        .into()
    }
}
