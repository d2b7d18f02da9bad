//! The classifier: reads a pitch and judges it. The rules (`config/rules.toml`) find the
//! phrases a coach would point at — who is affected, what is hard, solution openers, technology
//! terms, vague benefits — with modifiers that read like a person would (negation, questions,
//! technology as the subject of a pain, "but the real issue is…"). Those hits, broad word classes,
//! the pitch's shape and its words are the features of a learned model (`config/model.txt`),
//! which gives calibrated probabilities of the three verdicts. The hits say what is present and
//! missing and pick the one question; the model's weights say which phrases moved the verdict.

use super::assessment::{
    Advice, Assessment, Driver, Element, Hit, Scores, Side, TrackSuggestion, Verdict,
};
use super::features::{has_content, Cue, Feature, Kind, Reader, RuleHit};
use super::lexicon::Lexicon;
use super::model::{class_index, Model, CLASSES};
use super::openings::Found;
use super::rules::{Language, Role, Rules, Scope};
use super::text::{normalize, Layout, Normalized};
use super::training::decide;
use super::wordvec::WordVectors;

/// The most features a thread's buffer keeps room for between pitches (a 300-character pitch
/// has about 500).
const KEPT_FEATURES: usize = 4096;

thread_local! {
    /// The features of the pitch being judged on this thread (see `judge`).
    static FEATURES: std::cell::Cell<Vec<Feature>> = const { std::cell::Cell::new(Vec::new()) };
}

/// A hit while it is being weighed; spans are in the normalised text.
#[derive(Debug, Clone)]
struct Weighed {
    rule: usize,
    start: usize,
    end: usize,
    weight: f32,
    modifier: Option<&'static str>,
}

/// The rules, the word classes and the model: everything that judges a pitch, built once at
/// start-up and shared.
#[derive(Debug, Clone)]
pub struct Classifier {
    pub rules: Rules,
    pub lexicon: Lexicon,
    pub vectors: Option<WordVectors>,
    pub model: Model,
}

/// A pitch made ready for judging: cut to the limit, normalised, laid out, with its rule hits.
struct Read<'a> {
    text: &'a str,
    norm: Normalized,
    layout: Layout,
    notes: Vec<String>,
}

impl Classifier {
    pub fn new(
        rules: Rules,
        lexicon: Lexicon,
        vectors: Option<WordVectors>,
        model: Model,
    ) -> Classifier {
        Classifier {
            rules,
            lexicon,
            vectors,
            model,
        }
    }

    /// The version kept with every judgement: the rules' and the model's.
    pub fn version(&self) -> String {
        format!("{}+{}", self.rules.version, self.model.version)
    }

    fn prepare<'a>(&self, raw: &'a str) -> Read<'a> {
        let mut notes = Vec::new();
        let limit = self.rules.verdict.max_chars;
        // A string of at most `limit` bytes has at most `limit` characters: no need to count.
        let cut = if raw.len() <= limit {
            None
        } else {
            raw.char_indices().nth(limit)
        };
        let text = match cut {
            Some((cut, _)) => {
                notes.push(
                    self.rules
                        .notes
                        .too_long
                        .replace("{limit}", &limit.to_string()),
                );
                &raw[..cut]
            }
            None => raw,
        };
        let norm = normalize(text);
        let layout = Layout::of(&norm.text);
        Read {
            text,
            norm,
            layout,
            notes,
        }
    }

    /// Assess a pitch. Never panics, whatever the string.
    pub fn assess(&self, raw: &str) -> Assessment {
        let Read {
            text,
            norm,
            layout,
            mut notes,
        } = self.prepare(raw);
        if !norm.text.chars().any(char::is_alphanumeric) {
            notes.push(self.rules.notes.empty.clone());
            return self.without_judgement(notes, "empty", "There is nothing to assess yet.");
        }
        if !self.rules.looks_english(&norm.text, &layout) {
            notes.push(self.rules.notes.not_english.clone());
            return self.without_judgement(
                notes,
                "not_english",
                "The pitch does not look like English, so it was not judged.",
            );
        }
        self.judge(text, &norm, &layout, notes)
    }

    /// What the model reads in a pitch, for training.
    pub fn features(&self, raw: &str) -> Vec<Feature> {
        let read = self.prepare(raw);
        let found = self.rules.openings_in(&read.norm.text);
        let hits = self.rules.weigh(&read.norm.text, &read.layout, &found);
        self.read(&read.norm.text, &read.layout, &hits)
    }

    fn read(&self, text: &str, layout: &Layout, hits: &[Weighed]) -> Vec<Feature> {
        let mut out = Vec::new();
        self.read_into(text, layout, hits, &mut out);
        out
    }

    fn read_into(&self, text: &str, layout: &Layout, hits: &[Weighed], out: &mut Vec<Feature>) {
        let mut rule_hits: Vec<RuleHit> = Vec::with_capacity(hits.len());
        for h in hits.iter().filter(|h| h.weight > 0.0) {
            rule_hits.push(RuleHit {
                index: h.rule.min(usize::from(u16::MAX)) as u16,
                id: self.rules.rule_id(h.rule),
                start: h.start,
                end: h.end,
            });
        }
        let first = layout
            .sentences
            .first()
            .map_or((0, text.len()), |s| (s.span.start, s.span.end));
        Reader {
            lexicon: &self.lexicon,
            vectors: self.vectors.as_ref(),
        }
        .read_into(text, first, layout.sentences.len(), &rule_hits, out);
    }

    fn without_judgement(&self, notes: Vec<String>, trigger: &str, reason: &str) -> Assessment {
        let question = self
            .rules
            .questions
            .iter()
            .find(|q| q.trigger == trigger)
            .or_else(|| self.rules.questions.iter().find(|q| q.trigger == "thin"))
            .map(|q| q.text.clone())
            .unwrap_or_default();
        Assessment {
            verdict: Verdict::Vague,
            confidence: 1.0,
            advice: Advice::Coach,
            track: TrackSuggestion {
                track: None,
                reason: "unsure: nothing to go on yet".into(),
            },
            present: Vec::new(),
            missing: Element::ALL.to_vec(),
            hits: Vec::new(),
            drivers: Vec::new(),
            question: fill(&question, &Fill::default()),
            notes,
            probabilities: Scores {
                problem: 0.0,
                tech: 0.0,
                vague: 1.0,
            },
            reason: reason.into(),
            rules_version: self.rules.version.clone(),
            model_version: self.model.version.clone(),
        }
    }

    fn judge(
        &self,
        original: &str,
        norm: &Normalized,
        layout: &Layout,
        notes: Vec<String>,
    ) -> Assessment {
        let rules = &self.rules;
        let text = norm.text.as_str();
        let found = rules.openings_in(text);
        let hits = rules.weigh(text, layout, &found);
        // One buffer per thread for the features: they are many, and only needed until the
        // explanation is written.
        let mut features = FEATURES.take();
        self.read_into(text, layout, &hits, &mut features);
        let weights = self.model.weights_of(&features);
        let p = self.model.probabilities_with(&features, &weights);
        let thresholds = self.model.thresholds;
        let (class, buttons) = decide(p, thresholds);
        let verdict = CLASSES[class];
        let advice = if buttons {
            Advice::Coach
        } else if p[0] < thresholds.tip_below {
            Advice::Tip
        } else {
            Advice::File
        };

        let has = |e: Element| {
            hits.iter().any(|h| {
                h.weight > 0.0
                    && h.rule < rules.rules.len()
                    && rules.rules[h.rule].spec.element == Some(e)
            })
        };
        let present: Vec<Element> = Element::ALL.into_iter().filter(|&e| has(e)).collect();
        let missing: Vec<Element> = Element::ALL.into_iter().filter(|&e| !has(e)).collect();
        let has_problem = has(Element::Who) && has(Element::Problem);
        let thin = layout.word_count() < rules.verdict.thin_words;
        let drivers = self.drivers(&features, &weights, verdict, norm, original);
        // A very long pitch's buffer is let go rather than kept for the thread's lifetime.
        if features.capacity() <= KEPT_FEATURES {
            FEATURES.set(features);
        }
        let reason = reason(verdict, &drivers, layout, norm);

        let fillers = Fill::from_hits(rules, norm, original, &hits);
        let question = rules.pick_question(
            &Facts {
                verdict,
                hits: &hits,
                present: &present,
                thin,
                has_problem,
            },
            &fillers,
            norm,
            original,
        );
        let track = rules.suggest_track(text, norm, original, &found);
        let hits = hits
            .into_iter()
            .map(|h| {
                let (s, e) = norm.original_span(h.start, h.end);
                let (rule, side) = rules.rule_meta(h.rule);
                Hit {
                    rule,
                    side,
                    text: original.get(s..e).unwrap_or_default().to_string(),
                    start: s,
                    end: e,
                    modifier: h.modifier.map(str::to_string),
                    weight: round2(h.weight),
                }
            })
            .collect();
        Assessment {
            verdict,
            confidence: round2(p[class]),
            advice,
            track,
            present,
            missing,
            hits,
            drivers,
            question,
            notes,
            probabilities: Scores {
                problem: round3(p[0]),
                tech: round3(p[1]),
                vague: round3(p[2]),
            },
            reason,
            rules_version: rules.version.clone(),
            model_version: self.model.version.clone(),
        }
    }

    /// The phrases that moved the verdict most: each feature's weight for the verdict, against
    /// the other two, times its value, added up per span; the strongest three that do not overlap.
    fn drivers(
        &self,
        features: &[Feature],
        weights: &[Option<&[f32; 3]>],
        verdict: Verdict,
        norm: &Normalized,
        original: &str,
    ) -> Vec<Driver> {
        let v = class_index(verdict);
        let text = norm.text.as_str();
        let mut each: Vec<((usize, usize), f32, Kind)> = Vec::with_capacity(features.len());
        for (f, w) in features.iter().zip(weights) {
            let (Some(span), Some(w)) = (f.span, w) else {
                continue;
            };
            let others = (w.iter().sum::<f32>() - w[v]) / 2.0;
            let c = f.value * (w[v] - others);
            // A word's letter groups come one after another with the word's span: added up here,
            // they leave the sort below a third of the entries.
            match each.last_mut() {
                Some(last) if f.kind == Kind::Gram && last.2 == Kind::Gram && last.0 == span => {
                    last.1 += c;
                }
                _ => each.push((span, c, f.kind)),
            }
        }
        // Added up per span. A rule or a cue explains a phrase better than its words do, but only
        // one that pushed towards the verdict, and a rule only if it looks for that side: "names
        // who is affected" under a tech-led verdict would say the opposite of what moved it; of
        // those, the one that pushed most names the phrase. Without one, what pushed the phrase
        // most names it: its wording (the word, its pairs and letter groups together), a class of
        // the word, or its place among the opening words. So the name never depends on the order
        // of the features that share a span.
        let problem_led = verdict == Verdict::Problem;
        let rule_or_cue = |k: Kind| match k {
            Kind::Rule(i) => self
                .rules
                .rules
                .get(usize::from(i))
                .is_some_and(|r| (r.spec.side == Side::Problem) == problem_led),
            Kind::Cue(_) => true,
            _ => false,
        };
        // Stable, so the entries of one span are added up in the order they were read and the
        // figures never depend on the sort's internals.
        each.sort_by_key(|e| e.0);
        let mut phrases: Vec<Phrase> = Vec::with_capacity(each.len());
        for (span, c, kind) in each {
            if phrases.last().is_none_or(|p| p.span != span) {
                phrases.push(Phrase {
                    span,
                    ..Phrase::default()
                });
            }
            let Some(p) = phrases.last_mut() else {
                continue;
            };
            p.total += c;
            let stronger = |best: Option<(Kind, f32)>| c > 0.0 && best.is_none_or(|(_, b)| c > b);
            match kind {
                // Any other rule or cue only adds to the phrase's total.
                k if rule_or_cue(k) && stronger(p.rule) => p.rule = Some((k, c)),
                Kind::Class(_) | Kind::Opening if stronger(p.other) => p.other = Some((kind, c)),
                Kind::Word | Kind::Pair | Kind::Affix | Kind::Gram => p.wording += c,
                _ => {}
            }
        }
        let mut spans: Vec<((usize, usize), f32, Kind)> = phrases
            .into_iter()
            .map(|p| {
                let named = match (p.rule, p.other) {
                    (Some((k, _)), _) => k,
                    (None, Some((k, pushed))) if pushed > p.wording => k,
                    _ => Kind::Word,
                };
                (p.span, p.total, named)
            })
            .collect();
        // Spans are distinct after adding up, so no two compare equal and an unstable sort (which
        // needs no buffer) gives the same order.
        spans.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut out: Vec<Driver> = Vec::new();
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for ((s, e), c, kind) in spans {
            // What rounds to nothing moved nothing.
            if c < 0.005 || out.len() == 3 {
                break;
            }
            if taken.iter().any(|&(a, b)| s < b && a < e) {
                continue;
            }
            // A bare function word ("for", "we") or the pitch's length moves a verdict but
            // explains nothing: only rules, the shape cues that say something, and phrases
            // with a content word are named.
            let telling = match kind {
                Kind::Rule(_) | Kind::Cue(Cue::Question) => true,
                _ => has_content(text.get(s..e).unwrap_or_default()),
            };
            if !telling {
                continue;
            }
            taken.push((s, e));
            let (os, oe) = norm.original_span(s, e);
            // A rule's match may take the space after its last word: "Put a ".
            let said = original.get(os..oe).unwrap_or_default();
            let oe = os + said.trim_end().len();
            out.push(Driver {
                text: said.trim_end().to_string(),
                start: os,
                end: oe,
                weight: round2(c),
                why: self.why(kind),
            });
        }
        out
    }

    /// What a feature says, in the product's words.
    fn why(&self, kind: Kind) -> String {
        match kind {
            Kind::Rule(i) => self.rules.rules.get(usize::from(i)).map_or_else(
                || "names who is affected and what is hard for them".to_string(),
                |r| r.describes(),
            ),
            Kind::Cue(c) => match c {
                Cue::VerbOpener | Cue::Imperative => "opens with something to do".into(),
                Cue::Verbless => "names a thing rather than what happens".into(),
                Cue::Question => "asks a question".into(),
                Cue::UserStory => "tells it as a user story".into(),
                Cue::HowMightWe => "asks how we might help".into(),
                Cue::SoThat => "says what it is for".into(),
                Cue::Wish => "wishes for something".into(),
                Cue::Measure | Cue::Digit => "gives a number".into(),
                Cue::Because => "gives a reason".into(),
                Cue::FirstPerson | Cue::Myself => "speaks from experience".into(),
                Cue::Please => "asks for something".into(),
                Cue::FirstWord | Cue::FirstClass(_) => "how it opens".into(),
                Cue::Sentences(_) | Cue::Length(_) => "its length".into(),
            },
            Kind::Class(c) => super::lexicon::describe(c).into(),
            Kind::Opening => "how it opens".into(),
            Kind::Word | Kind::Pair | Kind::Affix | Kind::Gram => "the wording".into(),
            Kind::Meaning => "the pitch's overall meaning".into(),
        }
    }
}

/// One phrase of an explanation: the features that share its span, added up.
#[derive(Default)]
struct Phrase {
    span: (usize, usize),
    /// How much it pushed towards the verdict, all told.
    total: f32,
    /// Of that, its words, pairs and letter groups.
    wording: f32,
    /// The rule or cue (of the verdict's side) that pushed most.
    rule: Option<(Kind, f32)>,
    /// The word class or opening word that pushed most.
    other: Option<(Kind, f32)>,
}

/// Why the verdict came out as it did, in one sentence in the product's voice.
fn reason(verdict: Verdict, drivers: &[Driver], layout: &Layout, norm: &Normalized) -> String {
    let top = drivers.first();
    let quoted = top
        .map(|d| format!("*{}*", d.text.trim()))
        .unwrap_or_default();
    let opens = top.is_some_and(|d| {
        let first = layout.sentences.first().map_or(0, |s| s.first_word);
        norm.original_span(first, first + 1).0 == d.start
    });
    match (verdict, top.is_some()) {
        (Verdict::Tech, true) if opens => format!("You open with a solution: {quoted}."),
        (Verdict::Tech, true) => {
            format!("It reads as a solution ({quoted}) rather than someone's problem.")
        }
        (Verdict::Tech, false) => "It reads as a solution rather than someone's problem.".into(),
        (Verdict::Problem, true) => {
            // The two strongest phrases with a content word: "*wait*, *2 days*", not "because".
            let phrases: Vec<String> = drivers
                .iter()
                .filter(|d| has_content(&d.text))
                .take(2)
                .map(|d| format!("*{}*", d.text.trim()))
                .collect();
            if phrases.is_empty() {
                "It names who is affected and what is hard for them.".into()
            } else {
                format!(
                    "It names who is affected and what is hard for them: {}.",
                    phrases.join(", ")
                )
            }
        }
        (Verdict::Problem, false) => "It names who is affected and what is hard for them.".into(),
        (Verdict::Vague, true) => {
            format!("It describes a goal ({quoted}) without who is affected or what goes wrong.")
        }
        (Verdict::Vague, false) => {
            "It does not yet say who is affected or what is hard for them.".into()
        }
    }
}

impl Rules {
    /// Where every rule, cue list and track's hints may match in `text`, found in one pass.
    fn openings_in(&self, text: &str) -> Found {
        let mut found = Found::default();
        self.openings.find(text, &mut found);
        found
    }

    pub(crate) fn looks_english(&self, text: &str, layout: &Layout) -> bool {
        let ascii = text.is_ascii();
        // ASCII letters are all Latin, so only a text with other characters can fail this.
        if !ascii {
            let mut letters = 0usize;
            let mut latin = 0usize;
            for c in text.chars().filter(|c| c.is_alphabetic()) {
                letters += 1;
                if c.is_ascii_alphabetic() || ('\u{C0}'..='\u{24F}').contains(&c) {
                    latin += 1;
                }
            }
            if letters >= 4 && latin * 2 < letters {
                return false;
            }
        }
        if layout.word_count() < 4 {
            return true;
        }
        let (mut english, mut foreign) = (0usize, 0usize);
        let mut count = |language: Option<Language>| match language {
            Some(Language::English) => english += 1,
            Some(Language::Foreign) => foreign += 1,
            None => {}
        };
        if ascii {
            for w in text
                .as_bytes()
                .split(|&b| !(b.is_ascii_alphabetic() || b == b'\''))
                .filter(|w| !w.is_empty())
            {
                count(self.words.get_ascii(w));
            }
        } else {
            let mut lower = String::new();
            for w in text.split(|c: char| !(c.is_alphabetic() || c == '\'')) {
                if w.is_empty() {
                    continue;
                }
                lower.clear();
                lower.extend(w.chars().flat_map(char::to_lowercase));
                count(self.words.get(lower.as_bytes()));
            }
        }
        !(foreign >= 2 && foreign > english * 2)
    }

    /// Every rule hit, weighed: found, modified (negation, questions, contrast…), capped, with
    /// the pair bonuses after them.
    fn weigh(&self, text: &str, layout: &Layout, found: &Found) -> Vec<Weighed> {
        let mut hits = self.find_hits(text, layout, found);
        self.apply_modifiers(text, layout, found, &mut hits);
        apply_caps(self, text, &mut hits);
        let pair_hits = self.pair_bonuses(layout, &hits);
        hits.extend(pair_hits);
        hits
    }

    /// A rule's (or pair's) id by its index.
    fn rule_id(&self, idx: usize) -> &str {
        match self.rules.get(idx) {
            Some(r) => &r.spec.id,
            None => self
                .pairs
                .get(idx - self.rules.len())
                .map_or("", |p| p.spec.id.as_str()),
        }
    }

    /// Rule id and side for a hit; pair bonuses are numbered after the rules.
    fn rule_meta(&self, idx: usize) -> (String, Side) {
        match self.rules.get(idx) {
            Some(r) => (r.spec.id.clone(), r.spec.side),
            None => {
                let p = &self.pairs[idx - self.rules.len()];
                (p.spec.id.clone(), Side::Problem)
            }
        }
    }

    /// Each rule's matches, found where its openings are (`openings`), or by its own search
    /// through the pitch. (One `RegexSet` of every rule, as a prefilter, cost ten times the rest
    /// of an assessment on pitches it had not seen: its lazy DFA, over all the rules' word lists
    /// at once, kept building states it never reused.)
    fn find_hits(&self, text: &str, layout: &Layout, found: &Found) -> Vec<Weighed> {
        let leading = layout.leading_sentence();
        let any_question = layout.sentences.iter().any(|s| s.is_question);
        let mut out = Vec::with_capacity(16);
        for (idx, rule) in self.rules.iter().enumerate() {
            if rule.spec.questions_only && !any_question {
                continue;
            }
            // Matches come in the order they start, and sentence indexes only grow along the
            // text: once a match starts past the leading sentence (or, for a rule that must
            // start it, past its first word), no later one is in scope, and the rest of the text
            // need not be searched.
            let last_start = match rule.spec.scope {
                Scope::Leading => layout
                    .sentences
                    .get(leading + 1)
                    .map_or(usize::MAX, |s| s.span.start),
                Scope::LeadingStart => layout.sentences.get(leading).map_or(0, |s| s.first_word),
                _ => usize::MAX,
            };
            for (start, end) in rule.pattern.matches(text, found) {
                if start > last_start {
                    break;
                }
                if start == end {
                    continue;
                }
                let si = layout.sentence_of(start);
                let Some(sentence) = layout.sentences.get(si) else {
                    continue;
                };
                let in_scope = match rule.spec.scope {
                    Scope::Anywhere => true,
                    Scope::SentenceStart => start == sentence.first_word,
                    Scope::ClauseStart => {
                        let from = layout.clause_start(start);
                        !text[from..start].chars().any(char::is_alphanumeric)
                    }
                    Scope::Leading => si == leading,
                    Scope::LeadingStart => si == leading && start == sentence.first_word,
                };
                if !in_scope || (rule.spec.questions_only && !sentence.is_question) {
                    continue;
                }
                if let Some(ex) = &rule.exceptions {
                    let until = floor_char(text, sentence.span.end.min(start + 80).max(end));
                    if ex.is_match(&text[start..until]) {
                        continue;
                    }
                }
                out.push(Weighed {
                    rule: idx,
                    start,
                    end,
                    weight: rule.spec.weight,
                    modifier: None,
                });
            }
        }
        // A rule's matches never start at the same place, so the keys are distinct and an
        // unstable sort (which needs no buffer) gives the same order.
        out.sort_unstable_by_key(|h| (h.start, h.rule));
        out
    }

    fn apply_modifiers(&self, text: &str, layout: &Layout, found: &Found, hits: &mut [Weighed]) {
        let m = &self.modifiers;
        let negations: Vec<(usize, usize)> = {
            let pseudo: Vec<(usize, usize)> = match &self.pseudo_negation {
                Some(p) => p.matches(text, found).collect(),
                None => Vec::new(),
            };
            self.negation
                .matches(text, found)
                .filter(|&(s, e)| !pseudo.iter().any(|&(ps, pe)| ps <= s && e <= pe))
                .collect()
        };
        let contrast = self
            .contrast
            .as_ref()
            .and_then(|p| p.matches(text, found).next())
            .map(|(_, end)| end);
        let quotes = reported_quotes(self, text, found);
        let leading = layout.leading_sentence();
        let rules = &self.rules;
        let is = |h: &Weighed, e: Element| rules[h.rule].spec.element == Some(e);
        let frames: Vec<(usize, usize)> = hits
            .iter()
            .filter(|h| {
                rules[h.rule].spec.side == Side::Problem && rules[h.rule].spec.element.is_none()
            })
            .map(|h| (layout.sentence_of(h.start), h.end))
            .collect();

        // Negation first: it decides which pains are real, which the later modifiers rely on.
        for h in hits.iter_mut() {
            let spec = &rules[h.rule].spec;
            if !spec.negatable {
                continue;
            }
            let clause = layout.clause_start(h.start);
            let negated = negations.iter().any(|&(s, e)| {
                s >= clause && e <= h.start && layout.words_between(e, h.start) < m.negation_window
            });
            if !negated {
                continue;
            }
            let framed = frames
                .iter()
                .any(|&(si, end)| si == layout.sentence_of(h.start) && end <= h.start);
            match spec.side {
                Side::Problem if spec.element == Some(Element::Problem) && framed => {}
                _ => {
                    h.weight = 0.0;
                    h.modifier = Some("negated");
                }
            }
        }

        let pain_sentences: Vec<usize> = hits
            .iter()
            .filter(|h| {
                h.weight > 0.0 && is(h, Element::Problem) && rules[h.rule].spec.role != Role::Need
            })
            .map(|h| layout.sentence_of(h.start))
            .collect();
        let real_actor = hits.iter().any(|h| {
            h.weight > 0.0 && is(h, Element::Who) && rules[h.rule].spec.role != Role::Company
        });
        let any_actor = hits.iter().any(|h| h.weight > 0.0 && is(h, Element::Who));

        let opener_sentences: Vec<usize> = hits
            .iter()
            .filter(|h| rules[h.rule].spec.role == Role::Opener)
            .map(|h| layout.sentence_of(h.start))
            .collect();
        for h in hits.iter_mut() {
            if h.weight == 0.0 {
                continue;
            }
            let spec = &rules[h.rule].spec;
            let si = layout.sentence_of(h.start);
            // "What if we used X?" is a proposal, not curiosity.
            let question = layout.sentences.get(si).is_some_and(|s| s.is_question)
                && !opener_sentences.contains(&si);
            let tag = |w: &mut Weighed, factor: f32, name: &'static str| {
                w.weight *= factor;
                w.modifier = Some(name);
            };
            match spec.side {
                Side::Tech => {
                    if spec.role == Role::Opener {
                        if si == leading {
                            tag(h, m.leading_opener, "leads");
                        }
                    } else if spec.role == Role::Technology
                        && any_actor
                        && pain_sentences.contains(&si)
                    {
                        tag(h, m.tech_in_problem, "part of a problem");
                    } else if question {
                        tag(h, m.question_tech, "question");
                    }
                }
                Side::Problem => {
                    if spec.element == Some(Element::Problem) && !real_actor && any_actor {
                        tag(h, m.company_only, "only the company is affected");
                    }
                }
                Side::Vague => {}
            }
            if let Some(c) = contrast {
                if h.end <= c {
                    tag(h, m.before_contrast, "before a contrast");
                } else if spec.side == Side::Problem {
                    tag(h, m.after_contrast, "after a contrast");
                }
            }
            if quotes.iter().any(|&(s, e)| s <= h.start && h.end <= e) {
                tag(h, m.reported_speech, "someone else's words");
            }
        }
    }

    /// Bonuses for two rules hitting in one sentence, numbered after the rules.
    fn pair_bonuses(&self, layout: &Layout, hits: &[Weighed]) -> Vec<Weighed> {
        let mut out = Vec::new();
        for (pi, pair) in self.pairs.iter().enumerate() {
            let found = hits
                .iter()
                .filter(|a| pair.first.contains(&a.rule) && a.weight > 0.0)
                .find_map(|a| {
                    hits.iter()
                        .find(|b| {
                            pair.second.contains(&b.rule)
                                && b.weight > 0.0
                                && layout.sentence_of(a.start) == layout.sentence_of(b.start)
                        })
                        .map(|b| (a.start.min(b.start), a.end.max(b.end)))
                });
            if let Some((start, end)) = found {
                out.push(Weighed {
                    rule: self.rules.len() + pi,
                    start,
                    end,
                    weight: pair.spec.bonus,
                    modifier: None,
                });
            }
        }
        out
    }

    fn pick_question(
        &self,
        facts: &Facts,
        fill_with: &Fill,
        norm: &Normalized,
        original: &str,
    ) -> String {
        let Facts {
            verdict,
            hits,
            present,
            thin,
            has_problem,
        } = *facts;
        let company_only = hits
            .iter()
            .any(|h| h.modifier == Some("only the company is affected"));
        for (q, &trigger_rule) in self.questions.iter().zip(&self.question_rules) {
            if !q.verdicts.is_empty() && !q.verdicts.contains(&verdict) {
                continue;
            }
            let mut matched = "";
            let fires = match q.trigger.as_str() {
                "empty" | "not_english" => false,
                "has_problem" => has_problem,
                "company_only" => company_only,
                "thin" => thin,
                "missing_evidence" => !present.contains(&Element::Evidence),
                "missing_impact" => !present.contains(&Element::Impact),
                "any" => true,
                // A rule id: compiling the rules found its index.
                _ => match hits
                    .iter()
                    .find(|h| h.weight > 0.0 && Some(h.rule) == trigger_rule)
                {
                    Some(h) => {
                        matched = slice(norm, original, h);
                        true
                    }
                    None => false,
                },
            };
            if fires {
                let f = Fill {
                    matched,
                    ..fill_with.clone()
                };
                return fill(&q.text, &f);
            }
        }
        String::new()
    }

    fn suggest_track(
        &self,
        text: &str,
        norm: &Normalized,
        original: &str,
        found: &Found,
    ) -> TrackSuggestion {
        // Distinct hint phrases per track, as spans of the normalised text.
        let mut best: Option<(usize, Vec<(usize, usize)>)> = None;
        let mut runner_up = 0;
        for (i, t) in self.tracks.iter().enumerate() {
            let mut words: Vec<(usize, usize)> = Vec::new();
            for (start, end) in t.hints.matches(text, found) {
                if !words
                    .iter()
                    .any(|&(s, e)| text[s..e].eq_ignore_ascii_case(&text[start..end]))
                {
                    words.push((start, end));
                }
            }
            match &best {
                Some((_, b)) if b.len() >= words.len() => runner_up = runner_up.max(words.len()),
                _ => {
                    runner_up = runner_up.max(best.as_ref().map_or(0, |(_, b)| b.len()));
                    best = Some((i, words));
                }
            }
        }
        match best {
            Some((i, words)) if !words.is_empty() && words.len() > runner_up => {
                let t = &self.tracks[i];
                // "<name>: it mentions *a*, *b*, *c*", written straight into one string.
                let mut reason = String::with_capacity(t.name.len() + 64);
                reason.push_str(&t.name);
                reason.push_str(": it mentions ");
                for (k, &(s, e)) in words.iter().take(3).enumerate() {
                    let (s, e) = norm.original_span(s, e);
                    if k > 0 {
                        reason.push_str(", ");
                    }
                    reason.push('*');
                    reason.push_str(original.get(s..e).unwrap_or_default());
                    reason.push('*');
                }
                TrackSuggestion {
                    track: Some(t.id.clone()),
                    reason,
                }
            }
            _ => TrackSuggestion {
                track: None,
                reason: "unsure: no clear sign of either track".into(),
            },
        }
    }
}

/// Per rule, only the strongest `cap` distinct phrases count; a phrase said twice counts once.
fn apply_caps(rules: &Rules, text: &str, hits: &mut [Weighed]) {
    let mut order: Vec<usize> = (0..hits.len()).collect();
    // (rule, start) is distinct per hit, so an unstable sort gives the same order.
    order.sort_unstable_by(|&a, &b| {
        hits[a]
            .rule
            .cmp(&hits[b].rule)
            .then(hits[b].weight.total_cmp(&hits[a].weight))
            .then(hits[a].start.cmp(&hits[b].start))
    });
    // (rule, start, end) of the phrases counted so far.
    let mut counted: Vec<(usize, usize, usize)> = Vec::new();
    let phrase = |start: usize, end: usize| text.get(start..end).unwrap_or_default();
    let mut per_rule = 0u32;
    let mut current = usize::MAX;
    for i in order {
        let h = &hits[i];
        if h.rule != current {
            current = h.rule;
            per_rule = 0;
        }
        if h.weight == 0.0 {
            continue;
        }
        let said = phrase(h.start, h.end);
        let cap = rules.rules[h.rule].spec.cap;
        let h = &mut hits[i];
        if counted
            .iter()
            .any(|&(r, s, e)| r == h.rule && same_lowercase(phrase(s, e), said))
        {
            h.weight = 0.0;
            h.modifier = Some("repeated");
        } else if per_rule >= cap {
            h.weight = 0.0;
            h.modifier = Some("over the rule's cap");
        } else {
            per_rule += 1;
            counted.push((h.rule, h.start, h.end));
        }
    }
}

/// Whether two phrases are the same once lower-cased, without lower-casing ASCII into new strings.
fn same_lowercase(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// Quoted spans that follow "suggested", "said", "asked": someone else's words.
fn reported_quotes(rules: &Rules, text: &str, found: &Found) -> Vec<(usize, usize)> {
    let Some(cue) = &rules.reported_speech else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (_, end) in cue.matches(text, found) {
        let after = &text[end..];
        let Some(open) = after.find(['"', '\'']) else {
            continue;
        };
        if open > 12 {
            continue;
        }
        let q = after.as_bytes()[open];
        let body_start = end + open + 1;
        if let Some(close) = text[body_start..].find(q as char) {
            out.push((body_start, body_start + close));
        }
    }
    out
}

/// The largest char boundary at or below `i`.
fn floor_char(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn round2(x: f32) -> f32 {
    (x * 100.0).round() / 100.0
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

/// What the verdict found, for choosing the question.
#[derive(Clone, Copy)]
struct Facts<'h> {
    verdict: Verdict,
    hits: &'h [Weighed],
    present: &'h [Element],
    thin: bool,
    has_problem: bool,
}

/// What a question's placeholders are filled with: slices of the pitch, no copies.
#[derive(Debug, Clone, Default)]
struct Fill<'a> {
    matched: &'a str,
    actor: &'a str,
    pain: &'a str,
    tech: &'a str,
    number: &'a str,
    missing: String,
}

impl<'a> Fill<'a> {
    fn from_hits(
        rules: &Rules,
        norm: &'a Normalized,
        original: &'a str,
        hits: &[Weighed],
    ) -> Fill<'a> {
        let spec = |h: &Weighed| &rules.rules[h.rule].spec;
        let first = |pred: &dyn Fn(&Weighed) -> bool| {
            hits.iter()
                .filter(|h| h.weight > 0.0 && h.rule < rules.rules.len())
                .find(|h| pred(h))
                .map_or("", |h| slice(norm, original, h))
        };
        let mut missing = Vec::new();
        for e in Element::ALL {
            if !hits
                .iter()
                .any(|h| h.weight > 0.0 && h.rule < rules.rules.len() && spec(h).element == Some(e))
            {
                missing.push(e.label());
            }
        }
        Fill {
            matched: "",
            actor: first(&|h| spec(h).element == Some(Element::Who)),
            pain: first(&|h| spec(h).element == Some(Element::Problem)),
            tech: first(&|h| spec(h).role == Role::Technology),
            number: if norm.text.bytes().any(|b| b.is_ascii_digit()) {
                rules
                    .number
                    .scan(&norm.text)
                    .next()
                    .map_or("", |(s, e)| &norm.text[s..e])
            } else {
                ""
            },
            missing: join_and(&missing),
        }
    }
}

/// The original text behind a hit.
fn slice<'a>(norm: &Normalized, original: &'a str, h: &Weighed) -> &'a str {
    let (s, e) = norm.original_span(h.start, h.end);
    original.get(s..e).unwrap_or_default()
}

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Fill a question's placeholders; a placeholder with nothing to fill reads naturally.
fn fill(template: &str, f: &Fill) -> String {
    fn clean(s: &str) -> &str {
        s.trim().trim_matches(|c: char| c == '*' || c == '_')
    }
    // One placeholder after the other, as `str::replace` in a chain would, but a template only
    // has one or two of them: the others cost a search, not a copy.
    let mut out = template.to_string();
    let mut put = |placeholder: &str, with: &str| {
        if out.contains('{') && out.contains(placeholder) {
            out = out.replace(placeholder, with);
        }
    };
    put("{match}", clean(f.matched));
    put(
        "{actor}",
        clean(if f.actor.is_empty() {
            "people"
        } else {
            f.actor
        }),
    );
    put("{pain}", clean(f.pain));
    put(
        "{tech}",
        clean(if f.tech.is_empty() { f.matched } else { f.tech }),
    );
    put("{number}", f.number);
    put("{missing}", &f.missing);
    if !out.contains("  ") {
        return out;
    }
    // An empty placeholder leaves a double space behind.
    let mut collapsed = String::with_capacity(out.len());
    let mut prev_space = false;
    for c in out.chars() {
        if c == ' ' && prev_space {
            continue;
        }
        prev_space = c == ' ';
        collapsed.push(c);
    }
    collapsed
}
