//! Socket Mode pitches across crashes: `serve` over Socket Mode takes idea-channel messages in
//! bursts and is killed with SIGKILL in the middle, a few times over. Every envelope it
//! acknowledged must be filed once it runs again, and every one it did not is delivered again the
//! way Slack redelivers it (the same event, a new envelope, `retry_attempt` counting up), and must
//! be filed too — each exactly once.

use crate::support::fake_slack::FakeSlack;
use crate::support::process::{
    check_every_acknowledged_filed_once, resumed_at_start, Options, Serve,
};
use crate::support::signing;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const ROUNDS: u64 = 3;
/// Envelopes sent at once, before a short pause: several are in flight when the kill comes.
const BURST: usize = 4;
const IDEAS: &str = "CIDEAS";
const PITCH: &str =
    "Warehouse pickers walk twice the distance they need because shelf labels are out of date.";

#[derive(Clone, Debug)]
struct Event {
    id: String,
    ts: String,
    payload: Value,
}

fn event(n: usize) -> Event {
    let ts = format!("1700{n:06}.000100");
    // One person per pitch: the hourly limit per person is another test's subject.
    let payload = signing::event_callback(
        &format!("Ev{n:06}"),
        signing::message_event(IDEAS, &format!("U{n:06}"), &ts, PITCH),
    );
    Event {
        id: format!("Ev{n:06}"),
        ts,
        payload,
    }
}

fn envelope(event: &Event, attempt: u32) -> Value {
    let mut envelope = signing::envelope("events_api", event.payload.clone());
    envelope["retry_attempt"] = json!(attempt);
    envelope["retry_reason"] = json!(if attempt > 0 { "timeout" } else { "" });
    envelope
}

/// Starts the bot and waits until it is connected over Socket Mode.
async fn start(fake: &FakeSlack, options: &Options) -> Serve {
    let before = fake.connections();
    let mut serve = Serve::start(options);
    serve.ready(Duration::from_secs(30)).await;
    assert!(
        fake.wait_connections(before + 1, Duration::from_secs(30))
            .await
            > before,
        "the bot connected over Socket Mode"
    );
    serve
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_envelopes_survive_sigkill_and_redeliveries_of_the_rest_are_processed() {
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let mut options = Options::http(&data, &fake.api_url());
    options.socket_mode = true;
    options.json_logs = true;
    let mut acked: Vec<Event> = Vec::new();
    // Sent (or redelivered) and not acknowledged: the event, its envelope, its attempt.
    let mut unanswered: Vec<(Event, Option<String>, u32)> = Vec::new();
    let mut redelivered_and_acked = 0;
    let mut resumed = 0;
    let mut next = 0usize;
    let started = Instant::now();

    for round in 0..ROUNDS {
        let mut serve = start(&fake, &options).await;
        let mut sent: Vec<(Event, Option<String>, u32)> = Vec::new();
        // Slack redelivers what went unacknowledged before the crash.
        for (event, _, attempt) in std::mem::take(&mut unanswered) {
            let id = fake.try_send_envelope(envelope(&event, attempt + 1));
            sent.push((event, id, attempt + 1));
        }
        // Bursts, and a kill in the middle of them: 150..=400 ms in, varied from round to round.
        let kill_at = Duration::from_millis(150 + round * 83 % 251);
        let round_started = Instant::now();
        'sending: while round_started.elapsed() < kill_at {
            for _ in 0..BURST {
                let event = event(next);
                next += 1;
                let Some(id) = fake.try_send_envelope(envelope(&event, 0)) else {
                    break 'sending;
                };
                sent.push((event, Some(id), 0));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        serve.kill();
        resumed += resumed_at_start(&serve.take_logs());
        for (event, id, attempt) in sent {
            if id.as_deref().is_some_and(|id| fake.ack(id).is_some()) {
                if attempt > 0 {
                    redelivered_and_acked += 1;
                }
                acked.push(event);
            } else {
                unanswered.push((event, id, attempt));
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the crash test is taking too long"
        );
    }

    // Once more, to the end: the last redeliveries, and time to finish what was acknowledged.
    let mut serve = start(&fake, &options).await;
    let mut redelivered = Vec::new();
    for (event, _, attempt) in std::mem::take(&mut unanswered) {
        let id = fake.send_envelope(envelope(&event, attempt + 1)).await;
        redelivered.push((event, id));
    }
    for (event, id) in redelivered {
        assert!(
            fake.wait_ack(&id, Duration::from_secs(10)).await.is_some(),
            "the redelivery of {} was acknowledged",
            event.id
        );
        redelivered_and_acked += 1;
        acked.push(event);
    }
    let acked_ids: Vec<(&str, &str)> = acked
        .iter()
        .map(|e| (e.id.as_str(), e.ts.as_str()))
        .collect();
    let story = format!(
        "in {ROUNDS} SIGKILL rounds and a last run, {redelivered_and_acked} of them redeliveries"
    );
    check_every_acknowledged_filed_once(
        &fake,
        &mut serve,
        &data,
        &acked_ids,
        "envelopes",
        &story,
        resumed,
    )
    .await;
}
