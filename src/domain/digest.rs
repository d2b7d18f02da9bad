//! The weekly digest, as plain data: when it is due, which seven days it covers, and what it says
//! about them.
//!
//! A digest *week* runs from the scheduled instant (say Monday 09:00 in the configured zone) to
//! the same civil weekday and time seven days later, and is named by the civil date it starts on
//! (`2026-03-02`). Its digest is due from the end of the week until the end of the next one: a
//! bot that was down at the scheduled time still posts it when it comes back within that week.
//! Because the bounds are civil times in the zone, a week with a daylight-saving change is 167
//! or 169 hours long and the digest still goes out at 09:00 on the clock on the wall.
//!
//! Nothing here reads a clock or a store: `now`, the ideas and the zone are inputs.

use super::ids::{TrackId, UserId, WeekStart};
use super::text::normalize;
use super::{Idea, IdeaId, Source, Status, Verdict};
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::Serialize;
use std::cmp::Reverse;
use std::fmt;

/// When the digest goes out: a weekday and a time on the clocks of one time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub weekday: Weekday,
    pub time: Time,
    pub zone: TimeZone,
    /// The zone as configured (an IANA name such as `Europe/Amsterdam`), for people to read.
    pub zone_name: String,
}

/// Why a schedule could not place a week: a date at the end of the calendar jiff supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError(pub String);

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the digest schedule can't place this week: {}", self.0)
    }
}

impl std::error::Error for ScheduleError {}

impl From<jiff::Error> for ScheduleError {
    fn from(e: jiff::Error) -> Self {
        ScheduleError(e.to_string())
    }
}

/// One digest week: `[from, to)`, named by its first civil day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Week {
    /// The civil date the week starts on, in the schedule's zone.
    pub start: Date,
    pub from: Timestamp,
    /// The scheduled instant that ends the week; its digest is due from here.
    pub to: Timestamp,
}

impl Week {
    /// The name the week is known by in notices and marks: its first day.
    pub fn key(&self) -> WeekStart {
        WeekStart::new(self.start)
    }

    pub fn contains(&self, t: Timestamp) -> bool {
        self.from <= t && t < self.to
    }
}

impl Schedule {
    /// Monday 09:00 UTC.
    pub fn default_utc() -> Schedule {
        Schedule {
            weekday: Weekday::Monday,
            time: Time::constant(9, 0, 0, 0),
            zone: TimeZone::UTC,
            zone_name: "UTC".into(),
        }
    }

    /// The scheduled instant on the civil day `date`. A time that the zone skips (the hour a
    /// daylight-saving change jumps over) is taken as the same clock time after the jump; a time
    /// that happens twice is taken the first time.
    fn instant_on(&self, date: Date) -> Result<Timestamp, ScheduleError> {
        Ok(date
            .to_datetime(self.time)
            .to_zoned(self.zone.clone())?
            .timestamp())
    }

    /// The week that starts on `start` (which need not be the scheduled weekday: a week is seven
    /// civil days from any date).
    pub fn week(&self, start: Date) -> Result<Week, ScheduleError> {
        let end = start.checked_add(7.days())?;
        Ok(Week {
            start,
            from: self.instant_on(start)?,
            to: self.instant_on(end)?,
        })
    }

    /// The week `start` names.
    pub fn week_of(&self, start: WeekStart) -> Result<Week, ScheduleError> {
        self.week(start.date())
    }

    /// The week in progress at `now`: `from <= now < to`.
    pub fn current(&self, now: Timestamp) -> Result<Week, ScheduleError> {
        let today = now.to_zoned(self.zone.clone()).date();
        // Back to the last scheduled weekday on or before today's date…
        let back = i64::from(today.weekday().since(self.weekday));
        let mut week = self.week(today.checked_sub(back.days())?)?;
        // …and one week either way when the time of day (or a zone that skips a whole day)
        // puts `now` outside it.
        while week.from > now {
            week = self.week(week.start.checked_sub(7.days())?)?;
        }
        while week.to <= now {
            week = self.week(week.start.checked_add(7.days())?)?;
        }
        Ok(week)
    }

    /// The week whose digest is due at `now`: the last one that has ended. It stays due until the
    /// next scheduled instant, so a digest missed while the bot was down goes out when it is back.
    pub fn due(&self, now: Timestamp) -> Result<Week, ScheduleError> {
        let current = self.current(now)?;
        self.week(current.start.checked_sub(7.days())?)
    }

    /// The next scheduled instant after `now`.
    pub fn next_after(&self, now: Timestamp) -> Result<Timestamp, ScheduleError> {
        Ok(self.current(now)?.to)
    }
}

/// Reads a weekday as people write it: `monday`, `Mon`, `MONDAY`.
pub fn parse_weekday(s: &str) -> Result<Weekday, String> {
    let t = s.trim().to_ascii_lowercase();
    let days = [
        ("monday", Weekday::Monday),
        ("tuesday", Weekday::Tuesday),
        ("wednesday", Weekday::Wednesday),
        ("thursday", Weekday::Thursday),
        ("friday", Weekday::Friday),
        ("saturday", Weekday::Saturday),
        ("sunday", Weekday::Sunday),
    ];
    days.iter()
        .find(|(name, _)| t == *name || (t.len() == 3 && name.starts_with(t.as_str())))
        .map(|(_, d)| *d)
        .ok_or_else(|| format!("'{s}' is not a weekday; use monday, tuesday, … or sunday"))
}

/// Reads a time of day written `HH:MM` (24-hour clock).
pub fn parse_time(s: &str) -> Result<Time, String> {
    let bad = || format!("'{s}' is not a time of day; write it as HH:MM, e.g. \"09:00\"");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let digits = |p: &str, max: usize| {
        (!p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<i8>().ok())
            .flatten()
    };
    // Minutes always take two digits: `9:5` is ambiguous to a reader.
    let (Some(h), Some(m)) = (digits(h, 2), digits(m, 2).filter(|_| m.len() == 2)) else {
        return Err(bad());
    };
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

/// Reads an IANA time zone name (`Europe/Amsterdam`, `UTC`).
pub fn parse_zone(s: &str) -> Result<TimeZone, String> {
    TimeZone::get(s.trim()).map_err(|_| {
        format!("'{s}' is not a time zone this build knows; use an IANA name such as \"Europe/Amsterdam\" or \"UTC\"")
    })
}

/// How many ideas of each kind the digest lists by name; counts cover all of them.
pub const TOP_VOTED: usize = 5;
pub const DECISIONS_LISTED: usize = 8;
pub const WAITING_LISTED: usize = 5;
/// Decisions are looked for among the ideas pitched in this many weeks before the digest week
/// (and in it): a decision is recorded in the idea's history, and no index orders ideas by when
/// they were decided, so the digest reads a bounded stretch of the created-time index rather
/// than every idea ever decided. A decision on an idea pitched earlier is not counted.
pub const DECISION_HORIZON_WEEKS: i64 = 13;
/// The longest headline kept for a listed idea, in characters.
pub const HEADLINE_CHARS: usize = 100;

/// An idea as the digest names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listed {
    pub id: IdeaId,
    pub track: TrackId,
    pub headline: String,
    pub votes: usize,
    pub created: Timestamp,
}

impl Listed {
    fn of(idea: &Idea) -> Listed {
        Listed {
            id: idea.id,
            track: idea.track.clone(),
            // Slack markup (mentions, links, entities) becomes the plain text it shows as.
            headline: clip(&normalize(&idea.headline_text()).text, HEADLINE_CHARS),
            votes: idea.voters.len(),
            created: idea.created,
        }
    }
}

/// New ideas in one track.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackCount {
    pub track: TrackId,
    pub name: String,
    pub ideas: usize,
}

/// How pitches were put, for one week. Imported ideas are left out: the bot never saw them as
/// pitches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Quality {
    pub pitches: usize,
    /// Judged problem-led as first pitched.
    pub problem_led: usize,
    /// Judged technology- or solution-led as first pitched.
    pub tech_led: usize,
    /// Of those, reframed into a problem-led statement.
    pub reframed: usize,
}

impl Quality {
    fn add(&mut self, idea: &Idea) {
        if idea.source == Source::Import {
            return;
        }
        self.pitches += 1;
        match idea.judged.verdict {
            Verdict::Problem => self.problem_led += 1,
            Verdict::Tech => {
                self.tech_led += 1;
                let reframed = idea
                    .reframe_judged
                    .as_ref()
                    .is_some_and(|j| j.verdict == Verdict::Problem);
                if reframed {
                    self.reframed += 1;
                }
            }
            Verdict::Vague => {}
        }
    }

    /// Share of pitches that were problem-led at first pitch, in whole percent.
    pub fn problem_led_pct(&self) -> Option<u32> {
        percent(self.problem_led, self.pitches)
    }

    /// Share of tech-led pitches reframed into problem statements, in whole percent.
    pub fn reframed_pct(&self) -> Option<u32> {
        percent(self.reframed, self.tech_led)
    }
}

/// One decision a lead made during the week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub idea: Listed,
    /// `accepted`, `parked` or `declined`.
    pub status: &'static str,
    pub by: UserId,
    pub at: Timestamp,
}

/// The decisions of the week: counts of each, and the latest by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Decisions {
    pub accepted: usize,
    pub parked: usize,
    pub declined: usize,
    /// The latest [`DECISIONS_LISTED`], newest first.
    pub latest: Vec<Decision>,
    /// Only decisions on ideas pitched this many weeks before the digest week, or in it, are
    /// counted ([`DECISION_HORIZON_WEEKS`]).
    pub horizon_weeks: i64,
}

impl Decisions {
    pub fn total(&self) -> usize {
        self.accepted + self.parked + self.declined
    }
}

/// Ideas filed and not yet looked at by a lead, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Waiting {
    pub oldest: Vec<Listed>,
    /// How many wait in all (at least this many when `at_least`).
    pub count: usize,
    /// The count stopped at a cap: there are at least `count`.
    pub at_least: bool,
}

/// Everything a digest says, ready to render.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Digest {
    /// The week, by its first day.
    pub week: WeekStart,
    /// "week of 2 March 2026".
    pub title: String,
    /// What was read, on the zone's clocks: "Mon 2 Mar 09:00 – Mon 9 Mar 09:00 (UTC)".
    pub period: String,
    pub from: Timestamp,
    /// The end of what was read: the week's end, or `now` for a preview of a week in progress.
    pub to: Timestamp,
    pub zone: String,
    /// `false` for a preview of a week still in progress.
    pub complete: bool,
    /// Ideas filed this week.
    pub new_ideas: usize,
    pub new_ideas_last_week: usize,
    /// Every configured track (even with none this week), then any other track ideas were filed
    /// in, largest first.
    pub tracks: Vec<TrackCount>,
    pub quality: Quality,
    pub quality_last_week: Quality,
    pub most_voted: Vec<Listed>,
    pub decisions: Decisions,
    pub waiting: Waiting,
}

impl Digest {
    /// Nothing came in and nothing was decided.
    pub fn is_quiet(&self) -> bool {
        self.quality.pitches == 0 && self.new_ideas == 0 && self.decisions.total() == 0
    }

    /// A track's display name, as the digest knows it.
    pub fn track_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.tracks
            .iter()
            .find(|t| t.track == id)
            .map_or(id, |t| t.name.as_str())
    }
}

/// Builds a [`Digest`] from ideas streamed in one at a time, so a week of any size is read once
/// and only the few ideas it names are kept.
pub struct DigestBuilder {
    digest: Digest,
    last_week: Week,
    this_week: Week,
    /// Where ideas whose decisions count start: [`DECISION_HORIZON_WEEKS`] before the week.
    horizon: Timestamp,
    /// How many of `digest.tracks` are configured (they come first).
    configured: usize,
}

impl DigestBuilder {
    /// `week` is the digest week; `upto` cuts it short for a preview. `tracks` are the configured
    /// tracks as (id, name), in the config's order.
    pub fn new(
        schedule: &Schedule,
        week: Week,
        upto: Timestamp,
        tracks: &[(TrackId, String)],
    ) -> Result<DigestBuilder, ScheduleError> {
        let last_week = schedule.week(week.start.checked_sub(7.days())?)?;
        let horizon = schedule
            .week(
                week.start
                    .checked_sub((7 * DECISION_HORIZON_WEEKS).days())?,
            )?
            .from;
        let to = upto.clamp(week.from, week.to);
        let local = |t: Timestamp| t.to_zoned(schedule.zone.clone());
        let period = format!(
            "{} – {} ({})",
            local(week.from).strftime("%a %-d %b %H:%M"),
            local(to).strftime("%a %-d %b %H:%M"),
            schedule.zone_name
        );
        Ok(DigestBuilder {
            digest: Digest {
                week: week.key(),
                title: format!("week of {}", week.start.strftime("%-d %B %Y")),
                period,
                from: week.from,
                to,
                zone: schedule.zone_name.clone(),
                complete: to == week.to,
                new_ideas: 0,
                new_ideas_last_week: 0,
                tracks: tracks
                    .iter()
                    .map(|(id, name)| TrackCount {
                        track: id.clone(),
                        name: name.clone(),
                        ideas: 0,
                    })
                    .collect(),
                quality: Quality::default(),
                quality_last_week: Quality::default(),
                most_voted: Vec::new(),
                decisions: Decisions {
                    horizon_weeks: DECISION_HORIZON_WEEKS,
                    ..Decisions::default()
                },
                waiting: Waiting::default(),
            },
            last_week,
            this_week: Week { to, ..week },
            horizon,
            configured: tracks.len(),
        })
    }

    /// The window the week's pitches are read from: `[from, to)`.
    pub fn window(&self) -> (Timestamp, Timestamp) {
        (self.this_week.from, self.this_week.to)
    }

    /// Where the ideas whose decisions count were pitched before the week: from the horizon to
    /// the week's start (the week's own ideas are looked at in [`DigestBuilder::pitched`]).
    pub fn decisions_window(&self) -> (Timestamp, Timestamp) {
        (self.horizon, self.this_week.from)
    }

    /// The week before, for week-on-week figures.
    pub fn last_week_window(&self) -> (Timestamp, Timestamp) {
        (self.last_week.from, self.last_week.to)
    }

    /// An idea pitched during the week (and perhaps decided in it too). Ideas outside the window
    /// are ignored.
    pub fn pitched(&mut self, idea: &Idea) {
        if !self.this_week.contains(idea.created) {
            return;
        }
        self.decided(idea);
        let d = &mut self.digest;
        d.quality.add(idea);
        if !was_filed(idea) {
            return;
        }
        d.new_ideas += 1;
        match d.tracks.iter_mut().find(|t| t.track == idea.track) {
            Some(t) => t.ideas += 1,
            None => d.tracks.push(TrackCount {
                track: idea.track.clone(),
                name: idea.track.to_string(),
                ideas: 1,
            }),
        }
        // Most votes first; among equals, the earlier idea. Only an idea that makes the list is
        // turned into a `Listed`, so a busy week costs a comparison per idea.
        let rank = |votes: usize, created: Timestamp, id: IdeaId| (Reverse(votes), created, id);
        let votes = idea.voters.len();
        let this = rank(votes, idea.created, idea.id);
        let makes_it = d.most_voted.len() < TOP_VOTED
            || d.most_voted
                .last()
                .is_some_and(|l| this < rank(l.votes, l.created, l.id));
        if votes > 0 && makes_it {
            keep_top(&mut d.most_voted, Listed::of(idea), TOP_VOTED, |a, b| {
                rank(a.votes, a.created, a.id).cmp(&rank(b.votes, b.created, b.id))
            });
        }
    }

    /// An idea pitched the week before.
    pub fn pitched_last_week(&mut self, idea: &Idea) {
        if !self.last_week.contains(idea.created) {
            return;
        }
        self.digest.quality_last_week.add(idea);
        if was_filed(idea) {
            self.digest.new_ideas_last_week += 1;
        }
    }

    /// An idea that is accepted, parked or declined now: counted when that decision was made
    /// during the week. An idea decided and then reopened is not decided any more. Call it once
    /// an idea: [`DigestBuilder::pitched`] already does for the week's own.
    pub fn decided(&mut self, idea: &Idea) {
        let status = idea.status();
        let name = match status {
            Status::Accepted | Status::Parked | Status::Declined => status.name(),
            _ => return,
        };
        // The change that moved it into this status (not a later edit, such as a track move,
        // which keeps the status).
        let moved_here = |c: &&super::Change| c.to == status && c.from != Some(status);
        let Some(change) = idea.history.iter().rev().find(moved_here) else {
            return;
        };
        if !self.this_week.contains(change.at) {
            return;
        }
        let d = &mut self.digest.decisions;
        match status {
            Status::Accepted => d.accepted += 1,
            Status::Parked => d.parked += 1,
            _ => d.declined += 1,
        }
        let decision = Decision {
            idea: Listed::of(idea),
            status: name,
            by: change.by.clone(),
            at: change.at,
        };
        keep_top(&mut d.latest, decision, DECISIONS_LISTED, |a, b| {
            b.at.cmp(&a.at).then(b.idea.id.cmp(&a.idea.id))
        });
    }

    /// The ideas waiting for triage: the oldest few (oldest first), and how many wait in all.
    pub fn waiting(&mut self, oldest: &[Idea], count: usize, at_least: bool) {
        self.digest.waiting = Waiting {
            oldest: oldest.iter().take(WAITING_LISTED).map(Listed::of).collect(),
            count,
            at_least,
        };
    }

    pub fn finish(mut self) -> Digest {
        // Configured tracks keep the config's order; tracks met on the way (filed under a track
        // since removed from the config) follow, largest first.
        if let Some(others) = self.digest.tracks.get_mut(self.configured..) {
            others.sort_by(|a, b| b.ideas.cmp(&a.ideas).then(a.track.cmp(&b.track)));
        }
        self.digest
    }
}

/// Whether the idea was ever filed (drafts awaiting a reframe, and drafts withdrawn, were not).
fn was_filed(idea: &Idea) -> bool {
    idea.history.iter().any(|c| c.to == Status::New)
}

/// Inserts `item` into `top`, sorted by `order`, keeping at most `n`.
fn keep_top<T>(top: &mut Vec<T>, item: T, n: usize, order: impl Fn(&T, &T) -> std::cmp::Ordering) {
    let at = top.partition_point(|x| order(x, &item) != std::cmp::Ordering::Greater);
    if at < n {
        top.insert(at, item);
        top.truncate(n);
    }
}

/// `part` of `whole` in whole percent; `None` when there is no whole.
pub fn percent(part: usize, whole: usize) -> Option<u32> {
    (whole > 0).then(|| ((part as f64 * 100.0 / whole as f64).round()) as u32)
}

/// A bar of `width` cells for `value` against `max`, in eighths of a cell so small differences
/// still show. Anything above zero gets at least a sliver.
pub fn bar(value: usize, max: usize, width: usize) -> String {
    const PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    if value == 0 || max == 0 {
        return String::new();
    }
    let eighths = ((value.min(max) as f64 / max as f64) * (width * 8) as f64).round() as usize;
    let eighths = eighths.max(1);
    let mut s = "█".repeat(eighths / 8);
    if eighths % 8 > 0 {
        s.push(PARTS[eighths % 8]);
    }
    s
}

/// At most `max` characters, ending in `…` when cut; whitespace runs become one space.
pub fn clip(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut out: String = one_line.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse()
            .unwrap_or_else(|e| panic!("{s} is not a timestamp: {e}"))
    }

    fn schedule(weekday: &str, time: &str, zone: &str) -> Schedule {
        let parsed = (parse_weekday(weekday), parse_time(time), parse_zone(zone));
        let (Ok(weekday), Ok(time), Ok(tz)) = parsed else {
            panic!("bad schedule {weekday} {time} {zone}");
        };
        Schedule {
            weekday,
            time,
            zone: tz,
            zone_name: zone.into(),
        }
    }

    fn due_key(s: &Schedule, now: &str) -> String {
        s.due(at(now))
            .unwrap_or_else(|e| panic!("{e}"))
            .key()
            .to_string()
    }

    #[test]
    fn the_default_is_monday_nine_utc_and_the_due_week_turns_at_that_instant() {
        let s = Schedule::default_utc();
        // Monday 9 March 2026, a second before and at 09:00.
        assert_eq!(due_key(&s, "2026-03-09T08:59:59Z"), "2026-02-23");
        assert_eq!(due_key(&s, "2026-03-09T09:00:00Z"), "2026-03-02");
        // It stays due all week, until the next Monday 09:00.
        assert_eq!(due_key(&s, "2026-03-15T23:59:59Z"), "2026-03-02");
        assert_eq!(due_key(&s, "2026-03-16T08:59:59Z"), "2026-03-02");
        assert_eq!(due_key(&s, "2026-03-16T09:00:00Z"), "2026-03-09");
        let week = s
            .due(at("2026-03-10T12:00:00Z"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(week.from, at("2026-03-02T09:00:00Z"));
        assert_eq!(week.to, at("2026-03-09T09:00:00Z"));
        assert_eq!(
            s.next_after(at("2026-03-09T08:59:00Z")).ok(),
            Some(at("2026-03-09T09:00:00Z"))
        );
        assert_eq!(
            s.next_after(at("2026-03-09T09:00:00Z")).ok(),
            Some(at("2026-03-16T09:00:00Z"))
        );
    }

    #[test]
    fn a_week_with_the_spring_change_is_167_hours_and_posts_at_nine_on_the_wall_clock() {
        let s = schedule("monday", "09:00", "Europe/Amsterdam");
        // Clocks go forward on Sunday 29 March 2026.
        let week = s
            .week_of(WeekStart::parse("2026-03-23").expect("a week"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(week.from, at("2026-03-23T08:00:00Z"), "09:00 CET");
        assert_eq!(week.to, at("2026-03-30T07:00:00Z"), "09:00 CEST");
        assert_eq!(week.to.duration_since(week.from).as_hours(), 167);
        assert_eq!(due_key(&s, "2026-03-30T06:59:59Z"), "2026-03-16");
        assert_eq!(due_key(&s, "2026-03-30T07:00:00Z"), "2026-03-23");
        // The hour that never happened does not move the schedule either way.
        assert_eq!(due_key(&s, "2026-03-29T01:30:00Z"), "2026-03-16");
    }

    #[test]
    fn a_week_with_the_autumn_change_is_169_hours() {
        let s = schedule("monday", "09:00", "Europe/Amsterdam");
        // Clocks go back on Sunday 25 October 2026.
        let week = s
            .week_of(WeekStart::parse("2026-10-19").expect("a week"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(week.from, at("2026-10-19T07:00:00Z"));
        assert_eq!(week.to, at("2026-10-26T08:00:00Z"));
        assert_eq!(week.to.duration_since(week.from).as_hours(), 169);
        assert_eq!(due_key(&s, "2026-10-26T07:59:59Z"), "2026-10-12");
        assert_eq!(due_key(&s, "2026-10-26T08:00:00Z"), "2026-10-19");
    }

    #[test]
    fn a_scheduled_time_the_clock_skips_or_repeats_is_placed_once() {
        let s = schedule("sunday", "02:30", "Europe/Amsterdam");
        // 02:30 does not exist on 29 March: it is taken as 03:30 CEST.
        let spring = s
            .week_of(WeekStart::parse("2026-03-29").expect("a week"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spring.from, at("2026-03-29T01:30:00Z"));
        // 02:30 happens twice on 25 October: the first one (CEST) counts.
        let autumn = s
            .week_of(WeekStart::parse("2026-10-25").expect("a week"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(autumn.from, at("2026-10-25T00:30:00Z"));
        assert_eq!(due_key(&s, "2026-10-25T00:30:00Z"), "2026-10-18");
        assert_eq!(due_key(&s, "2026-10-25T01:30:00Z"), "2026-10-18");
    }

    #[test]
    fn zones_far_from_utc_place_the_week_by_their_own_calendar() {
        // Monday 09:00 in Auckland is Sunday 20:00 UTC.
        let s = schedule("mon", "9:00", "Pacific/Auckland");
        assert_eq!(due_key(&s, "2026-06-14T19:59:59Z"), "2026-06-01");
        assert_eq!(due_key(&s, "2026-06-14T21:00:00Z"), "2026-06-08");
        // Friday 17:30 in Los Angeles.
        let s = schedule("Friday", "17:30", "America/Los_Angeles");
        assert_eq!(due_key(&s, "2026-07-11T00:29:59Z"), "2026-06-26");
        assert_eq!(due_key(&s, "2026-07-11T00:30:00Z"), "2026-07-03");
    }

    #[test]
    fn every_instant_lies_in_exactly_one_week_and_weeks_follow_each_other() {
        let s = schedule("wednesday", "23:45", "America/New_York");
        let mut t = at("2026-01-01T00:00:00Z");
        let mut last: Option<Week> = None;
        for _ in 0..(366 * 4) {
            let week = s.current(t).unwrap_or_else(|e| panic!("{e}"));
            assert!(week.contains(t), "{t} outside {week:?}");
            assert_eq!(week.start.weekday(), Weekday::Wednesday);
            if let Some(prev) = last.filter(|p| *p != week) {
                assert_eq!(prev.to, week.from, "no gap and no overlap");
            }
            last = Some(week);
            t = t
                .checked_add(jiff::SignedDuration::from_hours(6))
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn config_values_are_read_as_people_write_them() {
        assert_eq!(parse_weekday("Monday"), Ok(Weekday::Monday));
        assert_eq!(parse_weekday(" sun "), Ok(Weekday::Sunday));
        assert!(parse_weekday("mo").is_err());
        assert!(parse_weekday("someday").is_err());
        assert_eq!(parse_time("09:00"), Ok(Time::constant(9, 0, 0, 0)));
        assert_eq!(parse_time("9:05"), Ok(Time::constant(9, 5, 0, 0)));
        assert_eq!(parse_time("23:59"), Ok(Time::constant(23, 59, 0, 0)));
        for bad in ["24:00", "9", "9:5", "09:60", "9am", "", "09:00:00", "-1:00"] {
            assert!(parse_time(bad).is_err(), "{bad:?}");
        }
        assert!(parse_zone("Europe/Amsterdam").is_ok());
        assert!(parse_zone("UTC").is_ok());
        assert!(parse_zone("Mars/Olympus_Mons").is_err());
    }

    #[test]
    fn bars_are_proportional_and_any_count_shows() {
        assert_eq!(bar(0, 10, 20), "");
        assert_eq!(bar(10, 10, 20), "█".repeat(20));
        assert_eq!(bar(5, 10, 20), "█".repeat(10));
        assert_eq!(bar(1, 1000, 20), "▏");
        assert_eq!(bar(3, 8, 1), "▍");
        assert!(bar(999, 1000, 20).chars().count() <= 20);
    }

    #[test]
    fn percentages_round_and_need_a_whole() {
        assert_eq!(percent(1, 3), Some(33));
        assert_eq!(percent(2, 3), Some(67));
        assert_eq!(percent(0, 0), None);
        assert_eq!(clip("a  b\nc", 10), "a b c");
        assert_eq!(clip("abcdefghijk", 5), "abcd…");
    }
}
