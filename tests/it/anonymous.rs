//! Anonymous pitches: `/idea anon <pitch>` and the pitch form's box file an idea whose submitter
//! others never see: the triage card, the Details modal, the leads' Home, the digest and `export`
//! say "anonymous", while the submitter still gets their own messages and the store still knows
//! who it was. Over both transports.

use crate::support::app::{spawn, TestApp, Transport};
use crate::support::blockkit::assert_within_limits;
use crate::support::roles::{self, EXEC_TRIAGE, LEAD, OTHER, SUBMITTER};
use crate::support::signing;
use problemfirst::domain::IdeaId;
use serde_json::{json, Value};
use std::time::Duration;

/// An upper bound on what must happen, not an expectation.
const WAIT: Duration = Duration::from_secs(20);
const PROBLEM: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";

/// Sends `payload` over the bot's transport; the acknowledgement's body (Socket Mode: its
/// payload, as JSON text).
async fn send(bot: &TestApp, transport: Transport, kind: &str, payload: Value) -> String {
    match transport {
        Transport::Socket => {
            let id = bot
                .fake
                .send_envelope(signing::envelope(kind, payload))
                .await;
            let ack = bot.fake.wait_ack(&id, WAIT).await.expect("acked");
            ack["payload"].to_string()
        }
        _ => {
            let (status, body) = if kind == "slash_commands" {
                bot.command(&payload).await
            } else {
                bot.interact(&payload).await
            };
            assert_eq!(status, 200, "{body}");
            body
        }
    }
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn the_form(anonymous: bool) -> Value {
    let ticked = if anonymous {
        json!([{"text": {"type": "mrkdwn", "text": "Pitch anonymously"}, "value": "anonymous"}])
    } else {
        json!([])
    };
    json!({
        "who": {"who": {"type": "plain_text_input", "value": "Night-shift nurses"}},
        "problem": {"problem": {"type": "plain_text_input", "value": "can't find the handover notes, so patients wait"}},
        "evidence": {"evidence": {"type": "plain_text_input", "value": "12 complaints last month"}},
        "track": {"track": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "Execution"}, "value": "execution"}}},
        "anonymous": {"anonymous": {"type": "checkboxes", "selected_options": ticked}}
    })
}

async fn anonymous_pitches(transport: Transport) {
    let bot = spawn()
        .config(roles::config())
        .transport(transport)
        .start()
        .await;
    // `/idea anon <pitch>`: the submitter is answered as usual.
    let ack = send(
        &bot,
        transport,
        "slash_commands",
        signing::slash_command(
            &format!("anon {PROBLEM}"),
            SUBMITTER,
            "C1",
            "trig1",
            &bot.fake.response_url("c1"),
        ),
    )
    .await;
    assert!(ack.contains("IDEA-1"), "{ack}");
    // The form with its box ticked: the submitter hears by direct message.
    send(
        &bot,
        transport,
        "interactive",
        signing::view_submission(SUBMITTER, "new_idea", "", the_form(true)),
    )
    .await;
    // And one that is not anonymous, from someone else.
    send(
        &bot,
        transport,
        "interactive",
        signing::view_submission(OTHER, "new_idea", "", the_form(false)),
    )
    .await;
    let store = bot.app.store();
    wait_until("three ideas", || store.len().unwrap_or(0) == 3).await;
    for (n, anonymous, who) in [
        (1, true, SUBMITTER),
        (2, true, SUBMITTER),
        (3, false, OTHER),
    ] {
        let idea = store.get(IdeaId::new(n)).expect("read").expect("the idea");
        assert_eq!(idea.anonymous, anonymous, "IDEA-{n}");
        // Whoever reads the store still sees who pitched it.
        assert_eq!(idea.submitter.as_str(), who);
    }
    wait_until("the form's pitcher is told", || {
        bot.fake
            .calls_to("chat.postMessage")
            .iter()
            .any(|c| c.arg("channel") == Some(SUBMITTER) && c.args.to_string().contains("IDEA-2"))
    })
    .await;

    // The triage cards: anonymous, and the one that is not names its pitcher.
    wait_until("three cards", || {
        bot.fake
            .calls_to("chat.postMessage")
            .iter()
            .filter(|c| c.arg("channel") == Some(EXEC_TRIAGE))
            .count()
            == 3
    })
    .await;
    for card in bot
        .fake
        .calls_to("chat.postMessage")
        .iter()
        .filter(|c| c.arg("channel") == Some(EXEC_TRIAGE))
    {
        let blocks = card.args["blocks"].to_string();
        if blocks.contains("\"card_3\"") {
            assert!(
                blocks.contains(&format!("Pitched by <@{OTHER}>")),
                "{blocks}"
            );
        } else {
            assert!(blocks.contains("Pitched by anonymous"), "{blocks}");
            assert!(!blocks.contains(SUBMITTER), "{blocks}");
        }
    }

    // The Details modal, opened by a colleague from the idea board.
    let mut click = signing::block_action(OTHER, "board_details", "IDEA-1", "", "", "t-details");
    click["container"] = json!({"type": "view", "view_id": "VHOME"});
    for key in ["channel", "message", "response_url"] {
        click.as_object_mut().expect("object").remove(key);
    }
    send(&bot, transport, "interactive", click).await;
    let opened = bot.fake.wait_for("views.open", 1, WAIT).await;
    let details = &opened[0].args["view"];
    assert_within_limits(&details["blocks"], 100);
    let shown = details["blocks"].to_string();
    assert!(shown.contains("anonymous"), "{shown}");
    assert!(!shown.contains(SUBMITTER), "{shown}");

    // A lead's Home, and the digest (a preview, in the acknowledgement).
    let opened =
        json!({"type": "app_home_opened", "user": LEAD, "channel": "DHOME", "tab": "home"});
    match transport {
        Transport::Socket => {
            let event = signing::event_callback("EvLeadHome", opened);
            let id = bot
                .fake
                .send_envelope(signing::envelope("events_api", event))
                .await;
            assert!(bot.fake.wait_ack(&id, WAIT).await.is_some());
        }
        _ => assert_eq!(bot.event("EvLeadHome", opened).await, 200),
    }
    let homes = bot.fake.wait_for("views.publish", 1, WAIT).await;
    let home = homes[0].args["view"]["blocks"].to_string();
    assert!(home.contains("IDEA-1"), "{home}");
    assert!(!home.contains(SUBMITTER), "{home}");
    let digest = send(
        &bot,
        transport,
        "slash_commands",
        signing::slash_command("digest", LEAD, "C1", "trig9", &bot.fake.response_url("d")),
    )
    .await;
    assert!(
        digest.contains("IDEA-1") || digest.contains("3 new"),
        "{digest}"
    );
    assert!(!digest.contains(SUBMITTER), "{digest}");

    // `export`, once the bot has stopped (over HTTP only: it reads the store, whatever the
    // transport was, and Socket Mode's connections let go of the store on their own time).
    if transport == Transport::Socket {
        return;
    }
    let TestApp {
        running, dir, app, ..
    } = bot;
    running.stop().await;
    // The store is free once the last handle on it is gone.
    drop(app);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_problemfirst"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["export", "--format", "json", "--data"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let submitter = |id: &str| {
        rows.iter()
            .find(|r| r["id"] == id)
            .map(|r| r["submitter"].clone())
    };
    assert_eq!(submitter("IDEA-1"), Some(json!("anonymous")));
    assert_eq!(submitter("IDEA-2"), Some(json!("anonymous")));
    assert_eq!(submitter("IDEA-3"), Some(json!(OTHER)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_pitches_over_http() {
    anonymous_pitches(Transport::Http).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_pitches_over_socket_mode() {
    anonymous_pitches(Transport::Socket).await;
}
