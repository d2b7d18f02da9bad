//! The bot's running parts besides a transport — the outbox's delivery worker and the work
//! spawned after acknowledgements — and how they stop: finish what is in flight, deliver what
//! is due, flush the store.

use super::bot::Bot;
use super::outbox;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A started bot.
pub struct Service {
    pub bot: Arc<Bot>,
    stop: watch::Sender<bool>,
    outbox: JoinHandle<()>,
}

impl Service {
    /// Starts the outbox's delivery worker. Must be called inside a Tokio runtime.
    pub fn start(bot: Arc<Bot>) -> Service {
        let (stop, stopped) = watch::channel(false);
        let outbox = tokio::spawn(outbox::run(Arc::clone(&bot), stopped));
        Service { bot, stop, outbox }
    }

    /// Stops within `grace`: no new work is taken (the transports stopped first), work already
    /// acknowledged is finished, the outbox worker ends its round, and the store is flushed.
    /// Returns false when something was still running when the time was up.
    pub async fn shutdown(self, grace: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + grace;
        self.bot.work.close();
        let work_done = tokio::time::timeout_at(deadline, self.bot.work.wait())
            .await
            .is_ok();
        let _ = self.stop.send(true);
        let outbox_done = tokio::time::timeout_at(deadline, self.outbox).await.is_ok();
        if let Err(e) = self.bot.app.store.flush() {
            tracing::error!(error = %e, "could not flush the store while stopping");
            return false;
        }
        work_done && outbox_done
    }
}
