//! Payloads from an org-wide (Enterprise Grid) install, shaped as Slack documents them: the
//! installation is the organisation's, so `authorizations[].team_id` is null, `enterprise_id` is
//! set and `is_enterprise_install` is true. The bot reads them over both transports; fields it
//! does not use (null, missing or shaped otherwise) never make a payload unreadable.

use crate::support::app::{spawn, spawn_app, Transport, IDEAS, SECRET};
use crate::support::signing;
use serde_json::{json, Value};
use std::time::Duration;

/// How long to wait for what must happen: an upper bound, not an expectation (on a busy machine
/// a filing's fsync can take seconds).
const WAIT: Duration = Duration::from_secs(20);
const PITCH: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";
const TECH: &str = "We should use blockchain to track our invoices.";

/// An `event_callback` as Slack sends it to an org-wide installation.
fn org_event(event_id: &str, event: Value) -> Value {
    json!({
        "token": "verification-token",
        "team_id": "T1",
        "enterprise_id": "E1",
        "api_app_id": "A1",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": signing::now(),
        "authorizations": [{
            "enterprise_id": "E1",
            "team_id": null,
            "user_id": "UBOT",
            "is_bot": true,
            "is_enterprise_install": true
        }],
        "is_ext_shared_channel": false,
        "context_team_id": "T1",
        "context_enterprise_id": "E1"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_wide_install_is_read_over_http() {
    let bot = spawn_app().await;
    let (fake, url, app) = (&bot.fake, &bot.url, &bot.app);
    let events = format!("{url}/slack/events");

    let (status, body) = signing::post_json_signed(
        &events,
        SECRET,
        &org_event(
            "EvOrg1",
            signing::message_event(IDEAS, "W1", "1700000000.000100", PITCH),
        ),
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let replies = fake.wait_for("chat.postMessage", 1, WAIT).await;
    assert_eq!(replies.len(), 1, "answered in the thread");
    assert_eq!(replies[0].args["thread_ts"], "1700000000.000100");
    assert_eq!(app.store().len().expect("count"), 1);

    // Fields the bot does not use, missing or null, change nothing.
    let mut bare = org_event(
        "EvOrg2",
        signing::app_mention_event("C2", "W2", "1700000000.000200", &format!("<@UBOT> {TECH}")),
    );
    bare["team_id"] = Value::Null;
    bare["event_time"] = Value::Null;
    if let Some(o) = bare.as_object_mut() {
        o.remove("api_app_id");
    }
    bare["authorizations"] = json!([{ "team_id": null, "user_id": null }]);
    let (status, body) = signing::post_json_signed(&events, SECRET, &bare).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let coached = fake.wait_for("chat.postEphemeral", 1, WAIT).await;
    assert_eq!(coached.len(), 1, "the mention was coached");

    // A button click from the org-wide install: the team is the organisation's, not a workspace.
    let mut click = signing::block_action(
        "W2",
        "file_anyway",
        "IDEA-2",
        "C2",
        "1700000000.000200",
        "trigOrg",
    );
    click["team"] = Value::Null;
    click["enterprise"] = json!({"id": "E1", "name": "Org"});
    click["is_enterprise_install"] = json!(true);
    click["user"]["team_id"] = json!("T1");
    click["response_url"] = json!(fake.response_url("org1"));
    let (status, body) =
        signing::post_interaction_signed(&format!("{url}/slack/interactivity"), SECRET, &click)
            .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let answered = fake.wait_for("response/org1", 1, WAIT).await;
    assert!(
        answered
            .first()
            .is_some_and(|c| c.args.to_string().contains("Filed as *IDEA-2*")),
        "{answered:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_wide_install_is_read_over_socket_mode() {
    let bot = spawn().transport(Transport::Socket).start().await;
    let (fake, app) = (&bot.fake, &bot.app);

    let id = fake
        .send_envelope(signing::envelope(
            "events_api",
            org_event(
                "EvOrgSock",
                signing::message_event(IDEAS, "W3", "1700000001.000100", PITCH),
            ),
        ))
        .await;
    assert!(fake.wait_ack(&id, WAIT).await.is_some(), "acknowledged");
    let replies = fake.wait_for("chat.postMessage", 1, WAIT).await;
    assert_eq!(replies.len(), 1, "answered in the thread");
    assert_eq!(replies[0].args["thread_ts"], "1700000001.000100");
    assert_eq!(app.store().len().expect("count"), 1);
    assert!(bot.stop().await, "stops cleanly");
}
