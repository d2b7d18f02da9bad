//! Outbound webhooks: each change to an idea is read for events ([`events_of`]), and each event
//! a configured webhook subscribes to is queued for it in the same transaction as the change, so
//! a receiver hears of every change once it is on disk, and of none that was not made.

use crate::config::Config;
use crate::domain::event::events_of;
use crate::domain::{Idea, Notice};

/// The webhook notices a change owes: `before` is `None` for a new idea.
pub(crate) fn webhook_notices(config: &Config, before: Option<&Idea>, after: &Idea) -> Vec<Notice> {
    if config.webhooks.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for event in events_of(before, after) {
        for hook in config.webhooks.iter().filter(|h| h.wants(event.kind)) {
            out.push(Notice::Webhook {
                url: hook.url.clone(),
                event: event.kind.name().to_string(),
                body: event.body.clone(),
            });
        }
    }
    out
}
