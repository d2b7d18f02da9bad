//! The HTTP listener against people who are not Slack: the real `serve` binary held open by more
//! idle connections than it has files for, and filled with stalled, unsigned bodies. It must keep
//! answering Slack's signed requests, stay small, and refuse what it can refuse before reading it.

use crate::support::fake_slack::FakeSlack;
use crate::support::process::{Options, Serve, SECRET};
use crate::support::signing::{self, JSON};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PITCH: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";

/// Lets this test process hold more connections than the bot it starts may.
#[cfg(unix)]
fn raise_own_file_limit(want: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every Unix
        let max = lim.rlim_max as u64;
        assert!(
            max >= want,
            "this test needs an open-file hard limit of at least {want} (it is {})",
            lim.rlim_max
        );
        lim.rlim_cur = lim.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
    }
}

/// A signed `url_verification`: answered by the listener alone.
async fn signed_request(base: &str, n: usize) -> signing::HttpResult {
    signing::send(
        &format!("{base}/slack/events"),
        SECRET,
        &signing::url_verification(&format!("challenge-{n}")).to_string(),
        JSON,
        &[],
        signing::Signature::Valid,
    )
    .await
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_beyond_the_file_limit_leave_signed_requests_served() {
    const LIMIT: u64 = 1024;
    const IDLE: usize = 1100;
    raise_own_file_limit(IDLE as u64 + 512);
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut options = Options::http(&dir.path().join("data"), &fake.api_url());
    options.nofile = Some(LIMIT);
    let mut serve = Serve::start(&options);
    serve.ready(Duration::from_secs(30)).await;

    // Connections that say nothing. The kernel completes them whether or not the bot accepts.
    let addr = format!("127.0.0.1:{}", serve.port);
    let mut idle = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        if let Ok(Ok(tcp)) =
            tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(&addr)).await
        {
            idle.push(tcp);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut answered = 0;
    for n in 0..5 {
        match signed_request(&serve.base, n).await {
            Ok((status, body)) if status.as_u16() == 200 => {
                assert_eq!(body, format!("challenge-{n}"));
                answered += 1;
            }
            other => eprintln!("signed request {n}: {other:?}"),
        }
    }
    let exited = serve.exited();
    eprintln!(
        "{} idle connections held open under an open-file limit of {LIMIT}; {answered} of 5 \
         signed requests answered; bot running: {}",
        idle.len(),
        exited.is_none()
    );
    assert!(
        idle.len() >= 1_000,
        "only {} idle connections were made",
        idle.len()
    );
    assert!(
        exited.is_none(),
        "the bot stopped ({exited:?}):\n{}",
        serve.take_logs()
    );
    assert_eq!(answered, 5, "every signed request is answered");
    drop(idle);
}

/// Sends the head of a POST declaring `length` bytes of body, then up to `send` bytes of it, and
/// keeps the connection open without finishing.
async fn stalled_body(addr: String, length: usize, send: usize) -> Option<TcpStream> {
    let mut tcp = TcpStream::connect(&addr).await.ok()?;
    let head = format!(
        "POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\nX-Slack-Request-Timestamp: {}\r\n\
         X-Slack-Signature: v0=0000000000000000000000000000000000000000000000000000000000000000\r\n\r\n",
        signing::now()
    );
    tcp.write_all(head.as_bytes()).await.ok()?;
    let chunk = vec![b'a'; 16 * 1024];
    let mut sent = 0;
    while sent < send {
        let n = chunk.len().min(send - sent);
        match tokio::time::timeout(Duration::from_millis(500), tcp.write_all(&chunk[..n])).await {
            Ok(Ok(())) => sent += n,
            // The bot stopped reading (or hung up): hold what was sent.
            _ => break,
        }
    }
    Some(tcp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_unsigned_bodies_do_not_grow_the_bot() {
    const SENDERS: usize = 300;
    const BODY: usize = 960 * 1024;
    #[cfg(unix)]
    raise_own_file_limit(SENDERS as u64 + 512);
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut serve = Serve::start(&Options::http(&dir.path().join("data"), &fake.api_url()));
    serve.ready(Duration::from_secs(30)).await;
    let before = serve.rss_kb();

    let addr = format!("127.0.0.1:{}", serve.port);
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..SENDERS {
        // All of the body but its last byte, then nothing.
        senders.spawn(stalled_body(addr.clone(), BODY, BODY - 1));
    }
    // Watch the bot's memory while they send and stall.
    let mut peak = before.unwrap_or(0);
    let watching = Instant::now();
    while watching.elapsed() < Duration::from_secs(6) {
        if let Some(kb) = serve.rss_kb() {
            peak = peak.max(kb);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut held = Vec::new();
    while let Some(tcp) = senders.join_next().await {
        held.extend(tcp.expect("a sender"));
    }
    // Signed requests are still answered while they stall.
    let answered = signed_request(&serve.base, 1).await;
    eprintln!(
        "{SENDERS} stalled bodies of {} KB: bot RSS {} kB before, {peak} kB at its peak; \
         a signed request during the stall: {:?}",
        BODY / 1024,
        before.unwrap_or(0),
        answered.as_ref().map(|(s, _)| s.as_u16())
    );
    if cfg!(target_os = "linux") {
        assert!(peak > 0, "RSS was read");
        assert!(peak < 80 * 1024, "peak RSS {peak} kB");
    }
    assert!(
        matches!(answered, Ok((status, _)) if status.as_u16() == 200),
        "{answered:?}"
    );
    assert!(serve.exited().is_none(), "the bot is still running");
    drop(held);
}

/// Writes `request` raw and reads the answer's status line (empty when none came).
async fn raw(addr: &str, request: &[u8]) -> String {
    let Ok(mut tcp) = TcpStream::connect(addr).await else {
        return String::new();
    };
    if tcp.write_all(request).await.is_err() {
        return String::new();
    }
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut answer))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0);
    String::from_utf8_lossy(&answer[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_unsized_and_non_utf8_bodies_are_refused_before_anything_else() {
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut serve = Serve::start(&Options::http(&dir.path().join("data"), &fake.api_url()));
    serve.ready(Duration::from_secs(30)).await;
    let addr = format!("127.0.0.1:{}", serve.port);
    let now = signing::now();

    // Declared too large: refused from the head, before any of the body is sent.
    let head = format!(
        "POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: {}\r\n\
         X-Slack-Request-Timestamp: {now}\r\nX-Slack-Signature: v0=00\r\n\r\n",
        64 * 1024 * 1024
    );
    assert!(
        raw(&addr, head.as_bytes())
            .await
            .starts_with("HTTP/1.1 413"),
        "a 64 MiB body is refused from its Content-Length"
    );

    // No length (chunked): Slack always sends one.
    let chunked = format!(
        "POST /slack/events HTTP/1.1\r\nHost: bot\r\nTransfer-Encoding: chunked\r\n\
         X-Slack-Request-Timestamp: {now}\r\nX-Slack-Signature: v0=00\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    );
    assert!(raw(&addr, chunked.as_bytes())
        .await
        .starts_with("HTTP/1.1 411"));

    // Invalid UTF-8 without a valid signature: unauthorised, not a bad request.
    let body: &[u8] = b"{\"type\":\"event_callback\",\"x\":\"\xff\xfe\"}";
    let mut request = format!(
        "POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nX-Slack-Request-Timestamp: {now}\r\n\
         X-Slack-Signature: {}\r\n\r\n",
        body.len(),
        signing::sign("not-the-secret", now, "whatever")
    )
    .into_bytes();
    request.extend_from_slice(body);
    let status = raw(&addr, &request).await;
    assert!(status.starts_with("HTTP/1.1 401"), "{status}");

    // Missing or stale signature headers are refused before the body is read.
    let unsigned = "POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: 10\r\n\r\n";
    assert!(raw(&addr, unsigned.as_bytes())
        .await
        .starts_with("HTTP/1.1 401"));

    // And a signed pitch still goes through.
    let (status, _) = signing::post_json_signed(
        &format!("{}/slack/events", serve.base),
        SECRET,
        &signing::event_callback(
            "EvOk",
            signing::message_event("CIDEAS", "U1", "1700000000.000100", PITCH),
        ),
    )
    .await;
    assert_eq!(status.as_u16(), 200);
}
