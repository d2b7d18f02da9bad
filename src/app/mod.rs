//! The use cases, free of any transport: submit a pitch, reframe it, file it anyway, withdraw it,
//! list one's ideas; triage by leads, votes and what the App Home shows. Slack (Socket Mode and
//! the HTTP Events API) and the local `chat` console call these same functions and render the same
//! plain replies.

pub mod board;
mod deliveries;
pub mod digest;
mod discussion;
mod drafts;
pub mod home;
pub mod import;
mod notice;
mod reply;
mod similar;
mod submit;
mod triage;
mod votes;
mod webhooks;

pub use crate::storage::{Accepted, Delivery, Pending};
pub use digest::digest_text;
pub use drafts::DraftSweep;
pub use reply::{Action, Reply};
pub use submit::{shorten, Answer, Coaching, FieldNote, Filed, Outcome, Similar, Submission};
pub use triage::{Actor, CardView};

use crate::config::Config;
use crate::domain::{IdeaId, IllegalTransition, Status};
use crate::storage::{Store, StoreError};
use jiff::Timestamp;
use std::sync::Arc;

/// Where "now" comes from: the wall clock in production, a fixed time in tests.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The application: config, store and clock, shared by every surface. Surfaces reach the store
/// only through the use cases here.
#[derive(Clone)]
pub struct App {
    config: Arc<Config>,
    store: Store,
    clock: Clock,
    /// Content words of each track's recent ideas, for similar-idea lookups.
    recent: Arc<similar::RecentIdeas>,
}

impl App {
    pub fn new(config: Arc<Config>, store: Store) -> App {
        App::with_clock(config, store, Arc::new(Timestamp::now))
    }

    pub fn with_clock(config: Arc<Config>, store: Store, clock: Clock) -> App {
        App {
            config,
            store,
            clock,
            recent: Arc::default(),
        }
    }

    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// The configuration the app runs with.
    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// The store, for work on the whole of it that is no use case: export, import, backups, the
    /// ops endpoints' gauges, and tests that look at what was written.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Changes an idea in the store ([`Store::update_telling`]) and keeps the app's own view of
    /// recent ideas (similar-idea lookups) in step. Every change the app makes goes through here.
    /// `f` refuses with its own error, which comes back as it is.
    pub(crate) fn change<E: From<StoreError>>(
        &self,
        id: IdeaId,
        f: impl Fn(&mut crate::domain::Idea) -> Result<Vec<crate::domain::Notice>, E>,
    ) -> Result<crate::domain::Idea, E> {
        // Every change is read for the events outbound webhooks subscribe to; their notices go
        // in the same transaction.
        let idea = self
            .store
            .update_telling(id, |idea| -> Result<Vec<crate::domain::Notice>, E> {
                let before = idea.clone();
                let mut notices = f(idea)?;
                notices.extend(webhooks::webhook_notices(&self.config, Some(&before), idea));
                Ok(notices)
            })
            .map_err(E::from)??;
        self.remember_change(&idea);
        Ok(idea)
    }
}

/// Why a use case refused, in words shown to the person who asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("There's no pitch here yet. Tell me who is affected and what is hard for them today.")]
    EmptyPitch,
    #[error("I can't find {0}.")]
    NotFound(IdeaId),
    #[error("Only the person who pitched {0} can do that.")]
    NotYours(IdeaId),
    #[error("{id} is already {}, so there is nothing to decide.", .status.label().to_lowercase())]
    NotADraft { id: IdeaId, status: Status },
    #[error("That pitch is {length} characters; I take up to {max}. Say who is affected and what is hard for them in a few sentences.")]
    TooLong { length: usize, max: usize },
    #[error("That's {max} pitches from you in the last hour, the most I take. Thank you! Please send the next one a little later.")]
    TooMany { max: usize },
    #[error("{0}")]
    Illegal(#[from] IllegalTransition),
    #[error("Only leads of *{track}* can triage.")]
    NotALead { track: String },
    /// A decision the submitter must hear a reason for, made without one.
    #[error("Say why, so {submitter} knows what to do next.")]
    NeedsReason { submitter: String },
    #[error("{0} can't be a duplicate of itself.")]
    OwnDuplicate(IdeaId),
    #[error("{of} is itself a duplicate of {id}, so {id} can't be a duplicate of it.")]
    DuplicateLoop { id: IdeaId, of: IdeaId },
    #[error("{id} is {}, so it can't be the original; pick an idea that is still open.", .status.label().to_lowercase())]
    NotAnOriginal { id: IdeaId, status: Status },
    #[error("There is no other track to move it to.")]
    NoOtherTrack,
    #[error("{id} is already in *{track}*.")]
    AlreadyInTrack { id: IdeaId, track: String },
    #[error("There is no track '{given}'. Tracks: {known}.")]
    UnknownTrack { given: String, known: String },
    #[error(
        "Something went wrong while saving, so nothing was confirmed. Please try again. ({0})"
    )]
    Store(StoreError),
    #[error("{0}")]
    Schedule(#[from] crate::domain::digest::ScheduleError),
}

impl From<StoreError> for AppError {
    /// An idea the store does not have is one the person can't be given; anything else is the
    /// store's failure.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(id) => AppError::NotFound(id),
            e => AppError::Store(e),
        }
    }
}
