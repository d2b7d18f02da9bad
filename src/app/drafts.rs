//! Drafts do not strand: a pitch kept as a draft (coached, not yet filed) gets its submitter one
//! reminder by direct message after `drafts.remind_after`, and after `drafts.expire_after` it is
//! withdrawn, with a note in its history and a message. Nothing is deleted. The sweep takes `now`
//! from its caller (the app's clock in `serve`), so it is tested under a moved clock.

use super::{shorten, App, AppError};
use crate::domain::{Audience, DraftDue, Idea, Notice, Transition};
use jiff::{SignedDuration, Timestamp};
use std::time::Duration;

/// The sweep runs at least this often: a reminder or an expiry is at most this late.
const RECHECK: Duration = Duration::from_secs(15 * 60);

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DraftSweep {
    pub reminded: usize,
    pub expired: usize,
}

impl App {
    /// Reminds the submitters of drafts that have waited `remind_after` (once) and withdraws
    /// those that have waited `expire_after`, as of `now`. Each change and its messages are
    /// kept in one transaction, so a sweep that stops half way is finished by the next one and
    /// nobody is told twice.
    pub async fn sweep_drafts(&self, now: Timestamp) -> Result<DraftSweep, AppError> {
        let drafts = self.config.drafts;
        let (remind, expire) = (drafts.remind_after, drafts.expire_after);
        let mut swept = DraftSweep::default();
        for idea in self.store.by_status(crate::domain::Status::Draft.name())? {
            let Some(due) = idea.draft_due(now, remind, expire) else {
                continue;
            };
            // Decided again inside the transaction: the submitter may have acted meanwhile.
            let changed = self.change(idea.id, |idea| -> Result<Vec<Notice>, AppError> {
                let to = Audience::Person {
                    user: idea.submitter.clone(),
                };
                match idea.draft_due(now, remind, expire) {
                    Some(DraftDue::Remind) => {
                        idea.reminded = Some(now);
                        Ok(vec![Notice::Text {
                            to,
                            text: reminder(idea, expire),
                        }])
                    }
                    Some(DraftDue::Expire) => {
                        let by = idea.submitter.clone();
                        let note = format!(
                            "Expired: a draft for {} without a reframe; withdrawn automatically.",
                            in_words(expire)
                        );
                        idea.apply(Transition::Withdraw, &by, Some(note), now)?;
                        let mut notices = vec![
                            Notice::Text {
                                to,
                                text: expired(idea, expire),
                            },
                            Notice::Home { user: by },
                        ];
                        notices.extend(super::notice::on_change(&self.config, idea));
                        Ok(notices)
                    }
                    None => Ok(Vec::new()),
                }
            });
            match (due, changed) {
                (_, Err(e)) => {
                    tracing::warn!(idea = %idea.id, error = %e, "could not sweep a draft");
                }
                (DraftDue::Remind, Ok(i)) if i.reminded == Some(now) => swept.reminded += 1,
                (DraftDue::Expire, Ok(i)) if i.drafted_at().is_none() => swept.expired += 1,
                _ => {}
            }
        }
        if swept != DraftSweep::default() {
            self.store.durable().await?;
        }
        Ok(swept)
    }

    /// The sweep `serve` runs, until it is stopped.
    pub async fn run_drafts_sweep(&self) {
        loop {
            match self.sweep_drafts(self.now()).await {
                Ok(s) if s != DraftSweep::default() => {
                    tracing::info!(reminded = s.reminded, expired = s.expired, "drafts swept");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not sweep drafts; will retry"),
            }
            tokio::time::sleep(RECHECK).await;
        }
    }
}

fn reminder(idea: &Idea, expire: SignedDuration) -> String {
    format!(
        "Your pitch {} is still a draft: “{}”. Say who is affected and what is hard for them \
         (Reframe), file it as it is, or withdraw it: the buttons are in your App Home. \
         Untouched, it is withdrawn {} after it was pitched.",
        idea.id,
        shorten(&idea.pitch, 300),
        in_words(expire)
    )
}

fn expired(idea: &Idea, expire: SignedDuration) -> String {
    format!(
        "I withdrew your draft {} after {} without a reframe: “{}”. Nothing is deleted; \
         `/idea` pitches it again whenever you like.",
        idea.id,
        in_words(expire),
        shorten(&idea.pitch, 300)
    )
}

/// "14 days", "36 hours", "90 minutes", "45 seconds": the largest unit it is a whole number of.
pub fn in_words(d: SignedDuration) -> String {
    let secs = d.as_secs();
    let plural = |n: i64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    [(24 * 60 * 60, "day"), (60 * 60, "hour"), (60, "minute")]
        .into_iter()
        .find(|(unit, _)| secs % unit == 0 && secs >= *unit)
        .map_or_else(
            || plural(secs, "second"),
            |(unit, name)| plural(secs / unit, name),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_largest_whole_unit() {
        assert_eq!(in_words(SignedDuration::from_hours(14 * 24)), "14 days");
        assert_eq!(in_words(SignedDuration::from_hours(24)), "1 day");
        assert_eq!(in_words(SignedDuration::from_hours(36)), "36 hours");
        assert_eq!(in_words(SignedDuration::from_mins(90)), "90 minutes");
        assert_eq!(in_words(SignedDuration::from_secs(6)), "6 seconds");
        assert_eq!(in_words(SignedDuration::from_secs(60)), "1 minute");
    }
}
