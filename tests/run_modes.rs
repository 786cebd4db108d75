//! Running Lua from -e, from files and from piped stdin; JSON lines; exit statuses.

mod common;

use common::{run, stdout_of, Harness};

#[test]
fn execute_runs_in_order_in_one_state() {
    let h = Harness::new();
    // Each -e is a plain Lua chunk (as with lua5.4): its locals end with it; globals stay.
    let out = stdout_of(h.cmd().args([
        "-e",
        "return 1 + 1",
        "-e",
        "x = 20 local y = 1",
        "-e",
        "function twice(n) return 2 * n end",
        "-e",
        "return twice(x), 'two', y",
        "-e",
        "return _",
    ]));
    assert_eq!(out, "2\n40\t\"two\"\tnil\n40\n");
}

#[test]
fn execute_stops_at_the_first_error() {
    let h = Harness::new();
    let (status, out, err) = run(h.cmd().args([
        "-e",
        "print('a')",
        "-e",
        "error('boom')",
        "-e",
        "print('c')",
    ]));
    assert_eq!(status, 1);
    assert_eq!(out, "a\n");
    assert!(err.contains("boom"), "{err}");
    let (status, _, err) = run(h.cmd().args(["-e", "x = = 1"]));
    assert_eq!(status, 1);
    assert!(err.contains("syntax error"), "{err}");
}

#[test]
fn scripts_run_whole_and_get_arguments() {
    let h = Harness::new();
    let script = h.home.path().join("report.lua");
    std::fs::write(
        &script,
        "#!/usr/bin/env crisp-repl\nlocal name = ...\nlocal n = #crisp.list_conversations{per_page = 5}.data\nprint(name, n)\nreturn n * 2\n",
    )
    .unwrap();
    let out = stdout_of(h.cmd().arg(&script).arg("weekly"));
    assert_eq!(out, "weekly\t5\n10\n");
    let (status, _, err) = run(h.cmd().arg(h.home.path().join("missing.lua")));
    assert_eq!(status, 2);
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn piped_chunks_follow_lua_completeness() {
    let h = Harness::new();
    let input = "local t = {}\nfunction add(x)\n  t[#t + 1] = x\n  return #t\nend\nadd('a')\nerror('midway')\nadd('b')\nreturn #t\n";
    let (status, out, err) = run(h.cmd().write_stdin(input));
    assert_eq!(status, 1, "one chunk failed");
    assert_eq!(out, "1\n2\n2\n", "evaluation went on after the error");
    assert!(err.contains("midway"), "{err}");
    // No error: status 0, and nothing that looks like a prompt on stdout.
    let out = stdout_of(h.cmd().write_stdin("x = 1\nreturn x + 1\n"));
    assert_eq!(out, "2\n");
}

#[test]
fn json_lines_one_per_evaluation() {
    let h = Harness::new();
    let out = stdout_of(h.cmd().args([
        "--json",
        "-e",
        "print('hi') return {1, 2}, crisp.list_conversations{per_page = 1}.data[1].session_id",
    ]));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["output"], "hi\n");
    assert_eq!(v["values"][0], serde_json::json!([1, 2]));
    assert_eq!(v["values"][1], "session_abc123");
    let (status, out, _) = run(h
        .cmd()
        .args(["--json"])
        .write_stdin("crisp.get_conversation{conversation_id = 'session_nope'}\nreturn {}\n"));
    assert_eq!(status, 1);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["ok"], false);
    assert_eq!(lines[0]["error"]["kind"], "http");
    assert_eq!(lines[0]["error"]["status"], 404);
    assert_eq!(lines[0]["error"]["reason"], "not_found");
    assert_eq!(lines[0]["error"]["fn"], "crisp.get_conversation");
    assert_eq!(lines[1]["ok"], true);
}

#[test]
fn demo_server_prints_its_variables() {
    use std::io::BufRead;
    let home = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("crisp-repl");
    let mut child = std::process::Command::new(bin)
        .args(["demo-server", "--port", "0"])
        .env("HOME", home.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let vars: Vec<(String, String)> = std::io::BufReader::new(stdout)
        .lines()
        .take(5)
        .map(|l| {
            let l = l.unwrap();
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "CRISP_API_URL",
            "CRISP_WEBSITE_ID",
            "CRISP_IDENTIFIER",
            "CRISP_KEY",
            "CRISP_TIER"
        ]
    );
    // Another client pointed at it with those variables works.
    let mut cmd = common::bare_command(home.path());
    for (k, v) in &vars {
        cmd.env(k, v);
    }
    let out = stdout_of(cmd.args(["-e", "return crisp.get_current_user{}.data.tier"]));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(out, "\"user\"\n");
}

#[test]
fn usage_errors_exit_2() {
    let h = Harness::new();
    let (status, _, _) = run(h.cmd().arg("--no-such-flag"));
    assert_eq!(status, 2);
    let (status, _, err) = run(h.cmd().args(["--read-only", "--dry-run", "-e", "return 1"]));
    assert_eq!(status, 2);
    assert!(err.contains("choose one"), "{err}");
}
