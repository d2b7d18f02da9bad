//! The weekly digest in Block Kit: the message the delivery worker posts for a `Digest` notice,
//! and the preview `/idea digest` shows only to the person who asked.
//!
//! The layout is fixed — a header, at most a dozen blocks — and every list is cut to a few lines
//! with "…and 37 more", so a week of any size stays far inside Slack's limits (50 blocks, 3,000
//! characters a section, 150 a header). People's text is escaped: a pitch that says `<!channel>`
//! must not ping the digest channel.

use super::blocks::{FIELD_TEXT_MAX, MESSAGE_BLOCKS_MAX, SECTION_TEXT_MAX};
use crate::app::digest as words;
use crate::app::{shorten, App, AppError};
use crate::domain::digest::{Digest, Listed, DECISIONS_LISTED};
use crate::domain::WeekStart;
use slack_morphism::prelude::*;

/// Slack's limit on a header's text.
pub const HEADER_TEXT_MAX: usize = 150;
/// The plain-text fallback shown in notifications; the blocks carry the rest.
const FALLBACK_MAX: usize = 3000;

/// The digest of the week starting on `week` (`YYYY-MM-DD`) as a message, computed from the
/// store now. The same digest goes to every channel.
pub fn digest_message(app: &App, week: WeekStart) -> Result<SlackMessageContent, AppError> {
    Ok(digest_content(&app.digest_of_week(week)?))
}

/// `/idea digest`: the next digest as it stands, for the person who asked only (the command's
/// acknowledgement is ephemeral). Read off the async workers: a busy week takes a moment.
pub async fn preview(app: &App) -> SlackMessageContent {
    let app = app.clone();
    let now = app.now();
    let digest = tokio::task::spawn_blocking(move || app.digest_preview(now)).await;
    match digest {
        Ok(Ok(d)) => digest_content(&d),
        Ok(Err(e)) => text_only(&e.to_string()),
        Err(e) => {
            tracing::error!(error = %e, "the digest preview failed");
            text_only("I couldn't put the digest together just now. Please try again.")
        }
    }
}

fn text_only(text: &str) -> SlackMessageContent {
    SlackMessageContent::new().with_text(text.to_string())
}

/// The digest as a message: blocks, and a short plain-text fallback for notifications.
pub fn digest_content(d: &Digest) -> SlackMessageContent {
    let fallback = format!("{}: {}", words::digest_title(d), fallback_summary(d));
    SlackMessageContent::new()
        .with_text(shorten(&fallback, FALLBACK_MAX))
        .with_blocks(digest_blocks(d))
}

fn fallback_summary(d: &Digest) -> String {
    if d.is_quiet() {
        return "a quiet week.".into();
    }
    format!(
        "{}; decisions: {}.",
        words::new_ideas_line(d),
        words::decisions_line(d)
    )
}

/// The digest's blocks.
pub fn digest_blocks(d: &Digest) -> Vec<SlackBlock> {
    let mut blocks: Vec<SlackBlock> = vec![
        SlackHeaderBlock::new(pt!(shorten(&words::digest_title(d), HEADER_TEXT_MAX))).into(),
        context(&escape(&d.period)),
    ];
    if d.is_quiet() {
        blocks.push(section(escape(words::quiet_line())));
        if d.waiting.count > 0 {
            blocks.push(context(&format!(
                "{} still wait for triage.",
                escape(&words::waiting_line(d))
            )));
        }
        return blocks;
    }

    // New ideas per track, as a bar chart in a code block so the bars line up.
    let rows = words::track_rows(d)
        .iter()
        .map(|r| r.replace("```", "'''"))
        .collect::<Vec<_>>()
        .join("\n");
    blocks.push(section(format!(
        "*New ideas* · {}\n```{}```",
        escape(&words::new_ideas_line(d)),
        escape(&rows)
    )));

    // Pitch quality, the bot's own effect, week on week.
    blocks.push(
        SlackSectionBlock::new()
            .with_text(md!("*Pitch quality*"))
            .with_fields(vec![
                md!(field(&format!(
                    "*Problem-led at first pitch*\n{}",
                    escape(&words::problem_led_line(d))
                ))),
                md!(field(&format!(
                    "*Tech-led pitches reframed into problem statements*\n{}",
                    escape(&words::reframed_line(d))
                ))),
            ])
            .into(),
    );
    blocks.push(SlackDividerBlock::new().into());

    let mut voted = vec!["*Most voted*".to_string()];
    if d.most_voted.is_empty() {
        voted.push("No votes on this week's ideas yet.".into());
    }
    for (n, i) in d.most_voted.iter().enumerate() {
        voted.push(format!(
            "{}. {} · {}",
            n + 1,
            idea_line(d, i),
            words::count(i.votes, "vote", "votes")
        ));
    }
    blocks.push(section(voted.join("\n")));

    let mut decided = vec![format!("*Decisions* · {}", words::decisions_line(d))];
    for k in &d.decisions.latest {
        decided.push(format!(
            "{} {}",
            words::status_label(k.status),
            idea_line(d, &k.idea)
        ));
    }
    let listed = DECISIONS_LISTED.min(d.decisions.latest.len());
    decided.extend(words::and_more(listed, d.decisions.total(), false));
    blocks.push(section(decided.join("\n")));

    if d.waiting.count > 0 {
        let mut waiting = vec![format!(
            "*Waiting longest for triage* · {}",
            escape(&words::waiting_line(d))
        )];
        for i in &d.waiting.oldest {
            waiting.push(format!(
                "{} · waiting {}",
                idea_line(d, i),
                words::waited(d, i)
            ));
        }
        waiting.extend(words::and_more(
            d.waiting.oldest.len(),
            d.waiting.count,
            d.waiting.at_least,
        ));
        blocks.push(section(waiting.join("\n")));
    } else {
        blocks.push(section(
            "*Waiting for triage* · none: every idea has been looked at.".into(),
        ));
    }
    blocks.push(context(&format!(
        "Problem-led means the pitch starts from who is affected and what is hard for them. {} \
         Pitch with `/idea`; `/idea digest` shows the week so far.",
        words::decisions_scope(d)
    )));
    blocks.truncate(MESSAGE_BLOCKS_MAX);
    blocks
}

/// "*IDEA-12* (Execution) headline", escaped.
fn idea_line(d: &Digest, i: &Listed) -> String {
    format!(
        "*{}* ({}) {}",
        i.id,
        escape(d.track_name(&i.track)),
        escape(&i.headline)
    )
}

fn section(text: String) -> SlackBlock {
    SlackSectionBlock::new()
        .with_text(md!(shorten(&text, SECTION_TEXT_MAX)))
        .into()
}

fn field(text: &str) -> String {
    shorten(text, FIELD_TEXT_MAX)
}

fn context(text: &str) -> SlackBlock {
    SlackContextBlock::new(vec![md!(shorten(text, SECTION_TEXT_MAX))]).into()
}

/// Slack's three control characters in message text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
