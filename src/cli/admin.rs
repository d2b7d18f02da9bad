//! What a running bot runs for the command line on its admin socket (`POST /run/NAME`):
//! `export`, `digest` and `import`, on the bot's own app, with the same code as the commands
//! run on a store of their own. `serve` gives them to start-up; `cli::remote` asks for them.

use super::Failure;
use crate::app::import::ImportRow;
use crate::app::App;
use crate::ops::{Remote, RemoteCall};
use bytes::Bytes;
use hyper::StatusCode;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The commands a running bot runs for the command line, on its own app.
pub fn commands(app: App) -> Remote {
    Arc::new(move |call: RemoteCall| {
        let app = app.clone();
        Box::pin(async move {
            // Each reads and writes the store, which blocks: off the runtime's threads.
            tokio::task::spawn_blocking(move || run(&app, &call.command, &call.body))
                .await
                .unwrap_or_else(|e| {
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        Bytes::from(format!("the command stopped: {e}\n")),
                    )
                })
        })
    })
}

fn run(app: &App, command: &str, input: &[u8]) -> (StatusCode, Bytes) {
    fn read<T: DeserializeOwned>(input: &[u8]) -> Result<T, Failure> {
        serde_json::from_slice(input).map_err(|e| Failure::Usage(format!("unreadable input: {e}")))
    }
    let done = match command {
        "export" => read(input).and_then(|q| super::export::write_all(app, &q)),
        "digest" => {
            read(input).and_then(|q| super::digest::render(app, &q).map(String::into_bytes))
        }
        "import" => read::<Vec<ImportRow>>(input).and_then(|rows| {
            let report = app
                .import(rows)
                .map_err(|e| Failure::Usage(e.to_string()))?;
            serde_json::to_vec(&report).map_err(|e| Failure::Usage(e.to_string()))
        }),
        other => Err(Failure::Usage(format!("no command '{other}'"))),
    };
    match done {
        Ok(body) => (StatusCode::OK, Bytes::from(body)),
        Err(Failure::Usage(why) | Failure::Gate(why)) => {
            (StatusCode::BAD_REQUEST, Bytes::from(why + "\n"))
        }
    }
}
