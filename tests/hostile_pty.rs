//! Hostile strings from a server, rendered in a real pseudo-terminal: the raw bytes the
//! operator's terminal receives hold no control other than CR, LF and the renderer's own
//! colour (SGR) sequences; no C1 and no bidi control.

use std::time::Duration;

use expectrl::Session;

mod common;
#[path = "common/faulty.rs"]
mod faulty;

use faulty::{with_account, FaultyServer, Step};

const HOSTILE: &[&str] = &[
    "\u{1b}]52;c;AAAA\u{7}",
    "\u{1b}]0;title\u{7}",
    "\u{1b}[2J",
    "safe\r\u{1b}[2Kmalicious",
    "\u{202e}evil",
    "zero\u{200b}width",
    "\u{9b}2J",
];

fn hostile_text() -> String {
    HOSTILE.concat()
}

/// Run one chunk in the REPL in a pty against `steps` and return the raw bytes printed
/// between a marker printed first and the next prompt.
fn raw_output(steps: Vec<Step>, chunk: &str) -> Vec<u8> {
    raw_output_then(steps, chunk, None)
}

/// As `raw_output`; with `then` (a colon command whose output starts with `then.1`), the raw
/// bytes that command prints after that start instead.
fn raw_output_then(steps: Vec<Step>, chunk: &str, then: Option<(&str, &str)>) -> Vec<u8> {
    let server = FaultyServer::start(steps);
    let home = tempfile::tempdir().unwrap();
    let mut cmd = common::hermetic(home.path());
    with_account(&mut cmd, &server.url());
    cmd.arg("--no-pager")
        .arg("--history")
        .arg(home.path().join("h"));
    cmd.env("TERM", "xterm");
    let mut s = Session::spawn(cmd).expect("spawn in a pty");
    let _ = s.get_process_mut().set_window_size(160, 40);
    s.set_expect_timeout(Some(Duration::from_secs(20)));
    s.expect("crisp:default> ").expect("prompt");
    // The marker is built at run time so the echoed input never matches it.
    s.send_line(format!("print('<<'..'BEGIN>>') {chunk}"))
        .unwrap();
    s.expect("<<BEGIN>>").expect("marker");
    let mut found = s.expect("crisp:default> ").expect("the next prompt");
    if let Some((command, start)) = then {
        s.send_line(command).unwrap();
        s.expect(start).expect("the command's output");
        found = s.expect("crisp:default> ").expect("the next prompt");
    }
    let mut raw = found.before().to_vec();
    // After the result's last line the line editor redraws its prompt with its own
    // sequences (bracketed paste, erase line): those are not rendered data.
    let end = raw
        .windows(2)
        .rposition(|w| w == b"\r\n")
        .map_or(raw.len(), |i| i + 2);
    raw.truncate(end);
    s.send_line(":quit").unwrap();
    let _ = s.expect(expectrl::Eof);
    raw
}

/// The terminal-safety rule on raw bytes, and the renderer's colour still there.
fn assert_safe(raw: &[u8]) {
    assert_safe_without_colour(raw);
    let text = String::from_utf8_lossy(raw);
    assert!(
        text.contains("\u{1b}[") && text.contains('m'),
        "colour is kept: {text:?}"
    );
}

/// The terminal-safety rule on raw bytes.
fn assert_safe_without_colour(raw: &[u8]) {
    let text = String::from_utf8_lossy(raw);
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == 0x1b {
            // Only SGR: ESC [ digits/; m
            let rest = &raw[i + 1..];
            let len = rest
                .strip_prefix(b"[")
                .and_then(|r| r.iter().position(|c| !(c.is_ascii_digit() || *c == b';')))
                .filter(|&end| rest.get(end + 1) == Some(&b'm'));
            let Some(end) = len else {
                panic!("a raw escape that is not SGR at {i}: {text:?}");
            };
            i += end + 3;
            continue;
        }
        assert!(
            b >= 0x20 || b == b'\r' || b == b'\n',
            "control byte {b:#04x} at {i}: {text:?}"
        );
        assert!(b != 0x7f, "DEL at {i}: {text:?}");
        if b == 0xc2 {
            let next = raw.get(i + 1).copied().unwrap_or(0);
            assert!(!(0x80..=0x9f).contains(&next), "C1 at {i}: {text:?}");
        }
        i += 1;
    }
    for c in text.chars() {
        assert!(
            !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}'..='\u{200f}' | '\u{61c}' | '\u{2060}' | '\u{feff}'),
            "{c:?} in {text:?}"
        );
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

#[test]
fn a_hostile_list_renders_safely() {
    let h = json_string(&hostile_text());
    let rows: Vec<String> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, one)| {
            let one = json_string(one);
            format!(
                r#"{{"session_id":"session_{i}","state":{one},"meta":{{"nickname":{h}}},"last_message":{one},{one}:{h}}}"#
            )
        })
        .collect();
    let body = format!(
        r#"{{"error":false,"reason":"listed","data":[{}]}}"#,
        rows.join(",")
    );
    let raw = raw_output(
        vec![Step::json(200, &body)],
        "return crisp.list_conversations{}",
    );
    assert_safe(&raw);
    assert!(String::from_utf8_lossy(&raw).contains("\\e]52;c;AAAA\\x07"));
}

#[test]
fn a_hostile_record_renders_safely() {
    let h = json_string(&hostile_text());
    let body = format!(
        r#"{{"error":false,"reason":"resolved","data":{{"people_id":{h},"email":{h},"person":{{"nickname":{h},{h}:{h}}},{h}:{h}}}}}"#
    );
    let raw = raw_output(
        vec![Step::json(200, &body)],
        "return crisp.get_contact{contact_id = 'x'}",
    );
    assert_safe(&raw);
    assert!(String::from_utf8_lossy(&raw).contains("\\u{202e}"));
}

#[test]
fn a_hostile_error_renders_safely() {
    let h = json_string(&hostile_text());
    let body = format!(r#"{{"error":true,"reason":{h},"data":{{"message":{h}}}}}"#);
    let raw = raw_output(
        vec![Step::json(404, &body)],
        "return crisp.get_contact{contact_id = 'x'}",
    );
    assert_safe(&raw);
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("\\e[2J"), "{text:?}");
}

#[test]
fn a_caught_hostile_error_value_renders_safely() {
    let h = json_string(&hostile_text());
    let body = format!(r#"{{"error":true,"reason":{h},"data":{{"message":{h}}}}}"#);
    let raw = raw_output(
        vec![Step::json(404, &body)],
        "return select(2, pcall(crisp.get_contact, {contact_id = 'x'}))",
    );
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("<error: "), "{text:?}");
    assert_safe_without_colour(&raw);
}

#[test]
fn last_shows_a_hostile_exchange_safely() {
    // Not JSON: the raw bytes themselves reach `:last`'s start of the body.
    let body = format!("{} <html>", hostile_text());
    let raw = raw_output_then(
        vec![Step::bytes(200, body.as_bytes())],
        "pcall(crisp.get_contact, {contact_id = 'x'})",
        Some((":last", "status 200")),
    );
    let text = String::from_utf8_lossy(&raw);
    // The client already blanks C0/C1 controls in the body head; bidi and zero-width
    // characters are left to the display, which makes them visible.
    assert!(text.contains("\\u{202e}evil"), "{text:?}");
    assert_safe_without_colour(&raw);
}

#[test]
fn auth_login_shows_a_hostile_identity_safely() {
    // The success line quotes the profile's nickname and email from the server.
    let h = json_string(&hostile_text());
    let profile = format!(
        r#"{{"error":false,"reason":"ok","data":{{"user_id":"u1","nickname":{h},"email":{h}}}}}"#
    );
    let server = FaultyServer::start(vec![Step::json(200, &profile)]);
    let home = tempfile::tempdir().unwrap();
    let token = crisp_repl::demo::demo_token(crisp_repl::crisp::Tier::User);
    let mut cmd = common::hermetic(home.path());
    cmd.env("CRISP_API_URL", server.url())
        .args(["auth", "login", "--account", "support", "--website-id"])
        .arg(crisp_repl::demo::DEMO_WEBSITE_ID)
        .args(["--tier", "user", "--key-stdin", "--insecure-storage"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        write!(stdin, "{}\n{}\n", token.identifier, token.key).expect("write");
    }
    let out = child.wait_with_output().expect("output");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let all = [out.stdout, out.stderr].concat();
    let text = String::from_utf8_lossy(&all);
    assert!(text.contains("\\e]52;c;AAAA"), "{text:?}");
    assert_safe_without_colour(&all);
}
