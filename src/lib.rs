//! crisp-repl: a Lua 5.4 REPL whose `app.integrations.crisp` talks to the Crisp REST API.
//!
//! Data flows one way: input -> `lua::session` -> `lua::namespace` -> `crisp::registry`
//! (validation) -> `crisp::api` -> `crisp::client` (HTTP; answers parsed into a `tape`) -> back
//! as Lua values (`lua::convert`) -> `output`.

// Outside data (network, files, user input) must never reach an unwrap: errors say what to do.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod accounts;
pub mod allocator;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod crisp;
pub mod demo;
pub mod docs;
pub mod export;
pub mod lua;
pub mod mcp;
pub mod output;
pub mod private_fs;
pub mod render;
pub mod repl;
pub mod tape;
pub mod view;
pub mod watch_cmd;
