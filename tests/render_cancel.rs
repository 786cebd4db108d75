//! Ctrl-C stops a long render at the next row. In a test binary of its own: the flag is
//! process-wide, and no other test may render while it is set.

use std::sync::atomic::Ordering;

use crisp_repl::render::{table, CANCEL};
use mlua::{Lua, Value};

#[test]
fn ctrl_c_stops_a_render_at_the_next_row() {
    let lua = Lua::new();
    let rows: Value = lua
        .load("local t = {} for i = 1, 5000 do t[i] = {id = i, name = 'n' .. i} end return t")
        .eval()
        .unwrap();
    let style = table::Style {
        width: Some(80),
        colour: false,
    };
    CANCEL.store(true, Ordering::Relaxed);
    let text = table::render(&rows, style);
    CANCEL.store(false, Ordering::Relaxed);
    assert!(
        text.contains("interrupted (Ctrl-C): 0 of 5000 rows shown"),
        "{text}"
    );
    assert!(!text.contains("n4999"), "{text}");
    let text = table::render(&rows, style);
    assert!(
        text.contains("n4999") && !text.contains("interrupted"),
        "{text}"
    );
}
