//! Slack's secrets, taken out of text before it is logged, whoever wrote the line: at debug and
//! trace level slack-morphism and the HTTP and WebSocket crates log URLs, headers and whole
//! Socket Mode envelopes. Out go the tokens and signing secret the bot was given, anything shaped
//! like a Slack token (`xoxb-…`, `xapp-…`), bearer credentials, the `ticket` of a Socket Mode URL
//! (anyone holding it can take the bot's WebSocket), and the `token` field of Slack's payloads
//! (the legacy verification token), whether written as JSON, escaped JSON or a form field.

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

const HIDDEN: &str = "[redacted]";

/// The shortest given value taken out by its text. Slack's secrets are far longer (a signing
/// secret is 32 characters); a shorter value is a test or a mistake, and taking out every
/// occurrence of, say, "s" would leave no log line readable.
const SHORTEST_SECRET: usize = 8;

static SHAPES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // A Socket Mode URL's ticket: `wss://…/link/?ticket=…&app_id=…`.
        (r"(?i)(\bticket=)[^&\s\x22'\\]+", "${1}[redacted]"),
        // Slack tokens of every kind: bot, user, app-level, configuration, refresh.
        (r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+", "${1}-[redacted]"),
        (r"(?i)(\bbearer\s+)[^\s\x22'\\,]+", "${1}[redacted]"),
        // `"token":"…"`, also escaped inside a JSON string, and Rust's `token: "…"`.
        (
            r#"(?i)(\\?"token\\?"\s*:\s*\\?"|\btoken:\s*(?:Some\()?\\?")[^"\\]*"#,
            "${1}[redacted]",
        ),
        // `token=…` in a form body or a query string.
        (r"(?i)(\btoken=)[^&\s\x22'\\]+", "${1}[redacted]"),
    ]
    .into_iter()
    .filter_map(|(pattern, with)| match Regex::new(pattern) {
        Ok(re) => Some((re, with)),
        // The patterns are fixed and covered by the tests below, so this never happens.
        Err(_) => None,
    })
    .collect()
});

/// `text` without `secrets` (the exact values the bot was given) or anything shaped like one.
pub fn redact<'a>(text: &'a str, secrets: &[String]) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(text);
    for secret in secrets.iter().filter(|s| s.len() >= SHORTEST_SECRET) {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), HIDDEN));
        }
    }
    for (re, with) in SHAPES.iter() {
        if let Cow::Owned(changed) = re.replace_all(&out, *with) {
            out = Cow::Owned(changed);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(text: &str) -> String {
        redact(text, &["s3cr3t-signing".to_string()]).into_owned()
    }

    #[test]
    fn a_value_too_short_to_be_a_secret_leaves_the_text_readable() {
        let secrets = ["s".to_string(), "s3cr3t-signing".to_string()];
        assert_eq!(
            redact("signature checked with s3cr3t-signing", &secrets),
            "signature checked with [redacted]"
        );
    }

    #[test]
    fn every_shape_of_secret_is_taken_out() {
        let cases = [
            (
                "Connecting to: wss://wss-primary.slack.com/link/?ticket=1a2b-3c&app_id=A1",
                "Connecting to: wss://wss-primary.slack.com/link/?ticket=[redacted]&app_id=A1",
            ),
            (
                "token xoxb-123-456-abcDEF in use",
                "token xoxb-[redacted] in use",
            ),
            ("app xapp-1-A1-2-ff", "app xapp-[redacted]"),
            (
                "Authorization: Bearer xoxb-1-2",
                "Authorization: Bearer [redacted]",
            ),
            (
                r#"{"token":"verif","team_id":"T1"}"#,
                r#"{"token":"[redacted]","team_id":"T1"}"#,
            ),
            (
                r#"{"message":"text {\"token\":\"verif\",\"x\":1}"}"#,
                r#"{"message":"text {\"token\":\"[redacted]\",\"x\":1}"}"#,
            ),
            (
                r#"Cmd { token: Some("verif"), text: "hi" }"#,
                r#"Cmd { token: Some("[redacted]"), text: "hi" }"#,
            ),
            ("token=verif&team_id=T1", "token=[redacted]&team_id=T1"),
            ("secret is s3cr3t-signing!", "secret is [redacted]!"),
        ];
        for (given, want) in cases {
            assert_eq!(clean(given), want, "{given}");
        }
    }

    #[test]
    fn text_without_secrets_is_left_alone() {
        for text in [
            "listening for the Slack Events API address=0.0.0.0:3000",
            "tokens and tickets are words too",
            r#"{"text":"Filed as *IDEA-1*","thread_ts":"1.2"}"#,
        ] {
            assert!(matches!(clean_cow(text), Cow::Borrowed(_)), "{text}");
        }
    }

    fn clean_cow(text: &str) -> Cow<'_, str> {
        redact(text, &[])
    }
}
