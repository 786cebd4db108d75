//! The terminal-safety rule, in one place: text from outside (a server, a visitor) never
//! drives the operator's terminal. Controls, bidi and zero-width characters are shown as
//! visible escapes (`\e`, `\r`, `\u{202e}`); everything else passes through unchanged.

use std::borrow::Cow;

/// Characters that must never reach the terminal raw: C0, DEL, C1, bidi controls and
/// zero-width characters.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{200e}' | '\u{200f}' | '\u{061c}'
        | '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}')
}

/// `s` with every unsafe character made visible.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match c {
            '\u{1b}' => out.push_str("\\e"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// Multi-line text of the tool's own (auth messages, Lua tracebacks) that may quote outside
/// data: its line breaks and tabs stay, everything else unsafe is made visible.
pub fn sanitize_lines(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            line.split('\t')
                .map(sanitize)
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where rendered text breaks the rule, if it does: any escape other than the renderer's own
/// SGR colour (`ESC [ digits m`), or a control (other than newline), C1, bidi or zero-width
/// character. For tests and fuzzing.
pub fn terminal_safety_problem(out: &str) -> Option<String> {
    let mut rest = out;
    while let Some(i) = rest.find('\x1b') {
        let after = &rest[i + 1..];
        let sgr = after.strip_prefix('[').and_then(|a| {
            let end = a.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
            (a.as_bytes()[end] == b'm').then_some(end + 2)
        });
        let Some(len) = sgr else {
            return Some(format!("a raw escape that is not SGR: {out:?}"));
        };
        rest = &after[len..];
    }
    out.chars()
        .find(|&c| c != '\n' && c != '\x1b' && is_unsafe(c))
        .map(|c| format!("{c:?} reaches the terminal raw: {out:?}"))
}

/// Cut `s` to at most `width` terminal columns, ending in `…` when cut. Never splits a
/// character; double-width characters count as two. Linear in the part kept.
pub fn truncate(s: &str, width: usize) -> Cow<'_, str> {
    use unicode_width::UnicodeWidthChar;
    let mut used = 0;
    let mut cut = None;
    for (i, c) in s.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > width.saturating_sub(1) && cut.is_none() {
            cut = Some((i, used));
        }
        used += w;
        if used > width {
            let (i, _) = cut.unwrap_or((i, used));
            return Cow::Owned(format!("{}…", &s[..i]));
        }
    }
    Cow::Borrowed(s)
}

/// Display width of `s` in terminal columns.
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_bidi_and_zero_width_are_made_visible() {
        assert_eq!(sanitize("plain é 中"), "plain é 中");
        assert_eq!(
            sanitize("\x1b]52;c;AAAA\x07a\r\n\tb\x7f"),
            "\\e]52;c;AAAA\\x07a\\r\\n\\tb\\x7f"
        );
        assert_eq!(sanitize("\u{9b}2J"), "\\u{9b}2J");
        assert_eq!(
            sanitize("a\u{202e}b\u{200b}c\u{2066}\u{feff}\u{61c}"),
            "a\\u{202e}b\\u{200b}c\\u{2066}\\u{feff}\\u{61c}"
        );
        for c in [
            '\u{0}', '\u{1f}', '\u{80}', '\u{200e}', '\u{200f}', '\u{2060}', '\u{2069}',
        ] {
            assert!(!sanitize(&c.to_string()).contains(c), "{c:?}");
        }
    }

    #[test]
    fn truncation_respects_characters_and_width() {
        assert_eq!(truncate("abcdef", 10), "abcdef");
        assert_eq!(truncate("abcdef", 4), "abc…");
        // Double-width: 中 is two columns; never half of one.
        assert_eq!(truncate("中中中", 4), "中…");
        assert_eq!(truncate("中中", 4), "中中");
        let long = "x".repeat(1 << 20);
        assert_eq!(truncate(&long, 80).chars().count(), 80);
    }
}
