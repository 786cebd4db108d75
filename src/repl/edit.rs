//! `:edit` and Ctrl-X Ctrl-E: the input in the user's editor (`$VISUAL`, `$EDITOR`, `vi`).

use std::io::Write;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rustyline::{Cmd, ConditionalEventHandler, Event, EventContext, RepeatCount};

/// What came back from the editor.
#[derive(Debug, PartialEq, Eq)]
pub enum Edited {
    /// The saved text, to run as one input.
    Saved(String),
    /// Saved empty (or only blanks): nothing runs.
    Empty,
    /// The editor could not run or failed; the message says what to do.
    Failed(String),
}

/// The editor command: `$VISUAL`, else `$EDITOR`, else `vi`, and where it came from.
pub fn editor_command() -> (String, &'static str) {
    for var in ["VISUAL", "EDITOR"] {
        if let Some(value) = std::env::var(var).ok().filter(|v| !v.trim().is_empty()) {
            return (value, var);
        }
    }
    ("vi".to_string(), "the default")
}

/// Open the editor on `text` in a private temporary `.lua` file and read back what was saved.
pub fn edit(text: &str) -> Edited {
    let (command, origin) = editor_command();
    let file = match write_temp(text) {
        Ok(f) => f,
        Err(e) => return Edited::Failed(format!("cannot create a temporary file to edit: {e}")),
    };
    // Through the shell, as git does, so `EDITOR="code --wait"` works.
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} \"$1\""))
        .arg("sh")
        .arg(file.path())
        .status();
    let origin = if origin == "the default" {
        "the default editor".to_string()
    } else {
        format!("${origin}")
    };
    match status {
        Err(e) => {
            return Edited::Failed(format!(
                "cannot start a shell to run the editor '{command}' ({origin}): {e}"
            ))
        }
        Ok(s) if s.code() == Some(127) || s.code() == Some(126) => {
            return Edited::Failed(format!(
                "the editor '{command}' ({origin}) did not run; set VISUAL or EDITOR to an editor that is installed; nothing ran"
            ))
        }
        Ok(s) if !s.success() => {
            return Edited::Failed(format!(
                "the editor '{command}' ({origin}) failed ({s}); nothing ran"
            ))
        }
        Ok(_) => {}
    }
    match std::fs::read_to_string(file.path()) {
        Ok(saved) if saved.trim().is_empty() => Edited::Empty,
        Ok(saved) => Edited::Saved(saved.trim_end_matches(['\n', '\r']).to_string()),
        Err(e) => Edited::Failed(format!("cannot read back what the editor saved: {e}")),
    }
}

/// A temporary file only its owner can read (tempfile creates it 0600), removed when dropped.
fn write_temp(text: &str) -> std::io::Result<tempfile::NamedTempFile> {
    let mut file = tempfile::Builder::new()
        .prefix("crisp-repl-")
        .suffix(".lua")
        .tempfile()?;
    file.write_all(text.as_bytes())?;
    if !text.is_empty() && !text.ends_with('\n') {
        file.write_all(b"\n")?;
    }
    file.flush()?;
    Ok(file)
}

/// Ctrl-X Ctrl-E: the editor cannot run in the middle of rustyline's raw mode, so the key
/// accepts the line and raises a flag; the loop then opens the editor on that line.
pub struct EditKey(pub Arc<AtomicBool>);

impl ConditionalEventHandler for EditKey {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, _: &EventContext) -> Option<Cmd> {
        self.0.store(true, Ordering::SeqCst);
        Some(Cmd::AcceptLine)
    }
}

/// `crisp.send_message?`, `paginate?`: the name whose documentation a trailing `?` asks for.
pub fn doc_query(line: &str) -> Option<&str> {
    let name = line.trim().strip_suffix('?')?.trim_end();
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':'));
    plain.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_queries() {
        assert_eq!(doc_query("crisp.send_message?"), Some("crisp.send_message"));
        assert_eq!(doc_query("  paginate? "), Some("paginate"));
        assert_eq!(doc_query("?"), None);
        assert_eq!(doc_query("x = 1?"), None);
        assert_eq!(doc_query("print('?')"), None);
    }
}
