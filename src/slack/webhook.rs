//! Outbound webhooks: an event about an idea POSTed as JSON to a configured URL, signed the way
//! Slack signs its own requests, so a receiver that checks Slack's signatures checks these the
//! same way: `X-Problemfirst-Signature: v0=<hex HMAC-SHA256(secret, "v0:<ts>:<body>")>` and
//! `X-Problemfirst-Request-Timestamp: <ts>` (seconds since the epoch, at sending). It lives
//! beside the Web API because the outbox delivers both and tells their failures apart the same
//! way: 2xx is delivered; 429 (after its `Retry-After`), 408, 5xx and broken connections are
//! tried again with backoff; any other answer will never work and is kept as a dead letter.

use super::api::Failure;
use crate::config::WebhookConfig;
use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sha2::Sha256;
use std::collections::HashMap;
use std::time::Duration;

pub const SIGNATURE: &str = "x-problemfirst-signature";
pub const TIMESTAMP: &str = "x-problemfirst-request-timestamp";

/// The most of a receiver's answer read, for the log.
const ANSWER_MAX: usize = 512;

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// The configured webhooks' secrets, read from the environment once, and one HTTP client.
pub struct Webhooks {
    client: Result<Client<Https, Full<Bytes>>, String>,
    /// By URL: the secret, or why there is none (its variable is not set).
    secrets: HashMap<String, Result<String, String>>,
}

impl Webhooks {
    /// Reads each webhook's secret from the environment variable it names. A missing one is
    /// logged now, naming the variable, and makes that webhook's events dead letters.
    pub fn new(hooks: &[WebhookConfig]) -> Webhooks {
        let mut secrets = HashMap::new();
        for hook in hooks {
            let secret = match std::env::var(&hook.secret_env) {
                Ok(s) if !s.is_empty() => Ok(s),
                _ => {
                    let why = format!(
                        "the webhook to {} is not sent: set {} to its signing secret",
                        hook.url, hook.secret_env
                    );
                    tracing::error!("{why}");
                    Err(why)
                }
            };
            secrets.insert(hook.url.clone(), secret);
        }
        let client = if hooks.is_empty() {
            Err("no webhooks are configured".to_string())
        } else {
            hyper_rustls::HttpsConnectorBuilder::new()
                .with_native_roots()
                .map(|b| {
                    let https = b.https_or_http().enable_http1().build();
                    Client::builder(TokioExecutor::new()).build(https)
                })
                .map_err(|e| format!("no TLS roots for webhooks: {e}"))
        };
        Webhooks { client, secrets }
    }

    /// POSTs one event to `url`, signed now.
    pub async fn send(&self, url: &str, event: &str, body: &str) -> Result<(), Failure> {
        let secret = match self.secrets.get(url) {
            Some(Ok(secret)) => secret,
            Some(Err(why)) => return Err(final_failure("no_secret", why.clone())),
            None => {
                return Err(final_failure(
                    "not_configured",
                    format!("no webhook to {url} is configured any more"),
                ))
            }
        };
        let client = self
            .client
            .as_ref()
            .map_err(|e| final_failure("no_client", e.clone()))?;
        let ts = jiff::Timestamp::now().as_second();
        let request = hyper::Request::post(url)
            .header("content-type", "application/json")
            .header(
                "user-agent",
                concat!("problemfirst/", env!("CARGO_PKG_VERSION")),
            )
            .header("x-problemfirst-event", event)
            .header(TIMESTAMP, ts.to_string())
            .header(SIGNATURE, sign(secret, ts, body))
            .body(Full::new(Bytes::from(body.to_owned())))
            .map_err(|e| final_failure("bad_request", e.to_string()))?;
        let result = client.request(request).await;
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                count("transport");
                return Err(Failure::Passing {
                    after: None,
                    error: format!("webhook {url}: {e}"),
                });
            }
        };
        let status = response.status();
        let after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if status.is_success() {
            count("delivered");
            return Ok(());
        }
        let answer = match response.into_body().collect().await {
            Ok(b) => {
                let bytes = b.to_bytes();
                String::from_utf8_lossy(&bytes[..bytes.len().min(ANSWER_MAX)]).into_owned()
            }
            Err(_) => String::new(),
        };
        let error = format!("webhook {url} answered {status}: {answer}");
        if status.as_u16() == 429 || status.as_u16() == 408 || status.is_server_error() {
            count("retried");
            Err(Failure::Passing { after, error })
        } else {
            count("refused");
            Err(final_failure(&format!("http_{}", status.as_u16()), error))
        }
    }
}

fn final_failure(code: &str, error: String) -> Failure {
    Failure::Final {
        code: code.to_string(),
        error,
    }
}

fn count(result: &'static str) {
    metrics::counter!("problemfirst_webhook_attempts_total", "result" => result).increment(1);
}

/// `v0=` and the hex HMAC-SHA256 of `v0:<ts>:<body>` under `secret`: Slack's scheme.
pub fn sign(secret: &str, ts: i64, body: &str) -> String {
    // HMAC takes a key of any length, so this never fails.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(3 + digest.len() * 2);
    out.push_str("v0=");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slack's documented example: the same scheme gives the same signature.
    #[test]
    fn signs_as_slack_does() {
        let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        assert_eq!(
            sign("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body),
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        );
    }
}
