//! Long output through a pager on a terminal: `$PAGER`, else `less -FRX`.

use std::io::Write;
use std::process::{Command, Stdio};

/// The pager command to use, or `None` when PAGER is set to the empty string.
pub fn command() -> Option<String> {
    match std::env::var("PAGER") {
        Ok(p) if p.trim().is_empty() => None,
        Ok(p) => Some(p),
        Err(_) => Some("less -FRX".to_string()),
    }
}

/// Show `text` through `pager`; falls back to stdout if the pager cannot start.
pub fn show(text: &str, pager: &str) {
    let child = Command::new("sh")
        .arg("-c")
        .arg(pager)
        .stdin(Stdio::piped())
        .spawn();
    match child {
        Ok(mut child) => {
            if let Some(mut stdin) = child.stdin.take() {
                // The reader may quit early (q in less): a broken pipe is fine.
                let _ = stdin.write_all(text.as_bytes());
                let _ = stdin.write_all(b"\n");
            }
            let _ = child.wait();
        }
        Err(_) => println!("{text}"),
    }
}
