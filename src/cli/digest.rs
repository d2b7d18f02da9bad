//! `problemfirst digest`: print the weekly digest that is due (as plain text, Block Kit JSON or
//! data), or post it now. Posting goes the way `serve` posts: the week is marked and its notice
//! queued in one transaction, so a week is never posted twice to a channel (`serve` will not post
//! it again either), and the outbox delivers it at once.

use super::{DataArgs, Failure};
use crate::app::{digest_text, App};
use crate::domain::{ChannelId, WeekStart};
use crate::slack::api::BotToken;
use crate::slack::mrkdwn::plain;
use crate::startup::{Application, Settings};
use crate::storage::{MarkState, Queueing};
use jiff::Timestamp;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
enum Format {
    /// The Slack message: Block Kit JSON, as posted.
    Blocks,
    /// Plain text, for a terminal.
    Text,
    /// The digest's figures and lists as JSON.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// The time to take as now (RFC 3339, e.g. 2026-03-09T09:00:00Z): the digest due then is
    /// shown. Default: the clock.
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Post it to the digest channel now (`digest.channel`), unless this week's went out
    /// already. Needs SLACK_BOT_TOKEN.
    #[arg(long)]
    post: bool,
    /// The Slack Web API base URL (to post to a fake Slack).
    #[arg(long, value_name = "URL", env = "SLACK_API_URL", default_value = crate::slack::api::DEFAULT_API_URL)]
    slack_api_url: String,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let now = match &args.now {
        Some(s) => s.trim().parse::<Timestamp>().map_err(|e| {
            Failure::Usage(format!(
                "--now '{s}' is not an RFC 3339 time such as 2026-03-09T09:00:00Z: {e}"
            ))
        })?,
        None => Timestamp::now(),
    };
    if args.post {
        return post(&args, now);
    }
    let query = Query {
        now,
        format: args.format,
    };
    let out = match args.data.target()? {
        super::remote::Target::Local(app) => render(&app, &query)?,
        super::remote::Target::Running { socket } => {
            let text = super::remote::ask(&socket, "digest", &query)?;
            String::from_utf8_lossy(&text).into_owned()
        }
    };
    print!("{out}");
    Ok(())
}

/// Which digest to show, and how: what a running bot is asked for, too.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Query {
    now: Timestamp,
    format: Format,
}

/// The digest due at `query.now`, as `query.format` asks.
pub fn render(app: &App, query: &Query) -> Result<String, Failure> {
    let now = query.now;
    let app = App::with_clock(
        Arc::clone(app.config()),
        app.store().clone(),
        Arc::new(move || now),
    );
    let usage = |e: crate::app::AppError| Failure::Usage(e.to_string());
    let digest = app.digest_due(now).map_err(usage)?;
    Ok(match query.format {
        // Slack's markup is for Slack: the terminal gets plain text.
        Format::Text => plain(&digest_text(&digest)),
        Format::Json => json(&digest)?,
        Format::Blocks => json(&serde_json::json!({
            "text": crate::slack::digest::digest_content(&digest).text,
            "blocks": crate::slack::digest::digest_blocks(&digest),
        }))?,
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| Failure::Usage(format!("could not write the digest as JSON: {e}")))
}

/// Queues this week's digest for the channel and delivers the outbox once, with the bot as
/// `serve` builds it (without a transport).
fn post(args: &Args, now: Timestamp) -> Result<(), Failure> {
    let usage = |e: &dyn std::fmt::Display| Failure::Usage(e.to_string());
    let config = Arc::new(args.data.config.load()?);
    let Some(channel) = config.digest.channel.clone() else {
        return Err(Failure::Usage(
            "no digest channel: set digest.channel in the settings file, or \
             PROBLEMFIRST_DIGEST__CHANNEL"
                .into(),
        ));
    };
    let token = std::env::var("SLACK_BOT_TOKEN")
        .ok()
        .and_then(|t| BotToken::parse(&t).ok());
    let Some(token) = token else {
        // Marked and queued all the same: a running `serve` sends it.
        let app = args.data.open_app()?;
        let app = App::with_clock(config, app.store().clone(), Arc::new(move || now));
        let Some(key) = queue(&app, &channel, now)? else {
            return Ok(());
        };
        return Err(Failure::Usage(format!(
            "the digest for the week of {key} is queued for {channel}, but SLACK_BOT_TOKEN \
             (xoxb-…) is not set, so it was not sent now; a running problemfirst serve sends it"
        )));
    };
    let mut settings = Settings::new(config, token, None);
    if let Some(dir) = &args.data.data {
        settings.data_dir = dir.clone();
    }
    settings.api_url = args.slack_api_url.clone();
    settings.clock = Arc::new(move || now);
    let rt = super::runtime()?;
    rt.block_on(async {
        let application = Application::build(settings).await.map_err(|e| usage(&e))?;
        let app = application.app();
        let Some(key) = queue(app, &channel, now)? else {
            return Ok(());
        };
        // From here the week is marked: should delivery fail now, the outbox keeps the digest and
        // `serve` delivers it, still only once.
        application.deliver_due().await;
        match app
            .store()
            .digest_mark(&channel, key)
            .map_err(|e| usage(&e))?
        {
            Some(mark) if mark.state == MarkState::Posted => {
                println!(
                    "Posted the digest for the week of {key} to {channel} (message {}).",
                    mark.ts.map(String::from).unwrap_or_default()
                );
                Ok(())
            }
            _ => Err(Failure::Usage(format!(
                "the digest for the week of {key} is queued for {channel} but Slack did not take it \
                 yet; a running problemfirst serve keeps trying (see its log, or the dead letters)"
            ))),
        }
    })
}

/// Marks this week's digest for `channel` and queues it, unless it was posted already (then it
/// says so, and gives `None`). A week marked and never posted (its delivery failed for good, say
/// the bot was not in the channel) is queued again; one still waiting in the outbox stays there.
fn queue(app: &App, channel: &ChannelId, now: Timestamp) -> Result<Option<WeekStart>, Failure> {
    let usage = |e: &dyn std::fmt::Display| Failure::Usage(e.to_string());
    let key = app.digest_week_due(now).map_err(|e| usage(&e))?.key();
    match app
        .store()
        .requeue_digest(channel, key, now)
        .map_err(|e| usage(&e))?
    {
        Queueing::Already(mark) if mark.state == MarkState::Posted => {
            let ts = mark.ts.map(String::from).unwrap_or_default();
            println!(
                "The digest for the week of {key} was posted to {channel} already (message {ts}). \
                 Nothing sent again."
            );
            Ok(None)
        }
        Queueing::Queued | Queueing::Already(_) => Ok(Some(key)),
    }
}
