//! `:login` at the prompt, in a real pseudo-terminal against a real Secret Service (a private
//! D-Bus session with gnome-keyring) and the demo Crisp: the prompts are answered as a person
//! would, and the new account works at once with everything the others have (its functions,
//! `crisp.all`/`crisp.paginate` knowing it, `show` and `columns`).

#![cfg(unix)]

use std::time::Duration;

mod common;
#[path = "common/pty.rs"]
mod pty;
#[path = "common/secret_service.rs"]
mod secret_service;

use common::Harness;
use crisp_repl::crisp::Tier;
use crisp_repl::demo::{demo_token, DEMO_WEBSITE_ID};
use secret_service::SecretService;

#[test]
fn an_account_added_by_login_has_everything_the_others_have() {
    let h = Harness::new();
    let ss = SecretService::start();
    let home = h.home.path();
    let mut cmd = common::hermetic(home);
    cmd.arg("--no-pager")
        .arg("--history")
        .arg(home.join("history"))
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("CRISP_API_URL", h.server.url())
        .env("DBUS_SESSION_BUS_ADDRESS", &ss.bus.address)
        .env("XDG_RUNTIME_DIR", ss.bus.runtime_dir());
    let mut s = pty::start(cmd, 120, 40, Duration::from_secs(20));
    let token = demo_token(Tier::User);

    s.send_line(":login sales").unwrap();
    s.expect("Website id: ").unwrap();
    s.send_line(DEMO_WEBSITE_ID).unwrap();
    s.expect("Tier (plugin, website, user)").unwrap();
    s.send_line("user").unwrap();
    s.expect("Identifier: ").unwrap();
    s.send_line(token.identifier).unwrap();
    s.expect("Key (hidden): ").unwrap();
    s.send_line(token.key).unwrap();
    s.expect("Logged in account 'sales'").unwrap();
    assert!(
        ss.stored_secret("sales").is_some(),
        "the token is in the keyring"
    );

    // Written to a file: the screen is redrawn around what the REPL prints.
    let out = home.join("out.txt");
    s.send_line(format!(
        "local f = io.open({:?}, 'w') \
         local ok, e = pcall(crisp.sales.show, 1) \
         f:write(#crisp.sales.list_conversations{{per_page = 3}}.data, ' ', \
           #crisp.all(crisp.sales.list_contacts, {{}}, 1000) > 0 and 'all' or 'none', ' ', \
           type(crisp.sales.show), ' ', tostring(crisp.sales.columns == crisp.columns), ' ', \
           type(e), ' ', tostring(crisp.sales.watch ~= nil), '\\n') f:close()",
        out.display().to_string()
    ))
    .unwrap();
    let text = pty::wait_for_file(&out, |t| t.ends_with('\n'));
    assert_eq!(text, "3 all function true string true\n");

    // The calls went out as the new account, with the token typed at the prompt.
    let lists = h.requests_to("/conversations/");
    assert!(!lists.is_empty());
    assert!(lists
        .iter()
        .all(|r| r.header("X-Crisp-Tier") == Some("user")));
    pty::quit(s);
}
