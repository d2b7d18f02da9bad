//! The App Home as plain data, paged so any volume of ideas fits on one screen: everyone sees
//! their own ideas with status, votes and the last decision, and the idea board (`board`);
//! leads also see, per track they
//! lead, how many ideas are in each status and the ideas waiting longest for triage.

use super::{Actor, App, AppError};
use crate::domain::{Idea, Status, TrackId, UserId};
use crate::storage::Slice;

/// A person's own ideas per page.
pub const MINE_PER_PAGE: usize = 10;
/// A person's drafts shown at the top of their Home (drafts expire, so there are seldom more).
pub const DRAFTS_SHOWN: usize = 5;
/// Waiting ideas per track and page.
pub const WAITING_PER_PAGE: usize = 5;

/// Which page of each list to show; every list starts at its first page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HomePage {
    /// Offset into the person's own ideas.
    pub mine: usize,
    /// A track's waiting list and the offset into it.
    pub track: Option<(TrackId, usize)>,
    /// The board's page; none, the first.
    pub board: Option<super::board::Browse>,
}

impl HomePage {
    fn waiting_offset(&self, track: &str) -> usize {
        match &self.track {
            Some((t, offset)) if t == track => *offset,
            _ => 0,
        }
    }
}

/// One page of a longer list.
#[derive(Debug, Clone, Default)]
pub struct Paged<T> {
    pub items: Vec<T>,
    /// Where this page starts in the whole list.
    pub offset: usize,
    pub total: usize,
    pub per_page: usize,
}

impl Paged<Idea> {
    fn of(slice: Slice, per_page: usize) -> Paged<Idea> {
        Paged {
            items: slice.ideas,
            offset: slice.offset,
            total: slice.total,
            per_page,
        }
    }
}

impl<T> Paged<T> {
    /// Offset of the previous page, if there is one.
    pub fn previous(&self) -> Option<usize> {
        (self.offset > 0).then(|| self.offset.saturating_sub(self.per_page))
    }

    /// Offset of the next page, if there is one.
    pub fn next(&self) -> Option<usize> {
        let next = self.offset + self.per_page;
        (next < self.total).then_some(next)
    }
}

/// One track's triage queue as its leads see it.
#[derive(Debug, Clone)]
pub struct Queue {
    pub track: TrackId,
    pub name: String,
    /// Ideas of the track per status, in the order of [`Status::NAMES`], with the status's label.
    pub counts: Vec<(&'static str, usize)>,
    /// New and in-review ideas, the longest waiting first.
    pub waiting: Paged<Idea>,
}

/// Everything one person's App Home shows.
#[derive(Debug, Clone)]
pub struct Home {
    pub user: UserId,
    /// The person's drafts, newest first: each waits for a Reframe, File anyway or Withdraw.
    pub drafts: Paged<Idea>,
    /// The person's own ideas, newest first.
    pub mine: Paged<Idea>,
    /// The tracks the person leads (none for everyone else).
    pub queues: Vec<Queue>,
    /// Everyone's ideas, one track and order at a time.
    pub board: super::board::Board,
}

/// The labels of the statuses, in [`Status::NAMES`] order.
const LABELS: [&str; 8] = [
    "Draft",
    "New",
    "In review",
    "Accepted",
    "Parked",
    "Declined",
    "Duplicate",
    "Withdrawn",
];

impl App {
    /// `user` opened the App Home: remembered (only those who did are sent it again after a
    /// change), and theirs queued.
    pub fn home_opened(&self, user: &UserId) -> Result<(), AppError> {
        self.store.saw_home(user, self.now())?;
        self.owe(&[crate::domain::Notice::Home { user: user.clone() }])
    }

    /// Whether `user` has ever opened the App Home (nobody else would see it drawn).
    pub fn uses_home(&self, user: &UserId) -> Result<bool, AppError> {
        Ok(self.store.has_seen_home(user)?)
    }

    /// `actor`'s App Home at `page`.
    pub fn home(&self, actor: &Actor, page: &HomePage) -> Result<Home, AppError> {
        let mine = self
            .store
            .submitted_by(&actor.user, page.mine, MINE_PER_PAGE)?;
        let drafts = self.store.drafts_of(&actor.user, DRAFTS_SHOWN)?;
        let led = self.led_tracks(actor);
        let mut queues = Vec::with_capacity(led.len());
        if !led.is_empty() {
            let counts = self.store.status_counts()?;
            let offsets: Vec<(&str, usize)> = led
                .iter()
                .map(|t| (t.id.as_str(), page.waiting_offset(&t.id)))
                .collect();
            let waiting = self.store.waiting(&offsets, WAITING_PER_PAGE)?;
            for (track, waiting) in led.into_iter().zip(waiting) {
                let of_track = counts.get(track.id.as_str());
                queues.push(Queue {
                    track: track.id.clone(),
                    name: track.name.clone(),
                    counts: Status::NAMES
                        .iter()
                        .zip(LABELS)
                        .map(|(name, label)| {
                            (
                                label,
                                of_track.and_then(|c| c.get(name)).copied().unwrap_or(0),
                            )
                        })
                        .collect(),
                    waiting: Paged::of(waiting, WAITING_PER_PAGE),
                });
            }
        }
        let board = match &page.board {
            Some(browse) => self.board(browse)?,
            None => self.board(&self.default_browse())?,
        };
        Ok(Home {
            user: actor.user.clone(),
            drafts: Paged::of(drafts, DRAFTS_SHOWN),
            mine: Paged::of(mine, MINE_PER_PAGE),
            queues,
            board,
        })
    }
}
