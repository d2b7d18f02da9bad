//! Replies as plain data — text, labelled fields and suggested actions — that Slack renders as
//! Block Kit and the console renders as lines.

use crate::domain::IdeaId;

/// Something the person can do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Reframe(IdeaId),
    FileAnyway(IdeaId),
    Withdraw(IdeaId),
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Reframe(_) => "Reframe",
            Action::FileAnyway(_) => "File anyway",
            Action::Withdraw(_) => "Withdraw",
        }
    }

    pub fn idea(self) -> IdeaId {
        match self {
            Action::Reframe(id) | Action::FileAnyway(id) | Action::Withdraw(id) => id,
        }
    }
}

/// What the bot says back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    /// Markdown-ish text (`*bold*`), which both Slack and a terminal read well.
    pub text: String,
    /// Short labelled facts ("Track" → "Execution").
    pub fields: Vec<(String, String)>,
    pub actions: Vec<Action>,
    /// One optional, gentle suggestion, shown apart from the text (the idea is filed already).
    pub tip: Option<String>,
}
