//! The Lua thread: the accounts, clients and Lua states live here (they are not `Send`), and
//! tool calls run here one at a time while the MCP runtime keeps reading on its own thread.
//!
//! Two states share one runtime: `lua` is the agent's persistent session (the `lua` tool); API
//! tools run in a private one, so they never touch the agent's `_` or globals.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use serde_json::{json, Value as Json};

use crate::cli::{Cli, McpArgs};
use crate::crisp::registry::FunctionSpec;
use crate::lua::convert;
use crate::lua::session::{EvalError, Session, SourceKind};
use crate::output::{self, Mode, Output};

/// What a tool call asks the Lua thread to do.
pub enum Job {
    /// One registry function with the tool's arguments (an object, `account` removed).
    Api {
        spec: &'static FunctionSpec,
        account: Option<String>,
        params: serde_json::Map<String, Json>,
    },
    /// Evaluate code in the persistent session.
    Lua { code: String },
}

/// A finished call: `structured` is the JSON result, `text` its short rendering.
#[derive(Debug)]
pub struct Outcome {
    pub ok: bool,
    pub structured: Json,
    pub text: String,
}

struct Request {
    id: u64,
    job: Job,
    reply: tokio::sync::oneshot::Sender<Outcome>,
}

/// Which call is running, and the flags that stop it (as Ctrl-C does in the REPL).
struct Control {
    running: Mutex<u64>,
    /// The interrupt flags of both Lua states and the clients' cancel flag.
    stop: Vec<Arc<AtomicBool>>,
}

/// The handle the MCP server holds: send calls, cancel the running one.
pub struct Worker {
    jobs: Mutex<mpsc::Sender<Request>>,
    control: Arc<Control>,
    next_id: std::sync::atomic::AtomicU64,
    /// The configured accounts, known at start without reading any secret.
    pub accounts: Vec<String>,
}

/// The API tools' call: the account's table, the function, the parameters.
const API_CHUNK: &str = "local m = __crisp_mcp_call\n__crisp_mcp_call = nil\nlocal ns = crisp\nif m.account ~= nil then ns = crisp[m.account] end\nreturn ns[m.fn](m.params or {})";

impl Worker {
    /// Start the Lua thread with `args`; fails (before any protocol traffic) as the REPL would
    /// on bad flags or a broken config.
    pub fn start(args: &McpArgs, config: Option<std::path::PathBuf>) -> anyhow::Result<Worker> {
        let cli = session_cli(args, config);
        let (ready_tx, ready_rx) = mpsc::channel::<anyhow::Result<(Vec<String>, Arc<Control>)>>();
        let (jobs_tx, jobs_rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("lua".into())
            .spawn(move || {
                let set_up = (|| {
                    // `interactive` gives the clients a cancel flag: cancellation abandons requests.
                    let rt = crate::app::build_runtime(&cli, true)?;
                    let out = Output::new(Mode::Json, false);
                    let api = crate::app::new_session(&rt.runtime, &cli, &out)?;
                    let lua = crate::app::new_session(&rt.runtime, &cli, &out)?;
                    Ok((rt, api, lua))
                })();
                let (rt, api, lua) = match set_up {
                    Ok(parts) => parts,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let mut stop = vec![api.interrupt_flag(), lua.interrupt_flag()];
                stop.extend(rt.runtime.cancel.clone());
                let control = Arc::new(Control {
                    running: Mutex::new(0),
                    stop,
                });
                if ready_tx
                    .send(Ok((rt.runtime.account_names(), control.clone())))
                    .is_err()
                {
                    return;
                }
                for request in jobs_rx {
                    Worker::mark(&control, request.id);
                    let outcome = match request.job {
                        Job::Api {
                            spec,
                            account,
                            params,
                        } => run_api(&api, spec, account, params),
                        Job::Lua { code } => run_lua(&lua, &code),
                    };
                    Worker::mark(&control, 0);
                    let _ = request.reply.send(outcome);
                }
                drop(rt);
            })?;
        let (accounts, control) = ready_rx
            .recv()
            .map_err(|_| anyhow::anyhow!("the Lua thread stopped while starting"))??;
        Ok(Worker {
            jobs: Mutex::new(jobs_tx),
            control,
            next_id: std::sync::atomic::AtomicU64::new(1),
            accounts,
        })
    }

    /// Queue `job`; the answer arrives on the returned receiver. The id names it for `cancel`.
    pub fn submit(&self, job: Job) -> Option<(u64, tokio::sync::oneshot::Receiver<Outcome>)> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = tokio::sync::oneshot::channel();
        // The Lua thread marks the call running just before it starts.
        let job = Request { id, job, reply };
        let sent = self
            .jobs
            .lock()
            .ok()
            .map(|jobs| jobs.send(job).is_ok())
            .unwrap_or(false);
        sent.then_some((id, answer))
    }

    /// Stop call `id` if it is the one running now (a later call is never hit by a stale cancel).
    pub fn cancel(&self, id: u64) {
        if let Ok(running) = self.control.running.lock() {
            if *running == id {
                for flag in &self.control.stop {
                    flag.store(true, Ordering::Relaxed);
                }
            }
        }
    }

    /// Mark the start and end of call `id` on the Lua thread.
    fn mark(control: &Control, id: u64) {
        if let Ok(mut running) = control.running.lock() {
            *running = id;
        }
    }
}

/// A Cli as the Lua session expects it: JSON mode (print is captured), no pager, no script.
fn session_cli(args: &McpArgs, config: Option<std::path::PathBuf>) -> Cli {
    Cli {
        command: None,
        execute: Vec::new(),
        file: None,
        args: Vec::new(),
        demo: args.demo,
        demo_size: args.demo_size,
        demo_activity: None,
        latency_ms: 0,
        json: true,
        read_only: args.read_only,
        dry_run: args.dry_run,
        history: None,
        no_pager: true,
        config,
        timeout: args.timeout,
        connect_timeout: args.connect_timeout,
        memory_limit: args.memory_limit,
    }
}

fn run_api(
    session: &Session,
    spec: &'static FunctionSpec,
    account: Option<String>,
    params: serde_json::Map<String, Json>,
) -> Outcome {
    let lua = session.lua();
    let prepared = (|| -> mlua::Result<()> {
        let call = lua.create_table()?;
        call.raw_set("fn", spec.name)?;
        call.raw_set("account", account)?;
        call.raw_set("params", convert::to_lua(lua, &Json::Object(params))?)?;
        session.set_global("__crisp_mcp_call", mlua::Value::Table(call))
    })();
    let result = match prepared {
        Ok(()) => session.eval(API_CHUNK, "=mcp", SourceKind::Command, &[]),
        Err(e) => Err(EvalError::Runtime {
            message: crate::lua::session::error_message(&e),
            crisp: None,
        }),
    };
    // Nothing prints here, but a captured byte must not leak into the next `lua` call's output.
    let _ = session.take_printed();
    match result {
        Ok(values) => {
            let value = values
                .first()
                .map_or(Json::Null, |v| convert::to_json(lua, v));
            // structuredContent is an object; every function returns a table, but be safe.
            let structured = match value {
                Json::Object(_) => value,
                other => json!({ "value": other }),
            };
            Outcome {
                ok: true,
                text: format!(
                    "{}\n{}",
                    summary(spec.name, &structured),
                    convert::json_text(&structured, false)
                ),
                structured,
            }
        }
        Err(e) => error_outcome(&e),
    }
}

fn run_lua(session: &Session, code: &str) -> Outcome {
    let result = session.eval(code, "=mcp", SourceKind::Interactive, &[]);
    let record = output::eval_record(session, &result);
    let text = convert::json_text(&record, false);
    Outcome {
        ok: result.is_ok(),
        structured: record,
        text,
    }
}

/// A failed call as the JSON protocol reports it: `{ok = false, error = {kind, message, ...}}`.
pub fn error_outcome(e: &EvalError) -> Outcome {
    let structured = json!({ "ok": false, "error": output::error_json(e) });
    Outcome {
        ok: false,
        text: convert::json_text(&structured, false),
        structured,
    }
}

/// One line saying what came back, before the JSON.
fn summary(name: &str, result: &Json) -> String {
    match result.get("data") {
        Some(Json::Array(items)) => {
            let mut line = format!("{name}: {} items", items.len());
            if let Some(page) = result.get("page") {
                line.push_str(&format!(", page {page}"));
            }
            if let Some(more) = result.get("has_more") {
                line.push_str(&format!(", has_more {more}"));
            }
            line
        }
        _ if result.get("dry_run").is_some() => format!("{name}: dry run, nothing sent"),
        _ => format!("{name}: ok"),
    }
}
