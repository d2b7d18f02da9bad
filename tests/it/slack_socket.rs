//! The whole bot over Socket Mode: slack-morphism's own listener against a fake Socket Mode
//! server on 127.0.0.1:0, a real sled store, and a `disconnect` followed by a reconnect.

use crate::support::app::{spawn, Transport, IDEAS};
use crate::support::signing;
use serde_json::json;
use std::time::Duration;

/// How long to wait for what must happen: an upper bound, not an expectation (on a busy machine
/// a filing's fsync can take seconds).
const WAIT: Duration = Duration::from_secs(20);
const PROBLEM: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pitches_flow_over_socket_mode_and_survive_a_reconnect() {
    let bot = spawn().transport(Transport::Socket).start().await;
    let (fake, app) = (&bot.fake, &bot.app);
    let metrics = problemfirst::ops::metrics();

    // A slash command: filed, and answered in the acknowledgement's payload.
    let command = signing::slash_command(PROBLEM, "U1", "C1", "trig1", &fake.response_url("s1"));
    let id = fake
        .send_envelope(signing::envelope("slash_commands", command))
        .await;
    let ack = fake.wait_ack(&id, WAIT).await;
    assert!(
        ack.as_ref().is_some_and(|a| a["payload"]["text"]
            .to_string()
            .contains("Filed as *IDEA-1*")),
        "{ack:?}"
    );
    assert!(fake.calls_to("response/s1").is_empty());

    // An idea-channel message, delivered twice (a redelivery after reconnect) files once.
    let event = signing::event_callback(
        "EvSock",
        signing::message_event(IDEAS, "U2", "1700000001.000100", PROBLEM),
    );
    let id = fake
        .send_envelope(signing::envelope("events_api", event.clone()))
        .await;
    assert_eq!(
        fake.wait_ack(&id, WAIT).await,
        Some(json!({"envelope_id": id}))
    );
    fake.wait_for("chat.postMessage", 1, WAIT).await;

    assert!(fake.disconnect().await, "a live connection to disconnect");
    assert_eq!(
        fake.wait_connections(2, WAIT).await,
        2,
        "reconnected after disconnect"
    );
    assert!(fake.calls_to("apps.connections.open").len() >= 2);
    let again = fake
        .send_envelope(signing::envelope("events_api", event))
        .await;
    assert!(
        fake.wait_ack(&again, WAIT).await.is_some(),
        "acknowledged after reconnect"
    );
    let other = signing::event_callback(
        "EvSock2",
        signing::message_event(IDEAS, "U3", "1700000001.000200", PROBLEM),
    );
    let id = fake
        .send_envelope(signing::envelope("events_api", other))
        .await;
    assert!(fake.wait_ack(&id, WAIT).await.is_some());
    let posted = fake.wait_for("chat.postMessage", 2, WAIT).await;
    assert_eq!(
        posted.len(),
        2,
        "the redelivered event filed nothing, the new one did"
    );
    assert_eq!(app.store().len().expect("count"), 3);
    let seen = metrics.render();
    assert!(
        seen.contains("problemfirst_socket_mode_reconnects_total 1"),
        "{seen}"
    );
    assert!(seen.contains("problemfirst_ack_seconds_bucket"), "{seen}");
    assert!(bot.stop().await, "stops cleanly");
}
