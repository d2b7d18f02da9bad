//! The weekly digest's side of the store: the marks that say a digest was queued (and then
//! posted) for a channel and week, and the two reads the digest needs besides the week's ideas:
//! recently pitched ideas changed since the week began (where its decisions are), and the
//! triage queue's oldest.
//!
//! A mark is keyed `channel 0x00 week` and written in the same transaction as the digest's
//! notice in the outbox, so "queued" and the message owed are on disk together or not at all:
//! once a mark exists the week's digest is never queued again for that channel, across restarts
//! too. The delivery worker later adds the posted message's timestamp to the mark.

use super::keys::{self, Index};
use super::{Store, StoreError};
use crate::domain::{ChannelId, Idea, MessageTs, Notice, Status, WeekStart};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sled::transaction::ConflictableTransactionError;
use sled::Transactional;
use std::collections::HashSet;

/// The statuses a lead's decision leaves an idea in, as the digest counts them.
const DECIDED: [Status; 3] = [Status::Accepted, Status::Parked, Status::Declined];

/// Where a week's digest for one channel stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkState {
    /// In the outbox, owed to the channel.
    Queued,
    /// Slack accepted it.
    Posted,
}

/// The record that a week's digest went (or is going) to a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestMark {
    pub state: MarkState,
    pub queued_at: Timestamp,
    /// The posted message's timestamp in the channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<MessageTs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posted_at: Option<Timestamp>,
}

/// What asking to queue a digest did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queueing {
    /// Marked and put in the outbox now.
    Queued,
    /// Already marked earlier: nothing was written.
    Already(DigestMark),
}

fn mark_key(channel: &ChannelId, week: WeekStart) -> Vec<u8> {
    let mut k = keys::text_prefix(channel);
    k.extend_from_slice(week.to_string().as_bytes());
    k
}

fn decode_mark(bytes: &[u8]) -> Result<DigestMark, StoreError> {
    serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Outbox(format!("a digest mark is unreadable: {e}")))
}

fn encode_mark(mark: &DigestMark) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(mark)
        .map_err(|e| StoreError::Outbox(format!("could not encode a digest mark: {e}")))
}

impl Store {
    /// Marks the digest of `week` for `channel` as queued and puts its notice in the outbox, in
    /// one transaction, unless it is marked already. Returns once both are on disk, so a crash
    /// right after cannot lose the mark of a digest that may already be on its way to Slack.
    pub fn queue_digest(
        &self,
        channel: &ChannelId,
        week: WeekStart,
        now: Timestamp,
    ) -> Result<Queueing, StoreError> {
        let key = mark_key(channel, week);
        let mark = DigestMark {
            state: MarkState::Queued,
            queued_at: now,
            ts: None,
            posted_at: None,
        };
        let bytes = encode_mark(&mark)?;
        let notice = Notice::Digest {
            channel: channel.clone(),
            week,
        };
        let outcome = (&self.inner.digest_marks, &self.inner.trees.outbox)
            .transaction(|(marks, outbox)| {
                if let Some(existing) = marks.get(&key)? {
                    let existing =
                        decode_mark(&existing).map_err(ConflictableTransactionError::Abort)?;
                    return Ok(Queueing::Already(existing));
                }
                marks.insert(key.as_slice(), bytes.as_slice())?;
                super::outbox::put(outbox, &notice)?;
                Ok(Queueing::Queued)
            })
            .map_err(StoreError::from)?;
        if outcome == Queueing::Queued {
            self.inner.log.flush(&self.inner.db)?;
            self.inner.outbox_signal.notify_one();
        }
        Ok(outcome)
    }

    /// Queues a digest marked earlier but never posted, when its notice is no longer in the
    /// outbox (it became a dead letter: the bot was not in the channel, say). For a person who
    /// fixed the cause and asks again; the scheduler never does this, so a failure is not retried
    /// every hour. A digest that is posted, or still waiting in the outbox, is left as it is.
    pub fn requeue_digest(
        &self,
        channel: &ChannelId,
        week: WeekStart,
        now: Timestamp,
    ) -> Result<Queueing, StoreError> {
        let Some(mark) = self.digest_mark(channel, week)? else {
            return self.queue_digest(channel, week, now);
        };
        if mark.state == MarkState::Posted || self.digest_in_outbox(channel, week)? {
            return Ok(Queueing::Already(mark));
        }
        let key = mark_key(channel, week);
        let notice = Notice::Digest {
            channel: channel.clone(),
            week,
        };
        let again = DigestMark {
            queued_at: now,
            ..mark.clone()
        };
        let bytes = encode_mark(&again)?;
        let outcome = (&self.inner.digest_marks, &self.inner.trees.outbox)
            .transaction(|(marks, outbox)| {
                // Posted meanwhile: nothing to do.
                let current = match marks.get(&key)? {
                    Some(b) => decode_mark(&b).map_err(ConflictableTransactionError::Abort)?,
                    None => mark.clone(),
                };
                if current.state == MarkState::Posted {
                    return Ok(Queueing::Already(current));
                }
                marks.insert(key.as_slice(), bytes.as_slice())?;
                super::outbox::put(outbox, &notice)?;
                Ok(Queueing::Queued)
            })
            .map_err(StoreError::from)?;
        if outcome == Queueing::Queued {
            self.inner.log.flush(&self.inner.db)?;
            self.inner.outbox_signal.notify_one();
        }
        Ok(outcome)
    }

    /// Whether the digest of `week` for `channel` waits in the outbox. Scans the outbox, which is
    /// short when Slack is up.
    pub fn digest_in_outbox(
        &self,
        channel: &ChannelId,
        week: WeekStart,
    ) -> Result<bool, StoreError> {
        for item in self.inner.trees.outbox.iter() {
            let (_, bytes) = item?;
            let Ok(entry) = serde_json::from_slice::<super::Queued>(&bytes) else {
                continue;
            };
            if let Notice::Digest {
                channel: c,
                week: w,
            } = &entry.notice
            {
                if c == channel && *w == week {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// The digest of `week` for `channel` was posted as message `ts`. A mark that is missing
    /// (queued by an older build) is written as posted, so the week is still never posted again.
    pub fn digest_posted(
        &self,
        channel: &ChannelId,
        week: WeekStart,
        ts: &MessageTs,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let key = mark_key(channel, week);
        let mut mark = match self.inner.digest_marks.get(&key)? {
            Some(bytes) => decode_mark(&bytes)?,
            None => DigestMark {
                state: MarkState::Queued,
                queued_at: now,
                ts: None,
                posted_at: None,
            },
        };
        mark.state = MarkState::Posted;
        mark.ts = Some(ts.clone());
        mark.posted_at = Some(now);
        self.inner.digest_marks.insert(key, encode_mark(&mark)?)?;
        Ok(())
    }

    /// The mark of `week`'s digest for `channel`, if it was queued.
    pub fn digest_mark(
        &self,
        channel: &ChannelId,
        week: WeekStart,
    ) -> Result<Option<DigestMark>, StoreError> {
        match self.inner.digest_marks.get(mark_key(channel, week))? {
            Some(bytes) => decode_mark(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Ideas pitched in `[from, to)` that are accepted, parked or declined now and whose record
    /// changed at or after `since`: where the digest finds the week's decisions (on ideas
    /// pitched within its horizon). The created-time index names the pitched ideas; their
    /// records are then read in one pass over their id range (ids are handed out in order, so
    /// they lie close together), and only the last field of each, `updated`, before an idea
    /// unchanged since `since` is passed over. One pass reads each page of records once, which
    /// costs less than looking the decided ones up one by one.
    pub fn decided_since(
        &self,
        from: Timestamp,
        to: Timestamp,
        since: Timestamp,
    ) -> Result<Vec<Idea>, StoreError> {
        let (from, to) = (keys::micros(from), keys::micros(to));
        // An empty range rather than sled's panic on a reversed one.
        let to = to.max(from);
        let mut pitched = HashSet::new();
        for entry in self
            .index(Index::Time)
            .range(keys::time_bytes(from)..keys::time_bytes(to))
        {
            let (key, _) = entry?;
            let id = keys::id_from_index_key(&key).ok_or_else(|| StoreError::BadKey {
                tree: keys::BY_TIME,
                key: keys::hex(&key),
            })?;
            pitched.insert(id);
        }
        let (Some(&lo), Some(&hi)) = (pitched.iter().min(), pitched.iter().max()) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in self
            .inner
            .trees
            .ideas
            .range(keys::id_key(lo)..=keys::id_key(hi))
        {
            let (key, bytes) = entry?;
            // Ideas pitched outside the range (imported with older dates) are left out.
            let Some(id) = keys::id_from_key(&key).filter(|id| pitched.contains(id)) else {
                continue;
            };
            if updated_of(&bytes).is_some_and(|updated| updated < since) {
                continue;
            }
            match super::decode(id, &bytes) {
                Ok(idea) if DECIDED.contains(&idea.status()) => out.push(idea),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "skipped"),
            }
        }
        Ok(out)
    }

    /// The ideas waiting longest for triage (status `new`), oldest first: up to `listed` of
    /// them, and how many wait in all, counted up to `cap` (the flag says the count stopped
    /// there). Only index keys are read past the listed ideas.
    pub fn waiting_for_triage(
        &self,
        listed: usize,
        cap: usize,
    ) -> Result<(Vec<Idea>, usize, bool), StoreError> {
        let entries = self
            .index(Index::Status)
            .scan_prefix(keys::text_prefix(Status::New.name()));
        let mut oldest = Vec::with_capacity(listed);
        let mut count = 0;
        for entry in entries {
            if count == cap {
                return Ok((oldest, count, true));
            }
            count += 1;
            if oldest.len() < listed {
                match self.idea_of_entry(entry) {
                    Some(Ok(idea)) => oldest.push(idea),
                    Some(Err(e @ StoreError::Corrupt { .. })) => {
                        tracing::warn!(error = %e, "skipped")
                    }
                    Some(Err(e)) => return Err(e),
                    None => {}
                }
            } else {
                entry?;
            }
        }
        Ok((oldest, count, false))
    }

    /// The idea an index entry points at (`None` for one that points nowhere, logged).
    fn idea_of_entry(
        &self,
        entry: Result<(sled::IVec, sled::IVec), sled::Error>,
    ) -> Option<Result<Idea, StoreError>> {
        let key = match entry {
            Ok((key, _)) => key,
            Err(e) => return Some(Err(e.into())),
        };
        let Some(id) = keys::id_from_index_key(&key) else {
            return Some(Err(StoreError::BadKey {
                tree: keys::BY_STATUS,
                key: keys::hex(&key),
            }));
        };
        match self.get(id) {
            Ok(Some(idea)) => Some(Ok(idea)),
            Ok(None) => {
                tracing::warn!(%id, "an index entry points at a missing idea; skipped");
                None
            }
            Err(e) => Some(Err(e)),
        }
    }
}

/// The `updated` time of an idea's JSON record, read from its end without parsing the rest;
/// `None` when it is not found there (the caller then reads the whole record). Inside a JSON
/// string every `"` is escaped, so `"updated":"` can only be the field itself; it is written last
/// (`Idea`'s fields are encoded in order), so the search from the end finds it within a few
/// dozen bytes.
fn updated_of(bytes: &[u8]) -> Option<Timestamp> {
    const FIELD: &[u8] = b"\"updated\":\"";
    let start = bytes.windows(FIELD.len()).rposition(|w| w == FIELD)? + FIELD.len();
    let len = bytes[start..].iter().position(|&b| b == b'"')?;
    std::str::from_utf8(&bytes[start..start + len])
        .ok()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_updated_time_is_read_from_the_end_of_a_record() {
        let record = br#"{"id":"IDEA-1","pitch":"say \"updated\":\"1999-01-01T00:00:00Z\"","updated":"2026-03-04T05:06:07Z"}"#;
        assert_eq!(updated_of(record), "2026-03-04T05:06:07Z".parse().ok());
        assert_eq!(updated_of(br#"{"id":"IDEA-1"}"#), None);
        assert_eq!(updated_of(br#"{"updated":"not a time"}"#), None);
    }
}
