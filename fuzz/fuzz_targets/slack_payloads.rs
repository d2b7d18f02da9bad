//! What Slack sends the bot, read by the HTTP transport's own readers (`slack::http`): an Events
//! API body, a slash command's form, an interaction's form. Submitted views then go through the
//! bot's own readers of the modal's fields and private metadata. Any body must parse or be
//! refused, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use problemfirst::slack::{blocks, http};
use slack_morphism::prelude::*;

fuzz_target!(|data: &[u8]| {
    // The transport refuses a body that is not UTF-8 before reading it.
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(SlackPushEvent::UrlVerification(v)) = http::read_event(body) {
        let _ = v.challenge.len();
    }
    let _ = http::read_command(body);
    if let Some(Ok(event)) = http::read_interaction(body) {
        view_submission(event);
    }
    // The payload's JSON straight away too, so the fuzzer need not learn URL encoding to reach it.
    if let Ok(event) = serde_json::from_str::<SlackInteractionEvent>(body) {
        view_submission(event);
    }
});

fn view_submission(event: SlackInteractionEvent) {
    let SlackInteractionEvent::ViewSubmission(v) = event else {
        return;
    };
    let (_fields, _track) = blocks::read_fields(v.view.state_params.state.as_ref());
    if let SlackView::Modal(m) = &v.view.view {
        let metadata = m.private_metadata.clone().unwrap_or_default();
        let _ = blocks::read_reframe_metadata(&metadata);
    }
}
