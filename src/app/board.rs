//! The idea board everyone sees: per track, the newest and the most-voted ideas (filed ones;
//! drafts and withdrawn ideas are nobody's business but their submitter's), paged; a vote by
//! button that is the same vote as a reaction; search by words over the similar-ideas
//! fingerprints.

use super::{App, AppError};
use crate::domain::{Idea, IdeaId, Status, TrackId, UserId};
use std::fmt;
use std::str::FromStr;

/// Ideas per board page.
pub const BOARD_PER_PAGE: usize = 5;
/// How many of a track's newest ideas the board ranks. Reading more would make every App Home
/// read a whole track; older ideas are reached through search and `export`.
pub const BOARD_WINDOW: usize = 500;
/// Search results shown at most.
pub const SEARCH_MAX: usize = 10;

/// How a track's ideas are listed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    #[default]
    Newest,
    MostVoted,
}

impl Order {
    pub fn label(self) -> &'static str {
        match self {
            Order::Newest => "newest",
            Order::MostVoted => "most voted",
        }
    }
}

/// Which board page to show: a track, an order, an offset. Written `track order offset` in a
/// button's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Browse {
    pub track: TrackId,
    pub order: Order,
    pub offset: usize,
}

impl fmt::Display for Browse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let order = match self.order {
            Order::Newest => "newest",
            Order::MostVoted => "voted",
        };
        write!(f, "{} {order} {}", self.track, self.offset)
    }
}

impl FromStr for Browse {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let mut parts = s.split_whitespace();
        let track = TrackId::parse(parts.next().ok_or(())?).map_err(|_| ())?;
        let order = match parts.next() {
            Some("newest") => Order::Newest,
            Some("voted") => Order::MostVoted,
            _ => return Err(()),
        };
        let offset = parts.next().and_then(|o| o.parse().ok()).unwrap_or(0);
        Ok(Browse {
            track,
            order,
            offset,
        })
    }
}

/// One board page.
#[derive(Debug, Clone)]
pub struct Board {
    pub browse: Browse,
    /// The configured tracks, (id, name), for choosing another.
    pub tracks: Vec<(TrackId, String)>,
    /// This page's ideas.
    pub ideas: Vec<Idea>,
    /// Where this page starts among the track's ideas on the board, and how many there are.
    pub offset: usize,
    pub total: usize,
}

impl Board {
    /// Where the previous page starts, if there is one.
    pub fn previous(&self) -> Option<usize> {
        (self.offset > 0).then(|| self.offset.saturating_sub(BOARD_PER_PAGE))
    }
}

/// Whether everyone sees the idea on the board and in search.
fn on_the_board(idea: &Idea) -> bool {
    !matches!(idea.status(), Status::Draft | Status::Withdrawn)
}

impl App {
    /// The first board page: the default track's newest ideas.
    pub fn default_browse(&self) -> Browse {
        Browse {
            track: self.config.default_track.clone(),
            order: Order::Newest,
            offset: 0,
        }
    }

    /// One page of the board. A track no longer configured shows the default one.
    pub fn board(&self, browse: &Browse) -> Result<Board, AppError> {
        let browse = if self.config.track(&browse.track).is_some() {
            browse.clone()
        } else {
            self.default_browse()
        };
        let mut ideas = Vec::new();
        let mut cursor = None;
        let mut read = 0;
        while read < BOARD_WINDOW {
            let page =
                self.store
                    .page_by_track(&browse.track, cursor, 200.min(BOARD_WINDOW - read))?;
            read += page.ideas.len() + page.skipped.len();
            ideas.extend(page.ideas.into_iter().filter(on_the_board));
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        if browse.order == Order::MostVoted {
            // Stable: among equal votes, the newest first.
            ideas.sort_by_key(|i| std::cmp::Reverse(i.voters.len()));
        }
        let total = ideas.len();
        let offset = browse
            .offset
            .min(total.saturating_sub(1) / BOARD_PER_PAGE * BOARD_PER_PAGE);
        let items = ideas
            .into_iter()
            .skip(offset)
            .take(BOARD_PER_PAGE)
            .collect();
        Ok(Board {
            browse: Browse { offset, ..browse },
            tracks: self
                .config
                .tracks
                .iter()
                .map(|t| (t.id.clone(), t.name.clone()))
                .collect(),
            ideas: items,
            offset,
            total,
        })
    }

    /// `user` votes for idea `id` (`on`) or takes their vote back, by button. The same vote as a
    /// reaction: a person counts once, and taking it back takes back their vote however it was
    /// given. A duplicate's votes count for its original. The idea whose votes changed, if any;
    /// the submitter's own vote never counts.
    pub fn vote(&self, id: IdeaId, user: &UserId, on: bool) -> Result<Option<Idea>, AppError> {
        let Some(id) = self.original_of(id)? else {
            return Err(AppError::NotFound(id));
        };
        self.change_vote(id, on, |idea| on_the_board(idea) && idea.vote(user, on))
    }

    /// Ideas on the board whose words match `words`, best first, at most [`SEARCH_MAX`]: each
    /// track's recent ideas (the similar-ideas windows) by the share of the query's content
    /// words they contain.
    pub fn search(&self, words: &str) -> Result<Vec<Idea>, AppError> {
        let found = self.find_words(words)?;
        let mut out = Vec::new();
        for id in found {
            if let Some(idea) = self.store.get(id)? {
                if on_the_board(&idea) {
                    out.push(idea);
                }
            }
            if out.len() == SEARCH_MAX {
                break;
            }
        }
        Ok(out)
    }

    /// Ideas a lead may pick as the original of `id` in the "Duplicate of…" picker, at most
    /// [`SEARCH_MAX`]: the idea whose id `query` is, then those whose words match it; with no
    /// query, the ideas most like `id`. Never `id` itself, a draft, a withdrawn idea or a
    /// duplicate (its original is the one to pick).
    pub async fn original_candidates(
        &self,
        id: IdeaId,
        query: &str,
    ) -> Result<Vec<Idea>, AppError> {
        let query = query.trim();
        let pickable = |i: &Idea| {
            i.id != id && on_the_board(i) && !matches!(i.status(), Status::Duplicate { .. })
        };
        let mut out: Vec<Idea> = Vec::new();
        if let Some(named) = named_id(query) {
            out.extend(self.store.get(named)?.filter(|i| pickable(i)));
        }
        let found = if query.is_empty() {
            let idea = self.idea(id)?;
            let mut similar = Vec::new();
            for s in self.similar(&idea).await? {
                similar.extend(self.store.get(s.id)?);
            }
            similar
        } else {
            self.search(query)?
        };
        for idea in found {
            if out.len() == SEARCH_MAX {
                break;
            }
            if pickable(&idea) && !out.iter().any(|o| o.id == idea.id) {
                out.push(idea);
            }
        }
        Ok(out)
    }
}

/// The idea a query names: "IDEA-12", "idea-12" or "12".
fn named_id(query: &str) -> Option<IdeaId> {
    query
        .parse::<IdeaId>()
        .ok()
        .or_else(|| query.parse::<u64>().ok().map(IdeaId::new))
}
