//! "Duplicate of…" picks the original from a searchable select: the form's `external_select` asks
//! the bot for options as the lead types (a `block_suggestion`), answered from the ideas: the
//! most similar with no query, matches by words or id as they type, never the idea itself, a
//! draft, a withdrawn idea or a duplicate. Over both transports.

use crate::support::app::{spawn, TestApp, Transport};
use crate::support::roles::{self, LEAD, OTHER, SUBMITTER};
use crate::support::{ids, signing};
use problemfirst::app::{Answer, Submission};
use problemfirst::domain::{IdeaId, Source, Status, Triage};
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const PARTS: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";
const PARTS_AGAIN: &str =
    "Field technicians wait days for spare parts, so many repairs need a second visit.";
const NURSES: &str =
    "Night-shift nurses can't find the handover notes, so patients wait 40 minutes for medication.";
const TECH: &str = "We should use blockchain to track our invoices.";

async fn pitch(bot: &TestApp, text: &str, who: &str) -> IdeaId {
    let outcome = bot
        .app
        .submit(Submission {
            pitch: text.into(),
            submitter: ids::user(who),
            source: Source::Slash,
            origin: Default::default(),
            track: Some("execution".into()),
            anonymous: false,
            answer: Answer::Direct,
        })
        .await
        .expect("submitted");
    outcome.idea().id
}

/// Slack's options request for the picker in the decision form about `idea`.
fn suggestion(idea: IdeaId, typed: &str) -> Value {
    let form = signing::view_submission(
        LEAD,
        "triage_decision",
        &format!("duplicate {idea} -"),
        json!({}),
    );
    json!({
        "type": "block_suggestion",
        "team": form["team"],
        "user": form["user"],
        "api_app_id": form["api_app_id"],
        "token": "verification-token",
        "container": {"type": "view", "view_id": "VSUBMIT"},
        "block_id": "original",
        "action_id": "original",
        "value": typed,
        "view": form["view"],
    })
}

/// The options the bot answers with: their values.
async fn options(bot: &TestApp, transport: Transport, payload: Value) -> Vec<String> {
    let answer: Value = match transport {
        Transport::Socket => {
            let id = bot
                .fake
                .send_envelope(signing::envelope("interactive", payload))
                .await;
            bot.fake.wait_ack(&id, WAIT).await.expect("acked")["payload"].clone()
        }
        _ => {
            let (status, body) = bot.interact(&payload).await;
            assert_eq!(status, 200, "{body}");
            serde_json::from_str(&body).expect("a JSON answer")
        }
    };
    let options = answer["options"].as_array().cloned().unwrap_or_default();
    for o in &options {
        let text = o["text"]["text"].as_str().unwrap_or_default();
        assert_eq!(o["text"]["type"], "plain_text");
        assert!(text.chars().count() <= 75, "{text}");
    }
    assert!(options.len() <= 100);
    options
        .iter()
        .map(|o| o["value"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn the_picker(transport: Transport) {
    let bot = spawn()
        .config(roles::config())
        .transport(transport)
        .start()
        .await;
    let original = pitch(&bot, PARTS, SUBMITTER).await;
    let nurses = pitch(&bot, NURSES, OTHER).await;
    let draft = pitch(&bot, TECH, OTHER).await;
    let again = pitch(&bot, PARTS_AGAIN, OTHER).await;
    let status = |id: IdeaId| {
        bot.app
            .store()
            .get(id)
            .expect("read")
            .expect("idea")
            .status()
    };
    assert_eq!(status(draft), Status::Draft);

    // The form offers a searchable select, not a text field.
    let idea = bot.app.store().get(again).expect("read").expect("idea");
    let form =
        problemfirst::slack::card::decision_form(Triage::Duplicate, &idea, bot.app.config(), None);
    let form = serde_json::to_value(&form).expect("json");
    let picker = form["blocks"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["block_id"] == "original"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(picker["element"]["type"], "external_select", "{form}");

    // Nothing typed yet: the ideas most like this one.
    let shown = options(&bot, transport, suggestion(again, "")).await;
    assert_eq!(shown.first(), Some(&original.to_string()), "{shown:?}");
    assert!(!shown.contains(&again.to_string()), "never itself");
    // Words.
    let shown = options(&bot, transport, suggestion(again, "handover notes")).await;
    assert_eq!(shown.first(), Some(&nurses.to_string()), "{shown:?}");
    // An id, with or without its prefix.
    for typed in [nurses.to_string(), nurses.number().to_string()] {
        let shown = options(&bot, transport, suggestion(again, &typed)).await;
        assert_eq!(
            shown.first(),
            Some(&nurses.to_string()),
            "{typed}: {shown:?}"
        );
    }
    // Never a draft, nor the idea itself by id.
    let shown = options(&bot, transport, suggestion(again, "blockchain invoices")).await;
    assert!(!shown.contains(&draft.to_string()), "{shown:?}");
    let shown = options(&bot, transport, suggestion(again, &again.to_string())).await;
    assert!(!shown.contains(&again.to_string()), "{shown:?}");

    // The picked option decides it.
    let picked = json!({
        "original": {"original": {"type": "external_select", "selected_option":
            {"text": {"type": "plain_text", "text": "picked"}, "value": original.to_string()}}},
        "reason": {"reason": {"type": "plain_text_input", "value": "Same spare-parts wait"}}
    });
    let submit = signing::view_submission(
        LEAD,
        "triage_decision",
        &format!("duplicate {again} -"),
        picked,
    );
    match transport {
        Transport::Socket => {
            let id = bot
                .fake
                .send_envelope(signing::envelope("interactive", submit))
                .await;
            assert!(bot.fake.wait_ack(&id, WAIT).await.is_some());
        }
        _ => assert_eq!(bot.interact(&submit).await.0, 200),
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    while status(again) != (Status::Duplicate { of: original }) {
        assert!(tokio::time::Instant::now() < deadline, "marked a duplicate");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A duplicate is not offered as an original; its original is.
    let shown = options(&bot, transport, suggestion(nurses, "spare parts")).await;
    assert!(!shown.contains(&again.to_string()), "{shown:?}");
    assert!(shown.contains(&original.to_string()), "{shown:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_duplicate_picker_over_http() {
    the_picker(Transport::Http).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_duplicate_picker_over_socket_mode() {
    the_picker(Transport::Socket).await;
}
