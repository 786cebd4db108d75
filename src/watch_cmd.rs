//! `crisp-repl watch`: new messages as lines for a shell pipeline (JSON objects with `--json`,
//! readable lines otherwise), polling as `crisp.watch` does (`crisp/watch.rs`).
//!
//! Ctrl-C stops it with status 0; `--timeout` bounds each request and the whole run (status 1,
//! as an evaluation that times out); a final error (credentials, tier, website) exits non-zero
//! with what to do.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::app::{build_runtime, positive_secs, UsageError};
use crate::cli::{Cli, WatchArgs};
use crate::crisp::error::CrispError;
use crate::crisp::watch::{self, WatchOptions, Watcher};
use crate::lua::namespace::write_json_line;
use crate::render::sanitize::sanitize;

pub fn run(cli: &Cli, args: &WatchArgs) -> anyhow::Result<u8> {
    if !(args.interval.is_finite() && args.interval >= watch::MIN_INTERVAL_SECS) {
        return Err(UsageError(format!(
            "--interval must be a number of seconds >= {}, got {}",
            watch::MIN_INTERVAL_SECS,
            args.interval
        ))
        .into());
    }
    let mut list_query = Vec::new();
    for f in &args.filter {
        let Some((name, value)) = f.split_once('=').filter(|(n, _)| !n.is_empty()) else {
            return Err(UsageError(format!(
                "--filter takes NAME=VALUE (a list_conversations option, e.g. filter_unread=1), got '{f}'"
            ))
            .into());
        };
        if matches!(name, "page" | "per_page" | "order_date_updated") {
            return Err(UsageError(format!(
                "--filter cannot set {name}: watch pages through the list itself"
            ))
            .into());
        }
        list_query.push((crate::crisp::api::encode_segment(name), value.to_string()));
    }
    let deadline = cli
        .timeout
        .map(|t| positive_secs(t, "--timeout"))
        .transpose()?
        .map(|t| (t, Instant::now() + t));
    // A cancel flag makes requests abandonable; Ctrl-C sets it.
    let rt = build_runtime(cli, true)?;
    let runtime = rt.runtime.clone();
    if runtime.account(&args.account).is_none() {
        return Err(UsageError(format!(
            "no account '{}'; accounts: {}",
            args.account,
            runtime.account_names().join(", ")
        ))
        .into());
    }
    let cancel = runtime.cancel.clone().unwrap_or_default();
    {
        let cancel = cancel.clone();
        if let Err(e) = ctrlc::set_handler(move || cancel.store(true, Ordering::SeqCst)) {
            eprintln!("warning: Ctrl-C cannot stop the watch cleanly: {e}");
        }
    }
    let interval = Duration::from_secs_f64(args.interval);
    let mut watcher = Watcher::new(WatchOptions {
        interval,
        list_query,
        since: args.since,
    });
    let timed_out = || deadline.is_some_and(|(_, at)| Instant::now() >= at);
    let stop = || cancel.load(Ordering::SeqCst) || timed_out();
    // `crisp-repl --json watch` means the same as `crisp-repl watch --json`.
    let json = args.json || cli.json;
    let mut polls_left = args.polls;
    loop {
        if watcher.stats.polls > 0 && !watch::wait(watcher.next_delay(), &stop) {
            break;
        }
        if stop() {
            break;
        }
        let first = watcher.stats.polls == 0;
        let poll = runtime.with_target(&args.account, |target| Ok(watcher.poll(target)));
        let poll = match poll {
            Ok(poll) => poll,
            Err(e) => return Ok(fatal(&e)),
        };
        for message in &poll.messages {
            if json {
                write_json_line(message);
            } else {
                print_line(message);
            }
        }
        match poll.error {
            Some(CrispError::Interrupted) => break,
            Some(e) if !watch::is_transient(&e) => return Ok(fatal(&e)),
            Some(e) => eprintln!(
                "watch: poll failed ({}); trying again in {}s",
                sanitize(&e.to_string()),
                watcher.next_delay().as_secs_f64()
            ),
            None if first => eprintln!(
                "watch: {} conversations checked on account '{}', polling every {}s for new messages (Ctrl-C stops)",
                watcher.stats.conversations,
                args.account,
                interval.as_secs_f64()
            ),
            None => {}
        }
        if let Some(line) = watcher.report_due() {
            eprintln!("{line}");
        }
        if let Some(left) = &mut polls_left {
            *left -= 1;
            if *left == 0 {
                break;
            }
        }
    }
    eprintln!("{}", watcher.stats.summary(interval));
    if let Some((after, _)) = deadline.filter(|_| timed_out() && !cancel.load(Ordering::SeqCst)) {
        eprintln!(
            "crisp-repl: timed out: the watch was stopped after {}s (--timeout)",
            after.as_secs_f64()
        );
        return Ok(1);
    }
    Ok(0)
}

/// A failure more polls cannot fix: say what to do; 3 for credentials, as elsewhere.
fn fatal(e: &CrispError) -> u8 {
    eprintln!("crisp-repl watch: {}", sanitize(&e.to_string()));
    if e.kind() == "auth" {
        3
    } else {
        1
    }
}

/// `12:04:31  session_…  Mai Vu <mai@…> [unresolved]  user: text`, made terminal-safe.
fn print_line(m: &Value) {
    use std::io::Write;
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let c = &m["conversation"];
    let time = m["timestamp"]
        .as_i64()
        .and_then(|ms| u64::try_from(ms).ok())
        .map(|ms| {
            let at = std::time::UNIX_EPOCH + Duration::from_millis(ms);
            humantime::format_rfc3339_seconds(at).to_string()
        })
        .unwrap_or_default();
    let content = match &m["content"] {
        Value::String(s) => s.clone(),
        Value::Object(o) => o
            .get("name")
            .or_else(|| o.get("url"))
            .map(text)
            .map_or_else(
                || "[content]".to_string(),
                |n| format!("[{}] {n}", text(&m["type"])),
            ),
        other => text(other),
    };
    let line = format!(
        "{time}  {}  {} <{}> [{}]  {}: {}",
        text(&m["conversation_id"]),
        text(&c["nickname"]),
        text(&c["email"]),
        text(&c["state"]),
        text(&m["from"]),
        content
    );
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", sanitize(&line));
    let _ = out.flush();
}
