//! Signed requests to the bot's HTTP listener, and payload builders shaped like Slack's real ones
//! (events, slash commands, block_actions, view_submission, shortcuts, Socket Mode envelopes).
//!
//! Slack signs `v0:{timestamp}:{raw body}` with HMAC-SHA256 and the signing secret, and sends
//! `x-slack-signature: v0=<hex>` plus `x-slack-request-timestamp: <unix secs>`; slack-morphism
//! rejects timestamps more than 300 s away from now.
#![allow(dead_code)]

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper::StatusCode;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use sha2::Sha256;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const FORM: &str = "application/x-www-form-urlencoded";
pub const JSON: &str = "application/json";

/// Bound on a whole request/response exchange.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// `v0=hex(HMAC_SHA256(secret, "v0:{timestamp}:{body}"))`.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// Current unix time in seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// How a request is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signature {
    /// Correct signature, timestamp now.
    Valid,
    /// Well-formed signature made with the wrong secret, timestamp now.
    Bad,
    /// No `x-slack-signature` header (the timestamp header is still sent).
    Missing,
    /// Correctly signed, but the timestamp is 6 minutes old.
    Stale,
}

/// `Ok((status, body))`, or `Err(description)` when no HTTP response came back (slack-morphism's
/// hyper listener closes the connection without a response on a bad or missing signature).
pub type HttpResult = Result<(StatusCode, String), String>;

/// True when the request was refused: a non-2xx status, or the connection closed without a response.
pub fn rejected(result: &HttpResult) -> bool {
    match result {
        Ok((status, _)) => !status.is_success(),
        Err(_) => true,
    }
}

/// POSTs `body` to `url` signed as `signature` says, with `extra_headers`
/// (e.g. `("x-slack-retry-num", "1")`). Bounded by a 10 s timeout (reported as `Err`).
pub async fn send(
    url: &str,
    secret: &str,
    body: &str,
    content_type: &str,
    extra_headers: &[(&str, &str)],
    signature: Signature,
) -> HttpResult {
    let timestamp = match signature {
        Signature::Stale => now() - 6 * 60,
        _ => now(),
    };
    let mut request = hyper::Request::post(url)
        .header("content-type", content_type)
        .header("x-slack-request-timestamp", timestamp.to_string());
    match signature {
        Signature::Valid | Signature::Stale => {
            request = request.header("x-slack-signature", sign(secret, timestamp, body));
        }
        Signature::Bad => {
            let wrong = format!("{secret}-but-wrong");
            request = request.header("x-slack-signature", sign(&wrong, timestamp, body));
        }
        Signature::Missing => {}
    }
    for (name, value) in extra_headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_owned())))
        .map_err(|e| format!("building request: {e}"))?;

    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let exchange = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| format!("request to {url} failed: {e:?}"))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("reading response from {url}: {e:?}"))?
            .to_bytes();
        Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("no response from {url} within {REQUEST_TIMEOUT:?}")))
}

/// POSTs a correctly signed request (timestamp now). Panics if no HTTP response comes back.
pub async fn post_signed(
    url: &str,
    secret: &str,
    body: &str,
    content_type: &str,
    extra_headers: &[(&str, &str)],
) -> (StatusCode, String) {
    send(
        url,
        secret,
        body,
        content_type,
        extra_headers,
        Signature::Valid,
    )
    .await
    .unwrap_or_else(|e| panic!("post_signed: {e}"))
}

/// Signed with the wrong secret.
pub async fn post_bad_signature(
    url: &str,
    secret: &str,
    body: &str,
    content_type: &str,
) -> HttpResult {
    send(url, secret, body, content_type, &[], Signature::Bad).await
}

/// No `x-slack-signature` header.
pub async fn post_unsigned(url: &str, secret: &str, body: &str, content_type: &str) -> HttpResult {
    send(url, secret, body, content_type, &[], Signature::Missing).await
}

/// Correctly signed, timestamp 6 minutes old.
pub async fn post_stale(url: &str, secret: &str, body: &str, content_type: &str) -> HttpResult {
    send(url, secret, body, content_type, &[], Signature::Stale).await
}

/// Signed JSON body (Events API).
pub async fn post_json_signed(url: &str, secret: &str, payload: &Value) -> (StatusCode, String) {
    post_signed(url, secret, &payload.to_string(), JSON, &[]).await
}

/// Signed form body from a flat JSON object (slash commands: `post_form_signed(url, s, &slash_command(..))`).
pub async fn post_form_signed(url: &str, secret: &str, fields: &Value) -> (StatusCode, String) {
    post_signed(url, secret, &form_json(fields), FORM, &[]).await
}

/// Signed interaction: form body `payload=<json>`, as Slack posts block_actions, view_submission, shortcuts.
pub async fn post_interaction_signed(
    url: &str,
    secret: &str,
    payload: &Value,
) -> (StatusCode, String) {
    post_signed(url, secret, &interaction_form(payload), FORM, &[]).await
}

// -------------------------------------------------------------------- form encoding

/// `application/x-www-form-urlencoded` encoding of `pairs` (spaces as `+`, like Slack).
pub fn form<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        serializer.append_pair(k.as_ref(), v.as_ref());
    }
    serializer.finish()
}

/// Form-encodes a flat JSON object (strings as-is, anything else as its JSON text).
pub fn form_json(fields: &Value) -> String {
    let object = fields
        .as_object()
        .expect("form_json: expected a JSON object");
    let pairs: Vec<(String, String)> = object
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect();
    form(&pairs)
}

/// `payload=<json>`: the body of an interaction request.
pub fn interaction_form(payload: &Value) -> String {
    form(&[("payload", payload.to_string())])
}

// -------------------------------------------------------------------- payload builders

pub const TEAM_ID: &str = "T1";
pub const APP_ID: &str = "A1";
pub const BOT_USER_ID: &str = "UBOT";
pub const BOT_ID: &str = "B1";
/// Default `response_url` of interaction payloads; override with `payload["response_url"] = ..`
/// (e.g. `fake.response_url("r1")`).
pub const DEFAULT_RESPONSE_URL: &str = "https://hooks.slack.com/actions/T1/1/fake";

fn team() -> Value {
    json!({"id": TEAM_ID, "domain": "fake"})
}

fn user_info(user: &str) -> Value {
    json!({"id": user, "username": "user", "name": "user", "team_id": TEAM_ID})
}

/// Slash command fields (`command` = `/idea`) as a flat JSON object: `form_json(..)` for HTTP,
/// as-is for a Socket Mode `slash_commands` payload.
pub fn slash_command(
    text: &str,
    user: &str,
    channel: &str,
    trigger_id: &str,
    response_url: &str,
) -> Value {
    json!({
        "token": "verification-token",
        "team_id": TEAM_ID,
        "team_domain": "fake",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": "user",
        "command": "/idea",
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id
    })
}

/// An Events API `event_callback` wrapping `event` (e.g. [`message_event`]).
pub fn event_callback(event_id: &str, event: Value) -> Value {
    let channel = event.get("channel").and_then(Value::as_str).unwrap_or("C0");
    let kind = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("message");
    json!({
        "token": "verification-token",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": now(),
        "authorizations": [{
            "enterprise_id": null,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "is_bot": true,
            "is_enterprise_install": false
        }],
        "is_ext_shared_channel": false,
        "event_context": format!("1-{kind}-{TEAM_ID}-{channel}")
    })
}

/// Events API `url_verification` handshake.
pub fn url_verification(challenge: &str) -> Value {
    json!({"token": "verification-token", "challenge": challenge, "type": "url_verification"})
}

/// A user's channel message (no subtype). Set `ev["thread_ts"]` for a thread reply.
pub fn message_event(channel: &str, user: &str, ts: &str, text: &str) -> Value {
    json!({
        "type": "message",
        "client_msg_id": format!("msg-{ts}"),
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "team": TEAM_ID,
        "channel_type": "channel"
    })
}

/// A bot's message (`subtype: bot_message`, `bot_id`): the bot must ignore these.
pub fn bot_message_event(channel: &str, bot_id: &str, ts: &str, text: &str) -> Value {
    json!({
        "type": "message",
        "subtype": "bot_message",
        "channel": channel,
        "bot_id": bot_id,
        "username": "some-bot",
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel"
    })
}

/// `app_mention`; `text` should contain `<@UBOT>` like Slack's.
pub fn app_mention_event(channel: &str, user: &str, ts: &str, text: &str) -> Value {
    json!({
        "type": "app_mention",
        "client_msg_id": format!("mention-{ts}"),
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "team": TEAM_ID
    })
}

/// A button click in a message (`block_actions`); `response_url` is [`DEFAULT_RESPONSE_URL`].
pub fn block_action(
    user: &str,
    action_id: &str,
    value: &str,
    channel: &str,
    message_ts: &str,
    trigger_id: &str,
) -> Value {
    json!({
        "type": "block_actions",
        "user": user_info(user),
        "api_app_id": APP_ID,
        "token": "verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": false
        },
        "trigger_id": trigger_id,
        "team": team(),
        "enterprise": null,
        "is_enterprise_install": false,
        "channel": {"id": channel, "name": "general"},
        "message": {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": message_ts,
            "text": "message with buttons"
        },
        "response_url": DEFAULT_RESPONSE_URL,
        "actions": [{
            "action_id": action_id,
            "block_id": format!("{action_id}_block"),
            "text": {"type": "plain_text", "text": "Button", "emoji": true},
            "value": value,
            "type": "button",
            "action_ts": "1700000000.000001"
        }]
    })
}

/// A modal submission. `state_values` is the `view.state.values` object:
/// `{"block_id": {"action_id": {"type": "plain_text_input", "value": ".."}}}`.
pub fn view_submission(
    user: &str,
    callback_id: &str,
    private_metadata: &str,
    state_values: Value,
) -> Value {
    json!({
        "type": "view_submission",
        "team": team(),
        "user": user_info(user),
        "api_app_id": APP_ID,
        "token": "verification-token",
        "trigger_id": "1.2.view-submission",
        "view": {
            "id": "VSUBMIT",
            "team_id": TEAM_ID,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": state_values},
            "hash": "1700000000.fakehash",
            "title": {"type": "plain_text", "text": "Fake"},
            "clear_on_close": false,
            "notify_on_close": false,
            "close": {"type": "plain_text", "text": "Cancel"},
            "submit": {"type": "plain_text", "text": "Submit"},
            "previous_view_id": null,
            "root_view_id": "VSUBMIT",
            "app_id": APP_ID,
            "external_id": "",
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID
        },
        "response_urls": [],
        "is_enterprise_install": false,
        "enterprise": null
    })
}

/// A message shortcut (`message_action`) on a message by `user` in `channel`.
pub fn message_shortcut(
    callback_id: &str,
    user: &str,
    channel: &str,
    message_ts: &str,
    text: &str,
    trigger_id: &str,
) -> Value {
    json!({
        "type": "message_action",
        "token": "verification-token",
        "action_ts": "1700000000.000002",
        "team": team(),
        "user": user_info(user),
        "channel": {"id": channel, "name": "general"},
        "is_enterprise_install": false,
        "enterprise": null,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
        "response_url": DEFAULT_RESPONSE_URL,
        "message_ts": message_ts,
        "message": {
            "type": "message",
            "user": user,
            "ts": message_ts,
            "text": text
        }
    })
}

/// A global shortcut (`shortcut`).
pub fn global_shortcut(callback_id: &str, user: &str, trigger_id: &str) -> Value {
    json!({
        "type": "shortcut",
        "token": "verification-token",
        "action_ts": "1700000000.000003",
        "team": team(),
        "user": user_info(user),
        "is_enterprise_install": false,
        "enterprise": null,
        "callback_id": callback_id,
        "trigger_id": trigger_id
    })
}

/// A Socket Mode envelope without `envelope_id` (FakeSlack::send_envelope fills it).
/// `kind`: `events_api` (payload: [`event_callback`]), `slash_commands` (payload: [`slash_command`])
/// or `interactive` (payload: an interaction). `accepts_response_payload` is false for events_api.
pub fn envelope(kind: &str, payload: Value) -> Value {
    let mut envelope = json!({
        "type": kind,
        "accepts_response_payload": kind != "events_api",
        "payload": payload
    });
    if kind == "events_api" {
        envelope["retry_attempt"] = json!(0);
        envelope["retry_reason"] = json!("");
    }
    envelope
}
