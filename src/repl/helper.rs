//! The rustyline helper: completion, suggestions from history, signature hints, syntax colour.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hint, Hinter, HistoryHinter};
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use super::complete;

/// What the grey hint shows and what accepting it (right arrow) inserts.
pub struct SignatureHint {
    display: String,
    completion: Option<String>,
}

impl Hint for SignatureHint {
    fn display(&self) -> &str {
        &self.display
    }
    fn completion(&self) -> Option<&str> {
        self.completion.as_deref()
    }
}

pub struct ReplHelper {
    /// The live Lua state (replaced by `:reset`).
    pub lua: Rc<RefCell<mlua::Lua>>,
    pub commands: Vec<&'static str>,
    pub doc_names: Vec<String>,
    pub accounts: Rc<RefCell<Vec<String>>>,
    pub colour: bool,
    files: FilenameCompleter,
}

impl ReplHelper {
    pub fn new(
        lua: Rc<RefCell<mlua::Lua>>,
        commands: Vec<&'static str>,
        doc_names: Vec<String>,
        accounts: Rc<RefCell<Vec<String>>>,
        colour: bool,
    ) -> ReplHelper {
        ReplHelper {
            lua,
            commands,
            doc_names,
            accounts,
            colour,
            files: FilenameCompleter::new(),
        }
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if line.trim_start().starts_with(":load ") {
            return self.files.complete(line, pos, ctx);
        }
        let accounts = self.accounts.borrow();
        let context = complete::Context {
            commands: &self.commands,
            doc_names: &self.doc_names,
            accounts: &accounts,
        };
        let (start, candidates) = complete::complete(&self.lua.borrow(), line, pos, &context);
        Ok((
            start,
            candidates
                .into_iter()
                .map(|c| Pair {
                    display: c.display,
                    replacement: c.replacement,
                })
                .collect(),
        ))
    }
}

impl Hinter for ReplHelper {
    type Hint = SignatureHint;

    /// A suggestion from history wins (it is what the user typed before, whole); without one,
    /// the signature hint of the registry call being written.
    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<SignatureHint> {
        if let Some(rest) = HistoryHinter::new().hint(line, pos, ctx) {
            // A multi-line chunk (or anything with control characters) would not fit on the
            // line nor print safely: Up recalls those.
            if !rest.is_empty() && !rest.chars().any(char::is_control) {
                return Some(SignatureHint {
                    display: rest.clone(),
                    completion: Some(rest),
                });
            }
        }
        complete::hint(line, pos).map(|(display, completion)| SignatureHint {
            display,
            completion,
        })
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.colour && !line.trim_start().starts_with(':') {
            Cow::Owned(super::highlight::highlight(line))
        } else {
            Cow::Borrowed(line)
        }
    }

    /// Every edit may change a token's colour (a quote opens a string to the end); moving
    /// the cursor changes none.
    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.colour && kind != CmdKind::MoveCursor
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.colour {
            Cow::Owned(format!("\x1b[90m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }
}

/// Multi-line input is assembled by the loop (with a continuation prompt), not here.
impl Validator for ReplHelper {}

impl Helper for ReplHelper {}
