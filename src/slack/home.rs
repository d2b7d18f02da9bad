//! The App Home: published when someone opens it (`app_home_opened`) and again after a change
//! that concerns them (a `Notice::Home`, delivered only to people who have opened it). Everyone
//! sees their ideas with status, votes and the last decision, with Withdraw where that is still
//! possible; leads also see each track they lead: ideas per status and the ideas waiting longest,
//! with the triage buttons. Every list is paged, and the view never passes Slack's 100 blocks.

use super::bot::Bot;
use super::outbox::{failure, Failure};
use super::triage::{actor, triage_actions, votes, when};
use crate::app::home::{Home, HomePage, Paged, Queue};
use crate::app::shorten;
use crate::domain::{Audience, Idea, Notice, Status, Transition};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use std::sync::Arc;

/// Slack's limit on blocks in a Home view.
pub const HOME_BLOCKS_MAX: usize = 100;
/// Every App Home action id starts with this.
pub const ACTION_PREFIX: &str = "home_";
/// Withdraw one's own idea.
pub const WITHDRAW: &str = "home_withdraw";
/// Paging one's own ideas; the value is the offset to show.
pub const MINE_PAGE: &str = "home_mine_page";
pub const MINE_PAGE_BACK: &str = "home_mine_page_back";
/// Paging a track's waiting list; the value is `track offset`.
pub const QUEUE_PAGE: &str = "home_queue_page";
pub const QUEUE_PAGE_BACK: &str = "home_queue_page_back";

/// Someone opened the App Home: remember they use it, and publish it.
pub(super) fn opened(bot: &Bot, ev: &SlackAppHomeOpenedEvent) {
    // The Messages tab opens the same event; only the Home tab is ours to draw.
    if ev.tab.as_deref().is_some_and(|t| t != "home") {
        return;
    }
    let user = ev.user.to_string();
    let remembered = bot
        .app
        .store
        .saw_home(&user, bot.app.now())
        .and_then(|()| bot.app.store.enqueue(&[Notice::Home { user }]));
    if let Err(e) = remembered {
        tracing::error!(error = %e, "could not queue an App Home");
    }
}

/// Delivers a `Notice::Home`: publishes the person's Home as it is now, if they have ever opened
/// it (nobody else would see it).
pub(super) async fn deliver(
    bot: &Arc<Bot>,
    user: &str,
) -> Result<Option<(String, String)>, Failure> {
    match bot.app.store.has_seen_home(user) {
        Ok(true) => {}
        Ok(false) => return Ok(None),
        Err(e) => {
            return Err(Failure::Passing {
                after: None,
                error: e.to_string(),
            })
        }
    }
    publish(bot, user, &HomePage::default())
        .await
        .map_err(|e| match e {
            Published::Slack(e) => failure(e),
            Published::TimedOut => Failure::Passing {
                after: None,
                error: "views.publish timed out".into(),
            },
            Published::App(e) => Failure::Final {
                code: "unrenderable".into(),
                error: e,
            },
        })?;
    Ok(None)
}

enum Published {
    Slack(SlackClientError),
    TimedOut,
    App(String),
}

async fn publish(bot: &Bot, user: &str, page: &HomePage) -> Result<(), Published> {
    let who = actor(bot, user).await;
    let home = bot
        .app
        .home(&who, page)
        .map_err(|e| Published::App(e.to_string()))?;
    let view = home_view(&home, &bot.app);
    let req = SlackApiViewsPublishRequest::new(user.to_string().into(), view);
    // Paging calls come straight from a button, outside the outbox's own time limit.
    match tokio::time::timeout(
        super::outbox::API_TIMEOUT,
        bot.session().views_publish(&req),
    )
    .await
    {
        Ok(result) => result.map(|_| ()).map_err(Published::Slack),
        Err(_) => Err(Published::TimedOut),
    }
}

/// A Home button: Withdraw, or another page.
pub(super) async fn on_action(
    bot: &Arc<Bot>,
    _a: &SlackInteractionBlockActionsEvent,
    action: &SlackInteractionActionInfo,
    user: &str,
) {
    let value = action.value.clone().unwrap_or_default();
    let user = user.to_string();
    let bot2 = Arc::clone(bot);
    match action.action_id.as_ref() {
        WITHDRAW => {
            let Ok(id) = value.parse() else { return };
            bot.before_ack(async move {
                let done = bot2.app.withdraw(id, &user).await;
                let mut owed = vec![Notice::Home { user: user.clone() }];
                if let Err(e) = done {
                    owed.push(Notice::Text {
                        to: Audience::Person { user },
                        text: e.to_string(),
                    });
                }
                if let Err(e) = bot2.app.store.enqueue(&owed) {
                    tracing::error!(error = %e, "could not queue an App Home");
                }
            })
            .await;
        }
        MINE_PAGE | MINE_PAGE_BACK => {
            let mine = value.parse().unwrap_or(0);
            bot.work.spawn(async move {
                let page = HomePage { mine, track: None };
                if publish(&bot2, &user, &page).await.is_err() {
                    tracing::warn!("could not publish an App Home page");
                }
            });
        }
        QUEUE_PAGE | QUEUE_PAGE_BACK => {
            let Some((track, offset)) = value.split_once(' ') else {
                return;
            };
            let page = HomePage {
                mine: 0,
                track: Some((track.to_string(), offset.parse().unwrap_or(0))),
            };
            bot.work.spawn(async move {
                if publish(&bot2, &user, &page).await.is_err() {
                    tracing::warn!("could not publish an App Home page");
                }
            });
        }
        other => tracing::debug!(action = other, "App Home action ignored"),
    }
}

/// The Home view, within Slack's limits however many ideas there are.
pub fn home_view(home: &Home, app: &crate::app::App) -> SlackView {
    // One block is kept for saying that something did not fit.
    let budget = HOME_BLOCKS_MAX - 1;
    let mut blocks: Vec<SlackBlock> = vec![SlackHeaderBlock::new(pt!("Your ideas")).into()];
    if home.mine.total == 0 {
        blocks.push(
            SlackSectionBlock::new()
                .with_text(md!(
                    "You have no ideas yet. `/idea <your pitch>` files one: say who is affected and what is hard for them."
                ))
                .into(),
        );
    }
    for idea in &home.mine.items {
        blocks.extend(my_idea(idea, app));
    }
    blocks.extend(pager(&home.mine, MINE_PAGE_BACK, MINE_PAGE, "mine", |o| {
        o.to_string()
    }));
    let mut left_out = 0;
    for (n, queue) in home.queues.iter().enumerate() {
        // Divider, header, counts, the pager, and two blocks per waiting idea.
        let fixed = 4;
        let room = budget.saturating_sub(blocks.len());
        if room < fixed + 2 {
            left_out = home.queues.len() - n;
            break;
        }
        let fits = ((room - fixed) / 2).min(queue.waiting.items.len());
        blocks.extend(queue_blocks(queue, n, fits));
    }
    if left_out > 0 {
        blocks.push(
            SlackContextBlock::new(vec![md!(
                "{} more track(s) don't fit here; `problemfirst export --track <id>` lists them all.",
                left_out
            )])
            .into(),
        );
    }
    blocks.truncate(HOME_BLOCKS_MAX);
    SlackView::Home(SlackHomeView::new(blocks))
}

/// One of the person's own ideas: status, votes, the pitch, the last decision, and Withdraw
/// while that is still possible.
fn my_idea(idea: &Idea, app: &crate::app::App) -> Vec<SlackBlock> {
    let mut section = SlackSectionBlock::new().with_text(md!(
        "*{}* · {} · *{}* · {}\n{}",
        idea.id,
        app.config.track_name(&idea.track),
        idea.status().label(),
        votes(idea.voters.len()),
        shorten(&idea.headline_text(), 500).replace('\n', " ")
    ));
    if idea.status().apply(Transition::Withdraw).is_ok() {
        section = section.with_accessory(
            SlackBlockButtonElement::new(pt!("Withdraw"))
                .with_action_id(WITHDRAW.into())
                .with_value(idea.id.to_string())
                .into(),
        );
    }
    let mut blocks: Vec<SlackBlock> = vec![section
        .with_block_id(format!("mine_{}", idea.id.number()).into())
        .into()];
    if let Some(c) = idea.last_decision() {
        let mut line = format!("{} by <@{}> {}", describe_change(c.to), c.by, when(c.at));
        if let Some(r) = &c.reason {
            line.push_str(&format!(": {}", shorten(r, 500).replace('\n', " ")));
        }
        blocks.push(SlackContextBlock::new(vec![md!("{}", line)]).into());
    }
    blocks
}

fn describe_change(to: Status) -> String {
    match to {
        Status::Duplicate { of } => format!("Marked a duplicate of *{of}*"),
        Status::Draft => "Sent back for a reframe".into(),
        s => s.label().to_string(),
    }
}

/// One track's queue: counts per status and a page of the ideas waiting longest (`fits` of
/// them), each with the triage buttons.
fn queue_blocks(queue: &Queue, n: usize, fits: usize) -> Vec<SlackBlock> {
    let mut blocks: Vec<SlackBlock> = vec![
        SlackDividerBlock::new().into(),
        SlackHeaderBlock::new(pt!(shorten(&format!("Triage: {}", queue.name), 150))).into(),
    ];
    let fields: Vec<SlackBlockText> = queue
        .counts
        .iter()
        .map(|(label, count)| md!("*{}*\n{}", label, count))
        .collect();
    blocks.push(
        SlackSectionBlock::new()
            .with_fields(fields)
            .with_block_id(format!("counts_{n}").into())
            .into(),
    );
    if queue.waiting.total == 0 {
        blocks.push(SlackContextBlock::new(vec![md!("Nothing is waiting for triage.")]).into());
        return blocks;
    }
    for idea in queue.waiting.items.iter().take(fits) {
        blocks.push(
            SlackSectionBlock::new()
                .with_text(md!(
                    "*{}* · *{}* · waiting since {} · {}\n{}",
                    idea.id,
                    idea.status().label(),
                    when(idea.created),
                    votes(idea.voters.len()),
                    shorten(&idea.headline_text(), 500).replace('\n', " ")
                ))
                .into(),
        );
        if let Some(actions) = triage_actions(idea, &format!("queue_{n}_{}", idea.id.number())) {
            blocks.push(actions);
        }
    }
    // A page cut short by the block budget continues where it stopped.
    let shown = Paged {
        items: queue
            .waiting
            .items
            .iter()
            .take(fits)
            .cloned()
            .collect::<Vec<_>>(),
        per_page: fits.max(1),
        ..queue.waiting.clone()
    };
    blocks.extend(pager(
        &shown,
        QUEUE_PAGE_BACK,
        QUEUE_PAGE,
        &format!("queue_{n}"),
        |o| format!("{} {o}", queue.track),
    ));
    blocks
}

/// "Earlier" / "Later" buttons with where the list stands, when there is more than one page.
fn pager<T>(
    list: &Paged<T>,
    back_id: &str,
    next_id: &str,
    block: &str,
    value: impl Fn(usize) -> String,
) -> Option<SlackBlock> {
    let shown_to = list.offset + list.items.len();
    let next = (shown_to < list.total).then_some(shown_to);
    let back = list.previous();
    if next.is_none() && back.is_none() {
        return None;
    }
    let mut elements: Vec<SlackActionBlockElement> = Vec::new();
    if let Some(o) = back {
        elements.push(
            SlackBlockButtonElement::new(pt!("◀ Earlier"))
                .with_action_id(back_id.into())
                .with_value(value(o))
                .into(),
        );
    }
    if let Some(o) = next {
        elements.push(
            SlackBlockButtonElement::new(pt!(
                "Later ▶ ({}–{} of {})",
                list.offset + 1,
                shown_to,
                list.total
            ))
            .with_action_id(next_id.into())
            .with_value(value(o))
            .into(),
        );
    }
    Some(
        SlackActionsBlock::new(elements)
            .with_block_id(format!("{block}_pages").into())
            .into(),
    )
}
