//! Properties of the classifier that must hold for every input, not just the golden pitches:
//! Slack markup never changes a verdict, a negation before a technology term never adds tech
//! points, any string assesses without panicking and with hit spans that point into the text the
//! person wrote, over-long and empty input get a note or a question instead of a guess.
//!
//! The config is loaded once. Case counts are modest so the file runs in seconds in debug mode;
//! failures are not persisted to disk (a found counterexample belongs in a plain `#[test]` below).

use problemfirst::config::Config;
use problemfirst::domain::openings::{Found, Pattern};
use problemfirst::domain::{Advice, Assessment, Verdict};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::Config as ProptestConfig;
use std::path::Path;
use std::sync::OnceLock;

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/problemfirst.toml");
        Config::load(&path).unwrap_or_else(|e| panic!("the shipped config should load: {e}"))
    })
}

fn assess(text: &str) -> Assessment {
    config().classifier.assess(text)
}

fn cases(n: u32) -> ProptestConfig {
    ProptestConfig {
        cases: n,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The character limit of the shipped config (`[verdict] max_chars`).
const MAX_CHARS: usize = 4000;

// ---------------------------------------------------------------------------------------------
// Plain pitches, written for these tests, with the verdict a reader would give them.

const PITCHES: &[(&str, Verdict)] = &[
    ("Our field technicians wait two days for spare parts, so a third of repairs need a second visit and customers complain every week.", Verdict::Problem),
    ("New joiners spend their first week chasing laptop access because nobody tells them which forms to fill in, and managers lose hours answering the same questions.", Verdict::Problem),
    ("Night shift nurses can't find a free wheelchair when a patient has to be moved, so they walk every corridor and patients wait up to twenty minutes.", Verdict::Problem),
    ("Customers who call about a late delivery are transferred three times on average, and half of them hang up before anyone can help them.", Verdict::Problem),
    ("Warehouse staff re-type every order from email into the stock system by hand, which causes mistakes and delays shipping by a day.", Verdict::Problem),
    ("Parents can't see whether their kid's school bus is running late, so they stand outside in the rain for half an hour most mornings.", Verdict::Problem),
    ("Our HR & payroll colleagues re-enter every leave request by hand, which causes mistakes and overtime each month.", Verdict::Problem),
    ("Visitors can't find the meeting rooms because the signs are outdated, so they're late & stressed.", Verdict::Problem),
    ("Chatbot for the HR team, so questions get answered at night.", Verdict::Tech),
    ("Let's build a chatbot for the intranet that answers every question employees have.", Verdict::Tech),
    ("We should use blockchain to track all our contracts and make everything transparent.", Verdict::Tech),
    ("I think we need an AI platform that automates reporting across all departments.", Verdict::Tech),
    ("Build a mobile app for the canteen with a loyalty programme and push notifications.", Verdict::Tech),
    ("We need a new dashboard with real-time analytics for the sales team.", Verdict::Tech),
    ("What if we put sensors in every meeting room and showed occupancy on a big screen?", Verdict::Tech),
    ("Let's create a generative AI assistant that writes our newsletters for us.", Verdict::Tech),
    ("Let's build an R&D portal for ideas & experiments, with AI search & a dashboard.", Verdict::Tech),
    ("We should modernise our digital culture and become more innovative.", Verdict::Vague),
    ("It's time to rethink how we work and boost productivity across the board.", Verdict::Vague),
    ("Our brand needs a fresh vision to stay ahead in the future.", Verdict::Vague),
    ("I feel like there is so much potential in what we could be doing as a company.", Verdict::Vague),
    ("Collaboration and engagement should be better everywhere, we need to step up.", Verdict::Vague),
    ("We should be more innovative & agile, and modernise how Sales & Marketing work together.", Verdict::Vague),
];

#[test]
fn the_plain_pitches_have_the_verdicts_the_properties_start_from() {
    let wrong: Vec<String> = PITCHES
        .iter()
        .filter_map(|&(p, want)| {
            let got = assess(p).verdict;
            (got != want).then(|| format!("expected {want}, got {got}: {p}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for v in Verdict::ALL {
        assert!(PITCHES.iter().any(|&(_, w)| w == v), "no {v} pitch");
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Slack markup never changes a verdict.

#[derive(Debug, Clone, Copy)]
enum Wrap {
    Plain,
    Bold,
    Italic,
    Strike,
    Code,
    BoldItalic,
    Link,
}

#[derive(Debug, Clone, Copy)]
enum Gap {
    None,
    /// A `:name:` code after the word.
    Code(&'static str),
    /// A unicode emoji after the word.
    Emoji(&'static str),
}

#[derive(Debug, Clone, Copy)]
enum Prefix {
    None,
    Quote,
    QuoteEntity,
    Bullet,
    Dash,
}

#[derive(Debug, Clone)]
struct Decor {
    /// Per word (cycled): how the word is wrapped and what follows it.
    words: Vec<(Wrap, Gap)>,
    mention: bool,
    /// `<!here>` at the start (`Some(true)`) or the end (`Some(false)`).
    here: Option<bool>,
    prefix: Prefix,
    curly: bool,
    amp_entity: bool,
}

const EMOJI_CODES: &[&str] = &[
    ":tada:",
    ":rocket:",
    ":+1:",
    ":thumbsup::skin-tone-3:",
    ":white_check_mark:",
    ":face_with_rolling_eyes:",
    ":bulb:",
];

const EMOJI: &[&str] = &[
    "\u{1F680}",                  // rocket
    "\u{1F389}",                  // party popper
    "\u{1F44D}\u{1F3FD}",         // thumbs up, skin tone
    "\u{2764}\u{FE0F}",           // red heart with variation selector
    "\u{1F469}\u{200D}\u{1F4BB}", // woman technologist (ZWJ sequence)
    "\u{1F1E9}\u{1F1EA}",         // flag
    "\u{2705}",                   // check mark
    "\u{1F64F}",                  // folded hands
];

fn wrap_strategy() -> impl Strategy<Value = Wrap> {
    prop_oneof![
        6 => Just(Wrap::Plain),
        1 => Just(Wrap::Bold),
        1 => Just(Wrap::Italic),
        1 => Just(Wrap::Strike),
        1 => Just(Wrap::Code),
        1 => Just(Wrap::BoldItalic),
        1 => Just(Wrap::Link),
    ]
}

fn gap_strategy() -> impl Strategy<Value = Gap> {
    prop_oneof![
        8 => Just(Gap::None),
        1 => select(EMOJI_CODES).prop_map(Gap::Code),
        1 => select(EMOJI).prop_map(Gap::Emoji),
    ]
}

fn decor_strategy() -> impl Strategy<Value = Decor> {
    (
        proptest::collection::vec((wrap_strategy(), gap_strategy()), 1..40),
        any::<bool>(),
        proptest::option::of(any::<bool>()),
        prop_oneof![
            3 => Just(Prefix::None),
            1 => Just(Prefix::Quote),
            1 => Just(Prefix::QuoteEntity),
            1 => Just(Prefix::Bullet),
            1 => Just(Prefix::Dash),
        ],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(words, mention, here, prefix, curly, amp_entity)| Decor {
            words,
            mention,
            here,
            prefix,
            curly,
            amp_entity,
        })
}

/// Splits a space-separated token into leading punctuation, the word, trailing punctuation.
fn split_token(token: &str) -> (&str, &str, &str) {
    let Some(first) = token.find(char::is_alphanumeric) else {
        return (token, "", "");
    };
    let last = token
        .char_indices()
        .rfind(|(_, c)| c.is_alphanumeric())
        .map_or(token.len(), |(i, c)| i + c.len_utf8());
    (&token[..first], &token[first..last], &token[last..])
}

/// The pitch as someone might type it in Slack.
fn decorate(pitch: &str, d: &Decor) -> String {
    let text = if d.curly {
        pitch.replace('\'', "\u{2019}")
    } else {
        pitch.to_string()
    };
    let esc = |s: &str| {
        if d.amp_entity {
            s.replace('&', "&amp;")
        } else {
            s.to_string()
        }
    };
    let mut words = Vec::new();
    for (i, token) in text.split(' ').enumerate() {
        let (wrap, gap) = d.words[i % d.words.len()];
        let (lead, word, trail) = split_token(token);
        let word = esc(word);
        let word = if word.is_empty() {
            word
        } else {
            match wrap {
                Wrap::Plain => word,
                Wrap::Bold => format!("*{word}*"),
                Wrap::Italic => format!("_{word}_"),
                Wrap::Strike => format!("~{word}~"),
                Wrap::Code => format!("`{word}`"),
                Wrap::BoldItalic => format!("*_{word}_*"),
                Wrap::Link => format!("<https://example.com/x|{word}>"),
            }
        };
        words.push(format!("{}{word}{}", esc(lead), esc(trail)));
        match gap {
            Gap::None => {}
            Gap::Code(c) | Gap::Emoji(c) => words.push(c.to_string()),
        }
    }
    let mut out = String::new();
    out.push_str(match d.prefix {
        Prefix::None => "",
        Prefix::Quote => "> ",
        Prefix::QuoteEntity => "&gt; ",
        Prefix::Bullet => "\u{2022} ",
        Prefix::Dash => "- ",
    });
    if d.mention {
        out.push_str("<@U0123ABC> ");
    }
    if d.here == Some(true) {
        out.push_str("<!here> ");
    }
    out.push_str(&words.join(" "));
    if d.here == Some(false) {
        out.push_str(" <!here>");
    }
    out
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn slack_markup_never_changes_a_verdict(pick in any::<Index>(), decor in decor_strategy()) {
        let (plain, _) = PITCHES[pick.index(PITCHES.len())];
        let want = assess(plain).verdict;
        let decorated = decorate(plain, &decor);
        let got = assess(&decorated);
        prop_assert_eq!(
            got.verdict, want,
            "plain:     {}\ndecorated: {}\nhits: {:?}", plain, decorated,
            got.hits.iter().map(|h| format!("{}:{}:{}", h.rule, h.text, h.weight)).collect::<Vec<_>>()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2. A negation right before a technology term never raises the tech score.

const TECH_TERMS: &[&str] = &[
    "AI",
    "blockchain",
    "app",
    "mobile app",
    "chatbot",
    "platform",
    "dashboard",
    "CRM",
    "machine learning",
    "sensors",
    "robots",
    "portal",
    "kiosk",
    "LLM",
    "drones",
    "website",
    "digital twin",
    "software",
    "IoT",
    "generative AI",
];

/// Sentences around one technology term (`{t}`). No "there is {t}" or "have {t} yet": there a
/// "no" turns a statement into a missing-product pitch ("there is no app"), which is tech on
/// purpose (rule T.absent).
const TECH_TEMPLATES: &[&str] = &[
    "We should build a {t} for the sales team.",
    "Let's buy a {t} so managers see everything at once.",
    "I think we need a {t} to stay ahead of competitors.",
    "{t} for every warehouse, to track all parcels.",
    "What if we used a {t} to answer HR questions?",
    "Our {t} gives customers wrong refund amounts every week.",
    "Customers complain that the {t} is slow, so they call us instead.",
    "We could use {t} to automate reporting for finance.",
    "The plan is to roll out a {t} across all stores next year.",
    "Staff spend hours re-typing orders, and a {t} would fix it.",
    "Why don't we get a {t} for the reception desk?",
    "Honestly, a {t} would make our team more innovative.",
    "Imagine a {t} that books meeting rooms automatically.",
    "Could IT set up a {t} for expense claims?",
    "Patients wait too long at reception; maybe a {t} could check them in.",
];

const CONTEXT: &[&str] = &[
    "",
    "Nurses lose twenty minutes a shift looking for equipment.",
    "We want to be more agile.",
    "Customers told us the checkout is confusing.",
    "This came up in the Friday session.",
    "Let's build something great.",
];

const NEGATIONS: &[&str] = &["not ", "no ", "never "];

/// `(before, after)` around the place where the term starts.
fn tech_pitch_strategy() -> impl Strategy<Value = (String, String)> {
    (
        select(TECH_TEMPLATES),
        select(TECH_TERMS),
        select(CONTEXT),
        select(CONTEXT),
    )
        .prop_map(|(template, term, before, after)| {
            let at = template.find("{t}").unwrap_or(0);
            let lead = template[..at].to_string();
            let tail = format!("{term}{}", &template[at + 3..]);
            let lead = if before.is_empty() {
                lead
            } else {
                format!("{before} {lead}")
            };
            let tail = if after.is_empty() {
                tail
            } else {
                format!("{tail} {after}")
            };
            (lead, tail)
        })
}

/// Every whole-word occurrence of a technology term in the plain pitches, as `(before, after)`.
fn plain_tech_occurrences() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for &(pitch, _) in PITCHES {
        for term in TECH_TERMS {
            for (at, _) in pitch.match_indices(term) {
                let before_ok = pitch[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric());
                let after_ok = pitch[at + term.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric());
                if before_ok && after_ok {
                    out.push((pitch[..at].to_string(), pitch[at..].to_string()));
                }
            }
        }
    }
    out
}

/// The weight of the solution-side rule hits: what the rules tell the model about technology.
fn tech_weight(a: &Assessment) -> f32 {
    a.hits
        .iter()
        .filter(|h| h.side == problemfirst::domain::Side::Tech)
        .map(|h| h.weight)
        .sum()
}

fn check_negation(before: &str, after: &str, neg: &str) -> Result<(), TestCaseError> {
    let plain = format!("{before}{after}");
    let negated = format!("{before}{neg}{after}");
    let a = assess(&plain);
    let b = assess(&negated);
    prop_assert!(
        tech_weight(&b) <= tech_weight(&a),
        "tech score rose from {} to {}\nplain:   {}\nnegated: {}\nplain hits:   {:?}\nnegated hits: {:?}",
        tech_weight(&a),
        tech_weight(&b),
        plain,
        negated,
        a.hits.iter().map(|h| format!("{}:{}:{}", h.rule, h.text, h.weight)).collect::<Vec<_>>(),
        b.hits.iter().map(|h| format!("{}:{}:{}", h.rule, h.text, h.weight)).collect::<Vec<_>>()
    );
    Ok(())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn a_negation_before_a_technology_term_never_raises_the_tech_score(
        (before, after) in tech_pitch_strategy(),
        neg in select(NEGATIONS),
    ) {
        check_negation(&before, &after, neg)?;
    }

    #[test]
    fn a_negation_before_a_technology_term_in_the_plain_pitches_never_raises_the_tech_score(
        pick in any::<Index>(),
        neg in select(NEGATIONS),
    ) {
        let all = plain_tech_occurrences();
        prop_assume!(!all.is_empty());
        let (before, after) = &all[pick.index(all.len())];
        check_negation(before, after, neg)?;
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Any string assesses without panic, with sane confidence and hit spans into the original.

/// Pieces that exercise the markup parser, the sentence splitter and the rules at once.
const SOUP: &[&str] = &[
    "<",
    ">",
    "&",
    ":",
    "*",
    "_",
    "~",
    "`",
    "|",
    "!",
    "@",
    "#",
    "\n",
    "\r\n",
    "\t",
    " ",
    " ",
    " ",
    ".",
    "?",
    ",",
    ";",
    "'",
    "\"",
    "-",
    "\u{2014}",
    "&amp;",
    "&gt;",
    "&lt;",
    "&quot;",
    "&amp",
    ":tada:",
    ":+1::skin-tone-2:",
    "::",
    ":100:",
    "<@U0123ABC>",
    "<!here>",
    "<#C1|ideas>",
    "<https://example.com/x|",
    "<https://example.com>",
    "> ",
    "\u{2022} ",
    "- ",
    "1. ",
    "* ",
    "customers",
    "can't",
    "can\u{2019}t",
    "not",
    "no",
    "never",
    "app",
    "AI",
    "chatbot",
    "blockchain",
    "we",
    "need",
    "a",
    "wait",
    "2 hours",
    "every day",
    "because",
    "Let's build",
    "nurses",
    "\u{e9}",
    "caf\u{e9}",
    "\u{df}",
    "\u{130}",
    "\u{fb01}",
    "e\u{301}",
    "\u{1F680}",
    "\u{1F469}\u{200D}\u{1F4BB}",
    "\u{feff}",
    "\u{a0}",
    "\u{2019}",
    "\u{201C}",
    "\u{10FFFF}",
    "\u{4E2D}\u{6587}",
    "\u{0645}\u{0631}\u{062D}\u{0628}\u{0627}",
    "\u{0}",
];

fn soup_strategy(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(select(SOUP), 0..max).prop_map(|v| v.concat())
}

fn unicode_strategy(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter)
}

/// Repeats `chunk` up to (about) `target` bytes, never more than 100 kB, cut on a char boundary.
fn repeat_to(chunk: &str, target: usize) -> String {
    let target = target.min(100_000);
    if chunk.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(target + chunk.len());
    while out.len() < target {
        out.push_str(chunk);
    }
    let mut cut = target;
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    out.truncate(cut);
    out
}

/// Characters that are no word: what may follow a match to the end of the text.
const NON_WORD: &[&str] = &[
    " ",
    ".",
    "!",
    "?",
    "\u{a0}",
    "\u{2019}",
    "\u{201D}",
    "\u{1F680}",
    "\u{2764}\u{FE0F}",
    ":tada:",
    "*",
    "~",
    "\u{2014}",
    "\n",
];

/// A technology term alone, then nothing but punctuation, spaces and emoji: "Chatbot 🚀".
fn bare_tech_strategy() -> impl Strategy<Value = String> {
    (
        select(TECH_TERMS),
        proptest::collection::vec(select(NON_WORD), 0..6),
    )
        .prop_map(|(term, tail)| format!("{term}{}", tail.concat()))
}

/// A plain pitch with some spaces turned into other blanks or emoji, and a tail after it.
fn respaced_pitch_strategy() -> impl Strategy<Value = String> {
    (
        any::<Index>(),
        proptest::collection::vec(
            select(
                &[
                    " ",
                    " ",
                    " ",
                    "\u{a0}",
                    "\u{202f}",
                    " :tada: ",
                    " \u{1F680} ",
                    "  ",
                ][..],
            ),
            1..40,
        ),
        proptest::collection::vec(select(NON_WORD), 0..4),
    )
        .prop_map(|(pick, blanks, tail)| {
            let (pitch, _) = PITCHES[pick.index(PITCHES.len())];
            let mut out = String::new();
            for (i, word) in pitch.split(' ').enumerate() {
                if i > 0 {
                    out.push_str(blanks[i % blanks.len()]);
                }
                out.push_str(word);
            }
            out.push_str(&tail.concat());
            out
        })
}

fn any_text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => unicode_strategy(600),
        3 => soup_strategy(300),
        1 => bare_tech_strategy(),
        1 => respaced_pitch_strategy(),
        1 => (unicode_strategy(200), 1usize..=100_000).prop_map(|(c, n)| repeat_to(&c, n)),
        1 => (soup_strategy(120), 1usize..=100_000).prop_map(|(c, n)| repeat_to(&c, n)),
    ]
}

fn check_invariants(text: &str) -> Result<(), TestCaseError> {
    let a = assess(text);
    prop_assert!(
        (0.0..=1.0).contains(&a.confidence),
        "confidence {} out of 0..=1",
        a.confidence
    );
    let p = a.probabilities;
    prop_assert!(p.problem.is_finite() && p.tech.is_finite() && p.vague.is_finite());
    prop_assert!(
        (p.problem + p.tech + p.vague - 1.0).abs() < 0.01,
        "probabilities {p:?} do not add up to one"
    );
    // Buttons only for a pitch that is not judged problem-led; a problem verdict is filed.
    if a.advice == Advice::Coach {
        prop_assert!(a.verdict != Verdict::Problem, "{a:?}");
    }
    for d in &a.drivers {
        prop_assert!(
            d.start <= d.end
                && d.end <= text.len()
                && text.is_char_boundary(d.start)
                && text.is_char_boundary(d.end),
            "driver {:?} {}..{} outside {:?}",
            d.text,
            d.start,
            d.end,
            text
        );
        prop_assert_eq!(&text[d.start..d.end], d.text.as_str());
        prop_assert!(d.weight > 0.0, "a driver moves the verdict: {d:?}");
    }
    for h in &a.hits {
        prop_assert!(
            h.start <= h.end && h.end <= text.len(),
            "hit {} {}..{} out of 0..{} in {:?}",
            h.rule,
            h.start,
            h.end,
            text.len(),
            text
        );
        prop_assert!(
            text.is_char_boundary(h.start) && text.is_char_boundary(h.end),
            "hit {} {}..{} (text {:?}) does not lie on char boundaries of {:?}",
            h.rule,
            h.start,
            h.end,
            h.text,
            text
        );
        prop_assert_eq!(
            &text[h.start..h.end],
            h.text.as_str(),
            "hit {} {}..{} in {:?}",
            &h.rule,
            h.start,
            h.end,
            text
        );
    }
    if text.chars().count() > MAX_CHARS {
        prop_assert!(
            a.notes.iter().any(|n| n.contains("4000")),
            "no too-long note: {:?}",
            a.notes
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(160))]

    #[test]
    fn any_string_up_to_100_kb_assesses_with_spans_into_the_original(text in any_text_strategy()) {
        check_invariants(&text)?;
    }

    #[test]
    fn decorated_pitches_keep_spans_into_the_original(pick in any::<Index>(), decor in decor_strategy()) {
        let (plain, _) = PITCHES[pick.index(PITCHES.len())];
        check_invariants(&decorate(plain, &decor))?;
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Over-long and empty input.

/// A pitch of exactly `chars` characters made of plain pitches, with some multi-byte characters.
fn long_pitch(order: &[usize], chars: usize) -> String {
    let mut out = String::new();
    let mut k = 0;
    while out.chars().count() < chars {
        let (p, _) = PITCHES[order[k % order.len()] % PITCHES.len()];
        out.push_str(p);
        out.push_str(if k % 3 == 0 {
            " \u{1F680} Caf\u{e9} \u{2019}"
        } else {
            " "
        });
        k += 1;
    }
    out.chars().take(chars).collect()
}

/// The byte offset just past the first `MAX_CHARS` characters.
fn read_limit(text: &str) -> usize {
    text.char_indices()
        .nth(MAX_CHARS)
        .map_or(text.len(), |(i, _)| i)
}

proptest! {
    #![proptest_config(cases(32))]

    #[test]
    fn a_10000_character_pitch_is_read_up_to_4000_characters(
        order in proptest::collection::vec(0..PITCHES.len(), 1..30),
    ) {
        let text = long_pitch(&order, 10_000);
        prop_assert_eq!(text.chars().count(), 10_000);
        let a = assess(&text);
        prop_assert!(
            a.notes.iter().any(|n| n.contains("first 4000 characters")),
            "notes: {:?}", a.notes
        );
        let limit = read_limit(&text);
        for h in &a.hits {
            prop_assert!(h.end <= limit, "hit {} at {}..{} lies beyond the first {} characters", h.rule, h.start, h.end, MAX_CHARS);
        }
        prop_assert!(!a.question.is_empty());
    }

    #[test]
    fn empty_or_whitespace_only_input_is_vague_with_a_question(
        parts in proptest::collection::vec(
            select(&[" ", "\t", "\n", "\r\n", "\u{a0}", "\u{2007}", "\u{202f}", "\u{3000}", "\u{2028}", "<@U0123ABC>", "<!here>", ":tada:", "*", "_", "~", "> ", "\u{2022} "][..]),
            0..40,
        ),
    ) {
        let text = parts.concat();
        let a = assess(&text);
        prop_assert_eq!(a.verdict, Verdict::Vague, "{:?}", text);
        prop_assert!(!a.question.trim().is_empty(), "no question for {:?}", text);
        prop_assert!(a.hits.is_empty());
    }
}

#[test]
fn exactly_the_limit_gets_no_note_and_one_more_character_does() {
    let at_limit = long_pitch(&[0, 5, 9], MAX_CHARS);
    let a = assess(&at_limit);
    assert!(
        !a.notes.iter().any(|n| n.contains("4000")),
        "notes: {:?}",
        a.notes
    );
    let over = format!("{at_limit}x");
    let a = assess(&over);
    assert!(
        a.notes.iter().any(|n| n.contains("first 4000 characters")),
        "notes: {:?}",
        a.notes
    );
}

#[test]
fn the_empty_string_is_vague_with_a_note_and_a_question() {
    for text in ["", " ", "\n\n\t "] {
        let a = assess(text);
        assert_eq!(a.verdict, Verdict::Vague, "{text:?}");
        assert!(!a.question.is_empty(), "{text:?}");
        assert!(!a.notes.is_empty(), "{text:?}: no note");
    }
}

// ---------------------------------------------------------------------------------------------
// Plain examples.

#[test]
fn work_stations_are_a_solution_and_the_question_reframes_them() {
    let a = assess("I need 12 work stations");
    assert_eq!(a.verdict, Verdict::Tech, "{a:?}");
    assert!(
        a.question
            .contains("a space where my 12 new employees can work effectively"),
        "question: {}",
        a.question
    );
}

#[test]
fn a_german_pitch_is_not_judged_but_gets_a_note() {
    let a = assess(
        "Wir haben ein Problem mit der Kantine, die Kollegen warten jeden Mittag viel zu lange auf ihr Essen.",
    );
    assert_eq!(a.verdict, Verdict::Vague, "{a:?}");
    assert!(
        a.notes.iter().any(|n| n.contains("English")),
        "notes: {:?}",
        a.notes
    );
    assert!(a.question.contains("English"), "question: {}", a.question);
}

#[test]
fn a_spanish_pitch_is_not_judged_but_gets_a_note() {
    let a = assess(
        "Los clientes esperan mucho tiempo por sus pedidos y no hay una forma clara para saber el estado.",
    );
    assert_eq!(a.verdict, Verdict::Vague, "{a:?}");
    assert!(
        a.notes.iter().any(|n| n.contains("English")),
        "notes: {:?}",
        a.notes
    );
}

#[test]
fn hits_point_into_the_original_text_even_after_markup() {
    let raw = "<@U0123ABC> :wave: &gt; *Night-shift* _nurses_ can\u{2019}t find a \
               <https://example.com/w|wheelchair> &amp; patients wait 20 minutes \u{1F622} every night.";
    let a = assess(raw);
    assert!(!a.hits.is_empty());
    for h in &a.hits {
        assert!(
            raw.is_char_boundary(h.start) && raw.is_char_boundary(h.end),
            "{h:?}"
        );
        assert_eq!(&raw[h.start..h.end], h.text, "{h:?}");
    }
    let nurses = a
        .hits
        .iter()
        .find(|h| h.text == "nurses")
        .unwrap_or_else(|| panic!("no hit on 'nurses': {:?}", a.hits));
    assert_eq!(nurses.start, raw.find("nurses").unwrap_or(usize::MAX));
    let cant = a
        .hits
        .iter()
        .find(|h| h.rule == "P.pain" && h.text.starts_with("can"))
        .unwrap_or_else(|| panic!("no pain hit on 'can\u{2019}t': {:?}", a.hits));
    assert_eq!(cant.text, "can\u{2019}t");
    assert_eq!(cant.start, raw.find("can\u{2019}t").unwrap_or(usize::MAX));
    let wait = a
        .hits
        .iter()
        .find(|h| h.text == "wait")
        .unwrap_or_else(|| panic!("no hit on 'wait': {:?}", a.hits));
    assert_eq!(wait.start, raw.find("wait").unwrap_or(usize::MAX));
}

#[test]
fn a_negated_technology_term_counts_for_nothing() {
    let plain = assess("We should build a chatbot for the sales team.");
    let negated = assess("We should build no chatbot for the sales team.");
    assert!(
        tech_weight(&negated) < tech_weight(&plain),
        "{plain:?}\n{negated:?}"
    );
    let hit = negated
        .hits
        .iter()
        .find(|h| h.text == "chatbot")
        .unwrap_or_else(|| panic!("no hit on 'chatbot': {:?}", negated.hits));
    assert_eq!(hit.weight, 0.0);
    assert_eq!(hit.modifier.as_deref(), Some("negated"));
}

// ---------------------------------------------------------------------------------------------
// Counterexamples the properties found, kept as plain tests so they read as a bug report.

#[test]
fn an_emoji_between_words_does_not_hide_a_solution_opener() {
    let plain =
        "Let's build a chatbot for the intranet that answers every question employees have.";
    assert_eq!(assess(plain).verdict, Verdict::Tech);
    for decorated in [
        "Let's :tada: build a chatbot for the intranet that answers every question employees have.",
        "Let's \u{1F389} build a chatbot for the intranet that answers every question employees have.",
    ] {
        let a = assess(decorated);
        assert_eq!(a.verdict, Verdict::Tech, "{decorated}\n{:?}", a.hits);
    }
}

#[test]
fn a_link_label_is_read_like_the_rest_of_the_text() {
    // Slack escapes `&` in link labels too, and people type curly apostrophes there as anywhere.
    let a = assess("<https://wiki.example.com/rd|R&amp;D> can't find the test rigs, so experiments wait for days.");
    assert_eq!(a.verdict, Verdict::Problem, "{:?}", a.hits);
    let a = assess("<https://example.com/x|Let\u{2019}s> build a chatbot for the intranet that answers every question employees have.");
    assert_eq!(a.verdict, Verdict::Tech, "{:?}", a.hits);
}

#[test]
fn a_hit_next_to_a_multibyte_character_ends_on_a_char_boundary() {
    for raw in [
        "Chatbot \u{1F680}",
        "AI\u{a0}",
        "Blockchain \u{2019}",
        "What if we r\u{e9}organis\u{e9} the canteen?",
        "Customers are trying to r\u{e9}serv\u{e9} a table but the booking page keeps failing.",
    ] {
        let a = assess(raw);
        for h in &a.hits {
            assert!(
                raw.is_char_boundary(h.start) && raw.is_char_boundary(h.end),
                "{raw:?}: hit {} at {}..{} (text {:?}) splits a character",
                h.rule,
                h.start,
                h.end,
                h.text
            );
            assert_eq!(&raw[h.start..h.end], h.text, "{raw:?}");
        }
    }
}

#[test]
fn a_pitch_is_judged_the_same_whatever_was_judged_before_it_on_the_thread() {
    // The classifier keeps one feature buffer per thread: nothing of a longer pitch may stay.
    let alone: Vec<Assessment> = PITCHES.iter().map(|(p, _)| assess(p)).collect();
    let long = PITCHES
        .iter()
        .map(|(p, _)| *p)
        .collect::<Vec<_>>()
        .join(" ");
    for ((pitch, _), first) in PITCHES.iter().zip(&alone) {
        assess(&long);
        assert_eq!(&assess(pitch), first, "{pitch}");
    }
    let elsewhere = std::thread::spawn(|| assess(PITCHES[0].0))
        .join()
        .expect("judged on another thread");
    assert_eq!(elsewhere, alone[0]);
}

#[test]
fn a_phrase_that_moved_the_verdict_is_never_described_as_a_signal_for_the_other_side() {
    use problemfirst::domain::Side;
    // What the problem-side rules say of a phrase ("names who is affected", "says what is
    // hard"), as the explanation words it.
    let rules = &config().classifier.rules.rules;
    let says = |side: Side| -> Vec<String> {
        rules
            .iter()
            .filter(|r| r.spec.side == side)
            .map(|r| r.describes())
            .collect()
    };
    let problem_says = says(Side::Problem);
    let solution_says = [says(Side::Tech), says(Side::Vague)].concat();
    let mut checked = 0;
    for (pitch, _) in PITCHES {
        let a = assess(pitch);
        let other = match a.verdict {
            Verdict::Problem => &solution_says,
            _ => &problem_says,
        };
        for d in &a.drivers {
            assert!(d.weight > 0.0, "{pitch}: {d:?}");
            assert!(
                !other.contains(&d.why),
                "{pitch}: {:?} moved it to {:?} but is described as {:?}",
                d.text,
                a.verdict,
                d.why
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} explanations checked");
}

// ---------------------------------------------------------------------------------------------
// The rules' one-pass search (`domain::openings`) finds what each rule's own search finds.

/// Every pattern the one pass serves, named: the rules, the modifier cue lists, the track hints.
fn patterns() -> Vec<(String, &'static Pattern)> {
    let rules = &config().classifier.rules;
    let mut all: Vec<(String, &Pattern)> = rules
        .rules
        .iter()
        .map(|r| (r.spec.id.clone(), &r.pattern))
        .collect();
    all.push(("negation cues".into(), &rules.negation));
    for (name, cues) in [
        ("pseudo-negations", &rules.pseudo_negation),
        ("contrast cues", &rules.contrast),
        ("reported-speech cues", &rules.reported_speech),
    ] {
        all.extend(cues.as_ref().map(|p| (name.to_string(), p)));
    }
    for t in &rules.tracks {
        all.push((format!("track {} hints", t.id), &t.hints));
    }
    all
}

/// The text of each pitch written for the project (`config/pitches/extra.jsonl`).
fn written_pitches() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/pitches/extra.jsonl");
    let file = std::fs::read_to_string(&path).expect("the written pitches are in the repo");
    file.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            v["text"].as_str().expect("a text").to_string()
        })
        .collect()
}

fn check_openings(text: &str) -> Result<(), TestCaseError> {
    let rules = &config().classifier.rules;
    let mut found = Found::default();
    rules.openings.find(text, &mut found);
    for (name, p) in patterns() {
        let scanned: Vec<(usize, usize)> = p.scan(text).collect();
        let opened: Vec<(usize, usize)> = p.matches(text, &found).collect();
        prop_assert_eq!(opened, scanned, "{} on {:?}", name, text);
    }
    Ok(())
}

#[test]
fn the_one_pass_search_finds_every_rule_match_in_the_written_pitches() {
    let all = patterns();
    let opened = all.iter().filter(|(_, p)| p.has_openings()).count();
    assert!(
        opened * 2 > all.len(),
        "only {opened} of {} patterns are found through their openings",
        all.len()
    );
    let mut checked = 0;
    for text in written_pitches() {
        let norm = problemfirst::domain::text::normalize(&text).text;
        for t in [text.as_str(), norm.as_str()] {
            if let Err(e) = check_openings(t) {
                panic!("{e}");
            }
        }
        checked += 1;
    }
    assert!(checked > 500, "only {checked} pitches read");
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn the_one_pass_search_finds_every_rule_match(text in prop_oneof![
        2 => soup_strategy(60),
        1 => unicode_strategy(200),
        1 => respaced_pitch_strategy(),
        1 => (any::<Index>(), soup_strategy(20)).prop_map(|(pick, soup)| {
            let (pitch, _) = PITCHES[pick.index(PITCHES.len())];
            format!("{soup}{pitch}{soup}")
        }),
    ]) {
        check_openings(&text)?;
    }
}

/// A phrase that no rule or cue names is named by what pushed it most: a class of its word (or
/// its place among the opening words) only when that moved the verdict more than its wording
/// did, and its wording otherwise. Checked on the written pitches that normalising leaves as
/// they are, so a driver's span is also the features' span.
#[test]
fn a_phrase_is_named_by_what_pushed_it_most() {
    use problemfirst::domain::features::Kind;
    let classifier = &config().classifier;
    let classes: Vec<&str> = (0..problemfirst::domain::lexicon::CLASS_NAMES.len() as u8)
        .map(problemfirst::domain::lexicon::describe)
        .collect();
    let (mut by_class, mut by_wording) = (0, 0);
    for text in written_pitches() {
        let text = text.as_str();
        if problemfirst::domain::text::normalize(text).text != text {
            continue;
        }
        let a = classifier.assess(text);
        let verdict = Verdict::ALL
            .iter()
            .position(|&x| x == a.verdict)
            .expect("a verdict");
        let features = classifier.features(text);
        for d in &a.drivers {
            let on_span =
                |f: &&problemfirst::domain::features::Feature| f.span == Some((d.start, d.end));
            let push = |f: &problemfirst::domain::features::Feature| {
                classifier.model.weight(f.key).map_or(0.0, |w| {
                    f.value * (w[verdict] - (w.iter().sum::<f32>() - w[verdict]) / 2.0)
                })
            };
            let wording: f32 = features
                .iter()
                .filter(on_span)
                .filter(|f| matches!(f.kind, Kind::Word | Kind::Pair | Kind::Affix | Kind::Gram))
                .map(push)
                .sum();
            let strongest_other = features
                .iter()
                .filter(on_span)
                .filter(|f| matches!(f.kind, Kind::Class(_) | Kind::Opening))
                .map(push)
                .fold(0.0f32, f32::max);
            if classes.contains(&d.why.as_str()) {
                assert!(
                    strongest_other > wording,
                    "{text}: {:?} is named {:?}, but its wording pushed more ({wording} against {strongest_other})",
                    d.text,
                    d.why
                );
                by_class += 1;
            } else if d.why == "the wording" {
                assert!(
                    strongest_other <= wording,
                    "{text}: {:?} is named by its wording, but a class or opening word pushed more ({strongest_other} against {wording})",
                    d.text
                );
                by_wording += 1;
            }
        }
    }
    assert!(
        by_class > 20 && by_wording > 20,
        "too few phrases checked: {by_class} named by a class, {by_wording} by their wording"
    );
}
