//! How well the classifier agrees with labelled pitches: confusion matrix, precision, recall and
//! F1 per label, accuracy, tech recall (technology-led pitches that are caught), the false-nag
//! rate (problem-led pitches given the Reframe / File anyway / Withdraw buttons) and coach recall
//! (technology-led and vague pitches given them).

use super::assessment::Verdict;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LabelScore {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evaluation {
    pub n: usize,
    pub accuracy: f64,
    /// Problem-led pitches given buttons.
    pub false_nag_rate: f64,
    pub tech_recall: f64,
    /// Technology-led and vague pitches given buttons.
    pub coach_recall: f64,
    pub per_label: BTreeMap<Verdict, LabelScore>,
    /// gold label → predicted label → count.
    pub confusion: BTreeMap<Verdict, BTreeMap<Verdict, usize>>,
}

impl Evaluation {
    /// Score predictions against gold labels, given as (gold, predicted, given buttons).
    pub fn of(items: &[(Verdict, Verdict, bool)]) -> Evaluation {
        let pairs: Vec<(Verdict, Verdict)> = items.iter().map(|&(g, p, _)| (g, p)).collect();
        let pairs = &pairs[..];
        let mut confusion: BTreeMap<Verdict, BTreeMap<Verdict, usize>> = Verdict::ALL
            .iter()
            .map(|&g| (g, Verdict::ALL.iter().map(|&p| (p, 0)).collect()))
            .collect();
        for &(gold, pred) in pairs {
            *confusion.entry(gold).or_default().entry(pred).or_default() += 1;
        }
        let count = |g: Verdict, p: Verdict| {
            confusion
                .get(&g)
                .and_then(|m| m.get(&p))
                .copied()
                .unwrap_or(0)
        };
        let gold_total = |g: Verdict| Verdict::ALL.iter().map(|&p| count(g, p)).sum::<usize>();
        let pred_total = |p: Verdict| Verdict::ALL.iter().map(|&g| count(g, p)).sum::<usize>();
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let n = pairs.len();
        let correct: usize = Verdict::ALL.iter().map(|&v| count(v, v)).sum();
        let per_label = Verdict::ALL
            .iter()
            .map(|&v| {
                let precision = ratio(count(v, v), pred_total(v));
                let recall = ratio(count(v, v), gold_total(v));
                let f1 = if precision + recall == 0.0 {
                    0.0
                } else {
                    2.0 * precision * recall / (precision + recall)
                };
                (
                    v,
                    LabelScore {
                        precision,
                        recall,
                        f1,
                    },
                )
            })
            .collect();
        let problems = gold_total(Verdict::Problem);
        let coached = |problem: bool| {
            items
                .iter()
                .filter(|&&(g, _, b)| b && (g == Verdict::Problem) == problem)
                .count()
        };
        Evaluation {
            n,
            accuracy: ratio(correct, n),
            false_nag_rate: ratio(coached(true), problems),
            coach_recall: ratio(coached(false), n - problems),
            tech_recall: ratio(
                count(Verdict::Tech, Verdict::Tech),
                gold_total(Verdict::Tech),
            ),
            per_label,
            confusion,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Verdict::*;

    #[test]
    fn metrics_follow_their_definitions() {
        let pairs = [
            (Problem, Problem, false),
            (Problem, Tech, true),
            (Tech, Tech, true),
            (Tech, Tech, true),
            (Tech, Vague, false),
            (Vague, Vague, true),
        ];
        let e = Evaluation::of(&pairs);
        assert!((e.coach_recall - 3.0 / 4.0).abs() < 1e-9);
        assert_eq!(e.n, 6);
        assert!((e.accuracy - 4.0 / 6.0).abs() < 1e-9);
        assert!((e.false_nag_rate - 0.5).abs() < 1e-9);
        assert!((e.tech_recall - 2.0 / 3.0).abs() < 1e-9);
        let tech = e.per_label[&Tech];
        assert!((tech.precision - 2.0 / 3.0).abs() < 1e-9);
        assert!((tech.recall - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(e.confusion[&Problem][&Tech], 1);
        assert_eq!(e.confusion[&Vague][&Problem], 0);
    }

    #[test]
    fn empty_input_scores_zero_without_dividing_by_zero() {
        let e = Evaluation::of(&[]);
        assert_eq!(e.n, 0);
        assert_eq!(e.accuracy, 0.0);
        assert_eq!(e.false_nag_rate, 0.0);
    }
}
