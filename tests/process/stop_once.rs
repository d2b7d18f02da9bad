//! A stop never sends a message twice: Slack takes a thread reply but answers only after longer
//! than the stop's own grace; the bot is stopped (SIGTERM) while the call is in flight and started
//! again. The reply is in the thread once, and the restarted bot does not send it again.

use crate::support::fake_slack::{Failure, FakeSlack};
use crate::support::process::{Options, Serve, SECRET};
use crate::support::signing;
use std::time::Duration;

const IDEAS: &str = "CIDEAS";
const PITCH: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";

async fn pitch(serve: &Serve, n: u32) -> String {
    let ts = format!("1700000000.{n:06}");
    let (status, _) = signing::post_json_signed(
        &format!("{}/slack/events", serve.base),
        SECRET,
        &signing::event_callback(
            &format!("EvStop{n}"),
            signing::message_event(IDEAS, &format!("U{n}"), &ts, PITCH),
        ),
    )
    .await;
    assert_eq!(status.as_u16(), 200);
    ts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_while_slack_answers_slowly_posts_each_reply_once() {
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let options = Options::http(&dir.path().join("data"), &fake.api_url());

    // The first thread reply is taken at once but answered after 8 s: longer than the 7 s the
    // stop gives acknowledged work, shorter than the 10 s a Web API call may take.
    fake.fail_next("chat.postMessage", Failure::Stall(Duration::from_secs(8)));
    let mut serve = Serve::start(&options);
    serve.ready(Duration::from_secs(30)).await;
    let first = pitch(&serve, 1).await;
    let arrived = fake
        .wait_for("chat.postMessage", 1, Duration::from_secs(10))
        .await;
    assert_eq!(arrived.len(), 1, "the reply was sent");
    let status = serve.terminate(Duration::from_secs(20)).await;
    assert!(status.is_some_and(|s| s.success()), "stopped: {status:?}");

    // Started again: a new pitch's reply goes out, and the first one is not sent again.
    let mut serve = Serve::start(&options);
    serve.ready(Duration::from_secs(30)).await;
    let second = pitch(&serve, 2).await;
    let replies = |ts: &str| {
        fake.calls_to("chat.postMessage")
            .iter()
            .filter(|c| c.arg("thread_ts") == Some(ts))
            .count()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while replies(&second) == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Anything owed from before the stop would have been sent with it, or before it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = serve.terminate(Duration::from_secs(20)).await;
    assert!(status.is_some_and(|s| s.success()), "stopped: {status:?}");
    eprintln!(
        "thread replies posted across a slow Slack, a SIGTERM and a restart: first pitch {}, \
         second pitch {}",
        replies(&first),
        replies(&second)
    );
    assert_eq!(replies(&second), 1, "the restarted bot delivers");
    assert_eq!(replies(&first), 1, "the first reply was posted once");
}
