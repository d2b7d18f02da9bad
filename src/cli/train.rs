//! `problemfirst train`: fits the model from labelled pitches (JSON lines with `text`, `label`
//! and optionally `source` and `notes`), cross-validates it by source, prints the figures with
//! their spread and a reliability table, and writes the model file.

use super::{ConfigArg, Failure};
use crate::domain::model::CLASSES;
use crate::domain::training::{self, mean_sd, Figures, Report, Sample, Settings};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
    /// Where to write the model (default: `model.file` of the rules, beside a rules file of
    /// your own; for the built-in rules config/model.txt, their place in the source tree, which
    /// the next build carries).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Cross-validation folds.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Cross-validation runs, each with its own fold assignment: the figures are over all their
    /// folds, and the thresholds are chosen on every pitch scored once per run.
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Seed of the first run's fold assignment; the next runs take the seeds after it.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The highest share of problem-led pitches that may get the coaching buttons; sets the
    /// lower threshold.
    #[arg(long, value_name = "X", default_value_t = 0.05)]
    max_false_nag: f64,
    /// Pitches that only ever train, never scored in cross-validation (e.g. pitches written to
    /// cover cases the labelled files miss). May be given more than once.
    #[arg(long, value_name = "FILE")]
    extra: Vec<PathBuf>,
    /// How much cross-validated accuracy the verdict's offsets may give up to catch more
    /// tech-led pitches (0: the offsets of the best accuracy, ties going to tech recall). The
    /// default, five pitches in 1,256, is well inside the accuracy's spread between runs: a
    /// difference that small is a tie.
    #[arg(long, value_name = "X", default_value_t = 0.004)]
    accuracy_slack: f64,
    /// Inverse strength of the L2 regularisation (higher fits the training pitches more closely).
    #[arg(long, value_name = "C", default_value_t = 2.0)]
    c: f64,
    /// How much a pitch whose `notes` call it ambiguous counts in the fit, against 1 for the
    /// others (0: left out of the fit; it is scored either way).
    #[arg(long, value_name = "W", default_value_t = 0.25)]
    ambiguous_weight: f64,
    /// Cross-validate and print the figures, but write no model.
    #[arg(long)]
    dry_run: bool,
    /// Exit 1 when the cross-validated accuracy (mean over folds) is below this.
    #[arg(long, value_name = "X")]
    min_cv_accuracy: Option<f64>,
    /// Exit 1 when the cross-validated false-nag rate (mean over folds) is above this.
    #[arg(long, value_name = "X")]
    max_cv_false_nag: Option<f64>,
    /// Exit 1 when the cross-validated tech recall (mean over folds) is below this.
    #[arg(long, value_name = "X")]
    min_cv_tech_recall: Option<f64>,
    /// Labelled JSONL files: `train.jsonl`, a company's `export --feedback`.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// The group of a pitch for cross-validation: a GitHub repository, a web host, or — for lines
/// without a source, such as a company's overrules from `export --feedback` — the file they
/// came in, as one workplace is one source.
pub fn group_of(source: Option<&str>, file: &str) -> String {
    let Some(src) = source.map(str::trim).filter(|s| !s.is_empty()) else {
        return format!("file:{file}");
    };
    match url::Url::parse(src) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("").to_ascii_lowercase();
            let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
            if host == "github.com" {
                let parts: Vec<&str> = u
                    .path_segments()
                    .map(|p| p.filter(|s| !s.is_empty()).take(2).collect())
                    .unwrap_or_default();
                if parts.len() == 2 {
                    return format!(
                        "github.com/{}/{}",
                        parts[0].to_ascii_lowercase(),
                        parts[1].to_ascii_lowercase()
                    );
                }
            }
            host
        }
        Err(_) => src.to_ascii_lowercase(),
    }
}

fn read(path: &Path, scored: bool, config: &crate::config::Config) -> Result<Vec<Sample>, Failure> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut out = Vec::new();
    for item in super::labelled::read(path)? {
        let features = config.classifier.features(&item.text);
        let mut s = Sample::of(
            &features,
            crate::domain::model::class_index(item.label),
            group_of(item.source.as_deref(), &name),
        );
        s.scored = scored;
        s.ambiguous = item
            .notes
            .as_deref()
            .is_some_and(|n| n.to_ascii_lowercase().contains("ambiguous"));
        out.push(s);
    }
    Ok(out)
}

pub fn run(args: Args) -> Result<(), Failure> {
    if !(args.c.is_finite() && args.c > 0.0) {
        return Err(Failure::Usage("--c must be above 0".into()));
    }
    if !(args.ambiguous_weight.is_finite() && args.ambiguous_weight >= 0.0) {
        return Err(Failure::Usage(
            "--ambiguous-weight must be a number from 0 up".into(),
        ));
    }
    if args.repeats == 0 {
        return Err(Failure::Usage("--repeats must be at least 1".into()));
    }
    if args.folds < 2 {
        return Err(Failure::Usage("--folds must be at least 2".into()));
    }
    if !(0.0..1.0).contains(&args.max_false_nag) {
        return Err(Failure::Usage(
            "--max-false-nag must be between 0 and 1".into(),
        ));
    }
    let config = args.config.load_untrained()?;
    let started = std::time::Instant::now();
    let mut samples = Vec::new();
    for f in &args.files {
        samples.extend(read(f, true, &config)?);
    }
    let scored = samples.len();
    for f in &args.extra {
        samples.extend(read(f, false, &config)?);
    }
    if scored == 0 {
        return Err(Failure::Usage("the files hold no labelled pitches".into()));
    }
    let settings = Settings {
        folds: args.folds,
        repeats: args.repeats,
        seed: args.seed,
        max_false_nag: args.max_false_nag,
        c: args.c,
        accuracy_slack: args.accuracy_slack,
        ambiguous_weight: args.ambiguous_weight,
        ..Settings::default()
    };
    let (report, mut model) = training::train(&samples, &settings);
    model.vectors = config
        .classifier
        .vectors
        .as_ref()
        .map(crate::domain::wordvec::WordVectors::fingerprint);
    let names = |files: &[PathBuf]| -> String {
        files
            .iter()
            .map(|f| {
                f.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let [p, t, v] = report.scored;
    model.trained_on = format!(
        "{scored} labelled pitches (problem {p}, tech {t}, vague {v}) in {} groups from {}{}",
        report.groups,
        names(&args.files),
        if report.extra > 0 {
            format!(
                "; {} training-only pitches from {}",
                report.extra,
                names(&args.extra)
            )
        } else {
            String::new()
        }
    );
    print!("{}", describe(&report, &settings));
    let notes = vec![
        format!(
            "Grouped {}-fold cross-validation, {}: accuracy {}, false-nag {}, tech recall {}, coach recall {}.",
            settings.folds,
            runs(&settings),
            spread(&report.per_fold, |f| f.accuracy),
            spread(&report.per_fold, |f| f.false_nag),
            spread(&report.per_fold, |f| f.tech_recall),
            spread(&report.per_fold, |f| f.coach_recall),
        ),
    ];
    let gate = gate(&args, &report.per_fold);
    if args.dry_run {
        println!(
            "\n(dry run: no model written; {:.1} s)",
            started.elapsed().as_secs_f64()
        );
        return gate;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| config.model.file.clone());
    std::fs::write(&out, model.to_text(&notes))
        .map_err(|e| Failure::Usage(format!("can't write {}: {e}", out.display())))?;
    println!(
        "\nWrote {} ({} weighted features, version {}) in {:.1} s.",
        out.display(),
        model.weights.len(),
        crate::domain::model::Model::parse(&model.to_text(&notes))
            .map(|m| m.version)
            .unwrap_or_default(),
        started.elapsed().as_secs_f64()
    );
    gate
}

/// The quality gate on the cross-validated figures: the means over folds, where every pitch is
/// scored by a model that never saw its source.
fn gate(args: &Args, folds: &[Figures]) -> Result<(), Failure> {
    let mean = |f: fn(&Figures) -> f64| mean_sd(&folds.iter().map(f).collect::<Vec<_>>()).0;
    let (accuracy, false_nag, tech_recall) = (
        mean(|f| f.accuracy),
        mean(|f| f.false_nag),
        mean(|f| f.tech_recall),
    );
    let mut missed = Vec::new();
    if let Some(min) = args.min_cv_accuracy.filter(|&m| accuracy < m) {
        missed.push(format!("accuracy {accuracy:.3} < {min}"));
    }
    if let Some(max) = args.max_cv_false_nag.filter(|&m| false_nag > m) {
        missed.push(format!("false-nag rate {false_nag:.3} > {max}"));
    }
    if let Some(min) = args.min_cv_tech_recall.filter(|&m| tech_recall < m) {
        missed.push(format!("tech recall {tech_recall:.3} < {min}"));
    }
    if missed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Gate(format!(
            "cross-validated quality gate missed: {}",
            missed.join("; ")
        )))
    }
}

fn spread(folds: &[Figures], f: impl Fn(&Figures) -> f64) -> String {
    let xs: Vec<f64> = folds.iter().map(f).collect();
    let (m, sd) = mean_sd(&xs);
    format!("{m:.3} ± {sd:.3}")
}

/// How many cross-validation runs, and their seeds.
fn runs(s: &Settings) -> String {
    match s.repeats {
        0 | 1 => format!("seed {}", s.seed),
        n => format!(
            "{n} runs (seeds {}–{})",
            s.seed,
            s.seed.saturating_add(n as u64 - 1)
        ),
    }
}

/// The cross-validation figures as a person reads them.
fn describe(r: &Report, s: &Settings) -> String {
    let [p, t, v] = r.scored;
    let mut out = format!(
        "{} pitches scored (problem {p}, tech {t}, vague {v}), {} training-only, {} groups; grouped {}-fold cross-validation, {}\n\n",
        p + t + v,
        r.extra,
        r.groups,
        s.folds,
        runs(s)
    );
    // A row per run (its folds pooled); mean ± sd over every fold of every run.
    let table =
        |out: &mut String, title: &str, rows: &[Figures], folds: &[Figures], all: &Figures| {
            out.push_str(&format!(
                "{title}\n{:>8}{:>6}{:>15}{:>15}{:>15}{:>15}\n",
                "run", "n", "accuracy", "false-nag", "tech recall", "coach recall"
            ));
            for (i, f) in rows.iter().enumerate() {
                out.push_str(&format!(
                    "{:>8}{:>6}{:>15.3}{:>15.3}{:>15.3}{:>15.3}\n",
                    i + 1,
                    f.n,
                    f.accuracy,
                    f.false_nag,
                    f.tech_recall,
                    f.coach_recall
                ));
            }
            out.push_str(&format!(
                "{:>8}{:>6}{:>15}{:>15}{:>15}{:>15}\n",
                "mean±sd",
                "",
                spread(folds, |f| f.accuracy),
                spread(folds, |f| f.false_nag),
                spread(folds, |f| f.tech_recall),
                spread(folds, |f| f.coach_recall)
            ));
            out.push_str(&format!(
                "{:>8}{:>6}{:>15.3}{:>15.3}{:>15.3}{:>15.3}\n\n",
                "pooled", all.n, all.accuracy, all.false_nag, all.tech_recall, all.coach_recall
            ));
        };
    table(&mut out, "All pitches", &r.per_repeat, &r.per_fold, &r.all);
    table(
        &mut out,
        "Without the pitches marked ambiguous",
        &r.per_repeat_clear,
        &r.per_fold_clear,
        &r.all_clear,
    );
    out.push_str(&format!(
        "Calibration: temperature {:.3}. Reliability of P(problem), out of fold (each pitch once per run):\n{:>12}{:>6}{:>11}{:>10}\n",
        r.temperature, "P(problem)", "n", "predicted", "observed"
    ));
    for b in &r.reliability {
        out.push_str(&format!(
            "{:>5.1}–{:<6.1}{:>6}{:>11.3}{:>10.3}\n",
            b.from, b.to, b.n, b.predicted, b.observed
        ));
    }
    out.push_str(&format!(
        "\nThresholds on P(problem), chosen on the out-of-fold predictions:\n  coach_below {:.4}  (buttons below; at most {:.0}% of problem-led pitches)\n  tip_below   {:.4}  (filed with a tip below; at least {:.0}% problem-led above)\n",
        r.thresholds.coach_below,
        s.max_false_nag * 100.0,
        r.thresholds.tip_below,
        s.sure_precision * 100.0
    ));
    out.push_str(&format!(
        "Offsets on the log-probabilities of tech and vague: {:.1} and {:.1} (the most tech-led \
         pitches caught within {:.3} of the best accuracy)\n",
        r.thresholds.offsets[0], r.thresholds.offsets[1], s.accuracy_slack
    ));
    let _ = CLASSES;
    out
}

#[cfg(test)]
mod tests {
    use super::group_of;

    #[test]
    fn groups_are_repositories_hosts_or_files() {
        assert_eq!(
            group_of(Some("https://github.com/Owner/Repo/issues/12"), "t.jsonl"),
            "github.com/owner/repo"
        );
        assert_eq!(
            group_of(Some("https://www.example.com/a/b"), "t.jsonl"),
            "example.com"
        );
        assert_eq!(group_of(None, "feedback.jsonl"), "file:feedback.jsonl");
    }
}
