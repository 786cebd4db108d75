//! The embedded API reference (`docs/api.md`) and the registry as JSON for `doc --json`.

use serde_json::{json, Value};

use crate::crisp::registry::{self, FUNCTIONS};

/// The project's own API reference, compiled into the binary.
pub const API_MARKDOWN: &str = include_str!("../docs/api.md");

/// One `## name` section of the reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub name: String,
    /// The section's markdown, heading included.
    pub markdown: String,
}

/// Every `## ` section, in document order.
pub fn sections() -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for line in API_MARKDOWN.lines() {
        if let Some(name) = line.strip_prefix("## ") {
            out.push(Section {
                name: name.trim().to_string(),
                markdown: String::new(),
            });
        }
        if let Some(current) = out.last_mut() {
            current.markdown.push_str(line);
            current.markdown.push('\n');
        }
    }
    for s in &mut out {
        // Drop a trailing horizontal rule between sections.
        let trimmed = s.markdown.trim_end().trim_end_matches("---").trim_end();
        s.markdown = format!("{trimmed}\n");
    }
    out
}

/// Section names that are topics rather than functions.
pub fn topics() -> Vec<String> {
    sections()
        .into_iter()
        .map(|s| s.name)
        .filter(|n| registry::function(n).is_none())
        .collect()
}

/// Every name `:doc` accepts, for completion.
pub fn names() -> Vec<String> {
    sections().into_iter().map(|s| s.name).collect()
}

/// Find a section: `send_message`, `crisp.send_message`, `app.integrations.crisp.support.send_message`.
pub fn lookup(query: &str) -> Result<Section, String> {
    let query = query.trim().trim_end_matches(['(', '{', ')', '}']);
    let name = query.rsplit(['.', ':']).next().unwrap_or(query);
    let all = sections();
    if let Some(s) = all.iter().find(|s| s.name.eq_ignore_ascii_case(name)) {
        return Ok(s.clone());
    }
    let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
    let mut msg = format!("no documentation for '{query}'");
    if let Some(s) = registry::did_you_mean(name, names.iter().copied()) {
        msg.push_str(&format!(" (did you mean '{s}'?)"));
    }
    msg.push_str(&format!("; topics: {}", names.join(", ")));
    Err(msg)
}

/// `:doc` with no topic: the functions with their summaries, then the topics (markdown).
pub fn index() -> String {
    let mut out = String::from("# crisp-repl Lua API\n\nCall as `crisp.<function>{...}` (or `app.integrations.crisp.<account>.<function>{...}`).\n\n| Function | Summary |\n|---|---|\n");
    for f in FUNCTIONS {
        out.push_str(&format!("| `{}` | {} |\n", f.signature(), f.summary));
    }
    out.push_str("\nTopics: ");
    out.push_str(
        &topics()
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str(".\n\nType `:doc <name>` for one of them, e.g. `:doc send_message`.\n");
    out
}

/// `:doc [topic]` as text: styled for a terminal `width` wide, or the markdown itself (`None`).
pub fn render_topic(
    topic: Option<&str>,
    width: Option<usize>,
    colour: bool,
) -> Result<String, String> {
    let markdown = match topic {
        None => index(),
        Some(t) => lookup(t)?.markdown,
    };
    Ok(match width {
        Some(w) => crate::render::markdown::render(&markdown, w, colour),
        None => markdown,
    })
}

/// The registry as JSON: everything an agent needs to call the API, in one document.
pub fn registry_json() -> Value {
    let functions: Vec<Value> = FUNCTIONS
        .iter()
        .map(|f| {
            let params: Vec<Value> = f
                .params
                .iter()
                .map(|p| {
                    let mut v = json!({
                        "name": p.name,
                        "type": p.ty.lua_type(),
                        "required": p.required,
                        "description": p.description,
                    });
                    if let Some(d) = p.default {
                        v["default"] = serde_json::from_str(d).unwrap_or(json!(d));
                    }
                    match p.ty {
                        registry::ParamType::Integer { min, max } => {
                            v["min"] = json!(min);
                            if max != i64::MAX {
                                v["max"] = json!(max);
                            }
                        }
                        registry::ParamType::Enum { values } => v["enum"] = json!(values),
                        registry::ParamType::String { non_empty } => {
                            v["non_empty"] = json!(non_empty)
                        }
                        registry::ParamType::ObjectList { fields } => {
                            v["item_fields"] = json!(fields)
                        }
                        registry::ParamType::Boolean
                        | registry::ParamType::StringList
                        | registry::ParamType::IntegerList
                        | registry::ParamType::Object
                        | registry::ParamType::IdOrFalse => {}
                    }
                    v
                })
                .collect();
            json!({
                "name": f.name,
                "summary": f.summary,
                "signature": f.signature(),
                "parameters": params,
                "writes": f.writes,
                "rest": f.rest,
                "returns": f.returns,
                "example": f.example,
            })
        })
        .collect();
    json!({
        "namespace": "app.integrations.crisp",
        "shorthand": "crisp",
        "calling": "crisp.<function>{name = value, ...}; crisp.<account>.<function>{...} for a named account",
        "functions": functions,
        "helpers": [
            {"name": "paginate", "signature": "crisp.paginate(list_function, params)", "summary": "An iterator over every item of a list function, across pages."},
            {"name": "all", "signature": "crisp.all(list_function, params, max_items)", "summary": "Every item of a list function in one array; fails past max_items (default 10000)."},
            {"name": "watch", "signature": "crisp.watch{interval?, filter?, since?, polls?}", "summary": "An iterator over new messages across the inbox as they arrive (polling; see :doc watch)."},
        ],
        "errors": {
            "fields": ["message", "fn", "account", "kind", "status", "reason"],
            "kinds": ["validation", "http", "auth", "timeout", "interrupted"],
        },
        "topics": topics(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_has_a_section() {
        let names = names();
        for f in FUNCTIONS {
            assert!(
                names.iter().any(|n| n == f.name),
                "no section for {}",
                f.name
            );
        }
        for topic in ["accounts", "paging", "errors", "credentials", "demo"] {
            assert!(names.iter().any(|n| n == topic), "no topic {topic}");
        }
    }

    #[test]
    fn lookup_accepts_qualified_names() {
        for q in [
            "send_message",
            "crisp.send_message",
            "app.integrations.crisp.send_message",
            "app.integrations.crisp.support.send_message",
            "crisp.send_message{",
        ] {
            assert_eq!(lookup(q).unwrap().name, "send_message", "{q}");
        }
        let err = lookup("send_mesage").unwrap_err();
        assert!(err.contains("did you mean 'send_message'?"), "{err}");
    }

    /// The markdown's parameter tables and the registry must say the same thing.
    #[test]
    fn markdown_agrees_with_the_registry() {
        for f in FUNCTIONS {
            let section = lookup(f.name).unwrap().markdown;
            let first_para = section
                .lines()
                .skip(1)
                .find(|l| !l.trim().is_empty())
                .unwrap_or_default();
            assert!(
                first_para.starts_with(f.summary),
                "{}: the section must open with the registry summary '{}', got '{first_para}'",
                f.name,
                f.summary
            );
            let rows: Vec<Vec<String>> = section
                .lines()
                .skip_while(|l| !l.starts_with("### Parameters"))
                .skip(1)
                .take_while(|l| !l.starts_with("### "))
                .filter(|l| l.starts_with('|') && !l.contains("---"))
                .map(|l| {
                    l.trim()
                        .trim_matches('|')
                        .split('|')
                        .map(|c| c.trim().trim_matches('`').to_string())
                        .collect()
                })
                .collect();
            if f.params.is_empty() {
                assert!(
                    rows.is_empty(),
                    "{}: documents parameters it does not have",
                    f.name
                );
                continue;
            }
            assert_eq!(
                rows[0],
                ["Name", "Type", "Required", "Default", "Description"],
                "{}: parameter table header",
                f.name
            );
            let documented: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
            let registered: Vec<&str> = f.params.iter().map(|p| p.name).collect();
            assert_eq!(documented, registered, "{}: parameter names", f.name);
            for (row, p) in rows[1..].iter().zip(f.params) {
                assert_eq!(row[1], p.ty.lua_type(), "{}.{} type", f.name, p.name);
                let required = if p.required { "yes" } else { "no" };
                assert_eq!(row[2], required, "{}.{} required", f.name, p.name);
                let default = p.default.unwrap_or("—");
                assert_eq!(row[3], default, "{}.{} default", f.name, p.name);
            }
        }
    }

    #[test]
    fn registry_json_is_complete() {
        let j = registry_json();
        assert_eq!(j["functions"].as_array().unwrap().len(), FUNCTIONS.len());
        let send = &j["functions"][2];
        assert_eq!(send["name"], "send_message");
        assert_eq!(send["writes"], true);
        assert_eq!(
            send["parameters"][2]["enum"],
            json!(["text", "note", "file"])
        );
        assert_eq!(send["parameters"][2]["default"], "text");
        let list = &j["functions"][0];
        assert_eq!(list["parameters"][1]["max"], 100);
        assert_eq!(list["parameters"][1]["default"], 25);
    }
}
