//! The `text` of each line of a JSONL file of pitches (the labelled files, the written pitches),
//! for the benches that send or assess real wording.

use std::path::Path;

/// Every non-blank line's `text`, in order; a file that cannot be read or parsed stops the bench.
pub fn texts(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            v["text"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}
