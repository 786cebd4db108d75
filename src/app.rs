//! Wiring: from parsed arguments to a running session in the right mode.

use std::io::{BufRead, IsTerminal, Write};
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::accounts::{self, Env};
use crate::cli::{Cli, Command, Deferred};
use crate::config::{self, ConfigFile};
use crate::crisp::api::WritePolicy;
use crate::crisp::client::ClientOptions;
use crate::demo::{self, DemoServer};
use crate::lua::namespace::{CrispRuntime, WatchOutput};
use crate::lua::session::{Completeness, EvalError, Session, SourceKind};
use crate::output::{self, Mode, Output};

/// A usage problem (exit status 2), as opposed to a failed evaluation.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Run the program; the returned number is the exit status.
pub fn run(mut cli: Cli) -> anyhow::Result<u8> {
    match cli.command.take() {
        Some(Command::DemoServer {
            port,
            size,
            demo_activity,
            latency_ms,
        }) => run_demo_server(port, size, demo_activity, latency_ms),
        Some(Command::Auth(Deferred(args))) => crate::auth::run(args, cli.config),
        Some(Command::Doc { name, json }) => run_doc(name.as_deref(), json),
        Some(Command::Watch(Deferred(args))) => crate::watch_cmd::run(&cli, &args),
        Some(Command::Mcp(Deferred(args))) => crate::mcp::run(&args, cli.config),
        None => run_lua(cli),
    }
}

/// `crisp-repl doc`: styled on a terminal, markdown in a pipe, JSON with --json.
fn run_doc(name: Option<&str>, json: bool) -> anyhow::Result<u8> {
    if json {
        let text = serde_json::to_string_pretty(&crate::docs::registry_json())?;
        // A reader that stops early (`| head`) is not an error.
        return match writeln!(std::io::stdout().lock(), "{text}") {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
            _ => Ok(0),
        };
    }
    let mode = output::decide_mode(false, true, std::io::stdout().is_terminal());
    let no_color = std::env::var("NO_COLOR").ok();
    let mut out = Output::new(mode, output::colour_enabled(mode, no_color.as_deref()));
    out.pager = crate::render::pager::command();
    match crate::docs::render_topic(name, out.width(), out.colour) {
        Ok(text) => {
            out.print_long(text.trim_end());
            Ok(0)
        }
        Err(e) => Err(UsageError(e).into()),
    }
}

fn run_demo_server(
    port: u16,
    size: usize,
    activity: Option<f64>,
    latency_ms: u64,
) -> anyhow::Result<u8> {
    let server = DemoServer::start(&format!("127.0.0.1:{port}"), size)
        .with_context(|| format!("cannot start the demo server on 127.0.0.1:{port}"))?;
    server.set_latency(std::time::Duration::from_millis(latency_ms));
    let _activity = activity
        .map(|secs| positive_secs(secs, "--demo-activity"))
        .transpose()?
        .map(|every| server.start_activity(every));
    let token = demo::demo_token(crate::crisp::Tier::User);
    println!("CRISP_API_URL={}", server.url());
    println!("CRISP_WEBSITE_ID={}", demo::DEMO_WEBSITE_ID);
    println!("CRISP_IDENTIFIER={}", token.identifier);
    println!("CRISP_KEY={}", token.key);
    println!("CRISP_TIER=user");
    eprintln!(
        "demo Crisp API listening on {} (Ctrl-C to stop)",
        server.url()
    );
    server.wait();
    Ok(0)
}

/// The accounts and their clients; also the demo server (and its simulated visitors), kept
/// alive as long as they are.
pub(crate) struct Runtime {
    pub(crate) runtime: Rc<CrispRuntime>,
    // Declared before the server, so the visitors stop first.
    _activity: Option<demo::activity::Activity>,
    _demo: Option<DemoServer>,
    pub(crate) demo_url: Option<String>,
}

pub(crate) fn build_runtime(cli: &Cli, interactive: bool) -> anyhow::Result<Runtime> {
    if cli.read_only && cli.dry_run {
        return Err(
            UsageError("--read-only and --dry-run do not go together: choose one".into()).into(),
        );
    }
    if cli.demo_activity.is_some() && !cli.demo {
        return Err(UsageError(
            "--demo-activity goes with --demo (or use demo-server --demo-activity)".into(),
        )
        .into());
    }
    let activity_every = cli
        .demo_activity
        .map(|s| positive_secs(s, "--demo-activity"))
        .transpose()?;
    let env = Env::from_process();
    let (accounts, demo) = if cli.demo {
        let server = DemoServer::start("127.0.0.1:0", cli.demo_size)
            .context("cannot start the demo server on 127.0.0.1")?;
        server.set_latency(std::time::Duration::from_millis(cli.latency_ms));
        (demo::accounts(&server.url()), Some(server))
    } else {
        let path = cli.config.clone().or_else(config::default_path);
        // Lookups find the --insecure-storage file next to the config in use.
        crate::credentials::set_config_path(cli.config.clone());
        let file = match &path {
            Some(p) => ConfigFile::load(p).map_err(|e| UsageError(e.to_string()))?,
            None => ConfigFile::default(),
        };
        (accounts::resolve(&file, &env).map_err(UsageError)?, None)
    };
    let secs = |s: f64, what: &str| positive_secs(s, what);
    let options = ClientOptions {
        timeout: secs(cli.timeout.unwrap_or(30.0), "--timeout")?,
        connect_timeout: secs(cli.connect_timeout, "--connect-timeout")?,
        ..ClientOptions::default()
    };
    let mut runtime = CrispRuntime::new(env, accounts, options);
    runtime.policy = if cli.read_only {
        WritePolicy::ReadOnly
    } else if cli.dry_run {
        WritePolicy::DryRun
    } else {
        WritePolicy::Send
    };
    if interactive {
        // Ctrl-C abandons a request in flight; only a person at a prompt needs that.
        runtime.cancel = Some(Arc::new(AtomicBool::new(false)));
    }
    let demo_url = demo.as_ref().map(DemoServer::url);
    let activity = demo
        .as_ref()
        .zip(activity_every)
        .map(|(server, every)| server.start_activity(every));
    Ok(Runtime {
        runtime: Rc::new(runtime),
        _activity: activity,
        _demo: demo,
        demo_url,
    })
}

/// Seconds from the command line as a Duration; never panics on odd input.
pub(crate) fn positive_secs(s: f64, what: &str) -> Result<Duration, UsageError> {
    match Duration::try_from_secs_f64(s) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(UsageError(format!(
            "{what} must be a positive number of seconds, got {s:?}"
        ))),
    }
}

/// A Lua state on `runtime`, with `doc()` and print capture set for `output`'s mode.
pub(crate) fn new_session(
    runtime: &Rc<CrispRuntime>,
    cli: &Cli,
    output: &Output,
) -> anyhow::Result<Session> {
    let memory = (cli.memory_limit > 0).then(|| cli.memory_limit.saturating_mul(1024 * 1024));
    let session = Session::new(runtime.clone(), memory)
        .map_err(|e| anyhow::anyhow!("cannot create the Lua state: {e}"))?;
    session.set_print_capture(output.mode == Mode::Json);
    crate::view::install(session.lua(), output)
        .map_err(|e| anyhow::anyhow!("cannot install crisp.show: {e}"))?;
    let eval_timeout = cli
        .timeout
        .map(|t| positive_secs(t, "--timeout"))
        .transpose()?;
    session.set_eval_timeout(eval_timeout);
    let (width, colour) = (output.width(), output.colour);
    let doc = session
        .lua()
        .create_function(move |lua, topic: Option<String>| {
            let text = crate::docs::render_topic(topic.as_deref(), width, colour)
                .map_err(mlua::Error::RuntimeError)?;
            let print: mlua::Function = lua.globals().get("print")?;
            print.call::<()>(text.trim_end())
        })
        .map_err(|e| anyhow::anyhow!("cannot install doc(): {e}"))?;
    session
        .set_global("doc", mlua::Value::Function(doc))
        .map_err(|e| anyhow::anyhow!("cannot install doc(): {e}"))?;
    Ok(session)
}

fn run_lua(cli: Cli) -> anyhow::Result<u8> {
    let stdin_tty = std::io::stdin().is_terminal();
    let stdout_tty = std::io::stdout().is_terminal();
    let mode = output::decide_mode(cli.json, stdin_tty, stdout_tty);
    let scripted = !cli.execute.is_empty() || cli.file.is_some();
    let interactive = !scripted && stdin_tty;
    let rt = build_runtime(&cli, interactive)?;
    rt.runtime.watch_output.set(match mode {
        Mode::Json => WatchOutput::JsonLines,
        Mode::Human => WatchOutput::Human,
        Mode::Plain => WatchOutput::Quiet,
    });
    let no_color = std::env::var("NO_COLOR").ok();
    let mut output = Output::new(mode, output::colour_enabled(mode, no_color.as_deref()));
    if !cli.no_pager {
        output.pager = crate::render::pager::command();
    }
    let session = new_session(&rt.runtime, &cli, &output)?;

    if scripted {
        set_arg_table(&session, &cli)?;
        for code in &cli.execute {
            let result = session.eval(
                code.as_encoded_bytes(),
                "=(command line)",
                SourceKind::Command,
                &[],
            );
            output.report(&session, &result);
            if let Err(e) = result {
                session.close_and_exit(output::exit_code(&e));
            }
        }
        if let Some(path) = &cli.file {
            // A lone `-` is all of stdin as one chunk, as with lua5.4.
            let (source, name) = if path.as_os_str() == "-" {
                let mut source = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut source)
                    .map_err(|e| UsageError(format!("cannot read stdin: {e}")))?;
                (source, "=stdin".to_string())
            } else {
                let source = std::fs::read(path)
                    .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
                (source, format!("@{}", path.display()))
            };
            let args: Vec<Vec<u8>> = cli
                .args
                .iter()
                .map(|a| a.as_encoded_bytes().to_vec())
                .collect();
            let result = session.eval(&source, &name, SourceKind::Script, &args);
            output.report(&session, &result);
            if let Err(e) = result {
                session.close_and_exit(output::exit_code(&e));
            }
        }
        session.close_and_exit(0);
    }
    if !stdin_tty {
        let status = run_piped(&session, &output);
        session.close_and_exit(status);
    }
    let banner = banner(&session, rt.demo_url.as_deref());
    let options = crate::repl::ReplOptions {
        history: cli.history.clone(),
        banner,
        config_path: cli.config.clone(),
    };
    let runtime = rt.runtime.clone();
    let mut factory_output = Output::new(output.mode, output.colour);
    factory_output.pager = output.pager.clone();
    let factory = || new_session(&runtime, &cli, &factory_output);
    crate::repl::run(session, output, options, &factory)
}

/// The global `arg` as lua.c makes it: arg[0] the script (or the program when there is
/// none), arg[1..] its arguments, negative indices for the program and options before it.
fn set_arg_table(session: &Session, cli: &Cli) -> anyhow::Result<()> {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The script comes right before its trailing arguments.
    let script = if cli.file.is_some() {
        argv.len().saturating_sub(cli.args.len() + 1)
    } else {
        0
    };
    let lua = session.lua();
    let build = || -> mlua::Result<()> {
        let table = lua.create_table()?;
        for (i, a) in argv.iter().enumerate() {
            let key = i as i64 - script as i64;
            table.raw_set(key, lua.create_string(a.as_encoded_bytes())?)?;
        }
        session.set_global("arg", mlua::Value::Table(table))
    };
    build().map_err(|e| anyhow::anyhow!("cannot set arg: {e}"))
}

fn banner(session: &Session, demo_url: Option<&str>) -> String {
    let accounts = session.runtime().account_names().join(", ");
    let mut text = format!("crisp-repl {}", env!("CARGO_PKG_VERSION"));
    match demo_url {
        Some(url) => text.push_str(&format!(" · demo inbox on {url} · accounts: {accounts}")),
        None => text.push_str(&format!(" · accounts: {accounts}")),
    }
    text.push_str("\n:help for commands, :doc for the API, Tab completes, Ctrl-D quits.");
    text
}

/// Piped stdin: chunks split by Lua completeness, each evaluated as soon as it is whole, so a
/// program can converse through a pipe. Errors are reported and evaluation goes on.
fn run_piped(session: &Session, output: &Output) -> u8 {
    let stdin = std::io::stdin();
    let mut chunk = String::new();
    let mut status = 0u8;
    let run_chunk = |chunk: &str, status: &mut u8| {
        let result = session.eval(chunk, "=stdin", SourceKind::Interactive, &[]);
        output.report(session, &result);
        if let Err(e) = &result {
            *status = (*status).max(output::exit_code(e));
        }
    };
    for line in stdin.lock().lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                let err = EvalError::Runtime {
                    message: format!("cannot read stdin: {e}"),
                    crisp: None,
                };
                output.report(session, &Err(err));
                return 1;
            }
        };
        if chunk.is_empty() && line.trim().is_empty() {
            continue;
        }
        chunk.push_str(&line);
        chunk.push('\n');
        if session.completeness(&chunk) != Completeness::Incomplete {
            run_chunk(&chunk, &mut status);
            chunk.clear();
        }
    }
    if !chunk.trim().is_empty() {
        run_chunk(&chunk, &mut status);
    }
    status
}
