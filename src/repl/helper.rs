//! The rustyline helper: completion, signature hints and their colour.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::{Hint, Hinter};
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use super::complete;

/// What the grey hint shows and what accepting it inserts.
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

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<SignatureHint> {
        complete::hint(line, pos).map(|(display, completion)| SignatureHint {
            display,
            completion,
        })
    }
}

impl Highlighter for ReplHelper {
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
