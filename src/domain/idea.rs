//! Ideas and their life cycle: ids, where a pitch came from, the optional reframe, the status
//! machine with its legal transitions, and the history of every change.

use super::assessment::{Assessment, Hit, Verdict};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

/// `IDEA-<n>`: monotonic, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct IdeaId(u64);

impl IdeaId {
    pub fn new(n: u64) -> Self {
        IdeaId(n)
    }
    pub fn number(self) -> u64 {
        self.0
    }
}

impl fmt::Display for IdeaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IDEA-{}", self.0)
    }
}

impl FromStr for IdeaId {
    type Err = String;
    /// Accepts `IDEA-12`, `idea-12`, `#12` and `12`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let digits = t
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("idea-"))
            .map(|_| &t[5..])
            .or_else(|| t.strip_prefix('#'))
            .unwrap_or(t);
        digits
            .parse::<u64>()
            .map(IdeaId)
            .map_err(|_| format!("'{s}' is not an idea id (expected IDEA-<number>)"))
    }
}

impl From<IdeaId> for String {
    fn from(id: IdeaId) -> String {
        id.to_string()
    }
}

impl TryFrom<String> for IdeaId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

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
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<String>,
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

/// Where an idea stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Status {
    /// Awaiting a reframe or a "file anyway".
    Draft,
    New,
    InReview,
    Accepted,
    Parked,
    Declined,
    Duplicate {
        of: IdeaId,
    },
    Withdrawn,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::New => "new",
            Status::InReview => "in_review",
            Status::Accepted => "accepted",
            Status::Parked => "parked",
            Status::Declined => "declined",
            Status::Duplicate { .. } => "duplicate",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// How the status reads in a sentence shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::New => "New",
            Status::InReview => "In review",
            Status::Accepted => "Accepted",
            Status::Parked => "Parked",
            Status::Declined => "Declined",
            Status::Duplicate { .. } => "Duplicate",
            Status::Withdrawn => "Withdrawn",
        }
    }

    /// Statuses by name, for filters. `duplicate` matches any duplicate.
    pub const NAMES: [&'static str; 8] = [
        "draft",
        "new",
        "in_review",
        "accepted",
        "parked",
        "declined",
        "duplicate",
        "withdrawn",
    ];

    /// Whether a lead has decided the idea (it is out of the triage queue).
    pub fn is_decided(self) -> bool {
        matches!(
            self,
            Status::Accepted | Status::Parked | Status::Declined | Status::Duplicate { .. }
        )
    }

    /// Apply a transition; only the legal ones exist.
    pub fn apply(self, t: Transition) -> Result<Status, IllegalTransition> {
        use Status::*;
        use Transition as T;
        let next = match (self, t) {
            (Draft, T::File) => New,
            (New, T::StartReview) => InReview,
            (New | InReview, T::Accept) => Accepted,
            (New | InReview, T::Park) => Parked,
            (New | InReview, T::Decline) => Declined,
            (New | InReview | Parked, T::MarkDuplicate { of }) => Duplicate { of },
            (Draft | New | InReview | Parked, T::Withdraw) => Withdrawn,
            // Back to the submitter as a draft, to restate it as a problem.
            (New | InReview | Parked, T::AskReframe) => Draft,
            (Accepted | Parked | Declined | Duplicate { .. }, T::Reopen) => InReview,
            (from, t) => {
                return Err(IllegalTransition {
                    from,
                    transition: t,
                })
            }
        };
        Ok(next)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Duplicate { of } => write!(f, "duplicate of {of}"),
            s => f.write_str(s.name()),
        }
    }
}

/// Something that moves an idea from one status to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Transition {
    /// A draft becomes a filed idea.
    File,
    StartReview,
    Accept,
    Park,
    Decline,
    MarkDuplicate {
        of: IdeaId,
    },
    Withdraw,
    /// A lead takes a decided idea back into review.
    Reopen,
    /// A lead sends a filed idea back to its submitter to restate it as a problem.
    AskReframe,
}

impl Transition {
    pub fn verb(self) -> &'static str {
        match self {
            Transition::File => "file",
            Transition::StartReview => "start reviewing",
            Transition::Accept => "accept",
            Transition::Park => "park",
            Transition::Decline => "decline",
            Transition::MarkDuplicate { .. } => "mark as duplicate",
            Transition::Withdraw => "withdraw",
            Transition::Reopen => "reopen",
            Transition::AskReframe => "ask to reframe",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: Status,
    pub transition: Transition,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = self.from.label().to_lowercase();
        let article = if label.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "An"
        } else {
            "A"
        };
        write!(
            f,
            "{article} {label} idea can't be {}.",
            past(self.transition)
        )
    }
}

impl std::error::Error for IllegalTransition {}

fn past(t: Transition) -> &'static str {
    match t {
        Transition::File => "filed",
        Transition::StartReview => "put in review",
        Transition::Accept => "accepted",
        Transition::Park => "parked",
        Transition::Decline => "declined",
        Transition::MarkDuplicate { .. } => "marked as a duplicate",
        Transition::Withdraw => "withdrawn",
        Transition::Reopen => "reopened",
        Transition::AskReframe => "sent back for a reframe",
    }
}

/// One change in an idea's life: who did what, when, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub at: Timestamp,
    pub by: String,
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
    Track { from: String, to: String },
    /// A lead overruled the classifier's verdict.
    Verdict { from: Verdict, to: Verdict },
    /// The votes of a duplicate were added to this idea, the original.
    VotesMerged { from: IdeaId, votes: usize },
}

/// Where an idea's triage card was posted, so that it is updated in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub channel: String,
    pub ts: String,
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
    pub by: String,
    pub at: Timestamp,
}

/// An idea, from draft to decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Idea {
    pub id: IdeaId,
    pub submitter: String,
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
    pub track: String,
    status: Status,
    pub history: Vec<Change>,
    #[serde(default)]
    pub voters: BTreeSet<String>,
    /// For each voter, the messages (`channel/ts`) they reacted on: a person counts once however
    /// many of the idea's messages they react on, and stops counting only when every one of
    /// those reactions is removed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reactions: BTreeMap<String, BTreeSet<String>>,
    /// The triage card, once posted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
    /// The latest lead's overrule of the verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrule: Option<Overrule>,
    pub created: Timestamp,
    pub updated: Timestamp,
}

/// What a new idea starts from.
#[derive(Debug, Clone)]
pub struct NewIdea {
    pub submitter: String,
    pub source: Source,
    pub origin: Origin,
    pub pitch: String,
    pub judged: Judgement,
    pub track: String,
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
        by: &str,
        reason: Option<String>,
        at: Timestamp,
    ) -> Result<Status, IllegalTransition> {
        let next = self.status.apply(t)?;
        self.history.push(Change {
            at,
            by: by.to_string(),
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
    pub fn record(&mut self, edit: Edit, by: &str, reason: Option<String>, at: Timestamp) {
        self.history.push(Change {
            at,
            by: by.to_string(),
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
    pub fn react(&mut self, user: &str, message: &str, on: bool) -> bool {
        if user == self.submitter {
            return false;
        }
        let changed = if on {
            self.reactions
                .entry(user.to_string())
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
            self.voters.insert(user.to_string())
        } else {
            self.voters.remove(user)
        };
        changed || voters_changed
    }

    /// Takes this idea's votes away (it is a duplicate), to add them to the original.
    pub fn take_votes(&mut self) -> (BTreeSet<String>, BTreeMap<String, BTreeSet<String>>) {
        (
            std::mem::take(&mut self.voters),
            std::mem::take(&mut self.reactions),
        )
    }

    /// Adds a duplicate's votes; someone who voted for both counts once, and the submitter's
    /// own votes do not count. Returns how many people were added.
    pub fn merge_votes(
        &mut self,
        voters: BTreeSet<String>,
        reactions: BTreeMap<String, BTreeSet<String>>,
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
    fn idea_ids_parse_in_the_forms_people_type() {
        for s in ["IDEA-12", "idea-12", "#12", " 12 "] {
            assert_eq!(s.parse::<IdeaId>(), Ok(IdeaId(12)), "{s}");
        }
        assert!("IDEA-".parse::<IdeaId>().is_err());
        assert!("twelve".parse::<IdeaId>().is_err());
        assert_eq!(IdeaId(7).to_string(), "IDEA-7");
    }

    #[test]
    fn legal_and_illegal_transitions() {
        use Status::*;
        use Transition as T;
        let of = IdeaId(1);
        assert_eq!(Draft.apply(T::File), Ok(New));
        assert_eq!(New.apply(T::StartReview), Ok(InReview));
        assert_eq!(InReview.apply(T::Accept), Ok(Accepted));
        assert_eq!(New.apply(T::MarkDuplicate { of }), Ok(Duplicate { of }));
        assert_eq!(Declined.apply(T::Reopen), Ok(InReview));
        assert!(Draft.apply(T::Accept).is_err());
        assert!(Accepted.apply(T::Withdraw).is_err());
        assert!(Withdrawn.apply(T::Reopen).is_err());
        assert!(New.apply(T::File).is_err());
        let err = Accepted.apply(T::Decline).unwrap_err();
        assert_eq!(err.to_string(), "An accepted idea can't be declined.");
    }

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
}
