//! The Crisp namespace through the real binary against the demo Crisp on loopback: the exact
//! requests on the wire, the paging bridge, validation, failures and retries.

mod common;

use common::{run, stdout_of, Harness};
use crisp_repl::crisp::Tier;
use crisp_repl::demo::{seed, Fault, DEMO_WEBSITE_ID};

#[test]
fn done_when_demo_lists_100_session_ids() {
    let h = Harness::new();
    let out = stdout_of(h.bare().args([
        "--demo",
        "-e",
        "for _, c in ipairs(crisp.list_conversations{per_page=100}.data) do print(c.session_id) end",
    ]));
    let ids: Vec<&str> = out.lines().collect();
    assert_eq!(ids.len(), 100);
    assert!(ids.iter().all(|id| id.starts_with("session_")));
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), 100);
}

#[test]
fn requests_carry_auth_tier_and_headers() {
    let h = Harness::new();
    stdout_of(h.cmd().args(["-e", "crisp.list_conversations{}"]));
    let reqs = h.server.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    let r = &reqs[0];
    assert_eq!(r.method, "GET");
    assert_eq!(
        r.path,
        format!("/v1/website/{DEMO_WEBSITE_ID}/conversations/1")
    );
    assert_eq!(r.query_param("per_page").as_deref(), Some("26"));
    let token = crisp_repl::demo::demo_token(Tier::User);
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", token.identifier, token.key));
    assert_eq!(
        r.header("Authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert_eq!(r.header("X-Crisp-Tier"), Some("user"));
    assert_eq!(r.header("Accept"), Some("application/json"));
    assert_eq!(
        r.header("User-Agent"),
        Some(concat!("crisp-repl/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(r.header("Content-Type"), None);
}

#[test]
fn send_message_posts_the_documented_body() {
    let h = Harness::new();
    let out = stdout_of(h.cmd().args([
        "-e",
        "local r = crisp.send_message{conversation_id = 'session_abc123', text = 'Hi there'} return r.sent, math.type(r.fingerprint)",
    ]));
    assert_eq!(out, "true\t\"integer\"\n");
    let post = &h.requests_to("/message")[0];
    assert_eq!(post.method, "POST");
    assert_eq!(
        post.path,
        format!("/v1/website/{DEMO_WEBSITE_ID}/conversation/session_abc123/message")
    );
    assert_eq!(post.header("Content-Type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&post.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"type": "text", "from": "operator", "origin": "chat", "content": "Hi there"})
    );
}

#[test]
fn file_messages_carry_name_url_and_mime() {
    let h = Harness::new();
    stdout_of(h.cmd().args([
        "-e",
        "crisp.send_message{conversation_id = 'session_abc123', type = 'file', from = 'user', text = 'https://files.example.com/q3/Invoice%2042.pdf'}",
    ]));
    let body: serde_json::Value = serde_json::from_str(&h.requests_to("/message")[0].body).unwrap();
    assert_eq!(body["from"], "user");
    assert_eq!(
        body["content"],
        serde_json::json!({"name": "Invoice 42.pdf", "url": "https://files.example.com/q3/Invoice%2042.pdf", "type": "application/pdf"})
    );
    // Reading it back, the file content concatenates readably.
    let out = stdout_of(h.cmd().args([
        "-e",
        "local m = crisp.get_conversation{conversation_id='session_abc123'}.data return m[#m].from .. ': ' .. m[#m].content",
    ]));
    assert_eq!(
        out,
        "\"user: [Invoice 42.pdf] https://files.example.com/q3/Invoice%2042.pdf\"\n"
    );
}

#[test]
fn paging_bridge_slices_windows_exactly() {
    let h = Harness::new();
    let seed = seed::generate(seed::DEFAULT_CONVERSATIONS);
    let all: Vec<&str> = seed
        .conversations
        .iter()
        .map(|c| c["session_id"].as_str().unwrap())
        .collect();
    for (page, per_page) in [
        (1, 100),
        (2, 100),
        (3, 7),
        (2, 60),
        (1, 1),
        (18, 10),
        (19, 10),
    ] {
        h.server.clear_requests();
        let code = format!(
            "local r = crisp.list_conversations{{page = {page}, per_page = {per_page}}} \
             for _, c in ipairs(r.data) do print(c.session_id) end print(r.page, r.per_page, r.has_more)"
        );
        let out = stdout_of(h.cmd().args(["-e", &code]));
        let mut lines: Vec<&str> = out.lines().collect();
        let footer = lines.pop().unwrap();
        let start = ((page - 1) * per_page).min(all.len());
        let end = (page * per_page).min(all.len());
        assert_eq!(lines, all[start..end], "page {page} per_page {per_page}");
        let has_more = end < all.len();
        assert_eq!(footer, format!("{page}\t{per_page}\t{has_more}"));
        for r in h.server.requests() {
            let n: u64 = r.query_param("per_page").unwrap().parse().unwrap();
            assert!(
                (20..=50).contains(&n),
                "REST per_page {n} out of Crisp's bounds"
            );
        }
    }
}

#[test]
fn long_conversations_follow_206_paging() {
    let h = Harness::new();
    let seed = seed::generate(seed::DEFAULT_CONVERSATIONS);
    let (sid, messages) = seed.messages.iter().max_by_key(|(_, m)| m.len()).unwrap();
    assert!(messages.len() > 40, "the seed needs a long thread");
    let code = format!(
        "local r = crisp.get_conversation{{conversation_id = '{sid}'}} \
         local prev = 0 for _, m in ipairs(r.data) do assert(m.timestamp >= prev) prev = m.timestamp end \
         return #r.data, r.conversation.session_id"
    );
    let out = stdout_of(h.cmd().args(["-e", &code]));
    assert_eq!(out, format!("{}\t\"{sid}\"\n", messages.len()));
    let batches = h.requests_to("/messages");
    assert_eq!(batches.len(), messages.len().div_ceil(20));
    assert_eq!(batches[0].query_param("timestamp_before"), None);
    assert!(batches[1].query_param("timestamp_before").is_some());
}

#[test]
fn validation_errors_send_nothing() {
    let h = Harness::new();
    let cases = [
        (
            "crisp.list_conversations{page = '2'}",
            "page must be an integer, got string",
        ),
        (
            "crisp.list_conversations{page = 0}",
            "page must be >= 1, got 0",
        ),
        (
            "crisp.list_contacts{per_page = 101}",
            "per_page must be 1..100, got 101",
        ),
        (
            "crisp.get_conversation{conversationId = 'x'}",
            "did you mean 'conversation_id'?",
        ),
        (
            "crisp.get_conversation{}",
            "missing required parameter 'conversation_id'",
        ),
        (
            "crisp.send_message{conversation_id = 's', text = ''}",
            "text must not be empty",
        ),
        (
            "crisp.send_message{conversation_id = 's', text = 'x', type = 'sms'}",
            "type must be one of",
        ),
        (
            "crisp.send_message{conversation_id = 's', text = 'x', from = 'bot'}",
            "from must be one of",
        ),
        (
            "crisp.send_message{conversation_id = 's', text = 'x.pdf', type = 'file'}",
            "must be the file's URL",
        ),
        (
            "crisp.get_conversation{conversation_id = 'session_\\xff'}",
            "conversation_id is not valid UTF-8 (bad byte at offset 8)",
        ),
        (
            "crisp.get_conversation{conversation_id = '..'}",
            "conversation_id must be an id, got \"..\"",
        ),
        (
            "crisp.get_contact{contact_id = '.'}",
            "contact_id must be an id",
        ),
        (
            "crisp.send_message{conversation_id = 's', text = 'caf\\xe9'}",
            "text is not valid UTF-8",
        ),
        (
            "crisp.get_contact('a@b.c')",
            "expected a table of named parameters",
        ),
        ("crisp:list_conversations{}", "with a dot, not a colon"),
    ];
    for (code, expected) in cases {
        let (status, _, stderr) = run(h.cmd().args(["-e", code]));
        assert_eq!(status, 1, "{code}");
        assert!(stderr.contains(expected), "{code}: {stderr}");
    }
    assert!(
        h.server.requests().is_empty(),
        "validation let a request through"
    );
}

#[test]
fn errors_are_tables_with_fields() {
    let h = Harness::new();
    let out = stdout_of(h.cmd().args([
        "-e",
        "local ok, e = pcall(crisp.get_conversation, {conversation_id = 'session_nope'}) \
         return ok, e.status, e.reason, e.fn, e.kind, tostring(e)",
    ]));
    assert!(out.starts_with("false\t404\t\"not_found\"\t\"crisp.get_conversation\"\t\"http\"\t\"crisp.get_conversation: HTTP 404 not_found: conversation 'session_nope' does not exist"), "{out}");
}

#[test]
fn unknown_account_lists_the_configured_ones() {
    let h = Harness::new();
    let (status, _, stderr) = run(h.cmd().args(["-e", "crisp.marketing.list_conversations{}"]));
    assert_eq!(status, 1);
    assert!(
        stderr.contains("crisp has no function or account 'marketing'"),
        "{stderr}"
    );
    assert!(stderr.contains("Accounts: default"), "{stderr}");
    let (_, _, stderr) = run(h.cmd().args(["-e", "crisp.default.sned_message{}"]));
    assert!(stderr.contains("did you mean 'send_message'?"), "{stderr}");
}

#[test]
fn wrong_key_is_401_with_a_hint_and_status_3() {
    let h = Harness::new();
    let (status, _, stderr) = run(h
        .cmd()
        .env("CRISP_KEY", "wrong")
        .args(["-e", "crisp.list_conversations{}"]));
    assert_eq!(status, 3);
    assert!(stderr.contains("HTTP 401 invalid_session"), "{stderr}");
    assert!(
        stderr.contains("check the identifier, the key and the tier"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong"), "the key leaked: {stderr}");
}

#[test]
fn plugin_on_a_foreign_website_is_not_subscribed() {
    let h = Harness::new();
    let (status, _, stderr) = run(h
        .cmd_as(Tier::Plugin)
        .env("CRISP_WEBSITE_ID", "00000000-0000-0000-0000-000000000000")
        .args(["-e", "crisp.list_conversations{}"]));
    assert_eq!(status, 1);
    assert!(stderr.contains("HTTP 404 not_subscribed"), "{stderr}");
    assert!(
        stderr.contains("the plugin is not installed on website"),
        "{stderr}"
    );
}

#[test]
fn campaigns_need_a_user_token() {
    let h = Harness::new();
    for tier in [Tier::Plugin, Tier::Website] {
        let (status, _, stderr) = run(h.cmd_as(tier).args(["-e", "crisp.list_campaigns{}"]));
        assert_eq!(status, 3, "{stderr}");
        assert!(
            stderr.contains("Crisp serves campaigns to user-tier tokens only"),
            "{stderr}"
        );
    }
}

#[test]
fn rate_limits_are_retried_then_succeed() {
    let h = Harness::new();
    h.server
        .push_fault(Fault::envelope("/conversations/", 429, "rate_limited").with_retry_after("0"));
    h.server
        .push_fault(Fault::envelope("/conversations/", 420, "rate_limited"));
    let out = stdout_of(
        h.cmd()
            .args(["-e", "return #crisp.list_conversations{}.data"]),
    );
    assert_eq!(out, "25\n");
    assert_eq!(h.requests_to("/conversations/").len(), 3);
}

#[test]
fn server_errors_on_get_are_retried_at_most_three_times() {
    let h = Harness::new();
    for _ in 0..4 {
        h.server.push_fault(
            Fault::envelope("/conversations/", 503, "server_error").with_retry_after("0"),
        );
    }
    let (status, _, stderr) = run(h.cmd().args(["-e", "crisp.list_conversations{}"]));
    assert_eq!(status, 1);
    assert!(stderr.contains("HTTP 503"), "{stderr}");
    assert_eq!(h.requests_to("/conversations/").len(), 4);
}

#[test]
fn a_500_on_send_is_not_retried() {
    let h = Harness::new();
    h.server
        .push_fault(Fault::envelope("/message", 500, "server_error"));
    let (status, _, stderr) = run(h.cmd().args([
        "-e",
        "crisp.send_message{conversation_id = 'session_abc123', text = 'once'}",
    ]));
    assert_eq!(status, 1);
    assert!(
        stderr.contains("may or may not have been stored"),
        "{stderr}"
    );
    assert_eq!(h.requests_to("/message").len(), 1);
}

#[test]
fn a_429_on_send_is_retried_because_nothing_was_posted() {
    let h = Harness::new();
    h.server
        .push_fault(Fault::envelope("/message", 429, "rate_limited").with_retry_after("0"));
    let before = h.server.messages("session_abc123").len();
    stdout_of(h.cmd().args([
        "-e",
        "crisp.send_message{conversation_id = 'session_abc123', text = 'after a 429'}",
    ]));
    assert_eq!(h.requests_to("/message").len(), 2);
    assert_eq!(h.server.messages("session_abc123").len(), before + 1);
}

#[test]
fn malformed_bodies_are_quoted() {
    let h = Harness::new();
    h.server.push_fault(Fault::raw(
        "/conversations/",
        200,
        "{\"error\": false, \"data\": [trunc",
    ));
    let (status, _, stderr) = run(h.cmd().args(["-e", "crisp.list_conversations{}"]));
    assert_eq!(status, 1);
    assert!(
        stderr.contains("not the expected JSON envelope"),
        "{stderr}"
    );
    assert!(stderr.contains("[trunc"), "{stderr}");
    // The first try and all three retries.
    for _ in 0..4 {
        h.server.push_fault(Fault::raw(
            "/conversations/",
            502,
            "<html><h1>Bad Gateway</h1></html>",
        ));
    }
    let (_, _, stderr) = run(h
        .cmd()
        .args(["--timeout", "20", "-e", "crisp.list_conversations{}"]));
    assert!(
        stderr.contains("HTTP 502") && stderr.contains("<html><h1>Bad Gateway"),
        "{stderr}"
    );
}

#[test]
fn missing_credentials_name_the_variables() {
    let h = Harness::new();
    let (status, _, stderr) = run(h.bare().args(["-e", "crisp.list_conversations{}"]));
    assert_eq!(status, 3);
    assert!(stderr.contains("CRISP_WEBSITE_ID"), "{stderr}");
    let (status, _, stderr) = run(h
        .bare()
        .env("CRISP_SUPPORT_WEBSITE_ID", DEMO_WEBSITE_ID)
        .args(["-e", "crisp.support.list_conversations{}"]));
    assert_eq!(status, 3);
    assert!(
        stderr.contains("CRISP_SUPPORT_IDENTIFIER and CRISP_SUPPORT_KEY"),
        "{stderr}"
    );
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let h = Harness::new();
    let (status, _, stderr) = run(h
        .bare()
        .env("CRISP_API_URL", "http://192.0.2.1/v1")
        .args(["-e", "return 1"]));
    assert_eq!(status, 2);
    assert!(stderr.contains("unencrypted"), "{stderr}");
}

#[test]
fn start_up_sends_nothing() {
    let h = Harness::new();
    stdout_of(h.cmd().args(["-e", "return 1"]));
    assert!(h.server.requests().is_empty());
}

#[test]
fn config_file_accounts() {
    let h = Harness::new();
    let config = h.home.path().join("my.toml");
    std::fs::write(
        &config,
        format!("[accounts.eu]\nwebsite_id = \"{DEMO_WEBSITE_ID}\"\ntier = \"user\"\n"),
    )
    .unwrap();
    let token = crisp_repl::demo::demo_token(Tier::User);
    let out = stdout_of(
        h.bare()
            .env("CRISP_API_URL", h.server.url())
            .env("CRISP_EU_IDENTIFIER", token.identifier)
            .env("CRISP_EU_KEY", token.key)
            .arg("--config")
            .arg(&config)
            .args(["-e", "return crisp.eu.get_current_user{}.data.email"]),
    );
    assert_eq!(out, "\"alex.morgan@northwind.cloud\"\n");
    std::fs::write(&config, "[accounts.eu]\nkey = \"oops\"\n").unwrap();
    let (status, _, stderr) = run(h
        .bare()
        .arg("--config")
        .arg(&config)
        .args(["-e", "return 1"]));
    assert_eq!(status, 2);
    assert!(stderr.contains("unknown field `key`"), "{stderr}");
}

/// The demo answers as Crisp does where the client's own paths never go.
#[test]
fn demo_server_is_honest_to_crisp() {
    let h = Harness::new();
    let token = crisp_repl::demo::demo_token(Tier::User);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let get = |path: &str, tier: &str| {
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", token.identifier, token.key));
        let mut resp = agent
            .get(format!("{}/{path}", h.server.url()))
            .header("Authorization", format!("Basic {basic}"))
            .header("X-Crisp-Tier", tier)
            .call()
            .unwrap();
        let status = resp.status().as_u16();
        let body: serde_json::Value = resp.body_mut().read_json().unwrap();
        (status, body)
    };
    let w = DEMO_WEBSITE_ID;
    let (status, body) = get(&format!("website/{w}/conversations/1?per_page=10"), "user");
    assert_eq!(
        (status, body["error"].as_bool()),
        (400, Some(true)),
        "{body}"
    );
    let (status, body) = get(&format!("website/{w}/conversations/1?per_page=51"), "user");
    assert_eq!(status, 400, "{body}");
    let (status, body) = get(&format!("website/{w}/conversations/99?per_page=50"), "user");
    assert_eq!((status, body["data"].clone()), (200, serde_json::json!([])));
    assert_eq!(body["error"], false);
    let (status, body) = get(&format!("website/{w}/conversations/1"), "user");
    assert_eq!(
        body["data"].as_array().unwrap().len(),
        20,
        "default per_page is 20"
    );
    assert_eq!(status, 200);
    let (status, body) = get(&format!("website/{w}/nothing/here"), "user");
    assert_eq!((status, body["reason"].as_str()), (404, Some("not_found")));
    let (status, body) = get(&format!("website/{w}/conversations/1"), "plugin");
    assert_eq!(
        (status, body["reason"].as_str()),
        (401, Some("invalid_session")),
        "a user token presented as plugin"
    );
    let (status, body) = get(
        &format!("website/{w}/conversation/session_abc123/messages"),
        "user",
    );
    assert_eq!(status, 200, "a short thread fits one batch: {body}");
}
