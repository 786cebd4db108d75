//! `--json` output: the same input gives the same bytes in every run, and strings never
//! carry raw terminal controls.

mod common;

use common::{bare_command, stdout_of, Harness};

#[test]
fn json_output_is_identical_across_runs() {
    let h = Harness::new();
    let runs: Vec<String> = (0..3)
        .map(|_| {
            stdout_of(h.cmd().args([
                "--json",
                "-e",
                "return crisp.get_current_user{}",
                "-e",
                "return {b = 1, a = 2, c = {z = 1, y = 2, x = {3, 4}}, [5] = 'five'}",
            ]))
        })
        .collect();
    assert!(runs[0].contains("\"values\""), "{}", runs[0]);
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[1], runs[2]);
    assert!(
        runs[0].contains(r#"{"5":"five","a":2,"b":1,"c":{"x":[3,4],"y":2,"z":1}}"#),
        "{}",
        runs[0]
    );
}

#[test]
fn json_output_escapes_bidi_c1_and_zero_width() {
    let h = Harness::new();
    let out = stdout_of(h.cmd().args([
        "--json",
        "-e",
        "return '\\u{202e}x\\u{200b}\\u{9b}2J\\27]0;t\\7'",
    ]));
    assert!(
        out.contains(r#""\u202ex\u200b\u009b2J\u001b]0;t\u0007""#),
        "{out}"
    );
    for c in out.chars() {
        assert!(
            c == '\n' || !crisp_repl::render::sanitize::is_unsafe(c),
            "{c:?}"
        );
    }
}

#[test]
fn demo_json_is_identical_across_three_runs() {
    let home = tempfile::tempdir().unwrap();
    let runs: Vec<String> = (0..3)
        .map(|_| {
            stdout_of(bare_command(home.path()).args([
                "--demo",
                "--json",
                "-e",
                "return crisp.get_current_user{}",
            ]))
        })
        .collect();
    assert!(runs[0].contains("\"ok\":true"), "{}", runs[0]);
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[1], runs[2]);
}
