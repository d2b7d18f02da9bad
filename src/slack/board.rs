//! The idea board in the App Home, for everyone: a track's newest or most-voted ideas, a page at a
//! time, each with its status, votes and comments, **Vote** / **Unvote** and **Details**; a
//! **Search** button whose modal finds ideas by their words. The Details modal shows an idea's
//! pitch, reframe, status and history, votes, comments and a link to the original message. Every
//! view stays within Block Kit's limits however long the texts and lists. The clicks are handled
//! in `browse`.

use super::blocks::{MODAL_TITLE_MAX, SECTION_TEXT_MAX};
use super::card::{comments, votes, when};
use crate::app::board::{Board, Browse, Order};
use crate::app::{shorten, App};
use crate::domain::{Idea, Status, UserId};
use slack_morphism::prelude::*;

/// Every board action id starts with this.
pub const ACTION_PREFIX: &str = "board_";
/// Vote / Unvote; the value is `IDEA-n track order offset` (the page to show again).
pub const VOTE: &str = "board_vote";
pub const UNVOTE: &str = "board_unvote";
/// Open an idea's Details; the value is its id.
pub const DETAILS: &str = "board_details";
/// Show a track and order, or another page; the value is `track order offset`.
pub const SHOW: &str = "board_show";
pub const PAGE: &str = "board_page";
pub const PAGE_BACK: &str = "board_page_back";
/// Open the Search modal.
pub const SEARCH: &str = "board_search";
/// The Search modal, and its query field.
pub const SEARCH_MODAL: &str = "board_search";
const QUERY: &str = "query";
/// Tracks offered as buttons at most (two buttons each, with Search, within an actions block's 25).
const TRACKS_SHOWN: usize = 12;
/// History entries and comments shown in Details at most (the newest).
const HISTORY_SHOWN: usize = 15;
const COMMENTS_SHOWN: usize = 20;

/// The board's blocks in `user`'s Home.
pub fn board_blocks(board: &Board, user: &UserId, app: &App) -> Vec<SlackBlock> {
    let current = &board.browse;
    let track_name = app.config().track_name(&current.track).to_string();
    let mut blocks: Vec<SlackBlock> = vec![
        SlackDividerBlock::new().into(),
        SlackHeaderBlock::new(pt!("Idea board")).into(),
    ];
    let mut choices: Vec<SlackActionBlockElement> = Vec::new();
    for (id, name) in board.tracks.iter().take(TRACKS_SHOWN) {
        for order in [Order::Newest, Order::MostVoted] {
            let browse = Browse {
                track: id.clone(),
                order,
                offset: 0,
            };
            let mut button = SlackBlockButtonElement::new(pt!(shorten(
                &format!("{name} · {}", order.label()),
                75
            )))
            .with_action_id(format!("{SHOW}_{}_{}", id, order.label().replace(' ', "_")).into())
            .with_value(browse.to_string());
            if *id == current.track && order == current.order {
                button = button.with_style(SlackBlockButtonStyle::Primary);
            }
            choices.push(button.into());
        }
    }
    choices.push(
        SlackBlockButtonElement::new(pt!("Search ideas"))
            .with_action_id(SEARCH.into())
            .with_value("search".into())
            .into(),
    );
    blocks.push(
        SlackActionsBlock::new(choices)
            .with_block_id("board_choices".into())
            .into(),
    );
    blocks.push(
        SlackContextBlock::new(vec![md!(
            "*{}*, {} first · {} idea(s) · drafts and withdrawn ideas are not shown",
            shorten(&track_name, 100),
            current.order.label(),
            board.total
        )])
        .into(),
    );
    if board.total == 0 {
        blocks.push(
            SlackSectionBlock::new()
                .with_text(md!("No ideas in this track yet."))
                .into(),
        );
    }
    for idea in &board.ideas {
        blocks.extend(idea_blocks(idea, user, current));
    }
    let shown_to = board.offset + board.ideas.len();
    let mut pages: Vec<SlackActionBlockElement> = Vec::new();
    if let Some(back) = board.previous() {
        pages.push(
            SlackBlockButtonElement::new(pt!("◀ Back"))
                .with_action_id(PAGE_BACK.into())
                .with_value(
                    Browse {
                        offset: back,
                        ..current.clone()
                    }
                    .to_string(),
                )
                .into(),
        );
    }
    if shown_to < board.total {
        pages.push(
            SlackBlockButtonElement::new(pt!(
                "More ▶ ({}–{} of {})",
                board.offset + 1,
                shown_to,
                board.total
            ))
            .with_action_id(PAGE.into())
            .with_value(
                Browse {
                    offset: shown_to,
                    ..current.clone()
                }
                .to_string(),
            )
            .into(),
        );
    }
    if !pages.is_empty() {
        blocks.push(
            SlackActionsBlock::new(pages)
                .with_block_id("board_pages".into())
                .into(),
        );
    }
    blocks
}

/// One idea on the board: what it is and how it stands, then Vote / Unvote (not on one's own)
/// and Details.
fn idea_blocks(idea: &Idea, user: &UserId, page: &Browse) -> Vec<SlackBlock> {
    let text = format!(
        "{} · _{}_ · {}{}\n{}",
        idea.id,
        status_text(idea.status()),
        votes(idea.voters.len()),
        comments(idea.comments.len()),
        shorten(&idea.headline_text(), 500).replace('\n', " ")
    );
    let mut buttons: Vec<SlackActionBlockElement> = Vec::new();
    if idea.submitter != *user {
        let voted = idea.voters.contains(user);
        let (label, action) = if voted {
            ("Unvote", UNVOTE)
        } else {
            (":+1: Vote", VOTE)
        };
        let mut button = SlackBlockButtonElement::new(pt!(label))
            .with_action_id(action.into())
            .with_value(format!("{} {page}", idea.id));
        if !voted {
            button = button.with_style(SlackBlockButtonStyle::Primary);
        }
        buttons.push(button.into());
    }
    buttons.push(
        SlackBlockButtonElement::new(pt!("Details"))
            .with_action_id(DETAILS.into())
            .with_value(idea.id.to_string())
            .into(),
    );
    let n = idea.id.number();
    vec![
        SlackSectionBlock::new()
            .with_text(md!("{}", text))
            .with_block_id(format!("board_{n}").into())
            .into(),
        SlackActionsBlock::new(buttons)
            .with_block_id(format!("board_{n}_actions").into())
            .into(),
    ]
}

fn status_text(s: Status) -> String {
    match s {
        Status::Duplicate { of } => format!("Duplicate of {of}"),
        s => s.label().to_string(),
    }
}

/// The link to a message in Slack.
fn message_link(channel: &str, ts: &str) -> String {
    format!(
        "https://slack.com/archives/{channel}/p{}",
        ts.replace('.', "")
    )
}

/// An idea's Details modal.
pub fn details_modal(idea: &Idea, app: &App) -> SlackView {
    let config = app.config();
    let mut blocks: Vec<SlackBlock> = vec![SlackSectionBlock::new()
        .with_text(md!(
            "*Pitch* ({}, {})\n{}",
            super::card::person(idea, &idea.submitter),
            when(idea.created),
            shorten(&idea.pitch, SECTION_TEXT_MAX - 200)
        ))
        .into()];
    if let Some(r) = idea.reframe.as_ref().filter(|r| !r.is_empty()) {
        blocks.push(
            SlackSectionBlock::new()
                .with_text(md!(
                    "*Reframed*\n{}",
                    shorten(&r.statement(), SECTION_TEXT_MAX - 100)
                ))
                .into(),
        );
    }
    blocks.push(
        SlackSectionBlock::new()
            .with_fields(vec![
                md!("*Status*\n{}", status_text(idea.status())),
                md!("*Track*\n{}", shorten(config.track_name(&idea.track), 200)),
                md!("*Votes*\n{}", idea.voters.len()),
                md!("*Comments*\n{}", idea.comments.len()),
            ])
            .into(),
    );
    let link =
        idea.origin
            .permalink
            .clone()
            .or_else(|| match (&idea.origin.channel, &idea.origin.ts) {
                (Some(c), Some(ts)) => Some(message_link(c, ts)),
                _ => None,
            });
    if let Some(link) = link {
        blocks.push(
            SlackContextBlock::new(vec![md!("<{}|The original message>", shorten(&link, 1000))])
                .into(),
        );
    }
    blocks.push(SlackHeaderBlock::new(pt!("History")).into());
    let skipped = idea.history.len().saturating_sub(HISTORY_SHOWN);
    let mut lines: Vec<String> = Vec::new();
    if skipped > 0 {
        lines.push(format!("…{skipped} earlier change(s)"));
    }
    for c in idea.history.iter().skip(skipped) {
        let what = match (&c.edit, c.from) {
            (Some(edit), _) => match edit {
                crate::domain::Edit::Track { from, to } => format!("moved from {from} to {to}"),
                crate::domain::Edit::Verdict { from, to } => {
                    format!("verdict {} → {}", from.as_str(), to.as_str())
                }
                crate::domain::Edit::VotesMerged { from, votes } => {
                    format!("{votes} vote(s) merged from {from}")
                }
            },
            (None, None) => format!("pitched ({})", c.to.label().to_lowercase()),
            (None, Some(from)) => format!("{} → {}", from.label(), status_text(c.to)),
        };
        let mut line = format!(
            "{} · {} · {what}",
            when(c.at),
            super::card::person(idea, &c.by)
        );
        if let Some(r) = &c.reason {
            line.push_str(&format!(": {}", shorten(r, 200).replace('\n', " ")));
        }
        lines.push(line);
    }
    blocks.push(
        SlackSectionBlock::new()
            .with_text(md!("{}", shorten(&lines.join("\n"), SECTION_TEXT_MAX)))
            .into(),
    );
    blocks.push(SlackHeaderBlock::new(pt!("Comments ({})", idea.comments.len())).into());
    if idea.comments.is_empty() {
        blocks.push(
            SlackContextBlock::new(vec![md!(
                "No comments yet. Reply in the thread of the idea's message to add one."
            )])
            .into(),
        );
    }
    let skipped = idea.comments.len().saturating_sub(COMMENTS_SHOWN);
    if skipped > 0 {
        blocks.push(SlackContextBlock::new(vec![md!("…{} earlier comment(s)", skipped)]).into());
    }
    for c in idea.comments.iter().skip(skipped) {
        blocks.push(
            SlackSectionBlock::new()
                .with_text(md!(
                    "{} · {} · <{}|thread>\n{}",
                    super::card::person(idea, &c.by),
                    when(c.at),
                    message_link(&c.channel, &c.ts),
                    shorten(&c.text, SECTION_TEXT_MAX - 300)
                ))
                .into(),
        );
    }
    SlackView::Modal(
        SlackModalView::new(pt!(shorten(&idea.id.to_string(), MODAL_TITLE_MAX)), blocks)
            .with_close(pt!("Close")),
    )
}

/// The Search modal, with the results of `query` when there is one.
pub fn search_modal(query: &str, results: Option<&[Idea]>) -> SlackView {
    let mut input = SlackBlockPlainTextInputElement::new()
        .with_action_id(QUERY.into())
        .with_max_length(200)
        .with_placeholder(pt!("e.g. spare parts technicians"));
    if !query.is_empty() {
        input = input.with_initial_value(shorten(query, 200));
    }
    let mut blocks: Vec<SlackBlock> =
        vec![SlackInputBlock::new(pt!("Words to look for"), input.into())
            .with_block_id(QUERY.into())
            .into()];
    if let Some(results) = results {
        if results.is_empty() {
            blocks.push(
                SlackSectionBlock::new()
                    .with_text(md!("Nothing matches *{}*.", shorten(query, 200)))
                    .into(),
            );
        }
        for idea in results {
            blocks.push(
                SlackSectionBlock::new()
                    .with_text(md!(
                        "{} · _{}_ · {}{}\n{}",
                        idea.id,
                        status_text(idea.status()),
                        votes(idea.voters.len()),
                        comments(idea.comments.len()),
                        shorten(&idea.headline_text(), 400).replace('\n', " ")
                    ))
                    .with_accessory(
                        SlackBlockButtonElement::new(pt!("Details"))
                            .with_action_id(DETAILS.into())
                            .with_value(idea.id.to_string())
                            .into(),
                    )
                    .with_block_id(format!("result_{}", idea.id.number()).into())
                    .into(),
            );
        }
    }
    SlackView::Modal(
        SlackModalView::new(pt!("Search ideas"), blocks)
            .with_submit(pt!("Search"))
            .with_close(pt!("Close"))
            .with_callback_id(SEARCH_MODAL.into()),
    )
}

/// The query a Search modal was submitted with.
pub(super) fn read_query(state: Option<&SlackViewState>) -> String {
    state
        .and_then(|s| s.values.get(&SlackBlockId::new(QUERY.into())))
        .and_then(|b| b.get(&SlackActionId::new(QUERY.into())))
        .and_then(|v| v.value.clone())
        .unwrap_or_default()
}
