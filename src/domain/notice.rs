//! What the bot owes people: every message it must send outside a direct answer to a request.
//!
//! A notice is written to the store's outbox in the same transaction as the change that causes
//! it, and a delivery worker sends it later, retrying until it lands. Notices name ideas and
//! people, not rendered messages: the worker renders each one from the store when it delivers, so
//! a triage card or App Home shows the idea as it is then, not as it was when the notice was
//! queued.

use super::ids::{ChannelId, IdeaId, MessageTs, UserId, WeekStart};
use serde::{Deserialize, Serialize};

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Audience {
    /// Everyone, in the thread of the message with timestamp `ts` in `channel`.
    Thread { channel: ChannelId, ts: MessageTs },
    /// Only `user`, in `channel` (in the thread of `ts` when given).
    Privately {
        channel: ChannelId,
        ts: Option<MessageTs>,
        user: UserId,
    },
    /// A direct message to `user`.
    Person { user: UserId },
    /// The reply address of the request that started it (Slack's `response_url`, which works for
    /// 30 minutes). `replace` swaps the message the request came from.
    ReplyUrl { url: String, replace: bool },
}

/// One message the bot owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// What became of a pitch: filed (with similar ideas) or kept as a draft with one question.
    Outcome { idea: IdeaId, to: Audience },
    /// A plain message.
    Text { to: Audience, text: String },
    /// The triage card of an idea in its track's triage channel: posted the first time, updated
    /// in place after.
    TriageCard { idea: IdeaId },
    /// A person's App Home, published again.
    Home { user: UserId },
    /// The weekly digest for `channel`, for the week starting on `week` (a civil date,
    /// `YYYY-MM-DD`, in the digest's time zone).
    Digest { channel: ChannelId, week: WeekStart },
    /// An event about an idea for the outbound webhook at `url`: `body` is the JSON sent, fixed
    /// when the change was made; it is signed when it is sent.
    Webhook {
        url: String,
        event: String,
        body: String,
    },
}

impl Notice {
    /// A short name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Notice::Outcome { .. } => "outcome",
            Notice::Text { .. } => "text",
            Notice::TriageCard { .. } => "triage_card",
            Notice::Home { .. } => "home",
            Notice::Digest { .. } => "digest",
            Notice::Webhook { .. } => "webhook",
        }
    }
}
