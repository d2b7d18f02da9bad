//! The classifier's rules file: the built-in one (`config/rules.toml`, carried in the binary) or
//! an override a company points `rules` at, with the learned model and the word classes it names
//! in `[model]`. Read with its own parser, which keeps where each rule, pair and question was
//! written, so that an error names the file, the line and the rule.

use super::{ConfigError, Origin, TrackConfig};
use crate::domain::lexicon::Lexicon;
use crate::domain::model::Model;
use crate::domain::rules::{
    LanguageSpec, ModifierSpec, NoteSpec, PairSpec, QuestionSpec, RuleSpec, TrackHints, VerdictSpec,
};
use crate::domain::wordvec::WordVectors;
use crate::domain::{Classifier, Rules, RulesSpec, TrackId};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The built-in rules, the file in the source tree: one source for the binary and the repository.
pub const BUILT_IN: &str = include_str!("../../config/rules.toml");

/// Files the built-in rules name beside themselves (paths relative to `config/`), carried in the
/// binary with them, so that the built-in rules never read the disk. A rules file on disk reads
/// its own from beside it instead.
const BUILT_IN_FILES: &[(&str, &[u8])] = &[
    ("model.txt", include_bytes!("../../config/model.txt")),
    (
        "wordnet/lexicon.txt",
        include_bytes!("../../config/wordnet/lexicon.txt"),
    ),
    (
        "wordvec/vectors.bin",
        include_bytes!("../../config/wordvec/vectors.bin"),
    ),
];

/// Where the built-in rules file is in the source tree; the paths in its `[model]` are relative
/// to this directory there (`train` writes the built-in model there, for the next build to carry).
const BUILT_IN_DIR: &str = "config";

/// A file the built-in rules name, by its path relative to the built-in rules file.
pub fn built_in_file(name: &str) -> Option<&'static [u8]> {
    BUILT_IN_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bytes)| *bytes)
}

/// Where the learned model and the word classes are, relative to the rules file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// The model file `problemfirst train` writes.
    pub file: PathBuf,
    /// WordNet's word classes (`scripts/wordnet-lexicon.py` makes them).
    pub lexicon: PathBuf,
    /// Word vectors for the pitch's overall meaning (`scripts/word-vectors.py` makes them); a
    /// model trained with them needs the same file.
    #[serde(default)]
    pub vectors: Option<PathBuf>,
}

impl ModelConfig {
    /// The paths joined to `dir`.
    fn under(&self, dir: &Path) -> ModelConfig {
        ModelConfig {
            file: dir.join(&self.file),
            lexicon: dir.join(&self.lexicon),
            vectors: self.vectors.as_ref().map(|v| dir.join(v)),
        }
    }
}

/// The rules compiled, with the model and word classes they name.
pub struct Compiled {
    pub classifier: Classifier,
    /// The `[model]` files: beside the rules file read, or for the built-in rules where they are
    /// in the source tree (the binary carries them).
    pub model: ModelConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    model: Spanned<ModelConfig>,
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

/// Parses and compiles the rules text `text` (from `origin`) with the company's tracks, and
/// reads the word classes, the word vectors and — `with_model` — the learned model it names.
/// Without the model (for training a new one), the classifier judges with an untrained one.
pub fn compile(
    text: &str,
    origin: &Origin,
    tracks: &[TrackConfig],
    default_track: &TrackId,
    with_model: bool,
) -> Result<Compiled, RulesProblem> {
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

    let model_line = line_of(text, file.model.span().start);
    let written = file.model.into_inner();
    let (files, model) = match origin {
        Origin::File(path) => {
            let beside = written.under(path.parent().unwrap_or(Path::new("")));
            (ModelFiles::OnDisk(beside.clone()), beside)
        }
        _ => (
            ModelFiles::BuiltIn(written.clone()),
            written.under(Path::new(BUILT_IN_DIR)),
        ),
    };
    // The model and the word classes are read while the rules compile.
    let learned = std::thread::spawn(move || load_learned(&files, with_model));

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
    let rules = Rules::compile(spec).map_err(|e| {
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
    })?;
    let (lexicon, vectors, learned_model) = learned
        .join()
        .unwrap_or_else(|_| Err((None, "reading the model failed".into())))
        .map_err(|(key, message)| {
            at(
                Some(model_line),
                Some(key.unwrap_or_else(|| "model".into())),
                message,
            )
        })?;
    Ok(Compiled {
        classifier: Classifier::new(rules, lexicon, vectors, learned_model),
        model,
    })
}

/// Where the `[model]` files are read from.
enum ModelFiles {
    /// The built-in rules' own, carried in the binary: by the paths as written.
    BuiltIn(ModelConfig),
    /// A rules file's, beside it on disk: the paths joined to its directory.
    OnDisk(ModelConfig),
}

impl ModelFiles {
    fn paths(&self) -> &ModelConfig {
        match self {
            ModelFiles::BuiltIn(m) | ModelFiles::OnDisk(m) => m,
        }
    }

    /// The bytes of one of the files, named by its key for errors.
    fn read(&self, key: &str, path: &Path) -> Result<Cow<'static, [u8]>, (Option<String>, String)> {
        match self {
            ModelFiles::BuiltIn(_) => path
                .to_str()
                .and_then(built_in_file)
                .map(Cow::Borrowed)
                .ok_or_else(|| {
                    (
                        Some(key.to_string()),
                        format!(
                            "the built-in rules name {}, which the binary does not carry",
                            path.display()
                        ),
                    )
                }),
            ModelFiles::OnDisk(_) => std::fs::read(path).map(Cow::Owned).map_err(|e| {
                (
                    Some(key.to_string()),
                    format!("can't read {}: {e}", path.display()),
                )
            }),
        }
    }

    fn read_text(&self, key: &str, path: &Path) -> Result<String, (Option<String>, String)> {
        let bytes = self.read(key, path)?;
        String::from_utf8(bytes.into_owned()).map_err(|e| {
            (
                Some(key.to_string()),
                format!("{} is not UTF-8 text: {e}", path.display()),
            )
        })
    }
}

/// What the classifier learned or looked up: word classes, word vectors (if any), the model.
type Learned = (Lexicon, Option<WordVectors>, Model);

/// Reads the word classes, the word vectors and the model. The one place they are loaded.
fn load_learned(files: &ModelFiles, with_model: bool) -> Result<Learned, (Option<String>, String)> {
    let m = files.paths();
    let lexicon = Lexicon::parse(&files.read_text("model.lexicon", &m.lexicon)?).map_err(|e| {
        (
            Some("model.lexicon".into()),
            format!("{}:{}: {}", m.lexicon.display(), e.line, e.problem),
        )
    })?;
    let vectors = match &m.vectors {
        Some(path) => {
            let bytes = files.read("model.vectors", path)?;
            Some(WordVectors::parse(&bytes).map_err(|e| {
                (
                    Some("model.vectors".to_string()),
                    format!("{}: {e}", path.display()),
                )
            })?)
        }
        None => None,
    };
    if !with_model {
        return Ok((lexicon, vectors, Model::untrained()));
    }
    let model = Model::parse(&files.read_text("model.file", &m.file)?).map_err(|e| {
        (
            Some("model.file".into()),
            format!("{}:{}: {}", m.file.display(), e.line, e.problem),
        )
    })?;
    let wanted = vectors.as_ref().map(WordVectors::fingerprint);
    if model.vectors != wanted {
        return Err((
            Some("model.vectors".into()),
            format!(
                "{} was trained with {}, the rules give {}: retrain it with `problemfirst train`",
                m.file.display(),
                model
                    .vectors
                    .as_deref()
                    .map_or("no word vectors".into(), |v| format!("word vectors {v}")),
                wanted
                    .as_deref()
                    .map_or("none".into(), |v| format!("word vectors {v}")),
            ),
        ));
    }
    Ok((lexicon, vectors, model))
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
