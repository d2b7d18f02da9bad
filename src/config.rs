//! The one config file: reads `config/problemfirst.toml` (or `--config FILE`) into ready objects —
//! compiled rules, tracks, settings — once, at start-up. Unknown keys are errors, and every error
//! names the file, the line and the key or rule at fault, so an admin can fix it in one go.

use crate::domain::rules::{
    LanguageSpec, ModifierSpec, NoteSpec, PairSpec, QuestionSpec, RuleSpec, TrackHints, VerdictSpec,
};
use crate::domain::{Rules, RulesSpec};
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Where the config file is looked for when no `--config` is given.
pub const DEFAULT_PATH: &str = "config/problemfirst.toml";

/// A track as configured: the backlog an idea is filed in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackConfig {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Words that suggest this track.
    #[serde(default)]
    pub hints: Vec<String>,
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
    pub idea_channels: Vec<String>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    data_dir: PathBuf,
    #[serde(default)]
    slack: SlackConfig,
    #[serde(default)]
    http: HttpConfig,
    default_track: String,
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
}

/// The whole configuration, parsed and compiled.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub data_dir: PathBuf,
    pub slack: SlackConfig,
    pub http: HttpConfig,
    pub tracks: Vec<TrackConfig>,
    pub default_track: String,
    pub similar: SimilarConfig,
    pub rules: Rules,
}

/// A config file that can't be used, with where and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    /// The key, rule id or track at fault.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

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
                    id: t.id.clone(),
                    name: t.name.clone(),
                    hints: t.hints.clone(),
                })
                .collect(),
            default_track: file.default_track.clone(),
        };
        let compiled = Rules::compile(spec).map_err(|e| {
            // A duplicate is reported at its second appearance.
            let mut found = places.iter().filter(|(id, _)| *id == e.id);
            let first = found.next().map(|(_, l)| *l);
            let line = if e.problem.starts_with("duplicate") {
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
            tracks,
            default_track: file.default_track,
            similar: file.similar,
            rules: compiled,
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
