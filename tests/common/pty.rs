//! The REPL in a real pseudo-terminal: start it, wait for files it writes, end it.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use expectrl::Session;

/// Run `cmd` in a pty of `cols` x `rows` and wait for the first prompt.
pub fn start(cmd: Command, cols: u16, rows: u16, timeout: Duration) -> Session {
    let mut session = Session::spawn(cmd).expect("spawn in a pty");
    let _ = session.get_process_mut().set_window_size(cols, rows);
    session.set_expect_timeout(Some(timeout));
    session.expect("crisp:default> ").expect("prompt");
    session
}

/// Wait until `path` holds text that satisfies `done` (the prompt is redrawn on Enter, before
/// the evaluation runs, so seeing it proves nothing).
pub fn wait_for_file(path: &Path, done: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if done(&text) || std::time::Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// End the session with `:quit` and see it exit.
pub fn quit(mut s: Session) {
    s.send_line(":quit").unwrap();
    s.expect(expectrl::Eof).expect(":quit ends the session");
}
