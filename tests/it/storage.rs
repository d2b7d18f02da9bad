//! The store against a real sled database in a temporary directory.

use crate::support::ids;

use jiff::{SignedDuration, Timestamp};
use problemfirst::domain::{
    IdeaId, IllegalTransition, Judgement, NewIdea, Origin, Source, Status, Transition, Verdict,
};
use problemfirst::storage::{Accepted, Cursor, Delivery, Inconsistency, Store, StoreError};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;
use tempfile::TempDir;

// The on-disk names the tests tamper with directly, as the store lays them out.
const IDEAS_TREE: &str = "ideas";
const META_TREE: &str = "meta";
const SCHEMA_KEY: &str = "schema_version";
const LAST_ID_KEY: &str = "last_id";

fn t0() -> Timestamp {
    Timestamp::from_second(1_700_000_000).unwrap()
}

fn minutes(n: i64) -> Timestamp {
    t0() + SignedDuration::from_mins(n)
}

fn new_idea(track: &str, submitter: &str, at: Timestamp) -> NewIdea {
    NewIdea {
        submitter: ids::user(submitter),
        source: Source::Slash,
        origin: Origin::default(),
        pitch: format!("{submitter} keeps losing time on {track}"),
        judged: Judgement {
            verdict: Verdict::Problem,
            confidence: 0.8,
            hits: vec![],
            rules_version: "test".into(),
            model_version: "test".into(),
        },
        track: ids::track(track),
        anonymous: false,
        filed: true,
        at,
    }
}

/// Keeps an event delivery under `key` at `now` (blocking); true when it was new.
fn keep(store: &Store, key: &str, now: Timestamp, ttl: Duration) -> bool {
    let delivery = Delivery {
        kind: "event".into(),
        body: format!("{{\"event_id\":\"{key}\"}}"),
        received: now,
    };
    match store
        .accept_blocking(key.into(), now, ttl, delivery)
        .unwrap()
    {
        Accepted::New(_) => true,
        Accepted::Seen => false,
    }
}

fn open(dir: &TempDir) -> Store {
    Store::open(dir.path()).unwrap()
}

fn assert_consistent(store: &Store) {
    let report = store.check().unwrap();
    assert!(report.is_consistent(), "{:#?}", report.problems);
}

fn ids(ideas: &[problemfirst::domain::Idea]) -> Vec<u64> {
    ideas.iter().map(|i| i.id.number()).collect()
}

fn apply(
    t: Transition,
) -> impl Fn(&mut problemfirst::domain::Idea) -> Result<(), IllegalTransition> {
    move |idea| {
        idea.apply(t, &ids::user("lead"), None, minutes(1000))
            .map(|_| ())
    }
}

#[test]
fn creates_updates_and_moves_keep_the_indexes_consistent() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let tracks = ["ops", "sales", "field"];
    for n in 0..18 {
        let idea = store
            .create(new_idea(
                tracks[n % 3],
                &format!("U{}", n % 4),
                minutes(n as i64),
            ))
            .unwrap();
        assert_eq!(idea.id, IdeaId::new(n as u64 + 1));
    }
    assert_consistent(&store);

    // Move a track, walk statuses, mark a duplicate.
    let moved = store
        .update(IdeaId::new(1), |i| {
            i.track = ids::track("sales");
            Ok::<_, IllegalTransition>(())
        })
        .unwrap()
        .unwrap();
    assert_eq!(moved.track, "sales");
    store
        .update(IdeaId::new(2), apply(Transition::StartReview))
        .unwrap()
        .unwrap();
    store
        .update(IdeaId::new(2), apply(Transition::Accept))
        .unwrap()
        .unwrap();
    let of = IdeaId::new(2);
    store
        .update(IdeaId::new(3), apply(Transition::MarkDuplicate { of }))
        .unwrap()
        .unwrap();
    store
        .update(IdeaId::new(4), apply(Transition::Withdraw))
        .unwrap()
        .unwrap();

    // A refused update writes nothing.
    let refused = store
        .update(IdeaId::new(2), apply(Transition::File))
        .unwrap();
    assert!(refused.is_err());
    assert_eq!(
        store.get(IdeaId::new(2)).unwrap().unwrap().status(),
        Status::Accepted
    );

    assert!(matches!(
        store.update(IdeaId::new(99), apply(Transition::Accept)),
        Err(StoreError::NotFound(id)) if id == IdeaId::new(99)
    ));
    assert!(matches!(
        store.update(IdeaId::new(5), |i| {
            i.id = IdeaId::new(6);
            Ok::<_, IllegalTransition>(())
        }),
        Err(StoreError::IdChanged { .. })
    ));

    let report = store.check().unwrap();
    assert!(report.is_consistent(), "{:#?}", report.problems);
    assert_eq!(
        (report.ideas, report.index_entries, report.counter),
        (18, 72, 18)
    );
    assert_eq!(store.len().unwrap(), 18);

    assert_eq!(ids(&store.by_status("accepted").unwrap()), [2]);
    let dup = store.by_status("duplicate").unwrap();
    assert_eq!(ids(&dup), [3]);
    assert_eq!(dup[0].status(), Status::Duplicate { of });
    assert_eq!(ids(&store.by_status("withdrawn").unwrap()), [4]);
    assert_eq!(store.by_status("new").unwrap().len(), 15);
    assert!(store.by_status("in_review").unwrap().is_empty());
    let err = store.by_status("nope").unwrap_err();
    assert!(matches!(err, StoreError::UnknownStatus(_)));
    assert!(err.to_string().contains("in_review"), "{err}");

    let ops = store.page_by_track("ops", None, 100).unwrap();
    assert!(!ids(&ops.ideas).contains(&1));
    let sales = store.page_by_track("sales", None, 100).unwrap();
    assert_eq!(
        *ids(&sales.ideas).last().unwrap(),
        1,
        "moved idea keeps its created time"
    );

    // U0 submitted 0, 4, 8, 12, 16 (ids 1, 5, 9, 13, 17).
    assert_eq!(ids(&store.by_submitter("U0").unwrap()), [17, 13, 9, 5, 1]);
    assert!(store.by_submitter("U").unwrap().is_empty());
}

#[test]
fn reopening_keeps_everything_and_never_reuses_ids() {
    let dir = TempDir::new().unwrap();
    let before: Vec<_> = {
        let store = open(&dir);
        for n in 0..5 {
            store.create(new_idea("ops", "U1", minutes(n))).unwrap();
        }
        store
            .update(IdeaId::new(5), apply(Transition::Park))
            .unwrap()
            .unwrap();
        assert!(keep(&store, "Ev1", t0(), Duration::from_secs(60)));
        store.flush().unwrap();
        store.ideas().collect::<Result<_, _>>().unwrap()
    };

    let store = open(&dir);
    let after: Vec<_> = store.ideas().collect::<Result<_, _>>().unwrap();
    assert_eq!(before, after);
    assert_eq!(store.len().unwrap(), 5);
    assert!(!keep(&store, "Ev1", t0(), Duration::from_secs(60)));
    // What was kept is still there to be handled.
    let kept = store.inbox().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].1.body, r#"{"event_id":"Ev1"}"#);
    assert_eq!(
        store.create(new_idea("ops", "U1", minutes(9))).unwrap().id,
        IdeaId::new(6)
    );
    assert_consistent(&store);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_get_unique_gap_free_ids() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let tasks: Vec<_> = (0..32)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                for n in 0..10 {
                    let at = minutes(task * 10 + n);
                    got.push(
                        store
                            .create(new_idea("ops", &format!("U{task}"), at))
                            .unwrap()
                            .id,
                    );
                    store.durable().await.unwrap();
                }
                got
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let expected: Vec<_> = (1..=320).map(IdeaId::new).collect();
    assert_eq!(all, expected);
    assert_consistent(&store);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_filing_shares_commits_and_isolates_a_bad_submission() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let tasks: Vec<_> = (0..32)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                for n in 0..10 {
                    let mut new = new_idea("ops", &format!("U{task}"), minutes(task * 10 + n));
                    if task == 7 && n == 3 {
                        new.judged.confidence = f32::NAN;
                    }
                    got.push(store.file(new).await);
                }
                got
            })
        })
        .collect();
    let mut filed = Vec::new();
    let mut refused = 0;
    for t in tasks {
        for r in t.await.unwrap() {
            match r {
                Ok(idea) => filed.push(idea.id),
                Err(StoreError::Encode { .. }) => refused += 1,
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert_eq!(refused, 1);
    filed.sort();
    assert_eq!(filed, (1..=319).map(IdeaId::new).collect::<Vec<_>>());
    assert_consistent(&store);
    drop(store);
    assert_eq!(open(&dir).len().unwrap(), 319);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_survives_callers_that_give_up() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    for n in 0..20 {
        store.create(new_idea("ops", "U1", minutes(n))).unwrap();
        // A caller whose request timed out drops its wait half way.
        let _ = tokio::time::timeout(Duration::from_micros(1), store.durable()).await;
    }
    let waits: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.durable().await })
        })
        .collect();
    for w in waits {
        tokio::time::timeout(Duration::from_secs(10), w)
            .await
            .expect("durable() hung")
            .unwrap()
            .unwrap();
    }
    store.flush().unwrap();
}

#[test]
fn a_counter_behind_the_stored_ideas_refuses_new_ids() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    for n in 0..3 {
        store.create(new_idea("ops", "U1", minutes(n))).unwrap();
    }
    drop(store);
    tamper(
        dir.path(),
        META_TREE,
        LAST_ID_KEY.as_bytes(),
        &1u64.to_be_bytes(),
    );
    let store = open(&dir);
    let err = store
        .create(new_idea("ops", "U1", minutes(9)))
        .expect_err("an id already in use was handed out");
    assert!(
        matches!(err, StoreError::CounterBehind { id } if id == IdeaId::new(2)),
        "{err}"
    );
    assert_eq!(
        store.get(IdeaId::new(2)).unwrap().unwrap().created,
        minutes(1)
    );
    assert!(!store.check().unwrap().is_consistent());
}

/// sled itself, for writing what the store never would. sled lets go of its file lock a moment
/// after the last handle is dropped, so this waits for it like `Store::open` does.
fn raw(dir: &Path) -> sled::Db {
    for _ in 0..100 {
        if let Ok(db) = sled::open(dir) {
            return db;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    sled::open(dir).unwrap()
}

fn tamper(dir: &Path, tree: &str, key: &[u8], value: &[u8]) {
    let db = raw(dir);
    db.open_tree(tree).unwrap().insert(key, value).unwrap();
    db.flush().unwrap();
}

#[test]
fn a_store_from_a_newer_schema_refuses_to_open() {
    let dir = TempDir::new().unwrap();
    drop(open(&dir));
    tamper(
        dir.path(),
        META_TREE,
        SCHEMA_KEY.as_bytes(),
        &3u64.to_be_bytes(),
    );
    let err = Store::open(dir.path()).expect_err("opened a newer store");
    assert!(matches!(
        err,
        StoreError::NewerSchema {
            found: 3,
            supported: 1,
            ..
        }
    ));
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "the store in {} was written by a newer problemfirst (schema 3; this build reads up to 1)",
            dir.path().display()
        )),
        "{msg}"
    );
}

#[test]
fn a_store_in_use_refuses_a_second_open() {
    let dir = TempDir::new().unwrap();
    let first = open(&dir);
    let err = Store::open(dir.path()).expect_err("opened a store that is in use");
    assert!(
        matches!(&err, StoreError::Locked { dir: d } if d == dir.path()),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("in use by another running problemfirst"),
        "{err}"
    );
    // Clones share the lock; it goes with the last of them.
    let clone = first.clone();
    drop(first);
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::Locked { .. })
    ));
    drop(clone);
    open(&dir);
}

#[test]
fn a_corrupt_record_is_reported_and_skipped() {
    let dir = TempDir::new().unwrap();
    {
        let store = open(&dir);
        for n in 0..3 {
            store.create(new_idea("ops", "U1", minutes(n))).unwrap();
        }
    }
    tamper(
        dir.path(),
        IDEAS_TREE,
        &2u64.to_be_bytes(),
        b"{\"id\": \"IDEA-2\", trunc",
    );
    let store = open(&dir);

    let all: Vec<_> = store.ideas().collect();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].as_ref().unwrap().id, IdeaId::new(1));
    assert!(matches!(&all[1], Err(StoreError::Corrupt { id, .. }) if *id == IdeaId::new(2)));
    assert_eq!(all[2].as_ref().unwrap().id, IdeaId::new(3));
    assert!(matches!(
        store.get(IdeaId::new(2)),
        Err(StoreError::Corrupt { .. })
    ));

    let report = store.check().unwrap();
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    assert!(matches!(
        &report.problems[0],
        Inconsistency::Unreadable { id, .. } if *id == IdeaId::new(2)
    ));

    let page = store.page_by_track("ops", None, 10).unwrap();
    assert_eq!(ids(&page.ideas), [3, 1]);
    assert_eq!(page.skipped.len(), 1);
    assert_eq!(ids(&store.by_submitter("U1").unwrap()), [3, 1]);
    let digest: Vec<_> = store.created_between(minutes(0), minutes(10)).collect();
    assert_eq!(digest.iter().filter(|r| r.is_err()).count(), 1);

    // The corrupt record keeps its id: the next idea does not overwrite it.
    assert_eq!(
        store.create(new_idea("ops", "U1", minutes(5))).unwrap().id,
        IdeaId::new(4)
    );
}

#[test]
fn deliveries_are_seen_once_within_their_ttl() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let ttl = Duration::from_secs(600);
    assert!(keep(&store, "Ev1", t0(), ttl));
    assert!(!keep(&store, "Ev1", minutes(1), ttl));
    assert!(!keep(&store, "Ev1", minutes(9), ttl));
    assert!(keep(&store, "Ev2", minutes(9), ttl));
    // Ev1 expires at minute 10.
    assert!(keep(&store, "Ev1", minutes(10), ttl));
    assert!(!keep(&store, "Ev1", minutes(11), ttl));
    // Each new one was kept, oldest first; a handled one leaves.
    let kept = store.inbox().unwrap();
    assert_eq!(kept.len(), 3);
    assert!(kept.windows(2).all(|w| w[0].0 < w[1].0));
    store.inbox_done(kept[0].0).unwrap();
    assert_eq!(store.inbox().unwrap().len(), 2);

    // Now Ev1 runs to minute 20, Ev2 to 19.
    assert_eq!(store.purge_deliveries(minutes(15)).unwrap(), 0);
    assert_eq!(store.purge_deliveries(minutes(19)).unwrap(), 1);
    assert!(keep(&store, "Ev2", minutes(19), ttl));
    assert_eq!(store.purge_deliveries(minutes(40)).unwrap(), 2);
    assert_eq!(store.purge_deliveries(minutes(40)).unwrap(), 0);

    // Many handlers of the same retry at once: exactly one wins.
    let winners: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| keep(&store, "Ev3", t0(), ttl)))
            .collect();
        handles
            .into_iter()
            .map(|h| usize::from(h.join().unwrap()))
            .sum()
    });
    assert_eq!(winners, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deliveries_kept_together_are_kept_once_each_and_survive_a_reopen() {
    let dir = TempDir::new().unwrap();
    let ttl = Duration::from_secs(600);
    {
        let store = open(&dir);
        // 8 handlers of each of 16 events at once: the committer keeps them in shared batches.
        let tasks: Vec<_> = (0..128)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    let key = format!("Ev{}", n % 16);
                    let delivery = Delivery {
                        kind: "event".into(),
                        body: key.clone(),
                        received: t0(),
                    };
                    store.accept(key, t0(), ttl, delivery).await.unwrap()
                })
            })
            .collect();
        let mut new = 0;
        for task in tasks {
            if let Accepted::New(_) = task.await.unwrap() {
                new += 1;
            }
        }
        assert_eq!(new, 16, "each event is kept once");
    }
    // Returned means on disk: they are there after the store is opened again.
    let store = open(&dir);
    let bodies: BTreeSet<String> = store
        .inbox()
        .unwrap()
        .into_iter()
        .map(|(_, d)| d.body)
        .collect();
    assert_eq!(bodies.len(), 16);
    assert!(!keep(&store, "Ev3", minutes(1), ttl), "still seen");
}

#[test]
fn paging_a_track_is_newest_first_without_gaps_or_repeats() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let mut ops = Vec::new();
    for n in 0..53i64 {
        // Pairs share a created time, so the id must break ties.
        let idea = store.create(new_idea("ops", "U1", minutes(n / 2))).unwrap();
        ops.push(idea.id);
        store.create(new_idea("opsx", "U1", minutes(n))).unwrap();
        // A track whose name starts with "ops" and the lowest character a track id may hold
        // shares the key prefix (0x00, the keys' separator, can't be in an id at all).
        store.create(new_idea("ops!x", "U1", minutes(n))).unwrap();
    }
    ops.reverse();

    let mut seen = Vec::new();
    let mut before: Option<Cursor> = None;
    let mut pages = 0;
    loop {
        let page = store.page_by_track("ops", before, 10).unwrap();
        pages += 1;
        assert!(page.skipped.is_empty());
        assert!(page.ideas.iter().all(|i| i.track == "ops"));
        seen.extend(page.ideas.iter().map(|i| i.id));
        // Cursors survive a round trip through text (a Slack button value).
        before = page.next.map(|c| c.to_string().parse().unwrap());
        if before.is_none() || pages > 10 {
            break;
        }
    }
    assert_eq!(pages, 6);
    assert_eq!(seen, ops);
    assert_eq!(
        store.page_by_track("ops!x", None, 100).unwrap().ideas.len(),
        53
    );
    assert!(store
        .page_by_track("nothing", None, 10)
        .unwrap()
        .ideas
        .is_empty());
    let exact = store.page_by_track("ops", None, 53).unwrap();
    assert_eq!((exact.ideas.len(), exact.next), (53, None));
}

#[test]
fn created_between_returns_exactly_the_range() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    for n in 0..30 {
        store
            .create(new_idea(["ops", "sales"][n as usize % 2], "U1", minutes(n)))
            .unwrap();
    }
    let got: Vec<_> = store
        .created_between(minutes(5), minutes(12))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        ids(&got),
        (6..=12).collect::<Vec<_>>(),
        "[from, to), oldest first"
    );
    assert_eq!(store.created_between(minutes(12), minutes(5)).count(), 0);
    assert_eq!(store.created_between(minutes(-60), minutes(0)).count(), 0);
    assert_eq!(store.created_between(minutes(-60), minutes(60)).count(), 30);
    let later: BTreeSet<_> = store
        .created_between(minutes(29), minutes(31))
        .map(|r| r.unwrap().id.number())
        .collect();
    assert_eq!(later, BTreeSet::from([30]));
}

#[test]
fn check_finds_broken_indexes() {
    let dir = TempDir::new().unwrap();
    let third = {
        let store = open(&dir);
        for n in 0..3 {
            store.create(new_idea("ops", "U1", minutes(n))).unwrap();
        }
        store.get(IdeaId::new(3)).unwrap().unwrap()
    };
    {
        let db = raw(dir.path());
        let status = db.open_tree("idx_status").unwrap();
        // Points at an idea that does not exist.
        status
            .insert([&b"new\0"[..], &9u64.to_be_bytes()].concat(), &[])
            .unwrap();
        // IDEA-1 is new, not accepted.
        status
            .insert([&b"accepted\0"[..], &1u64.to_be_bytes()].concat(), &[])
            .unwrap();
        // IDEA-2 loses its time entry (created at minute 1).
        let us = minutes(1).as_microsecond();
        let time = [((us as u64) ^ (1 << 63)).to_be_bytes(), 2u64.to_be_bytes()].concat();
        assert!(db
            .open_tree("idx_time")
            .unwrap()
            .remove(time)
            .unwrap()
            .is_some());
        // An idea beyond the counter, as if the counter had gone back.
        let mut beyond = third;
        beyond.id = IdeaId::new(7);
        let json = serde_json::to_vec(&beyond).unwrap();
        db.open_tree(IDEAS_TREE)
            .unwrap()
            .insert(7u64.to_be_bytes(), json)
            .unwrap();
        db.flush().unwrap();
    }
    let store = open(&dir);
    let report = store.check().unwrap();
    let found: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    let expect = [
        "IDEA-7 is above the id counter (3); a new idea could be given its id",
        "IDEA-7 is missing from the track index",
        "IDEA-2 is missing from the created-time index",
        "the id counter says 3 ideas were filed, but 4 are stored",
        "the status index lists IDEA-9, which does not exist",
        "the status index has an entry for IDEA-1 that does not match it",
    ];
    for e in expect {
        assert!(
            found.iter().any(|f| f.starts_with(e)),
            "missing {e:?} in {found:#?}"
        );
    }
    assert_eq!(found.len(), 9, "{found:#?}");
    // Reads skip what they cannot resolve instead of failing.
    assert_eq!(ids(&store.by_status("new").unwrap()), [1, 2, 3]);
}

#[test]
fn a_record_that_would_not_read_back_is_refused() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    let mut bad = new_idea("ops", "U1", t0());
    // serde_json writes NaN as null, which does not parse back into an f32.
    bad.judged.confidence = f32::NAN;
    let err = store.create(bad).unwrap_err();
    assert!(matches!(err, StoreError::Encode { .. }), "{err:?}");
    assert_eq!(store.len().unwrap(), 0);
    assert_eq!(
        store.create(new_idea("ops", "U1", t0())).unwrap().id,
        IdeaId::new(1)
    );
    assert_consistent(&store);
}

#[test]
fn home_pages_match_the_whole_lists_they_are_cut_from() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    // Tracks and people whose names share a key prefix (up to the lowest character each may hold
    // next: the keys' separator, 0x00, can't be in a name), statuses of every kind, and created
    // times out of id order (imports), so only the indexes' order can get the pages right.
    for n in 0..40i64 {
        let track = ["ops", "ops!x", "opsx"][n as usize % 3];
        let submitter = ["U1", "U1 z", "U12"][n as usize % 3 * (n as usize % 2)];
        let mut new = new_idea(track, submitter, minutes((n * 7) % 19));
        new.filed = n % 5 != 0;
        let idea = store.create(new).unwrap();
        let change = match n % 4 {
            1 => Some(Transition::StartReview),
            2 => Some(Transition::Accept),
            _ => None,
        };
        if let (Some(t), true) = (change, idea.status() == Status::New) {
            store.update(idea.id, apply(t)).unwrap().unwrap();
        }
    }
    let mut waiting = store.by_status("new").unwrap();
    waiting.extend(store.by_status("in_review").unwrap());
    waiting.sort_by_key(|i| (i.created, i.id));
    for track in ["ops", "ops!x", "opsx", "none"] {
        let whole: Vec<u64> = waiting
            .iter()
            .filter(|i| i.track == track)
            .map(|i| i.id.number())
            .collect();
        for offset in 0..whole.len() + 2 {
            let slices = store.waiting(&[(track, offset), ("opsx", 0)], 3).unwrap();
            let slice = &slices[0];
            let from = offset.min(whole.len().saturating_sub(1));
            let expected: Vec<u64> = whole.iter().skip(from).take(3).copied().collect();
            assert_eq!(
                (ids(&slice.ideas), slice.offset, slice.total),
                (expected, from, whole.len()),
                "{track:?} from {offset}"
            );
        }
    }
    for submitter in ["U1", "U1 z", "U12", "nobody"] {
        let whole = ids(&store.by_submitter(submitter).unwrap());
        for offset in 0..whole.len() + 2 {
            let slice = store.submitted_by(submitter, offset, 4).unwrap();
            let from = offset.min(whole.len().saturating_sub(1));
            let expected: Vec<u64> = whole.iter().skip(from).take(4).copied().collect();
            assert_eq!(
                (ids(&slice.ideas), slice.offset, slice.total),
                (expected, from, whole.len()),
                "{submitter:?} from {offset}"
            );
        }
    }
}
