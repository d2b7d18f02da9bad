//! The consistency check: does every idea have exactly the index entries it should, does every
//! index entry point at an idea that matches it, and is the id counter ahead of every id. It
//! streams (two passes, point lookups in between) so it runs on a store of any size without
//! holding the indexes in memory.

use super::keys::{self, Index};
use super::{decode, Store, StoreError};
use crate::domain::IdeaId;

/// What a check found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Consistency {
    /// Idea records read, readable or not.
    pub ideas: u64,
    /// Index entries read across all indexes.
    pub index_entries: u64,
    /// The id counter: how many ideas have ever been filed.
    pub counter: u64,
    pub problems: Vec<Inconsistency>,
}

impl Consistency {
    pub fn is_consistent(&self) -> bool {
        self.problems.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Inconsistency {
    #[error("{id} is unreadable: {reason}")]
    Unreadable { id: IdeaId, reason: String },
    #[error("a key in the {tree} tree is malformed ({key})")]
    BadKey { tree: &'static str, key: String },
    #[error("the store's {what} is unreadable")]
    BadMeta { what: &'static str },
    #[error("{id} is missing from the {index} index")]
    Unindexed { id: IdeaId, index: Index },
    #[error("the {index} index lists {id}, which does not exist")]
    Dangling { id: IdeaId, index: Index },
    #[error("the {index} index has an entry for {id} that does not match it (left from an older version of the idea)")]
    Stale { id: IdeaId, index: Index },
    #[error("{id} is above the id counter ({counter}); a new idea could be given its id")]
    AboveCounter { id: IdeaId, counter: u64 },
    #[error("the id counter says {counter} ideas were filed, but {stored} are stored")]
    CountMismatch { counter: u64, stored: u64 },
}

impl Store {
    /// Checks the store against its invariants. Meant for a quiet store; findings that a
    /// concurrent update could explain are looked at again before being reported.
    pub fn check(&self) -> Result<Consistency, StoreError> {
        let mut report = Consistency::default();
        let counter = match self.last_id() {
            Ok(n) => Some(n),
            Err(StoreError::BadMeta { what }) => {
                report.problems.push(Inconsistency::BadMeta { what });
                None
            }
            Err(e) => return Err(e),
        };
        report.counter = counter.unwrap_or(0);
        self.check_ideas(counter, &mut report)?;
        for index in Index::ALL {
            self.check_index(index, &mut report)?;
        }
        Ok(report)
    }

    /// Every idea is below the counter and has each of its index entries.
    fn check_ideas(
        &self,
        counter: Option<u64>,
        report: &mut Consistency,
    ) -> Result<(), StoreError> {
        let mut stored = 0u64;
        for entry in self.inner.trees.ideas.iter() {
            let (key, value) = entry?;
            report.ideas += 1;
            let Some(id) = keys::id_from_key(&key) else {
                report.problems.push(Inconsistency::BadKey {
                    tree: keys::IDEAS,
                    key: keys::hex(&key),
                });
                continue;
            };
            stored += 1;
            if let Some(counter) = counter.filter(|c| id.number() > *c) {
                report
                    .problems
                    .push(Inconsistency::AboveCounter { id, counter });
            }
            let idea = match decode(id, &value) {
                Ok(idea) => idea,
                Err(e) => {
                    report.problems.push(unreadable(id, e));
                    continue;
                }
            };
            for index in Index::ALL {
                if self.index(index).contains_key(index.key_for(&idea))? {
                    continue;
                }
                // An update between our read and the lookup moves the entry; only a record
                // that still reads the same is a real finding.
                if self.inner.trees.ideas.get(key.as_ref())?.as_deref() == Some(value.as_ref()) {
                    report.problems.push(Inconsistency::Unindexed { id, index });
                }
            }
        }
        if let Some(counter) = counter.filter(|c| *c != stored) {
            report
                .problems
                .push(Inconsistency::CountMismatch { counter, stored });
        }
        Ok(())
    }

    /// Every entry of `index` points at an existing idea and is the entry that idea calls for.
    fn check_index(&self, index: Index, report: &mut Consistency) -> Result<(), StoreError> {
        let tree = self.index(index);
        for entry in tree.iter() {
            let (key, _) = entry?;
            report.index_entries += 1;
            let Some(id) = keys::id_from_index_key(&key) else {
                report.problems.push(Inconsistency::BadKey {
                    tree: index.tree_name(),
                    key: keys::hex(&key),
                });
                continue;
            };
            let Some(value) = self.inner.trees.ideas.get(keys::id_key(id))? else {
                report.problems.push(Inconsistency::Dangling { id, index });
                continue;
            };
            // Unreadable ideas were reported in the first pass.
            let Ok(idea) = decode(id, &value) else {
                continue;
            };
            // A concurrent update removes the old entry; one that is still there is stale.
            if index.key_for(&idea) != key.as_ref() && tree.contains_key(&key)? {
                report.problems.push(Inconsistency::Stale { id, index });
            }
        }
        Ok(())
    }
}

fn unreadable(id: IdeaId, e: StoreError) -> Inconsistency {
    let reason = match e {
        StoreError::Corrupt { reason, .. } => reason,
        other => other.to_string(),
    };
    Inconsistency::Unreadable { id, reason }
}
