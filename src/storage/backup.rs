//! Backups: the whole store written to one file as it was at a single moment, taken while the
//! store is in use, and a store rebuilt from such a file.
//!
//! It owns the backup file format and the two operations on it, [`Store::backup_to`] and
//! [`restore`]. Both work on every sled tree by name, so a tree added to the layout later is
//! backed up and restored without a change here.
//!
//! # One moment, not a smear
//!
//! sled 0.34 has no snapshots, and reading the trees one after another while the bot files ideas
//! could catch an idea without its index entries, or the counter behind an idea. So a backup
//! watches every tree (sled announces each write to a subscriber) while it reads them, and then
//! replays what changed meanwhile over what it read:
//!
//! 1. Subscribe to every tree, then pass through sled's global transaction lock once, so any
//!    write that began before the subscriptions has ended: every later one is announced.
//! 2. Read every tree into a scratch file next to the backup (so a backup needs room for two
//!    copies while it runs). Keys written meanwhile may be read old or new, or not at all.
//! 3. Inside a transaction, under sled's global lock, where no write of any kind is under way,
//!    collect the last announced value of every key written since step 1, and unsubscribe. This
//!    is the moment the backup shows.
//! 4. Write the backup: each tree as read, with every key written since step 1 replaced by its
//!    value at that moment (or left out, if it was removed).
//!
//! A key nobody wrote since step 1 was read as it is at the moment; a key somebody wrote has its
//! last value from the announcements. So the backup is the store at one moment, however busy the
//! store was, and the writers pause only for the two passes through the lock, not for the reads.
//!
//! # File format, version 1
//!
//! All integers are big-endian.
//!
//! ```text
//! header   "PFBACKUP"                  8 bytes, the magic
//!          format version   u32        1
//!          schema version   u64        the store layout (`storage::SCHEMA_VERSION`) it holds
//!          created          i64        microseconds since the Unix epoch
//! records  'T' u32 len, name           a tree starts; the pairs after it belong to it
//!          'P' u32 len, key,
//!              u32 len, value          one key/value pair, in key order
//!          'E' u64 trees, u64 pairs    the end, with the number of trees and pairs written
//! checksum 32 bytes                    SHA-256 of every byte before it
//! ```
//!
//! Trees come in byte order of their names, every tree of the store including sled's default
//! one. A file whose checksum does not match, that ends early or that has anything after its end
//! record is refused whole before anything is written.
//!
//! # Restore
//!
//! [`restore`] refuses a directory that holds anything unless told to replace a store there (and
//! then only a directory that looks like a store, never an arbitrary folder); it opens the target
//! with sled first, so a store in use by a running problemfirst is refused too. It writes every
//! tree, the `meta` tree (schema version and id counter) last, so an interrupted restore leaves a
//! store whose counter is missing, which problemfirst refuses to file into rather than reusing
//! ids; restore again with replace to finish it. Then it opens the result as a [`Store`] and runs
//! the consistency check.

use super::durability::Log;
use super::error::StoreError;
use super::keys::{self, META_LAST_ID, META_SCHEMA};
use super::{open_db, Consistency, Store, SCHEMA_VERSION};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use sled::transaction::ConflictableTransactionError;
use sled::{Event, Subscriber, Tree};
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::future::Future;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;
use std::time::Duration;

/// The newest backup format this build reads and the one it writes.
pub const FORMAT_VERSION: u32 = 1;

const MAGIC: &[u8; 8] = b"PFBACKUP";
const HEADER_LEN: u64 = 8 + 4 + 8 + 8;
const CHECKSUM_LEN: u64 = 32;
const TAG_TREE: u8 = b'T';
const TAG_PAIR: u8 = b'P';
const TAG_END: u8 = b'E';
/// How long the watcher rests when it has caught up with the announcements. Each tree's queue of
/// announcements holds 1024, and a writer waits when it is full, so this stays short.
const WATCH_PAUSE: Duration = Duration::from_millis(1);
/// Pairs written to sled in one batch during a restore.
const BATCH: usize = 10_000;

/// What can go wrong taking or restoring a backup, in words a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("can't write the backup {}: {source}", .path.display())]
    Write { path: PathBuf, source: io::Error },

    #[error("can't read {}: {source}", .path.display())]
    Read { path: PathBuf, source: io::Error },

    #[error("{} is not a problemfirst backup (it does not start with the backup header)", .path.display())]
    NotABackup { path: PathBuf },

    #[error(
        "{} was written by a newer problemfirst (backup format {found}; this build reads up to \
         {supported}); restore it with the newer problemfirst",
        .path.display()
    )]
    NewerFormat {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    #[error(
        "{} holds a store of schema {found}, newer than this build reads ({supported}); restore \
         it with the newer problemfirst",
        .path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: u64,
        supported: u64,
    },

    #[error("{} is damaged or incomplete, so nothing was restored: {reason}", .path.display())]
    Damaged { path: PathBuf, reason: String },

    #[error("the backup could not follow the store's writes: its watcher stopped unexpectedly")]
    Watch,

    #[error(
        "'{name}' can't be a backup's name: use letters, digits, '.', '-' and '_' (at most 100, \
         not starting with '.')"
    )]
    BadName { name: String },

    #[error(
        "{} is not empty; a restore writes a whole store and will not mix it with what is there. \
         Restore into an empty or new directory, or replace the store in it (--force)",
        .dir.display()
    )]
    NotEmpty { dir: PathBuf },

    #[error(
        "{} is not empty and does not look like a problemfirst store, so it is left alone even \
         when asked to replace; restore into an empty or new directory",
        .dir.display()
    )]
    NotAStore { dir: PathBuf },

    #[error("can't prepare {}: {source}", .dir.display())]
    Dir { dir: PathBuf, source: io::Error },

    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sled::Error> for BackupError {
    fn from(e: sled::Error) -> Self {
        BackupError::Store(StoreError::Io(e))
    }
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupSummary {
    /// Trees written, sled's default tree included.
    pub trees: u64,
    /// Key/value pairs written across all trees.
    pub pairs: u64,
    /// The id counter in the backup: how many ideas had been filed.
    pub ideas: u64,
    /// Size of the file.
    pub bytes: u64,
    /// Keys written while the backup read the store, replayed to their value at its moment.
    pub replayed: u64,
}

/// What a restore wrote and what the consistency check found in the result.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreSummary {
    pub trees: u64,
    pub pairs: u64,
    /// The store schema version the backup holds.
    pub schema: u64,
    /// When the backup was taken.
    pub created: Timestamp,
    pub consistency: Consistency,
}

/// The folder in the data directory where [`Store::backup_in_data_dir`] puts backups.
pub const BACKUP_DIR: &str = "backups";

/// Does `dir` hold a sled store (its `conf` and `db` files)?
pub fn looks_like_store(dir: &Path) -> bool {
    dir.join("conf").is_file() && dir.join("db").is_file()
}

impl Store {
    /// Writes the whole store, as it was at one moment, to `path`. The file appears whole or
    /// not at all: it is written next to `path` under another name, made durable, then renamed.
    /// Other handles on the store keep reading and writing meanwhile; see the module docs for
    /// how the moment is pinned down.
    pub fn backup_to(&self, path: &Path) -> Result<BackupSummary, BackupError> {
        let werr = |source| BackupError::Write {
            path: path.to_path_buf(),
            source,
        };
        let (scratch, partial) = (side_path(path, "scan"), side_path(path, "partial"));
        let written = self.write_snapshot(&scratch, &partial).and_then(|summary| {
            fs::rename(&partial, path).map_err(werr)?;
            sync_parent(path).map_err(werr)?;
            Ok(summary)
        });
        // Neither is of use to anyone now; failing to remove one changes nothing.
        let _ = fs::remove_file(&scratch);
        if written.is_err() {
            let _ = fs::remove_file(&partial);
        }
        written
    }

    /// [`Store::backup_to`] a file in the [`BACKUP_DIR`] folder of the data directory, named
    /// `name` or after the time. For requests from outside the process (the admin socket): they
    /// choose at most a plain file name, never where the file goes, so no request can write
    /// over anything but an earlier backup.
    pub fn backup_in_data_dir(
        &self,
        name: Option<&str>,
    ) -> Result<(PathBuf, BackupSummary), BackupError> {
        let name = match name {
            Some(n) if is_plain_name(n) => n.to_string(),
            Some(n) => return Err(BackupError::BadName { name: n.into() }),
            None => format!(
                "problemfirst-{}.pfb",
                Timestamp::now().strftime("%Y%m%dT%H%M%S%.6fZ")
            ),
        };
        let dir = self.dir().join(BACKUP_DIR);
        super::private::dir(&dir).map_err(|source| BackupError::Dir {
            dir: dir.clone(),
            source,
        })?;
        let path = dir.join(name);
        let summary = self.backup_to(&path)?;
        Ok((path, summary))
    }

    /// Steps 1 to 4 of the module docs: `scratch` gets what was read, `out` the backup.
    fn write_snapshot(&self, scratch: &Path, out: &Path) -> Result<BackupSummary, BackupError> {
        let db = &self.inner.db;
        let mut names = db.tree_names();
        names.sort();
        let trees = names
            .iter()
            .map(|name| db.open_tree(name))
            .collect::<Result<Vec<Tree>, _>>()?;
        // Any tree's transaction takes sled's global lock; the default tree always exists.
        let anchor: &Tree = db;
        let watch = Watch::start(&trees, anchor.clone())?;
        through_the_lock(anchor)?;
        let schema = match db.open_tree(keys::META)?.get(META_SCHEMA)? {
            Some(v) => keys::u64_from(&v).ok_or(StoreError::BadMeta {
                what: "schema version",
            })?,
            None => SCHEMA_VERSION,
        };
        let created = Timestamp::now();
        let serr = |source| BackupError::Write {
            path: scratch.to_path_buf(),
            source,
        };
        let mut read = Out::new(
            super::private::create(scratch).map_err(serr)?,
            schema,
            created,
        )
        .map_err(serr)?;
        for (name, tree) in names.iter().zip(&trees) {
            read.tree(name).map_err(serr)?;
            for entry in tree.iter() {
                let (k, v) = entry?;
                read.pair(&k, &v).map_err(serr)?;
            }
        }
        // Read back at once and then removed: it need not reach the disk.
        read.finish(false).map_err(serr)?;
        let changes = watch.stop()?;
        let changes: HashMap<Vec<u8>, Changes> =
            names.iter().map(|n| n.to_vec()).zip(changes).collect();
        replay(scratch, changes, out, schema, created)
    }
}

/// The last value of each key written while a backup read the store; `None` for a removal.
type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Runs an empty transaction: it waits for sled's global lock, so every write under way when it
/// was called (transactional or not) has ended when it returns.
fn through_the_lock(anchor: &Tree) -> Result<(), BackupError> {
    anchor
        .transaction(|_| Ok::<(), ConflictableTransactionError<()>>(()))
        .map_err(|e| match e {
            sled::transaction::TransactionError::Storage(e) => BackupError::from(e),
            // The closure above never aborts.
            sled::transaction::TransactionError::Abort(()) => BackupError::Watch,
        })
}

/// Subscriptions to every tree, drained by a thread of their own while the backup reads: sled
/// makes a writer wait when a subscriber's queue is full, so nobody may leave it unread.
struct Watch {
    anchor: Tree,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<(Vec<Subscriber>, Vec<Changes>)>>,
}

impl Watch {
    fn start(trees: &[Tree], anchor: Tree) -> Result<Watch, BackupError> {
        let mut subscribers: Vec<Subscriber> = trees.iter().map(|t| t.watch_prefix([])).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("problemfirst-backup-watch".into())
            .spawn(move || {
                let mut changes = vec![Changes::new(); subscribers.len()];
                while !stopping.load(Ordering::Acquire) {
                    drain(&mut subscribers, &mut changes);
                    std::thread::sleep(WATCH_PAUSE);
                }
                (subscribers, changes)
            })
            .map_err(|e| BackupError::Store(StoreError::Io(sled::Error::Io(e))))?;
        Ok(Watch {
            anchor,
            stop,
            thread: Some(thread),
        })
    }

    /// Step 3: the changes of every tree, in the order the trees were given, up to now.
    fn stop(mut self) -> Result<Vec<Changes>, BackupError> {
        self.stop_under_lock()
    }

    fn stop_under_lock(&mut self) -> Result<Vec<Changes>, BackupError> {
        let Some(thread) = self.thread.take() else {
            return Err(BackupError::Watch);
        };
        let thread = Mutex::new(Some(thread));
        let result = Mutex::new(None);
        // Under the lock no write is under way: every write so far is announced, and no writer
        // can be waiting on a full queue while the subscriptions are dropped (which would
        // otherwise wait for that writer, and it for them).
        self.anchor
            .transaction(|_| {
                if let Some(thread) = lock(&thread).take() {
                    self.stop.store(true, Ordering::Release);
                    *lock(&result) = Some(thread.join().map(|(mut subscribers, mut changes)| {
                        drain(&mut subscribers, &mut changes);
                        drop(subscribers);
                        changes
                    }));
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(e) => BackupError::from(e),
                sled::transaction::TransactionError::Abort(()) => BackupError::Watch,
            })?;
        let result = result.into_inner().unwrap_or_else(|e| e.into_inner());
        match result {
            Some(Ok(changes)) => Ok(changes),
            // The watcher panicked, or the closure never ran: either way nothing is known.
            _ => Err(BackupError::Watch),
        }
    }
}

impl Drop for Watch {
    /// A backup that failed half-way still unsubscribes the same safe way.
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.stop_under_lock();
        }
    }
}

/// A mutex whose data is a plain value that a panic cannot leave half-written.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Takes every announcement ready now. Polled as a future rather than with
/// `Subscriber::next_timeout`, which in sled 0.34 stalls for good on the announcement of a write
/// that turned out to change nothing.
fn drain(subscribers: &mut [Subscriber], changes: &mut [Changes]) {
    let mut cx = Context::from_waker(Waker::noop());
    for (subscriber, changes) in subscribers.iter_mut().zip(changes.iter_mut()) {
        while let Poll::Ready(Some(event)) = Pin::new(&mut *subscriber).poll(&mut cx) {
            match event {
                Event::Insert { key, value } => changes.insert(key.to_vec(), Some(value.to_vec())),
                Event::Remove { key } => changes.insert(key.to_vec(), None),
            };
        }
    }
}

/// Step 4: the backup at `out`, from what was read (`scratch`, itself a backup file) with every
/// change put over it.
fn replay(
    scratch: &Path,
    mut changes: HashMap<Vec<u8>, Changes>,
    out: &Path,
    schema: u64,
    created: Timestamp,
) -> Result<BackupSummary, BackupError> {
    let werr = |source| BackupError::Write {
        path: out.to_path_buf(),
        source,
    };
    let (_, body) = open_backup(scratch)?;
    let mut records = Records::new(HashingReader::new(body));
    let mut w =
        Out::new(super::private::create(out).map_err(werr)?, schema, created).map_err(werr)?;
    let mut pending = Changes::new();
    let mut replayed = 0u64;
    let mut last: Option<Vec<u8>> = None;
    loop {
        let record = records
            .next_record()
            .map_err(|reason| damaged(scratch, &reason))?;
        match record {
            Some(Record::Tree(name)) => {
                replayed += w.rest(&mut pending).map_err(werr)?;
                pending = changes.remove(&name).unwrap_or_default();
                last = None;
                w.tree(&name).map_err(werr)?;
            }
            Some(Record::Pair(k, v)) => {
                // Changes to keys before this one that were not read (new keys) come first.
                let later = pending.split_off(&k);
                let before = std::mem::replace(&mut pending, later);
                replayed += w.rest(&mut { before }).map_err(werr)?;
                // A key read twice while its node was split is written once.
                if last.as_ref().is_some_and(|l| *l >= k) {
                    continue;
                }
                match pending.remove(&k) {
                    Some(changed) => {
                        replayed += 1;
                        if let Some(value) = changed {
                            w.pair(&k, &value).map_err(werr)?;
                        }
                    }
                    None => w.pair(&k, &v).map_err(werr)?,
                }
                last = Some(k);
            }
            None => break,
        }
    }
    replayed += w.rest(&mut pending).map_err(werr)?;
    let summary = w.finish(true).map_err(werr)?;
    Ok(BackupSummary {
        replayed,
        ..summary
    })
}

/// Rebuilds the store in `dir` from the backup `file`, and runs the consistency check on it.
///
/// The file is verified whole (header, structure, checksum) before `dir` is touched. `dir` must
/// be missing or empty, unless `replace` is set and it holds a store that no running
/// problemfirst has open; that store's contents are then replaced.
pub fn restore(file: &Path, dir: &Path, replace: bool) -> Result<RestoreSummary, BackupError> {
    let header = verify(file)?;
    prepare_dir(dir, replace)?;
    // A store in use is refused here, by its lock, before anything in it changes.
    let db = open_db(dir)?;
    if replace {
        for name in db.tree_names() {
            db.open_tree(&name)?.clear()?;
        }
    }
    let log = Log::open(dir).map_err(sled::Error::Io)?;
    let (trees, pairs) = import(file, &db, &log)?;
    log.flush(&db)?;
    drop(db);
    let store = Store::open(dir)?;
    let consistency = store.check()?;
    Ok(RestoreSummary {
        trees,
        pairs,
        schema: header.schema,
        created: header.created,
        consistency,
    })
}

/// The header of a backup file.
#[derive(Debug, Clone, Copy)]
struct Header {
    schema: u64,
    created: Timestamp,
}

/// Checks a backup file whole: header, structure and checksum. Nothing is kept in memory but
/// the running hash.
fn verify(file: &Path) -> Result<Header, BackupError> {
    let (header, body) = open_backup(file)?;
    let mut reader = Records::new(HashingReader::new(body));
    let mut structure = Ok(());
    loop {
        match reader.next_record() {
            Ok(Some(_)) => continue,
            Ok(None) => break,
            Err(reason) => {
                structure = Err(reason);
                break;
            }
        }
    }
    let mut hashing = reader.into_inner();
    // Hash whatever the parse left unread, so a damaged file is reported by its checksum.
    io::copy(&mut hashing, &mut io::sink()).map_err(|source| BackupError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let (mut rest, digest) = hashing.finish();
    let mut stored = [0u8; CHECKSUM_LEN as usize];
    rest.read_exact(&mut stored)
        .map_err(|source| BackupError::Read {
            path: file.to_path_buf(),
            source,
        })?;
    if digest[..] != stored[..] {
        return Err(damaged(
            file,
            "its checksum does not match its contents (it was cut short or changed after it was \
             written)",
        ));
    }
    structure.map_err(|reason| damaged(file, &reason))?;
    Ok(header)
}

/// Writes every tree of the (already verified) backup into `db`, the meta tree last.
fn import(file: &Path, db: &sled::Db, log: &Log) -> Result<(u64, u64), BackupError> {
    let (_, body) = open_backup(file)?;
    let mut records = Records::new(HashingReader::new(body));
    let mut meta: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut current: Option<(sled::Tree, bool)> = None;
    let mut batch = sled::Batch::default();
    let mut in_batch = 0usize;
    let (mut trees, mut pairs) = (0u64, 0u64);
    let flush = |tree: &Option<(sled::Tree, bool)>,
                 batch: &mut sled::Batch,
                 n: &mut usize|
     -> Result<(), BackupError> {
        if let Some((tree, _)) = tree {
            if *n > 0 {
                tree.apply_batch(std::mem::take(batch))?;
            }
        }
        *n = 0;
        Ok(())
    };
    loop {
        let record = records
            .next_record()
            .map_err(|reason| damaged(file, &reason))?;
        match record {
            Some(Record::Tree(name)) => {
                flush(&current, &mut batch, &mut in_batch)?;
                trees += 1;
                let is_meta = name == keys::META.as_bytes();
                current = Some((db.open_tree(&name)?, is_meta));
            }
            Some(Record::Pair(k, v)) => {
                pairs += 1;
                match &current {
                    Some((_, true)) => meta.push((k, v)),
                    Some((_, false)) => {
                        batch.insert(k, v);
                        in_batch += 1;
                        if in_batch >= BATCH {
                            flush(&current, &mut batch, &mut in_batch)?;
                        }
                    }
                    // `Records` refuses a pair before any tree.
                    None => return Err(damaged(file, "a key/value pair comes before any tree")),
                }
            }
            None => break,
        }
    }
    flush(&current, &mut batch, &mut in_batch)?;
    // Everything else is on disk before the counter, so an interruption (a power cut included:
    // the log's sync, not sled's flush alone) cannot leave a counter that vouches for ideas that
    // are not there.
    log.flush(db)?;
    let meta_tree = db.open_tree(keys::META)?;
    let mut batch = sled::Batch::default();
    for (k, v) in meta {
        batch.insert(k, v);
    }
    meta_tree.apply_batch(batch)?;
    Ok((trees, pairs))
}

/// Opens a backup, reads and checks its header, and returns the body (records only, the
/// checksum after it left to read).
fn open_backup(file: &Path) -> Result<(Header, BufReader<File>), BackupError> {
    let rerr = |source| BackupError::Read {
        path: file.to_path_buf(),
        source,
    };
    let f = File::open(file).map_err(rerr)?;
    let len = f.metadata().map_err(rerr)?.len();
    let mut r = BufReader::new(f);
    let mut magic = [0u8; 8];
    if len == 0 {
        return Err(damaged(file, "it is empty"));
    }
    if len < MAGIC.len() as u64 {
        return Err(BackupError::NotABackup {
            path: file.to_path_buf(),
        });
    }
    r.read_exact(&mut magic).map_err(rerr)?;
    if &magic != MAGIC {
        return Err(BackupError::NotABackup {
            path: file.to_path_buf(),
        });
    }
    if len < HEADER_LEN + CHECKSUM_LEN {
        return Err(damaged(file, "it is too short to hold a backup"));
    }
    let mut word = [0u8; 4];
    r.read_exact(&mut word).map_err(rerr)?;
    let version = u32::from_be_bytes(word);
    if version > FORMAT_VERSION {
        return Err(BackupError::NewerFormat {
            path: file.to_path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version == 0 {
        return Err(damaged(file, "its format version is 0"));
    }
    let mut long = [0u8; 8];
    r.read_exact(&mut long).map_err(rerr)?;
    let schema = u64::from_be_bytes(long);
    if schema > SCHEMA_VERSION {
        return Err(BackupError::NewerSchema {
            path: file.to_path_buf(),
            found: schema,
            supported: SCHEMA_VERSION,
        });
    }
    r.read_exact(&mut long).map_err(rerr)?;
    let created = Timestamp::from_microsecond(i64::from_be_bytes(long))
        .map_err(|_| damaged(file, "its creation time is out of range"))?;
    // The header is part of what the checksum covers: start the hash over from the top.
    r.seek(SeekFrom::Start(0)).map_err(rerr)?;
    Ok((Header { schema, created }, r))
}

fn damaged(file: &Path, reason: &str) -> BackupError {
    BackupError::Damaged {
        path: file.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Makes `dir` ready for a restore: created when missing; refused when it holds anything, unless
/// `replace` is set and it is a store.
fn prepare_dir(dir: &Path, replace: bool) -> Result<(), BackupError> {
    let derr = |source| BackupError::Dir {
        dir: dir.to_path_buf(),
        source,
    };
    match fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_none() {
                return Ok(());
            }
            if !replace {
                return Err(BackupError::NotEmpty {
                    dir: dir.to_path_buf(),
                });
            }
            if !looks_like_store(dir) {
                return Err(BackupError::NotAStore {
                    dir: dir.to_path_buf(),
                });
            }
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => super::private::dir(dir).map_err(derr),
        Err(e) => Err(derr(e)),
    }
}

/// A file name a request may choose: letters, digits, `.`, `-`, `_`; no path, not hidden.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// `dir/.name.what`, a working file next to the target, so the final rename stays on one file
/// system.
fn side_path(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    path.with_file_name(format!(".{name}.{what}"))
}

/// Makes a rename durable: the directory entry lives in the parent directory.
fn sync_parent(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

/// Writes a backup file (header, records, end, checksum) and keeps the running SHA-256 and the
/// counts the end record and the summary need.
struct Out {
    w: BufWriter<File>,
    hash: Sha256,
    bytes: u64,
    trees: u64,
    pairs: u64,
    in_meta: bool,
    ideas: u64,
}

impl Out {
    /// Starts the file with its header.
    fn new(file: File, schema: u64, created: Timestamp) -> io::Result<Out> {
        let mut out = Out {
            w: BufWriter::new(file),
            hash: Sha256::new(),
            bytes: 0,
            trees: 0,
            pairs: 0,
            in_meta: false,
            ideas: 0,
        };
        out.put(MAGIC)?;
        out.put(&FORMAT_VERSION.to_be_bytes())?;
        out.put(&schema.to_be_bytes())?;
        out.put(&created.as_microsecond().to_be_bytes())?;
        Ok(out)
    }

    fn tree(&mut self, name: &[u8]) -> io::Result<()> {
        self.trees += 1;
        self.in_meta = name == keys::META.as_bytes();
        self.put(&[TAG_TREE])?;
        self.put_len_prefixed(name)
    }

    fn pair(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        if self.in_meta && key == META_LAST_ID {
            self.ideas = keys::u64_from(value).unwrap_or(0);
        }
        self.pairs += 1;
        self.put(&[TAG_PAIR])?;
        self.put_len_prefixed(key)?;
        self.put_len_prefixed(value)
    }

    /// Writes every change left in `changes` that sets a value, in key order, and empties it;
    /// returns how many changes there were.
    fn rest(&mut self, changes: &mut Changes) -> io::Result<u64> {
        let n = changes.len() as u64;
        for (key, value) in std::mem::take(changes) {
            if let Some(value) = value {
                self.pair(&key, &value)?;
            }
        }
        Ok(n)
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hash.update(bytes);
        self.bytes += bytes.len() as u64;
        self.w.write_all(bytes)
    }

    fn put_len_prefixed(&mut self, bytes: &[u8]) -> io::Result<()> {
        let len = u32::try_from(bytes.len()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "a key or value is over 4 GiB, more than the backup format holds",
            )
        })?;
        self.put(&len.to_be_bytes())?;
        self.put(bytes)
    }

    /// Writes the end record and the checksum, and makes the file durable when `durable`.
    fn finish(mut self, durable: bool) -> io::Result<BackupSummary> {
        let (trees, pairs) = (self.trees, self.pairs);
        self.put(&[TAG_END])?;
        self.put(&trees.to_be_bytes())?;
        self.put(&pairs.to_be_bytes())?;
        let digest = std::mem::take(&mut self.hash).finalize();
        self.w.write_all(&digest)?;
        self.w.flush()?;
        if durable {
            self.w.get_ref().sync_all()?;
        }
        Ok(BackupSummary {
            trees,
            pairs,
            ideas: self.ideas,
            bytes: self.bytes + CHECKSUM_LEN,
            replayed: 0,
        })
    }
}

/// Reads a backup body, hashing every byte read, and stops where the checksum starts.
struct HashingReader {
    inner: io::Take<BufReader<File>>,
    hash: Sha256,
}

impl HashingReader {
    /// `r` is positioned at the start of the file.
    fn new(r: BufReader<File>) -> HashingReader {
        let len = r.get_ref().metadata().map(|m| m.len()).unwrap_or(0);
        HashingReader {
            inner: r.take(len.saturating_sub(CHECKSUM_LEN)),
            hash: Sha256::new(),
        }
    }

    /// Bytes of the body not read yet.
    fn remaining(&self) -> u64 {
        self.inner.limit()
    }

    /// The reader (now at the checksum) and the hash of the body.
    fn finish(self) -> (BufReader<File>, Vec<u8>) {
        (self.inner.into_inner(), self.hash.finalize().to_vec())
    }
}

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// One record of a backup body.
enum Record {
    Tree(Vec<u8>),
    Pair(Vec<u8>, Vec<u8>),
}

/// Parses records, checking the structure as it goes: errors are reasons a person can read.
struct Records {
    r: HashingReader,
    started: bool,
    in_tree: bool,
    ended: bool,
    trees: u64,
    pairs: u64,
}

impl Records {
    fn new(r: HashingReader) -> Records {
        Records {
            r,
            started: false,
            in_tree: false,
            ended: false,
            trees: 0,
            pairs: 0,
        }
    }

    fn into_inner(self) -> HashingReader {
        self.r
    }

    /// The next tree or pair; `None` after the end record, once the body is known to end there.
    fn next_record(&mut self) -> Result<Option<Record>, String> {
        if self.ended {
            return Ok(None);
        }
        if !self.started {
            let mut header = [0u8; HEADER_LEN as usize];
            self.exact(&mut header)?;
            self.started = true;
        }
        let mut tag = [0u8; 1];
        self.exact(&mut tag)?;
        match tag[0] {
            TAG_TREE => {
                self.trees += 1;
                self.in_tree = true;
                Ok(Some(Record::Tree(self.len_prefixed()?)))
            }
            TAG_PAIR if self.in_tree => {
                self.pairs += 1;
                let k = self.len_prefixed()?;
                let v = self.len_prefixed()?;
                Ok(Some(Record::Pair(k, v)))
            }
            TAG_PAIR => Err("a key/value pair comes before any tree".into()),
            TAG_END => {
                let trees = self.u64()?;
                let pairs = self.u64()?;
                if (trees, pairs) != (self.trees, self.pairs) {
                    return Err(format!(
                        "its end record counts {trees} trees and {pairs} pairs, but it holds {} \
                         and {}",
                        self.trees, self.pairs
                    ));
                }
                if self.r.remaining() != 0 {
                    return Err("there is data after its end record".into());
                }
                self.ended = true;
                Ok(None)
            }
            other => Err(format!("it has an unknown record type (byte {other:#04x})")),
        }
    }

    fn exact(&mut self, buf: &mut [u8]) -> Result<(), String> {
        self.r.read_exact(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                "it ends in the middle of a record (it was cut short)".to_string()
            } else {
                format!("it could not be read: {e}")
            }
        })
    }

    fn u64(&mut self) -> Result<u64, String> {
        let mut b = [0u8; 8];
        self.exact(&mut b)?;
        Ok(u64::from_be_bytes(b))
    }

    fn len_prefixed(&mut self) -> Result<Vec<u8>, String> {
        let mut b = [0u8; 4];
        self.exact(&mut b)?;
        let len = u64::from(u32::from_be_bytes(b));
        // A length past the end of the file is damage; refusing it here keeps a damaged length
        // from asking for gigabytes of memory.
        if len > self.r.remaining() {
            return Err("it ends in the middle of a record (it was cut short)".into());
        }
        let mut v = vec![0u8; len as usize];
        self.exact(&mut v)?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_taken_from_requests() {
        for ok in ["b.pfb", "nightly-2026_01_02.pfb", "x"] {
            assert!(is_plain_name(ok), "{ok}");
        }
        for bad in [
            "",
            ".hidden",
            "../x",
            "a/b",
            "/etc/passwd",
            "..",
            "a b",
            "é.pfb",
        ] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
        assert!(!is_plain_name(&"x".repeat(101)));
    }

    #[test]
    fn partial_file_sits_next_to_the_target() {
        assert_eq!(
            side_path(Path::new("some/dir/b.pfb"), "partial"),
            PathBuf::from("some/dir/.b.pfb.partial")
        );
    }
}
