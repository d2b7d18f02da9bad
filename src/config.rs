//! The configuration: the company's settings, layered (built-in defaults < the settings file <
//! `PROBLEMFIRST_…` variables < flags, see `layers`), and the classifier's rules (built in, or a
//! file of a company's own, see `rules_file`, with the learned model the rules name), read into
//! ready objects — the classifier, tracks, settings — once, at start-up. Unknown keys are errors, and every error says where the value at
//! fault came from: the file and line, or the variable, or the flag, with the key or rule.

mod layers;
mod rules_file;

pub use layers::{find_file, Flag, Sources, ENV_PREFIX, ENV_SEPARATOR};
pub use rules_file::{built_in_file, ModelConfig};

use crate::domain::digest::{self, Schedule};
use crate::domain::{ChannelId, Classifier, Rules, TrackId, UserId};
use figment::value::magic::RelativePathBuf;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The settings file looked for in the current directory when no `--config` is given.
pub const SETTINGS_FILE: &str = "problemfirst.toml";
/// What `problemfirst config init` writes: the company's settings only, commented.
pub const STARTER: &str = include_str!("../config/starter.toml");

mod board;
pub use board::{ChatterConfig, DraftsConfig, WebhookConfig};

/// A track as configured: the backlog an idea is filed in.
#[derive(Debug, Clone)]
pub struct TrackConfig {
    pub id: TrackId,
    pub name: String,
    pub description: String,
    /// Words that suggest this track.
    pub hints: Vec<String>,
    /// Who may triage the track's ideas: people and user groups.
    pub leads: Vec<Lead>,
    /// The channel (id) the track's triage cards are posted to; none, no cards.
    pub triage_channel: Option<ChannelId>,
}

/// `[tracks.ID]` as written; the id is the table's name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackFile {
    /// Without one, the id with a capital.
    name: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    hints: Vec<String>,
    #[serde(default)]
    leads: Vec<Lead>,
    #[serde(default, deserialize_with = "channel_id")]
    triage_channel: Option<ChannelId>,
}

/// One lead of a track as configured: a person, or everyone in a Slack user group (whose members
/// the Slack side looks up).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Lead {
    /// A user id, `U…` or `W…`.
    Person(UserId),
    /// A user group id, `S…`.
    Group(String),
}

impl TryFrom<String> for Lead {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let id = s.trim();
        match id.chars().next() {
            Some('U' | 'W') if slack_id(id) => UserId::parse(id)
                .map(Lead::Person)
                .map_err(|e| e.to_string()),
            Some('S') if slack_id(id) => Ok(Lead::Group(id.to_string())),
            _ => Err(format!(
                "'{s}' is not a Slack user id (U…, W…) or user group id (S…); names and \
                 @handles change, ids do not"
            )),
        }
    }
}

/// A person named by Slack user id (`U…` or `W…`), such as an admin.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
struct SlackUser(UserId);

impl TryFrom<String> for SlackUser {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let id = s.trim();
        match UserId::parse(id) {
            Ok(user) if id.starts_with(['U', 'W']) && slack_id(id) => Ok(SlackUser(user)),
            _ => Err(format!("'{s}' is not a Slack user id (U… or W…)")),
        }
    }
}

/// Slack ids are upper-case letters and digits.
fn slack_id(id: &str) -> bool {
    id.len() >= 2
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A channel id (`C…` or `G…`): names can be renamed, and events carry ids.
fn channel_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<ChannelId>, D::Error> {
    let raw = Option::<String>::deserialize(d)?;
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(id) if id.starts_with(['C', 'G']) && slack_id(id) => ChannelId::parse(id)
            .map(Some)
            .map_err(serde::de::Error::custom),
        Some(other) => Err(serde::de::Error::custom(format!(
            "'{other}' is not a channel id (C…); a channel's id is at the bottom of its details"
        ))),
    }
}

/// Votes: which reaction on an idea's messages counts as one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VotesConfig {
    /// The reaction's name as Slack sends it, without colons (`+1` is 👍).
    #[serde(deserialize_with = "reaction_name")]
    pub reaction: String,
}

fn reaction_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw = String::deserialize(d)?;
    let name = raw.trim().trim_matches(':');
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains(':') {
        return Err(serde::de::Error::custom(format!(
            "'{raw}' is not a reaction name (write it as Slack does, e.g. \"+1\" or \"bulb\")"
        )));
    }
    Ok(name.to_string())
}

/// How similar earlier ideas are found when an idea is filed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimilarConfig {
    /// Lexical similarity (0..1) above which an earlier idea is shown.
    pub threshold: f32,
    /// At most this many are shown.
    pub max: usize,
    /// Only this many recent ideas of the track are compared, so filing stays fast.
    pub window: usize,
}

/// Slack settings that are not secrets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// Channel ids whose top-level messages are pitches.
    pub idea_channels: Vec<ChannelId>,
}

/// The HTTP Events API listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub listen: String,
}

/// The weekly digest: where and when `serve` posts it.
#[derive(Debug, Clone)]
pub struct DigestConfig {
    /// Whether `serve` posts it on schedule (`problemfirst digest` works either way).
    pub enabled: bool,
    /// The channel it is posted to; without one, nothing is posted on schedule.
    pub channel: Option<ChannelId>,
    pub schedule: Schedule,
}

/// `[digest]` as written; checked into a [`DigestConfig`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DigestFile {
    enabled: bool,
    #[serde(default, deserialize_with = "channel_id")]
    channel: Option<ChannelId>,
    weekday: String,
    time: String,
    timezone: String,
}

/// The operations endpoints (`/healthz`, `/readyz`, `/metrics`), on a listener of their own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsConfig {
    pub listen: String,
}

/// How the bot logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Lines for people.
    #[default]
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
}

/// Abuse limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Pitches one person may submit in an hour; more get a friendly "later".
    pub submissions_per_hour: usize,
    /// The longest pitch accepted, in characters.
    pub max_pitch_chars: usize,
}

/// The settings as the layers give them. Every key has its default in the built-in settings
/// (`config/problemfirst.toml`); a section of its own is one field here.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    data_dir: PathBuf,
    default_track: TrackId,
    /// People who may triage every track.
    admins: Vec<SlackUser>,
    /// A rules file of the company's own (relative to the settings file that names it).
    #[serde(default)]
    rules: Option<RelativePathBuf>,
    slack: SlackConfig,
    http: HttpConfig,
    ops: OpsConfig,
    log: LogConfig,
    limits: LimitsConfig,
    digest: DigestFile,
    votes: VotesConfig,
    similar: SimilarConfig,
    tracks: BTreeMap<String, TrackFile>,
    #[serde(default)]
    drafts: DraftsConfig,
    #[serde(default)]
    chatter: ChatterConfig,
    #[serde(rename = "webhook", default)]
    webhooks: Vec<WebhookConfig>,
}

/// The whole configuration, parsed and compiled.
#[derive(Debug, Clone)]
pub struct Config {
    /// The settings file read, if any.
    pub file: Option<PathBuf>,
    /// The rules file read; `None`: the built-in rules.
    pub rules_file: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub slack: SlackConfig,
    pub http: HttpConfig,
    pub ops: OpsConfig,
    pub log: LogConfig,
    pub limits: LimitsConfig,
    pub digest: DigestConfig,
    /// In the order of their ids.
    pub tracks: Vec<TrackConfig>,
    pub default_track: TrackId,
    /// User ids of the people who may triage every track.
    pub admins: Vec<UserId>,
    pub votes: VotesConfig,
    pub similar: SimilarConfig,
    /// The rules, the word classes and the model.
    pub classifier: Classifier,
    /// The model and word-class files the rules name, as found from the rules file.
    pub model: ModelConfig,
    pub drafts: DraftsConfig,
    pub chatter: ChatterConfig,
    pub webhooks: Vec<WebhookConfig>,
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in settings or rules.
    BuiltIn,
    /// A settings or rules file.
    File(PathBuf),
    /// An environment variable, by name.
    Env(String),
    /// A command-line flag, as typed.
    Flag(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::BuiltIn => f.write_str("built-in"),
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Env(name) => f.write_str(name),
            Origin::Flag(flag) => f.write_str(flag),
        }
    }
}

/// Settings or rules that can't be used, with where and why: `FILE:LINE: KEY: MESSAGE`, or
/// `VARIABLE: KEY: MESSAGE`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{}{}: {}{}",
    .origin,
    .line.map(|l| format!(":{l}")).unwrap_or_default(),
    .key.as_ref().map(|k| format!("{k}: ")).unwrap_or_default(),
    .message
)]
pub struct ConfigError {
    pub origin: Origin,
    pub line: Option<usize>,
    /// The key, rule id or track at fault.
    pub key: Option<String>,
    pub message: String,
}

impl Config {
    /// The built-in settings and rules, nothing else: what the bot runs with when nothing is
    /// configured.
    pub fn built_in() -> Config {
        // The built-in settings and rules are tested to load (`tests/it/config_errors.rs`).
        Config::from_sources(&Sources::default())
            .unwrap_or_else(|e| panic!("the built-in configuration is broken: {e}"))
    }

    /// Reads the settings file `path` (over the built-in settings; no environment).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = layers::find_file(Some(path))?;
        Config::from_sources(&Sources {
            file,
            ..Sources::default()
        })
    }

    /// Settings text, as if read from `path` (over the built-in settings; no environment).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        Config::from_sources(&Sources {
            file: Some((path.to_path_buf(), text.to_string())),
            ..Sources::default()
        })
    }

    /// The built-in settings with the rules text `text`, as if read from `path`.
    pub fn with_rules(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let settings = Sources::default().merge()?;
        Config::compile(
            &settings,
            Some((path.to_path_buf(), text.to_string())),
            true,
        )
    }

    /// The settings from `sources`, with the rules they name (or the built-in ones).
    pub fn from_sources(sources: &Sources) -> Result<Config, ConfigError> {
        Config::compile(&sources.merge()?, None, true)
    }

    /// The settings from `sources` and their rules without the rules' model, for training a new
    /// one (the model file may be missing or made for other features): the classifier judges
    /// with an untrained model.
    pub fn load_untrained(sources: &Sources) -> Result<Config, ConfigError> {
        Config::compile(&sources.merge()?, None, false)
    }

    /// The settings in effect, as TOML, each with where it came from (`config check`).
    pub fn report(sources: &Sources) -> Result<String, ConfigError> {
        let merged = sources.merge()?;
        Ok(merged.report())
    }

    /// Checks the merged settings and compiles the rules: `rules_text` when given, else the
    /// file the settings name, else the built-in rules; and reads their model (`with_model`).
    fn compile(
        merged: &layers::Merged,
        rules_text: Option<(PathBuf, String)>,
        with_model: bool,
    ) -> Result<Config, ConfigError> {
        let file: SettingsFile = merged
            .figment
            .extract()
            .map_err(|e| merged.figment_error(e))?;
        let rules_text = match (rules_text, &file.rules) {
            (Some(given), _) => Some(given),
            (None, Some(path)) => {
                let path = path.relative();
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    merged.error("rules", format!("can't read {}: {e}", path.display()))
                })?;
                Some((path, text))
            }
            (None, None) => None,
        };
        let digest = digest_config(file.digest, merged)?;
        let mut tracks = Vec::with_capacity(file.tracks.len());
        for (id, t) in file.tracks {
            let key = format!("tracks.{id}");
            let track_id = TrackId::parse(&id).map_err(|e| merged.error(&key, e.to_string()))?;
            let name = t.name.unwrap_or_else(|| capitalised(&id));
            tracks.push(TrackConfig {
                id: track_id,
                name,
                description: t.description,
                hints: t.hints,
                leads: t.leads,
                triage_channel: t.triage_channel,
            });
        }
        let (origin, text) = match &rules_text {
            Some((path, text)) => (Origin::File(path.clone()), text.as_str()),
            None => (Origin::BuiltIn, rules_file::BUILT_IN),
        };
        let compiled = rules_file::compile(text, &origin, &tracks, &file.default_track, with_model)
            .map_err(|p| match p {
                rules_file::RulesProblem::InRules(e) => e,
                rules_file::RulesProblem::InSettings { key, message } => {
                    merged.error(&key, message)
                }
            })?;
        Ok(Config {
            file: merged.file_path().map(Path::to_path_buf),
            rules_file: rules_text.map(|(path, _)| path),
            data_dir: file.data_dir,
            slack: file.slack,
            http: file.http,
            ops: file.ops,
            log: file.log,
            limits: file.limits,
            digest,
            tracks,
            default_track: file.default_track,
            admins: file.admins.into_iter().map(|a| a.0).collect(),
            votes: file.votes,
            similar: file.similar,
            classifier: compiled.classifier,
            model: compiled.model,
            drafts: file.drafts,
            chatter: file.chatter,
            webhooks: file.webhooks,
        })
    }

    /// The compiled rules.
    pub fn rules(&self) -> &Rules {
        &self.classifier.rules
    }

    pub fn track(&self, id: &str) -> Option<&TrackConfig> {
        self.tracks.iter().find(|t| t.id == id)
    }

    /// The track's display name, or the id if it is not configured (an idea filed under a track
    /// that was later removed from the config).
    pub fn track_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.track(id).map_or(id, |t| t.name.as_str())
    }
}

fn capitalised(id: &str) -> String {
    let mut chars = id.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Checks `[digest]`: each bad value is reported where it was set.
fn digest_config(file: DigestFile, merged: &layers::Merged) -> Result<DigestConfig, ConfigError> {
    let check = |key: &str, message: String| merged.error(&format!("digest.{key}"), message);
    Ok(DigestConfig {
        enabled: file.enabled,
        channel: file.channel,
        schedule: Schedule {
            weekday: digest::parse_weekday(&file.weekday).map_err(|m| check("weekday", m))?,
            time: digest::parse_time(&file.time).map_err(|m| check("time", m))?,
            zone: digest::parse_zone(&file.timezone).map_err(|m| check("timezone", m))?,
            zone_name: file.timezone.trim().to_string(),
        },
    })
}
