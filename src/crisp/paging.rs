//! The paging bridge: the Lua API promises pages of 1..100 items, Crisp serves pages of 20..50.
//!
//! A Lua page is a window of item indexes; we pick the REST page size that covers the window
//! (plus one item, to know whether more exist) in the fewest requests, fetch, and slice.

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

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

    #[test]
    fn errors_stop_the_fetch() {
        let plan = Plan::new(1, 100);
        let result: Result<Window<u64>, &str> = fetch_window(&plan, |_, _| Err("boom"));
        assert_eq!(result, Err("boom"));
    }
}
