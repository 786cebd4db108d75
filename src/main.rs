#![deny(clippy::unwrap_used, clippy::expect_used)]

use std::process::ExitCode;

use clap::Parser;

use crisp_repl::app::{self, UsageError};
use crisp_repl::cli::Cli;

/// mimalloc's thread-local heaps stay fast in a process with several threads, where glibc's
/// malloc locks its arena (bench/run: alloc-heavy Lua went from 1.2x lua5.4 to par).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    crisp_repl::allocator::skip_teardown_at_exit();
    let cli = Cli::parse();
    match app::run(cli) {
        Ok(status) => ExitCode::from(status),
        Err(e) => {
            eprintln!("crisp-repl: {e:#}");
            // Usage problems are 2; anything else that stops the program before Lua runs is 1.
            ExitCode::from(if e.is::<UsageError>() { 2 } else { 1 })
        }
    }
}
