//! What a pitch is about as a whole, beyond the words the model has seen labelled: a small
//! vector per WordPiece token (`config/wordvec/vectors.bin`, made by `scripts/word-vectors.py`
//! from the sentence-transformers model all-MiniLM-L6-v2), averaged over the pitch. Words the
//! labelled pitches never used still land near the words they did ("physiotherapist" near
//! "nurse", "sofa" near "chair"), which is where a bag of words stops generalising.
//!
//! The pitch is cut into tokens as the model's own tokeniser does (BERT, uncased): lower-cased,
//! accents stripped, split on whitespace and punctuation, then each word split greedily into the
//! longest vocabulary pieces, continuations written `##…`; a word with no such split, or longer
//! than 100 characters, is one unknown token.

use super::lexicon::same;
use unicode_normalization::char::decompose_canonical;
use unicode_normalization::char::is_combining_mark;

/// Why the vectors file can't be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct WordVectorError(pub String);

/// The token vectors: a sorted string block, int8 vectors with one scale per dimension, and a
/// hash table from token to row built at load.
#[derive(Debug, Clone, Default)]
pub struct WordVectors {
    dims: usize,
    scale: Vec<f32>,
    offsets: Vec<u32>,
    tokens: Vec<u8>,
    vectors: Vec<i8>,
    /// Open addressing: a row (`u32::MAX` for an empty slot) and the high bits of its token's
    /// hash, so a probe compares tokens only when their hashes agree.
    table: Vec<(u32, u32)>,
    unknown: Option<u32>,
    fingerprint: String,
}

const MAGIC: &[u8] = b"PFWV1\n";
/// BERT's `max_input_chars_per_word`.
const LONGEST_WORD: usize = 100;

/// How many prefix hashes a word's split keeps on the stack: words up to 23 bytes, nearly all.
const PREFIXES: usize = 24;

/// One byte into an FNV-1a hash.
#[inline]
fn fnv(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
}

/// FNV-1a of the continuation mark, when there is one: where a piece's hash starts.
fn hash_start(continuation: bool) -> u64 {
    let h = 0xcbf2_9ce4_8422_2325;
    if continuation {
        fnv(fnv(h, b'#'), b'#')
    } else {
        h
    }
}

/// FNV-1a over the bytes, the continuation mark first when there is one.
fn hash(continuation: bool, piece: &[u8]) -> u64 {
    piece
        .iter()
        .fold(hash_start(continuation), |h, &b| fnv(h, b))
}

/// `<tokens>x<dims>-<hash>`: a 64-bit multiply-xor hash of the whole file, eight bytes at a time
/// (a cryptographic hash of two megabytes would be most of the start-up budget).
fn fingerprint(n: usize, dims: usize, bytes: &[u8]) -> String {
    let mut h: u64 = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let x = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ x).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    }
    for &b in chunks.remainder() {
        h = (h ^ u64::from(b))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
    format!("{n}x{dims}-{:012x}", h >> 16)
}

impl WordVectors {
    /// Read `vectors.bin` (the layout is in `scripts/word-vectors.py`).
    pub fn parse(bytes: &[u8]) -> Result<WordVectors, WordVectorError> {
        let bad = |what: &str| WordVectorError(format!("not a word-vector file: {what}"));
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or_else(|| bad("it does not start with PFWV1"))?;
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8], WordVectorError> {
            let s = rest
                .get(at..at + n)
                .ok_or_else(|| bad("it ends too soon"))?;
            at += n;
            Ok(s)
        };
        let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let head = take(8)?;
        let (n, dims) = (u32_at(head, 0) as usize, u32_at(head, 4) as usize);
        if n == 0 || dims == 0 || dims > 4096 || n > 1 << 24 {
            return Err(bad("implausible sizes"));
        }
        let scale: Vec<f32> = take(4 * dims)?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if scale.iter().any(|s| !s.is_finite() || *s < 0.0) {
            return Err(bad("a scale is not a finite positive number"));
        }
        let raw = take(4 * (n + 1))?;
        let offsets: Vec<u32> = (0..=n).map(|i| u32_at(raw, 4 * i)).collect();
        if offsets[0] != 0 || offsets.windows(2).any(|w| w[0] >= w[1]) {
            return Err(bad("token offsets out of order"));
        }
        let tokens = take(offsets[n] as usize)?.to_vec();
        let vectors: Vec<i8> = take(n * dims)?.iter().map(|&b| b as i8).collect();
        if at != rest.len() {
            return Err(bad("bytes after the vectors"));
        }
        let mut wv = WordVectors {
            dims,
            scale,
            offsets,
            tokens,
            vectors,
            table: vec![(u32::MAX, 0); (2 * n).next_power_of_two()],
            unknown: None,
            fingerprint: fingerprint(n, dims, bytes),
        };
        let mask = wv.table.len() - 1;
        for row in 0..n {
            let token = wv.token(row);
            let (continuation, piece) = match token.strip_prefix(b"##") {
                Some(p) if !p.is_empty() => (true, p),
                _ => (false, token),
            };
            let h = hash(continuation, piece);
            let mut slot = h as usize & mask;
            while wv.table[slot].0 != u32::MAX {
                slot = (slot + 1) & mask;
            }
            wv.table[slot] = (row as u32, (h >> 32) as u32);
        }
        wv.unknown = wv.find(false, b"[UNK]");
        Ok(wv)
    }

    /// What a model trained with these vectors records: tokens, dimensions and a hash of the file.
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn token(&self, row: usize) -> &[u8] {
        &self.tokens[self.offsets[row] as usize..self.offsets[row + 1] as usize]
    }

    fn find(&self, continuation: bool, piece: &[u8]) -> Option<u32> {
        self.find_hashed(continuation, piece, hash(continuation, piece))
    }

    /// [`find`](Self::find) with the piece's hash already made.
    fn find_hashed(&self, continuation: bool, piece: &[u8], h: u64) -> Option<u32> {
        if self.table.is_empty() {
            return None;
        }
        let mask = self.table.len() - 1;
        let tag = (h >> 32) as u32;
        let mut slot = h as usize & mask;
        loop {
            let (row, t) = self.table[slot];
            if row == u32::MAX {
                return None;
            }
            if t == tag {
                let t = self.token(row as usize);
                let hit = if continuation {
                    t.len() == piece.len() + 2 && t.starts_with(b"##") && same(&t[2..], piece)
                } else {
                    same(t, piece)
                };
                if hit {
                    return Some(row);
                }
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Calls `each` with the row of every WordPiece token of one word (lower case, no accents).
    fn pieces(&self, word: &[u8], each: &mut impl FnMut(u32)) {
        if word.len() > LONGEST_WORD {
            self.unknown.into_iter().for_each(each);
            return;
        }
        // Greedy longest match; rows are collected first, as a word without a full split is one
        // unknown token.
        // A piece is at least a byte long: a word has at most as many pieces as bytes.
        let mut small = [0u32; PREFIXES];
        let mut large = Vec::new();
        let rows: &mut [u32] = if word.len() <= small.len() {
            &mut small
        } else {
            large.resize(word.len(), 0);
            &mut large
        };
        let mut count = 0;
        let mut start = 0;
        // The hash of every prefix of the rest of the word, made in one pass: the longest
        // candidate is tried first, then ever shorter ones, each without hashing it again. A
        // longer rest (rare) hashes each candidate on its own.
        let mut prefix = [0u64; PREFIXES];
        while start < word.len() {
            let rest = &word[start..];
            let continuation = start > 0;
            let short = rest.len() < PREFIXES;
            if short {
                prefix[0] = hash_start(continuation);
                for (i, &b) in rest.iter().enumerate() {
                    prefix[i + 1] = fnv(prefix[i], b);
                }
            }
            let mut len = rest.len();
            let found = loop {
                if len == 0 {
                    break None;
                }
                let piece = &rest[..len];
                let h = if short {
                    prefix[len]
                } else {
                    hash(continuation, piece)
                };
                if let Some(r) = self.find_hashed(continuation, piece, h) {
                    break Some(r);
                }
                len -= 1;
            };
            let end = start + len;
            match found {
                Some(r) => {
                    rows[count] = r;
                    count += 1;
                    start = end;
                }
                None => {
                    self.unknown.into_iter().for_each(each);
                    return;
                }
            }
        }
        rows[..count].iter().for_each(|&r| each(r));
    }

    /// The rows of a text's tokens, in order.
    pub fn tokens_of(&self, text: &str, each: &mut impl FnMut(u32)) {
        let mut word: Vec<u8> = Vec::with_capacity(32);
        let flush = |word: &mut Vec<u8>, each: &mut dyn FnMut(u32)| {
            if !word.is_empty() {
                self.pieces(word, &mut |r| each(r));
                word.clear();
            }
        };
        let push_char = |c: char, word: &mut Vec<u8>, each: &mut dyn FnMut(u32)| {
            if c.is_ascii_alphanumeric() {
                word.push(c.to_ascii_lowercase() as u8);
            } else if c.is_whitespace() || c.is_control() {
                flush(word, each);
            } else if c.is_ascii() || !c.is_alphanumeric() {
                // Punctuation (and any other symbol) is a token of its own.
                flush(word, each);
                let mut b = [0u8; 4];
                self.pieces(c.encode_utf8(&mut b).as_bytes(), &mut |r| each(r));
            } else {
                // A letter outside ASCII: lower-cased, its accents dropped.
                for l in c.to_lowercase() {
                    decompose_canonical(l, |d| {
                        if !is_combining_mark(d) {
                            let mut b = [0u8; 4];
                            word.extend_from_slice(d.encode_utf8(&mut b).as_bytes());
                        }
                    });
                }
            }
        };
        for c in text.chars() {
            push_char(c, &mut word, each);
        }
        flush(&mut word, each);
    }

    /// The mean of the text's token vectors, scaled to unit length (all zeros for a text with no
    /// tokens). `out` must have `dims()` slots.
    pub fn meaning(&self, text: &str, out: &mut [f32]) {
        let d = self.dims;
        // On the stack for the dimensions shipped; a wider file gets a heap buffer.
        let mut stack = [0i32; 128];
        let mut heap = Vec::new();
        let sum: &mut [i32] = if d <= stack.len() {
            &mut stack[..d]
        } else {
            heap.resize(d, 0);
            &mut heap
        };
        let mut any = false;
        self.tokens_of(text, &mut |row| {
            any = true;
            let v = &self.vectors[row as usize * d..(row as usize + 1) * d];
            for (s, &x) in sum.iter_mut().zip(v) {
                *s += i32::from(x);
            }
        });
        out.iter_mut().for_each(|x| *x = 0.0);
        if !any {
            return;
        }
        for ((o, &s), &k) in out.iter_mut().zip(sum.iter()).zip(&self.scale) {
            *o = s as f32 * k;
        }
        let norm = out.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            out.iter_mut().for_each(|x| *x /= norm);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file in the shipped layout with the given tokens and 2-dimensional vectors.
    pub(crate) fn file(tokens: &[(&str, [i8; 2])]) -> Vec<u8> {
        let mut sorted: Vec<&(&str, [i8; 2])> = tokens.iter().collect();
        sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut out = MAGIC.to_vec();
        out.extend((sorted.len() as u32).to_le_bytes());
        out.extend(2u32.to_le_bytes());
        out.extend(0.5f32.to_le_bytes());
        out.extend(0.25f32.to_le_bytes());
        let mut at = 0u32;
        out.extend(at.to_le_bytes());
        for (t, _) in &sorted {
            at += t.len() as u32;
            out.extend(at.to_le_bytes());
        }
        for (t, _) in &sorted {
            out.extend(t.as_bytes());
        }
        for (_, v) in &sorted {
            out.extend(v.iter().map(|&x| x as u8));
        }
        out
    }

    fn sample() -> WordVectors {
        WordVectors::parse(&file(&[
            ("[UNK]", [0, 1]),
            ("un", [1, 0]),
            ("##aff", [2, 0]),
            ("##ord", [3, 0]),
            ("##able", [4, 0]),
            ("cafe", [5, 0]),
            ("the", [6, 0]),
            (",", [7, 0]),
            ("nurse", [8, 0]),
            ("##s", [9, 0]),
        ]))
        .unwrap()
    }

    fn tokens(wv: &WordVectors, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        wv.tokens_of(text, &mut |r| {
            out.push(String::from_utf8_lossy(wv.token(r as usize)).into_owned())
        });
        out
    }

    #[test]
    fn words_split_into_the_longest_pieces() {
        let wv = sample();
        assert_eq!(
            tokens(&wv, "Unaffordable, the NURSES"),
            ["un", "##aff", "##ord", "##able", ",", "the", "nurse", "##s"]
        );
        assert_eq!(tokens(&wv, "Café"), ["cafe"], "accents go");
        assert_eq!(tokens(&wv, "unxyz"), ["[UNK]"], "no split: one unknown");
        assert_eq!(tokens(&wv, &"a".repeat(101)), ["[UNK]"]);
        assert_eq!(tokens(&wv, "nurse\u{2014}the"), ["nurse", "[UNK]", "the"]);
        assert!(tokens(&wv, "  \n ").is_empty());
    }

    #[test]
    fn the_meaning_is_the_normalised_mean() {
        let wv = sample();
        let mut v = [0f32; 2];
        wv.meaning("the", &mut v);
        assert_eq!(v, [1.0, 0.0]);
        wv.meaning("xyz the", &mut v);
        // [UNK] (0, 0.25) + the (3, 0): normalised.
        let n = (9.0f32 + 0.0625).sqrt();
        assert!((v[0] - 3.0 / n).abs() < 1e-6 && (v[1] - 0.25 / n).abs() < 1e-6);
        wv.meaning("", &mut v);
        assert_eq!(v, [0.0, 0.0]);
    }

    #[test]
    fn broken_files_are_refused() {
        let good = file(&[("a", [1, 1])]);
        assert!(WordVectors::parse(&good).is_ok());
        assert!(WordVectors::parse(&good[..good.len() - 1]).is_err());
        assert!(WordVectors::parse(b"PFWV2\n").is_err());
        let mut extra = good.clone();
        extra.push(0);
        assert!(WordVectors::parse(&extra).is_err());
    }
}
