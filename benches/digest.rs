//! The weekly digest over a large store: 1,000,000 ideas, 5,000 of them in the digest week, a
//! quarter of the older ones decided (target: the whole digest in < 1 s). It reads through the
//! created-time index only — the week, the week before, and the 13 weeks before for decisions
//! (passing over ideas unchanged since the week began) — and the head of the triage queue.
//!
//! `cargo bench --bench digest`. The store is built once, in large transactions; the decisions
//! take one small transaction each.

use criterion::{criterion_group, criterion_main, Criterion};
use jiff::{SignedDuration, Timestamp};
use problemfirst::app::App;
use problemfirst::config::Config;
use problemfirst::domain::{
    IdeaId, Judgement, NewIdea, Origin, Source, TrackId, Transition, UserId, Verdict,
};
use problemfirst::storage::Store;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tempfile::TempDir;

// The bot's own allocator, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: problemfirst::heap::Allocator = problemfirst::heap::Allocator {};

const TOTAL: usize = 1_000_000;
/// Ideas a week, every week: the digest week holds the last 5,000.
const PER_WEEK: usize = 5_000;
/// Every n-th older idea is decided, two weeks after it was pitched.
const DECIDED_EVERY: usize = 4;
const WEEK: SignedDuration = SignedDuration::from_secs(7 * 24 * 3600);

/// Monday 2 March 2026, 09:00 UTC: the digest week starts here.
fn week_start() -> Timestamp {
    Timestamp::from_second(1_772_442_000).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// When idea `n` (0-based) was pitched: evenly, `PER_WEEK` a week, the last ones in the digest
/// week.
fn pitched_at(n: usize) -> Timestamp {
    let weeks_before = (TOTAL - 1 - n) / PER_WEEK;
    let slot = (n % PER_WEEK) as i64;
    let step = WEEK.as_secs() / PER_WEEK as i64;
    week_start() - WEEK * weeks_before as i32 + SignedDuration::from_secs(slot * step)
}

fn new_idea(n: usize) -> NewIdea {
    let verdict = [
        Verdict::Problem,
        Verdict::Problem,
        Verdict::Tech,
        Verdict::Vague,
    ][n % 4];
    NewIdea {
        submitter: UserId::parse(&format!("U{:05}", n % 5_000)).expect("a user"),
        source: Source::Modal,
        origin: Origin::default(),
        pitch: format!(
            "Field technicians wait two days for spare parts on job {n}, so a third of repairs \
             need a second visit and customers call us to complain."
        ),
        judged: Judgement {
            verdict,
            confidence: 0.8,
            hits: vec![],
            rules_version: "bench".into(),
            model_version: "bench".into(),
        },
        track: TrackId::parse(["execution", "search"][n % 2]).expect("a track"),
        anonymous: false,
        filed: true,
        at: pitched_at(n),
    }
}

fn build(store: &Store) {
    let started = Instant::now();
    let chunk = 5_000;
    for first in (0..TOTAL).step_by(chunk) {
        let batch: Vec<_> = (first..(first + chunk).min(TOTAL)).map(new_idea).collect();
        store.create_many(&batch).unwrap();
    }
    let filled = started.elapsed();
    let transitions = [Transition::Accept, Transition::Park, Transition::Decline];
    let lead = UserId::parse("ULEAD").expect("a user");
    let mut decided = 0;
    for n in (0..TOTAL - PER_WEEK).step_by(DECIDED_EVERY) {
        let at = (pitched_at(n) + WEEK * 2).min(week_start() + WEEK - SignedDuration::from_secs(1));
        let t = transitions[n % 3];
        store
            .update(IdeaId::new(n as u64 + 1), |i| {
                i.apply(t, &lead, None, at).map(|_| ())
            })
            .unwrap()
            .unwrap();
        decided += 1;
    }
    // Votes on a few of the week's ideas.
    for n in (TOTAL - PER_WEEK..TOTAL).step_by(50) {
        store
            .update(IdeaId::new(n as u64 + 1), |i| {
                i.voters
                    .extend((0..n % 13).map(|v| UserId::parse(&format!("V{v}")).expect("a user")));
                Ok::<(), ()>(())
            })
            .unwrap()
            .unwrap();
    }
    store.flush().unwrap();
    eprintln!(
        "built {TOTAL} ideas in {filled:.1?}, decided {decided} of them; {:.1?} in all",
        started.elapsed()
    );
}

fn digest(c: &mut Criterion) {
    let dir = TempDir::new().unwrap();
    let config =
        Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/problemfirst.toml"))
            .unwrap();
    let store = Store::open(dir.path()).unwrap();
    build(&store);
    let now = week_start() + WEEK;
    let app = App::with_clock(Arc::new(config), store, Arc::new(move || now));

    let d = app.digest_due(now).unwrap();
    assert_eq!(d.week, "2026-03-02");
    assert_eq!(d.new_ideas, PER_WEEK);
    assert_eq!(d.new_ideas_last_week, PER_WEEK);
    assert!(d.decisions.total() > 0);
    eprintln!(
        "the digest: {} new ideas, {} decisions, {} waiting{}",
        d.new_ideas,
        d.decisions.total(),
        d.waiting.count,
        if d.waiting.at_least {
            " (at least)"
        } else {
            ""
        }
    );

    // Where the time goes, once.
    let week = app.digest_week_due(now).unwrap();
    let t = Instant::now();
    let n = app.store().created_between(week.from, week.to).count();
    eprintln!(
        "  the week's {n} ideas through the time index: {:.1?}",
        t.elapsed()
    );
    let t = Instant::now();
    let horizon = week.from - WEEK * 13;
    let n = app
        .store()
        .decided_since(horizon, week.from, week.from)
        .unwrap()
        .len();
    eprintln!(
        "  {n} ideas of the 13 weeks before decided since the week began: {:.1?}",
        t.elapsed()
    );
    let t = Instant::now();
    let (_, n, _) = app.store().waiting_for_triage(5, 10_000).unwrap();
    eprintln!(
        "  the triage queue's head ({n} counted): {:.1?}",
        t.elapsed()
    );

    let mut group = c.benchmark_group("weekly digest over 1,000,000 ideas");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    group.bench_function("5,000 in the week", |b| {
        b.iter(|| app.digest_due(now).unwrap())
    });
    group.bench_function("5,000 in the week, as Block Kit", |b| {
        b.iter(|| problemfirst::slack::digest::digest_content(&app.digest_due(now).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, digest);
criterion_main!(benches);
