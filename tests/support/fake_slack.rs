//! `FakeSlack`: an in-process fake of Slack's Web API and Socket Mode for integration tests.
//!
//! One hyper http1 server on `127.0.0.1:0` serves
//! - `GET|POST /api/<method>`: the Web API (JSON, form or query-string arguments), recorded as [`Call`]s
//!   and answered with canned `200 application/json` bodies that slack-morphism 2.31.1 decodes;
//! - `GET /link?ticket=T`: Socket Mode, upgraded to a WebSocket (the URL apps.connections.open hands
//!   out; the ticket is a secret, as Slack's is, and starts with [`TICKET_PREFIX`]);
//! - `POST /response/<id>`: a `response_url` sink, recorded as a call to method `response/<id>`
//!   (see [`FakeSlack::response_url`]).
//!
//! Everything it spawns is aborted when the `FakeSlack` is dropped.
#![allow(dead_code)]

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, AUTHORIZATION, CONNECTION, CONTENT_TYPE, RETRY_AFTER, SEC_WEBSOCKET_ACCEPT,
    SEC_WEBSOCKET_KEY, UPGRADE,
};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long [`FakeSlack::send_envelope`] waits for a live Socket Mode connection before panicking.
const SEND_ENVELOPE_WAIT: Duration = Duration::from_secs(5);

/// Team, bot and app ids the fake reports everywhere.
pub const TEAM_ID: &str = "T1";
pub const BOT_USER_ID: &str = "UBOT";
pub const BOT_ID: &str = "B1";
pub const APP_ID: &str = "A1";
/// How the Socket Mode tickets the fake hands out begin (a log must never show one).
pub const TICKET_PREFIX: &str = "fake-ticket-";

/// One Web API request as the fake received it.
#[derive(Debug, Clone)]
pub struct Call {
    /// `chat.postMessage`, ... (or `response/<id>` for a response_url post).
    pub method: String,
    /// The HTTP verb, `GET` or `POST`.
    pub verb: String,
    /// From `Authorization: Bearer <token>`, else a `token` argument.
    pub token: Option<String>,
    /// The JSON body, or the form / query pairs as an object. A `blocks`, `view` or `attachments`
    /// form field holding JSON is parsed into JSON. Query-string pairs are merged in as well.
    pub args: Value,
    /// When the request arrived (before any injected delay).
    pub at: Instant,
}

impl Call {
    /// A string argument, e.g. `call.arg("channel")`.
    pub fn arg(&self, key: &str) -> Option<&str> {
        self.args.get(key).and_then(Value::as_str)
    }
}

/// A scripted failure for the next call to a method (see [`FakeSlack::fail_next`]).
#[derive(Debug, Clone)]
pub enum Failure {
    /// HTTP 429 with `Retry-After: <secs>` and `{"ok":false,"error":"ratelimited"}`.
    RateLimited { retry_after_secs: u64 },
    /// This HTTP status with a plain-text body.
    Status(u16),
    /// HTTP 200 with `{"ok":false,"error":<code>}`.
    Api(&'static str),
    /// Close the connection without sending a response.
    Disconnect,
    /// Answer normally, but only after this long (a stalled call).
    Stall(Duration),
    /// Answer normally, but only once the gate is opened (a call held for as long as a test
    /// needs, whatever the machine's speed).
    Hold(Gate),
}

/// Opened once by a test ([`Gate::open`]); a held call waits for it.
#[derive(Debug, Clone)]
pub struct Gate(Arc<tokio::sync::Semaphore>);

impl Default for Gate {
    fn default() -> Gate {
        Gate::new()
    }
}

impl Gate {
    pub fn new() -> Gate {
        Gate(Arc::new(tokio::sync::Semaphore::new(0)))
    }

    /// Lets every call held at this gate, and any held later, go on.
    pub fn open(&self) {
        self.0.close();
    }

    async fn pass(&self) {
        // A closed semaphore is an open gate: acquiring fails at once.
        let _ = self.0.acquire().await;
    }
}

enum Outgoing {
    Text(String),
    Close,
}

struct WsConn {
    tx: mpsc::UnboundedSender<Outgoing>,
    /// Sent `disconnect` (or closed) by the fake: no longer a target for new envelopes.
    retired: bool,
}

impl WsConn {
    fn usable(&self) -> bool {
        !self.retired && !self.tx.is_closed()
    }
}

struct Shared {
    port: u16,
    calls: Mutex<Vec<Call>>,
    /// Calls that were answered with success, in the order they were answered.
    succeeded: Mutex<Vec<Call>>,
    delays: Mutex<HashMap<String, Duration>>,
    failures: Mutex<HashMap<String, VecDeque<Failure>>>,
    overrides: Mutex<HashMap<String, Value>>,
    users: Mutex<HashMap<String, Value>>,
    usergroups: Mutex<HashMap<String, Vec<String>>>,
    ts_seq: AtomicU64,
    id_seq: AtomicU64,
    ws: Mutex<Vec<WsConn>>,
    connections: AtomicUsize,
    pings: AtomicUsize,
    /// Every JSON text frame the clients sent, in order.
    frames: Mutex<Vec<Value>>,
    /// Bumped on every observable change (call, connection, frame, ping); waiters subscribe.
    changed: watch::Sender<u64>,
    tasks: Mutex<Vec<AbortHandle>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not poison the fake for the others.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn bump(&self) {
        self.changed.send_modify(|v| *v += 1);
    }

    fn track(&self, handle: AbortHandle) {
        let mut tasks = lock(&self.tasks);
        tasks.retain(|t| !t.is_finished());
        tasks.push(handle);
    }

    fn next_ts(&self) -> String {
        let n = self.ts_seq.fetch_add(1, Ordering::SeqCst) + 1;
        let micros = n * 100;
        format!(
            "{}.{:06}",
            1_700_000_000 + micros / 1_000_000,
            micros % 1_000_000
        )
    }

    fn next_id(&self) -> u64 {
        self.id_seq.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Waits until `check` yields something, re-checking after every change; bounded by `timeout`.
    async fn wait_until<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut() -> Option<T>,
    ) -> Option<T> {
        let mut rx = self.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            rx.borrow_and_update();
            if let Some(v) = check() {
                return Some(v);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => continue,
                _ => return check(),
            }
        }
    }

    fn newest_usable(&self) -> Option<(usize, mpsc::UnboundedSender<Outgoing>)> {
        let conns = lock(&self.ws);
        conns
            .iter()
            .enumerate()
            .rev()
            .find(|(_, c)| c.usable())
            .map(|(i, c)| (i, c.tx.clone()))
    }
}

/// The fake. Cheap to query from any task; see the module docs.
pub struct FakeSlack {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        for t in lock(&self.shared.tasks).drain(..) {
            t.abort();
        }
    }
}

impl FakeSlack {
    /// Binds `127.0.0.1:0` and starts serving.
    pub async fn start() -> FakeSlack {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake slack: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake slack: local_addr");
        let (changed, _) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            port: addr.port(),
            calls: Mutex::new(Vec::new()),
            delays: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            succeeded: Mutex::new(Vec::new()),
            overrides: Mutex::new(HashMap::new()),
            users: Mutex::new(HashMap::new()),
            usergroups: Mutex::new(HashMap::new()),
            ts_seq: AtomicU64::new(0),
            id_seq: AtomicU64::new(0),
            ws: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            pings: AtomicUsize::new(0),
            frames: Mutex::new(Vec::new()),
            changed,
            tasks: Mutex::new(Vec::new()),
        });
        let accept_shared = shared.clone();
        let server = tokio::spawn(async move {
            loop {
                let (tcp, _) = match listener.accept().await {
                    Ok(c) => c,
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    }
                };
                let conn_shared = accept_shared.clone();
                let conn = tokio::spawn(async move {
                    let svc_shared = conn_shared.clone();
                    let svc = service_fn(move |req| handle(svc_shared.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), svc)
                        .with_upgrades()
                        .await;
                });
                accept_shared.track(conn.abort_handle());
            }
        });
        shared.track(server.abort_handle());
        FakeSlack { shared, addr }
    }

    /// `http://127.0.0.1:PORT/api` (no trailing slash): pass to `with_slack_api_url`.
    pub fn api_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A response_url served by the fake; posts to it are recorded as calls to `response/<id>`.
    pub fn response_url(&self, id: &str) -> String {
        format!("http://{}/response/{id}", self.addr)
    }

    // ---------------------------------------------------------------- configuration

    /// Delays every later response of `method` by `delay` (`Duration::ZERO` clears it).
    pub fn set_delay(&self, method: &str, delay: Duration) {
        let mut delays = lock(&self.shared.delays);
        if delay.is_zero() {
            delays.remove(method);
        } else {
            delays.insert(method.to_string(), delay);
        }
    }

    /// Queues a failure for the next call of `method` (queued failures are used in order).
    pub fn fail_next(&self, method: &str, failure: Failure) {
        lock(&self.shared.failures)
            .entry(method.to_string())
            .or_default()
            .push_back(failure);
    }

    /// Replaces the canned answer of `method` with `body` (sent as 200 application/json).
    pub fn set_response(&self, method: &str, body: Value) {
        lock(&self.shared.overrides).insert(method.to_string(), body);
    }

    /// The `user` object users.info returns for `user_id` (default `{"id":U,"name":"user","real_name":"User",..}`).
    pub fn set_user(&self, user_id: &str, user: Value) {
        lock(&self.shared.users).insert(user_id.to_string(), user);
    }

    /// Members usergroups.users.list returns for `usergroup` (default: none).
    pub fn set_usergroup_users(&self, usergroup: &str, users: &[&str]) {
        lock(&self.shared.usergroups).insert(
            usergroup.to_string(),
            users.iter().map(|u| u.to_string()).collect(),
        );
    }

    // ---------------------------------------------------------------- Web API queries

    pub fn calls(&self) -> Vec<Call> {
        lock(&self.shared.calls).clone()
    }

    /// Calls of `method` that were answered with success (failed attempts left out).
    pub fn delivered(&self, method: &str) -> Vec<Call> {
        lock(&self.shared.succeeded)
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }

    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        lock(&self.shared.calls)
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }

    /// Waits until at least `count` calls to `method` arrived or `timeout` passed; returns the calls
    /// to `method` seen by then (possibly fewer than `count`).
    pub async fn wait_for(&self, method: &str, count: usize, timeout: Duration) -> Vec<Call> {
        self.shared
            .wait_until(timeout, || {
                let calls = self.calls_to(method);
                (calls.len() >= count).then_some(calls)
            })
            .await
            .unwrap_or_else(|| self.calls_to(method))
    }

    // ---------------------------------------------------------------- Socket Mode

    /// WebSocket connections accepted so far (including closed ones).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Connections that are open and have not been sent `disconnect` by the fake.
    pub fn live_connections(&self) -> usize {
        lock(&self.shared.ws).iter().filter(|c| c.usable()).count()
    }

    /// Waits until `connections() >= count` (bounded); returns `connections()`.
    pub async fn wait_connections(&self, count: usize, timeout: Duration) -> usize {
        self.shared
            .wait_until(timeout, || (self.connections() >= count).then_some(()))
            .await;
        self.connections()
    }

    /// WebSocket pings received from clients (each was answered with a pong).
    pub fn pings(&self) -> usize {
        self.shared.pings.load(Ordering::SeqCst)
    }

    /// Waits until `pings() >= count` (bounded); returns `pings()`.
    pub async fn wait_pings(&self, count: usize, timeout: Duration) -> usize {
        self.shared
            .wait_until(timeout, || (self.pings() >= count).then_some(()))
            .await;
        self.pings()
    }

    /// Sends an envelope to the newest live connection (waiting up to 5 s for one, e.g. during a
    /// reconnect; panics if none). Fills `envelope_id` (`env-N`) when missing and
    /// `accepts_response_payload` when missing (`false` for `events_api`, else `true`);
    /// returns the envelope id.
    pub async fn send_envelope(&self, mut envelope: Value) -> String {
        let obj = envelope
            .as_object_mut()
            .expect("send_envelope: envelope must be a JSON object");
        let id = match obj.get("envelope_id").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => {
                let id = format!("env-{}", self.shared.next_id());
                obj.insert("envelope_id".into(), json!(id));
                id
            }
        };
        if !obj.contains_key("accepts_response_payload") {
            let events = obj.get("type").and_then(Value::as_str) == Some("events_api");
            obj.insert("accepts_response_payload".into(), json!(!events));
        }
        self.send_frame(envelope).await;
        id
    }

    /// Sends an envelope as [`send_envelope`](Self::send_envelope) does, but only if a live
    /// connection takes it now: `None` when there is none or it closed (a killed client), so a
    /// test can stop sending instead of failing.
    pub fn try_send_envelope(&self, mut envelope: Value) -> Option<String> {
        let id = format!("env-{}", self.shared.next_id());
        envelope["envelope_id"] = json!(id);
        let (_, tx) = self.shared.newest_usable()?;
        tx.send(Outgoing::Text(envelope.to_string())).ok()?;
        Some(id)
    }

    /// Sends any JSON frame, unchanged, to the newest live connection (waits up to 5 s for one).
    pub async fn send_frame(&self, frame: Value) {
        let (_, tx) = self
            .shared
            .wait_until(SEND_ENVELOPE_WAIT, || self.shared.newest_usable())
            .await
            .unwrap_or_else(|| {
                panic!(
                    "fake slack: no live Socket Mode connection within {SEND_ENVELOPE_WAIT:?} \
                     (connections accepted so far: {})",
                    self.connections()
                )
            });
        tx.send(Outgoing::Text(frame.to_string()))
            .expect("fake slack: Socket Mode connection closed while sending");
    }

    /// Waits (bounded) for the client's ack of `envelope_id`: `{"envelope_id":..,"payload":..?}`.
    pub async fn wait_ack(&self, envelope_id: &str, timeout: Duration) -> Option<Value> {
        self.shared
            .wait_until(timeout, || self.ack(envelope_id))
            .await
    }

    /// The ack for `envelope_id`, if it has arrived.
    pub fn ack(&self, envelope_id: &str) -> Option<Value> {
        lock(&self.shared.frames)
            .iter()
            .find(|f| f.get("envelope_id").and_then(Value::as_str) == Some(envelope_id))
            .cloned()
    }

    /// Every JSON text frame clients sent (acks are the ones with an `envelope_id`).
    pub fn frames(&self) -> Vec<Value> {
        lock(&self.shared.frames).clone()
    }

    /// Sends `{"type":"disconnect","reason":"refresh_requested",..}` to the newest live connection
    /// and stops using it for envelopes; slack-morphism then calls apps.connections.open again and
    /// reconnects. Returns false if there was no live connection.
    pub async fn disconnect(&self) -> bool {
        let frame = json!({
            "type": "disconnect",
            "reason": "refresh_requested",
            "debug_info": {"host": "fake"}
        });
        self.retire_newest(Outgoing::Text(frame.to_string()))
    }

    /// Closes the newest live connection with a WebSocket Close frame (no `disconnect` message).
    /// Returns false if there was no live connection.
    pub async fn close_connection(&self) -> bool {
        self.retire_newest(Outgoing::Close)
    }

    fn retire_newest(&self, message: Outgoing) -> bool {
        let mut conns = lock(&self.shared.ws);
        match conns.iter_mut().rev().find(|c| c.usable()) {
            Some(conn) => {
                conn.retired = true;
                conn.tx.send(message).is_ok()
            }
            None => false,
        }
    }
}

// -------------------------------------------------------------------- HTTP handling

fn full(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(body.into()));
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_str(content_type).expect("content type"),
    );
    res
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    full(status, "application/json; charset=utf-8", body.to_string())
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, BoxError> {
    let path = req.uri().path().to_string();
    if path == "/link" || path == "/link/" {
        return Ok(ws_upgrade(shared, req));
    }
    if let Some(method) = path.strip_prefix("/api/") {
        let method = method.to_string();
        return api(shared, method, req).await;
    }
    if let Some(id) = path.strip_prefix("/response/") {
        let method = format!("response/{id}");
        let (verb, token, args) = read_args(req).await?;
        record(&shared, &method, verb, token, args);
        return Ok(full(StatusCode::OK, "text/plain", "ok"));
    }
    Ok(full(StatusCode::NOT_FOUND, "text/plain", "not found"))
}

fn record(shared: &Shared, method: &str, verb: String, token: Option<String>, args: Value) {
    lock(&shared.calls).push(Call {
        method: method.to_string(),
        verb,
        token,
        args,
        at: Instant::now(),
    });
    shared.bump();
}

const JSON_FORM_FIELDS: [&str; 3] = ["blocks", "view", "attachments"];

fn merge_form(args: &mut Map<String, Value>, bytes: &[u8]) {
    for (k, v) in form_urlencoded::parse(bytes) {
        let value = if JSON_FORM_FIELDS.contains(&k.as_ref()) {
            serde_json::from_str(&v).unwrap_or_else(|_| Value::String(v.to_string()))
        } else {
            Value::String(v.to_string())
        };
        args.insert(k.to_string(), value);
    }
}

/// Reads the verb, the token and the arguments (query string + JSON or form body) of a request.
async fn read_args(req: Request<Incoming>) -> Result<(String, Option<String>, Value), BoxError> {
    let verb = req.method().to_string();
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let query = req.uri().query().map(str::to_owned);
    let body = req.into_body().collect().await?.to_bytes();

    let mut args = Map::new();
    if let Some(q) = query {
        merge_form(&mut args, q.as_bytes());
    }
    if !body.is_empty() {
        if content_type.starts_with("application/json") {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(m)) => args.extend(m),
                Ok(other) => {
                    args.insert("_body".into(), other);
                }
                Err(_) => {
                    args.insert(
                        "_raw".into(),
                        Value::String(String::from_utf8_lossy(&body).into_owned()),
                    );
                }
            }
        } else {
            merge_form(&mut args, &body);
        }
    }
    let token = token.or_else(|| args.get("token").and_then(Value::as_str).map(str::to_owned));
    Ok((verb, token, Value::Object(args)))
}

async fn api(
    shared: Arc<Shared>,
    method: String,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, BoxError> {
    let (verb, token, args) = read_args(req).await?;
    // The failure queued next goes to the call recorded next: taken in the same step, so a call
    // that arrives later cannot take it while this one's thread is paused between the two.
    let failure = {
        let mut failures = lock(&shared.failures);
        record(&shared, &method, verb, token.clone(), args.clone());
        failures.get_mut(&method).and_then(VecDeque::pop_front)
    };

    let delay = lock(&shared.delays).get(&method).copied();
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }

    match failure {
        Some(Failure::RateLimited { retry_after_secs }) => {
            let mut res = json_response(
                StatusCode::TOO_MANY_REQUESTS,
                &json!({"ok": false, "error": "ratelimited"}),
            );
            res.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            return Ok(res);
        }
        Some(Failure::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return Ok(full(status, "text/plain", "fake slack: injected failure"));
        }
        Some(Failure::Api(code)) => {
            return Ok(json_response(
                StatusCode::OK,
                &json!({"ok": false, "error": code}),
            ))
        }
        Some(Failure::Disconnect) => return Err("fake slack: injected disconnect".into()),
        Some(Failure::Stall(pause)) => tokio::time::sleep(pause).await,
        Some(Failure::Hold(gate)) => gate.pass().await,
        None => {}
    }
    lock(&shared.succeeded).push(Call {
        method: method.clone(),
        verb: String::new(),
        token: token.clone(),
        args: args.clone(),
        at: Instant::now(),
    });

    let overridden = lock(&shared.overrides).get(&method).cloned();
    let body = match overridden {
        Some(body) => body,
        None => canned(&shared, &method, token.as_deref(), &args),
    };
    Ok(json_response(StatusCode::OK, &body))
}

fn api_error(code: &str) -> Value {
    json!({"ok": false, "error": code})
}

/// The canned answers, with the fields slack-morphism 2.31.1's response types require.
fn canned(shared: &Shared, method: &str, token: Option<&str>, args: &Value) -> Value {
    let Some(token) = token else {
        return api_error("not_authed");
    };
    let s = |key: &str| {
        args.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let text = args.get("text").cloned().unwrap_or(json!(""));
    match method {
        "chat.postMessage" => {
            let channel = s("channel");
            if channel.is_empty() {
                return api_error("channel_not_found");
            }
            let ts = shared.next_ts();
            let mut message = json!({
                "type": "message", "ts": ts, "text": text, "user": BOT_USER_ID, "bot_id": BOT_ID,
                "team": TEAM_ID, "app_id": APP_ID
            });
            for key in ["blocks", "thread_ts", "attachments", "metadata"] {
                if let Some(v) = args.get(key) {
                    message[key] = v.clone();
                }
            }
            json!({"ok": true, "channel": channel, "ts": ts, "message": message})
        }
        "chat.update" => {
            let channel = s("channel");
            if channel.is_empty() {
                return api_error("channel_not_found");
            }
            let ts = s("ts");
            if ts.is_empty() {
                return api_error("message_not_found");
            }
            let mut message = json!({
                "type": "message", "ts": ts, "text": text, "user": BOT_USER_ID, "bot_id": BOT_ID
            });
            if let Some(blocks) = args.get("blocks") {
                message["blocks"] = blocks.clone();
            }
            json!({"ok": true, "channel": channel, "ts": ts, "text": text, "message": message})
        }
        "chat.postEphemeral" => json!({"ok": true, "message_ts": shared.next_ts()}),
        "chat.getPermalink" => {
            let channel = s("channel");
            let ts = s("message_ts").replace('.', "");
            json!({
                "ok": true, "channel": channel,
                "permalink": format!("https://example.slack.com/archives/{channel}/p{ts}")
            })
        }
        "chat.delete" => json!({"ok": true, "channel": s("channel"), "ts": s("ts")}),
        "views.open" | "views.push" | "views.update" | "views.publish" => {
            json!({"ok": true, "view": stateful_view(shared, method, args)})
        }
        "users.info" => {
            let user = s("user");
            let stored = lock(&shared.users).get(&user).cloned();
            let user = stored.unwrap_or_else(|| {
                json!({
                    "id": user, "team_id": TEAM_ID, "name": "user", "real_name": "User",
                    "deleted": false, "is_bot": false,
                    "profile": {"real_name": "User", "display_name": "user"}
                })
            });
            json!({"ok": true, "user": user})
        }
        "usergroups.users.list" => {
            let users = lock(&shared.usergroups)
                .get(&s("usergroup"))
                .cloned()
                .unwrap_or_default();
            json!({"ok": true, "users": users})
        }
        "conversations.info" | "conversations.join" => {
            let channel = s("channel");
            if channel.is_empty() {
                return api_error("channel_not_found");
            }
            json!({"ok": true, "channel": {
                "id": channel, "name": "general", "created": 1_700_000_000,
                "is_channel": true, "is_member": true, "is_archived": false
            }})
        }
        "auth.test" => json!({
            "ok": true, "url": "https://example.slack.com/", "team": "Fake Team", "user": "bot",
            "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID
        }),
        "reactions.add" | "reactions.remove" => json!({"ok": true}),
        "apps.connections.open" => {
            if !token.starts_with("xapp-") {
                return api_error("not_allowed_token_type");
            }
            json!({
                "ok": true,
                "url": format!(
                    "ws://127.0.0.1:{}/link?ticket={TICKET_PREFIX}{}-5e1f0c",
                    shared.port,
                    shared.next_id()
                )
            })
        }
        _ => api_error("unknown_method"),
    }
}

/// Echoes the request's view, adding what `SlackStatefulView` needs (`id`, `team_id`, `hash`,
/// `type`, and for modals `title` and `blocks`).
fn stateful_view(shared: &Shared, method: &str, args: &Value) -> Value {
    let mut view = match args.get("view") {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::String(s)) => serde_json::from_str::<Map<String, Value>>(s).unwrap_or_default(),
        _ => Map::new(),
    };
    let default_type = if method == "views.publish" {
        "home"
    } else {
        "modal"
    };
    view.entry("type").or_insert_with(|| json!(default_type));
    view.entry("blocks").or_insert_with(|| json!([]));
    if view.get("type").and_then(Value::as_str) == Some("modal") {
        view.entry("title")
            .or_insert_with(|| json!({"type": "plain_text", "text": "Fake"}));
    }
    let id = match args.get("view_id").and_then(Value::as_str) {
        Some(id) if method == "views.update" => id.to_string(),
        _ => format!("V{}", shared.next_id()),
    };
    view.insert("root_view_id".into(), json!(id));
    view.insert("id".into(), json!(id));
    view.insert("team_id".into(), json!(TEAM_ID));
    view.insert("app_id".into(), json!(APP_ID));
    view.insert("bot_id".into(), json!(BOT_ID));
    view.insert(
        "hash".into(),
        json!(format!("{}.fakehash", shared.next_ts())),
    );
    view.entry("state").or_insert_with(|| json!({"values": {}}));
    Value::Object(view)
}

// -------------------------------------------------------------------- Socket Mode

fn ws_upgrade(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let is_upgrade = req
        .headers()
        .get(UPGRADE)
        .map(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
        .unwrap_or(false);
    let key = req.headers().get(SEC_WEBSOCKET_KEY).cloned();
    let Some(key) = key.filter(|_| is_upgrade) else {
        return full(
            StatusCode::BAD_REQUEST,
            "text/plain",
            "fake slack: expected a WebSocket upgrade",
        );
    };
    let accept = derive_accept_key(key.as_bytes());

    let task_shared = shared.clone();
    let task = tokio::spawn(async move {
        if let Ok(upgraded) = hyper::upgrade::on(req).await {
            let ws =
                WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
            serve_ws(task_shared, ws).await;
        }
    });
    shared.track(task.abort_handle());

    let mut res = Response::new(Full::new(Bytes::new()));
    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = res.headers_mut();
    h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(
        SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&accept).expect("accept key"),
    );
    res
}

async fn serve_ws<S>(shared: Arc<Shared>, mut ws: WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (tx, mut rx) = mpsc::unbounded_channel();
    lock(&shared.ws).push(WsConn { tx, retired: false });

    let hello = json!({
        "type": "hello",
        "num_connections": 1,
        "debug_info": {"host": "fake"},
        "connection_info": {"app_id": APP_ID}
    });
    let hello_sent = ws.send(Message::text(hello.to_string())).await.is_ok();
    shared.connections.fetch_add(1, Ordering::SeqCst);
    shared.bump();

    if hello_sent {
        loop {
            tokio::select! {
                incoming = ws.next() => match incoming {
                    Some(Ok(Message::Text(text))) => {
                        let frame = serde_json::from_str::<Value>(text.as_str())
                            .unwrap_or_else(|_| json!({"_raw": text.as_str()}));
                        lock(&shared.frames).push(frame);
                        shared.bump();
                    }
                    Some(Ok(Message::Ping(_))) => {
                        // tungstenite queued the pong; flush it now.
                        let flushed = ws.flush().await.is_ok();
                        shared.pings.fetch_add(1, Ordering::SeqCst);
                        shared.bump();
                        if !flushed {
                            break;
                        }
                    }
                    Some(Ok(Message::Close(_))) => {
                        let _ = ws.flush().await;
                        break;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break,
                },
                outgoing = rx.recv() => match outgoing {
                    Some(Outgoing::Text(text)) => {
                        if ws.send(Message::text(text)).await.is_err() {
                            break;
                        }
                    }
                    Some(Outgoing::Close) => {
                        if ws.close(None).await.is_err() {
                            break;
                        }
                    }
                    None => break,
                },
            }
        }
    }
    // Dropping `rx` marks the connection closed (`tx.is_closed()`).
    drop(rx);
    shared.bump();
}
