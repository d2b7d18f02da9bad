//! Drafts do not strand: the App Home lists a person's drafts with Reframe, File anyway and
//! Withdraw; the submitter is reminded once by direct message after `drafts.remind_after`, and
//! after `drafts.expire_after` the draft is withdrawn with a note in its history and a message,
//! still in the store. Time is the bot's clock, which the tests move.

use crate::support::app::{spawn, TestApp, Transport};
use crate::support::blockkit::assert_within_limits;
use crate::support::{ids, signing};
use problemfirst::app::{Clock, DraftSweep};
use problemfirst::domain::{IdeaId, Judgement, NewIdea, Source, Status};
use problemfirst::slack::home::HOME_BLOCKS_MAX;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// An upper bound on what must happen, not an expectation.
const WAIT: Duration = Duration::from_secs(20);
const TECH: &str = "We should use blockchain to track our invoices.";
const DAY: i64 = 24 * 60 * 60;
/// Monday 2 March 2026, 09:00 UTC.
const T0: i64 = 1_772_442_000;

/// A clock that stands still until the test moves it.
#[derive(Clone)]
struct MovedClock(Arc<AtomicI64>);

impl MovedClock {
    fn at(second: i64) -> MovedClock {
        MovedClock(Arc::new(AtomicI64::new(second)))
    }
    fn set(&self, second: i64) {
        self.0.store(second, Ordering::SeqCst);
    }
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_second(self.0.load(Ordering::SeqCst)).expect("a time")
    }
    fn clock(&self) -> Clock {
        let c = self.clone();
        Arc::new(move || c.now())
    }
}

fn dms_to(bot: &TestApp, user: &str, containing: &str) -> Vec<String> {
    bot.fake
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.arg("channel") == Some(user))
        .map(|c| c.args.to_string())
        .filter(|m| m.contains(containing))
        .collect()
}

async fn wait_dm(bot: &TestApp, user: &str, containing: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(m) = dms_to(bot, user, containing).pop() {
            return m;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no message to {user} with {containing:?}: {:?}",
            bot.fake.calls_to("chat.postMessage")
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn wait_publish(bot: &TestApp, user: &str, count: usize) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let views: Vec<Value> = bot
            .fake
            .calls_to("views.publish")
            .into_iter()
            .filter(|c| c.arg("user_id") == Some(user))
            .map(|c| c.args["view"].clone())
            .collect();
        if views.len() >= count {
            return views[count - 1].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Home {count} published"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn wait_status(bot: &TestApp, id: IdeaId, status: Status) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while bot.app.store().get(id).expect("read").map(|i| i.status()) != Some(status) {
        assert!(tokio::time::Instant::now() < deadline, "{id} {status}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A click in the App Home: no message, no response URL.
fn home_click(user: &str, action: &str, value: &str, trigger: &str) -> Value {
    let mut click = signing::block_action(user, action, value, "", "", trigger);
    click["container"] = json!({"type": "view", "view_id": "VHOME"});
    let obj = click.as_object_mut().expect("object");
    obj.remove("channel");
    obj.remove("message");
    obj.remove("response_url");
    click
}

/// A draft straight into the store, pitched at `at`.
fn draft(bot: &TestApp, user: &str, at: jiff::Timestamp) -> IdeaId {
    let judged = Judgement::from(&bot.app.config().classifier.assess(TECH));
    bot.app
        .store()
        .create(NewIdea {
            submitter: ids::user(user),
            source: Source::Slash,
            origin: Default::default(),
            pitch: TECH.into(),
            judged,
            track: ids::track("execution"),
            anonymous: false,
            filed: false,
            at,
        })
        .expect("created")
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_is_listed_reminded_once_and_withdrawn_under_a_moved_clock() {
    let clock = MovedClock::at(T0);
    let bot = spawn().clock(clock.clock()).start().await;
    let (status, ack) = bot
        .command(&signing::slash_command(
            TECH,
            "U1",
            "C1",
            "trig1",
            &bot.fake.response_url("c1"),
        ))
        .await;
    assert_eq!(status, 200, "{ack}");
    let id = IdeaId::new(1);
    wait_status(&bot, id, Status::Draft).await;

    // The Home lists the draft with its three buttons.
    let opened =
        json!({"type": "app_home_opened", "user": "U1", "channel": "DHOME", "tab": "home"});
    assert_eq!(bot.event("EvHome1", opened).await, 200);
    let home = wait_publish(&bot, "U1", 1).await;
    assert_within_limits(&home["blocks"], HOME_BLOCKS_MAX);
    let shown = home["blocks"].to_string();
    for part in [
        "Your drafts",
        "*IDEA-1*",
        "home_reframe",
        "home_file_anyway",
        "home_withdraw",
    ] {
        assert!(shown.contains(part), "{part:?} in {shown}");
    }

    // Not yet three days: nothing.
    clock.set(T0 + 3 * DAY - 60);
    let swept = bot.app.sweep_drafts(clock.now()).await.expect("sweep");
    assert_eq!(swept, DraftSweep::default());
    // Three days: one reminder, by direct message, once however often the sweep runs.
    clock.set(T0 + 3 * DAY);
    let swept = bot.app.sweep_drafts(clock.now()).await.expect("sweep");
    assert_eq!(swept.reminded, 1);
    let reminder = wait_dm(&bot, "U1", "still a draft").await;
    assert!(reminder.contains("IDEA-1"), "{reminder}");
    clock.set(T0 + 10 * DAY);
    let swept = bot.app.sweep_drafts(clock.now()).await.expect("sweep");
    assert_eq!(swept, DraftSweep::default());
    assert_eq!(
        bot.app
            .store()
            .get(id)
            .expect("read")
            .expect("idea")
            .status(),
        Status::Draft
    );

    // Fourteen days: withdrawn, with a note in its history and a message; still in the store.
    clock.set(T0 + 14 * DAY);
    let swept = bot.app.sweep_drafts(clock.now()).await.expect("sweep");
    assert_eq!(swept.expired, 1);
    let idea = bot.app.store().get(id).expect("read").expect("kept");
    assert_eq!(idea.status(), Status::Withdrawn);
    assert_eq!(idea.pitch, TECH);
    let last = idea.history.last().expect("history");
    assert_eq!(last.at, clock.now());
    assert!(
        last.reason
            .as_deref()
            .unwrap_or_default()
            .contains("Expired"),
        "{last:?}"
    );
    let note = wait_dm(&bot, "U1", "I withdrew your draft").await;
    assert!(note.contains("14 days"), "{note}");
    // The Home is drawn again, without the draft's buttons.
    let home = wait_publish(&bot, "U1", 2).await;
    assert!(!home["blocks"].to_string().contains("Your drafts"));
    // Nothing more, however often the sweep runs.
    let swept = bot.app.sweep_drafts(clock.now()).await.expect("sweep");
    assert_eq!(swept, DraftSweep::default());
    assert_eq!(dms_to(&bot, "U1", "still a draft").len(), 1);
    assert_eq!(dms_to(&bot, "U1", "I withdrew").len(), 1);
}

/// The Home's draft buttons over one transport: File anyway files it and says so by direct
/// message; Reframe opens the Reframe form; someone else's draft is refused, unchanged.
async fn home_draft_buttons(transport: Transport) {
    let clock = MovedClock::at(T0);
    let bot = spawn()
        .clock(clock.clock())
        .transport(transport)
        .start()
        .await;
    let first = draft(&bot, "U1", clock.now());
    let second = draft(&bot, "U1", clock.now());
    let click = |payload: Value| {
        let bot = &bot;
        async move {
            match transport {
                Transport::Socket => {
                    let id = bot
                        .fake
                        .send_envelope(signing::envelope("interactive", payload))
                        .await;
                    assert!(bot.fake.wait_ack(&id, WAIT).await.is_some(), "acked");
                }
                _ => assert_eq!(bot.interact(&payload).await.0, 200),
            }
        }
    };
    // Someone else's draft is not theirs to file.
    click(home_click(
        "U2",
        "home_file_anyway",
        &first.to_string(),
        "t0",
    ))
    .await;
    wait_dm(&bot, "U2", "Only the person who pitched").await;
    assert_eq!(
        bot.app
            .store()
            .get(first)
            .expect("read")
            .expect("idea")
            .status(),
        Status::Draft
    );
    click(home_click(
        "U1",
        "home_file_anyway",
        &first.to_string(),
        "t1",
    ))
    .await;
    wait_status(&bot, first, Status::New).await;
    wait_dm(&bot, "U1", "IDEA-1").await;
    click(home_click("U1", "home_reframe", &second.to_string(), "t2")).await;
    let opened = bot.fake.wait_for("views.open", 1, WAIT).await;
    let form = &opened[0].args;
    assert_eq!(form["trigger_id"], "t2");
    assert_eq!(form["view"]["callback_id"], "reframe", "{form}");
    assert_within_limits(&form["view"]["blocks"], 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_homes_draft_buttons_work_over_http() {
    home_draft_buttons(Transport::Http).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_homes_draft_buttons_work_over_socket_mode() {
    home_draft_buttons(Transport::Socket).await;
}
