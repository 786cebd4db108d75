//! Syntax colour for the input line, from the project's Lua lexer.
//!
//! Only SGR sequences are added around tokens (they take no columns), never any character of
//! the input changed, so the cursor stays where the text says. A colour never crosses a line
//! break: each line of a multi-line input is reset on its own.

use crate::lua::lexer::{self, Kind};
use crate::render::markdown::is_keyword;

const KEYWORD: &str = "\x1b[35m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[36m";
const COMMENT: &str = "\x1b[90m";
const RESET: &str = "\x1b[0m";

/// `line` with colours around keywords, strings, numbers and comments. Unterminated strings
/// and comments are coloured to where the lexer ends them (the end of the line or input).
pub fn highlight(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 32);
    let mut at = 0;
    for token in lexer::tokenize(line) {
        let text = token.text(line);
        let colour = match token.kind {
            Kind::Name if is_keyword(text) => KEYWORD,
            Kind::String => STRING,
            Kind::Number => NUMBER,
            Kind::Comment => COMMENT,
            Kind::Name | Kind::Symbol => continue,
        };
        out.push_str(&line[at..token.start]);
        for (i, part) in text.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            if !part.is_empty() {
                out.push_str(colour);
                out.push_str(part);
                out.push_str(RESET);
            }
        }
        at = token.end;
    }
    out.push_str(&line[at..]);
    out
}

/// The text without the SGR sequences `highlight` adds.
#[cfg(test)]
fn strip(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("\x1b[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find('m').map_or(after.len(), |e| e + 1);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_tokens_and_keeps_the_text() {
        let line = "local n = 42 -- answer";
        let h = highlight(line);
        assert_eq!(
            h,
            "\x1b[35mlocal\x1b[0m n = \x1b[36m42\x1b[0m \x1b[90m-- answer\x1b[0m"
        );
        for line in [
            "print('unterminated",
            "x = [[long\nstring]] .. \"s\"",
            "--[[ open comment\nstill",
            "crisp.send_message{text = \"é\\\"x\"}",
            "",
            "a\tb",
        ] {
            let h = highlight(line);
            assert_eq!(strip(&h), line, "{h:?}");
            // No colour runs across a line break.
            for part in h.split('\n') {
                assert_eq!(
                    part.matches("\x1b[").count(),
                    2 * part.matches(RESET).count()
                );
            }
        }
        assert!(highlight("print('open").ends_with(&format!("{STRING}'open{RESET}")));
    }
}
