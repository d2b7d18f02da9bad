//! Golden pitches: hand-written, hand-labelled pitches (tests/golden.toml) run through the shipped
//! classifier (config/problemfirst.toml and its model). The table is not where the model is tuned:
//! it checks behaviour — Slack markup, emoji, case and spacing never change the answer, every
//! coached pitch gets exactly one question — and exact verdicts only for the clear-cut pitches.
//! Every miss is collected and reported at once.

use std::path::{Path, PathBuf};

use problemfirst::config::Config;
use problemfirst::domain::{Advice, Assessment, Verdict};

#[derive(Debug, serde::Deserialize)]
struct Golden {
    pitch: Vec<Pitch>,
}

#[derive(Debug, serde::Deserialize)]
struct Pitch {
    text: String,
    expect: String,
    case: String,
    /// A clear-cut pitch: its verdict is checked exactly.
    #[serde(default)]
    clear: bool,
}

fn manifest_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn load_config() -> Config {
    let path = manifest_path("config/problemfirst.toml");
    Config::load(path.as_path()).unwrap_or_else(|e| {
        panic!(
            "the default config should load from {}: {e}",
            path.display()
        )
    })
}

fn load_golden() -> Vec<Pitch> {
    let path = manifest_path("tests/golden.toml");
    let raw = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let golden: Golden = toml::from_str(&raw)
        .unwrap_or_else(|e| panic!("{} is not valid golden TOML: {e}", path.display()));
    assert!(
        !golden.pitch.is_empty(),
        "{} holds no [[pitch]] items",
        path.display()
    );
    for p in &golden.pitch {
        assert!(
            matches!(p.expect.as_str(), "problem" | "tech" | "vague"),
            "golden item has expect = {:?} (must be problem, tech or vague): {:?}",
            p.expect,
            p.text
        );
        assert!(
            !p.case.trim().is_empty(),
            "golden item without a case tag: {:?}",
            p.text
        );
    }
    golden.pitch
}

/// One line per hit: `rule(side) "matched text"`.
fn describe_hits(a: &Assessment) -> String {
    if a.hits.is_empty() {
        return "(no hits)".to_string();
    }
    a.hits
        .iter()
        .map(|h| format!("{}({}) {:?}", h.rule, h.side.as_str(), h.text))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Shortens long texts so the failure list stays readable.
fn excerpt(text: &str) -> String {
    const MAX: usize = 160;
    let one_line = text.replace('\n', " ⏎ ");
    if one_line.chars().count() <= MAX {
        one_line
    } else {
        let cut: String = one_line.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

#[test]
fn clear_cut_pitches_get_their_verdict_and_answer() {
    let config = load_config();
    let pitches = load_golden();
    let mut misses = Vec::new();
    let mut checked = 0;
    for (i, p) in pitches.iter().enumerate().filter(|(_, p)| p.clear) {
        checked += 1;
        let a = config.classifier.assess(&p.text);
        let coached = a.advice == Advice::Coach;
        let right_answer = if p.expect == "problem" {
            !coached
        } else {
            coached
        };
        if a.verdict.to_string() != p.expect || !right_answer {
            misses.push(format!(
                "#{i:>3} expected {}, got {} ({:?}, P(problem) {:.2})\n      text: {}\n      hits: {}",
                p.expect,
                a.verdict,
                a.advice,
                a.probabilities.problem,
                excerpt(&p.text),
                describe_hits(&a),
            ));
        }
    }
    assert!(checked >= 12, "too few clear-cut pitches: {checked}");
    assert!(
        misses.is_empty(),
        "{} of {checked} clear-cut pitches misjudged:\n\n{}",
        misses.len(),
        misses.join("\n\n")
    );
}

/// The same pitch as Slack may deliver it: marked up, with emoji and mentions, other spacing,
/// the first letter's case changed.
fn variants(text: &str) -> Vec<String> {
    let mut first_flipped = String::with_capacity(text.len());
    let mut chars = text.chars();
    if let Some(c) = chars.next() {
        if c.is_uppercase() {
            first_flipped.extend(c.to_lowercase());
        } else {
            first_flipped.extend(c.to_uppercase());
        }
    }
    first_flipped.extend(chars);
    vec![
        format!("*{text}*"),
        format!("<@U0123ABCD> {text} :rocket:"),
        format!("> {text}"),
        text.replace(' ', "  "),
        format!("  {text}\n"),
        text.replacen(' ', " :sparkles: ", 1),
        first_flipped,
    ]
}

#[test]
fn markup_emoji_case_and_spacing_never_change_the_answer() {
    let config = load_config();
    let pitches = load_golden();
    let mut changed = Vec::new();
    for (i, p) in pitches.iter().enumerate() {
        let a = config.classifier.assess(&p.text);
        for v in variants(&p.text) {
            let b = config.classifier.assess(&v);
            if (a.verdict, a.advice) != (b.verdict, b.advice) {
                changed.push(format!(
                    "#{i:>3} {} / {:?} became {} / {:?} for {:?}",
                    a.verdict, a.advice, b.verdict, b.advice, v
                ));
            }
        }
    }
    assert!(
        changed.is_empty(),
        "{} variants changed the answer:\n{}",
        changed.len(),
        changed.join("\n")
    );
}

#[test]
fn every_tech_or_vague_pitch_gets_exactly_one_question() {
    let config = load_config();
    let pitches = load_golden();

    let mut bad = Vec::new();
    let mut checked = 0usize;
    for (i, p) in pitches.iter().enumerate() {
        let a = config.classifier.assess(&p.text);
        if !matches!(a.verdict, Verdict::Tech | Verdict::Vague) {
            continue;
        }
        checked += 1;
        let question = a.question.trim();
        let marks = question.matches('?').count();
        if question.is_empty() || marks > 1 {
            bad.push(format!(
                "#{i:>3} [{case}] verdict {verdict}: question {question:?} ({marks} question marks)\n      text: {text}",
                case = p.case,
                verdict = a.verdict,
                text = excerpt(&p.text),
            ));
        }
    }

    if !bad.is_empty() {
        panic!(
            "{} of {} tech/vague assessments do not ask exactly one question:\n\n{}",
            bad.len(),
            checked,
            bad.join("\n\n")
        );
    }
}
