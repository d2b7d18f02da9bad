//! The Socket Mode transport: no public URL, Slack pushes envelopes over a WebSocket that
//! slack-morphism keeps open (and reopens after a `disconnect`). The same [`Bot`] handlers as the
//! HTTP transport answer them; the bot travels in the listener's user state, since callbacks are
//! plain function pointers.

use super::bot::Bot;
use slack_morphism::prelude::*;
use std::sync::Arc;

/// Start listening with the app-level token; returns the running listener (drop or `shutdown`
/// to stop).
pub async fn start(
    bot: Arc<Bot>,
    app_token: SlackApiToken,
    config: SlackClientSocketModeConfig,
) -> Result<
    SlackClientSocketModeListener<SlackClientHyperHttpsConnector>,
    slack_morphism::errors::SlackClientError,
> {
    let env = Arc::new(
        SlackClientEventsListenerEnvironment::new(Arc::clone(&bot.client))
            .with_error_handler(on_error)
            .with_user_state(bot),
    );
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_push_events(on_push)
        .with_command_events(on_command)
        .with_interaction_events(on_interaction);
    let listener = SlackClientSocketModeListener::new(&config, env, callbacks);
    listener.listen_for(&app_token).await?;
    listener.start().await;
    Ok(listener)
}

async fn bot_of(states: &SlackClientEventsUserState) -> Option<Arc<Bot>> {
    states.read().await.get_user_state::<Arc<Bot>>().cloned()
}

async fn on_push(
    ev: SlackPushEventCallback,
    _client: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    if let Some(bot) = bot_of(&states).await {
        bot.event(ev).await;
    }
    Ok(())
}

async fn on_command(
    ev: SlackCommandEvent,
    _client: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let content = match bot_of(&states).await {
        Some(bot) => bot.command(ev).await,
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
        Some(bot) => bot.interaction(ev).await,
        None => SlackInteractionResponse::Empty,
    })
}

/// Errors are logged and acknowledged: a non-2xx here would leave the envelope unacknowledged and
/// make Slack deliver it again, which cannot fix a payload we could not read.
fn on_error(
    err: Box<dyn std::error::Error + Send + Sync>,
    _client: Arc<SlackHyperClient>,
    _states: SlackClientEventsUserState,
) -> hyper::StatusCode {
    tracing::warn!(error = %err, "Slack delivery could not be handled");
    hyper::StatusCode::OK
}
