//! The inbox: deliveries the bot acknowledged and has not finished handling.
//!
//! An acknowledgement tells the sender it need not send again, so what it acknowledges must be on
//! disk first. [`Store::accept`] writes the delivery here and marks its key seen (the
//! de-duplication entries, `deliveries`) in one transaction, and returns once both are flushed:
//! the sender may be answered then. The delivery is handled after the answer and leaves the inbox
//! when it is done ([`Store::inbox_done`]); whatever a crash or a stop left in it is handled at
//! the next start ([`Store::inbox`]).
//!
//! Marking the key in the same transaction is what makes a retry safe: before the record is
//! written, a retry finds no mark and is taken afresh; after it, the retry finds the mark and the
//! record is there to be handled. The inbox knows nothing of what a delivery says: it keeps its
//! kind and body as given.

use super::deliveries::{expiry_of, Seen};
use super::keys::{self, micros};
use super::{Store, StoreError};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionalTree,
};
use sled::Transactional;
use std::time::Duration;

/// A delivery as kept in the inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// What the body is, in the transport's words (`event`, say).
    pub kind: String,
    pub body: String,
    pub received: Timestamp,
}

/// The outcome of [`Store::accept`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Kept under this inbox number; the caller handles it, then calls [`Store::inbox_done`].
    New(u64),
    /// Its key was seen within the time to live: it is done or in the inbox already.
    Seen,
}

/// A delivery to accept: its de-duplication key, when it came and how long the key is
/// remembered, and the record.
pub(super) struct Acceptance {
    pub(super) key: String,
    pub(super) now: Timestamp,
    pub(super) ttl: Duration,
    pub(super) delivery: Delivery,
}

/// Marks `a`'s key seen and keeps its delivery, unless the key is live already.
pub(super) fn accept_in(
    deliveries: &TransactionalTree,
    inbox: &TransactionalTree,
    a: &Acceptance,
) -> ConflictableTransactionResult<Accepted, StoreError> {
    let now = micros(a.now);
    if let Some(seen) = deliveries.get(a.key.as_bytes())? {
        if expiry_of(&seen).is_some_and(|until| until > now) {
            return Ok(Accepted::Seen);
        }
    }
    let bytes = serde_json::to_vec(&a.delivery).map_err(|e| {
        ConflictableTransactionError::Abort(StoreError::Inbox(format!(
            "could not encode a delivery: {e}"
        )))
    })?;
    deliveries.insert(a.key.as_bytes(), &Seen::until(now, a.ttl)[..])?;
    let id = inbox.generate_id()?;
    inbox.insert(&id.to_be_bytes(), bytes)?;
    Ok(Accepted::New(id))
}

impl Store {
    /// Keeps `delivery` under the de-duplication `key` (seen at `now`, remembered for `ttl`) and
    /// returns once it is on disk; a key seen within its time to live is [`Accepted::Seen`] and
    /// writes nothing. Exactly one of several concurrent callers with the same key gets
    /// [`Accepted::New`]. Concurrent calls share one transaction and one flush with each other
    /// and with filings.
    pub async fn accept(
        &self,
        key: String,
        now: Timestamp,
        ttl: Duration,
        delivery: Delivery,
    ) -> Result<Accepted, StoreError> {
        self.inner
            .committer
            .accept(Acceptance {
                key,
                now,
                ttl,
                delivery,
            })
            .await
    }

    /// [`Store::accept`] for callers that cannot wait asynchronously: its own transaction and a
    /// flush, on the calling thread.
    pub fn accept_blocking(
        &self,
        key: String,
        now: Timestamp,
        ttl: Duration,
        delivery: Delivery,
    ) -> Result<Accepted, StoreError> {
        let a = Acceptance {
            key,
            now,
            ttl,
            delivery,
        };
        let accepted = (&self.inner.deliveries, &self.inner.trees.inbox)
            .transaction(|(deliveries, inbox)| accept_in(deliveries, inbox, &a))
            .map_err(StoreError::from)?;
        self.inner.log.flush(&self.inner.db)?;
        Ok(accepted)
    }

    /// The delivery under `id` is handled: it leaves the inbox. Not flushed: should it come back
    /// after a crash, it is handled again, which handling must allow for.
    pub fn inbox_done(&self, id: u64) -> Result<(), StoreError> {
        self.inner.trees.inbox.remove(id.to_be_bytes())?;
        Ok(())
    }

    /// The deliveries not yet handled, oldest first. One that does not read back is moved to the
    /// dead letters, where an admin can see it.
    pub fn inbox(&self) -> Result<Vec<(u64, Delivery)>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.trees.inbox.iter() {
            let (key, bytes) = item?;
            let Some(id) = keys::u64_from(&key) else {
                return Err(StoreError::BadKey {
                    tree: keys::INBOX,
                    key: keys::hex(&key),
                });
            };
            match serde_json::from_slice(&bytes) {
                Ok(delivery) => out.push((id, delivery)),
                Err(e) => {
                    let record = serde_json::json!({
                        "inbox": String::from_utf8_lossy(&bytes),
                        "error": format!("unreadable inbox entry: {e}"),
                        "dead_at": Timestamp::now().to_string(),
                    });
                    (&self.inner.trees.inbox, &self.inner.dead_letters)
                        .transaction(|(inbox, dead)| {
                            inbox.remove(&key)?;
                            dead.insert(
                                format!("inbox-{id}").as_bytes(),
                                record.to_string().into_bytes(),
                            )?;
                            Ok::<_, ConflictableTransactionError<StoreError>>(())
                        })
                        .map_err(StoreError::from)?;
                }
            }
        }
        Ok(out)
    }
}
