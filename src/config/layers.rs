//! The layers settings come from, merged by figment: the built-in defaults, the settings file,
//! `PROBLEMFIRST_…` variables, command-line flags; each over the one before. Every value keeps
//! its layer, so an error and `config check` can say where a value came from: the file and line,
//! the variable, the flag, or the built-in defaults.

use super::{ConfigError, Origin};
use figment::value::{Dict, Map, Tag, Value};
use figment::{Figment, Metadata, Profile, Provider, Source};
use std::path::{Path, PathBuf};

/// The built-in settings: every key with its default, the file in the source tree.
pub const DEFAULTS: &str = include_str!("../../config/problemfirst.toml");

/// The prefix of the variables that set keys.
pub const ENV_PREFIX: &str = "PROBLEMFIRST_";
/// Between the sections of a key in a variable's name: `PROBLEMFIRST_DIGEST__CHANNEL`.
pub const ENV_SEPARATOR: &str = "__";
/// `PROBLEMFIRST_…` variables that are not keys.
const NOT_KEYS: &[&str] = &["CONFIG", "HEALTHCHECK_URL"];
/// Shorter names kept from before every key had a variable.
const ALIASES: &[(&str, &str)] = &[
    ("DATA", "data_dir"),
    ("LISTEN", "http.listen"),
    ("OPS_LISTEN", "ops.listen"),
    ("IDEA_CHANNELS", "slack.idea_channels"),
];

/// The keys whose values are lists: in a variable or a flag, their items are comma-separated
/// (`*` stands for any one section, such as a track's id).
const LISTS: &[&str] = &[
    "admins",
    "slack.idea_channels",
    "tracks.*.leads",
    "tracks.*.hints",
];

/// A value given on the command line, for the key `key`, as typed (a list comma-separated).
#[derive(Debug, Clone)]
pub struct Flag {
    /// As typed: `--listen`.
    pub flag: &'static str,
    pub key: &'static str,
    pub value: String,
}

impl Flag {
    pub fn new(flag: &'static str, key: &'static str, value: impl Into<String>) -> Flag {
        Flag {
            flag,
            key,
            value: value.into(),
        }
    }
}

/// Where the settings come from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The settings file and its text; none: the built-in defaults and the environment only.
    pub file: Option<(PathBuf, String)>,
    /// Every variable of the environment (only `PROBLEMFIRST_…` ones are read).
    pub env: Vec<(String, String)>,
    pub flags: Vec<Flag>,
}

/// One layer: a provider with a name that says where its values came from.
struct Layer {
    metadata: Metadata,
    dict: Dict,
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        self.metadata.clone()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}

const BUILT_IN: &str = "built-in";
const ENV: &str = "environment";
const FLAG: &str = "flag";

fn layer(name: impl Into<String>, source: Source, dict: Dict) -> Layer {
    Layer {
        metadata: Metadata::from(name.into(), source),
        dict,
    }
}

/// The layers merged, with the file's text kept to find lines in.
pub struct Merged {
    pub figment: Figment,
    file: Option<(PathBuf, String)>,
}

/// Parses TOML text into a dictionary; a syntax error names the line.
fn parse_toml(text: &str, origin: &Origin) -> Result<Dict, ConfigError> {
    toml::from_str::<Dict>(text).map_err(|e| ConfigError {
        origin: origin.clone(),
        line: e.span().map(|s| super::rules_file::line_of(text, s.start)),
        key: None,
        message: e.message().trim().to_string(),
    })
}

/// The key a variable sets, if it is one of ours.
fn env_key(name: &str) -> Option<String> {
    let rest = name.strip_prefix(ENV_PREFIX)?;
    if rest.is_empty() || NOT_KEYS.contains(&rest) {
        return None;
    }
    if let Some((_, key)) = ALIASES.iter().find(|(alias, _)| *alias == rest) {
        return Some((*key).to_string());
    }
    Some(
        rest.split(ENV_SEPARATOR)
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// A value as text (a variable's, a flag's) for `key`: a list's comma-separated items, or a
/// number, a boolean, or text.
fn text_value(key: &str, raw: &str) -> Value {
    let raw = raw.trim();
    let is_list = LISTS.iter().any(|pattern| {
        let mut parts = key.split('.');
        pattern
            .split('.')
            .all(|p| parts.next().is_some_and(|k| p == "*" || p == k))
            && parts.next().is_none()
    });
    if is_list {
        let items: Vec<Value> = raw
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| Value::from(item.to_string()))
            .collect();
        return Value::from(items);
    }
    match raw.parse::<Value>() {
        Ok(v @ (Value::Num(..) | Value::Bool(..))) => v,
        _ => Value::from(raw.to_string()),
    }
}

fn nested(key: &str, value: Value) -> Dict {
    match figment::util::nest(key, value) {
        Value::Dict(_, dict) => dict,
        // `nest` gives a dictionary for any non-empty key, which every key here is.
        _ => Dict::new(),
    }
}

impl Sources {
    /// One text setting as the layers give it, without reading the rest (`healthcheck`).
    pub fn text(&self, key: &str) -> Option<String> {
        self.merge().ok()?.figment.extract_inner(key).ok()
    }

    /// Merges the layers. The built-in tracks are a default as a whole: they count until a layer
    /// above names any track, and then only those it names (each over the built-in track of its
    /// id, if there is one).
    pub fn merge(&self) -> Result<Merged, ConfigError> {
        let mut upper = Figment::new();
        if let Some((path, text)) = &self.file {
            let dict = parse_toml(text, &Origin::File(path.clone()))?;
            upper = upper.merge(layer("file", Source::File(path.clone()), dict));
        }
        let mut vars: Vec<&(String, String)> = self.env.iter().collect();
        vars.sort();
        for (name, raw) in vars {
            if let Some(key) = env_key(name) {
                let dict = nested(&key, text_value(&key, raw));
                upper = upper.merge(layer(name.clone(), Source::Custom(ENV.into()), dict));
            }
        }
        for flag in &self.flags {
            let dict = nested(flag.key, text_value(flag.key, &flag.value));
            upper = upper.merge(layer(flag.flag, Source::Custom(FLAG.into()), dict));
        }

        let mut defaults = parse_toml(DEFAULTS, &Origin::BuiltIn)?;
        let built_in_tracks = match defaults.remove("tracks") {
            Some(Value::Dict(_, tracks)) => tracks,
            _ => Dict::new(),
        };
        let named: Option<Vec<String>> = match upper.find_value("tracks") {
            Ok(Value::Dict(_, tracks)) => Some(tracks.keys().cloned().collect()),
            Ok(_) => Some(Vec::new()),
            Err(_) => None,
        };
        let tracks: Dict = built_in_tracks
            .into_iter()
            .filter(|(id, _)| named.as_ref().is_none_or(|n| n.contains(id)))
            .collect();
        defaults.insert("tracks".into(), Value::from(tracks));
        let figment =
            Figment::from(layer(BUILT_IN, Source::Custom(BUILT_IN.into()), defaults)).merge(upper);
        Ok(Merged {
            figment,
            file: self.file.clone(),
        })
    }
}

impl Merged {
    /// The settings file merged, if any.
    pub fn file_path(&self) -> Option<&Path> {
        self.file.as_ref().map(|(path, _)| path.as_path())
    }

    /// Where the value at `key` (a dotted path) came from, and its line in the settings file;
    /// for a key that is not set, where its nearest enclosing section is.
    pub fn locate(&self, key: &str) -> (Origin, Option<usize>) {
        let mut path: Vec<&str> = key.split('.').filter(|k| !k.is_empty()).collect();
        let metadata = loop {
            if path.is_empty() {
                break None;
            }
            if let Some(m) = self.figment.find_metadata(&path.join(".")) {
                break Some(m);
            }
            path.pop();
        };
        match metadata {
            None => (Origin::BuiltIn, None),
            Some(m) => self.origin_of(m, key),
        }
    }

    fn origin_of(&self, m: &Metadata, key: &str) -> (Origin, Option<usize>) {
        match &m.source {
            Some(Source::File(path)) => {
                let line = self
                    .file
                    .as_ref()
                    .and_then(|(_, text)| line_in_file(text, key));
                (Origin::File(path.clone()), line)
            }
            Some(Source::Custom(kind)) if kind == ENV => (Origin::Env(m.name.to_string()), None),
            Some(Source::Custom(kind)) if kind == FLAG => (Origin::Flag(m.name.to_string()), None),
            _ => (Origin::BuiltIn, None),
        }
    }

    /// Where a value (by its tag) came from, for `config check`.
    fn origin_of_tag(&self, tag: Tag, key: &str) -> (Origin, Option<usize>) {
        match self.figment.get_metadata(tag) {
            Some(m) => self.origin_of(m, key),
            None => (Origin::BuiltIn, None),
        }
    }

    /// An error about `key`, placed where its value came from. An item of a list is named by
    /// the list's key (and found at its own line).
    pub fn error(&self, key: &str, message: impl Into<String>) -> ConfigError {
        let (origin, line) = self.locate(key);
        let named: Vec<&str> = key
            .split('.')
            .filter(|part| part.parse::<usize>().is_err())
            .collect();
        ConfigError {
            origin,
            line,
            key: Some(named.join(".")),
            message: message.into(),
        }
    }

    /// A figment error (a value of the wrong type, an unknown or missing key) as a config error.
    pub fn figment_error(&self, e: figment::Error) -> ConfigError {
        use figment::error::Kind;
        let mut path = e.path.clone();
        let message = match &e.kind {
            Kind::UnknownField(field, expected) => {
                // The path names the unknown key already.
                if path.last() != Some(field) {
                    path.push(field.clone());
                }
                let known = if expected.is_empty() {
                    String::new()
                } else {
                    format!("; known keys here: {}", expected.join(", "))
                };
                format!("unknown key `{field}`{known}")
            }
            Kind::MissingField(field) => {
                format!("missing key `{}`", path_with(&path, field))
            }
            other => other.to_string(),
        };
        self.error(&path.join("."), message)
    }

    /// The settings in effect, one per line as TOML, each with where it came from.
    pub fn report(&self) -> String {
        let mut out = String::new();
        if let Ok(data) = self.figment.data() {
            if let Some(dict) = data.get(&Profile::Default) {
                self.report_table(dict, &mut Vec::new(), &mut out);
            }
        }
        out
    }

    fn report_table(&self, dict: &Dict, path: &mut Vec<String>, out: &mut String) {
        let (tables, values): (Vec<_>, Vec<_>) =
            dict.iter().partition(|(_, v)| matches!(v, Value::Dict(..)));
        if !path.is_empty() && !values.is_empty() {
            out.push_str(&format!("\n[{}]\n", path.join(".")));
        }
        for (k, v) in values {
            path.push(k.clone());
            let key = path.join(".");
            let (origin, line) = self.origin_of_tag(v.tag(), &key);
            let shown = format!("{} = {}", toml_key(k), toml_value(v));
            let from = match line {
                Some(l) => format!("{origin}:{l}"),
                None => origin.to_string(),
            };
            out.push_str(&format!("{shown:<48} # {from}\n"));
            path.pop();
        }
        for (k, v) in tables {
            if let Value::Dict(_, inner) = v {
                path.push(k.clone());
                if inner.is_empty() {
                    out.push_str(&format!("\n[{}]\n", path.join(".")));
                }
                self.report_table(inner, path, out);
                path.pop();
            }
        }
    }
}

fn path_with(path: &[String], field: &str) -> String {
    let mut all = path.to_vec();
    all.push(field.to_string());
    all.join(".")
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        k.to_string()
    } else {
        toml::Value::String(k.to_string()).to_string()
    }
}

/// A value as TOML writes it inline.
fn toml_value(v: &Value) -> String {
    match toml::Value::try_from(v) {
        Ok(t) => t.to_string(),
        Err(_) => format!("{v:?}"),
    }
}

/// The line of `key` (a dotted path) in a settings file's text: its value's line, or the line
/// of the nearest table written for it.
fn line_in_file(text: &str, key: &str) -> Option<usize> {
    let doc = toml_edit::ImDocument::parse(text).ok()?;
    let mut item: &toml_edit::Item = doc.as_item();
    let mut best = None;
    for part in key.split('.') {
        if let (Some(array), Ok(index)) = (item.as_array(), part.parse::<usize>()) {
            // An item of a list: its own line.
            return array
                .get(index)
                .and_then(|v| v.span())
                .map(|span| super::rules_file::line_of(text, span.start))
                .or(best);
        }
        let table = item.as_table_like()?;
        let (k, next) = table.get_key_value(part)?;
        let span = next
            .as_table()
            .and_then(|t| t.span())
            .or_else(|| k.span())
            .or_else(|| next.span());
        if let Some(span) = span {
            best = Some(super::rules_file::line_of(text, span.start));
        }
        item = next;
    }
    best
}

/// The settings file for this run: `--config` as given (it must exist), else `problemfirst.toml`
/// in the current directory when there is one, else none.
pub fn find_file(given: Option<&Path>) -> Result<Option<(PathBuf, String)>, ConfigError> {
    let (path, must) = match given {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from(super::SETTINGS_FILE), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some((path, text))),
        Err(e) if !must && e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError {
            origin: Origin::File(path),
            line: None,
            key: None,
            message: format!("can't read the settings file: {e}"),
        }),
    }
}
