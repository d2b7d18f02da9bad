//! The operations endpoints an admin's tooling reads: `/healthz` (the process is alive),
//! `/readyz` (the store answers and Slack accepts the bot token) and `/metrics` (Prometheus
//! text), answered by one router ([`Ops::answer`]) on whichever listener start-up puts it: a
//! listener of its own in both modes (`ops.listen`, loopback by default; the Slack listener when
//! configured to the same address), and in both the admin socket in the data directory, which alone also takes
//! backups of the running store (`POST /backup`) and runs the command line's commands on it
//! (`POST /run/NAME`: export, import, digest), since no other process can open the store.
//!
//! Ops knows the store and a readiness [`Probe`] for Slack, nothing of Slack itself.

use crate::listener::{self, Limits};
use crate::storage::Store;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Acknowledgement latency buckets, in seconds: Slack's limit is 3 s, the target 10 ms.
const ACK_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 3.0,
];
/// Submissions filed per transaction (the committer's batches; at most 512).
const BATCH_BUCKETS: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
/// How long a [`Probe`]'s answer stands before `/readyz` asks again.
const CHECK_FRESH: Duration = Duration::from_secs(30);
const CHECK_FAILED_FRESH: Duration = Duration::from_secs(5);

/// The process-wide metrics recorder, installed on first use.
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        // Fails only on an empty bucket list, which these are not.
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("problemfirst_ack_seconds".into()),
                &ACK_BUCKETS,
            )
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("problemfirst_store_seconds".into()),
                    &ACK_BUCKETS,
                )
            })
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("problemfirst_store_batch_size".into()),
                    &BATCH_BUCKETS,
                )
            })
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Fails only when another recorder was installed first (a test harness); the handle
        // then renders what this recorder sees, which is nothing, and /metrics still answers.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// The answer of a readiness check: `Err` says what is wrong.
type Checked = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// A check `/readyz` makes of something outside the process (Slack: is it reachable, does it take
/// the bot's token), remembered for a while: probes come every few seconds, and each ask may
/// count against the bot's rate limits.
pub struct Probe {
    ask: Box<dyn Fn() -> Checked + Send + Sync>,
    last: Mutex<Option<(Instant, Result<(), String>)>>,
}

impl Probe {
    pub fn new<F, A>(ask: A) -> Probe
    where
        A: Fn() -> F + Send + Sync + 'static,
        F: Future<Output = Result<(), String>> + Send + 'static,
    {
        Probe {
            ask: Box::new(move || Box::pin(ask())),
            last: Mutex::new(None),
        }
    }

    async fn check(&self) -> Result<(), String> {
        if let Ok(guard) = self.last.lock() {
            if let Some((at, result)) = guard.as_ref() {
                let fresh = if result.is_ok() {
                    CHECK_FRESH
                } else {
                    CHECK_FAILED_FRESH
                };
                if at.elapsed() < fresh {
                    return result.clone();
                }
            }
        }
        let result = (self.ask)().await;
        if let Ok(mut guard) = self.last.lock() {
            *guard = Some((Instant::now(), result.clone()));
        }
        result
    }
}

/// Which listener a request came through; only the admin socket takes backups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Network,
    Admin,
}

/// A command of the command line that the running bot runs for it, on its own store, through
/// the admin socket: `POST /run/NAME` with the command's input as the body. Start-up gives ops
/// the commands (they are the command line's, which ops does not know).
pub struct RemoteCall {
    pub command: String,
    pub body: Bytes,
}

/// What runs a [`RemoteCall`]: its status and the body of the answer.
pub type Remote = Arc<
    dyn Fn(RemoteCall) -> Pin<Box<dyn Future<Output = (StatusCode, Bytes)> + Send>> + Send + Sync,
>;

/// The largest input a remote command takes: an import of a large spreadsheet is sent in
/// batches far smaller than this.
pub const MAX_REMOTE_INPUT: usize = 16 << 20;

/// What the ops endpoints read.
pub struct Ops {
    store: Store,
    slack: Probe,
    remote: Option<Remote>,
}

impl Ops {
    pub fn new(store: Store, slack: Probe, remote: Option<Remote>) -> Arc<Ops> {
        metrics();
        Arc::new(Ops {
            store,
            slack,
            remote,
        })
    }

    /// `POST /run/NAME` on the admin socket: the command, with the request's body as its input.
    async fn run_remote(&self, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
        use http_body_util::{BodyExt, Limited};
        let Some(remote) = &self.remote else {
            return text(StatusCode::NOT_FOUND, "not found\n".into());
        };
        let command = req.uri().path().trim_start_matches("/run/").to_string();
        let body = match Limited::new(req.into_body(), MAX_REMOTE_INPUT)
            .collect()
            .await
        {
            Ok(body) => body.to_bytes(),
            Err(e) => return text(StatusCode::BAD_REQUEST, format!("unreadable input: {e}\n")),
        };
        let (status, answer) = remote(RemoteCall { command, body }).await;
        let mut r = Response::new(Full::new(answer));
        *r.status_mut() = status;
        r
    }

    /// The answer for an ops request that came through `door`, or `None` when `req` is not one.
    pub async fn answer<B>(&self, req: &Request<B>, door: Door) -> Option<Response<Full<Bytes>>> {
        match (req.method(), req.uri().path()) {
            (&Method::GET, "/healthz") => Some(text(StatusCode::OK, "ok\n".into())),
            (&Method::GET, "/readyz") => Some(self.ready().await),
            (&Method::GET, "/metrics") => Some(self.metrics()),
            (&Method::POST, "/backup") if door == Door::Admin => {
                Some(self.backup(req.uri().query()).await)
            }
            _ => None,
        }
    }

    async fn ready(&self) -> Response<Full<Bytes>> {
        let mut problems = Vec::new();
        if let Err(e) = self.store.len() {
            problems.push(format!("store: {e}"));
        }
        if let Err(e) = self.slack.check().await {
            problems.push(format!("slack: {e}"));
        }
        if problems.is_empty() {
            text(StatusCode::OK, "ready\n".into())
        } else {
            text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready\n{}\n", problems.join("\n")),
            )
        }
    }

    fn metrics(&self) -> Response<Full<Bytes>> {
        // Gauges of the store are read when scraped: they are state, not events.
        match self.store.outbox_stats() {
            Ok(stats) => {
                metrics::gauge!("problemfirst_outbox_depth").set(stats.depth as f64);
                metrics::gauge!("problemfirst_outbox_dead_letters").set(stats.dead as f64);
                let age = stats
                    .oldest
                    .map(|t| {
                        jiff::Timestamp::now()
                            .duration_since(t)
                            .as_secs_f64()
                            .max(0.0)
                    })
                    .unwrap_or(0.0);
                metrics::gauge!("problemfirst_outbox_oldest_seconds").set(age);
            }
            Err(e) => tracing::warn!(error = %e, "could not read the outbox for metrics"),
        }
        let handle = metrics();
        handle.run_upkeep();
        let mut r = text(StatusCode::OK, handle.render());
        r.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("text/plain; version=0.0.4"),
        );
        r
    }
}

/// Serves only the ops endpoints on `listener`, which is `door`, until `stop` is cancelled.
pub async fn serve(
    listener: impl listener::Accept,
    ops: Arc<Ops>,
    door: Door,
    stop: CancellationToken,
) {
    let answer = move |req: Request<hyper::body::Incoming>| {
        let ops = Arc::clone(&ops);
        async move {
            if door == Door::Admin
                && req.method() == Method::POST
                && req.uri().path().starts_with("/run/")
            {
                return ops.run_remote(req).await;
            }
            match ops.answer(&req, door).await {
                Some(r) => r,
                None => text(StatusCode::NOT_FOUND, "not found\n".into()),
            }
        }
    };
    listener::serve(listener, Limits::for_this_process(), answer, stop).await;
}

/// The admin socket's file name in the data directory.
pub const ADMIN_SOCKET: &str = "problemfirst.sock";

/// Opens the admin socket, `ADMIN_SOCKET` in the data directory `dir`, readable and writable by
/// the bot's own user only. Whoever can reach it can read the data directory anyway, which is
/// why it, and not a network listener, takes backups: in both modes, with no port to guard.
/// A socket left by a bot that died is replaced: the caller holds the store's lock, so no other
/// bot uses this directory. The socket file goes when the returned [`SocketFile`] is dropped,
/// however `serve` ends.
#[cfg(unix)]
pub fn bind_admin(
    dir: &std::path::Path,
) -> std::io::Result<(tokio::net::UnixListener, SocketFile)> {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(ADMIN_SOCKET);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = tokio::net::UnixListener::bind(&path)?;
    let file = SocketFile(path);
    std::fs::set_permissions(&file.0, std::fs::Permissions::from_mode(0o600))?;
    Ok((listener, file))
}

/// The admin socket's path; dropping it removes the file.
#[cfg(unix)]
pub struct SocketFile(std::path::PathBuf);

#[cfg(unix)]
impl SocketFile {
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

#[cfg(unix)]
impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Ops {
    /// `POST /backup[?name=FILE]` on the admin socket: the running bot backs up its own store (no
    /// other process can open it) into `backups/` in the data directory, and answers with the
    /// file's path.
    async fn backup(&self, query: Option<&str>) -> Response<Full<Bytes>> {
        use crate::storage::backup::BackupError;
        let name = query.and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "name")
                .map(|(_, v)| v.into_owned())
        });
        let store = self.store.clone();
        let taken =
            tokio::task::spawn_blocking(move || store.backup_in_data_dir(name.as_deref())).await;
        match taken {
            Ok(Ok((path, s))) => text(
                StatusCode::OK,
                format!(
                    "{}\n{} ideas filed; {} trees, {} entries, {} bytes\n",
                    path.display(),
                    s.ideas,
                    s.trees,
                    s.pairs,
                    s.bytes
                ),
            ),
            Ok(Err(e @ BackupError::BadName { .. })) => {
                text(StatusCode::BAD_REQUEST, format!("{e}\n"))
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "backup failed");
                text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n"))
            }
            Err(e) => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the backup stopped: {e}\n"),
            ),
        }
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r
}
