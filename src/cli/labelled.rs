//! Labelled pitches as `eval` scores them and `train` fits them: JSON lines with `text` and
//! `label` (problem, tech, vague), optionally `source` and `notes`. Read once into typed items,
//! each with its `FILE:LINE` for messages.

use super::Failure;
use crate::domain::Verdict;
use std::io::BufRead;
use std::path::Path;

#[derive(serde::Deserialize)]
struct Line {
    text: String,
    label: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    notes: Option<String>,
}

/// One labelled pitch.
pub struct Labelled {
    /// `FILE:LINE`, for messages.
    pub at: String,
    pub text: String,
    pub label: Verdict,
    pub source: Option<String>,
    pub notes: Option<String>,
}

/// The labelled pitches of `path`; blank lines are skipped, any other line that is not one is
/// an error naming its file and line.
pub fn read(path: &Path) -> Result<Vec<Labelled>, Failure> {
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::Usage(format!("can't read {}: {e}", path.display())))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let at = format!("{}:{}", path.display(), i + 1);
        let line = line.map_err(|e| Failure::Usage(format!("{at}: can't read the line: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let item: Line = serde_json::from_str(&line).map_err(|e| {
            Failure::Usage(format!("{at}: not a JSON object with text and label: {e}"))
        })?;
        let label: Verdict = item
            .label
            .parse()
            .map_err(|e| Failure::Usage(format!("{at}: {e}")))?;
        out.push(Labelled {
            at,
            text: item.text,
            label,
            source: item.source,
            notes: item.notes,
        });
    }
    Ok(out)
}
