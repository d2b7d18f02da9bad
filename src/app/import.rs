//! Importing ideas from a spreadsheet or an older idea box: each row checked, assessed and
//! filed, a bad row reported with its line and the good ones kept. A row is filed once: its
//! fingerprint (the text, submitter and date as written) is kept with the idea, so importing
//! the same rows again, or a file that repeats one, files nothing twice. The command line calls
//! this on its own store, or asks a running bot to, which calls the same.

use super::{App, AppError};
use crate::domain::{Judgement, NewIdea, Origin, Source, TrackId, UserId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One row as read from the file, before it is checked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImportRow {
    /// Where it is in the file, for messages.
    pub line: usize,
    pub text: String,
    #[serde(default)]
    pub submitter: Option<String>,
    #[serde(default)]
    pub track: Option<String>,
    #[serde(default)]
    pub created: Option<String>,
}

/// What an import of some rows did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub filed: usize,
    /// Rows filed by an earlier import (or earlier in this one), not filed again.
    pub repeated: usize,
    /// Filed ideas by verdict: problem-led, technology-led, vague.
    pub by_verdict: [usize; 3],
    /// Rows that could not be used: their line and why.
    pub bad: Vec<(usize, String)>,
}

impl ImportReport {
    /// Adds what another batch of the same import did.
    pub fn add(&mut self, other: ImportReport) {
        self.filed += other.filed;
        self.repeated += other.repeated;
        for (total, n) in self.by_verdict.iter_mut().zip(other.by_verdict) {
            *total += n;
        }
        self.bad.extend(other.bad);
    }
}

impl App {
    /// Checks, assesses and files `rows` in one transaction; rows filed before are not filed
    /// again. The store is flushed before this returns.
    pub fn import(&self, rows: Vec<ImportRow>) -> Result<ImportReport, AppError> {
        let now = self.now();
        let mut report = ImportReport::default();
        let mut news = Vec::with_capacity(rows.len());
        let mut verdicts = Vec::with_capacity(rows.len());
        for row in rows {
            let line = row.line;
            let fingerprint = fingerprint(&row);
            match self.check_row(row, now) {
                Ok((text, submitter, track, created)) => {
                    let a = self.config().classifier.assess(&text);
                    let track = track.unwrap_or_else(|| {
                        a.track
                            .track
                            .as_deref()
                            .and_then(|t| self.config().track(t))
                            .map_or_else(|| self.config().default_track.clone(), |t| t.id.clone())
                    });
                    verdicts.push(a.verdict as usize);
                    news.push((
                        NewIdea {
                            submitter,
                            source: Source::Import,
                            origin: Origin::default(),
                            pitch: text,
                            judged: Judgement::from(&a),
                            track,
                            anonymous: false,
                            filed: true,
                            at: created,
                        },
                        fingerprint,
                    ));
                }
                Err(why) => report.bad.push((line, why)),
            }
        }
        let (filed, repeated) = self.store().import_many(&news)?;
        self.store().flush()?;
        for idea in &filed {
            self.remember_change(idea);
            report.by_verdict[idea.judged.verdict as usize] += 1;
        }
        report.filed = filed.len();
        report.repeated = repeated;
        Ok(report)
    }

    fn check_row(&self, row: ImportRow, now: Timestamp) -> Result<Checked, String> {
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
            Some(t) => match self
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
}

type Checked = (String, UserId, Option<TrackId>, Timestamp);

/// A row as written: its text, submitter and date, trimmed (the track may change between
/// imports of the same idea).
fn fingerprint(row: &ImportRow) -> [u8; 32] {
    let mut hash = Sha256::new();
    for part in [
        Some(row.text.as_str()),
        row.submitter.as_deref(),
        row.created.as_deref(),
    ] {
        hash.update(part.unwrap_or_default().trim().as_bytes());
        hash.update([0]);
    }
    hash.finalize().into()
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
