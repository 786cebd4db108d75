//! The persistent Lua state and how one input is evaluated in it.
//!
//! An input runs like a line at a REPL prompt: a bare expression returns its value, top-level
//! `local`s stay visible to later inputs, `_` holds the last result.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mlua::{ffi, Lua, LuaOptions, MultiValue, StdLib, Table, Value};

use super::scope::PromptScope;
use super::{chunks, convert, namespace};
use crate::lua::namespace::CrispRuntime;

/// Where `print` writes: straight to stdout, or into a buffer (the JSON protocol reports it).
#[derive(Default)]
pub struct PrintSink {
    pub capture: bool,
    pub captured: Vec<u8>,
}

/// Whether more lines are needed before `src` can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completeness {
    Complete,
    Incomplete,
    /// A syntax error more input cannot fix.
    Invalid(String),
}

/// A failed evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum EvalError {
    Syntax(String),
    /// A runtime error; `crisp` holds the fields of a Crisp call error.
    Runtime {
        message: String,
        crisp: Option<CallErrorFields>,
    },
    Interrupted,
    /// Stopped by `--timeout` after this long.
    Timeout(std::time::Duration),
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::Syntax(m) => write!(f, "syntax error: {m}"),
            EvalError::Runtime { message, .. } => f.write_str(message),
            EvalError::Interrupted => f.write_str("interrupted"),
            EvalError::Timeout(after) => write!(
                f,
                "timed out: the evaluation was stopped after {}s (--timeout)",
                after.as_secs_f64()
            ),
        }
    }
}

/// The machine-readable parts of a failed Crisp call.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CallErrorFields {
    pub kind: String,
    pub function: Option<String>,
    pub status: Option<u16>,
    pub reason: Option<String>,
}

/// How source text should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A prompt line or a piped chunk: expressions print, top-level locals persist (with
    /// Lua's scoping: see `scope`).
    Interactive,
    /// A script file: compiled as written (after a BOM and a `#` first line, as lua.c).
    Script,
    /// A `-e` chunk: compiled as written.
    Command,
}

pub struct Session {
    lua: Lua,
    runtime: Rc<CrispRuntime>,
    print: Rc<RefCell<PrintSink>>,
    interrupt: Arc<AtomicBool>,
    limit: Arc<EvalLimit>,
    /// Top-level locals of earlier interactive inputs.
    scope: PromptScope,
    /// The main thread of `lua`: stable for the state's life. A watchdog thread sets the
    /// interrupt hook on it (lua_sethook is safe to call asynchronously, as lua.c does from
    /// its SIGINT handler); only during `eval`, which joins the watchdog before returning.
    main_state: *mut ffi::lua_State,
    /// Whether `interrupt` was handed out (Ctrl-C in the REPL, MCP cancellation): only then,
    /// or with `--timeout`, can anything stop an evaluation, so only then does `eval` start
    /// the watchdog thread (a thread per `-e` cost start-up a tenth of a millisecond).
    interrupt_shared: std::cell::Cell<bool>,
}

/// The main state's pointer, moved into the watchdog thread.
struct MainState(*mut ffi::lua_State);
// SAFETY: the watchdog only calls lua_sethook with it, which is async-safe, and is joined
// before `eval` returns, while the Session (and its state) is alive.
unsafe impl Send for MainState {}

/// Installed on an interrupt, to fire after `INTERRUPT_GRACE` instructions (code that is
/// finishing anyway, such as a handler of a timed-out request, does); from then on it raises
/// "interrupted" at every instruction, so a `pcall` loop cannot swallow it.
unsafe extern "C-unwind" fn interrupt_hook(state: *mut ffi::lua_State, _ar: *mut ffi::lua_Debug) {
    // SAFETY: called by Lua on a running state; setting the hook from inside a hook is
    // allowed; lua_error unwinds to the nearest pcall.
    unsafe {
        ffi::lua_sethook(state, Some(interrupt_hook), ffi::LUA_MASKCOUNT, 1);
        ffi::lua_pushstring(state, c"interrupted".as_ptr());
        ffi::lua_error(state);
    }
}

/// `--timeout` for one evaluation: the watchdog stops it once the deadline passes.
struct EvalLimit {
    timeout: Mutex<Option<Duration>>,
    timed_out: AtomicBool,
}

/// Instructions between the interrupt and the first "interrupted" error.
const INTERRUPT_GRACE: i32 = 10_000;

/// How long past `--timeout` an evaluation may take to stop before the process ends.
const HARD_STOP_AFTER: Duration = Duration::from_secs(2);

/// How often the watchdog looks at the interrupt flag.
const WATCH_EVERY: Duration = Duration::from_millis(10);

impl Session {
    pub fn new(runtime: Rc<CrispRuntime>, memory_limit: Option<usize>) -> mlua::Result<Session> {
        // The whole standard environment of lua.c, `debug` and C modules included.
        // SAFETY: like lua.c, the user's own code may do anything with its own process.
        let lua = unsafe { Lua::unsafe_new_with(StdLib::ALL, LuaOptions::default()) };
        // lua.c (5.4) runs the collector in generational mode; so do we, for the same speed.
        lua.gc_gen(0, 0);
        // Nor does it collect while the state is being built (nothing built is garbage).
        lua.gc_stop();
        set_package_paths(&lua)?;
        install_warn(&lua);
        if let Some(limit) = memory_limit {
            lua.set_memory_limit(limit)?;
        }
        let print = Rc::new(RefCell::new(PrintSink::default()));
        let interrupt = Arc::new(AtomicBool::new(false));
        // So `crisp.watch`, sleeping in Rust between polls, wakes for Ctrl-C and --timeout.
        lua.set_app_data(namespace::StopFlag(interrupt.clone()));
        let mut main_state: *mut ffi::lua_State = std::ptr::null_mut();
        // SAFETY: reads the registry's main-thread entry and pops it again.
        unsafe {
            lua.exec_raw::<()>((), |state| {
                ffi::lua_rawgeti(state, ffi::LUA_REGISTRYINDEX, ffi::LUA_RIDX_MAINTHREAD);
                main_state = ffi::lua_tothread(state, -1);
                ffi::lua_pop(state, 1);
            })?;
        }
        let scope = PromptScope::install(&lua)?;
        let session = Session {
            scope,
            lua,
            runtime,
            print,
            interrupt,
            limit: Arc::new(EvalLimit {
                timeout: Mutex::new(None),
                timed_out: AtomicBool::new(false),
            }),
            main_state,
            interrupt_shared: std::cell::Cell::new(false),
        };
        session.install()?;
        session.lua.gc_restart();
        Ok(session)
    }

    fn install(&self) -> mlua::Result<()> {
        convert::install(&self.lua)?;
        namespace::install(&self.lua, self.runtime.clone())?;
        super::json::install(&self.lua)?;
        Ok(())
    }

    /// In capture mode, `print`, `io.write` and `io.stdout:write` append their raw bytes to
    /// the buffer instead (`string.format("%s")` follows luaL_tolstring, as `print` does).
    fn install_capture(&self) -> mlua::Result<()> {
        let sink = self.print.clone();
        let append = self.lua.create_function(move |_, s: mlua::String| {
            sink.borrow_mut().captured.extend_from_slice(&s.as_bytes());
            Ok(())
        })?;
        let install: mlua::Function = self
            .lua
            .load(
                r#"
                local append = ...
                local fmt, select, concat, type, mtype = string.format, select, table.concat, type, math.type
                local io, error = io, error
                local stdout = io.stdout
                local methods = getmetatable(stdout).__index
                local fwrite = methods.write
                local iowrite = io.write
                print = function(...)
                  local n = select('#', ...)
                  local t = {}
                  for i = 1, n do t[i] = fmt("%s", (select(i, ...))) end
                  append(concat(t, "\t") .. "\n")
                end
                local function capture(...)
                  for i = 1, select('#', ...) do
                    local v = select(i, ...)
                    local tv = type(v)
                    if tv == "number" then
                      v = mtype(v) == "integer" and fmt("%d", v) or fmt("%.14g", v)
                    elseif tv ~= "string" then
                      error(fmt("bad argument #%d to 'write' (string expected, got %s)",
                        i, tv == "nil" and "no value" or tv), 0)
                    end
                    append(v)
                  end
                  return stdout
                end
                io.write = function(...)
                  if io.output() ~= stdout then return iowrite(...) end
                  return capture(...)
                end
                methods.write = function(f, ...)
                  if f ~= stdout then return fwrite(f, ...) end
                  return capture(...)
                end
                "#,
            )
            .set_name("=capture")
            .into_function()?;
        install.call::<()>(append)
    }

    pub fn lua(&self) -> &Lua {
        &self.lua
    }

    pub fn runtime(&self) -> &Rc<CrispRuntime> {
        &self.runtime
    }

    /// The flag Ctrl-C sets to stop running Lua (and, through the client, requests in flight).
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        self.interrupt_shared.set(true);
        self.interrupt.clone()
    }

    /// Capture `print` output instead of writing it (for the JSON protocol).
    /// Only switching capture on is supported (JSON mode is chosen once, before any code runs).
    pub fn set_print_capture(&self, capture: bool) {
        let was = std::mem::replace(&mut self.print.borrow_mut().capture, capture);
        if capture && !was {
            if let Err(e) = self.install_capture() {
                eprintln!("crisp-repl: cannot capture print: {e}");
            }
        }
    }

    /// What was printed since the last call: valid UTF-8 as is, other bytes replaced.
    pub fn take_printed(&self) -> String {
        let bytes = std::mem::take(&mut self.print.borrow_mut().captured);
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Whether `src` is a whole chunk yet.
    pub fn completeness(&self, src: &str) -> Completeness {
        if src.trim().is_empty() {
            return Completeness::Complete;
        }
        if self.compile_expression(src).is_some() {
            return Completeness::Complete;
        }
        match self.lua.load(src).set_name("=input").into_function() {
            Ok(_) => Completeness::Complete,
            Err(mlua::Error::SyntaxError {
                incomplete_input: true,
                ..
            }) => Completeness::Incomplete,
            Err(e) => Completeness::Invalid(error_message(&e)),
        }
    }

    fn compile_expression(&self, src: &str) -> Option<mlua::Function> {
        let body = src.strip_prefix('=').unwrap_or(src);
        self.lua
            .load(format!("return {body}\n"))
            .set_name("=input")
            .into_function()
            .ok()
    }

    fn compile(
        &self,
        src: &[u8],
        name: &str,
        kind: SourceKind,
    ) -> Result<mlua::Function, EvalError> {
        let syntax = |e: mlua::Error| EvalError::Syntax(error_message(&e));
        let plain = |src: &[u8]| {
            self.lua
                .load(src)
                .set_name(name)
                .into_function()
                .map_err(syntax)
        };
        match kind {
            SourceKind::Script => return plain(skip_header(src)),
            SourceKind::Command => return plain(src),
            SourceKind::Interactive => {}
        }
        let compiled = |src: &[u8]| {
            self.scope
                .compile(&self.lua, src, name)
                .map_err(|e| match e {
                    mlua::Error::SyntaxError { .. } => syntax(e),
                    other => self.runtime_error(other),
                })
        };
        // A bare expression prints its value (`=expr` too, as in Lua 5.1's REPL).
        let mut expression = b"return ".to_vec();
        expression.extend_from_slice(src.strip_prefix(b"=").unwrap_or(src));
        expression.push(b'\n');
        if self.lua.load(&expression[..]).into_function().is_ok() {
            return compiled(&expression);
        }
        // Syntax errors as Lua reports them for the input as written.
        plain(src)?;
        compiled(src)
    }

    /// Stop evaluations that run longer than `timeout` (`--timeout`); `None` = no limit.
    pub fn set_eval_timeout(&self, timeout: Option<Duration>) {
        if let Ok(mut t) = self.limit.timeout.lock() {
            *t = timeout;
        }
    }

    /// Evaluate one input; returns the values it produced.
    pub fn eval(
        &self,
        src: impl AsRef<[u8]>,
        name: &str,
        kind: SourceKind,
        args: &[Vec<u8>],
    ) -> Result<Vec<Value>, EvalError> {
        let src = src.as_ref();
        self.limit.timed_out.store(false, Ordering::Relaxed);
        let result = self.eval_inner(src, name, kind, args);
        match result {
            Err(EvalError::Interrupted) if self.limit.timed_out.load(Ordering::Relaxed) => {
                let after = self.limit.timeout.lock().ok().and_then(|t| *t);
                Err(EvalError::Timeout(after.unwrap_or_default()))
            }
            other => other,
        }
    }

    fn eval_inner(
        &self,
        src: &[u8],
        name: &str,
        kind: SourceKind,
        args: &[Vec<u8>],
    ) -> Result<Vec<Value>, EvalError> {
        let function = self.compile(src, name, kind)?;
        self.interrupt.store(false, Ordering::Relaxed);
        if let Some(cancel) = &self.runtime.cancel {
            cancel.store(false, Ordering::Relaxed);
        }
        let trampoline: mlua::Function = self.trampoline(kind).map_err(|e| EvalError::Runtime {
            message: e.to_string(),
            crisp: None,
        })?;
        let mut call_args = MultiValue::new();
        call_args.push_back(Value::Function(function));
        for a in args {
            let s = self
                .lua
                .create_string(a)
                .map_err(|e| self.runtime_error(e))?;
            call_args.push_back(Value::String(s));
        }
        let watchdog = self.start_watchdog();
        // mlua turns a panic in a Rust callback into a Lua error, then resumes it once the
        // value reaches Rust: catch it here, so a bug is an error message, never an abort.
        let resumed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            trampoline.call::<MultiValue>(call_args)
        }));
        watchdog.stop();
        // SAFETY: the watchdog is joined: nothing else touches the hook now.
        unsafe { ffi::lua_sethook(self.main_state, None, 0, 0) };
        let interrupted = self.interrupt.load(Ordering::Relaxed);
        let result = match resumed {
            Ok(result) => result,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".into());
                return Err(EvalError::Runtime {
                    message: format!("internal error: a Rust function panicked ({what}); this is a bug in crisp-repl, please report it. The session goes on"),
                    crisp: None,
                });
            }
        };
        let mut values: Vec<Value> = match result {
            Ok(v) => v.into_iter().collect(),
            Err(_) if interrupted => return Err(EvalError::Interrupted),
            Err(e) => return Err(self.runtime_error(e)),
        };
        let ok = matches!(values.first(), Some(Value::Boolean(true)));
        if !ok && interrupted {
            return Err(EvalError::Interrupted);
        }
        if values.is_empty() {
            return Ok(values);
        }
        values.remove(0);
        if !ok {
            let err = values.into_iter().next().unwrap_or(Value::Nil);
            return Err(self.classify_error(err, kind));
        }
        if let Some(first) = values.first() {
            // `_` is the last result, as in Python's REPL.
            let _ = self.lua.globals().raw_set("_", first.clone());
        }
        Ok(values)
    }

    /// A thread that installs the interrupt hook once Ctrl-C sets the flag or the deadline
    /// of `--timeout` passes; no hook runs otherwise.
    fn start_watchdog(&self) -> Watchdog {
        let timeout = self.limit.timeout.lock().ok().and_then(|t| *t);
        if timeout.is_none() && !self.interrupt_shared.get() {
            // Nothing could set the flag: no thread.
            return Watchdog {
                done: None,
                thread: None,
            };
        }
        let (done, done_rx) = std::sync::mpsc::channel::<()>();
        let flag = self.interrupt.clone();
        let limit = self.limit.clone();
        let deadline = timeout.map(|t| Instant::now() + t);
        let main = MainState(self.main_state);
        let thread = std::thread::spawn(move || {
            let main = main;
            loop {
                match done_rx.recv_timeout(WATCH_EVERY) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    limit.timed_out.store(true, Ordering::Relaxed);
                    flag.store(true, Ordering::Relaxed);
                }
                if flag.load(Ordering::Relaxed) {
                    // SAFETY: see `MainState`.
                    unsafe {
                        ffi::lua_sethook(
                            main.0,
                            Some(interrupt_hook),
                            ffi::LUA_MASKCOUNT,
                            INTERRUPT_GRACE,
                        )
                    };
                    // The hook reaches the main thread only, as lua.c's Ctrl-C does: a loop
                    // that never leaves a coroutine keeps running. `--timeout` is a promise
                    // to scripts and agents, so past it the process ends instead.
                    if limit.timed_out.load(Ordering::Relaxed)
                        && matches!(
                            done_rx.recv_timeout(HARD_STOP_AFTER),
                            Err(std::sync::mpsc::RecvTimeoutError::Timeout)
                        )
                    {
                        eprintln!(
                            "crisp-repl: timed out (--timeout) and the evaluation could not be stopped: it is looping inside a coroutine, which the interrupt cannot reach; exiting"
                        );
                        std::process::exit(1);
                    }
                    return;
                }
            }
        });
        Watchdog {
            done: Some(done),
            thread: Some(thread),
        }
    }

    /// `xpcall` keeps error tables intact (a plain `pcall` through mlua would stringify them).
    /// Scripts and `-e` chunks get lua.c's message handler (a string or number error gains a
    /// `stack traceback:`); prompt input keeps error values as they are.
    fn trampoline(&self, kind: SourceKind) -> mlua::Result<mlua::Function> {
        let (key, chunk) = match kind {
            SourceKind::Interactive => ("crisp-repl.trampoline", &chunks::TRAMPOLINE_PROMPT),
            SourceKind::Script | SourceKind::Command => (
                "crisp-repl.trampoline.traceback",
                &chunks::TRAMPOLINE_SCRIPT,
            ),
        };
        if let Ok(f) = self.lua.named_registry_value::<mlua::Function>(key) {
            return Ok(f);
        }
        // `xpcall` keeps error tables intact (a plain `pcall` through mlua would stringify them).
        let f: mlua::Function = chunk.load(&self.lua)?.call(self.last_traceback_slot()?)?;
        self.lua.set_named_registry_value(key, f.clone())?;
        Ok(f)
    }

    /// The table whose `[1]` holds the traceback of the last error at the prompt.
    fn last_traceback_slot(&self) -> mlua::Result<Table> {
        const KEY: &str = "crisp-repl.last_traceback";
        if let Ok(t) = self.lua.named_registry_value::<Table>(KEY) {
            return Ok(t);
        }
        let t = self.lua.create_table()?;
        self.lua.set_named_registry_value(KEY, t.clone())?;
        Ok(t)
    }

    /// The Lua frames (innermost first, `file:line: in ...`) of the last prompt input's
    /// error, without the REPL's own frames; cleared by reading it.
    pub fn take_traceback(&self) -> Vec<String> {
        let Ok(slot) = self.last_traceback_slot() else {
            return Vec::new();
        };
        let text: Option<String> = slot.raw_get(1).ok().flatten();
        let _ = slot.raw_set(1, Value::Nil);
        text.map(|t| traceback_frames(&t)).unwrap_or_default()
    }

    fn runtime_error(&self, e: mlua::Error) -> EvalError {
        if is_interrupt(&e) {
            return EvalError::Interrupted;
        }
        EvalError::Runtime {
            message: error_message(&e),
            crisp: None,
        }
    }

    fn classify_error(&self, err: Value, kind: SourceKind) -> EvalError {
        if let Some(fields) = namespace::error_fields(&self.lua, &err) {
            let get = |k: &str| fields.raw_get::<Option<String>>(k).ok().flatten();
            return EvalError::Runtime {
                message: get("message").unwrap_or_else(|| "error".into()),
                crisp: Some(CallErrorFields {
                    kind: get("kind").unwrap_or_else(|| "lua".into()),
                    function: get("fn"),
                    status: fields.raw_get::<Option<u16>>("status").ok().flatten(),
                    reason: get("reason"),
                }),
            };
        }
        // As lua.c's msghandler: strings and numbers as they are, `__tostring` when there
        // is one, else the type.
        let has_tostring = |mt: Option<Table>| {
            mt.and_then(|m| m.raw_get::<Value>("__tostring").ok())
                .is_some_and(|v| !v.is_nil())
        };
        let tostring = match &err {
            Value::Table(t) => has_tostring(t.metatable()),
            Value::UserData(u) => u
                .metatable()
                .ok()
                .and_then(|m| m.get::<Value>("__tostring").ok())
                .is_some_and(|v| !v.is_nil()),
            _ => false,
        };
        let message = match &err {
            Value::String(s) if kind == SourceKind::Interactive => {
                clean_traceback(&s.to_string_lossy())
            }
            Value::String(s) => lua_c_traceback(&s.to_string_lossy()),
            Value::Error(e) => error_message(e),
            Value::Integer(_) | Value::Number(_) => err.to_string().unwrap_or_default(),
            other if tostring => other
                .to_string()
                .unwrap_or_else(|_| format!("(error object is a {} value)", other.type_name())),
            other => format!("(error object is a {} value)", other.type_name()),
        };
        if let Value::Error(e) = &err {
            if is_interrupt(e) {
                return EvalError::Interrupted;
            }
        }
        if matches!(&err, Value::Error(e) if matches!(e.as_ref(), mlua::Error::MemoryError(_))) {
            return EvalError::Runtime {
                message: "not enough memory: the Lua state hit its memory limit (raise it with --memory-limit MB)".into(),
                crisp: None,
            };
        }
        EvalError::Runtime {
            message,
            crisp: None,
        }
    }

    /// End the program as lua.c does: close the state (every pending `__gc` finalizer runs
    /// while the Rust functions they may call still work), then exit with `status`.
    pub fn close_and_exit(self, status: u8) -> ! {
        // SAFETY: the main state is closed once, here; `self` (and the mlua state that would
        // close it again) is then forgotten, and the process ends before anything else can
        // reach the state.
        unsafe { ffi::lua_close(self.main_state) };
        std::mem::forget(self);
        crate::output::flush_c_stdio();
        let _ = std::io::stdout().flush();
        std::process::exit(i32::from(status))
    }

    /// Set a global (used by `:use` and the REPL).
    pub fn set_global(&self, name: &str, v: Value) -> mlua::Result<()> {
        self.lua.globals().raw_set(name, v)
    }

    pub fn globals(&self) -> Table {
        self.lua.globals()
    }
}

struct Watchdog {
    done: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    fn stop(mut self) {
        self.done.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `warn` as in lua.c: off until "@on", then "Lua warning: ..." on stderr.
fn install_warn(lua: &Lua) {
    let on = std::cell::Cell::new(false);
    let continuing = std::cell::Cell::new(false);
    lua.set_warning_function(move |_, msg: &str, incomplete: bool| {
        if !continuing.get() && !incomplete && msg.starts_with('@') {
            match msg {
                "@on" => on.set(true),
                "@off" => on.set(false),
                _ => {}
            }
            return Ok(());
        }
        if on.get() {
            crate::output::flush_c_stdio();
            let mut err = std::io::stderr().lock();
            if !continuing.get() {
                let _ = err.write_all(b"Lua warning: ");
            }
            let _ = err.write_all(msg.as_bytes());
            if !incomplete {
                let _ = err.write_all(b"\n");
            }
        }
        continuing.set(incomplete);
        Ok(())
    });
}

/// package.path and package.cpath as Debian's lua5.4 has them, unless LUA_PATH(_5_4) or
/// LUA_CPATH(_5_4) set them (the package library has read those already).
fn set_package_paths(lua: &Lua) -> mlua::Result<()> {
    let package: Table = lua.globals().get("package")?;
    let set = |vars: [&str; 2]| vars.iter().any(|v| std::env::var_os(v).is_some());
    if !set(["LUA_PATH_5_4", "LUA_PATH"]) {
        package.set(
            "path",
            "/usr/local/share/lua/5.4/?.lua;/usr/local/share/lua/5.4/?/init.lua;\
             /usr/local/lib/lua/5.4/?.lua;/usr/local/lib/lua/5.4/?/init.lua;\
             /usr/share/lua/5.4/?.lua;/usr/share/lua/5.4/?/init.lua;./?.lua;./?/init.lua",
        )?;
    }
    if !set(["LUA_CPATH_5_4", "LUA_CPATH"]) {
        package.set(
            "cpath",
            format!(
                "/usr/local/lib/lua/5.4/?.so;/usr/lib/{}-linux-gnu/lua/5.4/?.so;\
                 /usr/lib/lua/5.4/?.so;/usr/local/lib/lua/5.4/loadall.so;./?.so",
                std::env::consts::ARCH
            ),
        )?;
    }
    Ok(())
}

/// A file's source without a UTF-8 BOM and a first line starting with `#` (its newline kept,
/// so line numbers stay right), as lua.c's skipcomment.
fn skip_header(src: &[u8]) -> &[u8] {
    let src = src.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(src);
    if src.first() == Some(&b'#') {
        return src
            .iter()
            .position(|&b| b == b'\n')
            .map_or(&[][..], |i| &src[i..]);
    }
    src
}

/// Is this the error the interrupt hook raises (possibly wrapped by callbacks)?
fn is_interrupt(e: &mlua::Error) -> bool {
    match e {
        mlua::Error::RuntimeError(m) => m == "interrupted",
        mlua::Error::CallbackError { cause, .. } => is_interrupt(cause),
        _ => false,
    }
}

/// The message of an mlua error without the Rust-side wrapping.
pub fn error_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(m) => clean_traceback(m),
        mlua::Error::MemoryError(_) => {
            "not enough memory: the Lua state hit its memory limit (raise it with --memory-limit MB)".into()
        }
        mlua::Error::CallbackError { cause, .. } => error_message(cause),
        other => other.to_string(),
    }
}

/// A traceback as lua.c prints it: every frame but the REPL's own (the trampoline and its
/// `xpcall`), ending in lua.c's `[C]: in ?`.
fn lua_c_traceback(message: &str) -> String {
    let Some((first, trace)) = message.split_once("\nstack traceback:") else {
        return message.to_string();
    };
    let frames: Vec<&str> = trace
        .lines()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    let ours = |i: usize| frames.get(i).is_some_and(|f| f.starts_with("crisp:"));
    let mut out = format!("{first}\nstack traceback:");
    for (i, frame) in frames.iter().enumerate() {
        // A function of ours failing shows as a C function's error does: without the `error`
        // call and the tail call in src/lua/chunks that raise it.
        let raising = *frame == "[C]: in function 'error'" && ours(i + 1);
        let tail = *frame == "(...tail calls...)" && i > 0 && ours(i - 1);
        if ours(i)
            || raising
            || tail
            || frame.starts_with("trampoline:")
            || *frame == "[C]: in function 'xpcall'"
        {
            continue;
        }
        out.push_str("\n\t");
        out.push_str(frame);
    }
    out.push_str("\n\t[C]: in ?");
    out
}

/// The frames of a `debug.traceback` text, without the REPL's own (the trampoline and its
/// `xpcall`, the `crisp:` namespace).
fn traceback_frames(trace: &str) -> Vec<String> {
    let trace = trace
        .split_once("stack traceback:")
        .map_or(trace, |(_, t)| t);
    trace
        .lines()
        .map(str::trim)
        .filter(|f| {
            !f.is_empty()
                && !f.starts_with("trampoline:")
                && !f.starts_with("crisp:")
                && *f != "[C]: in function 'xpcall'"
                && *f != "[C]: in ?"
        })
        .map(str::to_string)
        .collect()
}

/// Keep a traceback only when it shows user functions, not just the REPL's own frames.
fn clean_traceback(message: &str) -> String {
    let Some((first, trace)) = message.split_once("\nstack traceback:") else {
        return message.to_string();
    };
    let frames: Vec<&str> = trace
        .lines()
        .map(str::trim)
        .filter(|f| {
            !f.is_empty()
                && !f.starts_with("[C]")
                && !f.starts_with("trampoline:")
                && !f.starts_with("crisp:")
                && !f.starts_with("(...tail calls...)")
        })
        .collect();
    if frames.iter().all(|f| f.ends_with("in main chunk")) {
        return first.to_string();
    }
    let mut out = format!("{first}\nstack traceback:");
    for f in frames {
        out.push_str("\n\t");
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod robustness_tests {
    use super::*;
    use crate::accounts::Env;
    use crate::crisp::client::ClientOptions;

    fn session() -> Session {
        let env = Env::from_pairs(Vec::<(String, String)>::new());
        let runtime = CrispRuntime::new(env, Vec::new(), ClientOptions::default());
        Session::new(Rc::new(runtime), None).unwrap()
    }

    fn eval(session: &Session, src: &str) -> Result<Vec<Value>, EvalError> {
        session.eval(src, "=test", SourceKind::Interactive, &[])
    }

    #[test]
    fn a_panic_in_a_callback_is_a_lua_error_not_an_abort() {
        let session = session();
        let explode = session
            .lua()
            .create_function(|_, ()| -> mlua::Result<()> { panic!("deliberate test panic") })
            .unwrap();
        session
            .set_global("explode", Value::Function(explode))
            .unwrap();
        // Straight through eval, and caught by pcall inside Lua: neither unwinds out of eval.
        for src in [
            "explode()",
            "return pcall(explode)",
            "return tostring(explode)",
        ] {
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| eval(&session, src)));
            let outcome = result.unwrap_or_else(|_| panic!("{src}: the panic escaped eval"));
            if src.contains("tostring") {
                assert!(outcome.is_ok(), "{outcome:?}");
                continue;
            }
            match outcome {
                Err(EvalError::Runtime { message, .. }) => {
                    assert!(message.contains("deliberate test panic"), "{message}");
                    assert!(message.contains("a bug in crisp-repl"), "{message}");
                }
                other => panic!("{src}: expected a runtime error, got {other:?}"),
            }
        }
        // Caught and handled inside Lua, the panic never reaches Rust at all.
        let values = eval(
            &session,
            "local ok, e = pcall(explode) return ok, type(e) ~= 'nil'",
        )
        .unwrap();
        assert!(matches!(values.first(), Some(Value::Boolean(false))));
        // The state is still usable.
        let values = eval(&session, "return 1 + 1").unwrap();
        assert!(matches!(values.first(), Some(Value::Integer(2))));
    }
}
