//! What Tab offers and what the grey hint says, read from the live Lua state and the registry.
//!
//! Tables are read with raw access only: completion never calls a function or an `__index`
//! metamethod, so it cannot trigger a request or an error.

use mlua::{Lua, Table, Value};

use crate::crisp::registry::{self, FunctionSpec, ParamSpec, ParamType};
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
    if let Some(value) = value_context(before) {
        let after = &line[before.len()..];
        let candidates = value_candidates(&value, after);
        // Without a quote the value may be a variable: then names complete as anywhere.
        if !candidates.is_empty() || value.quote.is_some() {
            return (pos - value.partial.len(), candidates);
        }
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

/// Inside a registry call, right after `name =` (and maybe a quote): the value being typed.
#[derive(Debug)]
pub struct ValueContext<'a> {
    pub param: &'static ParamSpec,
    /// The quote opened before the value, if any.
    pub quote: Option<char>,
    /// What is typed of the value so far (after the quote).
    pub partial: &'a str,
}

/// `crisp.send_message{type = "n` -> the `type` parameter of `send_message`, partial `n`.
pub fn value_context(before: &str) -> Option<ValueContext<'_>> {
    let tokens: Vec<Token> = lexer::tokenize(before)
        .into_iter()
        .filter(|t| t.kind != Kind::Comment)
        .collect();
    let last = tokens.last()?;
    let at_end = last.end == before.len();
    let (quote, partial, eq_at) = match last.kind {
        Kind::String if at_end && !closed_string(last.text(before)) => {
            let text = last.text(before);
            let quote = text.chars().next().filter(|q| *q == '"' || *q == '\'')?;
            (Some(quote), &text[1..], tokens.len().checked_sub(2)?)
        }
        Kind::Name if at_end => (None, last.text(before), tokens.len().checked_sub(2)?),
        Kind::Symbol if last.text(before) == "=" => (None, "", tokens.len() - 1),
        _ => return None,
    };
    if tokens[eq_at].text(before) != "=" {
        return None;
    }
    let name = tokens.get(eq_at.checked_sub(1)?)?;
    if name.kind != Kind::Name {
        return None;
    }
    // The call as it stood before the parameter's name was typed.
    let call = call_context(&before[..name.start])?;
    if !call.word.is_empty() {
        return None;
    }
    let param = call.spec.param(name.text(before))?;
    Some(ValueContext {
        param,
        quote,
        partial,
    })
}

/// Where ids for a parameter come from in results: `conversation_id` takes the `session_id`
/// Crisp returns and `contact_id` a `people_id`; any other `x_id` takes `x_id`.
fn id_key(param: &str) -> Option<&str> {
    match param {
        "conversation_id" => Some("session_id"),
        "contact_id" => Some("people_id"),
        other if other.ends_with("_id") => Some(other),
        _ => None,
    }
}

/// The values Tab offers for a parameter: an enum's values, `true`/`false`, ids seen in
/// results. `after` is the text after the cursor (a closing quote there is not doubled).
pub fn value_candidates(value: &ValueContext, after: &str) -> Vec<Candidate> {
    let pool: Vec<String> = match value.param.ty {
        ParamType::Enum { values } => values.iter().map(|v| v.to_string()).collect(),
        ParamType::Boolean if value.quote.is_none() => vec!["true".into(), "false".into()],
        ParamType::Boolean => Vec::new(),
        ParamType::String { .. } | ParamType::IdOrFalse => id_key(value.param.name)
            .map(crate::lua::seen_ids::ids)
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let literal = !matches!(value.param.ty, ParamType::Boolean);
    pool.into_iter()
        .filter(|v| v.starts_with(value.partial))
        .map(|v| {
            let replacement = match value.quote {
                Some(q) if after.starts_with(q) => v.clone(),
                Some(q) => format!("{v}{q}"),
                None if literal => format!("\"{v}\""),
                None => v.clone(),
            };
            Candidate {
                display: v,
                replacement,
            }
        })
        .collect()
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

/// Path completion through fields, methods and indexes: `crisp.se` -> `send_message`,
/// `app.integrations.crisp.` -> all, `r.data[1].me` -> `meta`, `s:up` -> `upper`.
fn complete_path(lua: &Lua, before: &str) -> (usize, Vec<Candidate>) {
    let Some(path) = path_before(before) else {
        return (before.len(), Vec::new());
    };
    let word_start = before.len() - path.prefix.len();
    let mut names: Vec<String> = Vec::new();
    match &path.base {
        None => {
            names.extend(table_keys(&lua.globals()));
            names.extend(KEYWORDS.iter().map(|k| k.to_string()));
        }
        Some(keys) => match resolve(lua, keys) {
            Some(Value::Table(t)) => {
                names.extend(table_keys(&t));
                // A table whose metatable `__index` is itself a table (a class) offers its methods.
                if let Some(Ok(Value::Table(index))) =
                    t.metatable().map(|mt| mt.raw_get::<Value>("__index"))
                {
                    names.extend(table_keys(&index));
                }
            }
            Some(Value::String(_)) if path.method => {
                if let Ok(string_lib) = lua.globals().raw_get::<Table>("string") {
                    names.extend(table_keys(&string_lib));
                }
            }
            _ => {}
        },
    }
    names.sort();
    names.dedup();
    let candidates = names
        .into_iter()
        .filter(|n| n.starts_with(path.prefix))
        .map(Candidate::same)
        .collect();
    (word_start, candidates)
}

/// One step of a path: `.name` or `[1]` / `["name"]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Name(String),
    Index(i64),
}

/// The path the cursor completes: the keys leading to the table (`None`: the globals) and the
/// partial name being typed.
#[derive(Debug, PartialEq)]
pub struct PathBefore<'a> {
    pub base: Option<Vec<Key>>,
    pub prefix: &'a str,
    /// `obj:me`: a method call, so a string offers the string library.
    pub method: bool,
}

/// Read the path ending at the end of `before`, backwards through its tokens. `None` when the
/// cursor is not on a path that can be read without running code (`f().x`, a number, a string).
pub fn path_before(before: &str) -> Option<PathBefore<'_>> {
    let tokens: Vec<Token> = lexer::tokenize(before)
        .into_iter()
        .filter(|t| t.kind != Kind::Comment)
        .collect();
    let text = |t: &Token| t.text(before);
    let mut end = tokens.len();
    let prefix = match tokens.last() {
        Some(t) if t.end == before.len() && t.kind == Kind::Name => {
            end -= 1;
            text(t)
        }
        // A number or string being typed, or a comment up to the cursor: nothing to offer.
        Some(t) if t.end == before.len() && t.kind != Kind::Symbol => return None,
        _ => "",
    };
    let sep = end.checked_sub(1).map(|i| text(&tokens[i]));
    if !matches!(sep, Some("." | ":")) {
        // A bare name (or nothing: every global), unless it follows something that makes it
        // a field or a method of a value we cannot read.
        if !prefix.is_empty() && matches!(sep, Some("]" | ")" | "::")) {
            return None;
        }
        return Some(PathBefore {
            base: None,
            prefix,
            method: false,
        });
    }
    let method = sep == Some(":");
    let mut j = end - 1; // the separator
    let mut keys = Vec::new();
    loop {
        // The segment ending right before token `j`.
        let last = j.checked_sub(1)?;
        let t = &tokens[last];
        if t.kind == Kind::Name && !crate::render::markdown::is_keyword(text(t)) {
            keys.push(Key::Name(text(t).to_string()));
            j = last;
            match j.checked_sub(1).map(|i| text(&tokens[i])) {
                Some(".") => j -= 1,
                Some(":" | "]" | ")") => return None,
                _ => break,
            }
        } else if text(t) == "]" {
            let open = last.checked_sub(2)?;
            if text(&tokens[open]) != "[" {
                return None;
            }
            keys.push(literal_key(text(&tokens[last - 1]))?);
            // What is indexed ends right before the `[`.
            j = open;
        } else {
            return None;
        }
    }
    // The first segment must be a name (a global).
    if !matches!(keys.last(), Some(Key::Name(_))) {
        return None;
    }
    keys.reverse();
    Some(PathBefore {
        base: Some(keys),
        prefix,
        method,
    })
}

/// `1` or `"name"` inside brackets; anything that needs evaluating gives `None`.
fn literal_key(text: &str) -> Option<Key> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(Key::Index(i));
    }
    let quote = text.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let inner = text.strip_prefix(quote)?.strip_suffix(quote)?;
    (!inner.contains(['\\', quote])).then(|| Key::Name(inner.to_string()))
}

/// Follow the keys with raw gets from the globals (no metamethod ever runs).
fn resolve(lua: &Lua, keys: &[Key]) -> Option<Value> {
    let mut current = Value::Table(lua.globals());
    for key in keys {
        let Value::Table(t) = current else {
            return None;
        };
        current = match key {
            Key::Name(name) => t.raw_get::<Value>(name.as_str()).ok()?,
            Key::Index(i) => t.raw_get::<Value>(*i).ok()?,
        };
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
/// The most parameter names a signature hint shows.
const HINT_NAMES: usize = 6;

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
    // Required ones first; a long list (list_conversations has 18) is cut so the hint stays
    // on one line, and Tab lists them all.
    let mut names: Vec<String> = remaining
        .iter()
        .filter(|p| p.required)
        .chain(remaining.iter().filter(|p| !p.required))
        .map(|p| p.shown())
        .collect();
    if names.is_empty() {
        return None;
    }
    if names.len() > HINT_NAMES {
        let more = names.len() - (HINT_NAMES - 1);
        names.truncate(HINT_NAMES - 1);
        names.push(format!("... {more} more (Tab)"));
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
            "page?, per_page?, search_text?, sort_field?, sort_order?, ... 2 more (Tab)"
        );
        // Required parameters come first, however the registry orders them.
        let line = "crisp.request{";
        assert_eq!(
            hint(line, line.len()).unwrap().0,
            "method, path, query?, body?"
        );
        let line = "crisp.list_conversations{search_query = 'refund', ";
        let shown = hint(line, line.len()).unwrap().0;
        assert!(shown.ends_with("... 13 more (Tab)"), "{shown}");
        assert!(!shown.contains("search_query"), "{shown}");
        assert!(hint("print(", 6).is_none());
    }

    fn replacements(c: &[Candidate]) -> Vec<&str> {
        c.iter().map(|c| c.replacement.as_str()).collect()
    }

    #[test]
    fn enum_values_complete_inside_calls() {
        let lua = lua();
        let line = "crisp.send_message{conversation_id = 'x', type = \"";
        let (start, c) = complete(&lua, line, line.len(), &CTX);
        assert_eq!(start, line.len());
        assert_eq!(names(&c), ["text", "note", "file"]);
        assert_eq!(c[1].replacement, "note\"");
        // A partial value, the other quote, and a closing quote already there.
        let line = "crisp.send_message{type = 'n";
        let (start, c) = complete(&lua, line, line.len(), &CTX);
        assert_eq!((start, replacements(&c)), (line.len() - 1, vec!["note'"]));
        let line = "crisp.send_message{type = 'n'}";
        let (_, c) = complete(&lua, line, line.len() - 2, &CTX);
        assert_eq!(replacements(&c), ["note"]);
        // No quote yet: the value comes quoted.
        let line = "crisp.support.send_message({from = ";
        let (_, c) = complete(&lua, line, line.len(), &CTX);
        assert_eq!(replacements(&c), ["\"operator\"", "\"user\""]);
        // Not a registry call, or a parameter without fixed values: nothing from the registry.
        assert!(value_context("print{type = '").is_none());
        let line = "crisp.send_message{text = 'n";
        assert!(complete(&lua, line, line.len(), &CTX).1.is_empty());
        // A variable as a value still completes as a name.
        let line = "crisp.send_message{text = whi";
        assert_eq!(names(&complete(&lua, line, line.len(), &CTX).1), ["while"]);
    }

    #[test]
    fn ids_seen_in_results_complete() {
        crate::lua::seen_ids::enable();
        let value = serde_json::json!({"data": [{"session_id": "session_seen1"}, {"session_id": "session_seen2"}]});
        let tape = crate::tape::Tape::from_value(&value);
        crate::lua::seen_ids::record(tape.root());
        let lua = lua();
        let line = "crisp.get_conversation{conversation_id = \"session_seen";
        let (_, c) = complete(&lua, line, line.len(), &CTX);
        assert_eq!(replacements(&c), ["session_seen2\"", "session_seen1\""]);
    }

    #[test]
    fn indexing_reads_the_actual_value() {
        let lua = lua();
        lua.load("r = {data = {{meta = {email = 'a'}, mood = 1}, [3] = {deep = {x = 1}}}, ['odd key'] = {k = 1}}")
            .exec()
            .unwrap();
        let (start, c) = complete(&lua, "r.data[1].m", 11, &CTX);
        assert_eq!((start, names(&c)), (10, vec!["meta", "mood"]));
        let (_, c) = complete(&lua, "r.data[1].meta.", 15, &CTX);
        assert_eq!(names(&c), ["email"]);
        let line = "print(r['data'][3].deep.";
        assert_eq!(names(&complete(&lua, line, line.len(), &CTX).1), ["x"]);
        let line = "r[\"odd key\"].";
        assert_eq!(names(&complete(&lua, line, line.len(), &CTX).1), ["k"]);
        // Anything that would need running code offers nothing.
        for line in ["f().x", "r.data[i].m", "r.data[1 + 1].m", "('s'):up"] {
            let (_, c) = complete(&lua, line, line.len(), &CTX);
            assert!(c.is_empty(), "{line}: {c:?}");
        }
        assert_eq!(
            path_before("a.b[2].c"),
            Some(PathBefore {
                base: Some(vec![
                    Key::Name("a".into()),
                    Key::Name("b".into()),
                    Key::Index(2)
                ]),
                prefix: "c",
                method: false
            })
        );
    }

    #[test]
    fn booleans_offer_true_and_false_unquoted() {
        const FLAG: ParamSpec = ParamSpec {
            name: "important",
            ty: ParamType::Boolean,
            required: false,
            default: Some("false"),
            description: "",
        };
        let value = ValueContext {
            param: &FLAG,
            quote: None,
            partial: "t",
        };
        assert_eq!(replacements(&value_candidates(&value, "")), ["true"]);
        let quoted = ValueContext {
            quote: Some('"'),
            ..value
        };
        assert!(value_candidates(&quoted, "").is_empty());
    }
}
