//! The Socket Mode transport: no public URL, Slack pushes envelopes over a WebSocket that
//! slack-morphism keeps open (and reopens after a `disconnect`). The same [`Bot`] handlers as the
//! HTTP transport answer them; the bot travels in the listener's user state, since callbacks are
//! plain function pointers.

use super::api::AppToken;
use super::bot::Bot;
use super::event::NotKept;
use super::payload::{self, Envelope};
use slack_morphism::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How the listener keeps its WebSockets: Slack's defaults in production; tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct Connections {
    /// WebSockets kept open at once (Slack sends each envelope to one of them).
    pub count: u32,
    /// The pause before each further connection is opened at start.
    pub backoff: Duration,
    /// The pause before a lost connection is opened again.
    pub reconnect: Duration,
    /// How often each connection is pinged.
    pub ping: Duration,
}

impl Default for Connections {
    fn default() -> Self {
        Connections {
            count: 2,
            backoff: Duration::from_secs(5),
            reconnect: Duration::from_secs(30),
            ping: Duration::from_secs(15),
        }
    }
}

/// A running Socket Mode listener; [`Listener::shutdown`] closes its connections.
pub struct Listener(SlackClientSocketModeListener<SlackClientHyperHttpsConnector>);

impl Listener {
    pub async fn shutdown(self) {
        self.0.shutdown().await;
    }
}

/// What the callbacks read from the listener's user state (they are plain function pointers).
struct State {
    bot: Arc<Bot>,
    /// WebSockets the listener keeps open; each opens with a `hello`, so hellos beyond this many
    /// are reconnects.
    connections: u64,
    hellos: AtomicU64,
}

/// Starts listening with the app-level token.
pub async fn start(
    bot: Arc<Bot>,
    token: &AppToken,
    connections: Connections,
) -> Result<Listener, slack_morphism::errors::SlackClientError> {
    let secs = |d: Duration| d.as_secs().clamp(1, u64::from(u32::MAX));
    let config = SlackClientSocketModeConfig::new()
        .with_max_connections_count(connections.count)
        .with_initial_backoff_in_seconds(secs(connections.backoff))
        .with_reconnect_timeout_in_seconds(secs(connections.reconnect))
        .with_ping_interval_in_seconds(secs(connections.ping));
    let env = Arc::new(
        SlackClientEventsListenerEnvironment::new(Arc::clone(bot.api.client()))
            .with_error_handler(on_error)
            .with_user_state(Arc::new(State {
                bot,
                connections: u64::from(connections.count),
                hellos: AtomicU64::new(0),
            })),
    );
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_push_events(on_push)
        .with_command_events(on_command)
        .with_interaction_events(on_interaction)
        .with_hello_events(on_hello);
    let listener = SlackClientSocketModeListener::new(&config, env, callbacks);
    listener.listen_for(&token.slack()).await?;
    listener.start().await;
    Ok(Listener(listener))
}

// Generic in the event: slack-morphism does not export the hello event's type by name.
async fn on_hello<E>(_ev: E, _client: Arc<SlackHyperClient>, states: SlackClientEventsUserState) {
    let Some(state) = state_of(&states).await else {
        return;
    };
    let seen = state.hellos.fetch_add(1, Ordering::Relaxed) + 1;
    if seen > state.connections {
        metrics::counter!("problemfirst_socket_mode_reconnects_total").increment(1);
        tracing::info!("Socket Mode reconnected");
    }
}

/// Runs a handler and records how long the acknowledgement took.
async fn timed<T>(kind: &'static str, work: impl std::future::Future<Output = T>) -> T {
    let started = std::time::Instant::now();
    let out = work.await;
    metrics::histogram!("problemfirst_ack_seconds", "transport" => "socket", "kind" => kind)
        .record(started.elapsed().as_secs_f64());
    out
}

async fn state_of(states: &SlackClientEventsUserState) -> Option<Arc<State>> {
    states.read().await.get_user_state::<Arc<State>>().cloned()
}

async fn bot_of(states: &SlackClientEventsUserState) -> Option<Arc<Bot>> {
    state_of(states).await.map(|s| Arc::clone(&s.bot))
}

async fn on_push(
    ev: SlackPushEventCallback,
    _client: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let Some(bot) = bot_of(&states).await else {
        return Ok(());
    };
    // Kept as an Events API body, so one reader reads both transports' events back.
    let body = payload::event_body(&ev)?;
    // Not kept: no acknowledgement (see `on_error`), and Slack sends the envelope again.
    timed("event", bot.event(ev, body)).await?;
    Ok(())
}

async fn on_command(
    ev: SlackCommandEvent,
    _client: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let content = match bot_of(&states).await {
        Some(bot) => timed("command", bot.command(ev)).await,
        None => None,
    };
    // Socket Mode always acknowledges with a payload; an empty one shows nothing.
    Ok(
        SlackCommandEventResponse::new(content.unwrap_or_else(SlackMessageContent::new))
            .with_response_type(SlackMessageResponseType::Ephemeral),
    )
}

async fn on_interaction(
    ev: SlackInteractionEvent,
    _client: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackInteractionResponse> {
    Ok(match bot_of(&states).await {
        Some(bot) => timed("interaction", bot.interaction(ev)).await,
        None => SlackInteractionResponse::Empty,
    })
}

/// Errors are logged and acknowledged: a non-2xx here leaves the envelope unacknowledged and makes
/// Slack deliver it again, which cannot fix a payload that does not read. Two exceptions:
///
/// - an event the store did not keep in time is not acknowledged, so that Slack sends it again;
/// - an envelope slack-morphism could not read (a field the bot does not use, shaped otherwise,
///   as in org-wide installs) is read again after tidying (`payload`) and handled here: an event
///   is kept in the inbox before the acknowledgement, as any other.
fn on_error(
    err: Box<dyn std::error::Error + Send + Sync>,
    _client: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> hyper::StatusCode {
    if err.downcast_ref::<NotKept>().is_some() {
        tracing::warn!(error = %err, "an event was not acknowledged; Slack will send it again");
        return hyper::StatusCode::SERVICE_UNAVAILABLE;
    }
    use slack_morphism::errors::{SlackClientError, SlackClientProtocolError};
    let unread = match (
        err.downcast_ref::<SlackClientProtocolError>(),
        err.downcast_ref::<SlackClientError>(),
    ) {
        (Some(p), _) | (_, Some(SlackClientError::ProtocolError(p))) => p.json_body.clone(),
        _ => None,
    };
    // The bot in the user state: nothing writes it after start, so it is never locked.
    let bot = states
        .try_read()
        .ok()
        .and_then(|s| s.get_user_state::<Arc<State>>().map(|s| Arc::clone(&s.bot)));
    if let (Some(frame), Some(bot)) = (unread, bot) {
        return recover(&bot, &frame);
    }
    tracing::warn!(error = %err, "Slack delivery could not be handled");
    hyper::StatusCode::OK
}

/// Handles an envelope slack-morphism could not read; the status decides whether it is
/// acknowledged. Runs in slack-morphism's synchronous error handler, so an event is kept with a
/// flush on this thread.
fn recover(bot: &Arc<Bot>, frame: &str) -> hyper::StatusCode {
    let envelope = match payload::read_envelope(frame) {
        Ok(envelope) => envelope,
        Err(e) => {
            tracing::warn!(error = %e, "unreadable Socket Mode envelope");
            return hyper::StatusCode::OK;
        }
    };
    match envelope {
        Envelope::Event(cb) => match bot.keep_now(cb) {
            Ok(()) => hyper::StatusCode::OK,
            Err(e) => {
                tracing::warn!(error = %e, "an event was not acknowledged; Slack will send it again");
                hyper::StatusCode::SERVICE_UNAVAILABLE
            }
        },
        // The acknowledgement can carry nothing from here: the answer goes to the reply address.
        Envelope::Command(ev) => {
            let bot2 = Arc::clone(bot);
            bot.work.spawn(async move {
                let reply_to = ev.response_url.0.to_string();
                if let Some(content) = bot2.command(ev).await {
                    if let Err(e) = bot2.api.respond(&reply_to, content, false).await {
                        tracing::warn!(error = %e, "could not answer a slash command");
                    }
                }
            });
            hyper::StatusCode::OK
        }
        Envelope::Interaction(ev) => {
            let bot2 = Arc::clone(bot);
            bot.work.spawn(async move {
                bot2.interaction(ev).await;
            });
            hyper::StatusCode::OK
        }
        Envelope::Other => hyper::StatusCode::OK,
    }
}
