//! The command line: one small module per subcommand. Exit codes: 0 done, 1 a quality gate
//! missed, 2 the input or config could not be used (with a message saying why).

pub mod backup;
pub mod chat;
mod check;
mod digest;
mod eval;
mod export;
mod healthcheck;
mod import;
pub mod serve;
mod train;

use crate::app::App;
use crate::config::{Config, DEFAULT_PATH};
use crate::storage::Store;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "problemfirst",
    version,
    about = "A Slack bot that makes innovation requests start from a customer problem."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args, Clone)]
pub struct ConfigArg {
    /// The config file.
    #[arg(long, value_name = "FILE", env = "PROBLEMFIRST_CONFIG", default_value = DEFAULT_PATH)]
    pub config: PathBuf,
}

impl ConfigArg {
    pub fn load(&self) -> Result<Config, Failure> {
        Config::load(&self.config).map_err(|e| Failure::Usage(format!("config error: {e}")))
    }
}

/// The config file and the data directory, for commands that use the store.
#[derive(Debug, clap::Args, Clone)]
pub struct DataArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The data directory (default: `data_dir` in the config file).
    #[arg(long, value_name = "DIR", env = "PROBLEMFIRST_DATA")]
    pub data: Option<PathBuf>,
}

impl DataArgs {
    pub fn open_app(&self) -> Result<App, Failure> {
        let config = self.config.load()?;
        let dir = self.data.clone().unwrap_or_else(|| config.data_dir.clone());
        let store = Store::open(&dir).map_err(|e| Failure::Usage(e.to_string()))?;
        Ok(App::new(Arc::new(config), store))
    }
}

/// A runtime for commands that drive the async app core from a terminal.
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Usage(format!("can't start: {e}")))
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the bot in Slack (tokens from the environment).
    Serve(serve::Args),
    /// Play the bot in this terminal, on the same core and store as Slack.
    Chat(chat::Args),
    /// Bring ideas in from a CSV or JSONL file (a spreadsheet or an older idea box).
    Import(import::Args),
    /// Write ideas out as CSV or JSON lines.
    Export(export::Args),
    /// Print the Slack app manifest (paste it into "Create New App → From an app manifest").
    Manifest,
    /// Assess one pitch and explain the verdict.
    Check(check::Args),
    /// Score the classifier on a labelled JSONL file.
    Eval(eval::Args),
    /// Fit the classifier's model on labelled JSONL files, with grouped cross-validation.
    Train(train::Args),
    /// Print the weekly digest (text, Block Kit or JSON), or post it now.
    Digest(digest::Args),
    /// Write the whole store, as it is at one moment, to one file.
    Backup(backup::BackupArgs),
    /// Rebuild a store from a backup file and check it.
    Restore(backup::RestoreArgs),
    /// Ask a running bot's /healthz whether it is up (exit 0) or not (exit 1).
    Healthcheck(healthcheck::Args),
    /// Work with the config file.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate the config file: exit 0 when it is good, 2 with the line and key when not.
    Check(ConfigArg),
}

/// The Slack app manifest, built into the binary so `problemfirst manifest` works anywhere.
const MANIFEST: &str = include_str!("../../config/slack-app-manifest.yml");

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// A quality gate was missed (exit 1).
    Gate(String),
    /// Bad input, bad config, or a store that can't be used (exit 2).
    Usage(String),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Chat(args) => chat::run(args),
        Command::Import(args) => import::run(args),
        Command::Export(args) => export::run(args),
        Command::Manifest => {
            print!("{MANIFEST}");
            Ok(())
        }
        Command::Check(args) => check::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Train(args) => train::run(args),
        Command::Digest(args) => digest::run(args),
        Command::Backup(args) => backup::run_backup(args),
        Command::Restore(args) => backup::run_restore(args),
        Command::Healthcheck(args) => healthcheck::run(args),
        Command::Config {
            command: ConfigCommand::Check(args),
        } => args.load().map(|c| {
            println!(
                "{}: ok ({} rules, {} tracks, {} weighted features, version {})",
                c.path.display(),
                c.rules().rules.len(),
                c.tracks.len(),
                c.classifier.model.weights.len(),
                c.classifier.version()
            );
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Gate(msg)) => {
            eprintln!("{msg}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(msg)) => {
            eprintln!("problemfirst: {msg}");
            ExitCode::from(2)
        }
    }
}

/// Read a text argument, or standard input when it is `-`; invalid UTF-8 is an error.
pub fn text_arg(arg: &str) -> Result<String, Failure> {
    if arg != "-" {
        return Ok(arg.to_string());
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
        .map_err(|e| Failure::Usage(format!("can't read standard input: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        Failure::Usage(format!(
            "standard input is not valid UTF-8 (bad byte at offset {}); save the text as UTF-8 and try again",
            e.utf8_error().valid_up_to()
        ))
    })
}
