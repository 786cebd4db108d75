//! Rust functions that fail in Lua as a C function does: with a plain string message.
//!
//! mlua raises a Rust error as a userdata whose text adds "runtime error: " and a traceback,
//! so `pcall` would hand scripts a value no Lua library gives them (`json.decode` failing
//! must give what `cjson.decode` gives: a string).

use mlua::{FromLuaMulti, Function, IntoLuaMulti, Lua, MultiValue, Value};

use super::chunks;

const WRAP: &str = "crisp-repl.plain";

/// `f` as a Lua function; its `Err(message)` is raised as the string `message`.
pub fn function<A, R, F>(lua: &Lua, f: F) -> mlua::Result<Function>
where
    A: FromLuaMulti,
    R: IntoLuaMulti,
    F: Fn(&Lua, A) -> Result<R, String> + 'static,
{
    let raw = lua.create_function(move |lua, args: MultiValue| -> mlua::Result<MultiValue> {
        let outcome = A::from_lua_multi(args, lua)
            .map_err(|e| e.to_string())
            .and_then(|args| f(lua, args));
        let mut out = match outcome {
            Ok(results) => results.into_lua_multi(lua)?,
            Err(message) => {
                let message = Value::String(lua.create_string(message)?);
                return Ok(MultiValue::from_iter([Value::Boolean(false), message]));
            }
        };
        out.push_front(Value::Boolean(true));
        Ok(out)
    })?;
    wrap(lua, raw)
}

/// What Lua's `type` says of `v` (mlua's own names tell integers and light userdata apart).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Integer(_) | Value::Number(_) => "number",
        Value::LightUserData(_) | Value::UserData(_) | Value::Error(_) => "userdata",
        other => other.type_name(),
    }
}

/// `raw` (returning `true, results...` or `false, error`) as a function that returns the
/// results or raises the error value as it is: a string here, an error table for the `crisp`
/// functions, so `pcall` hands either over intact.
pub fn wrap(lua: &Lua, raw: Function) -> mlua::Result<Function> {
    let wrapper: Function = super::registry_value(lua, WRAP, || chunks::PLAIN.load(lua)?.call(()))?;
    wrapper.call(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_plain_strings_and_results_pass_through() {
        let lua = Lua::new();
        let f = function(&lua, |_, (a, b): (i64, Option<i64>)| match b {
            Some(b) => Ok((a, b)),
            None if a < 0 => Err(format!("negative: {a}")),
            None => Ok((a, 0)),
        })
        .unwrap();
        lua.globals().set("f", f).unwrap();
        let (kind, msg): (String, String) = lua
            .load("local ok, e = pcall(f, -1) return type(e), e")
            .eval()
            .unwrap();
        assert_eq!((kind.as_str(), msg.as_str()), ("string", "negative: -1"));
        let (x, y, n): (i64, i64, i64) = lua
            .load("local x, y = f(2, 3) return x, y, select('#', f(2, 3))")
            .eval()
            .unwrap();
        assert_eq!((x, y, n), (2, 3, 2));
        // Nothing returned is nothing, not nil.
        let none = function(&lua, |_, ()| Ok(())).unwrap();
        lua.globals().set("none", none).unwrap();
        let n: i64 = lua.load("return select('#', none())").eval().unwrap();
        assert_eq!(n, 0);
        // An argument that does not convert is a string error too.
        let kind: String = lua
            .load("local ok, e = pcall(f, 'x') return type(e)")
            .eval()
            .unwrap();
        assert_eq!(kind, "string");
    }
}
