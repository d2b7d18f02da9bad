//! Notices after delivery: what the app records once Slack has accepted a message it owed (the
//! delivery worker calls [`App::posted`] with where the message landed).

use super::{App, AppError};
use crate::config::Config;
use crate::domain::{Audience, Card, ChannelId, Idea, MessageTs, Notice};

/// The notices any change to `idea` owes besides the answer to whoever made it (triage cards and
/// App Homes to refresh). Called inside the change's transaction, with the idea as changed.
///
/// The submitter's App Home is refreshed when someone else made the change (a lead's decision);
/// their own changes show the next time they open it, which publishes it afresh.
pub(crate) fn on_change(config: &Config, idea: &Idea) -> Vec<Notice> {
    let mut notices: Vec<Notice> = card_notice(config, idea).into_iter().collect();
    if idea.history.last().is_some_and(|c| c.by != idea.submitter) {
        notices.push(Notice::Home {
            user: idea.submitter.clone(),
        });
    }
    notices
}

/// The triage card an idea's change owes: once the idea has been filed, when its track has a
/// triage channel or a card was posted before (it is updated, or moved to the new track's
/// channel).
pub(crate) fn card_notice(config: &Config, idea: &Idea) -> Option<Notice> {
    let has_channel = config
        .track(&idea.track)
        .is_some_and(|t| t.triage_channel.is_some());
    (idea.was_filed() && (has_channel || idea.card.is_some()))
        .then_some(Notice::TriageCard { idea: idea.id })
}

impl App {
    /// A notice was delivered as the message `ts` in `channel`. Records what later work needs
    /// to find that message again; most notices need nothing.
    pub fn posted(
        &self,
        notice: &Notice,
        channel: &ChannelId,
        ts: &MessageTs,
    ) -> Result<(), AppError> {
        match notice {
            // A reaction on the "filed" message is a vote for the idea, and a reply in its
            // thread a comment; so are those on the message it answers in a thread.
            Notice::Outcome { idea, to } => {
                if let Audience::Thread { channel, ts } = to {
                    self.store.link_message(channel, ts, *idea)?;
                }
                Ok(self.store.link_message(channel, ts, *idea)?)
            }
            Notice::Text { .. } => Ok(()),
            // The digest's mark keeps the message, so the week is never posted again.
            Notice::Digest { channel, week } => self.digest_posted(channel, *week, ts),
            // The card is updated in place from now on, and reactions on it are votes.
            Notice::TriageCard { idea } => {
                self.store.link_message(channel, ts, *idea)?;
                let card = Card {
                    channel: channel.clone(),
                    ts: ts.clone(),
                };
                self.store
                    .update(*idea, |i| {
                        i.card = Some(card.clone());
                        Ok::<(), std::convert::Infallible>(())
                    })
                    .map(|_| ())
                    .map_err(AppError::from)
            }
            Notice::Home { .. } | Notice::Webhook { .. } => Ok(()),
        }
    }
}
