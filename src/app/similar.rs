//! Similar ideas: when an idea is filed, the earlier ideas of its track that share enough content
//! words with it.
//!
//! Comparing against stored ideas would decode up to `similar.window` records per filing, which
//! costs more than the filing itself. So the app keeps, per track, the content words of the most
//! recent `window` ideas (as sorted word hashes, which intersect in a few nanoseconds), loaded
//! from the store on first use and extended as ideas are filed through it. Each entry also keeps
//! the idea's headline and status, and every change the app makes to an idea
//! ([`App::change`]) is applied to the windows too, so a lookup reads nothing from the store: an
//! idea withdrawn or moved since is not shown. (Every sled read waits for any transaction under
//! way, and the committer is nearly always in one under load.)

use super::{App, AppError, Similar};
use crate::domain::similarity::content_words;
use crate::domain::{Idea, IdeaId, Status};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A recent idea as similar-idea lookups need it.
struct Entry {
    id: IdeaId,
    /// Content words of the headline, as sorted hashes.
    print: Vec<u64>,
    headline: String,
    status: Status,
}

impl Entry {
    fn of(idea: &Idea) -> Entry {
        let headline = idea.headline_text();
        Entry {
            id: idea.id,
            print: words_fingerprint(&headline),
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
    tracks: RwLock<HashMap<String, Recent>>,
}

impl RecentIdeas {
    // Every write under the lock is a single insert, retain or push: a panic cannot leave a
    // window half-changed, so a poisoned lock is as good as any.
    fn read(&self) -> RwLockReadGuard<'_, HashMap<String, Recent>> {
        self.tracks.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<String, Recent>> {
        self.tracks.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// A text's content words as sorted, de-duplicated hashes.
fn words_fingerprint(text: &str) -> Vec<u64> {
    let mut hashes: Vec<u64> = content_words(text)
        .iter()
        .map(|w| {
            let mut h = DefaultHasher::new();
            w.hash(&mut h);
            h.finish()
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// Jaccard similarity of two sorted, de-duplicated hash lists.
fn overlap(a: &[u64], b: &[u64]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
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
    common as f32 / (a.len() + b.len() - common) as f32
}

fn shown(status: Status) -> bool {
    !matches!(status, Status::Draft | Status::Withdrawn)
}

impl App {
    /// Similar earlier ideas of the same track, best first. Remembers `idea` for the ideas filed
    /// after it.
    pub(super) async fn similar(&self, idea: &Idea) -> Result<Vec<Similar>, AppError> {
        let cfg = &self.config.similar;
        if !self.recent.read().contains_key(&idea.track) {
            // Read outside the lock; should two filings load at once, the first one kept wins.
            let loaded = self.load_recent(&idea.track)?;
            self.recent
                .write()
                .entry(idea.track.clone())
                .or_insert(loaded);
        }
        let entry = Entry::of(idea);
        let found: Vec<Similar> = {
            let tracks = self.recent.read();
            let recent = tracks.get(&idea.track);
            let mut scored: Vec<(f32, &Entry)> = recent
                .iter()
                .flat_map(|r| r.iter())
                .filter(|e| e.id != idea.id && shown(e.status))
                .map(|e| (overlap(&entry.print, &e.print), e))
                .filter(|(score, _)| *score >= cfg.threshold)
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
    use super::{overlap, words_fingerprint as hashes};
    use crate::domain::similarity::{content_words, similarity};

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
                assert!(
                    (overlap(&hashes(a), &hashes(b)) - words).abs() < 1e-6,
                    "{a} / {b}"
                );
            }
        }
    }
}
