//! The App Home: published when opened and after changes that concern its owner; everyone's own
//! ideas with status and the last decision, leads' queues per track with counts and the ideas
//! waiting longest with triage buttons; paged and within Slack's 100 blocks with 1,000 ideas.

use crate::support::ids;

use crate::support::blockkit::assert_within_limits;
use crate::support::roles::{self, ADMIN, LEAD, OTHER, SEARCH_LEAD, SUBMITTER};
use crate::support::signing;
use problemfirst::app::home::{HomePage, MINE_PER_PAGE, WAITING_PER_PAGE};
use problemfirst::app::{Actor, App};
use problemfirst::domain::Decision;
use problemfirst::domain::{IdeaId, Judgement, NewIdea, Source, Status};
use problemfirst::slack::home::{home_view, HOME_BLOCKS_MAX};
use serde_json::{json, Value};
use std::time::Duration;

const PROBLEM: &str =
    "Field technicians wait 2 days for spare parts, so 30% of repairs need a second visit.";
/// How long to wait for what must happen: an upper bound, not an expectation (on a busy machine
/// a filing's fsync can take seconds).
const WAIT: Duration = Duration::from_secs(20);

fn opened(user: &str, tab: &str) -> Value {
    json!({"type": "app_home_opened", "user": user, "channel": "DHOME", "tab": tab})
}

/// Files `n` ideas per (submitter, track) straight into the store, oldest first.
fn bulk(app: &App, n: usize, who: &[(&str, &str)]) {
    let judged = Judgement::from(&app.config().classifier.assess(PROBLEM));
    let start = jiff::Timestamp::from_second(1_700_000_000).expect("time");
    let mut news = Vec::new();
    for i in 0..n {
        for (submitter, track) in who {
            news.push(NewIdea {
                submitter: ids::user(submitter),
                source: Source::Import,
                origin: Default::default(),
                pitch: format!("{PROBLEM} (case {i})"),
                judged: judged.clone(),
                track: ids::track(track),
                anonymous: false,
                filed: true,
                at: start
                    .checked_add(jiff::SignedDuration::from_secs(i as i64 * 60))
                    .expect("time"),
            });
        }
    }
    app.store().create_many(&news).expect("filed");
}

fn view_json(app: &App, actor: &Actor, page: &HomePage) -> Value {
    let home = app.home(actor, page).expect("home");
    serde_json::to_value(home_view(&home, app)).expect("json")
}

fn texts(view: &Value) -> String {
    view["blocks"].to_string()
}

async fn published_for(r: &crate::support::app::TestApp, user: &str, count: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let views: Vec<Value> = r
            .fake
            .calls_to("views.publish")
            .into_iter()
            .filter(|c| c.arg("user_id") == Some(user))
            .map(|c| c.args["view"].clone())
            .collect();
        if views.len() >= count || tokio::time::Instant::now() >= deadline {
            return views;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn opening_the_home_shows_ones_ideas_with_status_and_the_last_decision() {
    let r = roles::start().await;
    let app = &r.app;
    bulk(app, 2, &[(SUBMITTER, "execution")]);
    app.triage(
        IdeaId::new(1),
        &Actor::person(&ids::user(LEAD)),
        Decision::Decline,
        Some("Solved by the new stock system".into()),
    )
    .await
    .expect("decline");
    // The Messages tab is not ours to draw.
    assert_eq!(
        r.event("EvMsgTab", opened(SUBMITTER, "messages")).await,
        200
    );
    assert_eq!(r.event("EvHomeTab", opened(SUBMITTER, "home")).await, 200);
    let views = published_for(&r, SUBMITTER, 1).await;
    assert_eq!(views.len(), 1, "published once, for the Home tab");
    let view = &views[0];
    assert_eq!(view["type"], "home");
    assert_within_limits(&view["blocks"], HOME_BLOCKS_MAX);
    let shown = texts(view);
    for part in [
        "Your ideas",
        "*IDEA-2*",
        "*New*",
        "*IDEA-1*",
        "*Declined*",
        "Declined by <@ULEAD>",
        "Solved by the new stock system",
        "home_withdraw",
    ] {
        assert!(shown.contains(part), "{part:?} in {shown}");
    }
    assert!(
        !shown.contains("Triage:"),
        "no queues for someone who leads nothing"
    );
    assert!(!shown.contains("triage_accept"));
}

#[tokio::test]
async fn leads_see_their_tracks_queues_with_counts_and_the_longest_waiting_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = crate::support::app::core(dir.path(), roles::config());
    bulk(&app, 3, &[("U1", "execution"), ("U2", "search")]);
    let lead = Actor::person(&ids::user(LEAD));
    app.triage(IdeaId::new(1), &lead, Decision::Accept, None)
        .await
        .expect("accept");
    app.triage(IdeaId::new(3), &lead, Decision::Review, None)
        .await
        .expect("review");
    let view = view_json(&app, &lead, &HomePage::default());
    assert_within_limits(&view["blocks"], HOME_BLOCKS_MAX);
    let shown = texts(&view);
    assert!(shown.contains("Triage: Execution"), "{shown}");
    assert!(
        !shown.contains("Triage: Search"),
        "only the tracks they lead"
    );
    assert!(shown.contains("*New*\\n1"), "{shown}");
    assert!(shown.contains("*In review*\\n1"), "{shown}");
    assert!(shown.contains("*Accepted*\\n1"), "{shown}");
    // Waiting longest first: IDEA-3 (in review, older) before IDEA-5 (new); IDEA-1 is decided.
    let at = |s: &str| shown.find(s).unwrap_or(usize::MAX);
    assert!(
        at("*IDEA-3* · *In review*") < at("*IDEA-5* · *New*"),
        "{shown}"
    );
    assert!(!shown.contains("*IDEA-1* · *Accepted* · waiting"));
    assert!(shown.contains("triage_accept") && shown.contains("triage_decline"));
    let admin = view_json(
        &app,
        &Actor::person(&ids::user(ADMIN)),
        &HomePage::default(),
    );
    let everything = texts(&admin);
    assert!(everything.contains("Triage: Execution") && everything.contains("Triage: Search"));
    let search = view_json(
        &app,
        &Actor::person(&ids::user(SEARCH_LEAD)),
        &HomePage::default(),
    );
    assert!(texts(&search).contains("Triage: Search"));
    assert!(!texts(&search).contains("Triage: Execution"));
}

#[tokio::test]
async fn a_thousand_ideas_fit_in_one_valid_view_and_page_through() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = crate::support::app::core(dir.path(), roles::config());
    // 1,000 ideas of one person in execution, 1,000 of others in search.
    bulk(&app, 1000, &[(SUBMITTER, "execution"), (OTHER, "search")]);
    for actor in [
        Actor::person(&ids::user(SUBMITTER)),
        Actor::person(&ids::user(LEAD)),
        Actor::person(&ids::user(ADMIN)),
    ] {
        let view = view_json(&app, &actor, &HomePage::default());
        assert_within_limits(&view["blocks"], HOME_BLOCKS_MAX);
        let blocks = view["blocks"].as_array().map_or(0, Vec::len);
        assert!(blocks <= HOME_BLOCKS_MAX, "{} blocks", blocks);
    }
    let admin = view_json(
        &app,
        &Actor::person(&ids::user(ADMIN)),
        &HomePage::default(),
    );
    let shown = texts(&admin);
    assert!(shown.contains("*New*\\n1000"), "{shown}");
    assert!(
        shown.contains(&format!("Later ▶ (1–{WAITING_PER_PAGE} of 1000)")),
        "{shown}"
    );
    // Own ideas: newest first, ten a page; the pager's value is the next page's offset.
    let mine = view_json(
        &app,
        &Actor::person(&ids::user(SUBMITTER)),
        &HomePage::default(),
    );
    let first = texts(&mine);
    assert!(first.contains("*IDEA-1999*"), "the newest first");
    assert!(
        first.contains(&format!("Later ▶ (1–{MINE_PER_PAGE} of 1000)")),
        "{first}"
    );
    let page = HomePage {
        mine: 990,
        ..HomePage::default()
    };
    let last = texts(&view_json(
        &app,
        &Actor::person(&ids::user(SUBMITTER)),
        &page,
    ));
    assert!(last.contains("*IDEA-1*"), "the oldest on the last page");
    assert!(last.contains("◀ Earlier"));
    assert!(!last.contains("Later ▶"));
    // A track's waiting list pages on its own.
    let page = HomePage {
        track: Some((ids::track("execution"), 995)),
        ..HomePage::default()
    };
    let tail = texts(&view_json(&app, &Actor::person(&ids::user(LEAD)), &page));
    assert!(
        tail.contains("*IDEA-1999* · *New*"),
        "the newest waits least: {tail}"
    );
}

#[tokio::test]
async fn the_home_is_refreshed_after_a_leads_decision_and_pages_by_button() {
    let r = roles::start().await;
    bulk(&r.app, 12, &[(SUBMITTER, "execution")]);
    r.event("EvOpen", opened(SUBMITTER, "home")).await;
    assert_eq!(published_for(&r, SUBMITTER, 1).await.len(), 1);
    r.app
        .triage(
            IdeaId::new(12),
            &Actor::person(&ids::user(LEAD)),
            Decision::Accept,
            None,
        )
        .await
        .expect("accept");
    let views = published_for(&r, SUBMITTER, 2).await;
    assert_eq!(views.len(), 2, "refreshed after the decision");
    assert!(texts(&views[1]).contains("Accepted by <@ULEAD>"));
    // The lead never opened the Home: nothing is published for them.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(published_for(&r, LEAD, 0).await.is_empty());
    // The next page by button.
    let mut click = signing::block_action(SUBMITTER, "home_mine_page", "10", "", "", "t1");
    click["container"] = json!({"type": "view", "view_id": "VHOME"});
    click.as_object_mut().expect("object").remove("channel");
    click.as_object_mut().expect("object").remove("message");
    let (status, _) = r.interact(&click).await;
    assert_eq!(status, 200);
    let views = published_for(&r, SUBMITTER, 3).await;
    let page = texts(&views[2]);
    assert!(
        page.contains("*IDEA-2*") && page.contains("*IDEA-1*"),
        "{page}"
    );
    assert!(!page.contains("*IDEA-12*"));
}

/// A click on the App Home (no channel, no message).
fn home_click(user: &str, action: &str, value: &str) -> Value {
    let mut click = signing::block_action(user, action, value, "", "", "t-home");
    click["container"] = json!({"type": "view", "view_id": "VHOME"});
    let obj = click.as_object_mut().expect("object");
    obj.remove("channel");
    obj.remove("message");
    obj.remove("response_url");
    click
}

#[tokio::test]
async fn from_the_home_submitters_withdraw_and_non_leads_are_told_by_direct_message() {
    let r = roles::start().await;
    bulk(&r.app, 1, &[(SUBMITTER, "execution")]);
    let id = IdeaId::new(1);
    // A non-lead pressing a triage button (a stale Home) hears why by DM; nothing changes.
    r.interact(&home_click(OTHER, "triage_accept", "IDEA-1"))
        .await;
    r.interact(&home_click(OTHER, "triage_decline", "IDEA-1"))
        .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let dms: Vec<_> = r
            .fake
            .calls_to("chat.postMessage")
            .into_iter()
            .filter(|c| c.arg("channel") == Some(OTHER))
            .collect();
        if dms.len() == 2 {
            assert!(dms
                .iter()
                .all(|d| d.arg("text") == Some("Only leads of *Execution* can triage.")));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "told twice: {dms:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(r.fake.calls_to("views.open").is_empty());
    // Someone else's Withdraw is refused.
    r.interact(&home_click(LEAD, "home_withdraw", "IDEA-1"))
        .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while !r
        .fake
        .calls_to("chat.postMessage")
        .iter()
        .any(|c| c.arg("channel") == Some(LEAD))
    {
        assert!(tokio::time::Instant::now() < deadline, "the lead is told");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = |r: &crate::support::app::TestApp| {
        r.app.store().get(id).expect("read").expect("idea").status()
    };
    assert_eq!(status(&r), Status::New);
    // The submitter's own is withdrawn.
    r.interact(&home_click(SUBMITTER, "home_withdraw", "IDEA-1"))
        .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while status(&r) != Status::Withdrawn {
        assert!(tokio::time::Instant::now() < deadline, "withdrawn");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A lead's triage button on the Home works like the card's.
    bulk(&r.app, 1, &[("U7", "execution")]);
    r.interact(&home_click(LEAD, "triage_accept", "IDEA-2"))
        .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while r
        .app
        .store()
        .get(IdeaId::new(2))
        .expect("read")
        .map(|i| i.status())
        != Some(Status::Accepted)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "accepted from the Home"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn many_tracks_stay_within_the_block_limit_and_say_what_did_not_fit() {
    let mut text = roles::config_text();
    let mut who = Vec::new();
    for t in 0..12 {
        text.push_str(&format!(
            "\n[tracks.t{t}]\nname = \"Track {t}\"\ndescription = \"x\"\nleads = [\"{LEAD}\"]\n"
        ));
        who.push((format!("USUB{t}"), format!("t{t}")));
    }
    let config =
        problemfirst::config::Config::parse(&text, std::path::Path::new("config/many.toml"))
            .expect("a config with 14 tracks");
    let dir = tempfile::tempdir().expect("temp dir");
    let app = crate::support::app::core(dir.path(), config);
    let who: Vec<(&str, &str)> = who.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    bulk(&app, 20, &who);
    bulk(&app, 30, &[(LEAD, "execution")]);
    let view = view_json(&app, &Actor::person(&ids::user(LEAD)), &HomePage::default());
    assert_within_limits(&view["blocks"], HOME_BLOCKS_MAX);
    let shown = texts(&view);
    assert!(shown.contains("Triage: Execution"), "{shown}");
    assert!(shown.contains("don't fit here"), "{shown}");
}
