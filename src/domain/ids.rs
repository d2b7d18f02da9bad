//! The names of things, parsed once where they come in (a Slack payload, the config, the
//! command line, an import) and carried as their own types from there: an idea's id, a person,
//! a channel, a message's timestamp, a track and a digest week. Each has one constructor that
//! checks it, `parse`; stored records are checked the same way as they are read.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

/// A name that can't be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not {what}: {why}")]
pub struct BadId {
    pub what: &'static str,
    pub value: String,
    pub why: &'static str,
}

/// A name kept as text: trimmed, never empty, never holding a control character (the store
/// builds keys from them with NUL separators), and whatever else `$check` asks.
macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident, $what:expr, $max:expr, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The one way to make one: `value` trimmed and checked.
            pub fn parse(value: &str) -> Result<$name, BadId> {
                let t = value.trim();
                let bad = |why| BadId {
                    what: $what,
                    value: value.to_string(),
                    why,
                };
                if t.is_empty() {
                    return Err(bad("it is empty"));
                }
                if t.chars().count() > $max {
                    return Err(bad("it is too long"));
                }
                if t.chars().any(char::is_control) {
                    return Err(bad("it holds a control character"));
                }
                let check: fn(&str) -> Result<(), &'static str> = $check;
                check(t).map_err(bad)?;
                Ok($name(t.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        /// Read as the text it is; only `parse` makes one.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl FromStr for $name {
            type Err = BadId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = BadId;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

text_id!(
    /// A person: a Slack user id (`U…`, `W…`), or the name given at the console or in an import.
    UserId,
    "a person's id or name",
    255,
    |_| Ok(())
);

text_id!(
    /// A Slack conversation: a channel (`C…`, `G…`) or a direct message (`D…`), by id.
    ChannelId,
    "a Slack channel id",
    64,
    |t| match t.chars().all(|c| c.is_ascii_alphanumeric()) {
        true => Ok(()),
        false => Err("Slack ids are letters and digits"),
    }
);

text_id!(
    /// A Slack message, by its timestamp in its channel: `1700000000.000100`.
    MessageTs,
    "a Slack message timestamp",
    32,
    |t| match t.split_once('.') {
        Some((s, f))
            if !s.is_empty()
                && !f.is_empty()
                && s.chars().chain(f.chars()).all(|c| c.is_ascii_digit()) =>
        {
            Ok(())
        }
        _ => Err("it is seconds, a dot and digits"),
    }
);

text_id!(
    /// A track, by the id the config gives it (`execution`, `search`).
    TrackId,
    "a track id",
    64,
    |t| match t.chars().any(char::is_whitespace) {
        true => Err("a track id is one word"),
        false => Ok(()),
    }
);

/// A digest week, by the civil date it starts on (in the digest's zone): `2026-03-02`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WeekStart(Date);

impl WeekStart {
    pub fn new(date: Date) -> WeekStart {
        WeekStart(date)
    }

    /// `YYYY-MM-DD`.
    pub fn parse(value: &str) -> Result<WeekStart, BadId> {
        value.trim().parse().map(WeekStart).map_err(|_| BadId {
            what: "a week",
            value: value.to_string(),
            why: "a week is named by its first day, YYYY-MM-DD",
        })
    }

    pub fn date(self) -> Date {
        self.0
    }
}

impl fmt::Display for WeekStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for WeekStart {
    type Err = BadId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WeekStart::parse(s)
    }
}

impl TryFrom<String> for WeekStart {
    type Error = BadId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        WeekStart::parse(&s)
    }
}

impl From<WeekStart> for String {
    fn from(w: WeekStart) -> String {
        w.to_string()
    }
}

impl PartialEq<&str> for WeekStart {
    fn eq(&self, other: &&str) -> bool {
        WeekStart::parse(other).is_ok_and(|w| w == *self)
    }
}

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
    fn names_are_checked_once_and_kept_trimmed() {
        assert_eq!(UserId::parse(" U1 ").map(String::from), Ok("U1".into()));
        assert!(UserId::parse("Jane Doe").is_ok(), "an imported name");
        assert!(UserId::parse("  ").is_err());
        assert!(UserId::parse("U1\nU2").is_err());
        assert!(ChannelId::parse("C0123ABC").is_ok());
        assert!(ChannelId::parse("#general").is_err());
        assert!(MessageTs::parse("1700000000.000100").is_ok());
        for bad in ["1700000000", ".1", "1.", "1.a", "x"] {
            assert!(MessageTs::parse(bad).is_err(), "{bad}");
        }
        assert!(TrackId::parse("execution").is_ok());
        assert!(TrackId::parse("two words").is_err());
        let week = WeekStart::parse("2026-03-02").expect("a week");
        assert_eq!(week.to_string(), "2026-03-02");
        assert!(WeekStart::parse("last monday").is_err());
        let err = ChannelId::parse("#general").unwrap_err().to_string();
        assert!(
            err.contains("'#general' is not a Slack channel id"),
            "{err}"
        );
    }

    #[test]
    fn stored_names_read_back_through_the_same_check() {
        let user: UserId = serde_json::from_str("\"U9\"").expect("a user");
        assert_eq!(user, "U9");
        assert_eq!(serde_json::to_string(&user).ok().as_deref(), Some("\"U9\""));
        assert!(serde_json::from_str::<ChannelId>("\"\"").is_err());
        let week: WeekStart = serde_json::from_str("\"2026-03-02\"").expect("a week");
        assert_eq!(week, "2026-03-02");
    }

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
