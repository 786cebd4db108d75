//! Editing, completing and discovering at the prompt, in a real pseudo-terminal: `:edit` and
//! Ctrl-X Ctrl-E with a scripted editor, value completion, `name?`, syntax colour, history
//! suggestions, short tracebacks and `:trace`.

use std::path::Path;
use std::time::Duration;

use expectrl::{ControlCode, Session};

mod common;
#[path = "common/pty.rs"]
mod pty;
use pty::{quit, wait_for_file};

/// The binary in a pty on the demo inbox; `colour` leaves NO_COLOR unset.
fn spawn_with(home: &Path, colour: bool, envs: &[(&str, &str)]) -> Session {
    let mut cmd = common::hermetic(home);
    cmd.arg("--demo")
        .arg("--no-pager")
        .arg("--history")
        .arg(home.join("history"));
    cmd.env("TERM", "xterm")
        .env_remove("VISUAL")
        .env_remove("EDITOR");
    if !colour {
        cmd.env("NO_COLOR", "1");
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    pty::start(cmd, 120, 40, Duration::from_secs(20))
}

fn spawn(home: &Path, envs: &[(&str, &str)]) -> Session {
    spawn_with(home, false, envs)
}

/// An executable shell script in `dir`.
fn script(dir: &Path, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_string_lossy().into_owned()
}

/// An editor that logs the file it got (path, mode, content) and appends a line to it.
fn appending_editor(home: &Path) -> String {
    let log = home.join("editor.log");
    script(
        home,
        "editor.sh",
        &format!(
            "{{ echo \"$1\"; stat -c %a \"$1\"; cat \"$1\"; echo ---; }} >> '{}'\nprintf 'print(\"from editor\", x)\\n' >> \"$1\"",
            log.display()
        ),
    )
}

#[test]
fn edit_opens_the_last_input_and_runs_what_is_saved() {
    let home = tempfile::tempdir().unwrap();
    let editor = appending_editor(home.path());
    let mut s = spawn(home.path(), &[("EDITOR", &editor)]);
    s.send_line("x = 40 + 1").unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line(":edit").unwrap();
    s.expect("from editor\t41").unwrap();
    s.expect("crisp:default> ").unwrap();
    let log = wait_for_file(&home.path().join("editor.log"), |t| t.contains("---"));
    let mut lines = log.lines();
    let path = lines.next().unwrap();
    assert!(path.ends_with(".lua"), "{log}");
    assert_eq!(lines.next(), Some("600"), "the file is private: {log}");
    assert_eq!(lines.next(), Some("x = 40 + 1"), "{log}");
    // The file is gone once the input ran.
    assert!(!Path::new(path).exists());
    // One history entry for the whole edited chunk, recalled whole by Up.
    let history = wait_for_file(&home.path().join("history"), |t| t.contains("from editor"));
    assert!(history.contains("from editor"), "{history}");
    s.send("\x1b[A").unwrap();
    s.expect("print(\"from editor\", x)").unwrap();
    s.send("\r").unwrap();
    s.expect("from editor\t41").unwrap();
    s.expect("crisp:default> ").unwrap();
    quit(s);
}

#[test]
fn ctrl_x_ctrl_e_edits_the_current_line() {
    let home = tempfile::tempdir().unwrap();
    let editor = appending_editor(home.path());
    // VISUAL wins over EDITOR.
    let mut s = spawn(home.path(), &[("VISUAL", &editor), ("EDITOR", "false")]);
    s.send("x = 'typed, not run'").unwrap();
    s.send("\x18\x05").unwrap();
    s.expect("from editor\ttyped, not run").unwrap();
    s.expect("crisp:default> ").unwrap();
    // An unfinished chunk goes to the editor whole.
    s.send_line("if true then").unwrap();
    s.expect("... ").unwrap();
    s.send("x = 'both lines'").unwrap();
    s.send("\x18\x05").unwrap();
    s.expect("syntax error").unwrap();
    let log = wait_for_file(&home.path().join("editor.log"), |t| {
        t.matches("---").count() == 2
    });
    assert!(log.contains("if true then\nx = 'both lines'\n---"), "{log}");
    quit(s);
}

#[test]
fn an_empty_save_or_a_broken_editor_runs_nothing_and_keeps_the_text() {
    let home = tempfile::tempdir().unwrap();
    let emptying = script(home.path(), "empty.sh", ": > \"$1\"");
    let mut s = spawn(home.path(), &[("EDITOR", &emptying)]);
    s.send("kept = 7").unwrap();
    s.send("\x18\x05").unwrap();
    s.expect("the editor saved nothing; nothing ran").unwrap();
    // The text is back on the line: Enter runs it.
    s.expect("crisp:default> kept = 7").unwrap();
    s.send("\r").unwrap();
    s.send_line("kept * 6").unwrap();
    s.expect("42").unwrap();
    quit(s);

    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(home.path(), &[("EDITOR", "/nonexistent/editor")]);
    s.send("y = 1").unwrap();
    s.send("\x18\x05").unwrap();
    s.expect("the editor '/nonexistent/editor' ($EDITOR) did not run")
        .unwrap();
    s.expect("crisp:default> y = 1").unwrap();
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("crisp:default> ").unwrap();
    quit(s);
}

#[test]
fn values_complete_from_the_registry_results_and_the_state() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(home.path(), &[]);
    // Enum values: all three listed, then one completed with its closing quote.
    s.send("crisp.send_message{type = \"\t\t").unwrap();
    s.expect(expectrl::Regex("text +note +file")).unwrap();
    s.send("n\t").unwrap();
    s.expect("type = \"note\"").unwrap();
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("crisp:default> ").unwrap();
    // Ids from a result already seen: the one conversation listed completes whole.
    s.send_line("r = crisp.list_conversations{per_page = 1}")
        .unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send("crisp.get_conversation{conversation_id = \"\t")
        .unwrap();
    s.expect(expectrl::Regex("conversation_id = \"session_[0-9a-f-]+\""))
        .unwrap();
    s.send("}\r").unwrap();
    s.expect("crisp:default> ").unwrap();
    let history = wait_for_file(&home.path().join("history"), |t| {
        t.contains("get_conversation")
    });
    let id_line = history
        .lines()
        .find(|l| l.contains("get_conversation"))
        .unwrap();
    assert!(
        id_line.contains("conversation_id = \"session_") && id_line.ends_with("\"}"),
        "{history}"
    );
    // Indexing into the actual value.
    s.send("r.data[1].meta.nickn\t").unwrap();
    s.expect("r.data[1].meta.nickname").unwrap();
    s.send(ControlCode::EndOfText).unwrap();
    s.expect("crisp:default> ").unwrap();
    quit(s);
}

#[test]
fn a_trailing_question_mark_shows_the_doc() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(home.path(), &[]);
    s.send_line("crisp.send_message?").unwrap();
    s.expect("Send a message in a Crisp conversation").unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line("crisp.paginate?").unwrap();
    s.expect("iterator").unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line("no_such_thing?").unwrap();
    s.expect("no documentation for 'no_such_thing'").unwrap();
    quit(s);
}

#[test]
fn input_is_highlighted_on_a_terminal_only() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn_with(home.path(), true, &[]);
    s.send("local n = 42 -- note").unwrap();
    s.expect("\x1b[35mlocal\x1b[0m").unwrap();
    s.expect("\x1b[90m-- note\x1b[0m").unwrap();
    s.send("\r").unwrap();
    s.expect("crisp:default> ").unwrap();
    quit(s);

    // NO_COLOR: the same typing draws no colour at all.
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn_with(home.path(), false, &[]);
    s.send("local n = 42 -- note\r").unwrap();
    s.send_line("print('done' .. n)").unwrap();
    let seen = s.expect("done42").unwrap();
    assert!(
        !String::from_utf8_lossy(seen.before()).contains("\x1b[3"),
        "{:?}",
        String::from_utf8_lossy(seen.before())
    );
    quit(s);

    // A pipe: no ANSI whatever.
    let home = tempfile::tempdir().unwrap();
    let out = common::hermetic(home.path())
        .arg("--demo")
        .env("FORCE_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"local n = 42 -- note\nprint(n)\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "42\n");
    assert!(!out.stderr.contains(&0x1b));
}

#[test]
fn a_history_suggestion_is_accepted_with_the_right_arrow() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(home.path(), &[]);
    s.send_line("print('suggested ' .. 6 * 7)").unwrap();
    s.expect("suggested 42").unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line("x = 1").unwrap();
    s.expect("crisp:default> ").unwrap();
    // The rest of the earlier line is shown as typed-ahead text, then taken with Right.
    s.send("print('su").unwrap();
    s.expect("ggested ' .. 6 * 7)").unwrap();
    s.send("\x1b[C\r").unwrap();
    s.expect("suggested 42").unwrap();
    s.expect("crisp:default> ").unwrap();
    quit(s);
}

#[test]
fn errors_in_functions_show_a_short_traceback_and_trace_shows_all() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(home.path(), &[]);
    s.send_line("function inner() error('deep ' .. 'failure') end")
        .unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line("function middle() inner() end").unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line("function outer() middle() return 2 end")
        .unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line("function top() outer() return 1 end").unwrap();
    s.expect("crisp:default> ").unwrap();
    s.send_line("top()").unwrap();
    s.expect("deep failure").unwrap();
    let shown = s.expect("crisp:default> ").unwrap();
    let short = String::from_utf8_lossy(shown.before()).into_owned();
    assert!(short.contains("traceback"), "{short}");
    assert!(short.contains("'inner'"), "{short}");
    assert!(short.contains("'middle'"), "{short}");
    assert!(short.contains(":trace shows them"), "{short}");
    assert!(short.contains("'outer'"), "{short}");
    assert!(
        !short.contains("'top'"),
        "only the innermost three: {short}"
    );
    s.send_line(":trace").unwrap();
    s.expect("stack traceback").unwrap();
    let full = s.expect("crisp:default> ").unwrap();
    let full = String::from_utf8_lossy(full.before()).into_owned();
    assert!(
        full.contains("'top'") && full.contains("in function 'error'"),
        "{full}"
    );
    // An error in the input itself needs no traceback.
    s.send_line("error('fl' .. 'at')").unwrap();
    s.expect("flat").unwrap();
    let flat = s.expect("crisp:default> ").unwrap();
    assert!(
        !String::from_utf8_lossy(flat.before()).contains("traceback"),
        "{:?}",
        String::from_utf8_lossy(flat.before())
    );
    // After a syntax error, `:trace` does not show an older traceback.
    s.send_line("x = = 1").unwrap();
    s.expect("syntax error").unwrap();
    s.send_line(":trace").unwrap();
    s.expect("no traceback").unwrap();
    quit(s);
}
