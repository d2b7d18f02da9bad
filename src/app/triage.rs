//! Triage: what innovation leads decide about filed ideas — review, accept, park, decline, mark
//! as a duplicate, move to another track, ask for a reframe, reopen, overrule the verdict — who
//! may decide it, and what each decision owes people: the submitter's direct message with the new
//! status and the reason, the triage card updated in place, App Homes refreshed.
//!
//! Who a person is (which Slack user groups they belong to) is the transport's to find out; it
//! passes an [`Actor`]. Whether that person may decide is decided here, against the config's
//! leads and admins, and checked again inside the change's transaction.

use super::notice::on_change;
use super::webhooks::webhook_notices;
use super::{shorten, App, AppError, Similar};
use crate::config::{Lead, TrackConfig};
use crate::domain::{
    Audience, Card, Change, ChannelId, Decision, Edit, Idea, IdeaId, Notice, Overrule, Status,
    TrackId, Transition, Triage, UserId,
};
use std::collections::BTreeSet;

/// Someone acting on an idea, as the transport knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Slack user id.
    pub user: UserId,
    /// The configured user groups (`S…`) this person is a member of.
    pub groups: BTreeSet<String>,
}

impl Actor {
    /// Someone in no user group.
    pub fn person(user: &UserId) -> Actor {
        Actor {
            user: user.clone(),
            groups: BTreeSet::new(),
        }
    }
}

/// What a triage card shows: the idea as it is now, its track's name and similar ideas.
#[derive(Debug, Clone)]
pub struct CardView {
    pub idea: Idea,
    pub track_name: String,
    /// The channel the card belongs in now (the track's triage channel).
    pub channel: Option<ChannelId>,
    pub similar: Vec<Similar>,
    /// For a duplicate, where its original's card is.
    pub original: Option<Card>,
}

/// How many times a duplicate chain is followed to its original before giving up (a chain is
/// never longer than one when every duplicate points at an original, as [`App::triage`]
/// ensures; older data may differ).
const MAX_CHAIN: usize = 16;

impl App {
    /// Whether `actor` may triage the ideas of `track`: an admin, or one of its leads in person
    /// or through a user group.
    pub fn is_lead(&self, actor: &Actor, track: &str) -> bool {
        self.config.admins.contains(&actor.user)
            || self.config.track(track).is_some_and(|t| leads(t, actor))
    }

    /// The tracks `actor` may triage, in the config's order (all of them for an admin).
    pub fn led_tracks(&self, actor: &Actor) -> Vec<&TrackConfig> {
        self.config
            .tracks
            .iter()
            .filter(|t| self.is_lead(actor, &t.id))
            .collect()
    }

    /// Whether `actor` could make the move `t` on idea `id` now: the idea as it is, or why not.
    /// Used before opening a form, so nobody fills one in for nothing; [`App::triage`] checks
    /// again, with the details, when it decides.
    pub fn may_triage(&self, id: IdeaId, actor: &Actor, t: Triage) -> Result<Idea, AppError> {
        let idea = self.idea(id)?;
        self.lead_of(&idea, actor)?;
        idea.status().check(t)?;
        if t == Triage::Move && self.config.tracks.iter().all(|k| k.id == idea.track) {
            return Err(AppError::NoOtherTrack);
        }
        Ok(idea)
    }

    /// Makes a lead's decision: checks who decides and whether the move is legal, records it in
    /// the idea's history, and queues the submitter's direct message, the card update and the App
    /// Home refreshes with it. On disk when this returns.
    pub async fn triage(
        &self,
        id: IdeaId,
        actor: &Actor,
        decision: Decision,
        reason: Option<String>,
    ) -> Result<Idea, AppError> {
        let reason = reason
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        let idea = self.idea(id)?;
        self.allowed(&idea, actor, &decision)?;
        if decision.needs_reason() && reason.is_none() {
            return Err(AppError::NeedsReason {
                submitter: idea
                    .byline()
                    .map_or("the submitter".into(), |u| format!("<@{u}>")),
            });
        }
        let now = self.now();
        let by = &actor.user;
        let changed = match &decision {
            Decision::Duplicate { of } => {
                let original = self.original_for(id, *of)?;
                let (dup, _) = self.store.update_both_telling(id, original, |dup, orig| {
                    let before = (dup.clone(), orig.clone());
                    self.allowed(dup, actor, &decision)?;
                    if matches!(orig.status(), Status::Draft | Status::Withdrawn) {
                        return Err(not_an_original(orig));
                    }
                    dup.apply(
                        Transition::MarkDuplicate { of: original },
                        by,
                        reason.clone(),
                        now,
                    )?;
                    let (voters, reactions) = dup.take_votes();
                    let added = orig.merge_votes(voters, reactions);
                    orig.record(
                        Edit::VotesMerged {
                            from: id,
                            votes: added,
                        },
                        by,
                        None,
                        now,
                    );
                    let mut notices = self.decision_notices(dup, actor, reason.as_deref());
                    notices.extend(super::notice::card_notice(&self.config, orig));
                    notices.extend(webhook_notices(&self.config, Some(&before.0), dup));
                    notices.extend(webhook_notices(&self.config, Some(&before.1), orig));
                    Ok(notices)
                })??;
                dup
            }
            _ => self.change(id, |idea| {
                self.allowed(idea, actor, &decision)?;
                match &decision {
                    Decision::Move { track } => {
                        let to = self.track_id(track)?;
                        let from = std::mem::replace(&mut idea.track, to.clone());
                        idea.record(Edit::Track { from, to }, by, reason.clone(), now);
                    }
                    Decision::Overrule { verdict } => {
                        let was = idea.current_verdict();
                        let from = idea.overrule.as_ref().map_or(was, |o| o.verdict);
                        idea.overrule = Some(Overrule {
                            text: idea.headline_text(),
                            was,
                            verdict: *verdict,
                            by: by.clone(),
                            at: now,
                        });
                        idea.record(
                            Edit::Verdict { from, to: *verdict },
                            by,
                            reason.clone(),
                            now,
                        );
                    }
                    other => {
                        if let Some(t) = other.transition() {
                            idea.apply(t, by, reason.clone(), now)?;
                        }
                        if *other == Decision::AskReframe {
                            // A fresh start: the reframe may be sent back once again.
                            idea.reframe_rounds = 0;
                        }
                    }
                }
                Ok::<_, AppError>(self.decision_notices(idea, actor, reason.as_deref()))
            })?,
        };
        self.store.durable().await?;
        metrics::counter!("problemfirst_triage_actions_total", "decision" => decision.name())
            .increment(1);
        Ok(changed)
    }

    /// What a triage card shows for idea `id`, as it is now.
    pub async fn card_view(&self, id: IdeaId) -> Result<CardView, AppError> {
        let idea = self.idea(id)?;
        let similar = self.similar(&idea).await?;
        let track = self.config.track(&idea.track);
        let original = match idea.status() {
            Status::Duplicate { of } => self.store.get(of).ok().flatten().and_then(|i| i.card),
            _ => None,
        };
        Ok(CardView {
            track_name: self.config.track_name(&idea.track).to_string(),
            channel: track.and_then(|t| t.triage_channel.clone()),
            similar,
            original,
            idea,
        })
    }

    /// Checks `actor` may make `decision` on `idea` as it stands, without changing it.
    fn allowed(&self, idea: &Idea, actor: &Actor, decision: &Decision) -> Result<(), AppError> {
        self.lead_of(idea, actor)?;
        match decision {
            Decision::Move { track } => {
                idea.status().check(Triage::Move)?;
                let to = self.track_id(track)?;
                if to == idea.track {
                    return Err(AppError::AlreadyInTrack {
                        id: idea.id,
                        track: self.config.track_name(&to).to_string(),
                    });
                }
                Ok(())
            }
            Decision::Overrule { .. } => Ok(()),
            Decision::Duplicate { of } if *of == idea.id => Err(AppError::OwnDuplicate(idea.id)),
            other => match other.transition() {
                Some(t) => idea.status().apply(t).map(|_| ()).map_err(AppError::from),
                None => Ok(()),
            },
        }
    }

    /// Checks `actor` leads the track of `idea`.
    fn lead_of(&self, idea: &Idea, actor: &Actor) -> Result<(), AppError> {
        if self.is_lead(actor, &idea.track) {
            Ok(())
        } else {
            Err(AppError::NotALead {
                track: self.config.track_name(&idea.track).to_string(),
            })
        }
    }

    /// The idea a duplicate points at: `of`, or what `of` is itself a duplicate of, so that
    /// votes gather on one original.
    fn original_for(&self, id: IdeaId, of: IdeaId) -> Result<IdeaId, AppError> {
        let mut at = of;
        for _ in 0..MAX_CHAIN {
            let idea = self.idea(at)?;
            match idea.status() {
                Status::Duplicate { of: next } if next != at => at = next,
                Status::Draft | Status::Withdrawn => return Err(not_an_original(&idea)),
                _ => break,
            }
        }
        if at == id {
            return Err(AppError::DuplicateLoop { id, of });
        }
        Ok(at)
    }

    /// A configured track's id, from its id or name.
    pub fn track_id(&self, given: &str) -> Result<TrackId, AppError> {
        let t = given.trim();
        self.config
            .tracks
            .iter()
            .find(|k| k.id.eq_ignore_ascii_case(t) || k.name.eq_ignore_ascii_case(t))
            .map(|k| k.id.clone())
            .ok_or_else(|| AppError::UnknownTrack {
                given: t.to_string(),
                known: self
                    .config
                    .tracks
                    .iter()
                    .map(|k| k.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// What a decision on `idea` (as changed) owes: the submitter's direct message, the card and
    /// the submitter's Home, and the deciding lead's Home.
    fn decision_notices(&self, idea: &Idea, actor: &Actor, reason: Option<&str>) -> Vec<Notice> {
        let mut notices = Vec::new();
        if actor.user != idea.submitter {
            if let Some(text) = self.decision_message(idea, reason) {
                notices.push(Notice::Text {
                    to: Audience::Person {
                        user: idea.submitter.clone(),
                    },
                    text,
                });
            }
            if idea.status() == Status::Draft {
                // The coaching again, with its Reframe, File anyway and Withdraw buttons.
                notices.push(Notice::Outcome {
                    idea: idea.id,
                    to: Audience::Person {
                        user: idea.submitter.clone(),
                    },
                });
            }
        }
        notices.extend(on_change(&self.config, idea));
        let actor_home = Notice::Home {
            user: actor.user.clone(),
        };
        if !notices.contains(&actor_home) {
            notices.push(actor_home);
        }
        notices
    }

    /// The submitter's direct message about the latest change to `idea`: the new status (or
    /// track), who decided, and why. An overrule tells the submitter nothing: it is feedback
    /// for the rules, not a decision about the idea.
    pub fn decision_message(&self, idea: &Idea, reason: Option<&str>) -> Option<String> {
        let change: &Change = idea.history.last()?;
        let headline = shorten(&idea.headline_text(), 200).replace('\n', " ");
        let what = match (&change.edit, idea.status()) {
            (Some(Edit::Track { to, .. }), _) => format!(
                "Your idea *{}* was moved to the *{}* track by <@{}>.",
                idea.id,
                self.config.track_name(to),
                change.by
            ),
            (Some(_), _) => return None,
            (None, Status::Duplicate { of }) => format!(
                "Your idea *{}* is now *Duplicate* of *{of}*, decided by <@{}>. Its votes were \
                 added to {of}.",
                idea.id, change.by
            ),
            (None, Status::Draft) => format!(
                "<@{}> asked you to reframe your idea *{}* as a problem: who is affected, and \
                 what is hard for them?",
                change.by, idea.id
            ),
            (None, status) => format!(
                "Your idea *{}* is now *{}*, decided by <@{}>.",
                idea.id,
                status.label(),
                change.by
            ),
        };
        let mut text = what;
        if let Some(r) = reason {
            text.push_str(&format!("\n*Why:* {}", shorten(r, 1500)));
        }
        text.push_str(&format!("\n> {headline}"));
        Some(text)
    }

    /// Every overrule as labelled feedback: the judged text and the lead's verdict.
    pub fn feedback(&self) -> impl Iterator<Item = Result<Overrule, AppError>> + '_ {
        self.store.ideas().filter_map(|idea| match idea {
            Ok(idea) => idea.overrule.map(Ok),
            Err(e) => Some(Err(AppError::Store(e))),
        })
    }
}

/// Whether `actor` leads `track` in person or through one of its user groups.
fn leads(track: &TrackConfig, actor: &Actor) -> bool {
    track.leads.iter().any(|lead| match lead {
        Lead::Person(user) => *user == actor.user,
        Lead::Group(group) => actor.groups.contains(group),
    })
}

fn not_an_original(idea: &Idea) -> AppError {
    AppError::NotAnOriginal {
        id: idea.id,
        status: idea.status(),
    }
}
