//! `problemfirst serve`: run the bot in Slack. The tokens come from the environment only; when
//! they are missing or malformed, it says exactly what to set, and how to try the bot locally.

use super::{DataArgs, Failure};
use crate::config::Flag;
use crate::slack::api::{AppToken, BotToken, SigningSecret};
use crate::startup::{Application, Mode, Settings};
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// Address of the HTTP Events API listener (`http.listen`).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Channel ids whose top-level messages are pitches, comma-separated
    /// (`slack.idea_channels`).
    #[arg(long, value_name = "IDS")]
    idea_channels: Option<String>,
    /// Address of the ops endpoints, /healthz /readyz /metrics (`ops.listen`).
    #[arg(long, value_name = "ADDR")]
    ops_listen: Option<String>,
    /// The Slack Web API base URL (to run against a fake Slack).
    #[arg(long, value_name = "URL", env = "SLACK_API_URL", default_value = crate::slack::api::DEFAULT_API_URL)]
    slack_api_url: String,
}

/// The Slack credentials serve needs, read from the environment.
#[derive(Debug)]
pub struct Credentials {
    pub bot: BotToken,
    /// Socket Mode with the app-level token when there is one; otherwise the HTTP Events API
    /// with the signing secret.
    pub mode: Mode,
}

impl Credentials {
    /// Read and check the tokens; the error lists everything to set, in one go.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Credentials, String> {
        let read = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let bot = read("SLACK_BOT_TOKEN");
        let app = read("SLACK_APP_TOKEN");
        let secret = read("SLACK_SIGNING_SECRET");
        let mut problems = Vec::new();
        let bot = match bot.as_deref().map(BotToken::parse) {
            None => {
                problems.push(
                    "SLACK_BOT_TOKEN is not set: set it to the app's Bot User OAuth Token (xoxb-…)."
                        .to_string(),
                );
                None
            }
            Some(Err(_)) => {
                problems.push(
                    "SLACK_BOT_TOKEN does not look like a bot token: it starts with xoxb-."
                        .to_string(),
                );
                None
            }
            Some(Ok(token)) => Some(token),
        };
        let mode = match (app.as_deref().map(AppToken::parse), secret) {
            (Some(Ok(token)), _) => Some(Mode::Socket(token)),
            (Some(Err(_)), _) => {
                problems.push(
                    "SLACK_APP_TOKEN does not look like an app-level token: it starts with xapp- (and needs the connections:write scope).".to_string(),
                );
                None
            }
            (None, Some(secret)) => SigningSecret::parse(&secret).ok().map(Mode::Http),
            (None, None) => {
                problems.push(
                    "Set SLACK_APP_TOKEN (xapp-…, for Socket Mode: no public URL needed) or SLACK_SIGNING_SECRET (for the HTTP Events API)."
                        .to_string(),
                );
                None
            }
        };
        match (bot, mode) {
            (Some(bot), Some(mode)) if problems.is_empty() => Ok(Credentials { bot, mode }),
            _ => Err(format!(
                "can't connect to Slack yet.\n  - {}\nTo try the bot locally without Slack, run: problemfirst chat",
                problems.join("\n  - ")
            )),
        }
    }
}

pub fn run(args: Args) -> Result<(), Failure> {
    let credentials = Credentials::from_env(|k| std::env::var(k).ok()).map_err(Failure::Usage)?;
    // What the store adds while the bot runs is private, as what it holds already is.
    crate::storage::private::for_new_files();
    // The config is checked before anything else, so a bad setup fails fast.
    let flags = [
        ("--listen", "http.listen", args.listen),
        ("--ops-listen", "ops.listen", args.ops_listen),
        ("--idea-channels", "slack.idea_channels", args.idea_channels),
    ]
    .into_iter()
    .filter_map(|(flag, key, value)| value.map(|v| Flag::new(flag, key, v)))
    .collect();
    let config = args.data.config.load_with(args.data.flags(flags))?;
    let mut settings = Settings::new(Arc::new(config), credentials.bot, Some(credentials.mode));
    settings.api_url = args.slack_api_url;
    // export, import and digest, run on this bot's store for the command line.
    settings.remote = Some(Box::new(super::admin::commands));
    // Connections are capped below the open-file limit (src/listener.rs): as high as the
    // system lets this process go.
    match crate::listener::raise_open_file_limit() {
        Some(files) => tracing::debug!(files, "open-file limit"),
        None => tracing::debug!("no open-file limit to raise"),
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Usage(format!("can't start: {e}")))?;
    rt.block_on(async {
        let application = Application::build(settings)
            .await
            .map_err(|e| Failure::Usage(e.to_string()))?;
        // Start-up's garbage (the config's sources, the rules' compilation) goes back.
        crate::heap::give_back_free();
        let stop = application.stop_token();
        tokio::spawn(async move {
            shutdown_signal().await;
            stop.cancel();
        });
        match application.run_until_stopped().await {
            Ok(true) => {
                tracing::info!("stopped");
                Ok(())
            }
            Ok(false) => {
                tracing::warn!(
                    "stopped with work unfinished; queued messages go out on the next start"
                );
                Ok(())
            }
            Err(e) => Err(Failure::Usage(e.to_string())),
        }
    })
}

/// SIGINT (Ctrl-C) or SIGTERM (a container runtime stopping the bot).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn missing_tokens_name_what_to_set_and_point_at_chat() {
        let err = Credentials::from_env(env(&[])).unwrap_err();
        assert!(err.contains("SLACK_BOT_TOKEN is not set"), "{err}");
        assert!(err.contains("SLACK_APP_TOKEN"), "{err}");
        assert!(err.contains("problemfirst chat"), "{err}");
    }

    #[test]
    fn malformed_tokens_are_named() {
        let err = Credentials::from_env(env(&[
            ("SLACK_BOT_TOKEN", "xapp-1"),
            ("SLACK_APP_TOKEN", "xoxb-2"),
        ]))
        .unwrap_err();
        assert!(err.contains("starts with xoxb-"), "{err}");
        assert!(err.contains("starts with xapp-"), "{err}");
    }

    #[test]
    fn socket_mode_or_http_tokens_are_enough() {
        let t = Credentials::from_env(env(&[
            ("SLACK_BOT_TOKEN", "xoxb-1"),
            ("SLACK_APP_TOKEN", "xapp-1"),
        ]));
        assert!(t.is_ok_and(|t| matches!(t.mode, Mode::Socket(_))));
        let t = Credentials::from_env(env(&[
            ("SLACK_BOT_TOKEN", "xoxb-1"),
            ("SLACK_SIGNING_SECRET", "s"),
        ]));
        assert!(t.is_ok_and(|t| matches!(t.mode, Mode::Http(_))));
    }
}
