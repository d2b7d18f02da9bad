//! Broad word classes from WordNet 3.0 (`config/wordnet/lexicon.txt`, made by
//! `scripts/wordnet-lexicon.py`): for a word, the lexicographer class of its most frequent sense in
//! each part of speech — any profession is a `noun.person`, any piece of furniture a
//! `noun.artifact`, any feeling a `noun.feeling` — without a hand-kept word list. Words in other
//! forms are found with WordNet's own suffix rules ("nurses" → "nurse", "stopped" → "stop").

use std::collections::HashMap;

/// WordNet's lexicographer files, by number (`lexnames(5WN)`).
pub const CLASS_NAMES: [&str; 45] = [
    "adj.all",
    "adj.pert",
    "adv.all",
    "noun.Tops",
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.feeling",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.motive",
    "noun.object",
    "noun.person",
    "noun.phenomenon",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.relation",
    "noun.shape",
    "noun.state",
    "noun.substance",
    "noun.time",
    "verb.body",
    "verb.change",
    "verb.cognition",
    "verb.communication",
    "verb.competition",
    "verb.consumption",
    "verb.contact",
    "verb.creation",
    "verb.emotion",
    "verb.motion",
    "verb.perception",
    "verb.possession",
    "verb.social",
    "verb.stative",
    "verb.weather",
    "adj.ppl",
];

/// A part of speech, as WordNet's lexicographer file numbers tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Noun,
    Verb,
    Adjective,
    Adverb,
}

impl Part {
    pub fn of_class(class: u8) -> Part {
        match class {
            3..=28 => Part::Noun,
            29..=43 => Part::Verb,
            2 => Part::Adverb,
            _ => Part::Adjective,
        }
    }
}

/// What the lexicon knows of one word form.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Entry {
    /// Up to four classes (one per part of speech), `u8::MAX` for none.
    classes: [u8; 4],
    /// The form is the word's base form (not an irregular plural or past tense).
    base: bool,
}

impl Entry {
    pub fn classes(&self) -> impl Iterator<Item = u8> + '_ {
        self.classes.iter().copied().filter(|&c| c != u8::MAX)
    }

    pub fn has(&self, part: Part) -> bool {
        self.classes().any(|c| Part::of_class(c) == part)
    }

    /// The form is a verb's base form: "update", "move" (not "moved", "went").
    pub fn is_base_verb(&self) -> bool {
        self.base && self.has(Part::Verb)
    }
}

/// Why the lexicon file can't be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct LexiconError {
    pub line: usize,
    pub problem: String,
}

/// The word classes, keyed by lower-case word.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    words: HashMap<Box<str>, Entry>,
}

/// Regular endings and what replaces them, per part of speech (WordNet's `morphy`).
const NOUN_ENDINGS: [(&str, &str); 8] = [
    ("s", ""),
    ("ses", "s"),
    ("xes", "x"),
    ("zes", "z"),
    ("ches", "ch"),
    ("shes", "sh"),
    ("men", "man"),
    ("ies", "y"),
];
const VERB_ENDINGS: [(&str, &str); 8] = [
    ("s", ""),
    ("ies", "y"),
    ("es", "e"),
    ("es", ""),
    ("ed", "e"),
    ("ed", ""),
    ("ing", "e"),
    ("ing", ""),
];
const ADJECTIVE_ENDINGS: [(&str, &str); 4] = [("er", ""), ("est", ""), ("er", "e"), ("est", "e")];

impl Lexicon {
    /// Read `lexicon.txt`: `<word> <class>…` per line, `~` before the classes of an irregular form,
    /// `#` comments.
    pub fn parse(text: &str) -> Result<Lexicon, LexiconError> {
        let mut words = HashMap::with_capacity(text.len() / 12);
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |problem: String| LexiconError {
                line: i + 1,
                problem,
            };
            let mut parts = line.split_ascii_whitespace();
            let Some(word) = parts.next() else { continue };
            let mut entry = Entry {
                classes: [u8::MAX; 4],
                base: true,
            };
            let mut n = 0;
            for code in parts {
                let digits = match code.strip_prefix('~') {
                    Some(d) => {
                        entry.base = false;
                        d
                    }
                    None => code,
                };
                let class: u8 = digits
                    .parse()
                    .ok()
                    .filter(|&c: &u8| usize::from(c) < CLASS_NAMES.len())
                    .ok_or_else(|| err(format!("'{code}' is not a WordNet class number")))?;
                if n == entry.classes.len() {
                    return Err(err(format!("'{word}' has more than four classes")));
                }
                entry.classes[n] = class;
                n += 1;
            }
            if n == 0 {
                return Err(err(format!("'{word}' has no class")));
            }
            words.insert(word.to_ascii_lowercase().into_boxed_str(), entry);
        }
        Ok(Lexicon { words })
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The form itself, as listed.
    pub fn exact(&self, word: &str) -> Option<Entry> {
        self.words.get(word).copied()
    }

    /// What the word is, in whatever form it is written (lower case): the entries of its base
    /// forms merged, a class per part of speech. The form's own entry decides `base`.
    pub fn lookup(&self, word: &str) -> Option<Entry> {
        let own = self.exact(word);
        let mut merged = own.unwrap_or(Entry {
            classes: [u8::MAX; 4],
            base: false,
        });
        let mut found = own.is_some();
        let mut add = |base: &str, part: Part| {
            if let Some(e) = self.words.get(base) {
                for c in e.classes().filter(|&c| Part::of_class(c) == part) {
                    if !merged.has(part) {
                        if let Some(slot) = merged.classes.iter_mut().find(|s| **s == u8::MAX) {
                            *slot = c;
                            found = true;
                        }
                    }
                }
            }
        };
        let mut base = String::with_capacity(word.len() + 2);
        for (endings, part) in [
            (&NOUN_ENDINGS[..], Part::Noun),
            (&VERB_ENDINGS[..], Part::Verb),
            (&ADJECTIVE_ENDINGS[..], Part::Adjective),
        ] {
            for &(ending, with) in endings {
                if let Some(stem) = word.strip_suffix(ending) {
                    if stem.len() < 2 {
                        continue;
                    }
                    base.clear();
                    base.push_str(stem);
                    base.push_str(with);
                    add(&base, part);
                }
            }
        }
        // A doubled consonant before -ed/-ing: "stopped", "planning".
        for ending in ["ed", "ing"] {
            if let Some(stem) = word.strip_suffix(ending) {
                let b = stem.as_bytes();
                if b.len() >= 3 && b[b.len() - 1] == b[b.len() - 2] {
                    add(&stem[..stem.len() - 1], Part::Verb);
                }
            }
        }
        found.then_some(merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# test\nnurse 18 29\nstop 04 38\nupdate 10 30\nchildren ~18\nchild 18\nbetter 07 33 00 02\n";

    #[test]
    fn forms_find_their_base_words() {
        let lx = Lexicon::parse(SAMPLE).unwrap();
        let nurses = lx.lookup("nurses").unwrap();
        assert!(nurses
            .classes()
            .any(|c| CLASS_NAMES[usize::from(c)] == "noun.person"));
        assert!(!nurses.is_base_verb());
        assert!(lx.lookup("update").unwrap().is_base_verb());
        assert!(lx.lookup("stopped").unwrap().has(Part::Verb));
        assert!(!lx.lookup("stopped").unwrap().is_base_verb());
        assert!(!lx.lookup("children").unwrap().is_base_verb());
        assert_eq!(lx.lookup("zzz"), None);
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(Lexicon::parse("ok 18\nbad x1\n").unwrap_err().line, 2);
        assert_eq!(Lexicon::parse("lonely\n").unwrap_err().line, 1);
        assert!(Lexicon::parse("many 1 2 3 4 5\n").is_err());
    }
}
