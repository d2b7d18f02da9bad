//! Triage in Slack: the triage card (posted to a track's triage channel, updated in place), its
//! buttons and the small forms for decisions that need a reason, who the leads are (user groups
//! resolved with `usergroups.users.list` and cached for a few minutes), and reactions counted as
//! votes. Whether someone may decide is the app's call ([`App::triage`]); this module only finds
//! out who they are and shows the outcome.
//!
//! [`App::triage`]: crate::app::App::triage

use super::blocks::{MESSAGE_BLOCKS_MAX, MODAL_TITLE_MAX, SECTION_TEXT_MAX};
use super::bot::Bot;
use super::outbox::{failure, Failure};
use crate::app::{shorten, Actor, AppError, CardView, Decision};
use crate::config::{Config, Lead};
use crate::domain::{
    Audience, Card, Change, Edit, Idea, IdeaId, Judgement, Notice, Side, Status, Verdict,
};
use jiff::Timestamp;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

/// Action ids of the card's buttons (the same on the App Home's queue).
pub const REVIEW: &str = "triage_review";
pub const ACCEPT: &str = "triage_accept";
pub const PARK: &str = "triage_park";
pub const DECLINE: &str = "triage_decline";
pub const DUPLICATE: &str = "triage_duplicate";
pub const MOVE: &str = "triage_move";
pub const ASK_REFRAME: &str = "triage_ask_reframe";
pub const REOPEN: &str = "triage_reopen";
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

/// How long a user group's members are trusted before they are looked up again.
const GROUP_TTL: Duration = Duration::from_secs(5 * 60);
/// How long a click waits for a user group lookup: the form must open within Slack's 3 seconds.
const LOOKUP_BUDGET: Duration = Duration::from_millis(1_500);
/// Phrases quoted as the reason for a verdict.
const WHY_PHRASES: usize = 5;

/// A triage button: what it decides, its label, and whether it needs the form first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Review,
    Accept,
    Park,
    Decline,
    Duplicate,
    Move,
    AskReframe,
    Reopen,
}

impl Kind {
    const ALL: [Kind; 8] = [
        Kind::Review,
        Kind::Accept,
        Kind::Park,
        Kind::Decline,
        Kind::Duplicate,
        Kind::Move,
        Kind::AskReframe,
        Kind::Reopen,
    ];

    fn action_id(self) -> &'static str {
        match self {
            Kind::Review => REVIEW,
            Kind::Accept => ACCEPT,
            Kind::Park => PARK,
            Kind::Decline => DECLINE,
            Kind::Duplicate => DUPLICATE,
            Kind::Move => MOVE,
            Kind::AskReframe => ASK_REFRAME,
            Kind::Reopen => REOPEN,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Review => "In review",
            Kind::Accept => "Accept",
            Kind::Park => "Park",
            Kind::Decline => "Decline",
            Kind::Duplicate => "Duplicate of…",
            Kind::Move => "Move track",
            Kind::AskReframe => "Ask to reframe",
            Kind::Reopen => "Reopen",
        }
    }

    /// The name written in the form's metadata.
    fn name(self) -> &'static str {
        self.action_id().trim_start_matches("triage_")
    }

    fn from_action(action_id: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.action_id() == action_id)
    }

    fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Decisions made only once a small form says why (or which idea, which track).
    fn needs_form(self) -> bool {
        matches!(
            self,
            Kind::Park | Kind::Decline | Kind::Duplicate | Kind::Move | Kind::AskReframe
        )
    }

    /// The decision, once the form (if any) is filled in.
    fn decision(self, of: Option<IdeaId>, track: Option<String>) -> Decision {
        match self {
            Kind::Review => Decision::Review,
            Kind::Accept => Decision::Accept,
            Kind::Park => Decision::Park,
            Kind::Decline => Decision::Decline,
            // Id 0 is never handed out: before the form, "a duplicate of some other idea".
            Kind::Duplicate => Decision::Duplicate {
                of: of.unwrap_or(IdeaId::new(0)),
            },
            Kind::Move => Decision::Move {
                track: track.unwrap_or_default(),
            },
            Kind::AskReframe => Decision::AskReframe,
            Kind::Reopen => Decision::Reopen,
        }
    }

    /// The buttons that make sense for an idea in `status`; the app refuses the others anyway
    /// (a card or Home can be out of date).
    fn offered(status: Status) -> &'static [Kind] {
        use Kind::*;
        match status {
            Status::New => &[Review, Accept, Park, Decline, Duplicate, Move, AskReframe],
            Status::InReview => &[Accept, Park, Decline, Duplicate, Move, AskReframe],
            Status::Parked => &[Reopen, Duplicate, Move, AskReframe],
            Status::Accepted | Status::Declined | Status::Duplicate { .. } => &[Reopen, Move],
            Status::Draft => &[Move],
            Status::Withdrawn => &[],
        }
    }
}

/// Whether an action id belongs to triage (this module) or the App Home.
pub fn handles(action_id: &str) -> bool {
    action_id.starts_with("triage_") || action_id.starts_with(super::home::ACTION_PREFIX)
}

// ---------------------------------------------------------------------------------- leads

/// A user group's members and when they were looked up.
type Members = (Instant, Arc<HashSet<String>>);

/// Members of the user groups, per store (one workspace each). Kept outside [`Bot`] so every
/// transport and the delivery worker share it.
static GROUPS: LazyLock<Mutex<HashMap<(PathBuf, String), Members>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Who `user` is for triage: the configured user groups they belong to. Admins need no lookup.
pub async fn actor(bot: &Bot, user: &str) -> Actor {
    let config = &bot.app.config;
    let mut actor = Actor::person(user);
    if config.admins.iter().any(|a| a == user) {
        return actor;
    }
    for group in configured_groups(config) {
        if members(bot, &group).await.contains(user) {
            actor.groups.insert(group);
        }
    }
    actor
}

fn configured_groups(config: &Config) -> BTreeSet<String> {
    config
        .tracks
        .iter()
        .flat_map(|t| &t.leads)
        .filter_map(|l| match l {
            Lead::Group(g) => Some(g.clone()),
            Lead::Person(_) => None,
        })
        .collect()
}

/// A user group's members: from the cache while fresh, else from Slack. When Slack can't be
/// asked, the last known members stand in (or nobody, the safe side).
async fn members(bot: &Bot, group: &str) -> Arc<HashSet<String>> {
    let key = (bot.app.store.dir().to_path_buf(), group.to_string());
    let cached = GROUPS.lock().ok().and_then(|g| g.get(&key).cloned());
    if let Some((at, users)) = &cached {
        if at.elapsed() < GROUP_TTL {
            return Arc::clone(users);
        }
    }
    let req = SlackApiUserGroupsUsersListRequest::new(group.to_string().into());
    match tokio::time::timeout(LOOKUP_BUDGET, bot.session().usergroups_users_list(&req)).await {
        Ok(Ok(resp)) => {
            let users: Arc<HashSet<String>> =
                Arc::new(resp.users.iter().map(|u| u.to_string()).collect());
            if let Ok(mut g) = GROUPS.lock() {
                g.insert(key, (Instant::now(), Arc::clone(&users)));
            }
            users
        }
        outcome => {
            let error = match outcome {
                Ok(Err(e)) => e.to_string(),
                _ => "timed out".to_string(),
            };
            tracing::warn!(group, error, "could not look up a user group's members");
            cached.map(|(_, users)| users).unwrap_or_default()
        }
    }
}

// ------------------------------------------------------------------------------- the card

/// Delivers a `Notice::TriageCard`: posts the card to its track's triage channel the first time,
/// updates it in place after; when the idea moved to a track with another channel, the old card
/// says where it went and a new one is posted there.
pub(super) async fn deliver_card(
    bot: &Arc<Bot>,
    id: IdeaId,
) -> Result<Option<(String, String)>, Failure> {
    let view = bot.app.card_view(id).await.map_err(|e| Failure::Final {
        code: "unrenderable".into(),
        error: e.to_string(),
    })?;
    let original = match view.idea.status() {
        Status::Duplicate { of } => bot.app.store.get(of).ok().flatten().and_then(|i| i.card),
        _ => None,
    };
    let (text, blocks) = card(&view, original.as_ref());
    let content = SlackMessageContent::new()
        .with_text(text)
        .with_blocks(blocks);
    let session = bot.session();
    let post = |channel: String, content: SlackMessageContent| async {
        let req = SlackApiChatPostMessageRequest::new(channel.into(), content);
        let r = bot
            .session()
            .chat_post_message(&req)
            .await
            .map_err(failure)?;
        Ok::<_, Failure>(Some((r.channel.to_string(), r.ts.to_string())))
    };
    match (view.idea.card.clone(), view.channel.clone()) {
        (Some(old), Some(channel)) if old.channel != channel => {
            let (text, blocks) = moved_card(&view, &channel);
            let stub = SlackMessageContent::new()
                .with_text(text)
                .with_blocks(blocks);
            let req =
                SlackApiChatUpdateRequest::new(old.channel.clone().into(), stub, old.ts.into());
            if let Err(e) = session.chat_update(&req).await {
                // The new card matters more than the old one's note.
                tracing::warn!(error = %e, idea = %id, "could not mark the old triage card as moved");
            }
            post(channel, content).await
        }
        (Some(old), channel) => {
            let req = SlackApiChatUpdateRequest::new(
                old.channel.clone().into(),
                content.clone(),
                old.ts.clone().into(),
            );
            match session.chat_update(&req).await {
                Ok(_) => Ok(Some((old.channel, old.ts))),
                // Someone deleted the card: post it again where it belongs.
                Err(SlackClientError::ApiError(e))
                    if matches!(e.code.as_str(), "message_not_found" | "cant_update_message") =>
                {
                    post(channel.unwrap_or(old.channel), content).await
                }
                Err(e) => Err(failure(e)),
            }
        }
        (None, Some(channel)) => post(channel, content).await,
        (None, None) => Ok(None),
    }
}

/// The card: the pitch (its reframe when there is one), who pitched it, the verdict and why,
/// similar ideas, votes, the status with who decided and when, and the triage buttons.
pub fn card(view: &CardView, original: Option<&Card>) -> (String, Vec<SlackBlock>) {
    let idea = &view.idea;
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
        "Pitched by <@{}> {} · {}",
        idea.submitter,
        when(idea.created),
        votes(idea.voters.len())
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
fn moved_card(view: &CardView, channel: &str) -> (String, Vec<SlackBlock>) {
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
    let mut elements: Vec<SlackActionBlockElement> = Kind::offered(idea.status())
        .iter()
        .map(|&k| {
            let b = SlackBlockButtonElement::new(pt!(k.label()))
                .with_action_id(k.action_id().into())
                .with_value(idea.id.to_string());
            match k {
                Kind::Accept => b.with_style(SlackBlockButtonStyle::Primary),
                Kind::Decline => b.with_style(SlackBlockButtonStyle::Danger),
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
        (status, Some(c)) => format!("{} by <@{}> {}", status_label(status), c.by, when(c.at)),
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

pub(super) fn votes(n: usize) -> String {
    match n {
        1 => ":+1: 1 vote".into(),
        n => format!(":+1: {n} votes"),
    }
}

/// A time as Slack shows it in the reader's time zone, with UTC as the fallback.
pub(super) fn when(t: Timestamp) -> String {
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

// ---------------------------------------------------------------------------- the clicks

/// A triage button, the verdict select or "Original pitch", from a card or the App Home.
pub(super) async fn on_action(
    bot: &Arc<Bot>,
    a: &SlackInteractionBlockActionsEvent,
    action: &SlackInteractionActionInfo,
) {
    let Some(user) = a.user.as_ref().map(|u| u.id.to_string()) else {
        return;
    };
    let action_id = action.action_id.as_ref();
    if action_id.starts_with(super::home::ACTION_PREFIX) {
        super::home::on_action(bot, a, action, &user).await;
        return;
    }
    let tell = refusal_audience(a, &user);
    if action_id == OVERRULE {
        let picked = action
            .selected_option
            .as_ref()
            .and_then(|o| o.value.split_once(' '))
            .and_then(|(id, v)| Some((id.parse::<IdeaId>().ok()?, v.parse::<Verdict>().ok()?)));
        let Some((id, verdict)) = picked else {
            return;
        };
        decide(bot, id, user, Decision::Overrule { verdict }, tell).await;
        return;
    }
    let Some(id) = action
        .value
        .as_deref()
        .and_then(|v| v.parse::<IdeaId>().ok())
    else {
        return;
    };
    if action_id == ORIGINAL {
        open_original(bot, id, &a.trigger_id).await;
        return;
    }
    let Some(kind) = Kind::from_action(action_id) else {
        tracing::debug!(action = action_id, "triage action ignored");
        return;
    };
    if !kind.needs_form() {
        decide(bot, id, user, kind.decision(None, None), tell).await;
        return;
    }
    // Checked before the form opens, so nobody fills one in for nothing; the trigger id lives
    // about 3 seconds, hence the bounded lookup.
    let who = actor(bot, &user).await;
    let idea = match bot.app.may_triage(id, &who, &kind.decision(None, None)) {
        Ok(idea) => idea,
        Err(e) => {
            refuse(bot, tell, &e);
            return;
        }
    };
    let channel = match &tell {
        Audience::Privately { channel, .. } => Some(channel.as_str()),
        _ => None,
    };
    let view = decision_form(kind, &idea, &bot.app.config, channel);
    let req = SlackApiViewsOpenRequest::new(a.trigger_id.clone(), view);
    if let Err(e) = bot.open_view(&req).await {
        tracing::warn!(error = %e, "could not open a triage form");
    }
}

/// Makes a decision that needs no form, on disk before the acknowledgement (`Bot::before_ack`).
async fn decide(bot: &Arc<Bot>, id: IdeaId, user: String, decision: Decision, tell: Audience) {
    let bot2 = Arc::clone(bot);
    bot.before_ack(async move {
        let who = actor(&bot2, &user).await;
        if let Err(e) = bot2.app.triage(id, &who, decision, None).await {
            refuse(&bot2, tell, &e);
        }
    })
    .await;
}

/// Where a refusal is told: only to the person, in the channel they clicked in; from the App
/// Home (no channel), by direct message.
fn refusal_audience(a: &SlackInteractionBlockActionsEvent, user: &str) -> Audience {
    let channel = match &a.container {
        SlackInteractionActionContainer::Message(m) => m.channel_id.as_ref().map(|c| c.to_string()),
        _ => None,
    }
    .or_else(|| a.channel.as_ref().map(|c| c.id.to_string()));
    match channel {
        Some(channel) => Audience::Privately {
            channel,
            ts: None,
            user: user.to_string(),
        },
        None => Audience::Person {
            user: user.to_string(),
        },
    }
}

/// Tells the person why nothing changed.
fn refuse(bot: &Bot, to: Audience, e: &AppError) {
    if let AppError::Store(inner) = e {
        tracing::error!(error = %inner, "store error while triaging");
    }
    if let Err(err) = bot.app.store.enqueue(&[Notice::Text {
        to,
        text: e.to_string(),
    }]) {
        tracing::error!(error = %err, "could not queue a refusal");
    }
}

/// The small form for a decision that needs a reason, an original or a track.
fn decision_form(kind: Kind, idea: &Idea, config: &Config, channel: Option<&str>) -> SlackView {
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
    match kind {
        Kind::Duplicate => blocks.push(
            SlackInputBlock::new(
                pt!("Duplicate of which idea?"),
                text_input(ORIGINAL_ID, false, "IDEA-12").into(),
            )
            .with_block_id(ORIGINAL_ID.into())
            .into(),
        ),
        Kind::Move => {
            let options: Vec<_> = config
                .tracks
                .iter()
                .filter(|t| t.id != idea.track)
                .map(|t| SlackBlockChoiceItem::new(pt!(t.name.clone()), t.id.clone()))
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
    let (label, hint) = match kind {
        Kind::AskReframe => (
            "What should the reframe make clear?",
            "e.g. Who exactly waits, and how often?",
        ),
        Kind::Move => ("Why this track? (optional)", "The submitter reads this"),
        _ => ("Why?", "The submitter reads this"),
    };
    blocks.push(
        SlackInputBlock::new(pt!(label), text_input(REASON, true, hint).into())
            .with_block_id(REASON.into())
            .with_optional(kind == Kind::Move)
            .into(),
    );
    let title = shorten(
        &format!("{} {}", kind.label().trim_end_matches('…'), idea.id),
        MODAL_TITLE_MAX,
    );
    let submit = match kind {
        Kind::Duplicate => "Mark duplicate",
        Kind::Move => "Move",
        Kind::AskReframe => "Ask",
        _ => kind.label(),
    };
    SlackView::Modal(
        SlackModalView::new(pt!(title), blocks)
            .with_submit(pt!(submit))
            .with_close(pt!("Cancel"))
            .with_callback_id(DECISION_MODAL.into())
            .with_private_metadata(format!(
                "{} {} {}",
                kind.name(),
                idea.id,
                channel.unwrap_or("-")
            )),
    )
}

/// The decision form was sent: decide, or show in the form why not.
pub(super) async fn on_submission(
    bot: &Arc<Bot>,
    v: &SlackInteractionViewSubmissionEvent,
    metadata: &str,
) -> SlackInteractionResponse {
    let mut parts = metadata.split(' ');
    let (Some(kind), Some(id)) = (
        parts.next().and_then(Kind::from_name),
        parts.next().and_then(|s| s.parse::<IdeaId>().ok()),
    ) else {
        return SlackInteractionResponse::Empty;
    };
    let state = v.view.state_params.state.as_ref();
    let value = |block: &str| -> Option<&SlackViewStateValue> {
        state?
            .values
            .get(&SlackBlockId::new(block.into()))?
            .get(&SlackActionId::new(block.into()))
    };
    let reason = value(REASON).and_then(|v| v.value.clone());
    let track = value(TRACK_TO)
        .and_then(|v| v.selected_option.as_ref())
        .map(|o| o.value.clone());
    let of = match kind {
        Kind::Duplicate => {
            let typed = value(ORIGINAL_ID)
                .and_then(|v| v.value.clone())
                .unwrap_or_default();
            match typed.parse::<IdeaId>() {
                Ok(of) => Some(of),
                Err(_) => {
                    return form_error(ORIGINAL_ID, "Type the idea's id, e.g. IDEA-12.");
                }
            }
        }
        _ => None,
    };
    let who = actor(bot, v.user.id.as_ref()).await;
    match bot
        .app
        .triage(id, &who, kind.decision(of, track), reason)
        .await
    {
        Ok(_) => SlackInteractionResponse::Empty,
        Err(e) => {
            let block = match (&e, kind) {
                (AppError::NotFound(missing), Kind::Duplicate) if *missing != id => ORIGINAL_ID,
                (AppError::Refused(_), Kind::Duplicate) if !e.to_string().contains("Say why") => {
                    ORIGINAL_ID
                }
                (AppError::UnknownTrack { .. } | AppError::Refused(_), Kind::Move) => TRACK_TO,
                _ => REASON,
            };
            form_error(block, &e.to_string())
        }
    }
}

fn form_error(block: &str, message: &str) -> SlackInteractionResponse {
    let mut errors = HashMap::new();
    errors.insert(block.to_string(), shorten(message, 150));
    SlackViewSubmissionResponse::Errors(SlackViewSubmissionErrorsResponse::new(errors)).into()
}

/// Shows the pitch as first written (the card shows the reframe).
async fn open_original(bot: &Bot, id: IdeaId, trigger: &SlackTriggerId) {
    let Ok(Some(idea)) = bot.app.store.get(id) else {
        return;
    };
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
    let view = SlackView::Modal(
        SlackModalView::new(
            pt!(shorten(&format!("{id} as pitched"), MODAL_TITLE_MAX)),
            blocks,
        )
        .with_close(pt!("Close")),
    );
    if let Err(e) = bot
        .open_view(&SlackApiViewsOpenRequest::new(trigger.clone(), view))
        .await
    {
        tracing::warn!(error = %e, "could not show the original pitch");
    }
}

// ----------------------------------------------------------------------------- votes

/// A reaction added or removed (`on`): the configured one on a message of an idea is a vote.
pub(super) fn reaction(
    bot: &Bot,
    user: &SlackUserId,
    name: &SlackReactionName,
    author: Option<&SlackUserId>,
    item: &SlackReactionsItem,
    on: bool,
) {
    if !same_reaction(&bot.app.config.votes.reaction, &name.0) {
        return;
    }
    let SlackReactionsItem::Message(message) = item else {
        return;
    };
    let Some(channel) = message.origin.channel.as_ref() else {
        return;
    };
    let author = author.map(|a| a.to_string());
    if let Err(e) = bot.app.react(
        channel.as_ref(),
        message.origin.ts.as_ref(),
        author.as_deref(),
        user.as_ref(),
        on,
    ) {
        tracing::warn!(error = %e, "could not count a vote");
    }
}

/// Whether Slack's reaction `name` is the configured one: skin tones (`+1::skin-tone-3`) and the
/// thumbs' two names (`+1` / `thumbsup`) are the same reaction.
fn same_reaction(configured: &str, name: &str) -> bool {
    const ALIASES: [(&str, &str); 2] = [("+1", "thumbsup"), ("-1", "thumbsdown")];
    let base = name.split("::").next().unwrap_or_default();
    base == configured
        || ALIASES
            .iter()
            .any(|&(a, b)| (base, configured) == (a, b) || (base, configured) == (b, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reaction_counts_in_any_skin_tone_and_under_either_name() {
        for name in ["+1", "+1::skin-tone-2", "thumbsup", "thumbsup::skin-tone-6"] {
            assert!(same_reaction("+1", name), "{name}");
        }
        for name in ["-1", "tada", "+10", "thumbsdown"] {
            assert!(!same_reaction("+1", name), "{name}");
        }
        assert!(same_reaction("bulb", "bulb"));
        assert!(!same_reaction("bulb", "+1"));
    }

    #[test]
    fn buttons_are_offered_by_status_and_each_maps_to_its_decision() {
        assert_eq!(Kind::offered(Status::New).len(), 7);
        assert!(Kind::offered(Status::Withdrawn).is_empty());
        for kind in Kind::ALL {
            assert_eq!(Kind::from_action(kind.action_id()), Some(kind));
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(Kind::Park.decision(None, None), Decision::Park);
        assert!(Kind::Decline.needs_form() && !Kind::Accept.needs_form());
    }
}
