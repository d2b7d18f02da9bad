//! `problemfirst export`: stream ideas out, one row each, as CSV (opens cleanly in a spreadsheet)
//! or JSON lines.

use super::{DataArgs, Failure};
use crate::domain::{Idea, Status};
use jiff::Timestamp;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, Copy, clap::ValueEnum, Serialize, serde::Deserialize)]
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
    /// Instead of ideas, the leads' overrules of the verdict as labelled pitches: JSON lines
    /// with `text` and `label` (problem, tech or vague), the file `problemfirst eval` reads.
    #[arg(long, conflicts_with = "format")]
    feedback: bool,
}

/// One overrule as a labelled pitch for `eval`.
#[derive(Serialize)]
struct Labelled<'a> {
    text: &'a str,
    label: &'a str,
}

/// What `export` says instead of an anonymous idea's submitter.
const ANONYMOUS: &str = "anonymous";

/// One exported row; `text`, `submitter`, `track` and `created` are what `import` reads back.

#[derive(Serialize)]
struct Row<'a> {
    id: String,
    track: &'a str,
    status: String,
    verdict: &'a str,
    reframe_verdict: &'a str,
    votes: usize,
    comments: usize,
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
            comments: idea.comments.len(),
            submitter: idea.byline().map_or(ANONYMOUS, |u| u.as_str()),
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

/// Where rows go: one CSV record or one JSON line each.
enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Json(W),
}

impl<W: Write> Sink<W> {
    fn write(&mut self, row: &Row) -> std::io::Result<()> {
        match self {
            Sink::Csv(w) => w.serialize(row).map_err(|e| match e.into_kind() {
                csv::ErrorKind::Io(io) => io,
                other => std::io::Error::other(format!("{other:?}")),
            }),
            Sink::Json(w) => {
                serde_json::to_writer(&mut *w, row)?;
                w.write_all(b"\n")
            }
        }
    }

    /// A labelled pitch (`--feedback` always writes to a JSON lines sink).
    fn feedback(&mut self, item: &Labelled) -> std::io::Result<()> {
        match self {
            Sink::Csv(w) => w.serialize(item).map_err(std::io::Error::other),
            Sink::Json(w) => {
                serde_json::to_writer(&mut *w, item)?;
                w.write_all(b"\n")
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Csv(w) => w.flush(),
            Sink::Json(w) => w.flush(),
        }
    }
}

/// What to export, checked: what a running bot is asked for, too.
#[derive(Serialize, serde::Deserialize)]
pub struct Query {
    format: Format,
    track: Option<String>,
    status: Option<String>,
    since: Option<Timestamp>,
    feedback: bool,
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
        Some(d) => Some(crate::app::import::parse_time(d).ok_or_else(|| {
            Failure::Usage(format!("'{d}' is not a date (use YYYY-MM-DD or RFC 3339)"))
        })?),
    };
    let query = Query {
        format: args.format,
        track: args.track,
        status: args.status,
        since,
        feedback: args.feedback,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match args.data.target()? {
        super::remote::Target::Local(app) => {
            let (written, skipped) = write(&app, &query, &mut out);
            if skipped > 0 {
                eprintln!("{skipped} unreadable records were skipped");
            }
            written
        }
        super::remote::Target::Running { socket } => {
            let rows = super::remote::ask(&socket, "export", &query)?;
            out.write_all(&rows)
        }
    };
    match written.and_then(|()| out.flush()) {
        // A reader that stops early (`| head`) is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::Usage(format!("export stopped: {e}")))
        }
        _ => Ok(()),
    }
}

/// The export as bytes, for a command line that asked the running bot.
pub fn write_all(app: &crate::app::App, query: &Query) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    let (written, skipped) = write(app, query, &mut out);
    if skipped > 0 {
        tracing::warn!(skipped, "unreadable records were skipped in an export");
    }
    written
        .map(|()| out)
        .map_err(|e| Failure::Usage(format!("export stopped: {e}")))
}

/// Writes the ideas `query` asks for to `out`; how it went, and how many records were
/// unreadable and skipped.
fn write(app: &crate::app::App, query: &Query, out: impl Write) -> (std::io::Result<()>, usize) {
    let keep = |idea: &Idea| {
        query
            .track
            .as_ref()
            .is_none_or(|t| idea.track.as_str() == t)
            && query
                .status
                .as_ref()
                .is_none_or(|s| idea.status().name() == s)
            && query.since.is_none_or(|t| idea.created >= t)
    };
    let mut sink = match query.format {
        _ if query.feedback => Sink::Json(out),
        Format::Csv => Sink::Csv(Box::new(csv::Writer::from_writer(out))),
        Format::Json => Sink::Json(out),
    };
    let mut skipped = 0usize;
    let mut written = Ok(());
    for idea in app.store().ideas() {
        match idea {
            Ok(idea) if query.feedback => {
                if let Some(o) = idea.overrule.as_ref().filter(|_| keep(&idea)) {
                    written = sink.feedback(&Labelled {
                        text: &o.text,
                        label: o.verdict.as_str(),
                    });
                    if written.is_err() {
                        break;
                    }
                }
            }
            Ok(idea) if keep(&idea) => {
                written = sink.write(&Row::of(&idea));
                if written.is_err() {
                    break;
                }
            }
            Ok(_) => {}
            Err(e) => {
                skipped += 1;
                tracing::warn!(error = %e, "skipped an unreadable record");
            }
        }
    }
    (written.and_then(|()| sink.flush()), skipped)
}
