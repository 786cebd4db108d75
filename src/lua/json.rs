//! The global `json` table: `json.encode(value [, {pretty = true}])`, `json.decode(text)` and
//! `json.null`. Values convert as API results do (`convert`): JSON null decodes to nil,
//! integers stay integers and floats floats (`1.0` stays `1.0`), arrays decoded from JSON stay
//! arrays when emptied, object keys come out sorted. `json.null` encodes an explicit null.

use mlua::{LightUserData, Lua, Table, Value};
use serde_json::{Map, Number, Value as Json};

use super::{convert, plain};

/// Deeper than this is refused (as for API answers).
const MAX_DEPTH: usize = 128;

/// `json.null`: the light userdata NULL, as lua-cjson's `cjson.null`.
pub fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// Install the global `json` table.
pub fn install(lua: &Lua) -> mlua::Result<()> {
    let json = lua.create_table()?;
    json.raw_set(
        "encode",
        plain::function(lua, |lua, (v, options): (Value, Value)| {
            let pretty = match options {
                Value::Nil => false,
                Value::Table(t) => pretty_option(&t)?,
                other => {
                    return Err(format!(
                        "json.encode: options must be a table such as {{pretty = true}}, got a {} value",
                        plain::type_name(&other)
                    ))
                }
            };
            let value = encode_value(lua, &v)?;
            Ok(convert::json_text(&value, pretty))
        })?,
    )?;
    json.raw_set(
        "decode",
        plain::function(lua, |lua, text: Value| {
            let value = match &text {
                Value::String(s) => decode_bytes(&s.as_bytes())?,
                // As Lua's string functions take them.
                Value::Integer(_) | Value::Number(_) => {
                    decode_bytes(text.to_string().unwrap_or_default().as_bytes())?
                }
                other => {
                    return Err(format!(
                        "json.decode: expects a string of JSON text, got a {} value",
                        plain::type_name(other)
                    ))
                }
            };
            convert::to_lua(lua, &value).map_err(|e| e.to_string())
        })?,
    )?;
    json.raw_set("null", null())?;
    lua.globals().raw_set("json", json)
}

fn pretty_option(t: &Table) -> Result<bool, String> {
    let mut pretty = false;
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, v) = pair.map_err(|e| e.to_string())?;
        match (k.to_string().ok().as_deref(), v) {
            (Some("pretty"), Value::Boolean(b)) => pretty = b,
            (Some("pretty"), Value::Nil) => {}
            (Some("pretty"), other) => {
                return Err(format!(
                    "json.encode: option 'pretty' must be true or false, got a {} value",
                    plain::type_name(&other)
                ))
            }
            (name, _) => {
                return Err(format!(
                    "json.encode: unknown option '{}'; the only option is pretty = true",
                    name.unwrap_or("?")
                ))
            }
        }
    }
    Ok(pretty)
}

/// JSON text -> JSON value; errors say where (line and column) and what was wrong.
pub fn decode_bytes(text: &[u8]) -> Result<Json, String> {
    serde_json::from_slice::<Json>(text).map_err(|e| format!("json.decode: {e}"))
}

/// A Lua value as JSON, refusing what JSON cannot hold (functions, cycles, NaN, bad UTF-8).
pub fn encode_value(lua: &Lua, v: &Value) -> Result<Json, String> {
    let mut seen = Vec::new();
    encode_inner(lua, v, &mut seen, &mut String::new())
}

fn where_(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at {path}")
    }
}

fn encode_inner(
    lua: &Lua,
    v: &Value,
    seen: &mut Vec<*const std::ffi::c_void>,
    path: &mut String,
) -> Result<Json, String> {
    Ok(match v {
        Value::Nil => Json::Null,
        Value::LightUserData(p) if p.0.is_null() => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Integer(i) => Json::from(*i),
        Value::Number(n) => Json::Number(Number::from_f64(*n).ok_or_else(|| {
            format!(
                "json.encode: {} has no JSON form{}",
                convert::format_float(*n),
                where_(path)
            )
        })?),
        Value::String(s) => {
            let bytes = s.as_bytes();
            match std::str::from_utf8(&bytes) {
                Ok(text) => Json::String(text.to_string()),
                Err(e) => {
                    return Err(format!(
                        "json.encode: string{} is not valid UTF-8 (byte {})",
                        where_(path),
                        e.valid_up_to() + 1
                    ))
                }
            }
        }
        Value::Table(t) => {
            let ptr = t.to_pointer();
            if seen.contains(&ptr) {
                return Err(format!(
                    "json.encode: the table{} contains itself",
                    where_(path)
                ));
            }
            if seen.len() >= MAX_DEPTH {
                return Err(format!(
                    "json.encode: nested deeper than {MAX_DEPTH} levels{}",
                    where_(path)
                ));
            }
            seen.push(ptr);
            let out = encode_table(lua, t, seen, path);
            seen.pop();
            out?
        }
        other => {
            return Err(format!(
                "json.encode: a {} value{} has no JSON form",
                plain::type_name(other),
                where_(path)
            ))
        }
    })
}

fn encode_table(
    lua: &Lua,
    t: &Table,
    seen: &mut Vec<*const std::ffi::c_void>,
    path: &mut String,
) -> Result<Json, String> {
    let pairs: Vec<(Value, Value)> = t
        .clone()
        .pairs()
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let len = t.raw_len();
    let is_sequence = pairs.len() == len
        && (len > 0 || convert::is_json_array(lua, t))
        && pairs
            .iter()
            .all(|(k, _)| matches!(k, Value::Integer(i) if *i >= 1 && (*i as usize) <= len));
    let base = path.len();
    if is_sequence {
        let mut items = Vec::with_capacity(len);
        for i in 1..=len {
            path.push_str(&format!("[{i}]"));
            let v: Value = t.raw_get(i).map_err(|e| e.to_string())?;
            items.push(encode_inner(lua, &v, seen, path)?);
            path.truncate(base);
        }
        return Ok(Json::Array(items));
    }
    let mut entries: Vec<(String, Value)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        let key = match &k {
            Value::String(s) => s
                .to_str()
                .map_err(|_| format!("json.encode: a key{} is not valid UTF-8", where_(path)))?
                .to_string(),
            Value::Integer(i) => i.to_string(),
            Value::Number(n) => convert::format_float(*n),
            other => {
                return Err(format!(
                    "json.encode: a {} key{} cannot be an object key (keys are strings or numbers)",
                    plain::type_name(other),
                    where_(path)
                ))
            }
        };
        entries.push((key, v));
    }
    // Lua tables have no order: sorted keys give the same text every run (as `--json`).
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut map = Map::new();
    for (key, v) in entries {
        path.push('.');
        path.push_str(&key);
        let value = encode_inner(lua, &v, seen, path)?;
        path.truncate(base);
        map.insert(key, value);
    }
    Ok(Json::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lua() -> Lua {
        let lua = Lua::new();
        convert::install(&lua).unwrap();
        install(&lua).unwrap();
        lua
    }

    fn eval(lua: &Lua, code: &str) -> mlua::Result<String> {
        lua.load(code).eval::<String>()
    }

    #[test]
    fn round_trips_keep_types_and_shapes() {
        let lua = lua();
        let text = r#"{"a":[],"b":{},"f":1.5,"g":1.0,"i":9007199254740993,"n":null,"s":"é\n","t":[1,"x",true]}"#;
        let back = eval(&lua, &format!("return json.encode(json.decode({text:?}))")).unwrap();
        // null decodes to nil, so the key is gone; everything else is kept as it was.
        assert_eq!(
            back,
            r#"{"a":[],"b":{},"f":1.5,"g":1.0,"i":9007199254740993,"s":"é\n","t":[1,"x",true]}"#
        );
        assert_eq!(
            eval(
                &lua,
                "return math.type(json.decode('[3]')[1]) .. math.type(json.decode('[3.0]')[1])"
            )
            .unwrap(),
            "integerfloat"
        );
        assert_eq!(
            eval(&lua, "return json.encode({x = json.null})").unwrap(),
            r#"{"x":null}"#
        );
        assert_eq!(eval(&lua, "return json.encode({})").unwrap(), "{}");
        assert_eq!(
            eval(
                &lua,
                "local a = json.decode('[1]') a[1] = nil return json.encode(a)"
            )
            .unwrap(),
            "[]"
        );
        assert_eq!(
            eval(&lua, "return json.encode({1, 2}, {pretty = true})").unwrap(),
            "[\n  1,\n  2\n]"
        );
    }

    #[test]
    fn errors_say_what_and_where() {
        let lua = lua();
        let e = eval(&lua, "return json.decode('{\\n  \"a\": tru }')")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2 column"), "{e}");
        let e = eval(&lua, "local t = {} t.me = t return json.encode(t)")
            .unwrap_err()
            .to_string();
        assert!(e.contains("contains itself") && e.contains(".me"), "{e}");
        let e = eval(&lua, "return json.encode({f = print})")
            .unwrap_err()
            .to_string();
        assert!(e.contains("function value at .f"), "{e}");
        let e = eval(&lua, "return json.encode(0/0)")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no JSON form"), "{e}");
        let e = eval(&lua, "return json.encode('\\xff')")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not valid UTF-8"), "{e}");
        let e = eval(&lua, "return json.encode(1, {indent = 2})")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown option 'indent'"), "{e}");
    }
}
