//! What Tab offers and what the grey hint says, read from the live Lua state and the registry.
//!
//! Tables are read with raw access only: completion never calls a function or an `__index`
//! metamethod, so it cannot trigger a request or an error.

use mlua::{Lua, Table, Value};

use crate::crisp::registry::{self, FunctionSpec};
use crate::lua::lexer::{self, Kind, Token};
use crate::render::markdown::KEYWORDS;

/// One offered completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Shown in the list.
    pub display: String,
    /// Inserted in place of the word being completed.
    pub replacement: String,
}

impl Candidate {
    fn same(s: String) -> Candidate {
        Candidate {
            display: s.clone(),
            replacement: s,
        }
    }
}

/// Names known outside the Lua state.
pub struct Context<'a> {
    pub commands: &'a [&'a str],
    pub doc_names: &'a [String],
    pub accounts: &'a [String],
}

/// Candidates for the word ending at `pos`, and where that word starts.
pub fn complete(lua: &Lua, line: &str, pos: usize, ctx: &Context) -> (usize, Vec<Candidate>) {
    let before = &line[..pos.min(line.len())];
    if before.trim_start().starts_with(':') {
        return complete_command(before, ctx);
    }
    if let Some(call) = call_context(before) {
        let used = call.used.clone();
        let candidates = call
            .spec
            .params
            .iter()
            .filter(|p| p.name.starts_with(call.word) && !used.contains(&p.name.to_string()))
            .map(|p| Candidate {
                display: p.name.to_string(),
                replacement: format!("{} = ", p.name),
            })
            .collect();
        return (pos - call.word.len(), candidates);
    }
    complete_path(lua, before)
}

fn complete_command(before: &str, ctx: &Context) -> (usize, Vec<Candidate>) {
    let offset = before.len() - before.trim_start().len();
    let text = &before[offset..];
    let Some((command, arg)) = text.split_once(' ') else {
        let candidates = ctx
            .commands
            .iter()
            .filter(|c| c.starts_with(text))
            .map(|c| Candidate::same(c.to_string()))
            .collect();
        return (offset, candidates);
    };
    let arg_start = before.len() - arg.len();
    let pool: Vec<String> = match command {
        ":doc" => ctx
            .doc_names
            .iter()
            .cloned()
            .chain(std::iter::once("--json".to_string()))
            .collect(),
        ":use" | ":login" => ctx.accounts.to_vec(),
        _ => Vec::new(),
    };
    let candidates = pool
        .into_iter()
        .filter(|n| n.starts_with(arg.trim_start()))
        .map(Candidate::same)
        .collect();
    (arg_start + (arg.len() - arg.trim_start().len()), candidates)
}

/// Dotted path completion: `crisp.se` -> `send_message`, `app.integrations.crisp.` -> all.
fn complete_path(lua: &Lua, before: &str) -> (usize, Vec<Candidate>) {
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':'))
        .last()
        .map_or(before.len(), |(i, _)| i);
    let expr = &before[start..];
    if expr.starts_with(|c: char| c.is_ascii_digit()) {
        return (before.len(), Vec::new());
    }
    let split = expr.rfind(['.', ':']);
    let (base, prefix) = match split {
        Some(i) => (&expr[..i], &expr[i + 1..]),
        None => ("", expr),
    };
    let word_start = before.len() - prefix.len();
    let method = split.is_some_and(|i| expr[i..].starts_with(':'));
    let mut names: Vec<String> = Vec::new();
    if base.is_empty() {
        names.extend(table_keys(&lua.globals()));
        names.extend(KEYWORDS.iter().map(|k| k.to_string()));
    } else {
        match resolve(lua, base) {
            Some(Value::Table(t)) => {
                names.extend(table_keys(&t));
                // A table whose metatable `__index` is itself a table (a class) offers its methods.
                if let Some(Ok(Value::Table(index))) =
                    t.metatable().map(|mt| mt.raw_get::<Value>("__index"))
                {
                    names.extend(table_keys(&index));
                }
            }
            Some(Value::String(_)) if method => {
                if let Ok(string_lib) = lua.globals().raw_get::<Table>("string") {
                    names.extend(table_keys(&string_lib));
                }
            }
            _ => {}
        }
    }
    names.sort();
    names.dedup();
    let candidates = names
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .map(Candidate::same)
        .collect();
    (word_start, candidates)
}

/// Follow `a.b.c` with raw gets from the globals.
fn resolve(lua: &Lua, path: &str) -> Option<Value> {
    let mut current = Value::Table(lua.globals());
    for segment in path.split(['.', ':']) {
        let Value::Table(t) = current else {
            return None;
        };
        current = t.raw_get::<Value>(segment).ok()?;
        if current.is_nil() {
            return None;
        }
    }
    Some(current)
}

fn table_keys(t: &Table) -> Vec<String> {
    t.clone()
        .pairs::<Value, Value>()
        .filter_map(Result::ok)
        .filter_map(|(k, _)| match k {
            Value::String(s) => Some(s.to_string_lossy()),
            _ => None,
        })
        .filter(|k| {
            k.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .collect()
}

/// Inside `fn{` or `fn(` of a registry function, with the cursor where a parameter name goes.
#[derive(Debug)]
pub struct CallContext<'a> {
    pub spec: &'static FunctionSpec,
    /// The partial parameter name being typed (may be empty).
    pub word: &'a str,
    /// Parameters already written in this call.
    pub used: Vec<String>,
    /// True when nothing but whitespace follows the opening bracket.
    pub empty: bool,
}

/// Find the innermost open `{` (or `(` + `{`) that belongs to a registry function.
pub fn call_context(before: &str) -> Option<CallContext<'_>> {
    let tokens: Vec<Token> = lexer::tokenize(before)
        .into_iter()
        .filter(|t| t.kind != Kind::Comment)
        .collect();
    // An unterminated string at the end means the cursor is inside a value.
    if tokens.last().is_some_and(|t| {
        t.kind == Kind::String && t.end == before.len() && !closed_string(t.text(before))
    }) {
        return None;
    }
    let mut stack: Vec<usize> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match t.text(before) {
            "{" | "(" | "[" => stack.push(i),
            "}" | ")" | "]" => {
                stack.pop();
            }
            _ => {}
        }
    }
    let open = *stack.last()?;
    let open_text = tokens[open].text(before);
    if open_text == "[" {
        return None;
    }
    // `fn{`, `fn(` or `fn({`: the name right before the bracket(s).
    let mut name_at = open.checked_sub(1)?;
    if open_text == "{" && tokens[name_at].text(before) == "(" {
        name_at = name_at.checked_sub(1)?;
    }
    let name = tokens[name_at];
    if name.kind != Kind::Name {
        return None;
    }
    let spec = registry::function(name.text(before))?;
    // The word being typed and what precedes it.
    let last = tokens.last()?;
    let typing = last.kind == Kind::Name && last.end == before.len() && tokens.len() - 1 > open;
    let word = if typing { last.text(before) } else { "" };
    let prev_index = if typing {
        tokens.len() - 2
    } else {
        tokens.len() - 1
    };
    let prev = tokens[prev_index].text(before);
    if !(prev == "{" || prev == "," || prev == "(") {
        return None;
    }
    // Keys already written at this depth: `name =` pairs after the bracket.
    let mut used = Vec::new();
    let mut depth = 0i32;
    for w in tokens[open + 1..].windows(2) {
        match w[0].text(before) {
            "{" | "(" | "[" => depth += 1,
            "}" | ")" | "]" => depth -= 1,
            _ => {}
        }
        if depth == 0 && w[0].kind == Kind::Name && w[1].text(before) == "=" {
            used.push(w[0].text(before).to_string());
        }
    }
    Some(CallContext {
        spec,
        word,
        used,
        empty: tokens.len() - 1 == open,
    })
}

fn closed_string(s: &str) -> bool {
    let Some(q) = s.chars().next() else {
        return false;
    };
    if q == '[' {
        return s.ends_with(']') && s.len() >= 4;
    }
    s.len() >= 2 && s.ends_with(q) && !s.ends_with(&format!("\\{q}"))
}

/// The grey hint at the end of the line: the parameters still to give, or the rest of the one
/// being typed. Returns (shown text, text inserted on accept).
pub fn hint(line: &str, pos: usize) -> Option<(String, Option<String>)> {
    if pos < line.len() {
        return None;
    }
    let call = call_context(line)?;
    let remaining: Vec<&crate::crisp::registry::ParamSpec> = call
        .spec
        .params
        .iter()
        .filter(|p| !call.used.contains(&p.name.to_string()))
        .collect();
    if !call.word.is_empty() {
        let matching: Vec<_> = remaining
            .iter()
            .filter(|p| p.name.starts_with(call.word))
            .collect();
        if let [only] = matching.as_slice() {
            let rest = format!("{} = ", &only.name[call.word.len()..]);
            return Some((rest.clone(), Some(rest)));
        }
        return None;
    }
    if call.spec.params.is_empty() {
        return Some(("}  -- takes no parameters".into(), None));
    }
    let names: Vec<String> = remaining.iter().map(|p| p.shown()).collect();
    if names.is_empty() {
        return None;
    }
    let sep = if call.empty { "" } else { " " };
    Some((format!("{sep}{}", names.join(", ")), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(c: &[Candidate]) -> Vec<&str> {
        c.iter().map(|c| c.display.as_str()).collect()
    }

    fn lua() -> Lua {
        let lua = Lua::new();
        lua.load(
            "crisp = setmetatable({send_message = print, list_contacts = print, support = {}}, {__index = function() error('must not run') end}) \
             app = {integrations = {crisp = crisp}} s = 'x' obj = setmetatable({}, {__index = {method = print}})",
        )
        .exec()
        .unwrap();
        lua
    }

    const CTX: Context = Context {
        commands: &[":doc", ":help", ":use"],
        doc_names: &[],
        accounts: &[],
    };

    #[test]
    fn dotted_paths() {
        let lua = lua();
        let (start, c) = complete(&lua, "x = crisp.se", 12, &CTX);
        assert_eq!((start, names(&c)), (10, vec!["send_message"]));
        let (_, c) = complete(&lua, "app.integrations.crisp.", 23, &CTX);
        assert_eq!(names(&c), ["list_contacts", "send_message", "support"]);
        let (_, c) = complete(&lua, "crisp.nothing.x", 15, &CTX);
        assert!(c.is_empty());
        let (_, c) = complete(&lua, "s:up", 4, &CTX);
        assert_eq!(names(&c), ["upper"]);
        let (_, c) = complete(&lua, "obj:me", 6, &CTX);
        assert_eq!(names(&c), ["method"]);
        let (_, c) = complete(&lua, "whi", 3, &CTX);
        assert_eq!(names(&c), ["while"]);
    }

    #[test]
    fn parameters_inside_calls() {
        let lua = lua();
        let line = "crisp.send_message{conversation_id = 'x', t";
        let (start, c) = complete(&lua, line, line.len(), &CTX);
        assert_eq!(names(&c), ["text", "type"]);
        assert_eq!(c[0].replacement, "text = ");
        assert_eq!(start, line.len() - 1);
        let line = "crisp.support.send_message({";
        let (_, c) = complete(&lua, line, line.len(), &CTX);
        assert_eq!(names(&c), ["conversation_id", "text", "type", "from"]);
        // Inside a string value: nothing.
        let line = "crisp.send_message{text = 'con";
        assert!(call_context(line).is_none());
    }

    #[test]
    fn commands() {
        let lua = lua();
        let (start, c) = complete(&lua, ":d", 2, &CTX);
        assert_eq!((start, names(&c)), (0, vec![":doc"]));
    }

    #[test]
    fn hints() {
        assert_eq!(
            hint("crisp.send_message{", 19).unwrap().0,
            "conversation_id, text, type?, from?"
        );
        let line = "crisp.send_message{conversation_id = 'x',";
        assert_eq!(hint(line, line.len()).unwrap().0, " text, type?, from?");
        let line = "crisp.send_message{conversation_id = 'x', te";
        assert_eq!(
            hint(line, line.len()).unwrap(),
            ("xt = ".into(), Some("xt = ".into()))
        );
        assert_eq!(
            hint("crisp.list_contacts(", 20).unwrap().0,
            "page?, per_page?, search_text?, sort_field?, sort_order?, search_operator?, search_filter?"
        );
        assert!(hint("print(", 6).is_none());
    }
}
