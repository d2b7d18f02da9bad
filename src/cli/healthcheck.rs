//! `problemfirst healthcheck`: asks a running bot's `/healthz` whether it is up, for container
//! health checks. It is the bot's own binary, so a minimal runtime image needs no HTTP client.
//! Exit 0 when the answer is `200`, 1 when the bot does not answer or answers anything else, 2
//! when the URL can't be used.
//!
//! Without `--url` it asks the ops listener (`ops.listen`), where `serve` opens `/healthz` in
//! both modes, found from the same settings as `serve`'s (file, environment); only that key is
//! read, so a check stays cheap.

use super::ask::{self, AskError};
use super::{ConfigArg, Failure};
use crate::config::Sources;
use std::time::Duration;

/// How long the whole check may take: a health check must not hang.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Where `serve` opens the ops listener when the settings can't be read (it would not have
/// started with them, either).
const OPS_LISTEN: &str = "127.0.0.1:9090";

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
        None => default_url(args.config.sources(Vec::new()).ok().as_ref()),
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

/// The `/healthz` that `serve` would open with these settings.
fn default_url(sources: Option<&Sources>) -> String {
    let listen = sources
        .and_then(|s| s.text("ops.listen"))
        .unwrap_or_else(|| OPS_LISTEN.into());
    format!("http://{}/healthz", local(&listen))
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

    fn sources(file: &str, env: &[(&str, &str)]) -> Sources {
        Sources {
            file: Some(("s.toml".into(), file.into())),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            flags: Vec::new(),
        }
    }

    #[test]
    fn the_default_url_is_where_serve_opens_the_ops_listener() {
        let file = "[ops]\nlisten = \"0.0.0.0:9191\"\n";
        assert_eq!(
            default_url(Some(&sources(file, &[]))),
            "http://127.0.0.1:9191/healthz"
        );
        // The environment over the file; "every interface" is asked on loopback.
        let env = [("PROBLEMFIRST_OPS__LISTEN", "[::]:7000")];
        assert_eq!(
            default_url(Some(&sources(file, &env))),
            "http://[::1]:7000/healthz"
        );
        // No file, or one that does not parse: serve's default.
        assert_eq!(
            default_url(Some(&Sources::default())),
            "http://127.0.0.1:9090/healthz"
        );
        assert_eq!(
            default_url(Some(&sources("not toml [", &[]))),
            "http://127.0.0.1:9090/healthz"
        );
    }
}
