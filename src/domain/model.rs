//! The learned model: one weight per feature and verdict (a multinomial logistic regression), a
//! temperature that calibrates its probabilities, and the two thresholds on P(problem) that decide
//! how the bot answers. It is a text file (`config/model.txt`), written by `problemfirst train`:
//! a header of `key = value` lines, then one line per feature, `<hashed name> <problem> <tech>
//! <vague>`, sorted, so two models can be compared with `diff`.

use super::assessment::Verdict;
use super::features::{Feature, FEATURE_SET};
use sha2::Digest;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};

/// Feature names are already hashes: the table uses them as they are.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        // Spread the bits again: the table uses the low ones.
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

pub type Weights = HashMap<u64, [f32; 3], BuildHasherDefault<KeyHasher>>;

/// How the bot answers, by P(problem).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Below this the pitch is clearly not problem-led: a draft with Reframe / File anyway /
    /// Withdraw.
    pub coach_below: f32,
    /// From `coach_below` up to this, the bot is unsure: the idea is filed with one optional tip.
    /// At or above it the idea is filed as it is.
    pub tip_below: f32,
    /// Added to the log-probabilities of tech and vague when the verdict is chosen among the
    /// classes (chosen on out-of-fold predictions, like the thresholds): the arg-max of a model
    /// trained with balanced classes is not the best decision for every measure.
    #[serde(default)]
    pub offsets: [f32; 2],
}

use serde::{Deserialize, Serialize};

/// A trained model.
#[derive(Debug, Clone)]
pub struct Model {
    /// Short hash of the file's weights and settings: kept with every judgement.
    pub version: String,
    /// What it was trained on, in words (from the header).
    pub trained_on: String,
    pub bias: [f32; 3],
    pub weights: Weights,
    /// Logits are divided by this before the softmax (temperature scaling).
    pub temperature: f32,
    pub thresholds: Thresholds,
    /// The word vectors it was trained with ([`WordVectors::fingerprint`]), if any.
    ///
    /// [`WordVectors::fingerprint`]: super::wordvec::WordVectors::fingerprint
    pub vectors: Option<String>,
}

/// Why a model file can't be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ModelError {
    pub line: usize,
    pub problem: String,
}

/// The order of the three weights on a line, and of the probabilities.
pub const CLASSES: [Verdict; 3] = [Verdict::Problem, Verdict::Tech, Verdict::Vague];

pub fn class_index(v: Verdict) -> usize {
    match v {
        Verdict::Problem => 0,
        Verdict::Tech => 1,
        Verdict::Vague => 2,
    }
}

impl Model {
    /// A model with no weights, for reading features before one is trained: every pitch gets
    /// the same probabilities.
    pub fn untrained() -> Model {
        Model {
            version: "untrained".into(),
            trained_on: String::new(),
            bias: [0.0; 3],
            weights: Weights::default(),
            temperature: 1.0,
            thresholds: Thresholds {
                coach_below: 0.0,
                tip_below: 1.0,
                offsets: [0.0; 2],
            },
            vectors: None,
        }
    }

    /// Raw scores (logits) of the three verdicts.
    pub fn logits(&self, features: &[Feature]) -> [f32; 3] {
        self.logits_of(features.iter().map(|f| (self.weights.get(&f.key), f.value)))
    }

    fn logits_of<'w>(
        &self,
        weighed: impl Iterator<Item = (Option<&'w [f32; 3]>, f32)>,
    ) -> [f32; 3] {
        let mut z = self.bias;
        for (w, value) in weighed {
            if let Some(w) = w {
                for c in 0..3 {
                    z[c] += w[c] * value;
                }
            }
        }
        z
    }

    /// Calibrated probabilities of the three verdicts.
    pub fn probabilities(&self, features: &[Feature]) -> [f32; 3] {
        softmax(self.logits(features), self.temperature)
    }

    /// Each feature's weights (`None` for a feature the model has none for), looked up once for
    /// a verdict and its explanation.
    pub fn weights_of(&self, features: &[Feature]) -> Vec<Option<&[f32; 3]>> {
        features.iter().map(|f| self.weights.get(&f.key)).collect()
    }

    /// [`probabilities`](Self::probabilities) from the features' weights ([`weights_of`](Self::weights_of)).
    pub fn probabilities_with(
        &self,
        features: &[Feature],
        weights: &[Option<&[f32; 3]>],
    ) -> [f32; 3] {
        let weighed = weights.iter().zip(features).map(|(w, f)| (*w, f.value));
        softmax(self.logits_of(weighed), self.temperature)
    }

    pub fn weight(&self, key: u64) -> Option<&[f32; 3]> {
        self.weights.get(&key)
    }

    /// Read a model file.
    pub fn parse(text: &str) -> Result<Model, ModelError> {
        let mut header: HashMap<&str, (usize, &str)> = HashMap::new();
        let mut weights = Weights::with_capacity_and_hasher(text.len() / 40, Default::default());
        let mut in_weights = false;
        let mut lines = sha2::Sha256::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            let err = |problem: String| ModelError {
                line: i + 1,
                problem,
            };
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line == "[weights]" {
                in_weights = true;
                continue;
            }
            if !in_weights {
                let (k, v) = line
                    .split_once('=')
                    .ok_or_else(|| err(format!("expected `key = value`, found '{line}'")))?;
                header.insert(k.trim(), (i + 1, v.trim().trim_matches('"')));
                continue;
            }
            let mut parts = line.split_ascii_whitespace();
            let key = parts
                .next()
                .and_then(|k| u64::from_str_radix(k, 16).ok())
                .ok_or_else(|| err("expected a hexadecimal feature name".into()))?;
            let mut w = [0f32; 3];
            for slot in &mut w {
                *slot = parts
                    .next()
                    .and_then(|x| x.parse::<f32>().ok())
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| err("expected three finite weights".into()))?;
            }
            if parts.next().is_some() {
                return Err(err("more than three weights".into()));
            }
            lines.update(line.as_bytes());
            lines.update(b"\n");
            if weights.insert(key, w).is_some() {
                return Err(err(format!("feature {key:016x} is listed twice")));
            }
        }
        let get = |k: &str| {
            header.get(k).copied().ok_or_else(|| ModelError {
                line: 1,
                problem: format!("the header has no `{k}`"),
            })
        };
        let number = |k: &str| -> Result<f32, ModelError> {
            let (line, v) = get(k)?;
            v.parse::<f32>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| ModelError {
                    line,
                    problem: format!("`{k}` is not a number: '{v}'"),
                })
        };
        let (line, features) = get("features")?;
        if features != FEATURE_SET {
            return Err(ModelError {
                line,
                problem: format!(
                    "the model reads features '{features}', this build reads '{FEATURE_SET}': retrain it with `problemfirst train`"
                ),
            });
        }
        let (line, bias) = get("bias")?;
        let b: Vec<f32> = bias
            .split_ascii_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        let bias: [f32; 3] = b.try_into().map_err(|_| ModelError {
            line,
            problem: "`bias` needs three numbers".into(),
        })?;
        let temperature = number("temperature")?;
        if temperature <= 0.0 {
            return Err(ModelError {
                line: get("temperature")?.0,
                problem: "`temperature` must be above 0".into(),
            });
        }
        let offset = |k: &str| -> Result<f32, ModelError> {
            if header.contains_key(k) {
                number(k)
            } else {
                Ok(0.0)
            }
        };
        let thresholds = Thresholds {
            coach_below: number("coach_below")?,
            tip_below: number("tip_below")?,
            offsets: [offset("tech_offset")?, offset("vague_offset")?],
        };
        if !(0.0..=1.0).contains(&thresholds.coach_below)
            || !(thresholds.coach_below..=1.0).contains(&thresholds.tip_below)
        {
            return Err(ModelError {
                line: get("tip_below")?.0,
                problem: "thresholds need 0 <= coach_below <= tip_below <= 1".into(),
            });
        }
        let trained_on = header.get("trained_on").map_or("", |v| v.1).to_string();
        let vectors = header
            .get("vectors")
            .map(|v| v.1.to_string())
            .filter(|v| !v.is_empty() && v != "none");
        let mut model = Model {
            version: String::new(),
            trained_on,
            bias,
            weights,
            temperature,
            thresholds,
            vectors,
        };
        model.version = model.fingerprint_with(lines);
        Ok(model)
    }

    /// The model as a file: the header (with `notes`, one comment line each), then the weights.
    pub fn to_text(&self, notes: &[String]) -> String {
        let mut out = String::with_capacity(self.weights.len() * 40 + 1024);
        out.push_str(
            "# problemfirst model: a multinomial logistic regression over the features of\n",
        );
        out.push_str(
            "# src/domain/features.rs. Written by `problemfirst train`; edit by retraining.\n",
        );
        for n in notes {
            let _ = writeln!(out, "# {n}");
        }
        let _ = writeln!(out, "version = \"{}\"", self.fingerprint());
        let _ = writeln!(out, "features = \"{FEATURE_SET}\"");
        let _ = writeln!(out, "classes = \"problem tech vague\"");
        let _ = writeln!(
            out,
            "trained_on = \"{}\"",
            self.trained_on.replace('"', "'")
        );
        let _ = writeln!(
            out,
            "bias = \"{:.6} {:.6} {:.6}\"",
            self.bias[0], self.bias[1], self.bias[2]
        );
        let _ = writeln!(out, "temperature = {:.4}", self.temperature);
        let _ = writeln!(out, "coach_below = {:.4}", self.thresholds.coach_below);
        let _ = writeln!(out, "tip_below = {:.4}", self.thresholds.tip_below);
        let _ = writeln!(out, "tech_offset = {:.4}", self.thresholds.offsets[0]);
        let _ = writeln!(out, "vague_offset = {:.4}", self.thresholds.offsets[1]);
        let _ = writeln!(
            out,
            "vectors = \"{}\"",
            self.vectors.as_deref().unwrap_or("none")
        );
        out.push_str("\n[weights]\n");
        for line in self.weight_lines() {
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    /// The weights as the file lists them, sorted by feature name.
    fn weight_lines(&self) -> impl Iterator<Item = String> + '_ {
        let mut keys: Vec<&u64> = self.weights.keys().collect();
        keys.sort_unstable();
        keys.into_iter().map(|k| {
            let w = self.weights[k];
            format!("{k:016x} {:.5} {:.5} {:.5}", w[0], w[1], w[2])
        })
    }

    /// A short hash of everything that decides a verdict, in a fixed order.
    fn fingerprint(&self) -> String {
        let mut lines = sha2::Sha256::new();
        for line in self.weight_lines() {
            lines.update(line.as_bytes());
            lines.update(b"\n");
        }
        self.fingerprint_with(lines)
    }

    /// The fingerprint, given the hash of the weight lines (as read, or as written).
    fn fingerprint_with(&self, lines: sha2::Sha256) -> String {
        let mut h = sha2::Sha256::new();
        h.update(FEATURE_SET.as_bytes());
        for b in self.bias {
            h.update(format!("{b:.6}").as_bytes());
        }
        h.update(format!(
            "{:.4} {:.4} {:.4} {:.4} {:.4} {}",
            self.temperature,
            self.thresholds.coach_below,
            self.thresholds.tip_below,
            self.thresholds.offsets[0],
            self.thresholds.offsets[1],
            self.vectors.as_deref().unwrap_or("none")
        ));
        h.update(lines.finalize());
        h.finalize()
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Softmax of `z / temperature`.
pub fn softmax(z: [f32; 3], temperature: f32) -> [f32; 3] {
    let t = if temperature > 0.0 { temperature } else { 1.0 };
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e = z.map(|x| ((x - m) / t).exp());
    let s: f32 = e.iter().sum();
    e.map(|x| x / s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Model {
        let mut weights = Weights::default();
        weights.insert(7, [1.0, -0.5, 0.25]);
        weights.insert(3, [0.0, 2.0, -1.0]);
        Model {
            version: String::new(),
            trained_on: "a test".into(),
            bias: [0.1, 0.0, -0.1],
            weights,
            temperature: 1.5,
            thresholds: Thresholds {
                coach_below: 0.3,
                tip_below: 0.6,
                offsets: [0.25, -0.5],
            },
            vectors: Some("3x2-abc".into()),
        }
    }

    #[test]
    fn a_written_model_reads_back_the_same() {
        let m = tiny();
        let text = m.to_text(&["trained for a test".into()]);
        let back = Model::parse(&text).unwrap();
        assert_eq!(back.weights, m.weights);
        assert_eq!(back.bias, m.bias);
        assert_eq!(back.thresholds, m.thresholds);
        assert_eq!(back.version, m.fingerprint());
        assert_eq!(back.vectors, m.vectors);
        assert_eq!(back.to_text(&["trained for a test".into()]), text);
    }

    #[test]
    fn bad_files_name_the_line() {
        let text = tiny().to_text(&[]);
        let broken = text.replace("0000000000000007 1.00000", "0000000000000007 x");
        let e = Model::parse(&broken).unwrap_err();
        assert!(
            broken.lines().nth(e.line - 1).unwrap().contains(" x "),
            "{e}"
        );
        let e = Model::parse(&text.replace(FEATURE_SET, "pf-0")).unwrap_err();
        assert!(e.problem.contains("retrain"), "{e}");
        assert!(Model::parse(&text.replace("coach_below = 0.3000", "coach_below = 0.9")).is_err());
    }

    #[test]
    fn probabilities_sum_to_one() {
        let p = softmax([3.0, -1.0, 0.5], 2.0);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[0] > p[2] && p[2] > p[1]);
    }
}
