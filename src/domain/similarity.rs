//! Lexical similarity between pitches: the share of content words two pitches have in common,
//! so a new idea can point at earlier ideas that sound alike.

use std::collections::BTreeSet;

/// Words too common to say anything about what a pitch is about.
const STOPWORDS: &[&str] = &[
    "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "her", "was", "one",
    "our", "out", "has", "had", "his", "how", "its", "may", "new", "now", "see", "way", "who",
    "did", "get", "got", "let", "put", "say", "she", "too", "use", "that", "this", "with", "have",
    "from", "they", "will", "would", "there", "their", "what", "about", "which", "when", "make",
    "like", "time", "just", "know", "take", "into", "your", "some", "could", "them", "than",
    "then", "only", "come", "over", "also", "back", "after", "work", "first", "even", "want",
    "because", "these", "give", "most", "should", "need", "needs", "very", "much", "every", "more",
    "were", "been", "being", "does", "doing", "each", "here", "where", "while", "we're", "it's",
    "don't", "can't", "lets", "let's", "idea", "think", "really",
];

/// The content words of a text, lower-cased, with a crude plural folded ("tickets" → "ticket").
pub fn content_words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(|w| match w.strip_suffix('s') {
            Some(stem) if stem.len() >= 3 && !stem.ends_with('s') => stem.to_string(),
            _ => w,
        })
        .collect()
}

/// Jaccard similarity of two word sets, 0..=1.
pub fn similarity(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = a.intersection(b).count();
    let all = a.len() + b.len() - common;
    common as f32 / all as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alike_pitches_score_higher_than_unrelated_ones() {
        let a = content_words("Customers wait days for refund approvals");
        let b = content_words("customers waiting on refund approval for days");
        let c = content_words("The office coffee machine is broken");
        assert!(similarity(&a, &b) > 0.4);
        assert!(similarity(&a, &c) < 0.1);
        assert_eq!(similarity(&a, &BTreeSet::new()), 0.0);
        assert_eq!(similarity(&a, &a), 1.0);
    }
}
