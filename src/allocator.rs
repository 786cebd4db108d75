//! The process allocator's settings (mimalloc is set as the global allocator in main.rs).

include!(concat!(env!("OUT_DIR"), "/mimalloc_options.rs"));

/// At exit mimalloc frees every page it holds and hands them back to the OS one range at a
/// time: pointless, the kernel reclaims the whole process, and it was a ninth of a short run's
/// wall time (0.2 ms of 1.8 ms for `-e 'return 1'`). A value above 1 for `destroy_on_exit`
/// makes its exit hook return at once (`_mi_auto_process_done` in its init.c); nothing else
/// reads that option. Everything else at exit still runs (atexit handlers, C modules'
/// destructors, stdio flushing).
pub fn skip_teardown_at_exit() {
    // SAFETY: sets one of mimalloc's options; it takes no pointer and may be called anytime.
    unsafe { libmimalloc_sys::mi_option_set(DESTROY_ON_EXIT, 2) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_teardown_is_skipped() {
        skip_teardown_at_exit();
        // SAFETY: reads one of mimalloc's options.
        let value = unsafe { libmimalloc_sys::mi_option_get(DESTROY_ON_EXIT) };
        assert_eq!(value, 2);
    }
}
