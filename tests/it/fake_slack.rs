//! Proves the fake Slack (`support::fake_slack`) on what the bot's own tests cannot tell apart
//! from a bug of the bot's: that slack-morphism's client decodes its answer to every Web API
//! method the bot calls, that its scripted failures arrive as the errors the outbox classifies,
//! that a delay holds a call, that its WebSocket speaks Socket Mode's frames (hello, pong,
//! envelopes, disconnect), and that the signing helper signs as Slack does. What the fake does
//! for the bot end to end (Socket Mode reconnects, payloads read, signatures checked) is proved by
//! the bot's tests themselves.

use crate::support::fake_slack::{Failure, FakeSlack};
use crate::support::signing;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use serde_json::{json, Value};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// How long to wait for what must happen: an upper bound, not an expectation (on a busy machine
/// a filing's fsync can take seconds).
const WAIT: Duration = Duration::from_secs(20);
const SECRET: &str = "fake-signing-secret";

/// The connector the bot uses: rustls, https-or-http, http1 + http2.
fn connector() -> SlackClientHyperHttpsConnector {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .expect("native root certificates")
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    SlackClientHyperConnector::with_connector(https)
}

fn client_for(fake: &FakeSlack) -> Arc<SlackHyperClient> {
    Arc::new(SlackClient::new(
        connector().with_slack_api_url(&fake.api_url()),
    ))
}

fn bot_token() -> SlackApiToken {
    SlackApiToken::new("xoxb-test".into())
}

fn blocks(text: &str) -> Vec<SlackBlock> {
    vec![SlackSectionBlock::new().with_text(md!("{}", text)).into()]
}

// ------------------------------------------------------------------------------------ Web API

#[tokio::test]
async fn web_api_calls_are_recorded_and_answers_decode() {
    let fake = FakeSlack::start().await;
    let client = client_for(&fake);
    let token = bot_token();
    let session = client.open_session(&token);

    // chat.postMessage
    let posted = session
        .chat_post_message(
            &SlackApiChatPostMessageRequest::new(
                "C1".into(),
                SlackMessageContent::new()
                    .with_text("hello".into())
                    .with_blocks(blocks("*hello*")),
            )
            .with_thread_ts("1699999999.000001".into()),
        )
        .await
        .expect("chat.postMessage");
    assert_eq!(posted.channel.value(), "C1");
    assert_eq!(posted.ts.value(), "1700000000.000100");
    assert_eq!(posted.message.origin.ts, posted.ts);
    let again = session
        .chat_post_message(&SlackApiChatPostMessageRequest::new(
            "C1".into(),
            SlackMessageContent::new().with_text("again".into()),
        ))
        .await
        .expect("second chat.postMessage");
    assert!(again.ts.value() > posted.ts.value(), "ts must increase");

    let call = &fake.calls_to("chat.postMessage")[0];
    assert_eq!(call.verb, "POST");
    assert_eq!(call.token.as_deref(), Some("xoxb-test"));
    assert_eq!(call.arg("channel"), Some("C1"));
    assert_eq!(call.arg("text"), Some("hello"));
    assert_eq!(call.arg("thread_ts"), Some("1699999999.000001"));
    assert_eq!(call.args["blocks"][0]["type"], "section");
    assert_eq!(call.args["blocks"][0]["text"]["text"], "*hello*");

    // chat.update
    let updated = session
        .chat_update(&SlackApiChatUpdateRequest::new(
            "C1".into(),
            SlackMessageContent::new()
                .with_text("edited".into())
                .with_blocks(blocks("edited")),
            posted.ts.clone(),
        ))
        .await
        .expect("chat.update");
    assert_eq!(updated.ts, posted.ts);
    let call = &fake.calls_to("chat.update")[0];
    assert_eq!(call.arg("ts"), Some(posted.ts.value().as_str()));
    assert_eq!(call.arg("text"), Some("edited"));
    assert_eq!(call.args["blocks"][0]["text"]["text"], "edited");

    // chat.postEphemeral
    session
        .chat_post_ephemeral(&SlackApiChatPostEphemeralRequest::new(
            "C1".into(),
            "U1".into(),
            SlackMessageContent::new().with_text("only you".into()),
        ))
        .await
        .expect("chat.postEphemeral");
    let call = &fake.calls_to("chat.postEphemeral")[0];
    assert_eq!(
        (call.arg("channel"), call.arg("user"), call.arg("text")),
        (Some("C1"), Some("U1"), Some("only you"))
    );

    // chat.getPermalink
    let link = session
        .chat_get_permalink(&SlackApiChatGetPermalinkRequest::new(
            "C1".into(),
            posted.ts.clone(),
        ))
        .await
        .expect("chat.getPermalink");
    assert_eq!(
        link.permalink.as_str(),
        "https://example.slack.com/archives/C1/p1700000000000100"
    );

    // views.open (modal)
    let modal = SlackView::Modal(
        SlackModalView::new("Submit an idea".into(), blocks("What problem?"))
            .with_submit("Submit".into())
            .with_callback_id("idea_modal".into())
            .with_private_metadata("meta-1".into()),
    );
    let opened = session
        .views_open(&SlackApiViewsOpenRequest::new(
            "trigger-1".into(),
            modal.clone(),
        ))
        .await
        .expect("views.open");
    assert!(opened.view.state_params.id.value().starts_with('V'));
    assert_eq!(opened.view.state_params.team_id.value(), "T1");
    match &opened.view.view {
        SlackView::Modal(m) => {
            assert_eq!(
                m.callback_id.as_ref().map(|c| c.value().as_str()),
                Some("idea_modal")
            );
            assert_eq!(m.private_metadata.as_deref(), Some("meta-1"));
        }
        other => panic!("expected a modal back, got {other:?}"),
    }
    let call = &fake.calls_to("views.open")[0];
    assert_eq!(call.arg("trigger_id"), Some("trigger-1"));
    assert_eq!(call.args["view"]["type"], "modal");
    assert_eq!(call.args["view"]["callback_id"], "idea_modal");
    assert_eq!(call.args["view"]["title"]["text"], "Submit an idea");

    // views.publish (home)
    let published = session
        .views_publish(&SlackApiViewsPublishRequest::new(
            "U1".into(),
            SlackView::Home(SlackHomeView::new(blocks("Your ideas"))),
        ))
        .await
        .expect("views.publish");
    assert!(matches!(published.view.view, SlackView::Home(_)));
    let call = &fake.calls_to("views.publish")[0];
    assert_eq!(call.arg("user_id"), Some("U1"));
    assert_eq!(call.args["view"]["type"], "home");

    // usergroups.users.list (configurable, a GET with a query string), auth.test
    fake.set_usergroup_users("S1", &["U1", "U2"]);
    let members = session
        .usergroups_users_list(&SlackApiUserGroupsUsersListRequest::new("S1".into()))
        .await
        .expect("usergroups.users.list");
    assert_eq!(
        members.users,
        vec![SlackUserId::from("U1"), SlackUserId::from("U2")]
    );
    let me = session.auth_test().await.expect("auth.test");
    assert_eq!(me.user_id.value(), "UBOT");
    assert_eq!(me.bot_id.as_ref().map(|b| b.value().as_str()), Some("B1"));
    // verbs the client uses, for the record
    let verbs: Vec<String> = fake
        .calls()
        .iter()
        .map(|c| format!("{} {}", c.verb, c.method))
        .collect();
    eprintln!("client verbs: {verbs:?}");
    assert!(verbs.contains(&"GET usergroups.users.list".to_string()));
}

/// A raw HTTP request to the fake, for shapes slack-morphism never sends (forms, no token).
async fn raw(req: Request<Full<Bytes>>) -> (StatusCode, Value) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let res = client.request(req).await.expect("raw request");
    let status = res.status();
    let bytes = res
        .into_body()
        .collect()
        .await
        .expect("raw body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn scripted_failures() {
    let fake = FakeSlack::start().await;
    let client = client_for(&fake);
    let token = bot_token();
    let session = client.open_session(&token);
    let post = || {
        SlackApiChatPostMessageRequest::new(
            "C1".into(),
            SlackMessageContent::new().with_text("x".into()),
        )
    };

    // 429 then 200: the client (no rate control) surfaces the 429 with Retry-After
    fake.fail_next(
        "chat.postMessage",
        Failure::RateLimited {
            retry_after_secs: 1,
        },
    );
    match session.chat_post_message(&post()).await {
        Err(SlackClientError::RateLimitError(e)) => {
            assert_eq!(e.retry_after, Some(Duration::from_secs(1)));
            assert_eq!(e.code.as_deref(), Some("ratelimited"));
        }
        other => panic!("expected a rate limit error, got {other:?}"),
    }
    session
        .chat_post_message(&post())
        .await
        .expect("second call succeeds");

    fake.fail_next("chat.postMessage", Failure::Status(500));
    fake.fail_next("chat.postMessage", Failure::Api("channel_not_found"));
    match session.chat_post_message(&post()).await {
        Err(SlackClientError::HttpError(e)) => assert_eq!(e.status_code.as_u16(), 500),
        other => panic!("expected HTTP 500, got {other:?}"),
    }
    match session.chat_post_message(&post()).await {
        Err(SlackClientError::ApiError(e)) => assert_eq!(e.code, "channel_not_found"),
        other => panic!("expected an API error, got {other:?}"),
    }
    fake.fail_next("chat.postMessage", Failure::Disconnect);
    let dropped = session.chat_post_message(&post()).await;
    assert!(
        dropped.is_err(),
        "dropped connection must fail: {dropped:?}"
    );
    session
        .chat_post_message(&post())
        .await
        .expect("queue drained");
    assert_eq!(fake.calls_to("chat.postMessage").len(), 6);
}

#[tokio::test]
async fn delayed_method() {
    let fake = FakeSlack::start().await;
    let client = client_for(&fake);
    let token = bot_token();
    let session = client.open_session(&token);
    let req = SlackApiChatGetPermalinkRequest::new("C1".into(), "1700000000.000100".into());

    fake.set_delay("chat.getPermalink", Duration::from_millis(400));
    let started = Instant::now();
    session
        .chat_get_permalink(&req)
        .await
        .expect("delayed chat.getPermalink");
    assert!(started.elapsed() >= Duration::from_millis(400));
    let timed_out =
        tokio::time::timeout(Duration::from_millis(100), session.chat_get_permalink(&req)).await;
    assert!(
        timed_out.is_err(),
        "a caller's timeout fires during the delay"
    );
    fake.set_delay("chat.getPermalink", Duration::ZERO);
    session
        .chat_get_permalink(&req)
        .await
        .expect("undelayed chat.getPermalink");
    assert_eq!(fake.wait_for("chat.getPermalink", 3, WAIT).await.len(), 3);
}

// ------------------------------------------------------------------------------------ Socket Mode

#[tokio::test]
async fn websocket_hello_ping_pong_and_control_frames() {
    let fake = FakeSlack::start().await;
    let url = format!(
        "ws://{}/link?ticket=raw",
        fake.base_url().trim_start_matches("http://")
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect");
    let hello = next(&mut ws).await;
    let hello: Value = serde_json::from_str(hello.to_text().unwrap()).unwrap();
    assert_eq!(
        hello,
        json!({"type":"hello","num_connections":1,"debug_info":{"host":"fake"},"connection_info":{"app_id":"A1"}})
    );
    assert_eq!(fake.connections(), 1);

    ws.send(Message::Ping(Bytes::from_static(b"are you there")))
        .await
        .unwrap();
    match next(&mut ws).await {
        Message::Pong(body) => assert_eq!(&body[..], b"are you there"),
        other => panic!("expected pong, got {other:?}"),
    }
    assert_eq!(fake.pings(), 1);

    let id = fake
        .send_envelope(json!({"type": "events_api", "payload": {}}))
        .await;
    let frame: Value = serde_json::from_str(next(&mut ws).await.to_text().unwrap()).unwrap();
    assert_eq!(frame["envelope_id"], id.as_str());
    assert_eq!(frame["accepts_response_payload"], false);
    ws.send(Message::text(json!({"envelope_id": id}).to_string()))
        .await
        .unwrap();
    assert_eq!(
        fake.wait_ack(&id, WAIT).await,
        Some(json!({"envelope_id": id}))
    );

    assert!(fake.disconnect().await);
    let frame: Value = serde_json::from_str(next(&mut ws).await.to_text().unwrap()).unwrap();
    assert_eq!(frame["type"], "disconnect");
    assert_eq!(frame["reason"], "refresh_requested");
    assert_eq!(
        fake.live_connections(),
        0,
        "a disconnected connection gets no more envelopes"
    );
    assert!(!fake.close_connection().await, "nothing live left to close");

    // a second raw connection, closed by the fake
    let url = format!(
        "ws://{}/link?ticket=raw2",
        fake.base_url().trim_start_matches("http://")
    );
    let (mut ws2, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect 2");
    let _hello = next(&mut ws2).await;
    assert!(fake.close_connection().await);
    assert!(matches!(next(&mut ws2).await, Message::Close(_)));

    // /link without an upgrade is refused
    let (status, _) = raw(Request::get(format!("{}/link?ticket=x", fake.base_url()))
        .body(Full::new(Bytes::new()))
        .unwrap())
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(fake
        .wait_for("apps.connections.open", 1, Duration::from_millis(50))
        .await
        .is_empty());
}

type RawWs =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next frame, bounded.
async fn next(ws: &mut RawWs) -> Message {
    tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("frame in time")
        .expect("stream open")
        .expect("frame ok")
}

// ------------------------------------------------------------------------------------ signing

#[test]
fn signatures_match_slack_and_slack_morphism() {
    // Slack's published example (api.slack.com/authentication/verifying-requests-from-slack)
    let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    assert_eq!(
        signing::sign("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body),
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    );
    // and slack-morphism's verifier accepts ours (timestamp now)
    let verifier = slack_morphism::signature_verifier::SlackEventSignatureVerifier::new(
        &SlackSigningSecret::new(SECRET.into()),
    );
    let ts = signing::now();
    let sig = signing::sign(SECRET, ts, "payload=%7B%7D");
    verifier
        .verify(&sig, "payload=%7B%7D", &ts.to_string())
        .expect("signature verifies");
    assert!(verifier
        .verify(&signing::sign("other", ts, "x"), "x", &ts.to_string())
        .is_err());
    assert!(verifier
        .verify(
            &signing::sign(SECRET, ts - 360, "x"),
            "x",
            &(ts - 360).to_string()
        )
        .is_err());
    assert_eq!(signing::form(&[("a b", "c&d=é")]), "a+b=c%26d%3D%C3%A9");
}
