//! What the model reads in a pitch: the rules' hits, broad word classes (WordNet), the pitch's
//! shape (an imperative opener, a wish, a question, "as a <role>", "how might we", numbers with
//! units), its opening words, and its words and word pairs for the long tail. Each feature is a
//! hashed name with a value and, where it has one, the span of the normalised text it came from,
//! so a verdict can name the phrases that moved it.
//!
//! Features come in blocks; each block's values are scaled to unit length and then by the block's
//! weight, so a long pitch does not outweigh a short one and no block drowns the others.

use super::lexicon::{Entry, Lexicon, Part, CLASS_NAMES};
use super::wordvec::WordVectors;

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
    /// A dimension of the pitch's mean word vector.
    Meaning,
    /// Three or four letters of a word, with its edges.
    Gram,
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
            Kind::Meaning => 6,
            Kind::Gram => 7,
        }
    }
}

/// The blocks' weights: words and pairs; affixes; rules; classes; cues; opening words; meaning;
/// letter groups. Part of the feature set a model is trained on ([`FEATURE_SET`]).
const BLOCK_WEIGHTS: [f32; 8] = [1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 1.0, 1.4];

/// The feature set's name, kept in a model file: a model trained on other features is refused.
pub const FEATURE_SET: &str = "pf-4";

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

/// A word of the pitch (ASCII letters and digits, with an inner apostrophe), as a span of the
/// text, with what is known of it: read once, used by every block.
#[derive(Debug, Clone, Copy)]
struct Token {
    start: usize,
    end: usize,
    /// Closed-class flags ([`closed`]).
    flags: u16,
    /// Its number among the cue words, 0 for none.
    word: u8,
    /// The word's WordNet classes, in whatever form it is written.
    entry: Option<Entry>,
}

/// The spans of the words of `lower` (the pitch, ASCII lower-cased).
fn spans(lower: &str, mut each: impl FnMut(usize, usize)) {
    let b = lower.as_bytes();
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
        each(start, i);
    }
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

const AUX: u16 = 1;
const MODAL: u16 = 2;
const PRONOUN: u16 = 4;
const DETERMINER: u16 = 8;
const FUNCTION: u16 = 16;
const OPENER: u16 = 32;
const UNIT: u16 = 64;
const NUMBER: u16 = 128;

/// The words the shape cues look for ("as a", "how might we", "so that", "i'd like"…), numbered
/// so the cues compare numbers rather than strings.
const CUE_WORDS: [&str; 49] = [
    "a",
    "add",
    "an",
    "as",
    "be",
    "because",
    "can",
    "consider",
    "cool",
    "could",
    "customer",
    "customers",
    "do",
    "don't",
    "due",
    "good",
    "great",
    "have",
    "he",
    "helpful",
    "how",
    "i",
    "i'd",
    "like",
    "love",
    "make",
    "me",
    "might",
    "my",
    "nice",
    "our",
    "people",
    "please",
    "provide",
    "result",
    "she",
    "since",
    "so",
    "that",
    "they",
    "to",
    "us",
    "user",
    "users",
    "we",
    "we'd",
    "wish",
    "won't",
    "would",
];

/// The number of a cue word (0 is none), at compile time.
const fn cue_word(w: &str) -> u8 {
    let w = w.as_bytes();
    let mut i = 0;
    while i < CUE_WORDS.len() {
        let c = CUE_WORDS[i].as_bytes();
        if c.len() == w.len() {
            let mut k = 0;
            while k < c.len() && c[k] == w[k] {
                k += 1;
            }
            if k == c.len() {
                return i as u8 + 1;
            }
        }
        i += 1;
    }
    panic!("not in CUE_WORDS")
}

macro_rules! cue_words {
    ($($name:ident = $word:literal),* $(,)?) => {
        $(const $name: u8 = cue_word($word);)*
    };
}

cue_words! {
    W_A = "a", W_ADD = "add", W_AN = "an", W_AS = "as", W_BE = "be", W_BECAUSE = "because",
    W_CAN = "can", W_CONSIDER = "consider", W_COOL = "cool", W_COULD = "could",
    W_CUSTOMER = "customer", W_CUSTOMERS = "customers", W_DO = "do", W_DONT = "don't",
    W_DUE = "due", W_GOOD = "good", W_GREAT = "great", W_HAVE = "have", W_HE = "he",
    W_HELPFUL = "helpful", W_HOW = "how", W_I = "i", W_ID = "i'd", W_LIKE = "like",
    W_LOVE = "love", W_MAKE = "make", W_ME = "me", W_MIGHT = "might", W_MY = "my",
    W_NICE = "nice", W_OUR = "our", W_PEOPLE = "people", W_PLEASE = "please",
    W_PROVIDE = "provide", W_RESULT = "result", W_SHE = "she", W_SINCE = "since", W_SO = "so",
    W_THAT = "that", W_THEY = "they", W_TO = "to", W_US = "us", W_USER = "user",
    W_USERS = "users", W_WE = "we", W_WED = "we'd", W_WISH = "wish", W_WONT = "won't",
    W_WOULD = "would",
}

/// The closed-class words and the cue words, with their flags and cue-word numbers, hashed once.
fn closed_table() -> &'static std::collections::HashMap<&'static str, (u16, u8), BuildFnv> {
    static TABLE: std::sync::OnceLock<
        std::collections::HashMap<&'static str, (u16, u8), BuildFnv>,
    > = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t: std::collections::HashMap<&'static str, (u16, u8), BuildFnv> =
            std::collections::HashMap::with_hasher(BuildFnv);
        for (i, w) in CUE_WORDS.iter().enumerate() {
            t.entry(*w).or_insert((0, 0)).1 = i as u8 + 1;
        }
        for (list, flag) in [
            (AUXILIARIES, AUX),
            (MODALS, MODAL),
            (PRONOUNS, PRONOUN),
            (DETERMINERS, DETERMINER),
            (FUNCTION_WORDS, FUNCTION),
            (OPENERS, OPENER),
            (UNITS, UNIT),
        ] {
            for w in list {
                t.entry(*w).or_insert((0, 0)).0 |= flag;
            }
        }
        t
    })
}

/// The closed-class flags and the cue-word number of a lower-case word.
fn closed(w: &str) -> (u16, u8) {
    if !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()) {
        return (NUMBER, 0);
    }
    closed_table().get(w).copied().unwrap_or((0, 0))
}

/// Whether a phrase has a word worth naming: anything but articles, pronouns, auxiliaries,
/// modals and the other function words ("the", "we", "is", "can"). A number counts.
pub fn has_content(phrase: &str) -> bool {
    const ALSO: &[&str] = &[
        "how", "why", "what", "when", "where", "who", "which", "if", "as", "let", "lets", "let's",
        "no", "i'd", "we'd", "because", "since", "so", "also", "just", "really", "very", "about",
    ];
    let lower = phrase.to_ascii_lowercase();
    let mut found = false;
    spans(&lower, |s, e| {
        let w = &lower[s..e];
        found |= closed(w).0 & (FUNCTION | AUX | MODAL | PRONOUN | DETERMINER) == 0
            && !ALSO.contains(&w);
    });
    found
}

/// FNV-1a as a `HashMap` hasher, for short words.
#[derive(Clone, Copy, Default)]
struct BuildFnv;

struct FnvHasher(u64);

impl std::hash::BuildHasher for BuildFnv {
    type Hasher = FnvHasher;
    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// Builds the features of one pitch.
pub struct Reader<'a> {
    pub lexicon: &'a Lexicon,
    /// The word vectors, when the model reads the pitch's overall meaning.
    pub vectors: Option<&'a WordVectors>,
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
        let mut out = Vec::new();
        self.read_into(text, first_sentence, sentences, hits, &mut out);
        out
    }

    /// [`read`](Self::read) into `out` (cleared first), so a caller that assesses many pitches
    /// can keep one buffer: a pitch has hundreds of features, beyond what an allocator keeps at
    /// hand per thread.
    pub fn read_into(
        &self,
        text: &str,
        first_sentence: (usize, usize),
        sentences: usize,
        hits: &[RuleHit],
        out: &mut Vec<Feature>,
    ) {
        let lower = text.to_ascii_lowercase();
        let mut toks: Vec<Token> = Vec::with_capacity(text.len() / 5 + 1);
        spans(&lower, |start, end| {
            let w = &lower[start..end];
            let (flags, word) = closed(w);
            let entry = if flags & (FUNCTION | NUMBER) != 0 {
                None
            } else {
                self.lexicon.lookup(w)
            };
            toks.push(Token {
                start,
                end,
                flags,
                word,
                entry,
            });
        });
        let word = |t: &Token| -> &str {
            if t.flags & NUMBER != 0 {
                "<num>"
            } else {
                &lower[t.start..t.end]
            }
        };
        let dims = self.vectors.map_or(0, WordVectors::dims);
        out.clear();
        // Words, pairs and affixes, about two letter groups per letter, the rest.
        out.reserve(toks.len() * 5 + 2 * lower.len() + 48 + dims);
        let mut push = |kind: Kind, key: u64, value: f32, span: Option<(usize, usize)>| {
            out.push(Feature {
                key,
                value,
                kind,
                span,
            })
        };
        // Words and pairs; numbers are one word.
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
        let (s3, s2, p4) = (
            Fnv::new().str("s3"),
            Fnv::new().str("s2"),
            Fnv::new().str("p4"),
        );
        for t in toks.iter().filter(|t| t.end - t.start >= 5) {
            let s = &lower[t.start..t.end];
            let span = Some((t.start, t.end));
            push(Kind::Affix, s3.str(&s[s.len() - 3..]).0, 1.0, span);
            push(Kind::Affix, s2.str(&s[s.len() - 2..]).0, 1.0, span);
            push(Kind::Affix, p4.str(&s[..4]).0, 1.0, span);
        }
        // Letter groups: every three and four letters of each word with its edges (" nurse " gives
        // " nu", "nur", … "rse "), so a word the labelled pitches never used still shares parts
        // with words they did ("physiotherapists", "reorganising", "spreadsheets").
        let g = Fnv::new().str("g");
        let mut padded = [b' '; LONGEST_GRAM_WORD + 2];
        for t in toks.iter().filter(|t| t.end - t.start <= LONGEST_GRAM_WORD) {
            let n = t.end - t.start;
            padded[1..=n].copy_from_slice(&lower.as_bytes()[t.start..t.end]);
            padded[n + 1] = b' ';
            let span = Some((t.start, t.end));
            for size in [3, 4] {
                for gram in padded[..n + 2].windows(size) {
                    push(Kind::Gram, g.bytes(gram).0, 1.0, span);
                }
            }
        }
        // Rule hits, once per rule.
        let r = Fnv::new().str("r");
        for h in hits {
            push(
                Kind::Rule(h.index),
                r.str(h.id).0,
                1.0,
                Some((h.start, h.end)),
            );
        }
        // WordNet classes: a word counts once, shared among its parts of speech.
        let mut classes = [0f32; CLASS_NAMES.len()];
        let mut class_span: [Option<(usize, usize)>; CLASS_NAMES.len()] = [None; CLASS_NAMES.len()];
        for t in &toks {
            if let Some(e) = t.entry {
                let n = e.classes().count() as f32;
                for c in e.classes() {
                    classes[usize::from(c)] += 1.0 / n;
                    class_span[usize::from(c)].get_or_insert((t.start, t.end));
                }
            }
        }
        let wn = Fnv::new().str("wn");
        for (c, &count) in classes.iter().enumerate() {
            if count > 0.0 {
                push(
                    Kind::Class(c as u8),
                    wn.str(CLASS_NAMES[c]).0,
                    count.ln_1p(),
                    class_span[c],
                );
            }
        }
        // Structure.
        self.cues(text, &lower, &toks, first_sentence, sentences, &mut push);
        // The opening words.
        let f = Fnv::new().str("f");
        for t in toks
            .iter()
            .filter(|t| t.start >= first_sentence.0 && t.end <= first_sentence.1)
            .take(6)
        {
            push(
                Kind::Opening,
                f.str(&lower[t.start..t.end]).0,
                1.0,
                Some((t.start, t.end)),
            );
        }
        // The pitch's overall meaning: its mean word vector, one feature per dimension.
        if let Some(vectors) = self.vectors {
            let mut v = [0f32; MAX_DIMS];
            let v = &mut v[..dims.min(MAX_DIMS)];
            vectors.meaning(text, v);
            for (i, &x) in v.iter().enumerate() {
                push(Kind::Meaning, meaning_key(i), x, None);
            }
        }
        finish(out);
    }

    fn cues(
        &self,
        text: &str,
        lower: &str,
        toks: &[Token],
        first_sentence: (usize, usize),
        sentences: usize,
        push: &mut impl FnMut(Kind, u64, f32, Option<(usize, usize)>),
    ) {
        let s = Fnv::new().str("s");
        let mut cue =
            |c: Cue, key: Fnv, span: Option<(usize, usize)>| push(Kind::Cue(c), key.0, 1.0, span);
        let n = toks.len();
        let bin = |k: usize| -> &'static str { ["0", "1", "2", "3", "4"][k.min(4)] };
        cue(
            Cue::Sentences(sentences.clamp(1, 4) as u8 - 1),
            s.str("nsent").str(bin(sentences.clamp(1, 4))),
            None,
        );
        let len_bin = match n {
            0..=4 => 0,
            5..=9 => 1,
            10..=19 => 2,
            20..=39 => 3,
            _ => 4,
        };
        cue(
            Cue::Length(len_bin),
            s.str("len").str(bin(usize::from(len_bin))),
            None,
        );
        let text_of = |t: &Token| &lower[t.start..t.end];
        let in_first = |t: &&Token| t.start >= first_sentence.0 && t.end <= first_sentence.1;
        let mut first = toks.iter().filter(in_first);
        let w0 = first.next();
        if let Some(w0) = w0 {
            let span0 = Some((w0.start, w0.end));
            let w1 = first.next();
            let aux = |t: &Token| t.flags & (AUX | MODAL) != 0;
            let own = self.lexicon.exact(text_of(w0));
            if own.is_some_and(|e| e.is_base_verb()) && !aux(w0) {
                cue(Cue::VerbOpener, s.str("first_verb_base"), span0);
                let object = w1.is_some_and(|w1| {
                    w1.flags & DETERMINER != 0
                        || (!aux(w1) && w1.entry.is_some_and(|e| e.has(Part::Noun)))
                });
                if object {
                    cue(Cue::Imperative, s.str("imperative"), span0);
                }
            }
            if let Some(e) = w0.entry {
                for c in e.classes() {
                    cue(
                        Cue::FirstClass(c),
                        s.str("first_wn").str(CLASS_NAMES[usize::from(c)]),
                        span0,
                    );
                }
            }
            if w0.flags & (OPENER | AUX | MODAL) != 0 {
                cue(Cue::FirstWord, s.str("first").str(text_of(w0)), span0);
            }
            if w0.word == W_PLEASE {
                cue(Cue::Please, s.str("please"), span0);
            }
        }
        let has_verb = toks.iter().filter(in_first).any(|t| {
            t.flags & (AUX | MODAL | PRONOUN) != 0
                || (text_of(t).ends_with("ed") && t.entry.is_some_and(|e| e.has(Part::Verb)))
        });
        if !has_verb {
            let end = toks.iter().rfind(|t| in_first(t)).map(|t| t.end);
            let span = w0.map(|a| (a.start, end.unwrap_or(a.end)));
            cue(Cue::Verbless, s.str("no_aux_first"), span);
        }
        if let Some(q) = text.find('?') {
            cue(Cue::Question, s.str("question"), Some((q, q + 1)));
        }
        let at = |i: usize| toks.get(i).map_or(0, |t| t.word);
        let span = |i: usize, k: usize| {
            toks.get(i)
                .map(|a| (a.start, toks.get(i + k - 1).map_or(a.end, |b| b.end)))
        };
        let mut found = [false; 8];
        for (i, t) in toks.iter().enumerate() {
            let (a, b, c) = (t.word, at(i + 1), at(i + 2));
            if !found[0] && a == W_AS && matches!(b, W_A | W_AN) && i + 2 < n {
                found[0] = true;
                cue(Cue::UserStory, s.str("as_a"), span(i, 3));
            }
            if !found[1] && a == W_HOW && matches!(b, W_MIGHT | W_CAN | W_COULD | W_DO) && c == W_WE
            {
                found[1] = true;
                cue(Cue::HowMightWe, s.str("hmw"), span(i, 3));
            }
            let so_who = matches!(
                b,
                W_I | W_WE
                    | W_THEY
                    | W_HE
                    | W_SHE
                    | W_USER
                    | W_USERS
                    | W_CUSTOMER
                    | W_CUSTOMERS
                    | W_PEOPLE
            );
            if !found[2]
                && a == W_SO
                && (b == W_THAT || (so_who && matches!(c, W_CAN | W_COULD | W_DONT | W_WONT)))
            {
                found[2] = true;
                cue(Cue::SoThat, s.str("so_that"), span(i, 2));
            }
            let wish = (matches!(a, W_ID | W_WED) && matches!(b, W_LIKE | W_LOVE))
                || (matches!(a, W_I | W_WE) && b == W_WOULD && matches!(c, W_LIKE | W_LOVE))
                || (a == W_WOULD
                    && b == W_BE
                    && matches!(c, W_NICE | W_GREAT | W_GOOD | W_COOL | W_HELPFUL))
                || (a == W_NICE && b == W_TO && c == W_HAVE)
                || (a == W_I && b == W_WISH)
                || (a == W_PLEASE && matches!(b, W_ADD | W_MAKE | W_PROVIDE | W_CONSIDER));
            if !found[3] && wish {
                found[3] = true;
                cue(Cue::Wish, s.str("wish"), span(i, 2));
            }
            let first_byte = lower.as_bytes()[t.start];
            if !found[4] && first_byte.is_ascii_digit() {
                let after = text[t.end..].trim_start_matches(' ');
                let before = text[..t.start].trim_end_matches(' ');
                let unit = toks.get(i + 1).is_some_and(|n| n.flags & UNIT != 0)
                    || after.starts_with('%')
                    || before.ends_with(['$', '\u{20ac}', '\u{a3}']);
                if unit {
                    found[4] = true;
                    cue(Cue::Measure, s.str("num_unit"), span(i, 2));
                }
            }
            if !found[5] && text_of(t).bytes().any(|x| x.is_ascii_digit()) {
                found[5] = true;
                cue(Cue::Digit, s.str("digit"), span(i, 1));
            }
            let because = matches!(a, W_BECAUSE | W_SINCE)
                || (a == W_DUE && b == W_TO)
                || (a == W_AS && b == W_A && c == W_RESULT);
            if !found[6] && because {
                found[6] = true;
                cue(Cue::Because, s.str("because"), span(i, 1));
            }
            if !found[7] && matches!(a, W_I | W_WE | W_MY | W_OUR | W_ME | W_US) {
                found[7] = true;
                cue(Cue::FirstPerson, s.str("first_person"), span(i, 1));
            }
        }
        if let Some(i) = toks.iter().position(|t| t.word == W_I) {
            cue(Cue::Myself, s.str("i"), span(i, 1));
        }
    }
}

/// Longer words (a pasted link, a hash) give no letter groups.
const LONGEST_GRAM_WORD: usize = 40;

/// The most dimensions of word vectors the reader takes.
pub const MAX_DIMS: usize = 256;

/// The name of a dimension of the pitch's meaning.
fn meaning_key(i: usize) -> u64 {
    Fnv::new().str("m").bytes(&(i as u32).to_le_bytes()).0
}

/// Keeps the first of each feature, then scales each block to unit length times its weight.
fn finish(out: &mut Vec<Feature>) {
    // The first occurrence of each key stays: the words are read in order, so it is the
    // earliest span. An open-addressing set of the keys seen, as sorting cost more.
    let mut seen = vec![0u64; (out.len() * 2).next_power_of_two().max(16)];
    let mask = seen.len() - 1;
    out.retain(|f| {
        // 0 marks an empty slot; a key of 0 is kept apart.
        let key = f.key.max(1);
        let mut slot = (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) as usize & mask;
        loop {
            match seen[slot] {
                0 => {
                    seen[slot] = key;
                    return true;
                }
                k if k == key => return false,
                _ => slot = (slot + 1) & mask,
            }
        }
    });
    let mut norms = [0f32; BLOCK_WEIGHTS.len()];
    for f in out.iter() {
        norms[f.kind.block()] += f.value * f.value;
    }
    for f in out.iter_mut() {
        let b = f.kind.block();
        f.value *= BLOCK_WEIGHTS[b] / norms[b].sqrt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Feature> {
        let lexicon =
            Lexicon::parse("nurse 18 29\nupdate 10 30\nform 10 36\nwait 04 42\n").unwrap();
        let r = Reader {
            lexicon: &lexicon,
            vectors: None,
        };
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
        let gram = |g: &str| Fnv::new().str("g").bytes(g.as_bytes()).0;
        for g in [" nu", "nur", "rses", "ses "] {
            assert!(f.iter().any(|x| x.key == gram(g)), "{g}");
        }
        assert!(!f.iter().any(|x| x.key == gram("nurs e")));
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
    fn function_words_are_not_content() {
        assert!(!has_content("how we"));
        assert!(!has_content("It is the"));
        assert!(has_content("the nurses"));
        assert!(has_content("40"));
        assert!(!has_content("?"));
        assert!(!has_content("How"));
        assert!(!has_content("because"));
    }

    #[test]
    fn nothing_to_read_gives_no_word_features() {
        let f = read("");
        assert!(f.iter().all(|x| !matches!(x.kind, Kind::Word | Kind::Pair)));
        assert!(f.iter().all(|x| x.value.is_finite()));
    }
}
