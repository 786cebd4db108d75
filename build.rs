//! Build steps, all for what the program does at every start:
//! - export the Lua C API from the binary, so `require` can load C modules (lua-cjson, lpeg...)
//!   as it does under lua5.4. Only the API: exporting every symbol (--export-dynamic) made the
//!   dynamic symbol table 30 times larger, and the dynamic linker reads it at every start;
//! - link the unwinder statically (`link_unwinder_statically`);
//! - find mimalloc's option number for its exit teardown (`mimalloc_options`);
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
    link_unwinder_statically();
    mimalloc_options();

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

/// The unwinder (Rust panics unwind) from libgcc_eh.a, as `gcc -static-libgcc` links it, so the
/// program does not load libgcc_s.so at every start: one shared library fewer to map and
/// relocate, and its CPU-feature constructor not run (0.13 ms of a 1.5 ms start measured).
/// Without a static libgcc_eh (another compiler), libgcc_s.so is linked as usual.
fn link_unwinder_statically() {
    println!("cargo:rerun-if-env-changed=CC");
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let Ok(out) = std::process::Command::new(compiler)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
    else {
        return;
    };
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let path = Path::new(&path);
    // Without the library, the compiler echoes the bare name back.
    if !(out.status.success() && path.is_absolute() && path.exists()) {
        return;
    }
    if let Some(dir) = path.parent() {
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-lib=static:-bundle=gcc_eh");
    }
}

/// mimalloc's number for `mi_option_destroy_on_exit` (src/allocator.rs), counted in the
/// header of the mimalloc being built rather than assumed: libmimalloc-sys names only some
/// options, and the numbers are the order of an enum.
fn mimalloc_options() {
    const WANTED: &str = "mi_option_destroy_on_exit";
    let dir = std::env::var("DEP_MIMALLOC_INCLUDE_DIR")
        .expect("libmimalloc-sys exports its include directory (links = \"mimalloc\")");
    let path = Path::new(&dir).join("mimalloc.h");
    println!("cargo:rerun-if-changed={}", path.display());
    let header =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let body = header
        .split("typedef enum mi_option_e {")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .unwrap_or_else(|| panic!("{}: no enum mi_option_e", path.display()));
    let mut number = None;
    for (i, entry) in body
        .lines()
        .map(|line| line.split("//").next().unwrap_or("").trim())
        .filter(|entry| !entry.is_empty())
        .enumerate()
    {
        let name = entry.trim_end_matches(',');
        assert!(
            !name.contains('='),
            "{}: an option before {WANTED} has an explicit value ({name}): count them by hand",
            path.display()
        );
        if name == WANTED {
            number = Some(i);
            break;
        }
    }
    let number = number.unwrap_or_else(|| panic!("{}: no {WANTED}", path.display()));
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let generated = Path::new(&out).join("mimalloc_options.rs");
    std::fs::write(
        &generated,
        format!("/// `{WANTED}` in the mimalloc being built.\npub const DESTROY_ON_EXIT: i32 = {number};\n"),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", generated.display()));
}
