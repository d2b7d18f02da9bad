//! Ideas: where a pitch came from, the optional reframe, how it was judged, where it stands
//! (`status`) and the history of every change, its votes, its triage card.

use super::assessment::{Assessment, Hit, Verdict};
use super::ids::{ChannelId, IdeaId, MessageTs, TrackId, UserId};
use super::status::{IllegalTransition, Status, Transition};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Where a pitch came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Slash,
    Modal,
    Channel,
    Mention,
    Shortcut,
    Console,
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Slash => "slash",
            Source::Modal => "modal",
            Source::Channel => "channel",
            Source::Mention => "mention",
            Source::Shortcut => "shortcut",
            Source::Console => "console",
            Source::Import => "import",
        }
    }
}

/// Where in Slack the pitch was posted, when known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<MessageTs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permalink: Option<String>,
}

/// A pitch restated as a problem, field by field, as the Reframe form asks for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reframe {
    #[serde(default)]
    pub who: String,
    #[serde(default)]
    pub problem: String,
    #[serde(default)]
    pub evidence: String,
    #[serde(default)]
    pub impact: String,
    #[serde(default)]
    pub workaround: String,
    /// The person's own solution idea, kept so it is not lost.
    #[serde(default)]
    pub solution: String,
}

impl Reframe {
    /// The reframe as one problem statement, the text that is assessed again.
    pub fn statement(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let who = self.who.trim();
        let problem = self.problem.trim();
        match (who.is_empty(), problem.is_empty()) {
            (false, false) => parts.push(format!("{who}: {problem}")),
            (false, true) => parts.push(who.to_string()),
            (true, false) => parts.push(problem.to_string()),
            (true, true) => {}
        }
        for (label, value) in [
            ("We know because", &self.evidence),
            ("If nothing changes", &self.impact),
            ("Today they", &self.workaround),
            ("One idea", &self.solution),
        ] {
            let v = value.trim();
            if !v.is_empty() {
                parts.push(format!("{label}: {v}"));
            }
        }
        let mut out = String::new();
        for p in parts {
            if !out.is_empty() {
                out.push_str(if out.ends_with(['.', '!', '?']) {
                    " "
                } else {
                    ". "
                });
            }
            out.push_str(&p);
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        [
            &self.who,
            &self.problem,
            &self.evidence,
            &self.impact,
            &self.workaround,
            &self.solution,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }
}

/// The part of an assessment that is kept with an idea.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    pub verdict: Verdict,
    #[serde(serialize_with = "super::assessment::finite")]
    pub confidence: f32,
    pub hits: Vec<Hit>,
    pub rules_version: String,
    /// The model that judged it (empty for ideas judged before there was one).
    #[serde(default)]
    pub model_version: String,
}

impl From<&Assessment> for Judgement {
    fn from(a: &Assessment) -> Self {
        Judgement {
            verdict: a.verdict,
            confidence: a.confidence,
            hits: a.hits.clone(),
            rules_version: a.rules_version.clone(),
            model_version: a.model_version.clone(),
        }
    }
}

/// One change in an idea's life: who did what, when, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub at: Timestamp,
    pub by: UserId,
    pub from: Option<Status>,
    pub to: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What changed when it was not the status (`from` and `to` are then the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit: Option<Edit>,
}

impl Change {
    /// Whether this change moved the status (rather than the track, the verdict or the votes).
    pub fn moves_status(&self) -> bool {
        self.edit.is_none()
    }
}

/// A change to an idea that leaves its status as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "edit", rename_all = "snake_case")]
pub enum Edit {
    /// A lead moved the idea to another track.
    Track { from: TrackId, to: TrackId },
    /// A lead overruled the classifier's verdict.
    Verdict { from: Verdict, to: Verdict },
    /// The votes of a duplicate were added to this idea, the original.
    VotesMerged { from: IdeaId, votes: usize },
}

/// A reply in the thread of one of the idea's messages (the bot's "filed" reply or the triage
/// card): part of the discussion, never an idea of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub by: UserId,
    pub at: Timestamp,
    pub text: String,
    /// The reply's own message, which makes a redelivered reply the same comment.
    pub channel: ChannelId,
    pub ts: MessageTs,
}

/// Where an idea's triage card was posted, so that it is updated in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub channel: ChannelId,
    pub ts: MessageTs,
}

/// A lead's correction of the classifier's verdict, kept as labelled feedback to tune the rules
/// with the company's own pitches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overrule {
    /// The text that was judged: the reframe when there was one, else the pitch.
    pub text: String,
    /// What the classifier said.
    pub was: Verdict,
    /// What the lead says it is.
    pub verdict: Verdict,
    pub by: UserId,
    pub at: Timestamp,
}

/// An idea, from draft to decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Idea {
    pub id: IdeaId,
    pub submitter: UserId,
    pub source: Source,
    #[serde(default)]
    pub origin: Origin,
    /// The pitch as the person wrote it.
    pub pitch: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reframe: Option<Reframe>,
    /// How the original pitch was judged.
    pub judged: Judgement,
    /// How the reframe was judged, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reframe_judged: Option<Judgement>,
    /// How many times the person has sent a reframe that was still not problem-led.
    #[serde(default)]
    pub reframe_rounds: u8,
    pub track: TrackId,
    status: Status,
    pub history: Vec<Change>,
    #[serde(default)]
    pub voters: BTreeSet<UserId>,
    /// For each voter, the messages (`channel/ts`) they reacted on: a person counts once however
    /// many of the idea's messages they react on, and stops counting only when every one of
    /// those reactions is removed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reactions: BTreeMap<UserId, BTreeSet<String>>,
    /// The triage card, once posted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
    /// The discussion in the threads of the idea's messages, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<Comment>,
    /// The submitter asked that their name not be shown with the idea: leads, cards, the App
    /// Home, the digest, export and webhooks say "anonymous". The store still knows who it is.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub anonymous: bool,
    /// When the submitter was reminded of this draft (once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded: Option<Timestamp>,
    /// The latest lead's overrule of the verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrule: Option<Overrule>,
    pub created: Timestamp,
    pub updated: Timestamp,
}

/// What a draft that has waited is owed ([`Idea::draft_due`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftDue {
    /// One direct message to the submitter.
    Remind,
    /// Withdrawn, with a note in its history; nothing is deleted.
    Expire,
}

/// Where a vote by button is kept among a voter's reactions: a person counts once, whether they
/// voted by button, by reaction or both.
pub const BUTTON_VOTE: &str = "button";

/// What a new idea starts from.
#[derive(Debug, Clone)]
pub struct NewIdea {
    pub submitter: UserId,
    pub source: Source,
    pub origin: Origin,
    pub pitch: String,
    pub judged: Judgement,
    pub track: TrackId,
    /// Shown as "anonymous" wherever the idea is shown to others.
    pub anonymous: bool,
    /// `true` files it at once; `false` keeps it as a draft awaiting a reframe.
    pub filed: bool,
    pub at: Timestamp,
}

impl Idea {
    pub fn new(id: IdeaId, n: NewIdea) -> Idea {
        let status = if n.filed { Status::New } else { Status::Draft };
        Idea {
            id,
            submitter: n.submitter.clone(),
            source: n.source,
            origin: n.origin,
            pitch: n.pitch,
            reframe: None,
            judged: n.judged,
            reframe_judged: None,
            reframe_rounds: 0,
            track: n.track,
            status,
            history: vec![Change {
                at: n.at,
                by: n.submitter,
                from: None,
                to: status,
                reason: None,
                edit: None,
            }],
            voters: BTreeSet::new(),
            reactions: BTreeMap::new(),
            card: None,
            comments: Vec::new(),
            anonymous: n.anonymous,
            reminded: None,
            overrule: None,
            created: n.at,
            updated: n.at,
        }
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// Move the idea on, recording who, when and why. Illegal moves change nothing.
    pub fn apply(
        &mut self,
        t: Transition,
        by: &UserId,
        reason: Option<String>,
        at: Timestamp,
    ) -> Result<Status, IllegalTransition> {
        let next = self.status.apply(t)?;
        self.history.push(Change {
            at,
            by: by.clone(),
            from: Some(self.status),
            to: next,
            reason: reason.filter(|r| !r.trim().is_empty()),
            edit: None,
        });
        self.status = next;
        self.updated = at;
        Ok(next)
    }

    /// Records a change that leaves the status as it is (the edit itself is made by the caller).
    pub fn record(&mut self, edit: Edit, by: &UserId, reason: Option<String>, at: Timestamp) {
        self.history.push(Change {
            at,
            by: by.clone(),
            from: Some(self.status),
            to: self.status,
            reason: reason.filter(|r| !r.trim().is_empty()),
            edit: Some(edit),
        });
        self.updated = at;
    }

    /// Whether the idea was ever filed (a draft awaiting its first reframe was not).
    pub fn was_filed(&self) -> bool {
        self.history.iter().any(|c| c.to == Status::New)
    }

    /// Who to show as the idea's submitter to others: `None` for an anonymous idea.
    pub fn byline(&self) -> Option<&UserId> {
        (!self.anonymous).then_some(&self.submitter)
    }

    /// When the idea last became a draft (pitched, or sent back for a reframe); `None` when it
    /// is not a draft.
    pub fn drafted_at(&self) -> Option<Timestamp> {
        (self.status == Status::Draft).then(|| {
            self.history
                .iter()
                .rev()
                .find(|c| c.moves_status() && c.to == Status::Draft)
                .map_or(self.created, |c| c.at)
        })
    }

    /// What a draft is owed at `now`: a reminder once it has waited `remind_after` (once per
    /// time it became a draft), withdrawal once it has waited `expire_after`. Nothing for an
    /// idea that is not a draft.
    pub fn draft_due(
        &self,
        now: Timestamp,
        remind_after: SignedDuration,
        expire_after: SignedDuration,
    ) -> Option<DraftDue> {
        let since = self.drafted_at()?;
        let waited = now.duration_since(since);
        if waited >= expire_after {
            Some(DraftDue::Expire)
        } else if waited >= remind_after && self.reminded.is_none_or(|r| r < since) {
            Some(DraftDue::Remind)
        } else {
            None
        }
    }

    /// The latest status change made by someone other than the submitter: a lead's decision.
    pub fn last_decision(&self) -> Option<&Change> {
        self.history
            .iter()
            .rev()
            .find(|c| c.moves_status() && c.from.is_some() && c.by != self.submitter)
    }

    /// `user` reacted (`on`) or took the reaction back (`!on`) on the idea's message `message`.
    /// Returns whether the votes changed. Repeats change nothing, and the submitter's own
    /// reactions never count.
    pub fn react(&mut self, user: &UserId, message: &str, on: bool) -> bool {
        if *user == self.submitter {
            return false;
        }
        let changed = if on {
            self.reactions
                .entry(user.clone())
                .or_default()
                .insert(message.to_string())
        } else {
            let removed = self
                .reactions
                .get_mut(user)
                .is_some_and(|m| m.remove(message));
            if self.reactions.get(user).is_some_and(BTreeSet::is_empty) {
                self.reactions.remove(user);
            }
            removed
        };
        let counts = self.reactions.contains_key(user);
        let voters_changed = if counts {
            self.voters.insert(user.clone())
        } else {
            self.voters.remove(user)
        };
        changed || voters_changed
    }

    /// `user` votes for the idea (`on`) or takes their vote back, by a button: the same vote as
    /// a reaction. Taking it back takes back the person's vote whatever gave it. Returns whether
    /// the votes changed; the submitter cannot vote for their own idea.
    pub fn vote(&mut self, user: &UserId, on: bool) -> bool {
        if on {
            self.react(user, BUTTON_VOTE, true)
        } else {
            let had = self.voters.remove(user);
            self.reactions.remove(user);
            had
        }
    }

    /// Adds a comment; the same reply again (a redelivery) changes nothing. Returns whether it
    /// was added.
    pub fn comment(&mut self, c: Comment) -> bool {
        if self
            .comments
            .iter()
            .any(|o| o.channel == c.channel && o.ts == c.ts)
        {
            return false;
        }
        self.updated = self.updated.max(c.at);
        self.comments.push(c);
        true
    }

    /// Takes this idea's votes away (it is a duplicate), to add them to the original.
    pub fn take_votes(&mut self) -> (BTreeSet<UserId>, BTreeMap<UserId, BTreeSet<String>>) {
        (
            std::mem::take(&mut self.voters),
            std::mem::take(&mut self.reactions),
        )
    }

    /// Adds a duplicate's votes; someone who voted for both counts once, and the submitter's
    /// own votes do not count. Returns how many people were added.
    pub fn merge_votes(
        &mut self,
        voters: BTreeSet<UserId>,
        reactions: BTreeMap<UserId, BTreeSet<String>>,
    ) -> usize {
        let before = self.voters.len();
        for (user, messages) in reactions {
            if user != self.submitter {
                self.reactions.entry(user).or_default().extend(messages);
            }
        }
        for user in voters {
            if user != self.submitter {
                self.voters.insert(user);
            }
        }
        self.voters.len() - before
    }

    /// The text leads read first: the reframe when there is one, else the pitch.
    pub fn headline_text(&self) -> String {
        match &self.reframe {
            Some(r) if !r.is_empty() => r.statement(),
            _ => self.pitch.clone(),
        }
    }

    /// The verdict that counts now: the reframe's when there is one.
    pub fn current_verdict(&self) -> Verdict {
        self.reframe_judged
            .as_ref()
            .map(|j| j.verdict)
            .unwrap_or(self.judged.verdict)
    }

    /// The last change made by someone other than the submitter, or the last change at all.
    pub fn last_change(&self) -> Option<&Change> {
        self.history.last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reframe_statement_reads_as_one_text() {
        let r = Reframe {
            who: "Field technicians".into(),
            problem: "wait 2 days for spare parts".into(),
            evidence: "30% of repairs need a second visit".into(),
            ..Reframe::default()
        };
        assert_eq!(
            r.statement(),
            "Field technicians: wait 2 days for spare parts. We know because: 30% of repairs need a second visit"
        );
    }

    fn draft(at: Timestamp) -> Idea {
        let user = UserId::parse("U1").expect("a user");
        Idea::new(
            IdeaId::new(1),
            NewIdea {
                submitter: user,
                source: Source::Slash,
                origin: Origin::default(),
                pitch: "We should use blockchain.".into(),
                judged: Judgement {
                    verdict: Verdict::Tech,
                    confidence: 0.9,
                    hits: Vec::new(),
                    rules_version: "t".into(),
                    model_version: String::new(),
                },
                track: TrackId::parse("execution").expect("a track"),
                anonymous: false,
                filed: false,
                at,
            },
        )
    }

    #[test]
    fn a_draft_is_reminded_once_then_expires_and_again_after_it_is_sent_back() {
        let t0 = Timestamp::from_second(1_700_000_000).expect("time");
        let day = SignedDuration::from_hours(24);
        let (remind, expire) = (day * 3, day * 14);
        let at = |d: i32| t0.checked_add(day * d).expect("time");
        let mut idea = draft(t0);
        assert_eq!(idea.draft_due(at(2), remind, expire), None);
        assert_eq!(
            idea.draft_due(at(3), remind, expire),
            Some(DraftDue::Remind)
        );
        idea.reminded = Some(at(3));
        assert_eq!(idea.draft_due(at(5), remind, expire), None, "once");
        assert_eq!(
            idea.draft_due(at(14), remind, expire),
            Some(DraftDue::Expire)
        );
        // Filed, then sent back for a reframe: the wait starts again, with its own reminder.
        let u = idea.submitter.clone();
        idea.apply(Transition::File, &u, None, at(4)).expect("file");
        assert_eq!(idea.draft_due(at(20), remind, expire), None, "not a draft");
        idea.apply(Transition::AskReframe, &u, None, at(20))
            .expect("back");
        assert_eq!(idea.draft_due(at(22), remind, expire), None);
        assert_eq!(
            idea.draft_due(at(23), remind, expire),
            Some(DraftDue::Remind)
        );
        assert_eq!(
            idea.draft_due(at(34), remind, expire),
            Some(DraftDue::Expire)
        );
    }
}
