//! Similar ideas: when an idea is filed, the earlier ideas of its track that share enough content
//! words with it.
//!
//! Comparing against stored ideas would decode up to `similar.window` records per filing, which
//! costs more than the filing itself. So the app keeps, per track, the content words of the most
//! recent `window` ideas (as sorted word hashes, which intersect in a few nanoseconds), loaded
//! from the store on first use and extended as ideas are filed through it. Only the few ideas that
//! score above the threshold are read from the store, where their current status and track are
//! checked: an idea withdrawn or moved since is not shown.

use super::{App, AppError, Similar};
use crate::domain::similarity::content_words;
use crate::domain::{Idea, IdeaId, Status};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

/// One track's recent ideas, newest first, with their word fingerprints.
type Recent = VecDeque<(IdeaId, Vec<u64>)>;

/// Per track, the recent ideas.
#[derive(Default)]
pub(super) struct RecentIdeas {
    tracks: Mutex<HashMap<String, Recent>>,
}

/// An idea's content words as sorted hashes.
fn fingerprint(idea: &Idea) -> Vec<u64> {
    words_fingerprint(&idea.headline_text())
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
        let print = fingerprint(idea);
        let mut scored: Vec<(IdeaId, f32)> = {
            let mut tracks = self.recent.tracks.lock().unwrap_or_else(|p| p.into_inner());
            if !tracks.contains_key(&idea.track) {
                let loaded = self.load_recent(&idea.track)?;
                tracks.insert(idea.track.clone(), loaded);
            }
            let recent = tracks.entry(idea.track.clone()).or_default();
            let scored = recent
                .iter()
                .filter(|(id, _)| *id != idea.id)
                .map(|(id, other)| (*id, overlap(&print, other)))
                .filter(|(_, score)| *score >= cfg.threshold)
                .collect();
            recent.retain(|(id, _)| *id != idea.id);
            recent.push_front((idea.id, print));
            recent.truncate(cfg.window);
            scored
        };
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
        let mut found = Vec::new();
        for (id, score) in scored {
            if found.len() >= cfg.max {
                break;
            }
            let Some(other) = self.store.get(id)? else {
                continue;
            };
            if other.track == idea.track && shown(other.status()) {
                found.push(Similar {
                    id,
                    headline: other.headline_text(),
                    status: other.status(),
                    score,
                });
            }
        }
        Ok(found)
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
            out.extend(page.ideas.iter().map(|i| (i.id, fingerprint(i))));
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
