//! `crisp.watch` and `crisp-repl watch` against the demo Crisp, with messages injected by the
//! test (never by a timer): every new message yielded exactly once and in order, none missed
//! across polls, the requests each poll costs (read from the demo's own log), filters,
//! `since`, transient failures survived (a faulty proxy), final failures reported, and stops by
//! Ctrl-C (in a real pseudo-terminal, and SIGINT to the subcommand) and `--timeout`.

mod common;
#[path = "common/faulty.rs"]
mod faulty;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::Harness;
use crisp_repl::demo::RecordedRequest;
use faulty::{FaultyServer, Step};
use serde_json::Value;

/// The binary, started in the background; its stdout lines arrive on a channel.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    fn start(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines }
    }

    /// Wait for the end (at most a minute): (status, stdout lines, stderr).
    fn finish(mut self) -> (i32, Vec<String>, String) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.child.try_wait().expect("wait").is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let out = self.child.wait_with_output().expect("output");
                panic!(
                    "still running after a minute; stderr: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = self.child.wait_with_output().expect("output");
        let lines: Vec<String> = self.lines.try_iter().collect();
        (
            out.status.code().unwrap_or(-1),
            lines,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// The evaluation's own line: the last (watch messages come before it in --json mode).
fn last_line(stdout: &str) -> Value {
    let line = stdout.lines().last().expect("a line");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

fn list_requests(requests: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    requests
        .iter()
        .filter(|r| r.path.contains("/conversations/"))
        .collect()
}

/// Block until the demo has answered at least `n` list requests (a poll's snapshot is taken
/// under the same lock that records the request).
fn wait_for_polls(h: &Harness, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while list_requests(&h.server.requests()).len() < n {
        assert!(Instant::now() < deadline, "no poll {n} within 30 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The session of the last conversation of the list: far past the first page.
fn deep_session(size: usize) -> String {
    let seed = crisp_repl::demo::seed::generate(size);
    seed.conversations[size - 1]["session_id"]
        .as_str()
        .unwrap()
        .to_string()
}

const WATCH_UNTIL_STOP: &str = r#"
local seen = 0
for m in crisp.watch{interval = 0.05} do
  seen = seen + 1
  if m.content == "STOP" then break end
end
return seen
"#;

#[test]
fn every_new_message_once_in_order_across_polls_with_bounded_requests() {
    let size = 180;
    let h = Harness::with_size(size);
    let deep = deep_session(size);
    let mut cmd = common::hermetic(h.home.path());
    faulty::with_account(&mut cmd, &h.server.url());
    cmd.args(["--json", "--timeout", "60", "-e", WATCH_UNTIL_STOP]);
    let running = Running::start(cmd);
    wait_for_polls(&h, 1);

    let mut injected: Vec<Value> = Vec::new();
    let inject = |injected: &mut Vec<Value>, sid: &str, text: &str| {
        injected.push(
            h.server
                .inject_message(sid, text)
                .expect("known conversation"),
        );
    };
    // Batch 1: the top conversation, one far past page 1, 25 messages in one conversation
    // (more than a batch of 20: read back with timestamp_before), and a new visitor.
    inject(&mut injected, "session_abc123", "one");
    inject(&mut injected, &deep, "from the bottom of the list");
    for i in 0..25 {
        inject(&mut injected, "session_abc123", &format!("burst {i}"));
    }
    let newcomer = h
        .server
        .inject_new_conversation("Nia Test", "nia@example.com", "first words");
    let newcomer_id = newcomer["session_id"].as_str().unwrap().to_string();
    injected.push(newcomer);
    let polls = list_requests(&h.server.requests()).len();
    wait_for_polls(&h, polls + 2);
    // Batch 2: the same conversations again, after a poll has seen batch 1.
    inject(&mut injected, &deep, "again");
    inject(&mut injected, &newcomer_id, "second words");
    inject(&mut injected, "session_abc123", "two");
    let polls = list_requests(&h.server.requests()).len();
    wait_for_polls(&h, polls + 2);
    inject(&mut injected, "session_abc123", "STOP");

    let (status, lines, stderr) = running.finish();
    assert_eq!(status, 0, "{stderr}");
    let (messages, results): (Vec<Value>, Vec<Value>) = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON line"))
        .partition(|v| v.get("ok").is_none());
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["values"][0], injected.len(), "{}", results[0]);

    // Exactly the injected messages, each once.
    let fingerprints = |ms: &[Value]| -> Vec<i64> {
        ms.iter()
            .map(|m| m["fingerprint"].as_i64().unwrap())
            .collect()
    };
    let got = fingerprints(&messages);
    let unique: HashSet<i64> = got.iter().copied().collect();
    assert_eq!(unique.len(), got.len(), "a message came twice: {got:?}");
    let mut want = fingerprints(&injected);
    let mut sorted_got = got.clone();
    want.sort_unstable();
    sorted_got.sort_unstable();
    assert_eq!(sorted_got, want, "missed or extra messages");
    // In order: time never goes back, and each conversation strictly forward.
    let times: Vec<i64> = messages
        .iter()
        .map(|m| m["timestamp"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let mut per_conversation: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for m in &messages {
        let sid = m["conversation_id"].as_str().unwrap().to_string();
        assert_eq!(m["session_id"].as_str(), Some(sid.as_str()));
        assert_eq!(m["conversation"]["session_id"].as_str(), Some(sid.as_str()));
        assert!(m["conversation"]["nickname"].is_string(), "{m}");
        per_conversation
            .entry(sid)
            .or_default()
            .push(m["timestamp"].as_i64().unwrap());
    }
    for (sid, ts) in &per_conversation {
        assert!(ts.windows(2).all(|w| w[0] < w[1]), "{sid}: {ts:?}");
    }
    let burst: Vec<&str> = messages
        .iter()
        .filter_map(|m| m["content"].as_str())
        .filter(|c| c.starts_with("burst "))
        .collect();
    let expected: Vec<String> = (0..25).map(|i| format!("burst {i}")).collect();
    assert_eq!(burst, expected);

    // Requests: every poll lists page 1 only (nothing changes a whole page of 50), and reads
    // messages only of conversations that got some, once each, except to page back through
    // the burst with timestamp_before.
    let requests = h.server.requests();
    let mut polls: Vec<Vec<&RecordedRequest>> = Vec::new();
    for r in &requests {
        if r.path.contains("/conversations/") {
            assert!(r.path.ends_with("/conversations/1"), "{}", r.path);
            assert_eq!(r.query_param("per_page").as_deref(), Some("50"));
            assert_eq!(r.query_param("order_date_updated").as_deref(), Some("1"));
            polls.push(Vec::new());
        } else {
            assert!(r.path.ends_with("/messages"), "{}", r.path);
            polls.last_mut().expect("a list request first").push(r);
        }
    }
    let touched: HashSet<String> = injected
        .iter()
        .map(|m| m["session_id"].as_str().unwrap().to_string())
        .collect();
    for reads in &polls {
        let mut per_session: BTreeMap<&str, usize> = BTreeMap::new();
        for r in reads {
            let sid = r.path.rsplit('/').nth(1).unwrap();
            assert!(
                touched.contains(sid),
                "read an unchanged conversation {sid}"
            );
            *per_session.entry(sid).or_default() += 1;
            if r.query_param("timestamp_before").is_some() {
                assert_eq!(
                    sid, "session_abc123",
                    "paged back where nothing was missing"
                );
            }
        }
        for (sid, n) in per_session {
            let bound = if sid == "session_abc123" { 2 } else { 1 };
            assert!(n <= bound, "{sid} read {n} times in one poll");
        }
        assert!(
            reads.len() <= touched.len() + 1,
            "{} reads in one poll",
            reads.len()
        );
    }
    let quiet = polls.iter().filter(|p| p.is_empty()).count();
    assert!(quiet >= 1, "some polls were quiet: one request each");
}

#[test]
fn a_quiet_inbox_costs_one_request_per_poll_and_stats_count_it() {
    let h = Harness::new();
    let mut cmd = h.cmd();
    cmd.args(["--json", "-e",
        "local w = crisp.watch{interval = 0.05, polls = 4} local n = 0 for m in w do n = n + 1 end
         return n, w.stats.polls, w.stats.requests, w.stats.list_requests, w.stats.messages, math.type(w.stats.requests_per_minute)"]);
    let out: Value = serde_json::from_str(&common::stdout_of(&mut cmd)).unwrap();
    assert_eq!(
        out["values"],
        serde_json::json!([0, 4, 4, 4, 0, "float"]),
        "{out}"
    );
    let requests = h.server.requests();
    assert_eq!(requests.len(), 4);
    assert!(requests
        .iter()
        .all(|r| r.path.ends_with("/conversations/1")));
}

#[test]
fn since_yields_the_backlog_and_filters_select() {
    let size = 120;
    let h = Harness::with_size(size);
    let seed = crisp_repl::demo::seed::generate(size);
    let since = crisp_repl::demo::seed::DEMO_NOW_MS - 6 * 3_600_000;
    let mut expected: Vec<i64> = seed
        .messages
        .values()
        .flatten()
        .filter(|m| m["timestamp"].as_i64().unwrap() > since)
        .map(|m| m["fingerprint"].as_i64().unwrap())
        .collect();
    expected.sort_unstable();
    assert!(expected.len() > 5, "the seed has recent messages");
    let mut cmd = h.cmd();
    cmd.args(["--json", "-e", &format!(
        "local fps = {{}} for m in crisp.watch{{since = {since}, polls = 1}} do fps[#fps + 1] = m.fingerprint end return fps"
    )]);
    let out = last_line(&common::stdout_of(&mut cmd));
    let mut got: Vec<i64> = out["values"][0]
        .as_array()
        .unwrap_or_else(|| panic!("{out}"))
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    got.sort_unstable();
    assert_eq!(got, expected);

    // A filter table goes to the list request; a filter function keeps what it returns true for.
    h.server.clear_requests();
    let mut cmd = h.cmd();
    cmd.args(["--json", "-e", &format!(
        "local n, other = 0, 0
         for m in crisp.watch{{since = {since}, polls = 1, filter = function(m) return m.conversation_id == 'session_abc123' end}} do
           if m.conversation_id == 'session_abc123' then n = n + 1 else other = other + 1 end
         end
         for m in crisp.watch{{polls = 1, filter = {{filter_unread = true, filter_inbox_id = 'x y'}}}} do end
         return n, other"
    )]);
    let out = last_line(&common::stdout_of(&mut cmd));
    assert_eq!(out["values"][1], 0, "{out}");
    assert!(out["values"][0].as_i64().unwrap() >= 1, "{out}");
    let last = h.server.requests().into_iter().last().unwrap();
    assert_eq!(last.query_param("filter_unread").as_deref(), Some("1"));
    assert_eq!(last.query_param("filter_inbox_id").as_deref(), Some("x y"));
}

#[test]
fn bad_options_are_refused_before_any_request() {
    let h = Harness::new();
    for (options, needle) in [
        ("{interval = 0}", "interval must be a number of seconds"),
        ("{interval = 'x'}", "interval must be"),
        ("{intervall = 5}", "did you mean 'interval'?"),
        ("{filter = 3}", "filter must be a table"),
        ("{filter = {per_page = 20}}", "cannot set per_page"),
        ("{polls = 0}", "polls must be an integer >= 1"),
        ("{since = 'yesterday'}", "since must be a time in ms"),
    ] {
        let mut cmd = h.cmd();
        cmd.args(["--json", "-e", &format!("return crisp.watch{options}")]);
        let (status, stdout, _) = common::run(&mut cmd);
        let line: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
        assert_eq!(status, 1);
        assert_eq!(line["error"]["kind"], "validation", "{options}: {line}");
        assert!(
            line["error"]["message"].as_str().unwrap().contains(needle),
            "{options}: {line}"
        );
    }
    assert!(h.server.requests().is_empty());
}

#[test]
fn a_failed_poll_is_survived_with_a_longer_wait_and_nothing_is_lost() {
    let h = Harness::new();
    // The baseline passes; the next poll's list request fails four times (the client's three
    // retries included), so that poll fails; later polls pass.
    let mut steps = vec![Step::Healthy];
    steps.extend((0..4).map(|_| Step::envelope(503, "service_unavailable")));
    let proxy = FaultyServer::proxy(h.server.addr(), steps);
    let mut cmd = common::hermetic(h.home.path());
    faulty::with_account(&mut cmd, &proxy.url());
    cmd.args([
        "--json",
        "--timeout",
        "60",
        "-e",
        "local w = crisp.watch{interval = 0.05}
         for m in w do return m.content, w.stats.failed_polls, w.stats.polls end",
    ]);
    let running = Running::start(cmd);
    wait_for_polls(&h, 1);
    h.server
        .inject_message("session_abc123", "after the outage")
        .unwrap();
    let (status, lines, stderr) = running.finish();
    assert_eq!(status, 0, "{stderr}");
    let result: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(result["values"][0], "after the outage", "{result}");
    assert_eq!(result["values"][1], 1, "{result}");
    assert!(result["values"][2].as_i64().unwrap() >= 3, "{result}");
    assert_eq!(proxy.steps_left(), 0);
}

#[test]
fn rejected_credentials_end_the_watch_with_a_clear_error() {
    let h = Harness::new();
    let mut cmd = h.cmd();
    cmd.env("CRISP_KEY", "wrong-key-0000000000")
        .args(["watch", "--interval", "0.05"]);
    let (status, _, stderr) = common::run(&mut cmd);
    assert_eq!(status, 3, "{stderr}");
    assert!(stderr.contains("rejected the credentials"), "{stderr}");
    let mut cmd = h.cmd();
    cmd.env("CRISP_KEY", "wrong-key-0000000000").args([
        "--json",
        "-e",
        "for m in crisp.watch{interval = 0.05} do end",
    ]);
    let (status, stdout, _) = common::run(&mut cmd);
    assert_eq!(status, 3, "{stdout}");
    assert!(stdout.contains("\"status\":401"), "{stdout}");
}

#[test]
fn the_subcommand_prints_json_lines_and_readable_lines() {
    let h = Harness::new();
    h.server
        .inject_message("session_abc123", "line one")
        .unwrap();
    h.server
        .inject_message("session_abc123", "line \u{1b}[31mtwo")
        .unwrap();
    let since = h
        .server
        .messages("session_abc123")
        .iter()
        .rev()
        .nth(1)
        .unwrap()["timestamp"]
        .as_i64()
        .unwrap()
        - 1;
    let mut cmd = h.cmd();
    cmd.args([
        "watch",
        "--json",
        "--polls",
        "1",
        "--since",
        &since.to_string(),
    ]);
    let stdout = common::stdout_of(&mut cmd);
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let contents: Vec<&str> = lines
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["line one", "line \u{1b}[31mtwo"]);
    assert!(stdout.contains("\\u001b[31m"), "escaped in JSON: {stdout}");
    assert_eq!(lines[0]["conversation"]["nickname"], "Mai Vu");

    let mut cmd = h.cmd();
    cmd.args(["watch", "--polls", "1", "--since", &since.to_string()]);
    let stdout = common::stdout_of(&mut cmd);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].contains("session_abc123")
            && lines[0].contains("Mai Vu")
            && lines[0].ends_with("user: line one"),
        "{stdout}"
    );
    assert!(
        !stdout.contains('\u{1b}'),
        "a raw escape reached the terminal: {stdout:?}"
    );
}

#[test]
fn demo_activity_brings_messages_to_watch() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = common::hermetic(home.path());
    cmd.args([
        "--demo",
        "--demo-activity",
        "0.02",
        "watch",
        "--json",
        "--interval",
        "0.05",
        "--polls",
        "40",
    ]);
    let (status, stdout, stderr) = common::run(&mut assert_cmd::Command::from_std(cmd));
    assert_eq!(status, 0, "{stderr}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        !lines.is_empty(),
        "simulated visitors wrote nothing in 40 polls: {stderr}"
    );
    assert!(lines
        .iter()
        .all(|m| m["from"] == "user" && m["conversation_id"].is_string()));
    assert!(stderr.contains("requests in 40 polls"), "{stderr}");
}

#[test]
fn sigint_ends_the_subcommand_with_status_0() {
    let h = Harness::new();
    let mut cmd = common::hermetic(h.home.path());
    faulty::with_account(&mut cmd, &h.server.url());
    cmd.args(["watch", "--interval", "3600"]);
    let running = Running::start(cmd);
    wait_for_polls(&h, 1);
    // SAFETY: a plain kill(2) on our own child's pid.
    unsafe { libc::kill(running.child.id() as i32, libc::SIGINT) };
    let (status, _, stderr) = running.finish();
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("1 requests in 1 polls"), "{stderr}");
}

#[test]
fn timeout_stops_a_sleeping_watch() {
    let h = Harness::new();
    let mut cmd = h.cmd();
    cmd.args([
        "--timeout",
        "1",
        "-e",
        "for m in crisp.watch{interval = 3600} do end",
    ]);
    let (status, _, stderr) = common::run(&mut cmd);
    assert_eq!(status, 1, "{stderr}");
    assert!(stderr.contains("timed out"), "{stderr}");
    assert!(
        !stderr.contains("coroutine"),
        "the watch did not wake up: {stderr}"
    );
    let mut cmd = h.cmd();
    cmd.args(["--timeout", "1", "watch", "--interval", "3600"]);
    let (status, _, stderr) = common::run(&mut cmd);
    assert_eq!(status, 1, "{stderr}");
    assert!(
        stderr.contains("timed out") && stderr.contains("--timeout"),
        "{stderr}"
    );
}

#[test]
fn ctrl_c_stops_a_watch_at_the_prompt_and_the_session_goes_on() {
    use expectrl::{ControlCode, Session};
    let home = tempfile::tempdir().unwrap();
    let mut cmd = common::hermetic(home.path());
    cmd.args(["--demo", "--no-pager", "--history"])
        .arg(home.path().join("h"));
    cmd.env("TERM", "xterm").env("NO_COLOR", "1");
    let mut s = Session::spawn(cmd).expect("spawn in a pty");
    let _ = s.get_process_mut().set_window_size(120, 40);
    s.set_expect_timeout(Some(Duration::from_secs(20)));
    s.expect("crisp:default> ").unwrap();
    s.send_line("kept = 7; for m in crisp.watch{interval = 3600} do print(m.content) end")
        .unwrap();
    // The baseline is announced on stderr, then it sleeps for an hour.
    s.expect("polling every 3600s").unwrap();
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("interrupted").unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line("kept * 6").unwrap();
    s.expect("42").unwrap();
    s.send_line(":quit").unwrap();
    s.expect(expectrl::Eof).unwrap();
}

#[test]
fn demo_server_activity_reaches_a_separate_watch() {
    let home = tempfile::tempdir().unwrap();
    let mut server = common::hermetic(home.path());
    server.args(["demo-server", "--demo-activity", "0.02"]);
    let server = Running::start(server);
    // The variables it prints point a client at it.
    let mut vars = Vec::new();
    while vars.len() < 5 {
        let line = server
            .lines
            .recv_timeout(Duration::from_secs(30))
            .expect("demo-server prints its variables");
        if let Some((k, v)) = line.split_once('=') {
            vars.push((k.to_string(), v.to_string()));
        }
    }
    let mut cmd = common::hermetic(home.path());
    cmd.envs(vars.iter().cloned())
        .args(["watch", "--json", "--interval", "0.05", "--polls", "40"]);
    let (status, stdout, stderr) = common::run(&mut assert_cmd::Command::from_std(cmd));
    let mut server = server;
    let _ = server.child.kill();
    let _ = server.child.wait();
    assert_eq!(status, 0, "{stderr}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty(), "no simulated visitor wrote: {stderr}");
    assert!(lines
        .iter()
        .all(|m| m["conversation"]["nickname"].is_string()));
}
