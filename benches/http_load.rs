//! Load on the HTTP Events API: signed `/idea <text>` requests from 32 connections against
//! `problemfirst serve` (the real binary, durable filing on a real store), with a minimal Slack
//! on 127.0.0.1 answering the bot's `response_url` posts. Prints acks per second, ack latency
//! percentiles and the server's peak RSS.
//!
//! `cargo bench --bench http_load` (add `-- --seconds 20 --connections 64` to change the load,
//! `-- --pitches FILE` to send the `text` of each line of a JSONL file in turn instead: real
//! pitches, each different, cost the classifier more than pitches put together from parts).
//! Targets: p99 ack < 10 ms, ≥ 5,000 acks/s, peak RSS < 50 MB.

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use sha2::Sha256;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::{TcpListener, TcpStream};

#[path = "common/pitch_file.rs"]
mod pitch_file;

const SECRET: &str = "load-signing-secret";
/// Requests signed ahead per second of load, across all connections: well above what two
/// cores serve, so no connection runs out.
const MAX_RATE: usize = 20_000;
/// Pitches are put together from these parts (up to 480 problem-led and 48 tech-led ones), so the
/// classifier and the similar-idea lookup see varied text, as they would in a company.
const WHO: [&str; 8] = [
    "Field technicians",
    "Night-shift nurses",
    "Cashiers at our stores",
    "New customers",
    "Warehouse pickers",
    "Call-centre agents",
    "Small-business clients",
    "Delivery drivers",
];
const PAIN: [&str; 6] = [
    "wait two days for spare parts",
    "re-key the same numbers by hand",
    "can't find the handover notes",
    "get asked for the same documents three times",
    "lose track of which orders changed",
    "have no way to see where a parcel is",
];
const IMPACT: [&str; 10] = [
    "so a third of repairs need a second visit",
    "so a return takes ten minutes at the till",
    "so patients wait for their medication",
    "so one in five sign-ups gives up",
    "so pickers walk twice the distance",
    "so calls take twice as long",
    "so invoices go out a week late",
    "so customers call us to complain",
    "so we refund about 4% of orders",
    "so overtime doubled this quarter",
];
const TECH: [&str; 6] = [
    "We should use blockchain to",
    "Let's build an AI chatbot to",
    "We need a mobile app to",
    "Let's put everything on Kubernetes to",
    "We should add machine learning to",
    "Let's buy a new CRM to",
];
const GOAL: [&str; 8] = [
    "track our invoices.",
    "modernise the stores.",
    "be more innovative.",
    "speed things up.",
    "digitise the warehouse.",
    "improve synergy across teams.",
    "future-proof the platform.",
    "delight our users.",
];

/// The `n`th pitch: one in eleven is tech-led.
fn pitch(n: usize) -> String {
    if n % 11 == 10 {
        format!("{} {}", TECH[n % TECH.len()], GOAL[(n / 7) % GOAL.len()])
    } else {
        format!(
            "{} {}, {}.",
            WHO[n % WHO.len()],
            PAIN[(n / 3) % PAIN.len()],
            IMPACT[(n / 5) % IMPACT.len()]
        )
    }
}

/// The texts of `--pitches FILE` (a JSONL file with a `text` on each line), if given.
fn pitches_from_file() -> Option<Vec<String>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .iter()
        .position(|a| a == "--pitches")
        .and_then(|i| args.get(i + 1))?;
    let texts = pitch_file::texts(std::path::Path::new(path));
    assert!(!texts.is_empty(), "{path} holds no pitches");
    Some(texts)
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let seconds = arg("--seconds", 10);
    let connections = arg("--connections", 32) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(Duration::from_secs(seconds), connections));
}

/// A Slack that says ok to everything (the bot's answers through response_url land here).
async fn quiet_slack() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    |req: hyper::Request<hyper::body::Incoming>| async move {
                        let _ = req.into_body().collect().await;
                        let mut r =
                            hyper::Response::new(Full::new(Bytes::from_static(b"{\"ok\":true}")));
                        r.headers_mut()
                            .insert("content-type", "application/json".parse().expect("header"));
                        Ok::<_, std::convert::Infallible>(r)
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

async fn run(duration: Duration, connections: usize) {
    let slack = quiet_slack().await;
    let data = tempfile::tempdir().expect("temp dir");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        probe.local_addr().expect("addr").port()
    };
    // The disk may still be writing back what an earlier run (or build) left, including the
    // previous store's deletion; flushing it first keeps that work out of this run's timings.
    let _ = Command::new("sync").status();
    let mut server = Command::new(env!("CARGO_BIN_EXE_problemfirst"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["serve", "--data"])
        .arg(data.path())
        .env("SLACK_BOT_TOKEN", "xoxb-load-test-token")
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env_remove("SLACK_APP_TOKEN")
        .env("SLACK_API_URL", format!("{slack}/api"))
        .env("PROBLEMFIRST_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("problemfirst serve starts");
    let addr = format!("127.0.0.1:{port}");
    let ready = Instant::now();
    while TcpStream::connect(&addr).await.is_err() {
        assert!(
            ready.elapsed() < Duration::from_secs(20),
            "serve did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Every request is signed before the clock starts, as a replaying load generator would:
    // the client shares the machine's two cores with the server, and its HMACs are not the
    // server's work. Timestamps stay within Slack's 5 minutes for any sensible --seconds.
    let response_url = format!("{slack}/response");
    let per_connection = (MAX_RATE * duration.as_secs() as usize).div_ceil(connections);
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .to_string();
    let from_file = pitches_from_file();
    let text = |n: usize| match &from_file {
        Some(texts) => texts[n % texts.len()].clone(),
        None => pitch(n),
    };
    let signed: Vec<Vec<(Bytes, String)>> = (0..connections)
        .map(|c| {
            (0..per_connection)
                .map(|i| {
                    let body = form(
                        // Each connection starts at its own place and goes through in order.
                        &text(c * 7919 + i),
                        // A new person each time: the per-person hourly limit would otherwise
                        // turn the load into refusals.
                        &format!("U{c}X{i}"),
                        &response_url,
                        i,
                    );
                    let signature = sign(&ts, &body);
                    (Bytes::from(body), signature)
                })
                .collect()
        })
        .collect();
    let ts = Arc::new(ts);
    let cpu_before = cpu_time(server.id());
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for requests in signed {
        let addr = addr.clone();
        let ts = Arc::clone(&ts);
        tasks.push(tokio::spawn(async move {
            let tcp = TcpStream::connect(&addr).await.expect("connect");
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
                .await
                .expect("handshake");
            tokio::spawn(conn);
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            for (body, signature) in requests {
                if Instant::now() >= deadline {
                    break;
                }
                let req = hyper::Request::post("/slack/commands")
                    .header("host", "bot")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("x-slack-request-timestamp", ts.as_str())
                    .header("x-slack-signature", signature)
                    .body(Full::new(body))
                    .expect("request");
                let sent = Instant::now();
                match sender.send_request(req).await {
                    Ok(resp) if resp.status().is_success() => {
                        let body = resp.into_body().collect().await.map(|b| b.to_bytes());
                        latencies.push(sent.elapsed());
                        // Count only answers that filed or coached: anything else is a failure.
                        let answered = body.as_ref().is_ok_and(|b| {
                            let text = String::from_utf8_lossy(b);
                            text.contains("Filed as") || text.contains("IDEA-")
                        });
                        if !answered {
                            failures += 1;
                        }
                    }
                    _ => failures += 1,
                }
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    for t in tasks {
        let (l, f) = t.await.expect("client task");
        latencies.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    let cpu_used = cpu_time(server.id())
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    // Let the spawned filing finish before reading the peak memory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss = peak_rss_kb(server.id());
    let _ = server.kill();
    let _ = server.wait();

    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!("connections      {connections}");
    println!(
        "acks             {} in {:.1} s ({} failed)",
        latencies.len(),
        elapsed.as_secs_f64(),
        failures
    );
    println!(
        "acks/s           {:.0}",
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "ack latency      p50 {:?}  p99 {:?}  max {:?}",
        pct(0.50),
        pct(0.99),
        latencies.last().copied().unwrap_or_default()
    );
    // CPU per ack varies less with the machine's load than acks/s does, so it tells whether a
    // change made the server cheaper even when the throughput figures overlap.
    match cpu_used {
        Some(cpu) if !latencies.is_empty() => println!(
            "server CPU       {:.0} µs per ack ({:.2} cores)",
            cpu.as_secs_f64() * 1e6 / latencies.len() as f64,
            cpu.as_secs_f64() / elapsed.as_secs_f64()
        ),
        _ => println!("server CPU       unknown (no /proc)"),
    }
    match rss {
        Some(kb) => println!("server peak RSS  {:.1} MB", kb as f64 / 1024.0),
        None => println!("server peak RSS  unknown (no /proc)"),
    }
}

fn form(text: &str, user: &str, response_url: &str, n: usize) -> String {
    let pairs = [
        ("team_id", "T1"),
        ("channel_id", "C1"),
        ("user_id", user),
        ("command", "/idea"),
        ("text", text),
        ("response_url", response_url),
        ("trigger_id", &format!("1.{n}.load")),
    ];
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn sign(ts: &str, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length works for HMAC");
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    let bytes = mac.finalize().into_bytes();
    format!("v0={}", hex::encode(bytes))
}

/// CPU time the server's threads have run so far: the first field of each thread's
/// `schedstat`, in nanoseconds.
fn cpu_time(pid: u32) -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
