//! Results as tables: an array of records is a row per record, a record is a key/value table,
//! a list result shows its metadata, its rows and a footer. Knows nothing about Crisp beyond
//! which field names read as ids, names and timestamps.

use comfy_table::{presets, Attribute, Cell, Color, ContentArrangement, Row, Table as Grid};
use mlua::{Table, Value};

use super::plain;
use super::sanitize::{sanitize, truncate};

/// How to draw.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Terminal width to fit; `None` draws everything untruncated (pipes).
    pub width: Option<usize>,
    pub colour: bool,
}

/// Rows drawn before the rest is summarised (a person cannot read more; `:json` shows all).
const MAX_ROWS_HUMAN: usize = 10_000;
/// Nesting shown inside a record before `{N fields}` stands in.
const MAX_RECORD_DEPTH: usize = 3;

/// Columns chosen with `:columns` or `crisp.columns` (names or dotted paths such as
/// `meta.email`): tables of records show exactly these until the choice is reset. Kept in the
/// Lua state's app data, so both the REPL and Lua can set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnChoice(pub Vec<String>);

/// Render one returned value.
pub fn render(v: &Value, style: Style) -> String {
    render_with(v, style, None)
}

/// Render one returned value, its records as the `chosen` columns when there is a choice.
pub fn render_with(v: &Value, style: Style, chosen: Option<&[String]>) -> String {
    match v {
        Value::Table(t) => match crate::lua::convert::user_tostring(t) {
            Some(text) => super::sanitize::sanitize(&text).into_owned(),
            None => render_table(t, style, chosen),
        },
        other => plain::scalar(other),
    }
}

fn render_table(t: &Table, style: Style, chosen: Option<&[String]>) -> String {
    let pairs = plain::sorted_pairs(t);
    if pairs.is_empty() {
        return "{}".into();
    }
    if let Some(records) = records(t) {
        let mut out = records_table(&records, style, chosen);
        out.push('\n');
        out.push_str(&dim(&row_count(records.len()), style));
        return out;
    }
    if let Some(items) = sequence(t) {
        if items.iter().all(is_scalar) {
            return scalar_list(&items, style);
        }
        return plain::literal(&Value::Table(t.clone()));
    }
    // A result with `data`: its other fields on one line, then the data, then a footer.
    if let Ok(data @ Value::Table(_)) = t.raw_get::<Value>("data") {
        return envelope(t, &data, style, chosen);
    }
    record_table(t, style)
}

/// A whole result such as `{data = {...}, page = 1, per_page = 25, has_more = true}`.
fn envelope(t: &Table, data: &Value, style: Style, chosen: Option<&[String]>) -> String {
    let mut meta: Vec<(u8, String)> = Vec::new();
    for (k, v) in plain::sorted_pairs(t) {
        let Value::String(key) = &k else { continue };
        let key = sanitize(&key.to_string_lossy()).into_owned();
        // Paging first, in reading order.
        let rank = match key.as_str() {
            "data" => continue,
            "page" => 0,
            "per_page" => 1,
            "has_more" => 2,
            _ => 3,
        };
        let text = match &v {
            Value::Table(record) if is_record(record) => summary(record),
            other => cell_text(&key, other),
        };
        meta.push((rank, format!("{key} = {text}")));
    }
    meta.sort_by_key(|(rank, _)| *rank);
    let mut out = String::new();
    if !meta.is_empty() {
        let line: Vec<String> = meta.into_iter().map(|(_, m)| m).collect();
        out.push_str(&dim(&fit(&line.join("  ·  "), style), style));
        out.push('\n');
    }
    let Value::Table(data_table) = data else {
        return out;
    };
    if let Some(records) = records(data_table) {
        out.push_str(&records_table(&records, style, chosen));
        out.push('\n');
        let mut footer = row_count(records.len());
        let page = t.raw_get::<Option<i64>>("page").ok().flatten();
        let has_more = t.raw_get::<Option<bool>>("has_more").ok().flatten();
        if let (Some(page), Some(more)) = (page, has_more) {
            footer.push_str(&format!(" · page {page} · has_more {more}"));
            if more {
                footer.push_str(&format!(" (next: page = {})", page + 1));
            }
        }
        out.push_str(&dim(&fit(&footer, style), style));
    } else if sequence(data_table).is_some_and(|s| s.is_empty()) {
        out.push_str(&dim("(no rows)", style));
    } else {
        out.push_str(&render_table(data_table, style, chosen));
    }
    out
}

fn row_count(n: usize) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

/// Cut an informational line to the width.
fn fit(s: &str, style: Style) -> String {
    match style.width {
        Some(w) => truncate(s, w).into_owned(),
        None => s.to_string(),
    }
}

/// A cell's text cut to the terminal width before comfy-table sees it: comfy-table's own
/// wrapping is quadratic in a cell's length, and nothing wider than the screen is shown anyway.
fn bound(s: String, style: Style) -> String {
    match style.width {
        Some(w) => match truncate(&s, w) {
            std::borrow::Cow::Borrowed(_) => s,
            std::borrow::Cow::Owned(cut) => cut,
        },
        None => s,
    }
}

fn display_width(s: &str) -> usize {
    super::sanitize::width(s)
}

fn dim(s: &str, style: Style) -> String {
    if style.colour {
        format!("\x1b[2m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Table(_))
}

/// The items of a proper sequence (keys exactly 1..n), else `None`.
fn sequence(t: &Table) -> Option<Vec<Value>> {
    let len = t.raw_len();
    let mut count = 0;
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair.ok()?;
        match k {
            Value::Integer(i) if i >= 1 && (i as usize) <= len => count += 1,
            _ => return None,
        }
    }
    (count == len).then(|| (1..=len).filter_map(|i| t.raw_get(i).ok()).collect())
}

/// A non-empty sequence whose items are all records (tables with string keys).
fn records(t: &Table) -> Option<Vec<Table>> {
    let items = sequence(t)?;
    if items.is_empty() {
        return None;
    }
    items
        .into_iter()
        .map(|v| match v {
            Value::Table(r) if is_record(&r) => Some(r),
            _ => None,
        })
        .collect()
}

fn is_record(t: &Table) -> bool {
    let mut any = false;
    for pair in t.clone().pairs::<Value, Value>() {
        let Ok((k, _)) = pair else { return false };
        if !matches!(k, Value::String(_)) {
            return false;
        }
        any = true;
    }
    any
}

fn scalar_list(items: &[Value], style: Style) -> String {
    let inline: Vec<String> = items.iter().map(plain::scalar).collect();
    let one_line = format!("{{{}}}", inline.join(", "));
    if style.width.is_none_or(|w| display_width(&one_line) <= w) {
        return one_line;
    }
    inline
        .iter()
        .enumerate()
        .map(|(i, s)| format!("[{}] {s}", i + 1))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text for one cell: scalars bare, timestamps readable, nested values compact.
pub fn cell_text(key: &str, v: &Value) -> String {
    match v {
        Value::Nil => String::new(),
        Value::String(s) => sanitize(&s.to_string_lossy()).into_owned(),
        Value::Integer(i) if is_timestamp_field(key) && *i > 1_000_000_000_000 => timestamp(*i),
        Value::Table(t) => compact(t),
        other => plain::scalar(other),
    }
}

fn is_timestamp_field(key: &str) -> bool {
    let leaf = key.rsplit('.').next().unwrap_or(key);
    leaf == "timestamp" || leaf.ends_with("_at") || leaf == "waiting_since" || leaf == "last"
}

/// Milliseconds since the epoch as UTC `YYYY-MM-DD HH:MM:SS`.
fn timestamp(ms: i64) -> String {
    // RFC 3339 stops at year 9999; humantime panics past it (found by fuzzing: a timestamp in
    // microseconds). Such values print as the number they are.
    const YEAR_10000_MS: u64 = 253_402_300_800_000;
    let Some(ms) = u64::try_from(ms).ok().filter(|ms| *ms < YEAR_10000_MS) else {
        return ms.to_string();
    };
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_seconds(when)
        .to_string()
        .replacen('T', " ", 1)
        .trim_end_matches('Z')
        .to_string()
}

/// A nested value in one cell: a sequence of scalars joined, else a count.
fn compact(t: &Table) -> String {
    if let Some(items) = sequence(t) {
        if items.is_empty() {
            return "[]".into();
        }
        if items.iter().all(is_scalar) && items.len() <= 8 {
            let parts: Vec<String> = items.iter().map(|v| cell_text("", v)).collect();
            return parts.join(", ");
        }
        return format!("[{} items]", items.len());
    }
    let n = t.clone().pairs::<Value, Value>().count();
    if n == 1 {
        "{1 field}".into()
    } else {
        format!("{{{n} fields}}")
    }
}

/// A record in a few words: its id, then name-like fields, also one level down
/// (`session_abc123 · unresolved · Caleb Hayes`).
fn summary(t: &Table) -> String {
    let mut parts: Vec<(u8, String)> = Vec::new();
    for (k, v) in plain::sorted_pairs(t) {
        let Value::String(key) = &k else { continue };
        let key = key.to_string_lossy();
        match &v {
            Value::Table(inner) if is_record(inner) => {
                for want in FLATTEN_PREFERENCE.iter().take(3) {
                    if let Ok(Value::String(s)) = inner.raw_get::<Value>(*want) {
                        parts.push((2, sanitize(&s.to_string_lossy()).into_owned()));
                        break;
                    }
                }
            }
            Value::String(s) => {
                // The record's own id (session_id, campaign_id) and its name-like fields.
                if plain::field_priority(&key) == 0 {
                    parts.push((0, sanitize(&s.to_string_lossy()).into_owned()));
                } else if matches!(key.as_str(), "state" | "name" | "nickname" | "email") {
                    parts.push((1, sanitize(&s.to_string_lossy()).into_owned()));
                }
            }
            _ => {}
        }
    }
    parts.sort_by_key(|(rank, _)| *rank);
    parts.dedup_by(|a, b| a.1 == b.1);
    if parts.is_empty() {
        return compact(t);
    }
    let words: Vec<String> = parts.into_iter().take(4).map(|(_, s)| s).collect();
    words.join(" · ")
}

/// A record in a column that otherwise holds text: a file reads as `[file] name`, else its
/// text, its url, or a summary.
fn mixed_cell(t: &Table) -> String {
    let field = |name: &str| match t.raw_get::<Value>(name) {
        Ok(Value::String(s)) => Some(sanitize(&s.to_string_lossy()).into_owned()),
        _ => None,
    };
    match (field("name"), field("url"), field("text")) {
        (Some(name), Some(_), _) => format!("[file] {name}"),
        (_, _, Some(text)) => text,
        (None, Some(url), None) => format!("[link] {url}"),
        _ => summary(t),
    }
}

/// Two values equal all the way down (tables by content, to a bounded depth).
fn deep_eq(a: &Value, b: &Value, depth: usize) -> bool {
    match (a, b) {
        (Value::Table(x), Value::Table(y)) => {
            if x.to_pointer() == y.to_pointer() {
                return true;
            }
            if depth > 16 {
                return false;
            }
            let mut n = 0;
            for pair in x.clone().pairs::<Value, Value>() {
                let Ok((k, v)) = pair else { return false };
                n += 1;
                let Ok(w) = y.raw_get::<Value>(k) else {
                    return false;
                };
                if !deep_eq(&v, &w, depth + 1) {
                    return false;
                }
            }
            n == y.clone().pairs::<Value, Value>().count()
        }
        (Value::Integer(i), Value::Number(f)) | (Value::Number(f), Value::Integer(i)) => {
            *i as f64 == *f
        }
        _ => a == b,
    }
}

/// A nested record's field worth showing in a column of its own (`meta.nickname`).
const FLATTEN_PREFERENCE: &[&str] = &["nickname", "name", "email", "excerpt", "text", "user_id"];

/// One column of a records table: a field, or a field of a nested record.
#[derive(Debug, Clone, PartialEq)]
struct Column {
    key: String,
    sub: Option<String>,
    /// Text in some rows, records in others: each row's value is shown in its own form.
    mixed: bool,
}

impl Column {
    fn header(&self) -> String {
        let text = match &self.sub {
            Some(sub) => format!("{}.{sub}", self.key),
            None => self.key.clone(),
        };
        sanitize(&text).into_owned()
    }

    /// The text of this column's cell in `row`.
    fn cell(&self, row: &Table) -> String {
        match self.value(row) {
            Value::Table(t) if self.mixed && is_record(&t) => mixed_cell(&t),
            // A flattened column whose field this row's record lacks: the record in a few
            // words rather than a blank.
            Value::Nil if self.sub.is_some() => match row.raw_get::<Value>(self.key.as_str()) {
                Ok(Value::Table(t)) if is_record(&t) => mixed_cell(&t),
                Ok(
                    v @ (Value::String(_)
                    | Value::Integer(_)
                    | Value::Number(_)
                    | Value::Boolean(_)),
                ) => cell_text(&self.key, &v),
                _ => String::new(),
            },
            v => cell_text(&self.header(), &v),
        }
    }

    fn value(&self, row: &Table) -> Value {
        let v: Value = row.raw_get(self.key.as_str()).unwrap_or(Value::Nil);
        match (&self.sub, v) {
            (Some(sub), Value::Table(t)) => t.raw_get(sub.as_str()).unwrap_or(Value::Nil),
            (Some(_), _) => Value::Nil,
            (None, v) => v,
        }
    }
}

fn columns(rows: &[Table]) -> Vec<Column> {
    // Field names in order of first appearance, then by priority.
    let mut keys: Vec<String> = Vec::new();
    for row in rows.iter().take(500) {
        for (k, _) in plain::sorted_pairs(row) {
            if let Value::String(s) = k {
                let s = s.to_string_lossy();
                if !keys.contains(&s) {
                    keys.push(s);
                }
            }
        }
    }
    let mut columns: Vec<Column> = keys
        .into_iter()
        .map(|key| {
            let nested: Vec<Table> = rows
                .iter()
                .take(500)
                .filter_map(|r| match r.raw_get::<Value>(key.as_str()) {
                    Ok(Value::Table(t)) if is_record(&t) => Some(t),
                    _ => None,
                })
                .collect();
            // A column that holds text in some rows and records in others is not flattened:
            // flattening would blank the text rows.
            let mixed = !nested.is_empty()
                && rows.iter().take(500).any(|r| {
                    !matches!(
                        r.raw_get::<Value>(key.as_str()),
                        Ok(Value::Table(_) | Value::Nil) | Err(_)
                    )
                });
            let sub = (!nested.is_empty() && !mixed)
                .then(|| {
                    FLATTEN_PREFERENCE.iter().find(|f| {
                        nested
                            .iter()
                            .any(|t| matches!(t.raw_get::<Value>(**f), Ok(Value::String(_))))
                    })
                })
                .flatten()
                .map(|s| s.to_string());
            Column { key, sub, mixed }
        })
        .collect();
    // Ids, then names (a flattened `meta.nickname` counts as a name), then the rest.
    columns.sort_by_key(|c| match c.sub.as_deref() {
        Some("nickname" | "name" | "email") => {
            plain::field_priority(c.sub.as_deref().unwrap_or(""))
        }
        _ => plain::field_priority(&c.key),
    });
    columns
}

/// The records of an array as rows. Columns the same in every row are said once above.
fn records_table(rows: &[Table], style: Style, chosen: Option<&[String]>) -> String {
    if let Some(chosen) = chosen {
        return chosen_table(rows, chosen, style);
    }
    let all = columns(rows);
    let mut constant: Vec<String> = Vec::new();
    let mut varying: Vec<Column> = Vec::new();
    for col in all {
        let first = col.cell(&rows[0]);
        // Said once only when the values are deeply equal: `{2 fields}` in every row may
        // still hold different fields.
        let first_value = col.value(&rows[0]);
        let same = rows.len() > 1 && rows.iter().all(|r| deep_eq(&col.value(r), &first_value, 0));
        if same && !first.is_empty() && style.width.is_some() {
            constant.push(format!("{} = {first}", col.header()));
        } else if !(same && first.is_empty() && rows.len() > 1) {
            varying.push(col);
        }
    }
    let shown_rows = if style.width.is_some() {
        &rows[..rows.len().min(MAX_ROWS_HUMAN)]
    } else {
        rows
    };
    let cells: Vec<Vec<String>> = shown_rows
        .iter()
        .take_while(|_| !super::CANCEL.load(std::sync::atomic::Ordering::Relaxed))
        .map(|r| varying.iter().map(|c| bound(c.cell(r), style)).collect())
        .collect();
    let interrupted = cells.len() < shown_rows.len();
    let (keep, hidden) = fit_columns(&varying, &cells, style.width);
    let mut grid = new_grid(style);
    let mut header = Row::from(
        keep.iter()
            .map(|&i| header_cell(&bound(varying[i].header(), style), style))
            .collect::<Vec<_>>(),
    );
    if style.width.is_some() {
        header.max_height(1);
    }
    grid.set_header(header);
    if let (Some(primary), Some(width)) = (primary_id(&varying), style.width) {
        if let Some(pos) = keep.iter().position(|&i| varying[i].key == primary) {
            let widest = cells
                .iter()
                .take(200)
                .map(|r| display_width(&r[keep[pos]]))
                .max()
                .unwrap_or(0);
            if let Some(column) = grid.column_mut(pos) {
                column.set_constraint(comfy_table::ColumnConstraint::LowerBoundary(
                    // Content plus the cell padding: an id is only useful whole, as long as
                    // the terminal has room for it at all.
                    comfy_table::Width::Fixed(
                        (widest.min(60) + 2).min(width.saturating_sub(4)) as u16
                    ),
                ));
            }
        }
    }
    for row in &cells {
        let mut r = Row::from(keep.iter().map(|&i| row[i].clone()).collect::<Vec<_>>());
        if style.width.is_some() {
            r.max_height(1);
        }
        grid.add_row(r);
    }
    let mut out = String::new();
    if !constant.is_empty() {
        out.push_str(&dim(
            &fit(&format!("every row: {}", constant.join("  ·  ")), style),
            style,
        ));
        out.push('\n');
    }
    out.push_str(&grid.to_string());
    if hidden > 0 {
        out.push('\n');
        let note = format!("+{hidden} more columns (:json shows all)");
        out.push_str(&dim(&fit(&note, style), style));
    }
    if interrupted {
        out.push('\n');
        let note = format!(
            "interrupted (Ctrl-C): {} of {} rows shown",
            cells.len(),
            rows.len()
        );
        out.push_str(&dim(&note, style));
    } else if shown_rows.len() < rows.len() {
        out.push('\n');
        out.push_str(&dim(
            &format!("… {} more rows", rows.len() - shown_rows.len()),
            style,
        ));
    }
    out
}

/// The value at a dotted path (`meta.email`, `segments.1`) in a row; nil when absent.
pub fn value_at(row: &Table, path: &str) -> Value {
    let mut current = Value::Table(row.clone());
    for part in path.split('.') {
        let Value::Table(t) = &current else {
            return Value::Nil;
        };
        let next = match t.raw_get::<Value>(part) {
            Ok(Value::Nil) => match part.parse::<i64>() {
                Ok(i) => t.raw_get::<Value>(i).unwrap_or(Value::Nil),
                Err(_) => Value::Nil,
            },
            Ok(v) => v,
            Err(_) => Value::Nil,
        };
        current = next;
    }
    current
}

/// Every dotted path in the first rows, for did-you-mean and the list of what exists.
fn known_paths(rows: &[Table]) -> Vec<String> {
    fn walk(t: &Table, prefix: &str, depth: usize, out: &mut Vec<String>) {
        for (k, v) in plain::sorted_pairs(t) {
            let Value::String(k) = k else { continue };
            let path = if prefix.is_empty() {
                k.to_string_lossy()
            } else {
                format!("{prefix}.{}", k.to_string_lossy())
            };
            if let Value::Table(inner) = &v {
                if is_record(inner) && depth < 4 {
                    walk(inner, &path, depth + 1, out);
                }
            }
            if !out.contains(&path) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    for row in rows.iter().take(50) {
        walk(row, "", 0, &mut out);
    }
    out
}

/// The chosen paths no row has, each with a suggestion; `None` when all are known.
pub fn unknown_columns(rows: &[Table], chosen: &[String]) -> Option<String> {
    let missing: Vec<&String> = chosen
        .iter()
        .filter(|path| rows.iter().all(|r| value_at(r, path).is_nil()))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let known = known_paths(rows);
    let parts: Vec<String> = missing
        .iter()
        .map(|m| {
            let m = sanitize(m);
            match crate::crisp::registry::did_you_mean(&m, known.iter().map(String::as_str)) {
                Some(s) => format!("'{m}' (did you mean '{}'?)", sanitize(s)),
                None => format!("'{m}'"),
            }
        })
        .collect();
    let top: Vec<String> = known
        .iter()
        .filter(|k| !k.contains('.'))
        .map(|k| sanitize(k).into_owned())
        .collect();
    Some(format!(
        "no such column in these rows: {}; fields: {} (nested ones as meta.email; `:columns` alone resets)",
        parts.join(", "),
        top.join(", ")
    ))
}

/// Exactly the chosen columns, in the chosen order.
fn chosen_table(rows: &[Table], chosen: &[String], style: Style) -> String {
    let problem = unknown_columns(rows, chosen);
    let known: Vec<&String> = chosen
        .iter()
        .filter(|path| rows.iter().any(|r| !value_at(r, path).is_nil()))
        .collect();
    if known.is_empty() {
        return dim(&problem.unwrap_or_default(), style);
    }
    let mut grid = new_grid(style);
    let mut header = Row::from(
        known
            .iter()
            .map(|p| header_cell(&bound(sanitize(p).into_owned(), style), style))
            .collect::<Vec<_>>(),
    );
    if style.width.is_some() {
        header.max_height(1);
    }
    grid.set_header(header);
    let limit = if style.width.is_some() {
        MAX_ROWS_HUMAN
    } else {
        usize::MAX
    };
    let mut drawn = 0;
    for row in rows.iter().take(limit) {
        if super::CANCEL.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        let mut r = Row::from(
            known
                .iter()
                .map(|p| bound(cell_text(p, &value_at(row, p)), style))
                .collect::<Vec<_>>(),
        );
        if style.width.is_some() {
            r.max_height(1);
        }
        grid.add_row(r);
        drawn += 1;
    }
    let mut out = grid.to_string();
    if drawn < rows.len() {
        out.push('\n');
        out.push_str(&dim(
            &format!("{} of {} rows shown", drawn, rows.len()),
            style,
        ));
    }
    if let Some(problem) = problem {
        out.push('\n');
        out.push_str(&dim(&problem, style));
    }
    out
}

/// The rows of a result (a list of records, `data` holding one, or a single record) as the
/// same flattened columns the table shows, untruncated: for CSV and markdown exports.
/// Chosen columns are used as they are, an unknown one is an error.
pub fn flat_rows(
    v: &Value,
    chosen: Option<&[String]>,
) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let Value::Table(t) = v else {
        return Err("the result is not a table of records".into());
    };
    let rows: Vec<Table> = match records(t) {
        Some(rows) => rows,
        None => match t.raw_get::<Value>("data") {
            Ok(Value::Table(data)) => match records(&data) {
                Some(rows) => rows,
                None if sequence(&data).is_some_and(|s| s.is_empty()) => Vec::new(),
                None if is_record(&data) => vec![data],
                None => return Err("its data is not a list of records".into()),
            },
            _ if is_record(t) => vec![t.clone()],
            _ => return Err("the result is not a table of records".into()),
        },
    };
    if let Some(chosen) = chosen {
        if let Some(problem) = unknown_columns(&rows, chosen) {
            if !rows.is_empty() {
                return Err(problem);
            }
        }
        let cells = rows
            .iter()
            .map(|r| {
                chosen
                    .iter()
                    .map(|p| cell_text(p, &value_at(r, p)))
                    .collect()
            })
            .collect();
        return Ok((chosen.to_vec(), cells));
    }
    let cols = columns(&rows);
    let headers = cols.iter().map(Column::header).collect();
    let cells = rows
        .iter()
        .map(|r| cols.iter().map(|c| c.cell(r)).collect())
        .collect();
    Ok((headers, cells))
}

/// How much a column is worth when space is short (lower is more important).
fn importance(col: &Column, primary: Option<&str>) -> u8 {
    let leaf = col.sub.as_deref().unwrap_or(&col.key);
    if col.sub.is_none() && Some(col.key.as_str()) == primary {
        return 0;
    }
    match (leaf, col.sub.is_some()) {
        ("nickname" | "name" | "email", _) => 1,
        // A nested excerpt mostly repeats a top-level field.
        (_, true) => 4,
        _ => plain_importance(leaf),
    }
}

fn plain_importance(leaf: &str) -> u8 {
    match leaf {
        // A message's payload matters as much as who sent it.
        "state" | "from" | "title" | "subject" | "tier" | "content" | "text" => 1,
        "type" | "last_message" | "excerpt" | "message" | "description" => 2,
        _ if is_timestamp_field(leaf) => 3,
        _ if leaf.ends_with("_id") || leaf == "id" => 5,
        _ => 4,
    }
}

/// A column that says who or what a row is to a person: a name, a nickname, an email.
fn is_human(col: &Column) -> bool {
    let leaf = col.sub.as_deref().unwrap_or(&col.key);
    matches!(leaf, "nickname" | "name" | "email")
}

/// The record's own id: the best-ranked id field present.
fn primary_id(cols: &[Column]) -> Option<String> {
    cols.iter()
        .filter(|c| c.sub.is_none() && (c.key.ends_with("_id") || c.key == "id"))
        .min_by_key(|c| plain::field_priority(&c.key))
        .map(|c| c.key.clone())
}

/// The narrowest a name or text column is drawn (7 characters plus padding and border).
const SQUEEZED: usize = 10;

/// Which columns to draw, in display order, given the width; and how many were left out.
fn fit_columns(
    cols: &[Column],
    cells: &[Vec<String>],
    width: Option<usize>,
) -> (Vec<usize>, usize) {
    let Some(width) = width else {
        return ((0..cols.len()).collect(), 0);
    };
    let natural = |i: usize| {
        cells
            .iter()
            .take(200)
            .map(|r| display_width(&r[i]))
            .chain(std::iter::once(display_width(&cols[i].header())))
            .max()
            .unwrap_or(1)
    };
    let primary = primary_id(cols);
    let mut order: Vec<usize> = (0..cols.len()).collect();
    // Among equally important columns, who it is (a nickname, a name) comes first: on a narrow
    // terminal it is what makes a row recognisable beside its id, more than a cut state.
    order.sort_by_key(|&i| {
        (
            importance(&cols[i], primary.as_deref()),
            !is_human(&cols[i]),
        )
    });
    // Nested values that are only counts (`{3 fields}`) are the first to go.
    let mut used = 1; // the left border
    let mut keep = Vec::new();
    for i in order {
        let is_primary = importance(&cols[i], primary.as_deref()) == 0;
        let desired = if is_primary {
            natural(i)
        } else {
            natural(i).min(32)
        };
        let cost = desired + 3;
        if used + cost <= width || keep.is_empty() {
            used += cost;
            keep.push(i);
        } else if importance(&cols[i], primary.as_deref()) <= 2 && used + SQUEEZED <= width {
            // A name or text column squeezed to what is left still says something.
            used += SQUEEZED;
            keep.push(i);
        }
    }
    let hidden = cols.len() - keep.len();
    (keep, hidden)
}

fn new_grid(style: Style) -> Grid {
    let mut grid = Grid::new();
    match style.width {
        Some(w) => {
            grid.load_preset(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(w.min(u16::MAX as usize) as u16)
                .set_truncation_indicator("…");
        }
        None => {
            grid.load_preset(presets::ASCII_MARKDOWN)
                .set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    if style.colour {
        grid.enforce_styling();
    } else {
        grid.force_no_tty();
    }
    grid
}

fn header_cell(text: &str, style: Style) -> Cell {
    let cell = Cell::new(text);
    if style.colour {
        cell.add_attribute(Attribute::Bold).fg(Color::Cyan)
    } else {
        cell
    }
}

/// A record as two columns; nested records indented beneath their key.
fn record_table(t: &Table, style: Style) -> String {
    let mut grid = new_grid(style);
    let mut rows = Vec::new();
    let mut seen = Vec::new();
    record_rows(t, 0, &mut rows, &mut seen);
    for (key, value) in rows {
        let mut r = Row::from(vec![
            header_cell(&bound(key, style), style),
            Cell::new(bound(value, style)),
        ]);
        if style.width.is_some() {
            r.max_height(1);
        }
        grid.add_row(r);
    }
    grid.to_string()
}

fn record_rows(
    t: &Table,
    depth: usize,
    rows: &mut Vec<(String, String)>,
    seen: &mut Vec<*const std::ffi::c_void>,
) {
    seen.push(t.to_pointer());
    let indent = "  ".repeat(depth);
    for (k, v) in plain::sorted_pairs(t) {
        let key = match &k {
            Value::String(s) => sanitize(&s.to_string_lossy()).into_owned(),
            other => format!("[{}]", plain::scalar(other)),
        };
        match &v {
            Value::Table(child) if seen.contains(&child.to_pointer()) => {
                rows.push((format!("{indent}{key}"), "<cycle>".into()));
            }
            Value::Table(child) if is_record(child) && depth + 1 < MAX_RECORD_DEPTH => {
                rows.push((format!("{indent}{key}"), String::new()));
                record_rows(child, depth + 1, rows, seen);
            }
            other => rows.push((format!("{indent}{key}"), cell_text(&key, other))),
        }
    }
    seen.pop();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lua::convert;
    use mlua::Lua;
    use serde_json::json;

    fn lua_value(lua: &Lua, j: serde_json::Value) -> Value {
        convert::install(lua).unwrap();
        convert::to_lua(lua, &j).unwrap()
    }

    const PLAIN: Style = Style {
        width: None,
        colour: false,
    };

    #[test]
    fn timestamps_past_year_9999_print_as_numbers() {
        // fuzz/regressions/json_render: a timestamp in microseconds made humantime panic.
        let lua = Lua::new();
        let v = lua_value(
            &lua,
            json!({"data": [{"session_id": "s", "timestamp": 1_793_530_002_892_760i64}]}),
        );
        let out = render(&v, PLAIN);
        assert!(out.contains("1793530002892760"), "{out}");
        assert_eq!(timestamp(253_402_300_799_000), "9999-12-31 23:59:59");
        assert_eq!(timestamp(253_402_300_800_000), "253402300800000");
        assert_eq!(timestamp(i64::MAX), i64::MAX.to_string());
    }

    #[test]
    fn lists_show_metadata_rows_and_footer() {
        let lua = Lua::new();
        let v = lua_value(
            &lua,
            json!({"data": [
                {"session_id": "session_a", "state": "resolved", "meta": {"nickname": "Ana", "email": "a@x"}, "created_at": 1_793_534_400_000i64},
                {"session_id": "session_b", "state": "pending", "meta": {"nickname": "Bo"}, "created_at": 1_793_534_460_000i64},
            ], "page": 1, "per_page": 2, "has_more": true}),
        );
        let out = render(&v, PLAIN);
        assert!(
            out.starts_with("page = 1  ·  per_page = 2  ·  has_more = true\n"),
            "{out}"
        );
        assert!(
            out.contains("| session_id | state    | meta.nickname | created_at          |"),
            "{out}"
        );
        assert!(
            out.contains("| session_a  | resolved | Ana           | 2026-11-01 12:00:00 |"),
            "{out}"
        );
        assert!(
            out.ends_with("2 rows · page 1 · has_more true (next: page = 2)"),
            "{out}"
        );
    }

    #[test]
    fn narrow_widths_drop_columns_and_truncate() {
        let lua = Lua::new();
        let v = lua_value(
            &lua,
            json!([{"session_id": "session_0123456789abcdef", "last_message": "a very long message that cannot fit", "x": 1, "y": 2, "z": 3, "w": 4}, {"session_id": "s2", "last_message": "short", "x": 5, "y": 6, "z": 7, "w": 8}]),
        );
        let out = render(
            &v,
            Style {
                width: Some(40),
                colour: false,
            },
        );
        for line in out.lines() {
            assert!(line.chars().count() <= 40, "too wide: {line}");
        }
        assert!(out.contains('…'), "{out}");
        assert!(out.contains("more columns (:json shows all)"), "{out}");
    }

    #[test]
    fn records_and_cycles() {
        let lua = Lua::new();
        let v: Value = lua
            .load("local t = {name = 'n', person = {nickname = 'p', geo = {city = 'c'}}} t.self = t return t")
            .eval()
            .unwrap();
        let out = render(&v, PLAIN);
        assert!(out.contains("| name       | n       |"), "{out}");
        assert!(out.contains("|   nickname | p       |"), "{out}");
        assert!(out.contains("|     city   | c       |"), "{out}");
        assert!(out.contains("<cycle>"), "{out}");
    }

    #[test]
    fn scalars_and_empty() {
        let lua = Lua::new();
        let v = lua_value(
            &lua,
            json!({"data": [], "page": 3, "per_page": 25, "has_more": false}),
        );
        let out = render(&v, PLAIN);
        assert!(out.ends_with("(no rows)"), "{out}");
        let v: Value = lua.load("return {1, 'a', true}").eval().unwrap();
        assert_eq!(render(&v, PLAIN), "{1, \"a\", true}");
        assert_eq!(render(&Value::Integer(3), PLAIN), "3");
    }

    /// No byte that drives a terminal: C0 other than newline (and ESC only in the renderer's
    /// own SGR), DEL, C1, bidi and zero-width characters.
    fn assert_terminal_safe(out: &str) {
        if let Some(problem) = crate::render::sanitize::terminal_safety_problem(out) {
            panic!("{problem}");
        }
    }

    const HOSTILE: &[&str] = &[
        "\x1b]52;c;AAAA\x07",
        "\x1b]0;title\x07",
        "\x1b[2J",
        "safe\r\x1b[2Kmalicious",
        "\u{202e}evil",
        "zero\u{200b}width",
        "\u{9b}2J",
    ];

    #[test]
    fn hostile_strings_never_reach_the_terminal_raw() {
        let lua = Lua::new();
        for h in HOSTILE {
            let v = lua_value(
                &lua,
                json!({"data": [{"session_id": h, "nickname": h, h.to_string(): h, "meta": {"nickname": h}},
                                {"session_id": "b", "nickname": "x", "meta": {"nickname": h}}],
                       "page": 1, "has_more": false, h.to_string(): h}),
            );
            let record = lua_value(
                &lua,
                json!({"data": {"nickname": h, h.to_string(): {"x": h}}}),
            );
            let list = lua_value(&lua, json!([h, h]));
            for width in [Some(40), Some(80), None] {
                for colour in [false, true] {
                    let style = Style { width, colour };
                    for value in [&v, &record, &list] {
                        let out = render(value, style);
                        assert_terminal_safe(&out);
                        if colour {
                            assert!(out.contains("\x1b[") || value == &list, "{out:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_megabyte_field_is_cut_before_layout() {
        let lua = Lua::new();
        let big = "x".repeat(1 << 20);
        let v = lua_value(
            &lua,
            json!([{"id": 1, "text": big}, {"id": 2, "text": "a"}]),
        );
        let style = Style {
            width: Some(80),
            colour: false,
        };
        // The text handed to comfy-table is bounded by the width.
        assert!(bound(big.clone(), style).chars().count() <= 80);
        let out = render(&v, style);
        assert!(out.len() < 10_000, "{}", out.len());
        let record = lua_value(&lua, json!({"id": 1, "text": big}));
        assert!(render(&record, style).len() < 10_000);
    }

    #[test]
    fn mixed_columns_show_every_value() {
        let lua = Lua::new();
        let v: Value = lua
            .load(r#"return {{id=1, a="hello"}, {id=2, a={name="f.png", url="https://x/f.png"}}, {id=3, a={text="picked"}}}"#)
            .eval()
            .unwrap();
        for width in [Some(80), None] {
            let out = render(
                &v,
                Style {
                    width,
                    colour: false,
                },
            );
            assert!(out.contains("hello"), "{out}");
            assert!(out.contains("[file] f.png"), "{out}");
            assert!(out.contains("picked"), "{out}");
            assert!(!out.contains("a.name"), "{out}");
        }
        // A flattened column: a row whose record lacks the field still shows the record.
        let v = lua_value(
            &lua,
            json!([{"id": 1, "meta": {"nickname": "Ana"}}, {"id": 2, "meta": {"email": "bo@x"}}]),
        );
        let out = render(
            &v,
            Style {
                width: None,
                colour: false,
            },
        );
        assert!(
            out.contains("meta.nickname") && out.contains("bo@x"),
            "{out}"
        );
    }

    #[test]
    fn every_row_only_for_deeply_equal_values() {
        let lua = Lua::new();
        let v = lua_value(
            &lua,
            json!([{"id": 1, "active": {"now": true, "last": 1}, "same": {"x": 1, "y": 2}},
                   {"id": 2, "active": {"now": false, "last": 2}, "same": {"x": 1, "y": 2}}]),
        );
        let out = render(
            &v,
            Style {
                width: Some(120),
                colour: false,
            },
        );
        let every = out.lines().next().unwrap();
        assert!(every.starts_with("every row:"), "{out}");
        assert!(every.contains("same = {2 fields}"), "{out}");
        assert!(!every.contains("active"), "{out}");
        assert!(out.lines().nth(2).unwrap().contains("active"), "{out}");
    }

    #[test]
    fn sixty_columns_keep_a_name_beside_the_id() {
        let lua = Lua::new();
        let seed = crate::demo::seed::generate(crate::demo::seed::DEFAULT_CONVERSATIONS);
        let v = lua_value(
            &lua,
            json!({"data": seed.conversations[..5], "page": 1, "per_page": 5, "has_more": true}),
        );
        let out = render(
            &v,
            Style {
                width: Some(60),
                colour: false,
            },
        );
        let header = out.lines().find(|l| l.contains("session_id")).unwrap();
        assert!(header.contains("meta.nic"), "{out}");
        assert!(out.contains("Mai Vu") && out.contains("Kai Li"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() <= 60), "{out}");
    }

    #[test]
    fn chosen_columns_reach_nested_fields_and_name_unknown_ones() {
        let lua = Lua::new();
        let v = lua_value(
            &lua,
            json!({"data": [
                {"session_id": "s1", "state": "pending", "meta": {"email": "a@x", "device": {"geolocation": {"city": "Hanoi"}}}},
                {"session_id": "s2", "state": "resolved", "meta": {"nickname": "Bo"}},
            ], "page": 1, "has_more": false}),
        );
        let chosen: Vec<String> = [
            "state",
            "meta.email",
            "meta.device.geolocation.city",
            "meta.emial",
        ]
        .map(String::from)
        .to_vec();
        let out = render_with(&v, PLAIN, Some(&chosen));
        assert!(
            out.contains("| state    | meta.email | meta.device.geolocation.city |"),
            "{out}"
        );
        assert!(
            out.contains("| resolved |            |                              |"),
            "{out}"
        );
        assert!(!out.contains("session_id |"), "{out}");
        assert!(
            out.contains("no such column in these rows: 'meta.emial' (did you mean 'meta.email'?)"),
            "{out}"
        );
        let (headers, rows) = flat_rows(&v, Some(&chosen[..3])).unwrap();
        assert_eq!(
            headers,
            ["state", "meta.email", "meta.device.geolocation.city"]
        );
        assert_eq!(rows[0], ["pending", "a@x", "Hanoi"]);
        assert!(flat_rows(&v, Some(&chosen))
            .unwrap_err()
            .contains("meta.emial"));
    }

    #[test]
    fn ten_thousand_rows_render() {
        let lua = Lua::new();
        let rows: Vec<_> = (0..10_000)
            .map(|i| json!({"id": i, "name": format!("n{i}")}))
            .collect();
        let v = lua_value(&lua, json!(rows));
        let out = render(
            &v,
            Style {
                width: Some(80),
                colour: false,
            },
        );
        assert!(out.ends_with("10000 rows"), "{}", &out[out.len() - 40..]);
    }
}
