//! Snapshots of how results look at 40, 80 and 160 columns (and in a pipe), on demo data.
//! Review changes with `cargo insta review`.

use crisp_repl::crisp::api::campaign_state;
use crisp_repl::demo::seed;
use crisp_repl::lua::convert;
use crisp_repl::render::table::{render, Style};
use mlua::Lua;
use serde_json::{json, Value};

fn draw(lua: &Lua, value: &Value, width: Option<usize>) -> String {
    let v = convert::to_lua(lua, value).expect("converts");
    render(
        &v,
        Style {
            width,
            colour: false,
        },
    )
}

fn results() -> Vec<(&'static str, Value)> {
    let seed = seed::generate(seed::DEFAULT_CONVERSATIONS);
    let campaigns: Vec<Value> = seed.campaigns[..6]
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c["state"] = json!(campaign_state(&c));
            c
        })
        .collect();
    vec![
        (
            "conversations",
            json!({"data": seed.conversations[..5], "page": 1, "per_page": 5, "has_more": true}),
        ),
        (
            "messages",
            json!({"data": seed.messages["session_abc123"], "conversation": seed.conversations[0]}),
        ),
        ("contact", json!({"data": seed.contacts[0]})),
        (
            "campaigns",
            json!({"data": campaigns, "page": 1, "per_page": 6, "has_more": true}),
        ),
        ("operator", json!({"data": seed.operator})),
        ("scalars", json!([1, "two", true, 4.5])),
    ]
}

#[test]
fn tables_at_three_widths_and_in_a_pipe() {
    let lua = Lua::new();
    convert::install(&lua).expect("metatables");
    for (name, value) in results() {
        for width in [40, 80, 160] {
            let text = draw(&lua, &value, Some(width));
            for line in text.lines() {
                assert!(
                    line.chars().count() <= width,
                    "{name} at {width} is too wide: {line}"
                );
            }
            insta::assert_snapshot!(format!("{name}_{width}"), text);
        }
        insta::assert_snapshot!(format!("{name}_pipe"), draw(&lua, &value, None));
    }
}
