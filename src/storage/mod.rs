//! The store: the only code in problemfirst that knows sled.
//!
//! It owns the on-disk layout (`keys`): ideas as JSON by id, four indexes (track + created
//! time, status, submitter + created time, created time), the id counter and schema version, the
//! Slack delivery de-duplication entries (`deliveries`) and the deliveries acknowledged but not
//! yet handled (`inbox`). Everything that touches an idea and its index entries happens in one
//! sled transaction, so an index never points at a missing idea and ids are never handed out
//! twice. When a caller must be able to say "filed", [`Store::file`] returns only once the idea
//! is on disk, and [`Store::durable`] waits until earlier writes are; both share one fsync among
//! everyone waiting at that moment, and `file` (like [`Store::accept`]) also shares one
//! transaction (`durability`). The weekly digest's marks have a tree of their own (`digest`).
//! Everything it writes is readable by the bot's user only (`private`).

pub mod backup;
mod check;
mod deliveries;
mod digest;
mod durability;
mod error;
mod inbox;
mod keys;
mod outbox;
pub mod private;
mod queries;
mod triage;
mod tx;

pub use check::{Consistency, Inconsistency};
pub use digest::{DigestMark, MarkState, Queueing};
pub use error::StoreError;
pub use inbox::{Accepted, Delivery};
pub use keys::Index;
pub use outbox::{OutboxStats, Pending, Queued};
pub use queries::{Cursor, Page, Slice};
pub use triage::StatusCounts;

use crate::domain::{Idea, IdeaId, NewIdea, Notice};
use durability::{Committer, Gather, Log};
use keys::{id_key, META_LAST_ID, META_SCHEMA};
use sled::Tree;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tx::Trees;

/// The newest layout this build reads and writes. Raise it with a migration in [`Store::open`].
pub const SCHEMA_VERSION: u64 = 1;

/// A handle on the store; clones share one open database.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.inner.dir)
            .finish()
    }
}

struct Inner {
    dir: PathBuf,
    db: sled::Db,
    log: Arc<Log>,
    trees: Trees,
    deliveries: Tree,
    dead_letters: Tree,
    digest_marks: Tree,
    outbox_signal: Arc<tokio::sync::Notify>,
    committer: Committer,
}

impl Store {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with(dir, Gather::for_this_machine())
    }

    /// [`Store::open`], with the committer gathering its batches as `gather` says.
    fn open_with(dir: &Path, gather: Gather) -> Result<Store, StoreError> {
        let db = open_db(dir)?;
        let meta = db.open_tree(keys::META)?;
        match meta.get(META_SCHEMA)? {
            None => {
                meta.insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes())?;
            }
            Some(v) => {
                let found = keys::u64_from(&v).ok_or(StoreError::BadMeta {
                    what: "schema version",
                })?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::NewerSchema {
                        dir: dir.to_path_buf(),
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                // Older layouts would be migrated here; version 1 is the first.
            }
        }
        let tree = |name: &str| db.open_tree(name);
        let indexes = [
            tree(keys::BY_TRACK)?,
            tree(keys::BY_STATUS)?,
            tree(keys::BY_SUBMITTER)?,
            tree(keys::BY_TIME)?,
        ];
        let ideas = tree(keys::IDEAS)?;
        let deliveries = tree(keys::DELIVERIES)?;
        let dead_letters = tree(keys::DEAD_LETTERS)?;
        let digest_marks = tree(keys::DIGEST_MARKS)?;
        let highest_at_open = highest_id(&ideas)?;
        let trees = Trees {
            ideas,
            indexes,
            meta,
            outbox: tree(keys::OUTBOX)?,
            inbox: tree(keys::INBOX)?,
            deliveries: deliveries.clone(),
            highest_at_open,
        };
        let outbox_signal = Arc::new(tokio::sync::Notify::new());
        let log =
            Arc::new(Log::open(dir).map_err(|e| StoreError::on_open(dir, sled::Error::Io(e)))?);
        let committer = Committer::start(
            db.clone(),
            Arc::clone(&log),
            trees.clone(),
            Arc::clone(&outbox_signal),
            gather,
        )
        .map_err(sled::Error::Io)?;
        Ok(Store {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                db,
                log,
                trees,
                deliveries,
                dead_letters,
                digest_marks,
                outbox_signal,
                committer,
            }),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Files a new idea under the next id and returns once it is on disk, so the caller can say
    /// "filed". Concurrent calls share one transaction and one flush. Dropping the future does
    /// not withdraw the submission.
    pub async fn file(&self, new: NewIdea) -> Result<Idea, StoreError> {
        self.inner.committer.file(new, None, None).await
    }

    /// [`Store::file`], and queues the notices `tell` makes of the filed idea in the same
    /// transaction, so the people owed a message hear back even if the process stops right after.
    /// With a `quota`, a submitter who already created that many ideas since then is refused
    /// ([`StoreError::OverQuota`]) and nothing is written.
    pub async fn file_telling(
        &self,
        new: NewIdea,
        quota: Option<Quota>,
        tell: impl Fn(&Idea) -> Vec<Notice> + Send + 'static,
    ) -> Result<Idea, StoreError> {
        self.inner
            .committer
            .file(new, quota, Some(Box::new(tell)))
            .await
    }

    /// Files a new idea under the next id, at once and on its own. Not yet on disk: see
    /// [`Store::durable`], or use [`Store::file`].
    pub fn create(&self, new: NewIdea) -> Result<Idea, StoreError> {
        self.inner
            .trees
            .transaction(|tx| tx.insert_new(new.clone()))
    }

    /// Files many ideas in one transaction (imports): all get consecutive ids, or none is filed.
    pub fn create_many(&self, news: &[NewIdea]) -> Result<Vec<Idea>, StoreError> {
        self.inner.trees.create_all(news)
    }

    /// Files imported rows, each with its fingerprint (of the row as written), in one
    /// transaction; a row filed before, by this import or an earlier one, is not filed again.
    /// The ideas filed, and how many rows had been.
    pub fn import_many(
        &self,
        rows: &[(NewIdea, [u8; 32])],
    ) -> Result<(Vec<Idea>, usize), StoreError> {
        self.inner.trees.import_all(rows)
    }

    /// Reads, changes and writes back one idea in a transaction, moving its index entries when
    /// its track, status, submitter or created time change. When `f` refuses (returns `Err`),
    /// nothing is written and its error comes back inside `Ok`.
    ///
    /// `f` runs under sled's transaction lock, which every read in the process waits for: it must
    /// be quick and must not use the store itself (that would deadlock). sled may also run it more
    /// than once.
    pub fn update<E>(
        &self,
        id: IdeaId,
        f: impl Fn(&mut Idea) -> Result<(), E>,
    ) -> Result<Result<Idea, E>, StoreError> {
        self.inner.trees.transaction(|tx| tx.change(id, &f))
    }

    pub fn get(&self, id: IdeaId) -> Result<Option<Idea>, StoreError> {
        match self.inner.trees.ideas.get(id_key(id))? {
            Some(bytes) => decode(id, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Waits until everything written before this call is on disk. Concurrent callers share
    /// flushes, so this costs one fsync per batch of writers, not per writer.
    pub async fn durable(&self) -> Result<(), StoreError> {
        self.inner.committer.durable().await
    }

    /// Blocks until everything written so far is on disk, for callers outside async code.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.log.flush(&self.inner.db)?;
        Ok(())
    }

    /// How many ideas have been filed. Ideas are never deleted, so this is the id counter,
    /// read in constant time (sled's own `len` scans the whole tree).
    pub fn len(&self) -> Result<usize, StoreError> {
        let last = self.last_id()?;
        Ok(usize::try_from(last).unwrap_or(usize::MAX))
    }

    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.last_id()? == 0)
    }

    fn last_id(&self) -> Result<u64, StoreError> {
        match self.inner.trees.meta.get(META_LAST_ID)? {
            None => Ok(0),
            Some(v) => keys::u64_from(&v).ok_or(StoreError::BadMeta { what: "id counter" }),
        }
    }
}

/// The highest id among the stored ideas (0 when there are none). Keys that name no id (a
/// damaged store, which `check` reports) are passed over.
fn highest_id(ideas: &Tree) -> Result<u64, StoreError> {
    for key in ideas.iter().keys().rev() {
        if let Some(id) = keys::id_from_key(&key?) {
            return Ok(id.number());
        }
    }
    Ok(0)
}

/// Opens sled, waiting up to about a second for a lock that is being let go. sled releases its
/// file lock only when its background threads have wound down, a moment after the last handle
/// is dropped (spacejam/sled#1234), so a restart within one process would otherwise fail; a lock
/// still held after that is another running problemfirst.
///
/// The folder and what sled keeps in it are made private to the bot's user first (`private`).
fn open_db(dir: &Path) -> Result<sled::Db, StoreError> {
    let private = |e| StoreError::on_open(dir, sled::Error::Io(e));
    private::dir(dir).map_err(private)?;
    let mut pause = Duration::from_millis(5);
    let mut waited = Duration::ZERO;
    loop {
        match sled::Config::new()
            .path(dir)
            .cache_capacity(CACHE_BYTES)
            .open()
        {
            Ok(db) => {
                private::tree(dir).map_err(private)?;
                return Ok(db);
            }
            Err(e) => match StoreError::on_open(dir, e) {
                StoreError::Locked { .. } if waited < LOCK_WAIT => {
                    std::thread::sleep(pause);
                    waited += pause;
                    pause = (pause * 2)
                        .min(LOCK_WAIT.saturating_sub(waited))
                        .max(Duration::from_millis(1));
                }
                e => return Err(e),
            },
        }
    }
}

/// sled's page cache. Its default (1 GiB) lets a busy bot grow to hundreds of megabytes; the
/// bot reads single records and the newest ideas, which a small cache and the operating system's
/// file cache serve. Measured with `cargo bench --bench http_load`: 2 MiB keeps the server under
/// 50 MB under load with no loss of throughput against 16 MiB.
const CACHE_BYTES: u64 = 2 * 1024 * 1024;

/// At most `max` ideas per submitter created at or after `since` (drafts included).
///
/// The committer checks it right before filing, on the thread that files: counted there, it
/// neither waits behind another batch's transaction (every sled read does) nor lets two
/// submissions of one person slip past the limit together.
#[derive(Debug, Clone, Copy)]
pub struct Quota {
    pub since: jiff::Timestamp,
    pub max: usize,
}

/// How long [`open_db`] waits for a lock to be let go.
const LOCK_WAIT: Duration = Duration::from_secs(1);

/// Reads a stored idea; a record that does not parse, or names another id, is `Corrupt`.
fn decode(id: IdeaId, bytes: &[u8]) -> Result<Idea, StoreError> {
    let idea: Idea = serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        id,
        reason: e.to_string(),
    })?;
    if idea.id != id {
        return Err(StoreError::Corrupt {
            id,
            reason: format!("the record is stored as {id} but says it is {}", idea.id),
        });
    }
    Ok(idea)
}
