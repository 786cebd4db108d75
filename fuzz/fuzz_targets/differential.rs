//! Fuzz target: see `differential` in fuzz/checks.rs (programs compared with lua5.4).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::differential(data));
