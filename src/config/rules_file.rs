//! The classifier's rules file: the built-in one (`config/rules.toml`, carried in the binary) or
//! an override a company points `rules` at. Read with its own parser, which keeps where each rule,
//! pair and question was written, so that an error names the file, the line and the rule.

use super::{ConfigError, Origin, TrackConfig};
use crate::domain::rules::{
    LanguageSpec, ModifierSpec, NoteSpec, PairSpec, QuestionSpec, RuleSpec, TrackHints, VerdictSpec,
};
use crate::domain::{Rules, RulesSpec, TrackId};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// The built-in rules, the file in the source tree: one source for the binary and the repository.
pub const BUILT_IN: &str = include_str!("../../config/rules.toml");

/// Files the built-in rules name beside themselves (paths relative to `config/`), carried in the
/// binary with them, so that the built-in rules never read the disk. A rules file on disk reads
/// its own from beside it instead.
const BUILT_IN_FILES: &[(&str, &[u8])] = &[];

/// A file the built-in rules name, by its path relative to the built-in rules file.
pub fn built_in_file(name: &str) -> Option<&'static [u8]> {
    BUILT_IN_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bytes)| *bytes)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    verdict: VerdictSpec,
    modifiers: ModifierSpec,
    language: LanguageSpec,
    notes: NoteSpec,
    #[serde(default)]
    lexicon: BTreeMap<String, Vec<String>>,
    #[serde(rename = "rule")]
    rules: Vec<Spanned<RuleSpec>>,
    #[serde(rename = "pair", default)]
    pairs: Vec<Spanned<PairSpec>>,
    #[serde(rename = "question")]
    questions: Vec<Spanned<QuestionSpec>>,
}

/// Why the rules did not compile, as the rule compiler says it: the rule, list or setting at
/// fault (`track 'x'` and `default_track` are the settings', which the caller places).
pub enum RulesProblem {
    InRules(ConfigError),
    InSettings { key: String, message: String },
}

/// Parses and compiles the rules text `text` (from `origin`) with the company's tracks.
pub fn compile(
    text: &str,
    origin: &Origin,
    tracks: &[TrackConfig],
    default_track: &TrackId,
) -> Result<Rules, RulesProblem> {
    let at = |line: Option<usize>, key: Option<String>, message: String| {
        RulesProblem::InRules(ConfigError {
            origin: origin.clone(),
            line,
            key,
            message,
        })
    };
    let file: RulesFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        let message = e.message().trim().to_string();
        let key = key_in(&message).or_else(|| e.span().and_then(|s| key_at(text, s.start)));
        at(line, key, message)
    })?;

    // Remember where each rule, pair and question was written, to point errors at it.
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
        default_track: default_track.to_string(),
    };
    Rules::compile(spec).map_err(|e| {
        if let Some(track) =
            e.id.strip_prefix("track '")
                .and_then(|t| t.strip_suffix('\''))
        {
            return RulesProblem::InSettings {
                key: format!("tracks.{track}"),
                message: e.problem,
            };
        }
        if e.id == "default_track" {
            return RulesProblem::InSettings {
                key: e.id,
                message: e.problem,
            };
        }
        // A duplicate is reported at its second appearance.
        let mut found = places.iter().filter(|(id, _)| *id == e.id);
        let first = found.next().map(|(_, l)| *l);
        let line = if e.duplicate {
            found.next().map(|(_, l)| *l).or(first)
        } else {
            first
        };
        let line = line.or_else(|| key_line(text, &e.id));
        let key = if places.iter().any(|(id, _)| *id == e.id) && !e.id.starts_with("question") {
            format!("rule '{}'", e.id)
        } else {
            e.id.clone()
        };
        at(line, Some(key), e.problem)
    })
}

/// 1-based line of a byte offset.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
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
