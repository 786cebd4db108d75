//! `crisp.request`: the exact requests the demo Crisp records (method, path, query, body,
//! auth), reads and writes under `--read-only` and `--dry-run`, path validation before any
//! request, Crisp's 404 for unknown routes, redirects not followed, and its registry
//! citizenship (`doc`, `doc --json`, Tab completion in a real terminal).

mod common;
#[path = "common/faulty.rs"]
mod faulty;

use std::time::Duration;

use base64::Engine;
use common::{run, Harness};
use crisp_repl::crisp::Tier;
use crisp_repl::demo::{demo_token, DEMO_WEBSITE_ID};
use faulty::{FaultyServer, Step};
use serde_json::{json, Value};

/// Run `code` with `-e` in `--json` mode; the evaluation's JSON line.
fn eval(h: &Harness, extra: &[&str], code: &str) -> Value {
    let mut cmd = h.cmd();
    cmd.arg("--json").args(extra).arg("-e").arg(code);
    let (_, stdout, stderr) = run(&mut cmd);
    let line = stdout
        .lines()
        .last()
        .unwrap_or_else(|| panic!("no output; stderr: {stderr}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

#[test]
fn a_get_sends_exactly_the_route_query_and_credentials() {
    let h = Harness::new();
    let out = eval(
        &h,
        &[],
        r#"local r = crisp.request{method = "GET", path = "website/{website_id}/conversations/2",
             query = {per_page = 20, filter_unread = true, filter_resolved = false, search_query = "a b&c"}}
           return r.status, r.reason, type(r.data)"#,
    );
    assert_eq!(out["ok"], true, "{out}");
    // The demo applies the search and filters as Crisp does, so the page may be empty.
    assert_eq!(out["values"], json!([200, "listed", "table"]));
    let requests = h.requests_to("/conversations/");
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "GET");
    assert_eq!(
        r.path,
        format!("/v1/website/{DEMO_WEBSITE_ID}/conversations/2")
    );
    // Sorted by name, booleans as Crisp's SDKs send them, values percent-encoded.
    assert_eq!(
        r.query,
        "filter_resolved=0&filter_unread=1&per_page=20&search_query=a%20b%26c"
    );
    let token = demo_token(Tier::User);
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", token.identifier, token.key));
    assert_eq!(
        r.header("Authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert_eq!(r.header("X-Crisp-Tier"), Some("user"));
    assert!(r.body.is_empty());
}

#[test]
fn a_post_sends_its_json_body_and_crisp_stores_it() {
    let h = Harness::new();
    let before = h.server.messages("session_abc123").len();
    let out = eval(
        &h,
        &[],
        r#"local r = crisp.request{method = "POST",
             path = "/website/{website_id}/conversation/session_abc123/message",
             body = {type = "note", from = "operator", origin = "chat", content = "via request"}}
           return r.status, r.reason, math.type(r.data.fingerprint)"#,
    );
    assert_eq!(
        out["values"],
        json!([202, "dispatched", "integer"]),
        "{out}"
    );
    let posts: Vec<_> = h
        .requests_to("/message")
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "exactly one POST, no retry");
    assert_eq!(
        posts[0].path,
        format!("/v1/website/{DEMO_WEBSITE_ID}/conversation/session_abc123/message")
    );
    assert_eq!(posts[0].header("Content-Type"), Some("application/json"));
    let body: Value = serde_json::from_str(&posts[0].body).unwrap();
    assert_eq!(
        body,
        json!({"type": "note", "from": "operator", "origin": "chat", "content": "via request"})
    );
    let stored = h.server.messages("session_abc123");
    assert_eq!(stored.len(), before + 1);
    assert_eq!(stored.last().unwrap()["content"], "via request");
}

#[test]
fn put_patch_and_delete_carry_their_bodies() {
    let h = Harness::new();
    let out = eval(
        &h,
        &[],
        r#"local statuses = {}
           for _, m in ipairs{"PUT", "PATCH", "DELETE"} do
             local ok, e = pcall(crisp.request, {method = m, path = "website/{website_id}/people/profiles",
               body = {people = {"p1", "p2"}}})
             statuses[#statuses + 1] = e.status
           end
           return statuses"#,
    );
    // The demo has no such write routes: Crisp's 404, once each (writes are not retried).
    assert_eq!(out["values"][0], json!([404, 404, 404]), "{out}");
    let requests = h.server.requests();
    let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["PUT", "PATCH", "DELETE"]);
    for r in &requests {
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body, json!({"people": ["p1", "p2"]}), "{}", r.method);
    }
}

#[test]
fn ids_in_the_path_are_percent_encoded_as_written() {
    let h = Harness::new();
    let out = eval(
        &h,
        &[],
        r#"local r = crisp.request{method = "GET", path = "website/{website_id}/people/profile/[email protected]"}
           return r.data.email"#,
    );
    assert_eq!(out["values"], json!(["[email protected]"]), "{out}");
    let r = &h.requests_to("/people/profile/")[0];
    assert_eq!(
        r.path,
        format!("/v1/website/{DEMO_WEBSITE_ID}/people/profile/%5Bemail%20protected%5D")
    );
}

#[test]
fn read_only_refuses_writes_before_any_request_and_lets_reads_through() {
    let h = Harness::new();
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let out = eval(
            &h,
            &["--read-only"],
            &format!(
                r#"return crisp.request{{method = "{method}", path = "website/{{website_id}}/conversation/session_abc123/state", body = {{state = "resolved"}}}}"#
            ),
        );
        assert_eq!(out["ok"], false, "{out}");
        assert_eq!(out["error"]["kind"], "validation");
        let message = out["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("read-only") && message.contains(method),
            "{message}"
        );
    }
    assert!(
        h.server.requests().is_empty(),
        "a refused write reached Crisp"
    );
    let out = eval(
        &h,
        &["--read-only"],
        r#"return crisp.request{method = "GET", path = "website/{website_id}/conversation/session_abc123"}.data.session_id"#,
    );
    assert_eq!(out["values"], json!(["session_abc123"]), "{out}");
    assert_eq!(h.server.requests().len(), 1);
}

#[test]
fn dry_run_describes_the_exact_write_and_sends_nothing() {
    let h = Harness::new();
    let out = eval(
        &h,
        &["--dry-run"],
        r#"return crisp.request{method = "PATCH",
             path = "website/{website_id}/conversation/session_abc123/state",
             query = {silent = true}, body = {state = "resolved"}}"#,
    );
    assert_eq!(out["ok"], true, "{out}");
    let result = &out["values"][0];
    assert_eq!(result["sent"], false);
    assert_eq!(result["dry_run"], true);
    assert_eq!(result["request"]["method"], "PATCH");
    assert_eq!(
        result["request"]["url"],
        format!(
            "{}/website/{DEMO_WEBSITE_ID}/conversation/session_abc123/state?silent=1",
            h.server.url()
        )
    );
    assert_eq!(result["request"]["body"], json!({"state": "resolved"}));
    assert!(h.server.requests().is_empty());
    // Reads still run under --dry-run.
    let out = eval(
        &h,
        &["--dry-run"],
        r#"return crisp.request{method = "GET", path = "website/{website_id}"}.data.website_id"#,
    );
    assert_eq!(out["values"], json!([DEMO_WEBSITE_ID]), "{out}");
}

#[test]
fn bad_paths_and_parameters_are_refused_before_any_request() {
    let h = Harness::new();
    let cases = [
        (
            r#"{method = "GET", path = "https://evil.example/v1/user/account"}"#,
            "not a URL",
        ),
        (
            r#"{method = "GET", path = "//evil.example/user/account"}"#,
            "not a URL",
        ),
        (
            r#"{method = "GET", path = "website/{website_id}/../../user/account"}"#,
            "'..'",
        ),
        (r#"{method = "GET", path = "website/./x"}"#, "'.'"),
        (
            r#"{method = "GET", path = "website/{website_id}/conversations/1?per_page=50"}"#,
            "query = {",
        ),
        (r#"{method = "GET", path = "website/x#y"}"#, "'#'"),
        (
            r#"{method = "GET", path = "v1/website/x"}"#,
            "drop the leading v1/",
        ),
        (
            r#"{method = "GET", path = "website/{session_id}"}"#,
            "placeholder",
        ),
        (r#"{method = "GET", path = "website//x"}"#, "empty segment"),
        (
            r#"{method = "get", path = "user/account"}"#,
            "method must be one of",
        ),
        (r#"{method = "GET"}"#, "missing required parameter 'path'"),
        (
            r#"{method = "GET", path = "x", query = {1, 2}}"#,
            "query must be a table with string keys",
        ),
        (
            r#"{method = "GET", path = "x", body = {a = 1}}"#,
            "has no body",
        ),
        (
            r#"{method = "GET", path = "x", quary = {}}"#,
            "did you mean 'query'?",
        ),
    ];
    for (params, needle) in cases {
        let out = eval(&h, &[], &format!("return crisp.request{params}"));
        assert_eq!(out["ok"], false, "{params}: {out}");
        assert_eq!(out["error"]["kind"], "validation", "{params}: {out}");
        let message = out["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{params}: {message}");
    }
    assert!(h.server.requests().is_empty(), "{:?}", h.server.requests());
}

#[test]
fn unknown_routes_answer_404_as_crisp_does_and_tier_rules_hold() {
    let h = Harness::new();
    let out = eval(
        &h,
        &[],
        r#"local ok, e = pcall(crisp.request, {method = "GET", path = "website/{website_id}/no/such/route"})
           return ok, e.kind, e.status, e.reason, tostring(e)"#,
    );
    let v = &out["values"];
    assert_eq!(v[0], false, "{out}");
    assert_eq!(v[1], "http");
    assert_eq!(v[2], 404);
    assert_eq!(v[3], "not_found");
    assert!(v[4].as_str().unwrap().contains("no such route"), "{out}");
    // A user-only route with a plugin token: Crisp's tier refusal, kind auth.
    let mut cmd = h.cmd_as(Tier::Plugin);
    cmd.arg("--json")
        .arg("-e")
        .arg(r#"return crisp.request{method = "GET", path = "user/account/profile"}"#);
    let (status, stdout, _) = run(&mut cmd);
    let line: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(line["error"]["kind"], "auth", "{line}");
    assert_eq!(line["error"]["status"], 403);
    assert_eq!(line["error"]["reason"], "restricted_route_tier");
    assert!(line["error"]["message"]
        .as_str()
        .unwrap()
        .contains("tier 'plugin'"));
    assert_eq!(status, 3);
}

#[test]
fn redirects_are_not_followed_and_head_reads_only_the_status() {
    let elsewhere = FaultyServer::start(vec![]);
    let server = FaultyServer::start(vec![
        Step::json(302, "").header("Location", &format!("{}/user/account", elsewhere.url())),
        Step::json(307, "").header("Location", &format!("{}/x", elsewhere.url())),
        Step::json(200, ""),
        Step::json(404, ""),
    ]);
    let home = tempfile::tempdir().unwrap();
    let mut cmd = common::hermetic(home.path());
    faulty::with_account(&mut cmd, &server.url());
    cmd.arg("--json").arg("-e").arg(
        r#"local function try(p) local ok, e = pcall(crisp.request, p) return ok and e or {e.status, e.reason} end
           local a = try{method = "GET", path = "user/account"}
           local b = try{method = "POST", path = "website/{website_id}/conversation", body = {}}
           local c = crisp.request{method = "HEAD", path = "website/{website_id}/conversation/session_abc123"}
           local ok, d = pcall(crisp.request, {method = "HEAD", path = "website/{website_id}/conversation/session_nope"})
           return a, b, c.status, c.data == nil, d.status, tostring(d)"#,
    );
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        line["values"].as_array().unwrap()[..4],
        json!([[302, "redirect"], [307, "redirect"], 200, true])
            .as_array()
            .unwrap()[..],
        "{line}"
    );
    assert_eq!(line["values"][4], 404, "{line}");
    let message = line["values"][5].as_str().unwrap();
    assert!(
        message.contains("HTTP 404") && message.contains("no such route or resource"),
        "{message}"
    );
    assert_eq!(elsewhere.connections(), 0, "the redirect was followed");
    let methods: Vec<String> = server.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, ["GET", "POST", "HEAD", "HEAD"]);
}

#[test]
fn request_is_in_the_registry_docs() {
    let h = Harness::new();
    let mut cmd = h.bare();
    cmd.args(["doc", "--json"]);
    let registry: Value = serde_json::from_str(&common::stdout_of(&mut cmd)).unwrap();
    let request = registry["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "request")
        .expect("request in doc --json");
    assert_eq!(request["signature"], "request{method, path, query?, body?}");
    assert_eq!(
        request["parameters"][0]["enum"],
        json!(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
    );
    assert!(registry["helpers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["name"] == "watch"));
    let mut cmd = h.bare();
    cmd.args(["doc", "request"]);
    let text = common::stdout_of(&mut cmd);
    assert!(
        text.contains("## request") && text.contains("{website_id}"),
        "{text}"
    );
}

#[test]
fn tab_completes_request_parameters_in_a_terminal() {
    use expectrl::Session;
    let home = tempfile::tempdir().unwrap();
    let mut cmd = common::hermetic(home.path());
    cmd.arg("--demo")
        .arg("--no-pager")
        .arg("--history")
        .arg(home.path().join("h"));
    cmd.env("TERM", "xterm").env("NO_COLOR", "1");
    let mut s = Session::spawn(cmd).expect("spawn in a pty");
    let _ = s.get_process_mut().set_window_size(120, 40);
    s.set_expect_timeout(Some(Duration::from_secs(20)));
    s.expect("crisp:default> ").unwrap();
    s.send("crisp.requ\t").unwrap();
    s.expect("crisp.request").unwrap();
    s.send("{").unwrap();
    s.expect("method, path, query?, body?").unwrap();
    s.send("meth\t").unwrap();
    s.expect("method = ").unwrap();
    s.send("'GET', pa\t").unwrap();
    s.expect("path = ").unwrap();
    s.send("'website/{website_id}'}.data.name\r").unwrap();
    s.expect("Northwind Cloud").unwrap();
    s.send_line(":quit").unwrap();
    s.expect(expectrl::Eof).unwrap();
}
