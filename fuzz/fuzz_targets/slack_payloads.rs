//! What Slack sends the bot, parsed the way the HTTP transport (`slack::http`) parses it: an Events
//! API body as JSON, a slash command as a form turned into the command type, an interaction as
//! the JSON in a form's `payload` field. Submitted views then go through the bot's own readers of
//! the modal's fields and private metadata. Any body must parse or be refused, never panic.
//!
//! The parsing steps mirror `slack::http` (events, command, interactivity) line for line; keep
//! them in step when that file changes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use problemfirst::slack::blocks;
use slack_morphism::prelude::*;
use std::collections::HashMap;

fuzz_target!(|data: &[u8]| {
    // The transport refuses a body that is not UTF-8 before parsing it.
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    events(body);
    command(body);
    interactivity(body);
    // The payload's JSON straight away too, so the fuzzer need not learn URL encoding to reach it.
    interaction(body);
});

fn events(body: &str) {
    if let Ok(SlackPushEvent::UrlVerification(v)) = serde_json::from_str::<SlackPushEvent>(body) {
        let _ = v.challenge.len();
    }
}

fn command(body: &str) {
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    if form.get("ssl_check").is_some_and(|v| v == "1") {
        return;
    }
    let value = serde_json::Value::Object(form.into_iter().map(|(k, v)| (k, v.into())).collect());
    let _ = serde_json::from_value::<SlackCommandEvent>(value);
}

fn interactivity(body: &str) {
    let payload = form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v.into_owned());
    if let Some(payload) = payload {
        interaction(&payload);
    }
}

fn interaction(payload: &str) {
    let Ok(SlackInteractionEvent::ViewSubmission(v)) =
        serde_json::from_str::<SlackInteractionEvent>(payload)
    else {
        return;
    };
    let (_fields, _track) = blocks::read_fields(v.view.state_params.state.as_ref());
    if let SlackView::Modal(m) = &v.view.view {
        let metadata = m.private_metadata.clone().unwrap_or_default();
        let _ = blocks::read_reframe_metadata(&metadata);
    }
}
