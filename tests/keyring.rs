//! `crisp-repl auth` against a real Secret Service (a private D-Bus session with
//! gnome-keyring-daemon) and the demo Crisp on loopback: login, a call with the stored secret,
//! status, logout; and the failures: a wrong key, no Secret Service, one that never answers.

// The harness runs Unix daemons (D-Bus, gnome-keyring).
#![cfg(unix)]

mod common;
#[path = "common/secret_service.rs"]
mod secret_service;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use common::{run, Harness};
use crisp_repl::crisp::Tier;
use crisp_repl::demo::{demo_token, DEMO_WEBSITE_ID};
use secret_service::{PrivateBus, SecretService};

/// The binary as a user with no token anywhere, pointed at the demo server, and at no
/// D-Bus at all unless a test adds one.
fn cmd(h: &Harness) -> Command {
    let mut cmd = h.bare();
    cmd.env("CRISP_API_URL", h.server.url())
        // zbus falls back to $XDG_RUNTIME_DIR/bus: keep the host's session bus out of reach.
        .env("XDG_RUNTIME_DIR", h.home.path().join("no-runtime"));
    cmd
}

fn config_path(h: &Harness) -> PathBuf {
    h.home.path().join("config/crisp-repl/config.toml")
}

fn credentials_file(h: &Harness) -> PathBuf {
    h.home.path().join("config/crisp-repl/credentials.toml")
}

/// `auth login` for `account` with the demo user token, identifier and key on stdin.
fn login(cmd: &mut Command, account: &str, key: &str) -> (i32, String, String) {
    let token = demo_token(Tier::User);
    run(cmd
        .args([
            "auth",
            "login",
            "--account",
            account,
            "--website-id",
            DEMO_WEBSITE_ID,
        ])
        .args(["--tier", "user", "--key-stdin"])
        .write_stdin(format!("{}\n{key}\n", token.identifier)))
}

/// Neither the key nor the whole identifier may show up.
fn assert_no_secret(what: &str, text: &str) {
    let token = demo_token(Tier::User);
    assert!(
        !text.contains(token.key),
        "the key leaked into {what}: {text}"
    );
    assert!(
        !text.contains(token.identifier),
        "the whole identifier leaked into {what}: {text}"
    );
    assert!(
        !text.contains("wrong-key-123"),
        "a key leaked into {what}: {text}"
    );
}

fn write_config(h: &Harness, account: &str) {
    let path = config_path(h);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        format!("[accounts.{account}]\nwebsite_id = \"{DEMO_WEBSITE_ID}\"\ntier = \"user\"\n"),
    )
    .unwrap();
}

#[test]
fn login_call_status_logout_with_a_real_secret_service() {
    let h = Harness::new();
    let ss = SecretService::start();
    let with_ss = || {
        let mut c = cmd(&h);
        ss.apply(&mut c);
        c
    };
    let token = demo_token(Tier::User);

    let (status, out, err) = login(&mut with_ss(), "support", token.key);
    assert_eq!(status, 0, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("Logged in account 'support' as"), "{out}");
    assert!(out.contains("OS keyring"), "{out}");
    assert_no_secret("login output", &(out + &err));
    // libsecret's own tool finds it in the Secret Service.
    let stored = ss
        .stored_secret("support")
        .expect("the token is in the Secret Service");
    assert!(stored.contains(token.identifier) && stored.contains(token.key));
    // The config got the website id and tier, and nothing secret.
    let config = std::fs::read_to_string(config_path(&h)).unwrap();
    assert!(
        config.contains(DEMO_WEBSITE_ID) && config.contains("tier = \"user\""),
        "{config}"
    );
    assert_no_secret("config.toml", &config);
    assert!(!credentials_file(&h).exists());

    // A call with the stored secret reaches the demo server with the right token.
    h.server.clear_requests();
    let (status, out, err) =
        run(with_ss().args(["-e", "return crisp.support.get_current_user{}.data.email"]));
    assert_eq!(status, 0, "stdout: {out}\nstderr: {err}");
    assert!(out.contains('@'), "{out}");
    assert_no_secret("call output", &(out + &err));
    let profile = h.requests_to("user/account/profile");
    assert_eq!(profile.len(), 1);
    assert_eq!(profile[0].header("X-Crisp-Tier"), Some("user"));

    // Status: the keyring, the masked identifier, never the key.
    let (status, out, err) = run(with_ss().args(["auth", "status"]));
    assert_eq!(status, 0, "{err}");
    let row = out
        .lines()
        .find(|l| l.starts_with("support"))
        .expect("a support row");
    assert!(row.contains("keyring") && row.contains("5f0c****"), "{out}");
    assert!(
        row.contains(DEMO_WEBSITE_ID) && row.contains("user"),
        "{out}"
    );
    assert_no_secret("auth status", &(out + &err));
    let (status, out, _) = run(with_ss().args(["auth", "status", "--check"]));
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("support: connected as"), "{out}");
    // The environment comes before the keyring.
    let (_, out, _) = run(with_ss()
        .env("CRISP_SUPPORT_IDENTIFIER", "envi-dentifier")
        .env("CRISP_SUPPORT_KEY", "env-key")
        .args(["auth", "status"]));
    let row = out.lines().find(|l| l.starts_with("support")).unwrap();
    assert!(row.contains(" env") && row.contains("envi****"), "{out}");

    // Logout deletes the entry; the next call fails with the clear missing-credentials error.
    let (status, out, err) = run(with_ss().args(["auth", "logout", "--account", "support"]));
    assert_eq!(status, 0, "{err}");
    assert!(
        out.contains("Deleted the token of account 'support' from the OS keyring"),
        "{out}"
    );
    assert_eq!(ss.stored_secret("support"), None);
    let (status, out, err) =
        run(with_ss().args(["-e", "return crisp.support.get_current_user{}.data.email"]));
    assert_eq!(status, 3, "stdout: {out}\nstderr: {err}");
    assert!(err.contains("account 'support' is not set up"), "{err}");
    assert!(
        err.contains("crisp-repl auth login --account support"),
        "{err}"
    );
    let (_, out, _) = run(with_ss().args(["auth", "status"]));
    let row = out.lines().find(|l| l.starts_with("support")).unwrap();
    assert!(row.contains("missing"), "{out}");

    // --forget also removes the account from the config.
    let (status, out, _) =
        run(with_ss().args(["auth", "logout", "--account", "support", "--forget"]));
    assert_eq!(status, 0);
    assert!(out.contains("Removed account 'support' from"), "{out}");
    let config = std::fs::read_to_string(config_path(&h)).unwrap();
    assert!(!config.contains("support"), "{config}");
}

#[test]
fn a_wrong_key_saves_nothing() {
    let h = Harness::new();
    let ss = SecretService::start();
    let mut c = cmd(&h);
    ss.apply(&mut c);
    let (status, out, err) = login(&mut c, "support", "wrong-key-123");
    assert_eq!(status, 3, "stdout: {out}\nstderr: {err}");
    assert!(
        err.contains("Crisp refused the token for account 'support'"),
        "{err}"
    );
    assert!(
        err.contains("HTTP 401") && err.contains("Nothing was saved"),
        "{err}"
    );
    assert_no_secret("a refused login", &(out + &err));
    assert_eq!(ss.stored_secret("support"), None);
    assert!(!config_path(&h).exists(), "the config was written");
    assert!(!credentials_file(&h).exists());
}

#[test]
fn no_secret_service_at_all_gives_the_clear_error() {
    let h = Harness::new();
    let token = demo_token(Tier::User);
    let (status, out, err) = login(&mut cmd(&h), "support", token.key);
    assert_eq!(status, 3, "stdout: {out}\nstderr: {err}");
    assert!(err.contains("no OS keyring is reachable"), "{err}");
    assert!(err.contains("DBUS_SESSION_BUS_ADDRESS is not set"), "{err}");
    assert!(
        err.contains("CRISP_SUPPORT_IDENTIFIER and CRISP_SUPPORT_KEY"),
        "{err}"
    );
    assert!(err.contains("--insecure-storage"), "{err}");
    assert_no_secret("login output", &(out + &err));
    assert!(
        !config_path(&h).exists(),
        "nothing is saved when the secret cannot be"
    );

    // A call on a configured account says the same, with exit status 3.
    write_config(&h, "support");
    let (status, _, err) = run(cmd(&h).args(["-e", "return crisp.support.get_current_user{}"]));
    assert_eq!(status, 3, "{err}");
    assert!(err.contains("account 'support' is not set up"), "{err}");
    assert!(err.contains("no OS keyring is reachable"), "{err}");
    assert!(err.contains("--insecure-storage"), "{err}");
}

#[test]
fn a_bus_without_a_secret_service_says_so() {
    let h = Harness::new();
    let bus = PrivateBus::start();
    let token = demo_token(Tier::User);
    let mut c = cmd(&h);
    c.env("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    let started = Instant::now();
    let (status, out, err) = login(&mut c, "support", token.key);
    assert_eq!(status, 3, "stdout: {out}\nstderr: {err}");
    assert!(
        err.contains("no Secret Service (org.freedesktop.secrets)"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!config_path(&h).exists());
}

#[test]
fn a_locked_keyring_says_to_unlock_it() {
    let h = Harness::new();
    let ss = SecretService::start_locked();
    let token = demo_token(Tier::User);
    let mut c = cmd(&h);
    ss.apply(&mut c);
    let (status, out, err) = login(&mut c, "support", token.key);
    assert_eq!(status, 3, "stdout: {out}\nstderr: {err}");
    assert!(
        err.contains("the OS keyring is locked or refused access"),
        "{err}"
    );
    assert!(err.contains("unlock the keyring"), "{err}");
    assert!(err.contains("--insecure-storage"), "{err}");
    assert!(!config_path(&h).exists());
}

#[test]
fn a_secret_service_that_never_answers_trips_the_timeout() {
    let h = Harness::new();
    let ss = SecretService::start();
    ss.freeze();
    write_config(&h, "support");
    let frozen = || {
        let mut c = cmd(&h);
        ss.apply(&mut c);
        c
    };

    // Start-up touches no keyring: code that calls nothing runs at once.
    let started = Instant::now();
    let (status, out, err) = run(frozen().args(["-e", "return 1 + 1"]));
    assert_eq!((status, out.trim()), (0, "2"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    // The first call needs the secret: the default wait is about 3 s, then a clear error.
    let started = Instant::now();
    let (status, _, err) = run(frozen().args(["-e", "return crisp.support.get_current_user{}"]));
    let waited = started.elapsed();
    assert_eq!(status, 3, "{err}");
    assert!(err.contains("did not answer within 3000 ms"), "{err}");
    assert!(err.contains("CRISP_REPL_KEYRING_TIMEOUT_MS"), "{err}");
    assert!(
        err.contains("CRISP_SUPPORT_IDENTIFIER") && err.contains("--insecure-storage"),
        "{err}"
    );
    assert!(
        waited >= Duration::from_millis(2900) && waited < Duration::from_secs(10),
        "{waited:?}"
    );

    // Login checks the token, then cannot save it: nothing is written.
    let token = demo_token(Tier::User);
    let started = Instant::now();
    let (status, _, err) = login(
        frozen().env("CRISP_REPL_KEYRING_TIMEOUT_MS", "500"),
        "sales",
        token.key,
    );
    assert_eq!(status, 3, "{err}");
    assert!(err.contains("did not answer within 500 ms"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let config = std::fs::read_to_string(config_path(&h)).unwrap();
    assert!(!config.contains("sales"), "{config}");

    // Status gives up on every account quickly and says why.
    let started = Instant::now();
    let (status, out, _) = run(frozen()
        .env("CRISP_REPL_KEYRING_TIMEOUT_MS", "500")
        .args(["auth", "status"]));
    assert_eq!(status, 0);
    assert!(out.contains("did not answer"), "{out}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn insecure_storage_is_a_0600_file_that_warns_on_every_use() {
    use std::os::unix::fs::PermissionsExt;
    let h = Harness::new();
    let token = demo_token(Tier::User);
    // No D-Bus at all, as on a headless server.
    let (status, out, err) = run(cmd(&h)
        .args([
            "auth",
            "login",
            "--account",
            "support",
            "--website-id",
            DEMO_WEBSITE_ID,
        ])
        .args(["--tier", "user", "--key-stdin", "--insecure-storage"])
        .write_stdin(format!("{}\n{}\n", token.identifier, token.key)));
    assert_eq!(status, 0, "stdout: {out}\nstderr: {err}");
    assert!(
        err.contains("warning: account 'support' uses a token stored in plain text"),
        "{err}"
    );
    assert!(out.contains("plain text, mode 0600"), "{out}");
    assert_no_secret("login output", &(out + &err));
    let file = credentials_file(&h);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let config = std::fs::read_to_string(config_path(&h)).unwrap();
    assert_no_secret("config.toml", &config);

    for _ in 0..2 {
        let (status, out, err) =
            run(cmd(&h).args(["-e", "return crisp.support.get_current_user{}.data.tier"]));
        assert_eq!((status, out.trim()), (0, "\"user\""), "{err}");
        assert!(
            err.contains("stored in plain text"),
            "warned on every use: {err}"
        );
        assert_no_secret("call output", &(out + &err));
    }
    let (_, out, _) = run(cmd(&h).args(["auth", "status"]));
    let row = out.lines().find(|l| l.starts_with("support")).unwrap();
    assert!(row.contains("file") && row.contains("5f0c****"), "{out}");

    let (status, out, err) = run(cmd(&h).args(["auth", "logout", "--account", "support"]));
    assert_eq!(status, 0, "{out}{err}");
    assert!(out.contains("credentials.toml"), "{out}");
    assert!(!file.exists());
    let (status, _, _) = run(cmd(&h).args(["-e", "return crisp.support.get_current_user{}"]));
    assert_eq!(status, 3);
}

#[test]
fn login_usage_errors_exit_2() {
    let h = Harness::new();
    let (status, _, err) = run(cmd(&h)
        .args(["auth", "login", "--account", "Bad-Name", "--key-stdin"])
        .write_stdin("a\nb\n"));
    assert_eq!(status, 2, "{err}");
    assert!(err.contains("account name 'Bad-Name'"), "{err}");
    let (status, _, err) = run(cmd(&h)
        .args(["auth", "login", "--account", "support", "--key-stdin"])
        .write_stdin("a\nb\n"));
    assert_eq!(status, 2, "{err}");
    assert!(err.contains("--website-id"), "{err}");
    // No terminal and no --key-stdin: nobody to ask.
    let (status, _, err) = run(cmd(&h).args(["auth", "login"]).write_stdin(""));
    assert_eq!(status, 2, "{err}");
    assert!(err.contains("--key-stdin"), "{err}");
    let (status, _, _) = run(cmd(&h).args(["auth", "login", "--tier", "admin"]));
    assert_eq!(status, 2);
}
