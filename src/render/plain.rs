//! Lua values as plain text: scalars as Lua shows them, tables as indented Lua literals.
//! Used where no table layout fits (pipes, nested values) and never truncated.

use mlua::{Table, Value};

use crate::lua::convert::format_float;

/// How a returned scalar reads: strings quoted, as a REPL shows them.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::Nil => "nil".into(),
        Value::Boolean(b) => b.to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Number(n) => format_float(*n),
        Value::String(s) => quote(&s.to_string_lossy()),
        Value::Function(f) => {
            let info = f.info();
            match (info.short_src, info.line_defined) {
                (Some(src), Some(line)) if line > 0 => format!("function: {src}:{line}"),
                _ => "function: builtin".into(),
            }
        }
        Value::Error(e) => format!("error: {}", super::sanitize::sanitize(&e.to_string())),
        other => format!("{}: {:p}", other.type_name(), other.to_pointer()),
    }
}

/// A Lua string literal with escapes for quotes, backslashes and control characters.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if super::sanitize::is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A whole value as an indented Lua literal.
pub fn literal(v: &Value) -> String {
    let mut out = String::new();
    let mut seen = Vec::new();
    write_value(v, 0, &mut seen, &mut out);
    out
}

/// Table keys in a stable, readable order: the array part, then ids and names, then the rest.
pub fn sorted_pairs(t: &Table) -> Vec<(Value, Value)> {
    let len = t.raw_len();
    let mut array = Vec::new();
    let mut named = Vec::new();
    for pair in t.clone().pairs::<Value, Value>() {
        let Ok((k, v)) = pair else { continue };
        match &k {
            Value::Integer(i) if *i >= 1 && (*i as usize) <= len => array.push((*i, k, v)),
            _ => named.push((k, v)),
        }
    }
    array.sort_by_key(|(i, _, _)| *i);
    named.sort_by_cached_key(|(k, _)| key_rank(k));
    array
        .into_iter()
        .map(|(_, k, v)| (k, v))
        .chain(named)
        .collect()
}

fn key_rank(k: &Value) -> (u8, String) {
    match k {
        Value::String(s) => {
            let s = s.to_string_lossy();
            (field_priority(&s), s)
        }
        Value::Integer(i) => (0, format!("{i:020}")),
        other => (9, scalar(other)),
    }
}

/// Ids first, then names, then everything else alphabetically.
pub fn field_priority(name: &str) -> u8 {
    match name {
        "session_id" | "campaign_id" => 0,
        "people_id" | "user_id" | "plugin_id" | "website_id" => 1,
        _ if name.ends_with("_id") || name == "id" => 2,
        "name" | "nickname" | "email" | "from" | "type" | "state" => 3,
        _ => 5,
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn write_value(
    v: &Value,
    indent: usize,
    seen: &mut Vec<*const std::ffi::c_void>,
    out: &mut String,
) {
    let Value::Table(t) = v else {
        out.push_str(&scalar(v));
        return;
    };
    let ptr = t.to_pointer();
    if seen.contains(&ptr) {
        out.push_str("<cycle>");
        return;
    }
    let pairs = sorted_pairs(t);
    if pairs.is_empty() {
        out.push_str("{}");
        return;
    }
    if seen.len() > 64 {
        out.push_str("{…}");
        return;
    }
    seen.push(ptr);
    let len = t.raw_len();
    let pad = "  ".repeat(indent + 1);
    out.push_str("{\n");
    for (k, v) in pairs {
        out.push_str(&pad);
        match &k {
            Value::Integer(i) if *i >= 1 && (*i as usize) <= len => {}
            Value::String(s) if is_identifier(&s.to_string_lossy()) => {
                out.push_str(&s.to_string_lossy());
                out.push_str(" = ");
            }
            other => {
                out.push('[');
                out.push_str(&scalar(other));
                out.push_str("] = ");
            }
        }
        write_value(&v, indent + 1, seen, out);
        out.push_str(",\n");
    }
    out.push_str(&"  ".repeat(indent));
    out.push('}');
    seen.pop();
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlua::Lua;

    #[test]
    fn literals() {
        let lua = Lua::new();
        let v: Value = lua
            .load(r#"local t = {1, "two", name = "x\ny", session_id = "s", [true] = 3} t.me = t return t"#)
            .eval()
            .unwrap();
        assert_eq!(
            literal(&v),
            "{\n  1,\n  \"two\",\n  session_id = \"s\",\n  name = \"x\\ny\",\n  me = <cycle>,\n  [true] = 3,\n}"
        );
        assert_eq!(scalar(&Value::Number(2.0)), "2.0");
        assert_eq!(scalar(&Value::Integer(7)), "7");
    }
}
