//! A small Lua 5.4 tokenizer: enough to find top-level `local` statements and the completion
//! context. It never fails: unknown bytes become symbols, unterminated strings run to the end.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Identifier or keyword.
    Name,
    Number,
    String,
    Comment,
    Symbol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.start..self.end]
    }
}

/// The length of a long bracket opener `[==[` at `i` (its level), if there is one.
fn long_bracket(bytes: &[u8], i: usize) -> Option<usize> {
    if bytes.get(i) != Some(&b'[') {
        return None;
    }
    let mut j = i + 1;
    while bytes.get(j) == Some(&b'=') {
        j += 1;
    }
    (bytes.get(j) == Some(&b'[')).then_some(j - i - 1)
}

/// The end of a long string/comment body of `level` starting after its opener at `from`.
fn long_end(src: &str, from: usize, level: usize) -> usize {
    let closer = format!("]{}]", "=".repeat(level));
    src[from..]
        .find(&closer)
        .map_or(src.len(), |p| from + p + closer.len())
}

pub fn tokenize(src: &str) -> Vec<Token> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        // Lua's whitespace is C's isspace, which has \v; Rust's is_ascii_whitespace does not
        // (found by fuzzing: `local x\v= 1` became `x = nil\v= 1`).
        let kind = if c.is_ascii_whitespace() || c == b'\x0b' {
            i += 1;
            continue;
        } else if c == b'-' && bytes.get(i + 1) == Some(&b'-') {
            i += 2;
            if let Some(level) = long_bracket(bytes, i) {
                i = long_end(src, i + level + 2, level);
            } else {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            Kind::Comment
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            Kind::Name
        } else if c.is_ascii_digit()
            || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while i < bytes.len() {
                let b = bytes[i];
                let exp_sign = (b == b'+' || b == b'-')
                    && matches!(bytes[i - 1], b'e' | b'E' | b'p' | b'P')
                    && !src[start..i].starts_with("0x")
                    || ((b == b'+' || b == b'-') && matches!(bytes[i - 1], b'p' | b'P'));
                if b.is_ascii_alphanumeric() || b == b'.' || exp_sign {
                    i += 1;
                } else {
                    break;
                }
            }
            Kind::Number
        } else if c == b'"' || c == b'\'' {
            i += 1;
            while i < bytes.len() && bytes[i] != c && bytes[i] != b'\n' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(bytes.len());
            Kind::String
        } else if let Some(level) = long_bracket(bytes, i) {
            i = long_end(src, i + level + 2, level);
            Kind::String
        } else {
            let three = src.get(i..i + 3);
            let two = src.get(i..i + 2);
            i += if three == Some("...") {
                3
            } else if matches!(
                two,
                Some("==" | "~=" | "<=" | ">=" | "//" | "::" | "<<" | ">>" | "..")
            ) {
                2
            } else {
                // One whole UTF-8 character, so slicing stays on boundaries.
                src[i..].chars().next().map_or(1, char::len_utf8)
            };
            Kind::Symbol
        };
        tokens.push(Token {
            kind,
            start,
            end: i.min(bytes.len()),
        });
    }
    tokens
}

/// Rewrite top-level `local` declarations into global assignments, so a REPL input's locals stay
/// visible to later inputs: `local x <const> = 1` -> `x = 1`, `local a, b` -> `a, b = nil`,
/// `local function f` -> `function f`. Nested blocks are left alone.
pub fn globalize_top_level_locals(src: &str) -> String {
    let tokens: Vec<Token> = tokenize(src)
        .into_iter()
        .filter(|t| t.kind != Kind::Comment)
        .collect();
    // (byte range to delete or replace, replacement)
    let mut edits: Vec<(usize, usize, &str)> = Vec::new();
    let mut depth = 0i32;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        let text = t.text(src);
        if t.kind == Kind::Name {
            match text {
                "function" | "if" | "do" | "repeat" => depth += 1,
                "end" | "until" => depth -= 1,
                "local" if depth == 0 => {
                    let next = tokens.get(i + 1).map(|n| n.text(src));
                    edits.push((t.start, tokens.get(i + 1).map_or(t.end, |n| n.start), ""));
                    if next == Some("function") {
                        i += 1;
                        continue;
                    }
                    // Walk the name list: Name [<attrib>] {, Name [<attrib>]}
                    let mut j = i + 1;
                    let mut last_name_end = t.end;
                    while let Some(name) = tokens.get(j).filter(|n| n.kind == Kind::Name) {
                        last_name_end = name.end;
                        j += 1;
                        if tokens.get(j).map(|n| n.text(src)) == Some("<") {
                            let close = tokens.get(j + 2).filter(|n| n.text(src) == ">");
                            if let Some(close) = close {
                                edits.push((name.end, close.end, ""));
                                // `= nil` goes after the attribute, or it would be dropped
                                // with it (`local x <const>` became `x`; found by fuzzing).
                                last_name_end = close.end;
                                j += 3;
                            }
                        }
                        if tokens.get(j).map(|n| n.text(src)) == Some(",") {
                            j += 1;
                        } else {
                            break;
                        }
                    }
                    if tokens.get(j).map(|n| n.text(src)) != Some("=") {
                        // A space after `nil` when the next statement follows without one:
                        // `local x <const>local y` must not become `x = nily = nil`.
                        let glued = src[last_name_end..]
                            .chars()
                            .next()
                            .is_some_and(|c| !c.is_whitespace());
                        let assign = if glued { " = nil " } else { " = nil" };
                        edits.push((last_name_end, last_name_end, assign));
                    }
                    i = j;
                    continue;
                }
                _ => {}
            }
        }
        i += 1;
    }
    let mut out = String::with_capacity(src.len() + 16);
    let mut pos = 0;
    for (start, end, replacement) in edits {
        if start < pos {
            continue;
        }
        out.push_str(&src[pos..start]);
        out.push_str(replacement);
        pos = end;
    }
    out.push_str(&src[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, &str)> {
        tokenize(src)
            .iter()
            .map(|t| (t.kind, t.text(src)))
            .collect()
    }

    #[test]
    fn tokens() {
        assert_eq!(
            kinds("local s = 'a\\'b' -- hi\nx=[==[ ]] ]==]..1e-3"),
            vec![
                (Kind::Name, "local"),
                (Kind::Name, "s"),
                (Kind::Symbol, "="),
                (Kind::String, "'a\\'b'"),
                (Kind::Comment, "-- hi"),
                (Kind::Name, "x"),
                (Kind::Symbol, "="),
                (Kind::String, "[==[ ]] ]==]"),
                (Kind::Symbol, ".."),
                (Kind::Number, "1e-3"),
            ]
        );
        assert_eq!(
            kinds("'unterminated"),
            vec![(Kind::String, "'unterminated")]
        );
        assert_eq!(kinds("--[[ long\n comment ]] a")[1], (Kind::Name, "a"));
        assert_eq!(kinds("é")[0].0, Kind::Symbol);
    }

    #[test]
    fn locals_become_globals_at_top_level_only() {
        assert_eq!(globalize_top_level_locals("local x = 1"), "x = 1");
        assert_eq!(
            globalize_top_level_locals("local a <const>, b = 1, 2"),
            "a, b = 1, 2"
        );
        assert_eq!(globalize_top_level_locals("local a, b"), "a, b = nil");
        assert_eq!(globalize_top_level_locals("local x <const>"), "x = nil");
        assert_eq!(globalize_top_level_locals("local x\x0b= 1"), "x\x0b= 1");
        assert_eq!(
            globalize_top_level_locals("local x <const>local y"),
            "x = nil y = nil"
        );
        assert_eq!(
            globalize_top_level_locals("local x;local y"),
            "x = nil ;y = nil"
        );
        assert_eq!(
            globalize_top_level_locals("local a, b <close>"),
            "a, b = nil"
        );
        assert_eq!(
            globalize_top_level_locals("local function f() local y = 2 return y end"),
            "function f() local y = 2 return y end"
        );
        assert_eq!(
            globalize_top_level_locals("if c then local z = 1 end local w = 2"),
            "if c then local z = 1 end w = 2"
        );
        assert_eq!(
            globalize_top_level_locals("while true do local q = 1 break end"),
            "while true do local q = 1 break end"
        );
        assert_eq!(
            globalize_top_level_locals("s = 'local x = 1' -- local y\nlocal t = {}"),
            "s = 'local x = 1' -- local y\nt = {}"
        );
    }
}
