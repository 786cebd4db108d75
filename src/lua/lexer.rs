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
}
