//! Two build steps:
//! - export the Lua C API from the binary, so `require` can load C modules (lua-cjson, lpeg...)
//!   as it does under lua5.4. Only the API: exporting every symbol (--export-dynamic) made the
//!   dynamic symbol table 30 times larger, and the dynamic linker reads it at every start;
//! - compile the Lua code that the program itself runs at start-up (src/lua/chunks) to bytecode,
//!   with the same Lua, so starting does not parse it (parsing it was a tenth of start-up).

use std::path::Path;

/// File (in src/lua/chunks, without `.lua`), constant name, and chunk name (as in tracebacks).
const CHUNKS: &[(&str, &str, &str)] = &[
    ("namespace", "NAMESPACE", "=crisp"),
    ("plain", "PLAIN", "=crisp"),
    ("show", "SHOW", "=crisp.show"),
    ("trampoline_prompt", "TRAMPOLINE_PROMPT", "=trampoline"),
    ("trampoline_script", "TRAMPOLINE_SCRIPT", "=trampoline"),
];

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let list = root.join("lua-api.list");
    println!("cargo:rerun-if-changed=lua-api.list");
    println!(
        "cargo:rustc-link-arg-bins=-Wl,--dynamic-list={}",
        list.display()
    );

    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let out = Path::new(&out);
    let lua = mlua::Lua::new();
    let mut generated = String::new();
    for (file, constant, name) in CHUNKS {
        let source_path = root.join("src/lua/chunks").join(format!("{file}.lua"));
        println!("cargo:rerun-if-changed={}", source_path.display());
        let source = std::fs::read_to_string(&source_path)
            .unwrap_or_else(|e| panic!("{}: {e}", source_path.display()));
        let function = lua
            .load(&source)
            .set_name(*name)
            .into_function()
            .unwrap_or_else(|e| panic!("{}: {e}", source_path.display()));
        // Debug information kept: tracebacks show the same lines as from the source.
        let bytecode_path = out.join(format!("{file}.luac"));
        std::fs::write(&bytecode_path, function.dump(false))
            .unwrap_or_else(|e| panic!("{}: {e}", bytecode_path.display()));
        generated.push_str(&format!(
            "pub const {constant}: Chunk = Chunk {{\n    name: {name:?},\n    source: include_str!({:?}),\n    bytecode: include_bytes!({:?}),\n}};\n",
            source_path.display().to_string(),
            bytecode_path.display().to_string(),
        ));
    }
    let generated_path = out.join("chunks.rs");
    std::fs::write(&generated_path, generated)
        .unwrap_or_else(|e| panic!("{}: {e}", generated_path.display()));
}
