//! `problemfirst export`: stream ideas out, one row each, as CSV (opens cleanly in a spreadsheet)
//! or JSON lines.

use super::{DataArgs, Failure};
use crate::domain::{Idea, Status};
use jiff::Timestamp;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Csv,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Only ideas of this track.
    #[arg(long, value_name = "T")]
    track: Option<String>,
    /// Only ideas with this status (draft, new, in_review, accepted, parked, declined, duplicate, withdrawn).
    #[arg(long, value_name = "S")]
    status: Option<String>,
    /// Only ideas created on or after this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
}

/// One exported row; `text`, `submitter`, `track` and `created` are what `import` reads back.
#[derive(Serialize)]
struct Row<'a> {
    id: String,
    track: &'a str,
    status: String,
    verdict: &'a str,
    reframe_verdict: &'a str,
    votes: usize,
    submitter: &'a str,
    source: &'a str,
    created: String,
    text: &'a str,
    reframe: String,
}

impl<'a> Row<'a> {
    fn of(idea: &'a Idea) -> Row<'a> {
        Row {
            id: idea.id.to_string(),
            track: &idea.track,
            status: idea.status().to_string(),
            verdict: idea.judged.verdict.as_str(),
            reframe_verdict: idea
                .reframe_judged
                .as_ref()
                .map_or("", |j| j.verdict.as_str()),
            votes: idea.voters.len(),
            submitter: &idea.submitter,
            source: idea.source.as_str(),
            created: idea.created.to_string(),
            text: &idea.pitch,
            reframe: idea
                .reframe
                .as_ref()
                .map(|r| r.statement())
                .unwrap_or_default(),
        }
    }
}

pub fn run(args: Args) -> Result<(), Failure> {
    if let Some(s) = &args.status {
        if !Status::NAMES.contains(&s.as_str()) {
            return Err(Failure::Usage(format!(
                "'{s}' is not a status; use one of: {}",
                Status::NAMES.join(", ")
            )));
        }
    }
    let since: Option<Timestamp> = match &args.since {
        None => None,
        Some(d) => Some(super::import::parse_time(d).ok_or_else(|| {
            Failure::Usage(format!("'{d}' is not a date (use YYYY-MM-DD or RFC 3339)"))
        })?),
    };
    let app = args.data.open_app()?;
    let stdout = std::io::stdout();
    let out = std::io::BufWriter::new(stdout.lock());
    let keep = |idea: &Idea| {
        args.track.as_ref().is_none_or(|t| &idea.track == t)
            && args
                .status
                .as_ref()
                .is_none_or(|s| idea.status().name() == s)
            && since.is_none_or(|t| idea.created >= t)
    };
    let broken_pipe = |e: &std::io::Error| e.kind() == std::io::ErrorKind::BrokenPipe;
    let write_error = |e: String| Failure::Usage(format!("export stopped: {e}"));
    let mut skipped = 0usize;
    match args.format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            for idea in app.store.ideas() {
                match idea {
                    Ok(idea) if keep(&idea) => {
                        if let Err(e) = w.serialize(Row::of(&idea)) {
                            if matches!(e.kind(), csv::ErrorKind::Io(io) if broken_pipe(io)) {
                                return Ok(());
                            }
                            return Err(write_error(e.to_string()));
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        skipped += 1;
                        eprintln!("skipped: {e}");
                    }
                }
            }
            if let Err(e) = w.flush() {
                if !broken_pipe(&e) {
                    return Err(write_error(e.to_string()));
                }
            }
        }
        Format::Json => {
            let mut w = out;
            for idea in app.store.ideas() {
                match idea {
                    Ok(idea) if keep(&idea) => {
                        let line = serde_json::to_string(&Row::of(&idea))
                            .map_err(|e| write_error(e.to_string()))?;
                        if let Err(e) = writeln!(w, "{line}") {
                            if broken_pipe(&e) {
                                return Ok(());
                            }
                            return Err(write_error(e.to_string()));
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        skipped += 1;
                        eprintln!("skipped: {e}");
                    }
                }
            }
            if let Err(e) = w.flush() {
                if !broken_pipe(&e) {
                    return Err(write_error(e.to_string()));
                }
            }
        }
    }
    if skipped > 0 {
        eprintln!("{skipped} unreadable records were skipped");
    }
    Ok(())
}
