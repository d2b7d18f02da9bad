//! What the classifier says about a pitch: the verdict, how sure it is, the phrases that decided it,
//! which parts of a good problem statement are there, and the one question worth asking next.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Whether a pitch leads with a customer problem, with a technology or solution, or with neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Problem,
    Tech,
    Vague,
}

impl Verdict {
    pub const ALL: [Verdict; 3] = [Verdict::Problem, Verdict::Tech, Verdict::Vague];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Problem => "problem",
            Verdict::Tech => "tech",
            Verdict::Vague => "vague",
        }
    }

    /// How the verdict reads in a sentence shown to people.
    pub fn describe(self) -> &'static str {
        match self {
            Verdict::Problem => "problem-led",
            Verdict::Tech => "technology-led",
            Verdict::Vague => "vague",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "problem" | "problem-led" => Ok(Verdict::Problem),
            "tech" | "technology-led" | "solution" => Ok(Verdict::Tech),
            "vague" => Ok(Verdict::Vague),
            other => Err(format!(
                "unknown verdict '{other}' (expected problem, tech or vague)"
            )),
        }
    }
}

/// Which side of the scale a rule pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Problem,
    Tech,
    Vague,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Problem => "problem",
            Side::Tech => "tech",
            Side::Vague => "vague",
        }
    }
}

/// The five parts of a good problem statement. Each is a field of the Reframe form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Element {
    Who,
    Problem,
    Evidence,
    Impact,
    Workaround,
}

impl Element {
    pub const ALL: [Element; 5] = [
        Element::Who,
        Element::Problem,
        Element::Evidence,
        Element::Impact,
        Element::Workaround,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Element::Who => "who",
            Element::Problem => "problem",
            Element::Evidence => "evidence",
            Element::Impact => "impact",
            Element::Workaround => "workaround",
        }
    }

    /// The question the Reframe form asks for this element.
    pub fn label(self) -> &'static str {
        match self {
            Element::Who => "who is affected",
            Element::Problem => "what is hard for them today",
            Element::Evidence => "how you know",
            Element::Impact => "what it costs if nothing changes",
            Element::Workaround => "how they cope today",
        }
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Element {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Element::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown element '{s}' (expected who, problem, evidence, impact or workaround)"
                )
            })
    }
}

/// One rule that matched: which rule, which side, the matched text and its byte span in the
/// original text (before Slack markup was removed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub rule: String,
    pub side: Side,
    pub text: String,
    pub start: usize,
    pub end: usize,
    /// What happened to the hit's weight, e.g. "negated", "question", "after contrast".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modifier: Option<String>,
    /// The weight this hit contributed after modifiers and caps.
    #[serde(default, serialize_with = "finite")]
    pub weight: f32,
}

/// Writes a number that will read back: serde_json would write NaN or infinity as `null`, which
/// then fails to parse, so a record holding one must fail to encode rather than be stored
/// unreadable.
pub(crate) fn finite<S: serde::Serializer>(n: &f32, s: S) -> Result<S::Ok, S::Error> {
    if n.is_finite() {
        s.serialize_f32(*n)
    } else {
        Err(serde::ser::Error::custom(format_args!(
            "{n} is not a finite number"
        )))
    }
}

/// The calibrated probabilities of the three verdicts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub problem: f32,
    pub tech: f32,
    pub vague: f32,
}

/// The track the classifier suggests, with a one-line reason. `track` is `None` when unsure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackSuggestion {
    pub track: Option<String>,
    pub reason: String,
}

/// How the bot answers a pitch, from how sure the model is that it is problem-led.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Advice {
    /// Clearly problem-led: filed as it is.
    File,
    /// Unsure: filed, with one optional, gentle tip.
    Tip,
    /// Clearly not problem-led: kept as a draft with Reframe, File anyway and Withdraw.
    Coach,
}

impl Advice {
    pub fn as_str(self) -> &'static str {
        match self {
            Advice::File => "file",
            Advice::Tip => "tip",
            Advice::Coach => "coach",
        }
    }
}

/// A phrase that moved the verdict: its span in the original text and how much it moved it
/// (the model's weight for the verdict against the others, times the feature's value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Driver {
    pub text: String,
    pub start: usize,
    pub end: usize,
    #[serde(serialize_with = "finite")]
    pub weight: f32,
    /// What kind of signal it is, in words ("opens with a solution").
    pub why: String,
}

/// The full result of assessing one pitch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub verdict: Verdict,
    /// The calibrated probability of the verdict.
    pub confidence: f32,
    /// File, file with a tip, or coach with buttons.
    pub advice: Advice,
    pub track: TrackSuggestion,
    pub present: Vec<Element>,
    pub missing: Vec<Element>,
    pub hits: Vec<Hit>,
    /// The phrases that moved the verdict most, strongest first.
    pub drivers: Vec<Driver>,
    /// The one coaching question for this pitch.
    pub question: String,
    /// Polite remarks about the input itself (too long, not English, empty).
    pub notes: Vec<String>,
    pub probabilities: Scores,
    /// Why the verdict came out as it did, in one sentence.
    pub reason: String,
    /// Hash of the rules that produced this assessment, so old verdicts can be told apart.
    pub rules_version: String,
    /// Hash of the model that produced it.
    pub model_version: String,
}

impl Assessment {
    /// The distinct phrases that pushed towards `side`, in order of appearance.
    pub fn phrases(&self, side: Side) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for hit in self
            .hits
            .iter()
            .filter(|h| h.side == side && h.weight > 0.0)
        {
            if !out.iter().any(|p| p.eq_ignore_ascii_case(&hit.text)) {
                out.push(&hit.text);
            }
        }
        out
    }
}
