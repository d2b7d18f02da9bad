//! `/idea`: the slash command. Its subcommands (`help`, `mine`, `digest`, nothing for the form)
//! and a pitch, answered in the acknowledgement itself when filing is quick.

use super::blocks::{self, content, text_content};
use super::bot::{refusal, Bot};
use crate::app::{shorten, Answer, Reply, Submission};
use crate::domain::{Audience, Notice, Origin, Source, UserId};
use slack_morphism::prelude::*;
use std::sync::Arc;

const HELP: &str =
    "*/idea <your pitch>* files an idea: say who is affected and what is hard for them.\n\
*/idea* opens a form, field by field.\n*/idea anon <your pitch>* files it without your name: others see \"anonymous\".\n*/idea mine* lists your ideas.\n*/idea digest* previews this week's digest, just for you.\n\
I coach; I never block: every idea can be filed.";

impl Bot {
    /// `/idea …`: the answer to put in the acknowledgement, if any.
    pub async fn command(self: &Arc<Self>, ev: SlackCommandEvent) -> Option<SlackMessageContent> {
        let text = ev.text.clone().unwrap_or_default();
        let user = super::payload::user(&ev.user_id)?;
        match text.trim().to_ascii_lowercase().as_str() {
            "" => {
                // The trigger id lives about 3 seconds: open the modal before anything else.
                let view = blocks::pitch_modal(&self.tracks(), None, ev.channel_id.as_ref());
                if let Err(e) = self.api.open_view(ev.trigger_id.clone(), view).await {
                    tracing::warn!(error = %e, "could not open the pitch form");
                    return Some(text_content(
                        "I couldn't open the form just now. Try `/idea <your pitch>`.",
                    ));
                }
                None
            }
            "help" => Some(text_content(HELP)),
            "mine" => Some(text_content(&self.mine(&user))),
            // A preview of the weekly digest, in the acknowledgement: only the asker sees it.
            "digest" => Some(super::digest::preview(&self.app).await),
            _ => {
                // `/idea anon <pitch>`: filed without the person's name shown.
                let (pitch, anonymous) = match anonymous_pitch(&text) {
                    Some(pitch) => (pitch.to_string(), true),
                    None => (text, false),
                };
                let submission = Submission {
                    pitch,
                    submitter: user,
                    source: Source::Slash,
                    origin: Origin {
                        channel: super::payload::channel(&ev.channel_id),
                        ..Origin::default()
                    },
                    track: None,
                    anonymous,
                    answer: Answer::Direct,
                };
                self.answer_in_ack(submission, ev.response_url.0.to_string())
                    .await
            }
        }
    }

    /// Files a pitch and answers in the acknowledgement itself, which saves a Web API call. Filing
    /// takes a flush, a few milliseconds; should the store stall past the acknowledgement budget,
    /// the acknowledgement goes out empty and the outcome follows through the outbox to
    /// `reply_url`.
    async fn answer_in_ack(
        self: &Arc<Self>,
        submission: Submission,
        reply_url: String,
    ) -> Option<SlackMessageContent> {
        let (tx, rx) = tokio::sync::oneshot::channel::<Reply>();
        let bot = Arc::clone(self);
        self.work.spawn(async move {
            let result = bot.app.submit(submission).await;
            let reply = match &result {
                Ok(outcome) => outcome.reply(&bot.app),
                Err(e) => refusal(e),
            };
            if let Err(reply) = tx.send(reply) {
                let to = Audience::ReplyUrl {
                    url: reply_url,
                    replace: false,
                };
                let notice = match result {
                    Ok(outcome) => Notice::Outcome {
                        idea: outcome.idea().id,
                        to,
                    },
                    Err(_) => Notice::Text {
                        to,
                        text: reply.text,
                    },
                };
                if let Err(e) = bot.app.owe(&[notice]) {
                    tracing::error!(error = %e, "could not queue a message");
                }
            }
        });
        match tokio::time::timeout(self.ack_budget, rx).await {
            Ok(Ok(reply)) => Some(content(&reply)),
            _ => None,
        }
    }

    /// `/idea mine`: the person's ideas, newest first, twenty at most.
    fn mine(&self, user: &UserId) -> String {
        match self.app.mine(user) {
            Ok(ideas) if ideas.is_empty() => {
                "You have no ideas yet. `/idea <your pitch>` files one.".into()
            }
            Ok(ideas) => {
                let lines: Vec<String> = ideas
                    .iter()
                    .take(20)
                    .map(|i| {
                        format!(
                            "*{}* [{}] {}: {}",
                            i.id,
                            self.app.config().track_name(&i.track),
                            i.status().label(),
                            shorten(&i.headline_text(), 80)
                        )
                    })
                    .collect();
                let more = ideas.len().saturating_sub(lines.len());
                let mut text = lines.join("\n");
                if more > 0 {
                    text.push_str(&format!("\n…and {more} more."));
                }
                text
            }
            Err(e) => e.to_string(),
        }
    }
}

/// The pitch of `/idea anon <pitch>`, if that is what was typed.
fn anonymous_pitch(text: &str) -> Option<&str> {
    let text = text.trim_start();
    let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    word.eq_ignore_ascii_case("anon").then_some(rest.trim())
}

#[cfg(test)]
mod tests {
    use super::anonymous_pitch;

    #[test]
    fn anon_is_a_word_of_its_own() {
        assert_eq!(anonymous_pitch("anon Nurses wait"), Some("Nurses wait"));
        assert_eq!(anonymous_pitch("  ANON\tNurses wait "), Some("Nurses wait"));
        assert_eq!(anonymous_pitch("anon"), Some(""));
        assert_eq!(anonymous_pitch("anonymous surveys take weeks"), None);
        assert_eq!(anonymous_pitch("Nurses wait"), None);
    }
}
