//! `problemfirst serve` as an admin runs it: the real binary in HTTP mode against a fake Slack,
//! with JSON logs at debug level. Ops endpoints answer; a SIGTERM under load stops it within
//! 10 seconds with exit 0, with every acknowledged pitch filed and its reply delivered or still
//! queued; and the logs never show the tokens or the signing secret.

mod support;

use problemfirst::storage::Store;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::fake_slack::FakeSlack;
use support::signing;

const BOT_TOKEN: &str = "xoxb-serve-test-secret-token-4242";
const SECRET: &str = "serve-test-signing-secret-9e1f";
const IDEAS: &str = "CIDEAS";
const PITCH: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn get(url: &str) -> (u16, String) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let Ok(uri) = url.parse() else {
        return (0, String::new());
    };
    match client.get(uri).await {
        Ok(res) => {
            let status = res.status().as_u16();
            let body = http_body_util::BodyExt::collect(res.into_body())
                .await
                .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
                .unwrap_or_default();
            (status, body)
        }
        Err(_) => (0, String::new()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_ops_stops_cleanly_under_load_and_never_logs_secrets() {
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("problemfirst.toml");
    let shipped = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/problemfirst.toml"),
    )
    .expect("shipped config");
    assert!(shipped.contains("format = \"human\""));
    std::fs::write(
        &config,
        with_shipped_model(&shipped.replace("format = \"human\"", "format = \"json\"")),
    )
    .expect("config written");
    let data = dir.path().join("data");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_problemfirst"))
        .args(["serve", "--config"])
        .arg(&config)
        .arg("--data")
        .arg(&data)
        .env("SLACK_BOT_TOKEN", BOT_TOKEN)
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env_remove("SLACK_APP_TOKEN")
        .env("SLACK_API_URL", fake.api_url())
        .env("PROBLEMFIRST_LISTEN", format!("127.0.0.1:{port}"))
        .env("PROBLEMFIRST_IDEA_CHANNELS", IDEAS)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    // Read the logs as they come: a full pipe would stall the server.
    let stderr = server.stderr.take().expect("stderr piped");
    let logs = std::thread::spawn(move || {
        let mut text = String::new();
        let mut stderr = stderr;
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });

    let started = Instant::now();
    while get(&format!("{base}/healthz")).await.0 != 200 {
        assert!(started.elapsed() < Duration::from_secs(20), "serve came up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (ready, why) = get(&format!("{base}/readyz")).await;
    assert_eq!(ready, 200, "{why}");

    // Load: signed pitches from 8 connections' worth of concurrent senders.
    let events = format!("{base}/slack/events");
    let mut senders = tokio::task::JoinSet::new();
    for sender in 0..8 {
        let events = events.clone();
        senders.spawn(async move {
            let mut acked = 0;
            for n in 0..25 {
                let ts = format!("1700000{sender:03}.{n:06}");
                let event = signing::event_callback(
                    &format!("Ev{sender}x{n}"),
                    // A person per pitch: the hourly limit per person is another test's subject.
                    signing::message_event(IDEAS, &format!("U{sender}X{n}"), &ts, PITCH),
                );
                // Once the server stops, connections are refused: those pitches were never
                // acknowledged, so nothing is owed for them.
                let sent = signing::send(
                    &events,
                    SECRET,
                    &event.to_string(),
                    "application/json",
                    &[],
                    signing::Signature::Valid,
                )
                .await;
                if matches!(sent, Ok((status, _)) if status.as_u16() == 200) {
                    acked += 1;
                }
            }
            acked
        });
    }
    // A bad signature is refused even under load.
    let (refused, _) = signing::post_json_signed(
        &events,
        "not-the-secret",
        &signing::event_callback("EvBad", signing::message_event(IDEAS, "U9", "1.1", PITCH)),
    )
    .await;
    assert_eq!(refused.as_u16(), 401);
    // Stop in the middle of it.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (_, metrics) = get(&format!("{base}/metrics")).await;
    assert!(
        metrics.contains("problemfirst_ack_seconds_bucket"),
        "{metrics}"
    );
    let stopping = Instant::now();
    let term = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(term.success());
    let status = tokio::task::spawn_blocking(move || {
        let status = server.wait();
        (status, server)
    });
    let (status, _server) = status.await.expect("waited");
    let stopped_in = stopping.elapsed();
    assert!(
        status.as_ref().is_ok_and(|s| s.success()),
        "exit 0: {status:?}"
    );
    assert!(
        stopped_in < Duration::from_secs(10),
        "stopped in {stopped_in:?}"
    );
    let mut acked = 0;
    while let Some(n) = senders.join_next().await {
        acked += n.expect("sender");
    }

    assert!(acked > 0, "the load reached the server before the stop");
    // Every acknowledged pitch is filed, and its thread reply was delivered or is still owed.
    let store = Store::open(&data).expect("store opens after the stop");
    let filed = store.len().expect("count");
    assert_eq!(filed, acked, "acknowledged {acked}, filed {filed}");
    let replied = fake
        .delivered("chat.postMessage")
        .iter()
        .filter(|c| c.arg("channel") == Some(IDEAS))
        .count();
    let owed = store.outbox_stats().expect("stats").depth;
    assert_eq!(replied + owed, filed, "replied {replied} + owed {owed}");

    let logs = logs.join().expect("logs read");
    assert!(logs.contains("stopped"), "{logs}");
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "a JSON log line: {line}"
        );
    }
    assert!(
        !logs.contains(BOT_TOKEN),
        "the bot token leaked into the logs"
    );
    assert!(
        !logs.contains(SECRET),
        "the signing secret leaked into the logs"
    );
    assert!(
        !logs.contains("serve-test"),
        "part of a secret leaked into the logs"
    );
}

/// The shipped config's model and word classes, by absolute path, for a copy of the config
/// written elsewhere.
fn with_shipped_model(text: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    text.replacen(
        "file = \"model.txt\"",
        &format!("file = {:?}", root.join("model.txt").to_string_lossy()),
        1,
    )
    .replacen(
        "lexicon = \"wordnet/lexicon.txt\"",
        &format!(
            "lexicon = {:?}",
            root.join("wordnet/lexicon.txt").to_string_lossy()
        ),
        1,
    )
    .replacen(
        "vectors = \"wordvec/vectors.bin\"",
        &format!(
            "vectors = {:?}",
            root.join("wordvec/vectors.bin").to_string_lossy()
        ),
        1,
    )
}
