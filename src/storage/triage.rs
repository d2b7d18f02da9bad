//! What triage needs besides the ideas themselves:
//!
//! - which bot message belongs to which idea (triage cards and "filed" replies), so a reaction on
//!   one counts as a vote for it (`idea_messages`: `channel 0x00 ts -> id`);
//! - who has opened the App Home, so only their Homes are published again after a change
//!   (`home_seen`: `user -> first time`);
//! - changes that touch two ideas in one transaction (a duplicate's votes moving to the
//!   original);
//! - how many ideas each track holds in each status, counted from index keys alone so a lead's
//!   App Home does not read every idea.

use super::keys::{self, id_key, Index};
use super::{decode, Store, StoreError};
use crate::domain::{Idea, IdeaId, Notice, Status};
use jiff::Timestamp;
use sled::transaction::ConflictableTransactionError;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

const MESSAGES: &str = "idea_messages";
const HOME_SEEN: &str = "home_seen";

/// Ideas of one track by status name ([`Status::name`]).
pub type StatusCounts = BTreeMap<String, BTreeMap<&'static str, usize>>;

fn message_key(channel: &str, ts: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(channel.len() + 1 + ts.len());
    k.extend_from_slice(channel.as_bytes());
    k.push(0);
    k.extend_from_slice(ts.as_bytes());
    k
}

impl Store {
    /// Remembers that the message `ts` in `channel` is about idea `id`.
    pub fn link_message(&self, channel: &str, ts: &str, id: IdeaId) -> Result<(), StoreError> {
        self.inner
            .db
            .open_tree(MESSAGES)?
            .insert(message_key(channel, ts), &id_key(id))?;
        Ok(())
    }

    /// The idea the message `ts` in `channel` is about, if it is one of the bot's idea messages.
    pub fn idea_of_message(&self, channel: &str, ts: &str) -> Result<Option<IdeaId>, StoreError> {
        let found = self
            .inner
            .db
            .open_tree(MESSAGES)?
            .get(message_key(channel, ts))?;
        Ok(found.and_then(|v| keys::id_from_key(&v)))
    }

    /// Records that `user` opened the App Home (the first time is kept).
    pub fn saw_home(&self, user: &str, at: Timestamp) -> Result<(), StoreError> {
        let tree = self.inner.db.open_tree(HOME_SEEN)?;
        let stamp = keys::time_bytes(keys::micros(at));
        // Only the first visit is kept; a later one finds the entry and changes nothing.
        let _ = tree.compare_and_swap(user.as_bytes(), None::<&[u8]>, Some(&stamp[..]))?;
        Ok(())
    }

    /// Whether `user` has ever opened the App Home.
    pub fn has_seen_home(&self, user: &str) -> Result<bool, StoreError> {
        Ok(self
            .inner
            .db
            .open_tree(HOME_SEEN)?
            .contains_key(user.as_bytes())?)
    }

    /// Like [`Store::update_telling`] for two different ideas at once: `f` changes both, and both
    /// changes and the notices it returns are written together or not at all.
    pub fn update_both_telling<E>(
        &self,
        first: IdeaId,
        second: IdeaId,
        f: impl Fn(&mut Idea, &mut Idea) -> Result<Vec<Notice>, E>,
    ) -> Result<Result<(Idea, Idea), E>, StoreError> {
        let notices = RefCell::new(Vec::new());
        let result = self.inner.trees.transaction(|tx| {
            let other = match tx.ideas.get(id_key(second))? {
                Some(bytes) => {
                    decode(second, &bytes).map_err(ConflictableTransactionError::Abort)?
                }
                None => {
                    return Err(ConflictableTransactionError::Abort(StoreError::NotFound(
                        second,
                    )))
                }
            };
            let second_after = RefCell::new(other);
            let changed = tx.change(first, |a| {
                let mut b = second_after.borrow().clone();
                *notices.borrow_mut() = f(a, &mut b)?;
                *second_after.borrow_mut() = b;
                Ok(())
            })?;
            let a = match changed {
                Ok(a) => a,
                Err(e) => return Ok(Err(e)),
            };
            let b = second_after.borrow().clone();
            let written = tx.change(second, |idea| {
                *idea = b.clone();
                Ok::<(), std::convert::Infallible>(())
            })?;
            let Ok(b) = written;
            for notice in notices.borrow().iter() {
                tx.enqueue(notice)?;
            }
            Ok(Ok((a, b)))
        })?;
        if result.is_ok() && !notices.borrow().is_empty() {
            self.inner.outbox_signal.notify_one();
        }
        Ok(result)
    }

    /// How many ideas each track holds in each status, from the track and status index keys
    /// alone (no idea is read).
    pub fn status_counts(&self) -> Result<StatusCounts, StoreError> {
        let mut status_of: HashMap<IdeaId, &'static str> = HashMap::new();
        for entry in self.index(Index::Status).iter() {
            let (key, _) = entry?;
            // `name 0x00 id`
            let Some(at) = key.len().checked_sub(9) else {
                continue;
            };
            let (Some(id), Ok(name)) = (
                keys::id_from_index_key(&key),
                std::str::from_utf8(&key[..at]),
            ) else {
                continue;
            };
            if let Some(name) = Status::NAMES.iter().find(|n| **n == name) {
                status_of.insert(id, name);
            }
        }
        let mut counts = StatusCounts::new();
        for entry in self.index(Index::Track).iter() {
            let (key, _) = entry?;
            let (Some(track), Some(id)) = (keys::text_of(&key), keys::id_from_index_key(&key))
            else {
                continue;
            };
            let Some(status) = status_of.get(&id) else {
                continue;
            };
            *counts
                .entry(String::from_utf8_lossy(track).into_owned())
                .or_default()
                .entry(status)
                .or_default() += 1;
        }
        Ok(counts)
    }
}
