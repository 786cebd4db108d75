//! A whole session with a known key: calls, errors, `--json`, `--dry-run`, a wrong key,
//! `auth login/status/logout`, and the REPL with `:verbose` and `:last` in a pseudo-terminal.
//! Neither the key nor its Basic-auth base64 (nor any 16 characters of either) may appear in
//! stdout, stderr, the history file, the config file or anything else written under HOME.

mod common;

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use common::{run, Harness};
use crisp_repl::crisp::Tier;
use crisp_repl::demo::{demo_token, DEMO_WEBSITE_ID};

/// Any 16 consecutive characters of a secret count as a leak.
fn needles(secrets: &[&str]) -> Vec<String> {
    secrets
        .iter()
        .flat_map(|s| {
            let chars: Vec<char> = s.chars().collect();
            chars
                .windows(16)
                .map(|w| w.iter().collect::<String>())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn assert_clean(what: &str, text: &str, needles: &[String]) {
    for n in needles {
        assert!(
            !text.contains(n.as_str()),
            "{what} shows a secret ({n}):\n{text}"
        );
    }
}

/// Every file under `dir` except `allowed` (the plain-text store the user chose at login).
fn assert_tree_clean(dir: &Path, allowed: &[&str], needles: &[String]) -> Vec<String> {
    let mut seen = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            seen.push(name.clone());
            if allowed.contains(&name.as_str()) {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap_or_default();
            assert_clean(
                &path.display().to_string(),
                &String::from_utf8_lossy(&bytes),
                needles,
            );
        }
    }
    seen
}

const CHUNKS: &str = r#"
r = crisp.list_conversations{per_page = 3}
crisp.get_conversation{conversation_id = 'session_nope'}
crisp.send_message{conversation_id = 'session_abc123', text = 'hello from the secrets test'}
return crisp.get_current_user{}
return crisp
return app
for k, v in pairs(crisp.default) do print(k, v) end
local ok, e = pcall(crisp.list_contacts, {per_page = 500}) return e
error(crisp)
crisp.nope{}
return crisp.all(crisp.list_campaigns, {})
"#;

#[test]
fn a_whole_session_never_shows_the_key() {
    let h = Harness::new();
    let token = demo_token(Tier::User);
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", token.identifier, token.key));
    let wrong_key = "wr0ngk3yf00dcafe0123456789abcdef0123456789abcdef0123456789abcdef";
    let wrong_basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{wrong_key}", token.identifier));
    let needles = needles(&[token.key, &basic, wrong_key, &wrong_basic]);
    let mut transcript = Vec::new();
    let mut record = |what: &str, (status, out, err): (i32, String, String)| {
        transcript.push((what.to_string(), status, out, err));
    };

    // Calls, errors and every kind of value, as JSON lines and as text for people.
    record("--json", run(h.cmd().arg("--json").write_stdin(CHUNKS)));
    record("plain", run(h.cmd().write_stdin(CHUNKS)));
    record(
        "-e error",
        run(h
            .cmd()
            .args(["-e", "crisp.get_contact{contact_id = 'nobody@example.com'}"])),
    );
    record(
        "--dry-run",
        run(h.cmd().args([
            "--dry-run",
            "--json",
            "-e",
            "return crisp.send_message{conversation_id = 'session_abc123', text = 'dry'}",
        ])),
    );
    // A wrong key: refused, and neither key is shown.
    record(
        "wrong key",
        run(h.cmd().env("CRISP_KEY", wrong_key).args([
            "--json",
            "-e",
            "crisp.list_conversations{}",
        ])),
    );
    record(
        "wrong key, text",
        run(h
            .cmd()
            .env("CRISP_KEY", wrong_key)
            .args(["-e", "crisp.list_conversations{}"])),
    );
    record("auth status", run(h.cmd().args(["auth", "status"])));
    record(
        "auth status --check",
        run(h.cmd().args(["auth", "status", "--check"])),
    );
    record(
        "auth status --check, wrong key",
        run(h
            .cmd()
            .env("CRISP_KEY", wrong_key)
            .args(["auth", "status", "--check"])),
    );

    // Login with the key on stdin: a wrong key is refused, the right one stored (plain-text
    // store, chosen explicitly), used, listed and logged out.
    let url = h.server.url();
    let login = |key: &str| {
        let mut cmd = h.bare();
        cmd.env("CRISP_API_URL", &url)
            .args([
                "auth",
                "login",
                "--account",
                "vault",
                "--website-id",
                DEMO_WEBSITE_ID,
                "--tier",
                "user",
                "--key-stdin",
                "--insecure-storage",
            ])
            .write_stdin(format!("{}\n{key}\n", token.identifier));
        run(&mut cmd)
    };
    let refused = login(wrong_key);
    assert_eq!(refused.0, 3, "{refused:?}");
    record("login, wrong key", refused);
    let accepted = login(token.key);
    assert_eq!(accepted.0, 0, "{accepted:?}");
    record("login", accepted);
    let vault = |args: &[&str]| {
        let mut cmd = h.bare();
        cmd.env("CRISP_API_URL", &url).args(args);
        run(&mut cmd)
    };
    let used = vault(&["-e", "return crisp.vault.get_current_user{}.data.email"]);
    assert!(used.1.contains("alex.morgan"), "{used:?}");
    record("stored token used", used);
    record(
        "auth status after login",
        vault(&["auth", "status", "--check"]),
    );
    record(
        "logout",
        vault(&["auth", "logout", "--account", "vault", "--forget"]),
    );

    // The REPL in a pseudo-terminal: `:verbose` logs each request, `:last` shows the last one.
    record("repl", (0, repl_session(&h), String::new()));

    for (what, status, out, err) in &transcript {
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert_clean(&format!("{what} stdout (status {status})"), out, &needles);
        assert_clean(&format!("{what} stderr (status {status})"), err, &needles);
    }
    // The session did what it says: errors happened, requests went out.
    let all: String = transcript
        .iter()
        .map(|t| format!("{}{}", t.2, t.3))
        .collect();
    assert!(all.contains("HTTP 401 invalid_session"), "{all}");
    assert!(all.contains("HTTP 404"), "{all}");
    assert!(all.contains("GET /v1/website/"), "the :verbose log: {all}");
    assert!(all.contains("dry_run"), "{all}");

    let files = assert_tree_clean(h.home.path(), &[], &needles);
    assert!(files.contains(&"history".to_string()), "{files:?}");
    assert!(files.contains(&"config.toml".to_string()), "{files:?}");
}

/// A short REPL session; returns everything it printed.
fn repl_session(h: &Harness) -> String {
    use expectrl::Session;
    let token = demo_token(Tier::User);
    let history = h.home.path().join("data/crisp-repl/history");
    let home = h.home.path();
    let mut cmd = common::hermetic(home);
    cmd.arg("--no-pager")
        .arg("--history")
        .arg(&history)
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("CRISP_API_URL", h.server.url())
        .env("CRISP_WEBSITE_ID", DEMO_WEBSITE_ID)
        .env("CRISP_IDENTIFIER", token.identifier)
        .env("CRISP_KEY", token.key)
        .env("CRISP_TIER", "user");
    let mut s = Session::spawn(cmd).expect("spawn in a pty");
    let _ = s.get_process_mut().set_window_size(120, 40);
    s.set_expect_timeout(Some(Duration::from_secs(20)));
    let mut seen = String::new();
    let mut expect = |s: &mut Session, needle: &str| {
        let found = s
            .expect(needle)
            .unwrap_or_else(|e| panic!("{needle}: {e}\n{seen}"));
        seen.push_str(&String::from_utf8_lossy(found.before()));
        for m in found.matches() {
            seen.push_str(&String::from_utf8_lossy(m));
        }
    };
    expect(&mut s, "crisp:default> ");
    for (line, until) in [
        (":verbose", "request log on"),
        (
            "crisp.list_conversations{per_page = 2}",
            "has_more true (next",
        ),
        (":last", "status 200"),
        (
            "crisp.get_conversation{conversation_id = 'session_nope'}",
            "list_conversations shows the ids",
        ),
        (":last", "status 404"),
        ("crisp.get_current_user{}", "alex.morgan"),
        ("crisp.nope{}", "has no function or account"),
    ] {
        s.send_line(line).unwrap();
        expect(&mut s, until);
    }
    s.send_line(":quit").unwrap();
    let rest = s.expect(expectrl::Eof).expect(":quit ends the session");
    seen.push_str(&String::from_utf8_lossy(rest.before()));
    seen
}
