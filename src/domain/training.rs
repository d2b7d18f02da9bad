//! Fitting the model: multinomial logistic regression with L2 regularisation and balanced class
//! weights, optimised with L-BFGS; grouped k-fold cross-validation (a source's pitches never
//! straddle training and validation), repeated with other fold assignments; temperature scaling
//! of the out-of-fold probabilities; the two thresholds on P(problem) chosen on those
//! out-of-fold predictions; and a reliability table.
//! Pure and deterministic: the same samples and seed give the same model, byte for byte.

use super::features::Feature;
use super::model::{softmax, Model, Thresholds, Weights};
use std::collections::{BTreeMap, HashMap};

/// One labelled pitch, read.
#[derive(Debug, Clone)]
pub struct Sample {
    pub features: Vec<(u64, f32)>,
    /// 0 problem, 1 tech, 2 vague.
    pub label: usize,
    /// Pitches of one group are always in the same fold (a repository, a web host, a company).
    pub group: String,
    /// Scored in cross-validation; `false` for extra pitches that only ever train.
    pub scored: bool,
    /// A second label is defensible: figures are also given without these.
    pub ambiguous: bool,
}

impl Sample {
    pub fn of(features: &[Feature], label: usize, group: String) -> Sample {
        Sample {
            features: features.iter().map(|f| (f.key, f.value)).collect(),
            label,
            group,
            scored: true,
            ambiguous: false,
        }
    }
}

/// How to train.
#[derive(Debug, Clone)]
pub struct Settings {
    pub folds: usize,
    /// How many times cross-validation runs, each with its own fold assignment (seeds `seed`,
    /// `seed + 1`, …). One split's figures, and the offsets chosen on them, move with the split
    /// by a few points; over several the choice has every pitch scored that many times.
    pub repeats: usize,
    pub seed: u64,
    /// Inverse regularisation strength, as in scikit-learn's `C`.
    pub c: f64,
    /// How much a pitch marked ambiguous counts in the fit, against 1 for the others: a second
    /// label is defensible there, so its own label is weaker evidence.
    pub ambiguous_weight: f64,
    /// A feature must be in at least this many training pitches.
    pub min_count: usize,
    pub iterations: usize,
    /// The highest share of problem-led pitches given buttons that `coach_below` may allow.
    pub max_false_nag: f64,
    /// Among pitches filed without a tip, at least this share must be problem-led.
    pub sure_precision: f64,
    /// How much accuracy the offsets may give up for tech recall.
    pub accuracy_slack: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            folds: 5,
            repeats: 5,
            seed: 1,
            c: 2.0,
            ambiguous_weight: 0.25,
            min_count: 2,
            iterations: 300,
            max_false_nag: 0.05,
            sure_precision: 0.9,
            accuracy_slack: 0.004,
        }
    }
}

/// Figures of one fold (or of all of them).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    pub n: usize,
    pub accuracy: f64,
    /// Problem-led pitches given buttons.
    pub false_nag: f64,
    pub tech_recall: f64,
    /// Tech-led and vague pitches given buttons.
    pub coach_recall: f64,
}

/// One row of the reliability table: pitches whose P(problem) fell in `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    pub from: f64,
    pub to: f64,
    pub n: usize,
    pub predicted: f64,
    pub observed: f64,
}

/// What cross-validation found.
#[derive(Debug, Clone)]
pub struct Report {
    /// Per fold of every repeat, repeat by repeat.
    pub per_fold: Vec<Figures>,
    /// Per repeat, its folds pooled.
    pub per_repeat: Vec<Figures>,
    /// Per repeat, the ambiguous pitches left out.
    pub per_repeat_clear: Vec<Figures>,
    /// Per fold, the ambiguous pitches left out.
    pub per_fold_clear: Vec<Figures>,
    pub all: Figures,
    pub all_clear: Figures,
    pub temperature: f64,
    pub thresholds: Thresholds,
    pub reliability: Vec<Bin>,
    /// Pitches scored, per label; extra (training-only) pitches.
    pub scored: [usize; 3],
    pub extra: usize,
    pub groups: usize,
}

/// The verdict and whether buttons are shown, from calibrated probabilities: buttons below
/// `coach_below`, problem-led from `tip_below` up, and otherwise the most likely verdict once the
/// offsets are added to the log-probabilities.
pub fn decide(p: [f32; 3], t: Thresholds) -> (usize, bool) {
    let score = |c: usize| {
        p[c].max(1e-9).ln()
            + match c {
                1 => t.offsets[0],
                2 => t.offsets[1],
                _ => 0.0,
            }
    };
    if p[0] < t.coach_below {
        (if score(1) >= score(2) { 1 } else { 2 }, true)
    } else if p[0] >= t.tip_below {
        (0, false)
    } else {
        let mut best = 0;
        for c in 1..3 {
            if score(c) > score(best) {
                best = c;
            }
        }
        (best, false)
    }
}

/// The offsets: the most tech-led pitches caught while the accuracy stays within
/// `accuracy_slack` of the best any offsets reach, on the out-of-fold predictions.
fn choose_offsets(probs: &[[f32; 3]], labels: &[usize], t: Thresholds, s: &Settings) -> [f32; 2] {
    let grid: Vec<f32> = (-10..=15).map(|k| k as f32 / 10.0).collect();
    let mut scored = Vec::with_capacity(grid.len() * grid.len());
    for &tech in &grid {
        for &vague in &grid {
            let t = Thresholds {
                offsets: [tech, vague],
                ..t
            };
            let items: Vec<(usize, usize, bool)> = probs
                .iter()
                .zip(labels)
                .map(|(p, &l)| {
                    let (v, b) = decide(*p, t);
                    (l, v, b)
                })
                .collect();
            let f = figures(&items);
            scored.push(([tech, vague], f.accuracy, f.tech_recall));
        }
    }
    let best = scored.iter().map(|x| x.1).fold(0.0, f64::max);
    // Ties go to the smallest offsets.
    let size = |o: [f32; 2]| o[0].abs() + o[1].abs();
    scored
        .iter()
        .filter(|x| x.1 >= best - s.accuracy_slack)
        .max_by(|a, b| {
            a.2.total_cmp(&b.2)
                .then(a.1.total_cmp(&b.1))
                .then(size(b.0).total_cmp(&size(a.0)))
        })
        .map_or([0.0; 2], |x| x.0)
}

/// Folds by group: groups in a seeded order, the largest first, each to the fold with the fewest
/// pitches so far. Training-only pitches train in every fold, so they take no part in this: the
/// folds of the scored pitches are the same with or without them.
pub fn assign_folds(samples: &[Sample], folds: usize, seed: u64) -> Vec<usize> {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in samples.iter().enumerate().filter(|(_, s)| s.scored) {
        groups.entry(s.group.as_str()).or_default().push(i);
    }
    let mut order: Vec<(&str, Vec<usize>)> = groups.into_iter().collect();
    let mut rng = SplitMix(seed);
    for i in (1..order.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order.sort_by_key(|(_, members)| std::cmp::Reverse(members.len()));
    let mut load = vec![0usize; folds.max(1)];
    let mut fold = vec![0usize; samples.len()];
    for (_, members) in order {
        let f = (0..load.len()).min_by_key(|&f| (load[f], f)).unwrap_or(0);
        for &i in &members {
            fold[i] = f;
        }
        load[f] += members.len();
    }
    fold
}

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Samples as sparse rows over a vocabulary of the features frequent enough in `train`.
struct Design {
    columns: Vec<u64>,
    rows: Vec<Vec<(usize, f64)>>,
    labels: Vec<usize>,
    weights: Vec<f64>,
}

fn vocabulary(samples: &[Sample], train: &[usize], min_count: usize) -> HashMap<u64, usize> {
    let mut count: HashMap<u64, usize> = HashMap::new();
    for &i in train {
        for &(k, _) in &samples[i].features {
            *count.entry(k).or_default() += 1;
        }
    }
    let mut keys: Vec<u64> = count
        .into_iter()
        .filter(|&(_, n)| n >= min_count)
        .map(|(k, _)| k)
        .collect();
    keys.sort_unstable();
    keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect()
}

fn rows(
    samples: &[Sample],
    which: &[usize],
    vocab: &HashMap<u64, usize>,
) -> Vec<Vec<(usize, f64)>> {
    which
        .iter()
        .map(|&i| {
            samples[i]
                .features
                .iter()
                .filter_map(|&(k, v)| vocab.get(&k).map(|&c| (c, f64::from(v))))
                .collect()
        })
        .collect()
}

fn design(samples: &[Sample], train: &[usize], s: &Settings) -> (Design, HashMap<u64, usize>) {
    let vocab = vocabulary(samples, train, s.min_count);
    let mut columns = vec![0u64; vocab.len()];
    for (&k, &c) in &vocab {
        columns[c] = k;
    }
    let labels: Vec<usize> = train.iter().map(|&i| samples[i].label).collect();
    // Balanced class weights, n / (classes · n_class), times the ambiguous pitches' weight.
    let mut per = [0usize; 3];
    for &l in &labels {
        per[l] += 1;
    }
    let present = per.iter().filter(|&&n| n > 0).count().max(1);
    let weights = train
        .iter()
        .zip(&labels)
        .map(|(&i, &l)| {
            let balanced = labels.len() as f64 / (present as f64 * per[l] as f64);
            if samples[i].ambiguous {
                balanced * s.ambiguous_weight
            } else {
                balanced
            }
        })
        .collect();
    (
        Design {
            columns,
            rows: rows(samples, train, &vocab),
            labels,
            weights,
        },
        vocab,
    )
}

/// Parameters: `3 · columns` weights, then 3 biases.
fn loss_and_gradient(d: &Design, lambda: f64, x: &[f64], g: &mut [f64]) -> f64 {
    let nc = d.columns.len();
    g.iter_mut().for_each(|v| *v = 0.0);
    let mut loss = 0.0;
    for ((row, &y), &w) in d.rows.iter().zip(&d.labels).zip(&d.weights) {
        let mut z = [x[3 * nc], x[3 * nc + 1], x[3 * nc + 2]];
        for &(c, v) in row {
            for k in 0..3 {
                z[k] += x[3 * c + k] * v;
            }
        }
        let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e = z.map(|v| (v - m).exp());
        let s: f64 = e.iter().sum();
        loss += w * (s.ln() + m - z[y]);
        for k in 0..3 {
            let r = w * (e[k] / s - if k == y { 1.0 } else { 0.0 });
            g[3 * nc + k] += r;
            for &(c, v) in row {
                g[3 * c + k] += r * v;
            }
        }
    }
    for i in 0..3 * nc {
        loss += 0.5 * lambda * x[i] * x[i];
        g[i] += lambda * x[i];
    }
    loss
}

/// L-BFGS with a backtracking line search, a fixed history and at most `iterations` steps.
fn minimise(d: &Design, lambda: f64, iterations: usize) -> Vec<f64> {
    let n = 3 * d.columns.len() + 3;
    let mut x = vec![0.0; n];
    let mut g = vec![0.0; n];
    let mut f = loss_and_gradient(d, lambda, &x, &mut g);
    let history = 10;
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    for _ in 0..iterations {
        // Two-loop recursion: direction = -H·g.
        let mut q = g.clone();
        let mut alpha = vec![0.0; s_hist.len()];
        for i in (0..s_hist.len()).rev() {
            let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
            alpha[i] = rho * dot(&s_hist[i], &q);
            for (qj, yj) in q.iter_mut().zip(&y_hist[i]) {
                *qj -= alpha[i] * yj;
            }
        }
        if let (Some(s), Some(y)) = (s_hist.last(), y_hist.last()) {
            let gamma = dot(s, y) / dot(y, y);
            q.iter_mut().for_each(|v| *v *= gamma);
        } else {
            let norm = dot(&g, &g).sqrt().max(1e-12);
            q.iter_mut().for_each(|v| *v /= norm);
        }
        for i in 0..s_hist.len() {
            let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
            let beta = rho * dot(&y_hist[i], &q);
            for (qj, sj) in q.iter_mut().zip(&s_hist[i]) {
                *qj += (alpha[i] - beta) * sj;
            }
        }
        let slope = -dot(&g, &q);
        if slope >= 0.0 {
            // Not a descent direction: start the history again.
            s_hist.clear();
            y_hist.clear();
            continue;
        }
        let mut step = 1.0;
        let mut f_new;
        loop {
            for i in 0..n {
                x_new[i] = x[i] - step * q[i];
            }
            f_new = loss_and_gradient(d, lambda, &x_new, &mut g_new);
            if f_new <= f + 1e-4 * step * slope || step < 1e-10 {
                break;
            }
            step *= 0.5;
        }
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let converged = (f - f_new).abs() <= 1e-9 * f.abs().max(1.0);
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        f = f_new;
        if dot(&s, &y) > 1e-12 {
            s_hist.push(s);
            y_hist.push(y);
            if s_hist.len() > history {
                s_hist.remove(0);
                y_hist.remove(0);
            }
        }
        if converged {
            break;
        }
    }
    x
}

/// A fitted fold: weights by feature name, and biases.
struct Fit {
    weights: Weights,
    bias: [f32; 3],
}

fn fit(samples: &[Sample], train: &[usize], s: &Settings) -> Fit {
    let (d, _) = design(samples, train, s);
    let x = minimise(&d, 1.0 / s.c, s.iterations);
    let nc = d.columns.len();
    let mut weights = Weights::with_capacity_and_hasher(nc, Default::default());
    for (c, &k) in d.columns.iter().enumerate() {
        weights.insert(
            k,
            [x[3 * c] as f32, x[3 * c + 1] as f32, x[3 * c + 2] as f32],
        );
    }
    Fit {
        weights,
        bias: [x[3 * nc] as f32, x[3 * nc + 1] as f32, x[3 * nc + 2] as f32],
    }
}

fn logits(fit: &Fit, features: &[(u64, f32)]) -> [f32; 3] {
    let mut z = fit.bias;
    for (k, v) in features {
        if let Some(w) = fit.weights.get(k) {
            for c in 0..3 {
                z[c] += w[c] * v;
            }
        }
    }
    z
}

/// The temperature that makes the out-of-fold probabilities most likely (golden-section search).
fn calibrate(z: &[[f32; 3]], labels: &[usize]) -> f64 {
    let nll = |t: f64| -> f64 {
        z.iter()
            .zip(labels)
            .map(|(z, &y)| -f64::from(softmax(*z, t as f32)[y]).max(1e-12).ln())
            .sum()
    };
    let (mut a, mut b) = (0.2f64, 5.0f64);
    let r = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..60 {
        let c = b - r * (b - a);
        let d = a + r * (b - a);
        if nll(c) < nll(d) {
            b = d;
        } else {
            a = c;
        }
    }
    (a + b) / 2.0
}

/// `coach_below`: as high as it can be while at most `max_false_nag` of the problem-led pitches
/// fall below it. `tip_below`: the lowest P(problem) above which at least `sure_precision` of
/// the pitches are problem-led.
fn choose_thresholds(p: &[f32], labels: &[usize], s: &Settings) -> Thresholds {
    let mut problems: Vec<f32> = p
        .iter()
        .zip(labels)
        .filter(|(_, &l)| l == 0)
        .map(|(&x, _)| x)
        .collect();
    problems.sort_by(f32::total_cmp);
    let allowed = (s.max_false_nag * problems.len() as f64).floor() as usize;
    // Buttons for p < coach_below: the `allowed` lowest problem pitches may fall below it.
    let coach_below = problems.get(allowed).copied().unwrap_or(0.5);
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    // Walking down from the most sure, the lowest point where precision still holds.
    let (mut hits, mut tip_below) = (0usize, 1.0f32);
    for (k, &i) in order.iter().enumerate() {
        if labels[i] == 0 {
            hits += 1;
        }
        if hits as f64 >= s.sure_precision * (k + 1) as f64 {
            tip_below = p[i];
        }
    }
    let tip_below = tip_below.max(coach_below);
    Thresholds {
        coach_below: round4(coach_below),
        tip_below: round4(tip_below),
        offsets: [0.0; 2],
    }
}

fn round4(x: f32) -> f32 {
    (x * 10_000.0).round() / 10_000.0
}

/// Figures of (label, verdict, buttons) triples.
pub fn figures(items: &[(usize, usize, bool)]) -> Figures {
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let n = items.len();
    let right = items.iter().filter(|(l, v, _)| l == v).count();
    let problems = items.iter().filter(|(l, _, _)| *l == 0).count();
    let nags = items.iter().filter(|(l, _, b)| *l == 0 && *b).count();
    let techs = items.iter().filter(|(l, _, _)| *l == 1).count();
    let caught = items.iter().filter(|(l, v, _)| *l == 1 && *v == 1).count();
    let others = n - problems;
    let coached = items.iter().filter(|(l, _, b)| *l != 0 && *b).count();
    Figures {
        n,
        accuracy: ratio(right, n),
        false_nag: ratio(nags, problems),
        tech_recall: ratio(caught, techs),
        coach_recall: ratio(coached, others),
    }
}

fn reliability(p: &[f32], labels: &[usize]) -> Vec<Bin> {
    (0..10)
        .map(|b| {
            let from = f64::from(b) / 10.0;
            let to = from + 0.1;
            let inside: Vec<usize> = (0..p.len())
                .filter(|&i| {
                    let x = f64::from(p[i]);
                    x >= from && (x < to || (b == 9 && x <= 1.0))
                })
                .collect();
            let n = inside.len();
            let mean = |f: &dyn Fn(usize) -> f64| {
                if n == 0 {
                    0.0
                } else {
                    inside.iter().map(|&i| f(i)).sum::<f64>() / n as f64
                }
            };
            Bin {
                from,
                to,
                n,
                predicted: mean(&|i| f64::from(p[i])),
                observed: mean(&|i| if labels[i] == 0 { 1.0 } else { 0.0 }),
            }
        })
        .collect()
}

/// Cross-validate, then fit on every sample. Returns the report and the model (whose
/// `trained_on` the caller fills in).
pub fn train(samples: &[Sample], s: &Settings) -> (Report, Model) {
    let scored: Vec<usize> = (0..samples.len()).filter(|&i| samples[i].scored).collect();
    let repeats = s.repeats.max(1);
    // Every scored pitch once per repeat, with the fold (numbered across repeats) that scored it.
    let mut oof_z: Vec<[f32; 3]> = Vec::with_capacity(scored.len() * repeats);
    let mut scored_by: Vec<(usize, usize)> = Vec::with_capacity(scored.len() * repeats);
    for r in 0..repeats {
        let fold = assign_folds(samples, s.folds, s.seed.wrapping_add(r as u64));
        let mut z = vec![[0f32; 3]; samples.len()];
        for f in 0..s.folds {
            let train: Vec<usize> = (0..samples.len())
                .filter(|&i| !samples[i].scored || fold[i] != f)
                .collect();
            let test: Vec<usize> = scored.iter().copied().filter(|&i| fold[i] == f).collect();
            if test.is_empty() || train.is_empty() {
                continue;
            }
            let m = fit(samples, &train, s);
            for i in test {
                z[i] = logits(&m, &samples[i].features);
            }
        }
        for &i in &scored {
            oof_z.push(z[i]);
            scored_by.push((i, r * s.folds + fold[i]));
        }
    }
    let labels: Vec<usize> = scored_by.iter().map(|&(i, _)| samples[i].label).collect();
    let temperature = calibrate(&oof_z, &labels);
    let probs: Vec<[f32; 3]> = oof_z
        .iter()
        .map(|z| softmax(*z, temperature as f32))
        .collect();
    let p_problem: Vec<f32> = probs.iter().map(|p| p[0]).collect();
    let mut thresholds = choose_thresholds(&p_problem, &labels, s);
    thresholds.offsets = choose_offsets(&probs, &labels, thresholds, s);
    let decided: Vec<(usize, usize, bool)> = probs
        .iter()
        .zip(&labels)
        .map(|(p, &l)| {
            let (v, b) = decide(*p, thresholds);
            (l, v, b)
        })
        .collect();
    let of_folds = |which: &dyn Fn(usize) -> bool, clear_only: bool| -> Figures {
        let items: Vec<(usize, usize, bool)> = scored_by
            .iter()
            .zip(&decided)
            .filter(|(&(i, f), _)| which(f) && !(clear_only && samples[i].ambiguous))
            .map(|(_, &d)| d)
            .collect();
        figures(&items)
    };
    let folds = 0..repeats * s.folds;
    let per_fold = folds
        .clone()
        .map(|f| of_folds(&|g| g == f, false))
        .collect();
    let per_fold_clear = folds.map(|f| of_folds(&|g| g == f, true)).collect();
    let of_repeat = |r: usize, clear_only: bool| of_folds(&|g| g / s.folds == r, clear_only);
    let per_repeat = (0..repeats).map(|r| of_repeat(r, false)).collect();
    let per_repeat_clear = (0..repeats).map(|r| of_repeat(r, true)).collect();
    let clear = of_folds(&|_| true, true);
    let mut per_label = [0usize; 3];
    for &i in &scored {
        per_label[samples[i].label] += 1;
    }
    let groups = {
        let mut g: Vec<&str> = samples
            .iter()
            .filter(|s| s.scored)
            .map(|s| s.group.as_str())
            .collect();
        g.sort_unstable();
        g.dedup();
        g.len()
    };
    let report = Report {
        per_fold,
        per_repeat,
        per_repeat_clear,
        per_fold_clear,
        all: figures(&decided),
        all_clear: clear,
        temperature,
        thresholds,
        reliability: reliability(&p_problem, &labels),
        scored: per_label,
        extra: samples.len() - scored.len(),
        groups,
    };
    let everything: Vec<usize> = (0..samples.len()).collect();
    let m = fit(samples, &everything, s);
    let mut model = Model {
        version: String::new(),
        trained_on: String::new(),
        bias: m.bias,
        weights: m.weights,
        temperature: temperature as f32,
        thresholds,
        vectors: None,
    };
    // Weights that round to zero say nothing: the file leaves them out.
    model
        .weights
        .retain(|_, w| w.iter().any(|x| (x * 100_000.0).round() != 0.0));
    (report, model)
}

/// Mean and (sample) standard deviation.
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let mean = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 {
        xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three separable classes of made-up features, in eight groups.
    fn toy() -> Vec<Sample> {
        (0..120)
            .map(|i| {
                let label = i % 3;
                let noise = (i * 7 % 5) as u64;
                Sample {
                    features: vec![(100 + label as u64, 1.0), (200 + noise, 0.5)],
                    label,
                    group: format!("g{}", i % 8),
                    scored: true,
                    ambiguous: i % 10 == 0,
                }
            })
            .collect()
    }

    #[test]
    fn folds_keep_groups_together_and_balance() {
        let s = toy();
        let f = assign_folds(&s, 4, 7);
        for g in 0..8 {
            let folds: Vec<usize> = (0..s.len())
                .filter(|&i| s[i].group == format!("g{g}"))
                .map(|i| f[i])
                .collect();
            assert!(folds.windows(2).all(|w| w[0] == w[1]));
        }
        assert_eq!(f, assign_folds(&s, 4, 7), "seeded");
        let mut load = [0; 4];
        f.iter().for_each(|&x| load[x] += 1);
        assert!(load.iter().all(|&n| n == 30), "{load:?}");
        let mut more = s.clone();
        more.extend(s.iter().take(20).map(|x| Sample {
            scored: false,
            group: "extra".into(),
            ..x.clone()
        }));
        assert_eq!(
            &assign_folds(&more, 4, 7)[..s.len()],
            &f[..],
            "extras change no fold"
        );
    }

    #[test]
    fn learns_a_separable_toy_and_is_deterministic() {
        let s = toy();
        let settings = Settings {
            folds: 4,
            repeats: 2,
            ..Settings::default()
        };
        let (report, model) = train(&s, &settings);
        assert!(report.all.accuracy > 0.95, "{:?}", report.all);
        let (_, again) = train(&s, &settings);
        assert_eq!(model.to_text(&[]), again.to_text(&[]));
        assert_eq!(report.per_fold.len(), 8);
        assert_eq!(report.per_repeat.len(), 2);
        // Every scored pitch is scored once per repeat.
        assert_eq!(report.all.n, 2 * s.iter().filter(|x| x.scored).count());
        assert_eq!(
            report.per_repeat.iter().map(|f| f.n).sum::<usize>(),
            report.all.n
        );
        assert!(report.thresholds.coach_below <= report.thresholds.tip_below);
    }

    #[test]
    fn the_decision_follows_the_thresholds() {
        let t = Thresholds {
            coach_below: 0.3,
            tip_below: 0.7,
            offsets: [0.0; 2],
        };
        assert_eq!(decide([0.2, 0.5, 0.3], t), (1, true));
        assert_eq!(decide([0.2, 0.3, 0.5], t), (2, true));
        assert_eq!(decide([0.5, 0.3, 0.2], t), (0, false));
        assert_eq!(decide([0.4, 0.45, 0.15], t), (1, false));
        assert_eq!(decide([0.7, 0.2, 0.1], t), (0, false));
        let leaning = Thresholds {
            offsets: [1.0, 0.0],
            ..t
        };
        assert_eq!(decide([0.45, 0.25, 0.3], t), (0, false));
        assert_eq!(decide([0.45, 0.25, 0.3], leaning), (1, false));
    }

    #[test]
    fn figures_follow_their_definitions() {
        let f = figures(&[(0, 0, false), (0, 1, true), (1, 1, true), (2, 2, false)]);
        assert_eq!(f.accuracy, 0.75);
        assert_eq!(f.false_nag, 0.5);
        assert_eq!(f.tech_recall, 1.0);
        assert_eq!(f.coach_recall, 0.5);
    }
}
