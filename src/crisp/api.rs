//! The seven operations: REST paths, the paging bridge, result shapes and specific error hints.
//!
//! Input is validated parameters from the registry; output is the JSON value the Lua API promises.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};

use std::sync::mpsc::{self, SyncSender};
use std::sync::Arc;

use super::client::{Answer, Client};
use super::error::CrispError;
use super::paging::{fetch_window, Plan, REST_MAX_PER_PAGE};
use super::registry::{FunctionSpec, ValidParams};
use super::Tier;
use crate::tape::{Json, Node, Tape, TapeBuilder};

/// Path segments keep only RFC 3986 unreserved characters; `@`, `+` and spaces are encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Most message batches fetched for one conversation (Crisp serves about 20 per batch).
pub const MAX_MESSAGE_BATCHES: usize = 500;
/// Most messages kept for one conversation, across batches.
pub const MAX_THREAD_MESSAGES: usize = 10_000;
/// Most answer bytes (parsed) read for one conversation, across batches: a server that keeps
/// answering 206 with large messages cannot exhaust memory.
pub const MAX_THREAD_BYTES: usize = 64 * 1024 * 1024;

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
) -> Result<Tape, CrispError> {
    // Any route: whether it writes depends on its method (crisp/request.rs decides).
    if spec.name == "request" {
        return super::request::call(target, params, policy);
    }
    if spec.writes && policy == WritePolicy::ReadOnly {
        return Err(CrispError::ReadOnly(spec.name.to_string()));
    }
    // Lists are built straight from the pages' tapes; the rest are small and shaped as values.
    let value = |result: Result<Value, CrispError>| result.map(|v| Tape::from_value(&v));
    let result = match spec.name {
        name if list_route(name).is_some() => list(target, name, params),
        "get_conversation" => value(get_conversation(
            target,
            required(params, "conversation_id")?,
        )),
        "send_message" => value(send_message(target, params, policy)),
        "get_contact" => value(get_contact(target, required(params, "contact_id")?)),
        "get_current_user" => value(get_current_user(target)),
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

/// Writes one list item into a result: copied as it is, or reshaped where the Lua API
/// promises more than Crisp sends.
type Shape = fn(&mut TapeBuilder, Json<'_>);

/// The REST route and item shaping of each list function.
fn list_route(name: &str) -> Option<(&'static str, Shape)> {
    match name {
        "list_conversations" => Some(("conversations", |b, item| {
            b.copy(item);
        })),
        "list_contacts" => Some(("people/profiles", |b, item| {
            b.value(&normalize_contact(item.to_value()));
        })),
        "list_campaigns" => Some(("campaigns/list", |b, item| {
            b.value(&with_campaign_state(item.to_value()));
        })),
        _ => None,
    }
}

/// One item of a REST page: the page's parsed answer and where the item sits in it. Items are
/// sliced and merged into results without being copied out of their page first.
#[derive(Debug, Clone)]
struct Item {
    page: Arc<Tape>,
    at: usize,
}

impl Item {
    fn json(&self) -> Json<'_> {
        self.page.value_at(self.at)
    }
}

/// One REST page of a list route, as Crisp serves it.
fn rest_page(
    target: &Target,
    route: &str,
    page: u64,
    per_page: u64,
) -> Result<Vec<Item>, CrispError> {
    let path = website_path(target, &format!("{route}/{page}"));
    let answer = target
        .client
        .get(&path, &[("per_page", per_page.to_string())])?;
    array_items(answer)
}

/// The envelope's `data` as array items; anything else is a clear error, not an empty list.
fn array_items(answer: Answer) -> Result<Vec<Item>, CrispError> {
    let status = answer.status;
    let page = Arc::new(answer.envelope);
    let data = page.root().get("data");
    match data {
        Some(items) if matches!(items.node(), Node::Array { .. }) => Ok(items
            .items()
            .map(|item| Item {
                page: page.clone(),
                at: item.position(),
            })
            .collect()),
        other => Err(wrong_shape(status, "an array", other)),
    }
}

/// The envelope's `data` as an array of values.
fn array_data(answer: Answer) -> Result<Vec<Value>, CrispError> {
    match answer.data() {
        Some(items) if matches!(items.node(), Node::Array { .. }) => {
            Ok(items.items().map(|item| item.to_value()).collect())
        }
        other => Err(wrong_shape(answer.status, "an array", other)),
    }
}

/// The envelope's `data` as an object.
fn object_data(answer: Answer) -> Result<Map<String, Value>, CrispError> {
    match answer.data().map(|d| d.to_value()) {
        Some(Value::Object(map)) => Ok(map),
        _ => Err(wrong_shape(answer.status, "an object", answer.data())),
    }
}

fn wrong_shape(status: u16, expected: &str, got: Option<Json<'_>>) -> CrispError {
    let kind = match got.map(|v| v.node()) {
        None | Some(Node::Null) => {
            let problem = format!("'data' should be {expected}, but it is missing or null");
            return CrispError::Malformed {
                status,
                problem,
                snippet: "null".into(),
            };
        }
        Some(Node::Bool(_)) => "a boolean",
        Some(Node::Int(_) | Node::Float(_)) => "a number",
        Some(Node::Str { .. }) => "a string",
        Some(Node::Array { .. }) => "an array",
        Some(Node::Object { .. }) => "an object",
    };
    CrispError::Malformed {
        status,
        problem: format!("'data' should be {expected}, got {kind}"),
        snippet: super::client::head(
            got.map(|v| v.to_json_string())
                .unwrap_or_default()
                .as_bytes(),
            120,
        ),
    }
}

/// A paged list through the bridge: `{data, page, per_page, has_more}`.
fn list(target: &Target, name: &str, params: &ValidParams) -> Result<Tape, CrispError> {
    let (route, shape) = list_route(name)
        .ok_or_else(|| CrispError::Invalid(format!("{name} is not a list function")))?;
    let page = params.int("page").unwrap_or(1).max(1);
    let per_page = params.int("per_page").unwrap_or(25).clamp(1, 100);
    let plan = Plan::new(page as u64, per_page as u64);
    let window = fetch_window(&plan, |rest_page_no, rest_per_page| {
        rest_page(target, route, rest_page_no, rest_per_page)
    })?;
    let mut result = TapeBuilder::default();
    result.begin_object().key("data").begin_array();
    for item in &window.items {
        shape(&mut result, item.json());
    }
    result
        .end()
        .key("page")
        .int(page)
        .key("per_page")
        .int(per_page)
        .key("has_more")
        .bool(window.has_more)
        .end();
    Ok(result.finish())
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

    /// The next batch of items, or `None` once the list is exhausted (`crisp.paginate`).
    pub fn next_batch(&mut self, target: &Target) -> Result<Option<Batch>, CrispError> {
        if self.done {
            return Ok(None);
        }
        let (batch, full) = self.page(target, self.next_page)?;
        self.next_page += 1;
        self.skip = 0;
        self.done = !full;
        if batch.is_empty() && self.done {
            return Ok(None);
        }
        Ok(Some(batch))
    }

    /// One REST page of the walk: its items (those before the starting point dropped) and
    /// whether it was full. A short page is the last one (Crisp answers an empty page past
    /// the end).
    fn page(&self, target: &Target, page_no: u64) -> Result<(Batch, bool), CrispError> {
        let mut items = rest_page(target, self.route, page_no, REST_MAX_PER_PAGE)?;
        let full = items.len() as u64 >= REST_MAX_PER_PAGE;
        if page_no == self.next_page {
            items.drain(..self.skip.min(items.len()));
        }
        let batch = Batch {
            items,
            shape: self.shape,
        };
        Ok((batch, full))
    }

    /// Send every batch from the starting point to `pages`, in order, until the list ends, a
    /// call fails (its error is sent last) or the receiver hangs up (`crisp.all`).
    ///
    /// Two requests are kept in flight on two connections: while one page travels and is
    /// parsed, Crisp is already answering the next, so the client's own work never leaves the
    /// server idle. The price is at most one request past the end of the list.
    pub fn send_all(self, target: &Target, pages: SyncSender<Result<Batch, CrispError>>) {
        let cursor = &self;
        std::thread::scope(|scope| {
            let (results_tx, results) = mpsc::channel::<(u64, Result<(Batch, bool), CrispError>)>();
            // Two fetchers; page n goes to fetcher n % 2, so each has one page at a time.
            let mut jobs = Vec::new();
            for _ in 0..2 {
                let (job_tx, job_rx) = mpsc::channel::<u64>();
                let results_tx = results_tx.clone();
                let spawned = std::thread::Builder::new()
                    .name("crisp-pages".into())
                    .spawn_scoped(scope, move || {
                        for page_no in job_rx {
                            let fetched = cursor.page(target, page_no);
                            if results_tx.send((page_no, fetched)).is_err() {
                                break;
                            }
                        }
                    });
                if let Err(e) = spawned {
                    let _ = pages.send(Err(CrispError::Transport(format!(
                        "cannot start a page fetcher thread: {e}"
                    ))));
                    return;
                }
                jobs.push(job_tx);
            }
            drop(results_tx);
            let first = cursor.next_page;
            for (i, job) in jobs.iter().enumerate() {
                let _ = job.send(first + i as u64);
            }
            // Pages arrive in any order; they leave in order.
            let mut arrived = std::collections::BTreeMap::new();
            let mut next = first;
            loop {
                let fetched = loop {
                    if let Some(fetched) = arrived.remove(&next) {
                        break fetched;
                    }
                    match results.recv() {
                        Ok((page_no, fetched)) => {
                            arrived.insert(page_no, fetched);
                        }
                        Err(_) => {
                            // Both fetchers are gone without an answer: never a silent short list.
                            let _ = pages.send(Err(CrispError::Transport(
                                "the page fetcher threads stopped unexpectedly".into(),
                            )));
                            return;
                        }
                    }
                };
                let full = match fetched {
                    Ok((batch, full)) => {
                        if !batch.is_empty() && pages.send(Ok(batch)).is_err() {
                            return;
                        }
                        full
                    }
                    Err(e) => {
                        let _ = pages.send(Err(e));
                        return;
                    }
                };
                if !full {
                    return;
                }
                // The fetcher that brought this page takes the one after the page in flight.
                let fetcher = (next - first) as usize % jobs.len();
                if jobs[fetcher].send(next + jobs.len() as u64).is_err() {
                    return;
                }
                next += 1;
            }
            // Leaving the scope closes the job channels: the fetchers finish their page and stop.
        });
    }
}

/// Items of a list, still inside the REST pages they came in.
#[derive(Debug)]
pub struct Batch {
    items: Vec<Item>,
    shape: Shape,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items as one JSON array, shaped as the Lua API promises.
    pub fn to_tape(&self) -> Tape {
        let mut array = TapeBuilder::default();
        array.begin_array();
        for item in &self.items {
            (self.shape)(&mut array, item.json());
        }
        array.end();
        array.finish()
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
    let mut bytes = 0usize;
    for batch_no in 0.. {
        if batch_no == MAX_MESSAGE_BATCHES
            || messages.len() >= MAX_THREAD_MESSAGES
            || bytes >= MAX_THREAD_BYTES
        {
            truncated = true;
            break;
        }
        let query: Vec<(&str, String)> = before
            .map(|t| vec![("timestamp_before", t.to_string())])
            .unwrap_or_default();
        let answer = target.client.get(&messages_path, &query)?;
        bytes = bytes.saturating_add(answer.envelope.size_in_bytes());
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
    let data = target.client.post(&path, &body)?.data_value();
    let fingerprint = data.get("fingerprint").cloned().unwrap_or(Value::Null);
    Ok(json!({ "sent": true, "fingerprint": fingerprint, "data": data }))
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
                crate::crisp::registry::echo(params.str("conversation_id").unwrap_or("")),
                target.website_id
            ),
            "get_contact" => format!(
                "contact '{}' does not exist on website {}; list_contacts shows emails and ids",
                crate::crisp::registry::echo(params.str("contact_id").unwrap_or("")),
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
