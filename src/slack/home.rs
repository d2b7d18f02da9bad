//! The App Home: the view (everyone's own ideas with status, votes and the last decision, with
//! Withdraw where that is still possible; for leads, each track they lead: ideas per status and
//! the ideas waiting longest, with the triage buttons), paged so it never passes Slack's 100
//! blocks, and publishing it. It is published when someone opens it, again after a change that
//! concerns them (a `Notice::Home`, delivered only to people who have opened it) and when they
//! turn a page.

use super::api::{Api, Failure};
use super::card::{comments, triage_actions, votes, when};
use super::leads::Leads;
use crate::app::home::{Home, HomePage, Paged, Queue};
use crate::app::{shorten, App};
use crate::domain::{Idea, Status, Transition, UserId};
use slack_morphism::prelude::*;

/// Slack's limit on blocks in a Home view.
pub const HOME_BLOCKS_MAX: usize = 100;
/// Every App Home action id starts with this.
pub const ACTION_PREFIX: &str = "home_";
/// Withdraw one's own idea (a draft, or one filed and not yet decided).
pub const WITHDRAW: &str = "home_withdraw";
/// Open the Reframe form for one's own draft.
pub const REFRAME: &str = "home_reframe";
/// File one's own draft as it was pitched.
pub const FILE_ANYWAY: &str = "home_file_anyway";
/// Paging one's own ideas; the value is the offset to show.
pub const MINE_PAGE: &str = "home_mine_page";
pub const MINE_PAGE_BACK: &str = "home_mine_page_back";
/// Paging a track's waiting list; the value is `track offset`.
pub const QUEUE_PAGE: &str = "home_queue_page";
pub const QUEUE_PAGE_BACK: &str = "home_queue_page_back";

/// Publishes `user`'s Home at `page`, as the app sees it now.
pub async fn publish(
    app: &App,
    api: &Api,
    leads: &Leads,
    user: &UserId,
    page: &HomePage,
) -> Result<(), Failure> {
    let who = leads.actor(user).await;
    let home = app.home(&who, page).map_err(Failure::unrenderable)?;
    api.publish_home(user, home_view(&home, app)).await
}

/// Delivers a `Notice::Home`: publishes the person's Home as it is now, if they have ever opened
/// it (nobody else would see it).
pub async fn deliver(app: &App, api: &Api, leads: &Leads, user: &UserId) -> Result<(), Failure> {
    match app.uses_home(user) {
        Ok(true) => publish(app, api, leads, user, &HomePage::default()).await,
        Ok(false) => Ok(()),
        Err(e) => Err(Failure::Passing {
            after: None,
            error: e.to_string(),
        }),
    }
}

/// The Home view, within Slack's limits however many ideas there are.
pub fn home_view(home: &Home, app: &App) -> SlackView {
    // One block is kept for saying that something did not fit.
    let budget = HOME_BLOCKS_MAX - 1;
    let mut blocks = drafts_blocks(&home.drafts, app);
    blocks.push(SlackHeaderBlock::new(pt!("Your ideas")).into());
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
    blocks.extend(super::board::board_blocks(&home.board, &home.user, app));
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

/// The person's drafts, each with Reframe, File anyway and Withdraw; nothing when there are
/// none. At most [`crate::app::home::DRAFTS_SHOWN`] drafts: 1 + 2 per draft + 1 blocks.
fn drafts_blocks(drafts: &Paged<Idea>, app: &App) -> Vec<SlackBlock> {
    if drafts.total == 0 {
        return Vec::new();
    }
    let mut blocks: Vec<SlackBlock> = vec![SlackHeaderBlock::new(pt!("Your drafts")).into()];
    let expire = app.config().drafts.expire_after;
    for idea in &drafts.items {
        let n = idea.id.number();
        let until = idea
            .drafted_at()
            .and_then(|at| at.checked_add(expire).ok())
            .map(|at| format!(" · withdrawn {} unless you act", when(at)))
            .unwrap_or_default();
        blocks.push(
            SlackSectionBlock::new()
                .with_text(md!(
                    "*{}* · {} · *Draft*{}\n{}",
                    idea.id,
                    app.config().track_name(&idea.track),
                    until,
                    shorten(&idea.pitch, 500).replace('\n', " ")
                ))
                .with_block_id(format!("draft_{n}").into())
                .into(),
        );
        let value = idea.id.to_string();
        blocks.push(
            SlackActionsBlock::new(vec![
                SlackBlockButtonElement::new(pt!("Reframe"))
                    .with_action_id(REFRAME.into())
                    .with_value(value.clone())
                    .with_style(SlackBlockButtonStyle::Primary)
                    .into(),
                SlackBlockButtonElement::new(pt!("File anyway"))
                    .with_action_id(FILE_ANYWAY.into())
                    .with_value(value.clone())
                    .into(),
                SlackBlockButtonElement::new(pt!("Withdraw"))
                    .with_action_id(WITHDRAW.into())
                    .with_value(value)
                    .into(),
            ])
            .with_block_id(format!("draft_{n}_actions").into())
            .into(),
        );
    }
    if drafts.total > drafts.items.len() {
        blocks.push(
            SlackContextBlock::new(vec![md!(
                "{} more draft(s): they show here as these are filed or withdrawn.",
                drafts.total - drafts.items.len()
            )])
            .into(),
        );
    }
    blocks
}

/// One of the person's own ideas: status, votes, the pitch, the last decision, and Withdraw
/// while that is still possible.
fn my_idea(idea: &Idea, app: &App) -> Vec<SlackBlock> {
    let mut section = SlackSectionBlock::new().with_text(md!(
        "*{}* · {} · *{}* · {}{}\n{}",
        idea.id,
        app.config().track_name(&idea.track),
        idea.status().label(),
        votes(idea.voters.len()),
        comments(idea.comments.len()),
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
                    "*{}* · *{}* · waiting since {} · {}{}\n{}",
                    idea.id,
                    idea.status().label(),
                    when(idea.created),
                    votes(idea.voters.len()),
                    comments(idea.comments.len()),
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
