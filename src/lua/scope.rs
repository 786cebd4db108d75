//! Top-level `local`s that persist from one prompt input to the next, with Lua's own scoping.
//!
//! An input at the prompt (or a chunk of piped input) must mean what it would mean as the next
//! statements of one chunk made of all the inputs so far. Rewriting locals into globals cannot
//! do that (closures, shadowing, `<const>`, libraries that read `_G` all tell the difference), so
//! each local keeps its own cell:
//!
//! - After every top-level `local` statement of an input (found by a real parse, `full_moon`),
//!   a call hands a closure over the new variables to [`PromptScope`]: the closure's upvalues
//!   *are* the variables' cells. A compile-time constant (`local N <const> = 10`) has no cell;
//!   its value is kept instead.
//! - A later input is compiled inside a prefix that declares the visible earlier locals it
//!   mentions, and the compiled function's upvalues for them are joined
//!   (`lua_upvaluejoin`) to the kept cells. Reads, writes and closures then share one cell, as
//!   in a single chunk; a redeclaration makes a new cell that only later inputs see.
//!
//! The prefix shares the input's first line, so line numbers in messages do not move.

use std::cell::RefCell;
use std::ffi::CStr;
use std::rc::Rc;

use full_moon::ast::{Ast, Stmt};
use full_moon::node::Node;
use mlua::{Function, Lua, MultiValue, Value, Variadic};

/// The names the prefix gives its helpers; inputs are unlikely to use them.
const KEEP: &str = "__crisp_keep";
const CONST: &str = "__crisp_const";
const KEEP_KEY: &str = "crisp-repl.scope.keep";
const CONST_KEY: &str = "crisp-repl.scope.const";

/// Where a kept local lives.
enum Slot {
    /// Upvalue `index` (1-based) of `keeper` is the variable's cell.
    Cell { keeper: Function, index: i32 },
    /// A compile-time constant: only its value exists.
    Value(Value),
}

struct Binding {
    name: String,
    /// `<const>` or `<close>`: later inputs may not assign it either.
    read_only: bool,
    slot: Slot,
}

/// One top-level `local` statement of an input: where it ends and what it declares.
struct Declaration {
    end: usize,
    names: Vec<(String, bool)>,
}

#[derive(Default)]
struct State {
    /// In declaration order: a later binding of a name shadows an earlier one.
    bindings: Vec<Binding>,
    /// The declarations of inputs compiled so far, by the number their keep calls pass.
    declarations: Vec<Vec<(String, bool)>>,
}

/// The prompt's persistent locals, for one Lua state.
#[derive(Clone)]
pub struct PromptScope {
    state: Rc<RefCell<State>>,
}

impl PromptScope {
    /// Register the helpers the prefix calls in `lua`.
    pub fn install(lua: &Lua) -> mlua::Result<PromptScope> {
        let scope = PromptScope {
            state: Rc::default(),
        };
        let state = scope.state.clone();
        let keep = lua.create_function(move |lua, (getter, id): (Function, usize)| {
            let names = state
                .borrow()
                .declarations
                .get(id)
                .cloned()
                .unwrap_or_default();
            let upvalues = upvalue_names(lua, &getter)?;
            let mut values: Option<Vec<Value>> = None;
            for (position, (name, read_only)) in names.into_iter().enumerate() {
                let slot = match upvalues.iter().position(|u| *u == name) {
                    Some(i) => Slot::Cell {
                        keeper: getter.clone(),
                        index: i as i32 + 1,
                    },
                    None => {
                        if values.is_none() {
                            values = Some(getter.call::<MultiValue>(())?.into_iter().collect());
                        }
                        let value = values
                            .as_ref()
                            .and_then(|v| v.get(position).cloned())
                            .unwrap_or(Value::Nil);
                        Slot::Value(value)
                    }
                };
                state.borrow_mut().bindings.push(Binding {
                    name,
                    read_only,
                    slot,
                });
            }
            Ok(())
        })?;
        let state = scope.state.clone();
        let constant = lua.create_function(move |_, name: Option<String>| {
            let state = state.borrow();
            let value = state
                .bindings
                .iter()
                .rev()
                .find(|b| Some(&b.name) == name.as_ref())
                .and_then(|b| match &b.slot {
                    Slot::Value(v) => Some(v.clone()),
                    Slot::Cell { .. } => None,
                });
            Ok(value.unwrap_or(Value::Nil))
        })?;
        lua.set_named_registry_value(KEEP_KEY, keep)?;
        lua.set_named_registry_value(CONST_KEY, constant)?;
        Ok(scope)
    }

    /// Compile `src` as the next statements after the earlier inputs.
    pub fn compile(&self, lua: &Lua, src: &[u8], name: &str) -> mlua::Result<Function> {
        let declarations = top_level_locals(src);
        let mentioned = identifiers(src);
        let mut text = Vec::with_capacity(src.len() + 256);
        let joins = self.prefix(&mentioned, &mut text);
        text.extend_from_slice(b"return function(...) ");
        let mut state = self.state.borrow_mut();
        let mut at = 0;
        for d in declarations {
            text.extend_from_slice(&src[at..d.end]);
            at = d.end;
            let id = state.declarations.len();
            let names: Vec<&str> = d.names.iter().map(|(n, _)| n.as_str()).collect();
            text.extend_from_slice(
                format!(
                    " ; {KEEP}(function() return {} end, {id}) ",
                    names.join(", ")
                )
                .as_bytes(),
            );
            state.declarations.push(d.names);
        }
        drop(state);
        text.extend_from_slice(&src[at..]);
        text.extend_from_slice(b"\nend");
        let outer = lua.load(text).set_name(name).into_function()?;
        let keep: Function = lua.named_registry_value(KEEP_KEY)?;
        let constant: Function = lua.named_registry_value(CONST_KEY)?;
        let inner: Function = outer.call((keep, constant))?;
        self.join(lua, &inner, &joins)?;
        Ok(inner)
    }

    /// Write the declarations of the visible earlier locals that `mentioned` names; returns the
    /// ones whose cells must be joined.
    fn prefix(
        &self,
        mentioned: &std::collections::HashSet<String>,
        out: &mut Vec<u8>,
    ) -> Vec<(String, Function, i32)> {
        out.extend_from_slice(format!("local {KEEP}, {CONST} = ... ").as_bytes());
        let state = self.state.borrow();
        let mut seen = std::collections::HashSet::new();
        let mut joins = Vec::new();
        let mut plain = Vec::new();
        for b in state.bindings.iter().rev() {
            if !mentioned.contains(&b.name) || !seen.insert(b.name.as_str()) {
                continue;
            }
            match &b.slot {
                Slot::Value(_) => out.extend_from_slice(
                    format!("local {} <const> = {CONST}(\"{}\") ", b.name, b.name).as_bytes(),
                ),
                Slot::Cell { keeper, index } => {
                    if b.read_only {
                        // A call, not a constant: the variable is a real (read-only) local.
                        out.extend_from_slice(
                            format!("local {} <const> = {CONST}() ", b.name).as_bytes(),
                        );
                    } else {
                        plain.push(b.name.as_str());
                    }
                    joins.push((b.name.clone(), keeper.clone(), *index));
                }
            }
        }
        if !plain.is_empty() {
            out.extend_from_slice(format!("local {} ", plain.join(", ")).as_bytes());
        }
        joins
    }

    /// Point `inner`'s upvalues for earlier locals at their kept cells.
    fn join(
        &self,
        lua: &Lua,
        inner: &Function,
        joins: &[(String, Function, i32)],
    ) -> mlua::Result<()> {
        if joins.is_empty() {
            return Ok(());
        }
        let names = upvalue_names(lua, inner)?;
        let mut args = MultiValue::new();
        args.push_back(Value::Function(inner.clone()));
        let mut pairs = Vec::new();
        for (name, keeper, index) in joins {
            if let Some(i) = names.iter().position(|n| n == name) {
                args.push_back(Value::Function(keeper.clone()));
                pairs.push((i as i32 + 1, args.len() as i32, *index));
            }
        }
        // SAFETY: the stack holds `inner` at 1 and each keeper at its recorded position; both
        // are Lua functions, and every index was read from their own upvalue lists.
        unsafe {
            lua.exec_raw::<()>(args, |state| {
                for (upvalue, keeper_at, keeper_upvalue) in &pairs {
                    mlua::ffi::lua_upvaluejoin(state, 1, *upvalue, *keeper_at, *keeper_upvalue);
                }
            })
        }
    }
}

/// The names of a Lua function's upvalues, in order.
fn upvalue_names(lua: &Lua, f: &Function) -> mlua::Result<Vec<String>> {
    // SAFETY: the function is at stack index 1; lua_getupvalue pushes one value per name it
    // returns, popped at once.
    unsafe {
        lua.exec_raw::<Variadic<String>>(f.clone(), |state| {
            let mut names = Vec::new();
            let mut i = 1;
            loop {
                let name = mlua::ffi::lua_getupvalue(state, 1, i);
                if name.is_null() {
                    break;
                }
                mlua::ffi::lua_pop(state, 1);
                names.push(CStr::from_ptr(name).to_string_lossy().into_owned());
                i += 1;
            }
            mlua::ffi::lua_settop(state, 0);
            for n in &names {
                mlua::ffi::lua_pushlstring(state, n.as_ptr().cast(), n.len());
            }
        })
        .map(|v| v.to_vec())
    }
}

/// Text full_moon can parse with the same byte offsets: bytes that are not UTF-8 (legal in Lua
/// strings and comments only) become `?`.
fn analysable(src: &[u8]) -> String {
    let mut out = String::with_capacity(src.len());
    for chunk in src.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(std::iter::repeat_n('?', chunk.invalid().len()));
    }
    out
}

/// The top-level `local` statements of `src`; none when it does not parse.
fn top_level_locals(src: &[u8]) -> Vec<Declaration> {
    let text = analysable(src);
    let Ok(ast) = full_moon::parse_fallible(&text, full_moon::LuaVersion::lua54()).into_result()
    else {
        return Vec::new();
    };
    declarations(&ast)
}

fn declarations(ast: &Ast) -> Vec<Declaration> {
    let mut out = Vec::new();
    for (stmt, semicolon) in ast.nodes().stmts_with_semicolon() {
        let names: Vec<(String, bool)> = match stmt {
            Stmt::LocalAssignment(local) => local
                .names()
                .iter()
                .zip(local.attributes())
                .map(|(name, attribute)| (name.token().to_string(), attribute.is_some()))
                .collect(),
            Stmt::LocalFunction(function) => vec![(function.name().token().to_string(), false)],
            _ => continue,
        };
        let end = semicolon
            .as_ref()
            .and_then(|s| s.end_position())
            .or_else(|| stmt.end_position());
        if let Some(end) = end {
            out.push(Declaration {
                end: end.bytes(),
                names,
            });
        }
    }
    out
}

/// Every identifier-shaped word in `src` (strings and comments included: declaring an unused
/// local is harmless, missing a used one is not).
fn identifiers(src: &[u8]) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < src.len() && (src[i].is_ascii_alphanumeric() || src[i] == b'_') {
                i += 1;
            }
            out.insert(String::from_utf8_lossy(&src[start..i]).into_owned());
        } else if c.is_ascii_digit() {
            while i < src.len() && (src[i].is_ascii_alphanumeric() || src[i] == b'_') {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run `inputs` one by one as prompt inputs; returns what each printed (via `out`).
    fn run(inputs: &[&str]) -> Vec<String> {
        let lua = Lua::new();
        let scope = PromptScope::install(&lua).unwrap();
        lua.load("OUT = {} function out(...) local t = table.pack(...) for i = 1, t.n do t[i] = tostring(t[i]) end OUT[#OUT + 1] = table.concat(t, ' ') end")
            .exec()
            .unwrap();
        for input in inputs {
            match scope.compile(&lua, input.as_bytes(), "=input") {
                Ok(f) => {
                    if let Err(e) = f.call::<()>(()) {
                        lua.load(format!("out({:?})", format!("error: {e}")))
                            .exec()
                            .unwrap();
                    }
                }
                Err(e) => lua
                    .load(format!("out({:?})", format!("compile: {e}")))
                    .exec()
                    .unwrap(),
            }
        }
        lua.load("return OUT").eval::<Vec<String>>().unwrap()
    }

    #[test]
    fn locals_persist_without_becoming_globals() {
        let out = run(&[
            "local x = 1",
            "out(x, rawget(_G, 'x'))",
            "x = x + 1",
            "out(x)",
            "local x",
            "out(x)",
            "local string = 'abc'",
            "out(string, type(_G.string))",
        ]);
        assert_eq!(out, ["1 nil", "2", "nil", "abc table"]);
    }

    #[test]
    fn closures_capture_the_cell_of_their_time() {
        let out = run(&[
            "local x = 1; function g() return x end",
            "local x = 2",
            "out(g(), x)",
            "local n = 0; function inc() n = n + 1 end",
            "inc() inc() out(n)",
            "n = 10 inc() out(n)",
        ]);
        assert_eq!(out, ["1 2", "2", "11"]);
    }

    #[test]
    fn a_local_function_value_recurses_into_the_global() {
        let out = run(&[
            "function fact(n) return 'global' end",
            "local fact = function(n) if n == 0 then return 1 end return fact(n - 1) end",
            "out(fact(3))",
            "local function f(n) if n == 0 then return 0 end return f(n - 1) end",
            "out(f(3))",
        ]);
        assert_eq!(out, ["global", "0"]);
    }

    #[test]
    fn const_holds_and_close_runs_at_the_end_of_its_input() {
        let out = run(&[
            "local N <const> = 10",
            "out(N * 2)",
            "N = 3",
            "local t <const> = {1}",
            "out(#t)",
            "t = {}",
            "local c <close> = setmetatable({}, {__close = function() out('closed') end}) out('body')",
            "out('next')",
        ]);
        assert_eq!(out[0], "20");
        assert!(
            out[1].contains("attempt to assign to const variable 'N'"),
            "{out:?}"
        );
        assert_eq!(out[2], "1");
        assert!(
            out[3].contains("attempt to assign to const variable 't'"),
            "{out:?}"
        );
        assert_eq!(&out[4..], ["body", "closed", "next"]);
    }

    #[test]
    fn line_numbers_and_bytes_are_kept() {
        let out = run(&[
            "local y = 5",
            "out(y)\nerror('boom')",
            "local s = '\u{e9}' local b = 'a\\xffb' out(#s, #b)",
            "out(s, y)",
        ]);
        assert_eq!(out[0], "5");
        assert!(out[1].contains("input:2: boom"), "{out:?}");
        assert_eq!(out[2], "2 3");
        assert_eq!(out[3], "\u{e9} 5");
    }

    #[test]
    fn non_utf8_source_still_finds_its_locals() {
        let lua = Lua::new();
        let scope = PromptScope::install(&lua).unwrap();
        scope
            .compile(&lua, b"local s = '\xff\xfe' local n = #s", "=input")
            .unwrap()
            .call::<()>(())
            .unwrap();
        let f = scope.compile(&lua, b"return n, s", "=input").unwrap();
        let (n, s): (i64, mlua::String) = f.call(()).unwrap();
        assert_eq!(n, 2);
        assert_eq!(s.as_bytes().as_ref(), b"\xff\xfe");
    }
}
