//! `app.integrations.crisp`: one table of functions per account, generated from the registry.
//!
//! Calls validate first, then reach the account's client (created on first use, so start-up
//! touches no keyring and opens no socket). Failures are raised as error tables carrying
//! `message`, `fn`, `account`, `kind`, `status` and `reason`.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use mlua::{Lua, Table, Value};

use super::{chunks, convert, plain};
use crate::accounts::{Account, Env, DEFAULT_ACCOUNT};
use crate::config::RESERVED_NAMES;
use crate::credentials::CredentialSource;
use crate::crisp::api::{self, Target, WritePolicy};
use crate::crisp::client::{Client, ClientOptions, Exchange};
use crate::crisp::error::CrispError;
use crate::crisp::paging::{Prefetch, Stopped};
use crate::crisp::registry::{self, FunctionSpec, FUNCTIONS};
use crate::crisp::watch::{self, WatchOptions, Watcher};
use crate::tape::Tape;

const ERROR_MT: &str = "crisp-repl.error";
const NAMESPACE_MARK: &str = "crisp-repl.namespace";

/// The HTTP exchanges as `:verbose` and `:last` see them. Never holds credentials.
#[derive(Default)]
pub struct Trace {
    pub verbose: AtomicBool,
    last: Mutex<Option<Exchange>>,
}

impl Trace {
    fn record(&self, exchange: &Exchange) {
        if self.verbose.load(Ordering::Relaxed) {
            let status = exchange
                .status
                .map_or_else(|| "no answer".to_string(), |s| s.to_string());
            let retry = if exchange.attempt > 0 {
                format!(" (retry {})", exchange.attempt)
            } else {
                String::new()
            };
            eprintln!(
                "{} {} -> {status} in {} ms{retry}",
                exchange.method,
                // The path carries ids from outside data: made visible, never raw.
                crate::render::sanitize::sanitize(&exchange.path),
                exchange.elapsed.as_millis()
            );
        }
        if let Ok(mut last) = self.last.lock() {
            *last = Some(exchange.clone());
        }
    }

    pub fn last(&self) -> Option<Exchange> {
        self.last.lock().ok().and_then(|l| l.clone())
    }
}

/// The flag that stops the running evaluation (Ctrl-C, `--timeout`), kept in the Lua state's
/// app data by the session, so code sleeping in Rust (`crisp.watch`) wakes up for it.
pub struct StopFlag(pub Arc<AtomicBool>);

/// What `crisp.watch` writes by itself besides yielding messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WatchOutput {
    /// Nothing (scripts, pipes).
    #[default]
    Quiet,
    /// Start, failures and the request rate on stderr (a person at a terminal).
    Human,
    /// Each message as one JSON line on stdout as it arrives (`--json`).
    JsonLines,
}

/// The accounts and their clients, shared by every function of the namespace.
pub struct CrispRuntime {
    pub env: Env,
    accounts: RefCell<Vec<Account>>,
    pub options: ClientOptions,
    pub policy: WritePolicy,
    pub trace: Arc<Trace>,
    pub cancel: Option<Arc<AtomicBool>>,
    pub watch_output: Cell<WatchOutput>,
    clients: RefCell<HashMap<String, (Rc<Client>, CredentialSource)>>,
}

impl CrispRuntime {
    pub fn new(env: Env, accounts: Vec<Account>, options: ClientOptions) -> CrispRuntime {
        CrispRuntime {
            env,
            accounts: RefCell::new(accounts),
            options,
            policy: WritePolicy::Send,
            trace: Arc::new(Trace::default()),
            cancel: None,
            watch_output: Cell::new(WatchOutput::Quiet),
            clients: RefCell::new(HashMap::new()),
        }
    }

    pub fn account(&self, name: &str) -> Option<Account> {
        self.accounts
            .borrow()
            .iter()
            .find(|a| a.name == name)
            .cloned()
    }

    pub fn accounts(&self) -> Vec<Account> {
        self.accounts.borrow().clone()
    }

    pub fn account_names(&self) -> Vec<String> {
        self.accounts
            .borrow()
            .iter()
            .map(|a| a.name.clone())
            .collect()
    }

    /// Add or replace an account (after `:login`); its next call builds a fresh client.
    pub fn update_account(&self, account: Account) {
        self.clients.borrow_mut().remove(&account.name);
        let mut accounts = self.accounts.borrow_mut();
        match accounts.iter_mut().find(|a| a.name == account.name) {
            Some(slot) => *slot = account,
            None => accounts.push(account),
        }
    }

    /// The account's client, built on first use from its credentials.
    fn client(&self, account: &Account) -> Result<Rc<Client>, CrispError> {
        if let Some((client, _)) = self.clients.borrow().get(&account.name) {
            return Ok(client.clone());
        }
        account.require_website_id()?;
        let (credentials, source) = account.credentials(&self.env)?;
        let options = ClientOptions {
            base_url: account.base_url.clone(),
            ..self.options.clone()
        };
        let trace = self.trace.clone();
        let mut client = Client::new(options, &credentials, account.tier)
            .with_observer(Arc::new(move |e: &Exchange| trace.record(e)));
        if let Some(cancel) = &self.cancel {
            client = client.with_cancel(cancel.clone());
        }
        let client = Rc::new(client);
        self.clients
            .borrow_mut()
            .insert(account.name.clone(), (client.clone(), source));
        Ok(client)
    }

    /// Where the account's secret came from, once it has been used.
    pub fn credential_source(&self, account: &str) -> Option<CredentialSource> {
        self.clients.borrow().get(account).map(|(_, s)| *s)
    }

    /// Run `f` against the account's client (built on first use).
    pub fn with_target<T>(
        &self,
        account_name: &str,
        f: impl FnOnce(&Target) -> Result<T, CrispError>,
    ) -> Result<T, CrispError> {
        let account = self
            .account(account_name)
            .ok_or_else(|| CrispError::Invalid(format!("unknown account '{account_name}'")))?;
        let client = self.client(&account)?;
        let target = Target {
            account: &account.name,
            website_id: account.website_id.as_deref().unwrap_or_default(),
            client: &client,
        };
        f(&target)
    }

    /// Validate and run one call.
    pub fn call(
        &self,
        lua: &Lua,
        account_name: &str,
        spec: &FunctionSpec,
        params: &Value,
    ) -> Result<Tape, CrispError> {
        let args = convert::raw_args(lua, params).map_err(CrispError::Invalid)?;
        let valid = registry::validate(spec, &args).map_err(CrispError::Invalid)?;
        self.with_target(account_name, |target| {
            api::call(target, spec, &valid, self.policy)
        })
    }
}

/// Build `app.integrations.crisp` and the `crisp` shorthand in `lua`.
pub fn install(lua: &Lua, runtime: Rc<CrispRuntime>) -> mlua::Result<Table> {
    install_error_metatable(lua)?;
    let (build, copy): (mlua::Function, mlua::Function) = chunks::NAMESPACE.load(lua)?.call(())?;
    lua.set_named_registry_value(BUILDER, build)?;
    lua.set_named_registry_value(COPIER, copy)?;

    let root = account_table(lua, &runtime, DEFAULT_ACCOUNT)?;
    root.set_metatable(Some(missing_field_metatable(lua, "", &runtime)?))?;
    lua.set_named_registry_value(NAMESPACE_MARK, root.clone())?;
    for name in runtime.account_names() {
        add_account(lua, &runtime, &name)?;
    }

    let globals = lua.globals();
    let app = lua.create_table()?;
    let integrations = lua.create_table()?;
    integrations.set("crisp", root.clone())?;
    app.set("integrations", integrations)?;
    globals.set("app", app)?;
    globals.set("crisp", root.clone())?;
    Ok(root)
}

/// Give `crisp.<name>` its table of functions (also used after `:login` adds an account).
pub fn add_account(lua: &Lua, runtime: &Rc<CrispRuntime>, name: &str) -> mlua::Result<()> {
    let root: Table = lua.named_registry_value(NAMESPACE_MARK)?;
    let table = if name == DEFAULT_ACCOUNT {
        // `crisp.default.f` is `crisp.f`: the same functions, in a table of its own (whose
        // errors for unknown names speak of `crisp.default`).
        let table: Table = builders(lua)?.1.call(&root)?;
        table.set_metatable(Some(missing_field_metatable(lua, name, runtime)?))?;
        table
    } else {
        account_table(lua, runtime, name)?
    };
    root.raw_set(name, table)
}

const BUILDER: &str = "crisp-repl.account-builder";
const COPIER: &str = "crisp-repl.account-copier";
const PAGINATE: &str = "crisp-repl.paginate";
const ALL: &str = "crisp-repl.all";

/// `build` and `copy` of src/lua/chunks/namespace.lua (`install` runs it).
fn builders(lua: &Lua) -> mlua::Result<(mlua::Function, mlua::Function)> {
    Ok((
        lua.named_registry_value(BUILDER)?,
        lua.named_registry_value(COPIER)?,
    ))
}

fn account_table(lua: &Lua, runtime: &Rc<CrispRuntime>, account: &str) -> mlua::Result<Table> {
    let builder = builders(lua)?.0;
    let names = FUNCTIONS
        .iter()
        .map(|f| f.name)
        .collect::<Vec<_>>()
        .join(" ");
    // `paginate` and `all` find the account from the function they are given: one pair serves
    // every account.
    let paginate =
        super::registry_value(lua, PAGINATE, || paginate_function(lua, runtime.clone()))?;
    let all = super::registry_value(lua, ALL, || all_function(lua, runtime.clone()))?;
    let table: Table = builder.call((
        raw_function(lua, runtime.clone(), account.to_string())?,
        account,
        names,
        function_index(lua)?,
        paginate,
        all,
        watch_function(lua, runtime.clone(), account)?,
    ))?;
    table.set_metatable(Some(missing_field_metatable(lua, account, runtime)?))?;
    Ok(table)
}

const FUNCTION_INDEX: &str = "crisp-repl.functions";

/// Namespace functions -> "account/name".
fn function_index(lua: &Lua) -> mlua::Result<Table> {
    super::registry_value(lua, FUNCTION_INDEX, || lua.create_table())
}

/// Which list function `f` is, with its validated parameters, or a clear error.
fn list_call(
    lua: &Lua,
    helper: &str,
    f: &Value,
    params: &Value,
) -> Result<(String, api::ListCursor), CrispError> {
    let lists = "list_conversations, list_contacts or list_campaigns";
    let usage = || {
        CrispError::Invalid(format!(
            "the first argument must be a list function such as crisp.list_conversations ({lists}); e.g. crisp.{helper}(crisp.list_contacts, {{per_page = 100}})"
        ))
    };
    let Value::Function(f) = f else {
        return Err(usage());
    };
    let entry: Option<String> = function_index(lua)
        .and_then(|t| t.raw_get(f.clone()))
        .map_err(|e| CrispError::Invalid(e.to_string()))?;
    let (account, name) = entry
        .as_deref()
        .and_then(|e| e.split_once('/'))
        .ok_or_else(usage)?;
    let spec = registry::function(name).ok_or_else(usage)?;
    let not_a_list = || CrispError::Invalid(format!("it pages through {lists}, not {name}"));
    api::ListCursor::new(spec, &Default::default()).ok_or_else(not_a_list)?;
    let args = convert::raw_args(lua, params).map_err(CrispError::Invalid)?;
    let valid = registry::validate(spec, &args).map_err(CrispError::Invalid)?;
    let cursor = api::ListCursor::new(spec, &valid).ok_or_else(not_a_list)?;
    Ok((account.to_string(), cursor))
}

/// `crisp.all(fn, params, max_items)`: every item in one array, refusing more than max_items.
fn all_function(lua: &Lua, runtime: Rc<CrispRuntime>) -> mlua::Result<mlua::Function> {
    let raw = lua.create_function(
        move |lua, (f, params, max): (Value, Value, Value)| -> mlua::Result<(bool, Value)> {
            let setup = (|| {
                let max = match max {
                    Value::Nil => DEFAULT_ALL_LIMIT,
                    Value::Integer(n) if n >= 1 => n as usize,
                    _ => {
                        return Err(CrispError::Invalid(
                            "max_items must be a positive integer".into(),
                        ))
                    }
                };
                let (account, cursor) = list_call(lua, "all", &f, &params)?;
                Ok((account, cursor, max))
            })();
            let out = convert::new_array(lua)?;
            // Lua's own errors (out of memory) are raised as they are; a call's is an error table.
            let result = match setup {
                Ok((account, cursor, max)) => runtime
                    .with_target(&account, |target| {
                        Ok(collect_all(lua, target, cursor, max, &out))
                    })
                    .unwrap_or_else(|e| Ok(Err(e)))?,
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => Ok((true, Value::Table(out))),
                Err(e) => Ok((false, error_table(lua, "crisp.all", "", &e)?)),
            }
        },
    )?;
    plain::wrap(lua, raw)
}

/// Every item into `out`. Helper threads fetch and parse REST pages (two in flight, see
/// `ListCursor::send_all`) while this one converts them to Lua, in order, as they come: so
/// conversion is off the request path and the whole list never exists twice.
fn collect_all(
    lua: &Lua,
    target: &Target,
    cursor: api::ListCursor,
    max: usize,
    out: &Table,
) -> mlua::Result<Result<(), CrispError>> {
    std::thread::scope(|scope| {
        // A few pages ahead at most; dropping `pages` (an error, max_items) stops the fetchers.
        let (tx, pages) = std::sync::mpsc::sync_channel(2);
        scope.spawn(move || cursor.send_all(target, tx));
        let mut count = 0usize;
        for batch in pages {
            let items = match batch {
                Ok(items) => items,
                Err(e) => return Ok(Err(e)),
            };
            count += items.len();
            if count > max {
                return Ok(Err(CrispError::Invalid(format!(
                    "the list has more than max_items = {max} items; pass a larger max_items, or walk it with crisp.paginate"
                ))));
            }
            convert::extend_array(lua, out, items.to_tape().root())?;
        }
        Ok(Ok(()))
    })
}

/// Items `crisp.all` returns at most unless told otherwise.
pub const DEFAULT_ALL_LIMIT: usize = 10_000;

/// `crisp.paginate(fn, params)`: an iterator over every item, fetching pages as it goes.
fn paginate_function(lua: &Lua, runtime: Rc<CrispRuntime>) -> mlua::Result<mlua::Function> {
    let raw = lua.create_function(
        move |lua, (f, params): (Value, Value)| -> mlua::Result<(bool, Value)> {
            let (account, cursor) = match list_call(lua, "paginate", &f, &params) {
                Ok(found) => found,
                Err(e) => return Ok((false, error_table(lua, "crisp.paginate", "", &e)?)),
            };
            // The walk (the cursor until the first call, then its prefetcher), the current
            // batch and the positions of its items not yet handed out.
            let state = RefCell::new((
                Walk::Ready(cursor),
                Tape::default(),
                VecDeque::<usize>::new(),
            ));
            let runtime = runtime.clone();
            let next = lua.create_function(
                move |lua, _: mlua::MultiValue| -> mlua::Result<(bool, Value)> {
                    let mut state = state.borrow_mut();
                    let (walk, batch, pending) = &mut *state;
                    if pending.is_empty() {
                        match walk.next_batch(&runtime, &account) {
                            Ok(Some(items)) => {
                                *batch = items.to_tape();
                                pending.extend(batch.root().items().map(|i| i.position()));
                            }
                            Ok(None) => {}
                            Err(e) => {
                                return Ok((
                                    false,
                                    error_table(lua, "crisp.paginate", &account, &e)?,
                                ))
                            }
                        }
                    }
                    match pending.pop_front() {
                        Some(at) => Ok((true, convert::tape_to_lua(lua, batch.value_at(at))?)),
                        None => Ok((true, Value::Nil)),
                    }
                },
            )?;
            Ok((true, Value::Function(plain::wrap(lua, next)?)))
        },
    )?;
    plain::wrap(lua, raw)
}

/// The options `crisp.watch` takes.
const WATCH_OPTIONS: [&str; 4] = ["interval", "filter", "since", "polls"];

/// `crisp.watch{...}` read into options, the Lua filter function if one was given, and the
/// number of polls to stop after.
fn watch_options(
    lua: &Lua,
    params: &Value,
) -> Result<(WatchOptions, Option<mlua::Function>, Option<u64>), CrispError> {
    let invalid = |m: String| CrispError::Invalid(m);
    let mut options = WatchOptions::default();
    let mut filter_fn = None;
    let mut polls = None;
    let table = match params {
        Value::Nil => return Ok((options, None, None)),
        Value::Table(t) => t,
        other => {
            return Err(invalid(format!(
                "expected a table of options such as {{interval = 5}}, got {}",
                other.type_name()
            )))
        }
    };
    for pair in table.clone().pairs::<Value, Value>() {
        let (k, v) = pair.map_err(|e| invalid(e.to_string()))?;
        let Value::String(k) = k else {
            return Err(invalid(
                "options are named: write crisp.watch{interval = 5}".into(),
            ));
        };
        let name = k.to_string_lossy();
        match (name.as_str(), v) {
            ("interval", v @ (Value::Integer(_) | Value::Number(_)))
                if seconds(&v).is_some_and(|n| (watch::MIN_INTERVAL_SECS..=86_400.0).contains(&n)) =>
            {
                let secs = seconds(&v).unwrap_or(watch::DEFAULT_INTERVAL_SECS);
                options.interval = std::time::Duration::from_secs_f64(secs);
            }
            ("interval", other) => {
                return Err(invalid(format!(
                    "interval must be a number of seconds from {} to 86400, got {}",
                    watch::MIN_INTERVAL_SECS,
                    describe(&other)
                )))
            }
            ("since", Value::Integer(ms)) if ms >= 0 => options.since = Some(ms),
            ("since", other) => {
                return Err(invalid(format!(
                    "since must be a time in ms since the epoch (as message timestamps), got {}",
                    describe(&other)
                )))
            }
            ("polls", Value::Integer(n)) if n >= 1 => polls = Some(n as u64),
            ("polls", other) => {
                return Err(invalid(format!(
                    "polls must be an integer >= 1, got {}",
                    describe(&other)
                )))
            }
            ("filter", Value::Function(f)) => filter_fn = Some(f),
            ("filter", t @ Value::Table(_)) => {
                let json = convert::to_json(lua, &t);
                let pairs = crate::crisp::request::query_pairs(Some(&json)).map_err(|_| {
                    invalid("filter must be a table of list_conversations options such as {filter_unread = true}, or a function(message) returning true to keep it".into())
                })?;
                if let Some((k, _)) = pairs
                    .iter()
                    .find(|(k, _)| matches!(k.as_str(), "page" | "per_page" | "order_date_updated"))
                {
                    return Err(invalid(format!(
                        "filter cannot set {k}: watch pages through the list itself, newest updated first"
                    )));
                }
                options.list_query = pairs;
            }
            ("filter", other) => {
                return Err(invalid(format!(
                    "filter must be a table of list_conversations options such as {{filter_unread = true}}, or a function(message) returning true to keep it; got {}",
                    describe(&other)
                )))
            }
            (unknown, _) => {
                let mut msg = format!("unknown option '{}'", registry::echo(unknown));
                if let Some(s) = registry::did_you_mean(unknown, WATCH_OPTIONS) {
                    msg.push_str(&format!(" (did you mean '{s}'?)"));
                }
                msg.push_str(&format!("; accepted: {}", WATCH_OPTIONS.join(", ")));
                return Err(invalid(msg));
            }
        }
    }
    Ok((options, filter_fn, polls))
}

/// A Lua number (integer or float) as seconds.
fn seconds(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(n) => Some(*n as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// A value as an error message shows it.
fn describe(v: &Value) -> String {
    match v {
        Value::Integer(n) => format!("{n}"),
        Value::Number(n) => convert::format_float(*n),
        Value::String(s) => format!("\"{}\"", registry::echo(&s.to_string_lossy())),
        other => other.type_name().to_string(),
    }
}

/// The iterator's state between calls.
struct WatchState {
    watcher: Watcher,
    pending: VecDeque<serde_json::Value>,
    polls_left: Option<u64>,
    polled: bool,
    /// A final error, raised once the messages read before it have been handed out.
    failed: Option<CrispError>,
}

/// `crisp.watch{interval?, filter?, since?, polls?}`: an iterator over new messages as they
/// arrive (see `crisp/watch.rs`). It returns a callable table whose `stats` field is refreshed
/// after every poll.
fn watch_function(
    lua: &Lua,
    runtime: Rc<CrispRuntime>,
    account: &str,
) -> mlua::Result<mlua::Function> {
    let account = account.to_string();
    let label = if account == DEFAULT_ACCOUNT {
        "crisp.watch".to_string()
    } else {
        format!("crisp.{account}.watch")
    };
    let raw = lua.create_function(move |lua, params: Value| -> mlua::Result<(bool, Value)> {
        let (options, filter_fn, polls) = match watch_options(lua, &params) {
            Ok(found) => found,
            Err(e) => return Ok((false, error_table(lua, &label, &account, &e)?)),
        };
        let interval = options.interval;
        let state = RefCell::new(WatchState {
            watcher: Watcher::new(options),
            pending: VecDeque::new(),
            polls_left: polls,
            polled: false,
            failed: None,
        });
        let object = lua.create_table()?;
        let stats_of =
            move |lua: &Lua, w: &Watcher| convert::to_lua(lua, &w.stats.to_json(interval));
        object.raw_set("stats", stats_of(lua, &state.borrow().watcher)?)?;
        // Ctrl-C and --timeout set the session's flag; a REPL's Ctrl-C also the client's.
        let flags: Vec<Arc<AtomicBool>> = lua
            .app_data_ref::<StopFlag>()
            .map(|f| f.0.clone())
            .into_iter()
            .chain(runtime.cancel.clone())
            .collect();
        let stopped = move || flags.iter().any(|f| f.load(Ordering::Relaxed));
        let runtime = runtime.clone();
        let account = account.clone();
        let label = label.clone();
        // Called as `w(state, control)` by the generic for: `w` itself comes first.
        let next = lua.create_function(
            move |lua, (this, _): (Value, mlua::MultiValue)| -> mlua::Result<(bool, Value)> {
                let output = runtime.watch_output.get();
                let fail = |lua: &Lua, e: &CrispError| -> mlua::Result<(bool, Value)> {
                    Ok((false, error_table(lua, &label, &account, e)?))
                };
                loop {
                    let message = state.borrow_mut().pending.pop_front();
                    if let Some(message) = message {
                        let value = convert::to_lua(lua, &message)?;
                        if let Some(keep) = &filter_fn {
                            if matches!(
                                keep.call::<Value>(value.clone())?,
                                Value::Nil | Value::Boolean(false)
                            ) {
                                continue;
                            }
                        }
                        if output == WatchOutput::JsonLines {
                            write_json_line(&message);
                        }
                        return Ok((true, value));
                    }
                    let delay = {
                        let mut st = state.borrow_mut();
                        if let Some(e) = st.failed.take() {
                            return fail(lua, &e);
                        }
                        if st.polls_left == Some(0) {
                            return Ok((true, Value::Nil));
                        }
                        st.polled.then(|| st.watcher.next_delay())
                    };
                    if let Some(delay) = delay {
                        if !watch::wait(delay, &stopped) {
                            return fail(lua, &CrispError::Interrupted);
                        }
                    }
                    if stopped() {
                        return fail(lua, &CrispError::Interrupted);
                    }
                    let mut st = state.borrow_mut();
                    let first = !st.polled;
                    let polled = runtime.with_target(&account, |target| Ok(st.watcher.poll(target)));
                    let poll = match polled {
                        Ok(poll) => poll,
                        Err(e) => return fail(lua, &e),
                    };
                    st.polled = true;
                    if let Some(left) = &mut st.polls_left {
                        *left -= 1;
                    }
                    if let Value::Table(this) = &this {
                        this.raw_set("stats", stats_of(lua, &st.watcher)?)?;
                    }
                    st.pending.extend(poll.messages);
                    if let Some(e) = poll.error {
                        if matches!(e, CrispError::Interrupted) || !watch::is_transient(&e) {
                            st.failed = Some(e);
                            continue;
                        }
                        if output == WatchOutput::Human {
                            eprintln!(
                                "watch: poll failed ({}); trying again in {}s",
                                crate::render::sanitize::sanitize(&e.to_string()),
                                st.watcher.next_delay().as_secs_f64()
                            );
                        }
                    } else if first && output == WatchOutput::Human {
                        eprintln!(
                            "watch: {} conversations checked on account '{account}', polling every {}s for new messages (Ctrl-C stops)",
                            st.watcher.stats.conversations,
                            interval.as_secs_f64()
                        );
                    }
                    if output == WatchOutput::Human {
                        if let Some(line) = st.watcher.report_due() {
                            eprintln!("{line}");
                        }
                    }
                }
            },
        )?;
        let mt = lua.create_table()?;
        mt.raw_set("__call", plain::wrap(lua, next)?)?;
        mt.raw_set("__name", "crisp watch")?;
        object.set_metatable(Some(mt))?;
        Ok((true, Value::Table(object)))
    })?;
    plain::wrap(lua, raw)
}

/// One message as a JSON line on stdout, flushed at once (`--json`: a pipeline sees each as it
/// arrives). Control and bidi characters are escaped as the JSON protocol does.
pub fn write_json_line(message: &serde_json::Value) {
    use std::io::Write;
    crate::output::flush_c_stdio();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", convert::json_text(message, false));
    let _ = out.flush();
}

/// Where a `crisp.paginate` walk is: not started, fetching one page ahead on a helper thread
/// (`paging::Prefetch`, so the loop body and the next request overlap), or over.
enum Walk {
    Ready(api::ListCursor),
    Fetching(Prefetch<Result<Option<api::Batch>, CrispError>>),
    Done,
}

impl Walk {
    fn next_batch(
        &mut self,
        runtime: &CrispRuntime,
        account: &str,
    ) -> Result<Option<api::Batch>, CrispError> {
        if let Walk::Ready(_) = self {
            let Walk::Ready(mut cursor) = std::mem::replace(self, Walk::Done) else {
                return Ok(None);
            };
            // The helper thread gets its own copies of the account's client and ids.
            let prefetch = runtime.with_target(account, |target| {
                let client = target.client.clone();
                let (account, website_id) =
                    (target.account.to_string(), target.website_id.to_string());
                Prefetch::start(move || {
                    let target = Target {
                        account: &account,
                        website_id: &website_id,
                        client: &client,
                    };
                    let fetched = cursor.next_batch(&target);
                    let more = matches!(fetched, Ok(Some(_)));
                    (fetched, more)
                })
                .map_err(|e| {
                    CrispError::Transport(format!("cannot start the page fetcher thread: {e}"))
                })
            })?;
            *self = Walk::Fetching(prefetch);
        }
        let Walk::Fetching(prefetch) = self else {
            return Ok(None);
        };
        let fetched = match prefetch.next(runtime.cancel.as_deref()) {
            Ok(fetched) => fetched,
            Err(Stopped::Cancelled) => Err(CrispError::Interrupted),
            // It only ends after the last page or an error, which end the walk here first.
            Err(Stopped::Ended) => Err(CrispError::Transport(
                "the page fetcher thread stopped unexpectedly".into(),
            )),
        };
        if !matches!(fetched, Ok(Some(_))) {
            *self = Walk::Done;
        }
        fetched
    }
}

/// The Rust side of an account's functions: `raw(i, params)` calls the `i`th registry function
/// and returns `(true, result)` or `(false, error table)`.
fn raw_function(
    lua: &Lua,
    runtime: Rc<CrispRuntime>,
    account: String,
) -> mlua::Result<mlua::Function> {
    lua.create_function(move |lua, (i, params, extra): (usize, Value, Value)| {
        let Some(spec) = i.checked_sub(1).and_then(|i| FUNCTIONS.get(i)) else {
            return Err(mlua::Error::RuntimeError(format!(
                "no registry function {i}"
            )));
        };
        let label = || {
            if account == DEFAULT_ACCOUNT {
                format!("crisp.{}", spec.name)
            } else {
                format!("crisp.{account}.{}", spec.name)
            }
        };
        // `crisp:fn{...}` passes the namespace itself first.
        if let Value::Table(t) = &params {
            // The cheap test first: this runs on every call.
            if !extra.is_nil() && is_namespace_table(lua, t) {
                let err = CrispError::Invalid(format!(
                    "call it with a dot, not a colon: {}{{...}}",
                    label()
                ));
                return Ok((false, error_table(lua, &label(), &account, &err)?));
            }
        }
        match runtime.call(lua, &account, spec, &params) {
            Ok(answer) => Ok((true, convert::tape_to_lua(lua, answer.root())?)),
            Err(err) => Ok((false, error_table(lua, &label(), &account, &err)?)),
        }
    })
}

fn is_namespace_table(lua: &Lua, t: &Table) -> bool {
    let Ok(root) = lua.named_registry_value::<Table>(NAMESPACE_MARK) else {
        return false;
    };
    if &root == t {
        return true;
    }
    root.pairs::<Value, Value>()
        .filter_map(Result::ok)
        .any(|(_, v)| matches!(v, Value::Table(ref x) if x == t))
}

fn install_error_metatable(lua: &Lua) -> mlua::Result<()> {
    let mt = lua.create_table()?;
    mt.set(
        "__tostring",
        lua.create_function(|_, t: Table| t.raw_get::<String>("message"))?,
    )?;
    mt.set("__name", "crisp error")?;
    lua.set_named_registry_value(ERROR_MT, mt)
}

/// A Lua error value: `tostring(e)` is the message; `e.status`, `e.reason`, `e.fn` for code.
pub fn error_table(lua: &Lua, label: &str, account: &str, err: &CrispError) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set("message", format!("{label}: {err}"))?;
    t.raw_set("fn", label)?;
    if !account.is_empty() {
        t.raw_set("account", account)?;
    }
    t.raw_set("kind", err.kind())?;
    if let Some(status) = err.status() {
        t.raw_set("status", status)?;
    }
    if let Some(reason) = err.reason() {
        t.raw_set("reason", reason)?;
    }
    t.set_metatable(Some(lua.named_registry_value::<Table>(ERROR_MT)?))?;
    Ok(Value::Table(t))
}

/// Is `v` one of our error tables? Returns its fields for the JSON protocol.
pub fn error_fields(lua: &Lua, v: &Value) -> Option<Table> {
    let Value::Table(t) = v else { return None };
    let mt = t.metatable()?;
    let ours: Table = lua.named_registry_value(ERROR_MT).ok()?;
    (mt == ours).then(|| t.clone())
}

/// Unknown names on `crisp` or `crisp.<account>` raise an error that lists what exists.
fn missing_field_metatable(
    lua: &Lua,
    account: &str,
    runtime: &Rc<CrispRuntime>,
) -> mlua::Result<Table> {
    let mt = lua.create_table()?;
    let runtime = runtime.clone();
    let account = account.to_string();
    mt.set(
        "__index",
        plain::function(lua, move |lua, (_t, key): (Value, Value)| -> Result<Value, String> {
            let Value::String(key) = key else {
                return Ok(Value::Nil);
            };
            let key = key.to_string_lossy();
            // Leave Lua's own protocol lookups (e.g. __close) alone.
            if key.starts_with("__") || RESERVED_NAMES.contains(&key.as_str()) {
                return Ok(Value::Nil);
            }
            let accounts = runtime.account_names();
            let functions = FUNCTIONS.iter().map(|f| f.name);
            let msg = if account.is_empty() {
                let candidates = functions.chain(accounts.iter().map(String::as_str));
                let mut msg = format!(
                    "crisp has no function or account '{key}'. Accounts: {}. Functions: {}",
                    accounts.join(", "),
                    FUNCTIONS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
                );
                if let Some(s) = registry::did_you_mean(&key, candidates) {
                    msg = format!("crisp has no function or account '{key}' (did you mean '{s}'?). Accounts: {}", accounts.join(", "));
                }
                msg
            } else {
                // After `:use sales`, `crisp.support.fn` still reaches the support account.
                if accounts.iter().any(|a| a == &key) {
                    if let Ok(root) = lua.named_registry_value::<Table>(NAMESPACE_MARK) {
                        return root.raw_get(key.as_str()).map_err(|e| e.to_string());
                    }
                }
                let mut msg = format!("crisp.{account} has no function '{key}'");
                if let Some(s) = registry::did_you_mean(&key, functions) {
                    msg.push_str(&format!(" (did you mean '{s}'?)"));
                }
                msg
            };
            Err(msg)
        })?,
    )?;
    Ok(mt)
}

#[cfg(test)]
mod secret_tests {
    //! After real calls, no Lua-reachable value holds the key or its Basic-auth form.

    use super::*;
    use crate::accounts::{self, Env};
    use crate::config::ConfigFile;
    use crate::crisp::Tier;
    use crate::demo::{demo_token, DemoServer, DEMO_WEBSITE_ID};
    use crate::lua::session::{Session, SourceKind};
    use base64::Engine;
    use mlua::{Function, MultiValue};

    /// Every string reachable from `v`: table keys, values and metatables, and the upvalues of
    /// functions (read through the C API, so user changes to `debug` cannot interfere).
    fn walk(
        lua: &Lua,
        v: &Value,
        seen: &mut std::collections::HashSet<usize>,
        out: &mut Vec<String>,
    ) {
        match v {
            Value::String(s) => out.push(s.to_string_lossy()),
            Value::Table(t) => {
                if !seen.insert(t.to_pointer() as usize) {
                    return;
                }
                for (k, v) in t.clone().pairs::<Value, Value>().filter_map(Result::ok) {
                    walk(lua, &k, seen, out);
                    walk(lua, &v, seen, out);
                }
                if let Some(mt) = t.metatable() {
                    walk(lua, &Value::Table(mt), seen, out);
                }
            }
            Value::Function(f) => {
                if !seen.insert(f.to_pointer() as usize) {
                    return;
                }
                for up in upvalues(lua, f) {
                    walk(lua, &up, seen, out);
                }
            }
            Value::Error(e) => out.push(e.to_string()),
            _ => {}
        }
    }

    fn upvalues(lua: &Lua, f: &Function) -> Vec<Value> {
        // SAFETY: the closure only reads upvalues of the function passed as its one argument
        // and leaves them on the stack as results; exec_raw restores the stack.
        let values = unsafe {
            lua.exec_raw::<MultiValue>(f.clone(), |state| {
                let mut n = 1;
                while !mlua::ffi::lua_getupvalue(state, 1, n).is_null() {
                    n += 1;
                }
                mlua::ffi::lua_remove(state, 1);
            })
        };
        values.map(|v| v.into_iter().collect()).unwrap_or_default()
    }

    fn registry(lua: &Lua) -> Table {
        // SAFETY: pushes the registry table, which exec_raw hands back as the one result.
        unsafe {
            lua.exec_raw::<Table>((), |state| {
                mlua::ffi::lua_pushvalue(state, mlua::ffi::LUA_REGISTRYINDEX);
            })
        }
        .unwrap()
    }

    #[test]
    fn no_credential_is_reachable_from_lua_after_calls() {
        let server = DemoServer::start("127.0.0.1:0", 40).unwrap();
        let token = demo_token(Tier::User);
        let url = server.url();
        let env = Env::from_pairs([
            ("CRISP_API_URL", url.as_str()),
            ("CRISP_WEBSITE_ID", DEMO_WEBSITE_ID),
            ("CRISP_IDENTIFIER", token.identifier),
            ("CRISP_KEY", token.key),
            ("CRISP_TIER", "user"),
        ]);
        let accounts = accounts::resolve(&ConfigFile::default(), &env).unwrap();
        let runtime = Rc::new(CrispRuntime::new(env, accounts, ClientOptions::default()));
        let session = Session::new(runtime.clone(), None).unwrap();
        let code = r#"
            r1 = crisp.list_conversations{per_page = 30}
            r2 = crisp.get_conversation{conversation_id = r1.data[1].session_id}
            r3 = crisp.send_message{conversation_id = r1.data[1].session_id, text = 'hello'}
            r4 = crisp.get_current_user{}
            r5 = crisp.all(crisp.list_contacts, {}, 1000)
            ok, e1 = pcall(crisp.get_conversation, {conversation_id = 'session_nope'})
            ok, e2 = pcall(crisp.list_conversations, {page = 'x'})
            it = crisp.paginate(crisp.list_conversations, {})
            first = it()
            collectgarbage()
            return r4.data.email
        "#;
        let values = session
            .eval(code, "=test", SourceKind::Interactive, &[])
            .unwrap();
        assert!(matches!(values.first(), Some(Value::String(_))));

        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", token.identifier, token.key));
        let lua = session.lua();
        let mut seen = std::collections::HashSet::new();
        let mut strings = Vec::new();
        walk(lua, &Value::Table(lua.globals()), &mut seen, &mut strings);
        walk(lua, &Value::Table(registry(lua)), &mut seen, &mut strings);
        assert!(
            strings.iter().any(|s| s.contains("session_nope")),
            "the walk reaches call results and errors"
        );
        assert!(strings.len() > 1000, "the walk reached {}", strings.len());
        // Any 16 characters of the key, or of its base64 form, count as a leak.
        let windows = |secret: &str| -> Vec<String> {
            let chars: Vec<char> = secret.chars().collect();
            chars.windows(16).map(|w| w.iter().collect()).collect()
        };
        let needles: Vec<String> = windows(token.key)
            .into_iter()
            .chain(windows(&basic))
            .collect();
        for s in &strings {
            for needle in &needles {
                assert!(
                    !s.contains(needle.as_str()),
                    "a credential in a Lua value: {s}"
                );
            }
        }
        // Nor in what `:last` and `:verbose` read.
        let last = format!("{:?}", runtime.trace.last());
        assert!(!needles.iter().any(|n| last.contains(n.as_str())), "{last}");

        // Control: a secret hidden in an upvalue of a closure kept only in the registry is found.
        let planted: Function = lua
            .load(format!(
                "local k = '{}' return function() return k end",
                &basic[..20]
            ))
            .eval()
            .unwrap();
        lua.set_named_registry_value("test.planted", planted)
            .unwrap();
        let mut strings = Vec::new();
        walk(
            lua,
            &Value::Table(registry(lua)),
            &mut std::collections::HashSet::new(),
            &mut strings,
        );
        assert!(
            strings.iter().any(|s| s.contains(&basic[..16])),
            "the walk reaches upvalues in the registry"
        );
    }
}
