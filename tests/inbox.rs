//! Working the inbox through the real binary against the demo Crisp on loopback: search,
//! filters and order on the lists, the conversation writes, operators and a contact's
//! conversations. Each test checks the exact request on the wire, what the demo holds after
//! it, and that bad input is refused before any request.

mod common;

use std::collections::BTreeMap;

use common::Harness;
use crisp_repl::crisp::Tier;
use crisp_repl::demo::{seed, Fault, RecordedRequest, DEMO_WEBSITE_ID};
use serde_json::{json, Value};

/// Run `lua` with `--json` (plus `flags`) as `tier`; the first returned value, or the error
/// object when the evaluation failed.
fn eval_as(h: &Harness, tier: Tier, flags: &[&str], lua: &str) -> Value {
    let out = h
        .cmd_as(tier)
        .args(flags)
        .args(["--json", "-e", lua])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_else(|| {
        panic!(
            "no output; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let result: Value = serde_json::from_str(line).expect("one JSON line");
    if result["ok"] == true {
        result["values"][0].clone()
    } else {
        json!({"error": result["error"]})
    }
}

fn eval(h: &Harness, lua: &str) -> Value {
    eval_as(h, Tier::User, &[], lua)
}

/// The error message of a failed evaluation (panics when it succeeded).
fn error_of(result: &Value) -> String {
    result["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error, got {result}"))
        .to_string()
}

fn query_map(r: &RecordedRequest) -> BTreeMap<String, String> {
    r.query_pairs().into_iter().collect()
}

fn conversation_path(sid: &str, rest: &str) -> String {
    format!("/v1/website/{DEMO_WEBSITE_ID}/conversation/{sid}/{rest}")
}

fn body_of(r: &RecordedRequest) -> Value {
    serde_json::from_str(&r.body).expect("a JSON body")
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("an array")
        .iter()
        .map(|c| c["session_id"].as_str().expect("session_id").to_string())
        .collect()
}

/// A conversation that is open, unassigned... picked from the seed by a predicate.
fn seeded(pred: impl Fn(&Value) -> bool) -> Value {
    seed::generate(seed::DEFAULT_CONVERSATIONS)
        .conversations
        .into_iter()
        .find(|c| pred(c))
        .expect("the seed has one")
}

const ALEX: &str = "3f9a2c71-8b4e-4d25-a6c3-1e7b9d0f5a42";
const PRIYA: &str = "b6e1d8f3-2a7c-4e91-8d5b-6c0f4a3e2b17";

#[test]
fn list_options_go_on_the_wire_as_the_sdk_sends_them() {
    let h = Harness::new();
    let r = eval(
        &h,
        "return crisp.list_conversations{per_page = 20, search_query = 'refund please', \
         include_empty = false, filter_inbox_id = 'inbox-1', filter_unread = true, \
         filter_resolved = false, filter_not_resolved = true, filter_mention = false, \
         filter_assigned = 'u-1', filter_unassigned = false, \
         filter_date_start = '2026-10-01T00:00:00Z', filter_date_end = '2026-11-01T12:00:00.000Z', \
         order_date_created = false, order_date_updated = true, order_date_waiting = false}",
    );
    assert!(r["data"].is_array(), "{r}");
    let reqs = h.requests_to("/conversations/");
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(
        reqs[0].path,
        format!("/v1/website/{DEMO_WEBSITE_ID}/conversations/1")
    );
    let expected: BTreeMap<String, String> = [
        ("per_page", "21"),
        ("search_query", "refund please"),
        ("search_type", "text"),
        ("include_empty", "0"),
        ("filter_inbox_id", "inbox-1"),
        ("filter_unread", "1"),
        ("filter_resolved", "0"),
        ("filter_not_resolved", "1"),
        ("filter_mention", "0"),
        ("filter_assigned", "u-1"),
        ("filter_unassigned", "0"),
        ("filter_date_start", "2026-10-01T00:00:00Z"),
        ("filter_date_end", "2026-11-01T12:00:00.000Z"),
        ("order_date_created", "0"),
        ("order_date_updated", "1"),
        ("order_date_waiting", "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(query_map(&reqs[0]), expected);
    // Options left out are not sent at all.
    h.server.clear_requests();
    eval(&h, "return crisp.list_conversations{per_page = 20}");
    let keys: Vec<String> = query_map(&h.requests_to("/conversations/")[0])
        .into_keys()
        .collect();
    assert_eq!(keys, ["per_page"]);
}

#[test]
fn filter_search_sends_the_conditions_as_json_in_search_query() {
    let h = Harness::new();
    eval(
        &h,
        "return crisp.list_conversations{search_operator = 'or', search_filter = { \
           {model = 'session', criterion = 'segments', operator = 'eq', query = {'vip'}}, \
           {model = 'session', criterion = 'state', operator = 'eq', query = 'pending'}}}",
    );
    let q = query_map(&h.requests_to("/conversations/")[0]);
    assert_eq!(q["search_type"], "filter");
    assert_eq!(q["search_operator"], "or");
    let conditions: Value = serde_json::from_str(&q["search_query"]).unwrap();
    assert_eq!(
        conditions,
        json!([
            {"model": "session", "criterion": "segments", "operator": "eq", "query": ["vip"]},
            {"model": "session", "criterion": "state", "operator": "eq", "query": ["pending"]},
        ])
    );
}

#[test]
fn bad_list_options_are_refused_before_any_request() {
    let h = Harness::new();
    let cases = [
        ("crisp.list_conversations{filter_unread = 1}", "filter_unread must be a boolean"),
        ("crisp.list_conversations{search_type = 'words'}", "search_type must be one of"),
        ("crisp.list_conversations{filter_date_start = '2026-13-01'}", "ISO 8601"),
        ("crisp.list_conversations{filter_date_end = 'yesterday'}", "filter_date_end must be an ISO 8601"),
        ("crisp.list_conversations{search_operator = 'or', search_query = 'x'}", "search_operator only combines"),
        ("crisp.list_conversations{search_type = 'filter'}", "needs search_filter"),
        ("crisp.list_conversations{search_query = 'x', search_filter = {{model = 'session', criterion = 'state', operator = 'eq', query = {'x'}}}}", "not both"),
        ("crisp.list_conversations{search_filter = {{model = 'session', criterion = 'state', query = {'x'}}}}", "search_filter[1] is missing 'operator'"),
        ("crisp.list_conversations{search_filter = {{model = 'session', criterion = 'state', operator = 'eq'}}}", "search_filter[1] is missing 'query'"),
        ("crisp.list_conversations{search_filter = {{model = 'session', criterion = 'state', operator = 'eq', query = {1}}}}", "query must be a string or an array of strings"),
        ("crisp.list_conversations{filter_asigned = 'x'}", "did you mean 'filter_assigned'?"),
        ("crisp.list_contacts{sort_order = 'up'}", "sort_order must be one of"),
        ("crisp.list_contacts{search_operator = 'and'}", "search_operator only combines"),
        ("crisp.all(crisp.list_conversations, {filter_date_start = 'soon'})", "ISO 8601"),
        ("for c in crisp.paginate(crisp.list_conversations, {search_type = 'filter'}) do end", "needs search_filter"),
    ];
    for (lua, expected) in cases {
        let r = eval(&h, lua);
        let msg = error_of(&r);
        assert!(msg.contains(expected), "{lua}: {msg}");
        assert_eq!(r["error"]["kind"], "validation", "{lua}");
    }
    assert!(h.server.requests().is_empty(), "{:?}", h.server.requests());
}

#[test]
fn filters_work_across_pages_with_all_and_paginate() {
    let h = Harness::new();
    let truth: Vec<String> = h
        .server
        .conversations()
        .into_iter()
        .filter(|c| c["unread"]["operator"].as_i64().unwrap_or(0) > 0)
        .map(|c| c["session_id"].as_str().unwrap().to_string())
        .collect();
    assert!(truth.len() > 5, "the seed has unread conversations");
    let all = eval(
        &h,
        "return crisp.all(crisp.list_conversations, {filter_unread = true})",
    );
    assert_eq!(ids(&all), truth);
    assert!(h
        .requests_to("/conversations/")
        .iter()
        .all(|r| r.query_param("filter_unread").as_deref() == Some("1")));
    let paged = eval(
        &h,
        "local out = {} for c in crisp.paginate(crisp.list_conversations, {filter_unread = true}) do out[#out + 1] = c end return out",
    );
    assert_eq!(ids(&paged), truth);
    // A Lua page through the bridge: the second page of 3.
    let page = eval(
        &h,
        "return crisp.list_conversations{filter_unread = true, page = 2, per_page = 3}",
    );
    assert_eq!(ids(&page["data"]), truth[3..6]);
}

#[test]
fn text_search_matches_message_text_nicknames_and_emails() {
    let h = Harness::new();
    let target = seeded(|c| c["meta"]["email"].is_string());
    let sid = target["session_id"].as_str().unwrap();
    let email = target["meta"]["email"].as_str().unwrap();
    let nickname = target["meta"]["nickname"].as_str().unwrap();
    let text = h
        .server
        .messages(sid)
        .iter()
        .find_map(|m| m["content"].as_str().map(str::to_string))
        .expect("a text message");
    let word = text
        .split_whitespace()
        .max_by_key(|w| w.len())
        .unwrap()
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_uppercase();
    for query in [email.to_string(), nickname.to_string(), word] {
        let found = eval(
            &h,
            &format!("return crisp.all(crisp.list_conversations, {{search_query = {query:?}}})"),
        );
        let found = ids(&found);
        assert!(found.iter().any(|id| id == sid), "{query}: {found:?}");
        assert!(found.len() < 180, "{query} matched everything");
    }
    let none = eval(
        &h,
        "return crisp.list_conversations{search_query = 'zzqxj-no-such-word'}",
    );
    assert_eq!(none["data"], json!([]));
}

#[test]
fn state_changes_persist_in_lists_and_get_conversation() {
    let h = Harness::new();
    let open = seeded(|c| c["state"] != "resolved");
    let sid = open["session_id"].as_str().unwrap();
    let r = eval(
        &h,
        &format!(
            "return crisp.set_conversation_state{{conversation_id = '{sid}', state = 'resolved'}}"
        ),
    );
    assert_eq!(r["updated"], true, "{r}");
    assert_eq!(r["state"], "resolved");
    let patch = &h.requests_to("/state")[0];
    assert_eq!(patch.method, "PATCH");
    assert_eq!(patch.path, conversation_path(sid, "state"));
    assert_eq!(patch.header("Content-Type"), Some("application/json"));
    assert_eq!(body_of(patch), json!({"state": "resolved"}));
    let got = eval(
        &h,
        &format!("return crisp.get_conversation{{conversation_id = '{sid}'}}.conversation.state"),
    );
    assert_eq!(got, "resolved");
    let resolved = eval(
        &h,
        "return crisp.all(crisp.list_conversations, {filter_resolved = true})",
    );
    assert!(ids(&resolved).iter().any(|id| id == sid));
    let open_list = eval(
        &h,
        "return crisp.all(crisp.list_conversations, {filter_not_resolved = true})",
    );
    assert!(!ids(&open_list).iter().any(|id| id == sid));
    let bad = eval(
        &h,
        &format!(
            "return crisp.set_conversation_state{{conversation_id = '{sid}', state = 'closed'}}"
        ),
    );
    assert!(
        error_of(&bad).contains(r#"state must be one of "pending" | "unresolved" | "resolved""#)
    );
    let missing = eval(
        &h,
        "return crisp.set_conversation_state{conversation_id = 'session_nope', state = 'pending'}",
    );
    assert!(
        error_of(&missing).contains("conversation 'session_nope' does not exist"),
        "{missing}"
    );
}

#[test]
fn mark_read_sends_from_origin_and_fingerprints_and_clears_unread() {
    let h = Harness::new();
    let unread = seeded(|c| c["unread"]["operator"].as_i64().unwrap_or(0) >= 2);
    let sid = unread["session_id"].as_str().unwrap();
    let last = h
        .server
        .messages(sid)
        .last()
        .and_then(|m| m["fingerprint"].as_i64())
        .unwrap();
    let r = eval(
        &h,
        &format!("return crisp.mark_read{{conversation_id = '{sid}', fingerprints = {{{last}}}}}"),
    );
    assert_eq!(r["updated"], true, "{r}");
    let patch = &h.requests_to("/read")[0];
    assert_eq!(patch.method, "PATCH");
    assert_eq!(patch.path, conversation_path(sid, "read"));
    assert_eq!(
        body_of(patch),
        json!({"from": "operator", "origin": "chat", "fingerprints": [last]})
    );
    // The newest message is read; older unread ones before it no longer count as waiting.
    let c = h.server.conversation(sid).unwrap();
    assert_eq!(c["unread"]["operator"], 0);
    h.server.clear_requests();
    let other =
        seeded(|c| c["unread"]["operator"].as_i64().unwrap_or(0) > 0 && c["session_id"] != sid);
    let other_id = other["session_id"].as_str().unwrap();
    eval(
        &h,
        &format!("return crisp.mark_read{{conversation_id = '{other_id}'}}"),
    );
    assert_eq!(
        body_of(&h.requests_to("/read")[0]),
        json!({"from": "operator", "origin": "chat"})
    );
    let still_unread = eval(
        &h,
        "return crisp.all(crisp.list_conversations, {filter_unread = true})",
    );
    let still = ids(&still_unread);
    assert!(!still.iter().any(|id| id == sid || id == other_id));
    for m in h.server.messages(other_id) {
        if m["from"] == "user" {
            assert_eq!(m["read"], "chat", "{m}");
        }
    }
    let bad = eval(
        &h,
        &format!("return crisp.mark_read{{conversation_id = '{sid}', fingerprints = {{'x'}}}}"),
    );
    assert!(error_of(&bad).contains("fingerprints[1] must be an integer, got string"));
}

#[test]
fn assign_and_unassign_show_in_filters() {
    let h = Harness::new();
    let sid = seed::REFERENCE_SESSION_ID;
    let r = eval(
        &h,
        &format!(
            "return crisp.assign_conversation{{conversation_id = '{sid}', user_id = '{PRIYA}'}}"
        ),
    );
    assert_eq!(r["assigned"], PRIYA, "{r}");
    let patch = &h.requests_to("/routing")[0];
    assert_eq!(patch.method, "PATCH");
    assert_eq!(patch.path, conversation_path(sid, "routing"));
    assert_eq!(body_of(patch), json!({"assigned": {"user_id": PRIYA}}));
    let priya = eval(
        &h,
        &format!("return crisp.all(crisp.list_conversations, {{filter_assigned = '{PRIYA}'}})"),
    );
    let priya = priya.as_array().unwrap();
    assert!(priya.iter().any(|c| c["session_id"] == sid));
    assert!(priya.iter().all(|c| c["assigned"]["user_id"] == PRIYA));
    h.server.clear_requests();
    let r = eval(
        &h,
        &format!("return crisp.assign_conversation{{conversation_id = '{sid}', user_id = false}}"),
    );
    assert_eq!(r["updated"], true, "{r}");
    assert!(r.get("assigned").is_none_or(Value::is_null), "{r}");
    assert_eq!(
        body_of(&h.requests_to("/routing")[0]),
        json!({"assigned": null})
    );
    assert!(h
        .server
        .conversation(sid)
        .unwrap()
        .get("assigned")
        .is_none());
    let unassigned = eval(
        &h,
        "return crisp.all(crisp.list_conversations, {filter_unassigned = true})",
    );
    assert!(ids(&unassigned).iter().any(|id| id == sid));
    // Crisp refuses an id that is not an operator; the error says where the ids are.
    let bad = eval(
        &h,
        &format!(
            "return crisp.assign_conversation{{conversation_id = '{sid}', user_id = 'nobody'}}"
        ),
    );
    assert!(error_of(&bad).contains("list_operators"), "{bad}");
    let bad = eval(
        &h,
        &format!("return crisp.assign_conversation{{conversation_id = '{sid}', user_id = true}}"),
    );
    assert!(
        error_of(&bad).contains("user_id must be a string or false"),
        "{bad}"
    );
}

#[test]
fn meta_updates_send_only_given_fields_and_persist() {
    let h = Harness::new();
    let sid = seed::REFERENCE_SESSION_ID;
    let r = eval(
        &h,
        &format!(
            "return crisp.update_conversation_meta{{conversation_id = '{sid}', subject = 'Refund', \
             segments = {{'vip', 'billing'}}, data = {{plan = 'team', seats = 12}}}}"
        ),
    );
    assert_eq!(r["updated"], true, "{r}");
    let patch = &h.requests_to("/meta")[0];
    assert_eq!(patch.method, "PATCH");
    assert_eq!(patch.path, conversation_path(sid, "meta"));
    assert_eq!(
        body_of(patch),
        json!({"subject": "Refund", "segments": ["vip", "billing"], "data": {"plan": "team", "seats": 12}})
    );
    let meta = &h.server.conversation(sid).unwrap()["meta"];
    assert_eq!(meta["subject"], "Refund");
    assert_eq!(meta["segments"], json!(["vip", "billing"]));
    assert_eq!(meta["data"]["plan"], "team");
    let got = eval(
        &h,
        &format!(
            "return crisp.get_conversation{{conversation_id = '{sid}'}}.conversation.meta.segments"
        ),
    );
    assert_eq!(got, json!(["vip", "billing"]));
    let vip = eval(
        &h,
        "return crisp.all(crisp.list_conversations, {search_type = 'segment', search_query = 'billing'})",
    );
    assert!(ids(&vip).iter().any(|id| id == sid));
    let filtered = eval(
        &h,
        "return crisp.all(crisp.list_conversations, {search_filter = {{model = 'session', criterion = 'segments', operator = 'eq', query = {'billing'}}}})",
    );
    assert!(ids(&filtered).iter().any(|id| id == sid));
    h.server.clear_requests();
    let r = eval(
        &h,
        &format!("return crisp.update_conversation_meta{{conversation_id = '{sid}'}}"),
    );
    assert!(error_of(&r).contains("nothing to update: give at least one of nickname, email"));
    let r = eval(
        &h,
        &format!(
            "return crisp.update_conversation_meta{{conversation_id = '{sid}', segments = {{1}}}}"
        ),
    );
    assert!(error_of(&r).contains("segments[1] must be a string, got number"));
    let r = eval(
        &h,
        &format!(
            "return crisp.update_conversation_meta{{conversation_id = '{sid}', data = {{'a'}}}}"
        ),
    );
    assert!(error_of(&r).contains("data must be a table with string keys"));
    assert!(h.server.requests().is_empty());
}

#[test]
fn operators_are_listed_flat_with_ids_usable_for_assignment() {
    let h = Harness::new();
    let ops = eval(&h, "return crisp.list_operators{}.data");
    let reqs = h.server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(
        reqs[0].path,
        format!("/v1/website/{DEMO_WEBSITE_ID}/operators/list")
    );
    assert_eq!(reqs[0].query, "");
    let ops = ops.as_array().unwrap();
    assert_eq!(ops.len(), 5);
    assert_eq!(ops[0]["user_id"], ALEX);
    assert_eq!(ops[0]["name"], "Alex Morgan");
    assert_eq!(ops[0]["email"], "alex.morgan@northwind.cloud");
    assert_eq!(ops[0]["role"], "owner");
    for op in ops {
        for field in ["user_id", "name", "email", "role", "availability"] {
            assert!(op[field].is_string(), "{field} in {op}");
        }
    }
    let r = eval(
        &h,
        &format!(
            "local op = crisp.list_operators{{}}.data[5] \
             crisp.assign_conversation{{conversation_id = '{}', user_id = op.user_id}} \
             return #crisp.all(crisp.list_conversations, {{filter_assigned = op.user_id}}) > 0",
            seed::REFERENCE_SESSION_ID
        ),
    );
    assert_eq!(r, true);
}

#[test]
fn contact_conversations_by_email_resolve_the_people_id_first() {
    let h = Harness::new();
    let target = seeded(|c| c["meta"]["email"].is_string());
    let email = target["meta"]["email"].as_str().unwrap();
    let people_id = target["people_id"].as_str().unwrap();
    let truth: Vec<Value> = h
        .server
        .conversations()
        .into_iter()
        .filter(|c| c["people_id"] == people_id)
        .map(|c| c["session_id"].clone())
        .collect();
    let r = eval(
        &h,
        &format!("return crisp.list_contact_conversations{{contact_id = '{email}'}}"),
    );
    assert_eq!(r["data"], Value::Array(truth.clone()), "{r}");
    assert_eq!(r["people_id"], people_id);
    assert_eq!(r["page"], 1);
    let reqs = h.server.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(
        reqs[0].path,
        format!(
            "/v1/website/{DEMO_WEBSITE_ID}/people/profile/{}",
            email.replace('@', "%40").replace('+', "%2B")
        )
    );
    assert_eq!(
        reqs[1].path,
        format!("/v1/website/{DEMO_WEBSITE_ID}/people/conversations/{people_id}/list/1")
    );
    h.server.clear_requests();
    let r = eval(
        &h,
        &format!("return crisp.list_contact_conversations{{contact_id = '{people_id}', page = 2}}"),
    );
    assert_eq!(r["data"], json!([]));
    let reqs = h.server.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert!(reqs[0]
        .path
        .ends_with(&format!("/people/conversations/{people_id}/list/2")));
    // The API reference's placeholder address has no '@' and is still an email to Crisp.
    h.server.clear_requests();
    let r = eval(
        &h,
        &format!(
            "return crisp.list_contact_conversations{{contact_id = '{}'}}",
            seed::PLACEHOLDER_EMAIL
        ),
    );
    assert_eq!(r["data"], json!([]), "{r}");
    assert_eq!(h.server.requests().len(), 2);
    let r = eval(
        &h,
        "return crisp.list_contact_conversations{contact_id = 'nobody@example.com'}",
    );
    assert!(
        error_of(&r).contains("contact 'nobody@example.com' does not exist"),
        "{r}"
    );
}

#[test]
fn contacts_search_sort_and_filter() {
    let h = Harness::new();
    let r = eval(
        &h,
        "return crisp.list_contacts{per_page = 50, search_text = 'a', sort_field = 'nickname', \
         sort_order = 'descending', search_operator = 'or', \
         search_filter = {{model = 'people', criterion = 'segments', operator = 'eq', query = {'enterprise'}}}}",
    );
    assert!(r["data"].is_array(), "{r}");
    let req = &h.requests_to("/people/profiles/")[0];
    assert_eq!(
        req.path,
        format!("/v1/website/{DEMO_WEBSITE_ID}/people/profiles/1")
    );
    let q = query_map(req);
    assert_eq!(q["search_text"], "a");
    assert_eq!(q["sort_field"], "nickname");
    assert_eq!(q["sort_order"], "descending");
    assert_eq!(q["search_operator"], "or");
    let filter: Value = serde_json::from_str(&q["search_filter"]).unwrap();
    assert_eq!(
        filter,
        json!([{"model": "people", "criterion": "segments", "operator": "eq", "query": ["enterprise"]}])
    );
    // Sorted by nickname, A to Z, across pages.
    let sorted = eval(
        &h,
        "local out = {} for c in crisp.paginate(crisp.list_contacts, {sort_field = 'nickname', sort_order = 'ascending'}) do out[#out + 1] = c.person.nickname or '' end return out",
    );
    let names: Vec<String> = sorted
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_lowercase())
        .collect();
    assert!(names.len() > 100);
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
    // A text search finds a contact by email.
    let first = h.server.conversations()[0]["meta"]["email"]
        .as_str()
        .unwrap()
        .to_string();
    let found = eval(
        &h,
        &format!("return crisp.list_contacts{{search_text = '{first}'}}.data[1].email"),
    );
    assert_eq!(
        found.as_str().map(str::to_lowercase),
        Some(first.to_lowercase())
    );
}

const WRITES: [&str; 4] = [
    "crisp.set_conversation_state{conversation_id = 'session_abc123', state = 'resolved'}",
    "crisp.mark_read{conversation_id = 'session_abc123', fingerprints = {1, 2}}",
    "crisp.assign_conversation{conversation_id = 'session_abc123', user_id = false}",
    "crisp.update_conversation_meta{conversation_id = 'session_abc123', nickname = 'Sam'}",
];

#[test]
fn read_only_refuses_every_write_before_any_request() {
    let h = Harness::new();
    for call in WRITES {
        let r = eval_as(&h, Tier::User, &["--read-only"], &format!("return {call}"));
        let msg = error_of(&r);
        assert!(msg.contains("read-only"), "{call}: {msg}");
        assert_eq!(r["error"]["kind"], "validation");
    }
    assert!(h.server.requests().is_empty());
    // Reads still work.
    let ops = eval_as(
        &h,
        Tier::User,
        &["--read-only"],
        "return #crisp.list_operators{}.data",
    );
    assert_eq!(ops, 5);
}

#[test]
fn dry_run_describes_every_write_exactly_and_sends_nothing() {
    let h = Harness::new();
    let expected = [
        ("state", json!({"state": "resolved"})),
        (
            "read",
            json!({"from": "operator", "origin": "chat", "fingerprints": [1, 2]}),
        ),
        ("routing", json!({"assigned": null})),
        ("meta", json!({"nickname": "Sam"})),
    ];
    for (call, (route, body)) in WRITES.iter().zip(expected) {
        let r = eval_as(&h, Tier::User, &["--dry-run"], &format!("return {call}"));
        assert_eq!(r["dry_run"], true, "{call}: {r}");
        assert_eq!(r["updated"], false);
        assert_eq!(r["request"]["method"], "PATCH");
        assert_eq!(
            r["request"]["url"],
            format!(
                "{}{}",
                h.server.url().trim_end_matches("/v1"),
                conversation_path("session_abc123", route)
            )
        );
        let text: Value =
            serde_json::from_str(r["request"]["body_json"].as_str().unwrap()).unwrap();
        assert_eq!(text, body, "{call}");
    }
    assert!(h.server.requests().is_empty(), "{:?}", h.server.requests());
    assert_eq!(
        h.server.conversation("session_abc123"),
        Harness::new().server.conversation("session_abc123")
    );
}

#[test]
fn new_routes_serve_user_and_plugin_tokens_and_explain_tier_refusals() {
    let h = Harness::new();
    for tier in [Tier::User, Tier::Plugin] {
        let n = eval_as(&h, tier, &[], "return #crisp.list_operators{}.data");
        assert_eq!(n, 5, "{tier:?}");
        let r = eval_as(
            &h,
            tier,
            &[],
            "return crisp.set_conversation_state{conversation_id = 'session_abc123', state = 'unresolved'}.updated",
        );
        assert_eq!(r, true, "{tier:?}");
    }
    // Crisp refuses a route to a tier or a plugin token without the scope.
    h.server.push_fault(Fault::envelope(
        "/operators/list",
        403,
        "restricted_route_tier",
    ));
    let r = eval_as(&h, Tier::Plugin, &[], "return crisp.list_operators{}");
    let msg = error_of(&r);
    assert!(msg.contains("tier 'plugin'"), "{msg}");
    assert!(msg.contains("website:operators"), "{msg}");
    h.server
        .push_fault(Fault::envelope("/state", 403, "forbidden"));
    let r = eval_as(
        &h,
        Tier::Plugin,
        &[],
        "return crisp.set_conversation_state{conversation_id = 'session_abc123', state = 'resolved'}",
    );
    let msg = error_of(&r);
    assert!(msg.contains("website:conversation:states"), "{msg}");
    // A website token is told which tiers Crisp serves the route to.
    h.server.push_fault(Fault::envelope(
        "/operators/list",
        403,
        "restricted_route_tier",
    ));
    let r = eval_as(&h, Tier::Website, &[], "return crisp.list_operators{}");
    let msg = error_of(&r);
    assert!(
        msg.contains("tier 'website'") && msg.contains("user and plugin tokens"),
        "{msg}"
    );
    assert_eq!(r["error"]["kind"], "auth");
    // Nothing was resolved by the refused call.
    assert_eq!(
        h.server.conversation("session_abc123").unwrap()["state"],
        "unresolved"
    );
}

#[test]
fn demo_answers_unknown_routes_and_bad_bodies_as_crisp_does() {
    use std::io::{Read, Write};
    let h = Harness::new();
    let token = crisp_repl::demo::demo_token(Tier::User);
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", token.identifier, token.key));
    let send = |method: &str, path: &str, body: &str| -> (u16, Value) {
        let mut stream = std::net::TcpStream::connect(h.server.addr()).unwrap();
        write!(
            stream,
            "{method} /v1/website/{DEMO_WEBSITE_ID}/{path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {basic}\r\nX-Crisp-Tier: user\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let status = answer[9..12].parse().unwrap();
        let json = answer.split("\r\n\r\n").nth(1).unwrap();
        (status, serde_json::from_str(json).unwrap())
    };
    let (status, body) = send("GET", "operators/nope", "");
    assert_eq!((status, body["reason"].as_str()), (404, Some("not_found")));
    let (status, _) = send("DELETE", "conversation/session_abc123/state", "");
    assert_eq!(status, 404);
    let (status, body) = send(
        "PATCH",
        "conversation/session_abc123/read",
        r#"{"from":"operator"}"#,
    );
    assert_eq!(
        (status, body["reason"].as_str()),
        (400, Some("invalid_data"))
    );
    assert!(body["data"]["message"].as_str().unwrap().contains("origin"));
    let (status, _) = send(
        "PATCH",
        "conversation/session_abc123/state",
        r#"{"state":"closed"}"#,
    );
    assert_eq!(status, 400);
    let (status, _) = send("GET", "conversations/1?filter_unread=true", "");
    assert_eq!(status, 400);
    let (status, body) = send("GET", "conversation/session_abc123/state", "");
    assert_eq!(
        (status, body["data"]["state"].as_str()),
        (200, Some("unresolved"))
    );
}
