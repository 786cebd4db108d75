//! `crisp-repl mcp` driven by the official MCP Python SDK (its stdio client), nothing of ours
//! on the client side: tests/mcp/client.py holds the scenarios, this file sets up the servers
//! and the hermetic environment and checks what only the server side can see (the requests).
//!
//! The SDK is installed by `.ci/run` into `.deps/python`; without it these tests fail and say so.

mod common;
#[path = "common/faulty.rs"]
mod faulty;
#[path = "common/secret_service.rs"]
mod secret_service;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::Harness;
use faulty::{FaultyServer, Step};

fn deps() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".deps/python")
}

/// python3 with the SDK on its path, in the hermetic environment of `home`.
fn python(home: &Path) -> Command {
    let deps = deps();
    let probe = Command::new("python3")
        .env("PYTHONPATH", &deps)
        .args(["-c", "import mcp, jsonschema"])
        .output();
    match probe {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "the MCP Python SDK is missing from {}: run .ci/run (it installs it with pip)\n{}",
            deps.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!("python3 is needed for the MCP tests (run .ci/run): {e}"),
    }
    let mut cmd = Command::new("python3");
    // The hermetic variables of the binary's own tests, for the server python starts.
    let template = common::hermetic(home);
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.env("PYTHONPATH", deps).env("PYTHONUNBUFFERED", "1");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py"));
    cmd
}

/// Run one scenario against the binary; its stdout when it passes.
fn scenario(mut cmd: Command, name: &str, args: &[&str]) -> String {
    cmd.arg(name)
        .arg(env!("CARGO_BIN_EXE_crisp-repl"))
        .args(args);
    let out = cmd.output().expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scenario {name} failed ({:?})\nstdout: {stdout}\nstderr: {stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "a panic: {stderr}");
    stdout
}

fn with_demo_account(cmd: &mut Command, h: &Harness) {
    let token = crisp_repl::demo::demo_token(crisp_repl::crisp::Tier::User);
    cmd.env("CRISP_API_URL", h.server.url())
        .env("CRISP_WEBSITE_ID", crisp_repl::demo::DEMO_WEBSITE_ID)
        .env("CRISP_IDENTIFIER", token.identifier)
        .env("CRISP_KEY", token.key)
        .env("CRISP_TIER", "user");
}

/// `crisp-repl doc --json`, written where the scenario can read it.
fn registry_file(dir: &Path) -> PathBuf {
    let out = Command::new(env!("CARGO_BIN_EXE_crisp-repl"))
        .args(["doc", "--json"])
        .output()
        .expect("doc --json runs");
    assert!(out.status.success());
    let path = dir.join("registry.json");
    std::fs::write(&path, out.stdout).expect("write registry");
    path
}

#[test]
fn schemas_calls_errors_lua_state_resources_and_progress() {
    let h = Harness::new();
    let registry = registry_file(h.home.path());
    let api_md = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/api.md");
    let mut cmd = python(h.home.path());
    with_demo_account(&mut cmd, &h);
    let out = scenario(
        cmd,
        "main",
        &[
            registry.to_str().expect("utf-8 path"),
            r#"["default"]"#,
            api_md.to_str().expect("utf-8 path"),
        ],
    );
    assert!(out.contains("\"progress\""), "{out}");
    // The calls really reached Crisp (the demo), with the account's credentials.
    assert!(!h.requests_to("/conversations/").is_empty());
    assert!(
        !h.requests_to("/message").is_empty(),
        "send_message was called"
    );
}

#[test]
fn read_only_lists_no_write_tool_and_refuses_writes() {
    let h = Harness::new();
    let registry = registry_file(h.home.path());
    let mut cmd = python(h.home.path());
    with_demo_account(&mut cmd, &h);
    scenario(cmd, "read-only", &[registry.to_str().expect("utf-8 path")]);
    let writes: Vec<_> = h
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert!(writes.is_empty(), "a write reached Crisp: {writes:?}");
}

#[test]
fn dry_run_sends_nothing() {
    let h = Harness::new();
    let mut cmd = python(h.home.path());
    with_demo_account(&mut cmd, &h);
    scenario(cmd, "dry-run", &[]);
    assert!(
        !h.requests_to("/conversations/").is_empty(),
        "reads still go out"
    );
    let writes: Vec<_> = h
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert!(writes.is_empty(), "a dry run sent {writes:?}");
}

#[test]
fn cancellation_abandons_a_call_to_a_server_that_never_answers() {
    let home = tempfile::tempdir().expect("temp home");
    // Silent for longer than the scenario waits for the call after the cancelled one.
    let server = FaultyServer::start(vec![Step::Silence(Duration::from_secs(55))]);
    let mut cmd = python(home.path());
    let token = crisp_repl::demo::demo_token(crisp_repl::crisp::Tier::User);
    cmd.env("CRISP_API_URL", server.url())
        .env("CRISP_WEBSITE_ID", crisp_repl::demo::DEMO_WEBSITE_ID)
        .env("CRISP_IDENTIFIER", token.identifier)
        .env("CRISP_KEY", token.key)
        .env("CRISP_TIER", "user");
    scenario(cmd, "cancel", &[]);
    assert_eq!(
        server.requests().len(),
        1,
        "the cancelled call was in flight"
    );
}

#[test]
fn a_keyring_that_never_answers_does_not_block_the_handshake() {
    let h = Harness::new();
    let ss = secret_service::SecretService::start();
    ss.freeze();
    let config = h.home.path().join("config/crisp-repl/config.toml");
    std::fs::create_dir_all(config.parent().expect("config dir")).expect("config dir");
    std::fs::write(
        &config,
        format!(
            "[accounts.support]\nwebsite_id = \"{}\"\ntier = \"user\"\n",
            crisp_repl::demo::DEMO_WEBSITE_ID
        ),
    )
    .expect("config");
    let mut cmd = python(h.home.path());
    cmd.env("CRISP_API_URL", h.server.url())
        .env("DBUS_SESSION_BUS_ADDRESS", &ss.bus.address)
        .env("XDG_RUNTIME_DIR", ss.bus.runtime_dir())
        // Longer than the client waits for any answer: reading the keyring would show.
        .env("CRISP_REPL_KEYRING_TIMEOUT_MS", "120000");
    scenario(cmd, "keyring", &[]);
    assert!(h.server.requests().is_empty());
}

#[test]
fn the_host_config_snippet_works_with_the_built_in_demo() {
    let home = tempfile::tempdir().expect("temp home");
    scenario(python(home.path()), "demo", &[]);
}

/// `crisp.<fn>{...}`, `crisp.<fn>({...})` and `crisp.<account>.<fn>{...}` in docs/api.md:
/// (function, account, the table constructor's source).
fn example_calls(markdown: &str) -> Vec<(String, Option<String>, String)> {
    let functions: Vec<&str> = crisp_repl::crisp::registry::FUNCTIONS
        .iter()
        .map(|f| f.name)
        .collect();
    let mut out = Vec::new();
    let bytes = markdown.as_bytes();
    let mut at = 0;
    while let Some(found) = markdown[at..].find("crisp.") {
        let start = at + found + "crisp.".len();
        at = start;
        let ident_end = |from: usize| {
            from + markdown[from..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(markdown.len() - from)
        };
        let first_end = ident_end(start);
        let first = &markdown[start..first_end];
        let (account, name, mut pos) = if bytes.get(first_end) == Some(&b'.') {
            let second_end = ident_end(first_end + 1);
            (
                Some(first.to_string()),
                &markdown[first_end + 1..second_end],
                second_end,
            )
        } else {
            (None, first, first_end)
        };
        if !functions.contains(&name) {
            continue;
        }
        let skip_space = |mut p: usize| {
            while bytes.get(p).is_some_and(|b| b.is_ascii_whitespace()) {
                p += 1;
            }
            p
        };
        pos = skip_space(pos);
        if bytes.get(pos) == Some(&b'(') {
            pos = skip_space(pos + 1);
        }
        if bytes.get(pos) != Some(&b'{') {
            continue;
        }
        // The balanced table constructor (strings may hold braces).
        let (mut depth, mut quote, mut end) = (0i32, None::<u8>, None);
        for (i, &b) in bytes.iter().enumerate().skip(pos) {
            match (quote, b) {
                (Some(q), _) if b == q && bytes[i - 1] != b'\\' => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(b),
                (None, b'{') => depth += 1,
                (None, b'}') => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { continue };
        let table = &markdown[pos..end];
        // `crisp.send_message{...}` in prose is a placeholder, and a call inside `pcall` shows
        // an error on purpose (`crisp.suport...`): neither is an example of a valid call.
        let line_start = markdown[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = markdown[start..]
            .find('\n')
            .map_or(markdown.len(), |i| start + i);
        if table.contains("...") || markdown[line_start..line_end].contains("pcall(") {
            continue;
        }
        out.push((name.to_string(), account, table.to_string()));
    }
    out
}

#[test]
fn every_example_in_the_api_reference_validates_against_its_tool_schema() {
    let markdown = crisp_repl::docs::API_MARKDOWN;
    let calls = example_calls(markdown);
    // Every function's own example is among them.
    for f in crisp_repl::crisp::registry::FUNCTIONS {
        assert!(
            calls.iter().any(|(name, _, _)| name == f.name),
            "no example call of {} found in docs/api.md",
            f.name
        );
    }
    // Lua evaluates each table constructor (the binary, --json, one chunk each); names the
    // example leaves undefined (`conv.session_id`) read as a placeholder string.
    let home = tempfile::tempdir().expect("temp home");
    let mut program = String::from(
        "getmetatable('').__index = function(s, k) return string[k] or 'placeholder' end\nsetmetatable(_G, {__index = function() return 'placeholder' end})\n",
    );
    for (_, _, table) in &calls {
        program.push_str(&format!("return {table}\n"));
    }
    let mut child = common::hermetic(home.path())
        .arg("--json")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), program.as_bytes())
        .expect("write program");
    let out = child.wait_with_output().expect("runs");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON line per chunk"))
        .collect();
    // Two prelude chunks, then one line per example.
    assert_eq!(lines.len(), calls.len() + 2, "{lines:?}");
    let mut examples = Vec::new();
    for ((name, account, table), line) in calls.iter().zip(&lines[2..]) {
        assert_eq!(line["ok"], true, "{table}: {line}");
        let mut arguments = match &line["values"][0] {
            serde_json::Value::Object(map) => map.clone(),
            // `{}` reads back as an empty array.
            serde_json::Value::Array(a) if a.is_empty() => serde_json::Map::new(),
            other => panic!("{table}: not a table of parameters: {other}"),
        };
        if let Some(account) = account {
            arguments.insert("account".into(), account.clone().into());
        }
        examples.push(serde_json::json!({"function": name, "arguments": arguments}));
    }
    let path = home.path().join("examples.json");
    std::fs::write(&path, serde_json::to_vec(&examples).expect("json")).expect("write");
    // The built-in demo has the accounts the reference's examples name (sales, support).
    let out = scenario(
        python(home.path()),
        "examples",
        &[path.to_str().expect("utf-8 path")],
    );
    assert!(
        out.contains(&format!("\"validated\": {}", examples.len())),
        "{out}"
    );
}

/// Raw JSON-RPC lines, no SDK: stdout holds protocol messages and nothing else (a child of
/// `os.execute` writes to fd 1 too), and malformed arguments are a protocol error.
#[test]
fn stdout_carries_only_protocol_messages() {
    use std::io::Write;
    let home = tempfile::tempdir().expect("temp home");
    let mut child = common::hermetic(home.path())
        .args(["mcp", "--demo"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let messages = [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"lua","arguments":{"code":"os.execute('echo leaked-by-a-child') io.stdout:write('captured') return io.read('l')"}}}"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_conversations","arguments":[1,2]}}"#,
        r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}"#,
    ];
    let mut stdin = child.stdin.take().expect("stdin");
    for m in messages {
        writeln!(stdin, "{m}").expect("write");
    }
    // Answers come in any order; wait for all three calls before closing stdin.
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let mut answers = std::collections::BTreeMap::new();
    while answers.len() < 4 {
        let line = lines.next().expect("an answer").expect("a line");
        let v: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not JSON-RPC on stdout ({e}): {line}"));
        assert_eq!(v["jsonrpc"], "2.0", "{line}");
        answers.insert(v["id"].as_i64().expect("an id"), v);
    }
    drop(stdin);
    let out = child.wait_with_output().expect("exits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("leaked-by-a-child"), "{stderr}");
    let lua = &answers[&2]["result"]["structuredContent"];
    // io.read reads /dev/null, not the protocol: nil, and `captured` went to `output`.
    assert_eq!(lua["output"], "captured", "{lua}");
    assert_eq!(lua["values"], serde_json::json!([null]), "{lua}");
    assert!(answers[&3].get("error").is_some(), "{}", answers[&3]);
    assert!(answers[&4].get("error").is_some(), "{}", answers[&4]);
}
