//! Output modes, decided once at start, and the one place results and errors are written.

use std::cell::Cell;
use std::io::Write;

use mlua::Value;
use serde_json::{json, Map, Value as Json};

use crate::lua::convert;
use crate::lua::session::{EvalError, Session};
use crate::render;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A person at a terminal: prompt, colour, tables fitted to the width, pager.
    Human,
    /// A pipe: no prompt, no ANSI, nothing truncated.
    Plain,
    /// One JSON line per evaluation.
    Json,
}

/// The whole policy in one place: `--json` wins; a terminal on both ends is a person;
/// anything else is a program. FORCE_COLOR and CLICOLOR_FORCE are deliberately not consulted.
pub fn decide_mode(json_flag: bool, stdin_tty: bool, stdout_tty: bool) -> Mode {
    if json_flag {
        Mode::Json
    } else if stdin_tty && stdout_tty {
        Mode::Human
    } else {
        Mode::Plain
    }
}

/// Colour only for a person, and never under NO_COLOR (any non-empty value).
pub fn colour_enabled(mode: Mode, no_color: Option<&str>) -> bool {
    mode == Mode::Human && no_color.is_none_or(str::is_empty)
}

pub struct Output {
    pub mode: Mode,
    pub colour: bool,
    /// The pager for long results (human mode only); `None` turns it off.
    pub pager: Option<String>,
    /// `:json`: results as pretty JSON instead of tables.
    pub raw_json: Cell<bool>,
}

impl Output {
    pub fn new(mode: Mode, colour: bool) -> Output {
        Output {
            mode,
            colour,
            pager: None,
            raw_json: Cell::new(false),
        }
    }

    /// The terminal width for human mode, `None` (no truncation) otherwise.
    pub fn width(&self) -> Option<usize> {
        (self.mode == Mode::Human)
            .then(|| terminal_size::terminal_size().map_or(80, |(w, _)| (w.0 as usize).max(20)))
    }

    /// Print `text` (no trailing newline needed), through the pager when it is taller than
    /// the screen in human mode.
    pub fn print_long(&self, text: &str) {
        flush_c_stdio();
        if let (Mode::Human, Some(pager)) = (self.mode, &self.pager) {
            let rows = terminal_size::terminal_size().map_or(24, |(_, h)| h.0 as usize);
            if text.lines().count() + 1 >= rows {
                pager_show(text, pager);
                return;
            }
        }
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{text}").and_then(|_| stdout.flush());
    }

    /// Write what one evaluation produced: values to stdout, errors to stderr (or one JSON line).
    pub fn report(&self, session: &Session, result: &Result<Vec<Value>, EvalError>) {
        flush_c_stdio();
        let mut stdout = std::io::stdout().lock();
        let written = match self.mode {
            Mode::Json => {
                let line = json_line(session, result);
                writeln!(stdout, "{line}")
            }
            Mode::Human | Mode::Plain => match result {
                Ok(values) if values.is_empty() => Ok(()),
                Ok(values) => {
                    drop(stdout);
                    self.print_long(&self.values_text(session, values));
                    return;
                }
                Err(e) => {
                    let _ = stdout.flush();
                    let mut stderr = std::io::stderr().lock();
                    writeln!(stderr, "{}", self.error_text(e))
                }
            },
        };
        // A reader that went away (`| head`) is not an error worth reporting.
        let _ = written.and_then(|_| stdout.flush());
    }

    fn values_text(&self, session: &Session, values: &[Value]) -> String {
        if self.raw_json.get() {
            let lua = session.lua();
            let parts: Vec<String> = values
                .iter()
                .map(|v| convert::json_text(&convert::to_json(lua, v), true))
                .collect();
            return parts.join("\n");
        }
        let style = render::table::Style {
            width: self.width(),
            colour: self.colour,
        };
        // A Ctrl-C from now on stops this render, not a later one.
        render::CANCEL.store(false, std::sync::atomic::Ordering::Relaxed);
        let any_table = values.iter().any(|v| matches!(v, Value::Table(_)));
        let chosen = session
            .lua()
            .app_data_ref::<render::table::ColumnChoice>()
            .map(|c| c.0.clone());
        let parts: Vec<String> = values
            .iter()
            .map(
                |v| match crate::lua::namespace::error_fields(session.lua(), v) {
                    // A caught Crisp error reads as its message, not as a record.
                    Some(fields) => format!(
                        "<error: {}>",
                        render::sanitize::sanitize(
                            &fields.raw_get::<String>("message").unwrap_or_default()
                        )
                    ),
                    None => render::table::render_with(v, style, chosen.as_deref()),
                },
            )
            .collect();
        parts.join(if any_table { "\n" } else { "\t" })
    }

    pub fn error_text(&self, e: &EvalError) -> String {
        let text = match e {
            EvalError::Syntax(m) => format!("syntax error: {m}"),
            EvalError::Runtime { message, .. } => format!("error: {message}"),
            EvalError::Interrupted => "interrupted".to_string(),
            EvalError::Timeout(_) => format!("error: {e}"),
        };
        // Crisp's reason and message arrive inside the text: outside data, made visible, line
        // breaks included. A Lua error keeps its lines (a traceback), nothing else.
        let text = match e {
            EvalError::Runtime { crisp: Some(_), .. } => {
                render::sanitize::sanitize(&text).into_owned()
            }
            _ => render::sanitize::sanitize_lines(&text),
        };
        if self.colour {
            format!("\x1b[31m{text}\x1b[0m")
        } else {
            text
        }
    }
}

/// Lua's `print` and `io.write` write through C stdio: flush it before Rust writes, so output
/// keeps its order.
pub fn flush_c_stdio() {
    // SAFETY: fflush(NULL) flushes every open output stream; it takes no pointer of ours.
    unsafe {
        libc::fflush(std::ptr::null_mut());
    }
}

fn pager_show(text: &str, pager: &str) {
    render::pager::show(text, pager);
}

/// The JSON protocol's line for one evaluation.
pub fn json_line(session: &Session, result: &Result<Vec<Value>, EvalError>) -> String {
    convert::json_text(&eval_record(session, result), false)
}

/// One evaluation as the JSON protocol reports it (`json_line`, and the MCP `lua` tool).
pub fn eval_record(session: &Session, result: &Result<Vec<Value>, EvalError>) -> Json {
    let printed = session.take_printed();
    let mut line = Map::new();
    match result {
        Ok(values) => {
            let lua = session.lua();
            line.insert("ok".into(), json!(true));
            line.insert(
                "values".into(),
                Json::Array(values.iter().map(|v| convert::to_json(lua, v)).collect()),
            );
            line.insert("output".into(), json!(printed));
        }
        Err(e) => {
            line.insert("ok".into(), json!(false));
            line.insert("error".into(), error_json(e));
            if !printed.is_empty() {
                line.insert("output".into(), json!(printed));
            }
        }
    }
    Json::Object(line)
}

/// A failed evaluation's `error` object: kind, message, and fn/status/reason when they apply.
pub fn error_json(e: &EvalError) -> Json {
    let mut err = Map::new();
    match e {
        EvalError::Syntax(m) => {
            err.insert("kind".into(), json!("syntax"));
            err.insert("message".into(), json!(m));
        }
        EvalError::Timeout(_) => {
            err.insert("kind".into(), json!("timeout"));
            err.insert("message".into(), json!(e.to_string()));
        }
        EvalError::Interrupted => {
            err.insert("kind".into(), json!("interrupted"));
            err.insert("message".into(), json!("interrupted"));
        }
        EvalError::Runtime { message, crisp } => {
            let kind = crisp.as_ref().map_or("lua", |c| c.kind.as_str());
            err.insert("kind".into(), json!(kind));
            err.insert("message".into(), json!(message));
            if let Some(c) = crisp {
                if let Some(f) = &c.function {
                    err.insert("fn".into(), json!(f));
                }
                if let Some(s) = c.status {
                    err.insert("status".into(), json!(s));
                }
                if let Some(r) = &c.reason {
                    err.insert("reason".into(), json!(r));
                }
            }
        }
    }
    Json::Object(err)
}

/// The process exit status an evaluation error maps to (README, `--help`).
pub fn exit_code(e: &EvalError) -> u8 {
    match e {
        EvalError::Runtime { crisp: Some(c), .. } if c.kind == "auth" => 3,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_policy() {
        assert_eq!(decide_mode(true, true, true), Mode::Json);
        assert_eq!(decide_mode(false, true, true), Mode::Human);
        assert_eq!(decide_mode(false, false, true), Mode::Plain);
        assert_eq!(decide_mode(false, true, false), Mode::Plain);
        assert!(colour_enabled(Mode::Human, None));
        assert!(colour_enabled(Mode::Human, Some("")));
        assert!(!colour_enabled(Mode::Human, Some("1")));
        assert!(!colour_enabled(Mode::Plain, None));
    }

    #[test]
    fn error_messages_are_made_visible_but_keep_their_colour() {
        let e = EvalError::Runtime {
            message: "crisp.get_contact: not found (\x1b]0;title\x07 \u{202e}x\u{9b}2J)".into(),
            crisp: None,
        };
        let out = Output::new(Mode::Human, true).error_text(&e);
        assert_eq!(
            out,
            "\x1b[31merror: crisp.get_contact: not found (\\e]0;title\\x07 \\u{202e}x\\u{9b}2J)\x1b[0m"
        );
        let plain = Output::new(Mode::Plain, false).error_text(&e);
        assert!(!plain.contains('\x1b'), "{plain:?}");
    }
}
