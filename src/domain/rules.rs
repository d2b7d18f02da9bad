//! The classifier's rules as data: what a rule file says (`RulesSpec`, read from the config file)
//! and the compiled form the classifier runs (`Rules`). Compiling checks everything once — every
//! pattern compiles, ids are unique, pairs and questions point at rules that exist — so a bad
//! rule stops start-up instead of misjudging pitches later.

use super::assessment::{Element, Side};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// Where in the pitch a rule may match.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    #[default]
    Anywhere,
    /// At the first word of any sentence.
    SentenceStart,
    /// At the first word of any clause ("Honestly, we should build…").
    ClauseStart,
    /// Anywhere in the sentence the pitch leads with.
    Leading,
    /// At the first word of the sentence the pitch leads with.
    LeadingStart,
}

/// What the classifier needs to know about a rule beyond its side and weight.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    Plain,
    /// A solution opener ("let's build", "we should use"): when it leads, the pitch is solution-first.
    Opener,
    /// A technology term; `{tech}` in other patterns expands to these tokens.
    Technology,
    /// The company itself as the one affected ("our company", "the business"): a weak actor.
    Company,
    /// A need phrased as something to do ("needs a way to", "is trying to"): it shows the problem
    /// element, but is not a pain a technology could be the subject of.
    Need,
}

/// One rule as written in the config file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Dotted id, side first: `P.actor`, `T.opener`, `V.buzzword`.
    pub id: String,
    pub side: Side,
    /// Which part of a problem statement a problem-side rule shows.
    #[serde(default)]
    pub element: Option<Element>,
    #[serde(default)]
    pub role: Role,
    #[serde(default = "one")]
    pub weight: f32,
    /// How many distinct phrases of this rule count.
    #[serde(default = "one_u")]
    pub cap: u32,
    #[serde(default)]
    pub scope: Scope,
    #[serde(default)]
    pub case_sensitive: bool,
    /// Phrases matched on word boundaries; they may use regex syntax.
    #[serde(default)]
    pub tokens: Vec<String>,
    /// Raw regexes, used as written.
    #[serde(default)]
    pub patterns: Vec<String>,
    /// A match does not count when one of these regexes matches the text from the match's start
    /// to the end of its sentence (so `^low-hanging` stops "low" in "low-hanging fruit").
    #[serde(default)]
    pub exceptions: Vec<String>,
    /// Whether a negation just before a match cancels it.
    #[serde(default = "yes")]
    pub negatable: bool,
    /// Count only in sentences that are questions.
    #[serde(default)]
    pub questions_only: bool,
    /// Shown in explanations; `%s` is the matched text.
    pub message: String,
}

fn one() -> f32 {
    1.0
}
fn one_u() -> u32 {
    1
}
fn yes() -> bool {
    true
}

/// A bonus when a rule of `first` and a rule of `second` hit in the same sentence (who + pain).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairSpec {
    pub id: String,
    pub first: Vec<String>,
    pub second: Vec<String>,
    pub bonus: f32,
    pub message: String,
}

/// A coaching question and when to ask it. The first question whose trigger fires is asked.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionSpec {
    /// A rule id, or one of `empty`, `not_english`, `has_problem`, `company_only`, `thin`,
    /// `missing_evidence`, `missing_impact`, `any`.
    pub trigger: String,
    /// Verdicts this question is for; empty means any.
    #[serde(default)]
    pub verdicts: Vec<super::assessment::Verdict>,
    /// May use `{match}`, `{actor}`, `{pain}`, `{tech}`, `{number}`, `{missing}`.
    pub text: String,
}

/// Modifiers that change a hit's weight, as word lists.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModifierSpec {
    pub negation_cues: Vec<String>,
    #[serde(default)]
    pub pseudo_negations: Vec<String>,
    pub negation_window: usize,
    pub contrast_cues: Vec<String>,
    pub before_contrast: f32,
    pub after_contrast: f32,
    pub question_tech: f32,
    pub tech_in_problem: f32,
    pub company_only: f32,
    pub reported_speech_cues: Vec<String>,
    pub reported_speech: f32,
    pub leading_opener: f32,
}

/// Thresholds of the verdict.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictSpec {
    pub problem_min: f32,
    pub problem_margin: f32,
    pub tech_min: f32,
    pub vague_factor: f32,
    pub opener_override_problem: f32,
    pub opener_override_margin: f32,
    pub thin_words: usize,
    pub max_chars: usize,
}

/// Words that tell English from other languages.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageSpec {
    pub english: Vec<String>,
    pub foreign: Vec<String>,
}

/// A track and the words that suggest it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackHints {
    pub id: String,
    pub name: String,
    pub hints: Vec<String>,
}

/// Remarks about the input itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteSpec {
    pub too_long: String,
    pub not_english: String,
    pub empty: String,
}

/// Everything the classifier reads from the config file.
#[derive(Debug, Clone, Serialize)]
pub struct RulesSpec {
    /// Named word lists that patterns use as `{name}`; `{tech}` is always every token of the
    /// technology rules.
    pub lexicon: std::collections::BTreeMap<String, Vec<String>>,
    pub verdict: VerdictSpec,
    pub modifiers: ModifierSpec,
    pub language: LanguageSpec,
    pub notes: NoteSpec,
    pub rules: Vec<RuleSpec>,
    pub pairs: Vec<PairSpec>,
    pub questions: Vec<QuestionSpec>,
    pub tracks: Vec<TrackHints>,
    pub default_track: String,
}

/// Why the rules did not compile. `id` names the rule (or list) at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{id}: {problem}")]
pub struct RuleError {
    pub id: String,
    pub problem: String,
}

impl RuleError {
    fn new(id: &str, problem: impl Into<String>) -> Self {
        RuleError {
            id: id.to_string(),
            problem: problem.into(),
        }
    }
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub spec: RuleSpec,
    pub regex: Regex,
    pub exceptions: Option<Regex>,
}

#[derive(Debug, Clone)]
pub struct Pair {
    pub spec: PairSpec,
    pub first: Vec<usize>,
    pub second: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Track {
    pub id: String,
    pub name: String,
    pub hints: Regex,
}

/// The compiled rules: build once at start-up, share everywhere.
#[derive(Debug, Clone)]
pub struct Rules {
    pub verdict: VerdictSpec,
    pub modifiers: ModifierSpec,
    pub notes: NoteSpec,
    pub rules: Vec<Rule>,
    /// Prefilter: which rules match at all, followed by the modifier cues in `cue_slots` order,
    /// so a cue that is not in the text costs no search of its own.
    pub set: RegexSet,
    /// Set indexes of the pseudo-negation, contrast and reported-speech cues, when configured.
    pub cue_slots: [Option<usize>; 3],
    pub pairs: Vec<Pair>,
    pub questions: Vec<QuestionSpec>,
    pub tracks: Vec<Track>,
    pub default_track: String,
    pub negation: Regex,
    pub pseudo_negation: Option<Regex>,
    pub contrast: Option<Regex>,
    pub reported_speech: Option<Regex>,
    /// Function words of English and of other languages, lower-case.
    pub english_words: HashSet<String>,
    pub foreign_words: HashSet<String>,
    pub number: Regex,
    /// Short hash of the rules, kept with every judgement.
    pub version: String,
}

const SPECIAL_TRIGGERS: [&str; 8] = [
    "empty",
    "not_english",
    "has_problem",
    "company_only",
    "thin",
    "missing_evidence",
    "missing_impact",
    "any",
];

/// Regex size limit per pattern: generous for word lists, small enough that a runaway pattern
/// in a config file is refused rather than eating memory.
const SIZE_LIMIT: usize = 8 << 20;

impl Rules {
    pub fn compile(spec: RulesSpec) -> Result<Rules, RuleError> {
        let mut seen = HashSet::new();
        for r in &spec.rules {
            if !seen.insert(r.id.as_str()) {
                return Err(RuleError::new(&r.id, "duplicate rule id"));
            }
        }
        for p in &spec.pairs {
            if !seen.insert(p.id.as_str()) {
                return Err(RuleError::new(&p.id, "duplicate rule id"));
            }
        }
        let tech_tokens: Vec<&str> = spec
            .rules
            .iter()
            .filter(|r| r.role == Role::Technology)
            .flat_map(|r| r.tokens.iter().map(String::as_str))
            .collect();
        let mut lists: Vec<(String, String)> = vec![(
            "{tech}".to_string(),
            format!("(?:{})", tech_tokens.join("|")),
        )];
        for (name, words) in &spec.lexicon {
            if name == "tech" || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                return Err(RuleError::new(
                    &format!("lexicon.{name}"),
                    "list names use lower-case letters and '_' (and 'tech' is reserved)",
                ));
            }
            if words.is_empty() {
                return Err(RuleError::new(
                    &format!("lexicon.{name}"),
                    "the list is empty",
                ));
            }
            lists.push((format!("{{{name}}}"), format!("(?:{})", words.join("|"))));
        }
        let expand = |source: &str, id: &str| -> Result<String, RuleError> {
            let mut out = source.to_string();
            for (placeholder, alt) in &lists {
                out = out.replace(placeholder, alt);
            }
            match unknown_placeholder(&out) {
                Some(name) => Err(RuleError::new(
                    id,
                    format!("uses {name}, which is not a list in [lexicon]"),
                )),
                None => Ok(out),
            }
        };

        let mut sources = Vec::with_capacity(spec.rules.len());
        let mut exception_sources = Vec::with_capacity(spec.rules.len());
        for r in &spec.rules {
            check_rule(r)?;
            sources.push(expand(&rule_source(r), &r.id)?);
            exception_sources.push(if r.exceptions.is_empty() {
                None
            } else {
                Some(expand(&format!("(?:{})", r.exceptions.join("|")), &r.id)?)
            });
        }
        // The prefilter set and the per-rule regexes compile the same patterns; building them
        // side by side halves start-up time on a machine with two cores.
        let m = &spec.modifiers;
        let cue_lists = [
            &m.pseudo_negations,
            &m.contrast_cues,
            &m.reported_speech_cues,
        ];
        let mut cue_slots = [None; 3];
        let mut set_sources: Vec<String> = sources.iter().map(|s| ascii_classes(s)).collect();
        for (slot, words) in cue_slots.iter_mut().zip(cue_lists) {
            if !words.is_empty() {
                *slot = Some(set_sources.len());
                set_sources.push(format!("(?i:{})", ascii_classes(&word_alternation(words))));
            }
        }
        let (set, rules) = std::thread::scope(|scope| {
            let set = scope.spawn(|| {
                let builder = |unicode: bool| {
                    RegexSetBuilder::new(&set_sources)
                        .unicode(unicode)
                        .size_limit(SIZE_LIMIT * 4)
                        .dfa_size_limit(SIZE_LIMIT * 4)
                        .build()
                };
                builder(false).or_else(|_| builder(true))
            });
            let rules: Result<Vec<Rule>, RuleError> = spec
                .rules
                .iter()
                .zip(&sources)
                .zip(&exception_sources)
                .map(|((r, source), exceptions)| {
                    let regex =
                        build(source, r.case_sensitive).map_err(|e| RuleError::new(&r.id, e))?;
                    let exceptions = match exceptions {
                        None => None,
                        Some(alt) => Some(build(alt, false).map_err(|e| {
                            RuleError::new(&r.id, format!("exception does not compile: {e}"))
                        })?),
                    };
                    Ok(Rule {
                        spec: r.clone(),
                        regex,
                        exceptions,
                    })
                })
                .collect();
            (set.join(), rules)
        });
        let rules = rules?;
        let set = match set {
            Ok(Ok(set)) => set,
            Ok(Err(e)) => {
                return Err(RuleError::new(
                    "rules",
                    format!("rule set does not compile: {e}"),
                ))
            }
            Err(_) => return Err(RuleError::new("rules", "rule set compilation failed")),
        };

        let index = |id: &str, owner: &str| {
            spec.rules
                .iter()
                .position(|r| r.id == id)
                .ok_or_else(|| RuleError::new(owner, format!("refers to unknown rule '{id}'")))
        };
        let mut pairs = Vec::new();
        for p in &spec.pairs {
            let ids = |list: &[String]| -> Result<Vec<usize>, RuleError> {
                if list.is_empty() {
                    return Err(RuleError::new(&p.id, "a pair needs rules on both sides"));
                }
                list.iter().map(|id| index(id, &p.id)).collect()
            };
            pairs.push(Pair {
                first: ids(&p.first)?,
                second: ids(&p.second)?,
                spec: p.clone(),
            });
        }
        for q in &spec.questions {
            if !SPECIAL_TRIGGERS.contains(&q.trigger.as_str()) {
                index(&q.trigger, &format!("question '{}'", q.trigger))?;
            }
        }
        if spec.questions.is_empty() {
            return Err(RuleError::new(
                "question",
                "at least one question is needed",
            ));
        }
        let mut tracks = Vec::new();
        let mut track_ids = HashSet::new();
        for t in &spec.tracks {
            let name = format!("track '{}'", t.id);
            if !track_ids.insert(t.id.as_str()) {
                return Err(RuleError::new(&name, "duplicate track id"));
            }
            if !valid_id(&t.id) {
                return Err(RuleError::new(
                    &name,
                    "track ids use lower-case letters, digits, '-' and '_'",
                ));
            }
            let hints = build(&word_alternation(&t.hints), false)
                .map_err(|e| RuleError::new(&format!("track '{}'", t.id), e))?;
            tracks.push(Track {
                id: t.id.clone(),
                name: t.name.clone(),
                hints,
            });
        }
        if !track_ids.contains(spec.default_track.as_str()) {
            return Err(RuleError::new(
                "default_track",
                format!("'{}' is not one of the tracks", spec.default_track),
            ));
        }
        let m = &spec.modifiers;
        let list = |name: &str, words: &[String]| -> Result<Option<Regex>, RuleError> {
            if words.is_empty() {
                return Ok(None);
            }
            build(&word_alternation(words), false)
                .map(Some)
                .map_err(|e| RuleError::new(name, e))
        };
        let negation = list("modifiers.negation_cues", &m.negation_cues)?
            .ok_or_else(|| RuleError::new("modifiers.negation_cues", "needs at least one cue"))?;
        let words = |name: &str, list: &[String]| -> Result<HashSet<String>, RuleError> {
            if list.is_empty() {
                return Err(RuleError::new(name, "needs at least one word"));
            }
            Ok(list.iter().map(|w| w.trim().to_lowercase()).collect())
        };
        let english_words = words("language.english", &spec.language.english)?;
        let foreign_words = words("language.foreign", &spec.language.foreign)?;
        let version = version_of(&spec);
        Ok(Rules {
            cue_slots,
            pseudo_negation: list("modifiers.pseudo_negations", &m.pseudo_negations)?,
            contrast: list("modifiers.contrast_cues", &m.contrast_cues)?,
            reported_speech: list("modifiers.reported_speech_cues", &m.reported_speech_cues)?,
            negation,
            english_words,
            foreign_words,
            number: build(r"(?-u:\b)\d+(?:[.,]\d+)?(?-u:\b)", false)
                .map_err(|e| RuleError::new("number", e))?,
            verdict: spec.verdict,
            modifiers: spec.modifiers,
            notes: spec.notes,
            rules,
            set,
            pairs,
            questions: spec.questions,
            tracks,
            default_track: spec.default_track,
            version,
        })
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.spec.id == id)
    }

    pub fn track_name(&self, id: &str) -> Option<&str> {
        self.tracks
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.name.as_str())
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn check_rule(r: &RuleSpec) -> Result<(), RuleError> {
    let side_prefix = match r.side {
        Side::Problem => "P.",
        Side::Tech => "T.",
        Side::Vague => "V.",
    };
    if !r.id.starts_with(side_prefix) || r.id.len() <= 2 {
        return Err(RuleError::new(
            &r.id,
            format!(
                "a {} rule's id starts with '{side_prefix}'",
                r.side.as_str()
            ),
        ));
    }
    if r.tokens.is_empty() && r.patterns.is_empty() {
        return Err(RuleError::new(&r.id, "needs tokens or patterns"));
    }
    if !(r.weight.is_finite() && (0.0..=10.0).contains(&r.weight)) {
        return Err(RuleError::new(&r.id, "weight must be between 0 and 10"));
    }
    if r.cap == 0 {
        return Err(RuleError::new(&r.id, "cap must be at least 1"));
    }
    if r.element.is_some() && r.side != Side::Problem {
        return Err(RuleError::new(&r.id, "only problem rules name an element"));
    }
    if r.tokens.iter().chain(&r.patterns).any(|t| t.is_empty()) {
        return Err(RuleError::new(&r.id, "has an empty token or pattern"));
    }
    Ok(())
}

/// Tokens are matched on ASCII word boundaries, which keeps the regex engine on its fast path.
fn word_alternation(tokens: &[String]) -> String {
    format!(r"(?-u:\b)(?:{})(?-u:\b)", tokens.join("|"))
}

/// A `{name}` left in a pattern after the lists were put in (regex repetitions are digits).
fn unknown_placeholder(source: &str) -> Option<String> {
    let mut rest = source;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let name_len = after
            .bytes()
            .take_while(|b| b.is_ascii_alphabetic() || *b == b'_')
            .count();
        if name_len > 0 && after.as_bytes().get(name_len) == Some(&b'}') {
            return Some(format!("{{{}}}", &after[..name_len]));
        }
        rest = after;
    }
    None
}

fn rule_source(r: &RuleSpec) -> String {
    let mut parts = Vec::new();
    if !r.tokens.is_empty() {
        parts.push(word_alternation(&r.tokens));
    }
    parts.extend(r.patterns.iter().cloned());
    let joined = parts
        .iter()
        .map(|p| format!("(?:{p})"))
        .collect::<Vec<_>>()
        .join("|");
    if r.case_sensitive {
        joined
    } else {
        format!("(?i:{joined})")
    }
}

/// `\w` and `\d` as ASCII classes. Rules are about English words; Unicode's word class makes
/// every automaton many times larger and slower to build and run.
fn ascii_classes(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 32);
    let mut depth = 0usize;
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('w') if depth == 0 => out.push_str("[[:word:]]"),
                Some('w') => out.push_str("[:word:]"),
                Some('d') if depth == 0 => out.push_str("[0-9]"),
                Some('d') => out.push_str("0-9"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' => {
                depth += 1;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal, not the end of the class.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if depth > 0 => {
                depth -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn build(source: &str, case_sensitive: bool) -> Result<Regex, String> {
    let source = ascii_classes(source);
    let builder = |unicode: bool| {
        RegexBuilder::new(&source)
            .case_insensitive(!case_sensitive)
            .unicode(unicode)
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(SIZE_LIMIT)
            .build()
    };
    // ASCII first; a pattern that needs Unicode (a negated class, `.`) gets it.
    builder(false)
        .or_else(|_| builder(true))
        .map_err(|e| match e {
            regex::Error::Syntax(s) => format!("pattern does not compile: {s}"),
            regex::Error::CompiledTooBig(n) => {
                format!("pattern is too large (over {n} bytes compiled)")
            }
            other => format!("pattern does not compile: {other}"),
        })
}

fn version_of(spec: &RulesSpec) -> String {
    let canonical = serde_json::to_vec(spec).unwrap_or_default();
    let digest = Sha256::digest(&canonical);
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}
