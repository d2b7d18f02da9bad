//! The pure heart of problemfirst: pitches, the classifier and its rules, ideas and their life
//! cycle. Nothing here does I/O, knows Slack or knows sled; everything is plain data and
//! functions, tested with tables and properties.

pub mod assessment;
pub mod chatter;
pub mod classifier;
pub mod digest;
pub mod evaluation;
pub mod event;
pub mod features;
pub mod idea;
pub mod ids;
pub mod lexicon;
pub mod model;
pub mod notice;
pub mod openings;
pub mod rules;
pub mod similarity;
pub mod status;
pub mod text;
pub mod training;
pub mod triage;
pub mod wordvec;

pub use assessment::{
    Advice, Assessment, Driver, Element, Hit, Scores, Side, TrackSuggestion, Verdict,
};
pub use classifier::Classifier;
pub use idea::{
    Card, Change, Comment, DraftDue, Edit, Idea, Judgement, NewIdea, Origin, Overrule, Reframe,
    Source,
};
pub use ids::{BadId, ChannelId, IdeaId, MessageTs, TrackId, UserId, WeekStart};
pub use notice::{Audience, Notice};
pub use rules::{RuleError, Rules, RulesSpec};
pub use status::{IllegalTransition, Status, Transition, Triage};
pub use triage::Decision;
