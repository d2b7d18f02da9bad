//! Logs, set up once for every command: to standard error, as lines for people or one JSON
//! object per line ([`LogFormat`], from the config once it is read), at the level `RUST_LOG`
//! asks for. No line shows a secret, at any level and whoever wrote it: the Slack credentials in
//! the environment and anything shaped like a Slack secret are taken out as each line is written
//! (`slack::redact`).

use crate::config::LogFormat;
use std::sync::{Arc, OnceLock};
use tracing_subscriber::layer::{Layered, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Layer, Registry};

/// The environment variables whose values are never logged.
const SECRETS: [&str; 3] = ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"];

/// The logger: the level filter, then the writer, which [`set_format`] swaps.
type Filtered = Layered<EnvFilter, Registry>;
type Boxed = Box<dyn Layer<Filtered> + Send + Sync>;

/// What [`set_format`] needs: the writer's handle and how it was made.
struct Installed {
    handle: reload::Handle<Boxed, Filtered>,
    secrets: Arc<[String]>,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

/// Installs the logger, in human lines, at `RUST_LOG`'s level or else `level` (`"info"`,
/// `"warn,slack_morphism=error"`…). Once per process; later calls change nothing.
pub fn init(level: &str) {
    let secrets: Arc<[String]> = SECRETS
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let (layer, handle) = reload::Layer::new(layer(LogFormat::Human, &secrets));
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(layer)
        .try_init();
    if installed.is_ok() {
        let _ = INSTALLED.set(Installed { handle, secrets });
    }
}

/// Writes from now on in `format` (the config's `log.format`).
pub fn set_format(format: LogFormat) {
    if let Some(i) = INSTALLED.get() {
        let _ = i.handle.reload(layer(format, &i.secrets));
    }
}

fn layer(format: LogFormat, secrets: &Arc<[String]>) -> Boxed {
    let lines = tracing_subscriber::fmt::layer().with_writer(Redacted(Arc::clone(secrets)));
    match format {
        LogFormat::Human => lines.boxed(),
        LogFormat::Json => lines.json().boxed(),
    }
}

/// Standard error, through `slack::redact`. The log formatter writes each line in one call.
#[derive(Clone)]
struct Redacted(Arc<[String]>);

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
