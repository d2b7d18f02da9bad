//! The HTTP Events API transport: the answers to `POST /slack/events`, `/slack/commands` and
//! `/slack/interactivity` ([`Endpoint::answer`]), served on connections bounded by
//! `crate::listener` (start-up puts the two together, with the ops endpoints beside them).
//!
//! A Slack request is read in this order, and refused at the first step it fails, so that what
//! an unsigned sender can make the bot hold is small and brief:
//!
//! 1. its head: no signature or timestamp, or a timestamp more than 5 minutes away, is 401; no
//!    (or a malformed) `Content-Length` is 411, one over [`MAX_BODY`] is 413;
//! 2. room for its body in [`BODY_BUDGET`], which every unverified body shares (503 when none is
//!    free within a second);
//! 3. its body, within [`BODY_TIMEOUT`] (408 otherwise);
//! 4. its signature, over the body's bytes: 401 when it does not match, whatever the body holds
//!    (also when it is not UTF-8).
//!
//! Only then is the body parsed (400 when unreadable) and handled. An event is acknowledged once
//! it is kept in the inbox (`Bot::event`); when the store cannot keep it in time, the answer is
//! 503 and Slack sends it again. Any other path is 404.

use super::api::SigningSecret;
use super::bot::Bot;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};
use slack_morphism::prelude::*;
use slack_morphism::signature_verifier::SlackEventSignatureVerifier;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

pub use super::payload::{read_command, read_event, read_interaction};

/// The largest body accepted: 1 MiB. The largest payload Slack sends is a `view_submission`,
/// which carries the whole modal as the app built it and what was typed into it. Slack's limits
/// for a modal are 100 blocks, and the most text one block can carry back is an input's: a label
/// and a hint of 2,000 characters each, an initial value and a typed value of 3,000 each. At its
/// limits a modal is so about 1,000,000 characters with the 3,000 of `private_metadata`, which
/// form-encode to about 1 MiB as plain text. (Events and slash commands are far smaller: a
/// message is at most 40,000 characters.)
pub const MAX_BODY: usize = 1 << 20;
/// Bytes of unverified bodies held at once, across every connection: sixteen of the largest, or
/// thousands of the few kilobytes Slack's requests usually are.
pub const BODY_BUDGET: usize = 16 * MAX_BODY;
/// How long a body may take to arrive once its head has.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request waits for room in [`BODY_BUDGET`] before it is turned away.
const BUDGET_WAIT: Duration = Duration::from_secs(1);
/// Slack's own bound on a request's age (and slack-morphism's), in seconds.
const MAX_AGE_SECS: i64 = 300;

/// Slack's requests over HTTP: what every one of them shares.
pub struct Endpoint {
    bot: Arc<Bot>,
    verifier: SlackEventSignatureVerifier,
    /// One permit per byte of [`BODY_BUDGET`].
    budget: Semaphore,
}

impl Endpoint {
    pub fn new(bot: Arc<Bot>, secret: &SigningSecret) -> Endpoint {
        Endpoint {
            bot,
            verifier: SlackEventSignatureVerifier::new(&secret.slack()),
            budget: Semaphore::new(BODY_BUDGET),
        }
    }

    /// The answer to one request, timed (`problemfirst_ack_seconds`).
    pub async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let started = std::time::Instant::now();
        let response = self.route(req).await;
        metrics::histogram!("problemfirst_ack_seconds", "transport" => "http")
            .record(started.elapsed().as_secs_f64());
        response
    }

    async fn route(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = req.uri().path().to_string();
        match (req.method(), path.as_str()) {
            (&Method::POST, "/slack/events" | "/slack/commands" | "/slack/interactivity") => {
                let body = match self.read_verified(req).await {
                    Ok(body) => body,
                    Err(response) => return response,
                };
                let bot = &self.bot;
                match path.as_str() {
                    "/slack/events" => events(bot, body).await,
                    "/slack/commands" => command(bot, &body).await,
                    _ => interactivity(bot, &body).await,
                }
            }
            _ => text(StatusCode::NOT_FOUND, "not found"),
        }
    }

    /// The body, once its signature checks out; otherwise the response to send instead.
    async fn read_verified(&self, req: Request<Incoming>) -> Result<String, Response<Full<Bytes>>> {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let signature = header(SlackEventSignatureVerifier::SLACK_SIGNED_HASH_HEADER);
        let timestamp = header(SlackEventSignatureVerifier::SLACK_SIGNED_TIMESTAMP);
        let unauthorised = |why| {
            refuse(
                why,
                StatusCode::UNAUTHORIZED,
                "bad or stale Slack signature",
            )
        };
        let (Some(signature), Some(timestamp)) = (signature, timestamp) else {
            return Err(unauthorised("unsigned"));
        };
        let fresh = timestamp
            .trim()
            .parse::<i64>()
            .is_ok_and(|ts| (jiff::Timestamp::now().as_second() - ts).abs() <= MAX_AGE_SECS);
        if !fresh {
            tracing::info!("refused a request with a stale or malformed timestamp");
            return Err(unauthorised("stale"));
        }
        let too_large = || {
            refuse(
                "too_large",
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large",
            )
        };
        let length = match header(CONTENT_LENGTH.as_str()).map(|l| l.trim().parse::<usize>()) {
            Some(Ok(length)) if length <= MAX_BODY => length,
            Some(Ok(_)) => return Err(too_large()),
            _ => {
                return Err(refuse(
                    "no_length",
                    StatusCode::LENGTH_REQUIRED,
                    "a Content-Length is required",
                ))
            }
        };
        // MAX_BODY fits a u32, so this always holds.
        let Ok(permits) = u32::try_from(length) else {
            return Err(too_large());
        };
        let room = tokio::time::timeout(BUDGET_WAIT, self.budget.acquire_many(permits)).await;
        let Ok(Ok(_room)) = room else {
            let mut busy = refuse("busy", StatusCode::SERVICE_UNAVAILABLE, "busy; try again");
            busy.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            return Err(busy);
        };
        let read = tokio::time::timeout(
            BODY_TIMEOUT,
            Limited::new(req.into_body(), length).collect(),
        )
        .await;
        let bytes = match read {
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(_)) => {
                return Err(refuse(
                    "unreadable",
                    StatusCode::BAD_REQUEST,
                    "request body unreadable",
                ))
            }
            Err(_) => {
                return Err(refuse(
                    "slow",
                    StatusCode::REQUEST_TIMEOUT,
                    "request body too slow",
                ))
            }
        };
        // Checked over the bytes as sent: bytes that are not UTF-8 cannot match a signature made
        // over them, so an unsigned sender hears 401 whatever the body holds.
        let checked = String::from_utf8_lossy(&bytes);
        if let Err(e) = self.verifier.verify(&signature, &checked, &timestamp) {
            tracing::info!(error = %e, "refused a request with a bad or stale signature");
            return Err(unauthorised("bad_signature"));
        }
        match String::from_utf8(bytes.to_vec()) {
            Ok(body) => Ok(body),
            Err(_) => Err(text(StatusCode::BAD_REQUEST, "request body is not UTF-8")),
        }
    }
}

async fn events(bot: &Arc<Bot>, body: String) -> Response<Full<Bytes>> {
    match read_event(&body) {
        Ok(SlackPushEvent::UrlVerification(v)) => text(StatusCode::OK, &v.challenge),
        Ok(SlackPushEvent::EventCallback(cb)) => match bot.event(cb, body).await {
            Ok(()) => empty(),
            Err(e) => {
                tracing::warn!(error = %e, "an event was not acknowledged; Slack will send it again");
                text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not kept yet; send it again",
                )
            }
        },
        Ok(other) => {
            tracing::debug!(event = ?other, "push event ignored");
            empty()
        }
        Err(e) => {
            tracing::info!(error = %e, "unreadable event payload");
            text(StatusCode::BAD_REQUEST, "unreadable event payload")
        }
    }
}

async fn command(bot: &Arc<Bot>, body: &str) -> Response<Full<Bytes>> {
    match read_command(body) {
        Ok(None) => empty(),
        Ok(Some(ev)) => match bot.command(ev).await {
            Some(content) => json(
                &SlackCommandEventResponse::new(content)
                    .with_response_type(SlackMessageResponseType::Ephemeral),
            ),
            None => empty(),
        },
        Err(e) => {
            tracing::info!(error = %e, "unreadable slash command");
            text(StatusCode::BAD_REQUEST, "unreadable slash command")
        }
    }
}

async fn interactivity(bot: &Arc<Bot>, body: &str) -> Response<Full<Bytes>> {
    let Some(read) = read_interaction(body) else {
        return text(StatusCode::BAD_REQUEST, "no payload");
    };
    match read {
        Ok(ev) => match bot.interaction(ev).await {
            SlackInteractionResponse::ViewSubmission(r) => json(&r),
            SlackInteractionResponse::BlockSuggestion(r) => json(&r),
            _ => empty(),
        },
        Err(e) => {
            tracing::info!(error = %e, "unreadable interaction payload");
            text(StatusCode::BAD_REQUEST, "unreadable interaction payload")
        }
    }
}

/// A request refused before it was verified, counted by why (`problemfirst_http_refused_total`).
fn refuse(why: &'static str, status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    metrics::counter!("problemfirst_http_refused_total", "why" => why).increment(1);
    text(status, body)
}

fn empty() -> Response<Full<Bytes>> {
    Response::new(Full::new(Bytes::new()))
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r
}

fn json<T: serde::Serialize>(value: &T) -> Response<Full<Bytes>> {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            let mut r = Response::new(Full::new(Bytes::from(bytes)));
            r.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            r
        }
        Err(_) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not write the answer",
        ),
    }
}
