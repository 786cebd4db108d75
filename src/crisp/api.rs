//! The operations: REST paths, list options, the paging bridge, result shapes and specific
//! error hints.
//!
//! Input is validated parameters from the registry; output is the JSON value the Lua API promises.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};

use std::sync::mpsc::{self, SyncSender};
use std::sync::Arc;

use super::client::{Answer, Client};
use super::error::CrispError;
use super::paging::{fetch_window, Plan, Window, REST_MAX_PER_PAGE};
use super::registry::{FunctionSpec, ParamValue, ValidParams};
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
        "set_conversation_state"
        | "mark_read"
        | "assign_conversation"
        | "update_conversation_meta" => value(conversation_write(target, spec, params, policy)),
        "list_operators" => value(list_operators(target)),
        "list_contact_conversations" => value(list_contact_conversations(target, params)),
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

fn as_is(b: &mut TapeBuilder, item: Json<'_>) {
    b.copy(item);
}

/// The REST route and item shaping of each list function, and whether items go out as
/// Crisp sent them (`as_is`).
fn list_route(name: &str) -> Option<(&'static str, Shape, bool)> {
    match name {
        "list_conversations" => Some(("conversations", as_is, true)),
        "list_contacts" => Some((
            "people/profiles",
            |b, item| {
                b.value(&normalize_contact(item.to_value()));
            },
            false,
        )),
        "list_campaigns" => Some((
            "campaigns/list",
            |b, item| {
                b.value(&with_campaign_state(item.to_value()));
            },
            false,
        )),
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
    options: &[(&'static str, String)],
) -> Result<Vec<Item>, CrispError> {
    let path = website_path(target, &format!("{route}/{page}"));
    let mut query = Vec::with_capacity(options.len() + 1);
    query.push(("per_page", per_page.to_string()));
    query.extend(options.iter().map(|(k, v)| (*k, v.clone())));
    let answer = target.client.get(&path, &query)?;
    array_items(answer)
}

/// Crisp's list options (search, filters, order) as query pairs, in the registry's order, or
/// what is wrong with them. Flags go out as `1`/`0` and filter arrays as JSON text, as the
/// official node SDK sends them (crisp-api.md §7.2).
pub fn list_options(
    name: &str,
    params: &ValidParams,
) -> Result<Vec<(&'static str, String)>, CrispError> {
    let Some(spec) = super::registry::function(name) else {
        return Ok(Vec::new());
    };
    let invalid = |msg: String| Err(CrispError::Invalid(msg));
    let filter = match params.json("search_filter") {
        Some(list) => Some(search_filter(list)?),
        None => None,
    };
    let mut query = Vec::new();
    if name == "list_conversations" {
        let search_type = params.str("search_type").unwrap_or("text");
        let words = params.str("search_query");
        let search_type = match (search_type, words, &filter) {
            (_, Some(_), Some(_)) => {
                return invalid(
                    "give either search_query (words or a segment) or search_filter (conditions), not both".into(),
                )
            }
            ("segment", None, Some(_)) => {
                return invalid(
                    "search_filter goes with search_type \"filter\", not \"segment\"; use search_query for a segment name".into(),
                )
            }
            (_, None, Some(_)) => "filter",
            ("filter", _, None) => {
                return invalid(
                    "search_type \"filter\" needs search_filter, an array of {model, criterion, operator, query} tables".into(),
                )
            }
            (other, _, None) => other,
        };
        if params.str("search_operator").is_some() && search_type != "filter" {
            return invalid(
                "search_operator only combines search_filter conditions; add search_filter or leave search_operator out".into(),
            );
        }
        if let Some(words) = words {
            query.push(("search_query", words.to_string()));
            query.push(("search_type", search_type.to_string()));
        } else if let Some(filter) = &filter {
            query.push(("search_query", filter.to_string()));
            query.push(("search_type", "filter".to_string()));
        }
    } else if params.str("search_operator").is_some() && filter.is_none() {
        return invalid(
            "search_operator only combines search_filter conditions; add search_filter or leave search_operator out".into(),
        );
    }
    for param in spec.params {
        let name = param.name;
        if matches!(
            name,
            "page" | "per_page" | "search_query" | "search_type" | "search_filter"
        ) {
            continue;
        }
        match params.get(name) {
            Some(ParamValue::Bool(b)) => query.push((name, if *b { "1" } else { "0" }.to_string())),
            Some(ParamValue::Str(s)) => {
                if name.starts_with("filter_date_") {
                    check_date(name, s)?;
                }
                query.push((name, s.clone()));
            }
            Some(ParamValue::Int(n)) => query.push((name, n.to_string())),
            Some(ParamValue::Json(_)) | None => {}
        }
    }
    if let Some(filter) = filter.filter(|_| name == "list_contacts") {
        query.push(("search_filter", filter.to_string()));
    }
    Ok(query)
}

/// Search filter tables as Crisp takes them: `query` always an array of strings.
fn search_filter(list: &Value) -> Result<Value, CrispError> {
    let items = list.as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        return Err(CrispError::Invalid(
            "search_filter must hold at least one {model, criterion, operator, query} table".into(),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, mut item) in items.into_iter().enumerate() {
        let at = i + 1;
        let Some(obj) = item.as_object_mut() else {
            return Err(CrispError::Invalid(format!(
                "search_filter[{at}] must be a table"
            )));
        };
        let query = match obj.get("query") {
            Some(Value::String(s)) => vec![Value::String(s.clone())],
            Some(Value::Array(values)) if values.iter().all(Value::is_string) => values.clone(),
            // An empty Lua table reads as an empty object.
            Some(Value::Object(map)) if map.is_empty() => Vec::new(),
            Some(_) => {
                return Err(CrispError::Invalid(format!(
                    "search_filter[{at}].query must be a string or an array of strings"
                )))
            }
            None => {
                return Err(CrispError::Invalid(format!(
                "search_filter[{at}] is missing 'query' (the values to compare, e.g. {{\"vip\"}})"
            )))
            }
        };
        obj.insert("query".into(), Value::Array(query));
        out.push(item);
    }
    Ok(Value::Array(out))
}

/// Crisp takes ISO 8601 date-times (`2018-03-01T17:00:00.000Z`); catch typos before a request.
fn check_date(name: &str, value: &str) -> Result<(), CrispError> {
    match humantime::parse_rfc3339_weak(value) {
        Ok(_) if value.contains('T') => Ok(()),
        _ => Err(CrispError::Invalid(format!(
            "{name} must be an ISO 8601 UTC date-time such as 2026-10-01T00:00:00Z, got \"{}\"",
            super::registry::echo(value)
        ))),
    }
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
    let (route, shape, as_is) = list_route(name)
        .ok_or_else(|| CrispError::Invalid(format!("{name} is not a list function")))?;
    let page = params.int("page").unwrap_or(1).max(1);
    let per_page = params.int("per_page").unwrap_or(25).clamp(1, 100);
    let options = list_options(name, params)?;
    let plan = Plan::new(page as u64, per_page as u64);
    let window = fetch_window(&plan, |rest_page_no, rest_per_page| {
        rest_page(target, route, rest_page_no, rest_per_page, &options)
    })?;
    let end = |mut result: TapeBuilder, has_more: bool| {
        result
            .key("page")
            .int(page)
            .key("per_page")
            .int(per_page)
            .key("has_more")
            .bool(has_more)
            .end();
        result.finish()
    };
    // Items sent as they are, all from one REST page (the usual case): the result is that
    // page's tape, cut down to them in place, not a copy.
    let window = if as_is {
        match one_page(window) {
            Ok((page_tape, skip, count, has_more)) => {
                match page_tape.into_list("data", skip, count) {
                    Ok(result) => return Ok(end(result, has_more)),
                    Err(page_tape) => one_page_window(page_tape, skip, count, has_more),
                }
            }
            Err(window) => window,
        }
    } else {
        window
    };
    let mut result = TapeBuilder::default();
    // The envelope (9 nodes, 24 bytes of keys) and the items (exact when copied as they are).
    let (nodes, text) = window
        .items
        .iter()
        .map(|item| item.json().footprint())
        .fold((9, 24), |(n, t), (dn, dt)| (n + dn, t + dt));
    result.reserve(nodes, text);
    result.begin_object().key("data").begin_array();
    for item in &window.items {
        shape(&mut result, item.json());
    }
    result.end();
    Ok(end(result, window.has_more))
}

/// A window whose items all come from one REST page, as that page (owned: the window held
/// the only references to it), the index of its first item in the page's `data`, how many
/// there are and whether more exist; any other window as it was.
fn one_page(window: Window<Item>) -> Result<(Tape, usize, usize, bool), Window<Item>> {
    let Some(first) = window.items.first() else {
        return Err(window);
    };
    let page = first.page.clone();
    if !window
        .items
        .iter()
        .all(|item| Arc::ptr_eq(&item.page, &page))
    {
        return Err(window);
    }
    let first_at = first.at;
    let Some(skip) = page
        .root()
        .get("data")
        .and_then(|data| data.items().position(|item| item.position() == first_at))
    else {
        return Err(window);
    };
    let (count, has_more) = (window.items.len(), window.has_more);
    drop(window);
    match Arc::try_unwrap(page) {
        Ok(page) => Ok((page, skip, count, has_more)),
        // Never expected: then the items are copied from the shared page.
        Err(page) => Err(one_page_window(page, skip, count, has_more)),
    }
}

/// The window of `count` items of `page`'s `data` from its `skip`th on.
fn one_page_window(
    page: impl Into<Arc<Tape>>,
    skip: usize,
    count: usize,
    has_more: bool,
) -> Window<Item> {
    let page: Arc<Tape> = page.into();
    let positions: Vec<usize> = page
        .root()
        .get("data")
        .map(|data| {
            data.items()
                .skip(skip)
                .take(count)
                .map(|item| item.position())
                .collect()
        })
        .unwrap_or_default();
    Window {
        items: positions
            .into_iter()
            .map(|at| Item {
                page: page.clone(),
                at,
            })
            .collect(),
        has_more,
    }
}

/// Every item of a list function from a starting point, in REST pages of the largest size
/// Crisp serves, so walking a whole list costs the fewest requests (`crisp.all`, `crisp.paginate`).
pub struct ListCursor {
    route: &'static str,
    shape: Shape,
    /// The list options (search, filters), or why they are wrong: reported by the first
    /// fetch, before any request.
    options: Result<Vec<(&'static str, String)>, String>,
    next_page: u64,
    /// Items of the first page before the starting point.
    skip: usize,
    done: bool,
}

impl ListCursor {
    /// Start where `page`/`per_page` of `spec` would start; `None` for a function that does not list.
    pub fn new(spec: &FunctionSpec, params: &ValidParams) -> Option<ListCursor> {
        let (route, shape, _) = list_route(spec.name)?;
        let page = params.int("page").unwrap_or(1).max(1) as u64;
        let per_page = params.int("per_page").unwrap_or(25).clamp(1, 100) as u64;
        let start = (page - 1).saturating_mul(per_page);
        let options = list_options(spec.name, params).map_err(|e| match e {
            CrispError::Invalid(msg) => msg,
            other => other.to_string(),
        });
        Some(ListCursor {
            route,
            shape,
            options,
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
        let options = self
            .options
            .as_ref()
            .map_err(|msg| CrispError::Invalid(msg.clone()))?;
        let mut items = rest_page(target, self.route, page_no, REST_MAX_PER_PAGE, options)?;
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
        let mut described = dry_run(target, "POST", &path, body);
        described.insert("sent".into(), json!(false));
        return Ok(Value::Object(described));
    }
    let data = target.client.post(&path, &body)?.data_value();
    let fingerprint = data.get("fingerprint").cloned().unwrap_or(Value::Null);
    Ok(json!({ "sent": true, "fingerprint": fingerprint, "data": data }))
}

/// What `--dry-run` answers instead of sending a write: the exact request.
fn dry_run(target: &Target, method: &str, path: &str, body: Value) -> Map<String, Value> {
    let mut described = Map::new();
    described.insert("dry_run".into(), json!(true));
    described.insert(
        "request".into(),
        json!({
            "method": method,
            "url": format!("{}/{}", target.client.base_url().trim_end_matches('/'), path),
            // The exact JSON text as well: a JSON null (unassign) has no Lua value.
            "body_json": body.to_string(),
            "body": body,
        }),
    );
    described
}

/// The metas `update_conversation_meta` can change, in the registry's order.
const META_FIELDS: &[&str] = &["nickname", "email", "phone", "subject", "segments", "data"];

/// The PATCH writes on one conversation: state, read marks, routing and metas
/// (crisp-api.md §7.5). Each builds its body, then sends it or describes it.
fn conversation_write(
    target: &Target,
    spec: &FunctionSpec,
    params: &ValidParams,
    policy: WritePolicy,
) -> Result<Value, CrispError> {
    let session_id = required(params, "conversation_id")?;
    let (route, body, mut result) = match spec.name {
        "set_conversation_state" => {
            let state = required(params, "state")?;
            (
                "state",
                json!({ "state": state }),
                json!({ "state": state }),
            )
        }
        "mark_read" => {
            // As both SDK examples do: the operator reads the visitor's messages. Crisp
            // refuses a body without `origin` (node-crisp-api#29).
            let mut body = json!({ "from": "operator", "origin": "chat" });
            if let Some(fingerprints) = params.json("fingerprints") {
                let empty = fingerprints.as_array().is_none_or(Vec::is_empty);
                if empty {
                    return Err(CrispError::Invalid(
                        "fingerprints must list at least one message; leave it out to mark every message read".into(),
                    ));
                }
                body["fingerprints"] = fingerprints.clone();
            }
            ("read", body, json!({}))
        }
        "assign_conversation" => {
            // `false` unassigns: the SDKs send `{"assigned": null}` for that.
            let user_id = match params.get("user_id") {
                Some(ParamValue::Str(id)) => json!(id),
                _ => Value::Null,
            };
            let assigned = if user_id.is_null() {
                Value::Null
            } else {
                json!({ "user_id": user_id })
            };
            (
                "routing",
                json!({ "assigned": assigned }),
                json!({ "assigned": user_id }),
            )
        }
        _ => {
            let mut metas = Map::new();
            for field in META_FIELDS {
                let value = match params.get(field) {
                    Some(ParamValue::Str(s)) => json!(s),
                    Some(ParamValue::Json(v)) if *field == "data" && v.as_object().is_none() => {
                        // `{}` reads as an empty array; data is a map.
                        json!({})
                    }
                    Some(ParamValue::Json(v)) => v.clone(),
                    _ => continue,
                };
                metas.insert((*field).to_string(), value);
            }
            if metas.is_empty() {
                return Err(CrispError::Invalid(format!(
                    "nothing to update: give at least one of {}",
                    META_FIELDS.join(", ")
                )));
            }
            ("meta", Value::Object(metas), json!({}))
        }
    };
    let path = website_path(
        target,
        &format!("conversation/{}/{route}", encode_segment(session_id)),
    );
    if policy == WritePolicy::DryRun {
        let mut described = dry_run(target, "PATCH", &path, body);
        described.insert("updated".into(), json!(false));
        return Ok(Value::Object(described));
    }
    let data = target.client.patch(&path, &body)?.data_value();
    if let Some(obj) = result.as_object_mut() {
        obj.insert("updated".into(), json!(true));
        obj.insert("data".into(), data);
    }
    Ok(result)
}

/// Operators flattened for tables: Crisp nests them as `{type, details: {...}}`; node types
/// the details in camelCase and Go in snake_case, so both are read (crisp-api.md §7.6).
fn list_operators(target: &Target) -> Result<Value, CrispError> {
    let path = website_path(target, "operators/list");
    let operators = array_data(target.client.get(&path, &[])?)?;
    let data: Vec<Value> = operators.iter().map(flatten_operator).collect();
    Ok(json!({ "data": data }))
}

fn flatten_operator(operator: &Value) -> Value {
    let details = operator.get("details").unwrap_or(operator);
    let field = |snake: &str, camel: &str| {
        details
            .get(snake)
            .or_else(|| details.get(camel))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let first = field("first_name", "firstName");
    let last = field("last_name", "lastName");
    let name: Vec<&str> = [&first, &last]
        .iter()
        .filter_map(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    let mut out = Map::new();
    out.insert("user_id".into(), field("user_id", "userID"));
    out.insert("name".into(), json!(name.join(" ")));
    out.insert("email".into(), field("email", "email"));
    out.insert("role".into(), field("role", "role"));
    out.insert("availability".into(), field("availability", "availability"));
    out.insert("title".into(), field("title", "title"));
    out.insert("first_name".into(), first);
    out.insert("last_name".into(), last);
    out.insert("avatar".into(), field("avatar", "avatar"));
    out.insert(
        "type".into(),
        operator.get("type").cloned().unwrap_or(Value::Null),
    );
    out.retain(|_, v| !v.is_null());
    Value::Object(out)
}

/// A contact's conversation ids. Only the profile route is known to take an email, so
/// anything but a people id (a UUID) is resolved to one first (crisp-api.md §7.7).
fn list_contact_conversations(target: &Target, params: &ValidParams) -> Result<Value, CrispError> {
    let contact_id = required(params, "contact_id")?;
    let page = params.int("page").unwrap_or(1).max(1);
    let people_id = if !is_uuid(contact_id) {
        let path = website_path(
            target,
            &format!("people/profile/{}", encode_segment(contact_id)),
        );
        let profile = object_data(target.client.get(&path, &[])?)?;
        match profile.get("people_id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => {
                return Err(CrispError::Malformed {
                    status: 200,
                    problem: "the contact's profile has no people_id".into(),
                    snippet: String::new(),
                })
            }
        }
    } else {
        contact_id.to_string()
    };
    let path = website_path(
        target,
        &format!(
            "people/conversations/{}/list/{page}",
            encode_segment(&people_id)
        ),
    );
    let ids = array_data(target.client.get(&path, &[])?)?;
    Ok(json!({ "data": ids, "people_id": people_id, "page": page }))
}

/// `8-4-4-4-12` hex digits: the shape of Crisp's people ids.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
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

/// The plugin token scope a route needs, where Crisp documents it (crisp-api.md §7.1).
fn plugin_scope(function: &str) -> Option<&'static str> {
    match function {
        "set_conversation_state" => Some("website:conversation:states"),
        "list_conversations"
        | "get_conversation"
        | "mark_read"
        | "assign_conversation"
        | "update_conversation_meta" => Some("website:conversation:sessions"),
        "send_message" => Some("website:conversation:messages"),
        "list_operators" => Some("website:operators"),
        _ => None,
    }
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
        (_, "restricted_route_tier") | (403, _)
            if reason != "not_allowed" && spec.name != "get_current_user" =>
        {
            let name = spec.name;
            match (tier, plugin_scope(name)) {
                (Tier::Plugin, Some(scope)) => format!(
                    "account '{account}' (tier 'plugin') was refused {name}: a production plugin token needs the scope '{scope}' (development tokens need none); add it to the plugin's scopes in the Crisp Marketplace"
                ),
                (Tier::User, _) => format!(
                    "account '{account}' (tier 'user') was refused {name}: the operator may lack the rights for it on website {}",
                    target.website_id
                ),
                _ => format!(
                    "account '{account}' uses tier '{tier}', which may not call {name}: Crisp serves it to user and plugin tokens (see :doc errors)"
                ),
            }
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
            "get_conversation"
            | "send_message"
            | "set_conversation_state"
            | "mark_read"
            | "assign_conversation"
            | "update_conversation_meta" => format!(
                "conversation '{}' does not exist on website {}; list_conversations shows the ids",
                crate::crisp::registry::echo(params.str("conversation_id").unwrap_or("")),
                target.website_id
            ),
            "get_contact" | "list_contact_conversations" => format!(
                "contact '{}' does not exist on website {}; list_contacts shows emails and ids",
                crate::crisp::registry::echo(params.str("contact_id").unwrap_or("")),
                target.website_id
            ),
            _ => format!(
                "not found on website {}: check the website id of account '{account}'",
                target.website_id
            ),
        },
        (400, _) if spec.name == "assign_conversation" => format!(
            "{hint}. Check user_id: list_operators shows the operators' ids"
        ),
        (500..=599, _) if spec.writes && spec.name != "send_message" => format!(
            "{hint}. The change may or may not have been made and was not retried; check with get_conversation"
        ),
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
    use super::super::registry::RawArg;
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

    fn valid(name: &str, args: &[(&str, RawArg)]) -> ValidParams {
        let spec = super::super::registry::function(name).unwrap();
        let args: Vec<(String, RawArg)> = args
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        super::super::registry::validate(spec, &args).unwrap()
    }

    #[test]
    fn list_options_are_sent_as_the_node_sdk_sends_them() {
        let p = valid(
            "list_conversations",
            &[
                ("filter_unread", RawArg::Bool(true)),
                ("filter_resolved", RawArg::Bool(false)),
                ("search_query", RawArg::Str("refund".into())),
            ],
        );
        let q = list_options("list_conversations", &p).unwrap();
        assert_eq!(
            q,
            [
                ("search_query", "refund".to_string()),
                ("search_type", "text".to_string()),
                ("filter_unread", "1".to_string()),
                ("filter_resolved", "0".to_string()),
            ]
        );
        // Nothing given, nothing sent: not even the default search_type.
        let none = list_options("list_conversations", &valid("list_conversations", &[])).unwrap();
        assert!(none.is_empty(), "{none:?}");
        let filter =
            json!([{"model": "people", "criterion": "email", "operator": "eq", "query": "a@b.c"}]);
        let p = valid("list_contacts", &[("search_filter", RawArg::Table(filter))]);
        let q = list_options("list_contacts", &p).unwrap();
        assert_eq!(q[0].0, "search_filter");
        let sent: Value = serde_json::from_str(&q[0].1).unwrap();
        assert_eq!(sent[0]["query"], json!(["a@b.c"]));
    }

    #[test]
    fn people_ids_are_uuids() {
        assert!(is_uuid("cf8e02f8-5ac5-42e5-ae29-09f27e8fb2e6"));
        for not in [
            "sam@example.com",
            "[email protected]",
            "cf8e02f8-5ac5-42e5-ae29",
            "",
        ] {
            assert!(!is_uuid(not), "{not}");
        }
    }

    #[test]
    fn dates_must_be_iso_8601() {
        assert!(check_date("d", "2026-10-01T00:00:00Z").is_ok());
        assert!(check_date("d", "2026-10-01T00:00:00.000Z").is_ok());
        for bad in ["2026-10-01", "yesterday", "2026-13-01T00:00:00Z", ""] {
            assert!(check_date("d", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn operators_are_flattened_from_either_case() {
        let snake = flatten_operator(&json!({"type": "operator", "details": {
            "user_id": "u1", "first_name": "Ada", "last_name": "Lovelace", "role": "owner",
            "availability": "online", "email": "ada@x.io"}}));
        assert_eq!(snake["name"], "Ada Lovelace");
        assert_eq!(snake["user_id"], "u1");
        let camel = flatten_operator(&json!({"details": {"userID": "u2", "firstName": "Grace"}}));
        assert_eq!(camel["user_id"], "u2");
        assert_eq!(camel["name"], "Grace");
        assert!(camel.get("email").is_none());
    }

    #[test]
    fn contacts_gain_person_email() {
        let c = normalize_contact(json!({"email": "a@b.c"}));
        assert_eq!(c["person"]["email"], "a@b.c");
        let c = normalize_contact(json!({"email": "a@b.c", "person": {"email": "x@y.z"}}));
        assert_eq!(c["person"]["email"], "x@y.z");
    }
}
