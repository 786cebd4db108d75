//! Lua programs behave in crisp-repl as in `lua5.4`: the same program runs through both and
//! their stdout bytes and exit statuses are compared (`.ci/run` installs lua5.4).

mod common;

use std::process::Command;

struct Ran {
    status: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn ran(out: std::process::Output) -> Ran {
    Ran {
        status: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Run `args` (a script path or `-e` chunks...) through lua5.4 and through crisp-repl.
fn both(home: &std::path::Path, args: &[&str]) -> (Ran, Ran) {
    let lua = Command::new("lua5.4")
        .current_dir(home)
        .args(args)
        .output()
        .expect("lua5.4 is installed (.ci/run installs it)");
    let crisp = common::hermetic(home)
        .current_dir(home)
        .args(args)
        .output()
        .expect("crisp-repl runs");
    (ran(lua), ran(crisp))
}

/// Write `src` to a script and run it through both.
fn script(src: &[u8]) -> (Ran, Ran) {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("prog.lua"), src).unwrap();
    both(home.path(), &["prog.lua"])
}

fn assert_same_stdout(lua: &Ran, crisp: &Ran) {
    assert_eq!(
        String::from_utf8_lossy(&crisp.stdout),
        String::from_utf8_lossy(&lua.stdout),
        "stdout differs; crisp-repl stderr: {}",
        crisp.stderr
    );
    assert_eq!(crisp.stdout, lua.stdout, "stdout bytes differ");
    assert_eq!(
        crisp.status, lua.status,
        "exit status differs: {}",
        crisp.stderr
    );
}

#[test]
fn print_writes_raw_bytes_with_lua_tostring_rules() {
    let (lua, crisp) = script(
        b"print(\"a\\xffb\", 1, 2.0, nil, true)\n\
          print(setmetatable({}, {__tostring = function() return 'T' end}))\n\
          print((tostring(setmetatable({}, {__name = 'Foo'})):gsub('0x%x+', 'ADDR')))\n\
          tostring = nil\n\
          print(1, 'two')\n\
          print(pcall(print, setmetatable({}, {__tostring = function() return {} end})))\n",
    );
    assert_same_stdout(&lua, &crisp);
    assert!(crisp.stdout.windows(3).any(|w| w == b"a\xffb"));
}

#[test]
fn print_and_io_write_keep_their_order() {
    let (lua, crisp) = script(
        b"print'a' io.write('b', 1, 2.5, '\\n') print'c' io.stdout:write('d\\n') print'e'\n",
    );
    assert_same_stdout(&lua, &crisp);
    // With a result printed by crisp-repl itself after Lua's output.
    let home = tempfile::tempdir().unwrap();
    let out = common::hermetic(home.path())
        .args(["-e", "print'a' io.write'b\\n' return 'c'"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a\nb\n\"c\"\n");
}

#[test]
fn json_mode_captures_print_and_io_write() {
    let home = tempfile::tempdir().unwrap();
    let out = common::hermetic(home.path())
        .args([
            "--json",
            "-e",
            "print('h\\u{e9}', 1.5) io.write(1, 2.0, 'z\\n') io.stdout:write('w\\n') return 1",
        ])
        .output()
        .unwrap();
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["output"], "h\u{e9}\t1.5\n12z\nw\n", "{line}");
    // Nothing leaked to stdout outside the JSON line.
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn code_runs_on_the_main_thread() {
    let (lua, crisp) = script(
        b"local co, main = coroutine.running()\n\
          print(type(co), main, coroutine.isyieldable())\n\
          print(pcall(coroutine.yield, 1))\n\
          print(coroutine.wrap(function(...) return coroutine.yield(...) end)('w'))\n\
          print('after')\n",
    );
    assert_same_stdout(&lua, &crisp);
}

/// Run `code` with `--timeout 1`: it must end with status 1 well within 10 s; its stderr.
fn timed_out_stderr(code: &str) -> String {
    let home = tempfile::tempdir().unwrap();
    let start = std::time::Instant::now();
    let out = common::hermetic(home.path())
        .args(["--timeout", "1", "-e", code])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn timeout_stops_a_pcall_loop_without_a_standing_hook() {
    let stderr = timed_out_stderr("while true do pcall(function() while true do end end) end");
    assert!(stderr.contains("timed out"), "{stderr}");
}

#[test]
fn timeout_ends_a_loop_inside_a_coroutine() {
    // The interrupt hook reaches the main thread only; --timeout still holds, by exiting.
    let stderr = timed_out_stderr("coroutine.wrap(function() while true do end end)()");
    assert!(
        stderr.contains("timed out") && stderr.contains("coroutine"),
        "{stderr}"
    );
}

#[test]
fn execute_chunks_are_plain_lua() {
    let home = tempfile::tempdir().unwrap();
    let args = [
        "-e",
        "local x = 1",
        "-e",
        "print(x, debug and 1)",
        "-e",
        "print(pcall(load, 'x ='))",
        "-e",
        "error('boom')",
    ];
    let (lua, crisp) = both(home.path(), &args);
    // lua5.4 has `debug`; crisp-repl's difference (if any) shows here too.
    assert_eq!(
        String::from_utf8_lossy(&crisp.stdout).lines().next(),
        Some("nil\t1").filter(|_| lua.stdout.starts_with(b"nil\t1")),
        "{}",
        crisp.stderr
    );
    assert_eq!(crisp.status, lua.status);
    assert!(
        crisp.stderr.contains("(command line):1: boom"),
        "{}",
        crisp.stderr
    );
}

#[test]
fn scripts_are_bytes_with_lua_c_headers_and_arg() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("prog.lua"),
        b"\xEF\xBB\xBF#!/usr/bin/env lua\nprint(arg[0], arg[1], arg[2], select('#', ...), ...)\nprint(#arg, arg[-1] ~= nil)\nprint('\xff', debug.getinfo(1, 'l').currentline)\n",
    )
    .unwrap();
    let (lua, crisp) = both(home.path(), &["prog.lua", "a", "b\u{e9}"]);
    assert_same_stdout(&lua, &crisp);
}

#[test]
fn c_modules_load_and_match_lua() {
    let (lua, crisp) = script(
        b"local cjson = require 'cjson'\n\
          print(cjson.encode({1, 2, 'three', {a = true}}))\n\
          print(type(debug.traceback), type(package.loadlib))\n",
    );
    assert_same_stdout(&lua, &crisp);
}

/// The first line of an uncaught error, without the program's prefix.
fn error_line(stderr: &str) -> String {
    let first = stderr.lines().next().unwrap_or_default();
    first
        .strip_prefix("lua5.4: ")
        .or_else(|| first.strip_prefix("error: "))
        .unwrap_or(first)
        .to_string()
}

#[test]
fn uncaught_error_values_read_as_in_lua() {
    for src in [
        "error({})",
        "error(setmetatable({}, {__tostring = function() return 'TS' end}))",
        "error()",
        "error(42)",
        "error(true)",
        "error('boom')",
    ] {
        let (lua, crisp) = script(src.as_bytes());
        assert_eq!(error_line(&crisp.stderr), error_line(&lua.stderr), "{src}");
        assert_eq!(crisp.status, lua.status, "{src}");
    }
}

#[test]
fn warn_as_in_lua() {
    let (lua, crisp) =
        script(b"warn('hidden') warn('@on') warn('hi', ' there') warn('@off') warn('x')\n");
    assert_same_stdout(&lua, &crisp);
    assert_eq!(crisp.stderr, lua.stderr);
}

#[test]
fn exit_statuses_and_finalizers_as_in_lua() {
    let (lua, crisp) =
        script(b"setmetatable({}, {__gc = function() print('gc') end})\nprint(1)\nos.exit(3)\n");
    assert_same_stdout(&lua, &crisp);
    let (lua, crisp) = script(b"x = setmetatable({}, {__gc = function() print('gc') end})\nio.write('a')\nos.exit(true, true)\n");
    assert_same_stdout(&lua, &crisp);
    assert!(!crisp.stderr.contains("panicked"), "{}", crisp.stderr);
}

#[test]
fn a_lone_dash_reads_stdin_as_one_chunk() {
    use std::io::Write;
    let src = b"local n = 0\nfor i = 1, 3 do\n  n = n + i\nend\nprint(n)\ngoto skip\nprint('no')\n::skip::\nif n > 0 then return end\nprint('unreached')\n";
    let home = tempfile::tempdir().unwrap();
    let run = |mut cmd: Command| {
        let mut child = cmd
            .arg("-")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("runs");
        child.stdin.take().unwrap().write_all(src).unwrap();
        ran(child.wait_with_output().unwrap())
    };
    let lua = run(Command::new("lua5.4"));
    let crisp = run(common::hermetic(home.path()));
    assert_same_stdout(&lua, &crisp);
}

#[test]
fn finalizers_run_at_exit_without_a_panic() {
    let (lua, crisp) = script(
        // Both reachable until the state closes: finalizers then run in a fixed order (an
        // unreachable one may be collected earlier or later, depending on allocation).
        b"y = setmetatable({}, {__gc = function() print('gc') end})\n\
          x = setmetatable({}, {__gc = function() print('gc2') end})\n\
          error('e')\n",
    );
    assert_same_stdout(&lua, &crisp);
    // Finalizers that call into Rust (print captured in JSON mode, a crisp function).
    let home = tempfile::tempdir().unwrap();
    for args in [
        vec![
            "--json",
            "-e",
            "x = setmetatable({}, {__gc = function() print('gc') end})",
        ],
        vec![
            "-e",
            "x = setmetatable({}, {__gc = function() pcall(crisp.list_conversations, {}) end})",
        ],
    ] {
        let out = common::hermetic(home.path()).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

#[test]
fn uncaught_errors_print_lua_c_tracebacks() {
    // Same stderr as lua5.4 but for the program's name at the start.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.lua");
    std::fs::write(
        &path,
        "local function inner() error('boom') end\nlocal function outer() inner() end\nouter()\n",
    )
    .unwrap();
    let file = path.to_str().unwrap();
    for args in [
        vec![file],
        vec!["-e", "error('x')"],
        vec!["-e", "local t = nil; t.x = 1"],
    ] {
        let lua = std::process::Command::new("lua5.4")
            .args(&args)
            .output()
            .expect("lua5.4 runs");
        let crisp = common::hermetic(dir.path()).args(&args).output().unwrap();
        let expected = String::from_utf8_lossy(&lua.stderr).replacen("lua5.4: ", "error: ", 1);
        let got = String::from_utf8_lossy(&crisp.stderr).into_owned();
        assert_eq!(got, expected, "{args:?}");
        assert!(got.contains("\nstack traceback:\n\t"), "{got}");
        assert_eq!(crisp.status.code(), lua.status.code(), "{args:?}");
    }
}

#[test]
fn our_functions_fail_with_plain_strings_as_c_functions_do() {
    // Under lua5.4 the same names are lua-cjson and C functions of the standard library; what
    // `pcall` hands back must be a string there and here (not a userdata carrying "runtime
    // error:" and a traceback in its text).
    let (lua, crisp) = script(
        br#"
local J = json or require "cjson"
local show = crisp and crisp.show or string.rep
local columns = crisp and crisp.columns or string.rep
local ns = crisp or setmetatable({}, {__index = function(_, k) return string.rep(k) end})
local function check(name, ok, e)
  local text = tostring(e)
  print(name, ok, type(e), text:find("stack traceback", 1, true) ~= nil,
    text:find("runtime error", 1, true) ~= nil)
end
check("decode", pcall(J.decode, "{"))
check("decode nil", pcall(J.decode))
check("encode", pcall(J.encode, function() end))
check("show", pcall(show, 1))
check("columns", pcall(columns, 1))
check("index", pcall(function() return ns.nope end))
"#,
    );
    assert_same_stdout(&lua, &crisp);
    let out = String::from_utf8_lossy(&crisp.stdout);
    assert_eq!(
        out.matches("\tfalse\tstring\tfalse\tfalse").count(),
        6,
        "{out}"
    );
}

#[test]
fn our_functions_failing_uncaught_print_as_c_functions_do() {
    // lua5.4's traceback for a C function's error starts at the caller; ours hides the
    // Lua that raises it (src/lua/chunks) the same way.
    let dir = tempfile::tempdir().unwrap();
    let out = common::hermetic(dir.path())
        .args(["-e", "local function f() json.decode('{') end f()"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr,
        "error: json.decode: EOF while parsing an object at line 1 column 1\nstack traceback:\n\t(command line):1: in local 'f'\n\t(command line):1: in main chunk\n\t[C]: in ?\n"
    );
    assert_eq!(out.status.code(), Some(1));
}
