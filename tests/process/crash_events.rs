//! Events API pitches across crashes: `serve` in HTTP mode takes idea-channel messages from 16
//! concurrent senders and is killed with SIGKILL in the middle, a few times over. Every event it
//! acknowledged must be filed once it runs again, and every event it did not acknowledge is sent
//! again the way Slack retries it (same event id, `X-Slack-Retry-Num`), and must be filed too —
//! each exactly once.

use crate::support::fake_slack::FakeSlack;
use crate::support::process::{
    check_every_acknowledged_filed_once, resumed_at_start, Options, Serve, SECRET,
};
use crate::support::signing::{self, Signature};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROUNDS: u64 = 4;
const SENDERS: usize = 16;
const IDEAS: &str = "CIDEAS";
const PITCH: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";

#[derive(Clone, Debug)]
struct Event {
    id: String,
    ts: String,
    body: String,
}

fn event(n: usize) -> Event {
    let ts = format!("1700{n:06}.000100");
    // One person per pitch: the hourly limit per person is another test's subject.
    let body = signing::event_callback(
        &format!("Ev{n:06}"),
        signing::message_event(IDEAS, &format!("U{n:06}"), &ts, PITCH),
    )
    .to_string();
    Event {
        id: format!("Ev{n:06}"),
        ts,
        body,
    }
}

/// Sends `event` (as Slack's `retry`th retry when `retry > 0`); true when it was acknowledged.
async fn deliver(url: &str, event: &Event, retry: u32) -> bool {
    let retry_num = retry.to_string();
    let headers: Vec<(&str, &str)> = if retry > 0 {
        vec![
            ("X-Slack-Retry-Num", retry_num.as_str()),
            ("X-Slack-Retry-Reason", "http_error"),
        ]
    } else {
        Vec::new()
    };
    let sent = signing::send(
        url,
        SECRET,
        &event.body,
        "application/json",
        &headers,
        Signature::Valid,
    )
    .await;
    matches!(sent, Ok((status, _)) if status.as_u16() == 200)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_events_survive_sigkill_and_retries_of_the_rest_are_processed() {
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let mut options = Options::http(&data, &fake.api_url());
    options.json_logs = true;
    let mut acked: Vec<Event> = Vec::new();
    let mut unanswered: Vec<(Event, u32)> = Vec::new();
    let mut retried_and_acked = 0;
    let mut resumed = 0;
    let mut next = 0usize;
    let started = Instant::now();

    for round in 0..ROUNDS {
        let mut serve = Serve::start(&options);
        serve.ready(Duration::from_secs(30)).await;
        let url = format!("{}/slack/events", serve.base);
        // Slack retries what went unanswered before the crash.
        for (event, tries) in std::mem::take(&mut unanswered) {
            if deliver(&url, &event, tries + 1).await {
                retried_and_acked += 1;
                acked.push(event);
            } else {
                unanswered.push((event, tries + 1));
            }
        }
        // Load, and a kill in the middle of it: 150..=400 ms in, varied from round to round.
        let stop = Arc::new(AtomicBool::new(false));
        let mut senders = tokio::task::JoinSet::new();
        for sender in 0..SENDERS {
            let url = url.clone();
            let stop = Arc::clone(&stop);
            let first = next + sender * 10_000;
            senders.spawn(async move {
                let mut fates = Vec::new();
                for n in first.. {
                    if stop.load(Ordering::Relaxed) || n >= first + 10_000 {
                        break;
                    }
                    let event = event(n);
                    let ok = deliver(&url, &event, 0).await;
                    fates.push((event, ok));
                }
                fates
            });
        }
        next += SENDERS * 10_000;
        tokio::time::sleep(Duration::from_millis(150 + round * 83 % 251)).await;
        serve.kill();
        resumed += resumed_at_start(&serve.take_logs());
        stop.store(true, Ordering::Relaxed);
        while let Some(fates) = senders.join_next().await {
            for (event, ok) in fates.expect("a sender") {
                if ok {
                    acked.push(event);
                } else {
                    unanswered.push((event, 0));
                }
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the crash test is taking too long"
        );
    }

    // Once more, to the end: Slack's last retries, and time to finish what was acknowledged.
    let mut serve = Serve::start(&options);
    serve.ready(Duration::from_secs(30)).await;
    let url = format!("{}/slack/events", serve.base);
    for (event, tries) in std::mem::take(&mut unanswered) {
        assert!(
            deliver(&url, &event, tries + 1).await,
            "the retry of {} was answered",
            event.id
        );
        retried_and_acked += 1;
        acked.push(event);
    }
    let acked_ids: Vec<(&str, &str)> = acked
        .iter()
        .map(|e| (e.id.as_str(), e.ts.as_str()))
        .collect();
    let story = format!(
        "in {ROUNDS} SIGKILL rounds and a last run, {retried_and_acked} of them only when Slack retried"
    );
    check_every_acknowledged_filed_once(
        &fake, &mut serve, &data, &acked_ids, "events", &story, resumed,
    )
    .await;
}
