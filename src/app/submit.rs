//! Submitting and coaching. The bot coaches only when it is sure: a pitch that is clearly not
//! problem-led is kept as a draft while the person reframes it, files it anyway or withdraws it;
//! one it is unsure about is filed with one optional tip; a problem-led one is filed as it is. A
//! reframe that is still clearly not problem-led is sent back once, naming what is missing; the
//! second time it is filed.

use super::{Action, App, AppError, Reply};
use crate::domain::{
    Advice, Assessment, Audience, ChannelId, Element, Idea, IdeaId, Judgement, MessageTs, NewIdea,
    Notice, Origin, Reframe, Side, Source, Status, TrackId, Transition, UserId, Verdict,
};
use crate::storage::{Quota, StoreError};

/// A pitch as it arrives from any surface.
#[derive(Debug, Clone)]
pub struct Submission {
    pub pitch: String,
    pub submitter: UserId,
    pub source: Source,
    pub origin: Origin,
    /// The track the person chose, if they chose one.
    pub track: Option<String>,
    /// Whether the person asked that their name not be shown with the idea.
    pub anonymous: bool,
    /// Where the outcome is told.
    pub answer: Answer,
}

/// Where the outcome of a submission is told.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Answer {
    /// The caller shows it itself: the chat console, or an acknowledgement that carries it.
    #[default]
    Direct,
    /// In the pitch's thread: a filed idea is announced to everyone there, coaching goes to the
    /// submitter only.
    Thread { channel: ChannelId, ts: MessageTs },
    /// To this audience, whatever the outcome.
    To(Audience),
}

impl Answer {
    fn audience(&self, submitter: &UserId, filed: bool) -> Option<Audience> {
        match self {
            Answer::Direct => None,
            Answer::Thread { channel, ts } if filed => Some(Audience::Thread {
                channel: channel.clone(),
                ts: ts.clone(),
            }),
            Answer::Thread { channel, ts } => Some(Audience::Privately {
                channel: channel.clone(),
                ts: Some(ts.clone()),
                user: submitter.clone(),
            }),
            Answer::To(a) => Some(a.clone()),
        }
    }
}

/// An earlier idea that sounds like this one.
#[derive(Debug, Clone, PartialEq)]
pub struct Similar {
    pub id: IdeaId,
    pub headline: String,
    pub status: Status,
    pub score: f32,
}

impl Similar {
    /// One line naming the idea, its status and its headline, shortened.
    pub fn line(&self) -> String {
        format!(
            "*{}* ({}) {}",
            self.id,
            self.status.label().to_lowercase(),
            shorten(&self.headline, 80).replace('\n', " ")
        )
    }
}

/// The idea was filed and is on disk.
#[derive(Debug, Clone)]
pub struct Filed {
    pub idea: Idea,
    pub similar: Vec<Similar>,
    pub assessment: Assessment,
}

/// What a Reframe form field still lacks.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldNote {
    pub element: Element,
    pub message: String,
}

/// The pitch is kept as a draft; the person is asked one question.
#[derive(Debug, Clone)]
pub struct Coaching {
    pub draft: Idea,
    pub assessment: Assessment,
    pub question: String,
    /// The phrases that made it look solution-led or vague.
    pub noticed: Vec<String>,
    /// For a reframe sent back: what each field still lacks.
    pub missing: Vec<FieldNote>,
}

#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    Filed(Filed),
    NeedsReframe(Coaching),
}

/// The longest pitch kept (Slack's own message limit); the classifier reads less of it.
const MAX_PITCH_CHARS: usize = 40_000;

impl App {
    /// Assess a pitch and file it (problem-led) or keep it as a draft with one coaching question.
    /// A filed idea is on disk before this returns.
    pub async fn submit(&self, s: Submission) -> Result<Outcome, AppError> {
        let limits = &self.config.limits;
        let length = s.pitch.trim().chars().count();
        if length > limits.max_pitch_chars {
            return Err(AppError::TooLong {
                length,
                max: limits.max_pitch_chars,
            });
        }
        let pitch = clip(s.pitch.trim(), MAX_PITCH_CHARS);
        let assessment = self.config.classifier.assess(&pitch);
        if !crate::domain::text::normalize(&pitch)
            .text
            .chars()
            .any(char::is_alphanumeric)
        {
            return Err(AppError::EmptyPitch);
        }
        let track = self.choose_track(s.track.as_deref(), &assessment)?;
        let filed = assessment.advice != Advice::Coach;
        let audience = s.answer.audience(&s.submitter, filed);
        let now = self.now();
        let new = NewIdea {
            submitter: s.submitter,
            source: s.source,
            origin: s.origin,
            pitch,
            judged: Judgement::from(&assessment),
            track,
            anonymous: s.anonymous,
            filed,
            at: now,
        };
        // The hourly limit is counted by the store right before filing (see `Quota`).
        let quota = Quota {
            since: now
                .checked_sub(jiff::SignedDuration::from_secs(3600))
                .unwrap_or(jiff::Timestamp::MIN),
            max: limits.submissions_per_hour,
        };
        // On disk before anyone is told "filed" (or that the draft is kept), with the notices it
        // owes in the same transaction.
        let config = std::sync::Arc::clone(&self.config);
        let idea = self
            .store
            .file_telling(new, Some(quota), move |idea| {
                let mut notices: Vec<Notice> = audience
                    .iter()
                    .map(|to| Notice::Outcome {
                        idea: idea.id,
                        to: to.clone(),
                    })
                    .collect();
                notices.extend(super::notice::on_change(&config, idea));
                notices.extend(super::webhooks::webhook_notices(&config, None, idea));
                notices
            })
            .await
            .map_err(|e| match e {
                StoreError::OverQuota { max } => AppError::TooMany { max },
                e => AppError::Store(e),
            })?;
        metrics::counter!(
            "problemfirst_submissions_total",
            "verdict" => idea.judged.verdict.as_str(),
            "track" => idea.track.to_string(),
        )
        .increment(1);
        if filed {
            let similar = self.similar(&idea).await?;
            Ok(Outcome::Filed(Filed {
                idea,
                similar,
                assessment,
            }))
        } else {
            Ok(Outcome::NeedsReframe(coaching(
                idea,
                assessment,
                Vec::new(),
            )))
        }
    }

    /// Assess a draft's reframe. Problem-led: filed, and `to` told so. Still not: sent back once
    /// with what is missing; the second time it is filed anyway. Both versions are kept.
    pub async fn reframe(
        &self,
        id: IdeaId,
        by: &UserId,
        fields: Reframe,
        track: Option<String>,
        to: Option<Audience>,
    ) -> Result<Outcome, AppError> {
        let draft = self.draft_of(id, by)?;
        let statement = fields.statement();
        if statement.trim().is_empty() {
            return Err(AppError::EmptyPitch);
        }
        // The solution is parked in its own field: the reframe is judged on the problem it states,
        // or a solution-led pitch reframed well would still read as its solution.
        let judged_part = Reframe {
            solution: String::new(),
            ..fields.clone()
        }
        .statement();
        let assessment = self
            .config
            .classifier
            .assess(if judged_part.trim().is_empty() {
                &statement
            } else {
                &judged_part
            });
        let track = match track {
            Some(t) => self.choose_track(Some(&t), &assessment)?,
            None => draft.track.clone(),
        };
        let problem_led = assessment.advice != Advice::Coach;
        let send_back = !problem_led && draft.reframe_rounds == 0;
        let result = if problem_led {
            "problem"
        } else if send_back {
            "sent_back"
        } else {
            "filed_anyway"
        };
        metrics::counter!("problemfirst_reframes_total", "result" => result).increment(1);
        let judged = Judgement::from(&assessment);
        let now = self.now();
        let updated = self.change(id, |idea| {
            if idea.status() != Status::Draft {
                return Err(AppError::NotADraft {
                    id,
                    status: idea.status(),
                });
            }
            idea.reframe = Some(fields.clone());
            idea.reframe_judged = Some(judged.clone());
            idea.track = track.clone();
            idea.updated = now;
            if send_back {
                idea.reframe_rounds += 1;
            } else {
                let reason = if problem_led {
                    "reframed as a problem"
                } else {
                    "reframed and filed"
                };
                idea.apply(Transition::File, by, Some(reason.into()), now)?;
                return Ok(self.filed_notices(idea, to.as_ref()));
            }
            Ok(Vec::new())
        })?;
        self.store.durable().await?;
        if send_back {
            let missing = field_notes(&assessment, &fields);
            return Ok(Outcome::NeedsReframe(coaching(
                updated, assessment, missing,
            )));
        }
        let similar = self.similar(&updated).await?;
        Ok(Outcome::Filed(Filed {
            idea: updated,
            similar,
            assessment,
        }))
    }

    /// File a draft as it is, and tell `to`: the bot coaches, it never blocks.
    pub async fn file_anyway(
        &self,
        id: IdeaId,
        by: &UserId,
        to: Option<Audience>,
    ) -> Result<Filed, AppError> {
        self.draft_of(id, by)?;
        let now = self.now();
        let idea = self.change(id, |idea| {
            idea.apply(Transition::File, by, Some("filed as pitched".into()), now)?;
            Ok::<_, AppError>(self.filed_notices(idea, to.as_ref()))
        })?;
        self.store.durable().await?;
        let assessment = self.config.classifier.assess(&idea.pitch);
        let similar = self.similar(&idea).await?;
        Ok(Filed {
            idea,
            similar,
            assessment,
        })
    }

    /// Withdraw one's own idea (a draft or an undecided one), and tell `to` it is done.
    pub async fn withdraw(
        &self,
        id: IdeaId,
        by: &UserId,
        to: Option<Audience>,
    ) -> Result<Idea, AppError> {
        let now = self.now();
        let idea = self.change(id, |idea| {
            if idea.submitter != *by {
                return Err(AppError::NotYours(id));
            }
            idea.apply(Transition::Withdraw, by, None, now)?;
            let mut notices: Vec<Notice> = to
                .iter()
                .map(|to| Notice::Text {
                    to: to.clone(),
                    text: format!("Withdrawn {id}. Nothing else changes."),
                })
                .collect();
            notices.extend(super::notice::on_change(&self.config, idea));
            Ok(notices)
        })?;
        self.store.durable().await?;
        Ok(idea)
    }

    /// One person's ideas, newest first, drafts included.
    pub fn mine(&self, submitter: &UserId) -> Result<Vec<Idea>, AppError> {
        Ok(self.store.by_submitter(submitter)?)
    }

    /// The Reframe form prefilled from what the pitch already says.
    pub fn prefill(&self, idea: &Idea) -> Reframe {
        let text = &idea.pitch;
        let phrase = |rule_prefix: &str| -> String {
            let mut out: Vec<&str> = Vec::new();
            for h in idea
                .judged
                .hits
                .iter()
                .filter(|h| h.weight > 0.0 && h.rule.starts_with(rule_prefix))
            {
                let t = text.get(h.start..h.end).unwrap_or_default();
                if !out.iter().any(|o| o.eq_ignore_ascii_case(t)) {
                    out.push(t);
                }
            }
            out.join(", ")
        };
        let sentence_with = |rule_prefix: &str| -> String {
            idea.judged
                .hits
                .iter()
                .find(|h| h.weight > 0.0 && h.rule.starts_with(rule_prefix))
                .map(|h| sentence_around(text, h.start))
                .unwrap_or_default()
        };
        let leads_with_solution = idea.judged.verdict == Verdict::Tech;
        Reframe {
            who: phrase("P.actor"),
            problem: sentence_with("P.pain"),
            evidence: sentence_with("P.evidence"),
            impact: sentence_with("P.impact"),
            workaround: sentence_with("P.workaround"),
            solution: if leads_with_solution {
                text.clone()
            } else {
                String::new()
            },
        }
    }

    /// The answer a `Notice::Outcome` delivers: what became of the pitch, as it stands now.
    pub async fn outcome_reply(&self, id: IdeaId) -> Result<Reply, AppError> {
        let idea = self.idea(id)?;
        match idea.status() {
            Status::Draft => {
                let text = idea
                    .reframe
                    .as_ref()
                    .map(Reframe::statement)
                    .unwrap_or_else(|| idea.pitch.clone());
                let assessment = self.config.classifier.assess(&text);
                Ok(coaching(idea, assessment, Vec::new()).reply())
            }
            Status::Withdrawn => Ok(Reply {
                text: format!("Withdrawn {id}. Nothing else changes."),
                ..Reply::default()
            }),
            _ => {
                let assessment = self.config.classifier.assess(&idea.headline_text());
                let similar = self.similar(&idea).await?;
                Ok(Filed {
                    idea,
                    similar,
                    assessment,
                }
                .reply(self))
            }
        }
    }

    /// What filing `idea` owes: its outcome to `to`, and whatever else follows a change.
    fn filed_notices(&self, idea: &Idea, to: Option<&Audience>) -> Vec<Notice> {
        let mut notices: Vec<Notice> = to
            .map(|to| Notice::Outcome {
                idea: idea.id,
                to: to.clone(),
            })
            .into_iter()
            .collect();
        notices.extend(super::notice::on_change(&self.config, idea));
        notices
    }

    fn draft_of(&self, id: IdeaId, by: &UserId) -> Result<Idea, AppError> {
        let idea = self.idea(id)?;
        if idea.submitter != *by {
            return Err(AppError::NotYours(id));
        }
        if idea.status() != Status::Draft {
            return Err(AppError::NotADraft {
                id,
                status: idea.status(),
            });
        }
        Ok(idea)
    }

    fn choose_track(&self, chosen: Option<&str>, a: &Assessment) -> Result<TrackId, AppError> {
        match chosen.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => self.track_id(t),
            None => Ok(a
                .track
                .track
                .as_deref()
                .and_then(|t| self.config.track(t))
                .map_or_else(|| self.config.default_track.clone(), |t| t.id.clone())),
        }
    }
}

impl Outcome {
    /// What to tell the person, the same words on every surface.
    pub fn reply(&self, app: &App) -> Reply {
        match self {
            Outcome::Filed(f) => f.reply(app),
            Outcome::NeedsReframe(c) => c.reply(),
        }
    }

    pub fn idea(&self) -> &Idea {
        match self {
            Outcome::Filed(f) => &f.idea,
            Outcome::NeedsReframe(c) => &c.draft,
        }
    }
}

impl Filed {
    pub fn reply(&self, app: &App) -> Reply {
        let track = app.config.track_name(&self.idea.track);
        let mut text = format!("Filed as *{}* in *{track}*.", self.idea.id);
        if self.idea.reframe_judged.is_some() && self.idea.current_verdict() == Verdict::Problem {
            text.push_str(" Thanks for reframing it as a problem.");
        }
        if !self.similar.is_empty() {
            text.push_str("\nSimilar ideas: ");
            let list: Vec<String> = self.similar.iter().map(Similar::line).collect();
            text.push_str(&list.join("; "));
        }
        // Unsure whether it is problem-led: the one question, offered, not asked. Only for a
        // pitch filed as it came; a reframe or a "file anyway" has had its question.
        let tip = (self.assessment.advice == Advice::Tip
            && self.idea.reframe_judged.is_none()
            && !self.assessment.question.is_empty())
        .then(|| {
            format!(
                "If you like, one thing to add: {}",
                self.assessment.question
            )
        });
        Reply {
            text,
            fields: vec![
                ("Track".into(), track.to_string()),
                (
                    "Verdict".into(),
                    self.idea.current_verdict().describe().into(),
                ),
            ],
            actions: Vec::new(),
            tip,
        }
    }
}

impl Coaching {
    pub fn reply(&self) -> Reply {
        let id = self.draft.id;
        let mut text = String::new();
        if !self.noticed.is_empty() {
            let quoted: Vec<String> = self.noticed.iter().map(|p| format!("*{p}*")).collect();
            text.push_str(&format!("I noticed {}. ", quoted.join(", ")));
        }
        text.push_str(&self.question);
        for note in &self.missing {
            text.push_str(&format!("\n• {}", note.message));
        }
        Reply {
            text,
            fields: vec![("Draft".into(), id.to_string())],
            actions: vec![
                Action::Reframe(id),
                Action::FileAnyway(id),
                Action::Withdraw(id),
            ],
            tip: None,
        }
    }
}

fn coaching(draft: Idea, assessment: Assessment, missing: Vec<FieldNote>) -> Coaching {
    let side = match assessment.verdict {
        Verdict::Vague => Side::Vague,
        _ => Side::Tech,
    };
    // The question already names one phrase; the note names the others, not the same twice.
    let noticed = assessment
        .phrases(side)
        .into_iter()
        .filter(|p| !assessment.question.contains(&format!("*{p}*")))
        .take(3)
        .map(|p| shorten(p, 40))
        .collect();
    Coaching {
        question: assessment.question.clone(),
        draft,
        assessment,
        noticed,
        missing,
    }
}

/// What each field of a reframe still lacks, for the fields that matter most.
fn field_notes(a: &Assessment, fields: &Reframe) -> Vec<FieldNote> {
    let mut notes = Vec::new();
    for element in [Element::Who, Element::Problem, Element::Evidence] {
        let given = match element {
            Element::Who => &fields.who,
            Element::Problem => &fields.problem,
            _ => &fields.evidence,
        };
        if a.present.contains(&element) && !given.trim().is_empty() {
            continue;
        }
        let message = match element {
            Element::Who => "Name who is affected: a role, not \"we\" (e.g. night-shift nurses).",
            Element::Problem => "Say what is hard for them, with a verb: can't…, waits…, re-types…",
            _ => "How do you know? A number helps: tickets, hours, share of customers.",
        };
        notes.push(FieldNote {
            element,
            message: message.into(),
        });
    }
    notes
}

/// The sentence around a byte offset.
fn sentence_around(text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let start = text[..at].rfind(['.', '!', '?', '\n']).map_or(0, |i| i + 1);
    let end = text[at..]
        .find(['.', '!', '?', '\n'])
        .map_or(text.len(), |i| at + i + 1);
    text.get(start..end).unwrap_or_default().trim().to_string()
}

/// At most `max` characters, cut politely at a word with an ellipsis.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let at_word = cut.rfind(' ').filter(|&i| i > max / 2).unwrap_or(cut.len());
    format!("{}…", cut[..at_word].trim_end())
}

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => text[..cut].to_string(),
        None => text.to_string(),
    }
}
