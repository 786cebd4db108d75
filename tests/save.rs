//! Keeping results: `:save` in each format read back and checked, overwrite refusal, `:columns`
//! in a real pty; `json.encode`/`json.decode` compared with lua5.4 + lua-cjson.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use expectrl::Session;
use serde_json::Value;

mod common;
#[path = "common/pty.rs"]
mod pty;
use pty::quit;

/// The binary in a pty with the demo inbox, 160 columns wide.
fn spawn(home: &Path) -> Session {
    let mut cmd = common::hermetic(home);
    cmd.arg("--demo")
        .arg("--no-pager")
        .arg("--history")
        .arg(home.join("h"));
    cmd.env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("TZ", "UTC");
    pty::start(cmd, 160, 100, Duration::from_secs(30))
}

/// Send a line and return what it printed (echo and line-editor redraws included, CR
/// removed): everything before a marker printed by the next input.
fn run_line(s: &mut Session, line: &str) -> String {
    s.send_line(line).unwrap();
    // Built at run time, so the echoed input never matches it.
    s.send_line("print('<<'..'DONE>>')").unwrap();
    let found = s
        .expect("<<DONE>>")
        .expect("the marker after the line's output");
    String::from_utf8_lossy(found.before()).replace('\r', "")
}

/// The "saved N rows, B bytes, to PATH" line: (rows, bytes).
fn saved(out: &str, path: &Path) -> (usize, usize) {
    let line = out
        .lines()
        .find(|l| l.starts_with("saved "))
        .unwrap_or_else(|| panic!("no report in {out:?}"));
    assert!(line.ends_with(&format!("to {}", path.display())), "{line}");
    let nums: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(2)
        .map(|s| s.parse().unwrap())
        .collect();
    (nums[0], nums[1])
}

#[test]
fn save_writes_each_format_and_reads_back() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let mut s = spawn(dir);
    run_line(&mut s, "r = crisp.list_conversations{per_page = 20}");
    run_line(&mut s, "return r");

    let json_path = dir.join("list.json");
    let out = run_line(&mut s, &format!(":save {}", json_path.display()));
    let (rows, bytes) = saved(&out, &json_path);
    let text = std::fs::read_to_string(&json_path).unwrap();
    assert_eq!((rows, bytes), (20, text.len()));
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["data"].as_array().unwrap().len(), 20);
    assert_eq!(v["data"][0]["session_id"], "session_abc123");
    assert_eq!(v["page"], 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&json_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "exports hold customers' data");
    }

    let jsonl_path = dir.join("list.jsonl");
    let out = run_line(&mut s, &format!(":save {}", jsonl_path.display()));
    assert_eq!(saved(&out, &jsonl_path).0, 20);
    let lines: Vec<Value> = std::fs::read_to_string(&jsonl_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 20);
    assert_eq!(lines, v["data"].as_array().unwrap().clone());

    let csv_path = dir.join("list.csv");
    let out = run_line(&mut s, &format!(":save {}", csv_path.display()));
    assert_eq!(saved(&out, &csv_path).0, 20);
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    // The table's flattened columns, hidden ones included.
    for want in [
        "session_id",
        "state",
        "meta.nickname",
        "last_message",
        "created_at",
    ] {
        assert!(headers.iter().any(|h| h == want), "{want} in {headers:?}");
    }
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 20);
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(&records[0][col("session_id")], "session_abc123");
    assert_eq!(&records[0][col("meta.nickname")], "Mai Vu");
    // Full text, never truncated as on screen.
    assert_eq!(
        &records[0][col("last_message")],
        v["data"][0]["last_message"].as_str().unwrap()
    );

    let md_path = dir.join("list.md");
    let out = run_line(&mut s, &format!(":save {}", md_path.display()));
    assert_eq!(saved(&out, &md_path).0, 20);
    let md = std::fs::read_to_string(&md_path).unwrap();
    let md_lines: Vec<&str> = md.lines().collect();
    assert_eq!(md_lines.len(), 22, "{md}");
    assert!(md_lines[0].starts_with("| session_id |"), "{md}");
    assert!(md_lines[1].starts_with("| --- |"), "{md}");
    assert!(md_lines[2].starts_with("| session_abc123 |"), "{md}");

    // A conversation as markdown is its transcript.
    run_line(&mut s, ":thread session_abc123");
    let thread_path = dir.join("thread.md");
    let out = run_line(&mut s, &format!(":save {}", thread_path.display()));
    assert_eq!(saved(&out, &thread_path).0, 6);
    let md = std::fs::read_to_string(&thread_path).unwrap();
    assert!(md.starts_with("# Conversation session_abc123\n"), "{md}");
    assert!(
        md.contains("Alex Morgan (operator) · 11:48 · private note"),
        "{md}"
    );
    quit(s);
}

#[test]
fn save_refuses_to_overwrite_without_a_bang() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let mut s = spawn(dir);
    let path = dir.join("one.json");
    run_line(&mut s, "return {a = 1}");
    run_line(&mut s, &format!(":save {}", path.display()));
    run_line(&mut s, "return {a = 2}");
    let out = run_line(&mut s, &format!(":save {}", path.display()));
    assert!(
        out.contains(&format!(
            "{} already exists; `:save! {}` replaces it",
            path.display(),
            path.display()
        )),
        "{out}"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["a"], 1, "the file is untouched");
    let out = run_line(&mut s, &format!(":save! {}", path.display()));
    assert_eq!(saved(&out, &path).0, 1);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["a"], 2);
    // An unknown extension names the formats.
    let out = run_line(&mut s, &format!(":save {}", dir.join("x.xlsx").display()));
    assert!(
        out.contains("'.xlsx'") && out.contains(".jsonl") && out.contains(".csv"),
        "{out}"
    );
    assert!(!dir.join("x.xlsx").exists());
    quit(s);
}

#[test]
fn columns_choose_what_tables_and_csv_show() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let mut s = spawn(dir);
    let out = run_line(&mut s, ":columns session_id, state, meta.email");
    assert!(
        out.contains("tables show: session_id, state, meta.email"),
        "{out}"
    );
    let out = run_line(&mut s, "crisp.list_conversations{per_page = 20}");
    let header = out
        .lines()
        .find(|l| l.contains("session_id"))
        .unwrap_or_else(|| panic!("{out}"));
    let names: Vec<&str> = header
        .split(['│', '┆'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(names, ["session_id", "state", "meta.email"], "{out}");
    assert!(out.contains("mai.vu@beaconretail.co.uk"), "{out}");
    let csv_path = dir.join("cols.csv");
    run_line(&mut s, &format!(":save {}", csv_path.display()));
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        vec!["session_id", "state", "meta.email"]
    );
    assert_eq!(reader.records().count(), 20);
    // The Lua helper does the same; an unknown column says which and suggests one.
    run_line(&mut s, "crisp.columns{'session_id', 'meta.emial'}");
    let out = run_line(&mut s, "crisp.list_conversations{per_page = 20}");
    assert!(
        out.contains("no such column in these rows: 'meta.emial' (did you mean 'meta.email'?)"),
        "{out}"
    );
    // `:columns` alone goes back to the automatic choice.
    run_line(&mut s, ":columns");
    let out = run_line(&mut s, "crisp.list_conversations{per_page = 20}");
    assert!(out.contains("meta.nickname"), "{out}");
    quit(s);
}

/// Run `code` with `lua5.4` (the oracle, with lua-cjson) and print its stdout.
fn lua54(code: &str) -> String {
    let out = Command::new("lua5.4")
        .arg("-e")
        .arg(code)
        .output()
        .expect("lua5.4 is installed (.ci/run installs it with lua-cjson)");
    assert!(
        out.status.success(),
        "lua5.4: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Numbers compared by value (cjson writes 2.0 as 2), everything else exactly.
fn same_shape(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_shape(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_shape(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn json_encode_and_decode_match_lua_cjson() {
    let values = [
        "{1, 2, 3}",
        "{a = 1, b = 'two', c = {true, false}, d = {e = {f = 1.5}}}",
        "{'é', 'tab\\tnew\\nline', 'quote\"back\\\\slash'}",
        "{[1] = 'a', [2] = 'b', x = 'mixed'}",
        "{n = -7, big = 90071992547409, f = 0.1, e = 1e300}",
        "'just a string'",
        "42",
        "{}",
    ];
    let h = common::Harness::new();
    for value in values {
        let ours = common::stdout_of(
            h.cmd()
                .args(["-e", &format!("print(json.encode({value}))")]),
        );
        let theirs = lua54(&format!(
            "local cjson = require 'cjson' cjson.encode_number_precision(14) print(cjson.encode({value}))"
        ));
        let ours: Value =
            serde_json::from_str(ours.trim()).unwrap_or_else(|e| panic!("{value}: {e}: {ours}"));
        let theirs: Value = serde_json::from_str(theirs.trim()).unwrap();
        assert!(
            same_shape(&ours, &theirs),
            "{value}: ours {ours} vs cjson {theirs}"
        );
    }
    // Decoding: the same text decoded by both and written back by cjson in lua5.4 gives the
    // same data (null aside: cjson keeps cjson.null, crisp-repl drops it as API results do).
    let texts = [
        r#"{"a":[1,2,{"b":"c"}],"d":true,"e":1.25,"f":-3}"#,
        r#"["x",["y",["z"]],{"k":{"l":"m"}}]"#,
        r#"{"unicode":"\u00e9\ud83d\ude00","esc":"a\nb\"c"}"#,
    ];
    for text in texts {
        let lua_text = format!("{text:?}");
        let ours = common::stdout_of(h.cmd().args([
            "-e",
            &format!("print(require('cjson').encode(json.decode({lua_text})))"),
        ]));
        let theirs = lua54(&format!(
            "local cjson = require 'cjson' print(cjson.encode(cjson.decode({lua_text})))"
        ));
        let ours: Value = serde_json::from_str(ours.trim()).unwrap();
        let theirs: Value = serde_json::from_str(theirs.trim()).unwrap();
        assert!(
            same_shape(&ours, &theirs),
            "{text}: ours {ours} vs cjson {theirs}"
        );
    }
    // Integers stay integers; floats stay floats.
    let out = common::stdout_of(h.cmd().args([
        "-e",
        "local t = json.decode('[1, 1.0, 12345678901234]') print(math.type(t[1]), math.type(t[2]), t[3], json.encode(t))",
    ]));
    assert_eq!(
        out,
        "integer\tfloat\t12345678901234\t[1,1.0,12345678901234]\n"
    );
    // Errors say where.
    let (status, _, err) = common::run(
        h.cmd()
            .args(["-e", "json.decode('{\"a\": 1,\\n \"b\": }')"]),
    );
    assert_eq!(status, 1);
    assert!(err.contains("line 2 column"), "{err}");
}
