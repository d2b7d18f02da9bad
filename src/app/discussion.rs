//! Discussion: replies in the thread of one of an idea's messages (the bot's "filed" reply, the
//! pitch it answers, or the triage card) are the idea's comments, with author, time and text. A
//! comment never makes an idea; it shows as a count on the card, in the App Home and the export.

use super::notice::card_notice;
use super::{App, AppError};
use crate::domain::{ChannelId, Comment, Idea, MessageTs, UserId};

/// The longest comment kept, in characters (Slack's own message limit is far longer; a comment
/// is read in a card or a modal).
const MAX_COMMENT_CHARS: usize = 3_000;

/// Why a reply changed nothing.
enum Unchanged {
    Repeat,
    Failed(crate::storage::StoreError),
}

impl From<crate::storage::StoreError> for Unchanged {
    fn from(e: crate::storage::StoreError) -> Self {
        Unchanged::Failed(e)
    }
}

impl App {
    /// `user` replied `text` (message `ts`) in the thread of `thread` in `channel`. The idea the
    /// thread belongs to, with the comment, if it belongs to one; a redelivered reply counts
    /// once.
    pub fn comment(
        &self,
        channel: &ChannelId,
        thread: &MessageTs,
        ts: &MessageTs,
        user: &UserId,
        text: &str,
    ) -> Result<Option<Idea>, AppError> {
        let Some(id) = self.store.idea_of_message(channel, thread)? else {
            return Ok(None);
        };
        let comment = Comment {
            by: user.clone(),
            at: self.now(),
            text: super::shorten(text.trim(), MAX_COMMENT_CHARS),
            channel: channel.clone(),
            ts: ts.clone(),
        };
        let changed = self.change(id, |idea| {
            if !idea.comment(comment.clone()) {
                return Err(Unchanged::Repeat);
            }
            Ok(card_notice(&self.config, idea).into_iter().collect())
        });
        match changed {
            Ok(idea) => {
                metrics::counter!("problemfirst_comments_total").increment(1);
                Ok(Some(idea))
            }
            Err(Unchanged::Repeat) => Ok(None),
            Err(Unchanged::Failed(e)) => Err(e.into()),
        }
    }
}
