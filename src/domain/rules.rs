//! The classifier's rules as data: what a rule file says (`RulesSpec`, read from the config file)
//! and the compiled form the classifier runs (`Rules`). Compiling checks everything once — every
//! pattern compiles, ids are unique, pairs and questions point at rules that exist — so a bad
//! rule stops start-up instead of misjudging pitches later.

use super::assessment::{Element, Side};
use super::openings::{Openings, Pattern};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// How much of a pitch is read, and when it is thin.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictSpec {
    /// Under this many words a pitch is thin: the question asks for more.
    pub thin_words: usize,
    /// Only this many characters are read.
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
    /// The id was used before: the error is about its second appearance.
    pub duplicate: bool,
}

impl RuleError {
    fn new(id: &str, problem: impl Into<String>) -> Self {
        RuleError {
            id: id.to_string(),
            problem: problem.into(),
            duplicate: false,
        }
    }

    fn duplicate(id: &str, problem: &str) -> Self {
        RuleError {
            duplicate: true,
            ..RuleError::new(id, problem)
        }
    }
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub spec: RuleSpec,
    pub pattern: Pattern,
    pub exceptions: Option<Pattern>,
}

impl Rule {
    /// What a phrase this rule matched is, in an explanation: its message without the quoted
    /// phrase ("names who is affected").
    pub fn describes(&self) -> String {
        self.spec
            .message
            .replace(": '%s'", "")
            .replace("'%s'", "")
            .trim()
            .to_string()
    }
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
    pub hints: Pattern,
}

/// The compiled rules: build once at start-up, share everywhere.
#[derive(Debug, Clone)]
pub struct Rules {
    pub verdict: VerdictSpec,
    pub modifiers: ModifierSpec,
    pub notes: NoteSpec,
    pub rules: Vec<Rule>,
    /// Where the matches of the rules, the modifier cues and the track hints may start, found
    /// for all of them in one pass.
    pub openings: Openings,
    pub pairs: Vec<Pair>,
    pub questions: Vec<QuestionSpec>,
    /// For each question, the index of the rule that triggers it, if a rule does.
    pub question_rules: Vec<Option<usize>>,
    pub tracks: Vec<Track>,
    pub default_track: String,
    pub negation: Pattern,
    pub pseudo_negation: Option<Pattern>,
    pub contrast: Option<Pattern>,
    pub reported_speech: Option<Pattern>,
    /// Function words of English and of other languages, lower-case.
    pub english_words: HashSet<String>,
    pub foreign_words: HashSet<String>,
    /// Both lists in one table for the language check, which looks up every word of a pitch.
    pub words: WordTable,
    pub number: Pattern,
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
                return Err(RuleError::duplicate(&r.id, "duplicate rule id"));
            }
        }
        for p in &spec.pairs {
            if !seen.insert(p.id.as_str()) {
                return Err(RuleError::duplicate(&p.id, "duplicate rule id"));
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
        let m = &spec.modifiers;
        let cue_lists = [
            &m.pseudo_negations,
            &m.contrast_cues,
            &m.reported_speech_cues,
        ];

        // Every regex, as jobs, compiled side by side. Mistakes are reported further down, in
        // the order the checks read.
        let mut jobs: Vec<Job> = Vec::new();
        let mut job = |source: String, case_sensitive: bool| {
            jobs.push(Job {
                source,
                case_sensitive,
            });
            jobs.len() - 1
        };
        let rule_jobs: Vec<(usize, Option<usize>)> = spec
            .rules
            .iter()
            .zip(&sources)
            .zip(exception_sources)
            .map(|((r, source), exceptions)| {
                (
                    job(source.clone(), r.case_sensitive),
                    exceptions.map(|e| job(e, false)),
                )
            })
            .collect();
        let track_jobs: Vec<usize> = spec
            .tracks
            .iter()
            .map(|t| job(word_alternation(&t.hints), false))
            .collect();
        let number_job = job(r"(?-u:\b)\d+(?:[.,]\d+)?(?-u:\b)".to_string(), false);
        let mut list_job =
            |words: &[String]| (!words.is_empty()).then(|| job(word_alternation(words), false));
        let negation_job = list_job(&m.negation_cues);
        let cue_jobs = cue_lists.map(|words| list_job(words));
        let mut compiled = compile_all(&jobs);
        let mut take = |j: usize| {
            compiled
                .get_mut(j)
                .and_then(Option::take)
                .unwrap_or_else(|| Err("pattern was not compiled".to_string()))
        };

        let mut rules = Vec::with_capacity(spec.rules.len());
        for (r, &(regex, exceptions)) in spec.rules.iter().zip(&rule_jobs) {
            let pattern = take(regex).map_err(|e| RuleError::new(&r.id, e))?;
            let exceptions = match exceptions {
                None => None,
                Some(j) => Some(take(j).map_err(|e| {
                    RuleError::new(&r.id, format!("exception does not compile: {e}"))
                })?),
            };
            rules.push(Rule {
                spec: r.clone(),
                pattern,
                exceptions,
            });
        }

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
        let mut question_rules = Vec::with_capacity(spec.questions.len());
        for q in &spec.questions {
            question_rules.push(if SPECIAL_TRIGGERS.contains(&q.trigger.as_str()) {
                None
            } else {
                Some(index(&q.trigger, &format!("question '{}'", q.trigger))?)
            });
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
                return Err(RuleError::duplicate(&name, "duplicate track id"));
            }
            if !valid_id(&t.id) {
                return Err(RuleError::new(
                    &name,
                    "track ids use lower-case letters, digits, '-' and '_'",
                ));
            }
            let hints = take(track_jobs[tracks.len()])
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
        let mut list = |name: &str, job: Option<usize>| -> Result<Option<Pattern>, RuleError> {
            job.map(|j| take(j).map_err(|e| RuleError::new(name, e)))
                .transpose()
        };
        let mut negation = list("modifiers.negation_cues", negation_job)?
            .ok_or_else(|| RuleError::new("modifiers.negation_cues", "needs at least one cue"))?;
        let words = |name: &str, list: &[String]| -> Result<HashSet<String>, RuleError> {
            if list.is_empty() {
                return Err(RuleError::new(name, "needs at least one word"));
            }
            Ok(list.iter().map(|w| w.trim().to_lowercase()).collect())
        };
        let english_words = words("language.english", &spec.language.english)?;
        let foreign_words = words("language.foreign", &spec.language.foreign)?;
        let words = WordTable::new(&english_words, &foreign_words);
        let [pseudo_job, contrast_job, reported_job] = cue_jobs;
        let mut pseudo_negation = list("modifiers.pseudo_negations", pseudo_job)?;
        let mut contrast = list("modifiers.contrast_cues", contrast_job)?;
        let mut reported_speech = list("modifiers.reported_speech_cues", reported_job)?;
        let number = take(number_job).map_err(|e| RuleError::new("number", e))?;
        let version = version_of(&spec);
        let openings = Openings::new(
            rules
                .iter_mut()
                .map(|r| &mut r.pattern)
                .chain([&mut negation])
                .chain(pseudo_negation.as_mut())
                .chain(contrast.as_mut())
                .chain(reported_speech.as_mut())
                .chain(tracks.iter_mut().map(|t| &mut t.hints)),
        );
        Ok(Rules {
            pseudo_negation,
            contrast,
            reported_speech,
            negation,
            english_words,
            foreign_words,
            words,
            number,
            verdict: spec.verdict,
            modifiers: spec.modifiers,
            notes: spec.notes,
            rules,
            openings,
            pairs,
            questions: spec.questions,
            question_rules,
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

/// Which list of function words a word is on; English wins for a word on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    Foreign,
}

/// The language check's word lists as one open-addressing table keyed by the lower-cased word.
/// Every word of every pitch is looked up, so it hashes with one multiplication per byte instead
/// of SipHash. The table is built once and kept at most a quarter full, so a lookup, whatever the
/// pitch, probes no further than the longest run of filled slots the config produced.
#[derive(Debug, Clone)]
pub struct WordTable {
    /// Index + 1 into `words`, 0 for an empty slot; the length is a power of two.
    slots: Vec<u32>,
    words: Vec<(Box<[u8]>, Language)>,
    /// `slots.len() == 1 << bits`.
    bits: u32,
    /// The longest word in bytes: anything longer is on neither list.
    longest: usize,
}

impl WordTable {
    fn new(english: &HashSet<String>, foreign: &HashSet<String>) -> WordTable {
        let mut words: Vec<(Box<[u8]>, Language)> = english
            .iter()
            .map(|w| (w.as_bytes().into(), Language::English))
            .chain(
                foreign
                    .iter()
                    .filter(|w| !english.contains(*w))
                    .map(|w| (w.as_bytes().into(), Language::Foreign)),
            )
            .collect();
        // A fixed order, so the table is the same on every start.
        words.sort_by(|a, b| a.0.cmp(&b.0));
        let bits = (words.len() * 4)
            .next_power_of_two()
            .trailing_zeros()
            .max(4);
        let mut slots = vec![0u32; 1 << bits];
        let mask = slots.len() - 1;
        for (i, (w, _)) in words.iter().enumerate() {
            let mut at = slot_of(w, bits);
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = (i + 1) as u32;
        }
        let longest = words.iter().map(|(w, _)| w.len()).max().unwrap_or(0);
        WordTable {
            slots,
            words,
            bits,
            longest,
        }
    }

    /// The list a lower-cased word is on.
    pub fn get(&self, word: &[u8]) -> Option<Language> {
        self.find(word, |stored| stored == word)
    }

    /// The list an ASCII word is on, whatever its case: [`get`](Self::get) of the word
    /// lower-cased, without making the lower-case copy. The stored words are lower case, so
    /// comparing without regard to ASCII case is comparing with the lower-cased word.
    pub fn get_ascii(&self, word: &[u8]) -> Option<Language> {
        self.find(word, |stored| stored.eq_ignore_ascii_case(word))
    }

    fn find(&self, word: &[u8], same: impl Fn(&[u8]) -> bool) -> Option<Language> {
        if word.len() > self.longest {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = slot_of(word, self.bits);
        // The table is never full: an empty slot ends every probe.
        loop {
            let (stored, language) = self.words.get((self.slots[at] as usize).checked_sub(1)?)?;
            if same(stored) {
                return Some(*language);
            }
            at = (at + 1) & mask;
        }
    }
}

/// Multiplicative hash of a short word, reduced to `bits` bits (the high ones, which mix best).
/// ASCII letters hash as their lower case, so that a word can be looked up as it is written.
fn slot_of(word: &[u8], bits: u32) -> usize {
    let mut h: u64 = 0;
    for &b in word {
        h = (h.rotate_left(5) ^ u64::from(b.to_ascii_lowercase()))
            .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    (h >> (64 - bits)) as usize
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

/// A regex to compile: a rule's pattern or exceptions, a modifier cue list, a track's hints, the
/// number pattern.
struct Job {
    source: String,
    case_sensitive: bool,
}

/// Each job's result, or the message [`build`] gave; `None` only for a job no thread took.
type Compiled = Vec<Option<Result<Pattern, String>>>;

/// Every job compiled with [`build`], on two threads, each taking the next job left when it is
/// free. Jobs go longest first, so neither thread is left with a long one at the end.
fn compile_all(jobs: &[Job]) -> Compiled {
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&j| std::cmp::Reverse(jobs[j].source.len()));
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        while let Some(&j) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            done.push((j, build(&jobs[j])));
        }
        done
    };
    let done = std::thread::scope(|scope| {
        let helper = scope.spawn(work);
        let mut done = work();
        // A helper that died leaves its jobs uncompiled: they are reported as such.
        if let Ok(theirs) = helper.join() {
            done.extend(theirs);
        }
        done
    });
    let mut compiled: Compiled = (0..jobs.len()).map(|_| None).collect();
    for (j, result) in done {
        compiled[j] = Some(result);
    }
    compiled
}

fn build(job: &Job) -> Result<Pattern, String> {
    let source = ascii_classes(&job.source);
    // ASCII first; a pattern that needs Unicode (a negated class, `.`) gets it.
    Pattern::compile(&source, job.case_sensitive, false, SIZE_LIMIT)
        .or_else(|_| Pattern::compile(&source, job.case_sensitive, true, SIZE_LIMIT))
}

fn version_of(spec: &RulesSpec) -> String {
    let canonical = serde_json::to_vec(spec).unwrap_or_default();
    let digest = Sha256::digest(&canonical);
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}
