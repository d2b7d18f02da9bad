//! `problemfirst import`: bring ideas in from a spreadsheet (CSV) or an older idea box (JSONL).
//! Every row is assessed and filed; a bad row is reported with its line number and the good rows
//! are kept.

use super::{DataArgs, Failure};
use crate::domain::{Judgement, NewIdea, Origin, Source, TrackId, UserId};
use jiff::Timestamp;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// A CSV file with a header row, or a JSONL file; at least a `text` column, optionally
    /// `submitter`, `track` and `created` (RFC 3339 or YYYY-MM-DD).
    file: PathBuf,
}

/// One row as read, before it is judged.
#[derive(Debug, Default, serde::Deserialize)]
struct Row {
    #[serde(default, alias = "pitch", alias = "idea")]
    text: String,
    #[serde(default)]
    submitter: Option<String>,
    #[serde(default)]
    track: Option<String>,
    #[serde(default)]
    created: Option<String>,
}

/// Rows are filed in batches: one transaction and one flush per batch keeps big imports quick.
const BATCH: usize = 500;

pub fn run(args: Args) -> Result<(), Failure> {
    let app = args.data.open_app()?;
    let file = std::fs::File::open(&args.file)
        .map_err(|e| Failure::Usage(format!("can't read {}: {e}", args.file.display())))?;
    let is_jsonl = matches!(
        args.file.extension().and_then(|e| e.to_str()),
        Some("jsonl" | "ndjson" | "json")
    );
    let rows: Box<dyn Iterator<Item = (usize, Result<Row, String>)>> = if is_jsonl {
        Box::new(jsonl_rows(std::io::BufReader::new(file)))
    } else {
        Box::new(csv_rows(file))
    };
    let now = app.now();
    let progress = std::io::stderr().is_terminal();
    let (mut filed, mut bad, mut batch) = (0usize, Vec::new(), Vec::with_capacity(BATCH));
    let mut by_verdict = [0usize; 3];
    for (line, row) in rows {
        let row = row.and_then(|r| check_row(r, &app, now));
        match row {
            Ok((text, submitter, track, created)) => {
                let a = app.config().rules.assess(&text);
                by_verdict[a.verdict as usize] += 1;
                let track = track.unwrap_or_else(|| {
                    a.track
                        .track
                        .as_deref()
                        .and_then(|t| app.config().track(t))
                        .map_or_else(|| app.config().default_track.clone(), |t| t.id.clone())
                });
                batch.push(NewIdea {
                    submitter,
                    source: Source::Import,
                    origin: Origin::default(),
                    pitch: text,
                    judged: Judgement::from(&a),
                    track,
                    anonymous: false,
                    filed: true,
                    at: created,
                });
            }
            Err(why) => bad.push(format!("{}:{line}: {why}", args.file.display())),
        }
        if batch.len() >= BATCH {
            filed += file_batch(&app, &mut batch)?;
            if progress {
                eprint!("\rimported {filed} ideas…");
            }
        }
    }
    filed += file_batch(&app, &mut batch)?;
    app.store()
        .flush()
        .map_err(|e| Failure::Usage(e.to_string()))?;
    if progress {
        eprint!("\r");
    }
    for b in &bad {
        eprintln!("skipped {b}");
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "imported {filed} ideas ({} problem-led, {} technology-led, {} vague); {} rows skipped",
        by_verdict[0],
        by_verdict[1],
        by_verdict[2],
        bad.len()
    );
    Ok(())
}

fn file_batch(app: &crate::app::App, batch: &mut Vec<NewIdea>) -> Result<usize, Failure> {
    if batch.is_empty() {
        return Ok(0);
    }
    let n = app
        .store()
        .create_many(batch)
        .map_err(|e| Failure::Usage(format!("import stopped: {e}")))?
        .len();
    batch.clear();
    Ok(n)
}

type Checked = (String, UserId, Option<TrackId>, Timestamp);

fn check_row(row: Row, app: &crate::app::App, now: Timestamp) -> Result<Checked, String> {
    let text = row.text.trim().to_string();
    if text.is_empty() {
        return Err("the text is empty".into());
    }
    let submitter = match row.submitter.filter(|s| !s.trim().is_empty()) {
        Some(s) => UserId::parse(&s).map_err(|e| e.to_string())?,
        None => UserId::parse("import").map_err(|e| e.to_string())?,
    };
    let track = match row
        .track
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(t) => match app
            .config()
            .tracks
            .iter()
            .find(|k| k.id.as_str() == t || k.name.eq_ignore_ascii_case(&t))
        {
            Some(k) => Some(k.id.clone()),
            None => return Err(format!("unknown track '{t}'")),
        },
    };
    let created = match row
        .created
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
    {
        None => now,
        Some(c) => parse_time(&c)
            .ok_or_else(|| format!("'{c}' is not a date (use RFC 3339 or YYYY-MM-DD)"))?,
    };
    Ok((text, submitter, track, created))
}

/// RFC 3339 timestamps, or plain dates taken as midnight UTC.
pub fn parse_time(s: &str) -> Option<Timestamp> {
    s.parse::<Timestamp>().ok().or_else(|| {
        s.parse::<jiff::civil::Date>()
            .ok()
            .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp())
    })
}

fn csv_rows(file: std::fs::File) -> impl Iterator<Item = (usize, Result<Row, String>)> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let headers: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(|c| c.trim().to_ascii_lowercase()).collect())
        .unwrap_or_default();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let text = col(&["text", "pitch", "idea"]);
    let submitter = col(&["submitter", "author", "by"]);
    let track = col(&["track"]);
    let created = col(&["created", "date", "created_at"]);
    let mut header_error = text.is_none().then(|| {
        (
            1,
            Err::<Row, String>("the header row has no 'text' column".to_string()),
        )
    });
    let mut records = reader.into_records();
    std::iter::from_fn(move || {
        if let Some(e) = header_error.take() {
            return Some(e);
        }
        text?;
        let record = records.next()?;
        Some(match record {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line() as usize);
                let get = |i: Option<usize>| i.and_then(|i| r.get(i)).map(str::to_string);
                (
                    line,
                    Ok(Row {
                        text: get(text).unwrap_or_default(),
                        submitter: get(submitter),
                        track: get(track),
                        created: get(created),
                    }),
                )
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                (line, Err(format!("not a readable CSV row: {e}")))
            }
        })
    })
}

fn jsonl_rows(reader: impl BufRead) -> impl Iterator<Item = (usize, Result<Row, String>)> {
    reader
        .lines()
        .enumerate()
        .filter(|(_, l)| l.as_ref().map_or(true, |l| !l.trim().is_empty()))
        .map(|(i, line)| {
            let row = line
                .map_err(|e| format!("can't read the line: {e}"))
                .and_then(|l| {
                    serde_json::from_str::<Row>(&l)
                        .map_err(|e| format!("not a JSON object with a text: {e}"))
                });
            (i + 1, row)
        })
}
