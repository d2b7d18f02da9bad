//! `problemfirst chat`: play the bot in a terminal, on the same app core and store as Slack.
//! On a terminal it is a conversation; with piped input it reads one pitch per line and prints
//! one line per pitch, so scripts (and the crash test) can drive it.

use super::{runtime, DataArgs, Failure};
use crate::app::{Action, App, AppError, Outcome, Reply};
use crate::domain::{Element, IdeaId, Reframe, Source, UserId};
use crate::slack::mrkdwn::Plain;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// Who you are in this session (ideas are filed under this name).
    #[arg(long, default_value_t = default_user(), value_parser = UserId::parse)]
    user: UserId,
    /// File every pitch, as if "File anyway" was chosen for each draft.
    #[arg(long)]
    file_all: bool,
}

fn default_user() -> UserId {
    std::env::var("USER")
        .ok()
        .and_then(|u| UserId::parse(&u).ok())
        .or_else(|| UserId::parse("local").ok())
        .expect("\"local\" is a name")
}

pub fn run(args: Args) -> Result<(), Failure> {
    let rt = runtime()?;
    let app = args.data.open_app()?;
    let stdin = std::io::stdin();
    // Slack's markup is for Slack: the terminal gets plain text.
    let stdout = std::io::stdout();
    let stdout = || Plain::new(stdout.lock());
    let result = if stdin.is_terminal() {
        dialog(&rt, &app, &args.user, args.file_all, stdin.lock(), stdout())
    } else {
        batch(&rt, &app, &args.user, args.file_all, stdin.lock(), stdout())
    };
    result.map_err(|e| Failure::Usage(format!("chat stopped: {e}")))
}

/// One pitch per line in, one line per pitch out:
/// `filed IDEA-<n> <verdict> <track>` (printed once the idea is on disk) or
/// `needs-reframe IDEA-<n> <verdict> <track>` followed by a tab and the question.
pub fn batch(
    rt: &tokio::runtime::Runtime,
    app: &App,
    user: &UserId,
    file_all: bool,
    input: impl BufRead,
    mut out: impl Write,
) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let outcome = rt.block_on(app.submit(submission(&line, user)));
        let printed = match outcome {
            Ok(Outcome::Filed(f)) => format!(
                "filed {} {} {}",
                f.idea.id, f.assessment.verdict, f.idea.track
            ),
            Ok(Outcome::NeedsReframe(c)) if file_all => {
                match rt.block_on(app.file_anyway(c.draft.id, user, None)) {
                    Ok(f) => format!(
                        "filed {} {} {}",
                        f.idea.id, c.assessment.verdict, f.idea.track
                    ),
                    Err(e) => format!("error {e}"),
                }
            }
            Ok(Outcome::NeedsReframe(c)) => format!(
                "needs-reframe {} {} {}\t{}",
                c.draft.id, c.assessment.verdict, c.draft.track, c.question
            ),
            Err(e) => format!("error {}", e.to_string().replace('\n', " ")),
        };
        writeln!(out, "{printed}")?;
        out.flush()?;
    }
    Ok(())
}

const HELP: &str = "Type a pitch: who is affected, and what is hard for them today?
Commands:
  /mine                 your ideas and where they stand
  /reframe IDEA-<n>     restate a draft as a problem, field by field
  /file IDEA-<n>        file a draft as it is
  /withdraw IDEA-<n>    withdraw one of your ideas
  /help                 this help
  /quit                 leave (everything filed is saved)";

/// The conversation on a terminal.
pub fn dialog(
    rt: &tokio::runtime::Runtime,
    app: &App,
    user: &UserId,
    file_all: bool,
    input: impl BufRead,
    mut out: impl Write,
) -> std::io::Result<()> {
    let mut lines = input.lines();
    writeln!(
        out,
        "problemfirst chat: pitch an idea as {user}. /help for commands, /quit to leave."
    )?;
    // The draft the last coaching was about, so "r", "f", "w" need no id.
    let mut current: Option<IdeaId> = None;
    loop {
        write!(out, "\nyou> ")?;
        out.flush()?;
        let Some(line) = lines.next().transpose()? else {
            break;
        };
        let line = line.trim().to_string();
        if line.is_empty() {
            continue;
        }
        let (command, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        // The idea a command is about: the one named, else the draft last coached.
        let target: Option<IdeaId> = if rest.trim().is_empty() {
            current
        } else {
            rest.parse().ok()
        };
        match (command, target) {
            ("/quit" | "/exit", _) => break,
            ("/help", _) => writeln!(out, "{HELP}")?,
            ("/mine", _) => match app.mine(user) {
                Ok(ideas) if ideas.is_empty() => writeln!(out, "bot> You have no ideas yet.")?,
                Ok(ideas) => {
                    for idea in ideas {
                        writeln!(
                            out,
                            "bot> {} [{}] {}: {}",
                            idea.id,
                            app.config().track_name(&idea.track),
                            idea.status().label(),
                            crate::app::shorten(&idea.headline_text(), 70)
                        )?;
                    }
                }
                Err(e) => writeln!(out, "bot> {e}")?,
            },
            ("/file" | "f", Some(id)) => {
                let reply = match rt.block_on(app.file_anyway(id, user, None)) {
                    Ok(f) => f.reply(app),
                    Err(e) => error_reply(e),
                };
                current = None;
                show(&mut out, &reply)?;
            }
            ("/withdraw" | "w", Some(id)) => {
                match rt.block_on(app.withdraw(id, user, None)) {
                    Ok(idea) => writeln!(out, "bot> Withdrawn {}. Nothing else changes.", idea.id)?,
                    Err(e) => writeln!(out, "bot> {e}")?,
                }
                current = None;
            }
            ("/reframe" | "r", Some(id)) => {
                let Some(fields) = ask_reframe(app, id, &mut lines, &mut out)? else {
                    break;
                };
                match rt.block_on(app.reframe(id, user, fields, None, None)) {
                    Ok(outcome) => {
                        current = match &outcome {
                            Outcome::NeedsReframe(c) => Some(c.draft.id),
                            Outcome::Filed(_) => None,
                        };
                        show(&mut out, &outcome.reply(app))?;
                    }
                    Err(e) => show(&mut out, &error_reply(e))?,
                }
            }
            (c, _) if c.starts_with('/') => {
                writeln!(out, "bot> I don't know {c}. /help lists what I do.")?
            }
            _ => {
                let outcome = rt.block_on(app.submit(submission(&line, user)));
                match outcome {
                    Ok(Outcome::NeedsReframe(c)) if file_all => {
                        match rt.block_on(app.file_anyway(c.draft.id, user, None)) {
                            Ok(f) => show(&mut out, &f.reply(app))?,
                            Err(e) => show(&mut out, &error_reply(e))?,
                        }
                    }
                    Ok(outcome) => {
                        current = match &outcome {
                            Outcome::NeedsReframe(c) => Some(c.draft.id),
                            Outcome::Filed(_) => None,
                        };
                        show(&mut out, &outcome.reply(app))?;
                    }
                    Err(e) => show(&mut out, &error_reply(e))?,
                }
            }
        }
    }
    writeln!(out, "Bye. Everything filed is saved.")?;
    Ok(())
}

/// Ask the Reframe form's questions one by one; Enter keeps the suggestion in brackets.
fn ask_reframe<I: Iterator<Item = std::io::Result<String>>>(
    app: &App,
    id: IdeaId,
    lines: &mut I,
    out: &mut impl Write,
) -> std::io::Result<Option<Reframe>> {
    let prefill = match app.idea(id) {
        Ok(idea) => app.prefill(&idea),
        _ => Reframe::default(),
    };
    let mut fields = Reframe::default();
    let questions: [(Option<Element>, &str, &str); 6] = [
        (
            Some(Element::Who),
            "Who is affected? (a role, not \"we\")",
            &prefill.who,
        ),
        (
            Some(Element::Problem),
            "What is hard for them today? (use a verb: can't…, waits…)",
            &prefill.problem,
        ),
        (
            Some(Element::Evidence),
            "How do you know? (numbers, tickets, interviews)",
            &prefill.evidence,
        ),
        (
            Some(Element::Impact),
            "What does it cost, or what happens if nothing changes?",
            &prefill.impact,
        ),
        (
            Some(Element::Workaround),
            "How do they cope today?",
            &prefill.workaround,
        ),
        (
            None,
            "Your solution idea (optional, kept)",
            &prefill.solution,
        ),
    ];
    for (element, question, suggestion) in questions {
        if suggestion.is_empty() {
            write!(out, "bot> {question}\n     > ")?;
        } else {
            write!(out, "bot> {question} [{suggestion}]\n     > ")?;
        }
        out.flush()?;
        let Some(answer) = lines.next().transpose()? else {
            return Ok(None);
        };
        let answer = if answer.trim().is_empty() {
            suggestion.to_string()
        } else {
            answer.trim().to_string()
        };
        match element {
            Some(Element::Who) => fields.who = answer,
            Some(Element::Problem) => fields.problem = answer,
            Some(Element::Evidence) => fields.evidence = answer,
            Some(Element::Impact) => fields.impact = answer,
            Some(Element::Workaround) => fields.workaround = answer,
            None => fields.solution = answer,
        }
    }
    Ok(Some(fields))
}

fn submission(line: &str, user: &UserId) -> crate::app::Submission {
    crate::app::Submission {
        pitch: line.to_string(),
        submitter: user.clone(),
        source: Source::Console,
        origin: Default::default(),
        track: None,
        anonymous: false,
        answer: crate::app::Answer::Direct,
    }
}

fn error_reply(e: AppError) -> Reply {
    Reply {
        text: e.to_string(),
        ..Reply::default()
    }
}

fn show(out: &mut impl Write, reply: &Reply) -> std::io::Result<()> {
    for (i, line) in reply.text.lines().enumerate() {
        let lead = if i == 0 { "bot> " } else { "     " };
        writeln!(out, "{lead}{line}")?;
    }
    if let Some(tip) = &reply.tip {
        writeln!(out, "     Tip: {tip}")?;
    }
    if !reply.actions.is_empty() {
        let keys: Vec<String> = reply
            .actions
            .iter()
            .map(|a| match a {
                Action::Reframe(_) => "[r] Reframe".to_string(),
                Action::FileAnyway(_) => "[f] File anyway".to_string(),
                Action::Withdraw(_) => "[w] Withdraw".to_string(),
            })
            .collect();
        writeln!(out, "     {}   (or type a new pitch)", keys.join("  "))?;
    }
    Ok(())
}
