//! The fuzz invariants (fuzz/checks.rs) on the committed corpus and on every input that once
//! crashed a target (fuzz/regressions/), so `cargo test` guards what fuzzing found without
//! needing nightly Rust. Fuzzing itself: see fuzz/README.md.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let data = std::fs::read(&path).expect("a corpus file reads");
            let result = std::panic::catch_unwind(|| check(&data));
            assert!(result.is_ok(), "{} fails its fuzz check", path.display());
            count += 1;
        }
    }
    assert!(count > 0, "no corpus for {target}");
}

#[test]
fn json_render_corpus() {
    replay("json_render", checks::json_render);
}

#[test]
fn markdown_corpus() {
    replay("markdown", checks::markdown);
}

#[test]
fn completeness_corpus() {
    replay("completeness", checks::completeness);
}

#[test]
fn paging_corpus() {
    replay("paging", checks::paging);
}

#[test]
fn differential_corpus() {
    // Each program is run by lua5.4 (.ci/run installs it) and by crisp-repl's Lua.
    assert!(
        std::process::Command::new("lua5.4")
            .arg("-v")
            .output()
            .is_ok_and(|o| o.status.success()),
        "lua5.4 is needed to compare with"
    );
    replay("differential", checks::differential);
}
