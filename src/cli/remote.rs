//! The command line with a running bot. A store can be open in one process at a time, so while
//! `serve` holds it, `export`, `import` and `digest` ask the bot to run them on its store,
//! through the admin socket in the data directory (`POST /run/NAME`, open to the bot's own user
//! only), with the same flags and the same output as on a store of their own. [`Target`] says
//! which it is; `cli::admin` is what the bot runs, the same code the commands run offline.

use super::{DataArgs, Failure};
use crate::app::App;
use crate::ops::ADMIN_SOCKET;
use crate::storage::{Store, StoreError};
use serde::{de::DeserializeOwned, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long the running bot may take over one command (a large export).
const WAIT: Duration = Duration::from_secs(600);
/// The largest answer read: an export of a very large store.
const MAX_ANSWER: usize = 1 << 30;

/// Where a command's work is done.
pub enum Target {
    /// On a store this process opened.
    Local(App),
    /// By the running bot that holds the store, through its admin socket.
    Running { socket: PathBuf },
}

impl DataArgs {
    /// The store to work on: opened here, or, while a running bot holds it, that bot's.
    pub fn target(&self) -> Result<Target, Failure> {
        let config = self.load()?;
        match Store::open(&config.data_dir) {
            Ok(store) => Ok(Target::Local(App::new(Arc::new(config), store))),
            Err(StoreError::Locked { dir }) => Ok(Target::Running {
                socket: dir.join(ADMIN_SOCKET),
            }),
            Err(e) => Err(Failure::Usage(e.to_string())),
        }
    }
}

/// Runs `command` with `input` in the running bot; the answer's body.
pub fn ask(
    socket: &std::path::Path,
    command: &str,
    input: &impl Serialize,
) -> Result<Vec<u8>, Failure> {
    let body = serde_json::to_vec(input)
        .map_err(|e| Failure::Usage(format!("can't send the command: {e}")))?;
    let answer = ask_socket(socket, &format!("/run/{command}"), body).map_err(|e| {
        Failure::Usage(format!(
            "the store is open in a running problemfirst, and it did not answer on its admin \
             socket {} ({e}); run this as the bot's user, or stop the bot and run it again",
            socket.display()
        ))
    })?;
    match answer {
        (200, body) => Ok(body),
        (_, body) => Err(Failure::Usage(format!(
            "the running bot could not {command}: {}",
            String::from_utf8_lossy(&body).trim()
        ))),
    }
}

/// [`ask`], with the answer read as JSON.
pub fn ask_json<T: DeserializeOwned>(
    socket: &std::path::Path,
    command: &str,
    input: &impl Serialize,
) -> Result<T, Failure> {
    let body = ask(socket, command, input)?;
    serde_json::from_slice(&body)
        .map_err(|e| Failure::Usage(format!("the running bot's answer is unreadable: {e}")))
}

#[cfg(unix)]
fn ask_socket(
    socket: &std::path::Path,
    path: &str,
    body: Vec<u8>,
) -> Result<(u16, Vec<u8>), super::ask::AskError> {
    super::ask::post_unix_with(socket, path, body, MAX_ANSWER, WAIT)
}

#[cfg(not(unix))]
fn ask_socket(
    _: &std::path::Path,
    _: &str,
    _: Vec<u8>,
) -> Result<(u16, Vec<u8>), super::ask::AskError> {
    Err(super::ask::AskError::Failed(
        "admin sockets need a Unix system".into(),
    ))
}
