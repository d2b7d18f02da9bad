//! The names of things, parsed once where they come in: an idea's id.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// `IDEA-<n>`: monotonic, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct IdeaId(u64);

impl IdeaId {
    pub fn new(n: u64) -> Self {
        IdeaId(n)
    }
    pub fn number(self) -> u64 {
        self.0
    }
}

impl fmt::Display for IdeaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IDEA-{}", self.0)
    }
}

impl FromStr for IdeaId {
    type Err = String;
    /// Accepts `IDEA-12`, `idea-12`, `#12` and `12`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let digits = t
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("idea-"))
            .map(|_| &t[5..])
            .or_else(|| t.strip_prefix('#'))
            .unwrap_or(t);
        digits
            .parse::<u64>()
            .map(IdeaId)
            .map_err(|_| format!("'{s}' is not an idea id (expected IDEA-<number>)"))
    }
}

impl From<IdeaId> for String {
    fn from(id: IdeaId) -> String {
        id.to_string()
    }
}

impl TryFrom<String> for IdeaId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idea_ids_parse_in_the_forms_people_type() {
        for s in ["IDEA-12", "idea-12", "#12", " 12 "] {
            assert_eq!(s.parse::<IdeaId>(), Ok(IdeaId(12)), "{s}");
        }
        assert!("IDEA-".parse::<IdeaId>().is_err());
        assert!("twelve".parse::<IdeaId>().is_err());
        assert_eq!(IdeaId(7).to_string(), "IDEA-7");
    }
}
