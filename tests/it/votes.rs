//! Votes: the configured reaction on an idea's messages (the pitch, the bot's "filed" reply, the
//! triage card) counts once per person, through `reaction_added` / `reaction_removed` events over
//! the HTTP Events API; repeats, retries and removals are exact, the submitter's own reaction does
//! not count, and the count shows on the card, in the App Home and in the export.

use crate::support::ids;

use crate::support::roles::{self, EXEC_TRIAGE, IDEAS, SUBMITTER};
use crate::support::signing;
use problemfirst::app::App;
use problemfirst::domain::{Idea, IdeaId};
use serde_json::{json, Value};
use std::time::Duration;

const PROBLEM: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";
/// How long to wait for what must happen: an upper bound, not an expectation (on a busy machine
/// a filing's fsync can take seconds).
const WAIT: Duration = Duration::from_secs(20);

fn reaction(kind: &str, user: &str, name: &str, channel: &str, ts: &str, author: &str) -> Value {
    json!({
        "type": kind,
        "user": user,
        "reaction": name,
        "item_user": author,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": "1700000100.000100"
    })
}

fn get(app: &App, id: IdeaId) -> Idea {
    app.store().get(id).expect("read").expect("exists")
}

fn voters(app: &App, id: IdeaId) -> Vec<String> {
    get(app, id).voters.into_iter().map(String::from).collect()
}

/// The n-th ts the fake Slack hands out (it numbers every message and view it makes).
fn fake_ts(n: u64) -> String {
    let micros = n * 100;
    format!(
        "{}.{:06}",
        1_700_000_000 + micros / 1_000_000,
        micros % 1_000_000
    )
}

/// A pitch posted in the idea channel, filed, with its "filed" reply and its card posted.
/// Returns the idea, the pitch's ts, the reply's ts and the card's ts.
async fn pitched(r: &crate::support::app::TestApp) -> (Idea, String, String, String) {
    let pitch_ts = "1690000000.000100";
    r.event(
        "EvPitch",
        signing::message_event(IDEAS, SUBMITTER, pitch_ts, PROBLEM),
    )
    .await;
    let id = IdeaId::new(1);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        // The reply is the one message of the idea channel that the bot knows as the idea's.
        let reply = (1..=10).map(fake_ts).find(|ts| {
            r.app
                .store()
                .idea_of_message(IDEAS, ts)
                .expect("reads")
                .is_some()
        });
        let card = r.app.store().get(id).expect("read").and_then(|i| i.card);
        if let (Some(card), Some(reply)) = (card, reply) {
            return (
                get(&r.app, id),
                pitch_ts.to_string(),
                reply,
                card.ts.to_string(),
            );
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the reply and the card are posted and recorded"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn one_vote_per_person_exact_under_repeats_retries_and_removals() {
    let r = roles::start().await;
    let (idea, pitch_ts, reply_ts, card_ts) = pitched(&r).await;
    let id = idea.id;
    let mut n = 0;
    let mut send =
        |kind: &'static str, user: &'static str, name: &'static str, ch: &str, ts: &str| {
            n += 1;
            (
                format!("EvVote{n}"),
                reaction(kind, user, name, ch, ts, SUBMITTER),
            )
        };
    // U1 on the card, twice (a repeated event with a new id), and its retry (same id).
    let (first, event) = send("reaction_added", "U1", "+1", EXEC_TRIAGE, &card_ts);
    assert_eq!(r.event(&first, event.clone()).await, 200);
    assert_eq!(r.event(&first, event).await, 200, "a retried delivery");
    let (again, event) = send("reaction_added", "U1", "+1", EXEC_TRIAGE, &card_ts);
    r.event(&again, event).await;
    assert_eq!(voters(&r.app, id), vec!["U1"]);
    // U1 also on the pitch itself and on the "filed" reply: still one vote.
    let (e, event) = send("reaction_added", "U1", "+1", IDEAS, &pitch_ts);
    r.event(&e, event).await;
    let (e, event) = send("reaction_added", "U1", "+1::skin-tone-3", IDEAS, &reply_ts);
    r.event(&e, event).await;
    assert_eq!(voters(&r.app, id), vec!["U1"]);
    assert_eq!(get(&r.app, id).reactions["U1"].len(), 3);
    // U2 votes; the submitter's own reaction and other reactions do not count.
    for (user, name) in [("U2", "+1"), (SUBMITTER, "+1"), ("U3", "tada")] {
        let (e, event) = send("reaction_added", "U1", name, EXEC_TRIAGE, &card_ts);
        let mut event = event;
        event["user"] = json!(user);
        r.event(&e, event).await;
    }
    assert_eq!(voters(&r.app, id), vec!["U1", "U2"]);
    // Removing one of U1's three reactions keeps the vote; removing all takes it back.
    let (e, event) = send("reaction_removed", "U1", "+1", EXEC_TRIAGE, &card_ts);
    r.event(&e, event).await;
    assert_eq!(voters(&r.app, id), vec!["U1", "U2"]);
    let (e, event) = send("reaction_removed", "U1", "+1", IDEAS, &pitch_ts);
    r.event(&e, event).await;
    let (e, event) = send(
        "reaction_removed",
        "U1",
        "+1::skin-tone-3",
        IDEAS,
        &reply_ts,
    );
    r.event(&e, event).await;
    assert_eq!(voters(&r.app, id), vec!["U2"]);
    // A removal repeated, and one of a reaction never counted, change nothing.
    let (e, event) = send("reaction_removed", "U1", "+1", IDEAS, &reply_ts);
    r.event(&e, event).await;
    let (e, event) = send("reaction_removed", "U9", "+1", EXEC_TRIAGE, &card_ts);
    r.event(&e, event).await;
    assert_eq!(voters(&r.app, id), vec!["U2"]);
    // A reaction on some other message is nobody's vote.
    let (e, event) = send("reaction_added", "U4", "+1", IDEAS, "1600000000.000001");
    r.event(&e, event).await;
    assert_eq!(voters(&r.app, id), vec!["U2"]);
}

#[tokio::test]
async fn votes_show_on_the_card_and_in_the_app_home() {
    let r = roles::start().await;
    let (idea, _, _, card_ts) = pitched(&r).await;
    for (i, user) in ["U1", "U2", "U3"].into_iter().enumerate() {
        r.event(
            &format!("EvV{i}"),
            reaction("reaction_added", user, "+1", EXEC_TRIAGE, &card_ts, "UBOT"),
        )
        .await;
    }
    assert_eq!(get(&r.app, idea.id).voters.len(), 3);
    // The card is updated with the count.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let updated = r
            .fake
            .calls_to("chat.update")
            .iter()
            .any(|c| c.args["blocks"].to_string().contains("3 votes"));
        if updated {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the card shows 3 votes"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The submitter's App Home.
    r.event(
        "EvHome",
        json!({"type": "app_home_opened", "user": SUBMITTER, "channel": "DHOME", "tab": "home"}),
    )
    .await;
    let homes = r.fake.wait_for("views.publish", 1, WAIT).await;
    assert!(
        homes[0].args["view"].to_string().contains("3 votes"),
        "{}",
        homes[0].args["view"]
    );
}

#[tokio::test]
async fn the_export_counts_votes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    {
        let app = crate::support::app::core(&data, roles::config());
        let submission = problemfirst::app::Submission {
            pitch: PROBLEM.into(),
            submitter: ids::user(SUBMITTER),
            source: problemfirst::domain::Source::Console,
            origin: Default::default(),
            track: None,
            anonymous: false,
            answer: Default::default(),
        };
        let id = app.submit(submission).await.expect("filed").idea().id;
        app.store().link_message("C1", "1.1", id).expect("link");
        for user in ["U1", "U2", "U1", SUBMITTER] {
            app.react(
                &ids::channel("C1"),
                &ids::ts("1.1"),
                None,
                &ids::user(user),
                true,
            )
            .expect("react");
        }
        app.store().flush().expect("flush");
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_problemfirst"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "export",
            "--format",
            "json",
            "--data",
            data.to_str().expect("utf-8"),
        ])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(row["votes"], 2, "{row}");
}
