//! Where an idea stands and how it moves: the status machine. Leads' moves are named by
//! [`Triage`], which a triage card offers by status ([`Status::offered`]); filing and
//! withdrawing are the submitter's. [`Status::allows`] and [`Status::apply`] are the one table of
//! which move is legal from where.

use super::ids::IdeaId;
use serde::{Deserialize, Serialize};
use std::fmt;

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
        let legal = match t {
            T::File => self == Draft,
            T::Withdraw => matches!(self, Draft | New | InReview | Parked),
            T::StartReview => self.allows(Triage::Review),
            T::Accept => self.allows(Triage::Accept),
            T::Park => self.allows(Triage::Park),
            T::Decline => self.allows(Triage::Decline),
            T::MarkDuplicate { .. } => self.allows(Triage::Duplicate),
            T::Reopen => self.allows(Triage::Reopen),
            T::AskReframe => self.allows(Triage::AskReframe),
        };
        if !legal {
            return Err(IllegalTransition {
                from: self,
                done: t.past(),
            });
        }
        Ok(match t {
            T::File => New,
            T::StartReview | T::Reopen => InReview,
            T::Accept => Accepted,
            T::Park => Parked,
            T::Decline => Declined,
            T::MarkDuplicate { of } => Duplicate { of },
            T::Withdraw => Withdrawn,
            // Back to the submitter as a draft, to restate it as a problem.
            T::AskReframe => Draft,
        })
    }

    /// Whether a lead may make `t` on an idea in this status: the triage half of the status
    /// machine, which [`Status::apply`] follows.
    pub fn allows(self, t: Triage) -> bool {
        use Status::*;
        match t {
            Triage::Review => self == New,
            Triage::Accept | Triage::Park | Triage::Decline => matches!(self, New | InReview),
            Triage::Duplicate | Triage::AskReframe => matches!(self, New | InReview | Parked),
            Triage::Reopen => matches!(self, Accepted | Parked | Declined | Duplicate { .. }),
            // A withdrawn idea stays where it is; any other may change track.
            Triage::Move => self != Withdrawn,
        }
    }

    /// [`Status::allows`], with what to tell the lead when not.
    pub fn check(self, t: Triage) -> Result<(), IllegalTransition> {
        if self.allows(t) {
            Ok(())
        } else {
            Err(IllegalTransition {
                from: self,
                done: t.past(),
            })
        }
    }

    /// The moves a triage card offers for an idea in this status, in the order it shows them.
    pub fn offered(self) -> Vec<Triage> {
        Triage::ALL
            .into_iter()
            .filter(|&t| self.allows(t))
            .collect()
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
    /// The lead's move this is; `None` for filing and withdrawing, which submitters do.
    pub fn triage(self) -> Option<Triage> {
        match self {
            Transition::File | Transition::Withdraw => None,
            Transition::StartReview => Some(Triage::Review),
            Transition::Accept => Some(Triage::Accept),
            Transition::Park => Some(Triage::Park),
            Transition::Decline => Some(Triage::Decline),
            Transition::MarkDuplicate { .. } => Some(Triage::Duplicate),
            Transition::Reopen => Some(Triage::Reopen),
            Transition::AskReframe => Some(Triage::AskReframe),
        }
    }

    /// What is done, in the past tense: "filed", "parked".
    fn past(self) -> &'static str {
        match (self, self.triage()) {
            (_, Some(t)) => t.past(),
            (Transition::File, None) => "filed",
            (_, None) => "withdrawn",
        }
    }
}

/// A move an idea's status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: Status,
    /// What could not be done, in the past tense ("parked").
    pub done: &'static str,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = self.from.label().to_lowercase();
        let article = if label.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "An"
        } else {
            "A"
        };
        write!(f, "{article} {label} idea can't be {}.", self.done)
    }
}

impl std::error::Error for IllegalTransition {}

/// A lead's move, named before its details (a reason, the original, the track) are known: what
/// a triage card's buttons offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Triage {
    Reopen,
    Review,
    Accept,
    Park,
    Decline,
    Duplicate,
    Move,
    AskReframe,
}

impl Triage {
    /// Every move, in the order a card shows them.
    pub const ALL: [Triage; 8] = [
        Triage::Reopen,
        Triage::Review,
        Triage::Accept,
        Triage::Park,
        Triage::Decline,
        Triage::Duplicate,
        Triage::Move,
        Triage::AskReframe,
    ];

    /// The move's name in metrics, logs and a form's metadata.
    pub fn name(self) -> &'static str {
        match self {
            Triage::Reopen => "reopen",
            Triage::Review => "review",
            Triage::Accept => "accept",
            Triage::Park => "park",
            Triage::Decline => "decline",
            Triage::Duplicate => "duplicate",
            Triage::Move => "move",
            Triage::AskReframe => "ask_reframe",
        }
    }

    pub fn from_name(name: &str) -> Option<Triage> {
        Triage::ALL.into_iter().find(|t| t.name() == name)
    }

    /// What is done, in the past tense: "parked".
    pub fn past(self) -> &'static str {
        match self {
            Triage::Reopen => "reopened",
            Triage::Review => "put in review",
            Triage::Accept => "accepted",
            Triage::Park => "parked",
            Triage::Decline => "declined",
            Triage::Duplicate => "marked as a duplicate",
            Triage::Move => "moved to another track",
            Triage::AskReframe => "sent back for a reframe",
        }
    }

    /// Moves whose submitter must hear a reason.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Triage::Park | Triage::Decline | Triage::Duplicate | Triage::AskReframe
        )
    }

    /// Moves made only once a small form says why, or which idea or track.
    pub fn needs_form(self) -> bool {
        self.needs_reason() || self == Triage::Move
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_and_illegal_transitions() {
        use Status::*;
        use Transition as T;
        let of = IdeaId::new(1);
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
    fn a_card_offers_the_moves_its_status_allows() {
        use Triage::*;
        let offered = |s: Status| s.offered();
        assert_eq!(
            offered(Status::New),
            [Review, Accept, Park, Decline, Duplicate, Move, AskReframe]
        );
        assert_eq!(
            offered(Status::InReview),
            [Accept, Park, Decline, Duplicate, Move, AskReframe]
        );
        assert_eq!(
            offered(Status::Parked),
            [Reopen, Duplicate, Move, AskReframe]
        );
        for decided in [
            Status::Accepted,
            Status::Declined,
            Status::Duplicate { of: IdeaId::new(1) },
        ] {
            assert_eq!(offered(decided), [Reopen, Move]);
        }
        assert_eq!(offered(Status::Draft), [Move]);
        assert!(offered(Status::Withdrawn).is_empty());
    }
}
