//! The weekly digest end to end on a real store, with time as an input: a clock the test sets
//! (it never moves by itself) and fixed `now` values. A normal week, an empty week, a week with a
//! daylight-saving change, restarts just before and just after the scheduled time, catch-up after
//! downtime, the scheduler's waits, 10,000 ideas in one week within Slack's block limits, delivery
//! through the outbox to a fake Slack, the `/idea digest` preview, the `digest` command and the
//! `[digest]` config section.
//!
//! Set `DIGEST_BLOCKS_DIR` to a directory to also get each digest's Block Kit as a JSON file there,
//! for checking with Slack's own SDK.

use crate::support::ids;

use crate::support::fake_slack::FakeSlack;
use problemfirst::app::{digest_text, App};
use problemfirst::config::Config;
use problemfirst::domain::digest::{parse_time, parse_weekday, parse_zone, Digest, Schedule};
use problemfirst::domain::{ChannelId, WeekStart};
use problemfirst::domain::{
    Idea, IdeaId, Judgement, NewIdea, Notice, Origin, Reframe, Source, Transition, Verdict,
};
use problemfirst::slack::digest as slack_digest;
use problemfirst::storage::{MarkState, Queueing, Store};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;

const CHANNEL: &str = "CDIGEST";

fn at(s: &str) -> jiff::Timestamp {
    s.parse()
        .unwrap_or_else(|e| panic!("{s} is not a timestamp: {e}"))
}

fn shipped_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/problemfirst.toml")
}

/// The shipped config, posting to [`CHANNEL`] on `weekday` at `time` in `zone`.
fn config(weekday: &str, time: &str, zone: &str) -> Arc<Config> {
    let mut c = Config::load(&shipped_path()).expect("the shipped config loads");
    c.digest.enabled = true;
    c.digest.channel = Some(ids::channel(CHANNEL));
    c.digest.schedule = Schedule {
        weekday: parse_weekday(weekday).expect("weekday"),
        time: parse_time(time).expect("time"),
        zone: parse_zone(zone).expect("zone"),
        zone_name: zone.into(),
    };
    Arc::new(c)
}

fn monday_nine_utc() -> Arc<Config> {
    config("monday", "09:00", "UTC")
}

/// A clock that stands still until the test moves it.
#[derive(Clone)]
struct PausedClock(Arc<AtomicI64>);

impl PausedClock {
    fn at(s: &str) -> PausedClock {
        PausedClock(Arc::new(AtomicI64::new(at(s).as_microsecond())))
    }
    fn set(&self, s: &str) {
        self.0.store(at(s).as_microsecond(), Ordering::SeqCst);
    }
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_microsecond(self.0.load(Ordering::SeqCst)).expect("a valid time")
    }
}

fn app(dir: &Path, config: &Arc<Config>, clock: &PausedClock) -> App {
    let c = clock.clone();
    crate::support::app::core_with_clock(dir, Arc::clone(config), Arc::new(move || c.now()))
}

fn judged(verdict: Verdict) -> Judgement {
    Judgement {
        verdict,
        confidence: 0.8,
        hits: vec![],
        rules_version: "test".into(),
        model_version: "test".into(),
    }
}

fn pitch(when: &str, track: &str, verdict: Verdict, text: &str) -> NewIdea {
    NewIdea {
        submitter: ids::user("U1"),
        source: Source::Slash,
        origin: Origin::default(),
        pitch: text.into(),
        judged: judged(verdict),
        track: ids::track(track),
        // As the app does it: problem-led pitches are filed, the others start as drafts.
        anonymous: false,
        filed: verdict == Verdict::Problem,
        at: at(when),
    }
}

fn create(store: &Store, news: &[NewIdea]) -> Vec<Idea> {
    store.create_many(news).expect("ideas are filed")
}

fn change(store: &Store, id: IdeaId, f: impl Fn(&mut Idea)) -> Idea {
    store
        .update(id, |idea| {
            f(idea);
            Ok::<(), ()>(())
        })
        .expect("the store updates")
        .expect("the change applies")
}

fn decide(store: &Store, id: IdeaId, t: Transition, when: &str) {
    change(store, id, |i| {
        i.apply(t, &ids::user("ULEAD"), Some("because".into()), at(when))
            .expect("a legal decision");
    });
}

fn vote(store: &Store, id: IdeaId, n: usize) {
    change(store, id, |i| {
        i.voters.extend((0..n).map(|v| ids::user(&format!("V{v}"))));
    });
}

/// Every Digest notice waiting in the outbox.
fn queued_digests(store: &Store) -> Vec<(ChannelId, WeekStart)> {
    let (due, _) = store
        .outbox_due(at("2100-01-01T00:00:00Z"), 1000)
        .expect("the outbox reads");
    due.into_iter()
        .filter_map(|p| match p.entry.notice {
            Notice::Digest { channel, week } => Some((channel, week)),
            _ => None,
        })
        .collect()
}

/// The digest's Block Kit as JSON, checked against Slack's limits; saved for Slack's SDK when
/// `DIGEST_BLOCKS_DIR` is set.
fn blocks_json(d: &Digest, name: &str) -> Vec<Value> {
    let content = slack_digest::digest_content(d);
    let message = serde_json::json!({
        "channel": CHANNEL,
        "text": content.text,
        "blocks": content.blocks,
    });
    if let Some(dir) = std::env::var_os("DIGEST_BLOCKS_DIR") {
        let path = Path::new(&dir).join(format!("{name}.json"));
        std::fs::write(&path, message.to_string()).expect("blocks are saved");
    }
    let blocks = message["blocks"].as_array().cloned().unwrap_or_default();
    assert_within_limits(&blocks, &message);
    blocks
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

fn assert_within_limits(blocks: &[Value], message: &Value) {
    assert!(!blocks.is_empty(), "a digest is never blank");
    assert!(blocks.len() <= 50, "{} blocks", blocks.len());
    assert!(chars(&message["text"]) <= 40_000);
    assert!(
        chars(&message["text"]) > 0,
        "a fallback text for notifications"
    );
    for b in blocks {
        match b["type"].as_str() {
            Some("header") => {
                assert_eq!(b["text"]["type"], "plain_text");
                assert!(chars(&b["text"]["text"]) <= 150);
            }
            Some("section") => {
                assert!(
                    chars(&b["text"]["text"]) <= 3000,
                    "section of {}",
                    chars(&b["text"]["text"])
                );
                assert!(chars(&b["text"]["text"]) > 0);
                let fields = b["fields"].as_array().cloned().unwrap_or_default();
                assert!(fields.len() <= 10);
                assert!(fields.iter().all(|f| chars(&f["text"]) <= 2000));
            }
            Some("context") => {
                let elements = b["elements"].as_array().cloned().unwrap_or_default();
                assert!(!elements.is_empty() && elements.len() <= 10);
            }
            Some("divider") => {}
            other => panic!("unexpected block {other:?}"),
        }
    }
}

fn all_text(blocks: &[Value]) -> String {
    let mut out = String::new();
    for b in blocks {
        out.push_str(b["text"]["text"].as_str().unwrap_or_default());
        for f in b["fields"].as_array().into_iter().flatten() {
            out.push_str(f["text"].as_str().unwrap_or_default());
        }
        for e in b["elements"].as_array().into_iter().flatten() {
            out.push_str(e["text"].as_str().unwrap_or_default());
        }
        out.push('\n');
    }
    out
}

#[test]
fn a_normal_week_counts_tracks_quality_votes_decisions_and_the_queue() {
    let dir = TempDir::new().expect("temp dir");
    let clock = PausedClock::at("2026-03-09T09:00:00Z");
    let app = app(dir.path(), &monday_nine_utc(), &clock);
    let store = app.store();
    use Verdict::{Problem, Tech, Vague};

    // Older ideas: two wait for triage since January, one is decided this week, one was
    // decided before it.
    let old = create(
        store,
        &[
            pitch(
                "2026-01-05T10:00:00Z",
                "execution",
                Problem,
                "Nurses lose handover notes &amp; &lt;details&gt; <@U42>",
            ),
            pitch(
                "2026-01-06T10:00:00Z",
                "search",
                Problem,
                "Small shops can't get credit",
            ),
            pitch(
                "2026-02-02T10:00:00Z",
                "search",
                Problem,
                "Farmers can't sell surplus",
            ),
            pitch(
                "2026-02-03T10:00:00Z",
                "execution",
                Problem,
                "Drivers wait at the dock",
            ),
            pitch(
                "2026-02-04T10:00:00Z",
                "execution",
                Problem,
                "Clerks re-type orders",
            ),
            pitch(
                "2025-06-01T10:00:00Z",
                "execution",
                Problem,
                "Pitched before the decisions' horizon",
            ),
            pitch(
                "2026-02-05T10:00:00Z",
                "search",
                Problem,
                "Accepted, then reopened",
            ),
        ],
    );
    // Not counted: an idea pitched more than 13 weeks before the week, and a decision taken
    // back within the week.
    decide(store, old[5].id, Transition::Accept, "2026-03-05T12:00:00Z");
    decide(store, old[6].id, Transition::Accept, "2026-03-03T12:00:00Z");
    decide(store, old[6].id, Transition::Reopen, "2026-03-04T12:00:00Z");
    decide(store, old[2].id, Transition::Accept, "2026-03-04T12:00:00Z");
    decide(store, old[3].id, Transition::Park, "2026-03-08T12:00:00Z");
    decide(
        store,
        old[4].id,
        Transition::Decline,
        "2026-02-20T12:00:00Z",
    );

    // The week before: one problem-led, one tech-led never reframed.
    create(
        store,
        &[
            pitch(
                "2026-02-24T10:00:00Z",
                "execution",
                Problem,
                "Last week's problem",
            ),
            pitch(
                "2026-02-25T10:00:00Z",
                "execution",
                Tech,
                "Last week's blockchain",
            ),
        ],
    );

    // This week.
    let week = create(
        store,
        &[
            pitch(
                "2026-03-02T09:00:00Z",
                "execution",
                Problem,
                "Technicians wait for parts",
            ),
            pitch(
                "2026-03-03T10:00:00Z",
                "execution",
                Problem,
                "Agents re-enter addresses",
            ),
            pitch(
                "2026-03-04T10:00:00Z",
                "execution",
                Problem,
                "Buyers chase approvals",
            ),
            pitch(
                "2026-03-05T10:00:00Z",
                "search",
                Problem,
                "Tenants can't compare energy offers",
            ),
            pitch(
                "2026-03-05T11:00:00Z",
                "search",
                Tech,
                "Let's use AI for tenants",
            ),
            pitch(
                "2026-03-06T10:00:00Z",
                "search",
                Tech,
                "We need a metaverse",
            ),
            pitch(
                "2026-03-07T10:00:00Z",
                "execution",
                Vague,
                "Be more innovative",
            ),
            pitch(
                "2026-03-08T10:00:00Z",
                "legacy",
                Problem,
                "Old track, still counts",
            ),
            // Just outside: it belongs to next week's digest.
            pitch(
                "2026-03-09T09:00:00Z",
                "execution",
                Problem,
                "Next week's idea",
            ),
        ],
    );
    let mut imported = pitch(
        "2026-03-04T15:00:00Z",
        "execution",
        Tech,
        "From the old idea box",
    );
    imported.source = Source::Import;
    imported.filed = true;
    create(store, &[imported]);
    // The AI pitch is reframed into a problem statement and filed; the vague one filed anyway.
    change(store, week[4].id, |i| {
        i.reframe = Some(Reframe {
            who: "Tenants".into(),
            problem: "can't compare energy offers".into(),
            ..Reframe::default()
        });
        i.reframe_judged = Some(judged(Problem));
        i.apply(
            Transition::File,
            &ids::user("U1"),
            None,
            at("2026-03-05T12:00:00Z"),
        )
        .expect("filed");
    });
    change(store, week[6].id, |i| {
        i.apply(
            Transition::File,
            &ids::user("U1"),
            None,
            at("2026-03-07T10:05:00Z"),
        )
        .expect("filed");
    });
    vote(store, week[1].id, 5);
    vote(store, week[3].id, 2);
    vote(store, week[0].id, 2);
    vote(store, week[8].id, 9); // next week's: not in this digest

    let d = app.digest_due(clock.now()).expect("the digest");
    assert_eq!(d.week, "2026-03-02");
    assert!(d.complete);
    assert!(!d.is_quiet());
    let tracks: Vec<(&str, usize)> = d
        .tracks
        .iter()
        .map(|t| (t.name.as_str(), t.ideas))
        .collect();
    assert_eq!(tracks, [("Execution", 5), ("Search", 2), ("legacy", 1)]);
    assert_eq!(
        d.new_ideas, 8,
        "drafts are not new ideas yet; the import is"
    );
    assert_eq!(d.new_ideas_last_week, 1);
    // Eight pitches (the import is not one): five problem-led, two tech-led of which one
    // reframed.
    assert_eq!(
        (
            d.quality.pitches,
            d.quality.problem_led,
            d.quality.tech_led,
            d.quality.reframed
        ),
        (8, 5, 2, 1)
    );
    assert_eq!(d.quality.problem_led_pct(), Some(63));
    assert_eq!(d.quality.reframed_pct(), Some(50));
    assert_eq!(d.quality_last_week.problem_led_pct(), Some(50));
    assert_eq!(d.quality_last_week.reframed_pct(), Some(0));
    let voted: Vec<(IdeaId, usize)> = d.most_voted.iter().map(|i| (i.id, i.votes)).collect();
    assert_eq!(
        voted,
        [(week[1].id, 5), (week[0].id, 2), (week[3].id, 2)],
        "most votes first, then the earlier idea"
    );
    assert_eq!(
        (
            d.decisions.accepted,
            d.decisions.parked,
            d.decisions.declined
        ),
        (1, 1, 0)
    );
    let decided: Vec<IdeaId> = d.decisions.latest.iter().map(|k| k.idea.id).collect();
    assert_eq!(decided, [old[3].id, old[2].id], "newest first");
    assert_eq!(d.waiting.oldest[0].id, old[0].id, "the longest wait first");
    assert_eq!(d.waiting.oldest[1].id, old[1].id);
    assert_eq!(
        d.waiting.count, 12,
        "two old, one from last week, the week's seven filed, the import, next week's"
    );

    let text = digest_text(&d);
    for expected in [
        "Weekly digest, week of 2 March 2026",
        "Mon 2 Mar 09:00 – Mon 9 Mar 09:00 (UTC)",
        "New ideas: 8 new ideas (1 the week before)",
        "Problem-led at first pitch: 63% (5 of 8 pitches), up 13 points on the week before",
        "reframed into problem statements: 1 of 2 (50%), up 50 points on the week before",
        "Decisions: 1 accepted, 1 parked, 0 declined",
        "Waiting longest for triage: 12 ideas",
        "62 days: Nurses lose handover notes & <details>",
        "…and 7 more",
        "Decisions count ideas pitched in the last 13 weeks.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    let bar_row = text
        .lines()
        .find(|l| l.trim_start().starts_with("Execution"))
        .unwrap_or_default();
    assert!(
        bar_row.contains(&"█".repeat(20)) && bar_row.ends_with(" 5"),
        "{bar_row}"
    );

    let blocks = blocks_json(&d, "normal_week");
    assert_eq!(blocks[0]["type"], "header");
    let all = all_text(&blocks);
    assert!(
        all.contains("Nurses lose handover notes &amp; &lt;details&gt;"),
        "escaped: {all}"
    );
    assert!(
        !all.contains("<details>") && !all.contains("<@U42>"),
        "{all}"
    );
    assert!(all.contains("*New ideas* · 8 new ideas"), "{all}");
    assert!(
        all.contains("```Execution"),
        "the bar chart is monospaced: {all}"
    );
}

#[test]
fn decisions_are_found_by_when_an_idea_was_pitched_not_by_its_number() {
    let dir = TempDir::new().expect("temp dir");
    let clock = PausedClock::at("2026-03-09T09:00:00Z");
    let app = app(dir.path(), &monday_nine_utc(), &clock);
    let store = app.store();
    let native = create(
        store,
        &[
            pitch(
                "2026-02-10T10:00:00Z",
                "execution",
                Verdict::Problem,
                "Native, February",
            ),
            pitch(
                "2026-03-03T10:00:00Z",
                "execution",
                Verdict::Problem,
                "Native, this week",
            ),
        ],
    );
    // Imported later (higher numbers) with the dates they were first pitched.
    let mut recent = pitch(
        "2026-01-20T10:00:00Z",
        "search",
        Verdict::Problem,
        "Imported, January",
    );
    recent.source = Source::Import;
    let mut ancient = pitch(
        "2024-05-01T10:00:00Z",
        "search",
        Verdict::Problem,
        "Imported, 2024",
    );
    ancient.source = Source::Import;
    let imported = create(store, &[recent, ancient]);
    decide(
        store,
        native[0].id,
        Transition::Decline,
        "2026-03-03T12:00:00Z",
    );
    decide(
        store,
        native[1].id,
        Transition::Park,
        "2026-03-04T12:00:00Z",
    );
    decide(
        store,
        imported[0].id,
        Transition::Accept,
        "2026-03-05T12:00:00Z",
    );
    // Pitched long before the horizon: its decision is not counted.
    decide(
        store,
        imported[1].id,
        Transition::Accept,
        "2026-03-06T12:00:00Z",
    );
    let d = app.digest_due(clock.now()).expect("the digest");
    assert_eq!(
        (
            d.decisions.accepted,
            d.decisions.parked,
            d.decisions.declined
        ),
        (1, 1, 1)
    );
    let listed: Vec<IdeaId> = d.decisions.latest.iter().map(|k| k.idea.id).collect();
    assert_eq!(listed, [imported[0].id, native[1].id, native[0].id]);
    assert_eq!(d.decisions.latest[0].by, "ULEAD");
}

#[test]
fn an_empty_week_gets_a_short_friendly_message() {
    let dir = TempDir::new().expect("temp dir");
    let clock = PausedClock::at("2026-03-10T08:00:00Z");
    let app = app(dir.path(), &monday_nine_utc(), &clock);
    let d = app.digest_due(clock.now()).expect("the digest");
    assert!(d.is_quiet());
    let text = digest_text(&d);
    assert!(text.contains("A quiet week"), "{text}");
    assert!(text.lines().count() <= 5, "short: {text}");
    let blocks = blocks_json(&d, "empty_week");
    assert!(blocks.len() <= 4, "{blocks:?}");
    assert!(all_text(&blocks).contains("A quiet week: no new ideas and no decisions"));

    // Old ideas still waiting make a quiet week say so, still briefly.
    create(
        app.store(),
        &[pitch(
            "2026-01-05T10:00:00Z",
            "execution",
            Verdict::Problem,
            "Waiting",
        )],
    );
    let d = app.digest_due(clock.now()).expect("the digest");
    assert!(d.is_quiet());
    let blocks = blocks_json(&d, "empty_week_with_queue");
    assert!(
        all_text(&blocks).contains("1 idea still wait"),
        "{}",
        all_text(&blocks)
    );
}

#[test]
fn a_week_with_a_daylight_saving_change_reads_exactly_its_167_hours() {
    let dir = TempDir::new().expect("temp dir");
    // Monday 09:00 in Amsterdam; clocks go forward on Sunday 29 March 2026.
    let config = config("monday", "09:00", "Europe/Amsterdam");
    let clock = PausedClock::at("2026-03-30T07:00:00Z");
    let app = app(dir.path(), &config, &clock);
    let week = app.digest_week_due(clock.now()).expect("due");
    assert_eq!(week.key(), "2026-03-23");
    assert_eq!(
        (week.from, week.to),
        (at("2026-03-23T08:00:00Z"), at("2026-03-30T07:00:00Z"))
    );
    create(
        app.store(),
        &[
            pitch(
                "2026-03-23T07:59:59Z",
                "execution",
                Verdict::Problem,
                "08:59:59 CET: last week",
            ),
            pitch(
                "2026-03-23T08:00:00Z",
                "execution",
                Verdict::Problem,
                "09:00 CET: first",
            ),
            pitch(
                "2026-03-29T01:59:59Z",
                "execution",
                Verdict::Problem,
                "02:59:59 CET",
            ),
            pitch(
                "2026-03-29T02:00:00Z",
                "execution",
                Verdict::Problem,
                "04:00 CEST",
            ),
            pitch(
                "2026-03-30T06:59:59Z",
                "execution",
                Verdict::Problem,
                "08:59:59 CEST: last",
            ),
            pitch(
                "2026-03-30T07:00:00Z",
                "execution",
                Verdict::Problem,
                "09:00 CEST: next week",
            ),
        ],
    );
    let d = app.digest_due(clock.now()).expect("the digest");
    assert_eq!(d.new_ideas, 4);
    assert_eq!(d.new_ideas_last_week, 1);
    assert!(
        d.period
            .contains("Mon 23 Mar 09:00 – Mon 30 Mar 09:00 (Europe/Amsterdam)"),
        "{}",
        d.period
    );
    blocks_json(&d, "dst_week");

    // The digest is queued at 09:00 on the wall clock, which is 07:00 UTC now, not 08:00.
    app.store()
        .queue_digest(
            &ids::channel(CHANNEL),
            ids::week("2026-03-16"),
            at("2026-03-23T08:00:00Z"),
        )
        .expect("last week's went out");
    assert_eq!(
        app.queue_digest_if_due(at("2026-03-30T06:59:59Z"))
            .expect("tick"),
        None
    );
    assert_eq!(
        app.queue_digest_if_due(at("2026-03-30T07:00:00Z"))
            .expect("tick"),
        Some(ids::week("2026-03-23"))
    );
}

#[test]
fn a_restart_just_before_the_scheduled_time_posts_once_at_the_time() {
    let dir = TempDir::new().expect("temp dir");
    let config = monday_nine_utc();
    let clock = PausedClock::at("2026-03-02T09:00:00Z");
    {
        // Last week's digest went out on time.
        let app = app(dir.path(), &config, &clock);
        assert_eq!(
            app.queue_digest_if_due(clock.now()).expect("tick"),
            Some(ids::week("2026-02-23"))
        );
    }
    // Down, and back at 08:59:59 the next Monday: nothing is due yet.
    clock.set("2026-03-09T08:59:59Z");
    {
        let app = app(dir.path(), &config, &clock);
        assert_eq!(app.queue_digest_if_due(clock.now()).expect("tick"), None);
        clock.set("2026-03-09T09:00:00Z");
        assert_eq!(
            app.queue_digest_if_due(clock.now()).expect("tick"),
            Some(ids::week("2026-03-02"))
        );
        assert_eq!(app.queue_digest_if_due(clock.now()).expect("tick"), None);
    }
    let app = app(dir.path(), &config, &clock);
    assert_eq!(
        queued_digests(app.store()),
        [
            (ids::channel(CHANNEL), ids::week("2026-02-23")),
            (ids::channel(CHANNEL), ids::week("2026-03-02"))
        ]
    );
}

#[test]
fn a_restart_just_after_the_scheduled_time_does_not_post_again() {
    let dir = TempDir::new().expect("temp dir");
    let config = monday_nine_utc();
    let clock = PausedClock::at("2026-03-09T09:00:01Z");
    {
        let app = app(dir.path(), &config, &clock);
        assert_eq!(
            app.queue_digest_if_due(clock.now()).expect("tick"),
            Some(ids::week("2026-03-02"))
        );
        // Delivered: the worker records the message.
        let notice = Notice::Digest {
            channel: ids::channel(CHANNEL),
            week: ids::week("2026-03-02"),
        };
        app.posted(
            &notice,
            &ids::channel(CHANNEL),
            &ids::ts("1773046801.000100"),
        )
        .expect("recorded");
        app.store().flush().expect("flushed");
    }
    // Restarted a minute later, and again the next day: the mark holds.
    for when in [
        "2026-03-09T09:01:00Z",
        "2026-03-10T09:00:00Z",
        "2026-03-16T08:59:59Z",
    ] {
        clock.set(when);
        let app = app(dir.path(), &config, &clock);
        assert_eq!(
            app.queue_digest_if_due(clock.now()).expect("tick"),
            None,
            "{when}"
        );
        let mark = app
            .store()
            .digest_mark(&ids::channel(CHANNEL), ids::week("2026-03-02"))
            .expect("reads")
            .expect("marked");
        assert_eq!(mark.state, MarkState::Posted);
        assert_eq!(mark.ts.as_deref(), Some("1773046801.000100"));
    }
    // Another channel is another digest.
    let app = app(dir.path(), &config, &clock);
    let week = app.digest_week_due(clock.now()).expect("due");
    assert_eq!(
        app.queue_digest(&ids::channel("COTHER"), &week, clock.now())
            .expect("queued"),
        Queueing::Queued
    );
}

#[test]
fn after_downtime_the_missed_digest_goes_out_within_the_same_week() {
    let dir = TempDir::new().expect("temp dir");
    let config = monday_nine_utc();
    let clock = PausedClock::at("2026-03-02T09:00:00Z");
    {
        let app = app(dir.path(), &config, &clock);
        assert_eq!(
            app.queue_digest_if_due(clock.now()).expect("tick"),
            Some(ids::week("2026-02-23"))
        );
    }
    // Down from Sunday until Wednesday: Monday's digest goes out on Wednesday, once.
    clock.set("2026-03-11T14:30:00Z");
    let app = app(dir.path(), &config, &clock);
    assert_eq!(
        app.queue_digest_if_due(clock.now()).expect("tick"),
        Some(ids::week("2026-03-02"))
    );
    assert_eq!(app.queue_digest_if_due(clock.now()).expect("tick"), None);
    // Down for more than a week: only the latest week is caught up, not every missed one.
    assert_eq!(
        app.queue_digest_if_due(at("2026-03-30T10:00:00Z"))
            .expect("tick"),
        Some(ids::week("2026-03-23"))
    );
    assert_eq!(queued_digests(app.store()).len(), 3);
}

#[test]
fn the_scheduler_sleeps_until_the_scheduled_instant_and_queues_there() {
    let dir = TempDir::new().expect("temp dir");
    let clock = PausedClock::at("2026-03-02T09:00:00Z");
    let app = app(dir.path(), &monday_nine_utc(), &clock);
    app.digest_tick(clock.now());
    clock.set("2026-03-09T08:59:00Z");
    let wait = app.digest_tick(clock.now()).expect("goes on");
    assert_eq!(wait, Duration::from_secs(60));
    assert_eq!(queued_digests(app.store()).len(), 1, "only last week's");
    clock.set("2026-03-09T09:00:00Z");
    let wait = app.digest_tick(clock.now()).expect("goes on");
    assert_eq!(wait, Duration::from_secs(7 * 24 * 3600));
    assert_eq!(queued_digests(app.store()).len(), 2);
    // Off, or without a channel: nothing is queued.
    let mut off = (*monday_nine_utc()).clone();
    off.digest.enabled = false;
    let quiet = App::with_clock(
        Arc::new(off),
        app.store().clone(),
        Arc::new(|| at("2026-03-20T09:00:00Z")),
    );
    assert_eq!(quiet.queue_digest_if_due(quiet.now()).expect("tick"), None);
    assert_eq!(queued_digests(app.store()).len(), 2);
}

#[test]
fn ten_thousand_ideas_in_one_week_stay_within_slack_limits() {
    let dir = TempDir::new().expect("temp dir");
    let clock = PausedClock::at("2026-03-09T09:00:00Z");
    let app = app(dir.path(), &monday_nine_utc(), &clock);
    let start = at("2026-03-02T09:00:00Z");
    // Long pitches full of characters Slack treats specially, in 40 tracks (38 unconfigured).
    let long = format!(
        "<!channel> {} & more",
        "Warehouse staff re-type orders by hand <b> ".repeat(60)
    );
    let news: Vec<NewIdea> = (0..10_000i64)
        .map(|n| {
            let verdict = [Verdict::Problem, Verdict::Tech, Verdict::Vague][(n % 3) as usize];
            let mut new = pitch("2026-03-02T09:00:00Z", "execution", verdict, &long);
            new.track = match n % 40 {
                0 => ids::track("execution"),
                1 => ids::track("search"),
                t => ids::track(&format!("track-{t:02}-with-a-rather-long-name")),
            };
            new.filed = true;
            new.at = start + jiff::SignedDuration::from_secs(n * 60);
            new
        })
        .collect();
    let mut ideas = Vec::new();
    for chunk in news.chunks(2_000) {
        ideas.extend(create(app.store(), chunk));
    }
    for (n, idea) in ideas.iter().enumerate().take(300) {
        vote(app.store(), idea.id, 1 + n % 17);
        let t = [Transition::Accept, Transition::Park, Transition::Decline][n % 3];
        decide(app.store(), idea.id, t, "2026-03-08T12:00:00Z");
    }
    let d = app.digest_due(clock.now()).expect("the digest");
    assert_eq!(d.new_ideas, 10_000);
    assert_eq!(d.decisions.total(), 300);
    assert_eq!(d.most_voted.len(), 5);
    assert_eq!(d.most_voted[0].votes, 17);
    assert_eq!(d.waiting.count, 9_700);
    let blocks = blocks_json(&d, "ten_thousand");
    let all = all_text(&blocks);
    assert!(all.contains("…and 292 more"), "decisions summed up: {all}");
    assert!(
        all.contains("…and 9,695 more"),
        "the queue summed up: {all}"
    );
    assert!(
        all.contains("…and 28 more tracks with 7,000 ideas"),
        "{all}"
    );
    assert!(!all.contains("<!channel>"), "nobody is pinged");
    let text = digest_text(&d);
    assert!(text.lines().count() < 80, "the text stays short too");
}

/// The bot as `digest --post` builds it, on the paused clock, without a transport.
async fn bot(
    slack: &FakeSlack,
    dir: &Path,
    config: &Arc<Config>,
    clock: &PausedClock,
) -> problemfirst::startup::Application {
    let c = clock.clone();
    crate::support::app::spawn()
        .config(Arc::clone(config))
        .clock(Arc::new(move || c.now()))
        .transport(crate::support::app::Transport::None)
        .build(slack, dir)
        .await
}

#[tokio::test]
async fn the_outbox_posts_the_digest_and_its_mark_keeps_the_message() {
    let slack = FakeSlack::start().await;
    let dir = TempDir::new().expect("temp dir");
    let clock = PausedClock::at("2026-03-09T09:00:00Z");
    let bot = bot(&slack, dir.path(), &monday_nine_utc(), &clock).await;
    let app = bot.app();
    create(
        app.store(),
        &[pitch(
            "2026-03-03T10:00:00Z",
            "execution",
            Verdict::Problem,
            "Technicians wait for parts",
        )],
    );
    assert_eq!(
        app.queue_digest_if_due(clock.now()).expect("tick"),
        Some(ids::week("2026-03-02"))
    );
    bot.deliver_due().await;
    let posts = slack.delivered("chat.postMessage");
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].arg("channel"), Some(CHANNEL));
    let blocks = posts[0].args["blocks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        blocks[0]["text"]["text"],
        "Weekly digest, week of 2 March 2026"
    );
    assert!(all_text(&blocks).contains("Technicians wait for parts"));
    let mark = app
        .store()
        .digest_mark(&ids::channel(CHANNEL), ids::week("2026-03-02"))
        .expect("reads")
        .expect("marked");
    assert_eq!(mark.state, MarkState::Posted);
    assert!(mark.ts.as_deref().is_some_and(|ts| !ts.is_empty()));
    // Nothing more to deliver, and the week is not queued again.
    assert_eq!(bot.deliver_due().await, 0);
    assert_eq!(
        app.queue_digest_if_due(at("2026-03-12T09:00:00Z"))
            .expect("tick"),
        None
    );
    assert_eq!(slack.delivered("chat.postMessage").len(), 1);
}

#[tokio::test]
async fn a_digest_slack_refused_for_good_can_be_asked_for_again_and_goes_out_once() {
    let slack = FakeSlack::start().await;
    let dir = TempDir::new().expect("temp dir");
    let clock = PausedClock::at("2026-03-09T09:00:00Z");
    let bot = bot(&slack, dir.path(), &monday_nine_utc(), &clock).await;
    let app = bot.app();
    slack.fail_next(
        "chat.postMessage",
        crate::support::fake_slack::Failure::Api("not_in_channel"),
    );
    assert_eq!(
        app.queue_digest_if_due(clock.now()).expect("tick"),
        Some(ids::week("2026-03-02"))
    );
    bot.deliver_due().await;
    assert!(slack.delivered("chat.postMessage").is_empty());
    assert_eq!(app.store().dead_letters().expect("reads").len(), 1);
    // The scheduler does not try again by itself…
    assert_eq!(app.queue_digest_if_due(clock.now()).expect("tick"), None);
    assert!(queued_digests(app.store()).is_empty());
    // …but once the bot is invited, asking again (`digest --post`) sends it, once.
    let again =
        app.store()
            .requeue_digest(&ids::channel(CHANNEL), ids::week("2026-03-02"), clock.now());
    assert_eq!(again.expect("requeued"), Queueing::Queued);
    bot.deliver_due().await;
    assert_eq!(slack.delivered("chat.postMessage").len(), 1);
    let mark = app
        .store()
        .digest_mark(&ids::channel(CHANNEL), ids::week("2026-03-02"))
        .expect("reads")
        .expect("marked");
    assert_eq!(mark.state, MarkState::Posted);
    let again =
        app.store()
            .requeue_digest(&ids::channel(CHANNEL), ids::week("2026-03-02"), clock.now());
    assert!(matches!(again, Ok(Queueing::Already(m)) if m.state == MarkState::Posted));
    // A digest still waiting in the outbox is not queued twice either.
    let next =
        app.store()
            .queue_digest(&ids::channel(CHANNEL), ids::week("2026-03-09"), clock.now());
    assert_eq!(next.expect("queued"), Queueing::Queued);
    let again =
        app.store()
            .requeue_digest(&ids::channel(CHANNEL), ids::week("2026-03-09"), clock.now());
    assert!(matches!(again, Ok(Queueing::Already(m)) if m.state == MarkState::Queued));
    assert_eq!(queued_digests(app.store()).len(), 1);
}

#[tokio::test]
async fn idea_digest_previews_the_week_so_far_to_the_asker_only() {
    let slack = FakeSlack::start().await;
    let dir = TempDir::new().expect("temp dir");
    let clock = PausedClock::at("2026-03-11T12:00:00Z");
    let c = clock.clone();
    // Nothing on schedule: last week's digest, due by now, would be posted (as `serve` posts a
    // digest it missed), and this test is about what the preview alone does.
    let mut config = (*monday_nine_utc()).clone();
    config.digest.enabled = false;
    let bot = crate::support::app::spawn()
        .config(config)
        .clock(Arc::new(move || c.now()))
        .run(&slack, dir.path())
        .await;
    let app = &bot.app;
    create(
        app.store(),
        &[
            pitch(
                "2026-03-05T10:00:00Z",
                "execution",
                Verdict::Problem,
                "Last week's",
            ),
            pitch(
                "2026-03-10T10:00:00Z",
                "search",
                Verdict::Problem,
                "This week's so far",
            ),
        ],
    );
    let (status, ack) = crate::support::signing::post_form_signed(
        &format!("{}/slack/commands", bot.url),
        crate::support::app::SECRET,
        &crate::support::signing::slash_command(
            "digest",
            "U1",
            "C1",
            "trigger",
            &slack.response_url("r1"),
        ),
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{ack}");
    let content: Value = serde_json::from_str(&ack).expect("answered in the acknowledgement");
    assert_eq!(content["response_type"], "ephemeral");
    let blocks = content["blocks"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        blocks[0]["text"]["text"],
        "Digest preview, week of 9 March 2026 (so far)"
    );
    let all = all_text(&blocks);
    assert!(
        all.contains("This week's so far") || all.contains("1 new idea"),
        "{all}"
    );
    assert!(
        all.contains("Mon 9 Mar 09:00 – Wed 11 Mar 12:00 (UTC)"),
        "{all}"
    );
    // Nothing was posted to any channel and nothing queued: a preview is only an answer.
    assert!(slack.delivered("chat.postMessage").is_empty());
    assert!(queued_digests(app.store()).is_empty());
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_problemfirst"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("PROBLEMFIRST_CONFIG")
        .env_remove("PROBLEMFIRST_DATA")
        .env_remove("SLACK_BOT_TOKEN")
        .env_remove("SLACK_API_URL")
        .args(args)
        .output()
        .expect("problemfirst runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_digest_command_prints_text_blocks_and_json() {
    let dir = TempDir::new().expect("temp dir");
    {
        let store = Store::open(dir.path()).expect("store");
        create(
            &store,
            &[pitch(
                "2026-03-03T10:00:00Z",
                "execution",
                Verdict::Problem,
                "Technicians wait for parts",
            )],
        );
    }
    let data = dir.path().to_string_lossy().into_owned();
    let base = [
        "digest",
        "--data",
        data.as_str(),
        "--now",
        "2026-03-09T09:00:00Z",
    ];

    let o = cli(&[&base[..], &["--format", "text"]].concat());
    assert!(o.status.success(), "{o:?}");
    assert!(
        stdout(&o).starts_with("Weekly digest, week of 2 March 2026\n"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("New ideas: 1 new idea (none the week before)"));

    let o = cli(&[&base[..], &["--format", "json"]].concat());
    assert!(o.status.success(), "{o:?}");
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["week"], "2026-03-02");
    assert_eq!(v["new_ideas"], 1);
    assert_eq!(v["quality"]["problem_led"], 1);

    let o = cli(&[&base[..], &["--format", "blocks"]].concat());
    assert!(o.status.success(), "{o:?}");
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["blocks"][0]["type"], "header");
    assert!(v["text"].as_str().is_some_and(|t| t.contains("1 new idea")));

    // A week later the next week is due, and it is empty.
    let o = cli(&[
        "digest",
        "--data",
        data.as_str(),
        "--now",
        "2026-03-16T09:00:00+00:00",
    ]);
    assert!(stdout(&o).contains("A quiet week"), "{}", stdout(&o));

    let o = cli(&["digest", "--data", data.as_str(), "--now", "next monday"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--now 'next monday' is not an RFC 3339 time")
    );

    // The shipped config names no channel, so there is nowhere to post.
    let o = cli(&[&base[..], &["--post"]].concat());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("set digest.channel"),
        "{o:?}"
    );
}

#[tokio::test]
async fn digest_post_posts_once_and_serve_would_not_post_it_again() {
    let slack = FakeSlack::start().await;
    let dir = TempDir::new().expect("temp dir");
    let config_file = dir.path().join("problemfirst.toml");
    let shipped = std::fs::read_to_string(shipped_path()).expect("shipped config");
    let with_channel = shipped.replacen(
        "# channel = \"C0123456789\"",
        &format!("channel = \"{CHANNEL}\""),
        1,
    );
    assert_ne!(
        with_channel, shipped,
        "the shipped config shows where the channel goes"
    );
    std::fs::write(&config_file, with_shipped_model(&with_channel)).expect("config written");
    let data = dir.path().join("data");
    let post = {
        let (config_file, data, api) = (config_file.clone(), data.clone(), slack.api_url());
        move || {
            Command::new(env!("CARGO_BIN_EXE_problemfirst"))
                .args([
                    "digest",
                    "--post",
                    "--now",
                    "2026-03-09T10:00:00Z",
                    "--config",
                ])
                .arg(&config_file)
                .arg("--data")
                .arg(&data)
                .env("SLACK_BOT_TOKEN", "xoxb-test")
                .env("SLACK_API_URL", &api)
                .output()
                .expect("problemfirst runs")
        }
    };
    let first = tokio::task::spawn_blocking(post.clone())
        .await
        .expect("ran");
    assert!(first.status.success(), "{first:?}");
    assert!(
        stdout(&first).contains("Posted the digest for the week of 2026-03-02 to CDIGEST"),
        "{}",
        stdout(&first)
    );
    let second = tokio::task::spawn_blocking(post).await.expect("ran");
    assert!(second.status.success(), "{second:?}");
    assert!(
        stdout(&second).contains("was posted to CDIGEST already (message"),
        "{}",
        stdout(&second)
    );
    assert_eq!(slack.delivered("chat.postMessage").len(), 1);

    // serve, started that week, finds the week marked.
    let config = Arc::new(Config::load(&config_file).expect("config"));
    let clock = PausedClock::at("2026-03-09T11:00:00Z");
    let app = app(&data, &config, &clock);
    assert_eq!(app.queue_digest_if_due(clock.now()).expect("tick"), None);
}

#[test]
fn the_digest_section_is_checked_with_line_and_key() {
    let shipped = std::fs::read_to_string(shipped_path()).expect("shipped config");
    let defaults =
        Config::parse(&shipped, Path::new("config/ok.toml")).expect("shipped config parses");
    assert!(defaults.digest.enabled);
    assert_eq!(defaults.digest.channel, None);
    assert_eq!(defaults.digest.schedule.zone_name, "UTC");
    for (old, new, key) in [
        ("time = \"09:00\"", "time = \"9am\"", "digest.time"),
        (
            "weekday = \"monday\"",
            "weekday = \"someday\"",
            "digest.weekday",
        ),
        (
            "timezone = \"UTC\"",
            "timezone = \"Mars/Olympus\"",
            "digest.timezone",
        ),
    ] {
        assert!(shipped.contains(old), "the shipped config has {old}");
        let text = shipped.replacen(old, new, 1);
        let line = text.lines().position(|l| l.contains(new)).map(|i| i + 1);
        let err = Config::parse(&text, Path::new("config/bad.toml")).expect_err("refused");
        assert_eq!(err.line, line, "{err}");
        assert_eq!(err.key.as_deref(), Some(key), "{err}");
        assert!(
            err.to_string()
                .starts_with(&format!("config/bad.toml:{}: {key}: ", line.unwrap_or(0))),
            "{err}"
        );
    }
    let text = shipped.replacen("weekday = \"monday\"", "weekday = \"monday\"\nhour = 9", 1);
    let err = Config::parse(&text, Path::new("config/bad.toml")).expect_err("unknown key refused");
    assert!(err.to_string().contains("hour"), "{err}");
    let text = shipped.replacen("timezone = \"UTC\"", "timezone = \"Europe/Amsterdam\"", 1);
    let c = Config::parse(&text, Path::new("config/ok.toml")).expect("a zone with daylight saving");
    assert_eq!(c.digest.schedule.zone_name, "Europe/Amsterdam");
}

/// The shipped config's model and word classes, by absolute path, for a copy of the config
/// written elsewhere.
fn with_shipped_model(text: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    text.replacen(
        "file = \"model.txt\"",
        &format!("file = {:?}", root.join("model.txt").to_string_lossy()),
        1,
    )
    .replacen(
        "lexicon = \"wordnet/lexicon.txt\"",
        &format!(
            "lexicon = {:?}",
            root.join("wordnet/lexicon.txt").to_string_lossy()
        ),
        1,
    )
    .replacen(
        "vectors = \"wordvec/vectors.bin\"",
        &format!(
            "vectors = {:?}",
            root.join("wordvec/vectors.bin").to_string_lossy()
        ),
        1,
    )
}
