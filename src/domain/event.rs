//! What happened to an idea, as the outside world hears it through outbound webhooks: filed, its
//! status changed, its votes changed, a comment came in. Each event is read off a change (the idea
//! before and after it) and written as the JSON a receiver gets, once, when the change is made.

use super::idea::Idea;
use super::status::Status;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The kinds of event a webhook may subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum EventKind {
    Filed,
    StatusChanged,
    Voted,
    Commented,
}

impl EventKind {
    pub const ALL: [EventKind; 4] = [
        EventKind::Filed,
        EventKind::StatusChanged,
        EventKind::Voted,
        EventKind::Commented,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EventKind::Filed => "idea.filed",
            EventKind::StatusChanged => "idea.status_changed",
            EventKind::Voted => "idea.voted",
            EventKind::Commented => "idea.commented",
        }
    }
}

impl TryFrom<String> for EventKind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.name() == s.trim())
            .ok_or_else(|| {
                let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.name()).collect();
                format!("'{s}' is not an event; events: {}", known.join(", "))
            })
    }
}

impl From<EventKind> for String {
    fn from(k: EventKind) -> String {
        k.name().to_string()
    }
}

/// One event, ready to send: its kind and its JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: EventKind,
    pub body: String,
}

/// The events a change makes: `before` is `None` for a new idea. Drafts make none (nothing is
/// filed yet); an idea filed from a draft makes `idea.filed`.
pub fn events_of(before: Option<&Idea>, after: &Idea) -> Vec<Event> {
    let mut out = Vec::new();
    let was_filed = before.is_some_and(Idea::was_filed);
    let status_before = before.map(Idea::status);
    if after.was_filed() && !was_filed {
        out.push(event(EventKind::Filed, after, json!({})));
    } else if was_filed && status_before != Some(after.status()) {
        let reason = after
            .history
            .last()
            .filter(|c| c.moves_status())
            .and_then(|c| c.reason.clone());
        out.push(event(
            EventKind::StatusChanged,
            after,
            json!({
                "from": status_before.map(status_json),
                "to": status_json(after.status()),
                "reason": reason,
            }),
        ));
    }
    if let Some(before) = before {
        if before.voters.len() != after.voters.len() && after.was_filed() {
            out.push(event(
                EventKind::Voted,
                after,
                json!({"votes_before": before.voters.len()}),
            ));
        }
        if after.comments.len() > before.comments.len() {
            for c in &after.comments[before.comments.len()..] {
                out.push(event(
                    EventKind::Commented,
                    after,
                    json!({"comment": {"by": shown(after, &c.by), "at": c.at, "text": c.text}}),
                ));
            }
        }
    }
    out
}

/// Who did something, as receivers are shown: "anonymous" for an anonymous idea's submitter.
fn shown<'a>(idea: &Idea, who: &'a super::UserId) -> &'a str {
    if idea.anonymous && *who == idea.submitter {
        "anonymous"
    } else {
        who.as_str()
    }
}

fn status_json(s: Status) -> serde_json::Value {
    match s {
        Status::Duplicate { of } => json!({"status": s.name(), "of": of}),
        s => json!({"status": s.name()}),
    }
}

/// The body every event shares (the idea as it is after the change), with `extra` beside it. The
/// `id` is the same for every attempt at one event, so a receiver can drop repeats.
fn event(kind: EventKind, idea: &Idea, extra: serde_json::Value) -> Event {
    let id = format!(
        "{}:{}:{}:{}.{}.{}",
        idea.id,
        kind.name(),
        idea.updated.as_microsecond(),
        idea.history.len(),
        idea.comments.len(),
        idea.voters.len()
    );
    let mut body = json!({
        "id": id,
        "event": kind.name(),
        "at": idea.updated,
        "idea": {
            "id": idea.id,
            "track": idea.track,
            "status": idea.status().name(),
            "headline": idea.headline_text(),
            "submitter": idea.byline().map_or("anonymous", |u| u.as_str()),
            "votes": idea.voters.len(),
            "comments": idea.comments.len(),
            "link": idea.origin.permalink,
        },
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    Event {
        kind,
        body: body.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Judgement, NewIdea, Origin, Source, TrackId, UserId, Verdict};

    #[test]
    fn an_anonymous_ideas_events_name_nobody() {
        let submitter = UserId::parse("USUB").expect("a user");
        let idea = Idea::new(
            crate::domain::IdeaId::new(1),
            NewIdea {
                submitter,
                source: Source::Slash,
                origin: Origin::default(),
                pitch: "Nurses wait hours for handover notes.".into(),
                judged: Judgement {
                    verdict: Verdict::Problem,
                    confidence: 0.9,
                    hits: Vec::new(),
                    rules_version: "t".into(),
                    model_version: String::new(),
                },
                track: TrackId::parse("execution").expect("a track"),
                anonymous: true,
                filed: true,
                at: jiff::Timestamp::UNIX_EPOCH,
            },
        );
        let events = events_of(None, &idea);
        assert_eq!(events.len(), 1);
        assert!(
            events[0].body.contains("\"submitter\":\"anonymous\""),
            "{}",
            events[0].body
        );
        assert!(!events[0].body.contains("USUB"), "{}", events[0].body);
    }
}
