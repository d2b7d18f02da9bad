//! The store's throughput and latency targets: durable submissions per second with 1 and 32
//! concurrent submitters (≥ 2,000/s at 32), a page of 50 ideas of one track among 1,000,000
//! (< 5 ms), an export of 100,000 ideas (< 2 s), and the App Home's pages. Submissions are measured both as
//! `create` + `durable` (one transaction each, shared flushes) and as `file` (shared
//! transactions and flushes).
//!
//! `cargo bench --bench store`. Building the large store takes a while; it is built once.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use jiff::{SignedDuration, Timestamp};
use problemfirst::domain::{Judgement, NewIdea, Origin, Source, TrackId, UserId, Verdict};
use problemfirst::storage::{Cursor, Store};
use std::io::Write;
use std::time::{Duration, Instant};
use tempfile::TempDir;

// The bot's own allocator, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: problemfirst::heap::Allocator = problemfirst::heap::Allocator {};

const TRACKS: usize = 20;

fn new_idea(n: usize) -> NewIdea {
    NewIdea {
        submitter: UserId::parse(&format!("U{:05}", n % 5_000)).expect("a user"),
        source: Source::Modal,
        origin: Origin::default(),
        pitch: format!(
            "Field technicians wait two days for spare parts on job {n}, so a third of repairs \
             need a second visit and customers call us to complain."
        ),
        judged: Judgement {
            verdict: Verdict::Problem,
            confidence: 0.8,
            hits: vec![],
            rules_version: "bench".into(),
            model_version: "bench".into(),
        },
        track: TrackId::parse(&format!("track-{}", n % TRACKS)).expect("a track"),
        anonymous: false,
        filed: true,
        at: Timestamp::from_second(1_700_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
            + SignedDuration::from_secs(n as i64),
    }
}

fn durable_submissions(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = TempDir::new().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut group = c.benchmark_group("durable submissions");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(1));
    for submitters in [1u64, 32] {
        for way in ["create + durable", "file"] {
            group.bench_with_input(
                BenchmarkId::new(way, format!("{submitters} submitters")),
                &submitters,
                |b, &submitters| {
                    b.iter_custom(|iters| rt.block_on(submit(&store, way, submitters, iters)))
                },
            );
        }
    }
    group.finish();
}

/// `iters` submissions spread over `submitters` concurrent tasks, each waiting until its idea
/// is on disk before submitting the next.
async fn submit(store: &Store, way: &'static str, submitters: u64, iters: u64) -> Duration {
    let start = Instant::now();
    let tasks: Vec<_> = (0..submitters)
        .map(|task| {
            let store = store.clone();
            let share = iters / submitters + u64::from(task < iters % submitters);
            tokio::spawn(async move {
                for n in 0..share {
                    let new = new_idea(n as usize);
                    if way == "file" {
                        store.file(new).await.unwrap();
                    } else {
                        store.create(new).unwrap();
                        store.durable().await.unwrap();
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

/// Grows `store` to `total` ideas in large transactions.
fn fill(store: &Store, total: usize) {
    let started = Instant::now();
    let from = store.len().unwrap();
    let chunk = 2_000;
    for first in (from..total).step_by(chunk) {
        let batch: Vec<_> = (first..(first + chunk).min(total)).map(new_idea).collect();
        store.create_many(&batch).unwrap();
    }
    store.flush().unwrap();
    eprintln!(
        "filled the store to {total} ideas in {:.1?}",
        started.elapsed()
    );
}

fn large_store(c: &mut Criterion) {
    let dir = TempDir::new().unwrap();
    let store = Store::open(dir.path()).unwrap();

    fill(&store, 100_000);
    let mut group = c.benchmark_group("export");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(100_000));
    group.bench_function("iterate + serialise 100,000 ideas", |b| {
        b.iter(|| {
            let mut out = std::io::BufWriter::new(std::io::sink());
            let mut n = 0;
            for idea in store.ideas() {
                serde_json::to_writer(&mut out, &idea.unwrap()).unwrap();
                out.write_all(b"\n").unwrap();
                n += 1;
            }
            assert_eq!(n, 100_000);
        })
    });
    group.finish();

    fill(&store, 1_000_000);
    let track = "track-7";
    // A cursor half way down the track, to page from the middle as well as from the top.
    let mut middle: Option<Cursor> = None;
    for _ in 0..(1_000_000 / TRACKS / 2 / 500) {
        middle = store.page_by_track(track, middle, 500).unwrap().next;
    }
    let mut group = c.benchmark_group("page of 50 among 1,000,000");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.bench_function("newest", |b| {
        b.iter(|| {
            let page = store.page_by_track(black_box(track), None, 50).unwrap();
            assert_eq!(page.ideas.len(), 50);
            page
        })
    });
    group.bench_function("middle", |b| {
        b.iter(|| {
            let page = store.page_by_track(black_box(track), middle, 50).unwrap();
            assert_eq!(page.ideas.len(), 50);
            page
        })
    });
    group.finish();
}

/// A lead's App Home reads one page of a track's waiting ideas, and a person's Home one page of
/// their own, however long the lists: here 5,000 waiting in the track among 100,000 waiting.
fn app_home(c: &mut Criterion) {
    let dir = TempDir::new().unwrap();
    let store = Store::open(dir.path()).unwrap();
    fill(&store, 100_000);
    let mut group = c.benchmark_group("App Home among 100,000 waiting ideas");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.bench_function("a track's waiting page", |b| {
        b.iter(|| {
            let pages = store.waiting(&[(black_box("track-7"), 0)], 5).unwrap();
            assert_eq!((pages[0].ideas.len(), pages[0].total), (5, 5_000));
            pages
        })
    });
    group.bench_function("a person's page", |b| {
        b.iter(|| {
            let page = store.submitted_by(black_box("U00007"), 0, 10).unwrap();
            assert_eq!((page.ideas.len(), page.total), (10, 20));
            page
        })
    });
    group.finish();
}

criterion_group!(benches, durable_submissions, large_store, app_home);
criterion_main!(benches);
