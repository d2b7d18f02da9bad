//! The bottom of `slack/`: Slack's Web API. The client (rustls with the system's roots, HTTPS or
//! plain HTTP so a fake Slack on 127.0.0.1 works, a base URL that `SLACK_API_URL` can override),
//! the bot's credentials, the calls the bot makes, each with its time limit, and what a failed
//! call means ([`Failure`]). Everything above it in `slack/` calls Slack through here.

use crate::domain::{ChannelId, MessageTs};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub const DEFAULT_API_URL: &str = "https://slack.com/api";

/// Every Web API call gives up after this long (and counts as a passing failure).
pub const API_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a trigger id lets a form be opened.
const TRIGGER_WINDOW: Duration = Duration::from_secs(3);

/// Slack error codes worth another try; every other code is final.
const TRANSIENT_CODES: [&str; 6] = [
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
];

/// A secret the bot was given, parsed once: its `Debug` shows only that it is there.
macro_rules! secret {
    ($(#[$doc:meta])* $name:ident, $prefix:expr, $what:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// The value, trimmed; an error names what is wrong with it.
            pub fn parse(value: &str) -> Result<$name, BadSecret> {
                let value = value.trim();
                let prefix: Option<&str> = $prefix;
                match prefix {
                    _ if value.is_empty() => Err(BadSecret::Empty($what)),
                    Some(p) if !value.starts_with(p) => Err(BadSecret::Shape($what, p)),
                    _ => Ok($name(value.to_string())),
                }
            }

            /// The value itself, for the one place that hands it to Slack's client.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}([redacted])", stringify!($name))
            }
        }
    };
}

secret!(
    /// The Bot User OAuth Token (`xoxb-…`), for the Web API.
    BotToken,
    Some("xoxb-"),
    "bot token"
);
secret!(
    /// The app-level token (`xapp-…`), for Socket Mode.
    AppToken,
    Some("xapp-"),
    "app-level token"
);
secret!(
    /// The signing secret, which Slack's HTTP requests are checked against.
    SigningSecret,
    None,
    "signing secret"
);

/// Why a token or secret can't be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadSecret {
    #[error("the {0} is empty")]
    Empty(&'static str),
    #[error("the {0} does not look right: it starts with {1}")]
    Shape(&'static str, &'static str),
}

impl AppToken {
    pub(super) fn slack(&self) -> SlackApiToken {
        SlackApiToken::new(self.0.clone().into())
    }
}

impl SigningSecret {
    pub(super) fn slack(&self) -> SlackSigningSecret {
        SlackSigningSecret::new(self.0.clone())
    }
}

/// Builds the Web API client for `api_url` (no trailing slash needed).
pub fn client(api_url: &str) -> std::io::Result<SlackHyperClient> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()?
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    // No client-side rate control: slack-morphism's throttles are global (every response_url
    // post would queue behind one limit of about one a second). Slack's own 429s are what count.
    let connector = SlackClientHyperConnector::with_connector(https)
        .with_slack_api_url(api_url.trim_end_matches('/'));
    Ok(SlackClient::new(connector))
}

/// Why a call failed.
#[derive(Debug)]
pub enum Failure {
    /// Try again: after `after` if Slack said so, else after a backoff.
    Passing {
        after: Option<Duration>,
        error: String,
    },
    /// It will never work.
    Final { code: String, error: String },
}

impl Failure {
    /// A failure that is the bot's own (nothing to render, say), not Slack's: never retried.
    pub fn unrenderable(error: impl fmt::Display) -> Failure {
        Failure::Final {
            code: "unrenderable".into(),
            error: error.to_string(),
        }
    }

    fn timed_out(what: &str) -> Failure {
        Failure::Passing {
            after: None,
            error: format!("{what} timed out"),
        }
    }

    /// Slack's error code, for a final failure.
    pub fn code(&self) -> Option<&str> {
        match self {
            Failure::Final { code, .. } => Some(code),
            Failure::Passing { .. } => None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Passing { error, .. } | Failure::Final { error, .. } => f.write_str(error),
        }
    }
}

/// What a Slack client error means for the call, counted by code
/// (`problemfirst_slack_api_errors_total`).
pub fn failure(e: SlackClientError) -> Failure {
    let error = e.to_string();
    let code = match &e {
        SlackClientError::RateLimitError(r) => {
            metrics::counter!("problemfirst_slack_api_errors_total", "code" => "ratelimited")
                .increment(1);
            return Failure::Passing {
                after: Some(r.retry_after.unwrap_or(Duration::from_secs(1))),
                error,
            };
        }
        SlackClientError::ApiError(a) => a.code.clone(),
        SlackClientError::HttpError(h) => format!("http_{}", h.status_code.as_u16()),
        _ => "transport".to_string(),
    };
    metrics::counter!("problemfirst_slack_api_errors_total", "code" => code.clone()).increment(1);
    let passing = match &e {
        SlackClientError::ApiError(a) => TRANSIENT_CODES.contains(&a.code.as_str()),
        SlackClientError::HttpError(h) => {
            h.status_code.is_server_error() || h.status_code.as_u16() == 408
        }
        _ => true,
    };
    if passing {
        Failure::Passing { after: None, error }
    } else {
        Failure::Final { code, error }
    }
}

/// Where a posted message landed: its channel and timestamp.
pub type Landed = (ChannelId, MessageTs);

/// The Web API with the bot's token; clones share one client.
#[derive(Clone)]
pub struct Api {
    client: Arc<SlackHyperClient>,
    token: SlackApiToken,
}

impl Api {
    pub fn new(api_url: &str, token: &BotToken) -> std::io::Result<Api> {
        Ok(Api {
            client: Arc::new(client(api_url)?),
            token: SlackApiToken::new(token.0.clone().into()),
        })
    }

    /// The client, for Socket Mode, which opens its own sessions.
    pub(super) fn client(&self) -> &Arc<SlackHyperClient> {
        &self.client
    }

    fn session(&self) -> SlackClientSession<'_, SlackClientHyperHttpsConnector> {
        self.client.open_session(&self.token)
    }

    /// Opens a form. The trigger id is only good for about 3 seconds, so the call is given no
    /// longer than that.
    pub async fn open_view(&self, trigger: SlackTriggerId, view: SlackView) -> Result<(), Failure> {
        let req = SlackApiViewsOpenRequest::new(trigger, view);
        match tokio::time::timeout(TRIGGER_WINDOW, self.session().views_open(&req)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(failure(e)),
            Err(_) => Err(Failure::timed_out("views.open")),
        }
    }

    /// Opens a form on top of the one a button was clicked in (an idea's Details over Search).
    pub async fn push_view(&self, trigger: SlackTriggerId, view: SlackView) -> Result<(), Failure> {
        let req = SlackApiViewsPushRequest::new(trigger, view);
        match tokio::time::timeout(TRIGGER_WINDOW, self.session().views_push(&req)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(failure(e)),
            Err(_) => Err(Failure::timed_out("views.push")),
        }
    }

    /// Publishes `user`'s App Home. Bounded here: paging calls come straight from a button,
    /// outside the outbox's own time limit.
    pub async fn publish_home(&self, user: &str, view: SlackView) -> Result<(), Failure> {
        let req = SlackApiViewsPublishRequest::new(user.to_string().into(), view);
        match tokio::time::timeout(API_TIMEOUT, self.session().views_publish(&req)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(failure(e)),
            Err(_) => Err(Failure::timed_out("views.publish")),
        }
    }

    /// Posts a message (in the thread of `thread` when given); where it landed, as Slack says.
    pub async fn post(
        &self,
        channel: &str,
        content: SlackMessageContent,
        thread: Option<&str>,
    ) -> Result<Option<Landed>, Failure> {
        let mut req = SlackApiChatPostMessageRequest::new(channel.to_string().into(), content);
        if let Some(ts) = thread {
            req = req.with_thread_ts(ts.to_string().into());
        }
        let r = self
            .session()
            .chat_post_message(&req)
            .await
            .map_err(failure)?;
        Ok(super::payload::channel(&r.channel).zip(super::payload::ts(&r.ts)))
    }

    /// Posts a message only `user` sees, in `channel` (in the thread of `thread` when given).
    pub async fn post_privately(
        &self,
        channel: &str,
        user: &str,
        content: SlackMessageContent,
        thread: Option<&str>,
    ) -> Result<(), Failure> {
        let mut req = SlackApiChatPostEphemeralRequest::new(
            channel.to_string().into(),
            user.to_string().into(),
            content,
        );
        if let Some(ts) = thread {
            req = req.with_thread_ts(ts.to_string().into());
        }
        self.session()
            .chat_post_ephemeral(&req)
            .await
            .map_err(failure)?;
        Ok(())
    }

    /// Replaces the message `ts` in `channel`.
    pub async fn update(
        &self,
        channel: &str,
        ts: &str,
        content: SlackMessageContent,
    ) -> Result<(), Failure> {
        let req = SlackApiChatUpdateRequest::new(
            channel.to_string().into(),
            content,
            ts.to_string().into(),
        );
        self.session().chat_update(&req).await.map_err(failure)?;
        Ok(())
    }

    /// Answers through a request's reply address (`response_url`); `replace` swaps the message
    /// the request came from.
    pub async fn respond(
        &self,
        url: &str,
        content: SlackMessageContent,
        replace: bool,
    ) -> Result<(), Failure> {
        let url = url::Url::parse(url).map_err(|e| Failure::Final {
            code: "bad_reply_url".into(),
            error: e.to_string(),
        })?;
        let req = SlackApiPostWebhookMessageRequest::new(content).with_replace_original(replace);
        self.client
            .respond_to_event(&SlackResponseUrl(url), &req)
            .await
            .map_err(failure)?;
        Ok(())
    }

    /// A message's link, if Slack gives it within `wait`.
    pub async fn permalink(&self, channel: &str, ts: &str, wait: Duration) -> Option<String> {
        let req =
            SlackApiChatGetPermalinkRequest::new(channel.to_string().into(), ts.to_string().into());
        tokio::time::timeout(wait, self.session().chat_get_permalink(&req))
            .await
            .ok()
            .and_then(Result::ok)
            .map(|p| p.permalink.to_string())
    }

    /// The members of a user group, if Slack gives them within `wait`.
    pub async fn group_members(
        &self,
        group: &str,
        wait: Duration,
    ) -> Result<HashSet<String>, Failure> {
        let req = SlackApiUserGroupsUsersListRequest::new(group.to_string().into());
        match tokio::time::timeout(wait, self.session().usergroups_users_list(&req)).await {
            Ok(Ok(resp)) => Ok(resp.users.iter().map(|u| u.to_string()).collect()),
            Ok(Err(e)) => Err(failure(e)),
            Err(_) => Err(Failure::timed_out("usergroups.users.list")),
        }
    }

    /// Whether Slack is reachable and takes the bot token (`auth.test`).
    pub async fn check(&self) -> Result<(), String> {
        match tokio::time::timeout(API_TIMEOUT, self.session().auth_test()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("auth.test timed out".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slack_morphism::errors::SlackClientApiError;

    #[test]
    fn api_codes_split_into_passing_and_final() {
        let api =
            |code: &str| SlackClientError::ApiError(SlackClientApiError::new(code.to_string()));
        assert!(matches!(
            failure(api("internal_error")),
            Failure::Passing { .. }
        ));
        assert!(matches!(
            failure(api("channel_not_found")),
            Failure::Final { .. }
        ));
        assert_eq!(
            failure(api("invalid_blocks")).code(),
            Some("invalid_blocks")
        );
    }

    #[test]
    fn secrets_are_parsed_once_and_never_shown() {
        assert_eq!(BotToken::parse(" "), Err(BadSecret::Empty("bot token")));
        assert!(BotToken::parse("xapp-1").is_err());
        assert!(AppToken::parse("xoxb-1").is_err());
        let token = BotToken::parse(" xoxb-123 ").expect("a bot token");
        assert_eq!(token.expose(), "xoxb-123");
        assert_eq!(format!("{token:?}"), "BotToken([redacted])");
        let secret = SigningSecret::parse("s3cret").expect("a secret");
        assert!(!format!("{secret:?}").contains("s3cret"));
    }
}
