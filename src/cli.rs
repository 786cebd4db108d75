//! Command-line arguments.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

const AFTER_HELP: &str = "\
Examples:
  crisp-repl --demo                          explore the built-in demo inbox
  crisp-repl --demo -e 'return #crisp.list_conversations{per_page=100}.data'
  echo 'return crisp.get_current_user{}' | crisp-repl --json
  crisp-repl report.lua                      run a script

Exit status: 0 success, 1 a Lua or Crisp error, 2 bad usage, 3 missing or rejected credentials.
Credentials: CRISP_WEBSITE_ID, CRISP_IDENTIFIER, CRISP_KEY, CRISP_TIER (CRISP_<ACCOUNT>_... for named accounts).";

/// A Lua REPL for the Crisp (crisp.chat) REST API.
#[derive(Debug, Parser)]
#[command(name = "crisp-repl", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Run Lua code (repeatable; runs in order in one state, stops at the first error).
    #[arg(
        short = 'e',
        long = "execute",
        value_name = "CODE",
        allow_hyphen_values = true,
        value_parser = clap::value_parser!(OsString)
    )]
    pub execute: Vec<OsString>,

    /// A Lua script to run; the values it returns are printed.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Arguments passed to the script as `...`.
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        requires = "file",
        value_parser = clap::value_parser!(OsString)
    )]
    pub args: Vec<OsString>,

    /// Use a built-in demo Crisp inbox on loopback (no account needed).
    #[arg(long)]
    pub demo: bool,

    /// Conversations in the demo inbox.
    #[arg(long, value_name = "N", default_value_t = crate::demo::seed::DEFAULT_CONVERSATIONS)]
    pub demo_size: usize,

    /// With --demo: simulated visitors write a message about every SECS seconds (for crisp.watch).
    #[arg(long, value_name = "SECS")]
    pub demo_activity: Option<f64>,
    /// Delay every answer of the demo inbox by N ms, as a distant server would (for measuring).
    #[arg(long, value_name = "N", default_value_t = 0, requires = "demo")]
    pub latency_ms: u64,

    /// One JSON line per evaluation on stdout (for programs and agents).
    #[arg(long)]
    pub json: bool,

    /// Refuse calls that change data (every write of the registry, crisp.request but GET/HEAD).
    #[arg(long)]
    pub read_only: bool,

    /// Print the request a write would send, and send nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// History file for the REPL (default: the platform data dir, crisp-repl/history).
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,

    /// Never page long results.
    #[arg(long)]
    pub no_pager: bool,

    /// Config file (default: the platform config dir, or CRISP_REPL_CONFIG).
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,

    /// The longest a request, or one evaluation, may take [default: 30 s per request;
    /// evaluations unlimited]. Stops runaway loops in scripts and pipes.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Seconds to wait for a connection.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub connect_timeout: f64,

    /// Memory limit of the Lua state, in MB (0 = none).
    #[arg(long, value_name = "MB", default_value_t = 1024)]
    pub memory_limit: usize,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the API reference: one function or topic, or the registry as JSON.
    Doc {
        /// A function (send_message, crisp.send_message) or topic (accounts, paging, ...).
        name: Option<String>,
        /// The function registry as JSON: names, parameters, types, ranges, examples.
        #[arg(long)]
        json: bool,
    },
    /// Manage credentials in the OS keyring: login, logout, status.
    Auth(Deferred<crate::auth::AuthArgs>),
    /// Run the demo Crisp API standalone until killed; prints the variables to use it.
    DemoServer {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Conversations in the demo inbox.
        #[arg(long, value_name = "N", default_value_t = crate::demo::seed::DEFAULT_CONVERSATIONS)]
        size: usize,
        /// Simulated visitors write a message about every SECS seconds.
        #[arg(long, value_name = "SECS")]
        demo_activity: Option<f64>,
        /// Delay every answer by N ms, as a distant server would (for measuring).
        #[arg(long, value_name = "N", default_value_t = 0)]
        latency_ms: u64,
    },
    /// Print new messages across the inbox as they arrive, until Ctrl-C (exit status 0).
    Watch(Deferred<WatchArgs>),
    /// Serve the API to AI agents over the Model Context Protocol (stdio).
    Mcp(Deferred<McpArgs>),
}

// `crisp-repl watch`: the shell's `crisp.watch`. (Not a doc comment: clap would make it the
// subcommand's about, over the one on `Command::Watch`, since `Deferred` defines it later.)
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  crisp-repl watch --interval 30
  crisp-repl watch --json | jq -r .content
  crisp-repl --demo --demo-activity 2 watch --interval 1
  crisp-repl watch --filter filter_unread=1 --account support")]
pub struct WatchArgs {
    /// Seconds between polls (each poll is one request, plus one per changed conversation).
    #[arg(long, value_name = "SECS", default_value_t = crate::crisp::watch::DEFAULT_INTERVAL_SECS)]
    pub interval: f64,
    /// One JSON object per message on stdout, flushed as it arrives.
    #[arg(long)]
    pub json: bool,
    /// The account to watch.
    #[arg(long, value_name = "NAME", default_value = crate::accounts::DEFAULT_ACCOUNT)]
    pub account: String,
    /// A list_conversations option passed to every list request (repeatable), e.g. filter_unread=1.
    #[arg(long, value_name = "NAME=VALUE")]
    pub filter: Vec<String>,
    /// Also print messages newer than this time (ms since the epoch) on the first poll.
    #[arg(long, value_name = "MS")]
    pub since: Option<i64>,
    /// Stop after this many polls (exit status 0).
    #[arg(long, value_name = "N")]
    pub polls: Option<u64>,
}

// `crisp-repl mcp`: the flags of a Lua session that carry over to the MCP server (not a doc
// comment, as for `WatchArgs`).
#[derive(Debug, Clone, clap::Args)]
pub struct McpArgs {
    /// Use a built-in demo Crisp inbox on loopback (no account needed).
    #[arg(long)]
    pub demo: bool,

    /// Conversations in the demo inbox.
    #[arg(long, value_name = "N", default_value_t = crate::demo::seed::DEFAULT_CONVERSATIONS)]
    pub demo_size: usize,

    /// Offer no tool that changes data; writes through the `lua` tool are refused.
    #[arg(long)]
    pub read_only: bool,

    /// Writes return the request they would send, and send nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// The longest a request, or one `lua` evaluation, may take [default: 30 s per request].
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Seconds to wait for a connection.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub connect_timeout: f64,

    /// Memory limit of the Lua state, in MB (0 = none).
    #[arg(long, value_name = "MB", default_value_t = 1024)]
    pub memory_limit: usize,
}

/// A subcommand's arguments, defined only when that subcommand is used (clap's `defer`), so an
/// ordinary start does not build them.
#[derive(Debug)]
pub struct Deferred<T>(pub T);

impl<T: clap::Args> clap::Args for Deferred<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.defer(T::augment_args)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(T::augment_args_for_update)
    }

    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }
}

impl<T: clap::FromArgMatches> clap::FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }

    fn from_arg_matches_mut(matches: &mut clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(matches).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }

    fn update_from_arg_matches_mut(
        &mut self,
        matches: &mut clap::ArgMatches,
    ) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn deferred_subcommands_keep_their_about_and_arguments() {
        for (name, about, flag) in [
            ("mcp", "Serve the API to AI agents", "--read-only"),
            ("watch", "Print new messages across the inbox", "--interval"),
            ("auth", "Manage credentials in the OS keyring", "--config"),
        ] {
            // Not built at start: an ordinary run never pays for them.
            let cli = Cli::command();
            let sub = cli.find_subcommand(name).unwrap();
            assert_eq!(sub.get_arguments().count(), 0, "{name} is built eagerly");
            let help = Cli::try_parse_from(["crisp-repl", name, "--help"])
                .unwrap_err()
                .to_string();
            assert!(help.starts_with(about), "{name} --help: {help}");
            assert!(help.contains(flag), "{name} --help: {help}");
        }
        let parsed = Cli::try_parse_from(["crisp-repl", "watch", "--interval", "5"]).unwrap();
        assert!(matches!(parsed.command, Some(Command::Watch(Deferred(_)))));
        assert!(Cli::try_parse_from(["crisp-repl", "mcp", "--bogus"]).is_err());
    }
}
