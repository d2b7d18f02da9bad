//! The bot's running parts besides a transport — the outbox's delivery worker, the work
//! acknowledged requests asked for (also what the inbox kept from the last run) — and how they
//! stop: finish what is in flight, deliver what is due, flush the store.

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
    /// Starts the outbox's delivery worker, takes up what the inbox kept from the last run, and
    /// forgets old delivery marks every hour. Call it before a transport starts. Must be called
    /// inside a Tokio runtime.
    pub fn start(bot: Arc<Bot>) -> Service {
        let (stop, stopped) = watch::channel(false);
        bot.resume();
        let outbox = tokio::spawn(outbox::run(Arc::clone(&bot), stopped.clone()));
        tokio::spawn(forget_old_deliveries(Arc::clone(&bot), stopped));
        Service { bot, stop, outbox }
    }

    /// Stops: no new work is taken (the transports stopped first); work already acknowledged
    /// gets `grace` to finish while the outbox delivers; then the outbox starts no new call and
    /// the calls in flight end, each within its own time limit (`outbox::API_TIMEOUT`), so that
    /// none is sent again at the next start; and the store is flushed. What is left goes out
    /// after the next start. Returns false when acknowledged work was still running at `grace`.
    pub async fn shutdown(self, grace: Duration) -> bool {
        self.bot.work.close();
        let work_done = tokio::time::timeout(grace, self.bot.work.wait())
            .await
            .is_ok();
        let _ = self.stop.send(true);
        let outbox_done = self.outbox.await.is_ok();
        if let Err(e) = self.bot.app.store.flush() {
            tracing::error!(error = %e, "could not flush the store while stopping");
            return false;
        }
        work_done && outbox_done
    }
}

/// How often delivery marks past their time are removed.
const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

async fn forget_old_deliveries(bot: Arc<Bot>, mut stop: watch::Receiver<bool>) {
    loop {
        match bot.app.store.purge_deliveries(jiff::Timestamp::now()) {
            Ok(0) => {}
            Ok(n) => tracing::debug!(removed = n, "forgot old delivery marks"),
            Err(e) => tracing::warn!(error = %e, "could not forget old delivery marks"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PURGE_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}
