//! Outbound webhooks: a receiver on 127.0.0.1:0 that answers 500 twice before it answers 200 gets
//! each event (filed, voted, commented, status changed) once, in order, each signed like Slack's
//! requests with the secret from the environment; a receiver that refuses (410) gets its event
//! kept as a dead letter; both are counted in the metrics.

use crate::support::app::{spawn, TestApp};
use crate::support::roles::{self, IDEAS, SUBMITTER};
use crate::support::signing;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use problemfirst::domain::IdeaId;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const PROBLEM: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";
const PITCH_TS: &str = "1690000000.000100";
const SECRET_ENV: &str = "PROBLEMFIRST_TEST_WEBHOOK_SECRET";
const SECRET: &str = "hook-secret-for-tests";

/// One request the receiver got: its headers and body, and what it answered.
#[derive(Debug, Clone)]
struct Received {
    signature: String,
    timestamp: String,
    event: String,
    body: String,
    answered: u16,
}

/// A receiver answering with `answers` in turn, then 200 for ever.
async fn receiver(answers: Vec<u16>) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/hooks/ideas",
        listener.local_addr().expect("addr")
    );
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let seen = Arc::clone(&got);
    let answers = Arc::new(Mutex::new(answers.into_iter()));
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (seen, answers) = (Arc::clone(&seen), Arc::clone(&answers));
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (seen, answers) = (Arc::clone(&seen), Arc::clone(&answers));
                        async move {
                            let header = |name: &str| {
                                req.headers()
                                    .get(name)
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or_default()
                                    .to_string()
                            };
                            let (signature, timestamp, event) = (
                                header("x-problemfirst-signature"),
                                header("x-problemfirst-request-timestamp"),
                                header("x-problemfirst-event"),
                            );
                            let body = req.into_body().collect().await.expect("body").to_bytes();
                            let answered = answers.lock().expect("lock").next().unwrap_or(200);
                            seen.lock().expect("lock").push(Received {
                                signature,
                                timestamp,
                                event,
                                body: String::from_utf8_lossy(&body).into_owned(),
                                answered,
                            });
                            let status = StatusCode::from_u16(answered).expect("a status");
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .status(status)
                                    .body(Full::new(Bytes::from_static(b"noted")))
                                    .expect("response"),
                            )
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    (url, got)
}

fn valid(r: &Received) -> bool {
    let ts: i64 = r.timestamp.parse().expect("a timestamp");
    (signing::now() - ts).abs() < 300 && r.signature == signing::sign(SECRET, ts, &r.body)
}

async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(t) = f() {
            return t;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn each_event_arrives_once_signed_after_two_failures_and_refusals_are_dead_letters() {
    // SAFETY of the test: the variable is this test's own; nothing else reads or writes it.
    std::env::set_var(SECRET_ENV, SECRET);
    let (url, got) = receiver(vec![500, 500]).await;
    let (refusing, refused) = receiver(vec![410]).await;
    let config = format!(
        "{}\n[[webhook]]\nurl = \"{url}\"\nsecret_env = \"{SECRET_ENV}\"\n\n[[webhook]]\nurl = \"{refusing}\"\nevents = [\"idea.filed\"]\nsecret_env = \"{SECRET_ENV}\"\n",
        roles::config_text()
    );
    let config = problemfirst::config::Config::parse(&config, "hooks.toml".as_ref())
        .expect("the config with webhooks parses");
    let bot: TestApp = spawn().config(config).start().await;
    let metrics = problemfirst::ops::metrics();

    // Filed, voted for, commented on, withdrawn.
    bot.event(
        "EvPitch",
        signing::message_event(IDEAS, SUBMITTER, PITCH_TS, PROBLEM),
    )
    .await;
    let store = bot.app.store().clone();
    until("the pitch's thread is known", || {
        store.idea_of_message(IDEAS, PITCH_TS).ok().flatten()
    })
    .await;
    bot.event(
        "EvVote",
        json!({
            "type": "reaction_added", "user": "U1", "reaction": "+1", "item_user": SUBMITTER,
            "item": {"type": "message", "channel": IDEAS, "ts": PITCH_TS},
            "event_ts": "1690000001.000100"
        }),
    )
    .await;
    let mut reply = signing::message_event(IDEAS, "U2", "1690000002.000100", "Same in the north.");
    reply["thread_ts"] = PITCH_TS.into();
    bot.event("EvReply", reply).await;
    until("voted and commented", || {
        let i = store.get(IdeaId::new(1)).ok().flatten()?;
        (!i.voters.is_empty() && !i.comments.is_empty()).then_some(())
    })
    .await;
    bot.app
        .withdraw(IdeaId::new(1), &crate::support::ids::user(SUBMITTER), None)
        .await
        .expect("withdrawn");

    let delivered = until("four events delivered", || {
        let got = got.lock().expect("lock").clone();
        let ok: Vec<Received> = got.iter().filter(|r| r.answered == 200).cloned().collect();
        (ok.len() >= 4).then_some(got)
    })
    .await;
    // Two failed attempts, then each event once, in the order the changes were made.
    assert_eq!(delivered[0].answered, 500);
    assert_eq!(delivered[1].answered, 500);
    assert_eq!(
        delivered[0].body, delivered[2].body,
        "the first event, tried again"
    );
    let ok: Vec<&Received> = delivered.iter().filter(|r| r.answered == 200).collect();
    let events: Vec<&str> = ok.iter().map(|r| r.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "idea.filed",
            "idea.voted",
            "idea.commented",
            "idea.status_changed"
        ]
    );
    let mut ids = std::collections::BTreeSet::new();
    for r in &delivered {
        assert!(valid(r), "a valid signature: {r:?}");
        let body: Value = serde_json::from_str(&r.body).expect("JSON");
        assert_eq!(body["event"], r.event.as_str());
        assert_eq!(body["idea"]["id"], "IDEA-1");
        if r.answered == 200 {
            assert!(
                ids.insert(body["id"].to_string()),
                "each event once: {body}"
            );
        }
    }
    let changed: Value = serde_json::from_str(&ok[3].body).expect("JSON");
    assert_eq!(changed["from"]["status"], "new");
    assert_eq!(changed["to"]["status"], "withdrawn");
    let commented: Value = serde_json::from_str(&ok[2].body).expect("JSON");
    assert_eq!(commented["comment"]["text"], "Same in the north.");
    let voted: Value = serde_json::from_str(&ok[1].body).expect("JSON");
    assert_eq!(
        (
            voted["votes_before"].as_u64(),
            voted["idea"]["votes"].as_u64()
        ),
        (Some(0), Some(1))
    );

    // The refusing receiver got only what it subscribed to, once, and it became a dead letter.
    until("the refusal is a dead letter", || {
        let dead = bot.app.store().dead_letters().ok()?;
        dead.iter()
            .any(|d| d.to_string().contains("410"))
            .then_some(())
    })
    .await;
    let refused = refused.lock().expect("lock").clone();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].event, "idea.filed");
    assert!(valid(&refused[0]));
    let seen = metrics.render();
    assert!(
        seen.contains("problemfirst_outbox_dead_total{notice=\"webhook\"}"),
        "{seen}"
    );
    assert!(
        seen.contains("problemfirst_webhook_attempts_total{result=\"retried\"}"),
        "{seen}"
    );
}
