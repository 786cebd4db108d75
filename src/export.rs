//! `:save FILE`: the last result written to a file, its format chosen by the extension.
//!
//! Exports are created 0600 (`private_fs`), like the history: they hold customers' names,
//! emails and messages, and sharing one is a deliberate `chmod` away.

use std::io::Write;
use std::path::{Path, PathBuf};

use mlua::{Lua, Value};
use serde_json::Value as Json;

use crate::lua::convert;
use crate::render::{table, transcript};

/// The formats `:save` writes, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Jsonl,
    Csv,
    Markdown,
}

pub const FORMATS: &str = ".json (the whole result), .jsonl (one record per line), .csv (the table's columns), .md (a markdown table, or a transcript for a conversation)";

impl Format {
    pub fn from_path(path: &Path) -> Result<Format, String> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("json") => Ok(Format::Json),
            Some("jsonl" | "ndjson") => Ok(Format::Jsonl),
            Some("csv") => Ok(Format::Csv),
            Some("md" | "markdown") => Ok(Format::Markdown),
            Some(other) => Err(format!(
                "cannot tell the format from '.{}'; the extension picks one of {FORMATS}",
                crate::render::sanitize::sanitize(other)
            )),
            None => Err(format!(
                "{} has no extension; it picks the format, one of {FORMATS}",
                crate::render::sanitize::sanitize(&path.display().to_string())
            )),
        }
    }
}

/// What a save wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub rows: usize,
    pub bytes: usize,
    pub path: PathBuf,
}

impl std::fmt::Display for Saved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "saved {} {}, {} bytes, to {}",
            self.rows,
            if self.rows == 1 { "row" } else { "rows" },
            self.bytes,
            crate::render::sanitize::sanitize(&self.path.display().to_string())
        )
    }
}

/// Write `v` to `path` in the format its extension names; refuses to replace an existing
/// file unless `overwrite`.
pub fn save(
    lua: &Lua,
    v: &Value,
    path: &Path,
    overwrite: bool,
    chosen: Option<&[String]>,
) -> Result<Saved, String> {
    let format = Format::from_path(path)?;
    let (text, rows) = contents(lua, v, format, chosen)?;
    let shown = crate::render::sanitize::sanitize(&path.display().to_string()).into_owned();
    if overwrite {
        crate::private_fs::write_atomic(path, &text)
            .map_err(|e| format!("cannot write {shown}: {e}"))?;
    } else {
        let mut file = crate::private_fs::new_file_options()
            .open(path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => {
                    format!("{shown} already exists; `:save! {shown}` replaces it")
                }
                _ => format!("cannot create {shown}: {e}"),
            })?;
        file.write_all(text.as_bytes())
            .and_then(|_| file.flush())
            .map_err(|e| format!("cannot write {shown}: {e}"))?;
    }
    Ok(Saved {
        rows,
        bytes: text.len(),
        path: path.to_path_buf(),
    })
}

/// The file's text and how many rows (records, or messages) it holds.
pub fn contents(
    lua: &Lua,
    v: &Value,
    format: Format,
    chosen: Option<&[String]>,
) -> Result<(String, usize), String> {
    let json = convert::to_json(lua, v);
    match format {
        Format::Json => {
            let mut text = convert::json_text(&json, true);
            text.push('\n');
            Ok((text, records_of(&json).map_or(1, <[Json]>::len)))
        }
        Format::Jsonl => {
            let items: Vec<&Json> = match records_of(&json) {
                Some(items) => items.iter().collect(),
                None => vec![&json],
            };
            let mut text = String::new();
            for item in &items {
                text.push_str(&convert::json_text(item, false));
                text.push('\n');
            }
            Ok((text, items.len()))
        }
        Format::Csv => {
            let (headers, rows) = table::flat_rows(v, chosen)
                .map_err(|e| format!("cannot write CSV: {e}; .json or .jsonl keep any result"))?;
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer
                .write_record(&headers)
                .map_err(|e| format!("cannot write CSV: {e}"))?;
            for row in &rows {
                writer
                    .write_record(row)
                    .map_err(|e| format!("cannot write CSV: {e}"))?;
            }
            let bytes = writer
                .into_inner()
                .map_err(|e| format!("cannot write CSV: {e}"))?;
            let text = String::from_utf8(bytes).map_err(|e| format!("cannot write CSV: {e}"))?;
            Ok((text, rows.len()))
        }
        Format::Markdown if transcript::is_thread(&json) && json.get("conversation").is_some() => {
            let body = transcript::render(
                &json,
                transcript::Style {
                    width: None,
                    colour: false,
                    zone: transcript::Zone::Local,
                },
            )?;
            let count = json
                .get("data")
                .and_then(Json::as_array)
                .map_or(0, Vec::len);
            let id = json
                .pointer("/conversation/session_id")
                .and_then(Json::as_str)
                .map(|s| crate::render::sanitize::sanitize(s).into_owned())
                .unwrap_or_default();
            let fence = fence_for(&body);
            Ok((
                format!("# Conversation {id}\n\n{fence}text\n{body}\n{fence}\n"),
                count,
            ))
        }
        Format::Markdown => {
            let (headers, rows) = table::flat_rows(v, chosen).map_err(|e| {
                format!("cannot write a markdown table: {e}; .json or .jsonl keep any result")
            })?;
            let mut text = markdown_row(&headers);
            text.push_str(&markdown_row(
                &headers
                    .iter()
                    .map(|_| "---".to_string())
                    .collect::<Vec<_>>(),
            ));
            for row in &rows {
                text.push_str(&markdown_row(row));
            }
            Ok((text, rows.len()))
        }
    }
}

/// The records of a list result (`data` or a bare array), if it is one.
fn records_of(json: &Json) -> Option<&[Json]> {
    match json {
        Json::Array(items) => Some(items),
        Json::Object(o) => match o.get("data") {
            Some(Json::Array(items)) => Some(items),
            _ => None,
        },
        _ => None,
    }
}

fn markdown_row(cells: &[String]) -> String {
    let cells: Vec<String> = cells
        .iter()
        .map(|c| {
            c.replace('\\', "\\\\")
                .replace('|', "\\|")
                .replace('\n', "<br>")
        })
        .collect();
    format!("| {} |\n", cells.join(" | "))
}

/// A code fence longer than any run of backticks in `body`.
fn fence_for(body: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_the_extension() {
        assert_eq!(Format::from_path(Path::new("a.JSON")), Ok(Format::Json));
        assert_eq!(Format::from_path(Path::new("a.jsonl")), Ok(Format::Jsonl));
        assert_eq!(Format::from_path(Path::new("x/a.csv")), Ok(Format::Csv));
        assert_eq!(Format::from_path(Path::new("a.md")), Ok(Format::Markdown));
        let e = Format::from_path(Path::new("a.xlsx")).unwrap_err();
        assert!(e.contains("'.xlsx'") && e.contains(".jsonl"), "{e}");
        assert!(Format::from_path(Path::new("a"))
            .unwrap_err()
            .contains("no extension"));
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(
            markdown_row(&["a|b".into(), "x\ny".into()]),
            "| a\\|b | x<br>y |\n"
        );
        assert_eq!(fence_for("a ``` b"), "````");
    }
}
