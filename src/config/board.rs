//! The idea board's settings, each in a section of its own: `[chatter]` (what in an idea channel
//! is not a pitch) and `[[webhook]]` (where events about ideas are sent). Both may be left out.

use crate::domain::chatter::{ChatterRule, ChatterSpec};
use crate::domain::event::EventKind;
use serde::Deserialize;

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
