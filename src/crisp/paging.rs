//! The paging bridge: the Lua API promises pages of 1..100 items, Crisp serves pages of 20..50.
//!
//! A Lua page is a window of item indexes; we pick the REST page size that covers the window
//! (plus one item, to know whether more exist) in the fewest requests, fetch, and slice.
//! Walks that go page after page fetch the next page while the caller works on this one
//! (`Prefetch`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

/// The page sizes Crisp accepts on list routes.
pub const REST_MIN_PER_PAGE: u64 = 20;
pub const REST_MAX_PER_PAGE: u64 = 50;

/// The REST requests that cover one Lua page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// REST page size to ask for.
    pub rest_per_page: u64,
    /// First and last REST page (1-based, inclusive).
    pub first_page: u64,
    pub last_page: u64,
    /// Index of the first wanted item and how many are wanted.
    pub start: u64,
    pub len: u64,
}

impl Plan {
    /// Plan the window `page` (1-based) of `per_page` items.
    pub fn new(page: u64, per_page: u64) -> Plan {
        let page = page.max(1);
        let per_page = per_page.max(1);
        let start = (page - 1).saturating_mul(per_page);
        // One past the window: seeing it tells us whether there is a next page.
        let probe = start.saturating_add(per_page);
        let mut best: Option<(u64, u64, u64)> = None; // (requests, items fetched, size)
        for size in REST_MIN_PER_PAGE..=REST_MAX_PER_PAGE {
            let requests = probe / size - start / size + 1;
            // Saturating: per_page near u64::MAX must not overflow (found by fuzzing).
            let cost = (requests, requests.saturating_mul(size), size);
            if best.is_none_or(|b| (cost.0, cost.1) < (b.0, b.1)) {
                best = Some(cost);
            }
        }
        let size = best.map_or(REST_MAX_PER_PAGE, |b| b.2);
        Plan {
            rest_per_page: size,
            first_page: start / size + 1,
            last_page: probe / size + 1,
            start,
            len: per_page,
        }
    }

    pub fn requests(&self) -> u64 {
        self.last_page - self.first_page + 1
    }
}

/// One Lua page of items, and whether items exist past it.
#[derive(Debug, Clone, PartialEq)]
pub struct Window<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

/// Fetch the window described by `plan`, calling `fetch(rest_page, rest_per_page)` for each REST
/// page in order. Stops early at a short page (the end of the list).
pub fn fetch_window<T, E>(
    plan: &Plan,
    mut fetch: impl FnMut(u64, u64) -> Result<Vec<T>, E>,
) -> Result<Window<T>, E> {
    let size = plan.rest_per_page;
    let mut collected: Vec<T> = Vec::new();
    for rest_page in plan.first_page..=plan.last_page {
        let batch = fetch(rest_page, size)?;
        let short = (batch.len() as u64) < size;
        collected.extend(batch);
        if short {
            break;
        }
    }
    // `collected` begins at the first item of `first_page`.
    let offset = (plan.start - (plan.first_page - 1) * size) as usize;
    let mut items: Vec<T> = collected.into_iter().skip(offset).collect();
    let has_more = items.len() as u64 > plan.len;
    items.truncate(plan.len as usize);
    Ok(Window { items, has_more })
}

/// Runs `fetch` on a helper thread one result ahead of the consumer: while the caller works
/// on one page, the next one is on its way, and no more than that one (`crisp.paginate`).
///
/// The thread hands each result over a rendezvous channel, so it waits with at most one
/// finished result. Dropping the `Prefetch` ends it: at once if it is waiting, or once the
/// request in flight returns (a cancellable client abandons it on Ctrl-C).
pub struct Prefetch<T> {
    results: Receiver<T>,
}

/// Why `Prefetch::next` has no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The cancel flag was set while waiting (Ctrl-C, `--timeout`).
    Cancelled,
    /// The fetcher ended: after its last result, or it panicked.
    Ended,
}

/// How often a waiting consumer looks at its cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);

impl<T: Send + 'static> Prefetch<T> {
    /// Start fetching at once. `fetch` returns a result and whether another may follow.
    pub fn start(
        mut fetch: impl FnMut() -> (T, bool) + Send + 'static,
    ) -> std::io::Result<Prefetch<T>> {
        let (tx, results) = mpsc::sync_channel(0);
        std::thread::Builder::new()
            .name("crisp-prefetch".into())
            .spawn(move || loop {
                let (result, more) = fetch();
                // An error here means the consumer is gone: nobody wants the rest.
                if tx.send(result).is_err() || !more {
                    return;
                }
            })?;
        Ok(Prefetch { results })
    }

    /// The next result, waiting for it if needed; gives up when `cancel` is set.
    pub fn next(&self, cancel: Option<&AtomicBool>) -> Result<T, Stopped> {
        let Some(cancel) = cancel else {
            return self.results.recv().map_err(|_| Stopped::Ended);
        };
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(Stopped::Cancelled);
            }
            match self.results.recv_timeout(CANCEL_POLL) {
                Ok(result) => return Ok(result),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return Err(Stopped::Ended),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::sync::atomic::AtomicU64;
    use std::sync::Arc;

    /// A fake Crisp list of `total` items, serving REST pages.
    fn serve(total: u64) -> impl FnMut(u64, u64) -> Result<Vec<u64>, Infallible> {
        move |page, size| {
            assert!((REST_MIN_PER_PAGE..=REST_MAX_PER_PAGE).contains(&size));
            assert!(page >= 1);
            let from = (page - 1) * size;
            Ok((from..(from + size).min(total)).collect())
        }
    }

    #[test]
    fn every_per_page_matches_a_brute_force_slice() {
        for total in [0u64, 1, 19, 20, 57, 250, 333] {
            for per_page in 1..=100u64 {
                for page in 1..=5u64 {
                    let plan = Plan::new(page, per_page);
                    let mut calls = 0;
                    let mut fetch = serve(total);
                    let window = fetch_window(&plan, |p, s| {
                        calls += 1;
                        fetch(p, s)
                    })
                    .unwrap();
                    let all: Vec<u64> = (0..total).collect();
                    let start = ((page - 1) * per_page).min(total) as usize;
                    let end = (page * per_page).min(total) as usize;
                    assert_eq!(
                        window.items,
                        all[start..end],
                        "total {total} page {page} per_page {per_page}"
                    );
                    assert_eq!(window.has_more, page * per_page < total);
                    assert!(calls as u64 <= plan.requests());
                }
            }
        }
    }

    #[test]
    fn plans_use_the_fewest_requests() {
        // Lower bound: the window plus the probe item, in pages of 50.
        for per_page in 1..=100u64 {
            for page in 1..=20u64 {
                let plan = Plan::new(page, per_page);
                let lower = (per_page + 1).div_ceil(REST_MAX_PER_PAGE);
                assert!(
                    plan.requests() <= lower + 1,
                    "page {page} per_page {per_page}: {plan:?}"
                );
            }
        }
        assert_eq!(Plan::new(1, 25).requests(), 1);
        assert_eq!(Plan::new(1, 20).requests(), 1);
        assert_eq!(Plan::new(3, 100).requests(), 3);
    }

    #[test]
    fn huge_values_do_not_overflow() {
        // fuzz/artifacts: page 1, per_page u64::MAX overflowed `requests * size`.
        let plan = Plan::new(1, u64::MAX);
        assert_eq!(plan.start, 0);
        let window = fetch_window(&plan, serve(30)).unwrap();
        assert_eq!(window.items, (0..30).collect::<Vec<_>>());
        assert!(!window.has_more);
        let plan = Plan::new(u64::MAX, u64::MAX);
        let window = fetch_window(&plan, |p, s| -> Result<Vec<u64>, Infallible> {
            let from = (p - 1).saturating_mul(s);
            Ok((from..from.saturating_add(s).min(10)).collect())
        })
        .unwrap();
        assert!(window.items.is_empty() && !window.has_more);
    }

    /// A fetcher of pages 1, 2, ... that counts its calls and reports when its thread ends.
    fn counting_fetcher(
        last: u64,
    ) -> (
        Arc<AtomicU64>,
        mpsc::Receiver<()>,
        impl FnMut() -> (u64, bool) + Send + 'static,
    ) {
        struct Ended(mpsc::Sender<()>);
        impl Drop for Ended {
            fn drop(&mut self) {
                let _ = self.0.send(());
            }
        }
        let calls = Arc::new(AtomicU64::new(0));
        let (ended_tx, ended) = mpsc::channel();
        let guard = Ended(ended_tx);
        let counter = calls.clone();
        let fetch = move || {
            let _keep = &guard;
            let page = counter.fetch_add(1, Ordering::SeqCst) + 1;
            (page, page < last)
        };
        (calls, ended, fetch)
    }

    /// Long enough for a fetcher that ran ahead to show it; never a pass/fail on time.
    const SETTLE: Duration = Duration::from_millis(30);
    /// A fail-safe for waits that must end; only reached when the code is broken.
    const NEVER: Duration = Duration::from_secs(20);

    fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
        let start = std::time::Instant::now();
        while !done() {
            assert!(start.elapsed() < NEVER, "never happened: {what}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn prefetch_fetches_the_next_page_while_the_caller_works_and_no_further() {
        let (calls, ended, fetch) = counting_fetcher(5);
        let prefetch = Prefetch::start(fetch).unwrap();
        for page in 1..=5u64 {
            assert_eq!(prefetch.next(None), Ok(page));
            if page < 5 {
                // The next page is fetched while "the loop body" runs...
                wait_for("the next page fetched ahead", || {
                    calls.load(Ordering::SeqCst) == page + 1
                });
            }
            std::thread::sleep(SETTLE);
            // ...and not the one after it.
            assert_eq!(calls.load(Ordering::SeqCst), (page + 1).min(5));
        }
        assert_eq!(prefetch.next(None), Err(Stopped::Ended));
        ended.recv_timeout(NEVER).expect("the fetcher thread ends");
    }

    #[test]
    fn an_abandoned_prefetch_stops_its_thread() {
        let (calls, ended, fetch) = counting_fetcher(u64::MAX);
        let prefetch = Prefetch::start(fetch).unwrap();
        assert_eq!(prefetch.next(None), Ok(1));
        assert_eq!(prefetch.next(None), Ok(2));
        drop(prefetch);
        ended
            .recv_timeout(NEVER)
            .expect("the fetcher thread ends once the walk is dropped");
        assert_eq!(calls.load(Ordering::SeqCst), 3, "one page ahead at most");
    }

    #[test]
    fn a_cancelled_wait_returns_at_once() {
        let (gate_tx, gate) = mpsc::channel::<()>();
        let prefetch = Prefetch::start(move || {
            // Stuck "in flight" until the test ends.
            let _ = gate.recv();
            (0u64, false)
        })
        .unwrap();
        let cancel = AtomicBool::new(true);
        assert_eq!(prefetch.next(Some(&cancel)), Err(Stopped::Cancelled));
        drop(gate_tx);
    }

    #[test]
    fn errors_stop_the_fetch() {
        let plan = Plan::new(1, 100);
        let result: Result<Window<u64>, &str> = fetch_window(&plan, |_, _| Err("boom"));
        assert_eq!(result, Err("boom"));
    }
}
