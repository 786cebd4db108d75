//! Two-stage Ctrl-C while Lua runs: the first press stops the evaluation (and abandons a request
//! in flight), a second press within two seconds quits if the first one could not.
//! At the prompt, rustyline reads Ctrl-C as a key, so this handler only acts while busy.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

#[derive(Default)]
struct State {
    busy: AtomicBool,
    flags: Mutex<Vec<Arc<AtomicBool>>>,
    last_press: Mutex<Option<Instant>>,
}

static STATE: OnceLock<State> = OnceLock::new();

fn state() -> &'static State {
    STATE.get_or_init(State::default)
}

/// Install the SIGINT handler once; `flags` are set on Ctrl-C during an evaluation.
pub fn install(flags: Vec<Arc<AtomicBool>>) -> Result<(), ctrlc::Error> {
    set_flags(flags);
    ctrlc::set_handler(on_ctrl_c)
}

/// Point Ctrl-C at new flags (after `:reset`).
pub fn set_flags(flags: Vec<Arc<AtomicBool>>) {
    if let Ok(mut f) = state().flags.lock() {
        *f = flags;
    }
}

/// Mark the start and end of an evaluation.
pub fn set_busy(busy: bool) {
    state().busy.store(busy, Ordering::SeqCst);
    if let Ok(mut last) = state().last_press.lock() {
        *last = None;
    }
}

fn on_ctrl_c() {
    // Rendering a result happens outside `busy`: stop it without arming the second press.
    crate::render::CANCEL.store(true, Ordering::SeqCst);
    let st = state();
    if !st.busy.load(Ordering::SeqCst) {
        return;
    }
    let now = Instant::now();
    let second = st
        .last_press
        .lock()
        .ok()
        .and_then(|mut last| last.replace(now))
        .is_some_and(|t| now.duration_since(t) < Duration::from_secs(2));
    if second {
        eprintln!("\ncrisp-repl: still busy after Ctrl-C; quitting (history is saved)");
        std::process::exit(130);
    }
    if let Ok(flags) = st.flags.lock() {
        for f in flags.iter() {
            f.store(true, Ordering::SeqCst);
        }
    }
}
