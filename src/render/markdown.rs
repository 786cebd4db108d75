//! Markdown for a terminal: styled headings, tables drawn with comfy-table, Lua highlighted.
//! Off a terminal the markdown is printed as it is (the caller decides).

use comfy_table::{presets, Attribute, Cell, ContentArrangement, Table as Grid};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::lua::lexer::{self, Kind};

const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";
const HEADING: &str = "\x1b[1;36m";
const CODE: &str = "\x1b[33m";

/// Render `markdown` for a terminal `width` columns wide, with or without colour.
pub fn render(markdown: &str, width: usize, colour: bool) -> String {
    let paint = |code: &str, text: &str| {
        if colour {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    let mut code_block: Option<String> = None;
    let mut table: Option<(Vec<Vec<String>>, Vec<String>)> = None; // rows, current row
    let mut cell = String::new();
    let mut heading: Option<u8> = None;
    let mut heading_text = String::new();
    let mut list_depth = 0usize;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some(level as u8);
                heading_text.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                let level = heading.take().unwrap_or(2);
                let text = std::mem::take(&mut heading_text);
                ensure_blank_line(&mut out);
                match level {
                    1 | 2 => {
                        out.push_str(&paint(HEADING, &text));
                        out.push('\n');
                        let rule = if level == 1 { "═" } else { "─" };
                        out.push_str(&paint(
                            "\x1b[2m",
                            &rule.repeat(text.chars().count().min(width)),
                        ));
                    }
                    _ => out.push_str(&paint(BOLD, &text)),
                }
                out.push('\n');
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let _ = kind;
                code_block = Some(String::new());
            }
            Event::End(TagEnd::CodeBlock) => {
                let src = code_block.take().unwrap_or_default();
                ensure_blank_line(&mut out);
                for line in highlight_lua(&src, colour).lines() {
                    out.push_str("    ");
                    out.push_str(line);
                    out.push('\n');
                }
                out.push('\n');
            }
            Event::Start(Tag::Table(_)) => table = Some((Vec::new(), Vec::new())),
            Event::End(TagEnd::Table) => {
                if let Some((rows, _)) = table.take() {
                    out.push_str(&draw_table(&rows, width, colour));
                    out.push_str("\n\n");
                }
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                if let Some((_, row)) = table.as_mut() {
                    row.clear();
                }
            }
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                if let Some((rows, row)) = table.as_mut() {
                    rows.push(std::mem::take(row));
                }
            }
            Event::Start(Tag::TableCell) => cell.clear(),
            Event::End(TagEnd::TableCell) => {
                if let Some((_, row)) = table.as_mut() {
                    row.push(std::mem::take(&mut cell));
                }
            }
            Event::Start(Tag::List(_)) => list_depth += 1,
            Event::End(TagEnd::List(_)) => {
                list_depth = list_depth.saturating_sub(1);
                if list_depth == 0 {
                    out.push('\n');
                }
            }
            Event::Start(Tag::Item) => {
                out.push_str(&"  ".repeat(list_depth.saturating_sub(1)));
                out.push_str("• ");
            }
            Event::End(TagEnd::Item) if !out.ends_with('\n') => out.push('\n'),
            Event::End(TagEnd::Paragraph) => {
                out.push('\n');
                if list_depth == 0 {
                    out.push('\n');
                }
            }
            Event::Start(Tag::Strong) if table.is_none() && heading.is_none() && colour => {
                out.push_str(BOLD)
            }
            Event::End(TagEnd::Strong) if table.is_none() && heading.is_none() && colour => {
                out.push_str(RESET)
            }
            Event::Text(text) => {
                if let Some(code) = code_block.as_mut() {
                    code.push_str(&text);
                } else if heading.is_some() {
                    heading_text.push_str(&text);
                } else if table.is_some() {
                    cell.push_str(&text);
                } else {
                    out.push_str(&text);
                }
            }
            Event::Code(text) => {
                if heading.is_some() {
                    heading_text.push_str(&text);
                } else if table.is_some() {
                    cell.push_str(&text);
                } else {
                    out.push_str(&paint(CODE, &text));
                }
            }
            Event::SoftBreak if table.is_none() && heading.is_none() => out.push('\n'),
            Event::HardBreak => out.push('\n'),
            Event::Rule => {
                ensure_blank_line(&mut out);
            }
            _ => {}
        }
    }
    let trimmed = out.trim_end().to_string();
    trimmed + "\n"
}

fn ensure_blank_line(out: &mut String) {
    if out.is_empty() {
        return;
    }
    while !out.ends_with("\n\n") {
        out.push('\n');
    }
}

fn draw_table(rows: &[Vec<String>], width: usize, colour: bool) -> String {
    let mut grid = Grid::new();
    grid.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width.min(u16::MAX as usize) as u16);
    if colour {
        grid.enforce_styling();
    } else {
        grid.force_no_tty();
    }
    if let Some((header, body)) = rows.split_first() {
        grid.set_header(header.iter().map(|h| {
            let c = Cell::new(h);
            if colour {
                c.add_attribute(Attribute::Bold)
            } else {
                c
            }
        }));
        for row in body {
            grid.add_row(row.clone());
        }
    }
    grid.to_string()
}

/// Lua source with keywords, strings, numbers and comments coloured.
pub fn highlight_lua(src: &str, colour: bool) -> String {
    if !colour {
        return src.to_string();
    }
    let mut out = String::with_capacity(src.len() * 2);
    let mut pos = 0;
    for token in lexer::tokenize(src) {
        out.push_str(&src[pos..token.start]);
        let text = token.text(src);
        let code = match token.kind {
            Kind::Comment => Some("\x1b[2;37m"),
            Kind::String => Some("\x1b[32m"),
            Kind::Number => Some("\x1b[36m"),
            Kind::Name if is_keyword(text) => Some("\x1b[35m"),
            _ => None,
        };
        match code {
            Some(c) => {
                out.push_str(c);
                out.push_str(text);
                out.push_str(RESET);
            }
            None => out.push_str(text),
        }
        pos = token.end;
    }
    out.push_str(&src[pos..]);
    out
}

pub const KEYWORDS: &[&str] = &[
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
    "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
];

pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_headings_and_code() {
        let md = "## send_message\n\nSend it.\n\n### Parameters\n\n| Name | Type |\n|---|---|\n| `text` | string |\n\n```lua\nlocal x = 1 -- hi\n```\n";
        let out = render(md, 60, false);
        assert!(
            out.starts_with("send_message\n────────────\nSend it.\n\nParameters\n┌"),
            "{out}"
        );
        assert!(out.contains("│ text ┆ string │"), "{out}");
        assert!(out.contains("    local x = 1 -- hi\n"), "{out}");
        let coloured = render(md, 60, true);
        assert!(coloured.contains("\x1b[35mlocal\x1b[0m"), "{coloured}");
    }
}
