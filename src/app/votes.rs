//! Votes: a reaction on one of an idea's messages — the pitch itself, the bot's "filed" reply or
//! the triage card — counts as one vote per person. Repeats, retries and removals are exact:
//! each reaction is kept by message, and a person stops counting only when all their reactions
//! are gone. The submitter's own reactions never count. A duplicate's votes belong to its
//! original, so a reaction on a duplicate's message counts there.

use super::notice::card_notice;
use super::{App, AppError};
use crate::domain::{ChannelId, Idea, IdeaId, MessageTs, Status, UserId};
use crate::storage::StoreError;

/// Why a reaction changed no votes.
enum Unchanged {
    /// The same vote again, one taken back that was never there, or one that does not count.
    Repeat,
    Failed(StoreError),
}

impl From<StoreError> for Unchanged {
    fn from(e: StoreError) -> Self {
        Unchanged::Failed(e)
    }
}

/// How far a chain of duplicates is followed.
const MAX_CHAIN: usize = 16;

impl App {
    /// `user` added (`on`) or removed a reaction on the message `ts` in `channel`, written by
    /// `author` when Slack says. Returns the idea whose votes changed, if any.
    pub fn react(
        &self,
        channel: &ChannelId,
        ts: &MessageTs,
        author: Option<&UserId>,
        user: &UserId,
        on: bool,
    ) -> Result<Option<Idea>, AppError> {
        let Some(id) = self.idea_for_message(channel, ts, author)? else {
            return Ok(None);
        };
        let Some(id) = self.original_of(id)? else {
            return Ok(None);
        };
        let message = format!("{channel}/{ts}");
        self.change_vote(id, on, |idea| idea.react(user, &message, on))
    }

    /// Changes the votes of idea `id` as `vote` does (`on`: one added, else one taken back);
    /// `vote` says whether anything changed. A repeat writes nothing and owes nothing. The idea
    /// whose votes changed, if any.
    pub(super) fn change_vote(
        &self,
        id: IdeaId,
        on: bool,
        vote: impl Fn(&mut Idea) -> bool,
    ) -> Result<Option<Idea>, AppError> {
        let changed = self.change(id, |idea| {
            if !vote(idea) {
                return Err(Unchanged::Repeat);
            }
            Ok(card_notice(&self.config, idea).into_iter().collect())
        });
        match changed {
            Ok(idea) => {
                let change = if on { "added" } else { "removed" };
                metrics::counter!("problemfirst_votes_total", "change" => change).increment(1);
                Ok(Some(idea))
            }
            Err(Unchanged::Repeat) => Ok(None),
            Err(Unchanged::Failed(e)) => Err(e.into()),
        }
    }

    /// The idea a message belongs to: one of the bot's idea messages, or a pitch itself (found
    /// among its author's ideas).
    fn idea_for_message(
        &self,
        channel: &ChannelId,
        ts: &MessageTs,
        author: Option<&UserId>,
    ) -> Result<Option<IdeaId>, AppError> {
        if let Some(id) = self.store.idea_of_message(channel, ts)? {
            return Ok(Some(id));
        }
        let Some(author) = author else {
            return Ok(None);
        };
        Ok(self
            .store
            .by_submitter(author)?
            .into_iter()
            .find(|i| {
                i.origin.channel.as_ref() == Some(channel) && i.origin.ts.as_ref() == Some(ts)
            })
            .map(|i| i.id))
    }

    /// Follows a duplicate to its original.
    pub(super) fn original_of(&self, id: IdeaId) -> Result<Option<IdeaId>, AppError> {
        let mut at = id;
        for _ in 0..MAX_CHAIN {
            match self.store.get(at)? {
                None => return Ok(None),
                Some(idea) => match idea.status() {
                    Status::Duplicate { of } if of != at => at = of,
                    _ => return Ok(Some(at)),
                },
            }
        }
        Ok(Some(at))
    }
}
