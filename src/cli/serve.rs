//! `problemfirst serve`: run the bot in Slack. The tokens come from the environment only; when
//! they are missing or malformed, it says exactly what to set, and how to try the bot locally.

use super::{DataArgs, Failure};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// Address of the HTTP Events API listener (default: `http.listen` in the config).
    #[arg(long, value_name = "ADDR", env = "PROBLEMFIRST_LISTEN")]
    listen: Option<String>,
    /// Channel ids whose top-level messages are pitches, comma-separated (default:
    /// `slack.idea_channels` in the config).
    #[arg(
        long,
        value_name = "IDS",
        env = "PROBLEMFIRST_IDEA_CHANNELS",
        value_delimiter = ','
    )]
    idea_channels: Option<Vec<String>>,
    /// Address of the ops endpoints in Socket Mode (default: `ops.listen` in the config).
    #[arg(long, value_name = "ADDR", env = "PROBLEMFIRST_OPS_LISTEN")]
    ops_listen: Option<String>,
    /// The Slack Web API base URL (to run against a fake Slack).
    #[arg(long, value_name = "URL", env = "SLACK_API_URL", default_value = crate::slack::client::DEFAULT_API_URL)]
    slack_api_url: String,
}

/// The Slack credentials serve needs, read from the environment.
#[derive(Debug)]
pub struct Tokens {
    pub bot: String,
    /// Socket Mode when present; otherwise the HTTP Events API with the signing secret.
    pub app: Option<String>,
    pub signing_secret: Option<String>,
}

impl Tokens {
    /// Read and check the tokens; the error lists everything to set, in one go.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Tokens, String> {
        let read = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let bot = read("SLACK_BOT_TOKEN");
        let app = read("SLACK_APP_TOKEN");
        let secret = read("SLACK_SIGNING_SECRET");
        let mut problems = Vec::new();
        match &bot {
            None => problems.push(
                "SLACK_BOT_TOKEN is not set: set it to the app's Bot User OAuth Token (xoxb-…)."
                    .to_string(),
            ),
            Some(t) if !t.starts_with("xoxb-") => problems.push(
                "SLACK_BOT_TOKEN does not look like a bot token: it starts with xoxb-.".to_string(),
            ),
            Some(_) => {}
        }
        match (&app, &secret) {
            (Some(t), _) if !t.starts_with("xapp-") => problems.push(
                "SLACK_APP_TOKEN does not look like an app-level token: it starts with xapp- (and needs the connections:write scope).".to_string(),
            ),
            (None, None) => problems.push(
                "Set SLACK_APP_TOKEN (xapp-…, for Socket Mode: no public URL needed) or SLACK_SIGNING_SECRET (for the HTTP Events API)."
                    .to_string(),
            ),
            _ => {}
        }
        if problems.is_empty() {
            if let Some(bot) = bot {
                return Ok(Tokens {
                    bot,
                    app,
                    signing_secret: secret,
                });
            }
        }
        Err(format!(
            "can't connect to Slack yet.\n  - {}\nTo try the bot locally without Slack, run: problemfirst chat",
            problems.join("\n  - ")
        ))
    }
}

pub fn run(args: Args) -> Result<(), Failure> {
    let tokens = Tokens::from_env(|k| std::env::var(k).ok()).map_err(Failure::Usage)?;
    // What the store adds while the bot runs is private, as what it holds already is.
    crate::storage::private::for_new_files();
    // The config and store are checked before anything else, so a bad setup fails fast.
    let app = args.data.open_app()?;
    crate::heap::give_back_free();
    init_logs(app.config.log.format, &tokens);
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
    rt.block_on(serve(app, tokens, args))
}

async fn serve(app: crate::app::App, tokens: Tokens, args: Args) -> Result<(), Failure> {
    use crate::slack::{bot::Bot, client, http, socket};
    use slack_morphism::prelude::*;
    use std::sync::Arc;

    let fail = |what: &str, e: &dyn std::fmt::Display| Failure::Usage(format!("{what}: {e}"));
    let client = client::build(&args.slack_api_url)
        .map_err(|e| fail("can't set up the Slack client", &e))?;
    let idea_channels = args
        .idea_channels
        .clone()
        .map(|c| {
            c.into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_else(|| app.config.slack.idea_channels.clone());
    let listen = args
        .listen
        .clone()
        .unwrap_or_else(|| app.config.http.listen.clone());
    let app_config = Arc::clone(&app.config);
    let bot = Arc::new(Bot {
        app,
        client: Arc::new(client),
        token: SlackApiToken::new(tokens.bot.clone().into()),
        idea_channels,
        work: Default::default(),
    });
    let service = crate::slack::service::Service::start(Arc::clone(&bot));
    // The weekly digest: queued at its scheduled time (or at start-up, when the bot was down
    // then), and delivered by the outbox worker.
    let digest_schedule = tokio::spawn(bot.app.clone().run_digest_schedule());
    let stop = tokio_util::sync::CancellationToken::new();
    let ops = crate::ops::Ops::new(Arc::clone(&bot));
    // Held to the end of `serve`, which removes the socket file however it returns.
    #[cfg(unix)]
    let _admin_socket = match crate::ops::bind_admin(bot.app.store.dir()) {
        Ok((listener, file)) => {
            tracing::info!(socket = %file.path().display(), "admin socket: backups of the running store");
            tokio::spawn(crate::ops::serve_admin(
                listener,
                Arc::clone(&ops),
                stop.clone(),
            ));
            Some(file)
        }
        Err(e) => {
            // The bot works without it; only `problemfirst backup` then needs it stopped.
            tracing::warn!(error = %e, "could not open the admin socket in the data directory");
            None
        }
    };
    let ran = match (&tokens.app, &tokens.signing_secret) {
        (Some(app_token), _) => {
            let listener = socket::start(
                Arc::clone(&bot),
                SlackApiToken::new(app_token.clone().into()),
                SlackClientSocketModeConfig::new(),
            )
            .await
            .map_err(|e| fail("can't connect to Slack in Socket Mode", &e))?;
            tracing::info!("connected to Slack in Socket Mode");
            let ops_listen = args
                .ops_listen
                .clone()
                .unwrap_or_else(|| app_config.ops.listen.clone());
            let tcp = tokio::net::TcpListener::bind(&ops_listen)
                .await
                .map_err(|e| fail(&format!("can't listen on {ops_listen} (ops)"), &e))?;
            tracing::info!(address = %ops_listen, "ops endpoints: /healthz /readyz /metrics");
            tokio::spawn(crate::ops::serve(tcp, Arc::clone(&ops), stop.clone()));
            shutdown_signal().await;
            stop.cancel();
            tracing::info!("stopping: no new work is taken");
            listener.shutdown().await;
            Ok(())
        }
        (None, Some(secret)) => {
            let tcp = tokio::net::TcpListener::bind(&listen)
                .await
                .map_err(|e| fail(&format!("can't listen on {listen}"), &e))?;
            tracing::info!(address = %listen, "listening for the Slack Events API");
            let mut server = tokio::spawn(http::serve(
                tcp,
                Arc::clone(&bot),
                SlackSigningSecret::new(secret.clone()),
                Arc::clone(&ops),
                stop.clone(),
            ));
            tokio::select! {
                r = &mut server => match r {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(fail("the HTTP listener stopped", &e)),
                    Err(e) => Err(fail("the HTTP listener stopped", &e)),
                },
                _ = shutdown_signal() => {
                    tracing::info!("stopping: no new work is taken");
                    stop.cancel();
                    // Requests already being answered finish first: what they acknowledge must
                    // be among the work the stop waits for.
                    if tokio::time::timeout(LISTENER_GRACE, server).await.is_err() {
                        tracing::warn!("requests still open when the listener stopped");
                    }
                    Ok(())
                }
            }
        }
        (None, None) => Err(Failure::Usage(
            "set SLACK_APP_TOKEN or SLACK_SIGNING_SECRET".into(),
        )),
    };
    // What was acknowledged is finished and delivered (or left queued for the next start).
    digest_schedule.abort();
    if service.shutdown(SHUTDOWN_GRACE).await {
        tracing::info!("stopped");
    } else {
        tracing::warn!("stopped with work unfinished; queued messages go out on the next start");
    }
    ran
}

/// Logs go to standard error, as lines for people or JSON objects; RUST_LOG chooses how much
/// (info by default). No line shows a secret, at any level and whoever wrote it: the tokens, the
/// signing secret and anything shaped like a Slack secret are taken out as each line is written
/// (`slack::redact`).
fn init_logs(format: crate::config::LogFormat, tokens: &Tokens) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,slack_morphism=warn"));
    let secrets: Vec<String> = [
        Some(&tokens.bot),
        tokens.app.as_ref(),
        tokens.signing_secret.as_ref(),
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Redacted(std::sync::Arc::from(secrets)));
    let _ = match format {
        crate::config::LogFormat::Human => logs.try_init(),
        crate::config::LogFormat::Json => logs.json().try_init(),
    };
}

/// Standard error, through `slack::redact`. The log formatter writes each line in one call.
#[derive(Clone)]
struct Redacted(std::sync::Arc<[String]>);

impl std::io::Write for Redacted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let clean = crate::slack::redact::redact(&text, &self.0);
        std::io::stderr().write_all(clean.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Redacted {
    type Writer = Redacted;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// How long a stop waits for acknowledged work to finish. Web API calls in flight then get up to
/// their own limit (10 s) to end, so a whole stop takes at most about 20 s: give the container
/// that long (Docker's default is 10 s; `stop_grace_period` in docker-compose.yml).
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(7);
/// How long open requests get to finish once a stop begins (Slack's own limit is 3 s).
const LISTENER_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

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
        let err = Tokens::from_env(env(&[])).unwrap_err();
        assert!(err.contains("SLACK_BOT_TOKEN is not set"), "{err}");
        assert!(err.contains("SLACK_APP_TOKEN"), "{err}");
        assert!(err.contains("problemfirst chat"), "{err}");
    }

    #[test]
    fn malformed_tokens_are_named() {
        let err = Tokens::from_env(env(&[
            ("SLACK_BOT_TOKEN", "xapp-1"),
            ("SLACK_APP_TOKEN", "xoxb-2"),
        ]))
        .unwrap_err();
        assert!(err.contains("starts with xoxb-"), "{err}");
        assert!(err.contains("starts with xapp-"), "{err}");
    }

    #[test]
    fn socket_mode_or_http_tokens_are_enough() {
        let t = Tokens::from_env(env(&[
            ("SLACK_BOT_TOKEN", "xoxb-1"),
            ("SLACK_APP_TOKEN", "xapp-1"),
        ]));
        assert!(t.is_ok_and(|t| t.app.is_some()));
        let t = Tokens::from_env(env(&[
            ("SLACK_BOT_TOKEN", "xoxb-1"),
            ("SLACK_SIGNING_SECRET", "s"),
        ]));
        assert!(t.is_ok_and(|t| t.signing_secret.is_some()));
    }
}
