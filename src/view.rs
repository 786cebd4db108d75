//! Reading helpers in the `crisp` namespace: `crisp.show` (a conversation as a transcript)
//! and `crisp.columns` (which columns tables show). They sit above `output` and `lua`, and are
//! installed from the session setup in `app`, so neither of those modules depends on them.

use mlua::{Function, Lua, MultiValue, Table, Value};

use crate::lua::{convert, plain, registry_value};
use crate::output::{Mode, Output};
use crate::render::{table::ColumnChoice, transcript};

/// What `crisp.show` needs to print the way results are printed.
#[derive(Debug, Clone)]
struct ViewSettings {
    mode: Mode,
    colour: bool,
    pager: Option<String>,
}

/// Put `show` and `columns` into `crisp` and into every account's table.
pub fn install(lua: &Lua, output: &Output) -> mlua::Result<()> {
    lua.set_app_data(ViewSettings {
        mode: output.mode,
        colour: output.colour,
        pager: output.pager.clone(),
    });
    let root: Table = lua
        .globals()
        .get::<Table>("app")?
        .get::<Table>("integrations")?
        .get("crisp")?;
    let mut tables = vec![root.clone()];
    for pair in root.clone().pairs::<Value, Value>() {
        if let (Value::String(_), Value::Table(t)) = pair? {
            tables.push(t);
        }
    }
    for t in tables {
        add_helpers(lua, &t)?;
    }
    Ok(())
}

fn add_helpers(lua: &Lua, table: &Table) -> mlua::Result<()> {
    let get_conversation: Option<Function> = table.raw_get("get_conversation")?;
    let Some(get_conversation) = get_conversation else {
        return Ok(());
    };
    let (make_show, columns) = shared_functions(lua)?;
    table.raw_set("show", make_show.call::<Function>(get_conversation)?)?;
    table.raw_set("columns", columns)?;
    Ok(())
}

/// What every account's `show` and `columns` share, made once per Lua state: a maker of `show`
/// for an account's `get_conversation`, and `columns` itself.
fn shared_functions(lua: &Lua) -> mlua::Result<(Function, Function)> {
    let make_show = registry_value(lua, "crisp-repl.view.show", || show_maker(lua))?;
    let columns = registry_value(lua, "crisp-repl.view.columns", || {
        plain::function(lua, |lua, spec: Value| {
            set_columns(lua, column_names(&spec)?);
            Ok(())
        })
    })?;
    Ok((make_show, columns))
}

/// `crisp.show(result or id)`: prints the transcript (human and plain modes) or hands the data
/// back unchanged (`--json`). An id is fetched from Lua, so a Crisp error keeps its table.
/// Returns the function that makes it from an account's `get_conversation`.
fn show_maker(lua: &Lua) -> mlua::Result<Function> {
    let render = plain::function(lua, |lua, v: Value| -> Result<MultiValue, String> {
        if !matches!(v, Value::Table(_)) {
            return Err(format!(
                "crisp.show expects the result of crisp.get_conversation or a conversation id, got a {} value",
                plain::type_name(&v)
            ));
        }
        let settings = lua
            .app_data_ref::<ViewSettings>()
            .map(|s| s.clone())
            .unwrap_or(ViewSettings {
                mode: Mode::Plain,
                colour: false,
                pager: None,
            });
        if settings.mode == Mode::Json {
            return Ok(MultiValue::from_iter([v]));
        }
        let mut output = Output::new(settings.mode, settings.colour);
        output.pager = settings.pager;
        let text = transcript_text(lua, &v, &output)?;
        output.print_long(&text);
        // Nothing returned: the prompt would echo it under the transcript.
        Ok(MultiValue::new())
    })?;
    crate::lua::chunks::SHOW.load(lua)?.call(render)
}

/// The transcript of a Lua value for `output`'s width and colour.
pub fn transcript_text(lua: &Lua, v: &Value, output: &Output) -> Result<String, String> {
    let json = convert::to_json(lua, v);
    transcript::render(
        &json,
        transcript::Style {
            width: output.width(),
            colour: output.colour,
            zone: transcript::Zone::Local,
        },
    )
}

/// Column paths from `"a, b.c"` or `{"a", "b.c"}`; nil or empty means "reset".
pub fn column_names(spec: &Value) -> Result<Vec<String>, String> {
    let usage = "columns are names or dotted paths, e.g. crisp.columns{\"session_id\", \"state\", \"meta.email\"} (crisp.columns() resets)";
    let mut names = Vec::new();
    match spec {
        Value::Nil => {}
        Value::String(s) => names.extend(split_columns(&s.to_string_lossy())),
        Value::Table(t) => {
            for item in t.clone().sequence_values::<Value>() {
                match item.map_err(|e| e.to_string())? {
                    Value::String(s) => names.extend(split_columns(&s.to_string_lossy())),
                    other => {
                        return Err(format!(
                            "{usage}; got a {} in the list",
                            plain::type_name(&other)
                        ))
                    }
                }
            }
        }
        other => return Err(format!("{usage}; got a {} value", plain::type_name(other))),
    }
    for n in &names {
        if n.split('.').any(str::is_empty) {
            return Err(format!("'{n}' is not a column path; {usage}"));
        }
    }
    Ok(names)
}

pub fn split_columns(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Choose the columns tables show from now on (empty: back to the automatic choice).
pub fn set_columns(lua: &Lua, names: Vec<String>) {
    if names.is_empty() {
        lua.remove_app_data::<ColumnChoice>();
    } else {
        lua.set_app_data(ColumnChoice(names));
    }
}

/// The columns chosen in this Lua state, if any.
pub fn chosen_columns(lua: &Lua) -> Option<Vec<String>> {
    lua.app_data_ref::<ColumnChoice>().map(|c| c.0.clone())
}
