//! Start-up and stop: [`Application::build`] opens the store and puts the bot together (the app,
//! Slack's Web API, the handlers, the outbox, the ops endpoints) from [`Settings`], and binds its
//! listeners; [`Application::run_until_stopped`] runs it in one [`Mode`] until its stop signal, a
//! [`CancellationToken`], is cancelled, then stops in order. `serve`, `digest --post` and the
//! tests all build the bot here, so they run the same thing.
//!
//! A stop: the listeners take no new request (those being answered get [`LISTENER_GRACE`]); work
//! already acknowledged (tracked by one `TaskTracker`) gets [`SHUTDOWN_GRACE`] to finish while the
//! outbox delivers; then the outbox starts no new call and lets those in flight end, each within
//! its own limit, so that none is sent twice; last, the store is flushed.

use crate::app::{App, Clock};
use crate::config::Config;
use crate::domain::ChannelId;
use crate::listener::{self, Limits};
use crate::ops::{self, Door, Ops, Probe};
use crate::slack::api::{Api, AppToken, BotToken, SigningSecret};
use crate::slack::bot::Bot;
use crate::slack::http::Endpoint;
use crate::slack::socket::{self, Connections};
use crate::storage::{Store, StoreError};
use hyper::Request;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long a stop waits for acknowledged work to finish. Web API calls in flight then get up to
/// their own limit (10 s) to end, so a whole stop takes at most about 20 s: give the container
/// that long (Docker's default is 10 s; `stop_grace_period` in docker-compose.yml).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(7);
/// How long open requests get to finish once a stop begins (Slack's own limit is 3 s).
pub const LISTENER_GRACE: Duration = Duration::from_secs(2);
/// How often delivery marks past their time are removed.
const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// How Slack reaches the bot.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Socket Mode: the bot opens a WebSocket to Slack with the app-level token; no public URL.
    Socket(AppToken),
    /// The HTTP Events API: Slack sends signed requests to the bot's listener.
    Http(SigningSecret),
}

/// Everything the bot is built from: the config, and what comes from the environment and flags.
pub struct Settings {
    pub config: Arc<Config>,
    pub data_dir: PathBuf,
    pub bot_token: BotToken,
    /// The Web API's base URL (a fake Slack's, in tests).
    pub api_url: String,
    /// Channels whose top-level messages are pitches.
    pub idea_channels: Vec<ChannelId>,
    /// How Slack reaches the bot; `None` builds a bot that only delivers (`digest --post`).
    pub mode: Option<Mode>,
    /// The Slack listener's address in HTTP mode (port 0: any free one).
    pub listen: String,
    /// The ops endpoints' address, in both modes; in HTTP mode the same address as `listen`
    /// serves both on the one listener.
    pub ops_listen: String,
    /// Whether to open the admin socket in the data directory.
    pub admin_socket: bool,
    /// How Socket Mode keeps its connections.
    pub connections: Connections,
    /// How long a request waits for its work before it is answered anyway.
    pub ack_budget: Duration,
    /// Where "now" comes from.
    pub clock: Clock,
    /// The command line's commands the admin socket runs on the running bot's store, made for
    /// the bot's app (the command line gives them: start-up does not know it).
    pub remote: Option<RemoteCommands>,
}

/// Makes the admin socket's commands for the bot's app.
pub type RemoteCommands = Box<dyn FnOnce(App) -> ops::Remote + Send>;

impl Settings {
    /// Settings with the config's own defaults for what the environment and flags may change.
    pub fn new(config: Arc<Config>, bot_token: BotToken, mode: Option<Mode>) -> Settings {
        Settings {
            data_dir: config.data_dir.clone(),
            idea_channels: config.slack.idea_channels.clone(),
            listen: config.http.listen.clone(),
            ops_listen: config.ops.listen.clone(),
            config,
            bot_token,
            api_url: crate::slack::api::DEFAULT_API_URL.into(),
            mode,
            admin_socket: true,
            connections: Connections::default(),
            ack_budget: crate::slack::bot::ACK_BUDGET,
            clock: Arc::new(jiff::Timestamp::now),
            remote: None,
        }
    }
}

/// Why the bot could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("can't set up the Slack client: {0}")]
    Client(std::io::Error),
    #[error("can't listen on {address}{what}: {source}")]
    Listen {
        address: String,
        what: &'static str,
        source: std::io::Error,
    },
    #[error("can't connect to Slack in Socket Mode: {0}")]
    Socket(String),
    #[error("the HTTP listener stopped: {0}")]
    Stopped(String),
}

/// The bot, built and bound, not yet running.
pub struct Application {
    bot: Arc<Bot>,
    ops: Arc<Ops>,
    work: TaskTracker,
    stop: CancellationToken,
    mode: Option<Mode>,
    /// The Slack listener (HTTP mode).
    tcp: Option<TcpListener>,
    /// The ops listener, unless the ops endpoints share the Slack listener.
    ops_tcp: Option<TcpListener>,
    #[cfg(unix)]
    admin: Option<(tokio::net::UnixListener, ops::SocketFile)>,
    connections: Connections,
}

impl Application {
    /// Opens the store, builds the bot and binds its listeners. Must be called inside a Tokio
    /// runtime.
    pub async fn build(settings: Settings) -> Result<Application, StartError> {
        let store = Store::open(&settings.data_dir)?;
        let app = App::with_clock(settings.config, store.clone(), settings.clock);
        let api = Api::new(&settings.api_url, &settings.bot_token).map_err(StartError::Client)?;
        let work = TaskTracker::new();
        let bot = Arc::new(
            Bot::new(app, api.clone(), settings.idea_channels, work.clone())
                .with_ack_budget(settings.ack_budget),
        );
        let slack = Probe::new(move || {
            let api = api.clone();
            async move { api.check().await }
        });
        let remote = settings.remote.map(|make| make(bot.app().clone()));
        let ops = Ops::new(store.clone(), slack, remote);
        let bind = |address: String, what: &'static str| async move {
            TcpListener::bind(&address)
                .await
                .map_err(|source| StartError::Listen {
                    address,
                    what,
                    source,
                })
        };
        let (tcp, ops_tcp) = match &settings.mode {
            Some(Mode::Http(_)) if settings.ops_listen == settings.listen => {
                (Some(bind(settings.listen, "").await?), None)
            }
            Some(Mode::Http(_)) => (
                Some(bind(settings.listen, "").await?),
                Some(bind(settings.ops_listen, " (ops)").await?),
            ),
            Some(Mode::Socket(_)) => (None, Some(bind(settings.ops_listen, " (ops)").await?)),
            None => (None, None),
        };
        #[cfg(unix)]
        let admin = match settings.admin_socket && settings.mode.is_some() {
            true => match ops::bind_admin(store.dir()) {
                Ok(bound) => Some(bound),
                Err(e) => {
                    // The bot works without it; only `problemfirst backup` then needs it stopped.
                    tracing::warn!(error = %e, "could not open the admin socket in the data directory");
                    None
                }
            },
            false => None,
        };
        Ok(Application {
            bot,
            ops,
            work,
            stop: CancellationToken::new(),
            mode: settings.mode,
            tcp,
            ops_tcp,
            #[cfg(unix)]
            admin,
            connections: settings.connections,
        })
    }

    pub fn app(&self) -> &App {
        self.bot.app()
    }

    /// Where the Slack listener (HTTP mode) or, without one, the ops listener is bound.
    pub fn address(&self) -> Option<SocketAddr> {
        self.tcp
            .as_ref()
            .or(self.ops_tcp.as_ref())
            .and_then(|l| l.local_addr().ok())
    }

    /// Where the ops endpoints are served: their own listener, or the Slack listener they share.
    pub fn ops_address(&self) -> Option<SocketAddr> {
        self.ops_tcp
            .as_ref()
            .or(self.tcp.as_ref())
            .and_then(|l| l.local_addr().ok())
    }

    /// The stop signal: cancel it, and [`Application::run_until_stopped`] stops in order.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Delivers what the outbox holds that is due now, once; returns how many notices were
    /// attempted. For `digest --post`, which sends without serving.
    pub async fn deliver_due(&self) -> usize {
        self.bot.outbox().drain().await
    }

    /// Takes up what the inbox kept from the last run, starts the outbox's delivery, the weekly
    /// digest's schedule and the transport, runs until the stop signal, then stops in order.
    /// `Ok(false)` when the stop left work unfinished (it goes out after the next start).
    pub async fn run_until_stopped(self) -> Result<bool, StartError> {
        let Application {
            bot,
            ops,
            work,
            stop,
            mode,
            tcp,
            ops_tcp,
            #[cfg(unix)]
            admin,
            connections,
        } = self;
        let app = bot.app().clone();
        bot.resume();
        // The outbox keeps delivering while acknowledged work finishes: it stops last.
        let outbox_stop = CancellationToken::new();
        let outbox = tokio::spawn(bot.outbox().run(outbox_stop.clone()));
        let purge = tokio::spawn(forget_old_deliveries(app.clone(), outbox_stop.clone()));
        // The weekly digest: queued at its scheduled time (or at start-up, when the bot was down
        // then), and delivered by the outbox.
        let schedule = {
            let (app, stop) = (app.clone(), stop.clone());
            tokio::spawn(async move {
                tokio::select! {
                    _ = app.run_digest_schedule() => {}
                    _ = stop.cancelled() => {}
                }
            })
        };
        // Drafts: reminded once, then withdrawn, on the app's clock.
        let drafts = {
            let (app, stop) = (app.clone(), stop.clone());
            tokio::spawn(async move {
                tokio::select! {
                    _ = app.run_drafts_sweep() => {}
                    _ = stop.cancelled() => {}
                }
            })
        };
        #[cfg(unix)]
        let _admin_file = admin.map(|(unix, file)| {
            tracing::info!(socket = %file.path().display(), "admin socket: backups of the running store");
            tokio::spawn(ops::serve(
                unix,
                Arc::clone(&ops),
                Door::Admin,
                stop.clone(),
            ));
            // Held to the end of the run, which removes the socket file however it ends.
            file
        });
        // The ops endpoints on their own listener, when they have one; otherwise on Slack's.
        let shared_ops = match ops_tcp {
            Some(listener) => {
                if let Ok(address) = listener.local_addr() {
                    tracing::info!(%address, "ops endpoints: /healthz /readyz /metrics");
                }
                tokio::spawn(ops::serve(listener, ops, Door::Network, stop.clone()));
                None
            }
            None => Some(ops),
        };
        let ran = match (mode, tcp) {
            (Some(Mode::Http(secret)), Some(tcp)) => {
                let slack = Endpoint::new(Arc::clone(&bot), &secret);
                serve_http(tcp, slack, shared_ops, stop).await
            }
            (Some(Mode::Socket(token)), _) => {
                serve_socket(Arc::clone(&bot), &token, connections, stop).await
            }
            _ => {
                stop.cancelled().await;
                Ok(())
            }
        };
        let _ = schedule.await;
        let _ = drafts.await;
        // What was acknowledged is finished and delivered (or left queued for the next start).
        work.close();
        let work_done = tokio::time::timeout(SHUTDOWN_GRACE, work.wait())
            .await
            .is_ok();
        outbox_stop.cancel();
        let outbox_done = outbox.await.is_ok();
        let _ = purge.await;
        let flushed = match app.flush() {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, "could not flush the store while stopping");
                false
            }
        };
        ran.map(|()| work_done && outbox_done && flushed)
    }
}

/// The HTTP Events API (with the ops endpoints, when they share its listener) until `stop`;
/// then the requests being answered get [`LISTENER_GRACE`], since what they acknowledge must be
/// among the work the stop waits for.
async fn serve_http(
    tcp: TcpListener,
    slack: Endpoint,
    ops: Option<Arc<Ops>>,
    stop: CancellationToken,
) -> Result<(), StartError> {
    if let Ok(address) = tcp.local_addr() {
        tracing::info!(%address, "listening for the Slack Events API at /slack/events");
    }
    let slack = Arc::new(slack);
    let answer = move |req: Request<hyper::body::Incoming>| {
        let (slack, ops) = (Arc::clone(&slack), ops.clone());
        async move {
            let ops_answer = match &ops {
                Some(ops) => ops.answer(&req, Door::Network).await,
                None => None,
            };
            match ops_answer {
                Some(answer) => answer,
                None => slack.answer(req).await,
            }
        }
    };
    let mut server = tokio::spawn(listener::serve(
        tcp,
        Limits::for_this_process(),
        answer,
        stop.clone(),
    ));
    tokio::select! {
        ended = &mut server => {
            stop.cancel();
            ended.map_err(|e| StartError::Stopped(e.to_string()))
        }
        _ = stop.cancelled() => {
            tracing::info!("stopping: no new work is taken");
            if tokio::time::timeout(LISTENER_GRACE, server).await.is_err() {
                tracing::warn!("requests still open when the listener stopped");
            }
            Ok(())
        }
    }
}

/// Socket Mode until `stop`.
async fn serve_socket(
    bot: Arc<Bot>,
    token: &AppToken,
    connections: Connections,
    stop: CancellationToken,
) -> Result<(), StartError> {
    let listener = socket::start(bot, token, connections)
        .await
        .map_err(|e| StartError::Socket(e.to_string()))?;
    tracing::info!("connected to Slack in Socket Mode");
    stop.cancelled().await;
    tracing::info!("stopping: no new work is taken");
    listener.shutdown().await;
    Ok(())
}

/// Forgets delivery marks past their time, every hour until `stop`.
async fn forget_old_deliveries(app: App, stop: CancellationToken) {
    loop {
        match app.forget_old_deliveries() {
            Ok(0) => {}
            Ok(n) => tracing::debug!(removed = n, "forgot old delivery marks"),
            Err(e) => tracing::warn!(error = %e, "could not forget old delivery marks"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PURGE_EVERY) => {}
            _ = stop.cancelled() => return,
        }
    }
}
