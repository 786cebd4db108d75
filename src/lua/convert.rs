//! JSON <-> Lua. JSON null becomes nil, integers stay integers, arrays remember they are arrays
//! (so `[]` round-trips), and objects print as one readable line under `tostring` and `..`.

use std::os::raw::c_int;

use mlua::{ffi, Lua, Table, Value};
use serde_json::{Map, Number, Value as Json};

use crate::crisp::registry::RawArg;
use crate::tape::{self, Node, Tape};

const ARRAY_MT: &str = "crisp-repl.array";
const OBJECT_MT: &str = "crisp-repl.object";
/// Deeper JSON than this is cut (Crisp never nests this deep; a hostile body might).
const MAX_DEPTH: usize = 128;

/// Create the shared metatables once per Lua state.
pub fn install(lua: &Lua) -> mlua::Result<()> {
    for (name, is_array) in [(ARRAY_MT, true), (OBJECT_MT, false)] {
        let mt = lua.create_table()?;
        // Tells the renderer that this `__tostring` is ours, not the user's.
        mt.raw_set(JSON_MARK, true)?;
        mt.set(
            "__tostring",
            lua.create_function(|_, t: Table| Ok(one_line(&t)))?,
        )?;
        mt.set(
            "__concat",
            lua.create_function(|lua, (a, b): (Value, Value)| {
                let mut s = display(lua, &a)?;
                s.push_str(&display(lua, &b)?);
                Ok(s)
            })?,
        )?;
        mt.set(
            "__name",
            if is_array {
                "json array"
            } else {
                "json object"
            },
        )?;
        lua.set_named_registry_value(name, mt)?;
    }
    // Sized up front: every slot is in the array part, so storing never allocates or rehashes.
    lua.set_named_registry_value(
        STRING_CACHE,
        lua.create_table_with_capacity(CACHE_SLOTS, 0)?,
    )?;
    Ok(())
}

/// Text of a value as `..` would use it, with tables through their `__tostring`.
fn display(lua: &Lua, v: &Value) -> mlua::Result<String> {
    match v {
        Value::String(s) => Ok(s.to_string_lossy()),
        Value::Integer(i) => Ok(i.to_string()),
        Value::Number(n) => Ok(format_float(*n)),
        Value::Table(t) => Ok(one_line(t)),
        other => {
            let tostring: mlua::Function = lua.globals().get("tostring")?;
            tostring.call::<String>(other.clone())
        }
    }
}

/// Lua's own float formatting (`%.14g`, with `.0` on whole numbers).
pub fn format_float(n: f64) -> String {
    // Exactly as Lua's `tostring`: C's "%.14g", then ".0" when that reads like an integer.
    let mut buf = [0u8; 64];
    // SAFETY: the buffer is large enough for any "%.14g" of a double and snprintf
    // NUL-terminates within `buf.len()`.
    let len = unsafe { libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), c"%.14g".as_ptr(), n) };
    let len = usize::try_from(len).unwrap_or(0).min(buf.len() - 1);
    let mut text = String::from_utf8_lossy(&buf[..len]).into_owned();
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        text.push_str(".0");
    }
    text
}

const JSON_MARK: &str = "__crisp_json";

/// What `tostring` gives for a table whose user-set metatable has `__tostring` (the REPL echoes
/// values as Lua would print them); `None` for plain tables and for the ones made from JSON.
pub fn user_tostring(t: &Table) -> Option<String> {
    let mt = t.metatable()?;
    if mt.raw_get::<bool>(JSON_MARK).unwrap_or(false) {
        return None;
    }
    let f = mt.raw_get::<mlua::Function>("__tostring").ok()?;
    match f.call::<Value>(t.clone()) {
        Ok(Value::String(s)) => Some(s.to_string_lossy()),
        Ok(other) => Some(format!("<__tostring gave a {} value>", other.type_name())),
        Err(e) => Some(format!("<__tostring failed: {e}>")),
    }
}

/// A readable one-line form of a table: file contents as `[file name] url`, else `{k = v, ...}`.
pub fn one_line(t: &Table) -> String {
    let get = |k: &str| t.raw_get::<Option<String>>(k).ok().flatten();
    if let (Some(url), Some(kind)) = (get("url"), get("type")) {
        let label = get("name").unwrap_or(kind);
        return format!("[{label}] {url}");
    }
    if let Some(text) = get("text") {
        return text;
    }
    let mut out = String::new();
    write_compact(&Value::Table(t.clone()), &mut out, 0);
    if out.chars().count() > 200 {
        out = out.chars().take(199).collect::<String>() + "…";
    }
    out
}

fn write_compact(v: &Value, out: &mut String, depth: usize) {
    match v {
        Value::Table(t) if depth < 3 => {
            out.push('{');
            let len = t.raw_len();
            let mut first = true;
            for pair in t.clone().pairs::<Value, Value>() {
                let Ok((k, v)) = pair else { continue };
                if !first {
                    out.push_str(", ");
                }
                first = false;
                match &k {
                    Value::Integer(i) if *i >= 1 && (*i as usize) <= len => {}
                    Value::String(s) => {
                        out.push_str(&s.to_string_lossy());
                        out.push_str(" = ");
                    }
                    other => {
                        out.push('[');
                        write_compact(other, out, depth + 1);
                        out.push_str("] = ");
                    }
                }
                write_compact(&v, out, depth + 1);
                if out.len() > 400 {
                    break;
                }
            }
            out.push('}');
        }
        Value::Table(_) => out.push_str("{…}"),
        Value::String(s) => out.push_str(&format!("{:?}", s.to_string_lossy())),
        Value::Integer(i) => out.push_str(&i.to_string()),
        Value::Number(n) => out.push_str(&format_float(*n)),
        Value::Boolean(b) => out.push_str(&b.to_string()),
        Value::Nil => out.push_str("nil"),
        other => out.push_str(other.type_name()),
    }
}

/// JSON -> Lua, from a `serde_json::Value` (results built in Rust, tests).
pub fn to_lua(lua: &Lua, json: &Json) -> mlua::Result<Value> {
    tape_to_lua(lua, Tape::from_value(json).root())
}

/// JSON -> Lua, from a parsed answer: what every call returns through.
///
/// The whole value is built in one protected call with Lua's C API: going through mlua per
/// value (a protected call per `raw_set` under the memory limit, a registry look-up per
/// metatable) made converting cost three times more than parsing.
pub fn tape_to_lua(lua: &Lua, json: tape::Json<'_>) -> mlua::Result<Value> {
    super::seen_ids::record(json);
    let (tape, nodes) = (json.tape(), json.nodes());
    build(lua, None, |state| unsafe {
        ffi::luaL_checkstack(state, STACK_PER_CONTAINER, std::ptr::null());
        push_node(state, tape, nodes, 0, 0, &mut Strings::new());
        // Only the value is returned, not the slots below it.
        ffi::lua_replace(state, 1);
        ffi::lua_settop(state, 1);
    })
}

/// An empty Lua array (it stays `[]` in JSON output).
pub fn new_array(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set_metatable(Some(lua.named_registry_value::<Table>(ARRAY_MT)?))?;
    Ok(t)
}

/// Append the elements of the JSON array `items` to the Lua array `t`.
pub fn extend_array(lua: &Lua, t: &Table, items: tape::Json<'_>) -> mlua::Result<()> {
    super::seen_ids::record(items);
    let (tape, nodes) = (items.tape(), items.nodes());
    let Some(&Node::Array { len, .. }) = nodes.first() else {
        return Ok(());
    };
    build(lua, Some(t), |state| unsafe {
        let mut n = ffi::lua_rawlen(state, 3) as ffi::lua_Integer;
        ffi::luaL_checkstack(state, STACK_PER_CONTAINER, std::ptr::null());
        let mut strings = Strings::new();
        let mut at = 1;
        for _ in 0..len {
            at = push_node(state, tape, nodes, at, 1, &mut strings);
            n += 1;
            ffi::lua_rawseti(state, 3, n);
        }
        ffi::lua_settop(state, 0);
    })
}

/// Run `f` in one protected call with the array and object metatables in stack slots 1 and 2,
/// `target` (or nil) in slot 3 and the string cache (see `STRING_CACHE`) in slot 4.
///
/// The collector is paused meanwhile: everything built is reachable from the value under
/// construction, so a collection in the middle could only mark it, and in generational mode
/// it also ages the half-built value into the old generation, where only a major collection
/// frees it (a major collection every two list calls, a fifth of a call's CPU). Memory
/// allocated while paused still counts: the collector's next step, at the next allocation
/// after the value is returned, sees it. An emergency collection (memory limit) still runs.
fn build<R: mlua::FromLuaMulti>(
    lua: &Lua,
    target: Option<&Table>,
    f: impl FnOnce(*mut ffi::lua_State),
) -> mlua::Result<R> {
    let array_mt: Table = lua.named_registry_value(ARRAY_MT)?;
    let object_mt: Table = lua.named_registry_value(OBJECT_MT)?;
    let strings: Table = lua.named_registry_value(STRING_CACHE)?;
    // A collector the user stopped (collectgarbage "stop") stays stopped.
    let pause = lua.gc_is_running();
    if pause {
        lua.gc_stop();
    }
    // SAFETY: `push_node` keeps the stack balanced (it leaves exactly the value), checks stack
    // space before each push, and holds only borrowed slices, nothing that needs dropping, so
    // a Lua error (out of memory) unwinding through it leaks nothing.
    let built = unsafe { lua.exec_raw::<R>((array_mt, object_mt, target, strings), f) };
    // Restarted on errors too: exec_raw returns them rather than unwinding past here.
    if pause {
        lua.gc_restart();
    }
    built
}

/// The string cache: object keys and short string values as Lua strings, kept from one
/// conversion to the next in a table of `CACHE_SLOTS` slots (in the registry).
///
/// Lua hashes every short string it is given and looks it up among all the strings it holds:
/// for a list page (1,200 keys, most of them the same twenty, and values like `"unresolved"`
/// or a website id repeated on every item) that was a sixth of a call's CPU. Here a string
/// picks a slot from its length and first and last bytes (`cache_slot`); a slot holding the
/// same bytes gives its Lua string, anything else is replaced. Items that lack a field, or add
/// one, do not disturb the others (the slot does not depend on position).
///
/// The slots are read back from Lua and compared in full each time, so whatever the table
/// holds (even if Lua code reached it through the debug library and changed it) only costs a
/// miss. It holds at most `CACHE_SLOTS` strings of at most `SHORT_STRING` bytes.
const STRING_CACHE: &str = "crisp-repl.strings";
/// Slots for object keys (there are few distinct ones, so unique values never evict them).
const KEY_SLOTS: usize = 256;
/// Slots for short string values.
const VALUE_SLOTS: usize = 512;
const CACHE_SLOTS: usize = KEY_SLOTS + VALUE_SLOTS;
/// Lua interns strings up to this length (LUAI_MAXSHORTLEN); longer ones are only copied.
const SHORT_STRING: usize = 40;

/// A string's slot among `slots` (a power of two): a hash of its length, its first eight
/// and its last eight bytes (so every byte of a string up to 16 bytes long).
fn cache_slot(s: &[u8], slots: usize) -> usize {
    debug_assert!(slots.is_power_of_two());
    let n = s.len();
    let word = |b: Option<&[u8]>| b.and_then(|b| <[u8; 8]>::try_from(b).ok());
    let (head, tail) = match (
        word(s.get(..8)),
        word(n.checked_sub(8).and_then(|at| s.get(at..))),
    ) {
        (Some(head), Some(tail)) => (u64::from_le_bytes(head), u64::from_le_bytes(tail)),
        _ => (
            s.iter().fold(0u64, |w, &byte| (w << 8) | u64::from(byte)),
            0,
        ),
    };
    let h = (head ^ tail.rotate_left(31) ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 40) as usize & (slots - 1)
}

/// What one conversion knows of the string cache: `seen[slot]`, when set, holds the bytes of
/// the Lua string in that slot, found there or stored there earlier in this conversion (only
/// this conversion writes the cache while it runs: no Lua code runs meanwhile, the collector
/// is paused and an emergency collection runs no finalizers). A repeated string is then
/// checked against these bytes instead of the Lua string's. Plain borrowed slices: a Lua
/// error unwinding through here has nothing to drop.
struct Strings<'t> {
    seen: [Option<&'t [u8]>; CACHE_SLOTS],
}

impl<'t> Strings<'t> {
    fn new() -> Strings<'t> {
        Strings {
            seen: [None; CACHE_SLOTS],
        }
    }

    /// Push `s`, a short string, as a Lua string: from cache slot `slot` (0-based) when it
    /// holds the same bytes, else made and stored there. Stack slot 4 holds the cache.
    unsafe fn push(&mut self, state: *mut ffi::lua_State, s: &'t [u8], slot: usize) {
        let lua_slot = slot as ffi::lua_Integer + 1;
        let seen = self.seen.get_mut(slot);
        let hit = match seen.as_deref() {
            // The slot holds these bytes, or other ones (then it is a miss, known without
            // looking).
            Some(Some(known)) => {
                let hit = same_bytes(known, s);
                if hit {
                    ffi::lua_rawgeti(state, 4, lua_slot);
                }
                hit
            }
            // Not seen yet in this conversion: whatever an earlier one left there.
            _ => {
                let mut hit = false;
                if ffi::lua_rawgeti(state, 4, lua_slot) == ffi::LUA_TSTRING {
                    let mut len = 0;
                    let cached = ffi::lua_tolstring(state, -1, &mut len);
                    // SAFETY: a string's bytes stay put while it is on the stack; `len` is
                    // their length.
                    hit = !cached.is_null()
                        && same_bytes(std::slice::from_raw_parts(cached.cast::<u8>(), len), s);
                }
                if !hit {
                    ffi::lua_settop(state, -2);
                }
                hit
            }
        };
        if !hit {
            ffi::lua_pushlstring(state, s.as_ptr().cast(), s.len());
            ffi::lua_pushvalue(state, -1);
            ffi::lua_rawseti(state, 4, lua_slot);
        }
        if let Some(seen) = seen {
            *seen = Some(s);
        }
    }

    /// Push a string value: short ones through the cache's value slots.
    unsafe fn push_str(&mut self, state: *mut ffi::lua_State, s: &'t [u8]) {
        if s.len() <= SHORT_STRING {
            self.push(state, s, KEY_SLOTS + cache_slot(s, VALUE_SLOTS));
        } else {
            ffi::lua_pushlstring(state, s.as_ptr().cast(), s.len());
        }
    }

    /// Push an object key: short ones through the cache's key slots.
    unsafe fn push_key(&mut self, state: *mut ffi::lua_State, s: &'t [u8]) {
        if s.len() <= SHORT_STRING {
            self.push(state, s, cache_slot(s, KEY_SLOTS));
        } else {
            ffi::lua_pushlstring(state, s.as_ptr().cast(), s.len());
        }
    }
}

/// `a == b`, for the short strings of the cache: word by word, rather than through a
/// `memcmp` call (which cost more than the comparison for strings this short).
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        // Two overlapping four-byte words, or the bytes themselves.
        let word = |s: &[u8], at: usize| {
            s.get(at..at + 4)
                .and_then(|w| <[u8; 4]>::try_from(w).ok())
                .map(u32::from_le_bytes)
        };
        return if n >= 4 {
            word(a, 0) == word(b, 0) && word(a, n - 4) == word(b, n - 4)
        } else {
            a.iter().zip(b).all(|(x, y)| x == y)
        };
    }
    let word = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    // Eight bytes at a time, then the last eight (overlapping what came before).
    let mut at = 0;
    while at + 8 < n {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

/// Push the value whose node is `nodes[at]` and return the index of the node after it; stack
/// slots 1 and 2 hold the array and object metatables (see `build`), slot 4 the string cache.
///
/// Room on the stack: a leaf takes at most two slots (a string and the cache's copy) and is
/// always pushed inside a container (or by a caller) that made room for four; a container
/// makes room for its table, a key, a value and a copy before it pushes anything.
unsafe fn push_node<'t>(
    state: *mut ffi::lua_State,
    tape: &'t Tape,
    nodes: &[Node],
    at: usize,
    depth: usize,
    strings: &mut Strings<'t>,
) -> usize {
    let Some(&node) = nodes.get(at) else {
        ffi::lua_pushnil(state);
        return at + 1;
    };
    match node {
        Node::Null => ffi::lua_pushnil(state),
        Node::Bool(b) => ffi::lua_pushboolean(state, c_int::from(b)),
        Node::Int(i) => ffi::lua_pushinteger(state, i),
        Node::Float(f) => ffi::lua_pushnumber(state, f),
        Node::Str { start, len } => strings.push_str(state, tape.bytes_of(start, len)),
        Node::Array { span, .. } | Node::Object { span, .. } if depth >= MAX_DEPTH => {
            ffi::lua_pushnil(state);
            return at + 1 + span;
        }
        Node::Array { len, span } => {
            ffi::luaL_checkstack(state, STACK_PER_CONTAINER, std::ptr::null());
            ffi::lua_createtable(state, c_int::try_from(len).unwrap_or(c_int::MAX), 0);
            let mut next = at + 1;
            for i in 0..len {
                next = push_value(state, tape, nodes, next, depth + 1, strings);
                ffi::lua_rawseti(state, -2, i as ffi::lua_Integer + 1);
            }
            ffi::lua_pushvalue(state, 1);
            ffi::lua_setmetatable(state, -2);
            return at + 1 + span;
        }
        Node::Object { len, span } => {
            ffi::luaL_checkstack(state, STACK_PER_CONTAINER, std::ptr::null());
            ffi::lua_createtable(state, 0, c_int::try_from(len).unwrap_or(c_int::MAX));
            let mut next = at + 1;
            for _ in 0..len {
                let Some(&Node::Str { start, len }) = nodes.get(next) else {
                    break; // keys are always strings on a tape; never index with nil
                };
                strings.push_key(state, tape.bytes_of(start, len));
                next = push_value(state, tape, nodes, next + 1, depth + 1, strings);
                ffi::lua_rawset(state, -3);
            }
            ffi::lua_pushvalue(state, 2);
            ffi::lua_setmetatable(state, -2);
            return at + 1 + span;
        }
    }
    at + 1
}

/// `push_node` with the leaves (most values) pushed here, without a call.
#[inline(always)]
unsafe fn push_value<'t>(
    state: *mut ffi::lua_State,
    tape: &'t Tape,
    nodes: &[Node],
    at: usize,
    depth: usize,
    strings: &mut Strings<'t>,
) -> usize {
    match nodes.get(at) {
        Some(&Node::Str { start, len }) => strings.push_str(state, tape.bytes_of(start, len)),
        Some(&Node::Int(i)) => ffi::lua_pushinteger(state, i),
        Some(&Node::Bool(b)) => ffi::lua_pushboolean(state, c_int::from(b)),
        Some(&Node::Null) => ffi::lua_pushnil(state),
        Some(&Node::Float(f)) => ffi::lua_pushnumber(state, f),
        _ => return push_node(state, tape, nodes, at, depth, strings),
    }
    at + 1
}

/// Stack slots a container needs above it: its table, a key, a value and the cache's copy of
/// one of them (see `push_node`).
const STACK_PER_CONTAINER: c_int = 4;

/// True when the table came from a JSON array (so an empty one is `[]`, not `{}`).
pub fn is_json_array(lua: &Lua, t: &Table) -> bool {
    let Some(mt) = t.metatable() else {
        return false;
    };
    lua.named_registry_value::<Table>(ARRAY_MT)
        .is_ok_and(|array_mt| array_mt == mt)
}

/// JSON text for output (`--json` lines, `:json`): besides what JSON requires, DEL, C1
/// controls, bidi and zero-width characters are written as `\uXXXX`, so the text stays
/// valid JSON and can be shown on a terminal without driving it.
pub fn json_text(v: &Json, pretty: bool) -> String {
    use serde::Serialize;
    let mut out = Vec::new();
    let written = if pretty {
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            SafeFormatter(serde_json::ser::PrettyFormatter::new()),
        );
        v.serialize(&mut ser)
    } else {
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            SafeFormatter(serde_json::ser::CompactFormatter),
        );
        v.serialize(&mut ser)
    };
    // Serialising a `Value` into memory cannot fail, and the formatter writes only UTF-8.
    if written.is_err() {
        return v.to_string();
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A formatter that escapes terminal-unsafe characters in strings and delegates the rest.
struct SafeFormatter<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for SafeFormatter<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if crate::render::sanitize::is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                // Every unsafe character is in the Basic Multilingual Plane: one escape.
                write!(writer, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Lua -> JSON, for `--json`, `:json` and `doc --json`. Never fails: functions, userdata and
/// cycles become short descriptive strings.
pub fn to_json(lua: &Lua, v: &Value) -> Json {
    let mut seen = Vec::new();
    to_json_inner(lua, v, &mut seen)
}

fn to_json_inner(lua: &Lua, v: &Value, seen: &mut Vec<*const std::ffi::c_void>) -> Json {
    match v {
        // `json.null` (a NULL light userdata) is an explicit null.
        Value::Nil => Json::Null,
        Value::LightUserData(p) if p.0.is_null() => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Integer(i) => Json::from(*i),
        Value::Number(n) => {
            Number::from_f64(*n).map_or_else(|| Json::String(format_float(*n)), Json::Number)
        }
        Value::String(s) => Json::String(s.to_string_lossy()),
        Value::Table(t) => {
            let ptr = t.to_pointer();
            if seen.contains(&ptr) {
                return Json::String("<cycle>".into());
            }
            if seen.len() >= MAX_DEPTH {
                return Json::String("<too deep>".into());
            }
            seen.push(ptr);
            let len = t.raw_len();
            let pairs: Vec<(Value, Value)> = t.clone().pairs().filter_map(Result::ok).collect();
            let is_sequence = pairs.len() == len
                && (len > 0 || is_json_array(lua, t))
                && pairs.iter().all(
                    |(k, _)| matches!(k, Value::Integer(i) if *i >= 1 && (*i as usize) <= len),
                );
            let out = if is_sequence {
                let items = (1..=len)
                    .map(|i| to_json_inner(lua, &t.raw_get(i).unwrap_or(Value::Nil), seen))
                    .collect();
                Json::Array(items)
            } else {
                // Lua tables have no order and Lua seeds its string hashes per state: keys are
                // sorted, so the same table gives the same bytes in every run.
                let mut entries: Vec<(String, &Value)> = Vec::with_capacity(pairs.len());
                for (k, v) in &pairs {
                    let key = match k {
                        Value::String(s) => s.to_string_lossy(),
                        Value::Integer(i) => i.to_string(),
                        Value::Number(n) => format_float(*n),
                        Value::Boolean(b) => b.to_string(),
                        other => format!("<{}>", other.type_name()),
                    };
                    entries.push((key, v));
                }
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                let mut map = Map::new();
                for (key, v) in entries {
                    map.insert(key, to_json_inner(lua, v, seen));
                }
                Json::Object(map)
            };
            seen.pop();
            out
        }
        Value::Function(f) => {
            let info = f.info();
            match (info.short_src, info.line_defined) {
                (Some(src), Some(line)) if line > 0 => {
                    Json::String(format!("<function {src}:{line}>"))
                }
                _ => Json::String("<function>".into()),
            }
        }
        Value::Error(e) => Json::String(e.to_string()),
        other => Json::String(format!("<{}>", other.type_name())),
    }
}

/// The offset of the first byte that is not valid UTF-8.
fn invalid_utf8_at(bytes: &[u8]) -> usize {
    std::str::from_utf8(bytes)
        .err()
        .map_or(0, |e| e.valid_up_to())
}

/// Read a function's named-parameter table into raw arguments for the registry to validate.
pub fn raw_args(lua: &Lua, params: &Value) -> Result<Vec<(String, RawArg)>, String> {
    let table = match params {
        Value::Nil => return Ok(Vec::new()),
        Value::Table(t) => t,
        other => {
            return Err(format!(
                "expected a table of named parameters, got {}",
                other.type_name()
            ))
        }
    };
    let mut args = Vec::new();
    for pair in table.clone().pairs::<Value, Value>() {
        let (k, v) = pair.map_err(|e| e.to_string())?;
        let name = match k {
            Value::String(s) => s.to_string_lossy(),
            Value::Integer(_) => {
                return Err(
                    "parameters are named: write fn{name = value}, not positional values".into(),
                )
            }
            other => {
                return Err(format!(
                    "parameter names must be strings, got {}",
                    other.type_name()
                ))
            }
        };
        let raw = match v {
            Value::Integer(i) => RawArg::Int(i),
            Value::Number(n) => RawArg::Float(n),
            // Lossy decoding would let two different byte strings name the same id.
            Value::String(s) => match s.to_str() {
                Ok(text) => RawArg::Str(text.to_string()),
                Err(_) => RawArg::NotUtf8(invalid_utf8_at(&s.as_bytes())),
            },
            Value::Boolean(b) => RawArg::Bool(b),
            table @ Value::Table(_) => RawArg::Table(to_json(lua, &table)),
            other => RawArg::Other(other.type_name()),
        };
        args.push((name, raw));
    }
    // Deterministic order so the first reported problem is stable.
    args.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lua() -> Lua {
        let lua = Lua::new();
        install(&lua).unwrap();
        lua
    }

    #[test]
    fn json_round_trip_keeps_types() {
        let lua = lua();
        let doc =
            json!({"a": [1, 2.5, "x", true], "empty": [], "obj": {}, "big": 163613151617340i64});
        let v = to_lua(&lua, &doc).unwrap();
        let back = to_json(&lua, &v);
        assert_eq!(back["a"], json!([1, 2.5, "x", true]));
        assert_eq!(back["empty"], json!([]));
        assert_eq!(back["obj"], json!({}));
        assert_eq!(back["big"], json!(163613151617340i64));
        let t = v.as_table().unwrap();
        let big: Value = t.get("big").unwrap();
        assert!(matches!(big, Value::Integer(163613151617340)));
    }

    #[test]
    fn cached_keys_never_stand_for_other_keys() {
        // Items whose keys differ at the same positions and depths, deep nesting, wide objects,
        // empty keys: converted with the key cache, each must read back as it was.
        let wide: serde_json::Map<String, Json> =
            (0..70).map(|i| (format!("k{i}"), json!(i))).collect();
        let doc = json!([
            {"a": 1, "b": {"a": 2, "": 0}},
            {"b": 3, "a": 4, "c": {"b": {"a": 5}}},
            {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"b": 6}}}}}}}},
            {"": "", "ab": {"": 7}},
            {"a": "v1", "b": "w"}, {"a": "v2", "b": "w"}, {"a": "v1", "b": ["w"]},
            {"a": "a string longer than Lua's forty bytes of short strings"},
            Json::Object(wide.clone()),
            {"k0": "x", "k1": {"k0": "y"}},
            Json::Object(wide),
        ]);
        let lua = lua();
        let v = to_lua(&lua, &doc).unwrap();
        assert_eq!(to_json(&lua, &v), doc);
        let out = new_array(&lua).unwrap();
        extend_array(&lua, &out, Tape::from_value(&doc).root()).unwrap();
        extend_array(&lua, &out, Tape::from_value(&doc).root()).unwrap();
        let twice = Json::Array(
            [
                doc.as_array().unwrap().clone(),
                doc.as_array().unwrap().clone(),
            ]
            .concat(),
        );
        assert_eq!(to_json(&lua, &Value::Table(out)), twice);
    }

    #[test]
    fn the_string_cache_is_checked_in_full_and_survives_tampering() {
        let lua = lua();
        // Same length, same first and last eight bytes: the same slot, different strings.
        let a = "abcdefgh-1-12345678";
        let b = "abcdefgh-2-12345678";
        assert_eq!(
            cache_slot(a.as_bytes(), VALUE_SLOTS),
            cache_slot(b.as_bytes(), VALUE_SLOTS)
        );
        assert_eq!(
            cache_slot(a.as_bytes(), KEY_SLOTS),
            cache_slot(b.as_bytes(), KEY_SLOTS)
        );
        let doc = json!([{a: a, "x": [a, b, "", "é", "a"]}, {b: b, "x": [b, a, "a", ""]}]);
        for _ in 0..3 {
            let v = to_lua(&lua, &doc).unwrap();
            assert_eq!(to_json(&lua, &v), doc);
        }
        // Whatever Lua code puts in the cache (through debug.getregistry) is only a miss.
        let cache: Table = lua.named_registry_value(STRING_CACHE).unwrap();
        for slot in 1..=CACHE_SLOTS {
            match slot % 3 {
                0 => cache.raw_set(slot, 42).unwrap(),
                1 => cache.raw_set(slot, "abcdefgh-3-12345678").unwrap(),
                _ => cache.raw_set(slot, lua.create_table().unwrap()).unwrap(),
            }
        }
        let v = to_lua(&lua, &doc).unwrap();
        assert_eq!(to_json(&lua, &v), doc);
        // Bounded: only slots, only short strings.
        assert_eq!(cache.raw_len(), CACHE_SLOTS);
        let long = "l".repeat(SHORT_STRING + 1);
        to_lua(&lua, &json!({&long: long})).unwrap();
        for pair in cache.pairs::<i64, Value>() {
            let (slot, v) = pair.unwrap();
            assert!((1..=CACHE_SLOTS as i64).contains(&slot));
            if let Value::String(s) = v {
                assert!(s.as_bytes().len() <= SHORT_STRING);
            }
        }
    }

    #[test]
    fn same_bytes_is_equality() {
        for n in 0..=SHORT_STRING + 2 {
            let a: Vec<u8> = (0..n as u8).map(|i| b'a' + i % 26).collect();
            assert!(same_bytes(&a, &a.clone()));
            // A difference at any position, and a different length, are seen.
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same_bytes(&a, &b), "{n} {at}");
            }
            assert!(!same_bytes(&a, &a[..n.saturating_sub(1)]) || n == 0);
        }
    }

    #[test]
    fn null_is_nil() {
        let lua = lua();
        lua.globals()
            .set("m", to_lua(&lua, &json!({"last_message": null})).unwrap())
            .unwrap();
        let s: String = lua
            .load("return m.last_message or 'no messages'")
            .eval()
            .unwrap();
        assert_eq!(s, "no messages");
    }

    #[test]
    fn objects_concatenate_readably() {
        let lua = lua();
        let content = json!({"name": "invoice.pdf", "url": "https://x/invoice.pdf", "type": "application/pdf"});
        lua.globals()
            .set("c", to_lua(&lua, &content).unwrap())
            .unwrap();
        let s: String = lua.load("return 'user: ' .. c").eval().unwrap();
        assert_eq!(s, "user: [invoice.pdf] https://x/invoice.pdf");
        let s: String = lua.load("return c .. '!'").eval().unwrap();
        assert_eq!(s, "[invoice.pdf] https://x/invoice.pdf!");
        let picker = to_lua(&lua, &json!({"id": "p", "text": "Pick one", "choices": []})).unwrap();
        lua.globals().set("p", picker).unwrap();
        let s: String = lua.load("return tostring(p)").eval().unwrap();
        assert_eq!(s, "Pick one");
    }

    #[test]
    fn lua_values_that_are_not_json() {
        let lua = lua();
        let v: Value = lua
            .load("local t = {f = print, n = 0/0} t.self = t return t")
            .eval()
            .unwrap();
        let j = to_json(&lua, &v);
        assert_eq!(j["self"], json!("<cycle>"));
        assert_eq!(j["f"], json!("<function>"));
        assert!(j["n"].is_string());
    }

    #[test]
    fn deep_json_is_cut_not_crashed() {
        let lua = lua();
        let mut doc = json!(1);
        // Values built in code can nest deeper than any parser allows.
        for _ in 0..1_000 {
            doc = json!([doc]);
        }
        assert!(to_lua(&lua, &doc).is_ok());
        // simd-json reads bodies nested up to 1,024 levels: Lua gets the first 128.
        let body = "[".repeat(1_000) + "1" + &"]".repeat(1_000);
        let tape = Tape::parse(body.as_bytes()).unwrap();
        let v = tape_to_lua(&lua, tape.root()).unwrap();
        let mut depth = 0;
        let mut at = v;
        while let Value::Table(t) = at {
            depth += 1;
            at = t.raw_get(1).unwrap();
        }
        assert_eq!(depth, MAX_DEPTH);
        assert_eq!(at, Value::Nil);
    }

    #[test]
    fn out_of_memory_is_an_error_not_a_crash() {
        let lua = lua();
        let rows: Vec<_> = (0..50_000)
            .map(|i| json!({"id": i, "name": format!("name {i}")}))
            .collect();
        lua.set_memory_limit(lua.used_memory() + 256 * 1024)
            .unwrap();
        assert!(to_lua(&lua, &json!(rows)).is_err());
        // The collector, paused while building, runs again after the failed conversion.
        assert!(lua.gc_is_running());
        lua.set_memory_limit(0).unwrap();
        let v = to_lua(&lua, &json!([1, {"a": "b"}])).unwrap();
        assert_eq!(to_json(&lua, &v), json!([1, {"a": "b"}]));
    }

    #[test]
    fn a_conversion_leaves_the_collector_as_it_found_it() {
        let lua = lua();
        to_lua(&lua, &json!([{"a": "b"}])).unwrap();
        assert!(lua.gc_is_running());
        // Stopped by the user (collectgarbage "stop"): stays stopped.
        lua.gc_stop();
        to_lua(&lua, &json!([{"a": "b"}])).unwrap();
        assert!(!lua.gc_is_running());
    }

    #[test]
    fn extend_array_appends_in_order() {
        let lua = lua();
        let t = new_array(&lua).unwrap();
        assert_eq!(to_json(&lua, &Value::Table(t.clone())), json!([]));
        let first = Tape::from_value(&json!([1, {"a": null}]));
        extend_array(&lua, &t, first.root()).unwrap();
        extend_array(&lua, &t, Tape::from_value(&json!(["x"])).root()).unwrap();
        // Not an array: nothing to append.
        extend_array(&lua, &t, Tape::from_value(&json!({"k": 1})).root()).unwrap();
        assert_eq!(to_json(&lua, &Value::Table(t)), json!([1, {}, "x"]));
    }

    #[test]
    fn json_text_escapes_terminal_unsafe_characters() {
        let doc = json!({"a\u{202e}": "x\u{1b}]0;t\u{7}\u{9b}\u{200b}\u{7f}é中"});
        let text = json_text(&doc, false);
        assert_eq!(
            text,
            r#"{"a\u202e":"x\u001b]0;t\u0007\u009b\u200b\u007fé中"}"#
        );
        assert_eq!(serde_json::from_str::<Json>(&text).unwrap(), doc);
        let pretty = json_text(&doc, true);
        assert!(
            pretty.contains("\\u202e") && pretty.contains('\n'),
            "{pretty}"
        );
        assert_eq!(serde_json::from_str::<Json>(&pretty).unwrap(), doc);
    }

    #[test]
    fn raw_args_reads_named_parameters() {
        let lua = lua();
        let v: Value = lua
            .load("return {page = 2, per_page = 2.0, x = 'y'}")
            .eval()
            .unwrap();
        let args = raw_args(&lua, &v).unwrap();
        assert_eq!(args[0], ("page".to_string(), RawArg::Int(2)));
        assert_eq!(args[1], ("per_page".to_string(), RawArg::Float(2.0)));
        let v: Value = lua.load("return {'session_x'}").eval().unwrap();
        assert!(raw_args(&lua, &v).unwrap_err().contains("named"));
        assert!(raw_args(&lua, &Value::Boolean(true)).is_err());
    }
}
