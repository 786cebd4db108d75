//! A demo Crisp REST API on loopback that answers as Crisp does (see shared crisp-api.md):
//! the same paths, Basic auth with `X-Crisp-Tier`, tier rules, the `{error, reason, data}`
//! envelope, per_page bounds, 206 message paging and 404 on unknown routes.
//!
//! Tests use it in-process: it records every request and can be told to misbehave once.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::{json, Value};

use super::inbox;
use super::seed::{self, Seed, DEMO_WEBSITE_ID};
use crate::crisp::Tier;

/// Messages per batch on `.../messages` (Crisp's own size is unconfirmed; 20 is what users see).
pub const MESSAGE_BATCH: usize = 20;
/// Requests kept in the log for tests.
const LOG_LIMIT: usize = 20_000;

/// A demo token. Public on purpose: it only opens the demo inbox.
#[derive(Debug, Clone, Copy)]
pub struct DemoToken {
    pub tier: Tier,
    pub identifier: &'static str,
    pub key: &'static str,
}

pub const DEMO_TOKENS: [DemoToken; 3] = [
    DemoToken {
        tier: Tier::User,
        identifier: "5f0c7a2e-demo-4u5e-8r00-a11ce0000001",
        key: "d3m0d3m0a1c2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8",
    },
    DemoToken {
        tier: Tier::Plugin,
        identifier: "5f0c7a2e-demo-4p1u-9g00-a11ce0000002",
        key: "d3m0d3m0b1c2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f9",
    },
    DemoToken {
        tier: Tier::Website,
        identifier: "5f0c7a2e-demo-4w3b-a500-a11ce0000003",
        key: "d3m0d3m0c1c2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7fa",
    },
];

pub fn demo_token(tier: Tier) -> DemoToken {
    DEMO_TOKENS
        .into_iter()
        .find(|t| t.tier == tier)
        .unwrap_or(DEMO_TOKENS[0])
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// Path without the query, e.g. `/v1/website/…/conversations/1`.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every query pair, decoded (`+` and `%20` are both a space), in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        query_pairs(&self.query)
    }

    pub fn query_param(&self, name: &str) -> Option<String> {
        query_pairs(&self.query)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// A one-shot misbehaviour for tests: the next request whose path contains `path_contains`
/// gets this answer instead of the real one.
#[derive(Debug, Clone)]
pub struct Fault {
    pub path_contains: String,
    pub status: u16,
    pub body: String,
    pub retry_after: Option<String>,
    pub kind: FaultKind,
}

/// What a fault does with the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FaultKind {
    /// Answer `status` and `body` instead; the request's work is not done (nothing is stored).
    #[default]
    Reply,
    /// Do the work (a sent message is stored), then break the answer off after its headers, as
    /// a connection dropped mid-answer: the client never learns the outcome.
    BreakAfterWork,
    /// Do the work, then never answer: the client waits until its own timeout.
    SilenceAfterWork,
}

impl Fault {
    /// An error envelope with `reason`.
    pub fn envelope(path_contains: &str, status: u16, reason: &str) -> Fault {
        Fault {
            path_contains: path_contains.to_string(),
            status,
            body: json!({"error": true, "reason": reason, "data": {}}).to_string(),
            retry_after: None,
            kind: FaultKind::Reply,
        }
    }

    /// A raw body (not an envelope).
    pub fn raw(path_contains: &str, status: u16, body: &str) -> Fault {
        Fault {
            path_contains: path_contains.to_string(),
            status,
            body: body.to_string(),
            retry_after: None,
            kind: FaultKind::Reply,
        }
    }

    /// Do the request's work, then lose the answer (`FaultKind::BreakAfterWork`): for
    /// send_message, the message is stored and the client cannot know it.
    pub fn break_after_work(path_contains: &str) -> Fault {
        Fault {
            kind: FaultKind::BreakAfterWork,
            ..Fault::raw(path_contains, 200, "")
        }
    }

    /// Do the request's work, then never answer (`FaultKind::SilenceAfterWork`).
    pub fn silence_after_work(path_contains: &str) -> Fault {
        Fault {
            kind: FaultKind::SilenceAfterWork,
            ..Fault::raw(path_contains, 200, "")
        }
    }

    pub fn with_retry_after(mut self, value: &str) -> Fault {
        self.retry_after = Some(value.to_string());
        self
    }
}

struct State {
    seed: Seed,
    /// `operators/list` (crisp-api.md §7.6): who conversations can be assigned to.
    operators: Vec<Value>,
    next_fingerprint: i64,
    log: VecDeque<RecordedRequest>,
    faults: VecDeque<Fault>,
    /// Added before every answer, as a distant server's round trip (`--latency-ms`).
    latency: std::time::Duration,
}

/// A running demo server. Dropping it stops the server.
pub struct DemoServer {
    addr: SocketAddr,
    server: Arc<tiny_http::Server>,
    state: Arc<Mutex<State>>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl DemoServer {
    /// Start on `addr` (e.g. `127.0.0.1:0` for a free port) with a seeded inbox.
    pub fn start(addr: &str, conversations: usize) -> std::io::Result<DemoServer> {
        let listener = std::net::TcpListener::bind(addr)?;
        set_nodelay(&listener);
        let server =
            tiny_http::Server::from_listener(listener, None).map_err(std::io::Error::other)?;
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| std::io::Error::other("the demo server has no IP address"))?;
        let seed = seed::generate(conversations.max(1));
        let next_fingerprint = seed
            .messages
            .values()
            .flatten()
            .filter_map(|m| m["fingerprint"].as_i64())
            .max()
            .unwrap_or(0)
            + 1;
        let state = Arc::new(Mutex::new(State {
            seed,
            operators: seed::website_operators(),
            next_fingerprint,
            log: VecDeque::new(),
            faults: VecDeque::new(),
            latency: std::time::Duration::ZERO,
        }));
        let server = Arc::new(server);
        // A few workers so keep-alive connections from several clients are served at once.
        let workers = (0..4)
            .map(|_| {
                let server = server.clone();
                let state = state.clone();
                std::thread::spawn(move || {
                    for request in server.incoming_requests() {
                        handle(&state, request);
                    }
                })
            })
            .collect();
        Ok(DemoServer {
            addr,
            server,
            state,
            workers,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base to put in CRISP_API_URL.
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Every request received so far (oldest first).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().log.iter().cloned().collect()
    }

    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }

    /// Delay every answer by `latency` from now on.
    pub fn set_latency(&self, latency: std::time::Duration) {
        self.lock().latency = latency;
    }

    /// Queue a one-shot fault.
    pub fn push_fault(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// The messages of a conversation as stored now.
    pub fn messages(&self, session_id: &str) -> Vec<Value> {
        self.lock()
            .seed
            .messages
            .get(session_id)
            .cloned()
            .unwrap_or_default()
    }

    /// A conversation as stored now (after any writes), or `None`.
    pub fn conversation(&self, session_id: &str) -> Option<Value> {
        self.lock()
            .seed
            .conversations
            .iter()
            .find(|c| c["session_id"] == session_id)
            .cloned()
    }

    /// Every conversation as stored now, in list order.
    pub fn conversations(&self) -> Vec<Value> {
        self.lock().seed.conversations.clone()
    }

    /// Shared access to the inbox, for the simulated visitors of `activity.rs`.
    pub(super) fn inbox(&self) -> Inbox {
        Inbox(self.state.clone())
    }

    /// Block until the process is killed (the `demo-server` command).
    pub fn wait(mut self) {
        for worker in std::mem::take(&mut self.workers) {
            let _ = worker.join();
        }
    }
}

/// The inbox under the server's lock (`activity.rs` writes visitors' messages through it).
#[derive(Clone)]
pub(super) struct Inbox(Arc<Mutex<State>>);

impl Inbox {
    /// Run `f` on the inbox and the next free message fingerprint.
    pub(super) fn with<R>(&self, f: impl FnOnce(&mut Seed, &mut i64) -> R) -> R {
        let mut st = lock(&self.0);
        let st = &mut *st;
        f(&mut st.seed, &mut st.next_fingerprint)
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// Accepted connections inherit TCP_NODELAY from the listener (Linux, macOS, the BSDs).
/// Without it every answer larger than tiny_http's 1 KB buffer leaves its headers and its body
/// in two writes, and Nagle holds the body until the client's delayed ACK: ~40 ms per request.
/// Failure only costs speed, so it is ignored.
fn set_nodelay(listener: &std::net::TcpListener) {
    let _ = socket2::SockRef::from(listener).set_tcp_nodelay(true);
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic in one handler must not take the whole demo down.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An HTTP answer before it is written.
pub(super) struct Reply {
    status: u16,
    body: String,
    retry_after: Option<String>,
}

pub(super) fn ok(status: u16, reason: &str, data: Value) -> Reply {
    Reply {
        status,
        body: json!({"error": false, "reason": reason, "data": data}).to_string(),
        retry_after: None,
    }
}

pub(super) fn fail(status: u16, reason: &str, message: &str) -> Reply {
    Reply {
        status,
        body: json!({"error": true, "reason": reason, "data": {"message": message}}).to_string(),
        retry_after: None,
    }
}

fn handle(state: &Mutex<State>, mut request: tiny_http::Request) {
    let mut body = String::new();
    let body_ok = request
        .as_reader()
        .take(1024 * 1024)
        .read_to_string(&mut body)
        .is_ok();
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let recorded = RecordedRequest {
        method: request.method().as_str().to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers: request
            .headers()
            .iter()
            .map(|h| (h.field.as_str().to_string(), h.value.as_str().to_string()))
            .collect(),
        body,
    };
    let (reply, kind) = {
        let mut st = lock(state);
        if st.log.len() >= LOG_LIMIT {
            st.log.pop_front();
        }
        st.log.push_back(recorded.clone());
        let fault_at = st
            .faults
            .iter()
            .position(|f| recorded.path.contains(&f.path_contains));
        match fault_at.and_then(|i| st.faults.remove(i)) {
            Some(f) if f.kind == FaultKind::Reply => (
                Reply {
                    status: f.status,
                    body: f.body,
                    retry_after: f.retry_after,
                },
                f.kind,
            ),
            Some(f) => (route(&mut st, &recorded), f.kind),
            None if !body_ok => (
                fail(400, "invalid_data", "the request body is not UTF-8"),
                FaultKind::Reply,
            ),
            None => (route(&mut st, &recorded), FaultKind::Reply),
        }
    };
    // Outside the lock: other workers answer meanwhile, as a real server's requests overlap.
    let latency = lock(state).latency;
    std::thread::sleep(latency);
    match kind {
        FaultKind::Reply => {}
        FaultKind::BreakAfterWork => {
            // tiny_http cannot close a connection from a handler, so the answer breaks off as a
            // dropped connection looks to a client: headers, part of a chunk, then bytes that
            // can never continue it. The client closes the connection and tiny_http lets go.
            let mut writer = request.into_writer();
            let _ = writer.write_all(
                b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nf\r\n{\"error\":false,\r\nzz\r\n",
            );
            let _ = writer.flush();
            return;
        }
        FaultKind::SilenceAfterWork => {
            // Taking the writer means tiny_http sends nothing; the client times out.
            drop(request.into_writer());
            return;
        }
    }
    let mut response = tiny_http::Response::from_string(reply.body).with_status_code(reply.status);
    for (name, value) in [
        (
            "Content-Type",
            Some("application/json; charset=utf-8".to_string()),
        ),
        ("Retry-After", reply.retry_after),
    ] {
        if let Some(header) = value.and_then(|v| tiny_http::Header::from_bytes(name, v).ok()) {
            response.add_header(header);
        }
    }
    // The client may have gone away; nothing to do about it.
    let _ = request.respond(response);
}

/// Which tiers may call a route (crisp-api.md §1, "Which tier may call what").
#[derive(Clone, Copy)]
enum Access {
    /// Conversations, messages, people, the website itself.
    Website,
    UserOnly,
    PluginOnly,
}

fn route(st: &mut State, req: &RecordedRequest) -> Reply {
    let Some(rest) = req.path.strip_prefix("/v1/") else {
        return fail(404, "not_found", "unknown route");
    };
    let segments: Vec<String> = rest
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = req.method.as_str();
    let access = match (method, segs.as_slice()) {
        ("GET", ["user", "account"] | ["user", "account", "profile"]) => Access::UserOnly,
        ("GET", ["plugin", "connect", "account"]) => Access::PluginOnly,
        ("GET", ["website", _, "campaigns", "list", _]) => Access::UserOnly,
        (_, ["website", ..]) => Access::Website,
        _ => return fail(404, "not_found", "unknown route"),
    };
    let tier = match authenticate(req) {
        Ok(t) => t,
        Err(reply) => return reply,
    };
    let allowed = match access {
        Access::Website => true,
        Access::UserOnly => tier == Tier::User,
        Access::PluginOnly => tier == Tier::Plugin,
    };
    if !allowed {
        return fail(
            403,
            "restricted_route_tier",
            "this route is not available to the tier of this token",
        );
    }
    if let ["website", website_id, ..] = segs.as_slice() {
        if *website_id != DEMO_WEBSITE_ID {
            return match tier {
                Tier::Plugin => fail(
                    404,
                    "not_subscribed",
                    "the plugin is not subscribed to this website",
                ),
                _ => fail(
                    403,
                    "not_allowed",
                    "this token has no access to this website",
                ),
            };
        }
    }
    let query = query_pairs(&req.query);
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match (method, segs.as_slice()) {
        ("GET", ["user", "account"]) => ok(
            200,
            "resolved",
            json!({"user_id": st.seed.operator["user_id"]}),
        ),
        ("GET", ["user", "account", "profile"]) => ok(200, "resolved", st.seed.operator.clone()),
        ("GET", ["plugin", "connect", "account"]) => ok(
            200,
            "resolved",
            json!({"plugin_id": "b3a7e1d2-demo-4c0e-9a11-plugin000001"}),
        ),
        ("GET", ["website", w]) => ok(
            200,
            "resolved",
            json!({
                "website_id": w, "name": "Northwind Cloud", "domain": "northwind.cloud",
                "logo": "https://image.crisp.chat/avatar/website/northwind/120",
                "verified": true, "institutional": false,
            }),
        ),
        ("GET", ["website", _, "conversations", page])
            if inbox::has_conversation_options(&query) =>
        {
            let me = st.seed.operator["user_id"]
                .as_str()
                .unwrap_or("")
                .to_string();
            match inbox::select_conversations(&st.seed, &query, &me) {
                Ok(selected) => list_page(&selected, page, param("per_page")),
                Err(reply) => reply,
            }
        }
        ("GET", ["website", _, "conversations", page]) => {
            list_page(&st.seed.conversations, page, param("per_page"))
        }
        ("GET", ["website", _, "people", "profiles", page]) => {
            match inbox::select_contacts(&st.seed, &query) {
                Ok(selected) => list_page(&selected, page, param("per_page")),
                Err(reply) => reply,
            }
        }
        ("GET", ["website", _, "operators", "list"]) => {
            ok(200, "listed", Value::Array(st.operators.clone()))
        }
        ("GET", ["website", _, "people", "conversations", people_id, "list", page]) => {
            inbox::people_conversations(&st.seed, people_id, page)
        }
        ("GET", ["website", _, "conversation", sid, part @ ("state" | "routing" | "meta")]) => {
            match st
                .seed
                .conversations
                .iter()
                .find(|c| c["session_id"] == *sid)
            {
                Some(c) => ok(
                    200,
                    "resolved",
                    match *part {
                        "state" => json!({"state": c["state"]}),
                        "routing" => json!({"assigned": c.get("assigned")}),
                        _ => c["meta"].clone(),
                    },
                ),
                None => fail(404, "not_found", "conversation not found"),
            }
        }
        ("PATCH", ["website", _, "conversation", sid, "state"]) => {
            inbox::set_state(&mut st.seed, sid, &req.body, now_ms())
                .unwrap_or_else(|refusal| refusal)
        }
        ("PATCH", ["website", _, "conversation", sid, "read"]) => {
            inbox::mark_read(&mut st.seed, sid, &req.body).unwrap_or_else(|refusal| refusal)
        }
        ("PATCH", ["website", _, "conversation", sid, "routing"]) => {
            let State {
                seed, operators, ..
            } = st;
            inbox::set_routing(seed, operators, sid, &req.body).unwrap_or_else(|refusal| refusal)
        }
        ("PATCH", ["website", _, "conversation", sid, "meta"]) => {
            inbox::update_meta(&mut st.seed, sid, &req.body).unwrap_or_else(|refusal| refusal)
        }
        ("GET", ["website", _, "campaigns", "list", page]) => {
            list_page(&st.seed.campaigns, page, param("per_page"))
        }
        ("GET", ["website", _, "conversation", sid]) => {
            match st
                .seed
                .conversations
                .iter()
                .find(|c| c["session_id"] == *sid)
            {
                Some(c) => ok(200, "resolved", c.clone()),
                None => fail(404, "not_found", "conversation not found"),
            }
        }
        ("GET", ["website", _, "conversation", sid, "messages"]) => {
            messages_batch(st, sid, param("timestamp_before"))
        }
        ("POST", ["website", _, "conversation", sid, "message"]) => {
            send_message(st, sid, &req.body)
        }
        ("GET", ["website", _, "people", "profile", id]) => {
            let found = st.seed.contacts.iter().find(|c| {
                c["people_id"] == *id
                    || c["email"]
                        .as_str()
                        .is_some_and(|e| e.eq_ignore_ascii_case(id))
            });
            match found {
                Some(c) => ok(200, "resolved", c.clone()),
                None => fail(404, "not_found", "people profile not found"),
            }
        }
        _ => fail(404, "not_found", "unknown route"),
    }
}

fn authenticate(req: &RecordedRequest) -> Result<Tier, Reply> {
    let invalid = || fail(401, "invalid_session", "invalid credentials");
    let header = req.header("Authorization").ok_or_else(invalid)?;
    let encoded = header.strip_prefix("Basic ").ok_or_else(invalid)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| invalid())?;
    let decoded = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (identifier, key) = decoded.split_once(':').ok_or_else(invalid)?;
    let token = DEMO_TOKENS
        .iter()
        .find(|t| t.identifier == identifier && t.key == key)
        .ok_or_else(invalid)?;
    // A keypair presented under another tier is refused (node-crisp-api#42).
    let claimed = req.header("X-Crisp-Tier").unwrap_or("");
    if claimed != token.tier.as_str() {
        return Err(fail(
            401,
            "invalid_session",
            "the token does not belong to this tier",
        ));
    }
    Ok(token.tier)
}

fn list_page<T: std::borrow::Borrow<Value>>(
    items: &[T],
    page: &str,
    per_page: Option<&str>,
) -> Reply {
    let Ok(page) = page.parse::<usize>() else {
        return fail(404, "not_found", "unknown route");
    };
    if page == 0 {
        return fail(404, "not_found", "unknown route");
    }
    let per_page = match per_page.map(str::parse::<usize>) {
        None => 20,
        Some(Ok(n)) if (20..=50).contains(&n) => n,
        Some(_) => return fail(400, "invalid_data", "per_page must be between 20 and 50"),
    };
    let start = (page - 1).saturating_mul(per_page);
    let data: Vec<Value> = items
        .iter()
        .skip(start)
        .take(per_page)
        .map(|item| item.borrow().clone())
        .collect();
    ok(200, "listed", Value::Array(data))
}

fn messages_batch(st: &State, sid: &str, before: Option<&str>) -> Reply {
    let Some(all) = st.seed.messages.get(sid) else {
        return fail(404, "not_found", "conversation not found");
    };
    let before = match before.map(str::parse::<i64>) {
        None => i64::MAX,
        Some(Ok(t)) => t,
        Some(Err(_)) => return fail(400, "invalid_data", "timestamp_before must be a number"),
    };
    let older: Vec<&Value> = all
        .iter()
        .filter(|m| m["timestamp"].as_i64().is_some_and(|t| t < before))
        .collect();
    let from = older.len().saturating_sub(MESSAGE_BATCH);
    let batch: Vec<Value> = older[from..].iter().map(|m| (*m).clone()).collect();
    // 206: older messages remain (ruby-crisp-api#16); 200: this is the oldest batch.
    let status = if from > 0 { 206 } else { 200 };
    ok(status, "resolved", Value::Array(batch))
}

fn send_message(st: &mut State, sid: &str, body: &str) -> Reply {
    let Ok(body) = serde_json::from_str::<Value>(body) else {
        return fail(400, "invalid_data", "the body is not JSON");
    };
    let kind = body["type"].as_str().unwrap_or("");
    let from = body["from"].as_str().unwrap_or("");
    let origin = body["origin"].as_str().unwrap_or("");
    let content = &body["content"];
    let valid = matches!(kind, "text" | "note" | "file")
        && matches!(from, "user" | "operator")
        && !origin.is_empty()
        && match kind {
            "file" => ["name", "url", "type"]
                .iter()
                .all(|k| content[k].is_string()),
            _ => content.as_str().is_some_and(|s| !s.is_empty()),
        };
    if !valid {
        return fail(
            400,
            "invalid_data",
            "type, from, origin and content are required and must match the type",
        );
    }
    let Some(conversation) = st
        .seed
        .conversations
        .iter_mut()
        .find(|c| c["session_id"] == sid)
    else {
        return fail(404, "not_found", "conversation not found");
    };
    let messages = st.seed.messages.entry(sid.to_string()).or_default();
    let last = messages
        .last()
        .and_then(|m| m["timestamp"].as_i64())
        .unwrap_or(0);
    let timestamp = now_ms().max(last + 1);
    let fingerprint = st.next_fingerprint;
    st.next_fingerprint += 1;
    let operator = &st.seed.operator;
    let user = if from == "operator" {
        json!({"type": "website", "user_id": operator["user_id"], "nickname": format!("{} {}", operator["first_name"].as_str().unwrap_or(""), operator["last_name"].as_str().unwrap_or(""))})
    } else {
        json!({"type": "participant", "nickname": conversation["meta"]["nickname"]})
    };
    let message = json!({
        "session_id": sid, "website_id": DEMO_WEBSITE_ID, "type": kind, "from": from,
        "origin": origin, "content": content, "fingerprint": fingerprint, "timestamp": timestamp,
        "user": user, "read": "", "delivered": "", "edited": false, "stamped": true,
    });
    let excerpt = match content.as_str() {
        Some(s) => s.chars().take(120).collect::<String>(),
        None => format!("[file] {}", content["name"].as_str().unwrap_or("")),
    };
    if kind != "note" {
        conversation["last_message"] = json!(excerpt);
    }
    conversation["updated_at"] = json!(timestamp);
    conversation["preview_message"] =
        json!({"type": kind, "from": from, "excerpt": excerpt, "fingerprint": fingerprint});
    messages.push(message);
    // A visitor's message waits for an operator; an operator's reply means they read the rest.
    let unread = conversation["unread"]["operator"].as_i64().unwrap_or(0);
    match from {
        "user" => conversation["unread"]["operator"] = json!(unread + 1),
        _ if kind != "note" => conversation["unread"]["operator"] = json!(0),
        _ => {}
    }
    ok(202, "dispatched", json!({"fingerprint": fingerprint}))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}
