//! The prompt's conveniences never change what Lua code means: a program fed chunk by chunk
//! (piped stdin without `-`, each complete statement evaluated on its own, as at the prompt)
//! prints exactly what `lua5.4` prints for the same text run as one chunk.
//!
//! The programs avoid bare expression statements and top-level `return` (the prompt echoes
//! those, a documented convenience); everything else must match byte for byte.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

/// Run `cmd` with `input` on stdin; (stdout, stderr, status).
fn fed(mut cmd: Command, input: &str) -> (Vec<u8>, String, i32) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs (.ci/run installs Debian's lua5.4)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("output");
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn lua54(program: &str) -> (Vec<u8>, i32) {
    let mut cmd = Command::new("lua5.4");
    cmd.arg("-");
    let (stdout, _, status) = fed(cmd, program);
    (stdout, status)
}

fn piped(program: &str) -> (Vec<u8>, String) {
    let home = tempfile::tempdir().expect("temp home");
    let (stdout, stderr, _) = fed(common::hermetic(home.path()), program);
    (stdout, stderr)
}

const PROGRAMS: &[(&str, &str)] = &[
    (
        "locals are not globals",
        "local x = 1\nprint(x, rawget(_G, 'x'))\nlocal x\nprint(x)\nlocal n = 0\nfor k in pairs(_G) do if k == 'n' then n = n + 1 end end\nprint(n)\n",
    ),
    (
        "a local named like a library leaves the library alone",
        "local string = 'abc'\nprint(string, type(_G.string), ('x'):rep(3))\nlocal table = {}\nprint(type(_G.table.concat))\n",
    ),
    (
        "a local alias survives replacing the global",
        "local print = print\n_G.print = function() io.write('replaced\\n') end\nprint('still the real print')\n_G.print('via _G')\n",
    ),
    (
        "closures keep the variable of their time",
        "local x = 1\nfunction g() return x end\nlocal x = 2\nprint(g(), x)\n",
    ),
    (
        "a local function value recurses into the global",
        "function fact(n) return 'global' end\nlocal fact = function(n) if n == 0 then return 1 end return fact(n - 1) end\nprint(fact(3))\n",
    ),
    (
        "shared counters",
        "local count = 0\nlocal function bump() count = count + 1 return count end\nfor _ = 1, 2 do bump() end\nprint(count, bump())\ncount = 10\nprint(bump())\n",
    ),
    (
        "const and close",
        "local N <const> = 4\nlocal t <const> = {1, 2}\nprint(N * 2, #t)\ndo\n  local c <close> = setmetatable({}, {__close = function() print('closed') end})\n  print('in')\nend\nprint('after')\n",
    ),
    (
        "a user's own underscore",
        "local _ = 'mine'\nprint(_)\nprint(_)\n",
    ),
    (
        "multiple assignment and swaps",
        "local a, b = 1, 2\na, b = b, a\nprint(a, b)\nlocal a, b, c = (function() return 7, 8, 9 end)()\nprint(a, b, c)\n",
    ),
];

#[test]
fn piped_chunks_mean_what_one_chunk_means_to_lua54() {
    let mut failures = Vec::new();
    for (name, program) in PROGRAMS {
        let (expected, status) = lua54(program);
        assert_eq!(status, 0, "{name}: lua5.4 itself failed");
        let (got, stderr) = piped(program);
        if got != expected {
            failures.push(format!(
                "{name}:\n--- lua5.4\n{}--- crisp-repl (piped)\n{}{stderr}",
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&got)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn echoed_values_read_as_lua_prints_them() {
    let values = "1e15, 2^53, 0.1, -0.0, 100.0, -1e100, 1/0, 3, 'text', true, nil, setmetatable({}, {__tostring = function() return 'mine' end})";
    let (expected, status) = lua54(&format!("print({values})\n"));
    assert_eq!(status, 0);
    let home = tempfile::tempdir().expect("temp home");
    let out = common::hermetic(home.path())
        .args(["-e", &format!("return {values}")])
        .output()
        .expect("crisp-repl runs");
    let got = String::from_utf8_lossy(&out.stdout).replace('\n', "\t");
    let expected = String::from_utf8_lossy(&expected).replace('\n', "\t");
    // Strings are echoed quoted, as values (a documented convenience).
    assert_eq!(got.replace("\"text\"", "text"), expected);
}
