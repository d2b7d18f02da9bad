//! Chatter in an idea channel is not a pitch: greetings, thanks, emoji, a word or two, a question
//! put to a colleague, bot messages and edits get no reply and no draft, while a pitch in the
//! same channel does. The rule is the shipped config's `[chatter]`; the examples are our own.
//! Over the HTTP Events API and over Socket Mode.

use crate::support::app::{shipped_config, spawn, TestApp, Transport, IDEAS};
use crate::support::signing;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const PROBLEM: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";
const TECH: &str = "We should build an AI chatbot on our intranet for HR questions.";

/// Messages that are chatter, with why.
const CHATTER: &[(&str, &str)] = &[
    ("thanks everyone!", "too_short"),
    ("thanks everyone for today!", "thanks"),
    (
        "Thank you so much, that was a really helpful session :pray:",
        "thanks",
    ),
    ("Cheers for organising this", "thanks"),
    ("Hi all :wave:", "too_short"),
    ("Good morning team, happy Monday!", "greeting"),
    ("hey folks, welcome aboard", "greeting"),
    (":tada: :tada: :raised_hands:", "emoji_only"),
    ("+1", "too_short"),
    ("nice one", "too_short"),
    ("<@U0LEAD> <@U0OTHER> agreed", "too_short"),
    (
        "<@U0LEAD> did you get a chance to look at the numbers from yesterday?",
        "question to a person",
    ),
];

/// Messages that are pitches, even though some start like chatter.
const PITCHES: &[&str] = &[
    PROBLEM,
    TECH,
    "Thanks to the new return policy, store staff spend 20 minutes per refund re-keying receipts by hand while the queue grows.",
    "Hi all, new joiners in the Leeds office wait a week for a laptop and sit idle, which costs each team a week of onboarding.",
    "Customers can't tell whether their parcel left the warehouse?",
];

#[test]
fn the_shipped_rule_tells_chatter_from_pitches() {
    let config = shipped_config();
    for (text, why) in CHATTER {
        let judged = config.chatter.rule.judge(text);
        assert_eq!(
            judged.as_ref().map(|c| c.name()),
            Some(*why),
            "{text:?} is chatter ({why})"
        );
    }
    for text in PITCHES {
        assert_eq!(config.chatter.rule.judge(text), None, "{text:?} is a pitch");
    }
}

#[test]
fn the_rule_is_data_and_a_bad_pattern_names_itself() {
    let base = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/problemfirst.toml"),
    )
    .expect("the shipped config");
    // More words needed, and a pattern of the company's own.
    let text = base.replace("min_words = 3", "min_words = 5").replace(
        "[[chatter.pattern]]\nname = \"greeting\"",
        "[[chatter.pattern]]\nname = \"lunch\"\nregex = '(?i)\\blunch\\b'\nmax_words = 10\n\n[[chatter.pattern]]\nname = \"greeting\"",
    );
    let config = problemfirst::config::Config::parse(&text, "x.toml".as_ref()).expect("parses");
    assert_eq!(
        config
            .chatter
            .rule
            .judge("the deploy went fine")
            .map(|c| c.name().to_string()),
        Some("too_short".into())
    );
    assert_eq!(
        config
            .chatter
            .rule
            .judge("anyone up for lunch at noon today?")
            .map(|c| c.name().to_string()),
        Some("lunch".into())
    );
    let broken = base.replacen("regex = '(?i)^\\W*(hi|", "regex = '(?i)^\\W*((hi|", 1);
    let e = problemfirst::config::Config::parse(&broken, "x.toml".as_ref())
        .expect_err("a pattern that does not compile");
    let message = e.to_string();
    assert!(
        message.contains("greeting") && e.line.is_some(),
        "{message}"
    );
}

/// A message edited (Slack's `message_changed`): never a new pitch.
fn edit(ts: &str, text: &str) -> Value {
    json!({
        "type": "message",
        "subtype": "message_changed",
        "channel": IDEAS,
        "hidden": true,
        "ts": "1700000900.000100",
        "event_ts": "1700000900.000100",
        "message": {"type": "message", "user": "U7", "text": text, "ts": ts, "edited": {"user": "U7", "ts": "1700000900.000100"}},
        "previous_message": {"type": "message", "user": "U7", "text": "draft", "ts": ts},
        "channel_type": "channel"
    })
}

/// Every chatter example, a bot's message and an edit, then two pitches; what the bot said and
/// filed.
async fn chatter_then_pitches(bot: &TestApp, send: impl AsyncFn(&str, Value)) {
    for (n, (text, _)) in CHATTER.iter().enumerate() {
        let ts = format!("1700000100.{:06}", n + 1);
        send(
            &format!("EvChat{n}"),
            signing::message_event(IDEAS, "U7", &ts, text),
        )
        .await;
    }
    send(
        "EvBot",
        signing::bot_message_event(IDEAS, "BOTHER", "1700000200.000100", PROBLEM),
    )
    .await;
    send("EvEdit", edit("1700000100.000001", PROBLEM)).await;
    send(
        "EvPitch",
        signing::message_event(IDEAS, "U8", "1700000300.000100", PROBLEM),
    )
    .await;
    send(
        "EvTech",
        signing::message_event(IDEAS, "U9", "1700000300.000200", TECH),
    )
    .await;
    // The pitch gets its thread reply, the tech pitch its coaching; nothing else is said.
    let posted = bot.fake.wait_for("chat.postMessage", 1, WAIT).await;
    let coached = bot.fake.wait_for("chat.postEphemeral", 1, WAIT).await;
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert_eq!(posted[0].arg("thread_ts"), Some("1700000300.000100"));
    assert_eq!(coached.len(), 1, "{coached:?}");
    assert_eq!(coached[0].arg("user"), Some("U9"));
    let store = bot.app.store();
    assert_eq!(store.len().expect("count"), 2, "one idea and one draft");
    let drafts = store.by_status("draft").expect("drafts");
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].submitter.as_str(), "U9");
    assert!(store.by_submitter("U7").expect("read").is_empty());
}

#[tokio::test]
async fn chatter_gets_no_reply_and_no_draft_over_http() {
    let bot = spawn().start().await;
    chatter_then_pitches(&bot, async |id, event| {
        assert_eq!(bot.event(id, event).await, 200);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chatter_gets_no_reply_and_no_draft_over_socket_mode() {
    let bot = spawn().transport(Transport::Socket).start().await;
    chatter_then_pitches(&bot, async |id, event| {
        let envelope = bot
            .fake
            .send_envelope(signing::envelope(
                "events_api",
                signing::event_callback(id, event),
            ))
            .await;
        assert!(bot.fake.wait_ack(&envelope, WAIT).await.is_some());
    })
    .await;
}
