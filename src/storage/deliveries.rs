//! De-duplication of Slack deliveries. Slack retries an event it thinks went unanswered, so each
//! delivery key (an event id) is remembered until an expiry time; a repeat within that time is
//! recognised. Keys are marked in the same transaction that keeps their delivery in the inbox
//! (`inbox`), which is what settles two handlers of the same retry at once. Entries are
//! `key -> expiry` in microseconds; purging swaps from the value read, so a key renewed meanwhile
//! stays.

use super::keys::{self, micros};
use super::{Store, StoreError};
use jiff::Timestamp;
use std::time::Duration;

impl Store {
    /// Forgets deliveries whose expiry has passed; returns how many were removed.
    pub fn purge_deliveries(&self, now: Timestamp) -> Result<usize, StoreError> {
        let now_us = micros(now);
        let tree = &self.inner.deliveries;
        let mut removed = 0;
        for entry in tree.iter() {
            let (key, seen) = entry?;
            // An unreadable expiry is as good as expired: the worst case is one reprocessed retry.
            if expiry_of(&seen).is_some_and(|until| until > now_us) {
                continue;
            }
            // Swapping from the value just read keeps a delivery renewed meanwhile.
            if tree
                .compare_and_swap(&key, Some(&seen), None::<&[u8]>)?
                .is_ok()
            {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// A de-duplication entry's value: when it stops counting.
pub(super) struct Seen;

impl Seen {
    /// The entry for a key seen at `now_us` and remembered for `ttl`.
    pub(super) fn until(now_us: i64, ttl: Duration) -> [u8; 8] {
        let ttl_us = i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX);
        keys::time_bytes(now_us.saturating_add(ttl_us))
    }
}

pub(super) fn expiry_of(value: &[u8]) -> Option<i64> {
    keys::time_from_bytes(value)
}
