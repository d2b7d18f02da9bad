//! Chatter: what people say in an idea channel that is not a pitch — greetings, thanks, emoji,
//! one or two words, a question put to a colleague. The rule is data (`[chatter]` in the config
//! file: the fewest words a pitch has, and named patterns); this module compiles it and decides.
//! Messages that are not a person's own new words (bots, edits, replies) are told apart where
//! the message is read, not here: this judges text only.

use regex::Regex;
use serde::Deserialize;

/// One kind of chatter as configured: a name for logs and metrics, a regex over the message as
/// Slack sends it (mentions are `<@U…>`), and optionally the most words a message may have and
/// still be this kind (so "thanks" opens chatter, while a long pitch that starts "Thanks to the
/// new policy…" is still a pitch).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternSpec {
    pub name: String,
    pub regex: String,
    #[serde(default)]
    pub max_words: Option<usize>,
}

/// `[chatter]` as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatterSpec {
    /// A message with fewer words than this is not a pitch ("ok", "+1", "nice one").
    #[serde(default = "default_min_words")]
    pub min_words: usize,
    #[serde(default, rename = "pattern")]
    pub patterns: Vec<PatternSpec>,
}

fn default_min_words() -> usize {
    3
}

impl Default for ChatterSpec {
    /// No patterns: only too-short and emoji-only messages are chatter.
    fn default() -> Self {
        ChatterSpec {
            min_words: default_min_words(),
            patterns: Vec::new(),
        }
    }
}

/// Why a message is chatter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chatter {
    /// Nothing but emoji, mentions, links and punctuation.
    EmojiOnly,
    /// Fewer words than `min_words`.
    TooShort { words: usize },
    /// A configured pattern, by name.
    Pattern(String),
}

impl Chatter {
    /// A short name for logs and metrics.
    pub fn name(&self) -> &str {
        match self {
            Chatter::EmojiOnly => "emoji_only",
            Chatter::TooShort { .. } => "too_short",
            Chatter::Pattern(name) => name,
        }
    }
}

/// The compiled rule.
#[derive(Debug, Clone)]
pub struct ChatterRule {
    min_words: usize,
    patterns: Vec<(String, Regex, Option<usize>)>,
}

/// A pattern that does not compile, by name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("chatter pattern '{name}': {problem}")]
pub struct BadPattern {
    pub name: String,
    pub problem: String,
}

impl ChatterRule {
    pub fn compile(spec: &ChatterSpec) -> Result<ChatterRule, BadPattern> {
        let patterns = spec
            .patterns
            .iter()
            .map(|p| {
                Regex::new(&p.regex)
                    .map(|r| (p.name.clone(), r, p.max_words))
                    .map_err(|e| BadPattern {
                        name: p.name.clone(),
                        problem: e.to_string(),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(ChatterRule {
            min_words: spec.min_words,
            patterns,
        })
    }

    /// Whether `text` (a message as Slack sends it) is chatter, and why; `None` for a pitch.
    pub fn judge(&self, text: &str) -> Option<Chatter> {
        let words = words(text);
        if words == 0 {
            return Some(Chatter::EmojiOnly);
        }
        if words < self.min_words {
            return Some(Chatter::TooShort { words });
        }
        self.patterns
            .iter()
            .find(|(_, regex, max)| max.is_none_or(|m| words <= m) && regex.is_match(text))
            .map(|(name, _, _)| Chatter::Pattern(name.clone()))
    }
}

/// The words a person wrote: Slack markup (`<@U…>`, `<#C…>`, `<https://…|…>`) and emoji codes
/// (`:tada:`) are not words, nor is anything without a letter or digit.
pub fn words(text: &str) -> usize {
    let mut plain = String::with_capacity(text.len());
    let mut rest = text;
    // Markup in angle brackets goes whole.
    while let Some(open) = rest.find('<') {
        plain.push_str(&rest[..open]);
        plain.push(' ');
        match rest[open..].find('>') {
            Some(close) => rest = &rest[open + close + 1..],
            None => {
                rest = "";
            }
        }
    }
    plain.push_str(rest);
    plain
        .split_whitespace()
        .flat_map(|w| w.split(':').enumerate())
        // In `:tada:` or `nice:+1:` the odd pieces between colons are emoji codes; a word with a
        // single colon ("note:") keeps its first piece.
        .filter(|(i, piece)| i % 2 == 0 && piece.chars().any(char::is_alphanumeric))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_leave_out_markup_and_emoji() {
        assert_eq!(words(":tada: :tada:"), 0);
        assert_eq!(words("<@U123> <#C1|ideas> <https://x.y|link>"), 0);
        assert_eq!(words("nice:+1: one"), 2);
        assert_eq!(words("Note: technicians wait"), 3);
        assert_eq!(words("!!! ... ---"), 0);
    }

    #[test]
    fn a_bad_pattern_is_named() {
        let spec = ChatterSpec {
            min_words: 3,
            patterns: vec![PatternSpec {
                name: "broken".into(),
                regex: "(".into(),
                max_words: None,
            }],
        };
        let e = ChatterRule::compile(&spec).expect_err("does not compile");
        assert_eq!(e.name, "broken");
    }
}
