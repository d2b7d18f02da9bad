//! The triage card as Block Kit, with nothing but rendering in it: the card posted to a track's
//! triage channel (the pitch or its reframe, who pitched it, the verdict and why, similar ideas,
//! votes, the status with who decided and when) and its buttons, named after the moves of
//! [`Triage`]; what an old card says once its idea moved; the small form for a decision that
//! needs a reason; and the pitch as first written.

use super::blocks::{MESSAGE_BLOCKS_MAX, MODAL_TITLE_MAX, SECTION_TEXT_MAX};
use crate::app::{shorten, CardView};
use crate::config::Config;
use crate::domain::{Card, Change, Edit, Idea, Judgement, Side, Status, Triage, Verdict};
use jiff::Timestamp;
use slack_morphism::prelude::*;

/// Every triage action id starts with this: the card's buttons (`triage_<move>`, see
/// [`action_id`]), the verdict select and "Original pitch".
pub const ACTION_PREFIX: &str = "triage_";
/// The select that overrules the verdict.
pub const OVERRULE: &str = "triage_overrule";
/// Shows the pitch as first written, when the card shows its reframe.
pub const ORIGINAL: &str = "triage_original";
/// The callback id of the decision form.
pub const DECISION_MODAL: &str = "triage_decision";
/// Block and action ids of the decision form's inputs.
pub const REASON: &str = "reason";
pub const ORIGINAL_ID: &str = "original";
pub const TRACK_TO: &str = "track_to";

/// Phrases quoted as the reason for a verdict.
const WHY_PHRASES: usize = 5;

/// The action id of a move's button: `triage_` and the move's name (`triage_ask_reframe`).
pub fn action_id(t: Triage) -> String {
    format!("{ACTION_PREFIX}{}", t.name())
}

/// The move a button's action id names.
pub fn triage_of(action_id: &str) -> Option<Triage> {
    Triage::from_name(action_id.strip_prefix(ACTION_PREFIX)?)
}

/// A move's button label.
pub fn label(t: Triage) -> &'static str {
    match t {
        Triage::Review => "In review",
        Triage::Accept => "Accept",
        Triage::Park => "Park",
        Triage::Decline => "Decline",
        Triage::Duplicate => "Duplicate of…",
        Triage::Move => "Move track",
        Triage::AskReframe => "Ask to reframe",
        Triage::Reopen => "Reopen",
    }
}

pub fn card(view: &CardView) -> (String, Vec<SlackBlock>) {
    let idea = &view.idea;
    let original = view.original.as_ref();
    let status = status_label(idea.status());
    let reframed = idea.reframe.as_ref().is_some_and(|r| !r.is_empty());
    let head = format!("*{}* · *{}* · {}\n", idea.id, view.track_name, status);
    let mut section = SlackSectionBlock::new().with_text(md!(
        "{}{}",
        head,
        shorten(
            &quote(&idea.headline_text()),
            SECTION_TEXT_MAX - head.chars().count() - 2
        )
    ));
    if reframed {
        section = section.with_accessory(
            SlackBlockButtonElement::new(pt!("Original pitch"))
                .with_action_id(ORIGINAL.into())
                .with_value(idea.id.to_string())
                .into(),
        );
    }
    let mut blocks: Vec<SlackBlock> = vec![section.into()];
    let mut about = format!(
        "Pitched by {} {} · {}{}",
        person(idea, &idea.submitter),
        when(idea.created),
        votes(idea.voters.len()),
        comments(idea.comments.len())
    );
    if reframed {
        about.push_str(" · reframed by the submitter");
    }
    blocks.push(SlackContextBlock::new(vec![md!("{}", about)]).into());
    blocks.push(SlackContextBlock::new(vec![md!("{}", verdict_line(idea))]).into());
    if !view.similar.is_empty() {
        let list: Vec<String> = view.similar.iter().map(crate::app::Similar::line).collect();
        blocks.push(
            SlackContextBlock::new(vec![md!(
                "{}",
                shorten(&format!("Similar: {}", list.join(" · ")), SECTION_TEXT_MAX)
            )])
            .into(),
        );
    }
    blocks.push(SlackContextBlock::new(vec![md!("{}", decided_line(idea, original))]).into());
    if let Some(actions) = triage_actions(idea, &format!("card_{}", idea.id.number())) {
        blocks.push(actions);
    }
    blocks.truncate(MESSAGE_BLOCKS_MAX);
    let text = shorten(
        &format!(
            "{} ({}, {}): {}",
            idea.id,
            view.track_name,
            idea.status().label(),
            idea.headline_text()
        ),
        300,
    );
    (text, blocks)
}

/// What the old card says once the idea moved to a track with another triage channel.
pub fn moved_card(view: &CardView, channel: &str) -> (String, Vec<SlackBlock>) {
    let idea = &view.idea;
    let by = idea
        .history
        .iter()
        .rev()
        .find(|c| matches!(c.edit, Some(Edit::Track { .. })))
        .map(|c| format!(" by <@{}> {}", c.by, when(c.at)))
        .unwrap_or_default();
    let text = format!(
        "*{}* moved to *{}*{by}; its card is now in <#{channel}>.",
        idea.id, view.track_name
    );
    let blocks = vec![
        SlackSectionBlock::new().with_text(md!("{}", text)).into(),
        SlackContextBlock::new(vec![md!(
            "{}",
            shorten(&quote(&idea.headline_text()), 2000)
        )])
        .into(),
    ];
    (shorten(&text, 300), blocks)
}

/// The triage buttons for an idea as it stands, and the verdict select, as one actions block.
pub fn triage_actions(idea: &Idea, block_id: &str) -> Option<SlackBlock> {
    let mut elements: Vec<SlackActionBlockElement> = idea
        .status()
        .offered()
        .into_iter()
        .map(|t| {
            let b = SlackBlockButtonElement::new(pt!(label(t)))
                .with_action_id(action_id(t).into())
                .with_value(idea.id.to_string());
            match t {
                Triage::Accept => b.with_style(SlackBlockButtonStyle::Primary),
                Triage::Decline => b.with_style(SlackBlockButtonStyle::Danger),
                _ => b,
            }
            .into()
        })
        .collect();
    if idea.status() != Status::Withdrawn {
        let options = Verdict::ALL
            .iter()
            .map(|v| {
                SlackBlockChoiceItem::new(
                    pt!("It is {}", v.describe()),
                    format!("{} {}", idea.id, v.as_str()),
                )
            })
            .collect();
        elements.push(
            SlackBlockStaticSelectElement::new()
                .with_action_id(OVERRULE.into())
                .with_placeholder(pt!("Overrule verdict"))
                .with_options(options)
                .into(),
        );
    }
    (!elements.is_empty()).then(|| {
        SlackActionsBlock::new(elements)
            .with_block_id(block_id.into())
            .into()
    })
}

fn status_label(status: Status) -> String {
    match status {
        Status::Draft => "*Draft* (awaiting a reframe)".into(),
        s => format!("*{}*", s.label()),
    }
}

/// "technology-led (82%). Why: 'we should use', 'blockchain'", and a lead's overrule.
fn verdict_line(idea: &Idea) -> String {
    let judged: &Judgement = idea.reframe_judged.as_ref().unwrap_or(&idea.judged);
    let side = match judged.verdict {
        Verdict::Problem => Side::Problem,
        Verdict::Tech => Side::Tech,
        Verdict::Vague => Side::Vague,
    };
    let mut phrases: Vec<String> = Vec::new();
    for hit in judged
        .hits
        .iter()
        .filter(|h| h.side == side && h.weight > 0.0)
    {
        let p = shorten(hit.text.trim(), 40).replace(['\n', '*', '_', '`'], " ");
        if !p.is_empty() && !phrases.iter().any(|q| q.eq_ignore_ascii_case(&p)) {
            phrases.push(p);
        }
        if phrases.len() == WHY_PHRASES {
            break;
        }
    }
    let mut line = format!(
        "*Verdict:* {} ({:.0}%)",
        judged.verdict.describe(),
        judged.confidence * 100.0
    );
    if !phrases.is_empty() {
        let quoted: Vec<String> = phrases.iter().map(|p| format!("'{p}'")).collect();
        line.push_str(&format!(". Why: {}", quoted.join(", ")));
    }
    if let Some(o) = &idea.overrule {
        line.push_str(&format!(
            " · *overruled* as {} by <@{}>",
            o.verdict.describe(),
            o.by
        ));
    }
    line
}

/// Someone who changed `idea`, as others are shown them: "anonymous" for the submitter of an
/// anonymous idea (their own withdrawal, filing or reframe would name them otherwise).
pub fn person(idea: &Idea, who: &crate::domain::UserId) -> String {
    match idea.byline() {
        None if *who == idea.submitter => "anonymous".into(),
        _ => format!("<@{who}>"),
    }
}

/// The status, who decided it and when, and why.
fn decided_line(idea: &Idea, original: Option<&Card>) -> String {
    let last: Option<&Change> = idea
        .history
        .iter()
        .rev()
        .find(|c| c.moves_status() && c.from.is_some());
    let mut line = match (idea.status(), last) {
        (Status::Duplicate { of }, Some(c)) => {
            let link = original
                .map(|card| format!(" (<{}|see its card>)", permalink(card)))
                .unwrap_or_default();
            format!(
                "*Duplicate* of *{of}*{link}, marked by <@{}> {}; its votes count there",
                c.by,
                when(c.at)
            )
        }
        (status, Some(c)) => format!(
            "{} by {} {}",
            status_label(status),
            person(idea, &c.by),
            when(c.at)
        ),
        (status, None) => format!("{} since {}", status_label(status), when(idea.created)),
    };
    if let Some(reason) = last.and_then(|c| c.reason.as_deref()) {
        line.push_str(&format!(": {}", shorten(reason, 1000).replace('\n', " ")));
    }
    shorten(&line, SECTION_TEXT_MAX)
}

/// A message's link, from its channel and timestamp (the form Slack's permalinks take).
fn permalink(card: &Card) -> String {
    format!(
        "https://slack.com/archives/{}/p{}",
        card.channel,
        card.ts.replace('.', "")
    )
}

/// " · 💬 n comments" when there are any (replies in the threads of the idea's messages).
pub fn comments(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => " · :speech_balloon: 1 comment".into(),
        n => format!(" · :speech_balloon: {n} comments"),
    }
}

pub fn votes(n: usize) -> String {
    match n {
        1 => ":+1: 1 vote".into(),
        n => format!(":+1: {n} votes"),
    }
}

/// A time as Slack shows it in the reader's time zone, with UTC as the fallback.
pub fn when(t: Timestamp) -> String {
    format!(
        "<!date^{}^{{date_short_pretty}} {{time}}|{}>",
        t.as_second(),
        t.strftime("%Y-%m-%d %H:%M UTC")
    )
}

/// A pitch as a block quote, one `>` per line.
fn quote(text: &str) -> String {
    text.lines()
        .map(|l| format!(">{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The small form for a move that needs a reason, an original or a track.
pub fn decision_form(t: Triage, idea: &Idea, config: &Config, channel: Option<&str>) -> SlackView {
    let mut blocks: Vec<SlackBlock> = vec![SlackContextBlock::new(vec![md!(
        "*{}*: {}",
        idea.id,
        shorten(&idea.headline_text(), 280).replace('\n', " ")
    )])
    .into()];
    let text_input = |id: &str, multiline: bool, hint: &str| {
        SlackBlockPlainTextInputElement::new()
            .with_action_id(id.into())
            .with_multiline(multiline)
            .with_max_length(2000)
            .with_placeholder(pt!(hint))
    };
    match t {
        // Searchable: Slack asks for the options as the lead types (`original_options`).
        Triage::Duplicate => blocks.push(
            SlackInputBlock::new(
                pt!("Duplicate of which idea?"),
                SlackBlockExternalSelectElement::new()
                    .with_action_id(ORIGINAL_ID.into())
                    .with_placeholder(pt!("Search by words or id"))
                    .with_min_query_length(0)
                    .into(),
            )
            .with_block_id(ORIGINAL_ID.into())
            .into(),
        ),
        Triage::Move => {
            let options: Vec<_> = config
                .tracks
                .iter()
                .filter(|t| t.id != idea.track)
                .map(|t| SlackBlockChoiceItem::new(pt!(t.name.clone()), t.id.to_string()))
                .collect();
            blocks.push(
                SlackInputBlock::new(
                    pt!("Move to which track?"),
                    SlackBlockStaticSelectElement::new()
                        .with_action_id(TRACK_TO.into())
                        .with_options(options)
                        .into(),
                )
                .with_block_id(TRACK_TO.into())
                .into(),
            );
        }
        _ => {}
    }
    let (question, hint) = match t {
        Triage::AskReframe => (
            "What should the reframe make clear?",
            "e.g. Who exactly waits, and how often?",
        ),
        Triage::Move => ("Why this track? (optional)", "The submitter reads this"),
        _ => ("Why?", "The submitter reads this"),
    };
    blocks.push(
        SlackInputBlock::new(pt!(question), text_input(REASON, true, hint).into())
            .with_block_id(REASON.into())
            .with_optional(t == Triage::Move)
            .into(),
    );
    let title = shorten(
        &format!("{} {}", label(t).trim_end_matches('…'), idea.id),
        MODAL_TITLE_MAX,
    );
    let submit = match t {
        Triage::Duplicate => "Mark duplicate",
        Triage::Move => "Move",
        Triage::AskReframe => "Ask",
        _ => label(t),
    };
    SlackView::Modal(
        SlackModalView::new(pt!(title), blocks)
            .with_submit(pt!(submit))
            .with_close(pt!("Cancel"))
            .with_callback_id(DECISION_MODAL.into())
            .with_private_metadata(format!(
                "{} {} {}",
                t.name(),
                idea.id,
                channel.unwrap_or("-")
            )),
    )
}

/// The pitch as first written (the card shows the reframe).
pub fn original_view(idea: &Idea) -> SlackView {
    let mut blocks: Vec<SlackBlock> = vec![SlackSectionBlock::new()
        .with_text(md!("{}", shorten(&quote(&idea.pitch), SECTION_TEXT_MAX)))
        .into()];
    if let Some(r) = idea.reframe.as_ref().filter(|r| !r.is_empty()) {
        blocks.push(
            SlackContextBlock::new(vec![md!(
                "{}",
                shorten(&format!("Reframed as: {}", r.statement()), 2000)
            )])
            .into(),
        );
    }
    SlackView::Modal(
        SlackModalView::new(
            pt!(shorten(&format!("{} as pitched", idea.id), MODAL_TITLE_MAX)),
            blocks,
        )
        .with_close(pt!("Close")),
    )
}

/// Slack's limit on an option's text.
const OPTION_TEXT_MAX: usize = 75;

/// The "Duplicate of…" picker's options: one per candidate, "IDEA-12 · In review · headline".
pub fn original_options(candidates: &[Idea]) -> SlackBlockSuggestionResponse {
    let options = candidates
        .iter()
        .map(|i| {
            let text = format!(
                "{} · {} · {}",
                i.id,
                i.status().label(),
                i.headline_text().replace('\n', " ")
            );
            SlackBlockChoiceItem::new(pt!(shorten(&text, OPTION_TEXT_MAX)), i.id.to_string())
        })
        .collect();
    SlackBlockSuggestionResponse::Options(SlackBlockSuggestionOptions::new(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_move_has_a_button_that_names_it() {
        for t in Triage::ALL {
            assert_eq!(triage_of(&action_id(t)), Some(t));
            assert!(!label(t).is_empty());
        }
        assert_eq!(action_id(Triage::AskReframe), "triage_ask_reframe");
        assert_eq!(triage_of(OVERRULE), None);
        assert_eq!(triage_of(ORIGINAL), None);
        assert_eq!(triage_of("reframe"), None);
    }
}
