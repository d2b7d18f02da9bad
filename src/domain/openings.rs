//! Finding every rule's matches in a pitch with one pass over it instead of one per rule.
//!
//! Most rules can only match where one of a few words or phrases opens ("need", "would like",
//! "we "…). Those openings are read off each rule's compiled pattern (`regex_syntax`'s prefix
//! literals: when the set is finite, every match starts with one of them), and one Aho-Corasick
//! automaton finds all the rules' openings in a single scan. Each rule's pattern then runs only
//! where its openings are, anchored there, which finds the same matches its own search through
//! the whole pitch would, at a fraction of the cost: each search over the pitch walked the rule's
//! lazy DFA byte by byte, and with 28 rules that was most of an assessment's time. A rule whose
//! matches can open almost anywhere (a letter class, a one-letter word) is searched whole. The
//! modifier cue lists (negation, contrast, reported speech) and the track hints are patterns
//! too, served by the same pass.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_automata::meta::{self, FindMatches};
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Capture, Class, Hir, HirKind, Look, Repetition};

/// Shortest opening worth looking for: one-letter openings are found at nearly every word.
const MIN_OPENING: usize = 2;
/// Openings are cut to this many bytes: a prefix of an opening is an opening, six letters are
/// rare enough at a word boundary, and the shipped rules' 5,454 openings become 1,123, which the
/// automaton builds in about 1 ms instead of 10.
const LONGEST_OPENING: usize = 6;
/// Most openings a rule may have (the extractor gives up at about this many anyway). What costs
/// is how often openings occur, not how many there are: two letters at a word boundary are rare
/// enough, and a rule with long openings finds few places to run however many it has.
const MAX_OPENINGS: usize = 1000;

/// A rule's compiled pattern, and the openings its every match starts with, when there are few.
#[derive(Debug, Clone)]
pub struct Pattern {
    regex: meta::Regex,
    /// Lower-case; `None` when the rule is searched through the whole pitch. Moved into the
    /// [`Openings`] that serves the pattern.
    openings: Option<Vec<Vec<u8>>>,
    /// Every match starts at an ASCII word boundary, so an opening found inside a word is not one.
    at_boundary: bool,
    /// Its number in the [`Openings`] that holds its openings; until then it is scanned.
    id: Option<u32>,
}

impl Pattern {
    /// Compiles `source` as the `regex` crate's `Regex` would with the same settings (leftmost
    /// first; empty matches never split a character) and reads off its openings.
    pub fn compile(
        source: &str,
        case_sensitive: bool,
        unicode: bool,
        size_limit: usize,
    ) -> Result<Pattern, String> {
        let syntax = syntax::Config::new()
            .case_insensitive(!case_sensitive)
            .unicode(unicode)
            .utf8(true);
        let hir = syntax::parse_with(source, &syntax)
            .map_err(|e| format!("pattern does not compile: {e}"))?;
        let config = meta::Config::new()
            .match_kind(regex_automata::MatchKind::LeftmostFirst)
            .utf8_empty(true)
            .nfa_size_limit(Some(size_limit))
            .hybrid_cache_capacity(size_limit);
        let regex = meta::Builder::new()
            .configure(config)
            .build_from_hir(&hir)
            .map_err(|e| match e.size_limit() {
                Some(n) => format!("pattern is too large (over {n} bytes compiled)"),
                None => format!("pattern does not compile: {e}"),
            })?;
        Ok(Pattern {
            regex,
            openings: openings(&hir),
            at_boundary: opens_at_boundary(&hir),
            id: None,
        })
    }

    /// Whether the matches are found through the openings.
    pub fn has_openings(&self) -> bool {
        self.id.is_some()
    }

    /// Whether `text` holds a match anywhere (searched through the whole text).
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    /// Every match in `text`, in the order they start, searched through the whole text.
    pub fn scan<'a>(&'a self, text: &'a str) -> Matches<'a> {
        Matches::Scan(self.regex.find_iter(text))
    }

    /// Every match in `text`, in the order they start: the same as [`Pattern::scan`], found
    /// where `found` (from [`Openings::find`] over the same text) says this pattern may match.
    pub fn matches<'a>(&'a self, text: &'a str, found: &'a Found) -> Matches<'a> {
        let Some(id) = self.id else {
            return self.scan(text);
        };
        let from = found.starts.partition_point(|&(p, _)| p < id);
        let to = found.starts.partition_point(|&(p, _)| p <= id);
        Matches::At {
            regex: &self.regex,
            text,
            starts: found.starts[from..to].iter(),
            past: 0,
        }
    }
}

/// A rule's matches as `(start, end)` byte offsets.
pub enum Matches<'a> {
    Scan(FindMatches<'a, 'a>),
    At {
        regex: &'a meta::Regex,
        text: &'a str,
        starts: std::slice::Iter<'a, (u32, usize)>,
        /// Where the last match ended: matches do not overlap, as in a scan.
        past: usize,
    },
}

impl Iterator for Matches<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        match self {
            Matches::Scan(each) => each.next().map(|m| (m.start(), m.end())),
            Matches::At {
                regex,
                text,
                starts,
                past,
            } => {
                // A scan finds the leftmost place a match starts, then the match the pattern
                // prefers there; the openings hold every place a match can start, in order, and
                // an anchored search finds that preferred match.
                for &(_, at) in starts.by_ref() {
                    if at < *past {
                        continue;
                    }
                    let input = Input::new(*text)
                        .span(at..text.len())
                        .anchored(Anchored::Yes);
                    if let Some(m) = regex.search(&input) {
                        *past = m.end();
                        return Some((m.start(), m.end()));
                    }
                }
                None
            }
        }
    }
}

/// Where each pattern may match in one text: `(pattern id, start)`, sorted.
#[derive(Debug, Default)]
pub struct Found {
    starts: Vec<(u32, usize)>,
}

/// All the patterns' openings, found in one pass.
#[derive(Debug, Clone)]
pub struct Openings {
    /// `None` when no pattern has openings.
    words: Option<AhoCorasick>,
    /// For each opening (by the automaton's pattern id), the patterns that open with it.
    owners: Vec<Vec<u32>>,
    /// Indexed by pattern id.
    at_boundary: Vec<bool>,
}

impl Openings {
    /// The openings of `patterns`, each of which gets its number here: from then on its
    /// matches are found through these openings (the others stay scanned).
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a mut Pattern>) -> Openings {
        let mut words: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<u32>> = Vec::new();
        let mut at_boundary = Vec::new();
        let mut numbered: Vec<&'a mut Pattern> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for p in patterns {
            // More patterns than ids is beyond any config file; those past it are scanned.
            let Ok(id) = u32::try_from(at_boundary.len()) else {
                break;
            };
            let Some(openings) = p.openings.take() else {
                continue;
            };
            at_boundary.push(p.at_boundary);
            for w in openings {
                let at = *index.entry(w.clone()).or_insert_with(|| {
                    words.push(w);
                    owners.push(Vec::new());
                    words.len() - 1
                });
                owners[at].push(id);
            }
            numbered.push(p);
        }
        // A contiguous NFA: over the shipped rules' openings a DFA scanned no faster inside an
        // assessment and took 13 MB and 30 ms to build (uncut), against 0.1 MB and 1 ms (cut).
        // Should it not build (it cannot fail at these sizes), every pattern stays scanned.
        let words = (!words.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .build(&words)
                    .ok()
            })
            .flatten();
        if words.is_some() {
            for (id, p) in (0u32..).zip(numbered) {
                p.id = Some(id);
            }
        } else {
            owners.clear();
        }
        Openings {
            words,
            owners,
            at_boundary,
        }
    }

    /// Where each pattern with openings may match in `text`, into `found` (cleared first).
    pub fn find(&self, text: &str, found: &mut Found) {
        found.starts.clear();
        let Some(words) = &self.words else {
            return;
        };
        let bytes = text.as_bytes();
        let word = |i: usize| {
            bytes
                .get(i)
                .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
        };
        for m in words.find_overlapping_iter(text) {
            let at = m.start();
            let boundary = (at > 0 && word(at - 1)) != word(at);
            for &id in &self.owners[m.pattern().as_usize()] {
                let needs_boundary = self.at_boundary.get(id as usize).copied();
                if boundary || needs_boundary != Some(true) {
                    found.starts.push((id, at));
                }
            }
        }
        found.starts.sort_unstable();
        found.starts.dedup();
    }
}

/// The lower-case openings every match of `hir` starts with, if they are few and long enough.
fn openings(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let mut extractor = Extractor::new();
    // Classes of up to 16 (digits) and repetitions up to 4 are spelled out; beyond that the
    // openings would be too many to be worth it, and spelling them out slowed start-up.
    extractor
        .kind(ExtractKind::Prefix)
        .limit_class(16)
        .limit_repeat(4)
        .limit_literal_len(64)
        .limit_total(1000);
    let seq = extractor.extract(&fold_case(hir));
    // A finite set: every match starts with one of these (exact or not, it is a prefix). Case
    // is folded here and by the automaton, so the set found is never smaller than the rule's.
    let mut words: Vec<Vec<u8>> = seq
        .literals()?
        .iter()
        .map(|l| l.as_bytes()[..l.len().min(LONGEST_OPENING)].to_ascii_lowercase())
        .collect();
    words.sort_unstable();
    words.dedup();
    let worth = words.len() <= MAX_OPENINGS && words.iter().all(|w| w.len() >= MIN_OPENING);
    worth.then_some(words)
}

/// `hir` with each class that is one ASCII letter in either case (what `(?i)` makes of a letter)
/// turned into that letter in lower case. The openings are searched without regard to ASCII
/// case anyway, and a word of n letters would otherwise come out as 2^n literals, which the
/// extractor cuts short (slowly) into openings too short to be worth searching for.
fn fold_case(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Class(class) => match ascii_letter(class) {
            Some(letter) => Hir::literal([letter]),
            None => hir.clone(),
        },
        HirKind::Concat(parts) => Hir::concat(parts.iter().map(fold_case).collect()),
        HirKind::Alternation(branches) => {
            Hir::alternation(branches.iter().map(fold_case).collect())
        }
        HirKind::Capture(c) => Hir::capture(Capture {
            index: c.index,
            name: c.name.clone(),
            sub: Box::new(fold_case(&c.sub)),
        }),
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            min: r.min,
            max: r.max,
            greedy: r.greedy,
            sub: Box::new(fold_case(&r.sub)),
        }),
        _ => hir.clone(),
    }
}

/// The letter, in lower case, when `class` is exactly one ASCII letter in both cases.
fn ascii_letter(class: &Class) -> Option<u8> {
    let pair = |ranges: &mut dyn Iterator<Item = (u32, u32)>| -> Option<u8> {
        let (Some(upper), Some(lower), None) = (ranges.next(), ranges.next(), ranges.next()) else {
            return None;
        };
        let upper = u8::try_from(upper.0).ok().filter(|_| upper.0 == upper.1)?;
        let lower = u8::try_from(lower.0).ok().filter(|_| lower.0 == lower.1)?;
        (upper.is_ascii_uppercase() && lower == upper.to_ascii_lowercase()).then_some(lower)
    };
    match class {
        Class::Unicode(c) => pair(
            &mut c
                .ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end()))),
        ),
        Class::Bytes(c) => pair(
            &mut c
                .ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end()))),
        ),
    }
}

/// Whether every match of `hir` starts at an ASCII word boundary (`(?-u:\b)` first in every
/// branch). Unicode boundaries are not counted: the check in [`Openings::find`] reads bytes.
fn opens_at_boundary(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Look(look) => matches!(look, Look::WordAscii | Look::WordStartAscii),
        HirKind::Concat(parts) => parts.first().is_some_and(opens_at_boundary),
        HirKind::Alternation(branches) => branches.iter().all(opens_at_boundary),
        HirKind::Capture(c) => opens_at_boundary(&c.sub),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(p: &Pattern, text: &str, openings: &Openings) -> Vec<(usize, usize)> {
        let mut found = Found::default();
        openings.find(text, &mut found);
        p.matches(text, &found).collect()
    }

    #[test]
    fn a_word_list_is_found_through_its_openings_and_a_letter_class_is_scanned() {
        let mut words = Pattern::compile(
            r"(?i)(?-u:\b)(need|want)s? (a|an) \w+",
            false,
            false,
            1 << 20,
        )
        .expect("compiles");
        let mut class =
            Pattern::compile(r"[A-Z][a-z]+[A-Z]\w+", true, false, 1 << 20).expect("compiles");
        let openings = Openings::new([&mut words, &mut class]);
        assert!(words.has_openings());
        assert!(!class.has_openings());
        let text = "We NEED a printer; nobody wants an unneeded one. Try LinkedIn or YouTube.";
        let scanned: Vec<_> = words.scan(text).collect();
        assert_eq!(scanned.len(), 2);
        assert_eq!(all(&words, text, &openings), scanned);
        assert_eq!(
            all(&class, text, &openings),
            class.scan(text).collect::<Vec<_>>()
        );
    }

    #[test]
    fn an_opening_inside_a_word_counts_only_when_the_rule_does_not_start_at_a_boundary() {
        let mut bounded =
            Pattern::compile(r"(?-u:\b)need", false, false, 1 << 20).expect("compiles");
        let mut inside = Pattern::compile(r"need", false, false, 1 << 20).expect("compiles");
        let openings = Openings::new([&mut bounded, &mut inside]);
        let text = "unneeded, need";
        assert_eq!(all(&bounded, text, &openings), vec![(10, 14)]);
        assert_eq!(all(&inside, text, &openings), vec![(2, 6), (10, 14)]);
    }

    #[test]
    fn a_case_insensitive_word_list_opens_with_its_words_in_lower_case() {
        let p = Pattern::compile(r"(?-u:\b)(Need|would LIKE) to", false, false, 1 << 20)
            .expect("compiles");
        let words: Vec<&[u8]> = p.openings.iter().flatten().map(Vec::as_slice).collect();
        // Cut to their first six bytes.
        assert_eq!(words, [&b"need t"[..], b"would "]);
        assert!(p.at_boundary);
    }

    #[test]
    fn a_letter_unicode_folds_beyond_ascii_is_still_found() {
        // With Unicode, (?i)k also matches the Kelvin sign, which ASCII case folding does not
        // know: that letter is kept as a class, and its every form becomes an opening.
        let mut p = Pattern::compile(r"(?i)kelvin", false, true, 1 << 20).expect("compiles");
        let openings = Openings::new([&mut p]);
        assert!(p.has_openings());
        let text = "kelvin, KELVIN and \u{212A}elvin";
        assert_eq!(all(&p, text, &openings).len(), 3);
        assert_eq!(all(&p, text, &openings), p.scan(text).collect::<Vec<_>>());
    }

    #[test]
    fn matches_do_not_overlap_as_in_a_scan() {
        let mut p = Pattern::compile(r"(?i)ab(ab)*", false, false, 1 << 20).expect("compiles");
        let openings = Openings::new([&mut p]);
        let text = "ABABAB xab abab";
        assert_eq!(all(&p, text, &openings), p.scan(text).collect::<Vec<_>>());
        assert_eq!(all(&p, text, &openings), vec![(0, 6), (8, 10), (11, 15)]);
    }

    #[test]
    fn a_bad_pattern_is_refused_with_the_reason() {
        let e = Pattern::compile("(unclosed", false, false, 1 << 20).expect_err("refused");
        assert!(e.starts_with("pattern does not compile"), "{e}");
        let e = Pattern::compile(r"\w{1000}\w{1000}", false, true, 1 << 10).expect_err("refused");
        assert!(e.starts_with("pattern is too large"), "{e}");
    }
}
