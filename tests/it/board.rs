//! The idea board in the App Home: everyone browses each track's newest and most-voted ideas,
//! votes with a button that is the same vote as a 👍 reaction (two people by button and reaction
//! count two; one person's button and reaction count one), opens an idea's Details and searches
//! by words. Over the HTTP Events API and Socket Mode, every view within Block Kit's limits.

use crate::support::app::{spawn, TestApp, Transport};
use crate::support::blockkit::assert_within_limits;
use crate::support::ids;
use crate::support::roles::{self, IDEAS, SUBMITTER};
use crate::support::signing;
use problemfirst::app::board::{Browse, Order};
use problemfirst::domain::{IdeaId, NewIdea, Source};
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const PROBLEM: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";
const PITCH_TS: &str = "1690000000.000100";

/// How the test reaches the bot: the transport's own delivery of events and interactions.
struct Slack<'a> {
    bot: &'a TestApp,
    socket: bool,
}

impl Slack<'_> {
    async fn event(&self, id: &str, event: Value) {
        if self.socket {
            let envelope = self
                .bot
                .fake
                .send_envelope(signing::envelope(
                    "events_api",
                    signing::event_callback(id, event),
                ))
                .await;
            assert!(self.bot.fake.wait_ack(&envelope, WAIT).await.is_some());
        } else {
            assert_eq!(self.bot.event(id, event).await, 200);
        }
    }

    /// An interaction; the acknowledgement's payload (Socket Mode) or body (HTTP).
    async fn interact(&self, payload: Value) -> Value {
        if self.socket {
            let envelope = self
                .bot
                .fake
                .send_envelope(signing::envelope("interactive", payload))
                .await;
            let ack = self
                .bot
                .fake
                .wait_ack(&envelope, WAIT)
                .await
                .expect("acknowledged");
            ack.get("payload").cloned().unwrap_or(Value::Null)
        } else {
            let (status, body) = self.bot.interact(&payload).await;
            assert_eq!(status, 200, "{body}");
            serde_json::from_str(&body).unwrap_or(Value::Null)
        }
    }

    async fn button(&self, user: &str, action: &str, value: &str) -> Value {
        let mut payload = signing::block_action(user, action, value, IDEAS, "1.1", "trig");
        payload["container"] = json!({"type": "view", "view_id": "VHOME"});
        payload["view"] = json!({"id": "VHOME", "type": "home", "blocks": [], "team_id": "T1",
            "hash": "h", "state": {"values": {}}, "app_id": "A1", "bot_id": "B1",
            "private_metadata": "", "callback_id": "", "external_id": "", "root_view_id": "VHOME",
            "previous_view_id": null, "clear_on_close": false, "notify_on_close": false,
            "app_installed_team_id": "T1"});
        self.interact(payload).await
    }

    async fn react(&self, id: &str, user: &str) {
        self.event(
            id,
            json!({
                "type": "reaction_added", "user": user, "reaction": "+1", "item_user": SUBMITTER,
                "item": {"type": "message", "channel": IDEAS, "ts": PITCH_TS},
                "event_ts": "1690000001.000100"
            }),
        )
        .await;
    }
}

async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(t) = f() {
            return t;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn voters(bot: &TestApp) -> Vec<String> {
    let idea = bot
        .app
        .store()
        .get(IdeaId::new(1))
        .expect("read")
        .expect("filed");
    idea.voters.into_iter().map(String::from).collect()
}

/// The Home views published for `user` so far.
fn homes(bot: &TestApp, user: &str) -> Vec<Value> {
    bot.fake
        .calls_to("views.publish")
        .into_iter()
        .filter(|c| c.arg("user_id") == Some(user))
        .map(|c| c.args["view"].clone())
        .collect()
}

async fn votes_by_button_and_reaction_are_one_vote(slack: Slack<'_>) {
    let bot = slack.bot;
    slack
        .event(
            "EvPitch",
            signing::message_event(IDEAS, SUBMITTER, PITCH_TS, PROBLEM),
        )
        .await;
    let store = bot.app.store().clone();
    until("filed, its thread known", || {
        store.idea_of_message(IDEAS, PITCH_TS).ok().flatten()
    })
    .await;
    let track = store
        .get(IdeaId::new(1))
        .expect("read")
        .expect("filed")
        .track;
    let page = Browse {
        track: track.clone(),
        order: Order::MostVoted,
        offset: 0,
    };
    let vote = format!("IDEA-1 {page}");

    // U1 by button, U2 by reaction: two votes.
    slack.button("U1", "board_vote", &vote).await;
    slack.react("EvU2", "U2").await;
    until("two votes", || (voters(bot).len() == 2).then_some(())).await;
    assert_eq!(voters(bot), ["U1", "U2"]);
    // The same people again, the other way: still two.
    slack.react("EvU1", "U1").await;
    slack.button("U2", "board_vote", &vote).await;
    // The submitter's own vote never counts.
    slack.button(SUBMITTER, "board_vote", &vote).await;
    slack.react("EvSub", SUBMITTER).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        voters(bot),
        ["U1", "U2"],
        "one vote per person, however given"
    );

    // U1's Home came back on the page they were on, showing their vote as Unvote.
    let home = until("U1's board is published", || {
        homes(bot, "U1").into_iter().last()
    })
    .await;
    assert_within_limits(&home["blocks"], 100);
    let shown = home["blocks"].to_string();
    assert!(
        shown.contains("Idea board") && shown.contains("most voted first"),
        "{shown}"
    );
    assert!(
        shown.contains("board_unvote") && shown.contains("IDEA-1 · _New_"),
        "{shown}"
    );

    // Unvote takes back U1's vote, reaction included.
    slack.button("U1", "board_unvote", &vote).await;
    until("one vote left", || (voters(bot) == ["U2"]).then_some(())).await;
    let idea = store.get(IdeaId::new(1)).expect("read").expect("filed");
    assert!(!idea.reactions.contains_key(&ids::user("U1")));
}

#[tokio::test]
async fn button_and_reaction_are_one_vote_over_http() {
    let bot = roles::start().await;
    votes_by_button_and_reaction_are_one_vote(Slack {
        bot: &bot,
        socket: false,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn button_and_reaction_are_one_vote_over_socket_mode() {
    let bot = spawn()
        .config(roles::config())
        .transport(Transport::Socket)
        .start()
        .await;
    votes_by_button_and_reaction_are_one_vote(Slack {
        bot: &bot,
        socket: true,
    })
    .await;
}

/// Ideas filed straight into the store: `n` in `track`, the i-th with i votes.
fn filed(bot: &TestApp, texts: &[&str], track: &str) {
    let judged = bot.app.config().classifier.assess(PROBLEM);
    let start = jiff::Timestamp::now();
    let news: Vec<NewIdea> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| NewIdea {
            submitter: ids::user("UPITCHER"),
            source: Source::Console,
            origin: Default::default(),
            pitch: text.to_string(),
            judged: (&judged).into(),
            track: ids::track(track),
            anonymous: false,
            filed: true,
            at: start
                .checked_add(jiff::SignedDuration::from_secs(i as i64))
                .expect("time"),
        })
        .collect();
    bot.app.store().create_many(&news).expect("filed");
}

#[tokio::test]
async fn the_board_pages_ranks_by_votes_and_details_and_search_open() {
    let bot = roles::start().await;
    let slack = Slack {
        bot: &bot,
        socket: false,
    };
    let texts: Vec<String> = (0..12)
        .map(|i| {
            format!("Store staff in region {i} re-key refunds by hand and queues grow at the desk.")
        })
        .collect();
    let mut all: Vec<&str> = texts.iter().map(String::as_str).collect();
    all.push(PROBLEM);
    filed(&bot, &all, "execution");
    // IDEA-3 gets two votes, IDEA-5 one.
    for (id, user) in [(3, "UA"), (3, "UB"), (5, "UA")] {
        bot.app
            .vote(IdeaId::new(id), &ids::user(user), true)
            .expect("vote");
    }
    // Most voted first: IDEA-3, IDEA-5, then the newest.
    let board = bot
        .app
        .board(&Browse {
            track: ids::track("execution"),
            order: Order::MostVoted,
            offset: 0,
        })
        .expect("board");
    let order: Vec<u64> = board.ideas.iter().map(|i| i.id.number()).collect();
    assert_eq!(order, [3, 5, 13, 12, 11]);
    assert_eq!(board.total, 13);
    // Newest, second page.
    slack
        .button("UREADER", "board_page", "execution newest 5")
        .await;
    let home = until("the second page", || {
        homes(&bot, "UREADER").into_iter().last()
    })
    .await;
    assert_within_limits(&home["blocks"], 100);
    let shown = home["blocks"].to_string();
    assert!(
        shown.contains("IDEA-8 · _New_") && shown.contains("IDEA-4 · _New_"),
        "{shown}"
    );
    assert!(
        !shown.contains("IDEA-9 ·") && !shown.contains("IDEA-3 ·"),
        "{shown}"
    );
    assert!(shown.contains("6–10 of 13"), "{shown}");

    // Details: pitch, status, votes, comments, history.
    bot.app
        .comment(
            &ids::channel(IDEAS),
            &ids::ts("1.1"),
            &ids::ts("1.2"),
            &ids::user("UA"),
            "nobody links here",
        )
        .expect("no idea, no comment");
    slack.button("UREADER", "board_details", "IDEA-3").await;
    let opened = bot.fake.wait_for("views.open", 1, WAIT).await;
    let view = &opened[0].args["view"];
    assert_within_limits(&view["blocks"], 100);
    let shown = view.to_string();
    for part in [
        "IDEA-3",
        "region 2",
        "*Votes*\\n2",
        "*Comments*\\n0",
        "History",
        "New",
    ] {
        assert!(shown.contains(part), "{part} in {shown}");
    }

    // Search: the modal, then what matches.
    slack.button("UREADER", "board_search", "search").await;
    let opened = bot.fake.wait_for("views.open", 2, WAIT).await;
    assert_eq!(opened[1].args["view"]["callback_id"], "board_search");
    let answer = slack
        .interact(signing::view_submission(
            "UREADER",
            "board_search",
            "",
            json!({"query": {"query": {"type": "plain_text_input", "value": "technicians waiting for spare parts"}}}),
        ))
        .await;
    assert_eq!(answer["response_action"], "update", "{answer}");
    let results = answer["view"]["blocks"].to_string();
    assert_within_limits(&answer["view"]["blocks"], 100);
    assert!(results.contains("IDEA-13 ·"), "{results}");
    assert!(!results.contains("IDEA-1 ·"), "{results}");
    // Details from the results goes on top of the Search modal.
    let mut payload =
        signing::block_action("UREADER", "board_details", "IDEA-13", IDEAS, "1.1", "trig2");
    payload["container"] = json!({"type": "view", "view_id": "VSEARCH"});
    payload["view"] =
        signing::view_submission("UREADER", "board_search", "", json!({}))["view"].clone();
    slack.interact(payload).await;
    let pushed = bot.fake.wait_for("views.push", 1, WAIT).await;
    assert!(pushed[0].args["view"]
        .to_string()
        .contains("Field technicians"));
}
