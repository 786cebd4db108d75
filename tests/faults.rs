//! Fault injection: the real binary against servers that misbehave on purpose (a raw-socket
//! server in tests/common/faulty.rs, and one-shot faults on the demo Crisp). Every fault must
//! give a clear Lua error that `pcall` catches, no panic, and the next call in the same process
//! must succeed. Writes whose answer is lost are never sent twice.

mod common;
#[path = "common/faulty.rs"]
mod faulty;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::Harness;
use crisp_repl::demo::Fault;
use faulty::{response_bytes, Conversation, FaultyServer, Step};
use serde_json::Value as Json;

/// Defines `try(f, params)`: a call's outcome as a table, so every call answers one JSON line.
const PRELUDE: &str = r#"
function try(f, params)
  local ok, r = pcall(f, params or {})
  if ok then return {ok = true, value = r} end
  if type(r) ~= "table" then return {ok = false, message = tostring(r), kind = "not a crisp error"} end
  return {ok = false, message = tostring(r), kind = r.kind, status = r.status, reason = r.reason}
end
"#;
const CURRENT_USER: &str = "return try(crisp.get_current_user)";
const LIST: &str = "return try(crisp.list_conversations, {per_page = 20})";

/// Run `chunks` (each one `-e`, after the prelude) in ONE process against `url`; returns each
/// chunk's `try` table. The process must exit 0 without a panic within `limit`.
fn session(url: &str, extra: &[&str], chunks: &[&str], limit: Duration) -> Vec<Json> {
    let home = tempfile::tempdir().expect("temp home");
    let mut cmd = common::hermetic(home.path());
    faulty::with_account(&mut cmd, url);
    cmd.arg("--json").args(extra).arg("-e").arg(PRELUDE);
    for c in chunks {
        cmd.arg("-e").arg(c);
    }
    let started = Instant::now();
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // Generous bound: the faults below cost seconds at most.
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "a panic: {stderr}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    let lines: Vec<Json> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), chunks.len() + 1, "{stdout}");
    lines[1..]
        .iter()
        .map(|l| {
            assert_eq!(l["ok"], true, "{l}");
            l["values"][0].clone()
        })
        .collect()
}

const QUICK: Duration = Duration::from_secs(30);

fn assert_error(result: &Json, kind: &str, needles: &[&str]) {
    assert_eq!(result["ok"], false, "expected an error: {result}");
    assert_eq!(result["kind"], kind, "{result}");
    let message = result["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("crisp."),
        "names the function: {message}"
    );
    for needle in needles {
        assert!(message.contains(needle), "{needle:?} not in: {message}");
    }
}

fn assert_healthy_user(result: &Json) {
    assert_eq!(result["ok"], true, "the next call should succeed: {result}");
    assert_eq!(
        result["value"]["data"]["email"], "ok@example.com",
        "{result}"
    );
}

/// POSTs (sends) the server read.
fn posts(server: &FaultyServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count()
}

/// POSTs the demo Crisp read.
fn demo_posts(h: &Harness) -> usize {
    h.server
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count()
}

#[test]
fn connection_refused_then_the_server_comes_up() {
    // A port nobody listens on: bind, note it, close.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let home = tempfile::tempdir().unwrap();
    let mut cmd = common::hermetic(home.path());
    faulty::with_account(&mut cmd, &format!("http://{addr}/v1"));
    let mut conversation = Conversation::start(cmd);
    assert_eq!(conversation.eval(PRELUDE)["ok"], true);
    let refused = &conversation.eval(CURRENT_USER)["values"][0];
    assert_error(
        refused,
        "http",
        &["could not connect to http://127.0.0.1", "CRISP_API_URL"],
    );
    // The same port comes up: the same process recovers.
    let server = FaultyServer::on(TcpListener::bind(addr).unwrap(), None, vec![]);
    assert_healthy_user(&conversation.eval(CURRENT_USER)["values"][0]);
    let (status, stderr) = conversation.finish();
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn reset_mid_body_is_retried_then_reported() {
    let partial = |n| {
        let mut bytes = response_bytes(200, &format!("{{\"error\":false,\"data\":{{{n}}}}}"));
        bytes.truncate(bytes.len() - 8);
        Step::Reset(bytes)
    };
    // Call 1: reset on every try (the first and 3 retries). Call 2: healthy. Call 3: one
    // reset, then the retry succeeds without the caller noticing.
    let server = FaultyServer::start(vec![
        partial(1),
        partial(2),
        partial(3),
        partial(4),
        Step::json(200, r#"{"error":false,"data":{"email":"ok@example.com"}}"#),
        partial(5),
    ]);
    let results = session(
        &server.url(),
        &[],
        &[CURRENT_USER, CURRENT_USER, CURRENT_USER],
        QUICK,
    );
    assert_error(
        &results[0],
        "http",
        &["http://127.0.0.1", "(gave up after 3 retries)"],
    );
    assert_healthy_user(&results[1]);
    assert_healthy_user(&results[2]);
    assert_eq!(server.requests().len(), 7);
}

#[test]
fn a_server_that_never_answers_times_out_and_the_next_call_works() {
    let server = FaultyServer::start(vec![Step::Silence(Duration::from_secs(30))]);
    let started = Instant::now();
    let results = session(
        &server.url(),
        &["--timeout", "1"],
        &[CURRENT_USER, CURRENT_USER],
        QUICK,
    );
    // Generous: the timeout is 1 s; nothing may wait for the server's 30 s.
    assert!(started.elapsed() < Duration::from_secs(10), "too slow");
    assert_error(
        &results[0],
        "timeout",
        &["no answer from http://127.0.0.1", "within 1s", "--timeout"],
    );
    assert_healthy_user(&results[1]);
    // A timeout is not retried: it used the time the user allowed.
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_slow_drip_succeeds_within_the_timeout_and_an_endless_one_times_out() {
    let body = r#"{"error":false,"reason":"resolved","data":{"email":"ok@example.com"}}"#;
    let server = FaultyServer::start(vec![
        Step::Drip {
            body: body.as_bytes().to_vec(),
            pieces: 8,
            every: Duration::from_millis(60),
        },
        // 500 pieces 100 ms apart: 50 s, far past the 2 s timeout.
        Step::Drip {
            body: format!("{body}{}", " ".repeat(500)).into_bytes(),
            pieces: 500,
            every: Duration::from_millis(100),
        },
    ]);
    let started = Instant::now();
    let results = session(
        &server.url(),
        &["--timeout", "2"],
        &[CURRENT_USER, CURRENT_USER, CURRENT_USER],
        QUICK,
    );
    assert!(started.elapsed() < Duration::from_secs(15), "too slow");
    assert_healthy_user(&results[0]);
    assert_error(&results[1], "timeout", &["within 2s"]);
    assert_healthy_user(&results[2]);
}

#[test]
fn server_errors_are_retried_then_reported() {
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let server = FaultyServer::start(vec![
        // Call 1..3: one 500, 502 (an HTML page), 503 each, then the retry succeeds.
        Step::envelope(500, "server_error"),
        Step::Healthy,
        Step::bytes(502, html.as_bytes()).header("Content-Type", "text/html"),
        Step::Healthy,
        Step::envelope(503, "service_unavailable"),
        Step::Healthy,
        // Call 4: 503 on every try.
        Step::envelope(503, "service_unavailable").header("Retry-After", "0"),
        Step::envelope(503, "service_unavailable").header("Retry-After", "0"),
        Step::envelope(503, "service_unavailable").header("Retry-After", "0"),
        Step::envelope(503, "service_unavailable").header("Retry-After", "0"),
        // Call 5: an HTML error page on every try.
        Step::bytes(502, html.as_bytes()).header("Retry-After", "0"),
        Step::bytes(502, html.as_bytes()).header("Retry-After", "0"),
        Step::bytes(502, html.as_bytes()).header("Retry-After", "0"),
        Step::bytes(502, html.as_bytes()).header("Retry-After", "0"),
    ]);
    let results = session(&server.url(), &[], &[CURRENT_USER; 6], QUICK);
    for r in &results[..3] {
        assert_healthy_user(r);
    }
    assert_error(
        &results[3],
        "http",
        &["HTTP 503 service_unavailable", "server error; try again"],
    );
    assert_eq!(results[3]["status"], 503);
    assert_error(
        &results[4],
        "http",
        &["HTTP 502 http_error", "<html><body><h1>502 Bad Gateway"],
    );
    assert_healthy_user(&results[5]);
    assert_eq!(server.requests().len(), 3 * 2 + 4 + 4 + 1);
}

#[test]
fn rate_limits_honour_retry_after_in_both_forms() {
    let soon = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(1));
    let server = FaultyServer::start(vec![
        // Each of calls 1..4 is refused once, then succeeds.
        Step::envelope(429, "rate_limited").header("Retry-After", "1"),
        Step::Healthy,
        Step::envelope(429, "rate_limited").header("Retry-After", &soon),
        Step::Healthy,
        Step::envelope(429, "rate_limited"),
        Step::Healthy,
        Step::envelope(420, "rate_limited"),
        Step::Healthy,
        // Call 5: asked to wait an hour: not waited for, the error says so.
        Step::envelope(429, "rate_limited").header("Retry-After", "3600"),
        // Call 6: refused on every try.
        Step::envelope(429, "rate_limited").header("Retry-After", "0"),
        Step::envelope(429, "rate_limited").header("Retry-After", "0"),
        Step::envelope(429, "rate_limited").header("Retry-After", "0"),
        Step::envelope(420, "rate_limited").header("Retry-After", "0"),
    ]);
    let results = session(&server.url(), &[], &[CURRENT_USER; 7], QUICK);
    for r in &results[..4] {
        assert_healthy_user(r);
    }
    assert_error(
        &results[4],
        "http",
        &[
            "HTTP 429 rate_limited",
            "asks to wait 3600s, longer than the 30s crisp-repl waits",
        ],
    );
    assert_error(
        &results[5],
        "http",
        &["HTTP 420 rate_limited", "gave up after 3 retries"],
    );
    assert_healthy_user(&results[6]);
    assert_eq!(server.requests().len(), 4 * 2 + 1 + 4 + 1);
}

#[test]
fn a_retry_after_wait_counts_towards_the_timeout() {
    // `--timeout 2` against "wait 29 s": waiting would break the promised limit, so the call
    // gives up at once and says why; the next call works.
    let server = FaultyServer::start(vec![
        Step::envelope(429, "rate_limited").header("Retry-After", "29"),
        Step::Healthy,
    ]);
    let started = Instant::now();
    let results = session(
        &server.url(),
        &["--timeout", "2"],
        &[CURRENT_USER, CURRENT_USER],
        QUICK,
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_error(
        &results[0],
        "http",
        &["HTTP 429 rate_limited", "asks to wait 29s", "--timeout"],
    );
    assert_healthy_user(&results[1]);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_request_too_long_to_make_is_not_retried_and_not_echoed() {
    let h = Harness::new();
    let code = "local ok, e = pcall(crisp.get_conversation, {conversation_id = string.rep('a', 1000000)}) \
                return ok, #tostring(e), tostring(e)";
    let (status, stdout, stderr) = common::run(h.cmd().args(["--json", "-e", code]));
    assert_eq!(status, 0, "{stderr}");
    let line: Json = serde_json::from_str(stdout.trim()).expect("JSON");
    assert_eq!(line["values"][0], false, "{line}");
    let len = line["values"][1].as_i64().unwrap_or(i64::MAX);
    assert!(len < 400, "a {len}-byte message for a 1 MB id");
    let message = line["values"][2].as_str().unwrap_or_default();
    assert!(message.contains("Nothing was sent"), "{message}");
    // A local refusal is final: no retries, and the demo never heard of it.
    assert!(!message.contains("retries"), "{message}");
    assert!(h.server.requests().is_empty());
}

#[test]
fn a_thread_that_never_stops_answering_206_is_cut_at_a_byte_bound() {
    // Every batch says "older messages exist" (206) and carries one 1 MB message: without a
    // bound across batches this reached gigabytes. The call returns what it read, truncated.
    let conversation = r#"{"error":false,"reason":"resolved","data":{"session_id":"session_big"}}"#;
    let mut steps = vec![Step::json(200, conversation)];
    let text = "m".repeat(1024 * 1024);
    for i in 0..100i64 {
        let body = format!(
            r#"{{"error":false,"reason":"resolved","data":[{{"fingerprint":{i},"timestamp":{},"type":"text","from":"user","content":"{text}"}}]}}"#,
            1_700_000_000_000i64 - i
        );
        steps.push(Step::json(206, &body));
    }
    let server = FaultyServer::start(steps);
    let code = "local r = try(crisp.get_conversation, {conversation_id = 'session_big'}) \
                if not r.ok then return r end \
                return {ok = true, value = {n = #r.value.data, truncated = r.value.truncated}}";
    let results = session(&server.url(), &[], &[code], Duration::from_secs(120));
    let value = &results[0]["value"];
    assert_eq!(value["truncated"], true, "{}", results[0]);
    let n = value["n"].as_i64().unwrap_or(0);
    assert!((60..=70).contains(&n), "{n} messages kept");
    // One conversation request plus one per batch read; nothing past the bound.
    assert_eq!(server.requests().len() as i64, 1 + n);
}

#[test]
fn a_server_that_echoes_the_token_never_gets_it_displayed() {
    let token = crisp_repl::demo::demo_token(crisp_repl::crisp::Tier::User);
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{}:{}", token.identifier, token.key),
    );
    let key = token.key.to_string();
    let echo = format!(
        r#"{{"error":false,"reason":"ok","data":{{"email":"ok@example.com","headers":{{"authorization":"Basic {basic}"}},"key":"{key}"}}}}"#
    );
    let refusal = format!(
        r#"{{"error":true,"reason":"bad token {key}","data":{{"message":"Basic {basic}"}}}}"#
    );
    let server = FaultyServer::start(vec![Step::json(200, &echo), Step::json(403, &refusal)]);
    let results = session(&server.url(), &[], &[CURRENT_USER, CURRENT_USER], QUICK);
    let all = format!("{results:?}");
    assert!(!all.contains(&key) && !all.contains(&basic), "{all}");
    assert_eq!(
        results[0]["value"]["data"]["headers"]["authorization"],
        "Basic [redacted]"
    );
    assert!(
        results[1]["message"]
            .as_str()
            .unwrap_or("")
            .contains("[redacted]"),
        "{all}"
    );
}

#[test]
fn bodies_that_are_not_the_envelope() {
    let server = FaultyServer::start(vec![
        Step::bytes(200, b"<html><body>Maintenance</body></html>")
            .header("Content-Type", "text/html"),
        Step::json(200, r#"{"error": false, "data": [{"session_id": "#),
        Step::json(200, r#"{"error":false,"reason":"resolved"}"#),
        Step::json(
            200,
            r#"{"error":false,"reason":"resolved","data":"surprise"}"#,
        ),
        Step::json(
            200,
            r#"{"error":false,"reason":"listed","data":"surprise"}"#,
        ),
        Step::bytes(200, b"{\"error\":false,\"data\":{\"email\":\"\xff\xfe\"}}"),
        Step::json(200, r#"["not", "an", "object"]"#),
    ]);
    let results = session(
        &server.url(),
        &[],
        &[
            CURRENT_USER,
            CURRENT_USER,
            CURRENT_USER,
            CURRENT_USER,
            LIST,
            CURRENT_USER,
            CURRENT_USER,
            CURRENT_USER,
        ],
        QUICK,
    );
    let envelope = "not the expected JSON envelope";
    assert_error(
        &results[0],
        "http",
        &[envelope, "invalid JSON", "<html><body>Maintenance"],
    );
    assert_eq!(results[0]["status"], 200);
    assert_error(
        &results[1],
        "http",
        &[envelope, "invalid JSON", "[{\"session_id\""],
    );
    assert_error(
        &results[2],
        "http",
        &["'data' should be an object, but it is missing"],
    );
    assert_error(
        &results[3],
        "http",
        &["'data' should be an object, got a string", "surprise"],
    );
    assert_error(
        &results[4],
        "http",
        &["'data' should be an array, got a string"],
    );
    assert_error(&results[5], "http", &[envelope, "not UTF-8"]);
    assert_error(&results[6], "http", &["JSON, but not an object"]);
    assert_healthy_user(&results[7]);
    // Malformed answers are not retried: the same server would say the same.
    assert_eq!(server.requests().len(), 8);
}

#[test]
fn a_declared_body_past_the_limit_is_refused_before_reading() {
    let head =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 67108864\r\n\r\n";
    let server = FaultyServer::start(vec![Step::Endless {
        head: head.to_vec(),
        max: 64 * 1024 * 1024,
    }]);
    let results = session(&server.url(), &[], &[CURRENT_USER, CURRENT_USER], QUICK);
    assert_error(
        &results[0],
        "http",
        &["larger than 33554432 bytes", "refused"],
    );
    assert_healthy_user(&results[1]);
    // Not retried: it would be too large again.
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn an_endless_body_is_cut_at_the_limit_and_memory_stays_bounded() {
    // No Content-Length: the body runs until the connection closes, and the server would send
    // 256 MiB. The client must stop at 32 MiB.
    let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
    let server = FaultyServer::start(vec![Step::Endless {
        head: head.to_vec(),
        max: 256 * 1024 * 1024,
    }]);
    let home = tempfile::tempdir().unwrap();
    let mut cmd = common::hermetic(home.path());
    faulty::with_account(&mut cmd, &server.url());
    let mut conversation = Conversation::start(cmd);
    assert_eq!(conversation.eval(PRELUDE)["ok"], true);
    let result = &conversation.eval(CURRENT_USER)["values"][0];
    assert_error(result, "http", &["larger than 33554432 bytes", "refused"]);
    // The process is still running (waiting for input): read its peak memory now (Linux).
    if cfg!(target_os = "linux") {
        let peak_kib = faulty::peak_rss_kib(conversation.pid()).expect("VmHWM in /proc");
        assert!(
            peak_kib < 128 * 1024,
            "peak RSS {} MiB: the body was not bounded",
            peak_kib / 1024
        );
    }
    assert_healthy_user(&conversation.eval(CURRENT_USER)["values"][0]);
    let (status, stderr) = conversation.finish();
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn redirects_are_not_followed_and_the_other_host_hears_nothing() {
    let elsewhere = FaultyServer::start(vec![]);
    let to = |path: &str| format!("{}/{path}", elsewhere.url());
    let server = FaultyServer::start(vec![
        Step::json(302, "").header("Location", &to("user/account/profile")),
        Step::json(307, "").header("Location", &to("website/x/conversation/s/message")),
    ]);
    let results = session(
        &server.url(),
        &[],
        &[
            CURRENT_USER,
            "return try(crisp.send_message, {conversation_id = 'session_abc123', text = 'hi'})",
            CURRENT_USER,
        ],
        QUICK,
    );
    assert_error(
        &results[0],
        "http",
        &["HTTP 302 redirect", "not followed", "CRISP_API_URL"],
    );
    assert_error(&results[1], "http", &["HTTP 307 redirect", "not followed"]);
    assert_healthy_user(&results[2]);
    assert_eq!(elsewhere.connections(), 0, "the other host was contacted");
    assert!(elsewhere.requests().is_empty());
    // The first host did get the credentials: it is the configured one.
    assert!(server.requests()[0].header("Authorization").is_some());
}

const SEND_ONCE: &str =
    "return try(crisp.send_message, {conversation_id = 'session_abc123', text = 'exactly once'})";
const COUNT_ONCE: &str = r#"
local r = crisp.get_conversation{conversation_id = 'session_abc123'}
local n = 0
for _, m in ipairs(r.data) do if m.content == 'exactly once' then n = n + 1 end end
return {ok = true, value = n}
"#;

#[test]
fn a_send_whose_connection_drops_after_storing_is_not_retried() {
    // A raw proxy in front of the demo Crisp: it relays the POST (the demo stores the message),
    // then drops the connection without relaying a byte of the answer.
    let h = Harness::new();
    let proxy = FaultyServer::proxy(h.server.addr(), vec![Step::ForwardThenHangUp]);
    let before = h.server.messages("session_abc123").len();
    let results = session(
        &proxy.url(),
        &[],
        &[SEND_ONCE, COUNT_ONCE, CURRENT_USER],
        QUICK,
    );
    assert_error(
        &results[0],
        "http",
        &[
            "The message may have been sent",
            "not retried",
            "get_conversation",
        ],
    );
    assert_eq!(results[1]["value"], 1, "stored exactly once");
    assert_eq!(results[2]["ok"], true, "{}", results[2]);
    assert_eq!(posts(&proxy), 1, "one POST reached the proxy");
    assert_eq!(demo_posts(&h), 1, "one POST reached Crisp");
    assert_eq!(h.server.messages("session_abc123").len(), before + 1);
}

#[test]
fn a_send_whose_answer_breaks_off_is_not_retried() {
    let h = Harness::new();
    h.server.push_fault(Fault::break_after_work("/message"));
    let before = h.server.messages("session_abc123").len();
    let results = session(
        &h.server.url(),
        &[],
        &[
            SEND_ONCE,
            COUNT_ONCE,
            "return try(crisp.send_message, {conversation_id = 'session_abc123', text = 'later'})",
        ],
        QUICK,
    );
    assert_error(
        &results[0],
        "http",
        &["The message may have been sent", "get_conversation"],
    );
    assert_eq!(results[1]["value"], 1, "stored exactly once");
    assert_eq!(
        results[2]["ok"], true,
        "the next send works: {}",
        results[2]
    );
    assert_eq!(demo_posts(&h), 2);
    assert_eq!(h.server.messages("session_abc123").len(), before + 2);
}

#[test]
fn a_send_that_is_stored_but_never_answered_times_out_once() {
    let h = Harness::new();
    h.server.push_fault(Fault::silence_after_work("/message"));
    let results = session(
        &h.server.url(),
        &["--timeout", "1"],
        &[SEND_ONCE, COUNT_ONCE],
        QUICK,
    );
    assert_error(
        &results[0],
        "http",
        &[
            "within 1s",
            "The message may have been sent",
            "get_conversation",
        ],
    );
    assert_eq!(results[1]["value"], 1, "stored exactly once");
    assert_eq!(demo_posts(&h), 1);
}

#[test]
fn a_post_on_a_kept_alive_connection_that_hangs_up_is_not_retried() {
    // The GET leaves a kept-alive connection; the POST reuses it, the server reads the POST and
    // hangs up. ureq does not retry on its own and neither may the client.
    let server = FaultyServer::start(vec![
        Step::json(200, r#"{"error":false,"data":{"email":"ok@example.com"}}"#),
        Step::HangUp,
    ]);
    let results = session(
        &server.url(),
        &[],
        &[CURRENT_USER, SEND_ONCE, CURRENT_USER],
        QUICK,
    );
    assert_healthy_user(&results[0]);
    assert_error(&results[1], "http", &["The message may have been sent"]);
    assert_healthy_user(&results[2]);
    assert_eq!(posts(&server), 1);
    assert_eq!(
        server.connections(),
        2,
        "the POST reused the first connection"
    );
}

#[test]
fn a_stale_kept_alive_connection_does_not_lose_or_repeat_a_send() {
    // The server answers the GET as if keeping the connection alive, then closes it. The POST
    // that follows must go out once, on a fresh connection, and succeed.
    let server = FaultyServer::start(vec![Step::Raw(response_bytes(
        200,
        r#"{"error":false,"data":{"email":"ok@example.com"}}"#,
    ))]);
    let pause = "local t = os.clock() while os.clock() - t < 0.1 do end";
    let results = session(&server.url(), &[], &[CURRENT_USER, pause, SEND_ONCE], QUICK);
    assert_healthy_user(&results[0]);
    assert_eq!(results[2]["ok"], true, "{}", results[2]);
    assert_eq!(results[2]["value"]["fingerprint"], 4242);
    assert_eq!(posts(&server), 1);
    assert_eq!(server.connections(), 2);
}
