//! What the model reads in a pitch: the rules' hits, broad word classes (WordNet), the pitch's
//! shape (an imperative opener, a wish, a question, "as a <role>", "how might we", numbers with
//! units), its opening words, and its words and word pairs for the long tail. Each feature is a
//! hashed name with a value and, where it has one, the span of the normalised text it came from,
//! so a verdict can name the phrases that moved it.
//!
//! Features come in blocks; each block's values are scaled to unit length and then by the block's
//! weight, so a long pitch does not outweigh a short one and no block drowns the others.

use super::lexicon::{Lexicon, Part, CLASS_NAMES};

/// Which block a feature belongs to; also what an explanation says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A word (or a number) anywhere.
    Word,
    /// Two words in a row.
    Pair,
    /// A word's ending or beginning ("-ers", "-ing", "auto-").
    Affix,
    /// A rule hit, by the rule's index.
    Rule(u16),
    /// A WordNet class.
    Class(u8),
    /// A structure cue.
    Cue(Cue),
    /// One of the first words of the opening sentence.
    Opening,
}

impl Kind {
    fn block(self) -> usize {
        match self {
            Kind::Word | Kind::Pair => 0,
            Kind::Affix => 1,
            Kind::Rule(_) => 2,
            Kind::Class(_) => 3,
            Kind::Cue(_) => 4,
            Kind::Opening => 5,
        }
    }
}

/// The blocks' weights: words and pairs; affixes; rules; classes; cues; opening words. Part of the
/// feature set a model is trained on ([`FEATURE_SET`]).
const BLOCK_WEIGHTS: [f32; 6] = [1.0, 0.5, 0.5, 0.5, 0.5, 0.5];

/// The feature set's name, kept in a model file: a model trained on other features is refused.
pub const FEATURE_SET: &str = "pf-2";

/// Structure cues: the shape of a pitch rather than its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cue {
    /// The pitch opens with a verb's base form ("Reorganise the…", "Update the form").
    VerbOpener,
    /// …followed by its object: an imperative ("Move the printer…").
    Imperative,
    /// The opening sentence has no verb a reader can see: a noun phrase naming a thing.
    Verbless,
    Question,
    /// "As a <role>, I…"
    UserStory,
    /// "How might we…"
    HowMightWe,
    /// "…so that…", "so they can…"
    SoThat,
    /// "I'd like…", "It would be nice to have…", "Please add…"
    Wish,
    /// A number with a unit: "40 minutes", "30%", "$5".
    Measure,
    Digit,
    /// "because", "since", "due to", "as a result".
    Because,
    /// The writer speaks for themselves or their group.
    FirstPerson,
    /// The writer says "I".
    Myself,
    Please,
    /// How many sentences (0 = one … 3 = four or more).
    Sentences(u8),
    /// How many words, in bins.
    Length(u8),
    /// The first word, when it is a function word ("we", "how", "can").
    FirstWord,
    /// A WordNet class of the first word.
    FirstClass(u8),
}

/// One feature: its hashed name, its value (after scaling), and the span (in the normalised text)
/// it came from, if any.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Feature {
    pub key: u64,
    pub value: f32,
    pub kind: Kind,
    pub span: Option<(usize, usize)>,
}

/// FNV-1a, 64 bits: stable across builds and platforms, so model files stay valid.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(mut self, b: &[u8]) -> Self {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self
    }
    fn str(self, s: &str) -> Self {
        self.bytes(s.as_bytes()).bytes(&[0xff])
    }
}

/// The hashed name of a feature, for tests and tools: `key_of("w", &["nurse"])`.
pub fn key_of(prefix: &str, parts: &[&str]) -> u64 {
    parts.iter().fold(Fnv::new().str(prefix), |h, p| h.str(p)).0
}

/// A word of the pitch: lower-case ASCII letters and digits (with an inner apostrophe).
#[derive(Debug, Clone)]
struct Token {
    text: String,
    start: usize,
    end: usize,
}

fn tokens(text: &str) -> Vec<Token> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(text.len() / 5);
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        // One apostrophe followed by letters stays in the word: "can't", "i'd", "team's".
        if i + 1 < b.len() && b[i] == b'\'' && b[i + 1].is_ascii_alphabetic() {
            i += 1;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
        }
        out.push(Token {
            text: text[start..i].to_ascii_lowercase(),
            start,
            end: i,
        });
    }
    out
}

const AUXILIARIES: &[&str] = &[
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "do",
    "does",
    "did",
    "need",
    "needs",
    "want",
    "wants",
    "wanted",
    "seems",
    "seem",
    "get",
    "gets",
    "got",
    "keep",
    "keeps",
    "go",
    "goes",
    "went",
    "can't",
    "couldn't",
    "won't",
    "wouldn't",
    "don't",
    "doesn't",
    "didn't",
    "isn't",
    "aren't",
    "wasn't",
    "weren't",
    "hasn't",
    "haven't",
    "shouldn't",
    "it's",
    "that's",
    "there's",
    "i'm",
    "we're",
    "they're",
    "i've",
    "we've",
];
const MODALS: &[&str] = &[
    "can", "could", "will", "would", "should", "must", "may", "might", "shall", "cannot",
];
const PRONOUNS: &[&str] = &[
    "i", "we", "you", "they", "he", "she", "it", "people", "someone", "everyone", "nobody",
];
const DETERMINERS: &[&str] = &[
    "the", "a", "an", "our", "my", "your", "their", "this", "these", "that", "those", "all",
    "every", "each", "some", "more", "new", "any", "his", "her", "its",
];
/// Words too common to carry a WordNet class worth counting.
const FUNCTION_WORDS: &[&str] = &[
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "at", "by", "from", "as",
    "is", "are", "was", "were", "be", "been", "it", "this", "that", "these", "those", "i", "we",
    "you", "they", "he", "she", "my", "our", "your", "their", "his", "her", "its", "me", "us",
    "them", "not", "no", "so", "but", "if", "then", "than", "there", "here",
];
/// First words worth a feature of their own.
const OPENERS: &[&str] = &[
    "please", "let", "lets", "let's", "how", "why", "what", "when", "as", "can", "could", "should",
    "would", "if", "there", "i'd", "we", "i", "our", "my", "the", "a", "an", "it", "this", "is",
    "are", "do", "does", "have", "need", "add", "make", "no",
];
const UNITS: &[&str] = &[
    "percent", "minute", "minutes", "min", "mins", "hour", "hours", "hr", "hrs", "day", "days",
    "week", "weeks", "month", "months", "year", "years", "second", "seconds", "km", "mile",
    "miles", "meter", "meters", "metres", "eur", "euros", "dollars", "usd", "people", "times",
];

fn is(list: &[&str], w: &str) -> bool {
    list.contains(&w)
}

/// Builds the features of one pitch.
pub struct Reader<'a> {
    pub lexicon: &'a Lexicon,
}

/// A rule hit as the reader needs it: the rule's index and id, and its span.
pub struct RuleHit<'a> {
    pub index: u16,
    pub id: &'a str,
    pub start: usize,
    pub end: usize,
}

impl Reader<'_> {
    /// The features of a normalised pitch; `first_sentence` is the span of its opening sentence
    /// and `sentences` how many it has.
    pub fn read(
        &self,
        text: &str,
        first_sentence: (usize, usize),
        sentences: usize,
        hits: &[RuleHit],
    ) -> Vec<Feature> {
        let toks = tokens(text);
        let mut out: Vec<Feature> = Vec::with_capacity(toks.len() * 3 + 32);
        let mut push = |kind: Kind, key: u64, value: f32, span: Option<(usize, usize)>| {
            out.push(Feature {
                key,
                value,
                kind,
                span,
            })
        };
        // Words and pairs; numbers are one word.
        fn word(t: &Token) -> &str {
            if t.text.bytes().all(|b| b.is_ascii_digit()) {
                "<num>"
            } else {
                &t.text
            }
        }
        let w = Fnv::new().str("w");
        let p = Fnv::new().str("b");
        let mut prev: Option<&Token> = None;
        for t in &toks {
            push(Kind::Word, w.str(word(t)).0, 1.0, Some((t.start, t.end)));
            let (a, start) = prev.map_or(("<s>", t.start), |x| (word(x), x.start));
            push(
                Kind::Pair,
                p.str(a).str(word(t)).0,
                1.0,
                Some((start, t.end)),
            );
            prev = Some(t);
        }
        if let Some(last) = prev {
            push(
                Kind::Pair,
                p.str(word(last)).str("</s>").0,
                1.0,
                Some((last.start, last.end)),
            );
        }
        // Endings and beginnings of longer words.
        for t in toks
            .iter()
            .filter(|t| t.text.len() >= 5 && t.text.is_ascii())
        {
            let s = t.text.as_str();
            let span = Some((t.start, t.end));
            push(
                Kind::Affix,
                Fnv::new().str("s3").str(&s[s.len() - 3..]).0,
                1.0,
                span,
            );
            push(
                Kind::Affix,
                Fnv::new().str("s2").str(&s[s.len() - 2..]).0,
                1.0,
                span,
            );
            push(Kind::Affix, Fnv::new().str("p4").str(&s[..4]).0, 1.0, span);
        }
        // Rule hits, once per rule.
        for h in hits {
            push(
                Kind::Rule(h.index),
                Fnv::new().str("r").str(h.id).0,
                1.0,
                Some((h.start, h.end)),
            );
        }
        // WordNet classes: a word counts once, shared among its parts of speech.
        let mut classes = [0f32; CLASS_NAMES.len()];
        let mut class_span: [Option<(usize, usize)>; CLASS_NAMES.len()] = [None; CLASS_NAMES.len()];
        for t in &toks {
            if is(FUNCTION_WORDS, &t.text) || t.text.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if let Some(e) = self.lexicon.lookup(&t.text) {
                let n = e.classes().count() as f32;
                for c in e.classes() {
                    classes[usize::from(c)] += 1.0 / n;
                    class_span[usize::from(c)].get_or_insert((t.start, t.end));
                }
            }
        }
        for (c, &count) in classes.iter().enumerate() {
            if count > 0.0 {
                push(
                    Kind::Class(c as u8),
                    Fnv::new().str("wn").str(CLASS_NAMES[c]).0,
                    count.ln_1p(),
                    class_span[c],
                );
            }
        }
        // Structure.
        self.cues(text, &toks, first_sentence, sentences, &mut push);
        // The opening words.
        let opening: Vec<&Token> = toks
            .iter()
            .filter(|t| t.start >= first_sentence.0 && t.end <= first_sentence.1)
            .take(6)
            .collect();
        for t in opening {
            push(
                Kind::Opening,
                Fnv::new().str("f").str(&t.text).0,
                1.0,
                Some((t.start, t.end)),
            );
        }
        finish(out)
    }

    fn cues(
        &self,
        text: &str,
        toks: &[Token],
        first_sentence: (usize, usize),
        sentences: usize,
        push: &mut impl FnMut(Kind, u64, f32, Option<(usize, usize)>),
    ) {
        let mut cue = |c: Cue, name: &str, span: Option<(usize, usize)>| {
            push(Kind::Cue(c), Fnv::new().str("s").str(name).0, 1.0, span)
        };
        let n = toks.len();
        let bin = |k: usize| -> &'static str { ["0", "1", "2", "3", "4"][k.min(4)] };
        cue(
            Cue::Sentences(sentences.clamp(1, 4) as u8 - 1),
            &format!("nsent{}", bin(sentences.clamp(1, 4))),
            None,
        );
        let len_bin = match n {
            0..=4 => 0,
            5..=9 => 1,
            10..=19 => 2,
            20..=39 => 3,
            _ => 4,
        };
        cue(Cue::Length(len_bin), &format!("len{len_bin}"), None);
        let first: Vec<&Token> = toks
            .iter()
            .filter(|t| t.start >= first_sentence.0 && t.end <= first_sentence.1)
            .collect();
        if let Some(w0) = first.first() {
            let span0 = Some((w0.start, w0.end));
            let w1 = first.get(1).map_or("</s>", |t| t.text.as_str());
            let own = self.lexicon.exact(&w0.text);
            let aux = |w: &str| is(AUXILIARIES, w) || is(MODALS, w);
            if own.is_some_and(|e| e.is_base_verb()) && !aux(&w0.text) {
                cue(Cue::VerbOpener, "first_verb_base", span0);
                let object = is(DETERMINERS, w1)
                    || (!aux(w1) && self.lexicon.lookup(w1).is_some_and(|e| e.has(Part::Noun)));
                if object {
                    cue(Cue::Imperative, "imperative", span0);
                }
            }
            if let Some(e) = self.lexicon.lookup(&w0.text) {
                for c in e.classes() {
                    cue(
                        Cue::FirstClass(c),
                        &format!("first_wn:{}", CLASS_NAMES[usize::from(c)]),
                        span0,
                    );
                }
            }
            if is(OPENERS, &w0.text) || aux(&w0.text) {
                cue(Cue::FirstWord, &format!("first:{}", w0.text), span0);
            }
            if w0.text == "please" {
                cue(Cue::Please, "please", span0);
            }
        }
        let has_verb = first.iter().any(|t| {
            is(AUXILIARIES, &t.text)
                || is(MODALS, &t.text)
                || is(PRONOUNS, &t.text)
                || (t.text.ends_with("ed")
                    && self
                        .lexicon
                        .lookup(&t.text)
                        .is_some_and(|e| e.has(Part::Verb)))
        });
        if !has_verb {
            let span = first.first().map(|a| (a.start, first[first.len() - 1].end));
            cue(Cue::Verbless, "no_aux_first", span);
        }
        if let Some(q) = text.find('?') {
            cue(Cue::Question, "question", Some((q, q + 1)));
        }
        let at = |i: usize| toks.get(i).map_or("", |t| t.text.as_str());
        let span = |i: usize, k: usize| {
            toks.get(i)
                .map(|a| (a.start, toks.get(i + k - 1).map_or(a.end, |b| b.end)))
        };
        let mut found = [false; 8];
        #[allow(clippy::needless_range_loop)] // looks ahead two words from each
        for i in 0..n {
            let (a, b, c) = (at(i), at(i + 1), at(i + 2));
            if !found[0] && a == "as" && matches!(b, "a" | "an") && !c.is_empty() {
                found[0] = true;
                cue(Cue::UserStory, "as_a", span(i, 3));
            }
            if !found[1] && a == "how" && matches!(b, "might" | "can" | "could" | "do") && c == "we"
            {
                found[1] = true;
                cue(Cue::HowMightWe, "hmw", span(i, 3));
            }
            let so_who = matches!(
                b,
                "i" | "we"
                    | "they"
                    | "he"
                    | "she"
                    | "user"
                    | "users"
                    | "customer"
                    | "customers"
                    | "people"
            );
            if !found[2]
                && a == "so"
                && (b == "that" || (so_who && matches!(c, "can" | "could" | "don't" | "won't")))
            {
                found[2] = true;
                cue(Cue::SoThat, "so_that", span(i, 2));
            }
            let wish = (matches!(a, "i'd" | "we'd") && matches!(b, "like" | "love"))
                || (matches!(a, "i" | "we") && b == "would" && matches!(c, "like" | "love"))
                || (a == "would"
                    && b == "be"
                    && matches!(c, "nice" | "great" | "good" | "cool" | "helpful"))
                || (a == "nice" && b == "to" && c == "have")
                || (a == "i" && b == "wish")
                || (a == "please" && matches!(b, "add" | "make" | "provide" | "consider"));
            if !found[3] && wish {
                found[3] = true;
                cue(Cue::Wish, "wish", span(i, 2));
            }
            let number = a.bytes().next().is_some_and(|x| x.is_ascii_digit());
            if !found[4] && number {
                let t = &toks[i];
                let after = text[t.end..].trim_start_matches(' ');
                let before = text[..t.start].trim_end_matches(' ');
                let unit = is(UNITS, b)
                    || after.starts_with('%')
                    || before.ends_with(['$', '\u{20ac}', '\u{a3}']);
                if unit {
                    found[4] = true;
                    cue(Cue::Measure, "num_unit", span(i, 2));
                }
            }
            if !found[5] && a.bytes().any(|x| x.is_ascii_digit()) {
                found[5] = true;
                cue(Cue::Digit, "digit", span(i, 1));
            }
            let because = matches!(a, "because" | "since")
                || (a == "due" && b == "to")
                || (a == "as" && b == "a" && c == "result");
            if !found[6] && because {
                found[6] = true;
                cue(Cue::Because, "because", span(i, 1));
            }
            if !found[7] && matches!(a, "i" | "we" | "my" | "our" | "me" | "us") {
                found[7] = true;
                cue(Cue::FirstPerson, "first_person", span(i, 1));
            }
        }
        if let Some(i) = toks.iter().position(|t| t.text == "i") {
            cue(Cue::Myself, "i", span(i, 1));
        }
    }
}

/// Keeps the first of each feature, then scales each block to unit length times its weight.
fn finish(mut out: Vec<Feature>) -> Vec<Feature> {
    // The first occurrence (smallest span start) of each key stays.
    out.sort_unstable_by(|a, b| {
        a.key.cmp(&b.key).then(
            a.span
                .map_or(usize::MAX, |s| s.0)
                .cmp(&b.span.map_or(usize::MAX, |s| s.0)),
        )
    });
    out.dedup_by_key(|f| f.key);
    let mut norms = [0f32; BLOCK_WEIGHTS.len()];
    for f in &out {
        norms[f.kind.block()] += f.value * f.value;
    }
    for f in &mut out {
        let b = f.kind.block();
        f.value *= BLOCK_WEIGHTS[b] / norms[b].sqrt();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Feature> {
        let lexicon =
            Lexicon::parse("nurse 18 29\nupdate 10 30\nform 10 36\nwait 04 42\n").unwrap();
        let r = Reader { lexicon: &lexicon };
        r.read(text, (0, text.len()), 1, &[])
    }

    fn has(f: &[Feature], prefix: &str, parts: &[&str]) -> bool {
        let k = key_of(prefix, parts);
        f.iter().any(|x| x.key == k)
    }

    #[test]
    fn words_pairs_and_cues_are_read() {
        let f = read("Update the form so that nurses wait 40 minutes less");
        assert!(has(&f, "w", &["update"]));
        assert!(has(&f, "b", &["<s>", "update"]));
        assert!(has(&f, "b", &["<num>", "minutes"]));
        assert!(has(&f, "s", &["imperative"]));
        assert!(has(&f, "s", &["so_that"]));
        assert!(has(&f, "s", &["num_unit"]));
        assert!(has(&f, "wn", &["noun.person"]));
        assert!(!has(&f, "s", &["question"]));
    }

    #[test]
    fn each_block_has_unit_length_times_its_weight() {
        let f = read("Update the form so that nurses wait 40 minutes less. Why?");
        for (block, weight) in BLOCK_WEIGHTS.iter().enumerate() {
            let sum: f32 = f
                .iter()
                .filter(|x| x.kind.block() == block)
                .map(|x| x.value * x.value)
                .sum();
            if sum > 0.0 {
                assert!((sum.sqrt() - weight).abs() < 1e-4, "block {block}: {sum}");
            }
        }
        let mut keys: Vec<u64> = f.iter().map(|x| x.key).collect();
        keys.dedup();
        assert_eq!(keys.len(), f.len(), "every feature once");
    }

    #[test]
    fn nothing_to_read_gives_no_word_features() {
        let f = read("");
        assert!(f.iter().all(|x| !matches!(x.kind, Kind::Word | Kind::Pair)));
        assert!(f.iter().all(|x| x.value.is_finite()));
    }
}
