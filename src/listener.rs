//! Accepting connections so that whoever can connect can neither stop the bot nor crowd Slack
//! out. Every listener the bot opens is served here: the HTTP Events API with the ops endpoints,
//! the ops endpoints alone, and the admin socket.
//!
//! - **A cap below the open-file limit.** At start the soft `RLIMIT_NOFILE` is raised to the hard
//!   limit ([`raise_open_file_limit`]), and at most that many connections, less a reserve for the
//!   store, Slack's Web API and the rest, are open at once ([`Limits::for_this_process`]). A
//!   connection past the cap waits in the kernel's queue, where it costs the process nothing.
//! - **The idle make room.** At the cap, the connection idle longest (no request under way: it
//!   has sent nothing yet, or only part of a request head, or is between requests) is closed so
//!   the next one can be taken. Slack sends each request whole and at once, so its requests are
//!   not the ones waiting.
//! - **Timeouts.** A request's head must arrive within [`Limits::head_timeout`] of the connection
//!   being ready for it, new or after an answer; that is also how long an idle keep-alive
//!   connection is kept. Bodies have their own limit where they are read (`http`).
//! - **`accept()` errors** (out of files, out of memory, a connection reset before it was taken)
//!   are logged and retried after a pause that grows to a second; they never stop the listener.
//! - Heads are small: at most [`HEAD_BYTES`] are buffered per connection.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How many connections there may be at most, whatever the file limit.
const MAX_CONNECTIONS: usize = 10_000;
/// Open files kept for everything but the listener's connections: the store's files, Web API
/// and Socket Mode connections to Slack, the admin socket, the runtime's own.
const RESERVED_FILES: u64 = 128;
/// The fewest connections the cap allows, however low the file limit.
const MIN_CONNECTIONS: usize = 16;
/// The most a connection buffers: its request head must fit (hyper's least is 8 KiB).
pub const HEAD_BYTES: usize = 16 * 1024;
/// Pauses after a failed `accept()`: from the first to the last, doubling.
const ACCEPT_PAUSE: (Duration, Duration) = (Duration::from_millis(5), Duration::from_secs(1));
/// Failed accepts are logged at most this often.
const ACCEPT_LOG_EVERY: Duration = Duration::from_secs(10);

/// How a listener bounds its connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    /// How long a connection may take to send a request head, counted from when it is ready for
    /// one; it is also the keep-alive idle limit.
    pub head_timeout: Duration,
}

impl Limits {
    /// The cap from this process's open-file limit as it is now (see [`raise_open_file_limit`]).
    pub fn for_this_process() -> Limits {
        Limits::for_file_limit(open_file_limit())
    }

    /// The cap for a soft open-file limit (`None`: unknown, the default cap).
    pub fn for_file_limit(files: Option<u64>) -> Limits {
        let max_connections = match files {
            Some(files) => usize::try_from(files.saturating_sub(RESERVED_FILES))
                .unwrap_or(MAX_CONNECTIONS)
                .clamp(MIN_CONNECTIONS, MAX_CONNECTIONS),
            None => MAX_CONNECTIONS,
        };
        Limits {
            max_connections,
            head_timeout: Duration::from_secs(10),
        }
    }
}

/// Raises the soft open-file limit to the hard one and returns the soft limit now (`None` where
/// there is no such limit to read).
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct they are given.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                return None;
            }
            if lim.rlim_cur < lim.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: lim.rlim_max,
                    rlim_max: lim.rlim_max,
                };
                // macOS refuses more than OPEN_MAX for an unlimited hard limit: keep the old one.
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    lim = raised;
                }
            }
        }
        // rlim_t is u64 on Linux and macOS, not on every Unix.
        #[allow(clippy::useless_conversion)]
        Some(u64::try_from(lim.rlim_cur).unwrap_or(u64::MAX))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes the struct it is given.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
            return None;
        }
        // rlim_t is u64 on Linux and macOS, not on every Unix.
        #[allow(clippy::useless_conversion)]
        Some(u64::try_from(lim.rlim_cur).unwrap_or(u64::MAX))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// One open connection, as the accept loop sees it.
struct Connection {
    /// Requests being answered on it.
    busy: AtomicUsize,
    /// When it last became idle, in milliseconds since the listener started.
    idle_since: AtomicU64,
    /// Told to make room.
    evict: Notify,
}

/// Marks its connection busy while alive.
struct Busy {
    conn: Arc<Connection>,
    epoch: Instant,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.conn
            .idle_since
            .store(millis(self.epoch), Ordering::Relaxed);
        self.conn.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

fn millis(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[derive(Default)]
struct Open {
    next: u64,
    connections: HashMap<u64, Arc<Connection>>,
}

fn lock(open: &Mutex<Open>) -> MutexGuard<'_, Open> {
    // Every change is a single insert or remove: a panic cannot leave it half-done.
    open.lock().unwrap_or_else(|p| p.into_inner())
}

/// Tells the connection idle longest to close; false when every one is busy.
fn evict_idlest(open: &Mutex<Open>) -> bool {
    let open = lock(open);
    let idlest = open
        .connections
        .values()
        .filter(|c| c.busy.load(Ordering::Acquire) == 0)
        .min_by_key(|c| c.idle_since.load(Ordering::Relaxed));
    match idlest {
        Some(c) => {
            c.evict.notify_one();
            true
        }
        None => false,
    }
}

/// Where connections come from: a TCP listener, or on Unix the admin socket.
pub trait Accept {
    type Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static;
    fn accept(&self) -> impl Future<Output = std::io::Result<Self::Stream>> + Send;
}

impl Accept for tokio::net::TcpListener {
    type Stream = tokio::net::TcpStream;
    async fn accept(&self) -> std::io::Result<Self::Stream> {
        tokio::net::TcpListener::accept(self)
            .await
            .map(|(tcp, _)| tcp)
    }
}

#[cfg(unix)]
impl Accept for tokio::net::UnixListener {
    type Stream = tokio::net::UnixStream;
    async fn accept(&self) -> std::io::Result<Self::Stream> {
        tokio::net::UnixListener::accept(self)
            .await
            .map(|(unix, _)| unix)
    }
}

/// Serves HTTP/1 connections from `listener` with `answer` until `stop` is cancelled, then
/// closes the idle ones, lets each busy one finish its request, and returns.
pub async fn serve<L, H, HF>(listener: L, limits: Limits, answer: H, stop: CancellationToken)
where
    L: Accept,
    H: Fn(Request<Incoming>) -> HF + Clone + Send + Sync + 'static,
    HF: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let epoch = Instant::now();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let open = Arc::new(Mutex::new(Open::default()));
    let connections = TaskTracker::new();
    let mut pause = ACCEPT_PAUSE.0;
    let mut last_logged: Option<Instant> = None;
    loop {
        // A slot first: at the cap, the connection idle longest makes room.
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                evict_idlest(&open);
                tokio::select! {
                    slot = Arc::clone(&slots).acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                    _ = stop.cancelled() => break,
                }
            }
        };
        let stream = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.cancelled() => break,
        };
        let stream = match stream {
            Ok(stream) => {
                pause = ACCEPT_PAUSE.0;
                stream
            }
            Err(e) => {
                if last_logged.is_none_or(|at| at.elapsed() >= ACCEPT_LOG_EVERY) {
                    tracing::warn!(error = %e, retry_in = ?pause, "could not accept a connection");
                    last_logged = Some(Instant::now());
                }
                metrics::counter!("problemfirst_accept_errors_total").increment(1);
                drop(slot);
                // Out of files: closing an idle connection gives one back.
                evict_idlest(&open);
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stop.cancelled() => break,
                }
                pause = (pause * 2).min(ACCEPT_PAUSE.1);
                continue;
            }
        };
        let conn = Arc::new(Connection {
            busy: AtomicUsize::new(0),
            idle_since: AtomicU64::new(millis(epoch)),
            evict: Notify::new(),
        });
        let id = {
            let mut open = lock(&open);
            open.next += 1;
            let id = open.next;
            open.connections.insert(id, Arc::clone(&conn));
            id
        };
        let open = Arc::clone(&open);
        let answer = answer.clone();
        let stop = stop.clone();
        connections.spawn(async move {
            let _slot = slot;
            let marked = Arc::clone(&conn);
            let service = hyper::service::service_fn(move |req| {
                // Called as soon as a head is read, before its body: busy until answered.
                marked.busy.fetch_add(1, Ordering::AcqRel);
                let busy = Busy {
                    conn: Arc::clone(&marked),
                    epoch,
                };
                let answer = answer.clone();
                async move {
                    let response = answer(req).await;
                    drop(busy);
                    Ok::<_, Infallible>(response)
                }
            });
            let http = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.head_timeout)
                .max_buf_size(HEAD_BYTES)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(http);
            let told_to_close = async {
                tokio::select! {
                    _ = stop.cancelled() => {}
                    _ = conn.evict.notified() => {}
                }
            };
            let result = tokio::select! {
                r = http.as_mut() => r,
                // An idle connection closes at once (nothing is being answered on it); a busy
                // one finishes its request first.
                _ = told_to_close => if conn.busy.load(Ordering::Acquire) == 0 {
                    Ok(())
                } else {
                    http.as_mut().graceful_shutdown();
                    http.await
                },
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection closed with an error");
            }
            lock(&open).connections.remove(&id);
        });
    }
    connections.close();
    connections.wait().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_keeps_room_for_the_rest_of_the_process() {
        assert_eq!(Limits::for_file_limit(Some(1024)).max_connections, 896);
        assert_eq!(Limits::for_file_limit(Some(100)).max_connections, 16);
        assert_eq!(
            Limits::for_file_limit(Some(1 << 20)).max_connections,
            MAX_CONNECTIONS
        );
        assert_eq!(
            Limits::for_file_limit(None).max_connections,
            MAX_CONNECTIONS
        );
    }

    #[test]
    fn the_idlest_connection_makes_room_and_a_busy_one_never_does() {
        let open = Mutex::new(Open::default());
        let conn = |busy: usize, idle_since: u64| {
            Arc::new(Connection {
                busy: AtomicUsize::new(busy),
                idle_since: AtomicU64::new(idle_since),
                evict: Notify::new(),
            })
        };
        let (busy, old, new) = (conn(1, 0), conn(0, 5), conn(0, 9));
        for (id, c) in [(1, &busy), (2, &old), (3, &new)] {
            lock(&open).connections.insert(id, Arc::clone(c));
        }
        assert!(evict_idlest(&open));
        // The notification is stored for the one chosen, and only for it.
        let waker = futures_task_noop();
        let mut cx = std::task::Context::from_waker(&waker);
        let mut told = |c: &Connection| {
            let mut n = std::pin::pin!(c.evict.notified());
            n.as_mut().poll(&mut cx).is_ready()
        };
        assert!(told(&old));
        assert!(!told(&new));
        assert!(!told(&busy));
        lock(&open).connections.retain(|id, _| *id == 1);
        assert!(!evict_idlest(&open), "a busy connection is never closed");
    }

    fn futures_task_noop() -> std::task::Waker {
        std::task::Waker::noop().clone()
    }

    /// A TCP listener whose first `failures` accepts fail, as the system's do when the process
    /// is out of files; it notes when each accept was asked for.
    struct OutOfFiles {
        tcp: tokio::net::TcpListener,
        failures: AtomicUsize,
        asked: Arc<Mutex<Vec<Instant>>>,
    }

    impl Accept for OutOfFiles {
        type Stream = tokio::net::TcpStream;
        async fn accept(&self) -> std::io::Result<Self::Stream> {
            self.asked
                .lock()
                .expect("not poisoned")
                .push(Instant::now());
            let left = self.failures.load(Ordering::Acquire);
            if left > 0 {
                self.failures.store(left - 1, Ordering::Release);
                return Err(std::io::Error::other("too many open files"));
            }
            self.tcp.accept().await.map(|(tcp, _)| tcp)
        }
    }

    #[tokio::test]
    async fn failed_accepts_pause_longer_each_time_and_never_stop_the_listener() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        const FAILURES: usize = 5;
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = tcp.local_addr().expect("address");
        let asked = Arc::new(Mutex::new(Vec::new()));
        let listener = OutOfFiles {
            tcp,
            failures: AtomicUsize::new(FAILURES),
            asked: Arc::clone(&asked),
        };
        let limits = Limits {
            max_connections: 4,
            head_timeout: Duration::from_secs(5),
        };
        let stop = CancellationToken::new();
        let answer =
            |_req: Request<Incoming>| async { Response::new(Full::new(Bytes::from("ok"))) };
        let served = tokio::spawn(serve(listener, limits, answer, stop.clone()));

        let mut client = tokio::net::TcpStream::connect(addr).await.expect("connect");
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: bot\r\nConnection: close\r\n\r\n")
            .await
            .expect("send");
        let mut reply = String::new();
        tokio::time::timeout(Duration::from_secs(10), client.read_to_string(&mut reply))
            .await
            .expect("answered in time")
            .expect("read");
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        assert!(reply.ends_with("ok"), "{reply}");

        let asked = asked.lock().expect("not poisoned").clone();
        assert!(asked.len() > FAILURES, "asked {} times", asked.len());
        // After the k-th failure the listener waits 5 ms · 2^k (up to a second) before asking again.
        for (k, pair) in asked.windows(2).take(FAILURES).enumerate() {
            let waited = pair[1] - pair[0];
            let pause = (ACCEPT_PAUSE.0 * (1 << k)).min(ACCEPT_PAUSE.1);
            assert!(
                waited >= pause,
                "after failure {k}: waited {waited:?}, not {pause:?}"
            );
        }
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(5), served)
            .await
            .expect("the listener stops when told")
            .expect("it did not panic");
    }
}
