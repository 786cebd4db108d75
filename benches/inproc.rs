//! In-process benchmarks for `bench/run` (criterion): JSON -> Lua against serde_json alone,
//! `:doc send_message` rendering, rustyline loading a 10,000-entry history, and a table with
//! 1 MB fields rendered for an 80-column terminal.
//!
//! Run alone with `cargo bench --bench inproc`; `bench/run` reads the medians from
//! `target/criterion/*/*/new/estimates.json`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use mlua::Lua;
use serde_json::{json, Value};

use crisp_repl::lua::convert;
use crisp_repl::tape::Tape;

/// The binary's allocator (src/main.rs), so these figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A Crisp-shaped answer of about `target` bytes: the `{error, reason, data}` envelope around
/// demo conversations and their messages (strings, nested objects, nulls, big integers).
fn crisp_body(target: usize) -> Vec<u8> {
    let seed = crisp_repl::demo::seed::generate(400);
    let mut items: Vec<Value> = Vec::new();
    let mut size = 0usize;
    'fill: loop {
        for conversation in &seed.conversations {
            let sid = conversation["session_id"].as_str().unwrap_or_default();
            let mut item = conversation.clone();
            item["messages"] = json!(seed.messages.get(sid).cloned().unwrap_or_default());
            size += item.to_string().len() + 1;
            items.push(item);
            if size >= target {
                break 'fill;
            }
        }
    }
    serde_json::to_vec(&json!({"error": false, "reason": "resolved", "data": items})).unwrap()
}

/// serde_json parsing into a `Value`, against what the client does with every answer: parse it
/// into a tape (`crisp_repl::tape`) and build the Lua value from that. The Lua state has the
/// REPL's default memory limit (1 GB, which puts mlua in its careful mode). Dropping the
/// results and a full collection happen between iterations, outside the timing.
fn json_to_lua(c: &mut Criterion) {
    let body = crisp_body(5 * 1024 * 1024);
    eprintln!("json_to_lua: body of {} bytes", body.len());
    let lua = Lua::new();
    lua.set_memory_limit(1024 * 1024 * 1024).unwrap();
    convert::install(&lua).unwrap();
    let mut group = c.benchmark_group("json_to_lua");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("parse", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                let v: Value = serde_json::from_slice(black_box(&body)).unwrap();
                total += started.elapsed();
                drop(black_box(v));
            }
            total
        })
    });
    group.bench_function("parse_and_convert", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                let tape = Tape::parse(black_box(&body)).unwrap();
                let t = convert::tape_to_lua(&lua, tape.root()).unwrap();
                total += started.elapsed();
                drop(black_box(t));
                drop(tape);
                lua.gc_collect().unwrap();
            }
            total
        })
    });
    group.finish();
}

fn doc(c: &mut Criterion) {
    let mut group = c.benchmark_group("doc");
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.bench_function("send_message", |b| {
        b.iter(|| {
            crisp_repl::docs::render_topic(black_box(Some("send_message")), Some(100), true)
                .unwrap()
        })
    });
    group.finish();
}

/// rustyline loading a 10,000-entry history with the REPL's settings: the work history adds
/// before the prompt (bench/run also times the REPL's start in a pseudo-terminal).
fn history(c: &mut Criterion) {
    use rustyline::history::{FileHistory, History};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history");
    let mut text = String::from("#V2\n");
    for i in 0..10_000 {
        text.push_str(&format!(
            "r = crisp.list_conversations{{per_page = {}, page = {i}}} for _, c in ipairs(r.data) do print(c.session_id, c.state) end\n",
            i % 100 + 1
        ));
    }
    std::fs::write(&path, text).unwrap();
    let config = rustyline::Config::builder()
        .max_history_size(10_000)
        .unwrap()
        .history_ignore_dups(true)
        .unwrap()
        .history_ignore_space(true)
        .build();
    let mut group = c.benchmark_group("history");
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.bench_function("load_10k", |b| {
        b.iter(|| {
            let mut h = FileHistory::with_config(&config);
            h.load(&path).unwrap();
            assert_eq!(h.len(), 10_000);
            h
        })
    });
    group.finish();
}

/// Human-mode rendering (80 columns, colour) of a list whose rows hold a 1 MB word and a 1 MB
/// message: rendering must stay linear in a field's length (it once took minutes).
fn render_long_field(c: &mut Criterion) {
    let lua = Lua::new();
    let word = "w".repeat(1024 * 1024);
    let text = "long message ".repeat(80 * 1024);
    let rows = lua
        .load("local word, text = ... return {{id = 1, nickname = word, last_message = text}, {id = 2, nickname = 'ada', last_message = text}}")
        .call::<mlua::Value>((word, text))
        .unwrap();
    let style = crisp_repl::render::table::Style {
        width: Some(80),
        colour: true,
    };
    let mut group = c.benchmark_group("render");
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.sample_size(20);
    group.bench_function("one_mb_fields", |b| {
        b.iter(|| crisp_repl::render::table::render(black_box(&rows), style))
    });
    group.finish();
}

criterion_group!(benches, json_to_lua, doc, history, render_long_field);
criterion_main!(benches);
