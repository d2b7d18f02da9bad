//! The bot as `serve` builds it ([`Application::build`]), for tests: against a [`FakeSlack`] on
//! 127.0.0.1:0, with a real sled store in a temporary directory, its listener on a free port.
//! [`spawn_app`] is the usual start; [`Spawn`] picks another config, Socket Mode, no transport
//! (only the outbox's delivery) or a directory that outlives one run (restarts).

use super::fake_slack::FakeSlack;
use problemfirst::app::{App, Clock};
use problemfirst::config::Config;
use problemfirst::domain::ChannelId;
use problemfirst::slack::api::{AppToken, BotToken, SigningSecret};
use problemfirst::slack::socket::Connections;
use problemfirst::startup::{Application, Mode, Settings, StartError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The signing secret the bot under test checks.
pub const SECRET: &str = "test-signing-secret";
/// The channel whose top-level messages are pitches.
pub const IDEAS: &str = "CIDEAS";

/// How long a request waits for its work before it is answered anyway. Slack's own budget is
/// 2 s; tests give filing more, so that an answer that belongs in the acknowledgement is there
/// however loaded the machine is. Tests of the budget itself set their own.
pub const TEST_ACK_BUDGET: Duration = Duration::from_secs(20);

/// The shipped config.
pub fn shipped_config() -> Config {
    Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/problemfirst.toml"))
        .expect("the shipped config loads")
}

/// How Slack reaches the bot under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Http,
    Socket,
    /// No transport: the bot only delivers its outbox.
    None,
}

/// How to start the bot.
pub struct Spawn {
    config: Arc<Config>,
    idea_channels: Vec<ChannelId>,
    transport: Transport,
    connections: Connections,
    ack_budget: Duration,
    clock: Option<Clock>,
}

/// The shipped config, HTTP mode, [`IDEAS`] as the idea channel.
pub fn spawn() -> Spawn {
    Spawn {
        config: Arc::new(shipped_config()),
        idea_channels: vec![super::ids::channel(IDEAS)],
        transport: Transport::Http,
        connections: Connections {
            count: 1,
            backoff: Duration::from_secs(1),
            reconnect: Duration::from_secs(1),
            ping: Duration::from_secs(1),
        },
        ack_budget: TEST_ACK_BUDGET,
        clock: None,
    }
}

impl Spawn {
    pub fn config(mut self, config: impl Into<Arc<Config>>) -> Spawn {
        self.config = config.into();
        self
    }

    /// The bot's "now", which the test moves.
    pub fn clock(mut self, clock: Clock) -> Spawn {
        self.clock = Some(clock);
        self
    }

    pub fn idea_channels(mut self, channels: &[&str]) -> Spawn {
        self.idea_channels = channels.iter().map(|c| super::ids::channel(c)).collect();
        self
    }

    pub fn transport(mut self, transport: Transport) -> Spawn {
        self.transport = transport;
        self
    }

    pub fn ack_budget(mut self, budget: Duration) -> Spawn {
        self.ack_budget = budget;
        self
    }

    /// Builds the bot against `fake`, with its store in `dir`, without running it: what
    /// `digest --post` does.
    pub async fn build(self, fake: &FakeSlack, dir: &Path) -> Application {
        let mode = match self.transport {
            Transport::Http => Some(Mode::Http(
                SigningSecret::parse(SECRET).expect("a signing secret"),
            )),
            Transport::Socket => Some(Mode::Socket(
                AppToken::parse("xapp-test").expect("an app token"),
            )),
            Transport::None => None,
        };
        let token = BotToken::parse("xoxb-test-token").expect("a bot token");
        let mut settings = Settings::new(self.config, token, mode);
        settings.data_dir = dir.to_path_buf();
        settings.api_url = fake.api_url();
        settings.idea_channels = self.idea_channels;
        settings.listen = "127.0.0.1:0".into();
        settings.ops_listen = "127.0.0.1:0".into();
        settings.connections = self.connections;
        settings.ack_budget = self.ack_budget;
        if let Some(clock) = self.clock {
            settings.clock = clock;
        }
        Application::build(settings).await.expect("the bot builds")
    }

    /// Builds and runs the bot against `fake`, with its store in `dir`.
    pub async fn run(self, fake: &FakeSlack, dir: &Path) -> Running {
        let application = self.build(fake, dir).await;
        let url = application
            .address()
            .map(|a| format!("http://{a}"))
            .unwrap_or_default();
        let app = application.app().clone();
        let stop = application.stop_token();
        let running = tokio::spawn(application.run_until_stopped());
        Running {
            url,
            app,
            stop,
            running: Some(running),
        }
    }

    /// Starts a fake Slack and the bot with a fresh store; over Socket Mode, returns once the
    /// bot's connection is open, so nothing a test sends is lost before it.
    pub async fn start(self) -> TestApp {
        let fake = FakeSlack::start().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let socket = self.transport == Transport::Socket;
        let running = self.run(&fake, dir.path()).await;
        if socket {
            assert_eq!(
                fake.wait_connections(1, Duration::from_secs(20)).await,
                1,
                "the bot connects over Socket Mode"
            );
        }
        TestApp {
            url: running.url.clone(),
            app: running.app.clone(),
            running,
            fake,
            dir,
        }
    }
}

/// The bot with the shipped config in HTTP mode, a fake Slack and a fresh store.
pub async fn spawn_app() -> TestApp {
    spawn().start().await
}

/// A running bot; dropping it sends the stop signal.
pub struct Running {
    /// `http://127.0.0.1:PORT`: the Slack listener (HTTP mode) or the ops listener (Socket Mode).
    pub url: String,
    pub app: App,
    stop: CancellationToken,
    running: Option<JoinHandle<Result<bool, StartError>>>,
}

impl Running {
    /// Stops as `serve` does on SIGTERM; whether everything acknowledged was finished.
    pub async fn stop(mut self) -> bool {
        self.stop.cancel();
        match self.running.take() {
            Some(running) => running
                .await
                .expect("the bot ran")
                .expect("the bot stopped cleanly"),
            None => false,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// A bot, its fake Slack and its store's directory.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`, as [`Running::url`].
    pub url: String,
    pub app: App,
    pub running: Running,
    pub fake: FakeSlack,
    pub dir: tempfile::TempDir,
}

impl TestApp {
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Stops as `serve` does on SIGTERM; whether everything acknowledged was finished.
    pub async fn stop(self) -> bool {
        self.running.stop().await
    }

    /// Posts a signed Events API callback; the status.
    pub async fn event(&self, event_id: &str, event: serde_json::Value) -> u16 {
        let (status, _) = super::signing::post_json_signed(
            &format!("{}/slack/events", self.url),
            SECRET,
            &super::signing::event_callback(event_id, event),
        )
        .await;
        status.as_u16()
    }

    /// Posts a signed interaction payload to the one request URL; the status and the body of the
    /// answer.
    pub async fn interact(&self, payload: &serde_json::Value) -> (u16, String) {
        let (status, body) = super::signing::post_interaction_signed(
            &format!("{}/slack/events", self.url),
            SECRET,
            payload,
        )
        .await;
        (status.as_u16(), body)
    }

    /// Posts a signed slash command to the one request URL; the status and the body of the
    /// acknowledgement.
    pub async fn command(&self, fields: &serde_json::Value) -> (u16, String) {
        let (status, body) =
            super::signing::post_form_signed(&format!("{}/slack/events", self.url), SECRET, fields)
                .await;
        (status.as_u16(), body)
    }
}

/// The app core alone, on a store in `dir`: for use cases tested without Slack.
pub fn core(dir: &Path, config: impl Into<Arc<Config>>) -> App {
    core_with_clock(dir, config, Arc::new(jiff::Timestamp::now))
}

/// [`core`] with the test's own "now".
pub fn core_with_clock(dir: &Path, config: impl Into<Arc<Config>>, clock: Clock) -> App {
    App::with_clock(
        config.into(),
        problemfirst::storage::Store::open(dir).expect("the store opens"),
        clock,
    )
}
