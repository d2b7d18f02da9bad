//! The command line: one small module per subcommand. Exit codes: 0 done, 1 a quality gate
//! missed, 2 the input or config could not be used (with a message saying why).

mod admin;
mod ask;
pub mod backup;
pub mod chat;
mod check;
mod config;
mod digest;
mod eval;
mod export;
mod healthcheck;
mod import;
mod labelled;
mod remote;
pub mod serve;
mod train;

use crate::app::App;
use crate::config::{Config, Flag, Sources};
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
    /// The settings file (default: problemfirst.toml in this directory, when there is one;
    /// otherwise the built-in settings and the environment).
    #[arg(long, value_name = "FILE", env = "PROBLEMFIRST_CONFIG")]
    pub config: Option<PathBuf>,
    /// A rules file of your own, instead of the built-in classifier rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
}

impl ConfigArg {
    /// Where the settings come from: the file, this process's environment, these flags and
    /// `flags`.
    pub fn sources(&self, mut flags: Vec<Flag>) -> Result<Sources, Failure> {
        let file = crate::config::find_file(self.config.as_deref()).map_err(config_error)?;
        if let Some(rules) = &self.rules {
            flags.push(Flag::new("--rules", "rules", path_text(rules)));
        }
        Ok(Sources {
            file,
            env: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            flags,
        })
    }

    pub fn load(&self) -> Result<Config, Failure> {
        self.load_with(Vec::new())
    }

    /// The settings and rules without the rules' model, for training a new one.
    pub fn load_untrained(&self) -> Result<Config, Failure> {
        let config = Config::load_untrained(&self.sources(Vec::new())?).map_err(config_error)?;
        crate::telemetry::set_format(config.log.format);
        Ok(config)
    }

    /// Reads and checks the settings; from then on, logs are written as they say.
    pub fn load_with(&self, flags: Vec<Flag>) -> Result<Config, Failure> {
        let config = Config::from_sources(&self.sources(flags)?).map_err(config_error)?;
        crate::telemetry::set_format(config.log.format);
        Ok(config)
    }
}

fn config_error(e: crate::config::ConfigError) -> Failure {
    Failure::Usage(format!("config error: {e}"))
}

fn path_text(path: &std::path::Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The config and the data directory, for commands that use the store.
#[derive(Debug, clap::Args, Clone)]
pub struct DataArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The data directory (`data_dir`; also PROBLEMFIRST_DATA_DIR).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

impl DataArgs {
    /// The `--data` flag as a layer of the settings, with `more`.
    pub fn flags(&self, mut more: Vec<Flag>) -> Vec<Flag> {
        if let Some(dir) = &self.data {
            more.push(Flag::new("--data", "data_dir", path_text(dir)));
        }
        more
    }

    pub fn load(&self) -> Result<Config, Failure> {
        self.config.load_with(self.flags(Vec::new()))
    }

    pub fn open_app(&self) -> Result<App, Failure> {
        let config = self.load()?;
        let store = Store::open(&config.data_dir).map_err(|e| Failure::Usage(e.to_string()))?;
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
    /// Check the settings, or start a settings file.
    Config {
        #[command(subcommand)]
        command: config::Command,
    },
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
    // `serve` tells what it does as it runs; the other commands speak through their output, and
    // log only what went wrong.
    crate::telemetry::init(match cli.command {
        Command::Serve(_) => "info,slack_morphism=warn",
        _ => "warn,slack_morphism=error",
    });
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
        Command::Config { command } => config::run(command),
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
