//! Conversations as transcripts: snapshots of the demo's long threads, the real binary in a
//! pty at 80 and 200 columns (and through the pager), plain and `--json` modes, and hostile
//! strings from a server made visible.

use std::path::Path;
use std::time::Duration;

use crisp_repl::demo::seed;
use crisp_repl::render::transcript::{render, Style, Zone};
use expectrl::Session;
use serde_json::{json, Value};

mod common;
#[path = "common/pty.rs"]
mod pty;
use pty::quit;
#[path = "common/faulty.rs"]
mod faulty;

/// The demo's long (incident) threads: the conversations with 45 messages or more.
fn long_threads(seed: &seed::Seed) -> Vec<Value> {
    seed.conversations
        .iter()
        .filter(|c| {
            let id = c["session_id"].as_str().unwrap_or_default();
            seed.messages.get(id).is_some_and(|m| m.len() >= 45)
        })
        .take(2)
        .map(|c| json!({"conversation": c, "data": seed.messages[c["session_id"].as_str().unwrap()]}))
        .collect()
}

/// Words of `s`, so wrapped text compares with the original.
fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn long_threads_snapshot_at_80_200_and_in_a_pipe() {
    let seed = seed::generate(seed::DEFAULT_CONVERSATIONS);
    let threads = long_threads(&seed);
    assert_eq!(threads.len(), 2, "the demo has long threads");
    for (n, thread) in threads.iter().enumerate() {
        for width in [Some(80), Some(200), None] {
            let text = render(
                thread,
                Style {
                    width,
                    colour: false,
                    zone: Zone::Utc,
                },
            )
            .expect("a thread");
            if let Some(w) = width {
                for line in text.lines() {
                    assert!(line.chars().count() <= w, "too wide at {w}: {line}");
                }
            }
            // Every text message is there in full, whatever the width.
            let flat = words(&text.replace("│ ", ""));
            for m in thread["data"].as_array().unwrap() {
                if let Some(content) = m["content"].as_str() {
                    assert!(flat.contains(&words(content)), "cut: {content}");
                }
            }
            let label = width.map_or("pipe".to_string(), |w| w.to_string());
            insta::assert_snapshot!(format!("long_thread_{n}_{label}"), text);
        }
    }
}

/// The binary in a pty `cols` wide with the demo inbox, times in UTC.
fn spawn(home: &Path, cols: u16, extra_env: &[(&str, String)]) -> Session {
    let mut cmd = common::hermetic(home);
    cmd.arg("--demo").arg("--history").arg(home.join("h"));
    cmd.env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("TZ", "UTC");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut s = Session::spawn(cmd).expect("spawn in a pty");
    let _ = s.get_process_mut().set_window_size(cols, 200);
    s.set_expect_timeout(Some(Duration::from_secs(30)));
    s.expect("crisp:default> ").expect("prompt");
    s
}

/// What a colon command printed, from `start` up to the next prompt (CR removed).
fn command_output(s: &mut Session, command: &str, start: &str) -> String {
    s.send_line(command).unwrap();
    s.expect(start).expect("the command's output starts");
    let found = s.expect("crisp:default> ").expect("the next prompt");
    let text = String::from_utf8_lossy(found.before()).replace('\r', "");
    let end = text.rfind('\n').unwrap_or(text.len());
    format!("{start}{}", &text[..end])
}

const FIRST: &str = "Hi! Since this morning our webhook endpoint rejects every delivery from you with 'signature mismatch'. We've already missed about 40 order events.";

#[test]
fn thread_at_80_columns_wraps_every_message_in_full() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(home.path(), 80, &[("PAGER", String::new())]);
    let out = command_output(
        &mut s,
        ":thread session_abc123",
        "Webhook deliveries failing",
    );
    assert!(
        out.contains("Mai Vu <mai.vu@beaconretail.co.uk> · session_abc123"),
        "{out}"
    );
    assert!(
        out.contains("state: unresolved · assigned: Alex Morgan · segments: technical, starter"),
        "{out}"
    );
    assert!(
        out.contains("Mai Vu (visitor) · 11:30\n  Hi! Since this morning"),
        "{out}"
    );
    assert!(
        out.contains("Alex Morgan (operator) · 11:48 · private note\n  │ Audit log:"),
        "{out}"
    );
    for line in out.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line:?}");
    }
    // Wrapped, not cut: the first message spans lines and all of it is there.
    assert!(!out.lines().any(|l| l.contains(FIRST)), "{out}");
    assert!(words(&out).contains(FIRST), "{out}");
    // `_` holds the conversation: it can be used (and saved) next.
    s.send_line("print('n=' .. #_.data)").unwrap();
    s.expect("n=6").unwrap();
    quit(s);
}

#[test]
fn thread_at_200_columns_keeps_a_message_on_one_line() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(home.path(), 200, &[("PAGER", String::new())]);
    let out = command_output(
        &mut s,
        ":thread session_abc123",
        "Webhook deliveries failing",
    );
    assert!(out.lines().any(|l| l == format!("  {FIRST}")), "{out}");
    // A missing conversation is an error, not a transcript.
    s.send_line(":thread session_nope").unwrap();
    s.expect("does not exist").unwrap();
    s.send_line(":thread").unwrap();
    s.expect("usage: :thread ID").unwrap();
    quit(s);
}

#[test]
fn a_long_thread_goes_through_the_pager() {
    let seed = seed::generate(seed::DEFAULT_CONVERSATIONS);
    let id = long_threads(&seed)[0]["conversation"]["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let home = tempfile::tempdir().unwrap();
    let paged = home.path().join("paged.txt");
    let pager = format!("cat > '{}'", paged.display());
    let mut s = spawn(home.path(), 100, &[("PAGER", pager)]);
    let _ = s.get_process_mut().set_window_size(100, 30);
    s.send_line(format!("crisp.show('{id}') print('<<'..'DONE>>')"))
        .unwrap();
    s.expect("<<DONE>>").unwrap();
    let text = std::fs::read_to_string(&paged).expect("the pager got the transcript");
    assert!(text.contains("messages"), "{text}");
    assert!(text.lines().count() > 100, "{text}");
    quit(s);
}

#[test]
fn the_pager_command_reaches_transcripts() {
    let seed = seed::generate(seed::DEFAULT_CONVERSATIONS);
    let id = long_threads(&seed)[0]["conversation"]["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let home = tempfile::tempdir().unwrap();
    let paged = home.path().join("paged.txt");
    let pager = format!("cat > '{}'", paged.display());
    let mut s = spawn(home.path(), 100, &[("PAGER", pager)]);
    let _ = s.get_process_mut().set_window_size(100, 30);
    s.send_line(":pager").unwrap();
    s.expect("pager off").unwrap();
    s.send_line(format!("crisp.show('{id}') print('<<'..'DONE>>')"))
        .unwrap();
    s.expect("<<DONE>>").unwrap();
    assert!(!paged.exists(), "paged although :pager turned it off");
    s.send_line(":pager").unwrap();
    s.expect("pager on").unwrap();
    s.send_line(format!(":thread {id}")).unwrap();
    s.send_line("print('<<'..'DONE>>')").unwrap();
    s.expect("<<DONE>>").unwrap();
    let text = std::fs::read_to_string(&paged).expect("the pager got the transcript");
    assert!(text.lines().count() > 100, "{text}");
    quit(s);
}

#[test]
fn plain_mode_is_the_same_transcript_and_json_mode_keeps_the_data() {
    let h = common::Harness::new();
    let plain = common::stdout_of(
        h.cmd()
            .env("TZ", "UTC")
            .args(["-e", "crisp.show('session_abc123')"]),
    );
    assert!(!plain.contains('\x1b'), "{plain}");
    assert!(
        plain.starts_with("Webhook deliveries failing: signature mismatch\n"),
        "{plain}"
    );
    // No width in a pipe: each paragraph on one line.
    assert!(plain.contains(&format!("\n  {FIRST}\n")), "{plain}");
    let line = common::stdout_of(h.cmd().args([
        "--json",
        "-e",
        "return crisp.show(crisp.get_conversation{conversation_id = 'session_abc123'})",
    ]));
    let shown: Value = serde_json::from_str(line.trim()).unwrap();
    let line = common::stdout_of(h.cmd().args([
        "--json",
        "-e",
        "return crisp.get_conversation{conversation_id = 'session_abc123'}",
    ]));
    let data: Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(shown["values"], data["values"]);
    assert_eq!(shown["values"][0]["data"].as_array().unwrap().len(), 6);
    // Something that is not a conversation says so.
    let (status, _, err) = common::run(h.cmd().args(["-e", "crisp.show(crisp.list_contacts())"]));
    assert_eq!(status, 1);
    assert!(err.contains("not a conversation"), "{err}");
}

const HOSTILE: &str =
    "\u{1b}]52;c;AAAA\u{7} \u{1b}[2J safe\r\u{1b}[2Kx \u{202e}evil zero\u{200b}width \u{9b}2J";

#[test]
fn hostile_strings_in_a_transcript_are_escaped() {
    let h = serde_json::to_string(HOSTILE).unwrap();
    let conversation = format!(
        r#"{{"error":false,"reason":"resolved","data":{{"session_id":"session_h","state":{h},"assigned":{{"user_id":{h}}},"meta":{{"nickname":{h},"email":{h},"segments":[{h}],"subject":{h}}}}}}}"#
    );
    let messages = format!(
        r#"{{"error":false,"reason":"resolved","data":[{{"type":"text","from":"user","content":{h},"timestamp":1793534400000,"fingerprint":1,"user":{{"nickname":{h}}}}},{{"type":"note","from":"operator","content":{h},"timestamp":1793534460000,"fingerprint":2,"user":{{"nickname":{h},"user_id":{h}}}}},{{"type":"file","from":"user","content":{{"name":{h},"url":{h},"type":{h}}},"timestamp":1793534470000,"fingerprint":3}}]}}"#
    );
    let server = faulty::FaultyServer::start(vec![
        faulty::Step::json(200, &conversation),
        faulty::Step::json(200, &messages),
    ]);
    let home = tempfile::tempdir().unwrap();
    let mut cmd = common::hermetic(home.path());
    faulty::with_account(&mut cmd, &server.url());
    cmd.arg("--no-pager")
        .arg("--history")
        .arg(home.path().join("h"));
    cmd.env("TERM", "xterm");
    let mut s = Session::spawn(cmd).expect("spawn in a pty");
    let _ = s.get_process_mut().set_window_size(120, 60);
    s.set_expect_timeout(Some(Duration::from_secs(20)));
    s.expect("crisp:default> ").unwrap();
    s.send_line(":thread session_h").unwrap();
    // From the end of the echoed command line to the next prompt.
    s.expect(":thread session_h").unwrap();
    // The line editor may redraw the prompt as it accepts the line: wait for the data first.
    let head = s.expect("3 messages").unwrap();
    let mut bytes = head.before().to_vec();
    bytes.extend_from_slice(b"3 messages");
    let found = s.expect("crisp:default> ").unwrap();
    bytes.extend_from_slice(found.before());
    let raw = String::from_utf8_lossy(&bytes).replace('\r', "");
    // The line editor's own sequences end the input line (bracketed paste off): not data.
    // Everything up to it (prompt redraws) is the editor's too.
    let raw = raw
        .find("\x1b[?2004l")
        .map_or(raw.as_str(), |at| &raw[at + "\x1b[?2004l".len()..])
        .trim_start_matches('\n');
    // The line editor redraws its prompt after the last line: not rendered data.
    let raw = &raw[..raw.rfind('\n').unwrap_or(raw.len())];
    assert!(raw.contains("3 messages"), "{raw:?}");
    if let Some(problem) = crisp_repl::render::sanitize::terminal_safety_problem(raw) {
        panic!("{problem}: {raw:?}");
    }
    assert!(raw.contains("\\e]52;c;AAAA\\x07"), "{raw}");
    assert!(raw.contains("\\u{202e}evil"), "{raw}");
    assert!(raw.contains("private note"), "{raw}");
    assert!(raw.contains("\x1b["), "colour is on: {raw:?}");
    s.send_line(":quit").unwrap();
    let _ = s.expect(expectrl::Eof);
}
