//! MCP tool descriptions generated from the registry: one tool per API function, plus `lua`
//! and `doc`. Nothing here lists functions by hand.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{json, Map, Value as Json};

use crate::crisp::registry::{FunctionSpec, ParamSpec, ParamType, FUNCTIONS};

/// The tool that evaluates Lua in the session's one persistent state.
pub const LUA_TOOL: &str = "lua";
/// The tool that returns the API reference.
pub const DOC_TOOL: &str = "doc";
/// The extra argument of every API tool that picks the account.
pub const ACCOUNT_ARG: &str = "account";

/// Every tool this session offers: with `read_only`, no tool that writes is listed.
pub fn all(accounts: &[String], read_only: bool) -> Vec<Tool> {
    let mut tools: Vec<Tool> = FUNCTIONS
        .iter()
        .filter(|f| !(read_only && f.writes))
        .map(|f| api_tool(f, accounts))
        .collect();
    tools.push(lua_tool(read_only));
    tools.push(doc_tool());
    tools
}

/// One API function as a tool.
pub fn api_tool(spec: &FunctionSpec, accounts: &[String]) -> Tool {
    Tool::new(
        spec.name,
        spec.summary,
        Arc::new(input_schema(spec, accounts)),
    )
    .with_annotations(annotations(spec))
}

/// The JSON Schema of a function's parameters, and the optional `account`.
pub fn input_schema(spec: &FunctionSpec, accounts: &[String]) -> JsonObject {
    let mut properties = Map::new();
    for p in spec.params {
        properties.insert(p.name.to_string(), param_schema(p));
    }
    let mut account = json!({
        "type": "string",
        "description": "The configured account to call as (default: the default account). Same as crisp.<account>.<function> in Lua.",
    });
    if !accounts.is_empty() {
        account["enum"] = json!(accounts);
    }
    properties.insert(ACCOUNT_ARG.to_string(), account);
    let required: Vec<&str> = spec
        .params
        .iter()
        .filter(|p| p.required)
        .map(|p| p.name)
        .collect();
    object_schema(properties, &required)
}

fn object_schema(properties: Map<String, Json>, required: &[&str]) -> JsonObject {
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Json::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), json!(required));
    }
    schema.insert("additionalProperties".into(), json!(false));
    schema
}

/// One parameter's schema: type, range, allowed values, default and description.
pub fn param_schema(p: &ParamSpec) -> Json {
    let mut schema = match p.ty {
        ParamType::Integer { min, max } => {
            let mut s = json!({"type": "integer", "minimum": min});
            if max != i64::MAX {
                s["maximum"] = json!(max);
            }
            s
        }
        ParamType::String { non_empty: true } => json!({"type": "string", "minLength": 1}),
        ParamType::String { non_empty: false } => json!({"type": "string"}),
        ParamType::Enum { values } => json!({"type": "string", "enum": values}),
        ParamType::Boolean => json!({"type": "boolean"}),
        ParamType::StringList => json!({"type": "array", "items": {"type": "string"}}),
        ParamType::IntegerList => json!({"type": "array", "items": {"type": "integer"}}),
        ParamType::Object => json!({"type": "object"}),
        ParamType::ObjectList { fields } => {
            let props: Map<String, Json> = fields
                .iter()
                .map(|f| (f.to_string(), json!({"type": "string"})))
                .collect();
            json!({"type": "array", "items": {"type": "object", "properties": props, "required": fields}})
        }
        // An id, or `false` to clear it: JSON's false is Lua's.
        ParamType::IdOrFalse => json!({"anyOf": [
            {"type": "string", "minLength": 1},
            {"type": "boolean", "const": false},
        ]}),
    };
    schema["description"] = json!(p.description);
    if let Some(default) = p.default {
        schema["default"] = default_json(default);
    }
    schema
}

/// A registry default (Lua source text such as `1`, `"text"`, `true`) as JSON.
fn default_json(lua_text: &str) -> Json {
    serde_json::from_str(lua_text).unwrap_or_else(|_| json!(lua_text.trim_matches('"')))
}

/// Side-effect hints from the registry: reads are read-only; a write's hints follow its HTTP
/// method (POST adds something new each time, PATCH/PUT set a value, DELETE removes).
pub fn annotations(spec: &FunctionSpec) -> ToolAnnotations {
    let base = ToolAnnotations::new().open_world(true);
    if !spec.writes {
        return base.read_only(true);
    }
    let methods: Vec<&str> = spec
        .rest
        .iter()
        .filter_map(|r| r.split_whitespace().next())
        .collect();
    let any = |m: &str| methods.contains(&m);
    // A method we cannot read (a generic request function) is assumed to be the worst.
    let unknown = methods.is_empty()
        || methods
            .iter()
            .any(|m| !["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"].contains(m));
    // Overwriting a value (state, assignee, metas) or removing one loses what was there.
    let destructive = unknown || any("PATCH") || any("PUT") || any("DELETE");
    // Repeating a POST sends a second message; repeating a PATCH sets the same value again.
    let idempotent = !unknown && !any("POST");
    base.read_only(false)
        .destructive(destructive)
        .idempotent(idempotent)
}

fn lua_tool(read_only: bool) -> Tool {
    let mut properties = Map::new();
    properties.insert(
        "code".into(),
        json!({
            "type": "string",
            "minLength": 1,
            "description": "Lua 5.4 code, run like a line at the REPL prompt: a bare expression returns its value, globals and top-level locals persist between calls. `crisp.<function>{...}`, `crisp.paginate`, `crisp.all` and `doc()` are available; print() output is returned in `output`.",
        }),
    );
    let mut description = String::from(
        "Evaluate Lua in this session's one persistent Lua state (variables persist between calls), with the whole Crisp API as crisp.<function>{...}. Returns {ok, values, output} or {ok = false, error = {kind, message, fn?, status?, reason?}}.",
    );
    if read_only {
        description.push_str(" This session is read-only: calls that change data are refused.");
    }
    // Lua can do anything, writes included (unless --read-only).
    let hints = ToolAnnotations::new().open_world(true).read_only(read_only);
    let hints = if read_only {
        hints
    } else {
        hints.destructive(true).idempotent(false)
    };
    Tool::new(
        LUA_TOOL,
        description,
        Arc::new(object_schema(properties, &["code"])),
    )
    .with_annotations(hints)
}

fn doc_tool() -> Tool {
    let mut properties = Map::new();
    properties.insert(
        "name".into(),
        json!({
            "type": "string",
            "description": "A function (send_message) or topic (paging, errors, ...); leave it out for the index.",
        }),
    );
    Tool::new(
        DOC_TOOL,
        "The API reference (markdown) for one function or topic, or the index of all of them.",
        Arc::new(object_schema(properties, &[])),
    )
    .with_annotations(
        ToolAnnotations::new()
            .read_only(true)
            .open_world(false)
            .idempotent(true),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crisp::registry::function;

    #[test]
    fn every_function_is_a_tool_and_writes_hide_when_read_only() {
        let accounts = vec!["default".to_string()];
        let names: Vec<String> = all(&accounts, false)
            .iter()
            .map(|t| t.name.to_string())
            .collect();
        for f in FUNCTIONS {
            assert!(names.contains(&f.name.to_string()), "{}", f.name);
        }
        let read_only: Vec<String> = all(&accounts, true)
            .iter()
            .map(|t| t.name.to_string())
            .collect();
        for f in FUNCTIONS {
            assert_eq!(read_only.contains(&f.name.to_string()), !f.writes);
        }
    }

    #[test]
    fn schemas_carry_ranges_enums_and_defaults() {
        let s = input_schema(function("list_conversations").unwrap(), &[]);
        let per_page = &s["properties"]["per_page"];
        assert_eq!(per_page["minimum"], 1);
        assert_eq!(per_page["maximum"], 100);
        assert_eq!(per_page["default"], 25);
        assert!(s["properties"]["page"].get("maximum").is_none());
        let send = input_schema(function("send_message").unwrap(), &["a".into()]);
        assert_eq!(send["properties"]["type"]["default"], "text");
        assert_eq!(send["properties"]["account"]["enum"], json!(["a"]));
        assert_eq!(send["required"], json!(["conversation_id", "text"]));
    }

    #[test]
    fn send_message_is_additive_and_not_idempotent() {
        let a = annotations(function("send_message").unwrap());
        assert_eq!(a.read_only_hint, Some(false));
        assert_eq!(a.destructive_hint, Some(false));
        assert_eq!(a.idempotent_hint, Some(false));
        let r = annotations(function("get_contact").unwrap());
        assert_eq!(r.read_only_hint, Some(true));
        // A write whose method cannot be read is assumed destructive and not idempotent.
        let generic = FunctionSpec {
            rest: &["ANY {path}"],
            writes: true,
            ..*function("send_message").unwrap()
        };
        let g = annotations(&generic);
        assert_eq!(
            (g.destructive_hint, g.idempotent_hint),
            (Some(true), Some(false))
        );
    }
}
