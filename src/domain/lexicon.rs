//! Broad word classes from WordNet 3.0 (`config/wordnet/lexicon.txt`, made by
//! `scripts/wordnet-lexicon.py`): for a word, the lexicographer class of its most frequent sense in
//! each part of speech — any profession is a `noun.person`, any piece of furniture a
//! `noun.artifact`, any feeling a `noun.feeling` — without a hand-kept word list. Words in other
//! forms are found with WordNet's own suffix rules ("nurses" → "nurse", "stopped" → "stop").

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

/// What a word of a class is, in the product's words, for explanations ("names a person or a
/// role" rather than `noun.person`).
pub fn describe(class: u8) -> &'static str {
    match CLASS_NAMES.get(usize::from(class)).copied().unwrap_or("") {
        "noun.person" => "names a person or a role",
        "noun.group" => "names a group of people",
        "noun.feeling" | "verb.emotion" => "names a feeling",
        "noun.time" => "a matter of time",
        "noun.quantity" => "an amount",
        "noun.artifact" => "names a thing",
        "noun.act" => "names an activity",
        "noun.state" => "names a state of affairs",
        "noun.attribute" => "names a quality",
        "noun.communication" => "about communication",
        "noun.cognition" | "verb.cognition" => "about knowing or thinking",
        "noun.location" => "names a place",
        "noun.possession" | "verb.possession" => "about money or owning",
        "noun.process" => "names a process",
        "noun.event" => "names an event",
        "noun.food" | "verb.consumption" => "about food or using things up",
        "noun.motive" => "names a motive",
        "noun.relation" => "names a relation",
        "verb.motion" => "about moving",
        "verb.communication" => "about telling or asking",
        "verb.change" => "about changing something",
        "verb.creation" => "about making something",
        "verb.social" => "about people working together",
        "verb.perception" => "about seeing or hearing",
        "verb.contact" => "about handling things",
        "verb.competition" => "about competing",
        "verb.stative" => "about how things are",
        "verb.body" | "noun.body" => "about the body",
        "adv.all" => "says how",
        _ => "describes something",
    }
}

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

/// The word classes, keyed by lower-case word: the file's text kept whole, and an
/// open-addressing table of the words in it (FNV-1a hashes, no string per word), so loading is one
/// pass over the lines and a look-up of a word form builds no string.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    /// The lexicon file, as read.
    text: Box<str>,
    /// Per word: where it is in `text`, its length, and what it is.
    words: Vec<(u32, u8, Entry)>,
    /// Index + 1 into `words` (0 for an empty slot) and the high bits of the word's hash, so a
    /// probe compares words only when their hashes agree; the length is a power of two.
    slots: Vec<(u32, u32)>,
}

/// FNV-1a of the concatenated parts.
fn hash(parts: &[&[u8]]) -> u64 {
    parts
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, part| hash_on(h, part))
}

/// An FNV-1a hash carried on over more bytes.
#[inline]
fn hash_on(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Whether two short byte strings are the same, byte by byte: for the few bytes of a word or an
/// ending, a call to `memcmp` (what `==` on slices makes) costs more than the comparison.
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// `word` without `ending`, if it ends so.
#[inline]
fn strip<'w>(word: &'w [u8], ending: &[u8]) -> Option<&'w [u8]> {
    let cut = word.len().checked_sub(ending.len())?;
    same(&word[cut..], ending).then(|| &word[..cut])
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
        let text: Box<str> = text.to_ascii_lowercase().into_boxed_str();
        let mut words = Vec::with_capacity(text.len() / 10);
        let mut at = 0usize;
        for (i, raw) in text.split('\n').enumerate() {
            let line_start = at;
            at += raw.len() + 1;
            let line = raw.trim();
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
            let len = u8::try_from(word.len())
                .map_err(|_| err(format!("'{word}' is longer than 255 bytes")))?;
            let offset = line_start + (raw.len() - raw.trim_start().len());
            let offset = u32::try_from(offset).map_err(|_| err("the file is over 4 GB".into()))?;
            words.push((offset, len, entry));
        }
        let bits = (words.len() * 2)
            .next_power_of_two()
            .trailing_zeros()
            .max(4);
        let mut lexicon = Lexicon {
            text,
            words: Vec::new(),
            slots: vec![(0, 0); 1 << bits],
        };
        let mask = lexicon.slots.len() - 1;
        for (index, &(offset, len, _)) in words.iter().enumerate() {
            let word =
                &lexicon.text.as_bytes()[offset as usize..offset as usize + usize::from(len)];
            let h = hash(&[word]);
            let tag = (h >> 32) as u32;
            let mut slot = h as usize & mask;
            loop {
                match lexicon.slots[slot] {
                    (0, _) => {
                        lexicon.slots[slot] = (index as u32 + 1, tag);
                        break;
                    }
                    // A word listed twice: the later line wins, as a map's insert would.
                    (k, t) if t == tag && lexicon.word(&words[k as usize - 1]) == word => {
                        lexicon.slots[slot] = (index as u32 + 1, tag);
                        break;
                    }
                    _ => slot = (slot + 1) & mask,
                }
            }
        }
        lexicon.words = words;
        Ok(lexicon)
    }

    fn word(&self, &(offset, len, _): &(u32, u8, Entry)) -> &[u8] {
        &self.text.as_bytes()[offset as usize..offset as usize + usize::from(len)]
    }

    /// The entry of the word spelled by `stem` followed by `with`.
    fn get(&self, stem: &[u8], with: &[u8]) -> Option<Entry> {
        self.get_hashed(stem, with, hash(&[stem, with]))
    }

    /// [`get`](Self::get) with the hash of `stem` and `with` already made.
    fn get_hashed(&self, stem: &[u8], with: &[u8], h: u64) -> Option<Entry> {
        let mask = self.slots.len().checked_sub(1)?;
        let tag = (h >> 32) as u32;
        let mut slot = h as usize & mask;
        loop {
            let (k, t) = self.slots[slot];
            if k == 0 {
                return None;
            }
            if t == tag {
                let w = &self.words[k as usize - 1];
                let word = self.word(w);
                if word.len() == stem.len() + with.len()
                    && same(&word[..stem.len()], stem)
                    && same(&word[stem.len()..], with)
                {
                    return Some(w.2);
                }
            }
            slot = (slot + 1) & mask;
        }
    }

    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.0 != 0).count()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The form itself, as listed.
    pub fn exact(&self, word: &str) -> Option<Entry> {
        self.get(word.as_bytes(), b"")
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
        let word = word.as_bytes();
        // Every regular ending ends in one of these letters; most words end in another, and are
        // done here.
        if !matches!(word.last(), Some(b's' | b'n' | b'd' | b'g' | b'r' | b't')) {
            return own;
        }
        // The hash of every prefix of the word, made once: a stem's hash is then carried on over
        // its new ending instead of hashing the stem again for each ending tried.
        let mut prefix = [0u64; 24];
        let short = word.len() < prefix.len();
        if short {
            prefix[0] = hash(&[]);
            for (i, &b) in word.iter().enumerate() {
                prefix[i + 1] = hash_on(prefix[i], &[b]);
            }
        }
        let mut add = |stem: &[u8], with: &str, part: Part| {
            let with = with.as_bytes();
            let h = if short {
                hash_on(prefix[stem.len()], with)
            } else {
                hash(&[stem, with])
            };
            if let Some(e) = self.get_hashed(stem, with, h) {
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
        for (endings, part) in [
            (&NOUN_ENDINGS[..], Part::Noun),
            (&VERB_ENDINGS[..], Part::Verb),
            (&ADJECTIVE_ENDINGS[..], Part::Adjective),
        ] {
            for &(ending, with) in endings {
                if let Some(stem) = strip(word, ending.as_bytes()) {
                    if stem.len() >= 2 {
                        add(stem, with, part);
                    }
                }
            }
        }
        // A doubled consonant before -ed/-ing: "stopped", "planning".
        for ending in ["ed", "ing"] {
            if let Some(b) = strip(word, ending.as_bytes()) {
                if b.len() >= 3 && b[b.len() - 1] == b[b.len() - 2] {
                    add(&b[..b.len() - 1], "", Part::Verb);
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
