//! Colon commands: one table of name, arguments, help and handler; `:help` is generated from it.

use super::Repl;
use crate::docs;
use crate::lua::session::SourceKind;

/// What the loop does after a command.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

pub struct Command {
    pub name: &'static str,
    pub args: &'static str,
    pub help: &'static str,
    pub run: fn(&mut Repl, &str) -> Flow,
}

pub const COMMANDS: &[Command] = &[
    Command {
        name: ":help",
        args: "",
        help: "this list",
        run: help,
    },
    Command {
        name: ":doc",
        args: "[name] [--json]",
        help: "the API reference: a function or topic; --json for the registry",
        run: doc,
    },
    Command {
        name: ":accounts",
        args: "",
        help: "configured accounts, their tiers and where secrets come from",
        run: accounts,
    },
    Command {
        name: ":use",
        args: "NAME",
        help: "point `crisp` at another account",
        run: use_account,
    },
    Command {
        name: ":login",
        args: "[NAME]",
        help: "store an account's token in the OS keyring",
        run: login,
    },
    Command {
        name: ":json",
        args: "",
        help: "toggle raw JSON for results",
        run: json,
    },
    Command {
        name: ":verbose",
        args: "",
        help: "toggle logging each request to stderr (never credentials)",
        run: verbose,
    },
    Command {
        name: ":last",
        args: "",
        help: "the last HTTP exchange: request, status, time, start of the body",
        run: last,
    },
    Command {
        name: ":load",
        args: "FILE",
        help: "run a Lua file in this session",
        run: load,
    },
    Command {
        name: ":thread",
        args: "ID",
        help: "a conversation as a transcript (kept as `_`)",
        run: thread,
    },
    Command {
        name: ":columns",
        args: "[a, b.c, ...]",
        help: "show exactly these columns (dotted paths reach nested fields); alone: reset",
        run: columns,
    },
    Command {
        name: ":save",
        args: "FILE",
        help: "write the last result: .json, .jsonl, .csv or .md by extension",
        run: save,
    },
    Command {
        name: ":save!",
        args: "FILE",
        help: ":save, replacing FILE if it exists",
        run: save_over,
    },
    Command {
        name: ":edit",
        args: "",
        help: "edit the last input in $VISUAL/$EDITOR and run it (Ctrl-X Ctrl-E edits the current one)",
        run: edit,
    },
    Command {
        name: ":trace",
        args: "",
        help: "the full traceback of the last error",
        run: trace,
    },
    Command {
        name: ":pager",
        args: "",
        help: "toggle the pager for long results",
        run: pager,
    },
    Command {
        name: ":reset",
        args: "",
        help: "a fresh Lua state (accounts and connections stay)",
        run: reset,
    },
    Command {
        name: ":quit",
        args: "",
        help: "leave (Ctrl-D does too)",
        run: quit,
    },
];

/// Names for completion (`:exit` is accepted as an alias, not offered).
pub fn names() -> Vec<&'static str> {
    COMMANDS.iter().map(|c| c.name).collect()
}

/// Run a `:command args` line.
pub fn dispatch(repl: &mut Repl, line: &str) -> Flow {
    let line = line.trim();
    let (name, args) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let name = if name == ":exit" || name == ":q" {
        ":quit"
    } else {
        name
    };
    match COMMANDS.iter().find(|c| c.name == name) {
        Some(command) => (command.run)(repl, args.trim()),
        None => {
            let known = names();
            let mut msg = format!("unknown command '{name}'");
            if let Some(s) = crate::crisp::registry::did_you_mean(name, known.iter().copied()) {
                msg.push_str(&format!(" (did you mean {s}?)"));
            }
            msg.push_str("; :help lists the commands");
            repl.error(&msg);
            Flow::Continue
        }
    }
}

fn help(repl: &mut Repl, _: &str) -> Flow {
    let mut out = String::from("Commands:\n");
    for c in COMMANDS {
        let usage = format!("{} {}", c.name, c.args);
        out.push_str(&format!("  {:<22} {}\n", usage.trim_end(), c.help));
    }
    out.push_str("\nLua: crisp.<function>{...} calls Crisp (Tab completes, :doc explains).\n");
    out.push_str("Ctrl-C stops a running evaluation, Ctrl-D on an empty line quits.");
    repl.output.print_long(&out);
    Flow::Continue
}

fn doc(repl: &mut Repl, args: &str) -> Flow {
    let json = args.split_whitespace().any(|a| a == "--json");
    let topic = args.split_whitespace().find(|a| *a != "--json");
    if json {
        let text = serde_json::to_string_pretty(&docs::registry_json()).unwrap_or_default();
        repl.output.print_long(&text);
        return Flow::Continue;
    }
    match docs::render_topic(topic, repl.output.width(), repl.output.colour) {
        Ok(text) => repl.output.print_long(text.trim_end()),
        Err(e) => repl.error(&e),
    }
    Flow::Continue
}

fn accounts(repl: &mut Repl, _: &str) -> Flow {
    let text = repl.accounts_report();
    repl.output.print_long(text.trim_end());
    Flow::Continue
}

fn use_account(repl: &mut Repl, args: &str) -> Flow {
    if args.is_empty() {
        repl.error(&format!(
            "usage: :use NAME; accounts: {}",
            repl.account_names().join(", ")
        ));
        return Flow::Continue;
    }
    if let Err(e) = repl.use_account(args) {
        repl.error(&e);
    }
    Flow::Continue
}

fn login(repl: &mut Repl, args: &str) -> Flow {
    let name = if args.is_empty() {
        repl.account.clone()
    } else {
        args.to_string()
    };
    match repl.login(&name) {
        Ok(msg) => println!("{msg}"),
        Err(e) => repl.error(&e),
    }
    Flow::Continue
}

fn json(repl: &mut Repl, _: &str) -> Flow {
    let on = !repl.output.raw_json.get();
    repl.output.raw_json.set(on);
    println!("raw JSON results {}", if on { "on" } else { "off" });
    Flow::Continue
}

fn verbose(repl: &mut Repl, _: &str) -> Flow {
    let trace = &repl.session.runtime().trace;
    let on = !trace.verbose.load(std::sync::atomic::Ordering::Relaxed);
    trace
        .verbose
        .store(on, std::sync::atomic::Ordering::Relaxed);
    println!("request log {}", if on { "on (stderr)" } else { "off" });
    Flow::Continue
}

fn last(repl: &mut Repl, _: &str) -> Flow {
    match repl.session.runtime().trace.last() {
        None => println!("no request yet"),
        Some(e) => {
            let status = e.status.map_or("no answer".to_string(), |s| s.to_string());
            // The path and body come from outside (ids, a server's answer): made visible.
            use crate::render::sanitize::sanitize;
            println!("{} {}", sanitize(e.method), sanitize(&e.path));
            println!(
                "status {status} in {} ms{}",
                e.elapsed.as_millis(),
                if e.attempt > 0 {
                    format!(" (retry {})", e.attempt)
                } else {
                    String::new()
                }
            );
            println!("{}", sanitize(&e.body_head));
        }
    }
    Flow::Continue
}

fn load(repl: &mut Repl, args: &str) -> Flow {
    if args.is_empty() {
        repl.error("usage: :load FILE");
        return Flow::Continue;
    }
    let path = super::expand_home(args);
    match std::fs::read_to_string(&path) {
        Ok(source) => {
            let name = format!("@{}", path.display());
            repl.eval(&source, &name, SourceKind::Script);
        }
        Err(e) => repl.error(&format!("cannot read {}: {e}", path.display())),
    }
    Flow::Continue
}

fn thread(repl: &mut Repl, args: &str) -> Flow {
    let id = args.trim();
    if id.is_empty() || id.contains(char::is_whitespace) {
        repl.error("usage: :thread ID, e.g. :thread session_abc123 (crisp.list_conversations() lists them)");
        return Flow::Continue;
    }
    // Through Lua, so Ctrl-C, --timeout, errors and --json behave as for any input.
    let source = format!(
        "_ = crisp.get_conversation{{conversation_id = {}}} return crisp.show(_)",
        crate::render::plain::quote(id)
    );
    repl.eval(&source, "=:thread", SourceKind::Interactive);
    Flow::Continue
}

fn columns(repl: &mut Repl, args: &str) -> Flow {
    let names = crate::view::split_columns(args);
    if let Some(bad) = names.iter().find(|n| n.split('.').any(str::is_empty)) {
        repl.error(&format!(
            "'{}' is not a column path; e.g. :columns session_id, state, meta.email",
            crate::render::sanitize::sanitize(bad)
        ));
        return Flow::Continue;
    }
    let text = if names.is_empty() {
        "columns: chosen automatically again".to_string()
    } else {
        format!(
            "tables show: {} (`:columns` alone resets)",
            crate::render::sanitize::sanitize(&names.join(", "))
        )
    };
    crate::view::set_columns(repl.session.lua(), names);
    println!("{text}");
    Flow::Continue
}

fn save(repl: &mut Repl, args: &str) -> Flow {
    save_to(repl, args, false)
}

fn save_over(repl: &mut Repl, args: &str) -> Flow {
    save_to(repl, args, true)
}

fn save_to(repl: &mut Repl, args: &str, overwrite: bool) -> Flow {
    if args.is_empty() {
        repl.error(&format!(
            "usage: :save FILE (:save! FILE replaces it); formats by extension: {}",
            crate::export::FORMATS
        ));
        return Flow::Continue;
    }
    let path = super::expand_home(args);
    let lua = repl.session.lua();
    let last: mlua::Value = repl
        .session
        .globals()
        .raw_get("_")
        .unwrap_or(mlua::Value::Nil);
    if last.is_nil() {
        repl.error("nothing to save yet: `_` (the last result) is nil; evaluate something first");
        return Flow::Continue;
    }
    let chosen = crate::view::chosen_columns(lua);
    match crate::export::save(lua, &last, &path, overwrite, chosen.as_deref()) {
        Ok(saved) => println!("{saved}"),
        Err(e) => repl.error(&e),
    }
    Flow::Continue
}

fn edit(repl: &mut Repl, args: &str) -> Flow {
    if args.is_empty() {
        repl.edit_requested = true;
    } else {
        repl.error("usage: :edit (it opens the last input; Ctrl-X Ctrl-E opens the current one)");
    }
    Flow::Continue
}

fn trace(repl: &mut Repl, _: &str) -> Flow {
    if repl.last_trace.is_empty() {
        println!("no traceback: the last error (if any) was not raised by running code");
        return Flow::Continue;
    }
    let mut text = String::from("stack traceback (innermost first):");
    for frame in &repl.last_trace {
        text.push_str("\n\t");
        text.push_str(frame);
    }
    repl.output
        .print_long(&crate::render::sanitize::sanitize_lines(&text));
    Flow::Continue
}

fn pager(repl: &mut Repl, _: &str) -> Flow {
    repl.output.pager = match repl.output.pager {
        Some(_) => None,
        None => crate::render::pager::command().or_else(|| Some("less -FRX".into())),
    };
    // crisp.show and :thread page as the rest of the output does.
    if let Err(e) = crate::view::install(repl.session.lua(), &repl.output) {
        repl.error(&e.to_string());
    }
    println!(
        "pager {}",
        if repl.output.pager.is_some() {
            "on"
        } else {
            "off"
        }
    );
    Flow::Continue
}

fn reset(repl: &mut Repl, _: &str) -> Flow {
    match repl.reset() {
        Ok(()) => println!("fresh Lua state (account {})", repl.account),
        Err(e) => repl.error(&e),
    }
    Flow::Continue
}

fn quit(_: &mut Repl, _: &str) -> Flow {
    Flow::Quit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_colon_prefixed() {
        let mut names = names();
        assert!(names.iter().all(|n| n.starts_with(':')));
        names.sort();
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len());
    }
}
