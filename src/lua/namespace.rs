//! `app.integrations.crisp`: one table of functions per account, generated from the registry.
//!
//! Calls validate first, then reach the account's client (created on first use, so start-up
//! touches no keyring and opens no socket). Failures are raised as error tables carrying
//! `message`, `fn`, `account`, `kind`, `status` and `reason`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use mlua::{Lua, Table, Value};
use serde_json::Value as Json;

use super::convert;
use crate::accounts::{Account, Env, DEFAULT_ACCOUNT};
use crate::config::RESERVED_NAMES;
use crate::credentials::CredentialSource;
use crate::crisp::api::{self, Target, WritePolicy};
use crate::crisp::client::{Client, ClientOptions, Exchange};
use crate::crisp::error::CrispError;
use crate::crisp::registry::{self, FunctionSpec, FUNCTIONS};

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
                exchange.path,
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

/// The accounts and their clients, shared by every function of the namespace.
pub struct CrispRuntime {
    pub env: Env,
    accounts: RefCell<Vec<Account>>,
    pub options: ClientOptions,
    pub policy: WritePolicy,
    pub trace: Arc<Trace>,
    pub cancel: Option<Arc<AtomicBool>>,
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
    fn with_target<T>(
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
        account_name: &str,
        spec: &FunctionSpec,
        params: &Value,
    ) -> Result<Json, CrispError> {
        let args = convert::raw_args(params).map_err(CrispError::Invalid)?;
        let valid = registry::validate(spec, &args).map_err(CrispError::Invalid)?;
        self.with_target(account_name, |target| {
            api::call(target, spec, &valid, self.policy)
        })
    }
}

const WRAP: &str = "crisp-repl.wrap";

/// Build `app.integrations.crisp` and the `crisp` shorthand in `lua`.
pub fn install(lua: &Lua, runtime: Rc<CrispRuntime>) -> mlua::Result<Table> {
    install_error_metatable(lua)?;
    // Raises the error table from Lua, so `pcall` hands it over intact.
    let wrap: mlua::Function = lua
        .load(
            r#"
            local raw = ...
            return function(...)
              local ok, result = raw(...)
              if ok then return result end
              error(result, 0)
            end
            "#,
        )
        .set_name("=crisp")
        .into_function()?;
    lua.set_named_registry_value(WRAP, wrap)?;

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
    root.raw_set(name, account_table(lua, runtime, name)?)
}

fn account_table(lua: &Lua, runtime: &Rc<CrispRuntime>, account: &str) -> mlua::Result<Table> {
    let wrap: mlua::Function = lua.named_registry_value(WRAP)?;
    let index = function_index(lua)?;
    let table = lua.create_table()?;
    for spec in FUNCTIONS {
        let raw = raw_function(lua, runtime.clone(), account.to_string(), spec)?;
        let f: mlua::Function = wrap.call(raw)?;
        // So `crisp.all(crisp.list_contacts, ...)` knows which account and function it was given.
        index.raw_set(f.clone(), format!("{account}/{}", spec.name))?;
        table.raw_set(spec.name, f)?;
    }
    table.raw_set("paginate", paginate_function(lua, runtime.clone())?)?;
    table.raw_set("all", all_function(lua, runtime.clone())?)?;
    table.set_metatable(Some(missing_field_metatable(lua, account, runtime)?))?;
    Ok(table)
}

const FUNCTION_INDEX: &str = "crisp-repl.functions";

/// Namespace functions -> "account/name".
fn function_index(lua: &Lua) -> mlua::Result<Table> {
    if let Ok(t) = lua.named_registry_value::<Table>(FUNCTION_INDEX) {
        return Ok(t);
    }
    let t = lua.create_table()?;
    lua.set_named_registry_value(FUNCTION_INDEX, t.clone())?;
    Ok(t)
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
    let args = convert::raw_args(params).map_err(CrispError::Invalid)?;
    let valid = registry::validate(spec, &args).map_err(CrispError::Invalid)?;
    let cursor = api::ListCursor::new(spec, &valid).ok_or_else(not_a_list)?;
    Ok((account.to_string(), cursor))
}

/// `crisp.all(fn, params, max_items)`: every item in one array, refusing more than max_items.
fn all_function(lua: &Lua, runtime: Rc<CrispRuntime>) -> mlua::Result<mlua::Function> {
    let raw = lua.create_function(
        move |lua, (f, params, max): (Value, Value, Value)| -> mlua::Result<(bool, Value)> {
            let result = (|| {
                let max = match max {
                    Value::Nil => DEFAULT_ALL_LIMIT,
                    Value::Integer(n) if n >= 1 => n as usize,
                    _ => {
                        return Err(CrispError::Invalid(
                            "max_items must be a positive integer".into(),
                        ))
                    }
                };
                let (account, mut cursor) = list_call(lua, "all", &f, &params)?;
                runtime.with_target(&account, |target| {
                    let mut items = Vec::new();
                    while let Some(batch) = cursor.next_batch(target)? {
                        items.extend(batch);
                        if items.len() > max {
                            return Err(CrispError::Invalid(format!(
                                "the list has more than max_items = {max} items; pass a larger max_items, or walk it with crisp.paginate"
                            )));
                        }
                    }
                    Ok(Json::Array(items))
                })
            })();
            match result {
                Ok(json) => Ok((true, convert::to_lua(lua, &json)?)),
                Err(e) => Ok((false, error_table(lua, "crisp.all", "", &e)?)),
            }
        },
    )?;
    let wrap: mlua::Function = lua.named_registry_value(WRAP)?;
    wrap.call(raw)
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
            let state = RefCell::new((cursor, std::collections::VecDeque::<Json>::new()));
            let runtime = runtime.clone();
            let next = lua.create_function(
                move |lua, _: mlua::MultiValue| -> mlua::Result<(bool, Value)> {
                    let mut state = state.borrow_mut();
                    let (cursor, buffer) = &mut *state;
                    if buffer.is_empty() {
                        let batch =
                            runtime.with_target(&account, |target| cursor.next_batch(target));
                        match batch {
                            Ok(Some(items)) => buffer.extend(items),
                            Ok(None) => {}
                            Err(e) => {
                                return Ok((
                                    false,
                                    error_table(lua, "crisp.paginate", &account, &e)?,
                                ))
                            }
                        }
                    }
                    match buffer.pop_front() {
                        Some(item) => Ok((true, convert::to_lua(lua, &item)?)),
                        None => Ok((true, Value::Nil)),
                    }
                },
            )?;
            let wrap: mlua::Function = lua.named_registry_value(WRAP)?;
            Ok((true, Value::Function(wrap.call(next)?)))
        },
    )?;
    let wrap: mlua::Function = lua.named_registry_value(WRAP)?;
    wrap.call(raw)
}

/// The Rust side of one function: returns `(true, result)` or `(false, error table)`.
fn raw_function(
    lua: &Lua,
    runtime: Rc<CrispRuntime>,
    account: String,
    spec: &'static FunctionSpec,
) -> mlua::Result<mlua::Function> {
    let label = if account == DEFAULT_ACCOUNT {
        format!("crisp.{}", spec.name)
    } else {
        format!("crisp.{account}.{}", spec.name)
    };
    lua.create_function(move |lua, (params, extra): (Value, Value)| {
        // `crisp:fn{...}` passes the namespace itself first.
        if let Value::Table(t) = &params {
            if is_namespace_table(lua, t) && !extra.is_nil() {
                let err =
                    CrispError::Invalid(format!("call it with a dot, not a colon: {label}{{...}}"));
                return Ok((false, error_table(lua, &label, &account, &err)?));
            }
        }
        match runtime.call(&account, spec, &params) {
            Ok(json) => Ok((true, convert::to_lua(lua, &json)?)),
            Err(err) => Ok((false, error_table(lua, &label, &account, &err)?)),
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
        lua.create_function(move |lua, (_t, key): (Value, Value)| -> mlua::Result<Value> {
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
                        return root.raw_get(key.as_str());
                    }
                }
                let mut msg = format!("crisp.{account} has no function '{key}'");
                if let Some(s) = registry::did_you_mean(&key, functions) {
                    msg.push_str(&format!(" (did you mean '{s}'?)"));
                }
                msg
            };
            Err(mlua::Error::RuntimeError(msg))
        })?,
    )?;
    Ok(mt)
}
