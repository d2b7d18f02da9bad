//! Triage over Socket Mode: the card's buttons and the decision form arrive as `interactive`
//! envelopes from a fake Socket Mode server on 127.0.0.1:0, with a real sled store.

use crate::support::app::{spawn, Transport};
use crate::support::roles::{self, EXEC_TRIAGE, LEAD, OTHER, SUBMITTER};
use crate::support::signing;
use serde_json::json;
use std::time::Duration;

/// How long to wait for what must happen: an upper bound, not an expectation (on a busy machine
/// a filing's fsync can take seconds).
const WAIT: Duration = Duration::from_secs(20);
const PROBLEM: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";

/// A non-lead's click is refused privately; the lead's click opens the form, whose submission
/// declines the idea and updates the card in place, as over HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_buttons_and_forms_work_over_socket_mode() {
    let bot = spawn()
        .config(roles::config())
        .transport(Transport::Socket)
        .start()
        .await;
    let (fake, app) = (&bot.fake, &bot.app);

    // A pitch over Socket Mode; its card goes to the track's triage channel.
    let command =
        signing::slash_command(PROBLEM, SUBMITTER, "C1", "trig1", &fake.response_url("s1"));
    let id = fake
        .send_envelope(signing::envelope("slash_commands", command))
        .await;
    assert!(fake.wait_ack(&id, WAIT).await.is_some());
    let cards = fake.wait_for("chat.postMessage", 1, WAIT).await;
    let card = cards
        .iter()
        .find(|c| c.arg("channel") == Some(EXEC_TRIAGE))
        .expect("the card is posted to the triage channel");
    let blocks = card.args["blocks"].to_string();
    assert!(blocks.contains("triage_decline"), "{blocks}");
    let idea = problemfirst::domain::IdeaId::new(1);
    let deadline = tokio::time::Instant::now() + WAIT;
    let ts = loop {
        if let Some(card) = app.store().get(idea).expect("read").and_then(|i| i.card) {
            break card.ts;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the card's place is recorded"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let click = |user: &str, trigger: &str| {
        signing::envelope(
            "interactive",
            signing::block_action(
                user,
                "triage_decline",
                &idea.to_string(),
                EXEC_TRIAGE,
                &ts,
                trigger,
            ),
        )
    };

    // Someone who does not lead the track is told so, privately, and nothing changes.
    let id = fake.send_envelope(click(OTHER, "trig-other")).await;
    assert!(fake.wait_ack(&id, WAIT).await.is_some());
    let told = fake.wait_for("chat.postEphemeral", 1, WAIT).await;
    assert_eq!(told[0].arg("user"), Some(OTHER), "{:?}", told[0].args);
    assert!(fake.calls_to("views.open").is_empty());

    // The lead gets the decision form, and submitting it declines the idea.
    let id = fake.send_envelope(click(LEAD, "trig-lead")).await;
    assert!(fake.wait_ack(&id, WAIT).await.is_some());
    let forms = fake.wait_for("views.open", 1, WAIT).await;
    assert_eq!(forms[0].arg("trigger_id"), Some("trig-lead"));
    let metadata = forms[0].args["view"]["private_metadata"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let values =
        json!({"reason": {"reason": {"type": "plain_text_input", "value": "Out of scope"}}});
    let id = fake
        .send_envelope(signing::envelope(
            "interactive",
            signing::view_submission(LEAD, "triage_decision", &metadata, values),
        ))
        .await;
    let ack = fake
        .wait_ack(&id, WAIT)
        .await
        .expect("the form is acknowledged");
    assert!(
        ack.get("payload").is_none_or(|p| p.get("errors").is_none()),
        "{ack}"
    );
    let updates = fake.wait_for("chat.update", 1, WAIT).await;
    assert_eq!(updates[0].arg("ts"), Some(ts.as_str()));
    assert!(
        updates[0].args["blocks"]
            .to_string()
            .contains("*Declined* by <@ULEAD>"),
        "{:?}",
        updates[0].args
    );
    let declined = app.store().get(idea).expect("read").expect("exists");
    assert_eq!(declined.status(), problemfirst::domain::Status::Declined);
    assert!(bot.stop().await, "stops cleanly");
}
