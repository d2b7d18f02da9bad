//! Group commit: many writers share one fsync, and submissions also share one transaction.
//!
//! A writer that asks for durability needs a flush that *started after its write*; a flush
//! already under way may have started before it. So each flush gets a generation number, and a
//! caller waits for generation `started + 1` as read under the lock. One committer thread runs
//! the flushes while anyone is waiting, so however many callers arrive during a flush, they all
//! share the next one.
//!
//! Submissions handed over whole (`Store::file`) are queued for the same thread, which files
//! everything queued in one transaction right before the flush; so are deliveries to keep in the
//! inbox (`Store::accept`), in a transaction of their own in the same batch. A sled transaction costs about
//! as much as a small flush (it rolls sled's IO buffer), and under load the per-transaction
//! writes also make the flush slower, so batching both is what keeps many concurrent
//! submitters fast. For the same reason, before a batch the committer waits a moment for the
//! submitters of the last one (see [`Gather`]); and it is woken only when it waits for work or
//! has gathered its batch, since every wake is a context switch on the handlers' core.
//!
//! The work runs on a thread of its own rather than in a caller's future so that a caller whose
//! future is dropped (a timed-out Slack request) cannot leave the others waiting for a flush
//! nobody finishes. The thread holds the database open; dropping [`Committer`] stops and joins
//! it, so the store's file lock is released when the last `Store` goes.

use super::inbox::{accept_in, Acceptance, Accepted};
use super::tx::Tell;
use super::tx::Trees;
use super::{Quota, StoreError};
use crate::domain::{Idea, NewIdea};
use sled::Transactional;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};

/// Most submissions filed in one transaction, to bound the wait of the first in line.
const MAX_BATCH: usize = 512;
/// How long a batch waits for the submitters of the one before, and for how many of them (see
/// `run`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Gather {
    wait: Duration,
    /// Quarters of the last batch.
    quarters: usize,
}

impl Gather {
    /// With one core, the committer and the request handlers take turns on it: a batch started
    /// early takes the core from the very submitters it could have waited for, so it waits for
    /// all of them.
    const ONE_CORE: Gather = Gather {
        wait: Duration::from_micros(2000),
        quarters: 4,
    };
    /// With more, a batch filed while the next one's submitters are handled runs beside them, so
    /// it waits for most, and not as long.
    const SEVERAL_CORES: Gather = Gather {
        wait: Duration::from_micros(1000),
        quarters: 3,
    };

    pub(super) fn for_this_machine() -> Gather {
        match std::thread::available_parallelism().map(usize::from) {
            Ok(1) => Gather::ONE_CORE,
            _ => Gather::SEVERAL_CORES,
        }
    }
}

type Reply = oneshot::Sender<Result<Idea, StoreError>>;
type AcceptReply = oneshot::Sender<Result<Accepted, StoreError>>;

struct Submission {
    new: NewIdea,
    quota: Option<Quota>,
    tell: Option<Tell>,
}

#[derive(Default)]
struct State {
    /// Generation of the last flush that started.
    started: u64,
    /// Someone waits for generation `started + 1`.
    wanted: bool,
    /// Submissions to file before the next flush.
    queue: Vec<(Submission, Reply)>,
    /// Deliveries to keep in the inbox before the next flush.
    accepts: Vec<(Acceptance, AcceptReply)>,
    stop: bool,
    /// The committer waits for work: the next request wakes it.
    idle: bool,
    /// The committer gathers a batch: it wakes once this many submissions are queued (or at
    /// the end of its wait), not for each one, as each wake costs a context switch.
    gather_to: Option<usize>,
}

impl State {
    /// Whether a request just queued should wake the committer.
    fn wakes(&self) -> bool {
        self.idle || self.stop || self.gather_to.is_some_and(|n| self.queue.len() >= n)
    }
}

/// The outcome of the latest finished flush.
#[derive(Clone)]
struct Done {
    generation: u64,
    failed: Option<sled::Error>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// The outbox's delivery worker, woken when filings queued notices.
    outbox: Arc<tokio::sync::Notify>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update of the state is a single statement or a `take`, so a panic while holding
        // the lock cannot leave it half-written: poisoning carries no meaning here.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// sled's log file, synced after each of sled's flushes. On Linux sled 0.34 flushes its log with
/// `sync_file_range`: the data reaches the device, but the device's write cache is not emptied
/// and a grown file's new size is not recorded, so a power cut could still take what it called
/// flushed (a killed process cannot: the kernel holds it). An `fdatasync` of the log after sled's
/// flush makes "filed" mean on the disk.
pub(super) struct Log(std::fs::File);

impl Log {
    pub(super) fn open(dir: &Path) -> std::io::Result<Log> {
        // sled 0.34 keeps its whole log in one file, `db`, in its directory; it exists once the
        // database is open.
        std::fs::File::open(dir.join("db")).map(Log)
    }

    /// sled's flush, then the log's data synced.
    pub(super) fn flush(&self, db: &sled::Db) -> Result<(), sled::Error> {
        db.flush()?;
        self.0.sync_data().map_err(sled::Error::Io)
    }
}

pub(super) struct Committer {
    shared: Arc<Shared>,
    done: watch::Receiver<Done>,
    thread: Option<JoinHandle<()>>,
}

impl Committer {
    pub(super) fn start(
        db: sled::Db,
        log: Arc<Log>,
        trees: Trees,
        outbox: Arc<tokio::sync::Notify>,
        gather: Gather,
    ) -> std::io::Result<Committer> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            outbox,
        });
        let (tx, done) = watch::channel(Done {
            generation: 0,
            failed: None,
        });
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("problemfirst-commit".into())
            .spawn(move || run(&db, &log, &trees, &for_thread, &tx, gather))?;
        Ok(Committer {
            shared,
            done,
            thread: Some(thread),
        })
    }

    /// Returns once a flush that started after this call began has finished.
    pub(super) async fn durable(&self) -> Result<(), StoreError> {
        let (target, wake) = {
            let mut s = self.shared.lock();
            s.wanted = true;
            (s.started + 1, s.idle)
        };
        if wake {
            self.shared.wake.notify_one();
        }
        self.wait_for(target).await
    }

    /// Files `new` (queueing the notices `tell` makes of it) with whatever else is queued and
    /// returns once it is on disk.
    pub(super) async fn file(
        &self,
        new: NewIdea,
        quota: Option<Quota>,
        tell: Option<Tell>,
    ) -> Result<Idea, StoreError> {
        let (reply, filed) = oneshot::channel();
        let submission = Submission { new, quota, tell };
        let wake = {
            let mut s = self.shared.lock();
            s.queue.push((submission, reply));
            s.wakes()
        };
        if wake {
            self.shared.wake.notify_one();
        }
        filed.await.map_err(|_| StoreError::Stopped)?
    }

    /// Keeps a delivery in the inbox with whatever else is queued and returns once it is on disk.
    pub(super) async fn accept(&self, acceptance: Acceptance) -> Result<Accepted, StoreError> {
        let (reply, accepted) = oneshot::channel();
        let wake = {
            let mut s = self.shared.lock();
            s.accepts.push((acceptance, reply));
            s.idle
        };
        if wake {
            self.shared.wake.notify_one();
        }
        accepted.await.map_err(|_| StoreError::Stopped)?
    }

    async fn wait_for(&self, generation: u64) -> Result<(), StoreError> {
        let mut done = self.done.clone();
        let outcome = done
            .wait_for(|d| d.generation >= generation)
            .await
            .map_err(|_| StoreError::Stopped)?;
        // A later flush than ours also covers our write, so its outcome is ours.
        match &outcome.failed {
            None => Ok(()),
            Some(e) => Err(StoreError::Io(e.clone())),
        }
    }
}

fn run(
    db: &sled::Db,
    log: &Log,
    trees: &Trees,
    shared: &Shared,
    tx: &watch::Sender<Done>,
    gather: Gather,
) {
    let mut last_batch = 0;
    loop {
        let (generation, batch, accepts) = {
            let mut s = shared.lock();
            while !s.wanted && s.queue.is_empty() && s.accepts.is_empty() && !s.stop {
                s.idle = true;
                s = shared.wake.wait(s).unwrap_or_else(|p| p.into_inner());
            }
            s.idle = false;
            // The submitters of a batch come back at about the same time, a few hundred
            // microseconds after they are answered. Filing the first of them alone would cost a
            // whole transaction and flush while the rest queue up behind it, and every flush
            // costs about as much for fewer filings. So, when submissions are queued, wait a
            // moment for most of the last batch's number (all of it on one core: see `Gather`).
            if !s.queue.is_empty() {
                let enough = last_batch * gather.quarters / 4;
                s.gather_to = Some(enough);
                let deadline = Instant::now() + gather.wait;
                while !s.stop && s.queue.len() < enough {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    s = shared
                        .wake
                        .wait_timeout(s, left)
                        .map_or_else(|p| p.into_inner().0, |(s, _)| s);
                }
            }
            s.gather_to = None;
            // Queued submissions were accepted, so they are filed even when stopping; their
            // callers gave up waiting, which does not withdraw them.
            if s.stop && s.queue.is_empty() && s.accepts.is_empty() {
                return;
            }
            let take = s.queue.len().min(MAX_BATCH);
            last_batch = take;
            let batch: Vec<_> = s.queue.drain(..take).collect();
            let take = s.accepts.len().min(MAX_BATCH);
            let accepts: Vec<_> = s.accepts.drain(..take).collect();
            s.wanted = false;
            s.started += 1;
            (s.started, batch, accepts)
        };
        let (news, replies) = within_quota(trees, batch);
        let tells = news.iter().any(|(_, tell)| tell.is_some());
        let started = Instant::now();
        let filed = if news.is_empty() {
            Vec::new()
        } else {
            metrics::histogram!("problemfirst_store_batch_size").record(news.len() as f64);
            trees.create_each(&news)
        };
        let (acceptances, accept_replies): (Vec<_>, Vec<_>) = accepts.into_iter().unzip();
        let accepted = accept_each(trees, &acceptances);
        let flushing = Instant::now();
        let failed = log.flush(db).err();
        metrics::histogram!("problemfirst_store_seconds", "step" => "transaction")
            .record(flushing.duration_since(started).as_secs_f64());
        metrics::histogram!("problemfirst_store_seconds", "step" => "flush")
            .record(flushing.elapsed().as_secs_f64());
        if let Some(e) = &failed {
            tracing::error!(error = %e, "flushing the store failed");
        }
        for (reply, result) in replies.into_iter().zip(filed) {
            let result = match (&failed, result) {
                (Some(e), Ok(idea)) => Err(StoreError::Unconfirmed {
                    id: idea.id,
                    source: e.clone(),
                }),
                (_, result) => result,
            };
            // A caller that stopped waiting has nobody to tell.
            let _ = reply.send(result);
        }
        for (reply, result) in accept_replies.into_iter().zip(accepted) {
            let result = match (&failed, result) {
                (Some(e), Ok(_)) => Err(StoreError::Io(e.clone())),
                (_, result) => result,
            };
            let _ = reply.send(result);
        }
        if tells {
            shared.outbox.notify_one();
        }
        tx.send_replace(Done { generation, failed });
    }
}

/// Keeps deliveries in the inbox: one transaction for all, and only when that fails, one each,
/// so that one bad delivery does not fail the others. Later ones in a batch see the marks of
/// earlier ones, so a delivery queued twice in one batch is kept once.
fn accept_each(trees: &Trees, accepts: &[Acceptance]) -> Vec<Result<Accepted, StoreError>> {
    if accepts.is_empty() {
        return Vec::new();
    }
    let in_one = |chunk: &[Acceptance]| {
        (&trees.deliveries, &trees.inbox)
            .transaction(|(deliveries, inbox)| {
                chunk
                    .iter()
                    .map(|a| accept_in(deliveries, inbox, a))
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(StoreError::from)
    };
    match in_one(accepts) {
        Ok(all) => all.into_iter().map(Ok).collect(),
        Err(_) if accepts.len() > 1 => accepts
            .iter()
            .map(|a| {
                in_one(std::slice::from_ref(a)).and_then(|one| {
                    one.into_iter()
                        .next()
                        .ok_or_else(|| StoreError::Inbox("a delivery went unrecorded".into()))
                })
            })
            .collect(),
        Err(e) => vec![Err(e)],
    }
}

/// Refuses the submissions over their quota (answering them at once) and returns the rest,
/// counting earlier submissions of the same batch too.
fn within_quota(
    trees: &Trees,
    batch: Vec<(Submission, Reply)>,
) -> (Vec<(NewIdea, Option<Tell>)>, Vec<Reply>) {
    let mut news: Vec<(NewIdea, Option<Tell>)> = Vec::with_capacity(batch.len());
    let mut replies = Vec::with_capacity(batch.len());
    for (s, reply) in batch {
        if let Some(quota) = s.quota {
            let earlier = news
                .iter()
                .filter(|(n, _)| n.submitter == s.new.submitter && n.at >= quota.since)
                .count();
            let stored = super::queries::submitted_since(
                &trees.indexes[super::keys::Index::Submitter as usize],
                &s.new.submitter,
                quota.since,
                quota.max,
            );
            let refusal = match stored {
                Ok(n) if n + earlier >= quota.max => Some(StoreError::OverQuota { max: quota.max }),
                Ok(_) => None,
                Err(e) => Some(e),
            };
            if let Some(e) = refusal {
                let _ = reply.send(Err(e));
                continue;
            }
        }
        news.push((s.new, s.tell));
        replies.push(reply);
    }
    (news, replies)
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            // No `durable` or `file` call can be waiting: each borrows the store that owns this
            // committer.
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Gather;
    use crate::domain::{IdeaId, Judgement, NewIdea, Origin, Source, TrackId, UserId, Verdict};
    use crate::storage::Store;
    use std::time::Duration;

    fn new_idea(n: u64) -> NewIdea {
        NewIdea {
            submitter: UserId::parse(&format!("U{n:05}")).expect("a user id"),
            source: Source::Modal,
            origin: Origin::default(),
            pitch: format!("Night-shift nurses walk to the basement for supplies, case {n}."),
            judged: Judgement {
                verdict: Verdict::Problem,
                confidence: 0.8,
                hits: vec![],
                rules_version: "test".into(),
                model_version: "test".into(),
            },
            track: TrackId::parse("ops").expect("a track id"),
            anonymous: false,
            filed: true,
            at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    /// Either way of gathering a batch files every submission once, under ids without gaps:
    /// submitters coming back together (the batches a gather waits for), then one alone after
    /// them (a gather that waits in vain, and ends at its deadline).
    #[test]
    fn either_way_of_gathering_files_every_submission_once() {
        for gather in [Gather::ONE_CORE, Gather::SEVERAL_CORES] {
            let dir = tempfile::TempDir::new().expect("a temp dir");
            let store = Store::open_with(dir.path(), gather).expect("opens");
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            let mut ids: Vec<IdeaId> = rt.block_on(async {
                let submitters: Vec<_> = (0..16u64)
                    .map(|s| {
                        let store = store.clone();
                        tokio::spawn(async move {
                            let mut ids = Vec::new();
                            for n in 0..10 {
                                ids.push(store.file(new_idea(s * 10 + n)).await.map(|i| i.id));
                            }
                            ids
                        })
                    })
                    .collect();
                let mut ids = Vec::new();
                for s in submitters {
                    let filed = tokio::time::timeout(Duration::from_secs(20), s)
                        .await
                        .expect("a submitter was left waiting")
                        .expect("a submitter panicked");
                    ids.extend(filed.into_iter().map(|r| r.expect("filed")));
                }
                let alone =
                    tokio::time::timeout(Duration::from_secs(20), store.file(new_idea(999)))
                        .await
                        .expect("a lone submission was left waiting")
                        .expect("filed");
                ids.push(alone.id);
                ids
            });
            ids.sort();
            let expected: Vec<IdeaId> = (1..=161).map(IdeaId::new).collect();
            assert_eq!(ids, expected, "{gather:?}");
            drop(store);
            let reopened = Store::open(dir.path()).expect("reopens");
            assert_eq!(reopened.len().expect("counts"), 161, "{gather:?}");
        }
    }
}
