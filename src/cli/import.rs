//! `problemfirst import`: bring ideas in from a spreadsheet (CSV) or an older idea box (JSONL).
//! This reads the file; the app checks, assesses and files each row (`app::import`), on this
//! process's store or the running bot's, a batch at a time. A bad row is reported with its line
//! number and the good rows are kept; a row imported before is not filed again.

use super::remote::Target;
use super::{DataArgs, Failure};
use crate::app::import::{ImportReport, ImportRow};
use std::io::{BufRead, Write};
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

/// Rows are filed in batches: one transaction and one flush per batch keeps big imports quick,
/// and a running bot gets them a batch at a time.
const BATCH: usize = 500;

pub fn run(args: Args) -> Result<(), Failure> {
    let target = args.data.target()?;
    let file = std::fs::File::open(&args.file)
        .map_err(|e| Failure::Usage(format!("can't read {}: {e}", args.file.display())))?;
    let is_jsonl = matches!(
        args.file.extension().and_then(|e| e.to_str()),
        Some("jsonl" | "ndjson" | "json")
    );
    let read: Box<dyn Iterator<Item = (usize, Result<Row, String>)>> = if is_jsonl {
        Box::new(jsonl_rows(std::io::BufReader::new(file)))
    } else {
        Box::new(csv_rows(file))
    };
    let mut report = ImportReport::default();
    let mut rows = Vec::new();
    for (line, row) in read {
        match row {
            Ok(r) => rows.push(ImportRow {
                line,
                text: r.text,
                submitter: r.submitter,
                track: r.track,
                created: r.created,
            }),
            Err(why) => report.bad.push((line, why)),
        }
    }
    // On a terminal only: indicatif draws nothing when standard error is not one.
    let progress = indicatif::ProgressBar::new(rows.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("importing {bar:30} {pos}/{len} rows, {eta} left")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(BATCH));
        let batch = std::mem::replace(&mut rows, rest);
        let size = batch.len() as u64;
        let done = match &target {
            Target::Local(app) => app
                .import(batch)
                .map_err(|e| Failure::Usage(format!("import stopped: {e}")))?,
            Target::Running { socket } => super::remote::ask_json(socket, "import", &batch)?,
        };
        report.add(done);
        progress.inc(size);
    }
    progress.finish_and_clear();
    report.bad.sort_by_key(|(line, _)| *line);
    for (line, why) in &report.bad {
        eprintln!("skipped {}:{line}: {why}", args.file.display());
    }
    let repeated = match report.repeated {
        0 => String::new(),
        n => format!("; {n} rows were imported before and not filed again"),
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "imported {} ideas ({} problem-led, {} technology-led, {} vague); {} rows skipped{repeated}",
        report.filed,
        report.by_verdict[0],
        report.by_verdict[1],
        report.by_verdict[2],
        report.bad.len()
    );
    Ok(())
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
