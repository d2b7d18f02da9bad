//! `problemfirst healthcheck`: asks a running bot's `/healthz` whether it is up, for container
//! health checks. It is the bot's own binary, so a minimal runtime image needs no HTTP client.
//! Exit 0 when the answer is `200`, 1 when the bot does not answer or answers anything else, 2
//! when the URL can't be used.
//!
//! Without `--url` it finds `/healthz` where `serve` puts it, from the same environment and
//! config file: in Socket Mode (`SLACK_APP_TOKEN` set) on the ops listener
//! (`PROBLEMFIRST_OPS_LISTEN`, else `ops.listen`), otherwise on the Slack listener
//! (`PROBLEMFIRST_LISTEN`, else `http.listen`). Only those two keys are read from the file, so a
//! check stays cheap.

use super::ask::{self, AskError};
use super::{ConfigArg, Failure};
use crate::config::{HttpConfig, OpsConfig};
use std::time::Duration;

/// How long the whole check may take: a health check must not hang.
const TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The health endpoint, plain http (default: the running bot's own /healthz).
    #[arg(long, value_name = "URL", env = "PROBLEMFIRST_HEALTHCHECK_URL")]
    url: Option<String>,
    #[command(flatten)]
    config: ConfigArg,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let url = match args.url {
        Some(url) => url,
        None => default_url(env_var, &config_text(&args.config)),
    };
    let (status, _) = ask::get(&url, TIMEOUT).map_err(|e| match e {
        AskError::BadUrl { .. } => Failure::Usage(e.to_string()),
        e => Failure::Gate(format!("unhealthy: {url} did not answer: {e}")),
    })?;
    if status == 200 {
        println!("ok");
        Ok(())
    } else {
        Err(Failure::Gate(format!("unhealthy: {url} answered {status}")))
    }
}

/// An environment variable that is set to something other than blanks.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The config file's text; an unreadable file leaves serve's defaults (serve itself would not
/// have started with it).
fn config_text(config: &ConfigArg) -> String {
    std::fs::read_to_string(&config.config).unwrap_or_default()
}

/// The `/healthz` that `serve` would open with this environment and config text.
fn default_url(env: impl Fn(&str) -> Option<String>, config: &str) -> String {
    let listen = match ops_listener(&env, config) {
        Some(ops) => ops,
        None => local(
            &env("PROBLEMFIRST_LISTEN")
                .or_else(|| listen_in(config, "http"))
                .unwrap_or_else(|| HttpConfig::default().listen),
        ),
    };
    format!("http://{listen}/healthz")
}

/// Where the ops listener of `serve` is, as an address to connect to: only in Socket Mode
/// (`SLACK_APP_TOKEN` set), where it has a listener of its own.
fn ops_listener(env: impl Fn(&str) -> Option<String>, config: &str) -> Option<String> {
    env("SLACK_APP_TOKEN")?;
    let listen = env("PROBLEMFIRST_OPS_LISTEN")
        .or_else(|| listen_in(config, "ops"))
        .unwrap_or_else(|| OpsConfig::default().listen);
    Some(local(&listen))
}

/// `listen` of a `[section]` of the config text, without compiling the rest of it.
fn listen_in(config: &str, section: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(config).ok()?;
    table
        .get(section)?
        .get("listen")?
        .as_str()
        .map(str::to_string)
}

/// A listen address as an address to connect to: "every interface" becomes loopback.
fn local(listen: &str) -> String {
    match listen.rsplit_once(':') {
        Some(("0.0.0.0" | "", port)) => format!("127.0.0.1:{port}"),
        Some(("[::]", port)) => format!("[::1]:{port}"),
        _ => listen.to_string(),
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
    fn the_default_url_is_where_serve_listens() {
        let config = "data_dir = \"x\"\n[http]\nlisten = \"0.0.0.0:4000\"\n[ops]\nlisten = \"127.0.0.1:9191\"\n";
        // HTTP mode: the Slack listener, from the environment before the file.
        assert_eq!(
            default_url(env(&[]), config),
            "http://127.0.0.1:4000/healthz"
        );
        assert_eq!(
            default_url(env(&[("PROBLEMFIRST_LISTEN", "[::]:5000")]), config),
            "http://[::1]:5000/healthz"
        );
        // Socket Mode: the ops listener.
        let socket = [("SLACK_APP_TOKEN", "xapp-1")];
        assert_eq!(
            default_url(env(&socket), config),
            "http://127.0.0.1:9191/healthz"
        );
        let socket_env = [
            ("SLACK_APP_TOKEN", "xapp-1"),
            ("PROBLEMFIRST_OPS_LISTEN", "0.0.0.0:7000"),
        ];
        assert_eq!(
            default_url(env(&socket_env), config),
            "http://127.0.0.1:7000/healthz"
        );
        // No file, or one that does not parse: serve's defaults.
        assert_eq!(
            default_url(env(&socket), ""),
            "http://127.0.0.1:9090/healthz"
        );
        assert_eq!(
            default_url(env(&[]), "not toml ["),
            "http://127.0.0.1:3000/healthz"
        );
    }
}
