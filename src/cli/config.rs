//! `problemfirst config`: `check` prints the settings in effect, each with where it came from
//! (secrets masked), and compiles the rules; `init` writes a short starter settings file with
//! only what a company sets.

use super::{ConfigArg, Failure};
use crate::config::{Config, SETTINGS_FILE, STARTER};
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the settings in effect and where each comes from; exit 0 when they and the rules
    /// are good, 2 with the file and line (or the variable) and the key when not.
    Check(ConfigArg),
    /// Write a starter settings file with the company's settings: tracks, leads, channels,
    /// digest, limits, admins.
    Init(InitArgs),
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Where to write it.
    #[arg(value_name = "PATH", default_value = SETTINGS_FILE)]
    path: PathBuf,
    /// Replace a file that is there already.
    #[arg(long)]
    force: bool,
}

/// The secrets the bot reads, from the environment only.
const SECRETS: [&str; 3] = ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"];

pub fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Check(args) => check(&args),
        Command::Init(args) => init(&args),
    }
}

fn check(args: &ConfigArg) -> Result<(), Failure> {
    let sources = args.sources(Vec::new())?;
    let config = Config::from_sources(&sources).map_err(super::config_error)?;
    let report = Config::report(&sources).map_err(super::config_error)?;
    let mut out = String::from(
        "# The settings in effect. Each layer overrides the one before: built-in < the settings\n\
         # file < PROBLEMFIRST_… variables < flags; after each value, where it came from.\n\n",
    );
    out.push_str(&report);
    out.push_str("\n# Secrets, from the environment only:\n");
    for name in SECRETS {
        let value = std::env::var(name).unwrap_or_default();
        out.push_str(&format!("#   {name:<22} {}\n", masked(&value)));
    }
    let rules = match &config.rules_file {
        Some(path) => path.display().to_string(),
        None => "built-in".to_string(),
    };
    let settings = match &config.file {
        Some(path) => path.display().to_string(),
        None => "no settings file".to_string(),
    };
    out.push_str(&format!(
        "\nok: {settings}; rules {rules} ({} rules, {} tracks, {} weighted features, version {})\n",
        config.rules().rules.len(),
        config.tracks.len(),
        config.classifier.model.weights.len(),
        config.classifier.version()
    ));
    print!("{out}");
    Ok(())
}

/// A secret as `config check` shows it: whether it is set, its kind (a token's `xoxb-`
/// prefix), its length; never a character of the secret itself.
fn masked(value: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        return "not set".into();
    }
    let kind = ["xoxb-", "xapp-", "xoxp-"]
        .into_iter()
        .find(|p| value.starts_with(p))
        .map(|p| format!("{p}… "))
        .unwrap_or_default();
    format!("{kind}set ({} characters, masked)", value.chars().count())
}

fn init(args: &InitArgs) -> Result<(), Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let written = options
        .open(&args.path)
        .and_then(|mut file| file.write_all(STARTER.as_bytes()));
    match written {
        Ok(()) => {
            println!(
                "wrote {}: fill in your tracks' leads and channels, then run `problemfirst config check`",
                args.path.display()
            );
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Failure::Usage(format!(
            "{} is there already; edit it, or write the starter elsewhere (or --force to replace it)",
            args.path.display()
        ))),
        Err(e) => Err(Failure::Usage(format!(
            "can't write {}: {e}",
            args.path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn a_secret_is_never_shown() {
        let shown = masked("xoxb-1234-secretpart");
        assert!(shown.starts_with("xoxb-… set"), "{shown}");
        assert!(
            !shown.contains("secretpart") && !shown.contains("1234"),
            "{shown}"
        );
        assert!(!masked("s3cr3t").contains("s3cr3t"));
        assert_eq!(masked(""), "not set");
    }
}
