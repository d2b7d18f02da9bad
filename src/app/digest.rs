//! The weekly digest as a use case: computing it from the store for a week, queueing it once per
//! week and channel when it is due, the scheduler `serve` runs, and the digest in words — the
//! phrases every surface shares, and the plain-text rendering the command line prints.
//!
//! Time is always an input: `now` comes from the caller (the app's clock in `serve`), so the
//! schedule can be tested with fixed instants.

use super::{App, AppError};
use crate::domain::digest::{
    bar, Digest, DigestBuilder, Listed, Schedule, Week, DECISIONS_LISTED, WAITING_LISTED,
};
use crate::domain::{ChannelId, Idea, MessageTs, TrackId, WeekStart};
use crate::storage::{Queueing, StoreError};
use jiff::Timestamp;
use std::time::Duration;

/// The triage queue is counted up to this many ideas; past it the digest says "10,000+", which
/// keeps the count to a short read of index keys however long the queue grows.
pub const WAITING_COUNT_CAP: usize = 10_000;
/// Track rows in the bar chart; more tracks are summed up in one line.
pub const TRACK_ROWS: usize = 12;
/// Cells in the longest bar.
pub const BAR_WIDTH: usize = 20;
/// The scheduler looks at the clock at least this often, so a wall clock that jumps (or a
/// machine that was suspended) delays a digest by at most this much.
const RECHECK: Duration = Duration::from_secs(60 * 60);
/// After a failed attempt to queue, try again this soon.
const RETRY: Duration = Duration::from_secs(60);

impl App {
    pub fn digest_schedule(&self) -> &Schedule {
        &self.config.digest.schedule
    }

    /// The week whose digest is due at `now` (the last one that has ended).
    pub fn digest_week_due(&self, now: Timestamp) -> Result<Week, AppError> {
        Ok(self.digest_schedule().due(now)?)
    }

    /// The digest of `week` as the store is now, read up to `upto` (the week's end, or `now` for a
    /// preview). Reads through the created-time index only: the week, the week before, and for
    /// decisions the decided ideas of the weeks before (`DECISION_HORIZON_WEEKS`) changed since
    /// the week began; then the head of the triage queue.
    pub fn digest(&self, week: &Week, upto: Timestamp) -> Result<Digest, AppError> {
        let tracks: Vec<(TrackId, String)> = self
            .config
            .tracks
            .iter()
            .map(|t| (t.id.clone(), t.name.clone()))
            .collect();
        let mut b = DigestBuilder::new(self.digest_schedule(), *week, upto, &tracks)?;
        let (from, to) = b.window();
        read_all(self.store.created_between(from, to), |i| b.pitched(i))?;
        let (horizon, week_start) = b.decisions_window();
        for idea in self.store.decided_since(horizon, week_start, from)? {
            b.decided(&idea);
        }
        let (from, to) = b.last_week_window();
        read_all(self.store.created_between(from, to), |i| {
            b.pitched_last_week(i)
        })?;
        let (oldest, count, at_least) = self
            .store
            .waiting_for_triage(WAITING_LISTED, WAITING_COUNT_CAP)?;
        b.waiting(&oldest, count, at_least);
        Ok(b.finish())
    }

    /// The digest of the week `week`, whole: what a `Digest` notice posts.
    pub fn digest_of_week(&self, week: WeekStart) -> Result<Digest, AppError> {
        let week = self.digest_schedule().week_of(week)?;
        self.digest(&week, week.to)
    }

    /// The digest due at `now`: what `serve` posts (or has posted) this week.
    pub fn digest_due(&self, now: Timestamp) -> Result<Digest, AppError> {
        let week = self.digest_week_due(now)?;
        self.digest(&week, week.to)
    }

    /// The next digest as it stands at `now`: the week in progress, so far.
    pub fn digest_preview(&self, now: Timestamp) -> Result<Digest, AppError> {
        let week = self.digest_schedule().current(now)?;
        self.digest(&week, now)
    }

    /// Queues the digest of `week` for `channel` unless it was queued (or posted) already.
    pub fn queue_digest(
        &self,
        channel: &ChannelId,
        week: &Week,
        now: Timestamp,
    ) -> Result<Queueing, AppError> {
        Ok(self.store.queue_digest(channel, week.key(), now)?)
    }

    /// At or after the scheduled time: queues the week's digest for the configured channel when
    /// it has not been queued yet, and says which week it queued. Nothing when the digest is
    /// off, has no channel, or went out already.
    pub fn queue_digest_if_due(&self, now: Timestamp) -> Result<Option<WeekStart>, AppError> {
        let digest = &self.config.digest;
        let Some(channel) = digest.channel.as_ref().filter(|_| digest.enabled) else {
            return Ok(None);
        };
        let week = self.digest_week_due(now)?;
        Ok(match self.queue_digest(channel, &week, now)? {
            Queueing::Queued => Some(week.key()),
            Queueing::Already(_) => None,
        })
    }

    /// The digest was posted as message `ts`: recorded in its mark.
    pub(super) fn digest_posted(
        &self,
        channel: &ChannelId,
        week: WeekStart,
        ts: &MessageTs,
    ) -> Result<(), AppError> {
        Ok(self.store.digest_posted(channel, week, ts, self.now())?)
    }

    /// `serve`'s scheduler: at start-up it queues a digest that is due and was missed (the bot
    /// was down at the scheduled time), then sleeps until each next scheduled instant and queues
    /// that week's. Runs until the task is dropped; returns at once when the digest is off.
    pub async fn run_digest_schedule(self) {
        let digest = &self.config.digest;
        match (&digest.channel, digest.enabled) {
            (_, false) => {
                tracing::info!("the weekly digest is off (digest.enabled = false)");
                return;
            }
            (None, true) => {
                tracing::info!(
                    "no weekly digest: set digest.channel in the config to post one on schedule"
                );
                return;
            }
            (Some(channel), true) => tracing::info!(
                %channel,
                weekday = ?digest.schedule.weekday,
                time = %digest.schedule.time,
                zone = %digest.schedule.zone_name,
                "weekly digest scheduled"
            ),
        }
        while let Some(pause) = self.digest_tick(self.now()) {
            tokio::time::sleep(pause.min(RECHECK)).await;
        }
    }

    /// One look at the clock by the scheduler: queues the digest if it is due and not yet
    /// queued, and says how long to wait before looking again (until the next scheduled
    /// instant). `None` when the schedule cannot go on.
    pub fn digest_tick(&self, now: Timestamp) -> Option<Duration> {
        match self.queue_digest_if_due(now) {
            Ok(Some(week)) => tracing::info!(%week, "weekly digest queued"),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not queue the weekly digest; will retry");
                return Some(RETRY);
            }
        }
        match self.digest_schedule().next_after(now) {
            Ok(next) => Some(until(now, next)),
            Err(e) => {
                tracing::error!(error = %e, "the digest schedule failed");
                None
            }
        }
    }
}

/// How long from `now` to `next`, at least a moment (a timer that fires a hair early finds the
/// digest not yet due and waits the rest).
fn until(now: Timestamp, next: Timestamp) -> Duration {
    let d = next.duration_since(now);
    Duration::try_from(d)
        .unwrap_or(Duration::ZERO)
        .max(Duration::from_millis(10))
}

/// Feeds every readable idea to `f`. An unreadable record is logged and left out, as lists do;
/// a store that fails is an error.
fn read_all(
    ideas: impl Iterator<Item = Result<Idea, StoreError>>,
    mut f: impl FnMut(&Idea),
) -> Result<(), AppError> {
    for idea in ideas {
        match idea {
            Ok(idea) => f(&idea),
            Err(e @ StoreError::Corrupt { .. }) => tracing::warn!(error = %e, "skipped"),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The digest in words, shared by Slack and the command line. Plain text, no markup: each surface
// adds its own emphasis and escaping.

/// "Weekly digest" or "Digest preview", then the week.
pub fn digest_title(d: &Digest) -> String {
    if d.complete {
        format!("Weekly digest, {}", d.title)
    } else {
        format!("Digest preview, {} (so far)", d.title)
    }
}

/// "42 new ideas (35 the week before)".
pub fn new_ideas_line(d: &Digest) -> String {
    let before = match d.new_ideas_last_week {
        0 => "none the week before".to_string(),
        n => format!("{n} the week before"),
    };
    format!("{} ({before})", count(d.new_ideas, "new idea", "new ideas"))
}

/// The bar chart of new ideas per track, one row each, monospaced: name, bar, count. Tracks
/// past [`TRACK_ROWS`] are summed up in a last line.
pub fn track_rows(d: &Digest) -> Vec<String> {
    let max = d.tracks.iter().map(|t| t.ideas).max().unwrap_or(0);
    let shown = &d.tracks[..d.tracks.len().min(TRACK_ROWS)];
    let name_width = shown
        .iter()
        .map(|t| t.name.chars().count().min(18))
        .max()
        .unwrap_or(0);
    let count_width = max.to_string().len();
    let mut rows: Vec<String> = shown
        .iter()
        .map(|t| {
            let name = crate::domain::digest::clip(&t.name, 18);
            format!(
                "{name:<name_width$}  {:<bar_width$}  {:>count_width$}",
                bar(t.ideas, max, BAR_WIDTH),
                t.ideas,
                bar_width = BAR_WIDTH + 1,
            )
        })
        .collect();
    let rest = &d.tracks[shown.len()..];
    if !rest.is_empty() {
        let ideas: usize = rest.iter().map(|t| t.ideas).sum();
        let tracks = if rest.len() == 1 { "track" } else { "tracks" };
        rows.push(format!(
            "…and {} more {tracks} with {}",
            thousands(rest.len()),
            count(ideas, "idea", "ideas")
        ));
    }
    rows
}

/// The share of problem-led first pitches, with the week before: "62% (26 of 42 pitches), up 7
/// points on the week before".
pub fn problem_led_line(d: &Digest) -> String {
    let (q, before) = (&d.quality, &d.quality_last_week);
    match q.problem_led_pct() {
        None => "no pitches".into(),
        Some(pct) => format!(
            "{pct}% ({} of {}){}",
            thousands(q.problem_led),
            count(q.pitches, "pitch", "pitches"),
            trend(pct, before.problem_led_pct())
        ),
    }
}

/// Tech-led pitches reframed into problem statements: "5 of 9 (56%), down 4 points on the week
/// before" — the bot's own effect.
pub fn reframed_line(d: &Digest) -> String {
    let (q, before) = (&d.quality, &d.quality_last_week);
    match q.reframed_pct() {
        None => "no tech-led pitches".into(),
        Some(pct) => format!(
            "{} of {} ({pct}%){}",
            thousands(q.reframed),
            thousands(q.tech_led),
            trend(pct, before.reframed_pct())
        ),
    }
}

fn trend(now: u32, before: Option<u32>) -> String {
    match before {
        None => ", none the week before".into(),
        Some(b) if b == now => ", as the week before".into(),
        Some(b) if now > b => format!(", up {} on the week before", points(now - b)),
        Some(b) => format!(", down {} on the week before", points(b - now)),
    }
}

fn points(n: u32) -> String {
    count(n as usize, "point", "points")
}

/// "3 accepted, 1 parked, 2 declined" or "none".
pub fn decisions_line(d: &Digest) -> String {
    let k = &d.decisions;
    if k.total() == 0 {
        return "none".into();
    }
    format!(
        "{} accepted, {} parked, {} declined",
        thousands(k.accepted),
        thousands(k.parked),
        thousands(k.declined)
    )
}

/// Which decisions are counted: "Decisions count ideas pitched in the last 13 weeks."
pub fn decisions_scope(d: &Digest) -> String {
    format!(
        "Decisions count ideas pitched in the last {}.",
        count(d.decisions.horizon_weeks.max(0) as usize, "week", "weeks")
    )
}

/// "…and 37 more" when a list names fewer than there are.
pub fn and_more(listed: usize, total: usize, at_least: bool) -> Option<String> {
    (total > listed).then(|| {
        let more = total - listed;
        if at_least {
            format!("…and over {} more", thousands(more))
        } else {
            format!("…and {} more", thousands(more))
        }
    })
}

/// "120 ideas" or "over 10,000 ideas".
pub fn waiting_line(d: &Digest) -> String {
    let w = &d.waiting;
    let n = count(w.count, "idea", "ideas");
    if w.at_least {
        format!("over {n}")
    } else {
        n
    }
}

/// Whole days an idea has waited by the end of the digest: "3 days".
pub fn waited(d: &Digest, idea: &Listed) -> String {
    let days = (d.to.as_second() - idea.created.as_second()).max(0) / 86_400;
    match days {
        0 => "less than a day".into(),
        n => count(n as usize, "day", "days"),
    }
}

/// What an empty week says instead of empty sections.
pub fn quiet_line() -> &'static str {
    "A quiet week: no new ideas and no decisions. Know someone who struggles with something every \
     day? Pitch their problem with /idea."
}

/// "1 idea", "2,500 ideas".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// 12345 → "12,345".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The digest as plain text, for the terminal.
pub fn digest_text(d: &Digest) -> String {
    let mut out = vec![digest_title(d), d.period.clone(), String::new()];
    if d.is_quiet() {
        out.push(quiet_line().into());
        if d.waiting.count > 0 {
            out.push(format!("{} still wait for triage.", waiting_line(d)));
        }
        return out.join("\n") + "\n";
    }
    out.push(format!("New ideas: {}", new_ideas_line(d)));
    out.extend(track_rows(d).into_iter().map(|r| format!("  {r}")));
    out.push(String::new());
    out.push("Pitch quality".into());
    out.push(format!(
        "  Problem-led at first pitch: {}",
        problem_led_line(d)
    ));
    out.push(format!(
        "  Tech-led pitches reframed into problem statements: {}",
        reframed_line(d)
    ));
    out.push(String::new());
    out.push("Most voted".into());
    if d.most_voted.is_empty() {
        out.push("  No votes on this week's ideas yet.".into());
    }
    for (n, i) in d.most_voted.iter().enumerate() {
        out.push(format!(
            "  {}. {} ({}), {}: {}",
            n + 1,
            i.id,
            d.track_name(&i.track),
            count(i.votes, "vote", "votes"),
            i.headline
        ));
    }
    out.push(String::new());
    out.push(format!("Decisions: {}", decisions_line(d)));
    for k in &d.decisions.latest {
        out.push(format!(
            "  {} {} ({}): {}",
            status_label(k.status),
            k.idea.id,
            d.track_name(&k.idea.track),
            k.idea.headline
        ));
    }
    out.extend(
        and_more(
            DECISIONS_LISTED.min(d.decisions.latest.len()),
            d.decisions.total(),
            false,
        )
        .map(|m| format!("  {m}")),
    );
    out.push(String::new());
    out.push(format!("Waiting longest for triage: {}", waiting_line(d)));
    for i in &d.waiting.oldest {
        out.push(format!(
            "  {} ({}), {}: {}",
            i.id,
            d.track_name(&i.track),
            waited(d, i),
            i.headline
        ));
    }
    out.extend(
        and_more(d.waiting.oldest.len(), d.waiting.count, d.waiting.at_least)
            .map(|m| format!("  {m}")),
    );
    out.push(String::new());
    out.push(decisions_scope(d));
    out.join("\n") + "\n"
}

/// "Accepted", "Parked", "Declined" from a status name.
pub fn status_label(name: &str) -> &'static str {
    match name {
        "accepted" => "Accepted",
        "parked" => "Parked",
        _ => "Declined",
    }
}
