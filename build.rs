//! Export the Lua C API from the binary, so `require` can load C modules (lua-cjson, lpeg...)
//! as it does under lua5.4.

fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,--export-dynamic");
}
