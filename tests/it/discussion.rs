//! Discussion: replies in the thread of an idea's "filed" message (the pitch's thread) or of its
//! triage card are its comments (author, time, text), counted once however often Slack delivers
//! them, shown on the card and in the export; a reply is never an idea. Over HTTP and Socket Mode.

use crate::support::app::{spawn, TestApp, Transport};
use crate::support::roles::{self, EXEC_TRIAGE, IDEAS, SUBMITTER};
use crate::support::signing;
use problemfirst::domain::{Idea, IdeaId};
use serde_json::Value;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const PROBLEM: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";
const PITCH_TS: &str = "1690000000.000100";

fn reply(channel: &str, user: &str, thread: &str, ts: &str, text: &str) -> Value {
    let mut m = signing::message_event(channel, user, ts, text);
    m["thread_ts"] = thread.into();
    m["parent_user_id"] = SUBMITTER.into();
    m
}

async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(t) = f() {
            return t;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn idea(bot: &TestApp) -> Idea {
    bot.app
        .store()
        .get(IdeaId::new(1))
        .expect("read")
        .expect("filed")
}

/// The pitch filed, its reply and card posted; the card's ts.
async fn filed(bot: &TestApp, send: &impl AsyncFn(&str, Value)) -> String {
    send(
        "EvPitch",
        signing::message_event(IDEAS, SUBMITTER, PITCH_TS, PROBLEM),
    )
    .await;
    let store = bot.app.store().clone();
    until("the filed reply is posted and its thread known", || {
        store.idea_of_message(IDEAS, PITCH_TS).ok().flatten()
    })
    .await;
    until("the card is posted", || {
        store
            .get(IdeaId::new(1))
            .ok()
            .flatten()
            .and_then(|i| i.card)
            .map(|c| c.ts.to_string())
    })
    .await
}

async fn discussed(bot: &TestApp, send: impl AsyncFn(&str, Value)) {
    let card_ts = filed(bot, &send).await;
    let first = reply(
        IDEAS,
        "U5",
        PITCH_TS,
        "1690000001.000100",
        "We see the same in the north region.",
    );
    send("EvR1", first.clone()).await;
    // The same reply delivered again under a new event id (a redelivery): one comment.
    send("EvR1again", first).await;
    send(
        "EvR2",
        reply(
            EXEC_TRIAGE,
            "U6",
            &card_ts,
            "1690000002.000100",
            "Could we measure the second visits per depot?",
        ),
    )
    .await;
    // A bot's reply, and a reply in some other thread: no comment, no idea.
    let mut by_bot = reply(IDEAS, "U7", PITCH_TS, "1690000003.000100", "automated note");
    by_bot["bot_id"] = "BOTHER".into();
    by_bot["subtype"] = "bot_message".into();
    send("EvBot", by_bot).await;
    send(
        "EvElsewhere",
        reply(
            IDEAS,
            "U8",
            "1690000099.000100",
            "1690000004.000100",
            PROBLEM,
        ),
    )
    .await;
    let store = bot.app.store().clone();
    let comments = until("two comments", || {
        let i = store.get(IdeaId::new(1)).ok().flatten()?;
        (i.comments.len() >= 2).then_some(i.comments)
    })
    .await;
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0].by.as_str(), "U5");
    assert_eq!(comments[0].text, "We see the same in the north region.");
    assert_eq!(comments[1].by.as_str(), "U6");
    assert_eq!(comments[1].channel.as_str(), EXEC_TRIAGE);
    assert_eq!(store.len().expect("count"), 1, "a reply is never an idea");
    // The card shows the count once it is updated.
    until("the card shows two comments", || {
        bot.fake
            .calls_to("chat.update")
            .iter()
            .any(|c| c.args.to_string().contains("2 comments"))
            .then_some(())
    })
    .await;
    // Wait a moment for the stray deliveries, then check again that nothing else came of them.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(idea(bot).comments.len(), 2);
    assert_eq!(store.len().expect("count"), 1);
}

#[tokio::test]
async fn thread_replies_are_comments_over_http_and_in_the_export() {
    let bot = roles::start().await;
    discussed(&bot, async |id, event| {
        assert_eq!(bot.event(id, event).await, 200);
    })
    .await;
    let TestApp {
        running, dir, app, ..
    } = bot;
    drop(app);
    assert!(running.stop().await, "stopped cleanly");
    let data = dir.path();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_problemfirst"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["export", "--format", "json", "--data"])
        .arg(data)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(row["comments"], 2, "{row}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thread_replies_are_comments_over_socket_mode() {
    let bot = spawn()
        .config(roles::config())
        .transport(Transport::Socket)
        .start()
        .await;
    discussed(&bot, async |id, event| {
        let envelope = bot
            .fake
            .send_envelope(signing::envelope(
                "events_api",
                signing::event_callback(id, event),
            ))
            .await;
        assert!(bot.fake.wait_ack(&envelope, WAIT).await.is_some());
    })
    .await;
}
