//! Triage, in the one vocabulary every surface speaks: what a lead can decide about an idea
//! ([`Decision`]), made of the moves of the status machine ([`Triage`], which an idea's status
//! offers) and their details. The app decides who may make them; Slack only names and draws them.

use super::assessment::Verdict;
use super::ids::IdeaId;
use super::status::{Transition, Triage};

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
    /// The decision the move `t` is when it needs no details; `None` for a duplicate (of which
    /// idea?) and a move (to which track?).
    pub fn of(t: Triage) -> Option<Decision> {
        match t {
            Triage::Reopen => Some(Decision::Reopen),
            Triage::Review => Some(Decision::Review),
            Triage::Accept => Some(Decision::Accept),
            Triage::Park => Some(Decision::Park),
            Triage::Decline => Some(Decision::Decline),
            Triage::AskReframe => Some(Decision::AskReframe),
            Triage::Duplicate | Triage::Move => None,
        }
    }

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

    #[test]
    fn each_move_has_one_name_and_the_decisions_that_need_no_details() {
        for t in Triage::ALL {
            assert_eq!(Triage::from_name(t.name()), Some(t));
            if let Some(d) = Decision::of(t) {
                assert_eq!(d.triage(), Some(t));
            }
        }
        assert_eq!(Decision::of(Triage::Duplicate), None);
        assert_eq!(Decision::of(Triage::Move), None);
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
}
