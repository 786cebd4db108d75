//! The interactive loop: prompt, multi-line chunks, history, colon commands, Ctrl-C.

pub mod commands;
pub mod complete;
pub mod edit;
pub mod helper;
pub mod highlight;
pub mod interrupt;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{Config, Editor, Event, EventHandler, KeyEvent};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::lua::session::{Completeness, EvalError, Session, SourceKind};
use crate::output::Output;
use commands::Flow;
use helper::ReplHelper;

/// Most history entries kept.
pub const HISTORY_LIMIT: usize = 10_000;

/// Frames shown under an error at the prompt (`:trace` shows all).
const SHORT_TRACEBACK: usize = 3;

/// Makes a fresh session for `:reset` (same accounts and connections).
pub type SessionFactory<'a> = dyn Fn() -> anyhow::Result<Session> + 'a;

/// The REPL's state, handed to colon commands.
pub struct Repl<'a> {
    pub session: Session,
    pub output: Output,
    /// The account `crisp` points at.
    pub account: String,
    lua_handle: Rc<RefCell<mlua::Lua>>,
    factory: &'a SessionFactory<'a>,
    config_path: Option<PathBuf>,
    /// The account names Tab offers (grows after `:login`).
    helper_accounts: Option<Rc<RefCell<Vec<String>>>>,
    /// `:edit` asks the loop (which owns the line editor) to open the editor.
    pub edit_requested: bool,
    /// The frames of the last error's traceback, for `:trace`.
    pub last_trace: Vec<String>,
}

impl Repl<'_> {
    pub fn error(&self, message: &str) {
        if self.output.colour {
            eprintln!("\x1b[31merror: {message}\x1b[0m");
        } else {
            eprintln!("error: {message}");
        }
    }

    pub fn account_names(&self) -> Vec<String> {
        self.session.runtime().account_names()
    }

    /// Evaluate one input with Ctrl-C armed, and report it.
    pub fn eval(&mut self, src: &str, name: &str, kind: SourceKind) {
        interrupt::set_busy(true);
        let result = self.session.eval(src, name, kind, &[]);
        interrupt::set_busy(false);
        let frames = self.session.take_traceback();
        self.output.report(&self.session, &result);
        if let Err(e) = &result {
            // A syntax error has no frames: `:trace` then says so rather than show an older one.
            self.last_trace = frames;
            if matches!(e, EvalError::Runtime { message, .. } if !message.contains("stack traceback:"))
            {
                self.short_traceback();
            }
        }
    }

    /// After an error raised inside a user's function: its innermost frames (at most
    /// three), so the cause is visible without `:trace`.
    fn short_traceback(&self) {
        if self.output.mode == crate::output::Mode::Json {
            return;
        }
        let mut user: Vec<&String> = self
            .last_trace
            .iter()
            .filter(|f| !f.starts_with("[C]"))
            .collect();
        // The outermost frame is the input itself, unless a tail call replaced it.
        if user
            .last()
            .is_some_and(|f| !f.starts_with("(...tail calls...)"))
        {
            user.pop();
        }
        user.retain(|f| !f.starts_with("(...tail calls...)"));
        if user.is_empty() {
            return;
        }
        let mut text = String::from("traceback (innermost first):");
        for frame in user.iter().take(SHORT_TRACEBACK) {
            text.push_str("\n  ");
            text.push_str(frame);
        }
        if self.last_trace.len() > SHORT_TRACEBACK {
            text.push_str(&format!(
                "\n  ... {} frames in all: :trace shows them",
                self.last_trace.len()
            ));
        }
        let text = crate::render::sanitize::sanitize_lines(&text);
        if self.output.colour {
            eprintln!("\x1b[90m{text}\x1b[0m");
        } else {
            eprintln!("{text}");
        }
    }

    /// Point the global `crisp` at account `name`.
    pub fn use_account(&mut self, name: &str) -> Result<(), String> {
        let names = self.account_names();
        if !names.iter().any(|n| n == name) {
            return Err(format!(
                "no account '{name}'; accounts: {}",
                names.join(", ")
            ));
        }
        let lua = self.session.lua();
        let table: mlua::Value = lua
            .load(format!("return rawget(app.integrations.crisp, {name:?})"))
            .eval()
            .map_err(|e| e.to_string())?;
        self.session
            .set_global("crisp", table)
            .map_err(|e| e.to_string())?;
        self.account = name.to_string();
        Ok(())
    }

    pub fn reset(&mut self) -> Result<(), String> {
        let session = (self.factory)().map_err(|e| e.to_string())?;
        self.session = session;
        *self.lua_handle.borrow_mut() = self.session.lua().clone();
        interrupt::set_flags(self.interrupt_flags());
        let account = self.account.clone();
        self.use_account(&account)
    }

    fn interrupt_flags(&self) -> Vec<std::sync::Arc<std::sync::atomic::AtomicBool>> {
        let mut flags = vec![self.session.interrupt_flag()];
        if let Some(cancel) = &self.session.runtime().cancel {
            flags.push(cancel.clone());
        }
        flags
    }

    /// `:accounts`: every account, its website, tier and where its secret comes from.
    pub fn accounts_report(&self) -> String {
        let runtime = self.session.runtime();
        let mut text = crate::auth::status_report(&runtime.accounts(), &runtime.env, None);
        text.push_str(&format!(
            "\n`crisp` points at account '{}' (:use NAME to change).",
            self.account
        ));
        text
    }

    /// `:login [NAME]`: the same prompts as `crisp-repl auth login`, read straight from the
    /// terminal so nothing reaches the line editor's history. The account works at once.
    pub fn login(&mut self, name: &str) -> Result<String, String> {
        crate::config::check_account_name(name).or_else(|e| {
            if name == crate::accounts::DEFAULT_ACCOUNT {
                Ok(())
            } else {
                Err(e)
            }
        })?;
        let runtime = self.session.runtime().clone();
        let outcome = crate::auth::login_interactive(name, self.config_path.clone(), &runtime.env)
            .map_err(|e| e.to_string())?;
        let mut account = runtime.account(&outcome.account).unwrap_or_else(|| {
            let base_url = runtime
                .account(crate::accounts::DEFAULT_ACCOUNT)
                .map(|a| a.base_url)
                .unwrap_or_else(|| crate::crisp::client::DEFAULT_BASE_URL.to_string());
            crate::accounts::Account {
                name: outcome.account.clone(),
                website_id: None,
                tier: outcome.tier,
                origin: "config",
                base_url,
                fixed: None,
            }
        });
        account.website_id = Some(outcome.website_id.clone());
        account.tier = outcome.tier;
        account.fixed = None;
        runtime.update_account(account);
        crate::lua::namespace::add_account(self.session.lua(), &runtime, &outcome.account)
            .map_err(|e| e.to_string())?;
        // The new account's table gets crisp.<account>.show and .columns as the others did.
        crate::view::install(self.session.lua(), &self.output).map_err(|e| e.to_string())?;
        if let Some(helper) = self.helper_accounts.as_ref() {
            helper.borrow_mut().retain(|a| a != &outcome.account);
            helper.borrow_mut().push(outcome.account.clone());
        }
        Ok(outcome.to_string())
    }
}

/// Options of the interactive loop.
pub struct ReplOptions {
    pub history: Option<PathBuf>,
    pub banner: String,
    pub config_path: Option<PathBuf>,
}

/// The default history file: `<data dir>/crisp-repl/history`.
pub fn default_history_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("crisp-repl").join("history"))
}

/// `~/x` -> `$HOME/x`.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

fn open_history(editor: &mut Editor<ReplHelper, FileHistory>, path: &Path) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        crate::private_fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    create_history_file(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    match editor.load_history(path) {
        Ok(()) => Ok(()),
        Err(e) => Err(format!("cannot read history {}: {e}", path.display())),
    }
}

/// Create a missing history file, empty and private (0600), without touching an existing one.
/// rustyline writes a missing file with `File::create` before it takes its lock, so two
/// sessions saving their first lines at once would truncate each other; once the file exists,
/// every save goes through rustyline's locked read-merge-write.
fn create_history_file(path: &Path) -> std::io::Result<()> {
    match crate::private_fs::new_file_options().open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Run the REPL until `:quit` or Ctrl-D.
pub fn run(
    session: Session,
    output: Output,
    options: ReplOptions,
    factory: &SessionFactory<'_>,
) -> anyhow::Result<u8> {
    let config = Config::builder()
        .max_history_size(HISTORY_LIMIT)?
        .history_ignore_dups(true)?
        .history_ignore_space(true)
        .auto_add_history(false)
        .completion_type(rustyline::CompletionType::List)
        // The cursor-position query reads the terminal's answer from stdin and eats whatever
        // was typed ahead when nothing answers (a pty driven by a program): never lose input.
        // Results and errors always end their line, so the prompt starts at column 0 anyway.
        .check_cursor_position(false)
        .build();
    let lua_handle = Rc::new(RefCell::new(session.lua().clone()));
    let accounts = Rc::new(RefCell::new(session.runtime().account_names()));
    let helper = ReplHelper::new(
        lua_handle.clone(),
        commands::names(),
        crate::docs::names(),
        accounts.clone(),
        output.colour,
    );
    let mut editor: Editor<ReplHelper, FileHistory> = Editor::with_config(config)?;
    editor.set_helper(Some(helper));
    let edit_key = Arc::new(AtomicBool::new(false));
    editor.bind_sequence(
        Event::KeySeq(vec![KeyEvent::ctrl('X'), KeyEvent::ctrl('E')]),
        EventHandler::Conditional(Box::new(edit::EditKey(edit_key.clone()))),
    );
    crate::lua::seen_ids::enable();

    let history = options.history.clone().or_else(default_history_path);
    let mut history_ok = true;
    if let Some(path) = &history {
        if let Err(e) = open_history(&mut editor, path) {
            eprintln!("warning: {e}; this session's lines will not be saved there");
            history_ok = false;
        }
    }

    let mut repl = Repl {
        session,
        output,
        account: crate::accounts::DEFAULT_ACCOUNT.to_string(),
        lua_handle,
        factory,
        config_path: options.config_path.clone(),
        helper_accounts: Some(accounts),
        edit_requested: false,
        last_trace: Vec::new(),
    };
    if let Err(e) = interrupt::install(repl.interrupt_flags()) {
        eprintln!("warning: Ctrl-C cannot interrupt evaluations: {e}");
    }
    // stdout carries only results (one JSON line each under --json).
    if repl.output.mode == crate::output::Mode::Human {
        println!("{}", options.banner);
    } else {
        eprintln!("{}", options.banner);
    }

    let mut chunk = String::new();
    // The last input that ran (what `:edit` on an empty line opens), and text given back to
    // the next prompt after an edit that ran nothing.
    let mut last_input = String::new();
    let mut initial: Option<String> = None;
    loop {
        let primary = format!("crisp:{}> ", repl.account);
        let prompt = if chunk.is_empty() {
            primary
        } else {
            // The continuation prompt lines up with the primary one.
            format!("{:>width$}", "... ", width = primary.len())
        };
        let read = match initial.take() {
            Some(text) => editor.readline_with_initial(&prompt, (&text, "")),
            None => editor.readline(&prompt),
        };
        let line = match read {
            Ok(line) if edit_key.swap(false, Ordering::SeqCst) => {
                // Ctrl-X Ctrl-E: the unfinished chunk and this line, or the last input.
                let text = if chunk.is_empty() && line.trim().is_empty() {
                    last_input.clone()
                } else {
                    std::mem::take(&mut chunk) + &line
                };
                chunk.clear();
                initial = run_edited(
                    &mut repl,
                    &mut editor,
                    &text,
                    &mut last_input,
                    (history.as_deref(), &mut history_ok),
                );
                continue;
            }
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                // Ctrl-C at the prompt drops the line (and any unfinished chunk).
                chunk.clear();
                continue;
            }
            Err(ReadlineError::Eof) if chunk.is_empty() => break,
            Err(ReadlineError::Eof) => {
                chunk.clear();
                continue;
            }
            Err(e) => {
                eprintln!("error: cannot read input: {e}");
                return Ok(1);
            }
        };
        if chunk.is_empty() && line.trim().is_empty() {
            continue;
        }
        if chunk.is_empty() && line.trim_start().starts_with(':') {
            // The command line goes to history (what `:login` prompts for never does);
            // `:quit` would only crowd the top of it.
            let first = line.split_whitespace().next().unwrap_or("");
            if !matches!(first, ":quit" | ":exit" | ":q") {
                remember(&mut editor, &line, history.as_deref(), &mut history_ok);
            }
            if commands::dispatch(&mut repl, &line) == Flow::Quit {
                break;
            }
            if std::mem::take(&mut repl.edit_requested) {
                let text = last_input.clone();
                initial = run_edited(
                    &mut repl,
                    &mut editor,
                    &text,
                    &mut last_input,
                    (history.as_deref(), &mut history_ok),
                );
            }
            continue;
        }
        if let Some(name) = edit::doc_query(&line).filter(|_| chunk.is_empty()) {
            // `crisp.send_message?` as IPython's `?`: the same as `:doc`.
            remember(&mut editor, &line, history.as_deref(), &mut history_ok);
            commands::dispatch(&mut repl, &format!(":doc {name}"));
            continue;
        }
        chunk.push_str(&line);
        chunk.push('\n');
        if repl.session.completeness(&chunk) == Completeness::Incomplete {
            continue;
        }
        let src = std::mem::take(&mut chunk);
        remember(
            &mut editor,
            src.trim_end(),
            history.as_deref(),
            &mut history_ok,
        );
        last_input = src.trim_end().to_string();
        repl.eval(&src, "=input", SourceKind::Interactive);
    }
    Ok(0)
}

/// Open the editor on `text`; what is saved runs as one input and is one history entry.
/// When nothing runs (an empty save, an editor that failed) the text comes back to the next
/// prompt, so nothing is lost; the returned text is that.
fn run_edited(
    repl: &mut Repl,
    editor: &mut Editor<ReplHelper, FileHistory>,
    text: &str,
    last_input: &mut String,
    (history, history_ok): (Option<&Path>, &mut bool),
) -> Option<String> {
    let give_back = || (!text.trim().is_empty()).then(|| text.to_string());
    match edit::edit(text) {
        edit::Edited::Saved(saved) => {
            remember(editor, &saved, history, history_ok);
            if !saved.contains('\n') && saved.trim_start().starts_with(':') {
                commands::dispatch(repl, &saved);
                return None;
            }
            // Shown as it will run, as if typed.
            println!("{saved}");
            *last_input = saved.clone();
            repl.eval(&format!("{saved}\n"), "=input", SourceKind::Interactive);
            None
        }
        edit::Edited::Empty => {
            repl.error("the editor saved nothing; nothing ran");
            give_back()
        }
        edit::Edited::Failed(message) => {
            repl.error(&message);
            give_back()
        }
    }
}

/// Add an entry and append it to the history file at once, so a crash loses nothing and two
/// sessions both keep their lines.
/// A history file that cannot be written (read-only disk, permissions) warns once; the session
/// goes on with in-memory history.
fn remember(
    editor: &mut Editor<ReplHelper, FileHistory>,
    entry: &str,
    path: Option<&Path>,
    file_ok: &mut bool,
) {
    match editor.add_history_entry(entry) {
        Ok(true) => {}
        _ => return,
    }
    let Some(path) = path.filter(|_| *file_ok) else {
        return;
    };
    if let Err(e) = editor.append_history(path) {
        eprintln!(
            "warning: cannot save history to {}: {e}; this session's lines stay in memory only",
            path.display()
        );
        *file_ok = false;
    }
}
