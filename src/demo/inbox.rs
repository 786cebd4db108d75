//! The demo's inbox routes beyond reading: search, filters and order on the lists, state, read
//! marks, routing and metas, operators and a person's conversations (crisp-api.md §7). Writes
//! change the seed in place, so later lists and reads show them, as on Crisp.

use std::cmp::Reverse;

use serde_json::{json, Map, Value};

use super::seed::Seed;
use super::server::{fail, ok, Reply};

/// Conversation ids per page of `people/conversations/{id}/list/{page}` (Crisp's size is
/// unconfirmed; 20 is the size of its other lists).
pub(super) const PEOPLE_CONVERSATIONS_PAGE: usize = 20;

/// The query as decoded pairs.
pub(super) type Query<'a> = &'a [(String, String)];

fn param<'a>(query: Query<'a>, name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A `0`/`1` flag as Crisp takes it; anything else is refused as Crisp's schema would.
fn flag(query: Query, name: &str) -> Result<bool, Reply> {
    match param(query, name) {
        None | Some("0") => Ok(false),
        Some("1") => Ok(true),
        Some(_) => Err(fail(400, "invalid_data", &format!("{name} must be 0 or 1"))),
    }
}

/// ms since the epoch of an ISO 8601 date-time.
fn date_ms(query: Query, name: &str) -> Result<Option<i64>, Reply> {
    let Some(text) = param(query, name) else {
        return Ok(None);
    };
    let time = humantime::parse_rfc3339_weak(text).map_err(|_| {
        fail(
            400,
            "invalid_data",
            &format!("{name} must be an ISO 8601 date-time"),
        )
    })?;
    let ms = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    Ok(Some(ms))
}

/// Lowercase words of a search text.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_lowercase).collect()
}

fn contains_all(haystack: &[String], words: &[String]) -> bool {
    words.iter().all(|w| haystack.iter().any(|h| h.contains(w)))
}

/// One condition of a `filter` search: `{model, criterion, operator, query: [strings]}`.
struct Condition {
    criterion: String,
    operator: String,
    values: Vec<String>,
}

/// A filter array as sent in `search_query` (conversations) or `search_filter` (people).
fn conditions(text: &str) -> Result<Vec<Condition>, Reply> {
    let bad = || {
        fail(
            400,
            "invalid_data",
            "the filter must be a JSON array of {model, criterion, operator, query}",
        )
    };
    let parsed: Value = serde_json::from_str(text).map_err(|_| bad())?;
    let items = parsed.as_array().ok_or_else(bad)?;
    items
        .iter()
        .map(|item| {
            let field = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
            let values = match item.get("query") {
                Some(Value::Array(values)) => values
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>(),
                _ => None,
            };
            match (
                field("model"),
                field("criterion"),
                field("operator"),
                values,
            ) {
                (Some(_), Some(criterion), Some(operator), Some(values)) => Ok(Condition {
                    criterion,
                    operator,
                    values,
                }),
                _ => Err(bad()),
            }
        })
        .collect()
}

/// Does `value` (what the criterion names in an item) satisfy the condition?
fn satisfies(value: Option<&Value>, cond: &Condition) -> bool {
    let as_text = |v: &Value| match v {
        Value::String(s) => Some(s.to_lowercase()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let held: Vec<String> = match value {
        Some(Value::Array(items)) => items.iter().filter_map(as_text).collect(),
        Some(v) => as_text(v).into_iter().collect(),
        None => Vec::new(),
    };
    let wanted: Vec<String> = cond.values.iter().map(|v| v.to_lowercase()).collect();
    let any_equal = held.iter().any(|h| wanted.contains(h));
    let number = |s: &String| s.parse::<f64>().ok();
    let compare = |pass: fn(f64, f64) -> bool| {
        held.iter()
            .filter_map(number)
            .any(|h| wanted.iter().filter_map(number).any(|w| pass(h, w)))
    };
    match cond.operator.as_str() {
        "eq" => any_equal,
        "neq" => !any_equal,
        "gt" => compare(|h, w| h > w),
        "gte" => compare(|h, w| h >= w),
        "lt" => compare(|h, w| h < w),
        "lte" => compare(|h, w| h <= w),
        _ => false,
    }
}

fn matches_filter(
    item: &Value,
    conds: &[Condition],
    any: bool,
    lookup: fn(&Value, &str) -> Option<Value>,
) -> bool {
    let check = |c: &Condition| satisfies(lookup(item, &c.criterion).as_ref(), c);
    if any {
        conds.iter().any(check)
    } else {
        conds.iter().all(check)
    }
}

fn search_operator_is_or(query: Query) -> Result<bool, Reply> {
    match param(query, "search_operator") {
        None | Some("and") => Ok(false),
        Some("or") => Ok(true),
        Some(_) => Err(fail(
            400,
            "invalid_data",
            "search_operator must be and or or",
        )),
    }
}

/// A conversation's field for a filter criterion: top level first, then its metas.
fn conversation_field(conversation: &Value, criterion: &str) -> Option<Value> {
    let found = conversation
        .get(criterion)
        .or_else(|| conversation.get("meta").and_then(|m| m.get(criterion)));
    match (criterion, found) {
        ("assigned", Some(a)) => a.get("user_id").cloned(),
        (_, found) => found.cloned(),
    }
}

/// A profile's field for a filter criterion: top level, then `person`, then `company`.
fn contact_field(contact: &Value, criterion: &str) -> Option<Value> {
    contact
        .get(criterion)
        .or_else(|| contact.get("person").and_then(|p| p.get(criterion)))
        .or_else(|| contact.get("company").and_then(|c| c.get(criterion)))
        .cloned()
}

/// The list options Crisp's conversation list takes (crisp-api.md §7.3).
const CONVERSATION_OPTIONS: &[&str] = &[
    "search_query",
    "search_type",
    "search_operator",
    "include_empty",
    "filter_inbox_id",
    "filter_unread",
    "filter_resolved",
    "filter_not_resolved",
    "filter_mention",
    "filter_assigned",
    "filter_unassigned",
    "filter_date_start",
    "filter_date_end",
    "order_date_created",
    "order_date_updated",
    "order_date_waiting",
];

/// True when the query asks for more than a plain page (the fast path keeps the plain list
/// cheap for the benchmarks).
pub(super) fn has_conversation_options(query: Query) -> bool {
    query
        .iter()
        .any(|(k, _)| CONVERSATION_OPTIONS.contains(&k.as_str()))
}

/// The conversations a search, filters and order select, before paging.
pub(super) fn select_conversations<'s>(
    seed: &'s Seed,
    query: Query,
    me: &str,
) -> Result<Vec<&'s Value>, Reply> {
    let text = param(query, "search_query").filter(|q| !q.trim().is_empty());
    let kind = param(query, "search_type").unwrap_or("text");
    let any = search_operator_is_or(query)?;
    let include_empty = flag(query, "include_empty")?;
    let unread = flag(query, "filter_unread")?;
    let resolved = flag(query, "filter_resolved")?;
    let not_resolved = flag(query, "filter_not_resolved")?;
    let mention = flag(query, "filter_mention")?;
    let unassigned = flag(query, "filter_unassigned")?;
    let inbox = param(query, "filter_inbox_id");
    let assigned = param(query, "filter_assigned");
    let start = date_ms(query, "filter_date_start")?;
    let end = date_ms(query, "filter_date_end")?;
    let conds = match (text, kind) {
        (Some(t), "filter") => Some(conditions(t)?),
        (_, "text" | "segment" | "filter") => None,
        _ => {
            return Err(fail(
                400,
                "invalid_data",
                "search_type must be text, segment or filter",
            ))
        }
    };
    let search_words = text.map(words).unwrap_or_default();
    let mut selected: Vec<&Value> = seed
        .conversations
        .iter()
        .filter(|c| {
            let sid = c["session_id"].as_str().unwrap_or("");
            let messages = seed.messages.get(sid);
            let state = c["state"].as_str().unwrap_or("");
            let updated = c["updated_at"].as_i64().unwrap_or(0);
            (include_empty || messages.is_some_and(|m| !m.is_empty()))
                && inbox.is_none_or(|i| c["inbox_id"] == i)
                && (!unread || c["unread"]["operator"].as_i64().unwrap_or(0) > 0)
                && (!resolved || state == "resolved")
                && (!not_resolved || state != "resolved")
                && (!mention
                    || c["mentions"]
                        .as_array()
                        .is_some_and(|m| m.iter().any(|u| u == me)))
                && assigned.is_none_or(|u| c["assigned"]["user_id"] == u)
                && (!unassigned || c["assigned"]["user_id"].is_null())
                && start.is_none_or(|s| updated >= s)
                && end.is_none_or(|e| updated <= e)
        })
        .filter(|c| match (text, kind) {
            (None, _) => true,
            (Some(segment), "segment") => c["meta"]["segments"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|v| v.as_str().is_some_and(|v| v.eq_ignore_ascii_case(segment)))
            }),
            (Some(_), "filter") => conds
                .as_deref()
                .is_some_and(|conds| matches_filter(c, conds, any, conversation_field)),
            (Some(_), _) => {
                let sid = c["session_id"].as_str().unwrap_or("");
                contains_all(&conversation_haystack(seed, c, sid), &search_words)
            }
        })
        .collect();
    let at = |c: &Value, key: &str| c[key].as_i64().unwrap_or(0);
    if flag(query, "order_date_created")? {
        selected.sort_by_key(|c| Reverse(at(c, "created_at")));
    } else if flag(query, "order_date_waiting")? {
        // Longest waiting first; conversations nobody waits on (resolved) last.
        selected.sort_by_key(|c| c["waiting_since"].as_i64().unwrap_or(i64::MAX));
    } else if flag(query, "order_date_updated")? {
        selected.sort_by_key(|c| Reverse(at(c, "updated_at")));
    }
    Ok(selected)
}

/// What a text search looks in: message text, the visitor's nickname and email.
fn conversation_haystack(seed: &Seed, conversation: &Value, sid: &str) -> Vec<String> {
    let mut hay: Vec<String> = ["nickname", "email"]
        .iter()
        .filter_map(|k| conversation["meta"][k].as_str())
        .map(str::to_lowercase)
        .collect();
    for message in seed.messages.get(sid).into_iter().flatten() {
        if let Some(text) = message["content"].as_str() {
            hay.push(text.to_lowercase());
        }
    }
    hay
}

/// The people profiles a search, filters and sort select, before paging.
pub(super) fn select_contacts<'s>(seed: &'s Seed, query: Query) -> Result<Vec<&'s Value>, Reply> {
    let search_words = param(query, "search_text").map(words).unwrap_or_default();
    let any = search_operator_is_or(query)?;
    let conds = match param(query, "search_filter") {
        Some(text) => Some(conditions(text)?),
        None => None,
    };
    let mut selected: Vec<&Value> = seed
        .contacts
        .iter()
        .filter(|c| {
            let hay: Vec<String> = [&c["email"], &c["person"]["nickname"], &c["company"]["name"]]
                .iter()
                .filter_map(|v| v.as_str())
                .map(str::to_lowercase)
                .collect();
            contains_all(&hay, &search_words)
                && conds
                    .as_deref()
                    .is_none_or(|conds| matches_filter(c, conds, any, contact_field))
        })
        .collect();
    let descending = match param(query, "sort_order") {
        None | Some("ascending") => false,
        Some("descending") => true,
        Some(_) => {
            return Err(fail(
                400,
                "invalid_data",
                "sort_order must be ascending or descending",
            ))
        }
    };
    if let Some(field) = param(query, "sort_field") {
        let key = |c: &Value| -> (String, i64) {
            match contact_field(c, field) {
                Some(Value::Number(n)) => (String::new(), n.as_i64().unwrap_or(0)),
                Some(Value::String(s)) => (s.to_lowercase(), 0),
                _ => (String::new(), 0),
            }
        };
        selected.sort_by_key(|c| key(c));
        if descending {
            selected.reverse();
        }
    }
    Ok(selected)
}

fn body_object(body: &str) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(fail(400, "invalid_data", "the body must be a JSON object")),
    }
}

fn conversation_mut<'s>(seed: &'s mut Seed, sid: &str) -> Result<&'s mut Value, Reply> {
    seed.conversations
        .iter_mut()
        .find(|c| c["session_id"] == sid)
        .ok_or_else(|| fail(404, "not_found", "conversation not found"))
}

/// `PATCH .../state`: `{state}`. Resolving ends the wait; reopening starts one. Here and in
/// the other writes, `Err` is the refusal to answer with.
pub(super) fn set_state(seed: &mut Seed, sid: &str, body: &str, now: i64) -> Result<Reply, Reply> {
    let body = body_object(body)?;
    let state = match body.get("state").and_then(Value::as_str) {
        Some(s @ ("pending" | "unresolved" | "resolved")) => s.to_string(),
        _ => {
            return Err(fail(
                400,
                "invalid_data",
                "state must be pending, unresolved or resolved",
            ))
        }
    };
    let conversation = conversation_mut(seed, sid)?;
    let status = match state.as_str() {
        "pending" => 0,
        "unresolved" => 1,
        _ => 2,
    };
    let obj = conversation
        .as_object_mut()
        .ok_or_else(|| fail(500, "error", "bad conversation"))?;
    if state == "resolved" {
        obj.remove("waiting_since");
    } else if !obj.contains_key("waiting_since") {
        obj.insert("waiting_since".into(), json!(now));
    }
    obj.insert("state".into(), json!(state));
    obj.insert("status".into(), json!(status));
    Ok(ok(200, "updated", json!({})))
}

/// `PATCH .../read`: `{from, origin, fingerprints?}`. Crisp requires `origin`
/// (node-crisp-api#29). The visitor's messages become read, and `unread.operator` drops.
pub(super) fn mark_read(seed: &mut Seed, sid: &str, body: &str) -> Result<Reply, Reply> {
    let body = body_object(body)?;
    for field in ["from", "origin"] {
        if !body.get(field).is_some_and(Value::is_string) {
            return Err(fail(
                400,
                "invalid_data",
                &format!("data should have required property '.{field}'"),
            ));
        }
    }
    let only: Option<Vec<i64>> = match body.get("fingerprints") {
        None => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(Value::as_i64)
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| fail(400, "invalid_data", "fingerprints must be integers"))?,
        ),
        Some(_) => return Err(fail(400, "invalid_data", "fingerprints must be an array")),
    };
    conversation_mut(seed, sid)?;
    let messages = seed.messages.entry(sid.to_string()).or_default();
    for message in messages.iter_mut() {
        let chosen = only.as_ref().is_none_or(|fps| {
            message["fingerprint"]
                .as_i64()
                .is_some_and(|fp| fps.contains(&fp))
        });
        if chosen && message["from"] == "user" {
            message["read"] = json!("chat");
        }
    }
    // Unread: the visitor's messages after the last one an operator read or answered.
    let unread = messages
        .iter()
        .rev()
        .take_while(|m| m["from"] == "user" && m["read"].as_str().unwrap_or("").is_empty())
        .count();
    let conversation = conversation_mut(seed, sid)?;
    let before = conversation["unread"]["operator"].as_u64().unwrap_or(0) as usize;
    conversation["unread"]["operator"] = json!(unread.min(before));
    Ok(ok(200, "updated", json!({})))
}

/// `PATCH .../routing`: `{assigned: {user_id}}`, or `{assigned: null}` to unassign.
pub(super) fn set_routing(
    seed: &mut Seed,
    operators: &[Value],
    sid: &str,
    body: &str,
) -> Result<Reply, Reply> {
    let body = body_object(body)?;
    let assigned = match body.get("assigned") {
        Some(Value::Null) => None,
        Some(Value::Object(a)) => match a.get("user_id").and_then(Value::as_str) {
            Some(id) if operators.iter().any(|o| o["details"]["user_id"] == id) => {
                Some(id.to_string())
            }
            Some(_) => {
                return Err(fail(
                    400,
                    "invalid_data",
                    "assigned.user_id is not an operator of this website",
                ))
            }
            None => {
                return Err(fail(
                    400,
                    "invalid_data",
                    "assigned must be {user_id} or null",
                ))
            }
        },
        _ => {
            return Err(fail(
                400,
                "invalid_data",
                "data should have required property '.assigned'",
            ))
        }
    };
    let conversation = conversation_mut(seed, sid)?;
    let obj = conversation
        .as_object_mut()
        .ok_or_else(|| fail(500, "error", "bad conversation"))?;
    match assigned {
        Some(id) => {
            obj.insert("assigned".into(), json!({ "user_id": id }));
        }
        None => {
            obj.remove("assigned");
        }
    }
    Ok(ok(200, "updated", json!({})))
}

/// Metas a PATCH may set as strings (GO `ConversationMetaUpdate`).
const STRING_METAS: &[&str] = &[
    "nickname", "email", "phone", "address", "subject", "avatar", "ip", "origin",
];

/// `PATCH .../meta`: the given metas replace the stored ones; `data` keys are merged.
pub(super) fn update_meta(seed: &mut Seed, sid: &str, body: &str) -> Result<Reply, Reply> {
    let body = body_object(body)?;
    if body.is_empty() {
        return Err(fail(400, "invalid_data", "nothing to update"));
    }
    for (key, value) in &body {
        let fits = match key.as_str() {
            k if STRING_METAS.contains(&k) => value.is_string(),
            "segments" => value
                .as_array()
                .is_some_and(|s| s.iter().all(Value::is_string)),
            "data" => value.as_object().is_some_and(|d| {
                d.values()
                    .all(|v| v.is_string() || v.is_number() || v.is_boolean())
            }),
            "device" => value.is_object(),
            _ => false,
        };
        if !fits {
            return Err(fail(
                400,
                "invalid_data",
                &format!("meta '{key}' is unknown or has the wrong type"),
            ));
        }
    }
    let conversation = conversation_mut(seed, sid)?;
    let meta = conversation
        .as_object_mut()
        .ok_or_else(|| fail(500, "error", "bad conversation"))?
        .entry("meta")
        .or_insert_with(|| json!({}));
    for (key, value) in body {
        if key == "data" {
            if !meta["data"].is_object() {
                meta["data"] = json!({});
            }
            if let (Some(stored), Value::Object(new)) = (meta["data"].as_object_mut(), value) {
                stored.extend(new);
            }
        } else {
            meta[key.as_str()] = value;
        }
    }
    Ok(ok(200, "updated", json!({})))
}

/// `GET people/conversations/{people_id}/list/{page}`: session ids, newest first.
pub(super) fn people_conversations(seed: &Seed, people_id: &str, page: &str) -> Reply {
    let Some(page) = page.parse::<usize>().ok().filter(|p| *p >= 1) else {
        return fail(404, "not_found", "unknown route");
    };
    if !seed.contacts.iter().any(|c| c["people_id"] == people_id) {
        return fail(404, "not_found", "people profile not found");
    }
    let ids: Vec<Value> = seed
        .conversations
        .iter()
        .filter(|c| c["people_id"] == people_id)
        .map(|c| c["session_id"].clone())
        .skip((page - 1).saturating_mul(PEOPLE_CONVERSATIONS_PAGE))
        .take(PEOPLE_CONVERSATIONS_PAGE)
        .collect();
    ok(200, "listed", Value::Array(ids))
}
