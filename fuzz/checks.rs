//! The fuzz invariants, shared by the cargo-fuzz targets (fuzz/fuzz_targets/) and by
//! `cargo test` (tests/fuzz_corpus.rs replays the committed corpus and every past crash).
//! Each check takes raw bytes and panics when an invariant breaks.

#![allow(dead_code)]

use std::convert::Infallible;
use std::rc::Rc;

use crisp_repl::accounts::Env;
use crisp_repl::crisp::client::ClientOptions;
use crisp_repl::crisp::paging::{fetch_window, Plan, REST_MAX_PER_PAGE, REST_MIN_PER_PAGE};
use crisp_repl::lua::convert::{self, tape_to_lua, to_json, to_lua};
use crisp_repl::lua::lexer::tokenize;
use crisp_repl::lua::namespace::CrispRuntime;
use crisp_repl::lua::scope::PromptScope;
use crisp_repl::lua::session::{Completeness, EvalError, Session, SourceKind};
use crisp_repl::render::{markdown, plain, table};
use crisp_repl::tape::Tape;
use mlua::Lua;
use serde_json::Value as Json;

thread_local! {
    static LUA: Lua = {
        let lua = Lua::new();
        convert::install(&lua).expect("metatables install");
        lua
    };
    /// A session that captures what programs print, and stops them after a second.
    static DIFF_SESSION: Session = {
        let env = Env::from_pairs(Vec::<(String, String)>::new());
        let runtime = CrispRuntime::new(env, Vec::new(), ClientOptions::default());
        let session = Session::new(Rc::new(runtime), Some(256 * 1024 * 1024)).expect("a session starts");
        session.set_print_capture(true);
        session.set_eval_timeout(Some(std::time::Duration::from_secs(1)));
        session
    };
    static SESSION: Session = {
        let env = Env::from_pairs(Vec::<(String, String)>::new());
        let runtime = CrispRuntime::new(env, Vec::new(), ClientOptions::default());
        Session::new(Rc::new(runtime), Some(256 * 1024 * 1024)).expect("a session starts")
    };
}

/// Documents the round trip keeps exactly: arrays with holes (nulls) and integers past i64 are
/// lossy in Lua by design, and nesting is cut at 128.
fn round_trips(doc: &Json, depth: usize) -> bool {
    if depth > 100 {
        return false;
    }
    match doc {
        Json::Null => depth == 0,
        Json::Number(n) => n.is_i64() || n.is_f64(),
        Json::Array(items) => items
            .iter()
            .all(|v| !v.is_null() && round_trips(v, depth + 1)),
        Json::Object(map) => map
            .values()
            .all(|v| !v.is_null() && round_trips(v, depth + 1)),
        _ => true,
    }
}

/// JSON from the network -> Lua -> every renderer, and back: nothing panics, and documents
/// Lua can hold exactly come back unchanged.
pub fn json_render(data: &[u8]) {
    let Ok(doc) = serde_json::from_slice::<Json>(data) else {
        // What serde_json refuses, the tape parser may read or refuse, but never panics on.
        let _ = Tape::parse(data);
        return;
    };
    // The client parses answers into a tape with simd-json: it reads what serde_json reads,
    // the same way (floats to within rounding).
    let tape = Tape::parse(data).expect("the tape parser reads what serde_json reads");
    same_json(&tape.root().to_value(), &doc);
    LUA.with(|lua| {
        let from_tape = tape_to_lua(lua, tape.root()).expect("any JSON converts");
        let value = to_lua(lua, &doc).expect("any JSON converts");
        if round_trips(&doc, 0) {
            same_json(&to_json(lua, &from_tape), &doc);
        }
        for width in [Some(40), None] {
            for colour in [false, true] {
                terminal_safe(&table::render(&value, table::Style { width, colour }));
            }
        }
        terminal_safe(&plain::literal(&value));
        let back = to_json(lua, &value);
        if round_trips(&doc, 0) {
            assert_eq!(back, doc, "the round trip changed the document");
        }
        // A list result as the namespace returns it, so the `data` layout is covered too.
        let wrapped = serde_json::json!({"data": doc, "page": 1, "per_page": 25, "has_more": true});
        let value = to_lua(lua, &wrapped).expect("any JSON converts");
        for width in [Some(40), None] {
            terminal_safe(&table::render(
                &value,
                table::Style {
                    width,
                    colour: false,
                },
            ));
        }
        let _ = lua.gc_collect();
    });
}

/// The terminal-safety rule: rendered output of outside data holds no control character but
/// newline and the renderer's own SGR sequences (`ESC [ digits m`), no DEL, no C1, no bidi
/// or zero-width character.
pub fn terminal_safe(out: &str) {
    if let Some(problem) = crisp_repl::render::sanitize::terminal_safety_problem(out) {
        panic!("{problem}");
    }
}

/// The same document, as Lua would hold it: integers past i64 are floats, floats equal to
/// within a few units in the last place (serde_json's default float parsing is not always
/// exact; `-0` is 0 on one side and -0.0 on the other). Repeated keys are folded the same way on both sides (the last one wins).
fn same_json(a: &Json, b: &Json) {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => assert_eq!(i, j),
            (None, None) => {
                let (f, g) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                assert!((f - g).abs() <= f.abs().max(g.abs()) * 1e-14, "{f} != {g}");
            }
            // `-0` is an integer to simd-json and -0.0 to serde_json: equal as numbers.
            _ => assert_eq!(x.as_f64(), y.as_f64(), "{x} != {y}"),
        },
        (Json::Array(x), Json::Array(y)) => {
            assert_eq!(x.len(), y.len());
            x.iter().zip(y).for_each(|(v, w)| same_json(v, w));
        }
        (Json::Object(x), Json::Object(y)) => {
            assert_eq!(x.len(), y.len());
            for (k, v) in x {
                same_json(v, y.get(k).expect("the same keys"));
            }
        }
        (x, y) => assert_eq!(x, y),
    }
}

/// The `:doc` markdown renderer: the first byte picks the width (0..255) and colour.
pub fn markdown(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let _ = markdown::render(text, first as usize, first & 1 == 1);
    let _ = markdown::render(text, 80, false);
    let _ = markdown::highlight_lua(text, true);
}

fn compiles(lua: &Lua, src: &str) -> bool {
    lua.load(src).set_name("=fuzz").into_function().is_ok()
}

/// Completeness and the lexer: tokens are ordered, non-empty and on character boundaries;
/// code that compiles is complete; and the prompt scope (`lua::scope`) compiles all code that
/// compiles. The user's source is only compiled, never run.
pub fn completeness(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let tokens = tokenize(src);
    let mut pos = 0;
    for t in &tokens {
        assert!(
            t.start >= pos && t.start < t.end && t.end <= src.len(),
            "{t:?}"
        );
        assert!(
            src.is_char_boundary(t.start) && src.is_char_boundary(t.end),
            "{t:?}"
        );
        pos = t.end;
    }
    SESSION.with(|session| {
        let verdict = session.completeness(src);
        let lua = session.lua();
        let plain = compiles(lua, src);
        if plain {
            assert_eq!(verdict, Completeness::Complete, "compiles but not complete");
        }
        // The prompt scope compiles whatever Lua compiles (it only adds declarations around
        // the input and keep calls after its top-level locals).
        if plain {
            let scope = PromptScope::install(lua).expect("scope helpers install");
            if let Err(e) = scope.compile(lua, src.as_bytes(), "=fuzz") {
                panic!("the prompt scope broke code that compiles:\n{src}\n---\n{e}");
            }
        }
    });
}

/// Differential: a program prints the same in crisp-repl's Lua (a session running it as a
/// script, output captured) as in `lua5.4` (Debian's). Programs that could differ for reasons
/// of their own are skipped: ones reaching outside (os, io, require, load...), using the
/// collector or random numbers, printing addresses, or not ending within a second.
pub fn differential(data: &[u8]) {
    const OUTSIDE: &[&[u8]] = &[
        b"os",
        b"io",
        b"debug",
        b"require",
        b"load",
        b"dofile",
        b"collectgarbage",
        b"random",
        b"package",
        b"crisp",
        b"doc",
        b"_G",
        b"_ENV",
        b"warn",
        b"string.dump",
    ];
    if data.len() > 4096
        || OUTSIDE
            .iter()
            .any(|w| data.windows(w.len()).any(|x| x == *w))
    {
        return;
    }
    let Ok(mut child) = std::process::Command::new("timeout")
        .args(["1", "lua5.4", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
    else {
        return; // no lua5.4 here: nothing to compare with
    };
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        let _ = stdin.write_all(data);
    }
    let Ok(lua) = child.wait_with_output() else {
        return;
    };
    let expected = String::from_utf8_lossy(&lua.stdout).into_owned();
    if !matches!(lua.status.code(), Some(0 | 1)) || expected.contains("0x") {
        return;
    }
    DIFF_SESSION.with(|session| {
        let _ = session.take_printed();
        let result = session.eval(data, "=stdin", SourceKind::Script, &[]);
        let printed = session.take_printed();
        if matches!(result, Err(EvalError::Timeout(_) | EvalError::Interrupted)) {
            return;
        }
        assert_eq!(
            printed,
            expected,
            "prints differ from lua5.4 for:\n{}",
            String::from_utf8_lossy(data)
        );
        assert_eq!(
            result.is_ok(),
            lua.status.code() == Some(0),
            "lua5.4 and crisp-repl disagree on failing: {result:?}\n{}",
            String::from_utf8_lossy(data)
        );
    });
}

fn u64_at(data: &[u8], at: usize) -> u64 {
    let mut bytes = [0u8; 8];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = data.get(at + i).copied().unwrap_or(0);
    }
    u64::from_le_bytes(bytes)
}

/// The paging bridge against a brute-force slice of a fake Crisp list: REST pages of 20..50,
/// no more requests than planned, the exact window and `has_more`. Any u64 must not panic.
pub fn paging(data: &[u8]) {
    let (page, per_page, total) = (u64_at(data, 0), u64_at(data, 8), u64_at(data, 16));
    let wild = Plan::new(page, per_page);
    assert!((REST_MIN_PER_PAGE..=REST_MAX_PER_PAGE).contains(&wild.rest_per_page));
    assert!(wild.first_page >= 1 && wild.last_page >= wild.first_page);
    let short_total = total % 300;
    let _ = fetch_window(&wild, |p, s| -> Result<Vec<u64>, Infallible> {
        let from = (p - 1).saturating_mul(s);
        Ok((from..from.saturating_add(s).min(short_total)).collect())
    });

    // The range the Lua API allows, checked exactly.
    let page = page % 1_000 + 1;
    let per_page = per_page % 100 + 1;
    let total = total % 20_000;
    let plan = Plan::new(page, per_page);
    let mut calls = 0u64;
    let window = fetch_window(&plan, |p, s| -> Result<Vec<u64>, Infallible> {
        assert!(
            (REST_MIN_PER_PAGE..=REST_MAX_PER_PAGE).contains(&s),
            "size {s}"
        );
        assert!(p >= 1);
        calls += 1;
        let from = (p - 1) * s;
        Ok((from..(from + s).min(total)).collect())
    })
    .unwrap_or_else(|never| match never {});
    let start = ((page - 1) * per_page).min(total);
    let end = (page * per_page).min(total);
    let expected: Vec<u64> = (start..end).collect();
    assert_eq!(
        window.items, expected,
        "page {page} per_page {per_page} total {total}"
    );
    assert_eq!(window.has_more, page * per_page < total);
    assert!(calls <= plan.requests());
    // The fewest requests: the window plus its probe item, in pages of at most 50.
    assert!(plan.requests() <= (per_page + 1).div_ceil(REST_MAX_PER_PAGE) + 1);
}
