//! The one config file: reads `config/problemfirst.toml` (or `--config FILE`) into ready objects —
//! compiled rules, tracks, settings — once, at start-up. Unknown keys are errors, and every error
//! names the file, the line and the key or rule at fault, so an admin can fix it in one go.

use crate::domain::digest::{self, Schedule};
use crate::domain::rules::{
    LanguageSpec, ModifierSpec, NoteSpec, PairSpec, QuestionSpec, RuleSpec, TrackHints, VerdictSpec,
};
use crate::domain::{ChannelId, Rules, RulesSpec, TrackId, UserId};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

mod board;
pub use board::{ChatterConfig, DraftsConfig, WebhookConfig};

/// Where the config file is looked for when no `--config` is given.
pub const DEFAULT_PATH: &str = "config/problemfirst.toml";

/// A track as configured: the backlog an idea is filed in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackConfig {
    pub id: TrackId,
    pub name: String,
    pub description: String,
    /// Words that suggest this track.
    #[serde(default)]
    pub hints: Vec<String>,
    /// Who may triage the track's ideas: people and user groups.
    #[serde(default)]
    pub leads: Vec<Lead>,
    /// The channel (id) the track's triage cards are posted to; none, no cards.
    #[serde(default, deserialize_with = "channel_id")]
    pub triage_channel: Option<ChannelId>,
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

impl Default for VotesConfig {
    fn default() -> Self {
        VotesConfig {
            reaction: "+1".into(),
        }
    }
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
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// Channel ids whose top-level messages are pitches.
    #[serde(default)]
    pub idea_channels: Vec<ChannelId>,
}

/// The HTTP Events API listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub listen: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: "0.0.0.0:3000".into(),
        }
    }
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

impl Default for DigestConfig {
    fn default() -> Self {
        DigestConfig {
            enabled: true,
            channel: None,
            schedule: Schedule::default_utc(),
        }
    }
}

/// `[digest]` as written; checked into a [`DigestConfig`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DigestFile {
    #[serde(default = "enabled_by_default")]
    enabled: bool,
    #[serde(default, deserialize_with = "channel_id")]
    channel: Option<ChannelId>,
    weekday: Option<Spanned<String>>,
    time: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
}

fn enabled_by_default() -> bool {
    true
}

impl Default for DigestFile {
    fn default() -> Self {
        DigestFile {
            enabled: true,
            channel: None,
            weekday: None,
            time: None,
            timezone: None,
        }
    }
}

/// The operations endpoints (`/healthz`, `/readyz`, `/metrics`) in Socket Mode; in HTTP mode
/// they share the Slack listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsConfig {
    pub listen: String,
}

impl Default for OpsConfig {
    fn default() -> Self {
        OpsConfig {
            listen: "127.0.0.1:9090".into(),
        }
    }
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

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    #[serde(default)]
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

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            submissions_per_hour: 20,
            max_pitch_chars: 4000,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    data_dir: PathBuf,
    #[serde(default)]
    slack: SlackConfig,
    #[serde(default)]
    http: HttpConfig,
    #[serde(default)]
    ops: OpsConfig,
    #[serde(default)]
    log: LogConfig,
    #[serde(default)]
    limits: LimitsConfig,
    #[serde(default)]
    digest: DigestFile,
    default_track: TrackId,
    /// People who may triage every track.
    #[serde(default)]
    admins: Vec<SlackUser>,
    #[serde(default)]
    votes: VotesConfig,
    similar: SimilarConfig,
    verdict: VerdictSpec,
    modifiers: ModifierSpec,
    language: LanguageSpec,
    notes: NoteSpec,
    #[serde(default)]
    lexicon: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(rename = "track")]
    tracks: Vec<Spanned<TrackConfig>>,
    #[serde(rename = "rule")]
    rules: Vec<Spanned<RuleSpec>>,
    #[serde(rename = "pair", default)]
    pairs: Vec<Spanned<PairSpec>>,
    #[serde(rename = "question")]
    questions: Vec<Spanned<QuestionSpec>>,
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
    pub path: PathBuf,
    pub data_dir: PathBuf,
    pub slack: SlackConfig,
    pub http: HttpConfig,
    pub ops: OpsConfig,
    pub log: LogConfig,
    pub limits: LimitsConfig,
    pub digest: DigestConfig,
    pub tracks: Vec<TrackConfig>,
    pub default_track: TrackId,
    /// User ids of the people who may triage every track.
    pub admins: Vec<UserId>,
    pub votes: VotesConfig,
    pub similar: SimilarConfig,
    pub rules: Rules,
    pub drafts: DraftsConfig,
    pub chatter: ChatterConfig,
    pub webhooks: Vec<WebhookConfig>,
}

/// A config file that can't be used, with where and why: `FILE:LINE: KEY: MESSAGE`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{}{}: {}{}",
    .path.display(),
    .line.map(|l| format!(":{l}")).unwrap_or_default(),
    .key.as_ref().map(|k| format!("{k}: ")).unwrap_or_default(),
    .message
)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    /// The key, rule id or track at fault.
    pub key: Option<String>,
    pub message: String,
}

impl Config {
    /// Read and compile a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            line: None,
            key: None,
            message: format!("can't read the config file: {e}"),
        })?;
        Config::parse(&text, path)
    }

    /// Compile config text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let at = |line: Option<usize>, key: Option<String>, message: String| ConfigError {
            path: path.to_path_buf(),
            line,
            key,
            message,
        };
        let file: ConfigFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            let message = e.message().trim().to_string();
            let key = key_in(&message).or_else(|| e.span().and_then(|s| key_at(text, s.start)));
            at(line, key, message)
        })?;

        let digest = digest_config(file.digest, text, &at)?;

        // Remember where each rule, pair and track was written, to point errors at it.
        let mut places: Vec<(String, usize)> = Vec::new();
        let mut rules = Vec::with_capacity(file.rules.len());
        for r in file.rules {
            places.push((r.get_ref().id.clone(), line_of(text, r.span().start)));
            rules.push(r.into_inner());
        }
        let mut pairs = Vec::new();
        for p in file.pairs {
            places.push((p.get_ref().id.clone(), line_of(text, p.span().start)));
            pairs.push(p.into_inner());
        }
        let mut questions = Vec::new();
        for q in file.questions {
            places.push((
                format!("question '{}'", q.get_ref().trigger),
                line_of(text, q.span().start),
            ));
            questions.push(q.into_inner());
        }
        let mut tracks = Vec::new();
        for t in file.tracks {
            places.push((
                format!("track '{}'", t.get_ref().id),
                line_of(text, t.span().start),
            ));
            tracks.push(t.into_inner());
        }
        let spec = RulesSpec {
            lexicon: file.lexicon,
            verdict: file.verdict,
            modifiers: file.modifiers,
            language: file.language,
            notes: file.notes,
            rules,
            pairs,
            questions,
            tracks: tracks
                .iter()
                .map(|t| TrackHints {
                    id: t.id.to_string(),
                    name: t.name.clone(),
                    hints: t.hints.clone(),
                })
                .collect(),
            default_track: file.default_track.to_string(),
        };
        let compiled = Rules::compile(spec).map_err(|e| {
            // A duplicate is reported at its second appearance.
            let mut found = places.iter().filter(|(id, _)| *id == e.id);
            let first = found.next().map(|(_, l)| *l);
            let line = if e.duplicate {
                found.next().map(|(_, l)| *l).or(first)
            } else {
                first
            };
            let line = line.or_else(|| key_line(text, &e.id));
            let key = if places.iter().any(|(id, _)| *id == e.id)
                && !e.id.starts_with("question")
                && !e.id.starts_with("track")
            {
                format!("rule '{}'", e.id)
            } else {
                e.id.clone()
            };
            at(line, Some(key), e.problem)
        })?;
        Ok(Config {
            path: path.to_path_buf(),
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
            rules: compiled,
            drafts: file.drafts,
            chatter: file.chatter,
            webhooks: file.webhooks,
        })
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

/// Checks `[digest]`: each bad value is reported at its own line and key.
fn digest_config(
    file: DigestFile,
    text: &str,
    at: &impl Fn(Option<usize>, Option<String>, String) -> ConfigError,
) -> Result<DigestConfig, ConfigError> {
    let mut config = DigestConfig {
        enabled: file.enabled,
        channel: file.channel,
        schedule: Schedule::default_utc(),
    };
    let check = |value: &Spanned<String>, key: &str, message: String| {
        at(
            Some(line_of(text, value.span().start)),
            Some(format!("digest.{key}")),
            message,
        )
    };
    if let Some(w) = &file.weekday {
        config.schedule.weekday =
            digest::parse_weekday(w.get_ref()).map_err(|m| check(w, "weekday", m))?;
    }
    if let Some(t) = &file.time {
        config.schedule.time = digest::parse_time(t.get_ref()).map_err(|m| check(t, "time", m))?;
    }
    if let Some(z) = &file.timezone {
        config.schedule.zone =
            digest::parse_zone(z.get_ref()).map_err(|m| check(z, "timezone", m))?;
        config.schedule.zone_name = z.get_ref().trim().to_string();
    }
    Ok(config)
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |t| t.bytes().filter(|&b| b == b'\n').count() + 1)
}

/// The line where `key = ` is written inside its `[section]`, or the section's header, for
/// errors about whole keys and sections ("lexicon.solve", "modifiers.negation_cues").
fn key_line(text: &str, key: &str) -> Option<usize> {
    let (section, last) = key.split_once('.').unwrap_or(("", key));
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.trim() == format!("[{section}]"));
    let from = header.map_or(0, |h| h + 1);
    let is_key = |l: &&str| {
        let l = l.trim_start();
        l.strip_prefix(last)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    };
    lines[from..]
        .iter()
        .take_while(|l| header.is_none() || !l.trim_start().starts_with('['))
        .position(is_key)
        .map(|i| from + i + 1)
        .or(header.map(|h| h + 1))
}

/// The key written on the line holding `offset` (`weight = "heavy"` gives `weight`).
fn key_at(text: &str, offset: usize) -> Option<String> {
    let start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    (!key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    .then(|| key.to_string())
}

/// The key named in a serde message such as "unknown field `foo`" or "missing field `bar`".
fn key_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}
