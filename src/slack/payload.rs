//! Reading what Slack sends, over either transport. slack-morphism's types insist on some fields
//! the bot never reads, and Slack leaves them out or sends null for some installs: an org-wide
//! (Enterprise Grid) install has `authorizations[].team_id: null`, and its interactions may come
//! without a workspace `team`. So a payload is tidied before it is handed to slack-morphism:
//!
//! - a member whose value is null is taken as absent (Slack's null means "not applicable", and
//!   slack-morphism reads an absent optional field as `None`);
//! - an event's `authorizations`, `authed_users` and `event_context`, which the bot never reads,
//!   are dropped; its `team_id`, `api_app_id` and `event_time` are filled in when missing (the
//!   organisation's id stands in for a team);
//! - an interaction's `team`, and its view's `team_id`, are filled in when missing the same way.
//!
//! What the bot does read (ids of events, users, channels, messages; texts; actions) is never
//! invented: a payload without them still fails to read.

use crate::domain::{BadId, ChannelId, MessageTs, UserId};
use serde_json::{Map, Value};
use slack_morphism::prelude::*;
use std::collections::HashMap;

/// An Events API body: a push event.
pub fn read_event(body: &str) -> Result<SlackPushEvent, serde_json::Error> {
    let mut value: Value = serde_json::from_str(body)?;
    tidy_event(&mut value);
    serde_json::from_value(value)
}

/// An event as an Events API body, which [`read_event`] reads back: how events that reached the
/// bot already parsed (Socket Mode) are kept.
pub fn event_body(cb: &SlackPushEventCallback) -> Result<String, serde_json::Error> {
    let mut body = serde_json::to_value(cb)?;
    if let Value::Object(map) = &mut body {
        map.insert("type".into(), Value::String("event_callback".into()));
    }
    Ok(body.to_string())
}

/// A slash command's form: the command, or `None` for Slack's `ssl_check`.
pub fn read_command(body: &str) -> Result<Option<SlackCommandEvent>, serde_json::Error> {
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    if form.get("ssl_check").is_some_and(|v| v == "1") {
        return Ok(None);
    }
    let mut value = Value::Object(
        form.into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    );
    tidy_command(&mut value);
    serde_json::from_value(value).map(Some)
}

/// An interactivity form: the JSON in its `payload` field, or `None` when there is none.
pub fn read_interaction(body: &str) -> Option<Result<SlackInteractionEvent, serde_json::Error>> {
    let payload = form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v.into_owned())?;
    Some(serde_json::from_str(&payload).and_then(|mut value: Value| {
        tidy_interaction(&mut value);
        serde_json::from_value(value)
    }))
}

/// Slack's ids as the app's: parsed here, once. An id that does not parse is not one Slack
/// sends, so what names it is not for the bot (the callers pass it by, logged).
pub fn user(id: &SlackUserId) -> Option<UserId> {
    read_id(UserId::parse(id.as_ref()))
}

pub fn channel(id: &SlackChannelId) -> Option<ChannelId> {
    read_id(ChannelId::parse(id.as_ref()))
}

pub fn ts(ts: &SlackTs) -> Option<MessageTs> {
    read_id(MessageTs::parse(ts.as_ref()))
}

fn read_id<T>(parsed: Result<T, BadId>) -> Option<T> {
    parsed
        .map_err(|e| tracing::info!(error = %e, "a payload names something that is not Slack's"))
        .ok()
}

/// A Socket Mode envelope slack-morphism could not read, read again after tidying its payload.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one is read at a time, and only when slack-morphism failed
pub enum Envelope {
    Event(SlackPushEventCallback),
    Command(SlackCommandEvent),
    Interaction(SlackInteractionEvent),
    /// Something else (`hello`, `disconnect`, a type the bot does not know).
    Other,
}

/// Reads a Socket Mode frame: its type decides how its `payload` is read.
pub fn read_envelope(frame: &str) -> Result<Envelope, serde_json::Error> {
    let mut value: Value = serde_json::from_str(frame)?;
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut payload = value
        .get_mut("payload")
        .map(Value::take)
        .unwrap_or(Value::Null);
    Ok(match kind.as_str() {
        "events_api" => {
            tidy_event(&mut payload);
            match serde_json::from_value(payload)? {
                SlackPushEvent::EventCallback(cb) => Envelope::Event(cb),
                _ => Envelope::Other,
            }
        }
        "slash_commands" => {
            tidy_command(&mut payload);
            Envelope::Command(serde_json::from_value(payload)?)
        }
        "interactive" => {
            tidy_interaction(&mut payload);
            Envelope::Interaction(serde_json::from_value(payload)?)
        }
        _ => Envelope::Other,
    })
}

/// Removes every object member whose value is null, at any depth.
fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// The organisation's id, which stands in for a team the bot does not read.
fn enterprise_of(map: &Map<String, Value>) -> Option<String> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    text(map.get("enterprise_id"))
        .or_else(|| text(map.get("enterprise").and_then(|e| e.get("id"))))
        .or_else(|| text(map.get("context_enterprise_id")))
}

fn fill_string(map: &mut Map<String, Value>, key: &str, with: &str) {
    if !map.get(key).is_some_and(Value::is_string) {
        map.insert(key.to_string(), Value::String(with.to_string()));
    }
}

fn tidy_event(value: &mut Value) {
    drop_nulls(value);
    let Value::Object(map) = value else { return };
    if map.get("type").and_then(Value::as_str) != Some("event_callback") {
        return;
    }
    for unread in ["authorizations", "authed_users", "event_context"] {
        map.remove(unread);
    }
    let team = enterprise_of(map)
        .or_else(|| {
            map.get("context_team_id")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_default();
    fill_string(map, "team_id", &team);
    fill_string(map, "api_app_id", "");
    if !map.get("event_time").is_some_and(Value::is_number) {
        map.insert("event_time".into(), Value::from(0));
    }
}

fn tidy_command(value: &mut Value) {
    drop_nulls(value);
    let Value::Object(map) = value else { return };
    let team = enterprise_of(map).unwrap_or_default();
    fill_string(map, "team_id", &team);
}

fn tidy_interaction(value: &mut Value) {
    drop_nulls(value);
    let Value::Object(map) = value else { return };
    let team = map
        .get("team")
        .and_then(|t| t.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            map.get("user")
                .and_then(|u| u.get("team_id"))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .or_else(|| enterprise_of(map))
        .unwrap_or_default();
    match map.get_mut("team") {
        Some(Value::Object(t)) => fill_string(t, "id", &team),
        _ => {
            map.insert("team".into(), serde_json::json!({ "id": team }));
        }
    }
    fill_string(map, "api_app_id", "");
    if let Some(Value::Object(view)) = map.get_mut("view") {
        fill_string(view, "team_id", &team);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An org-wide install's event, in the shape Slack documents (ids made up).
    fn org_event() -> Value {
        json!({
            "token": "t", "team_id": "T1", "enterprise_id": "E1", "api_app_id": "A1",
            "event": {"type": "app_mention", "user": "W1", "text": "<@U0> hi", "ts": "1.2",
                      "channel": "C1", "event_ts": "1.2"},
            "type": "event_callback", "event_id": "Ev1", "event_time": 1,
            "authorizations": [{"enterprise_id": "E1", "team_id": null, "user_id": "U0",
                                "is_bot": true, "is_enterprise_install": true}],
            "is_ext_shared_channel": false
        })
    }

    #[test]
    fn an_org_wide_event_reads_and_keeps_what_the_bot_uses() {
        let untidy = serde_json::from_value::<SlackPushEvent>(org_event());
        assert!(untidy.is_err(), "slack-morphism alone refuses it");
        let Ok(SlackPushEvent::EventCallback(cb)) = read_event(&org_event().to_string()) else {
            panic!("an org-wide event reads");
        };
        assert_eq!(cb.event_id.to_string(), "Ev1");
        let SlackEventCallbackBody::AppMention(m) = cb.event else {
            panic!("the event is kept");
        };
        assert_eq!(
            (m.user.to_string(), m.channel.to_string()),
            ("W1".into(), "C1".into())
        );
    }

    #[test]
    fn fields_the_bot_does_not_read_may_be_missing_or_null() {
        let mut bare = org_event();
        for key in ["team_id", "api_app_id", "event_time"] {
            bare[key] = Value::Null;
        }
        bare["authorizations"] = json!("not even a list");
        assert!(read_event(&bare.to_string()).is_ok());
        if let Some(o) = bare.as_object_mut() {
            o.remove("team_id");
            o.remove("enterprise_id");
        }
        assert!(read_event(&bare.to_string()).is_ok());
    }

    #[test]
    fn an_event_written_back_reads_the_same() {
        // Socket Mode events are kept in the inbox as slack-morphism writes them back.
        let events = [
            json!({"type": "message", "channel": "C1", "user": "U1", "text": "hi", "ts": "1.2",
                   "channel_type": "channel", "client_msg_id": "m"}),
            json!({"type": "reaction_added", "user": "U1", "reaction": "+1", "item_user": "U2",
                   "item": {"type": "message", "channel": "C1", "ts": "1.2"}, "event_ts": "1.3"}),
            json!({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home",
                   "event_ts": "1.3"}),
            org_event()["event"].clone(),
        ];
        for event in events {
            let mut body = org_event();
            body["event"] = event;
            let Ok(SlackPushEvent::EventCallback(cb)) = read_event(&body.to_string()) else {
                panic!("reads: {body}");
            };
            let written = event_body(&cb).expect("writes");
            assert_eq!(
                read_event(&written).expect("reads back"),
                SlackPushEvent::EventCallback(cb),
                "{written}"
            );
        }
    }

    #[test]
    fn what_the_bot_reads_is_never_invented() {
        let mut no_id = org_event();
        no_id["event_id"] = Value::Null;
        assert!(read_event(&no_id.to_string()).is_err());
    }

    #[test]
    fn an_interaction_without_a_team_reads() {
        let payload = json!({
            "type": "view_submission", "team": null,
            "enterprise": {"id": "E1", "name": "Org"}, "is_enterprise_install": true,
            "user": {"id": "W1", "team_id": "T1"},
            "view": {"id": "V1", "team_id": null, "type": "modal", "blocks": [],
                     "title": {"type": "plain_text", "text": "t"}, "hash": "h",
                     "callback_id": "c", "state": {"values": {}}}
        });
        let form = format!(
            "payload={}",
            form_urlencoded::byte_serialize(payload.to_string().as_bytes()).collect::<String>()
        );
        let read = read_interaction(&form).expect("a payload");
        assert!(
            matches!(read, Ok(SlackInteractionEvent::ViewSubmission(_))),
            "{read:?}"
        );
    }

    #[test]
    fn a_socket_mode_envelope_is_read_by_its_type() {
        let frame = json!({"envelope_id": "e1", "type": "events_api",
                           "accepts_response_payload": false, "payload": org_event()});
        assert!(matches!(
            read_envelope(&frame.to_string()),
            Ok(Envelope::Event(_))
        ));
        let hello = json!({"type": "hello"});
        assert!(matches!(
            read_envelope(&hello.to_string()),
            Ok(Envelope::Other)
        ));
    }
}
