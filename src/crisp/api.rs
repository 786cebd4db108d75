//! The seven operations: REST paths, the paging bridge, result shapes and specific error hints.
//!
//! Input is validated parameters from the registry; output is the JSON value the Lua API promises.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};

use super::client::{Answer, Client};
use super::error::CrispError;
use super::paging::{fetch_window, Plan, REST_MAX_PER_PAGE};
use super::registry::{FunctionSpec, ValidParams};
use super::Tier;

/// Path segments keep only RFC 3986 unreserved characters; `@`, `+` and spaces are encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Most message batches fetched for one conversation (Crisp serves about 20 per batch).
pub const MAX_MESSAGE_BATCHES: usize = 500;

/// What to do with calls that change data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WritePolicy {
    #[default]
    Send,
    /// Describe the request instead of sending it.
    DryRun,
    /// Refuse it.
    ReadOnly,
}

/// The account a call runs against.
pub struct Target<'a> {
    pub account: &'a str,
    pub website_id: &'a str,
    pub client: &'a Client,
}

/// Run one validated call.
pub fn call(
    target: &Target,
    spec: &FunctionSpec,
    params: &ValidParams,
    policy: WritePolicy,
) -> Result<Value, CrispError> {
    if spec.writes && policy == WritePolicy::ReadOnly {
        return Err(CrispError::ReadOnly(spec.name.to_string()));
    }
    let result = match spec.name {
        name if list_route(name).is_some() => list(target, name, params),
        "get_conversation" => get_conversation(target, required(params, "conversation_id")?),
        "send_message" => send_message(target, params, policy),
        "get_contact" => get_contact(target, required(params, "contact_id")?),
        "get_current_user" => get_current_user(target),
        other => Err(CrispError::Invalid(format!(
            "'{other}' is in the registry but has no operation"
        ))),
    };
    result.map_err(|e| explain(e, target, spec, params))
}

fn required<'p>(params: &'p ValidParams, name: &str) -> Result<&'p str, CrispError> {
    params
        .str(name)
        .ok_or_else(|| CrispError::Invalid(format!("missing required parameter '{name}'")))
}

pub fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

fn website_path(target: &Target, rest: &str) -> String {
    format!("website/{}/{}", encode_segment(target.website_id), rest)
}

/// How each item of a list is reshaped for Lua.
type Shape = fn(Value) -> Value;

/// The REST route and item shaping of each list function.
fn list_route(name: &str) -> Option<(&'static str, Shape)> {
    match name {
        "list_conversations" => Some(("conversations", |v| v)),
        "list_contacts" => Some(("people/profiles", normalize_contact)),
        "list_campaigns" => Some(("campaigns/list", with_campaign_state)),
        _ => None,
    }
}

/// One REST page of a list route, as Crisp serves it.
fn rest_page(
    target: &Target,
    route: &str,
    page: u64,
    per_page: u64,
) -> Result<Vec<Value>, CrispError> {
    let path = website_path(target, &format!("{route}/{page}"));
    let answer = target
        .client
        .get(&path, &[("per_page", per_page.to_string())])?;
    array_data(answer)
}

/// The envelope's `data` as an array; anything else is a clear error, not an empty list.
fn array_data(answer: Answer) -> Result<Vec<Value>, CrispError> {
    match answer.data {
        Value::Array(items) => Ok(items),
        other => Err(wrong_shape(answer.status, "an array", &other)),
    }
}

/// The envelope's `data` as an object.
fn object_data(answer: Answer) -> Result<Map<String, Value>, CrispError> {
    match answer.data {
        Value::Object(map) => Ok(map),
        other => Err(wrong_shape(answer.status, "an object", &other)),
    }
}

fn wrong_shape(status: u16, expected: &str, got: &Value) -> CrispError {
    let problem = match got {
        Value::Null => format!("'data' should be {expected}, but it is missing or null"),
        Value::Bool(_) => format!("'data' should be {expected}, got a boolean"),
        Value::Number(_) => format!("'data' should be {expected}, got a number"),
        Value::String(_) => format!("'data' should be {expected}, got a string"),
        Value::Array(_) => format!("'data' should be {expected}, got an array"),
        Value::Object(_) => format!("'data' should be {expected}, got an object"),
    };
    CrispError::Malformed {
        status,
        problem,
        snippet: super::client::head(got.to_string().as_bytes(), 120),
    }
}

/// A paged list through the bridge: `{data, page, per_page, has_more}`.
fn list(target: &Target, name: &str, params: &ValidParams) -> Result<Value, CrispError> {
    let (route, shape) = list_route(name)
        .ok_or_else(|| CrispError::Invalid(format!("{name} is not a list function")))?;
    let page = params.int("page").unwrap_or(1).max(1) as u64;
    let per_page = params.int("per_page").unwrap_or(25).clamp(1, 100) as u64;
    let plan = Plan::new(page, per_page);
    let window = fetch_window(&plan, |rest_page_no, rest_per_page| {
        rest_page(target, route, rest_page_no, rest_per_page)
    })?;
    // Field by field: `json!` would serialize the items into a deep copy.
    let mut result = Map::new();
    let items = window.items.into_iter().map(shape).collect();
    result.insert("data".into(), Value::Array(items));
    result.insert("page".into(), json!(page));
    result.insert("per_page".into(), json!(per_page));
    result.insert("has_more".into(), json!(window.has_more));
    Ok(Value::Object(result))
}

/// Every item of a list function from a starting point, in REST pages of the largest size
/// Crisp serves, so walking a whole list costs the fewest requests (`crisp.all`, `crisp.paginate`).
pub struct ListCursor {
    route: &'static str,
    shape: Shape,
    next_page: u64,
    /// Items of the first page before the starting point.
    skip: usize,
    done: bool,
}

impl ListCursor {
    /// Start where `page`/`per_page` of `spec` would start; `None` for a function that does not list.
    pub fn new(spec: &FunctionSpec, params: &ValidParams) -> Option<ListCursor> {
        let (route, shape) = list_route(spec.name)?;
        let page = params.int("page").unwrap_or(1).max(1) as u64;
        let per_page = params.int("per_page").unwrap_or(25).clamp(1, 100) as u64;
        let start = (page - 1).saturating_mul(per_page);
        Some(ListCursor {
            route,
            shape,
            next_page: start / REST_MAX_PER_PAGE + 1,
            skip: (start % REST_MAX_PER_PAGE) as usize,
            done: false,
        })
    }

    /// The next batch of items, or `None` once the list is exhausted.
    pub fn next_batch(&mut self, target: &Target) -> Result<Option<Vec<Value>>, CrispError> {
        if self.done {
            return Ok(None);
        }
        let batch = rest_page(target, self.route, self.next_page, REST_MAX_PER_PAGE)?;
        self.next_page += 1;
        // A short page is the last one (Crisp answers an empty page past the end).
        self.done = (batch.len() as u64) < REST_MAX_PER_PAGE;
        let skip = std::mem::take(&mut self.skip);
        let items: Vec<Value> = batch.into_iter().skip(skip).map(self.shape).collect();
        if items.is_empty() && self.done {
            return Ok(None);
        }
        Ok(Some(items))
    }
}

fn get_conversation(target: &Target, session_id: &str) -> Result<Value, CrispError> {
    let base = website_path(
        target,
        &format!("conversation/{}", encode_segment(session_id)),
    );
    let conversation = Value::Object(object_data(target.client.get(&base, &[])?)?);
    let messages_path = format!("{base}/messages");
    let mut messages: Vec<Value> = Vec::new();
    let mut before: Option<i64> = None;
    let mut truncated = false;
    for batch_no in 0.. {
        if batch_no == MAX_MESSAGE_BATCHES {
            truncated = true;
            break;
        }
        let query: Vec<(&str, String)> = before
            .map(|t| vec![("timestamp_before", t.to_string())])
            .unwrap_or_default();
        let answer = target.client.get(&messages_path, &query)?;
        let status = answer.status;
        let batch = array_data(answer)?;
        let oldest = batch
            .iter()
            .filter_map(|m| m.get("timestamp").and_then(Value::as_i64))
            .min();
        messages.extend(batch);
        // 206 means older messages exist; stop when Crisp says so or makes no progress.
        match oldest {
            Some(t) if status == 206 && before.is_none_or(|b| t < b) => before = Some(t),
            _ => break,
        }
    }
    messages.sort_by_key(|m| m.get("timestamp").and_then(Value::as_i64).unwrap_or(0));
    let mut seen = std::collections::HashSet::new();
    messages.retain(|m| match m.get("fingerprint").and_then(Value::as_i64) {
        Some(fp) => seen.insert(fp),
        None => true,
    });
    // Field by field: `json!` would serialize the messages into a deep copy.
    let mut result = Map::new();
    result.insert("data".into(), Value::Array(messages));
    result.insert("conversation".into(), conversation);
    if truncated {
        result.insert("truncated".into(), json!(true));
    }
    Ok(Value::Object(result))
}

fn send_message(
    target: &Target,
    params: &ValidParams,
    policy: WritePolicy,
) -> Result<Value, CrispError> {
    let session_id = required(params, "conversation_id")?;
    let text = required(params, "text")?;
    let kind = params.str("type").unwrap_or("text");
    let from = params.str("from").unwrap_or("operator");
    let content = if kind == "file" {
        file_content(text)?
    } else {
        json!(text)
    };
    let body = json!({ "type": kind, "from": from, "origin": "chat", "content": content });
    let path = website_path(
        target,
        &format!("conversation/{}/message", encode_segment(session_id)),
    );
    if policy == WritePolicy::DryRun {
        return Ok(json!({
            "sent": false,
            "dry_run": true,
            "request": {
                "method": "POST",
                "url": format!("{}/{}", target.client.base_url().trim_end_matches('/'), path),
                "body": body,
            },
        }));
    }
    let answer = target.client.post(&path, &body)?;
    let fingerprint = answer
        .data
        .get("fingerprint")
        .cloned()
        .unwrap_or(Value::Null);
    Ok(json!({ "sent": true, "fingerprint": fingerprint, "data": answer.data }))
}

/// For type "file", `text` is the URL: name from its path, MIME type from the extension.
fn file_content(url: &str) -> Result<Value, CrispError> {
    let parsed = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .filter(|rest| !rest.is_empty());
    let Some(rest) = parsed else {
        return Err(CrispError::Invalid(format!(
            "for type \"file\", text must be the file's URL (https://...), got \"{url}\""
        )));
    };
    let path = rest.split(['?', '#']).next().unwrap_or("");
    let last = path.rsplit('/').next().unwrap_or("");
    let name = percent_encoding::percent_decode_str(last)
        .decode_utf8_lossy()
        .to_string();
    let name = if name.is_empty() || !path.contains('/') {
        "file".to_string()
    } else {
        name
    };
    let mime = mime_guess::from_path(&name).first_or_octet_stream();
    Ok(json!({ "name": name, "url": url, "type": mime.essence_str() }))
}

fn get_contact(target: &Target, contact_id: &str) -> Result<Value, CrispError> {
    let path = website_path(
        target,
        &format!("people/profile/{}", encode_segment(contact_id)),
    );
    let data = Value::Object(object_data(target.client.get(&path, &[])?)?);
    Ok(json!({ "data": normalize_contact(data) }))
}

/// The Lua API promises `contact.person.nickname` and `contact.person.email`: make sure `person`
/// exists and mirrors the profile's email.
fn normalize_contact(mut contact: Value) -> Value {
    let Some(obj) = contact.as_object_mut() else {
        return contact;
    };
    let email = obj.get("email").cloned();
    let person = obj
        .entry("person")
        .or_insert_with(|| Value::Object(Map::new()));
    if let (Some(person), Some(email)) = (person.as_object_mut(), email) {
        person.entry("email").or_insert(email);
    }
    contact
}

/// Crisp gives ready/dispatched/running/progress; the Lua API adds one `state` word.
pub fn campaign_state(campaign: &Value) -> &'static str {
    let flag = |k: &str| campaign.get(k).and_then(Value::as_bool).unwrap_or(false);
    let progress = campaign
        .get("progress")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    match (flag("dispatched"), flag("running"), flag("ready")) {
        (true, true, _) => "sending",
        (true, false, _) if progress >= 100 => "done",
        (true, false, _) => "paused",
        (false, _, true) => "ready",
        (false, _, false) => "draft",
    }
}

fn with_campaign_state(mut campaign: Value) -> Value {
    let state = campaign_state(&campaign);
    if let Some(obj) = campaign.as_object_mut() {
        obj.insert("state".into(), json!(state));
    }
    campaign
}

fn get_current_user(target: &Target) -> Result<Value, CrispError> {
    let tier = target.client.tier();
    let path = match tier {
        Tier::User => "user/account/profile".to_string(),
        Tier::Plugin => "plugin/connect/account".to_string(),
        Tier::Website => format!("website/{}", encode_segment(target.website_id)),
    };
    let mut data = object_data(target.client.get(&path, &[])?)?;
    if tier == Tier::User && !data.contains_key("nickname") {
        let names: Vec<&str> = ["first_name", "last_name"]
            .iter()
            .filter_map(|k| data.get(*k).and_then(Value::as_str))
            .filter(|s| !s.is_empty())
            .collect();
        if !names.is_empty() {
            let nickname = names.join(" ");
            data.insert("nickname".into(), json!(nickname));
        }
    }
    data.insert("tier".into(), json!(tier.as_str()));
    data.insert("account".into(), json!(target.account));
    Ok(json!({ "data": data }))
}

/// Replace generic hints with ones that name the account, the id and what to do.
fn explain(
    error: CrispError,
    target: &Target,
    spec: &FunctionSpec,
    params: &ValidParams,
) -> CrispError {
    let (status, reason, hint) = match error {
        CrispError::Api {
            status,
            reason,
            hint,
        } => (status, reason, hint),
        // A 2xx means Crisp accepted the write; only its answer is unreadable. Saying "failed"
        // would invite a second send.
        CrispError::Malformed {
            status: status @ 200..=299,
            problem,
            snippet,
        } if spec.writes => {
            return CrispError::Malformed {
                status,
                problem: format!(
                    "{problem}. HTTP {status} means Crisp accepted the message, so it was most likely sent; it was not retried. Check with get_conversation before sending again"
                ),
                snippet,
            }
        }
        other => return other,
    };
    let tier = target.client.tier();
    let account = target.account;
    let hint = match (status, reason.as_str()) {
        (_, "restricted_route_tier") | (401 | 403, _)
            if spec.name == "list_campaigns" && tier != Tier::User =>
        {
            format!("Crisp serves campaigns to user-tier tokens only, and account '{account}' uses tier '{tier}'. Use an account with a user token for list_campaigns")
        }
        (_, "restricted_route_tier") => format!(
            "account '{account}' uses tier '{tier}', which may not call {}; this route needs another tier (see :doc errors)",
            spec.name
        ),
        (401, _) => format!(
            "Crisp rejected the credentials of account '{account}' (tier '{tier}'): check the identifier, the key and the tier; a plugin token must be used with tier plugin"
        ),
        (404, "not_subscribed") => format!(
            "the plugin is not installed on website {} (account '{account}'): install it on that website from the Crisp Marketplace, or check the website id",
            target.website_id
        ),
        (404, _) => match spec.name {
            "get_conversation" | "send_message" => format!(
                "conversation '{}' does not exist on website {}; list_conversations shows the ids",
                params.str("conversation_id").unwrap_or(""),
                target.website_id
            ),
            "get_contact" => format!(
                "contact '{}' does not exist on website {}; list_contacts shows emails and ids",
                params.str("contact_id").unwrap_or(""),
                target.website_id
            ),
            _ => format!(
                "not found on website {}: check the website id of account '{account}'",
                target.website_id
            ),
        },
        (500..=599, _) if spec.writes => format!(
            "{hint}. The message may or may not have been stored and was not retried; check with get_conversation before sending again"
        ),
        _ => hint,
    };
    CrispError::Api {
        status,
        reason,
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_encode_emails() {
        assert_eq!(
            encode_segment("sam+crisp@example.com"),
            "sam%2Bcrisp%40example.com"
        );
        assert_eq!(
            encode_segment("[email protected]"),
            "%5Bemail%20protected%5D"
        );
        assert_eq!(encode_segment("session_a-b.c~d"), "session_a-b.c~d");
    }

    #[test]
    fn file_content_from_url() {
        let c = file_content("https://cdn.example.com/files/Q3%20report.pdf?x=1").unwrap();
        assert_eq!(c["name"], "Q3 report.pdf");
        assert_eq!(c["type"], "application/pdf");
        let c = file_content("https://cdn.example.com/a/photo.PNG").unwrap();
        assert_eq!(c["type"], "image/png");
        let c = file_content("https://cdn.example.com/download").unwrap();
        assert_eq!(c["type"], "application/octet-stream");
        assert!(file_content("invoice.pdf").is_err());
        assert!(file_content("https://").is_err());
    }

    #[test]
    fn campaign_states() {
        let c = |r, d, run, p| json!({"ready": r, "dispatched": d, "running": run, "progress": p});
        assert_eq!(campaign_state(&c(false, false, false, 0)), "draft");
        assert_eq!(campaign_state(&c(true, false, false, 0)), "ready");
        assert_eq!(campaign_state(&c(true, true, true, 40)), "sending");
        assert_eq!(campaign_state(&c(true, true, false, 40)), "paused");
        assert_eq!(campaign_state(&c(true, true, false, 100)), "done");
        assert_eq!(campaign_state(&json!({})), "draft");
    }

    #[test]
    fn contacts_gain_person_email() {
        let c = normalize_contact(json!({"email": "a@b.c"}));
        assert_eq!(c["person"]["email"], "a@b.c");
        let c = normalize_contact(json!({"email": "a@b.c", "person": {"email": "x@y.z"}}));
        assert_eq!(c["person"]["email"], "x@y.z");
    }
}
