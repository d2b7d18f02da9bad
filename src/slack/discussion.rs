//! Discussion: a person's reply in the thread of one of an idea's messages (the bot's "filed"
//! reply, the pitch it answers, or the triage card) becomes a comment on the idea. A reply is
//! never a pitch; a reply in any other thread is left alone.

use super::bot::Bot;
use super::payload::{channel, ts, user};
use crate::domain::{ChannelId, MessageTs, UserId};
use slack_morphism::prelude::*;

/// A thread reply as the app takes it.
pub(super) struct ThreadReply {
    pub channel: ChannelId,
    pub thread: MessageTs,
    pub ts: MessageTs,
    pub user: UserId,
    pub text: String,
}

/// The thread reply in a message event, if it is a person's own new reply (no bot, no edit, no
/// other subtype, not the thread's first message).
pub(super) fn reply_in(m: &SlackMessageEvent) -> Option<ThreadReply> {
    let thread = m.origin.thread_ts.as_ref()?;
    if m.subtype.is_some() || m.sender.bot_id.is_some() || *thread == m.origin.ts {
        return None;
    }
    let text = m.content.as_ref()?.text.clone()?;
    if text.trim().is_empty() {
        return None;
    }
    Some(ThreadReply {
        channel: channel(m.origin.channel.as_ref()?)?,
        thread: ts(thread)?,
        ts: ts(&m.origin.ts)?,
        user: user(m.sender.user.as_ref()?)?,
        text,
    })
}

impl Bot {
    /// Records a thread reply as a comment when its thread belongs to an idea.
    pub(super) fn thread_reply(&self, r: ThreadReply) {
        match self
            .app
            .comment(&r.channel, &r.thread, &r.ts, &r.user, &r.text)
        {
            Ok(Some(idea)) => tracing::debug!(idea = %idea.id, "comment recorded"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not record a comment"),
        }
    }
}
