//! The HTTP Events API transport: one hyper server for `/slack/events`, `/slack/commands`,
//! `/slack/interactivity` and the ops endpoints (`crate::ops`). Every Slack request is checked against the signing
//! secret first; a bad, missing or stale (over 5 minutes) signature gets 401 and changes nothing.
//! An event is acknowledged once it is kept in the inbox (`Bot::event`); when the store cannot
//! keep it in time, the answer is 503 and Slack sends it again.

use super::bot::Bot;
use crate::ops::Ops;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use slack_morphism::prelude::*;
use slack_morphism::signature_verifier::SlackEventSignatureVerifier;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use super::payload::{read_command, read_event, read_interaction};

/// Slack's payloads are small; anything bigger is refused before it is read whole.
const MAX_BODY: usize = 1 << 20;

/// Serves until `stop` is cancelled (or the listener fails): then takes no new connection,
/// lets each open one finish the request it is on, and returns.
pub async fn serve(
    listener: TcpListener,
    bot: Arc<Bot>,
    secret: SlackSigningSecret,
    ops: Arc<Ops>,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let verifier = Arc::new(SlackEventSignatureVerifier::new(&secret));
    let connections = TaskTracker::new();
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = stop.cancelled() => break,
        };
        let bot = Arc::clone(&bot);
        let verifier = Arc::clone(&verifier);
        let ops = Arc::clone(&ops);
        let stop = stop.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let bot = Arc::clone(&bot);
                let verifier = Arc::clone(&verifier);
                let ops = Arc::clone(&ops);
                async move {
                    if let Some(answer) = ops.answer(&req).await {
                        return Ok::<_, Infallible>(answer);
                    }
                    let started = std::time::Instant::now();
                    let response = route(req, &bot, &verifier).await;
                    metrics::histogram!("problemfirst_ack_seconds", "transport" => "http")
                        .record(started.elapsed().as_secs_f64());
                    Ok(response)
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service);
            tokio::pin!(conn);
            let result = tokio::select! {
                r = conn.as_mut() => r,
                _ = stop.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
    connections.close();
    connections.wait().await;
    Ok(())
}

async fn route(
    req: Request<Incoming>,
    bot: &Arc<Bot>,
    verifier: &SlackEventSignatureVerifier,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    match (req.method(), path.as_str()) {
        (&Method::POST, "/slack/events" | "/slack/commands" | "/slack/interactivity") => {
            let body = match read_verified(req, verifier).await {
                Ok(body) => body,
                Err(response) => return response,
            };
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
async fn read_verified(
    req: Request<Incoming>,
    verifier: &SlackEventSignatureVerifier,
) -> Result<String, Response<Full<Bytes>>> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let signature = header(SlackEventSignatureVerifier::SLACK_SIGNED_HASH_HEADER);
    let timestamp = header(SlackEventSignatureVerifier::SLACK_SIGNED_TIMESTAMP);
    let bytes = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Err(text(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large",
            ))
        }
    };
    let Ok(body) = String::from_utf8(bytes.to_vec()) else {
        return Err(text(StatusCode::BAD_REQUEST, "request body is not UTF-8"));
    };
    let (Some(signature), Some(timestamp)) = (signature, timestamp) else {
        return Err(text(StatusCode::UNAUTHORIZED, "missing Slack signature"));
    };
    if let Err(e) = verifier.verify(&signature, &body, &timestamp) {
        tracing::info!(error = %e, "refused a request with a bad or stale signature");
        return Err(text(
            StatusCode::UNAUTHORIZED,
            "bad or stale Slack signature",
        ));
    }
    Ok(body)
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
            _ => empty(),
        },
        Err(e) => {
            tracing::info!(error = %e, "unreadable interaction payload");
            text(StatusCode::BAD_REQUEST, "unreadable interaction payload")
        }
    }
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
                hyper::header::HeaderValue::from_static("application/json; charset=utf-8"),
            );
            r
        }
        Err(_) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not write the answer",
        ),
    }
}
