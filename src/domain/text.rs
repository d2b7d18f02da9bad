//! Slack message text made ready for the rules: markup removed, entities decoded, quotes
//! straightened, while every byte keeps a pointer back into the original, so a hit's span always
//! refers to what the person wrote. Also the sentence and clause boundaries the rules rely on.

/// Text with Slack markup removed and a map from each byte back to the original text.
#[derive(Debug, Clone)]
pub struct Normalized {
    pub text: String,
    /// `offsets[i]` is the byte offset in the original text of byte `i` of `text`;
    /// `offsets[text.len()]` is the original length.
    offsets: Vec<u32>,
    /// `ends[i]`: where the original character (or entity) behind byte `i` ends.
    ends: Vec<u32>,
}

impl Normalized {
    /// The span in the original text for a span of the normalised text.
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        let last = self.offsets.len().saturating_sub(1);
        let s = self.offsets.get(start.min(last)).copied().unwrap_or(0) as usize;
        // The end is where the original character behind the match's last byte ends, so a
        // removed markup character right after a match is not swallowed into its span, and a
        // span never ends inside a multi-byte character.
        let e = if end > start {
            self.ends
                .get((end - 1).min(self.ends.len().saturating_sub(1)))
                .map(|&o| o as usize)
                .unwrap_or(s)
        } else {
            s
        };
        (s, e.max(s))
    }
}

/// Remove Slack markup from `raw`. Never fails, whatever the input.
pub fn normalize(raw: &str) -> Normalized {
    let mut n = Builder {
        text: String::with_capacity(raw.len()),
        offsets: Vec::with_capacity(raw.len() + 1),
        ends: Vec::with_capacity(raw.len()),
    };
    let bytes = raw.as_bytes();
    let mut i = 0;
    let mut line_start = true;
    while i < raw.len() {
        if line_start {
            i = skip_line_prefix(raw, i);
            line_start = false;
            if i >= raw.len() {
                break;
            }
        }
        // Most of a pitch is plain ASCII that stays as it is: copy it a run at a time.
        let run = plain_run(bytes, i, n.text.ends_with(' '));
        if run > 0 {
            n.push_plain(&raw[i..i + run], i);
            i += run;
            continue;
        }
        let rest = &raw[i..];
        let c = match rest.chars().next() {
            Some(c) => c,
            None => break,
        };
        match c {
            '\n' => {
                n.push('\n', i, 1);
                line_start = true;
                i += 1;
            }
            '<' => {
                if let Some(close) = rest[1..].find(['>', '\n']).map(|p| p + 1) {
                    if bytes[i + close] == b'>' && close <= 1024 {
                        push_angle(&mut n, &rest[1..close], i + 1);
                        i += close + 1;
                        continue;
                    }
                }
                n.push('<', i, 1);
                i += 1;
            }
            '&' => {
                let (decoded, len) = if rest.starts_with("&amp;") {
                    ('&', 5)
                } else if rest.starts_with("&lt;") {
                    ('<', 4)
                } else if rest.starts_with("&gt;") {
                    ('>', 4)
                } else if rest.starts_with("&quot;") {
                    ('"', 6)
                } else {
                    ('&', 1)
                };
                n.push(decoded, i, len);
                i += len;
            }
            ':' => match emoji_len(rest) {
                Some(len) => {
                    // An emoji is a word gap, not nothing: "fix:bug:" must not glue words.
                    n.push(' ', i, len);
                    i += len;
                }
                None => {
                    n.push(':', i, 1);
                    i += 1;
                }
            },
            '*' | '~' | '`' => i += 1,
            '_' => {
                let prev = raw[..i].chars().next_back();
                let next = raw[i + 1..].chars().next();
                let inside_word = prev.is_some_and(char::is_alphanumeric)
                    && next.is_some_and(char::is_alphanumeric);
                if inside_word {
                    n.push('_', i, 1);
                }
                i += 1;
            }
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' => {
                n.push('\'', i, c.len_utf8());
                i += c.len_utf8();
            }
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => {
                n.push('"', i, c.len_utf8());
                i += c.len_utf8();
            }
            '\u{00A0}' | '\u{2007}' | '\u{202F}' | '\t' | '\r' => {
                n.push(' ', i, c.len_utf8());
                i += c.len_utf8();
            }
            // Pictographs and their joiners are word gaps, like `:emoji:` codes.
            '\u{1F000}'..='\u{1FAFF}'
            | '\u{2600}'..='\u{27BF}'
            | '\u{2B00}'..='\u{2BFF}'
            | '\u{FE0F}'
            | '\u{200D}' => {
                n.push(' ', i, c.len_utf8());
                i += c.len_utf8();
            }
            _ => {
                n.push(c, i, c.len_utf8());
                i += c.len_utf8();
            }
        }
    }
    n.offsets.push(raw.len() as u32);
    Normalized {
        text: n.text,
        offsets: n.offsets,
        ends: n.ends,
    }
}

struct Builder {
    text: String,
    offsets: Vec<u32>,
    ends: Vec<u32>,
}

impl Builder {
    /// Append `c`, standing for `len` bytes of the original at `at`. Runs of spaces collapse
    /// into one, so removed markup never leaves a gap that a two-word pattern can't cross.
    fn push(&mut self, c: char, at: usize, len: usize) {
        if c == ' ' && self.text.ends_with(' ') {
            return;
        }
        self.text.push(c);
        for _ in 0..c.len_utf8() {
            self.offsets.push(at as u32);
            self.ends.push((at + len) as u32);
        }
    }

    /// Append `s`, plain ASCII from [`plain_run`], read from the original at `at`: each byte
    /// stands for itself, so this is `push` of every byte, in bulk.
    fn push_plain(&mut self, s: &str, at: usize) {
        self.text.push_str(s);
        let (from, to) = (at as u32, (at + s.len()) as u32);
        self.offsets.extend(from..to);
        self.ends.extend(from + 1..to + 1);
    }

    /// Append text read from the original at `at` (a link or channel label), itself normalised:
    /// Slack escapes `&` in labels too, and people type curly quotes there as anywhere.
    fn push_str(&mut self, s: &str, at: usize) {
        let inner = normalize(s);
        for (k, c) in inner.text.char_indices() {
            let from = inner.offsets[k] as usize;
            let to = inner.ends[k] as usize;
            self.push(c, at + from, to - from);
        }
    }
}

/// Length of the run of bytes from `i` that `normalize` copies unchanged: ASCII other than markup,
/// entities, line breaks and tabs, and no space that would collapse into the one before it
/// (`after_space`: the text so far ends in one). Line starts are never in a run: the caller
/// handles them first.
fn plain_run(bytes: &[u8], i: usize, after_space: bool) -> usize {
    let mut prev_space = after_space;
    let mut j = i;
    while let Some(&b) = bytes.get(j) {
        let plain = match b {
            b' ' => !prev_space,
            b'\n' | b'\t' | b'\r' | b'<' | b'&' | b':' | b'*' | b'~' | b'`' | b'_' => false,
            _ => b.is_ascii(),
        };
        if !plain {
            break;
        }
        prev_space = b == b' ';
        j += 1;
    }
    j - i
}

/// Quotes (`>`), bullets (`•`, `-`, `*`, `1.`) and indentation at the start of a line.
fn skip_line_prefix(raw: &str, mut i: usize) -> usize {
    loop {
        let rest = &raw[i..];
        let trimmed = rest.trim_start_matches([' ', '\t']);
        let skipped = rest.len() - trimmed.len();
        if let Some(after) = trimmed
            .strip_prefix("&gt;")
            .or_else(|| trimmed.strip_prefix('>'))
        {
            i += skipped + (trimmed.len() - after.len());
            continue;
        }
        for bullet in ["\u{2022} ", "\u{25E6} ", "\u{2013} ", "- ", "* "] {
            if trimmed.starts_with(bullet) {
                return i + skipped + bullet.len();
            }
        }
        let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
        if (1..=3).contains(&digits) {
            let after = &trimmed[digits..];
            if after.starts_with(". ") || after.starts_with(") ") {
                return i + skipped + digits + 2;
            }
        }
        return i + skipped;
    }
}

/// `<...>` content: mentions, channels, special mentions and links.
fn push_angle(n: &mut Builder, inner: &str, at: usize) {
    let (target, label) = match inner.split_once('|') {
        Some((t, l)) => (t, Some(l)),
        None => (inner, None),
    };
    let label_at = at + target.len() + 1;
    if target.starts_with('@') {
        // A person mentioned is not part of the pitch's wording (and is often the bot itself).
    } else if let Some(rest) = target.strip_prefix('#') {
        match label {
            Some(l) => {
                n.push('#', at, 1);
                n.push_str(l, label_at);
            }
            None => n.push_str(target, at + target.len() - rest.len() - 1),
        }
    } else if let Some(special) = target.strip_prefix('!') {
        // `<!here>`, `<!channel>`: attention, not content. `<!subteam^S1|@team>`, `<!date^..|text>`:
        // the readable label is content.
        if !matches!(special, "here" | "channel" | "everyone") {
            if let Some(l) = label {
                n.push_str(l, label_at);
            }
        }
    } else if let Some(l) = label {
        n.push_str(l, label_at);
    }
    // A bare link carries no words worth judging.
}

/// Length of a `:emoji_name:` (with an optional `::skin-tone-N:`) at the start of `s`.
fn emoji_len(s: &str) -> Option<usize> {
    let body = s.get(1..)?;
    let end = body
        .bytes()
        .take(64)
        .position(|b| !(b.is_ascii_lowercase() || b.is_ascii_digit() || b"_+-'".contains(&b)))?;
    if end == 0 || body.as_bytes()[end] != b':' {
        return None;
    }
    let name = &body[..end];
    if !(name.bytes().any(|b| b.is_ascii_lowercase()) || name == "+1" || name == "-1") {
        return None;
    }
    let mut len = end + 2;
    if let Some(tone) = s[len..].strip_prefix(":skin-tone-") {
        if tone.len() >= 2 && tone.as_bytes()[0].is_ascii_digit() && tone.as_bytes()[1] == b':' {
            len += ":skin-tone-".len() + 2;
        }
    }
    Some(len)
}

/// A span `[start, end)` in the normalised text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// Sentences and clauses of the normalised text.
#[derive(Debug, Clone)]
pub struct Layout {
    pub sentences: Vec<Sentence>,
    /// Where clauses start after a break (the byte after `,` `;` `:` `(` `—`…), sorted.
    clause_breaks: Vec<usize>,
    /// Start offsets of every word, sorted.
    pub word_starts: Vec<usize>,
}

#[derive(Debug, Clone, Copy)]
pub struct Sentence {
    pub span: Span,
    /// Offset of the first letter or digit: where a sentence-start rule must match.
    pub first_word: usize,
    pub is_question: bool,
    /// The sentence ends in `:` (a heading or label such as "Idea:" or "Reason:").
    pub is_label: bool,
}

impl Layout {
    pub fn of(text: &str) -> Layout {
        let mut sentences = Vec::new();
        let mut clause_breaks = Vec::new();
        // Room for a word every four bytes, more than English prose has.
        let mut word_starts = Vec::with_capacity(text.len() / 4 + 1);
        let bytes = text.as_bytes();
        let mut start = 0;
        let mut prev_word = false;
        let mut i = 0;
        // One pass over the bytes: ASCII, nearly all of a pitch, is looked at byte by byte;
        // other characters are decoded where they start.
        while i < bytes.len() {
            let b = bytes[i];
            // Letters and digits, then spaces: most of the text, and nothing to do but count words.
            if b.is_ascii_alphanumeric() {
                if !prev_word {
                    word_starts.push(i);
                }
                prev_word = true;
                i += 1;
                while bytes.get(i).is_some_and(u8::is_ascii_alphanumeric) {
                    i += 1;
                }
                continue;
            }
            if b == b' ' {
                prev_word = false;
                i += 1;
                continue;
            }
            let c = if b.is_ascii() {
                char::from(b)
            } else {
                text[i..]
                    .chars()
                    .next()
                    .unwrap_or(char::REPLACEMENT_CHARACTER)
            };
            let len = c.len_utf8();
            let is_word = c.is_alphanumeric() || c == '\'' && prev_word;
            if is_word && !prev_word {
                word_starts.push(i);
            }
            prev_word = is_word;
            if !b.is_ascii() {
                if matches!(c, '\u{2014}' | '\u{2013}') {
                    clause_breaks.push(i + len);
                }
                i += len;
                continue;
            }
            let next = bytes.get(i + 1).map(|&n| {
                if n.is_ascii() {
                    char::from(n)
                } else {
                    text[i + 1..]
                        .chars()
                        .next()
                        .unwrap_or(char::REPLACEMENT_CHARACTER)
                }
            });
            let end_here = match b {
                b'\n' => true,
                b'.' | b'!' | b'?' | b':' | b';' => {
                    next.is_none_or(char::is_whitespace)
                        && !(b == b'.' && is_abbreviation(&text[start..i]))
                }
                _ => false,
            };
            if matches!(b, b',' | b';' | b':' | b'(' | b')' | b'/') {
                clause_breaks.push(i + 1);
            }
            if b == b'-' && i > 0 && bytes[i - 1] == b' ' && next == Some(' ') {
                clause_breaks.push(i + 1);
            }
            i += 1;
            if end_here {
                // A run of "?!" closes one sentence.
                if b != b'\n' && matches!(next, Some('.' | '!' | '?')) {
                    continue;
                }
                push_sentence(text, &mut sentences, start, i, c);
                start = i;
            }
        }
        if start < text.len() {
            push_sentence(text, &mut sentences, start, text.len(), ' ');
        }
        Layout {
            sentences,
            clause_breaks,
            word_starts,
        }
    }

    /// The index of the sentence holding `pos`.
    pub fn sentence_of(&self, pos: usize) -> usize {
        match self.sentences.binary_search_by(|s| {
            if pos < s.span.start {
                std::cmp::Ordering::Greater
            } else if pos >= s.span.end {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Equal
            }
        }) {
            Ok(i) => i,
            Err(i) => i.min(self.sentences.len().saturating_sub(1)),
        }
    }

    /// The sentence index the pitch leads with: the first one, or the one after a leading
    /// label such as "Innovation Friday pitch:".
    pub fn leading_sentence(&self) -> usize {
        match self.sentences.first() {
            Some(s) if s.is_label && self.sentences.len() > 1 => 1,
            _ => 0,
        }
    }

    /// Whether `a` and `b` (a <= b) lie in the same clause.
    pub fn same_clause(&self, a: usize, b: usize) -> bool {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        if self.sentence_of(a) != self.sentence_of(b) {
            return false;
        }
        // A break that ends after `a` and at or before `b` separates them.
        let i = self.clause_breaks.partition_point(|&p| p <= a);
        self.clause_breaks.get(i).is_none_or(|&p| p > b)
    }

    /// Start of the clause holding `pos`.
    pub fn clause_start(&self, pos: usize) -> usize {
        let i = self.clause_breaks.partition_point(|&p| p <= pos);
        let from_break = if i == 0 { 0 } else { self.clause_breaks[i - 1] };
        let sentence = self
            .sentences
            .get(self.sentence_of(pos))
            .map_or(0, |s| s.span.start);
        from_break.max(sentence)
    }

    /// Number of words between `from` and `to`.
    pub fn words_between(&self, from: usize, to: usize) -> usize {
        let a = self.word_starts.partition_point(|&p| p < from);
        let b = self.word_starts.partition_point(|&p| p < to);
        b.saturating_sub(a)
    }

    pub fn word_count(&self) -> usize {
        self.word_starts.len()
    }
}

fn push_sentence(text: &str, out: &mut Vec<Sentence>, start: usize, end: usize, closer: char) {
    let body = &text[start..end];
    let Some(first) = body.find(|c: char| c.is_alphanumeric()) else {
        return;
    };
    let trimmed = body.trim_end();
    out.push(Sentence {
        span: Span { start, end },
        first_word: start + first,
        is_question: trimmed.ends_with('?') || closer == '?',
        is_label: closer == ':',
    });
}

/// "e.g.", "i.e.", "etc." and single letters do not end a sentence.
fn is_abbreviation(before: &str) -> bool {
    let word = before
        .rsplit(|c: char| !c.is_alphanumeric() && c != '.')
        .next()
        .unwrap_or("");
    ["e.g", "i.e", "etc", "vs", "approx", "incl"]
        .iter()
        .any(|a| word.eq_ignore_ascii_case(a))
        || (word.len() == 1 && word.chars().all(|c| c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        normalize(s).text
    }

    #[test]
    fn slack_markup_is_removed() {
        assert_eq!(norm("<@U123> we *need* a _chatbot_"), " we need a chatbot");
        assert_eq!(
            norm("see <https://x.io/a|the deck> now"),
            "see the deck now"
        );
        assert_eq!(norm("in <#C1|ideas> <!here>"), "in #ideas ");
        assert_eq!(norm("ship it :rocket: :+1::skin-tone-2:"), "ship it ");
        assert_eq!(norm("let's \u{1F680} build"), "let's build");
        assert_eq!(norm("Reason: 60% wait"), "Reason: 60% wait");
        assert_eq!(norm("&gt; quoted &amp; kept"), "quoted & kept");
        assert_eq!(norm("\u{2022} first\n- second"), "first\nsecond");
        assert_eq!(norm("don\u{2019}t `code`"), "don't code");
        assert_eq!(norm("snake_case stays"), "snake_case stays");
        assert_eq!(norm("<unclosed"), "<unclosed");
    }

    #[test]
    fn spans_point_into_the_original() {
        let raw = "*Customers* wait <https://x|forever>";
        let n = normalize(raw);
        let at = n.text.find("wait").unwrap_or(0);
        let (s, e) = n.original_span(at, at + 4);
        assert_eq!(&raw[s..e], "wait");
        let at = n.text.find("forever").unwrap_or(0);
        let (s, e) = n.original_span(at, at + 7);
        assert_eq!(&raw[s..e], "forever");
        let (s, e) = n.original_span(0, 9);
        assert_eq!(&raw[s..e], "Customers");
    }

    #[test]
    fn sentences_split_on_stops_lines_and_labels() {
        let t = "Idea: we could do it. Why not? e.g. this\nnext line";
        let l = Layout::of(t);
        let firsts: Vec<&str> = l
            .sentences
            .iter()
            .map(|s| &t[s.first_word..s.span.end])
            .collect();
        assert_eq!(
            firsts,
            vec![
                "Idea:",
                "we could do it.",
                "Why not?",
                "e.g. this\n",
                "next line"
            ]
        );
        assert!(l.sentences[2].is_question);
        assert_eq!(l.leading_sentence(), 1);
    }
}
