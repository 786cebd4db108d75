//! Turning values into text: tables for people, plain text for pipes, markdown for `:doc`.

pub mod markdown;
pub mod pager;
pub mod plain;
pub mod sanitize;
pub mod table;
pub mod transcript;

use std::sync::atomic::AtomicBool;

/// Set by Ctrl-C (`repl::interrupt`): a table being rendered stops at the next row and says
/// so. Cleared before each result is rendered.
pub static CANCEL: AtomicBool = AtomicBool::new(false);
