//! `problemfirst check`: assess one pitch offline and explain the verdict.

use super::{text_arg, ConfigArg, Failure};
use crate::domain::{Advice, Assessment, Side};
use crate::slack::mrkdwn::plain;
use serde::Serialize;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
    /// Print one JSON object instead of an explanation.
    #[arg(long)]
    json: bool,
    /// The pitch; `-` reads standard input.
    text: String,
}

#[derive(Serialize)]
struct JsonHit<'a> {
    rule: &'a str,
    side: &'a str,
    text: &'a str,
    start: usize,
    end: usize,
}

#[derive(Serialize)]
struct JsonAssessment<'a> {
    verdict: &'a str,
    confidence: f32,
    advice: &'a str,
    probabilities: crate::domain::Scores,
    drivers: &'a [crate::domain::Driver],
    reason: String,
    version: String,
    track: &'a str,
    track_reason: String,
    present: Vec<&'a str>,
    missing: Vec<&'a str>,
    hits: Vec<JsonHit<'a>>,
    question: String,
    notes: &'a [String],
}

pub fn run(args: Args) -> Result<(), Failure> {
    let config = args.config.load()?;
    let text = text_arg(&args.text)?;
    let a = config.classifier.assess(&text);
    if args.json {
        let out = JsonAssessment {
            verdict: a.verdict.as_str(),
            confidence: a.confidence,
            advice: a.advice.as_str(),
            probabilities: a.probabilities,
            drivers: &a.drivers,
            reason: plain(&a.reason),
            version: config.classifier.version(),
            track: a.track.track.as_deref().unwrap_or("unsure"),
            track_reason: plain(&a.track.reason),
            present: a.present.iter().map(|e| e.as_str()).collect(),
            missing: a.missing.iter().map(|e| e.as_str()).collect(),
            hits: a
                .hits
                .iter()
                .filter(|h| h.weight > 0.0)
                .map(|h| JsonHit {
                    rule: &h.rule,
                    side: h.side.as_str(),
                    text: &h.text,
                    start: h.start,
                    end: h.end,
                })
                .collect(),
            question: plain(&a.question),
            notes: &a.notes,
        };
        let line = serde_json::to_string(&out)
            .map_err(|e| Failure::Usage(format!("can't write JSON: {e}")))?;
        println!("{line}");
    } else {
        print!("{}", plain(&explain(&a)));
    }
    Ok(())
}

/// A few lines a person can read: the verdict, why, what moved it, what is there and missing,
/// the question.
pub fn explain(a: &Assessment) -> String {
    let answer = match a.advice {
        Advice::File => "filed as it is",
        Advice::Tip => "filed, with an optional tip",
        Advice::Coach => "kept as a draft: Reframe, File anyway or Withdraw",
    };
    let mut out = format!(
        "{} ({} confidence {:.2}): {answer}\n{}\n",
        a.verdict.describe(),
        confidence_word(a.confidence),
        a.confidence,
        a.reason
    );
    for note in &a.notes {
        out.push_str(&format!("Note: {note}\n"));
    }
    if !a.drivers.is_empty() {
        let moved: Vec<String> = a
            .drivers
            .iter()
            .map(|d| format!("\"{}\" ({}, {:+.2})", d.text, d.why, d.weight))
            .collect();
        out.push_str(&format!("Moved most by: {}\n", moved.join("; ")));
    }
    for (side, label) in [
        (Side::Problem, "Problem signals"),
        (Side::Tech, "Solution signals"),
        (Side::Vague, "Vague signals"),
    ] {
        let phrases = a.phrases(side);
        if !phrases.is_empty() {
            out.push_str(&format!("{label}: {}\n", quote_all(&phrases)));
        }
    }
    out.push_str(&format!(
        "Probabilities: problem {:.2}, tech {:.2}, vague {:.2}\n",
        a.probabilities.problem, a.probabilities.tech, a.probabilities.vague
    ));
    let names =
        |v: &[crate::domain::Element]| v.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ");
    if !a.present.is_empty() {
        out.push_str(&format!("Present: {}\n", names(&a.present)));
    }
    if !a.missing.is_empty() {
        out.push_str(&format!("Missing: {}\n", names(&a.missing)));
    }
    let track = a.track.track.as_deref().unwrap_or("unsure");
    out.push_str(&format!("Track: {track} ({})\n", a.track.reason));
    out.push_str(&format!("Question: {}\n", a.question));
    out
}

fn confidence_word(c: f32) -> &'static str {
    if c < 0.65 {
        "low"
    } else if c < 0.8 {
        "medium"
    } else {
        "high"
    }
}

fn quote_all(phrases: &[&str]) -> String {
    phrases
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
