//! Our requests against Crisp's official node SDK (npm `crisp-api`, pinned in
//! tests/sdk/package.json, installed by .ci/run into .deps/node): for each inbox operation, the
//! real binary and the SDK make the same call against the demo Crisp, and the demo's records of
//! both must agree (method, path, decoded query, JSON body). The SDK's methods for the new
//! routes must also get the answers they expect from the demo.
//!
//! Without node or the package the tests fail, saying what to install: CI installs both.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use common::{stdout_of, Harness};
use crisp_repl::crisp::Tier;
use crisp_repl::demo::{demo_token, seed, RecordedRequest, DEMO_WEBSITE_ID};
use serde_json::{json, Value};

const W: &str = DEMO_WEBSITE_ID;
const SID: &str = seed::REFERENCE_SESSION_ID;
const PRIYA: &str = "b6e1d8f3-2a7c-4e91-8d5b-6c0f4a3e2b17";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The pinned SDK version, and the directory holding its node_modules, or a loud failure that
/// says how to install them.
fn sdk_dir() -> PathBuf {
    let pinned: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/sdk/package.json")).expect("package.json"),
    )
    .expect("valid package.json");
    let version = pinned["dependencies"]["crisp-api"]
        .as_str()
        .expect("a pinned crisp-api");
    let install = format!(
        "install node (apt-get install nodejs npm), then run `npm install --prefix .deps/node crisp-api@{version}` in the repository (.ci/run does both)"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "node is missing: {install}"
    );
    let dir = repo().join(".deps/node");
    let installed = std::fs::read_to_string(dir.join("node_modules/crisp-api/package.json"))
        .unwrap_or_else(|_| panic!("npm crisp-api is not installed in .deps/node: {install}"));
    let installed: Value = serde_json::from_str(&installed).expect("the SDK's package.json");
    assert_eq!(
        installed["version"], version,
        "npm crisp-api in .deps/node is not the pinned version: {install}"
    );
    dir
}

/// One SDK call: `client.<service>.<method>(...args)`.
fn sdk_call(method: &str, args: Value) -> Value {
    json!({"service": "website", "method": method, "args": args})
}

/// Run SDK calls against the harness's demo as `tier`; what each resolved (`ok`, `data`) or
/// rejected with (`error`).
fn run_sdk(h: &Harness, tier: Tier, calls: &[Value]) -> Vec<Value> {
    let token = demo_token(tier);
    let spec = json!({
        "modules": sdk_dir(),
        "host": format!("http://{}", h.server.addr()),
        "tier": tier.as_str(),
        "identifier": token.identifier,
        "key": token.key,
        "calls": calls,
    });
    let file = h.home.path().join("sdk-spec.json");
    std::fs::write(&file, spec.to_string()).expect("write the spec");
    let out = Command::new("node")
        .arg(repo().join("tests/sdk/calls.js"))
        .arg(&file)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Value = serde_json::from_slice(&out.stdout).expect("the SDK runner's JSON");
    results.as_array().expect("an array").clone()
}

/// A request as compared: method, path, decoded query (JSON values decoded too), JSON body.
#[derive(Debug, PartialEq)]
struct Seen {
    method: String,
    path: String,
    query: BTreeMap<String, Value>,
    body: Option<Value>,
    content_type: Option<String>,
}

fn seen(r: &RecordedRequest) -> Seen {
    let query = r
        .query_pairs()
        .into_iter()
        // The page bridge sets its own page size; the SDK's people method has none.
        .filter(|(k, _)| k != "per_page")
        .map(|(k, v)| {
            let decoded = match k.as_str() {
                // Filter arrays travel as JSON text: compare what they say, not key order.
                "search_query" | "search_filter" if v.starts_with('[') => {
                    serde_json::from_str(&v).unwrap_or(Value::String(v))
                }
                _ => Value::String(v),
            };
            (k, decoded)
        })
        .collect();
    let body = (!r.body.is_empty()).then(|| serde_json::from_str(&r.body).expect("JSON body"));
    Seen {
        method: r.method.clone(),
        path: r.path.clone(),
        query,
        content_type: body
            .as_ref()
            .and(r.header("Content-Type").map(str::to_string)),
        body,
    }
}

/// Run one Lua call with the binary and one SDK call, and compare the requests: the SDK's one
/// request must be among ours (an email lookup may come first; the page bridge may read one
/// page more to know whether more exist).
fn compare(lua: &str, call: Value) -> Vec<Value> {
    let h = Harness::new();
    stdout_of(h.cmd().args(["-e", lua]));
    let ours: Vec<Seen> = h.server.requests().iter().map(seen).collect();
    h.server.clear_requests();
    let results = run_sdk(&h, Tier::User, std::slice::from_ref(&call));
    let theirs: Vec<Seen> = h.server.requests().iter().map(seen).collect();
    assert_eq!(theirs.len(), 1, "{call}: {theirs:?}");
    assert!(
        ours.contains(&theirs[0]),
        "{lua} vs the SDK's {call}:\nours: {ours:#?}\nSDK: {:#?}",
        theirs[0]
    );
    results
}

#[test]
fn list_conversations_options_match_the_sdk() {
    compare(
        "crisp.list_conversations{per_page = 20, search_query = 'refund + invoice', \
         filter_inbox_id = 'inbox-1', filter_unread = true, filter_resolved = false, \
         filter_not_resolved = true, filter_mention = false, filter_assigned = 'u-1', \
         filter_unassigned = false, include_empty = true, \
         filter_date_start = '2026-10-01T00:00:00.000Z', filter_date_end = '2026-11-01T12:00:00Z', \
         order_date_created = false, order_date_updated = true, order_date_waiting = false}",
        sdk_call(
            "listConversations",
            json!([W, 1, {
                "per_page": 21,
                "search_type": "text",
                "search_query": "refund + invoice",
                "include_empty": 1,
                "filter_inbox_id": "inbox-1",
                "filter_unread": 1,
                "filter_resolved": 0,
                "filter_not_resolved": 1,
                "filter_mention": 0,
                "filter_assigned": "u-1",
                "filter_unassigned": 0,
                "filter_date_start": "2026-10-01T00:00:00.000Z",
                "filter_date_end": "2026-11-01T12:00:00Z",
                "order_date_created": 0,
                "order_date_updated": 1,
                "order_date_waiting": 0,
            }]),
        ),
    );
}

#[test]
fn segment_and_filter_searches_match_the_sdk() {
    compare(
        "crisp.list_conversations{per_page = 20, search_type = 'segment', search_query = 'vip'}",
        sdk_call(
            "listConversations",
            json!([W, 1, {"per_page": 21, "search_type": "segment", "search_query": "vip"}]),
        ),
    );
    compare(
        "crisp.list_conversations{page = 2, per_page = 50, search_operator = 'or', search_filter = { \
           {model = 'session', criterion = 'segments', operator = 'eq', query = {'vip', 'billing'}}, \
           {model = 'session', criterion = 'state', operator = 'neq', query = 'resolved'}}}",
        sdk_call(
            "listConversations",
            json!([W, 2, {
                "per_page": 50,
                "search_type": "filter",
                "search_operator": "or",
                "search_query": [
                    {"model": "session", "criterion": "segments", "operator": "eq", "query": ["vip", "billing"]},
                    {"model": "session", "criterion": "state", "operator": "neq", "query": ["resolved"]},
                ],
            }]),
        ),
    );
}

#[test]
fn list_contacts_search_matches_the_sdk() {
    compare(
        "crisp.list_contacts{search_text = 'jo smith', sort_field = 'nickname', sort_order = 'descending', \
         search_operator = 'and', search_filter = {{model = 'people', criterion = 'segments', operator = 'eq', query = {'enterprise'}}}}",
        sdk_call(
            "listPeopleProfiles",
            json!([W, 1, "nickname", "descending", "and",
                [{"model": "people", "criterion": "segments", "operator": "eq", "query": ["enterprise"]}],
                "jo smith"]),
        ),
    );
    compare(
        "crisp.list_contacts{search_text = 'acme'}",
        sdk_call(
            "listPeopleProfiles",
            json!([W, 1, null, null, null, null, "acme"]),
        ),
    );
}

#[test]
fn conversation_writes_match_the_sdk() {
    compare(
        &format!("crisp.set_conversation_state{{conversation_id = '{SID}', state = 'resolved'}}"),
        sdk_call("changeConversationState", json!([W, SID, "resolved"])),
    );
    compare(
        &format!(
            "crisp.mark_read{{conversation_id = '{SID}', fingerprints = {{163613151617340, 2}}}}"
        ),
        sdk_call(
            "markMessagesReadInConversation",
            json!([W, SID, {"from": "operator", "origin": "chat", "fingerprints": [163613151617340i64, 2]}]),
        ),
    );
    compare(
        &format!("crisp.mark_read{{conversation_id = '{SID}'}}"),
        sdk_call(
            "markMessagesReadInConversation",
            json!([W, SID, {"from": "operator", "origin": "chat"}]),
        ),
    );
    compare(
        &format!("crisp.assign_conversation{{conversation_id = '{SID}', user_id = '{PRIYA}'}}"),
        sdk_call(
            "assignConversationRouting",
            json!([W, SID, {"assigned": {"user_id": PRIYA}}]),
        ),
    );
    compare(
        &format!("crisp.assign_conversation{{conversation_id = '{SID}', user_id = false}}"),
        sdk_call(
            "assignConversationRouting",
            json!([W, SID, {"assigned": null}]),
        ),
    );
    compare(
        &format!(
            "crisp.update_conversation_meta{{conversation_id = '{SID}', nickname = 'Sam Lee', email = 'sam+vip@example.com', \
             phone = '+1 555 0100', subject = 'Refund', segments = {{'vip'}}, data = {{plan = 'team', seats = 3, trial = false}}}}"
        ),
        sdk_call(
            "updateConversationMetas",
            json!([W, SID, {
                "nickname": "Sam Lee", "email": "sam+vip@example.com", "phone": "+1 555 0100",
                "subject": "Refund", "segments": ["vip"], "data": {"plan": "team", "seats": 3, "trial": false},
            }]),
        ),
    );
}

#[test]
fn operators_and_contact_conversations_match_the_sdk() {
    let results = compare(
        "crisp.list_operators{}",
        sdk_call("listWebsiteOperators", json!([W])),
    );
    let operators = results[0]["data"]
        .as_array()
        .expect("an array of operators");
    assert_eq!(operators.len(), 5);
    assert!(operators
        .iter()
        .all(|o| o["details"]["user_id"].is_string() && o["details"]["role"].is_string()));
    let profile = seed::generate(seed::DEFAULT_CONVERSATIONS).conversations[0].clone();
    let people_id = profile["people_id"].as_str().unwrap();
    let email = profile["meta"]["email"].as_str().unwrap();
    // By email: we look the people id up first; the SDK is called with it.
    let results = compare(
        &format!("crisp.list_contact_conversations{{contact_id = '{email}'}}"),
        sdk_call("listPeopleConversations", json!([W, people_id, 1])),
    );
    let ids = results[0]["data"].as_array().expect("session ids");
    assert!(ids.iter().any(|id| id == SID), "{ids:?}");
    compare(
        &format!("crisp.list_contact_conversations{{contact_id = '{people_id}', page = 3}}"),
        sdk_call("listPeopleConversations", json!([W, people_id, 3])),
    );
}

/// The SDK's own methods for the new routes, against the demo: every call resolves with the
/// data it expects, writes show in the SDK's later reads, and errors reject as Crisp's do.
#[test]
fn the_sdk_gets_the_answers_it_expects_from_the_demo() {
    let h = Harness::new();
    let calls = [
        sdk_call("changeConversationState", json!([W, SID, "resolved"])),
        sdk_call("getConversationState", json!([W, SID])),
        sdk_call(
            "assignConversationRouting",
            json!([W, SID, {"assigned": {"user_id": PRIYA}}]),
        ),
        sdk_call("getConversationRoutingAssign", json!([W, SID])),
        sdk_call(
            "updateConversationMetas",
            json!([W, SID, {"segments": ["vip"], "data": {"plan": "team"}}]),
        ),
        sdk_call("getConversationMetas", json!([W, SID])),
        sdk_call(
            "markMessagesReadInConversation",
            json!([W, SID, {"from": "operator", "origin": "chat"}]),
        ),
        sdk_call("getConversation", json!([W, SID])),
        sdk_call(
            "listConversations",
            json!([W, 1, {"filter_assigned": PRIYA, "filter_resolved": 1}]),
        ),
        sdk_call(
            "listConversations",
            json!([W, 1, {"search_type": "filter", "search_query": [{"model": "session", "criterion": "segments", "operator": "eq", "query": ["vip"]}]}]),
        ),
        sdk_call("listWebsiteOperators", json!([W])),
        sdk_call("listPeopleProfiles", json!([W, 1, "nickname", "ascending"])),
        sdk_call(
            "changeConversationState",
            json!([W, "session_nope", "resolved"]),
        ),
        sdk_call(
            "markMessagesReadInConversation",
            json!([W, SID, {"from": "operator"}]),
        ),
        sdk_call("listConversations", json!([W, 1, {"filter_unread": "yes"}])),
    ];
    let r = run_sdk(&h, Tier::Plugin, &calls);
    for (i, result) in r.iter().take(12).enumerate() {
        assert_eq!(result["ok"], true, "call {i} ({}): {result}", calls[i]);
    }
    assert_eq!(r[0]["data"], json!({}));
    assert_eq!(r[1]["data"], json!({"state": "resolved"}));
    assert_eq!(r[3]["data"], json!({"assigned": {"user_id": PRIYA}}));
    assert_eq!(r[5]["data"]["segments"], json!(["vip"]));
    assert_eq!(r[5]["data"]["data"]["plan"], "team");
    assert_eq!(r[7]["data"]["state"], "resolved");
    assert_eq!(r[7]["data"]["unread"]["operator"], 0);
    assert_eq!(r[7]["data"]["assigned"]["user_id"], PRIYA);
    let ids: Vec<&Value> = r[8]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["session_id"])
        .collect();
    assert!(ids.contains(&&json!(SID)), "{ids:?}");
    assert!(r[8]["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["state"] == "resolved" && c["assigned"]["user_id"] == PRIYA));
    assert_eq!(r[9]["data"][0]["session_id"], SID);
    assert_eq!(r[10]["data"][1]["details"]["user_id"], PRIYA);
    let names: Vec<&str> = r[11]["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["person"]["nickname"].as_str())
        .collect();
    assert!(
        names
            .windows(2)
            .all(|w| w[0].to_lowercase() <= w[1].to_lowercase()),
        "{names:?}"
    );
    // Errors reject with Crisp's status and reason, as the SDK reads them.
    assert_eq!(r[12]["ok"], false);
    assert_eq!(r[12]["error"]["code"], 404);
    assert_eq!(r[12]["error"]["message"], "not_found");
    assert_eq!(r[13]["error"]["code"], 400);
    assert_eq!(r[13]["error"]["message"], "invalid_data");
    assert_eq!(r[14]["error"]["code"], 400);
}
