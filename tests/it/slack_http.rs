//! The whole bot over the HTTP Events API: a real listener on 127.0.0.1:0, signed requests shaped
//! like Slack's, a fake Slack Web API, and a real sled store in a temp dir.

use crate::support::ids;

use crate::support::app::{spawn_app, TestApp, IDEAS, SECRET};
use crate::support::signing::{self, FORM, JSON};
use problemfirst::domain::Status;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// How long to wait for what must happen: an upper bound, not an expectation (on a busy machine
/// a filing's fsync can take seconds).
const WAIT: Duration = Duration::from_secs(20);

async fn start() -> TestApp {
    spawn_app().await
}

const PROBLEM: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";
const TECH: &str = "We should use blockchain to track our invoices.";

#[tokio::test]
async fn healthz_answers_and_unknown_paths_are_404() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let r = start().await;
    let addr = r.url.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: bot\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok\n"), "{answer}");
    let (status, _) =
        signing::post_signed(&format!("{}/nowhere", r.url), SECRET, "", JSON, &[]).await;
    assert_eq!(status.as_u16(), 404);
}

#[tokio::test]
async fn bad_missing_and_stale_signatures_are_refused_and_store_nothing() {
    let r = start().await;
    let url = format!("{}/slack/events", r.url);
    let body = signing::event_callback(
        "Ev1",
        signing::message_event(IDEAS, "U1", "1700000000.000100", PROBLEM),
    )
    .to_string();
    for result in [
        signing::post_bad_signature(&url, SECRET, &body, JSON).await,
        signing::post_unsigned(&url, SECRET, &body, JSON).await,
        signing::post_stale(&url, SECRET, &body, JSON).await,
    ] {
        let (status, _) = result.expect("an answer");
        assert_eq!(status.as_u16(), 401);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(r.app.store().is_empty().expect("count"), "nothing is filed");
    assert!(r.fake.calls_to("chat.postMessage").is_empty());
}

#[tokio::test]
async fn url_verification_gets_its_challenge_back() {
    let r = start().await;
    let (status, body) = signing::post_json_signed(
        &format!("{}/slack/events", r.url),
        SECRET,
        &signing::url_verification("abc123"),
    )
    .await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "abc123"));
}

#[tokio::test]
async fn a_slash_command_pitch_is_filed_and_answered_in_the_acknowledgement() {
    let r = start().await;
    // The answer rides on the acknowledgement: a slow Web API cannot hold it up.
    r.fake.set_delay("response/cmd1", Duration::from_secs(4));
    let (status, body) = signing::post_form_signed(
        &format!("{}/slack/commands", r.url),
        SECRET,
        &signing::slash_command(PROBLEM, "U1", "C1", "trig1", &r.fake.response_url("cmd1")),
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let answer: Value = serde_json::from_str(&body).expect("the ack is JSON");
    assert_eq!(answer["response_type"], "ephemeral");
    assert!(
        answer["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Filed as *IDEA-1*"),
        "{answer}"
    );
    assert!(answer["blocks"].as_array().is_some_and(|b| !b.is_empty()));
    // On disk before the answer said so, and nothing else owed.
    let idea = r
        .app
        .store()
        .get(problemfirst::domain::IdeaId::new(1))
        .expect("read")
        .expect("filed");
    assert_eq!(idea.status(), Status::New);
    assert!(r.fake.calls_to("response/cmd1").is_empty());
    assert_eq!(r.app.store().outbox_stats().expect("stats").depth, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_store_still_gets_an_ack_in_time_and_the_answer_follows() {
    // The bot waits half a second for filing here, so the stall below outlasts the wait by far
    // however busy the machine is (in production it waits 2 s, Slack's window being 3 s).
    let r = crate::support::app::spawn()
        .ack_budget(Duration::from_millis(500))
        .start()
        .await;
    let first = r
        .app
        .submit(problemfirst::app::Submission {
            pitch: PROBLEM.into(),
            submitter: ids::user("U0"),
            source: problemfirst::domain::Source::Console,
            origin: Default::default(),
            track: None,
            anonymous: false,
            answer: problemfirst::app::Answer::Direct,
        })
        .await
        .expect("filed")
        .idea()
        .id;
    // A change that holds sled's transaction lock until the test lets it go: every filing waits
    // behind it, as it would behind a stalled disk. The acknowledgement must come while it is
    // still held, however slow the machine, and so cannot wait for the filing.
    let (inside, held) = std::sync::mpsc::channel();
    let (let_go, release) = std::sync::mpsc::channel::<()>();
    let store = r.app.store().clone();
    let stall = std::thread::spawn(move || {
        store.update(first, |_| {
            let _ = inside.send(());
            let _ = release.recv_timeout(WAIT);
            Ok::<(), std::convert::Infallible>(())
        })
    });
    held.recv_timeout(WAIT).expect("the stall began");

    let (status, body) = signing::post_form_signed(
        &format!("{}/slack/commands", r.url),
        SECRET,
        &signing::slash_command(PROBLEM, "U1", "C1", "trig2", &r.fake.response_url("cmd2")),
    )
    .await;
    assert!(
        !stall.is_finished(),
        "acknowledged while the store was still held"
    );
    assert_eq!(status.as_u16(), 200, "{body}");
    assert!(
        body.is_empty(),
        "nothing is confirmed before it is on disk: {body}"
    );
    let _ = let_go.send(());

    // Once the store is free, the pitch is filed and its answer goes to the response URL.
    let answered = r.fake.wait_for("response/cmd2", 1, WAIT).await;
    assert_eq!(answered.len(), 1, "answered once");
    assert!(
        answered[0].args.to_string().contains("IDEA-2"),
        "{}",
        answered[0].args
    );
    assert!(r
        .app
        .store()
        .get(problemfirst::domain::IdeaId::new(2))
        .expect("read")
        .is_some());
    stall
        .join()
        .expect("the stall ends")
        .expect("the change is written")
        .expect("the change is made");
}

#[tokio::test]
async fn idea_alone_opens_the_form_and_help_and_mine_answer_in_the_ack() {
    let r = start().await;
    let url = format!("{}/slack/commands", r.url);
    let (status, _) = signing::post_form_signed(
        &url,
        SECRET,
        &signing::slash_command("", "U1", "C1", "trig2", &r.fake.response_url("x")),
    )
    .await;
    assert_eq!(status.as_u16(), 200);
    let opened = r.fake.wait_for("views.open", 1, WAIT).await;
    assert_eq!(opened[0].args["trigger_id"], "trig2");
    assert_eq!(opened[0].args["view"]["callback_id"], "new_idea");
    let (_, help) = signing::post_form_signed(
        &url,
        SECRET,
        &signing::slash_command("help", "U1", "C1", "t", &r.fake.response_url("x")),
    )
    .await;
    let help: Value = serde_json::from_str(&help).expect("json");
    assert_eq!(help["response_type"], "ephemeral");
    assert!(help["text"].as_str().unwrap_or_default().contains("/idea"));
    let (_, mine) = signing::post_form_signed(
        &url,
        SECRET,
        &signing::slash_command("mine", "U1", "C1", "t", &r.fake.response_url("x")),
    )
    .await;
    assert!(mine.contains("no ideas yet"), "{mine}");
}

#[tokio::test]
async fn a_channel_pitch_is_filed_once_even_when_slack_retries() {
    let r = start().await;
    let url = format!("{}/slack/events", r.url);
    let event = signing::event_callback(
        "EvRetry",
        signing::message_event(IDEAS, "U1", "1700000000.000200", PROBLEM),
    );
    let (first, _) = signing::post_json_signed(&url, SECRET, &event).await;
    let body = event.to_string();
    let (retry, _) = signing::post_signed(
        &url,
        SECRET,
        &body,
        JSON,
        &[
            ("X-Slack-Retry-Num", "1"),
            ("X-Slack-Retry-Reason", "http_timeout"),
        ],
    )
    .await;
    assert_eq!((first.as_u16(), retry.as_u16()), (200, 200));
    let replies = r.fake.wait_for("chat.postMessage", 1, WAIT).await;
    assert_eq!(
        replies[0].args["thread_ts"], "1700000000.000200",
        "answered in thread"
    );
    assert!(replies[0].args["text"]
        .as_str()
        .unwrap_or_default()
        .contains("Filed as *IDEA-1*"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        r.fake.calls_to("chat.postMessage").len(),
        1,
        "the retry filed nothing"
    );
    assert_eq!(r.app.store().len().expect("count"), 1);
}

#[tokio::test]
async fn a_mention_in_an_idea_channel_is_one_idea_not_two() {
    let r = start().await;
    let url = format!("{}/slack/events", r.url);
    // Slack sends both the channel's message and the app_mention, with different event ids. A
    // pitch put to the bot as a question reads like chatter (a question to a colleague) as a
    // message, so the mention files that one.
    let pitches = [
        ("1700000000.000250", format!("<@UBOT> {PROBLEM}")),
        (
            "1700000000.000260",
            "<@UBOT> How might we spare night-shift nurses the 20 minutes they walk to find a \
             free wheelchair?"
                .to_string(),
        ),
    ];
    for (i, (ts, text)) in pitches.iter().enumerate() {
        for (id, event) in [
            (
                format!("EvMentioned{i}"),
                signing::app_mention_event(IDEAS, "U1", ts, text),
            ),
            (
                format!("EvMessage{i}"),
                signing::message_event(IDEAS, "U1", ts, text),
            ),
        ] {
            let (status, _) =
                signing::post_json_signed(&url, SECRET, &signing::event_callback(&id, event)).await;
            assert_eq!(status.as_u16(), 200);
        }
    }
    // Filed or coached, each pitch gets one answer in its thread.
    let answers = || -> Vec<String> {
        r.fake
            .calls()
            .iter()
            .filter(|c| c.method.starts_with("chat.post"))
            .filter_map(|c| c.args["thread_ts"].as_str().map(str::to_string))
            .collect()
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while answers().len() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut threads = answers();
    threads.sort_unstable();
    assert_eq!(threads, ["1700000000.000250", "1700000000.000260"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(answers().len(), 2);
    assert_eq!(r.app.store().len().expect("count"), 2);
}

#[tokio::test]
async fn bot_messages_thread_replies_and_other_channels_are_not_pitches() {
    let r = start().await;
    let url = format!("{}/slack/events", r.url);
    let mut reply = signing::message_event(IDEAS, "U1", "1700000000.000400", PROBLEM);
    reply["thread_ts"] = json!("1700000000.000300");
    for (i, event) in [
        signing::bot_message_event(IDEAS, "B9", "1700000000.000300", PROBLEM),
        reply,
        signing::message_event("COTHER", "U1", "1700000000.000500", PROBLEM),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, _) = signing::post_json_signed(
            &url,
            SECRET,
            &signing::event_callback(&format!("EvIgnored{i}"), event),
        )
        .await;
        assert_eq!(status.as_u16(), 200);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(r.app.store().is_empty().expect("count"));
    assert!(r
        .fake
        .calls()
        .iter()
        .all(|c| !c.method.starts_with("chat.")));
}

#[tokio::test]
async fn a_tech_led_mention_is_coached_privately_then_filed_anyway_by_button() {
    let r = start().await;
    let url = format!("{}/slack/events", r.url);
    let mention =
        signing::app_mention_event("C2", "U1", "1700000000.000600", &format!("<@UBOT> {TECH}"));
    signing::post_json_signed(&url, SECRET, &signing::event_callback("EvMention", mention)).await;
    let coached = r.fake.wait_for("chat.postEphemeral", 1, WAIT).await;
    let args = &coached[0].args;
    assert_eq!(
        (args["user"].as_str(), args["thread_ts"].as_str()),
        (Some("U1"), Some("1700000000.000600"))
    );
    let buttons = args["blocks"].to_string();
    assert!(
        buttons.contains("\"reframe\"")
            && buttons.contains("\"file_anyway\"")
            && buttons.contains("\"withdraw\""),
        "{buttons}"
    );
    assert!(args["text"]
        .as_str()
        .unwrap_or_default()
        .contains("blockchain"));

    let mut click = signing::block_action(
        "U1",
        "file_anyway",
        "IDEA-1",
        "C2",
        "1700000000.000600",
        "trig3",
    );
    click["response_url"] = json!(r.fake.response_url("act1"));
    let (status, _) =
        signing::post_interaction_signed(&format!("{}/slack/interactivity", r.url), SECRET, &click)
            .await;
    assert_eq!(status.as_u16(), 200);
    let answered = r.fake.wait_for("response/act1", 1, WAIT).await;
    assert!(answered[0].args.to_string().contains("Filed as *IDEA-1*"));
    let idea = r
        .app
        .store()
        .get(problemfirst::domain::IdeaId::new(1))
        .expect("read")
        .expect("exists");
    assert_eq!(idea.status(), Status::New);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_is_acknowledged_once_its_change_is_on_disk() {
    let r = start().await;
    let draft = r
        .app
        .submit(problemfirst::app::Submission {
            pitch: TECH.into(),
            submitter: ids::user("U1"),
            source: problemfirst::domain::Source::Console,
            origin: Default::default(),
            track: None,
            anonymous: false,
            answer: problemfirst::app::Answer::Direct,
        })
        .await
        .expect("kept as a draft")
        .idea()
        .id;
    // The store is slow for a moment: a change holds sled's transaction lock, as a slow disk
    // would hold a flush.
    let (inside, held) = std::sync::mpsc::channel();
    let store = r.app.store().clone();
    let stall = std::thread::spawn(move || {
        store.update(draft, |_| {
            let _ = inside.send(());
            std::thread::sleep(Duration::from_millis(500));
            Ok::<(), std::convert::Infallible>(())
        })
    });
    held.recv_timeout(WAIT).expect("the stall began");
    let mut click = signing::block_action("U1", "file_anyway", "IDEA-1", "C2", "1.1", "trigD");
    click["response_url"] = json!(r.fake.response_url("durable"));
    let (status, _) =
        signing::post_interaction_signed(&format!("{}/slack/interactivity", r.url), SECRET, &click)
            .await;
    assert_eq!(status.as_u16(), 200);
    // Slack does not send a click twice: what it asked for was on disk when it was acknowledged.
    let idea = r.app.store().get(draft).expect("read").expect("exists");
    assert_eq!(
        idea.status(),
        Status::New,
        "filed before the acknowledgement"
    );
    stall
        .join()
        .expect("the stall ends")
        .expect("written")
        .expect("made");
}

#[tokio::test]
async fn a_reframe_still_tech_led_gets_field_errors_once() {
    let r = start().await;
    let events = format!("{}/slack/events", r.url);
    signing::post_json_signed(
        &events,
        SECRET,
        &signing::event_callback(
            "EvT",
            signing::message_event(IDEAS, "U1", "1700000000.000700", TECH),
        ),
    )
    .await;
    r.fake.wait_for("chat.postEphemeral", 1, WAIT).await;
    let state =
        json!({"solution": {"solution": {"type": "plain_text_input", "value": "blockchain"}}});
    let submit = signing::view_submission("U1", "reframe", "IDEA-1", state);
    let (status, body) = signing::post_interaction_signed(
        &format!("{}/slack/interactivity", r.url),
        SECRET,
        &submit,
    )
    .await;
    assert_eq!(status.as_u16(), 200);
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    assert_eq!(v["response_action"], "errors", "{body}");
    assert!(v["errors"]["who"].is_string(), "{body}");
    // The second time it is filed, and the person hears so directly.
    let (_, body) = signing::post_interaction_signed(
        &format!("{}/slack/interactivity", r.url),
        SECRET,
        &submit,
    )
    .await;
    assert!(!body.contains("errors"), "{body}");
    let dm = r.fake.wait_for("chat.postMessage", 1, WAIT).await;
    assert_eq!(dm[0].args["channel"], "U1");
    assert!(dm[0].args["text"]
        .as_str()
        .unwrap_or_default()
        .contains("Filed as *IDEA-1*"));
}

#[tokio::test]
async fn malformed_payloads_get_a_clear_400() {
    let r = start().await;
    let (status, body) = signing::post_signed(
        &format!("{}/slack/events", r.url),
        SECRET,
        "{not json",
        JSON,
        &[],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (400, "unreadable event payload")
    );
    let (status, _) = signing::post_signed(
        &format!("{}/slack/interactivity", r.url),
        SECRET,
        "x=1",
        FORM,
        &[],
    )
    .await;
    assert_eq!(status.as_u16(), 400);
}

#[tokio::test]
async fn the_message_shortcut_files_the_message_with_a_link_back() {
    let r = start().await;
    let mut shortcut = signing::message_shortcut(
        "submit_as_idea",
        "U5",
        "C7",
        "1700000000.000900",
        PROBLEM,
        "trig9",
    );
    shortcut["response_url"] = json!(r.fake.response_url("sc1"));
    let (status, _) = signing::post_interaction_signed(
        &format!("{}/slack/interactivity", r.url),
        SECRET,
        &shortcut,
    )
    .await;
    assert_eq!(status.as_u16(), 200);
    let answered = r.fake.wait_for("response/sc1", 1, WAIT).await;
    assert!(answered[0].args.to_string().contains("Filed as *IDEA-1*"));
    let idea = r
        .app
        .store()
        .get(problemfirst::domain::IdeaId::new(1))
        .expect("read")
        .expect("filed");
    assert_eq!(idea.submitter, "U5");
    assert_eq!(idea.origin.ts.as_deref(), Some("1700000000.000900"));
    assert!(
        idea.origin
            .permalink
            .as_deref()
            .is_some_and(|p| p.contains("1700000000")),
        "{:?}",
        idea.origin
    );
}

#[tokio::test]
async fn the_global_shortcut_opens_the_form_and_its_submission_files_the_idea() {
    let r = start().await;
    let url = format!("{}/slack/interactivity", r.url);
    signing::post_interaction_signed(
        &url,
        SECRET,
        &signing::global_shortcut("new_idea", "U6", "trig10"),
    )
    .await;
    let opened = r.fake.wait_for("views.open", 1, WAIT).await;
    assert_eq!(opened[0].args["trigger_id"], "trig10");
    let state = json!({
        "who": {"who": {"type": "plain_text_input", "value": "Night-shift nurses"}},
        "problem": {"problem": {"type": "plain_text_input", "value": "can't find the handover notes, so patients wait"}},
        "evidence": {"evidence": {"type": "plain_text_input", "value": "12 complaints last month"}},
        "track": {"track": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "Execution"}, "value": "execution"}}}
    });
    let (status, body) = signing::post_interaction_signed(
        &url,
        SECRET,
        &signing::view_submission("U6", "new_idea", "", state),
    )
    .await;
    assert_eq!(status.as_u16(), 200);
    assert!(body.is_empty(), "the form closes: {body}");
    let dm = r.fake.wait_for("chat.postMessage", 1, WAIT).await;
    assert_eq!(dm[0].args["channel"], "U6");
    assert!(dm[0].args["text"]
        .as_str()
        .unwrap_or_default()
        .contains("Filed as *IDEA-1*"));
    let idea = r
        .app
        .store()
        .get(problemfirst::domain::IdeaId::new(1))
        .expect("read")
        .expect("filed");
    assert_eq!(idea.source, problemfirst::domain::Source::Modal);
    assert!(
        idea.pitch.starts_with("Night-shift nurses: can't find"),
        "{}",
        idea.pitch
    );
}

#[test]
fn the_manifest_declares_what_the_bot_handles() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_problemfirst"))
        .arg("manifest")
        .output()
        .expect("runs");
    let manifest = String::from_utf8(out.stdout).expect("utf-8");
    let file = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/slack-app-manifest.yml"),
    )
    .expect("file");
    assert_eq!(manifest, file);
    for needle in [
        "command: /idea",
        &format!(
            "callback_id: {}",
            problemfirst::slack::blocks::SUBMIT_AS_IDEA_SHORTCUT
        ),
        &format!(
            "callback_id: {}",
            problemfirst::slack::blocks::NEW_IDEA_SHORTCUT
        ),
        "- app_mention",
        "- message.channels",
        "socket_mode_enabled: true",
        "request_url: https://YOUR-HOST/slack/events",
    ] {
        assert!(manifest.contains(needle), "the manifest lacks {needle}");
    }
    // One request URL for everything Slack sends: events, the slash command, interactivity and
    // the "Duplicate of…" picker's options.
    let urls: Vec<&str> = manifest
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once("https://").map(|(_, url)| url))
        .collect();
    assert_eq!(urls.len(), 4, "{urls:?}");
    assert!(
        urls.iter()
            .all(|u| u.split_whitespace().next() == Some("YOUR-HOST/slack/events")),
        "{urls:?}"
    );
}

#[tokio::test]
async fn one_request_url_takes_events_commands_and_actions_and_the_old_urls_still_work() {
    let r = start().await;
    let url = format!("{}/slack/events", r.url);
    // An event: a pitch in the idea channel, coached because it leads with technology.
    let pitch = signing::message_event(IDEAS, "U1", "1700000000.000700", TECH);
    let (status, _) =
        signing::post_json_signed(&url, SECRET, &signing::event_callback("EvOne", pitch)).await;
    assert_eq!(status.as_u16(), 200);
    r.fake.wait_for("chat.postEphemeral", 1, WAIT).await;
    // A block action on the same URL: "File anyway" files it.
    let mut click = signing::block_action(
        "U1",
        "file_anyway",
        "IDEA-1",
        IDEAS,
        "1700000000.000700",
        "trigOne",
    );
    click["response_url"] = json!(r.fake.response_url("one1"));
    let (status, _) = signing::post_interaction_signed(&url, SECRET, &click).await;
    assert_eq!(status.as_u16(), 200);
    let answered = r.fake.wait_for("response/one1", 1, WAIT).await;
    assert!(answered[0].args.to_string().contains("Filed as *IDEA-1*"));
    // A slash command on the same URL, answered in its acknowledgement.
    let command = signing::slash_command(PROBLEM, "U2", "C1", "trigTwo", &r.fake.response_url("x"));
    let (status, body) = signing::post_form_signed(&url, SECRET, &command).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert!(body.contains("Filed as *IDEA-2*"), "{body}");
    // The URLs of older app settings are the same endpoint, whatever they are sent.
    let old = format!("{}/slack/commands", r.url);
    let command =
        signing::slash_command(PROBLEM, "U3", "C1", "trigThree", &r.fake.response_url("y"));
    let (status, body) = signing::post_form_signed(&old, SECRET, &command).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert!(body.contains("Filed as *IDEA-3*"), "{body}");
    assert_eq!(r.app.store().len().expect("count"), 3);

    // A bad signature on the one URL is 401, whatever it carries, and changes nothing.
    let bodies = [
        (
            signing::event_callback(
                "EvBad",
                signing::message_event(IDEAS, "U4", "1700000000.000800", PROBLEM),
            )
            .to_string(),
            JSON,
        ),
        (signing::form_json(&command), FORM),
        (signing::interaction_form(&click), FORM),
    ];
    for (body, content_type) in bodies {
        let (status, _) = signing::post_bad_signature(&url, SECRET, &body, content_type)
            .await
            .expect("an answer");
        assert_eq!(status.as_u16(), 401, "{body}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(r.app.store().len().expect("count"), 3, "nothing more filed");
}
