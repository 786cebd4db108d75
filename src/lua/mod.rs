//! The Lua side: the persistent state, the `app.integrations.crisp` namespace, JSON <-> Lua.

pub mod chunks;
pub mod convert;
pub mod json;
pub mod lexer;
pub mod namespace;
pub mod plain;
pub mod scope;
pub mod seen_ids;
pub mod session;
