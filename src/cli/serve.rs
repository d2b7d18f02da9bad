//! `problemfirst serve`: run the bot in Slack. The tokens come from the environment only; when
//! they are missing or malformed, it says exactly what to set, and how to try the bot locally.

use super::{DataArgs, Failure};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
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
    let _tokens = Tokens::from_env(|k| std::env::var(k).ok()).map_err(Failure::Usage)?;
    // The config and store are checked before anything else, so a bad setup fails fast.
    let _app = args.data.open_app()?;
    Err(Failure::Usage(
        "this build of problemfirst has no Slack connection yet; use `problemfirst chat` to play the bot locally"
            .into(),
    ))
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
