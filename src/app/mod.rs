//! The use cases, free of any transport: submit a pitch, reframe it, file it anyway, withdraw it,
//! list one's ideas. Slack (Socket Mode and the HTTP Events API) and the local `chat` console call
//! these same functions and render the same plain replies.

mod notice;
mod reply;
mod submit;

pub use reply::{Action, Reply};
pub use submit::{shorten, Coaching, FieldNote, Filed, Outcome, Similar, Submission};

use crate::config::Config;
use crate::domain::{IdeaId, IllegalTransition, Status};
use crate::storage::{Store, StoreError};
use jiff::Timestamp;
use std::sync::Arc;

/// Where "now" comes from: the wall clock in production, a fixed time in tests.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The application: config, store and clock, shared by every surface.
#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub store: Store,
    clock: Clock,
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
        }
    }

    pub fn now(&self) -> Timestamp {
        (self.clock)()
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
    #[error("{0}")]
    Illegal(#[from] IllegalTransition),
    #[error("There is no track '{given}'. Tracks: {known}.")]
    UnknownTrack { given: String, known: String },
    #[error(
        "Something went wrong while saving, so nothing was confirmed. Please try again. ({0})"
    )]
    Store(#[from] StoreError),
}
