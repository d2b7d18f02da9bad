//! The byte layout of the store: tree names, and how ids, times and index entries become sled
//! keys. Every key is built so that sled's byte order is the order the product reads in, which
//! turns "newest first" into a reverse range scan instead of a sort.

use crate::domain::{Idea, IdeaId};
use jiff::Timestamp;

pub(super) const IDEAS: &str = "ideas";
pub(super) const BY_TRACK: &str = "idx_track";
pub(super) const BY_STATUS: &str = "idx_status";
pub(super) const BY_SUBMITTER: &str = "idx_submitter";
pub(super) const BY_TIME: &str = "idx_time";
pub(super) const DELIVERIES: &str = "deliveries";
pub(super) const META: &str = "meta";
pub(super) const OUTBOX: &str = "outbox";
pub(super) const DEAD_LETTERS: &str = "dead_letters";
/// Deliveries acknowledged and not yet handled (`inbox`).
pub(super) const INBOX: &str = "inbox";
/// Which weekly digests were queued and posted, by channel and week (`digest`).
pub(super) const DIGEST_MARKS: &str = "digest_marks";

pub(super) const META_SCHEMA: &[u8] = b"schema_version";
/// The highest id ever handed out; ids are never reused, so this only grows.
pub(super) const META_LAST_ID: &[u8] = b"last_id";
/// Before the fingerprint of an imported row, kept with the idea it was filed as, so that a row
/// imported again is not filed twice.
pub(super) const META_IMPORTED: &[u8] = b"imported\0";

/// Separates a variable-length text part of a key from the fixed-width tail.
const SEP: u8 = 0x00;
/// Width of the tail after the separator: created time + id.
const TIME_ID: usize = 16;

pub(super) fn id_key(id: IdeaId) -> [u8; 8] {
    id.number().to_be_bytes()
}

pub(super) fn u64_from(bytes: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(bytes).ok().map(u64::from_be_bytes)
}

pub(super) fn id_from_key(key: &[u8]) -> Option<IdeaId> {
    u64_from(key).map(IdeaId::new)
}

/// The id at the end of any index key: every index ends in the id, which keeps entries unique.
pub(super) fn id_from_index_key(key: &[u8]) -> Option<IdeaId> {
    key.len()
        .checked_sub(8)
        .and_then(|at| id_from_key(&key[at..]))
}

/// Microseconds since the epoch: an i64 covers every time jiff can represent, where nanoseconds
/// would not.
pub(super) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// Flipping the sign bit makes big-endian bytes of an i64 sort like the number.
pub(super) fn time_bytes(us: i64) -> [u8; 8] {
    ((us as u64) ^ (1 << 63)).to_be_bytes()
}

pub(super) fn time_from_bytes(bytes: &[u8]) -> Option<i64> {
    u64_from(bytes).map(|u| (u ^ (1 << 63)) as i64)
}

/// `text 0x00 time id`: one text's entries, oldest to newest.
pub(super) fn text_time_id(text: &str, us: i64, id: IdeaId) -> Vec<u8> {
    let mut k = Vec::with_capacity(text.len() + 1 + TIME_ID);
    k.extend_from_slice(text.as_bytes());
    k.push(SEP);
    k.extend_from_slice(&time_bytes(us));
    k.extend_from_slice(&id_key(id));
    k
}

/// Everything of one text in a `text 0x00 ...` index. A text that itself holds 0x00 can share
/// this prefix with another text; [`text_of`] tells them apart.
pub(super) fn text_prefix(text: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(text.len() + 1);
    k.extend_from_slice(text.as_bytes());
    k.push(SEP);
    k
}

/// One text's entries created at or after `us`, as a key range: from `text 0x00 time` to the
/// end of `text 0x00`. A text that continues with 0x00 sorts inside it; [`text_of`] tells them
/// apart.
pub(super) fn text_since(text: &str, us: i64) -> std::ops::Range<Vec<u8>> {
    let mut start = text_prefix(text);
    let mut end = start.clone();
    if let Some(sep) = end.last_mut() {
        *sep = SEP + 1;
    }
    start.extend_from_slice(&time_bytes(us));
    start..end
}

/// The text part of a `text 0x00 time id` key.
pub(super) fn text_of(key: &[u8]) -> Option<&[u8]> {
    let at = key.len().checked_sub(TIME_ID + 1)?;
    (key[at] == SEP).then(|| &key[..at])
}

/// Created time and id from the tail of a `... time id` key.
pub(super) fn time_id_of(key: &[u8]) -> Option<(i64, IdeaId)> {
    let at = key.len().checked_sub(TIME_ID)?;
    let us = time_from_bytes(&key[at..at + 8])?;
    let id = id_from_key(&key[at + 8..])?;
    Some((us, id))
}

pub(super) fn status_key(status_name: &str, id: IdeaId) -> Vec<u8> {
    let mut k = text_prefix(status_name);
    k.extend_from_slice(&id_key(id));
    k
}

pub(super) fn time_key(us: i64, id: IdeaId) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&time_bytes(us));
    k[8..].copy_from_slice(&id_key(id));
    k
}

/// Which index an entry belongs to. The discriminant is the index's place in the store's array
/// of index trees, shared by writes, reads and the consistency check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    Track = 0,
    Status = 1,
    Submitter = 2,
    Time = 3,
}

impl Index {
    pub(super) const ALL: [Index; 4] = [Index::Track, Index::Status, Index::Submitter, Index::Time];

    pub fn name(self) -> &'static str {
        match self {
            Index::Track => "track",
            Index::Status => "status",
            Index::Submitter => "submitter",
            Index::Time => "created-time",
        }
    }

    pub(super) fn tree_name(self) -> &'static str {
        match self {
            Index::Track => BY_TRACK,
            Index::Status => BY_STATUS,
            Index::Submitter => BY_SUBMITTER,
            Index::Time => BY_TIME,
        }
    }

    /// The one entry this index must hold for `idea`.
    pub(super) fn key_for(self, idea: &Idea) -> Vec<u8> {
        let us = micros(idea.created);
        match self {
            Index::Track => text_time_id(&idea.track, us, idea.id),
            Index::Status => status_key(idea.status().name(), idea.id),
            Index::Submitter => text_time_id(&idea.submitter, us, idea.id),
            Index::Time => time_key(us, idea.id).to_vec(),
        }
    }
}

impl std::fmt::Display for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Lowercase hex, for showing a malformed key to a person.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_texts_range_since_a_time_holds_its_later_entries_only() {
        let range = text_since("ann", 100);
        let id = IdeaId::new(7);
        assert!(range.contains(&text_time_id("ann", 100, id)));
        assert!(range.contains(&text_time_id("ann", i64::MAX, id)));
        assert!(!range.contains(&text_time_id("ann", 99, id)));
        assert!(!range.contains(&text_time_id("anna", 100, id)));
        assert!(!range.contains(&text_time_id("an", 100, id)));
        // A name continuing with 0x00 falls inside; its text tells it apart.
        let other = text_time_id("ann\0x", 100, id);
        assert_eq!(text_of(&other), Some("ann\0x".as_bytes()));
    }

    #[test]
    fn times_sort_like_numbers() {
        let xs = [i64::MIN, -5, -1, 0, 1, 7, i64::MAX];
        for w in xs.windows(2) {
            assert!(time_bytes(w[0]) < time_bytes(w[1]), "{w:?}");
        }
        for x in xs {
            assert_eq!(time_from_bytes(&time_bytes(x)), Some(x));
        }
    }

    #[test]
    fn composite_keys_come_apart_again() {
        let k = text_time_id("ops\0x", -3, IdeaId::new(9));
        assert_eq!(text_of(&k), Some(&b"ops\0x"[..]));
        assert_eq!(time_id_of(&k), Some((-3, IdeaId::new(9))));
        assert_eq!(id_from_index_key(&k), Some(IdeaId::new(9)));
        assert!(k.starts_with(&text_prefix("ops")));
        assert_ne!(text_of(&k), Some(&b"ops"[..]));
    }
}
