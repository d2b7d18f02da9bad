//! The command line: one small module per subcommand. Exit codes: 0 done, 1 a quality gate
//! missed, 2 the input or config could not be used (with a message saying why).

mod check;
mod eval;

use crate::config::{Config, DEFAULT_PATH};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "problemfirst", version, about = "A Slack bot that makes innovation requests start from a customer problem.")]
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

#[derive(Debug, Subcommand)]
enum Command {
    /// Assess one pitch and explain the verdict.
    Check(check::Args),
    /// Score the classifier on a labelled JSONL file.
    Eval(eval::Args),
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
        Command::Check(args) => check::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Config {
            command: ConfigCommand::Check(args),
        } => args.load().map(|c| {
            println!(
                "{}: ok ({} rules, {} tracks, rules version {})",
                c.path.display(),
                c.rules.rules.len(),
                c.tracks.len(),
                c.rules.version
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
