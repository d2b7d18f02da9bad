//! Block Kit for problemfirst: the app's plain replies rendered as message blocks, the pitch and
//! Reframe modals, and reading a modal's fields back. Everything stays inside Slack's limits
//! (text lengths, block counts, ids), and long pitches are shortened politely.

use crate::app::{shorten, Action, Reply};
use crate::domain::{Element, IdeaId, Reframe};
use slack_morphism::prelude::*;
use std::collections::HashMap;

/// Slack's limits that matter here (docs.slack.dev/reference/block-kit).
pub const SECTION_TEXT_MAX: usize = 3000;
pub const FIELD_TEXT_MAX: usize = 2000;
pub const FIELDS_MAX: usize = 10;
pub const MODAL_TITLE_MAX: usize = 24;
pub const INPUT_MAX: usize = 3000;
pub const MESSAGE_BLOCKS_MAX: usize = 50;

/// Callback ids of the two modals and action ids of the coaching buttons.
pub const NEW_IDEA_MODAL: &str = "new_idea";
pub const REFRAME_MODAL: &str = "reframe";
/// The pitch form's "Pitch anonymously" box: block, action and option value alike.
pub const ANONYMOUS_BLOCK: &str = "anonymous";
pub const TRACK_BLOCK: &str = "track";
/// Callback ids of the shortcuts declared in the app manifest.
pub const SUBMIT_AS_IDEA_SHORTCUT: &str = "submit_as_idea";
pub const NEW_IDEA_SHORTCUT: &str = "new_idea";

/// The fields of the pitch and Reframe modals, with the block id each is read back from.
const FIELDS: [(Field, &str, &str, bool); 6] = [
    (
        Field::Who,
        "Who is affected?",
        "A role, not \"we\": e.g. night-shift nurses",
        false,
    ),
    (
        Field::Problem,
        "What is hard for them today?",
        "Use a verb: can't…, waits…, re-types…",
        false,
    ),
    (
        Field::Evidence,
        "How do you know?",
        "Numbers, tickets, interviews, a survey",
        true,
    ),
    (
        Field::Impact,
        "What does it cost, or what happens if nothing changes?",
        "Time, money, customers, safety",
        true,
    ),
    (
        Field::Workaround,
        "How do they cope today?",
        "Spreadsheets, e-mail, asking around…",
        true,
    ),
    (
        Field::Solution,
        "Your solution idea (optional, kept)",
        "Any idea you already have",
        true,
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Who,
    Problem,
    Evidence,
    Impact,
    Workaround,
    Solution,
}

impl Field {
    fn block_id(self) -> &'static str {
        match self {
            Field::Who => "who",
            Field::Problem => "problem",
            Field::Evidence => "evidence",
            Field::Impact => "impact",
            Field::Workaround => "workaround",
            Field::Solution => "solution",
        }
    }

    fn get(self, r: &Reframe) -> &str {
        match self {
            Field::Who => &r.who,
            Field::Problem => &r.problem,
            Field::Evidence => &r.evidence,
            Field::Impact => &r.impact,
            Field::Workaround => &r.workaround,
            Field::Solution => &r.solution,
        }
    }

    fn set(self, r: &mut Reframe, value: String) {
        match self {
            Field::Who => r.who = value,
            Field::Problem => r.problem = value,
            Field::Evidence => r.evidence = value,
            Field::Impact => r.impact = value,
            Field::Workaround => r.workaround = value,
            Field::Solution => r.solution = value,
        }
    }
}

/// The action id of a coaching button.
pub fn action_id(action: Action) -> &'static str {
    match action {
        Action::Reframe(_) => "reframe",
        Action::FileAnyway(_) => "file_anyway",
        Action::Withdraw(_) => "withdraw",
    }
}

/// A reply as message blocks: the text, its fields, and its buttons.
pub fn reply_blocks(reply: &Reply) -> Vec<SlackBlock> {
    let mut blocks: Vec<SlackBlock> = vec![SlackSectionBlock::new()
        .with_text(md!("{}", shorten(&reply.text, SECTION_TEXT_MAX)))
        .into()];
    if let Some(tip) = &reply.tip {
        blocks.push(
            SlackContextBlock::new(vec![md!(":bulb: {}", shorten(tip, SECTION_TEXT_MAX - 16))])
                .into(),
        );
    }
    if !reply.fields.is_empty() {
        let fields = reply
            .fields
            .iter()
            .take(FIELDS_MAX)
            .map(|(k, v)| md!("*{}*\n{}", k, shorten(v, FIELD_TEXT_MAX - k.len() - 4)))
            .collect();
        blocks.push(SlackContextBlock::new(fields).into());
    }
    if !reply.actions.is_empty() {
        let buttons: Vec<SlackActionBlockElement> = reply
            .actions
            .iter()
            .map(|&a| {
                let b = SlackBlockButtonElement::new(pt!(a.label()))
                    .with_action_id(action_id(a).into())
                    .with_value(a.idea().to_string());
                match a {
                    Action::Reframe(_) => b.with_style(SlackBlockButtonStyle::Primary),
                    _ => b,
                }
                .into()
            })
            .collect();
        let id = reply.actions[0].idea();
        blocks.push(
            SlackActionsBlock::new(buttons)
                .with_block_id(format!("coach_{}", id.number()).into())
                .into(),
        );
    }
    blocks
}

/// A reply as a message: its text (shortened for notifications) and its blocks.
pub fn content(reply: &Reply) -> SlackMessageContent {
    SlackMessageContent::new()
        .with_text(shorten(&reply.text, SECTION_TEXT_MAX))
        .with_blocks(reply_blocks(reply))
}

/// A message of text alone.
pub fn text_content(text: &str) -> SlackMessageContent {
    SlackMessageContent::new().with_text(text.to_string())
}

/// The modal for a new pitch, field by field, with the track to file it in.
pub fn pitch_modal(tracks: &[(String, String)], chosen: Option<&str>, metadata: &str) -> SlackView {
    let mut blocks: Vec<SlackBlock> = vec![SlackSectionBlock::new()
        .with_text(md!("Start from the people and what is hard for them; any solution can wait for the last field."))
        .into()];
    blocks.extend(field_inputs(&Reframe::default()));
    blocks.push(track_input(tracks, chosen));
    blocks.push(anonymous_input());
    SlackView::Modal(
        SlackModalView::new(pt!("Pitch an idea"), blocks)
            .with_submit(pt!("File idea"))
            .with_close(pt!("Cancel"))
            .with_callback_id(NEW_IDEA_MODAL.into())
            .with_private_metadata(metadata.to_string()),
    )
}

/// The Reframe modal for a draft, prefilled from what the pitch already says.
/// The Reframe form carries the idea and the address of the coaching message it came from, so
/// that filing can replace that message.
fn reframe_metadata(id: IdeaId, coaching_url: Option<&str>) -> String {
    match coaching_url {
        Some(url) => format!("{id} {url}"),
        None => id.to_string(),
    }
}

/// Reads back what [`reframe_metadata`] wrote.
pub fn read_reframe_metadata(metadata: &str) -> Option<(IdeaId, Option<String>)> {
    let (id, url) = match metadata.split_once(' ') {
        Some((id, url)) => (id, Some(url.to_string())),
        None => (metadata, None),
    };
    Some((id.parse().ok()?, url))
}

pub fn reframe_modal(
    id: IdeaId,
    coaching_url: Option<String>,
    prefill: &Reframe,
    pitch: &str,
    tracks: &[(String, String)],
    chosen: Option<&str>,
) -> SlackView {
    let mut blocks: Vec<SlackBlock> = vec![SlackContextBlock::new(vec![md!(
        "You pitched: _{}_",
        shorten(pitch, 280).replace('_', " ")
    )])
    .into()];
    blocks.extend(field_inputs(prefill));
    blocks.push(track_input(tracks, chosen));
    let title = shorten(&format!("Reframe {id}"), MODAL_TITLE_MAX);
    SlackView::Modal(
        SlackModalView::new(pt!(title), blocks)
            .with_submit(pt!("Send"))
            .with_close(pt!("Cancel"))
            .with_callback_id(REFRAME_MODAL.into())
            .with_private_metadata(reframe_metadata(id, coaching_url.as_deref())),
    )
}

fn field_inputs(prefill: &Reframe) -> Vec<SlackBlock> {
    FIELDS
        .iter()
        .map(|&(field, label, hint, optional)| {
            let mut input = SlackBlockPlainTextInputElement::new()
                .with_action_id(field.block_id().into())
                .with_multiline(field != Field::Who)
                .with_max_length(INPUT_MAX as u64)
                .with_placeholder(pt!(hint));
            let initial = field.get(prefill).trim();
            if !initial.is_empty() {
                input = input.with_initial_value(shorten(initial, INPUT_MAX));
            }
            SlackInputBlock::new(pt!(label), input.into())
                .with_block_id(field.block_id().into())
                .with_optional(optional)
                .into()
        })
        .collect()
}

fn track_input(tracks: &[(String, String)], chosen: Option<&str>) -> SlackBlock {
    let option =
        |(id, name): &(String, String)| SlackBlockChoiceItem::new(pt!(name.clone()), id.clone());
    let mut select = SlackBlockStaticSelectElement::new()
        .with_action_id(TRACK_BLOCK.into())
        .with_options(tracks.iter().map(option).collect());
    if let Some(t) = chosen.and_then(|c| tracks.iter().find(|(id, _)| id == c)) {
        select = select.with_initial_option(option(t));
    }
    SlackInputBlock::new(pt!("Track"), select.into())
        .with_block_id(TRACK_BLOCK.into())
        .with_optional(true)
        .into()
}

/// The pitch form's "don't show my name" box.
fn anonymous_input() -> SlackBlock {
    let option = SlackBlockChoiceItem::new(md!("Pitch anonymously"), ANONYMOUS_BLOCK.into())
        .with_description(pt!(
            "Leads and colleagues see \"anonymous\"; whoever administers the bot's store can still see who pitched it."
        ));
    SlackInputBlock::new(
        pt!("Name"),
        SlackBlockCheckboxesElement::new(vec![option])
            .with_action_id(ANONYMOUS_BLOCK.into())
            .into(),
    )
    .with_block_id(ANONYMOUS_BLOCK.into())
    .with_optional(true)
    .into()
}

/// Whether the pitch form was submitted with "Pitch anonymously" ticked.
pub fn read_anonymous(state: Option<&SlackViewState>) -> bool {
    state
        .and_then(|s| s.values.get(&SlackBlockId::new(ANONYMOUS_BLOCK.into())))
        .and_then(|b| b.get(&SlackActionId::new(ANONYMOUS_BLOCK.into())))
        .and_then(|v| v.selected_options.as_ref())
        .is_some_and(|o| o.iter().any(|o| o.value == ANONYMOUS_BLOCK))
}

/// The fields and track a modal was submitted with.
pub fn read_fields(state: Option<&SlackViewState>) -> (Reframe, Option<String>) {
    let mut fields = Reframe::default();
    let value = |block: &str| -> Option<&SlackViewStateValue> {
        state?
            .values
            .get(&SlackBlockId::new(block.into()))?
            .get(&SlackActionId::new(block.into()))
    };
    for (field, ..) in FIELDS {
        if let Some(v) = value(field.block_id()).and_then(|v| v.value.clone()) {
            field.set(&mut fields, v);
        }
    }
    let track = value(TRACK_BLOCK)
        .and_then(|v| v.selected_option.as_ref())
        .map(|o| o.value.clone());
    (fields, track)
}

/// Field errors for `response_action: errors`, keyed by block id.
pub fn field_errors(notes: &[(Element, String)]) -> HashMap<String, String> {
    notes
        .iter()
        .map(|(element, message)| {
            let block = match element {
                Element::Who => Field::Who,
                Element::Problem => Field::Problem,
                Element::Evidence => Field::Evidence,
                Element::Impact => Field::Impact,
                Element::Workaround => Field::Workaround,
            };
            (block.block_id().to_string(), shorten(message, 150))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn tracks() -> Vec<(String, String)> {
        vec![
            ("execution".into(), "Execution".into()),
            ("search".into(), "Search".into()),
        ]
    }

    fn json<T: serde::Serialize>(x: &T) -> Value {
        serde_json::to_value(x).unwrap_or_default()
    }

    #[test]
    fn a_coaching_reply_has_text_fields_and_three_buttons_with_the_idea_id() {
        let id = IdeaId::new(7);
        let reply = Reply {
            text: "I noticed *blockchain*. Who would notice if this existed?".into(),
            fields: vec![("Draft".into(), "IDEA-7".into())],
            actions: vec![
                Action::Reframe(id),
                Action::FileAnyway(id),
                Action::Withdraw(id),
            ],
            tip: None,
        };
        let v = json(&reply_blocks(&reply));
        assert_eq!(v[0]["type"], "section");
        assert_eq!(v[0]["text"]["type"], "mrkdwn");
        assert_eq!(v[1]["type"], "context");
        let buttons = &v[2]["elements"];
        let ids: Vec<&str> = (0..3)
            .filter_map(|i| buttons[i]["action_id"].as_str())
            .collect();
        assert_eq!(ids, ["reframe", "file_anyway", "withdraw"]);
        assert!((0..3).all(|i| buttons[i]["value"] == "IDEA-7"));
        assert_eq!(buttons[0]["style"], "primary");
    }

    #[test]
    fn a_tip_is_a_context_line_within_its_limit_and_brings_no_buttons() {
        let reply = Reply {
            text: "Filed as *IDEA-3* in *Execution*.".into(),
            tip: Some(format!(
                "If you like, one thing to add: {}",
                "why? ".repeat(2000)
            )),
            ..Reply::default()
        };
        let v = json(&reply_blocks(&reply));
        assert_eq!(v[1]["type"], "context");
        let tip = v[1]["elements"][0]["text"].as_str().unwrap_or_default();
        assert!(tip.starts_with(":bulb: If you like"));
        assert!(tip.chars().count() <= SECTION_TEXT_MAX);
        assert!(v
            .as_array()
            .is_some_and(|b| b.iter().all(|b| b["type"] != "actions")));
    }

    #[test]
    fn a_huge_pitch_is_shortened_within_the_section_limit() {
        let reply = Reply {
            text: "word ".repeat(5000),
            ..Reply::default()
        };
        let v = json(&reply_blocks(&reply));
        let text = v[0]["text"]["text"].as_str().unwrap_or_default();
        assert!(text.chars().count() <= SECTION_TEXT_MAX);
        assert!(text.ends_with('…'));
    }

    #[test]
    fn the_reframe_modal_is_prefilled_and_within_limits() {
        let prefill = Reframe {
            who: "Field technicians".into(),
            solution: "x".repeat(5000),
            ..Reframe::default()
        };
        let coaching = "https://hooks.slack.com/actions/T1/123/abc";
        let view = reframe_modal(
            IdeaId::new(123_456_789),
            Some(coaching.to_string()),
            &prefill,
            "Let's use drones",
            &tracks(),
            Some("search"),
        );
        let v = json(&view);
        assert_eq!(v["type"], "modal");
        assert!(
            v["title"]["text"]
                .as_str()
                .unwrap_or_default()
                .chars()
                .count()
                <= MODAL_TITLE_MAX
        );
        assert_eq!(v["callback_id"], REFRAME_MODAL);
        let metadata = v["private_metadata"].as_str().unwrap_or_default();
        assert!(metadata.len() <= 3000);
        assert_eq!(
            read_reframe_metadata(metadata),
            Some((IdeaId::new(123_456_789), Some(coaching.to_string())))
        );
        assert_eq!(
            read_reframe_metadata("IDEA-7"),
            Some((IdeaId::new(7), None))
        );
        assert_eq!(read_reframe_metadata("not an id"), None);
        let blocks = v["blocks"].as_array().cloned().unwrap_or_default();
        assert_eq!(blocks.len(), 8, "context, six fields, track");
        assert_eq!(blocks[1]["element"]["initial_value"], "Field technicians");
        let solution = blocks[6]["element"]["initial_value"]
            .as_str()
            .unwrap_or_default();
        assert!(solution.chars().count() <= INPUT_MAX);
        assert_eq!(blocks[7]["element"]["initial_option"]["value"], "search");
    }

    #[test]
    fn submitted_fields_are_read_back_by_block_and_action_id() {
        let state: SlackViewState = serde_json::from_value(serde_json::json!({
            "values": {
                "who": {"who": {"type": "plain_text_input", "value": "Nurses"}},
                "problem": {"problem": {"type": "plain_text_input", "value": "lose handover notes"}},
                "track": {"track": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "Search"}, "value": "search"}}}
            }
        }))
        .unwrap_or_else(|e| panic!("state parses: {e}"));
        let (fields, track) = read_fields(Some(&state));
        assert_eq!(fields.who, "Nurses");
        assert_eq!(fields.problem, "lose handover notes");
        assert_eq!(fields.evidence, "");
        assert_eq!(track.as_deref(), Some("search"));
        assert_eq!(read_fields(None).0, Reframe::default());
    }

    #[test]
    fn field_errors_point_at_the_modal_blocks() {
        let errors = field_errors(&[(Element::Who, "Name who is affected.".into())]);
        assert_eq!(
            errors.get("who").map(String::as_str),
            Some("Name who is affected.")
        );
    }

    #[test]
    fn the_pitch_modal_offers_every_track() {
        let v = json(&pitch_modal(&tracks(), None, "C123"));
        assert_eq!(v["callback_id"], NEW_IDEA_MODAL);
        let blocks = v["blocks"].as_array().cloned().unwrap_or_default();
        let block = |id: &str| {
            blocks
                .iter()
                .find(|b| b["block_id"] == id)
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(
            block(TRACK_BLOCK)["element"]["options"]
                .as_array()
                .map(Vec::len),
            Some(2)
        );
        // The box for pitching anonymously, optional and unticked.
        let anonymous = block(ANONYMOUS_BLOCK);
        assert_eq!(anonymous["element"]["type"], "checkboxes");
        assert_eq!(anonymous["optional"], true);
        assert!(anonymous["element"].get("initial_options").is_none());
        assert!(blocks.len() <= MESSAGE_BLOCKS_MAX);
    }
}
