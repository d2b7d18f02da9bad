//! The outbox against a Slack that fails: rate limits, server errors, dropped connections and
//! slow answers to a share of calls, a restart in the middle, permanent errors kept as dead
//! letters — and at the end every message posted exactly once.

use crate::support::ids;

use crate::support::app::{spawn, Transport};
use crate::support::fake_slack::{Failure, FakeSlack, Gate};
use problemfirst::app::{Answer, Submission};
use problemfirst::domain::{Audience, Notice, Source};
use std::collections::HashMap;
use std::time::Duration;

const PITCHES: usize = 24;

fn pitch(n: usize) -> Submission {
    Submission {
        pitch: format!(
            "Warehouse pickers in hall {n} walk back to the desk for every label, so each order waits ten minutes."
        ),
        submitter: ids::user(&format!("U{n:03}")),
        source: Source::Channel,
        origin: Default::default(),
        track: None,
        anonymous: false,
        answer: Answer::Thread {
            channel: ids::channel("CIDEAS"),
            ts: ids::ts(&format!("1700000000.{n:06}")),
        },
    }
}

/// Thread replies that landed, counted per thread.
fn landed(fake: &FakeSlack) -> HashMap<String, usize> {
    let mut per_thread = HashMap::new();
    for call in fake.delivered("chat.postMessage") {
        if let Some(ts) = call.arg("thread_ts") {
            *per_thread.entry(ts.to_string()).or_default() += 1;
        }
    }
    per_thread
}

async fn wait_landed(fake: &FakeSlack, want: usize, timeout: Duration) -> HashMap<String, usize> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let now = landed(fake);
        if now.len() >= want || tokio::time::Instant::now() >= deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_lands_exactly_once_through_failures_and_a_restart() {
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().expect("temp dir");

    // A share of the calls fail in every way Slack fails, or answer slowly.
    for failure in [
        Failure::RateLimited {
            retry_after_secs: 1,
        },
        Failure::Status(500),
        Failure::Status(503),
        Failure::Disconnect,
        Failure::Api("internal_error"),
        Failure::Stall(Duration::from_millis(300)),
        Failure::Status(502),
        Failure::RateLimited {
            retry_after_secs: 1,
        },
    ] {
        fake.fail_next("chat.postMessage", failure);
    }

    let first = spawn()
        .transport(Transport::None)
        .run(&fake, dir.path())
        .await;
    for n in 0..PITCHES / 2 {
        first.app.submit(pitch(n)).await.expect("filed");
    }
    // Stop in the middle: some messages out, some waiting for a retry.
    let part = wait_landed(&fake, 3, Duration::from_secs(10)).await;
    assert!(part.len() >= 3, "some messages go out before the restart");
    assert!(first.stop().await, "stops cleanly");

    let second = spawn()
        .transport(Transport::None)
        .run(&fake, dir.path())
        .await;
    for n in PITCHES / 2..PITCHES {
        second.app.submit(pitch(n)).await.expect("filed");
    }
    let all = wait_landed(&fake, PITCHES, Duration::from_secs(30)).await;
    // Let anything that would be a duplicate show up before counting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = landed(&fake)
        .into_iter()
        .chain(all)
        .collect::<HashMap<_, _>>();
    assert_eq!(
        all.len(),
        PITCHES,
        "every pitch got its thread reply: {all:?}"
    );
    for (thread, count) in &all {
        assert_eq!(*count, 1, "thread {thread} got {count} replies");
    }
    let failed_attempts =
        fake.calls_to("chat.postMessage").len() - fake.delivered("chat.postMessage").len();
    assert!(
        failed_attempts >= 7,
        "the failures were met: {failed_attempts}"
    );
    let stats = second.app.store().outbox_stats().expect("stats");
    assert_eq!((stats.depth, stats.dead), (0, 0));
    assert!(second.stop().await);
}

#[tokio::test]
async fn permanent_errors_become_dead_letters_and_the_rest_still_goes_out() {
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    fake.fail_next("chat.postMessage", Failure::Api("channel_not_found"));
    let bot = spawn()
        .transport(Transport::None)
        .run(&fake, dir.path())
        .await;
    let to = |user: &str| Audience::Person {
        user: ids::user(user),
    };
    bot.app
        .store()
        .enqueue(&[
            Notice::Text {
                to: to("UGONE"),
                text: "first".into(),
            },
            Notice::Text {
                to: to("UHERE"),
                text: "second".into(),
            },
        ])
        .expect("queued");
    let delivered = fake
        .wait_for("chat.postMessage", 2, Duration::from_secs(5))
        .await;
    assert_eq!(delivered.len(), 2, "both were tried");
    let app = bot.app.clone();
    assert!(bot.stop().await);
    let dead = app.store().dead_letters().expect("dead letters");
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(dead[0]["error"]
        .as_str()
        .unwrap_or_default()
        .contains("channel_not_found"));
    assert_eq!(
        fake.delivered("chat.postMessage")
            .iter()
            .map(|c| c.arg("channel").unwrap_or_default().to_string())
            .collect::<Vec<_>>(),
        ["UHERE"]
    );
    assert_eq!(app.store().outbox_stats().expect("stats").depth, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_call_does_not_hold_messages_to_other_places() {
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    // The first message is taken by Slack but answered only when the test says so: no race
    // with the machine's speed, only with the bot's own 10-second limit on a call.
    let gate = Gate::new();
    fake.fail_next("chat.postMessage", Failure::Hold(gate.clone()));
    let bot = spawn()
        .transport(Transport::None)
        .run(&fake, dir.path())
        .await;
    let text = |user: &str| Notice::Text {
        to: Audience::Person {
            user: ids::user(user),
        },
        text: format!("for {user}"),
    };
    bot.app.store().enqueue(&[text("USLOW")]).expect("queued");
    let arrived = fake
        .wait_for("chat.postMessage", 1, Duration::from_secs(5))
        .await;
    assert_eq!(arrived.len(), 1, "the slow call is under way");
    // Queued while it is: another person's message goes out without waiting for it.
    bot.app.store().enqueue(&[text("UQUICK")]).expect("queued");
    let landed = |fake: &FakeSlack| -> Vec<String> {
        fake.delivered("chat.postMessage")
            .iter()
            .map(|c| c.arg("channel").unwrap_or_default().to_string())
            .collect()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while landed(&fake).is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The slow call is still the bot's first try: had the quick message waited for it, it
    // would have gone out only after that try had ended (at the earliest, the call's limit).
    let waiting: Vec<(String, u32)> = bot
        .app
        .outbox(10)
        .expect("outbox")
        .iter()
        .map(|p| (format!("{:?}", p.entry.notice), p.entry.attempts))
        .collect();
    let calls: Vec<(String, Duration)> = fake
        .calls_to("chat.postMessage")
        .iter()
        .map(|c| {
            let to = c.arg("channel").unwrap_or_default().to_string();
            (to, c.at.duration_since(arrived[0].at))
        })
        .collect();
    assert_eq!(
        landed(&fake),
        ["UQUICK"],
        "the quick one landed while the slow one was held; calls: {calls:?}; outbox: {waiting:?}"
    );
    assert!(
        waiting.len() == 1 && waiting[0].0.contains("USLOW") && waiting[0].1 == 0,
        "the slow one is still on its first try; calls: {calls:?}; outbox: {waiting:?}"
    );
    gate.open();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while landed(&fake).len() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        landed(&fake),
        ["UQUICK", "USLOW"],
        "the slow one landed too"
    );
    assert!(bot.stop().await);
}
