//! Writing ideas: the trees an idea lives in, and the one-transaction writes that keep an idea,
//! its index entries and the id counter in step.

use super::keys::{self, id_key, Index, META_LAST_ID};
use super::{decode, StoreError};
use crate::domain::{Idea, IdeaId, NewIdea, Notice};
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionalTree,
};
use sled::{Transactional, Tree};

/// The notices a new idea owes, given the idea as filed (with its id).
pub type Tell = Box<dyn Fn(&Idea) -> Vec<Notice> + Send>;

/// The trees every idea write touches. Cheap to clone (sled trees are handles), so the committer
/// thread can hold its own without holding the `Store`.
#[derive(Clone)]
pub(super) struct Trees {
    pub(super) ideas: Tree,
    /// Indexed by `Index as usize`.
    pub(super) indexes: [Tree; 4],
    pub(super) meta: Tree,
    /// Notices owed to people, written with the change that causes them (`outbox`).
    pub(super) outbox: Tree,
    /// Deliveries acknowledged and not yet handled (`inbox`), and the marks of the deliveries
    /// seen (`deliveries`): the committer writes them in its batches too.
    pub(super) inbox: Tree,
    pub(super) deliveries: Tree,
    /// The highest id in `ideas` when the store was opened (see `Tx::insert_new`).
    pub(super) highest_at_open: u64,
}

impl Trees {
    /// Runs `f` over the ideas, indexes and meta trees as one atomic transaction. sled may run
    /// `f` more than once, so it must not have side effects outside the transaction.
    pub(super) fn transaction<T>(
        &self,
        f: impl Fn(&Tx<'_>) -> ConflictableTransactionResult<T, StoreError>,
    ) -> Result<T, StoreError> {
        let [track, status, submitter, time] = &self.indexes;
        (
            &self.ideas,
            track,
            status,
            submitter,
            time,
            &self.meta,
            &self.outbox,
        )
            .transaction(|(ideas, track, status, submitter, time, meta, outbox)| {
                f(&Tx {
                    ideas,
                    indexes: [track, status, submitter, time],
                    meta,
                    outbox,
                    highest_at_open: self.highest_at_open,
                })
            })
            .map_err(StoreError::from)
    }

    pub(super) fn create_all(&self, news: &[NewIdea]) -> Result<Vec<Idea>, StoreError> {
        self.transaction(|tx| news.iter().map(|new| tx.insert_new(new.clone())).collect())
    }

    /// Files imported rows in one transaction, each under its fingerprint: a row whose
    /// fingerprint was filed before (in this call or an earlier one) is not filed again. The
    /// ideas filed, and how many rows were filed before.
    pub(super) fn import_all(
        &self,
        rows: &[(NewIdea, [u8; 32])],
    ) -> Result<(Vec<Idea>, usize), StoreError> {
        self.transaction(|tx| {
            let (mut filed, mut repeated) = (Vec::new(), 0);
            for (new, fingerprint) in rows {
                let key = [super::keys::META_IMPORTED, fingerprint.as_slice()].concat();
                if tx.meta.get(&key)?.is_some() {
                    repeated += 1;
                    continue;
                }
                let idea = tx.insert_new(new.clone())?;
                tx.meta.insert(key, &idea.id.number().to_be_bytes())?;
                filed.push(idea);
            }
            Ok((filed, repeated))
        })
    }

    /// Files independent submissions together: one transaction for all, and only when that
    /// fails, one each, so that one bad submission does not fail the others.
    /// Each new idea may owe notices (its outcome to the submitter, a triage card), queued with
    /// it in the same transaction.
    pub(super) fn create_each(
        &self,
        news: &[(NewIdea, Option<Tell>)],
    ) -> Vec<Result<Idea, StoreError>> {
        let one = |tx: &Tx<'_>, (new, tell): &(NewIdea, Option<Tell>)| {
            let idea = tx.insert_new(new.clone())?;
            for notice in tell.as_ref().map(|t| t(&idea)).unwrap_or_default() {
                tx.enqueue(&notice)?;
            }
            Ok(idea)
        };
        match self.transaction(|tx| {
            news.iter()
                .map(|n| one(tx, n))
                .collect::<Result<Vec<_>, _>>()
        }) {
            Ok(ideas) => ideas.into_iter().map(Ok).collect::<Vec<_>>(),
            Err(_) if news.len() > 1 => news
                .iter()
                .map(|n| self.transaction(|tx| one(tx, n)))
                .collect(),
            Err(e) => vec![Err(e)],
        }
    }
}

/// The trees as seen inside one transaction.
pub(super) struct Tx<'a> {
    pub(super) ideas: &'a TransactionalTree,
    pub(super) indexes: [&'a TransactionalTree; 4],
    pub(super) meta: &'a TransactionalTree,
    pub(super) outbox: &'a TransactionalTree,
    highest_at_open: u64,
}

impl Tx<'_> {
    /// Allocates the next id and writes the idea with its index entries. The counter is read and
    /// bumped inside the transaction, which is what keeps concurrent creates from sharing an id.
    pub(super) fn insert_new(
        &self,
        new: NewIdea,
    ) -> ConflictableTransactionResult<Idea, StoreError> {
        let last = match self.meta.get(META_LAST_ID)? {
            None => 0,
            Some(v) => match keys::u64_from(&v) {
                Some(n) => n,
                None => return abort(StoreError::BadMeta { what: "id counter" }),
            },
        };
        let Some(next) = last.checked_add(1) else {
            return abort(StoreError::BadMeta { what: "id counter" });
        };
        let id = IdeaId::new(next);
        // While the store is open, only this function adds ideas, and it moves the counter past
        // each. So an id above the counter can be taken only if it was taken at open, and this
        // comparison stands in for reading the id.
        if next <= self.highest_at_open {
            return abort(StoreError::CounterBehind { id });
        }
        let idea = Idea::new(id, new);
        self.put(&idea)?;
        for (index, view) in Index::ALL.into_iter().zip(&self.indexes) {
            view.insert(index.key_for(&idea), &[])?;
        }
        self.meta.insert(META_LAST_ID, &next.to_be_bytes())?;
        Ok(idea)
    }

    /// Reads, changes and writes back one idea, moving the index entries that changed.
    pub(super) fn change<E>(
        &self,
        id: IdeaId,
        f: impl Fn(&mut Idea) -> Result<(), E>,
    ) -> ConflictableTransactionResult<Result<Idea, E>, StoreError> {
        let before = match self.ideas.get(id_key(id))? {
            Some(bytes) => decode(id, &bytes).map_err(ConflictableTransactionError::Abort)?,
            None => return abort(StoreError::NotFound(id)),
        };
        let mut after = before.clone();
        if let Err(e) = f(&mut after) {
            return Ok(Err(e));
        }
        if after.id != id {
            return abort(StoreError::IdChanged {
                from: id,
                to: after.id,
            });
        }
        self.put(&after)?;
        for (index, view) in Index::ALL.into_iter().zip(&self.indexes) {
            let (old, new) = (index.key_for(&before), index.key_for(&after));
            if old != new {
                view.remove(old)?;
                view.insert(new, &[])?;
            }
        }
        Ok(Ok(after))
    }

    /// Queues a notice in the outbox, in this transaction.
    pub(super) fn enqueue(&self, notice: &Notice) -> ConflictableTransactionResult<(), StoreError> {
        super::outbox::put(self.outbox, notice)
    }

    /// Writes the idea's record. A record that would not read back (a non-finite number) fails
    /// to encode (`domain::assessment::finite`): an unreadable record is worse than a failed
    /// write the caller hears about.
    fn put(&self, idea: &Idea) -> ConflictableTransactionResult<(), StoreError> {
        let bytes = match serde_json::to_vec(idea) {
            Ok(b) => b,
            Err(source) => {
                return abort(StoreError::Encode {
                    id: idea.id,
                    source,
                })
            }
        };
        self.ideas.insert(&id_key(idea.id), bytes)?;
        Ok(())
    }
}

fn abort<T>(e: StoreError) -> ConflictableTransactionResult<T, StoreError> {
    Err(ConflictableTransactionError::Abort(e))
}
