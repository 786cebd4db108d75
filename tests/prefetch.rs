//! `crisp.paginate` fetches the next page while the loop body runs, and no page further.
//!
//! The real binary walks a demo inbox (with a per-request latency, as a distant Crisp) and its
//! loop body stops at the end of each page until the test lets it go on. Meanwhile the test
//! reads the server's request log: the next page must arrive while the body is still stopped
//! (it never would without the prefetch), the page after it must not. No duration is asserted;
//! the long wait is only a fail-safe.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Harness;
use crisp_repl::crisp::Tier;
use crisp_repl::demo::{demo_token, DEMO_WEBSITE_ID};

/// Only reached when the request never comes.
const NEVER: Duration = Duration::from_secs(30);
/// Long enough for a walk that ran ahead to show it; not a pass/fail on time.
const SETTLE: Duration = Duration::from_millis(100);

/// REST page numbers of the conversation lists the server has seen, in order.
fn pages_seen(h: &Harness) -> Vec<u64> {
    h.requests_to("/conversations/")
        .iter()
        .filter_map(|r| r.path.rsplit('/').next()?.parse().ok())
        .collect()
}

#[test]
fn paginate_requests_the_next_page_before_the_loop_body_of_this_one_ends() {
    // 180 conversations: REST pages of 50, 50, 50 and 30 (the short one ends the walk).
    let h = Harness::with_size(180);
    h.server.set_latency(Duration::from_millis(20));
    let script = h.home.path().join("walk.lua");
    std::fs::write(
        &script,
        r#"
local n = 0
for c in crisp.paginate(crisp.list_conversations, {per_page = 100}) do
  n = n + 1
  if n % 50 == 0 then
    io.write("end of page ", n // 50, "\n") io.stdout:flush()
    assert(io.read("l") == "go on")
  end
end
print("walked " .. n)
"#,
    )
    .unwrap();
    let token = demo_token(Tier::User);
    let mut child = common::hermetic(h.home.path())
        .arg(&script)
        .env("CRISP_API_URL", h.server.url())
        .env("CRISP_WEBSITE_ID", DEMO_WEBSITE_ID)
        .env("CRISP_IDENTIFIER", token.identifier)
        .env("CRISP_KEY", token.key)
        .env("CRISP_TIER", "user")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for page in 1..=3u64 {
        let line = lines.next().expect("a line").unwrap();
        assert_eq!(line, format!("end of page {page}"));
        // The body of `page` is stopped: the request for the next page must come anyway.
        let start = Instant::now();
        while !pages_seen(&h).contains(&(page + 1)) {
            assert!(
                start.elapsed() < NEVER,
                "page {} was not requested while the loop body of page {page} ran (no prefetch); seen: {:?}",
                page + 1,
                pages_seen(&h)
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(SETTLE);
        let seen = pages_seen(&h);
        assert_eq!(
            seen,
            (1..=page + 1).collect::<Vec<_>>(),
            "one page ahead, each page once"
        );
        writeln!(stdin, "go on").unwrap();
    }
    assert_eq!(lines.next().expect("a line").unwrap(), "walked 180");
    assert!(child.wait().unwrap().success());
    // The short page 4 ended the walk: no request past it.
    assert_eq!(pages_seen(&h), vec![1, 2, 3, 4]);
}

#[test]
fn an_abandoned_paginate_fetches_one_page_ahead_at_most() {
    // A walk left after its first item, then a long body: one page fetched ahead at most.
    let h = Harness::with_size(400);
    let out = common::stdout_of(h.cmd().arg("-e").arg(
        r#"
local it = crisp.paginate(crisp.list_conversations, {per_page = 100})
local first = it()
it = nil
collectgarbage() collectgarbage()
local r = crisp.list_contacts{per_page = 20}
return first.session_id ~= nil
"#,
    ));
    assert!(out.contains("true"), "{out}");
    // The next list request proves the walk's thread had its chance to run ahead.
    std::thread::sleep(SETTLE);
    assert_eq!(pages_seen(&h), vec![1, 2]);
}
