//! `problemfirst eval`: score the classifier on labelled pitches (JSONL with `text` and `label`).

use super::{ConfigArg, Failure};
use crate::domain::evaluation::Evaluation;
use crate::domain::{Advice, Side, Verdict};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
    /// Print the figures as one JSON object.
    #[arg(long)]
    json: bool,
    /// List the misjudged pitches with their hits.
    #[arg(long)]
    errors: bool,
    /// Exit 1 when accuracy is below this.
    #[arg(long, value_name = "X")]
    min_accuracy: Option<f64>,
    /// Exit 1 when the false-nag rate (problem-led pitches given buttons) is above this.
    #[arg(long, value_name = "X")]
    max_false_nag: Option<f64>,
    /// Exit 1 when tech recall is below this.
    #[arg(long, value_name = "X")]
    min_tech_recall: Option<f64>,
    /// Exit 1 when coach recall (tech-led and vague pitches given buttons) is below this.
    #[arg(long, value_name = "X")]
    min_coach_recall: Option<f64>,
    /// JSONL file: one object per line with `text` and `label` (problem, tech or vague).
    file: PathBuf,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let config = args.config.load()?;
    let mut pairs = Vec::new();
    let mut errors = Vec::new();
    for item in super::labelled::read(&args.file)? {
        let gold = item.label;
        let a = config.classifier.assess(&item.text);
        pairs.push((gold, a.verdict, a.advice == Advice::Coach));
        if a.verdict != gold {
            errors.push((item.at, gold, a));
        }
    }
    if pairs.is_empty() {
        return Err(Failure::Usage(format!(
            "{} has no labelled pitches",
            args.file.display()
        )));
    }
    let e = Evaluation::of(&pairs);
    if args.json {
        let line = serde_json::to_string(&e).map_err(|err| Failure::Usage(err.to_string()))?;
        println!("{line}");
    } else {
        print!("{}", report(&e));
    }
    if args.errors {
        for (at, gold, a) in &errors {
            println!(
                "\n{at}: expected {gold}, got {} ({:.2}, {})",
                a.verdict,
                a.confidence,
                a.advice.as_str()
            );
            println!(
                "  P(problem) {:.2}  P(tech) {:.2}  P(vague) {:.2}",
                a.probabilities.problem, a.probabilities.tech, a.probabilities.vague
            );
            println!("  {}", crate::slack::mrkdwn::plain(&a.reason));
            for d in &a.drivers {
                println!("  moved by \"{}\" ({}, {:+.2})", d.text, d.why, d.weight);
            }
            for h in a.hits.iter().filter(|h| h.weight > 0.0) {
                let side = match h.side {
                    Side::Problem => "+P",
                    Side::Tech => "+T",
                    Side::Vague => "+V",
                };
                let modifier = h
                    .modifier
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default();
                println!(
                    "  {side} {:.2} {} \"{}\"{modifier}",
                    h.weight, h.rule, h.text
                );
            }
        }
    }
    let mut missed = Vec::new();
    if let Some(min) = args.min_accuracy.filter(|&m| e.accuracy < m) {
        missed.push(format!("accuracy {:.3} < {min}", e.accuracy));
    }
    if let Some(max) = args.max_false_nag.filter(|&m| e.false_nag_rate > m) {
        missed.push(format!("false-nag rate {:.3} > {max}", e.false_nag_rate));
    }
    if let Some(min) = args.min_tech_recall.filter(|&m| e.tech_recall < m) {
        missed.push(format!("tech recall {:.3} < {min}", e.tech_recall));
    }
    if let Some(min) = args.min_coach_recall.filter(|&m| e.coach_recall < m) {
        missed.push(format!("coach recall {:.3} < {min}", e.coach_recall));
    }
    if missed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Gate(format!(
            "quality gate missed: {}",
            missed.join("; ")
        )))
    }
}

fn report(e: &Evaluation) -> String {
    let mut out = format!(
        "{} pitches\n\nconfusion (rows: label, columns: verdict)\n",
        e.n
    );
    out.push_str(&format!("{:>10}", ""));
    for p in Verdict::ALL {
        out.push_str(&format!("{:>9}", p.as_str()));
    }
    out.push('\n');
    for g in Verdict::ALL {
        out.push_str(&format!("{:>10}", g.as_str()));
        for p in Verdict::ALL {
            let n = e
                .confusion
                .get(&g)
                .and_then(|m| m.get(&p))
                .copied()
                .unwrap_or(0);
            out.push_str(&format!("{n:>9}"));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "\n{:>10}{:>11}{:>9}{:>9}\n",
        "", "precision", "recall", "f1"
    ));
    for (v, s) in &e.per_label {
        out.push_str(&format!(
            "{:>10}{:>11.3}{:>9.3}{:>9.3}\n",
            v.as_str(),
            s.precision,
            s.recall,
            s.f1
        ));
    }
    out.push_str(&format!(
        "\naccuracy        {:.3}\ntech recall     {:.3}\nfalse-nag rate  {:.3}  (problem-led pitches given buttons)\ncoach recall    {:.3}  (tech-led and vague pitches given buttons)\n",
        e.accuracy, e.tech_recall, e.false_nag_rate, e.coach_recall
    ));
    out
}
