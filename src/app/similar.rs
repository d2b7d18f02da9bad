//! Similar ideas: when an idea is filed, the earlier ideas of its track that share enough content
//! words with it.
//!
//! Comparing against stored ideas would decode up to `similar.window` records per filing, which
//! costs more than the filing itself. So the app keeps, per track, the content words of the most
//! recent `window` ideas (as sorted word hashes with a bit summary, see [`Print`]), loaded
//! from the store on first use and extended as ideas are filed through it. Each entry also keeps
//! the idea's headline and status, and every change the app makes to an idea
//! ([`App::change`]) is applied to the windows too, so a lookup reads nothing from the store: an
//! idea withdrawn or moved since is not shown. (Every sled read waits for any transaction under
//! way, and the committer is nearly always in one under load.)

use super::{App, AppError, Similar};
use crate::domain::similarity::content_words;
use crate::domain::{Idea, IdeaId, Status, TrackId};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A recent idea as similar-idea lookups need it.
struct Entry {
    id: IdeaId,
    /// Content words of the headline.
    print: Print,
    headline: String,
    status: Status,
}

impl Entry {
    fn of(idea: &Idea) -> Entry {
        let headline = idea.headline_text();
        Entry {
            id: idea.id,
            print: Print::of(&headline),
            headline,
            status: idea.status(),
        }
    }
}

/// One track's recent ideas, newest first.
type Recent = VecDeque<Entry>;

/// Per track, the recent ideas. Filings compare under a shared lock, so concurrent ones do not
/// queue behind each other; only remembering a new idea takes the lock alone, briefly.
#[derive(Default)]
pub(super) struct RecentIdeas {
    tracks: RwLock<HashMap<TrackId, Recent>>,
}

impl RecentIdeas {
    // Every write under the lock is a single insert, retain or push: a panic cannot leave a
    // window half-changed, so a poisoned lock is as good as any.
    fn read(&self) -> RwLockReadGuard<'_, HashMap<TrackId, Recent>> {
        self.tracks.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<TrackId, Recent>> {
        self.tracks.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// A text's content words as sorted, de-duplicated hashes, with a 256-bit summary of them (one
/// bit per word) that rules most ideas out without walking the lists: every filing is compared
/// with a whole window, and most of it shares a word or two at most.
struct Print {
    hashes: Vec<u64>,
    bits: [u64; 4],
}

impl Print {
    fn of(text: &str) -> Print {
        Print::from_hashes(
            content_words(text)
                .iter()
                .map(|w| {
                    let mut h = DefaultHasher::new();
                    w.hash(&mut h);
                    h.finish()
                })
                .collect(),
        )
    }

    fn from_hashes(mut hashes: Vec<u64>) -> Print {
        hashes.sort_unstable();
        hashes.dedup();
        let mut bits = [0u64; 4];
        for h in &hashes {
            let bit = (h & 255) as usize;
            bits[bit / 64] |= 1 << (bit % 64);
        }
        Print { hashes, bits }
    }

    /// Words that share a bit with another word of the same text.
    fn doubled(&self) -> usize {
        let set: u32 = self.bits.iter().map(|b| b.count_ones()).sum();
        self.hashes.len() - set as usize
    }

    /// At least the number of words the two texts have in common: each common word sets the
    /// same bit in both summaries, and no more of them can hide in one bit than either text has
    /// words doubled up.
    fn common_at_most(&self, other: &Print) -> usize {
        let shared: u32 = (self.bits.iter().zip(&other.bits))
            .map(|(a, b)| (a & b).count_ones())
            .sum();
        (shared as usize + self.doubled().min(other.doubled()))
            .min(self.hashes.len())
            .min(other.hashes.len())
    }

    /// Jaccard similarity of the two word sets, or `None` when it cannot reach `threshold`.
    fn overlap_reaching(&self, other: &Print, threshold: f32) -> Option<f32> {
        let jaccard = |common: usize| {
            let all = self.hashes.len() + other.hashes.len() - common;
            if all == 0 {
                0.0
            } else {
                common as f32 / all as f32
            }
        };
        if jaccard(self.common_at_most(other)) < threshold {
            return None;
        }
        Some(jaccard(self.common(other))).filter(|score| *score >= threshold)
    }

    /// The number of words the two texts have in common.
    fn common(&self, other: &Print) -> usize {
        let (a, b) = (&self.hashes, &other.hashes);
        let (mut i, mut j, mut common) = (0, 0, 0);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    common += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        common
    }
}

fn shown(status: Status) -> bool {
    !matches!(status, Status::Draft | Status::Withdrawn)
}

impl App {
    /// Similar earlier ideas of the same track, best first. Remembers `idea` for the ideas filed
    /// after it.
    pub(super) async fn similar(&self, idea: &Idea) -> Result<Vec<Similar>, AppError> {
        let cfg = &self.config.similar;
        self.ensure_loaded(&idea.track)?;
        let entry = Entry::of(idea);
        let found: Vec<Similar> = {
            let tracks = self.recent.read();
            let recent = tracks.get(&idea.track);
            let mut scored: Vec<(f32, &Entry)> = recent
                .iter()
                .flat_map(|r| r.iter())
                .filter(|e| e.id != idea.id && shown(e.status))
                .filter_map(|e| Some((entry.print.overlap_reaching(&e.print, cfg.threshold)?, e)))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.id.cmp(&a.1.id)));
            scored
                .into_iter()
                .take(cfg.max)
                .map(|(score, e)| Similar {
                    id: e.id,
                    headline: e.headline.clone(),
                    status: e.status,
                    score,
                })
                .collect()
        };
        {
            let mut tracks = self.recent.write();
            let recent = tracks.entry(idea.track.clone()).or_default();
            // A window loaded after this idea was filed holds it already.
            recent.retain(|e| e.id != idea.id);
            recent.push_front(entry);
            recent.truncate(cfg.window);
        }
        Ok(found)
    }

    /// Loads a track's window when it is not yet.
    fn ensure_loaded(&self, track: &TrackId) -> Result<(), AppError> {
        if !self.recent.read().contains_key(track) {
            // Read outside the lock; should two filings load at once, the first one kept wins.
            let loaded = self.load_recent(track)?;
            self.recent.write().entry(track.clone()).or_insert(loaded);
        }
        Ok(())
    }

    /// Search: the recent ideas (every track's window) that share content words with `text`,
    /// most shared words first (then the closer match, then the newer idea). Uses the same
    /// fingerprints as similar ideas, so it reads nothing but the windows once loaded.
    pub(super) fn find_words(&self, text: &str) -> Result<Vec<IdeaId>, AppError> {
        let query = Print::of(text);
        if query.hashes.is_empty() {
            return Ok(Vec::new());
        }
        for track in &self.config.tracks {
            self.ensure_loaded(&track.id)?;
        }
        let tracks = self.recent.read();
        let mut scored: Vec<(usize, f32, IdeaId)> = tracks
            .values()
            .flat_map(|r| r.iter())
            .filter(|e| shown(e.status))
            .filter_map(|e| {
                let common = query.common(&e.print);
                let score = query.overlap_reaching(&e.print, 0.0).unwrap_or(0.0);
                (common > 0).then_some((common, score, e.id))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(b.2.cmp(&a.2)));
        Ok(scored.into_iter().map(|(_, _, id)| id).collect())
    }

    /// Brings the windows up to date with a change to `idea`: its status and headline, and its
    /// place when it moved to another track.
    pub(super) fn remember_change(&self, idea: &Idea) {
        let mut tracks = self.recent.write();
        for (track, recent) in tracks.iter_mut() {
            if *track != idea.track {
                recent.retain(|e| e.id != idea.id);
            }
        }
        if let Some(recent) = tracks.get_mut(&idea.track) {
            // Newest first: the idea goes before the first older one, if the window reaches
            // back that far.
            let at = recent.iter().position(|e| e.id <= idea.id);
            match at {
                Some(i) if recent[i].id == idea.id => recent[i] = Entry::of(idea),
                Some(i) => recent.insert(i, Entry::of(idea)),
                None if recent.len() < self.config.similar.window => {
                    recent.push_back(Entry::of(idea))
                }
                None => {}
            }
        }
    }

    /// The newest `window` ideas of a track, read once per track per process.
    fn load_recent(&self, track: &str) -> Result<Recent, AppError> {
        let window = self.config.similar.window;
        let mut out = VecDeque::new();
        let mut cursor = None;
        while out.len() < window {
            let page = self
                .store
                .page_by_track(track, cursor, 200.min(window - out.len()))?;
            if page.ideas.is_empty() && page.skipped.is_empty() {
                break;
            }
            out.extend(page.ideas.iter().map(Entry::of));
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::Print;
    use crate::domain::similarity::{content_words, similarity};
    use proptest::prelude::*;

    #[test]
    fn hashed_overlap_agrees_with_the_word_similarity() {
        let texts = [
            "Field technicians wait two days for spare parts",
            "Technicians in the field wait days for parts",
            "Cashiers re-key gift card numbers by hand",
            "",
        ];
        for a in texts {
            for b in texts {
                let words = similarity(&content_words(a), &content_words(b));
                let hashed = Print::of(a).overlap_reaching(&Print::of(b), 0.0);
                assert!((hashed.unwrap_or(-1.0) - words).abs() < 1e-6, "{a} / {b}");
                let above = Print::of(a).overlap_reaching(&Print::of(b), words + 0.01);
                assert_eq!(above, None, "{a} / {b}");
            }
        }
    }

    proptest! {
        /// The summary only ever rules out ideas below the threshold, even when words share
        /// bits: hashes are drawn from four per bit, so that they collide often.
        #[test]
        fn the_summary_never_hides_a_similar_idea(
            both in proptest::collection::vec(0u64..1024, 0..12),
            only_a in proptest::collection::vec(0u64..1024, 0..12),
            only_b in proptest::collection::vec(0u64..1024, 0..12),
            threshold in 0.0f32..1.0,
        ) {
            let a = Print::from_hashes([&both[..], &only_a[..]].concat());
            let b = Print::from_hashes([&both[..], &only_b[..]].concat());
            let common = a.common(&b);
            prop_assert!(a.common_at_most(&b) >= common);
            let all = a.hashes.len() + b.hashes.len() - common;
            let exact = if all == 0 { 0.0 } else { common as f32 / all as f32 };
            let expected = (exact >= threshold).then_some(exact);
            prop_assert_eq!(a.overlap_reaching(&b, threshold), expected);
        }
    }
}
