//! The classifier on any UTF-8 text, with the built-in rules and model loaded once: it must not
//! panic, and what it reports must hold together (confidence in 0..=1, finite probabilities, hit
//! spans that are char boundaries of the original text and hold the hit's text).

#![no_main]

use libfuzzer_sys::fuzz_target;
use problemfirst::config::Config;
use problemfirst::domain::Classifier;
use std::sync::LazyLock;

static CLASSIFIER: LazyLock<Classifier> = LazyLock::new(|| Config::built_in().classifier);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let a = CLASSIFIER.assess(text);
    assert!(
        (0.0..=1.0).contains(&a.confidence),
        "confidence {}",
        a.confidence
    );
    assert!(
        a.probabilities.problem.is_finite()
            && a.probabilities.tech.is_finite()
            && a.probabilities.vague.is_finite()
    );
    assert!(!a.question.trim().is_empty(), "no question");
    for h in &a.hits {
        assert!(
            h.start <= h.end && h.end <= text.len(),
            "hit {} {}..{}",
            h.rule,
            h.start,
            h.end
        );
        assert!(
            text.is_char_boundary(h.start) && text.is_char_boundary(h.end),
            "hit {} {}..{} not on char boundaries",
            h.rule,
            h.start,
            h.end
        );
        assert_eq!(
            &text[h.start..h.end],
            h.text,
            "hit {} {}..{}",
            h.rule,
            h.start,
            h.end
        );
    }
});
