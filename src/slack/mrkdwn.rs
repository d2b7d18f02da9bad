//! Slack's `mrkdwn` read back as plain text, for a terminal: the bot's words carry Slack's
//! markup (`*bold*`, `_italic_`, `~strike~`, `<@U1>`, `<url|label>`, `&lt;`), which only Slack
//! should see. `check`, `chat` and `digest` print through [`plain`].

/// `text` without Slack's markup: emphasis marks dropped, mentions and links as their text,
/// the three escaped characters as themselves.
pub fn plain(text: &str) -> String {
    let links = links(text);
    let emphasis = emphasis(&links);
    emphasis
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A writer that passes on what is written to it a line at a time, as [`plain`] text.
pub struct Plain<W: std::io::Write> {
    inner: W,
    line: Vec<u8>,
}

impl<W: std::io::Write> Plain<W> {
    pub fn new(inner: W) -> Plain<W> {
        Plain {
            inner,
            line: Vec::new(),
        }
    }

    fn pass_on(&mut self) -> std::io::Result<()> {
        let text = plain(&String::from_utf8_lossy(&self.line));
        self.line.clear();
        self.inner.write_all(text.as_bytes())
    }
}

impl<W: std::io::Write> std::io::Write for Plain<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            self.line.push(b);
            if b == b'\n' {
                self.pass_on()?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.pass_on()?;
        self.inner.flush()
    }
}

impl<W: std::io::Write> Drop for Plain<W> {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}

/// `<@U1>` as `@U1`, `<#C1|ideas>` as `#ideas`, `<url|label>` as `label (url)`, `<url>` as `url`.
fn links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('>') {
            Some(end) if is_link(&after[..end]) => {
                let inner = &after[..end];
                let (target, label) = match inner.split_once('|') {
                    Some((t, l)) => (t, Some(l)),
                    None => (inner, None),
                };
                match (target.chars().next(), label) {
                    (Some('@'), _) => out.push_str(target),
                    (Some('#'), Some(l)) => {
                        out.push('#');
                        out.push_str(l);
                    }
                    (Some('!'), _) => {
                        out.push('@');
                        out.push_str(label.unwrap_or(&target[1..]));
                    }
                    (_, Some(l)) => out.push_str(&format!("{l} ({target})")),
                    (_, None) => out.push_str(target),
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// What Slack writes between `<` and `>`: a mention, a channel, a special mention or a link.
fn is_link(inner: &str) -> bool {
    let target = inner.split('|').next().unwrap_or_default();
    !inner.contains(['<', '\n'])
        && !target.contains(char::is_whitespace)
        && (target.starts_with(['@', '#', '!'])
            || target.contains("://")
            || target.starts_with("mailto:"))
}

/// `*x*`, `_x_` and `~x~` as `x`, where Slack would format them: the mark opens after a
/// non-word character and before a non-space, and closes on the same line after a non-space and
/// before a non-word character. Other marks (`5 * 3`, `snake_case`) stay.
fn emphasis(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric());
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let opens = matches!(c, '*' | '_' | '~')
            && !word(i.checked_sub(1).and_then(|p| chars.get(p)))
            && chars
                .get(i + 1)
                .is_some_and(|n| !n.is_whitespace() && *n != c);
        let close = opens
            .then(|| {
                (i + 2..chars.len())
                    .take_while(|&j| chars[j] != '\n')
                    .find(|&j| {
                        chars[j] == c && !chars[j - 1].is_whitespace() && !word(chars.get(j + 1))
                    })
            })
            .flatten();
        match close {
            Some(j) => {
                out.extend(&chars[i + 1..j]);
                i = j + 1;
            }
            None => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn markup_goes_and_text_stays() {
        assert_eq!(
            plain(
                "You start from a solution (*We should build*). Filed as *IDEA-1* in *Execution*."
            ),
            "You start from a solution (We should build). Filed as IDEA-1 in Execution."
        );
        assert_eq!(plain("_so_ ~not~ this"), "so not this");
        assert_eq!(plain("by <@U123> in <#C1|ideas>"), "by @U123 in #ideas");
        assert_eq!(
            plain("see <https://x.test/a|the card> or <https://x.test>"),
            "see the card (https://x.test/a) or https://x.test"
        );
        assert_eq!(plain("a &lt;b&gt; &amp; c"), "a <b> & c");
        // Not markup: arithmetic, identifiers, a lone mark, a mark across lines.
        for kept in [
            "5 * 3 * 2",
            "snake_case_name",
            "a * b",
            "*not\nclosed*",
            "x < y > z",
            "**",
        ] {
            assert_eq!(plain(kept), kept);
        }
    }
}
