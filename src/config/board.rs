//! The idea board's settings, each in a section of its own: `[drafts]` (when a draft's submitter
//! is reminded, and when the draft expires), `[chatter]` (what in an idea channel is not a
//! pitch) and `[[webhook]]` (where events about ideas are sent). Every section may be left out:
//! the defaults are written next to each field.

use crate::domain::chatter::{ChatterRule, ChatterSpec};
use crate::domain::event::EventKind;
use jiff::{SignedDuration, Span, SpanRelativeTo};
use serde::Deserialize;

/// `[drafts]`: drafts do not strand. The submitter is reminded once after `remind_after`; after
/// `expire_after` the draft is withdrawn (with a note in its history and a message; nothing is
/// deleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftsConfig {
    #[serde(default = "three_days", deserialize_with = "duration")]
    pub remind_after: SignedDuration,
    #[serde(default = "fourteen_days", deserialize_with = "duration")]
    pub expire_after: SignedDuration,
}

impl Default for DraftsConfig {
    fn default() -> Self {
        DraftsConfig {
            remind_after: three_days(),
            expire_after: fourteen_days(),
        }
    }
}

fn three_days() -> SignedDuration {
    SignedDuration::from_hours(3 * 24)
}

fn fourteen_days() -> SignedDuration {
    SignedDuration::from_hours(14 * 24)
}

/// A duration as people write it: "3 days", "14d", "36h", "1 week"; a day is 24 hours.
fn duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SignedDuration, D::Error> {
    let raw = String::deserialize(d)?;
    let bad = |why: String| {
        serde::de::Error::custom(format!(
            "'{raw}' is not a duration ({why}); write it like \"3 days\", \"36h\" or \"2 weeks\""
        ))
    };
    let span: Span = raw
        .trim()
        .parse()
        .map_err(|e: jiff::Error| bad(e.to_string()))?;
    let length = span
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(|e| bad(e.to_string()))?;
    if length <= SignedDuration::ZERO {
        return Err(bad("it must be longer than zero".into()));
    }
    Ok(length)
}

/// `[chatter]`, compiled.
#[derive(Debug, Clone)]
pub struct ChatterConfig {
    pub spec: ChatterSpec,
    pub rule: ChatterRule,
}

impl Default for ChatterConfig {
    fn default() -> Self {
        let spec = ChatterSpec::default();
        // The default has no patterns, so nothing can fail to compile.
        let rule = ChatterRule::compile(&spec).unwrap_or_else(|_| unreachable!());
        ChatterConfig { spec, rule }
    }
}

impl<'de> Deserialize<'de> for ChatterConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spec = ChatterSpec::deserialize(d)?;
        let rule = ChatterRule::compile(&spec).map_err(serde::de::Error::custom)?;
        Ok(ChatterConfig { spec, rule })
    }
}

/// One `[[webhook]]`: events about ideas, POSTed as JSON to `url`, signed with the secret in the
/// environment variable named by `secret_env` (the secret itself never goes in the file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    #[serde(deserialize_with = "http_url")]
    pub url: String,
    /// The events sent; all of them when left out.
    #[serde(default = "all_events")]
    pub events: Vec<EventKind>,
    pub secret_env: String,
}

impl WebhookConfig {
    pub fn wants(&self, kind: EventKind) -> bool {
        self.events.contains(&kind)
    }
}

fn all_events() -> Vec<EventKind> {
    EventKind::ALL.to_vec()
}

fn http_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw = String::deserialize(d)?;
    match url::Url::parse(raw.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(raw.trim().to_string())
        }
        Ok(_) => Err(serde::de::Error::custom(format!(
            "'{raw}' is not an http(s) address"
        ))),
        Err(e) => Err(serde::de::Error::custom(format!(
            "'{raw}' is not an address: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct File {
        drafts: DraftsConfig,
    }

    #[test]
    fn durations_read_as_people_write_them() {
        let f: File =
            toml::from_str("[drafts]\nremind_after = \"36h\"\nexpire_after = \"2 weeks\"")
                .expect("parses");
        assert_eq!(f.drafts.remind_after, SignedDuration::from_hours(36));
        assert_eq!(f.drafts.expire_after, SignedDuration::from_hours(14 * 24));
        let bad = toml::from_str::<File>("[drafts]\nremind_after = \"soon\"");
        assert!(bad.is_err());
    }
}
