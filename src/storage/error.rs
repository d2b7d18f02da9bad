//! What can go wrong in the store, in words a person running problemfirst can act on.

use crate::domain::IdeaId;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the store in {} was written by a newer problemfirst (schema {found}; this build reads up \
         to {supported}); run the newer problemfirst or point this one at another data directory",
        .dir.display()
    )]
    NewerSchema {
        dir: PathBuf,
        found: u64,
        supported: u64,
    },

    #[error(
        "the store in {} is in use by another running problemfirst; stop that one first, or point \
         this one at another data directory",
        .dir.display()
    )]
    Locked { dir: PathBuf },

    #[error("could not open the store in {}: {source}", .dir.display())]
    Open { dir: PathBuf, source: sled::Error },

    #[error("the stored record for {id} is unreadable: {reason}")]
    Corrupt { id: IdeaId, reason: String },

    #[error("a key in the store's {tree} tree is malformed ({key}); the store may be damaged")]
    BadKey { tree: &'static str, key: String },

    #[error("the store's {what} is unreadable; the store may be damaged")]
    BadMeta { what: &'static str },

    #[error(
        "the store's id counter is behind its ideas ({id} already exists), so no new id can be \
         handed out safely; the store may be damaged"
    )]
    CounterBehind { id: IdeaId },

    #[error("{0} does not exist")]
    NotFound(IdeaId),

    #[error("'{0}' is not a status; use one of: {list}", list = crate::domain::Status::NAMES.join(", "))]
    UnknownStatus(String),

    #[error("an update may not change an idea's id ({from} became {to})")]
    IdChanged { from: IdeaId, to: IdeaId },

    #[error("could not encode {id} for the store: {source}")]
    Encode {
        id: IdeaId,
        source: serde_json::Error,
    },

    #[error("over the quota of {max} ideas per submitter")]
    OverQuota { max: usize },

    #[error(
        "{id} was filed but could not be confirmed on disk ({source}); it may be lost if \
         problemfirst stops now"
    )]
    Unconfirmed { id: IdeaId, source: sled::Error },

    #[error(
        "the store's commit thread has stopped, so nothing can be confirmed as saved; restart \
         problemfirst"
    )]
    Stopped,

    #[error("the outbox: {0}")]
    Outbox(String),
    #[error("the inbox: {0}")]
    Inbox(String),
    #[error("the store failed: {0}")]
    Io(#[from] sled::Error),
}

impl StoreError {
    /// Turns sled's open error into `Locked` when another process holds the store's file lock.
    pub(super) fn on_open(dir: &Path, e: sled::Error) -> StoreError {
        let locked = match &e {
            // sled reports a held lock as an io error of kind Other whose text names the lock
            // (sled 0.34, config.rs `try_lock`); WouldBlock is what flock itself says.
            sled::Error::Io(io) => {
                io.kind() == std::io::ErrorKind::WouldBlock
                    || io.to_string().contains("could not acquire lock")
            }
            _ => false,
        };
        if locked {
            StoreError::Locked {
                dir: dir.to_path_buf(),
            }
        } else {
            StoreError::Open {
                dir: dir.to_path_buf(),
                source: e,
            }
        }
    }
}

impl From<sled::transaction::TransactionError<StoreError>> for StoreError {
    /// A transaction that aborted gives its own reason; one that failed in sled is I/O.
    fn from(e: sled::transaction::TransactionError<StoreError>) -> Self {
        match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => StoreError::Io(e),
        }
    }
}
