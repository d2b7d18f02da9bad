//! The outbox: notices the bot owes people, kept until they are delivered.
//!
//! A notice is written in the same sled transaction as the change that causes it (see
//! `Tx::enqueue` and [`Store::update_telling`]), so a filed idea or a decision is never on disk
//! without its message, nor the other way round. Entries are keyed by a sequence number from
//! sled's id generator, so a scan meets them oldest first. Each holds when it was queued, when
//! it is next due, and how many attempts failed. A delivered notice is removed; one that can
//! never be delivered moves to the dead letters with the reason, where an admin can read it.
//!
//! The store wakes the delivery worker ([`Store::outbox_signal`]) whenever something is queued,
//! once the write is on disk or at least in the same process's view of sled.

use super::keys;
use super::{Store, StoreError};
use crate::domain::{Idea, IdeaId, Notice};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionalTree,
};
use sled::Transactional;
use std::sync::Arc;
use tokio::sync::Notify;

/// A notice waiting in the outbox, with its delivery record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queued {
    pub notice: Notice,
    pub queued: Timestamp,
    /// Not to be tried before this time (a retry's backoff, or Slack's `Retry-After`).
    pub due: Timestamp,
    /// Failed attempts so far.
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// An outbox entry as read for delivery: its sequence number and record.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub seq: u64,
    pub entry: Queued,
}

/// How the outbox stands, for metrics and readiness.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OutboxStats {
    pub depth: usize,
    /// When the oldest waiting notice was queued.
    pub oldest: Option<Timestamp>,
    pub dead: usize,
}

/// Writes `notice` under a fresh sequence number inside a transaction on the outbox tree.
pub(super) fn put(
    outbox: &TransactionalTree,
    notice: &Notice,
) -> ConflictableTransactionResult<(), StoreError> {
    let now = Timestamp::now();
    let entry = Queued {
        notice: notice.clone(),
        queued: now,
        due: now,
        attempts: 0,
        last_error: None,
    };
    let bytes = serde_json::to_vec(&entry).map_err(|e| {
        ConflictableTransactionError::Abort(StoreError::Outbox(format!(
            "could not encode a {} notice: {e}",
            notice.kind()
        )))
    })?;
    let seq = outbox.generate_id()?;
    outbox.insert(&seq.to_be_bytes(), bytes)?;
    Ok(())
}

fn decode(seq: u64, bytes: &[u8]) -> Result<Queued, StoreError> {
    serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Outbox(format!("outbox entry {seq} is unreadable: {e}")))
}

fn encode(entry: &Queued) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(entry).map_err(|e| StoreError::Outbox(format!("could not encode: {e}")))
}

impl Store {
    /// Wakes whoever delivers the outbox; notified after every enqueue.
    pub fn outbox_signal(&self) -> Arc<Notify> {
        Arc::clone(&self.inner.outbox_signal)
    }

    /// Queues notices on their own (changes that are not an idea's, such as an App Home refresh).
    pub fn enqueue(&self, notices: &[Notice]) -> Result<(), StoreError> {
        if notices.is_empty() {
            return Ok(());
        }
        self.inner
            .trees
            .outbox
            .transaction(|tx| notices.iter().try_for_each(|n| put(tx, n)))
            .map_err(StoreError::from)?;
        self.inner.outbox_signal.notify_one();
        Ok(())
    }

    /// Like [`Store::update`], and queues the notices `f` returns in the same transaction: the
    /// change and the messages it causes are written together or not at all.
    pub fn update_telling<E>(
        &self,
        id: IdeaId,
        f: impl Fn(&mut Idea) -> Result<Vec<Notice>, E>,
    ) -> Result<Result<Idea, E>, StoreError> {
        // `change` takes `Fn`, as sled may run it more than once; the notices of the run that
        // counts come out through a cell.
        let notices = std::cell::RefCell::new(Vec::new());
        let result = self.inner.trees.transaction(|tx| {
            let changed = tx.change(id, |idea| {
                *notices.borrow_mut() = f(idea)?;
                Ok(())
            })?;
            if changed.is_ok() {
                for notice in notices.borrow().iter() {
                    tx.enqueue(notice)?;
                }
            }
            Ok(changed)
        })?;
        if result.is_ok() && !notices.borrow().is_empty() {
            self.inner.outbox_signal.notify_one();
        }
        Ok(result)
    }

    /// Notices due at `now`, oldest first, at most `limit`; and the earliest due time of the
    /// ones not due yet.
    pub fn outbox_due(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<(Vec<Pending>, Option<Timestamp>), StoreError> {
        let mut due = Vec::new();
        let mut next: Option<Timestamp> = None;
        self.outbox_scan(|pending| {
            if pending.entry.due <= now {
                if due.len() < limit {
                    due.push(pending);
                }
            } else {
                next =
                    Some(next.map_or(pending.entry.due, |n: Timestamp| n.min(pending.entry.due)));
            }
            true
        })?;
        Ok((due, next))
    }

    /// The outbox oldest first, due or not, at most `limit` entries: the delivery worker keeps
    /// each place's notices in order, so a notice waits behind an earlier one for its place that
    /// is not due yet.
    pub fn outbox_queue(&self, limit: usize) -> Result<Vec<Pending>, StoreError> {
        let mut queue = Vec::new();
        self.outbox_scan(|pending| {
            queue.push(pending);
            queue.len() < limit
        })?;
        Ok(queue)
    }

    /// Reads the outbox oldest first into `each` until it returns false. An unreadable entry can
    /// never be delivered, so it goes to the dead letters, where an admin looks.
    fn outbox_scan(&self, mut each: impl FnMut(Pending) -> bool) -> Result<(), StoreError> {
        for item in self.inner.trees.outbox.iter() {
            let (key, bytes) = item?;
            let Some(seq) = keys::u64_from(&key) else {
                return Err(StoreError::BadKey {
                    tree: keys::OUTBOX,
                    key: format!("{key:?}"),
                });
            };
            let entry = match decode(seq, &bytes) {
                Ok(e) => e,
                Err(e) => {
                    self.outbox_dead(seq, &e.to_string())?;
                    continue;
                }
            };
            if !each(Pending { seq, entry }) {
                break;
            }
        }
        Ok(())
    }

    /// The notice was delivered: it leaves the outbox.
    pub fn outbox_delivered(&self, seq: u64) -> Result<(), StoreError> {
        self.inner.trees.outbox.remove(seq.to_be_bytes())?;
        Ok(())
    }

    /// The attempt failed for a passing reason: try again at `due`.
    pub fn outbox_retry(&self, seq: u64, due: Timestamp, error: &str) -> Result<(), StoreError> {
        let tree = &self.inner.trees.outbox;
        let key = seq.to_be_bytes();
        let Some(bytes) = tree.get(key)? else {
            return Ok(());
        };
        let mut entry = decode(seq, &bytes)?;
        entry.attempts = entry.attempts.saturating_add(1);
        entry.due = due;
        entry.last_error = Some(error.to_string());
        tree.insert(key, encode(&entry)?)?;
        Ok(())
    }

    /// The notice can never be delivered: it moves to the dead letters with the reason.
    pub fn outbox_dead(&self, seq: u64, error: &str) -> Result<(), StoreError> {
        let key = seq.to_be_bytes();
        let outbox = &self.inner.trees.outbox;
        let dead = &self.inner.dead_letters;
        (outbox, dead)
            .transaction(|(outbox, dead)| {
                if let Some(bytes) = outbox.remove(&key)? {
                    let mut value = serde_json::from_slice::<serde_json::Value>(&bytes)
                        .unwrap_or_else(|_| {
                            serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned())
                        });
                    let record = serde_json::json!({
                        "entry": value.take(),
                        "error": error,
                        "dead_at": Timestamp::now().to_string(),
                    });
                    dead.insert(&key, record.to_string().into_bytes())?;
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(StoreError::from)
    }

    /// The dead letters, oldest first, as JSON records (`entry`, `error`, `dead_at`).
    pub fn dead_letters(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.dead_letters.iter() {
            let (_, bytes) = item?;
            out.push(
                serde_json::from_slice(&bytes)
                    .unwrap_or_else(|_| serde_json::Value::String("unreadable".into())),
            );
        }
        Ok(out)
    }

    /// Depth, oldest entry and dead letters. Scans the outbox, which is short when Slack is up.
    pub fn outbox_stats(&self) -> Result<OutboxStats, StoreError> {
        let mut stats = OutboxStats {
            dead: self.inner.dead_letters.len(),
            ..OutboxStats::default()
        };
        for item in self.inner.trees.outbox.iter() {
            let (key, bytes) = item?;
            stats.depth += 1;
            let seq = keys::u64_from(&key).unwrap_or_default();
            if let Ok(entry) = decode(seq, &bytes) {
                stats.oldest = Some(stats.oldest.map_or(entry.queued, |o| o.min(entry.queued)));
            }
        }
        Ok(stats)
    }
}
