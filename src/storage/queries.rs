//! Reading ideas back: one by one through the indexes, page by page for a track, by time range
//! for the digest, and all of them for an export. Every list reads only the index range it
//! needs. A record that cannot be read is reported and skipped, never a reason to fail the
//! whole list: streams yield it as an `Err` and go on, collected lists log it and leave it out.

use super::keys::{self, Index};
use super::{decode, Store, StoreError};
use crate::domain::{Idea, IdeaId, Status};
use jiff::Timestamp;
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

/// Where the next page of a track starts: just before (older than) this entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    created_us: i64,
    id: IdeaId,
}

/// Written as `IDEA-<n>@<microseconds>`, short enough for a Slack button value.
impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.id, self.created_us)
    }
}

impl FromStr for Cursor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{s}' is not a page position");
        let (id, us) = s.split_once('@').ok_or_else(bad)?;
        Ok(Cursor {
            id: id.parse().map_err(|_| bad())?,
            created_us: us.parse().map_err(|_| bad())?,
        })
    }
}

/// A stretch of a longer list, and the list's length.
#[derive(Debug, Default)]
pub struct Slice {
    /// The ideas of the stretch whose records could be read.
    pub ideas: Vec<Idea>,
    /// Where the stretch starts in the list.
    pub offset: usize,
    /// How long the whole list is.
    pub total: usize,
}

/// One page of a track, newest first.
#[derive(Debug, Default)]
pub struct Page {
    pub ideas: Vec<Idea>,
    /// Where the following (older) page starts; `None` on the last page.
    pub next: Option<Cursor>,
    /// Entries of this page whose records could not be read. They count towards the page size,
    /// so a page can hold fewer ideas than asked for and still have a `next`.
    pub skipped: Vec<StoreError>,
}

impl Store {
    /// Up to `limit` ideas of `track`, newest first, starting after `before` (the previous page's
    /// `next`).
    pub fn page_by_track(
        &self,
        track: &str,
        before: Option<Cursor>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let tree = self.index(Index::Track);
        let prefix = keys::text_prefix(track);
        let entries = match before {
            Some(c) => tree.range(prefix..keys::text_time_id(track, c.created_us, c.id)),
            None => tree.scan_prefix(prefix),
        };
        let mut page = Page::default();
        let mut taken = 0;
        let mut last = None;
        for entry in entries.rev() {
            let (key, _) = entry?;
            // Another track whose name continues with 0x00 shares the prefix.
            if keys::text_of(&key) != Some(track.as_bytes()) {
                continue;
            }
            // `text_of` succeeded, so the key is long enough for its time and id.
            let Some((created_us, id)) = keys::time_id_of(&key) else {
                continue;
            };
            if taken == limit {
                page.next = last;
                break;
            }
            taken += 1;
            last = Some(Cursor { created_us, id });
            match self.through_index(Index::Track, id) {
                Ok(Some(idea)) => page.ideas.push(idea),
                Ok(None) => {}
                Err(e @ StoreError::Corrupt { .. }) => page.skipped.push(e),
                Err(e) => return Err(e),
            }
        }
        Ok(page)
    }

    /// Ideas whose status has this name (as in [`Status::name`]; `duplicate` matches every
    /// duplicate), oldest first: the order a triage queue is worked in.
    pub fn by_status(&self, status_name: &str) -> Result<Vec<Idea>, StoreError> {
        let Some(name) = Status::NAMES.iter().find(|n| **n == status_name) else {
            return Err(StoreError::UnknownStatus(status_name.to_string()));
        };
        let entries = self
            .index(Index::Status)
            .scan_prefix(keys::text_prefix(name));
        let mut out = Vec::new();
        for entry in entries {
            let (key, _) = entry?;
            if let Some(id) = keys::id_from_index_key(&key) {
                self.collect(Index::Status, id, &mut out)?;
            }
        }
        Ok(out)
    }

    /// One page of a person's ideas, newest first, and how many they have: the submitter index's
    /// keys give the order and the count, and only the page's records are read.
    pub fn submitted_by(
        &self,
        submitter: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Slice, StoreError> {
        let mut ids = self.ids_of(Index::Submitter, submitter)?;
        ids.reverse();
        self.slice(Index::Submitter, &ids, offset, limit)
    }

    /// A person's drafts, newest first, up to `limit`, and how many they have: read from index
    /// keys (status, then submitter for the order), so only the shown drafts are decoded.
    pub fn drafts_of(&self, submitter: &str, limit: usize) -> Result<Slice, StoreError> {
        let mut drafts = HashSet::new();
        for entry in self
            .index(Index::Status)
            .scan_prefix(keys::text_prefix(Status::Draft.name()))
        {
            let (key, _) = entry?;
            drafts.extend(keys::id_from_index_key(&key));
        }
        let mut ids = self.ids_of(Index::Submitter, submitter)?;
        ids.retain(|id| drafts.contains(id));
        ids.reverse();
        self.slice(Index::Submitter, &ids, 0, limit)
    }

    /// For each `(track, offset)`, one page of the track's ideas waiting for triage (new or in
    /// review), the longest waiting first, and how many wait. Read from index keys (status, then
    /// track for the order), so only the pages' records are decoded however long the queues.
    pub fn waiting(
        &self,
        tracks: &[(&str, usize)],
        limit: usize,
    ) -> Result<Vec<Slice>, StoreError> {
        let mut waiting = HashSet::new();
        for status in [Status::New, Status::InReview] {
            for entry in self
                .index(Index::Status)
                .scan_prefix(keys::text_prefix(status.name()))
            {
                let (key, _) = entry?;
                waiting.extend(keys::id_from_index_key(&key));
            }
        }
        tracks
            .iter()
            .map(|&(track, offset)| {
                let mut ids = self.ids_of(Index::Track, track)?;
                ids.retain(|id| waiting.contains(id));
                self.slice(Index::Track, &ids, offset, limit)
            })
            .collect()
    }

    /// The ids of one text's entries in a `text 0x00 time id` index (track, submitter), oldest
    /// first, from the keys alone.
    fn ids_of(&self, index: Index, text: &str) -> Result<Vec<IdeaId>, StoreError> {
        let mut ids = Vec::new();
        for entry in self.index(index).scan_prefix(keys::text_prefix(text)) {
            let (key, _) = entry?;
            // Another text that continues with 0x00 shares the prefix.
            if keys::text_of(&key) == Some(text.as_bytes()) {
                ids.extend(keys::id_from_index_key(&key));
            }
        }
        Ok(ids)
    }

    /// The records of `ids[offset..offset + limit]`. A stale offset (the list shrank since the
    /// page was shown) gives the last idea rather than nothing.
    fn slice(
        &self,
        index: Index,
        ids: &[IdeaId],
        offset: usize,
        limit: usize,
    ) -> Result<Slice, StoreError> {
        let offset = offset.min(ids.len().saturating_sub(1));
        let mut ideas = Vec::new();
        for &id in ids.iter().skip(offset).take(limit) {
            self.collect(index, id, &mut ideas)?;
        }
        Ok(Slice {
            ideas,
            offset,
            total: ids.len(),
        })
    }

    /// Everything one person has submitted, newest first.
    pub fn by_submitter(&self, submitter: &str) -> Result<Vec<Idea>, StoreError> {
        let mut out = Vec::new();
        for id in self.ids_of(Index::Submitter, submitter)?.into_iter().rev() {
            self.collect(Index::Submitter, id, &mut out)?;
        }
        Ok(out)
    }

    /// Ideas created in `[from, to)`, oldest first, read through the time index so only that
    /// range is touched.
    pub fn created_between(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Iterator<Item = Result<Idea, StoreError>> {
        let (from, to) = (keys::micros(from), keys::micros(to));
        // An empty range rather than sled's panic on a reversed one.
        let to = to.max(from);
        let store = self.clone();
        self.index(Index::Time)
            .range(keys::time_bytes(from)..keys::time_bytes(to))
            .filter_map(move |entry| {
                let key = match entry {
                    Ok((key, _)) => key,
                    Err(e) => return Some(Err(e.into())),
                };
                let Some(id) = keys::id_from_index_key(&key) else {
                    return Some(Err(StoreError::BadKey {
                        tree: keys::BY_TIME,
                        key: keys::hex(&key),
                    }));
                };
                store.through_index(Index::Time, id).transpose()
            })
    }

    /// Every idea by id, streamed (for exports). Unreadable records come out as `Err` and the
    /// stream goes on.
    pub fn ideas(&self) -> impl Iterator<Item = Result<Idea, StoreError>> {
        self.inner.trees.ideas.iter().map(|entry| {
            let (key, value) = entry?;
            match keys::id_from_key(&key) {
                Some(id) => decode(id, &value),
                None => Err(StoreError::BadKey {
                    tree: keys::IDEAS,
                    key: keys::hex(&key),
                }),
            }
        })
    }

    pub(super) fn index(&self, index: Index) -> &sled::Tree {
        &self.inner.trees.indexes[index as usize]
    }

    /// Loads an idea an index entry points at. A missing idea would be a broken invariant (the
    /// transactions rule it out), so it is logged for `check` to explain and left out.
    fn through_index(&self, index: Index, id: IdeaId) -> Result<Option<Idea>, StoreError> {
        let found = self.get(id)?;
        if found.is_none() {
            tracing::warn!(%id, %index, "an index entry points at a missing idea; skipped");
        }
        Ok(found)
    }

    fn collect(&self, index: Index, id: IdeaId, out: &mut Vec<Idea>) -> Result<(), StoreError> {
        match self.through_index(index, id) {
            Ok(Some(idea)) => out.push(idea),
            Ok(None) => {}
            Err(e @ StoreError::Corrupt { .. }) => tracing::warn!(error = %e, "skipped"),
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

/// How many ideas (drafts included) `submitter` created at or after `since`, counting at most
/// `cap`: reads only the submitter index's keys from `since` on, forwards (sled walks a range
/// forwards from one lookup, where backwards it looks up every key again). For the committer's
/// quota check.
pub(super) fn submitted_since(
    by_submitter: &sled::Tree,
    submitter: &str,
    since: Timestamp,
    cap: usize,
) -> Result<usize, StoreError> {
    let mut count = 0;
    for entry in by_submitter.range(keys::text_since(submitter, keys::micros(since))) {
        let (key, _) = entry?;
        // Another name that continues with 0x00 sorts in among this one's keys.
        if keys::text_of(&key) != Some(submitter.as_bytes()) {
            continue;
        }
        count += 1;
        if count >= cap {
            break;
        }
    }
    Ok(count)
}
