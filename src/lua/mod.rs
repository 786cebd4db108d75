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

/// The value kept in the Lua registry under `key`, made by `make` the first time (what the
/// program makes once per Lua state: shared functions, the function index).
pub(crate) fn registry_value<T: mlua::FromLua + mlua::IntoLua + Clone>(
    lua: &mlua::Lua,
    key: &str,
    make: impl FnOnce() -> mlua::Result<T>,
) -> mlua::Result<T> {
    if let Ok(Some(v)) = lua.named_registry_value::<Option<T>>(key) {
        return Ok(v);
    }
    let v = make()?;
    lua.set_named_registry_value(key, v.clone())?;
    Ok(v)
}
