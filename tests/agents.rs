//! What an agent relies on: the JSON protocol, exit statuses, read-only and dry-run modes,
//! pipes without prompts or colour, paging helpers, and the registry as JSON.

mod common;

use common::{run, stdout_of, Harness};
use crisp_repl::demo::{seed, Fault};
use serde_json::{json, Value};

fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// Every line has exactly the documented shape.
fn assert_protocol(line: &Value) {
    let obj = line.as_object().expect("a JSON object");
    match obj.get("ok") {
        Some(Value::Bool(true)) => {
            assert!(obj["values"].is_array(), "{line}");
            assert!(obj["output"].is_string(), "{line}");
            assert!(
                obj.keys()
                    .all(|k| ["ok", "values", "output"].contains(&k.as_str())),
                "{line}"
            );
        }
        Some(Value::Bool(false)) => {
            let err = obj["error"].as_object().expect("error object");
            let kinds = [
                "lua",
                "syntax",
                "validation",
                "http",
                "auth",
                "timeout",
                "interrupted",
            ];
            assert!(
                kinds.contains(&err["kind"].as_str().unwrap_or("")),
                "{line}"
            );
            assert!(err["message"].is_string(), "{line}");
            for k in err.keys() {
                assert!(
                    ["kind", "message", "fn", "status", "reason"].contains(&k.as_str()),
                    "{line}"
                );
            }
            assert!(
                obj.keys()
                    .all(|k| ["ok", "error", "output"].contains(&k.as_str())),
                "{line}"
            );
        }
        _ => panic!("no boolean ok: {line}"),
    }
}

#[test]
fn json_protocol_one_line_per_evaluation() {
    let h = Harness::new();
    let input = "\
print('hello') return 1, 'two', true, nil
return crisp.list_conversations{per_page = 2}
return {}, {1, 2}, {a = {}}, print
x = = 1
crisp.list_conversations{page = 'x'}
crisp.get_contact{contact_id = 'nobody@example.com'}
error({code = 7})
return crisp.get_conversation{conversation_id = 'session_abc123'}.conversation.mentions
";
    let (status, out, err) = run(h.cmd().arg("--json").write_stdin(input));
    assert_eq!(status, 1, "some chunks failed: {err}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 8, "{out}");
    for l in &lines {
        assert_protocol(l);
    }
    assert_eq!(
        lines[0],
        json!({"ok": true, "values": [1, "two", true, null], "output": "hello\n"})
    );
    let list = &lines[1]["values"][0];
    assert_eq!(list["page"], 1);
    assert_eq!(list["has_more"], true);
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert_eq!(lines[2]["values"][0], json!({}));
    assert_eq!(lines[2]["values"][1], json!([1, 2]));
    assert_eq!(lines[2]["values"][2], json!({"a": {}}));
    assert!(lines[2]["values"][3]
        .as_str()
        .unwrap()
        .starts_with("<function"));
    assert_eq!(lines[3]["error"]["kind"], "syntax");
    assert_eq!(lines[4]["error"]["kind"], "validation");
    assert_eq!(lines[4]["error"]["fn"], "crisp.list_conversations");
    assert_eq!(lines[5]["error"]["kind"], "http");
    assert_eq!(lines[5]["error"]["status"], 404);
    assert_eq!(lines[5]["error"]["reason"], "not_found");
    assert_eq!(lines[6]["error"]["kind"], "lua");
    // An empty array from Crisp stays an array.
    assert_eq!(lines[7]["values"][0], json!([]), "{}", lines[7]);
    assert!(
        err.is_empty() || !err.contains("{\"ok\""),
        "JSON went to stderr: {err}"
    );
}

#[test]
fn exit_statuses() {
    let h = Harness::new();
    assert_eq!(run(h.cmd().write_stdin("return 1\nreturn 2\n")).0, 0);
    assert_eq!(run(h.cmd().write_stdin("error('x')\nreturn 2\n")).0, 1);
    assert_eq!(run(h.cmd().args(["-e", "error('x')"])).0, 1);
    assert_eq!(run(h.cmd().arg("--bogus")).0, 2);
    assert_eq!(run(h.bare().args(["-e", "crisp.list_contacts{}"])).0, 3);
    assert_eq!(
        run(h
            .cmd()
            .env("CRISP_KEY", "nope")
            .write_stdin("crisp.list_contacts{}\n"))
        .0,
        3
    );
    let (_, out, _) = run(h.bare().arg("--help"));
    assert!(out.contains("Exit status: 0 success, 1 a Lua or Crisp error, 2 bad usage, 3 missing or rejected credentials"), "{out}");
}

#[test]
fn read_only_refuses_writes_before_any_request() {
    let h = Harness::new();
    let before = h.server.messages("session_abc123").len();
    let (status, out, _) = run(h.cmd().args([
        "--read-only",
        "--json",
        "-e",
        "crisp.send_message{conversation_id = 'session_abc123', text = 'should not go'}",
    ]));
    assert_eq!(status, 1);
    let line = &json_lines(&out)[0];
    assert_protocol(line);
    assert_eq!(line["error"]["kind"], "validation");
    assert!(
        line["error"]["message"]
            .as_str()
            .unwrap()
            .contains("read-only"),
        "{line}"
    );
    assert!(
        h.server.requests().is_empty(),
        "a request reached the server"
    );
    assert_eq!(h.server.messages("session_abc123").len(), before);
    // Reading still works.
    let out = stdout_of(
        h.cmd()
            .args(["--read-only", "-e", "return #crisp.list_contacts{}.data"]),
    );
    assert_eq!(out, "25\n");
}

#[test]
fn dry_run_prints_the_request_and_sends_nothing() {
    let h = Harness::new();
    let out = stdout_of(h.cmd().args([
        "--dry-run",
        "--json",
        "-e",
        "return crisp.send_message{conversation_id = 'session_abc123', text = 'draft', type = 'note'}",
    ]));
    let line = &json_lines(&out)[0];
    let result = &line["values"][0];
    assert_eq!(result["sent"], false);
    assert_eq!(result["dry_run"], true);
    assert_eq!(result["request"]["method"], "POST");
    assert_eq!(
        result["request"]["url"],
        format!(
            "{}/website/{}/conversation/session_abc123/message",
            h.server.url(),
            seed::DEMO_WEBSITE_ID
        )
    );
    assert_eq!(
        result["request"]["body"],
        json!({"type": "note", "from": "operator", "origin": "chat", "content": "draft"})
    );
    assert!(
        h.requests_to("/message").is_empty(),
        "dry run sent a request"
    );
}

#[test]
fn pipes_have_no_prompt_and_no_colour_whatever_is_forced() {
    let h = Harness::new();
    let (_, out, err) = run(h
        .cmd()
        .env("FORCE_COLOR", "1")
        .env("CLICOLOR_FORCE", "1")
        .write_stdin("return crisp.list_conversations{per_page = 3}\nerror('boom')\nreturn 'x'\n"));
    assert!(
        !out.contains('\x1b') && !err.contains('\x1b'),
        "ANSI in a pipe:\n{out}\n{err}"
    );
    assert!(
        !out.contains("crisp:default>") && !out.contains("crisp-repl "),
        "{out}"
    );
    assert!(out.contains("3 rows"), "{out}");
    // Plain mode does not truncate: full session ids are there.
    let seed = seed::generate(seed::DEFAULT_CONVERSATIONS);
    for c in &seed.conversations[..3] {
        assert!(out.contains(c["session_id"].as_str().unwrap()), "{out}");
    }
    assert!(!out.contains('…'), "truncated in a pipe:\n{out}");
}

#[test]
fn paginate_yields_every_conversation_exactly_once() {
    let h = Harness::new();
    let out = stdout_of(h.cmd().args([
        "-e",
        "for c in crisp.paginate(crisp.list_conversations, {per_page = 100}) do print(c.session_id) end",
    ]));
    let seed = seed::generate(seed::DEFAULT_CONVERSATIONS);
    let expected: Vec<&str> = seed
        .conversations
        .iter()
        .map(|c| c["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
    // REST pages of 50, stopping at the first short page.
    let pages = h.requests_to("/conversations/");
    assert_eq!(
        pages.len(),
        expected.len().div_ceil(50) + usize::from(expected.len().is_multiple_of(50))
    );
    assert!(pages
        .iter()
        .all(|r| r.query_param("per_page").as_deref() == Some("50")));
}

#[test]
fn all_collects_with_a_guard() {
    let h = Harness::new();
    let out = stdout_of(h.cmd().args([
        "-e",
        "return #crisp.all(crisp.list_contacts), #crisp.all(crisp.list_campaigns, {}, 100)",
    ]));
    let seed = seed::generate(seed::DEFAULT_CONVERSATIONS);
    assert_eq!(
        out,
        format!("{}\t{}\n", seed.contacts.len(), seed.campaigns.len())
    );
    let (status, _, err) = run(h
        .cmd()
        .args(["-e", "crisp.all(crisp.list_conversations, {}, 10)"]));
    assert_eq!(status, 1);
    assert!(err.contains("more than max_items = 10"), "{err}");
    let (_, _, err) = run(h.cmd().args(["-e", "crisp.all(crisp.get_contact)"]));
    assert!(err.contains("pages through list_conversations"), "{err}");
}

#[test]
fn all_walks_every_page_in_order_with_at_most_one_request_past_the_end() {
    let h = Harness::with_size(430);
    let out = stdout_of(h.cmd().args([
        "-e",
        "for _, c in ipairs(crisp.all(crisp.list_conversations, {page = 2, per_page = 30})) do print(c.session_id) end",
    ]));
    let seed = seed::generate(430);
    let expected: Vec<&str> = seed.conversations[30..]
        .iter()
        .map(|c| c["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
    // REST pages 1..=9 (the ninth is short), each once; two requests are in flight, so page
    // 10 may have been asked for too, never more.
    let mut pages: Vec<u64> = h
        .requests_to("/conversations/")
        .iter()
        .map(|r| r.path.rsplit('/').next().unwrap().parse().unwrap())
        .collect();
    pages.sort_unstable();
    let needed: Vec<u64> = (1..=9).collect();
    let with_one_more: Vec<u64> = (1..=10).collect();
    assert!(pages == needed || pages == with_one_more, "{pages:?}");
}

#[test]
fn all_fails_when_a_page_fails_mid_walk() {
    let h = Harness::with_size(430);
    h.server
        .push_fault(Fault::envelope("/conversations/4", 400, "invalid_data"));
    let (status, out, err) = run(h.cmd().args([
        "--json",
        "-e",
        "return #crisp.all(crisp.list_conversations, {per_page = 100})",
    ]));
    assert_eq!(status, 1, "{out}{err}");
    let line: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(line["ok"], false, "{out}");
    assert_eq!(line["error"]["reason"], "invalid_data", "{out}");
    assert_eq!(line["error"]["status"], 400, "{out}");
}

#[test]
fn the_registry_as_json() {
    let h = Harness::new();
    let out = stdout_of(h.bare().args(["doc", "--json"]));
    let doc: Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = doc["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "list_conversations",
            "get_conversation",
            "send_message",
            "list_contacts",
            "get_contact",
            "list_campaigns",
            "get_current_user",
            "set_conversation_state",
            "mark_read",
            "assign_conversation",
            "update_conversation_meta",
            "list_operators",
            "list_contact_conversations",
            "request"
        ]
    );
    let send = &doc["functions"][2];
    assert_eq!(send["parameters"][0]["name"], "conversation_id");
    assert_eq!(send["parameters"][0]["required"], true);
    assert!(send["example"].as_str().unwrap().contains("send_message"));
    // Off a terminal, `doc NAME` is markdown.
    let md = stdout_of(h.bare().args(["doc", "crisp.send_message"]));
    assert!(md.starts_with("## send_message\n"), "{md}");
    assert!(
        md.contains("| Name | Type | Required | Default | Description |"),
        "{md}"
    );
    // And `:doc --json`'s sibling from Lua: doc() prints through print, captured in JSON mode.
    let out = stdout_of(h.cmd().args(["--json", "-e", "doc('paging')"]));
    let line = &json_lines(&out)[0];
    assert!(
        line["output"].as_str().unwrap().starts_with("## paging"),
        "{line}"
    );
}

#[test]
fn timeouts_stop_runaway_scripts() {
    let h = Harness::new();
    let (status, out, _) = run(h.cmd().args([
        "--json",
        "--timeout",
        "1",
        "-e",
        "while true do pcall(function() while true do end end) end",
    ]));
    assert_eq!(status, 1);
    let line = &json_lines(&out)[0];
    assert_eq!(line["error"]["kind"], "timeout", "{line}");
}

#[test]
fn doc_json_into_a_closed_pipe_is_not_a_crash() {
    let h = Harness::new();
    let mut cmd = common::hermetic(h.home.path());
    let mut child = cmd
        .args(["doc", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // The reader goes away before anything is written, as `| head -c0` does.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("it ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
