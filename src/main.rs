#![deny(clippy::unwrap_used, clippy::expect_used)]

use std::process::ExitCode;

use clap::Parser;

use crisp_repl::app::{self, UsageError};
use crisp_repl::cli::Cli;

fn main() -> ExitCode {
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
