//! The interactive REPL driven in a real pseudo-terminal: completion, hints, multi-line input,
//! Ctrl-C, history, `:doc`, colon commands.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use expectrl::{ControlCode, Session};

mod common;
#[path = "common/pty.rs"]
mod pty;
use pty::{quit, wait_for_file};

/// The binary in a pty with the demo inbox, a private HOME and the given history file.
fn spawn(home: &Path, history: &Path, extra: &[&str]) -> Session {
    let mut cmd = common::hermetic(home);
    cmd.arg("--demo").arg("--history").arg(history).args(extra);
    cmd.env("TERM", "xterm").env("NO_COLOR", "1");
    pty::start(cmd, 120, 40, Duration::from_secs(20))
}

/// A needle for a result printed on a line of its own.
fn line(text: &str) -> expectrl::Regex<String> {
    expectrl::Regex(format!("\n{}\r?\n", regex_escape(text)))
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == ' ' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

#[test]
fn tab_completes_functions_and_parameters() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(home.path(), &home.path().join("h"), &["--no-pager"]);
    // "se" also starts set_conversation_state.
    s.send("crisp.sen\t").unwrap();
    s.expect("crisp.send_message").unwrap();
    // The signature hint appears once the brace is typed.
    s.send("{").unwrap();
    s.expect("conversation_id, text, type?, from?").unwrap();
    // Parameter names complete inside the braces.
    s.send("conversation_id = 'session_abc123', te\t").unwrap();
    s.expect("text = ").unwrap();
    s.send("'hello from the pty'}\r").unwrap();
    s.expect("sent").unwrap();
    s.expect("crisp:default> ").unwrap();
    // Accounts and functions after `app.integrations.crisp.`
    s.send("app.integrations.crisp.su\t").unwrap();
    s.expect("app.integrations.crisp.support").unwrap();
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("crisp:default> ").unwrap();
    quit(s);
}

#[test]
fn multi_line_input_and_persistent_locals() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(home.path(), &home.path().join("h"), &["--no-pager"]);
    s.send_line("local function twice(n)").unwrap();
    s.expect("... ").unwrap();
    s.send_line("  return n * 2").unwrap();
    s.expect("... ").unwrap();
    s.send_line("end").unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line("local base = 20").unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line("twice(base) + 2").unwrap();
    s.expect(line("42")).unwrap();
    s.send_line("_ + 1").unwrap();
    s.expect(line("43")).unwrap();
    // A syntax error that is not incompleteness is reported at once, with its line.
    s.send_line("x = = 1").unwrap();
    s.expect("syntax error: input:1:").unwrap();
    quit(s);
}

#[test]
fn ctrl_c_interrupts_a_loop_and_keeps_the_state() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(home.path(), &home.path().join("h"), &["--no-pager"]);
    s.send_line("kept = 'still here' print('ok')").unwrap();
    s.expect(line("ok")).unwrap();
    s.send_line("while true do end").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("interrupted").unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line("1+1").unwrap();
    s.expect(line("2")).unwrap();
    s.send_line("kept").unwrap();
    s.expect("\"still here\"").unwrap();
    // Ctrl-C at the prompt clears the line instead of quitting (the prompt is drawn after
    // rustyline enters raw mode, where Ctrl-C is a key rather than a signal).
    s.expect("crisp:default> ").unwrap();
    s.send("half typed").unwrap();
    s.expect("half typed").unwrap();
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line("3*3").unwrap();
    s.expect(line("9")).unwrap();
    quit(s);
}

#[test]
fn ctrl_c_survives_pcall_loops() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(home.path(), &home.path().join("h"), &["--no-pager"]);
    s.send_line("while true do pcall(function() while true do end end) end")
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("interrupted").unwrap();
    s.expect("crisp:default> ").unwrap();
    quit(s);
}

#[test]
fn history_persists_and_is_shared_by_concurrent_sessions() {
    let home = tempfile::tempdir().unwrap();
    let history = home.path().join("history");
    let mut a = spawn(home.path(), &history, &["--no-pager"]);
    let mut b = spawn(home.path(), &history, &["--no-pager"]);
    // The file exists, private, before anything is saved: rustyline would otherwise create it
    // unlocked and two first saves could truncate each other.
    let meta = std::fs::metadata(&history).expect("history file created at start-up");
    assert_eq!(meta.len(), 0);
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
        0o600
    );
    a.send_line("marker_from_a = 1").unwrap();
    b.send_line("marker_from_b = 2").unwrap();
    // Saved after every entry: visible before either session ends.
    let text = wait_for_file(&history, |t| {
        t.contains("marker_from_a") && t.contains("marker_from_b")
    });
    assert!(text.contains("marker_from_a = 1"), "{text}");
    assert!(text.contains("marker_from_b = 2"), "{text}");
    a.send_line(" secret_line = 3").unwrap(); // a leading space keeps it out of history
    a.expect("crisp:default> ").unwrap();
    a.send_line("marker_from_a = 1").unwrap(); // duplicates collapse
    a.expect("crisp:default> ").unwrap();
    quit(a);
    quit(b);
    let text = std::fs::read_to_string(&history).unwrap();
    assert!(!text.contains("secret_line"), "{text}");
    assert_eq!(text.matches("marker_from_a = 1").count(), 1, "{text}");
    // A new session recalls the old lines with the up arrow.
    let mut c = spawn(home.path(), &history, &["--no-pager"]);
    c.send("\x1b[A").unwrap();
    c.expect("marker_from").unwrap();
    c.send(ControlCode::EndOfText).unwrap();
    c.expect("crisp:default> ").unwrap();
    quit(c);
}

#[test]
fn first_lines_of_many_sessions_at_once_are_all_kept() {
    let home = tempfile::tempdir().unwrap();
    let history = home.path().join("fresh-history");
    let mut sessions: Vec<Session> = (0..6)
        .map(|_| spawn(home.path(), &history, &["--no-pager"]))
        .collect();
    // Every session saves its first line at (nearly) the same moment into a fresh file.
    for (i, s) in sessions.iter_mut().enumerate() {
        s.send_line(format!("race_marker_{i} = {i}")).unwrap();
    }
    let text = wait_for_file(&history, |t| {
        (0..6).all(|i| t.contains(&format!("race_marker_{i} = {i}")))
    });
    for i in 0..6 {
        assert!(text.contains(&format!("race_marker_{i} = {i}")), "{text}");
    }
    for s in sessions {
        quit(s);
    }
}

#[test]
fn doc_shows_the_parameter_table() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(home.path(), &home.path().join("h"), &["--no-pager"]);
    s.send_line(":doc send_message").unwrap();
    s.expect("Parameters").unwrap();
    s.expect("conversation_id").unwrap();
    s.expect("┆ string").unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line(":doc crisp.sned_message").unwrap();
    s.expect("did you mean 'send_message'?").unwrap();
    s.send_line("doc('get_contact')").unwrap();
    s.expect("contact_id").unwrap();
    quit(s);
}

#[test]
fn long_output_goes_through_the_pager() {
    let home = tempfile::tempdir().unwrap();
    let paged = home.path().join("paged.txt");
    let mut cmd_pager = format!("cat > '{}'", paged.display());
    cmd_pager.push_str("; true");
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("crisp-repl"));
    cmd.args(["--demo", "--history"])
        .arg(home.path().join("h"))
        .env("HOME", home.path())
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("PAGER", &cmd_pager);
    let mut s = Session::spawn(cmd).unwrap();
    let _ = s.get_process_mut().set_window_size(120, 40);
    s.set_expect_timeout(Some(Duration::from_secs(20)));
    s.expect("crisp:default> ").unwrap();
    s.send_line("crisp.list_conversations{per_page = 100}")
        .unwrap();
    let text = wait_for_file(&paged, |t| t.contains("100 rows"));
    assert!(text.contains("100 rows"), "{text}");
    quit(s);
}

#[test]
fn colon_commands() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(home.path(), &home.path().join("h"), &["--no-pager"]);
    s.send_line(":help").unwrap();
    s.expect(":verbose").unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line(":use support").unwrap();
    s.expect("crisp:support> ").unwrap();
    s.send_line("crisp.get_current_user{}.data.tier").unwrap();
    s.expect("\"plugin\"").unwrap();
    s.send_line(":verbose").unwrap();
    s.expect("request log on").unwrap();
    s.send_line("crisp.list_conversations{per_page = 2}")
        .unwrap();
    s.expect("GET /v1/website/").unwrap();
    s.expect("-> 200 in").unwrap();
    s.send_line(":last").unwrap();
    s.expect("status 200").unwrap();
    s.send_line(":json").unwrap();
    s.expect("raw JSON results on").unwrap();
    s.send_line("{a = {}}").unwrap();
    s.expect("\"a\": {}").unwrap();
    s.send_line("kept = 1 print('kept set')").unwrap();
    s.expect(line("kept set")).unwrap();
    s.send_line(":reset").unwrap();
    s.expect("fresh Lua state").unwrap();
    s.send_line("kept == nil").unwrap();
    s.expect(line("true")).unwrap();
    s.send_line(":use default").unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line(":nope").unwrap();
    s.expect("unknown command ':nope'").unwrap();
    quit(s);
}

#[test]
fn bad_history_files_warn_and_the_repl_still_starts() {
    let home = tempfile::tempdir().unwrap();
    // Corrupt: not UTF-8. The file must survive untouched.
    let corrupt = home.path().join("corrupt");
    std::fs::write(&corrupt, b"#V2\n\xff\xfe\x00garbage\n").unwrap();
    // A directory where the file should be, and a path below a regular file (cannot be created).
    let dir = home.path().join("a_directory");
    std::fs::create_dir(&dir).unwrap();
    let blocker = home.path().join("plain_file");
    std::fs::write(&blocker, "x").unwrap();
    for path in [corrupt.clone(), dir, blocker.join("history")] {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("crisp-repl"));
        cmd.args(["--demo", "--no-pager", "--history"])
            .arg(&path)
            .env("HOME", home.path())
            .env("TERM", "xterm")
            .env("NO_COLOR", "1");
        let mut s = Session::spawn(cmd).unwrap();
        let _ = s.get_process_mut().set_window_size(120, 40);
        s.set_expect_timeout(Some(Duration::from_secs(20)));
        s.expect("warning: ").unwrap();
        s.expect("crisp:default> ").unwrap();
        s.send_line("6*7").unwrap();
        s.expect(line("42")).unwrap();
        quit(s);
    }
    assert_eq!(
        std::fs::read(&corrupt).unwrap(),
        b"#V2\n\xff\xfe\x00garbage\n",
        "a corrupt history file is left alone"
    );
}

#[test]
fn ctrl_c_abandons_a_request_in_flight() {
    // A server that accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop_flag = stop.clone();
    let held = std::thread::spawn(move || {
        let mut kept = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline
            && !stop_flag.load(std::sync::atomic::Ordering::Relaxed)
        {
            if let Ok((conn, _)) = listener.accept() {
                kept.push(conn);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("crisp-repl"));
    cmd.args(["--no-pager", "--history"])
        .arg(home.path().join("h"))
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("CRISP_API_URL", &url)
        .env("CRISP_WEBSITE_ID", "w")
        .env("CRISP_IDENTIFIER", "i")
        .env("CRISP_KEY", "k")
        .env_remove("DBUS_SESSION_BUS_ADDRESS");
    let mut s = Session::spawn(cmd).unwrap();
    let _ = s.get_process_mut().set_window_size(120, 40);
    s.set_expect_timeout(Some(Duration::from_secs(20)));
    s.expect("crisp:default> ").unwrap();
    s.send_line("crisp.list_contacts{}").unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let pressed = std::time::Instant::now();
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("interrupted").unwrap();
    // Far below the 30 s request timeout: the request was abandoned, not waited out.
    assert!(
        pressed.elapsed() < Duration::from_secs(5),
        "{:?}",
        pressed.elapsed()
    );
    s.expect("crisp:default> ").unwrap();
    s.send_line("1+1").unwrap();
    s.expect(line("2")).unwrap();
    quit(s);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = held.join();
}

#[test]
fn typed_ahead_input_is_never_lost() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(home.path(), &home.path().join("h"), &["--no-pager"]);
    // Everything at once, as a program driving a terminal would type it.
    let burst: String = (1..=8).map(|i| format!("print('typed {i}')\r")).collect();
    s.send(&burst).unwrap();
    for i in 1..=8 {
        s.expect(line(&format!("typed {i}"))).unwrap();
    }
    quit(s);
}
