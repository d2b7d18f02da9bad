//! Triage, in the one vocabulary every surface speaks: what a lead can decide about an idea
//! ([`Decision`]), the same named before its details are known ([`Triage`]: the buttons of a
//! triage card), and which of them an idea's status allows ([`Status::offered`], next to the
//! status machine it follows). The app decides who may make them; Slack only names and draws them.
//!
//! [`Status::offered`]: super::Status::offered

use super::{IdeaId, Transition, Verdict};

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

    /// The decision this move is when it needs no details; `None` for a duplicate (of which
    /// idea?) and a move (to which track?).
    pub fn decision(self) -> Option<Decision> {
        match self {
            Triage::Reopen => Some(Decision::Reopen),
            Triage::Review => Some(Decision::Review),
            Triage::Accept => Some(Decision::Accept),
            Triage::Park => Some(Decision::Park),
            Triage::Decline => Some(Decision::Decline),
            Triage::AskReframe => Some(Decision::AskReframe),
            Triage::Duplicate | Triage::Move => None,
        }
    }
}

/// What a lead decides about an idea.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Review,
    Accept,
    Park,
    Decline,
    /// The same idea as `of`, which keeps its votes.
    Duplicate {
        of: IdeaId,
    },
    /// Back into review after a decision.
    Reopen,
    /// Back to the submitter as a draft, to restate it as a problem.
    AskReframe,
    /// Into another track, named by id or name.
    Move {
        track: String,
    },
    /// The classifier's verdict is wrong: it is this. Not a move: any idea can be overruled.
    Overrule {
        verdict: Verdict,
    },
}

impl Decision {
    /// The move this decision makes; `None` for an overrule.
    pub fn triage(&self) -> Option<Triage> {
        Some(match self {
            Decision::Review => Triage::Review,
            Decision::Accept => Triage::Accept,
            Decision::Park => Triage::Park,
            Decision::Decline => Triage::Decline,
            Decision::Duplicate { .. } => Triage::Duplicate,
            Decision::Reopen => Triage::Reopen,
            Decision::AskReframe => Triage::AskReframe,
            Decision::Move { .. } => Triage::Move,
            Decision::Overrule { .. } => return None,
        })
    }

    /// A short name for metrics and logs.
    pub fn name(&self) -> &'static str {
        self.triage().map_or("overrule", Triage::name)
    }

    /// Decisions the submitter must hear a reason for.
    pub fn needs_reason(&self) -> bool {
        self.triage().is_some_and(Triage::needs_reason)
    }

    /// The status move this decision makes, if it makes one.
    pub fn transition(&self) -> Option<Transition> {
        match self {
            Decision::Review => Some(Transition::StartReview),
            Decision::Accept => Some(Transition::Accept),
            Decision::Park => Some(Transition::Park),
            Decision::Decline => Some(Transition::Decline),
            Decision::Duplicate { of } => Some(Transition::MarkDuplicate { of: *of }),
            Decision::Reopen => Some(Transition::Reopen),
            Decision::AskReframe => Some(Transition::AskReframe),
            Decision::Move { .. } | Decision::Overrule { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;

    #[test]
    fn each_move_has_one_name_and_the_decisions_that_need_no_details() {
        for t in Triage::ALL {
            assert_eq!(Triage::from_name(t.name()), Some(t));
            if let Some(d) = t.decision() {
                assert_eq!(d.triage(), Some(t));
            }
        }
        assert_eq!(Triage::Duplicate.decision(), None);
        assert_eq!(Triage::Move.decision(), None);
        assert!(Triage::Decline.needs_form() && !Triage::Accept.needs_form());
        assert!(Triage::Move.needs_form() && !Triage::Move.needs_reason());
        assert_eq!(
            Decision::Overrule {
                verdict: Verdict::Tech
            }
            .name(),
            "overrule"
        );
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
